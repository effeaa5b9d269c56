# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX job slicing of the fleet playbook, as AWX runs it, from the installed tarball.

AWX syncs an inventory source (here: the scale_sets plugin file of a project, through ansible-inventory,
as AWX's inventory update does) into hosts with their variables. A job template with a slice count of 2
becomes two jobs; AWX gives slice k (1-based) the hosts ``hosts[k-1::2]`` of the inventory ordered by
host name (awx.main.models.inventory.Inventory.get_sliced_hosts; Host is ordered by name), and runs each
through ansible-runner with a static inventory of those hosts. Proven here: the two host lists are
disjoint and cover the fleet, each slice writes its own combined report of its hosts only, and the
simulator's request log shows every maintained instance maintained by exactly one performMaintenance.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest
import yaml

from test_release import (BIN, FQCN, ROOT, TIME_SCALE, awx_credential_env, clean_ansible_env, installed,
                          run, tarball, work)

# the release suite's session fixtures, used here by name
__all__ = ['installed', 'tarball', 'work']

SUBSCRIPTIONS = ['22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333']


@pytest.fixture(scope='module')
def fleet_simulator(work):
    state = os.path.join(work, 'fleet-simulator')
    connection = os.path.join(work, 'fleet-simulator.json')
    log = os.path.join(work, 'fleet-simulator.log')
    simulate = os.path.join(ROOT, 'tests', 'simulator', 'simulate.py')
    run([sys.executable, simulate, 'serve', '--scenario', 'fleet_small', '--time-scale', TIME_SCALE, '--state-dir',
         state, '--connection-file', connection, '--log-file', log, '--background'], timeout=180)
    with open(connection) as handle:
        facts = json.load(handle)
    facts['log_file'] = log
    yield facts
    subprocess.run([sys.executable, simulate, 'stop', '--connection-file', connection], timeout=60, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_two_slices_cover_the_fleet_once(installed, fleet_simulator, work):
    credential = awx_credential_env(fleet_simulator)
    credential.pop('AZURE_SUBSCRIPTION_ID')  # the subscriptions are in the inventory source
    env = clean_ansible_env(installed, work)
    env.update(credential)
    # The inventory source: a plugin file in the project, synced by ansible-inventory
    project = os.path.join(work, 'awx-project')
    os.makedirs(project)
    source = os.path.join(project, 'fleet.azure_vmss.yml')
    with open(source, 'w') as handle:
        yaml.safe_dump({'plugin': FQCN + '.scale_sets', 'subscriptions': SUBSCRIPTIONS, 'maintenance_status': True},
                       handle)
    synced = json.loads(run([os.path.join(BIN, 'ansible-inventory'), '-i', source, '--list', '--export'],
                            env=env, cwd=work).stdout)
    hostvars = synced['_meta']['hostvars']
    hosts = sorted(hostvars)
    assert len(hosts) == 6
    slices = [hosts[offset::2] for offset in range(2)]
    assert not set(slices[0]) & set(slices[1]) and sorted(slices[0] + slices[1]) == hosts

    with open(os.path.join(project, 'fleet_maintenance.yml'), 'w') as handle:
        handle.write('---\n- name: Fleet maintenance, as an AWX job template runs it\n'
                     '  ansible.builtin.import_playbook: %s.fleet_maintenance\n' % FQCN)
    reports = []
    with open(fleet_simulator['log_file']) as handle:
        seen_before = sum(1 for _line in handle)
    for number, slice_hosts in enumerate(slices, 1):
        pdd = os.path.join(work, 'slice-%d' % number)
        for sub in ('env', 'inventory'):
            os.makedirs(os.path.join(pdd, sub))
        os.symlink(project, os.path.join(pdd, 'project'))
        # AWX hands each slice a static inventory of its hosts with their synced variables
        with open(os.path.join(pdd, 'inventory', 'hosts.json'), 'w') as handle:
            json.dump({'all': {'hosts': dict((h, hostvars[h]) for h in slice_hosts)}}, handle)
        report_path = os.path.join(work, 'slice-%d-report.json' % number)
        with open(os.path.join(pdd, 'env', 'extravars'), 'w') as handle:
            yaml.safe_dump({'fleet_maintenance_report_path': report_path, 'safe_maintenance_health_timeout': 60,
                            'safe_maintenance_max_batch_instance_percent': 50}, handle)
        envvars = dict(env, ANSIBLE_PYTHON_INTERPRETER=sys.executable)
        with open(os.path.join(pdd, 'env', 'envvars'), 'w') as handle:
            yaml.safe_dump(envvars, handle)
        proc = subprocess.run([os.path.join(BIN, 'ansible-runner'), 'run', pdd, '-p', 'fleet_maintenance.yml',
                               '--ident', 'job', '--forks', '10'], cwd=work, timeout=600, check=False,
                              universal_newlines=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=dict(os.environ, PATH=BIN + os.pathsep + os.environ.get('PATH', '')))
        with open(os.path.join(pdd, 'artifacts', 'job', 'status')) as handle:
            status = handle.read().strip()
        # the scenario's one failing scale set fails its slice's job, as it would in AWX
        failing = 'vmss-weu-00_rg-web_33333333' in slice_hosts
        assert status == ('failed' if failing else 'successful'), proc.stdout[-6000:]
        assert fleet_simulator['secret'] not in proc.stdout
        with open(report_path) as handle:
            reports.append(json.load(handle))
        assert sorted(r['host'] for r in reports[-1]['scale_sets']) == slice_hosts

    with open(fleet_simulator['log_file']) as handle:
        entries = [json.loads(line) for line in list(handle)[seen_before:]]
    posted = [(e['path'].lower(), i) for e in entries
              if e['route'] == 'perform_maintenance' and e['status'] in (200, 202)
              for i in (e.get('body') or {}).get('instanceIds', [])]
    assert len(posted) == len(set(posted)), 'an instance was maintained twice'
    maintained = sum(r['totals']['instances_maintained'] for r in reports)
    assert maintained == 12   # 3 scale sets x 4 instances; the failing one maintained none
    assert sum(r['totals']['outcomes']['failed'] for r in reports) == 1
    assert sum(r['totals']['outcomes']['nothing to do'] for r in reports) == 2
    assert not [e for e in entries if e['status'] == 429]
