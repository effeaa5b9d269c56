# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replay stage: imports (the collection as ansible_collections.azure_vmss.maintenance, the simulator's
armsim) and one replay server for the session."""
import atexit
import contextlib
import os
import shutil
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
for path in (HERE, os.path.join(ROOT, 'tests', 'simulator')):
    if path not in sys.path:
        sys.path.insert(0, path)


def _collections_path():
    """A folder that holds ansible_collections/azure_vmss/maintenance: the build copy's own, else a link made
    for this session (a plain checkout is not laid out as a collection)."""
    parts = ROOT.split(os.sep)
    if parts[-3:] == ['ansible_collections', 'azure_vmss', 'maintenance']:
        return os.sep.join(parts[:-3])
    top = tempfile.mkdtemp(prefix='replay-collections-')
    atexit.register(shutil.rmtree, top, True)
    os.makedirs(os.path.join(top, 'ansible_collections', 'azure_vmss'))
    os.symlink(ROOT, os.path.join(top, 'ansible_collections', 'azure_vmss', 'maintenance'))
    return top


sys.path.insert(0, _collections_path())

from server import ReplayServer  # noqa: E402


@contextlib.contextmanager
def trusting(ca_bundle):
    old = os.environ.get('REQUESTS_CA_BUNDLE')
    os.environ['REQUESTS_CA_BUNDLE'] = ca_bundle
    try:
        yield
    finally:
        if old is None:
            os.environ.pop('REQUESTS_CA_BUNDLE', None)
        else:
            os.environ['REQUESTS_CA_BUNDLE'] = old


@pytest.fixture(scope='session')
def replay_server():
    with ReplayServer() as server, trusting(server.ca_bundle):
        yield server
