# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modules a run imports through a dependency but never uses, executed on first use instead of on import.

A module run is one process start, and some packages import more than the run needs at their top:
azure-identity's ``_internal`` package imports its certificate support, and with it most of
``cryptography``, whichever credential is chosen. Importing the chosen credential from its own submodule
does not help: Python runs the package ``__init__`` first, and azure-identity's imports every credential.

``defer`` uses the standard library's ``importlib.util.LazyLoader``: the module is in ``sys.modules`` at
once, and its code runs the first time one of its attributes is read. Nothing changes for code that uses
it (it only runs later). It saves only where the module is bound from its parent
(``from cryptography import x509``): ``import x`` of the module itself reads ``x.__spec__`` and so loads it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import sys

# What azure-identity's certificate support (``_internal/aadclient_certificate.py``, 1.19 and later)
# binds from the parent package at import time and uses only when a certificate is loaded or signs an
# assertion. Names it imports as classes (``rsa.RSAPrivateKey``, ``backends.default_backend``) load anyway;
# ``serialization`` cannot wait: cryptography 50 replaces that module in sys.modules as it runs (its
# deprecation wrapper), which a lazy load refuses. x509 and padding do not (checked in cryptography
# 2.5, 3.4, 36, 41, 44 and 50).
CERTIFICATE_ONLY = (
    'cryptography.x509',
    'cryptography.hazmat.primitives.asymmetric.padding',
)


def unused_by(credential_kind):
    """The modules a run with this credential kind (auth.AuthPlan.kind) imports but never uses."""
    return () if credential_kind == 'service_principal_certificate' else CERTIFICATE_ONLY


def defer(names):
    """Make each module named (not yet imported) run on first attribute access. Returns the names deferred.

    A name that is already imported, not installed, or whose loader cannot run it lazily is left to the
    ordinary import. Call it from a module's own process only, before the importing package loads: the
    first use of a deferred module from two threads at once is not safe in older Pythons (CPython
    gh-114763), and a controller process (the inventory plugin) runs other collections' code too.
    """
    from importlib.util import LazyLoader, find_spec, module_from_spec

    deferred = []
    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = find_spec(name)  # imports the parent packages (light ones: their __init__ only)
        except (ImportError, ValueError):
            continue
        if spec is None or spec.loader is None or name in sys.modules:
            continue
        try:
            spec.loader = LazyLoader(spec.loader)
        except TypeError:  # a loader without exec_module cannot run lazily
            continue
        module = module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        parent, _dot, child = name.rpartition('.')
        if parent:
            # What the ordinary import does, so `import a.b; a.b.x` finds it.
            setattr(sys.modules[parent], child, module)
        deferred.append(name)
    return deferred
