# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release checks: the Galaxy tarball, the execution environment definition, and a job run as AWX runs it.

Run by `tests/run-tests release` in .venv (ansible-core, ansible-builder, ansible-runner, the azure packages).
Everything runs from the BUILT TARBALL installed into a clean folder, never from the working tree:

- the tarball leaves out development files and carries the release files; MANIFEST.json has galaxy.yml's fields;
- ansible-doc documents every module, filter and the role from the installed copy;
- one module runs from the installed copy against the local ARM simulator;
- `ansible-builder create` on an execution environment definition that installs the tarball produces a
  build context whose own galaxy and introspect steps (run here without a container) yield the
  collection's requirements.txt and bindep.txt;
- `ansible-runner run` runs the collection's safe_maintenance playbook with only the environment variables
  AWX's "Microsoft Azure Resource Manager" credential injects, and the report says every eligible
  instance was maintained.

Knobs: RELEASE_SOURCE_DIR (the tree `ansible-galaxy collection build` runs in; default the collection root
this file is in), RELEASE_TIME_SCALE (simulator time scale for the runner test, default 0.05).
What cannot run here: `ansible-builder build` (no container runtime), installing from Galaxy itself.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.environ.get('RELEASE_SOURCE_DIR') or ROOT
BIN = os.path.dirname(sys.executable)
NAMESPACE, NAME = 'azure_vmss', 'maintenance'
FQCN = NAMESPACE + '.' + NAME
TIME_SCALE = os.environ.get('RELEASE_TIME_SCALE', '0.05')

MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, 'plugins', 'modules'))
                 if f.endswith('.py') and not f.startswith('_'))
FILTER_DOCS = sorted(f[:-4] for f in os.listdir(os.path.join(ROOT, 'plugins', 'filter')) if f.endswith('.yml'))
INVENTORIES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, 'plugins', 'inventory')) if f.endswith('.py'))
ROLES = sorted(d for d in os.listdir(os.path.join(ROOT, 'roles')) if not d.startswith('.'))

# Paths (inside the tarball) that must never ship: fnmatch patterns against each member name.
FORBIDDEN = ['.git', '.git/*', '.gitignore', '.ci', '.ci/*', '.venv*', 'build', 'build/*', '.cache', '.cache/*',
             '.ansible', '.ansible/*', '.ansible-lint', '.pytest_cache', '.pytest_cache/*', '*/__pycache__',
             '*/__pycache__/*', '__pycache__', '*.pyc', 'tests/output', 'tests/output/*', '*.tar.gz',
             'tests/integration/integration_config.yml', 'tests/perf/results', 'tests/perf/results/*',
             'galaxy.yml', 'changelogs/.plugin-cache.yaml']
REQUIRED = ['MANIFEST.json', 'FILES.json', 'README.md', 'COPYING', 'requirements.txt', 'bindep.txt',
            'meta/runtime.yml', 'meta/execution-environment.yml', 'playbooks/safe_maintenance.yml',
            'playbooks/fleet_maintenance.yml', 'playbooks/templates/fleet_report.html.j2',
            'changelogs/changelog.yaml', 'changelogs/config.yaml', 'docs/docsite/links.yml',
            'docs/docsite/extra-docs.yml', 'roles/safe_maintenance/README.md',
            'roles/safe_maintenance/meta/argument_specs.yml', 'tests/simulator/simulate.py']


def run(args, env=None, cwd=None, timeout=300):
    """Run a command, return CompletedProcess; a failure shows its output in the assertion."""
    full_env = dict(os.environ)
    full_env['PATH'] = BIN + os.pathsep + full_env.get('PATH', '')
    full_env.update(env or {})
    proc = subprocess.run(args, env=full_env, cwd=cwd, timeout=timeout, check=False,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert proc.returncode == 0, '%s failed (rc %s)\nstdout:\n%s\nstderr:\n%s' % (
        ' '.join(args), proc.returncode, proc.stdout[-6000:], proc.stderr[-6000:])
    return proc


def clean_ansible_env(collections_path, home):
    """Ansible settings that see only the installed copy (no ~/.ansible, no collection from the cwd)."""
    return {
        'ANSIBLE_COLLECTIONS_PATH': collections_path,
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
        'ANSIBLE_HOME': os.path.join(home, '.ansible-home'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(home, '.ansible-tmp'),
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        'ANSIBLE_NOCOLOR': '1',
    }


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope='session')
def work(tmp_path_factory):
    return str(tmp_path_factory.mktemp('release'))


@pytest.fixture(scope='session')
def tarball(work):
    out = os.path.join(work, 'dist')
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', out, SOURCE], cwd=work)
    names = [f for f in os.listdir(out) if f.endswith('.tar.gz')]
    assert len(names) == 1, names
    return os.path.join(out, names[0])


@pytest.fixture(scope='session')
def members(tarball):
    with tarfile.open(tarball) as tar:
        return [m.name[2:] if m.name.startswith('./') else m.name for m in tar.getmembers()]


@pytest.fixture(scope='session')
def installed(work, tarball):
    """ANSIBLE_COLLECTIONS_PATH-style folder holding only the tarball's collection."""
    dest = os.path.join(work, 'collections')
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--force', tarball, '-p', dest],
        cwd=work, env={'ANSIBLE_HOME': os.path.join(work, '.ansible-home')})
    assert os.path.isfile(os.path.join(dest, 'ansible_collections', NAMESPACE, NAME, 'MANIFEST.json'))
    return dest


