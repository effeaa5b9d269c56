# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module against real Azure's recorded answers, scene by scene, over HTTPS (the replay server).

Each recorded pair that a module's request can be answered with is replayed by one module run; the run's
result is compared with values read here from the raw recording. At the end: how many of the copied pairs
were replayed (at least 90 %), which were not and why, and the requests no recording answered, by kind;
written to $REPLAY_REPORT (default build/replay/report.json) for the docs.
"""
from __future__ import absolute_import, division, print_function

import collections
import json
import os

import pytest

import plans
from modules import run_module

HERE = os.path.dirname(os.path.abspath(__file__))
PAIRS = [json.loads(line) for line in open(os.path.join(HERE, 'recordings', 'pairs.jsonl'))]
SCENES = collections.OrderedDict()
for _pair in sorted(PAIRS, key=lambda p: (p['scene'], p['interaction_index'])):
    SCENES.setdefault(_pair['scene'], []).append(_pair)
STATS = dict(replayed=set(), not_replayed={}, misses=[], runs=0, checks=0, labels=collections.Counter(),
             stand_in_requests=collections.Counter(),
             scenes_run=set(), modules=collections.Counter())
MIN_SHARE = 0.9


def scene_id(scene):
    source, _sep, target = scene.partition('#')
    return '%s@%s#%s' % (source.split(':', 1)[1].rsplit('/', 1)[-1].split('@')[0], source.rsplit('@', 1)[-1][:7], target)


def power_of(view):
    codes = [s.get('code', '') for s in (view or {}).get('statuses') or []]
    found = [c.split('/', 1)[1] for c in codes if c.startswith('PowerState/')]
    return found[0] if found else None


def health_of(view):
    code = (((view or {}).get('vmHealth') or {}).get('status') or {}).get('code')
    return code.split('/', 1)[1].lower() if code and '/' in code else None


class Checks(object):
    def __init__(self):
        self.count = 0

    def eq(self, got, want, what):
        self.count += 1
        assert got == want, '%s: got %r, recorded %r' % (what, got, want)

    def true(self, value, what):
        self.count += 1
        assert value, what


def check_failure(check, result, pair):
    error = pair['response_body']['error']
    check.true(result.get('failed'), 'the module fails on a recorded %s' % pair['status'])
    check.eq(result.get('changed', False), False, 'changed after a refusal')
    check.eq((result.get('error') or {}).get('code'), error['code'], 'error code')
    check.true(error['message'].split(' For more details')[0] in result['msg'], "Azure's message in msg")


def verify(check, drive, focus, result, server_requests):
    module, raw = drive['module'], focus['response_body']
    if focus['status'] >= 400 and focus['kind'] not in ('vmss_get',) or (focus['kind'] == 'vmss_get' and focus['status'] == 404):
        check_failure(check, result, focus)
        if module == 'perform_maintenance':
            check.eq(result['instance_ids'], [], 'instances reported as started')
            check.eq(result['operations'], [], 'operations started')
        return
    assert not result.get('failed'), result.get('msg')
    check.eq(result['changed'], drive['module'] == 'orchestration_service' and 'state' in drive['args'], 'changed')
    if module == 'scale_set_info':
        if focus['status'] != 200:
            raw = [a for a in drive['entries'][0]['answers'] if a['status'] == 200][0]['body']
        shaped = result['scale_set']
        props = raw.get('properties') or {}
        check.eq(shaped['id'], raw['id'], 'id')
        check.eq(shaped['name'], raw['name'], 'name')
        check.eq(shaped['orchestration_mode'], props.get('orchestrationMode') or 'Uniform', 'orchestration mode')
        check.eq(shaped['provisioning_state'], props.get('provisioningState'), 'provisioning state')
        check.eq(shaped['capacity'], (raw.get('sku') or {}).get('capacity'), 'capacity')
        check.eq(shaped['upgrade_policy']['mode'], (props.get('upgradePolicy') or {}).get('mode'), 'upgrade mode')
    elif module == 'orchestration_service' and focus['kind'] == 'vmss_instance_view':
        recorded = raw.get('orchestrationServices') or []
        check.eq([s['service_state'] for s in result['orchestration_services']],
                 [s.get('serviceState') for s in recorded], 'orchestration service states')
    elif module == 'orchestration_service':
        check.eq(result['action'], focus['request_body']['action'], 'action sent')
        posts = [r for r in server_requests if r['method'] == 'POST']
        check.eq([r['body'] for r in posts], [focus['request_body']], 'POST body as the recording sent it')
        if drive.get('expected_after'):
            check.eq(result['service']['service_state'], drive['expected_after'], 'state read back')
    elif module == 'rolling_upgrade_info':
        code = raw['properties']['runningStatus']['code']
        check.eq(result['rolling_upgrade']['running_status']['code'], code, 'running status')
        check.eq(result['rolling_upgrade_active'], code in ('RollingForward', 'RollingBack'), 'active')
    elif module == 'os_upgrade_history_info':
        check.eq(len(result['os_upgrades']), len(raw['value']), 'history length')
    elif module == 'instance_view_info':
        served = [a for e in drive['entries'] for a in e['answers'] if e['path'].endswith('/virtualmachines')
                  or '/virtualmachines/' in e['path'] or e['path'].endswith('/virtualmachines')]
        if focus['kind'] == 'vm_list':
            check.eq(sorted(i['instance_id'] for i in result['instances']),
                     sorted(vm['name'] for vm in raw['value']), 'Flexible VM names')
            check.eq(result['orchestration_mode'], 'Flexible', 'orchestration mode')
            return
        body = served[0]['body']
        vms = body['value'] if 'value' in body else [body]
        vms = [vm for vm in vms if vm.get('properties')]
        check.eq(sorted(i['instance_id'] for i in result['instances']), sorted(str(vm['instanceId']) for vm in vms), 'ids')
        by_id = dict((i['instance_id'], i) for i in result['instances'])
        for vm in vms:
            view = vm['properties'].get('instanceView')
            check.eq(by_id[str(vm['instanceId'])]['power_state'], power_of(view), 'power state')
        if focus['kind'] == 'vmss_vm_instance_view':
            check.eq(result['instances'][0]['power_state'], power_of(raw), 'power state of the instance view')
            check.eq(result['instances'][0]['health_state'], health_of(raw), 'health')
    elif module == 'perform_maintenance':
        raise AssertionError('perform_maintenance replayed a recorded success, which no recording has')


@pytest.mark.parametrize('scene', list(SCENES), ids=scene_id)
def test_scene(replay_server, scene):
    pairs = SCENES[scene]
    STATS['scenes_run'].add(scene)
    failures = []
    for focus in pairs:
        drive = plans.drive(pairs, focus)
        if drive['module'] is None:
            STATS['not_replayed'].setdefault(plans.pair_id(focus), drive['reason'])
            continue
        replay_server.replay.load(drive['entries'])
        args = dict(drive['args'])
        result = run_module(drive['module'], args, replay_server.connection)
        replay = replay_server.replay
        STATS['runs'] += 1
        STATS['modules'][drive['module']] += 1
        STATS['misses'].extend(dict(m, scene=scene, module=drive['module']) for m in replay.misses)
        check = Checks()
        try:
            assert not replay.misses, 'requests without a recorded answer: %s' % replay.misses
            assert all(r['authorised'] for r in replay.requests)
            verify(check, drive, focus, result, replay.requests)
        except AssertionError as exc:
            failures.append('%s (%s %s): %s' % (plans.pair_id(focus), drive['module'], focus['kind'], exc))
            continue
        finally:
            STATS['checks'] += check.count
        served = set(a['pair'] for a in replay.served if a['pair'])
        if plans.pair_id(focus) not in served:
            failures.append('%s: the module never asked for it' % plans.pair_id(focus))
            continue
        STATS['replayed'].update(served)
        STATS['replayed'].update(drive['also_served'])
        STATS['labels'].update(set(drive['labels']))
        STATS['stand_in_requests'].update('%s: %s' % (a['kind'], a['label']) for a in replay.served if a['label'])
    assert not failures, '\n'.join(failures)


def test_coverage_and_report():
    if len(STATS['scenes_run']) < len(SCENES):
        pytest.skip('only some scenes ran')
    replayed = set(STATS['replayed'])
    missing = dict((k, v) for k, v in STATS['not_replayed'].items() if k not in replayed)
    by_kind = collections.Counter(p['kind'] for p in PAIRS if plans.pair_id(p) in replayed)
    report = dict(
        pairs=len(PAIRS), scenes=len(SCENES), replayed=len(replayed), module_runs=STATS['runs'], checks=STATS['checks'],
        modules=dict(STATS['modules']), replayed_by_kind=dict(by_kind),
        pairs_by_kind=dict(collections.Counter(p['kind'] for p in PAIRS)),
        api_versions=sorted(set(v for p in PAIRS for k, v in plans.split_uri(p['uri'])[1] if k == 'api-version')),
        sources=dict(collections.Counter(p['source'].split(':')[0] for p in PAIRS)),
        not_replayed=dict(collections.Counter(missing.values())),
        stand_ins=dict(STATS['labels']),
        # the requests no recording answered as it was recorded, by kind and stand-in (plans.OVERLAYS, COMPOSED)
        stand_in_requests=dict(STATS['stand_in_requests']),
        unanswered_requests=dict(collections.Counter('%s %s' % (m['kind'], m['method']) for m in STATS['misses'])))
    out = os.environ.get('REPLAY_REPORT') or os.path.join(os.path.dirname(os.path.dirname(HERE)), 'build', 'replay',
                                                          'report.json')
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w') as handle:
        json.dump(report, handle, indent=1, sort_keys=True)
    print(json.dumps(report, indent=1, sort_keys=True))
    assert len(replayed) >= MIN_SHARE * len(PAIRS), 'replayed %d of %d pairs' % (len(replayed), len(PAIRS))
