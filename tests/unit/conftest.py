# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hypothesis settings for every property test of the units: the same examples on every run, never a flake.

- derandomize: examples come from each test's own fixed seed, so CI and a developer see the same ones.
- database=None: nothing is read from or written to .hypothesis/ (a failure found once must not change the next run).
- deadline=None: Hypothesis' per-example deadline is a wall-clock bound, which a busy 2-core machine breaks.
- print_blob: a failure prints the shrunk example and how to reproduce it.
Set HYPOTHESIS_PROFILE=explore (more examples, random) to search further by hand; CI uses "ci".
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the property tests importorskip it themselves
    settings = None

if settings is not None:
    settings.register_profile('ci', derandomize=True, database=None, deadline=None, max_examples=100,
                              print_blob=True, suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile('explore', derandomize=False, database=None, deadline=None, max_examples=2000,
                              print_blob=True, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'ci'))
