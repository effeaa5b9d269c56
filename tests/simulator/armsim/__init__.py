"""Local Azure Resource Manager + Azure AD simulator for the azure_vmss.maintenance collection.

Serves, over real HTTPS, the parts of ARM (Microsoft.Compute scale sets) and Azure AD (v2.0 token
endpoint) that the collection uses, so that unmodified azure-identity and azure-mgmt-compute run
against it. See README.md in tests/simulator for the scenario format, the control API, the route
names and the layout of this package.

Comments starting with "UNVERIFIED:" mark behaviour no public source settled; the choice made and
the reason are given there.
"""

from .clouds import PROXY_HOSTS
from .core import Simulator
from .state import SCENARIO_DIR, load_scenario

__all__ = ["PROXY_HOSTS", "SCENARIO_DIR", "Simulator", "load_scenario"]
