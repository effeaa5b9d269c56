# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/run-tests' summary names what failed in a failed stage (its failure_lines function, run by bash on a
stage log with one failure of each kind, among lines that must not be picked)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess

RUN_TESTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'run-tests')

STAGE_LOG = '''\
TASK [perform_maintenance : Refuse an unknown instance] ****
fatal: [testhost]: FAILED! => {"msg": "expected refusal"}
...ignoring
TASK [perform_maintenance : Maintain instance 0] ****
fatal: [testhost]: FAILED! => {"msg": "boom"}
PLAY RECAP *****
ERROR: Command "ansible-playbook perform_maintenance.yml" returned exit status 2.
tests/unit/plugins/test_x.py::test_fine PASSED
FAILED tests/unit/plugins/test_x.py::test_wait - AssertionError: 0.88 < 0.9
load-failure[yaml]: Failed to load YAML file (warning)
roles/safe_maintenance/tasks/broken.yml:6:1 did not find expected node content
Failed: 1 failure(s), 0 warning(s) in 22 files processed of 25 encountered.
VIOLATION twice (ss-004): scenario 4 of seed 7, ...
  replay: tests/run-campaign --seed 7 --only 4
bite zones          caught
bite floor          NOT CAUGHT
run-tests: docs: failed: antsibull-changelog lint
  File "x.py", line 3, in <module>
'''

PICKED = [
    'TASK [perform_maintenance : Maintain instance 0] ****',
    'fatal: [testhost]: FAILED! => {"msg": "boom"}',
    'ERROR: Command "ansible-playbook perform_maintenance.yml" returned exit status 2.',
    'FAILED tests/unit/plugins/test_x.py::test_wait - AssertionError: 0.88 < 0.9',
    'load-failure[yaml]: Failed to load YAML file (warning)',
    'roles/safe_maintenance/tasks/broken.yml:6:1 did not find expected node content',
    'Failed: 1 failure(s), 0 warning(s) in 22 files processed of 25 encountered.',
    'VIOLATION twice (ss-004): scenario 4 of seed 7, ...',
    '  replay: tests/run-campaign --seed 7 --only 4',
    'bite floor          NOT CAUGHT',
    'run-tests: docs: failed: antsibull-changelog lint',
]


def failure_lines(log_path, env=None):
    script = 'eval "$(sed -n \'/^failure_lines() {/,/^}/p\' "$0")"; failure_lines "$1"'
    return subprocess.run(['bash', '-c', script, RUN_TESTS, str(log_path)], check=True, capture_output=True,
                          text=True, env=env).stdout.splitlines()


def test_the_summary_names_each_failure_and_nothing_that_passed_or_was_ignored(tmp_path):
    log = tmp_path / 'stage-integration.log'
    log.write_text(STAGE_LOG)
    assert failure_lines(log) == PICKED


def test_the_summary_keeps_at_most_failure_lines_lines(tmp_path):
    log = tmp_path / 'stage-units.log'
    log.write_text(''.join('FAILED tests/unit/test_%d.py::test - x\n' % i for i in range(100)))
    env = dict(os.environ, FAILURE_LINES='3')
    assert failure_lines(log, env) == ['FAILED tests/unit/test_%d.py::test - x' % i for i in range(3)]
    assert len(failure_lines(log)) == 40