@pytest.fixture(scope='session')
def simulator(work):
    """The ARM simulator (scenario demo) in the background; its connection facts."""
    state = os.path.join(work, 'simulator')
    connection = os.path.join(work, 'simulator.json')
    simulate = os.path.join(ROOT, 'tests', 'simulator', 'simulate.py')
    run([sys.executable, simulate, 'serve', '--scenario', 'demo', '--time-scale', TIME_SCALE, '--state-dir', state,
         '--connection-file', connection, '--log-file', os.path.join(work, 'simulator.log'), '--background'],
        timeout=180)
    with open(connection) as handle:
        facts = json.load(handle)
    yield facts
    subprocess.run([sys.executable, simulate, 'stop', '--connection-file', connection], timeout=60, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def awx_credential_env(facts):
    """What AWX's "Microsoft Azure Resource Manager" credential injects, plus the private CA and cloud."""
    return {
        'AZURE_CLIENT_ID': facts['client_id'],
        'AZURE_SECRET': facts['secret'],
        'AZURE_TENANT': facts['tenant'],
        'AZURE_SUBSCRIPTION_ID': facts['subscription_id'],
        'AZURE_CLOUD_ENVIRONMENT': facts['resource_manager_url'],
        'REQUESTS_CA_BUNDLE': facts['ca_bundle'],
    }


# ------------------------------------------------------------------ the tarball
def test_tarball_leaves_out_development_files(members):
    shipped = [m for m in members if any(fnmatch.fnmatch(m, p) for p in FORBIDDEN)]
    assert shipped == [], 'development files in the tarball: %s' % shipped


def test_tarball_has_release_files(members):
    expected = REQUIRED + ['plugins/modules/%s.py' % m for m in MODULES] + \
        ['plugins/filter/%s.yml' % f for f in FILTER_DOCS]
    missing = [m for m in expected if m not in members]
    assert missing == [], 'missing from the tarball: %s' % missing
    assert any(m.startswith('docs/docsite/rst/') and m.endswith('.rst') for m in members)


def test_manifest_has_galaxy_metadata(tarball):
    with tarfile.open(tarball) as tar:
        info = json.load(tar.extractfile('MANIFEST.json'))['collection_info']
    for key in ('namespace', 'name', 'version', 'description', 'authors', 'license', 'repository', 'documentation',
                'issues', 'tags', 'readme'):
        assert info.get(key), 'MANIFEST.json collection_info.%s is empty' % key
    assert info['dependencies'] == {}
    assert (info['namespace'], info['name']) == (NAMESPACE, NAME)


# ------------------------------------------------------------------ ansible-doc from the installed copy
@pytest.mark.parametrize('plugin_type,names', [('module', MODULES), ('filter', FILTER_DOCS), ('role', ROLES),
                                               ('inventory', INVENTORIES)])
def test_ansible_doc_from_installed_tarball(installed, work, plugin_type, names):
    assert names, 'no %s to document' % plugin_type
    fqcns = ['%s.%s' % (FQCN, n) for n in names]
    proc = run([os.path.join(BIN, 'ansible-doc'), '--json', '-t', plugin_type] + fqcns, cwd=work,
               env=clean_ansible_env(installed, work))
    docs = json.loads(proc.stdout)
    assert sorted(docs) == sorted(fqcns)
    prefix = os.path.join(installed, 'ansible_collections', NAMESPACE, NAME)
    for fqcn, data in docs.items():
        if plugin_type == 'role':
            entry = data['entry_points']['main']
            assert entry['short_description'] and entry['options'], fqcn
            assert data['path'].startswith(prefix), 'role documented from %s, not the installed copy' % data['path']
            continue
        doc = data['doc']
        assert doc.get('short_description') and doc.get('description'), fqcn
        assert doc['filename'].startswith(prefix), '%s documented from %s, not the installed copy' % (fqcn, doc['filename'])
        if plugin_type == 'module':
            assert data.get('examples') and data.get('return'), '%s has no EXAMPLES or RETURN' % fqcn
    # and the text form a user reads renders
    run([os.path.join(BIN, 'ansible-doc'), '-t', plugin_type, fqcns[0]], cwd=work, env=clean_ansible_env(installed, work))


def test_module_runs_from_installed_tarball(installed, simulator, work):
    env = clean_ansible_env(installed, work)
    env.update(awx_credential_env(simulator))
    # -o: one line per host, 'localhost | SUCCESS => {json}'
    proc = run([os.path.join(BIN, 'ansible'), 'localhost', '-c', 'local', '-o', '-m', FQCN + '.rolling_upgrade_info',
                '-a', 'resource_group=rg-demo name=vmss-web'], cwd=work, env=env)
    line = [text for text in proc.stdout.splitlines() if text.startswith('localhost | ')][0]
    assert line.startswith('localhost | SUCCESS => '), line
    result = json.loads(line.split(' => ', 1)[1])
    assert result['rolling_upgrade']['running_status']['code'] == 'Completed'
    assert result['rolling_upgrade_active'] is False
    assert simulator['secret'] not in proc.stdout + proc.stderr


# ------------------------------------------------------------------ execution environment
def test_collection_ee_metadata_is_valid_v3():
    from ansible_builder.ee_schema import validate_schema
    with open(os.path.join(ROOT, 'meta', 'execution-environment.yml')) as handle:
        definition = yaml.safe_load(handle)
    validate_schema(definition)
    assert definition['version'] == 3
    # ansible-builder reads these relative to the collection root when it installs the collection
    assert definition['dependencies'] == {'python': 'requirements.txt', 'system': 'bindep.txt'}


def requirement_lines(path):
    with open(path) as handle:
        return [line.strip() for line in handle if line.strip() and not line.lstrip().startswith('#')]


def test_ansible_builder_context_installs_collection_requirements(tarball, work):
    """`ansible-builder create` for an EE that installs the tarball; then the context's own galaxy and introspect
    steps (what `ansible-builder build` runs in its galaxy and builder stages) without a container."""
    ee_dir = os.path.join(work, 'ee')
    os.makedirs(ee_dir)
    shutil.copy(tarball, ee_dir)
    name = os.path.basename(tarball)
    definition = {
        'version': 3,
        'images': {'base_image': {'name': 'quay.io/centos/centos:stream9'}},
        'dependencies': {
            'python_interpreter': {'package_system': 'python3.11', 'python_path': '/usr/bin/python3.11'},
            'ansible_core': {'package_pip': 'ansible-core>=2.16'},
            'ansible_runner': {'package_pip': 'ansible-runner'},
            'galaxy': {'collections': [{'name': '/tmp/collections/' + name, 'type': 'file'}]},
        },
        'additional_build_files': [{'src': name, 'dest': 'collections'}],
        'additional_build_steps': {'prepend_galaxy': ['COPY _build/collections/ /tmp/collections/']},
        'options': {'package_manager_path': '/usr/bin/dnf'},
    }
    with open(os.path.join(ee_dir, 'execution-environment.yml'), 'w') as handle:
        yaml.safe_dump(definition, handle, sort_keys=False)
    context = os.path.join(ee_dir, 'context')
    run([os.path.join(BIN, 'ansible-builder'), 'create', '--file', 'execution-environment.yml', '--context', context,
         '--output-filename', 'Containerfile'], cwd=ee_dir)

    build = os.path.join(context, '_build')
    with open(os.path.join(context, 'Containerfile')) as handle:
        containerfile = handle.read()
    assert 'COPY _build/collections/ /tmp/collections/' in containerfile
    assert re.search(r'ansible-galaxy collection install .*-r requirements.yml', containerfile)
    assert 'introspect.py introspect' in containerfile
    assert os.path.isfile(os.path.join(build, 'collections', name))
    with open(os.path.join(build, 'requirements.yml')) as handle:
        galaxy_requirements = yaml.safe_load(handle)
    assert galaxy_requirements['collections'] == [{'name': '/tmp/collections/' + name, 'type': 'file'}]

    # galaxy stage: install what requirements.yml names (the tarball, at its path in the context)
    collections = os.path.join(ee_dir, 'usr-share-ansible-collections')
    local_requirements = os.path.join(ee_dir, 'requirements-local.yml')
    with open(local_requirements, 'w') as handle:
        yaml.safe_dump({'collections': [{'name': os.path.join(build, 'collections', name), 'type': 'file'}]}, handle)
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '-r', local_requirements, '-p', collections],
        cwd=ee_dir, env={'ANSIBLE_HOME': os.path.join(work, '.ansible-home')})
    # builder stage: the context's introspect.py collects every installed collection's requirements
    pip_out, bindep_out = os.path.join(ee_dir, 'pip.txt'), os.path.join(ee_dir, 'bindep.txt')
    run([sys.executable, os.path.join(build, 'scripts', 'introspect.py'), 'introspect', collections,
         '--write-pip=' + pip_out, '--write-bindep=' + bindep_out], cwd=ee_dir)
    pip_lines = [line.split('#')[0].strip() for line in requirement_lines(pip_out)]
    bindep_lines = [line.split('#')[0].strip() for line in requirement_lines(bindep_out)]
    assert pip_lines == requirement_lines(os.path.join(ROOT, 'requirements.txt'))
    assert bindep_lines == requirement_lines(os.path.join(ROOT, 'bindep.txt'))
    for package in ('azure-mgmt-compute', 'azure-identity', 'jmespath'):
        assert any(line.startswith(package) for line in pip_lines), package


