# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep each role's README variable table in step with its meta/argument_specs.yml.

    python tests/release/role_readme.py            # check: exit 1 and say what differs
    python tests/release/role_readme.py --write    # regenerate the table between the markers

The table sits between the lines BEGIN and END below in roles/<role>/README.md. Every option of the
role's `main` entry point is one row: name, type, required or its default, description. The check also
compares the defaults with roles/<role>/defaults/main.yml, so the three files cannot drift apart.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEGIN = '<!-- BEGIN variables: generated from meta/argument_specs.yml by tests/release/role_readme.py --write -->'
END = '<!-- END variables -->'

# Ansible markup in argument_specs -> Markdown
_MARKUP = [
    (re.compile(r'[CVO]\(([^)]*)\)'), r'`\1`'),
    (re.compile(r'I\(([^)]*)\)'), r'*\1*'),
    (re.compile(r'B\(([^)]*)\)'), r'**\1**'),
]


def markdown(text):
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return text.replace('|', '\\|').replace('\n', ' ')


def default_text(value):
    """How a default reads in the table: YAML-ish scalars, JSON for lists and dicts."""
    if value is None:
        return 'not set'
    if isinstance(value, bool):
        return '`%s`' % str(value).lower()
    if isinstance(value, str):
        return '`""`' if value == '' else '`%s`' % value
    if isinstance(value, (list, dict)):
        return '`%s`' % json.dumps(value)
    return '`%s`' % value


def type_text(option):
    kind = option.get('type', 'str')
    if kind == 'list' and option.get('elements'):
        return 'list of %s' % option['elements']
    return kind


def table(options):
    rows = ['| variable | type | default | description |', '| --- | --- | --- | --- |']
    for name, option in options.items():
        description = option.get('description', '')
        if isinstance(description, list):
            description = ' '.join(description)
        if option.get('choices'):
            description += ' One of %s.' % ', '.join('`%s`' % c for c in option['choices'])
        default = '**required**' if option.get('required') else default_text(option.get('default'))
        rows.append('| `%s` | %s | %s | %s |' % (name, type_text(option), default, markdown(description)))
    return '\n'.join(rows)


def check_role(role, write):
    role_dir = os.path.join(ROOT, 'roles', role)
    with open(os.path.join(role_dir, 'meta', 'argument_specs.yml')) as handle:
        options = yaml.safe_load(handle)['argument_specs']['main'].get('options') or {}
    problems = []
    defaults_file = os.path.join(role_dir, 'defaults', 'main.yml')
    if os.path.isfile(defaults_file):
        with open(defaults_file) as handle:
            defaults = yaml.safe_load(handle) or {}
        for name, option in options.items():
            if option.get('required'):
                continue
            if name not in defaults:
                problems.append('%s: %s has a default in argument_specs but is not in defaults/main.yml' % (role, name))
            elif defaults[name] != option.get('default'):
                problems.append('%s: %s defaults to %r in argument_specs but %r in defaults/main.yml'
                                % (role, name, option.get('default'), defaults[name]))
        for name in defaults:
            if name not in options:
                problems.append('%s: %s is in defaults/main.yml but not in argument_specs' % (role, name))

    readme_path = os.path.join(role_dir, 'README.md')
    if not os.path.isfile(readme_path):
        return problems + ['%s: roles/%s/README.md does not exist' % (role, role)]
    with open(readme_path) as handle:
        readme = handle.read()
    if BEGIN not in readme or END not in readme:
        return problems + ['%s: README.md lacks the markers %s ... %s' % (role, BEGIN, END)]
    head, rest = readme.split(BEGIN, 1)
    current, tail = rest.split(END, 1)
    wanted = '\n' + table(options) + '\n'
    if current != wanted:
        if write:
            with open(readme_path, 'w') as handle:
                handle.write(head + BEGIN + wanted + END + tail)
            print('rewrote the variable table of roles/%s/README.md' % role)
        else:
            have = set(re.findall(r'^\| `([a-z0-9_]+)` \|', current, re.M))
            missing = [name for name in options if name not in have]
            extra = sorted(have - set(options))
            problems.append('%s: README.md variable table differs from argument_specs.yml (missing %s, unknown %s, '
                            'or a type/default/description changed); run tests/release/role_readme.py --write'
                            % (role, missing or 'none', extra or 'none'))
    # Every variable and its default must be in the README (also when someone edits the table by hand).
    for name, option in options.items():
        row = [line for line in readme.splitlines() if line.startswith('| `%s` |' % name)]
        expected = '**required**' if option.get('required') else default_text(option.get('default'))
        if not row and not write:
            problems.append('%s: %s is not in README.md' % (role, name))
        elif row and expected not in row[0]:
            problems.append('%s: README.md row of %s does not show its default %s' % (role, name, expected))
    return problems


def main(argv):
    write = '--write' in argv
    roles = sorted(d for d in os.listdir(os.path.join(ROOT, 'roles'))
                   if os.path.isfile(os.path.join(ROOT, 'roles', d, 'meta', 'argument_specs.yml')))
    problems = []
    for role in roles:
        problems.extend(check_role(role, write))
    for problem in problems:
        print('role README: ' + problem)
    if not problems:
        print('role README: %d role(s) in step with argument_specs.yml: %s' % (len(roles), ', '.join(roles)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
