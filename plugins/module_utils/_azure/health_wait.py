# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health read of named instances, and the wait until they are running and healthy again, ended by the clock.

``read_health`` is the read instance_view_info makes (the instances, then their instance views when the scale set
has a health signal and the VMs carry none). ``wait_until_recovered`` is the health wait after a batch's
maintenance, run inside the process that maintained the batch (perform_maintenance): no module process per poll.

The wait is ended by a deadline computed once, when it starts; every poll checks the clock against it. A poll that
starts before the deadline may end the wait as recovered; no poll that starts after it can. (A wait that counted
polls, as the role's ``until:`` did, lasted as long as its polls took: a 30 s timeout waited 48.6 s, and an instance
that recovered after the timeout counted as healthy.)
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.health import (
    batch_recovered, is_unhealthy, lacks_health, settles_not_recovered, with_health)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import sort_instances, summarize
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.orchestration import FLEXIBLE


def _stop_when(vm):
    # imported here: a plain read (instance_view_info without stop_at_unrecovered) needs none of the decisions

    return settles_not_recovered(summarize(vm))


def read_health(client, ref, instance_ids=None, health_fallback=False, stop_early=False):
    """``(vms, health_read)``: the instances as ARM's JSON, and where their health came from.

    ``stop_early``: a read of named instances stops at the first one that settles "not recovered" (the reads not
    sent yet are not sent; see ComputeClient.get_instances). ``health_fallback``: when none of the VMs read carries
    ``vmHealth`` (Uniform only), their health comes from each one's ``/instanceView`` (health.with_health).
    """
    vms = client.read_instances(ref, instance_ids, stop_when=_stop_when if stop_early else None)
    health_read = dict(source='vm_read', extra_requests=0)
    if health_fallback and lacks_health(vms) and client.known_orchestration_mode(ref) != FLEXIBLE:
        ids = [str(vm.get('instanceId')) for vm in vms]
        views = client.get_instance_views(ref, ids)
        vms = [with_health(vm, views.get(str(vm.get('instanceId')))) for vm in vms]
        health_read = dict(source='instance_view', extra_requests=len(ids))
    return vms, health_read


def keep_seen_down(partial, complete, require_health_signal=False):
    """The ``complete`` reading, except that an instance ``partial`` (the poll that ended the wait) saw unhealthy keeps
    that entry: a read made after the deadline only adds the instances the last poll did not read."""

    down = dict((entry['instance_id'], entry) for entry in partial if is_unhealthy(entry, require_health_signal))
    return [down.get(entry['instance_id'], entry) for entry in complete]


def wait_until_recovered(poll, timeout, interval, require_health_signal=False, clock=None, sleep=None):
    """Poll until every instance is running and healthy (decisions.batch_recovered) or ``timeout`` seconds passed.

    ``poll(stop_early)`` returns ``(instances, stopped_early)``: summarized instances (instances.summarize) of one
    read, and whether that read stopped before reading every instance. ``interval``: seconds from the end of one
    poll to the start of the next (the read-cost model's pace); the last sleep is cut to end at the deadline.

    - The deadline is computed once, here. Before each poll the clock is compared with it: the poll that starts at
      or after the deadline is the last, and reads every instance; a poll that ends after it is the last too.
    - So the wait ends within one poll of ``timeout`` however long each poll takes, and only a poll that started
      before the deadline can find the batch recovered.
    - When the last poll stopped early, every instance is read once more so that the result names all that stayed
      unhealthy; an instance that last poll saw unhealthy stays unhealthy (keep_seen_down).

    Returns ``dict(recovered, timed_out, instances, polls, seconds)``; an AzureVmssError of a read propagates.
    """

    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    started = clock()
    deadline = started + max(0, timeout)
    polls = 0
    while True:
        last = clock() >= deadline
        instances, stopped_early = poll(not last)
        polls += 1
        if not stopped_early and batch_recovered(instances, require_health_signal):
            return dict(recovered=True, timed_out=False, instances=instances, polls=polls,
                        seconds=round(clock() - started, 1))
        if last or clock() >= deadline:
            if stopped_early:
                complete, _stopped = poll(False)
                polls += 1
                instances = keep_seen_down(instances, complete, require_health_signal)
            return dict(recovered=False, timed_out=True, instances=instances, polls=polls,
                        seconds=round(clock() - started, 1))
        sleep(max(0.0, min(float(interval), deadline - clock())))


def wait_for_batch(client, ref, instance_ids, timeout, interval, health_fallback=False, require_health_signal=False,
                   clock=None, sleep=None):
    """The health wait of ``instance_ids`` through ``client``: wait_until_recovered over read_health.

    Returns the wait's dict with ``instances`` sorted as instance_view_info returns them, ``poll_interval`` and
    ``health_read`` (of the last read). A read that fails (an AzureVmssError, already worded for the user) ends the
    wait: the dict then has ``msg`` and no ``instances``.
    """
    from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError
    clock = clock or time.monotonic
    started = clock()
    last_read = {}
    polls = []

    def poll(stop_early):
        polls.append(stop_early)
        vms, health_read = read_health(client, ref, instance_ids, health_fallback, stop_early)
        last_read.clear()
        last_read.update(health_read)
        return [summarize(vm) for vm in vms], bool(instance_ids) and len(vms) < len(instance_ids)

    try:
        result = wait_until_recovered(poll, timeout, interval, require_health_signal, clock=clock, sleep=sleep)
        result['instances'] = sort_instances(result['instances'])
    except AzureVmssError as exc:
        result = dict(recovered=False, timed_out=False, msg=exc.msg, polls=len(polls),
                      seconds=round(clock() - started, 1))
    result.update(poll_interval=interval, health_read=dict(last_read))
    return result
