"""Offline stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test creates its virtual environments without pip and then runs
``~/.ansible/test/cache/get_pip_<version>.py <pip options> <packages> [--no-setuptools] [--no-wheel]``
to put pip into them.  It would download the real get-pip.py from a host these machines cannot
reach, unless a file already sits at that cache path.  tests/run-tests copies this file there.

What it does instead: bootstrap pip from the interpreter's bundled wheel (ensurepip), then let that
pip install the requested packages (e.g. ``pip==24.2``) through the machine's normal pip
configuration (package mirror, CA certificate, wheel cache).
"""

import ensurepip
import os
import subprocess
import sys

DROPPED_OPTIONS = ('--no-setuptools', '--no-wheel')


def main():
    args = [arg for arg in sys.argv[1:] if arg not in DROPPED_OPTIONS]

    ensurepip.bootstrap(upgrade=True)

    # ensurepip sets PIP_CONFIG_FILE=/dev/null in this process; with it, pip would ignore the
    # machine's configuration (mirror, CA bundle) and fail.
    os.environ.pop('PIP_CONFIG_FILE', None)

    if '--no-setuptools' in sys.argv[1:]:
        # Python 3.11's ensurepip also installs setuptools, which get-pip.py would have left out.
        subprocess.call([sys.executable, '-m', 'pip', 'uninstall', '--yes', '--quiet', 'setuptools'])

    if not any(not arg.startswith('-') for arg in args):
        return 0  # nothing to install beyond the bundled pip

    return subprocess.call([sys.executable, '-m', 'pip', 'install'] + args)


if __name__ == '__main__':
    sys.exit(main())
