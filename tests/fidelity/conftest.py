# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fidelity stage: the simulator (armsim) in this process, and the recorded answers of tests/replay."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
for path in (HERE, os.path.join(ROOT, 'tests', 'simulator'), os.path.join(ROOT, 'tests', 'replay')):
    if path not in sys.path:
        sys.path.insert(0, path)
