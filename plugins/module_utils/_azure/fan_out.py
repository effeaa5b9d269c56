# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way the collection sends requests side by side: a bounded thread pool, results in the order asked.

ARM answers one instance per GET, so reading or starting N instances is N requests; a few at once keep a
batch's wall time near one round trip without spending the subscription's read budget faster than it refills.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading

# What fan_out returns for an item it did not start because ``stop_when`` was met first.
NOT_STARTED = object()


def fan_out(work, items, workers, stop_when=None):
    """``[work(item) for item in items]``, at most ``workers`` at once (at least one).

    Once ``stop_when(result)`` is true for a result, items not yet started are not started and their result is
    ``NOT_STARTED``; those in flight finish. ``work`` should return its failures rather than raise them, so
    that one failure does not hide the others' outcomes.
    """
    from concurrent.futures import ThreadPoolExecutor
    items = list(items)
    if not items:
        return []
    stopped = threading.Event()

    def one(item):
        if stopped.is_set():
            return NOT_STARTED
        result = work(item)
        if stop_when is not None and stop_when(result):
            stopped.set()
        return result

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        return list(pool.map(one, items))