# ------------------------------------------------------------------ a job as AWX runs it
def job_events(artifacts):
    folder = os.path.join(artifacts, 'job_events')
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name)) as handle:
            yield json.load(handle)


def test_ansible_runner_job_with_awx_azure_credential(installed, simulator, work):
    pdd = os.path.join(work, 'runner')
    for sub in ('project', 'env', 'inventory'):
        os.makedirs(os.path.join(pdd, sub))
    # The project holds no credentials: the playbook only imports the collection's playbook.
    with open(os.path.join(pdd, 'project', 'safe_maintenance.yml'), 'w') as handle:
        handle.write('---\n- name: Safe maintenance, as an AWX job template runs it\n'
                     '  ansible.builtin.import_playbook: %s.safe_maintenance\n' % FQCN)
    with open(os.path.join(pdd, 'inventory', 'hosts'), 'w') as handle:
        handle.write('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    # A job template survey's answers arrive as extra variables.
    survey = {
        'safe_maintenance_resource_group': 'rg-demo',
        'safe_maintenance_scale_set': 'vmss-web',
        'safe_maintenance_max_batch_instance_percent': 20,
        'safe_maintenance_poll_interval': 1,
    }
    with open(os.path.join(pdd, 'env', 'extravars'), 'w') as handle:
        yaml.safe_dump(survey, handle)
    credential = awx_credential_env(simulator)
    envvars = dict(credential)
    # In AWX the execution environment has the collection installed; here: the tarball's installed copy.
    envvars.update({'ANSIBLE_COLLECTIONS_PATH': installed, 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
                    'ANSIBLE_HOME': os.path.join(work, '.ansible-home'), 'ANSIBLE_NOCOLOR': '1'})
    with open(os.path.join(pdd, 'env', 'envvars'), 'w') as handle:
        yaml.safe_dump(envvars, handle)

    for folder in ('project', 'inventory'):
        for dirpath, _dirs, files in os.walk(os.path.join(pdd, folder)):
            for name in files:
                with open(os.path.join(dirpath, name)) as handle:
                    text = handle.read()
                for key in ('AZURE_SECRET', 'AZURE_CLIENT_ID', 'AZURE_TENANT'):
                    assert credential[key] not in text, '%s appears in %s' % (key, name)

    proc = subprocess.run([os.path.join(BIN, 'ansible-runner'), 'run', pdd, '-p', 'safe_maintenance.yml',
                           '--ident', 'job'], cwd=work, timeout=420, check=False, universal_newlines=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=dict(os.environ, PATH=BIN + os.pathsep + os.environ.get('PATH', '')))
    artifacts = os.path.join(pdd, 'artifacts', 'job')
    with open(os.path.join(artifacts, 'status')) as handle:
        status = handle.read().strip()
    assert proc.returncode == 0 and status == 'successful', 'ansible-runner: rc %s, status %s\n%s' % (
        proc.returncode, status, proc.stdout[-8000:])

    report = None
    for event in job_events(artifacts):
        data = event.get('event_data', {})
        # The role prints a summary; the report itself is the fact its 'Report | Compose the report' task sets.
        if event.get('event') == 'runner_on_ok' and data.get('task') == 'Report | Compose the report':
            report = data['res']['ansible_facts']['safe_maintenance_report']
    assert report is not None, 'no report in the job events'
    totals = report['totals']
    assert report['aborted'] is False, report['abort_reason']
    assert report['check_mode'] is False
    assert totals['instances'] == 12
    assert totals['eligible'] == 10 and totals['maintained'] == 10, totals
    assert totals['batches_done'] == totals['batches_planned'] > 1, totals
    assert report['remaining_instance_ids'] == []
    assert sorted(s['instance_id'] for s in report['skipped_instances']) == ['11', '9']
    with open(os.path.join(artifacts, 'stdout')) as handle:
        stdout = handle.read()
    assert simulator['secret'] not in stdout, 'the secret appears in the job output'
