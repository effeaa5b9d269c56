# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What reading instances costs in Compute's and ARM's rate budgets, and the choices that follow from it.

The one home of the read-cost model: the shared client uses it to choose between one GET per named
instance and the VM list, and the role uses it for the pace of its health polls, so both always agree.
Pure functions and constants only: no Azure imports.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

# ARM does not document the VM list's page size; 100 is what it has been seen to send (and what the
# simulator uses). Only the choice between GETs and the list depends on it, never correctness.
VM_LIST_PAGE_SIZE = 100

# Compute's documented per-minute refills: VM GET 12 per VM and 2,000 per subscription; the VM list ("high-cost
# get") 10 per scale set. ARM's own read bucket: 250, refilled 25 per second, per subscription and principal.
VM_GET_PER_MINUTE = 12.0
VM_GET_SUBSCRIPTION_PER_MINUTE = 2000.0
HIGH_COST_GET_PER_MINUTE = 10.0
ARM_READS_PER_SECOND = 25.0
ARM_READ_BUCKET = 250

# Up to this many named instances are read with one GET each, without asking the scale set its capacity.
NAMED_READ_LIMIT = 5
# The most named instances read by GET in one go: one poll must fit in ARM's read bucket, with room to spare.
NAMED_GET_MAX = 200

# The shortest pause between two health polls of a batch, whatever the budgets allow.
MIN_POLL_SECONDS = 5


def list_pages(fleet_size, page_size=VM_LIST_PAGE_SIZE):
    """Requests the VM list takes for a fleet of ``fleet_size`` (0 for an empty fleet)."""
    return int(math.ceil(max(0, fleet_size) / float(page_size)))


def needs_capacity(count):
    """Whether choosing how to read ``count`` named instances needs the scale set's capacity first."""
    return count > NAMED_READ_LIMIT


def read_named_by_get(count, fleet_size, page_size=VM_LIST_PAGE_SIZE):
    """Read ``count`` named instances of a fleet of ``fleet_size`` with one GET each (True) or the VM list (False).

    Up to NAMED_READ_LIMIT: GETs. Fewer instances than list pages: GETs (fewer requests). A fleet whose list is
    one page: the list (one request, one high-cost token). A longer list: GETs while they take a smaller share
    of their budget than the list takes of its own. The list draws one token per page from the scale set's
    high-cost bucket, refilled 10 a minute, which the fleet read before every batch also draws on; GETs draw
    ``count`` from ARM's reads (1,500 a minute; Compute's VM GET budget, 2,000, is larger). So a 200-instance
    batch of a 1,000-instance fleet is polled with 200 GETs (8 s apart) rather than 10 list pages (60 s apart),
    and the list's bucket never runs dry.
    """
    if not needs_capacity(count):
        return True
    pages = list_pages(fleet_size, page_size)
    if count < pages:
        return True
    if pages <= 1 or count > NAMED_GET_MAX:
        return False
    return count / (ARM_READS_PER_SECOND * 60) < pages / HIGH_COST_GET_PER_MINUTE


def poll_interval(batch_instances, fleet_size, page_size=VM_LIST_PAGE_SIZE, minimum=MIN_POLL_SECONDS):
    """Seconds between health polls of a batch that keep the polling inside Compute's and ARM's refill rates.

    The batch is read the way read_named_by_get decides, which is the way the client reads it.
    """
    if read_named_by_get(batch_instances, fleet_size, page_size):
        needed = max(60.0 / VM_GET_PER_MINUTE, batch_instances * 60.0 / VM_GET_SUBSCRIPTION_PER_MINUTE,
                     batch_instances / ARM_READS_PER_SECOND)
    else:
        needed = max(1, list_pages(fleet_size, page_size)) * 60.0 / HIGH_COST_GET_PER_MINUTE
    return int(math.ceil(max(minimum, needed)))
