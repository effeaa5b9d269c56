"""Print the pip version whose bootstrap script the installed ansible-test looks for.

ansible-test caches its pip bootstrap script as ~/.ansible/test/cache/get_pip_<version>.py, with
<version> = get_venv_packages(python)['pip'] from ansible_test/_internal/python_requirements.py
(24.2 for ansible-core 2.19, 23.1.2 for 2.16).  Run with the interpreter that has ansible-core.

usage: python pip_bootstrap_version.py [PYTHON_VERSION]
"""

import os
import re
import sys
import types


def from_function(python_version):
    """Ask ansible-test itself."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_test._internal.python_requirements import get_venv_packages

    return get_venv_packages(types.SimpleNamespace(version=python_version))['pip']


def from_source():
    """Fallback: read the default pip version from the source of get_venv_packages."""
    # pylint: disable-next=import-outside-toplevel
    import ansible_test

    path = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')

    with open(path, encoding='utf-8') as source_file:
        source = source_file.read()

    match = re.search(r"default_packages = dict\(\s*pip='([^']+)'", source)

    if not match:
        raise SystemExit('cannot find the pip bootstrap version in %s' % path)

    return match.group(1)


def main():
    python_version = sys.argv[1] if len(sys.argv) > 1 else '%d.%d' % sys.version_info[:2]

    try:
        version = from_function(python_version)
    except Exception:  # pylint: disable=broad-exception-caught
        version = from_source()

    print(version)


if __name__ == '__main__':
    main()
