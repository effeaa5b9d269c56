# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How ComputeClient reads a scale set's instances: the VM list, named GETs side by side, instance views.

A mixin of ComputeClient (client.py), kept apart because choosing the cheapest read and reading JSON without
the SDK's racy model set-up are a job of their own. It uses the client's ``_compute``, ``_fail``,
``_credential``, ``_scope``, ``get_scale_set``, ``orchestration_mode`` and ``one_token_for_all``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.instances import describe_ids
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.orchestration import (
    FLEXIBLE, ids_for_mode_error)
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import read_cost
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.fan_out import fan_out, NOT_STARTED


# Named instances read by GET (read_cost decides when) go this many at once: the size of requests'
# connection pool. 200 GETs with 100 ms round trips take 2 s instead of 4.
INSTANCE_READ_WORKERS = 10


class InstanceReads(object):
    """Reads of a scale set's instances, as ARM's JSON."""

    def list_instances(self, ref, expand='instanceView'):
        """Every VM of the scale set with its instance view: one request per page of the VM list, as JSON."""
        try:
            pager = self._compute.virtual_machine_scale_set_vms.list(ref.resource_group, ref.name, expand=expand)
            return list(self.json_items(pager))
        except Exception as exc:
            raise self._fail(exc, 'list the instances of {target}', ref)

    def get_instance(self, ref, instance_id, expand='instanceView'):
        """One VM with its instance view in one request (the VM, unlike /instanceView, carries its zone)."""
        return self.read_json(self._compute.virtual_machine_scale_set_vms.get, ref.resource_group, ref.name,
                              str(instance_id), expand=expand)

    @staticmethod
    def read_json(operation, *args, **kwargs):
        """The JSON body ARM answered to the SDK's ``operation(*args, **kwargs)`` (a GET of one resource).

        What worker threads read goes this way, never through the SDK's models: azure-mgmt-compute builds
        each model class's field table on the class's first construction (``Model.__new__`` in
        ``_utils/model_base.py``, no lock), and two threads that build the first instance of a class together
        can meet one assigning the table while the other still scans the class (``dictionary changed size
        during iteration``). Its deserializer swallows that and returns the raw JSON dict in place of the
        model: ``'dict' object has no attribute 'as_dict'`` on some runs under load.
        ``stream=True`` hands back the body unread; request, retries and error mapping stay the SDK's.
        """
        return json.loads(b''.join(operation(*args, stream=True, **kwargs)))

    @staticmethod
    def json_items(pager):
        """The items of an SDK list operation's pages as ARM's JSON, not as SDK models.

        An SDK list returns ``azure.core.paging.ItemPaged(get_next, extract_data)``: ``get_next`` sends the SDK's own
        request for a page (its URL and api-version, ``nextLink`` after the first, the client's pipeline with its
        credential, retries and user agent, and its error mapping); ``extract_data`` builds a model per item. The
        same ``get_next`` with a parser that keeps the JSON saves building a model per VM only to turn it back into
        a dict with ``as_dict()``, which was about 0.7 s of a 1,000-VM read (the JSON is what ``as_dict()`` gives,
        and what the single reads, ``read_json``, return). A pager of another shape is read through its models.
        """
        from azure.core.paging import ItemPaged
        args = getattr(pager, '_args', None)
        if not isinstance(pager, ItemPaged) or not args or not callable(args[0]):
            return (item.as_dict() for item in pager)

        def extract_json(pipeline_response):
            body = pipeline_response.http_response.json()
            return body.get('nextLink') or None, iter(body.get('value') or [])

        return ItemPaged(args[0], extract_json)

    @staticmethod
    def set_up_models():
        """Set every azure-mgmt-compute model class up now, on this thread, before workers build models.

        For paged lists (list_instances), which take no ``stream=True`` (the pager fixes it) and whose
        ``cls=`` callback only sees the models after they were built: the race read_json avoids is a class's
        first set-up, and a class set up once is never written again. All Model subclasses, not only those a
        VM page holds, so that no field a page might carry is missed: ~500 classes, 0.1-0.2 s, once per process.
        """
        # models defines the classes (imported by the client already, but not by model_base)
        from azure.mgmt.compute import models  # noqa: F401 pylint: disable=unused-import
        from azure.mgmt.compute._utils.model_base import Model
        classes = Model.__subclasses__()
        while classes:
            cls = classes.pop()
            cls.__new__(cls)  # the set-up is Model.__new__'s; the bare instance is dropped
            classes.extend(cls.__subclasses__())

    def get_instances(self, ref, instance_ids, stop_when=None):
        """Named instances, up to INSTANCE_READ_WORKERS at once; every unknown id is named in one error.

        Returns the VM dicts in the order asked. Once ``stop_when(vm)`` is true for a VM read, the reads not yet
        sent are not sent (those in flight finish): a health poll that has met an instance still down has its
        answer, and the other GETs of the poll would only spend the read budget. The VMs read are returned, and
        ids not read are not checked.
        """
        from azure.core.exceptions import ResourceNotFoundError

        def read(instance_id):
            try:
                return instance_id, self.get_instance(ref, instance_id), None
            except ResourceNotFoundError as exc:
                return instance_id, None, exc
            except Exception as exc:
                return instance_id, None, self._fail(exc, 'read instance %s of {target}' % instance_id, ref)

        if len(instance_ids) > 1 and INSTANCE_READ_WORKERS > 1:
            self.one_token_for_all('read instances %s of {target}' % describe_ids(instance_ids), ref)
        outcomes = [o for o in fan_out(read, instance_ids, INSTANCE_READ_WORKERS,
                                       stop_when=lambda o: stop_when is not None and o[1] is not None and stop_when(o[1]))
                    if o is not NOT_STARTED]
        missing = [iid for iid, _vm, exc in outcomes if exc is not None and not isinstance(exc, AzureVmssError)]
        failures = [exc for _iid, _vm, exc in outcomes if isinstance(exc, AzureVmssError)]
        if failures:
            raise failures[0]
        if missing:
            # A 404 for an instance can also mean the scale set or group is missing: let that error speak.
            self.get_scale_set(ref)
            raise AzureVmssError('instance_ids: %s not in %s' % (describe_ids(missing), ref),
                                 unknown_instance_ids=missing)
        return [vm for _iid, vm, _exc in outcomes if vm is not None]

    def named_by_get(self, ref, count):
        """Whether ``count`` named instances are read one GET each rather than from the VM list, as read_cost
        decides; the capacity, when the choice needs it, comes from the run's scale-set GET."""
        capacity = 0
        if read_cost.needs_capacity(count):
            capacity = (self.get_scale_set(ref).get('sku') or {}).get('capacity') or 0
        return read_cost.read_named_by_get(count, capacity)

    def read_instances(self, ref, instance_ids=None, stop_when=None):
        """The instances' views in the fewest requests, through the APIs of the scale set's mode.

        First the scale set's GET (once per run), for its orchestration mode. Flexible: flexible.read_vms.
        Uniform, all instances: the VM list, one request per page. Named ones: one GET each, in parallel,
        while named_by_get says so, else the list (keeping only the named instances). Ids that cannot name
        instances of the mode fail before any instance is read. ``stop_when`` (see get_instances) ends the
        named GETs early, on both modes; the VM list is read in full.
        """
        mode = self.orchestration_mode(ref)
        problem = ids_for_mode_error(instance_ids or [], mode, ref)
        if problem:
            raise AzureVmssError(problem, unknown_instance_ids=[i for i in instance_ids if not str(i).isdigit()])
        if mode == FLEXIBLE:
            from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import flexible
            return flexible.read_vms(self, ref, instance_ids, stop_when=stop_when)
        if not instance_ids:
            return self.list_instances(ref)
        if self.named_by_get(ref, len(instance_ids)):
            return self.get_instances(ref, instance_ids, stop_when=stop_when)
        by_id = dict((str(vm.get('instanceId')), vm) for vm in self.list_instances(ref))
        missing = [iid for iid in instance_ids if iid not in by_id]
        if missing:
            raise AzureVmssError('instance_ids: %s not in %s' % (describe_ids(missing), ref),
                                 unknown_instance_ids=missing)
        return [by_id[iid] for iid in instance_ids]

    def get_instance_views(self, ref, instance_ids):
        """``{instance id: instance view}`` from ``.../virtualMachines/{id}/instanceView``, INSTANCE_READ_WORKERS at
        once (the route Azure documents ``vmHealth`` on); used when the VM list carries no health."""

        def read(instance_id):
            try:
                view = self.read_json(self._compute.virtual_machine_scale_set_vms.get_instance_view,
                                      ref.resource_group, ref.name, str(instance_id))
                return instance_id, view, None
            except Exception as exc:
                return instance_id, None, self._fail(exc, 'read the instance view of instance %s of {target}'
                                                     % instance_id, ref)

        if not instance_ids:
            return {}
        try:
            self._credential.get_token(self._scope)  # one token for all workers, as in get_instances
        except Exception as exc:
            raise self._fail(exc, 'read instance views of {target}', ref)
        outcomes = fan_out(read, instance_ids, INSTANCE_READ_WORKERS)
        for _iid, _view, exc in outcomes:
            if exc is not None:
                raise exc
        return dict((iid, view) for iid, view, _exc in outcomes)
