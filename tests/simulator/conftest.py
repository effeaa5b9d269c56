import contextlib
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from armsim import Simulator  # noqa: E402


@contextlib.contextmanager
def trusting(ca_bundle):
    """REQUESTS_CA_BUNDLE set to the simulator's CA (the machine points it at the system bundle), then restored."""
    old = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = ca_bundle
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = old


@contextlib.contextmanager
def trusted(simulator):
    """A started simulator whose CA the SDK trusts while the block runs."""
    with simulator as s, trusting(s.ca_bundle):
        yield s


@pytest.fixture(scope="session")
def sim():
    # time scale 0.01: one scenario minute of maintenance takes 0.6 s
    with trusted(Simulator(scenario="basic", time_scale=0.01, seed=1)) as s:
        yield s


@pytest.fixture(autouse=True)
def fresh(request):
    """Every test starts from the initial scenario state (tokens survive a reset)."""
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").reset()
    yield


@pytest.fixture(scope="session")
def credential(sim):
    from azure.identity import ClientSecretCredential
    c = sim.connection
    return ClientSecretCredential(c["tenant"], c["client_id"], c["secret"], authority=sim.base_url,
                                  disable_instance_discovery=True)


def make_client(sim, credential, **kw):
    from azure.mgmt.compute import ComputeManagementClient
    return ComputeManagementClient(credential, sim.connection["subscription_id"], base_url=sim.base_url,
                                   credential_scopes=[sim.base_url + "/.default"], **kw)


@pytest.fixture(scope="session")
def client(sim, credential):
    return make_client(sim, credential)


@pytest.fixture(scope="session")
def token(sim, credential):
    return credential.get_token(sim.base_url + "/.default").token
