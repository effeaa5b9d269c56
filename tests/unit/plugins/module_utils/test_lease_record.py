# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lease's decisions: who may take, renew and release the scale set's maintenance lease."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers import lease_record as leases

NOW = 1796083200.0  # 2026-12-01T00:00:00Z


def held_by(run_id, expires_in, owner='alice@ctl'):
    return leases.parse_lease(leases.format_lease(run_id, owner, NOW + expires_in))


def test_value_round_trips_and_fits_a_tag():
    value = leases.format_lease('1234', 'awx job 1234', NOW + 1800)
    assert value == 'run=1234;owner=awx job 1234;expires=2026-12-01T00:30:00Z'
    assert leases.parse_lease(value) == {'run_id': '1234', 'owner': 'awx job 1234',
                                         'expires': '2026-12-01T00:30:00Z', 'repairs_suspended': False, 'value': value}
    marked = leases.format_lease('1234', 'awx job 1234', NOW + 1800, repairs_suspended=True)
    assert marked.endswith(';repairs=suspended') and leases.parse_lease(marked)['repairs_suspended'] is True
    with pytest.raises(ValueError):
        leases.format_lease('r', 'o' * 250, NOW)


def test_tag_names_are_case_insensitive():
    assert leases.find_value({'Azure_VMSS_Maintenance_Lease': 'v', 'other': 'x'}) == 'v'
    assert leases.find_value({'other': 'x'}) is None
    assert leases.find_value(None) is None


def test_unreadable_value_counts_as_expired():
    lease = leases.parse_lease('garbage')
    assert lease['run_id'] is None and lease['expires'] is None
    assert leases.lease_state(lease, NOW) == leases.EXPIRED
    decision = leases.decide_acquire(lease, 'mine', NOW)
    assert decision['action'] == leases.TAKE and 'garbage' in decision['warning']


@pytest.mark.parametrize('lease, state', [
    (None, leases.FREE),
    (held_by('a', 60), leases.LIVE),
    (held_by('a', 0), leases.EXPIRED),
    (held_by('a', -60), leases.EXPIRED),
])
def test_lease_state(lease, state):
    assert leases.lease_state(lease, NOW) == state


def test_acquire_free_expired_own_and_live_other():
    assert leases.decide_acquire(None, 'mine', NOW)['action'] == leases.TAKE
    assert leases.decide_acquire(held_by('mine', 60), 'mine', NOW)['action'] == leases.RENEW
    own_expired = leases.decide_acquire(held_by('mine', -1), 'mine', NOW)
    assert own_expired['action'] == leases.TAKE and own_expired['warning']
    expired = leases.decide_acquire(held_by('theirs', -1), 'mine', NOW)
    assert expired['action'] == leases.TAKE and expired['outcome'] == 'took_over_expired'
    assert "run 'theirs'" in expired['warning']
    live = leases.decide_acquire(held_by('theirs', 60, owner='awx job 7'), 'mine', NOW)
    assert live['action'] == leases.REFUSE
    assert "run 'theirs'" in live['reason'] and 'awx job 7' in live['reason'] and "break_lease: 'theirs'" in live['reason']


def test_break_lease_takes_only_the_named_live_lease():
    broke = leases.decide_acquire(held_by('cancelled', 600), 'rerun', NOW, break_lease='cancelled')
    assert broke['action'] == leases.TAKE and broke['outcome'] == 'broke_lease' and broke['warning']
    wrong = leases.decide_acquire(held_by('other', 600), 'rerun', NOW, break_lease='cancelled')
    assert wrong['action'] == leases.REFUSE and "held by run 'other'" in wrong['reason']


def test_renew_own_retake_lost():
    assert leases.decide_renew(held_by('mine', 60), 'mine', NOW)['action'] == leases.RENEW
    assert leases.decide_renew(held_by('mine', -5), 'mine', NOW)['action'] == leases.TAKE
    assert leases.decide_renew(None, 'mine', NOW)['action'] == leases.TAKE
    lost = leases.decide_renew(held_by('theirs', 60), 'mine', NOW)
    assert lost['action'] == leases.REFUSE and lost['outcome'] == 'lost'
    assert leases.decide_renew(held_by('theirs', -60), 'mine', NOW)['action'] == leases.REFUSE


def test_release_never_deletes_another_runs_lease():
    assert leases.decide_release(held_by('mine', 60), 'mine')['action'] == leases.RELEASE
    assert leases.decide_release(held_by('mine', -60), 'mine')['action'] == leases.RELEASE
    other = leases.decide_release(held_by('theirs', 60), 'mine')
    assert other['action'] == leases.NOTHING and other['warning']
    assert leases.decide_release(None, 'mine')['action'] == leases.NOTHING


def test_slow_write_backs_off():
    assert leases.write_was_slow(5, 5.1) is True
    assert leases.write_was_slow(5, 0.3) is False


@pytest.mark.parametrize('value, ok', [('1234', True), ('run-2026-12-01T21:00:00', True), ('a' * 64, True),
                                       ('', False), ('a' * 65, False), ('x;y', False), ('-x', False), (None, False)])
def test_run_id_rules(value, ok):
    assert (leases.run_id_error(value) is None) is ok


def test_owner_rules():
    assert leases.owner_error('awx job 12') is None
    assert leases.owner_error('a;b')
    assert leases.owner_error(' ')
    assert leases.owner_error('x' * 121)


def test_role_defaults_for_run_id_owner_and_duration():
    assert leases.default_run_id('1234', NOW) == 'awx-1234'
    assert leases.default_run_id(None, NOW, 'ab12') == 'run-1796083200-ab12'
    assert leases.run_id_error(leases.default_run_id(None, NOW, 'ab12')) is None
    assert leases.default_owner('1234', 'root', 'ctl') == 'awx job 1234'
    assert leases.default_owner('', 'root', 'ctl') == 'root@ctl'
    assert leases.run_duration(600, 3600, 1800) == 600
    assert leases.run_duration(0, 3600, 1800, 5) == 6005


def test_lease_settings():
    assert leases.lease_settings('', None, NOW, '7', 'ops', 'ctl', 0, 60, 30) == dict(
        run_id='run-1796083200-7', owner='ops@ctl', duration=690)
    assert leases.lease_settings('mine', '42', NOW, '7', 'ops', 'ctl', 900, 60, 30) == dict(
        run_id='mine', owner='awx job 42', duration=900)
