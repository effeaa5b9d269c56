# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every unit test shares: the Hypothesis profile, and the fixtures several test files used to build by hand.

Fixtures (a test file that needs another kind defines its own of the same name, which wins for that file):
- arm: a fresh fake ARM transport (tests/unit/utils/fake_arm.py) with no canned answers; a test adds its own.

Shared fakes and helpers that are not fixtures live in tests/unit/utils/ (imported, never collected).

Hypothesis settings for every property test of the units: the same examples on every run, never a flake.

- derandomize: examples come from each test's own fixed seed, so CI and a developer see the same ones.
- database=None: nothing is read from or written to .hypothesis/ (a failure found once must not change the next run).
- deadline=None: Hypothesis' per-example deadline is a wall-clock bound, which a busy 2-core machine breaks.
- print_blob: a failure prints the shrunk example and how to reproduce it.
Set HYPOTHESIS_PROFILE=explore (more examples, random) to search further by hand; CI uses "ci".
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

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


@pytest.fixture
def arm():
    """A fresh fake ARM (tests/unit/utils/fake_arm.py): no canned answers, its requests recorded in .requests."""
    from ansible_collections.azure_vmss.maintenance.tests.unit.utils.fake_arm import FakeArm
    return FakeArm()
