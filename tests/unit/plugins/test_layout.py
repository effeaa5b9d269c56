# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layers of plugins/module_utils, read from the source's ASTs: no import cycle, each layer imports only
the layers below it, and only _azure talks to Azure. A new file that breaks the layering fails here with the
import that does."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import os

import pytest

from ansible_collections.azure_vmss.maintenance.plugins.module_utils import version

PACKAGE = 'ansible_collections.azure_vmss.maintenance.plugins.'
PLUGINS = os.path.dirname(os.path.dirname(os.path.abspath(version.__file__)))

# What each part may import of the collection (module plumbing at the top of module_utils may import all).
ALLOWED = {
    'module_utils._answers': ('module_utils._answers',),
    'module_utils._decisions': ('module_utils._answers', 'module_utils._decisions', 'module_utils.arguments'),
    'module_utils._azure': ('module_utils._answers', 'module_utils._azure', 'module_utils.version'),
}


def _sources():
    for part in ('module_utils', 'plugin_utils'):
        for folder, _dirs, files in os.walk(os.path.join(PLUGINS, part)):
            for name in sorted(files):
                if name.endswith('.py') and name != '__init__.py':
                    path = os.path.join(folder, name)
                    yield os.path.relpath(path, PLUGINS)[:-3].replace(os.sep, '.'), path


SOURCES = dict(_sources())


def _imports(path):
    """Every module an import names, at any depth (imports inside functions count: they run too)."""
    names = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update('%s.%s' % (node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _internal(path):
    return sorted(set(name[len(PACKAGE):] for name in _imports(path)
                      if name.startswith(PACKAGE) and name[len(PACKAGE):] in SOURCES))


GRAPH = dict((name, _internal(path)) for name, path in SOURCES.items())


def test_the_tree_is_what_the_layering_test_reads():
    assert 'module_utils._azure.client' in GRAPH and 'module_utils._decisions.plan' in GRAPH
    assert 'module_utils._answers.instances' in GRAPH['module_utils._decisions.plan']


def test_no_import_cycle():
    done, path = set(), []

    def visit(name):
        if name in path:
            raise AssertionError('import cycle: ' + ' -> '.join(path[path.index(name):] + [name]))
        if name in done:
            return
        path.append(name)
        for other in GRAPH[name]:
            visit(other)
        path.pop()
        done.add(name)

    for name in sorted(GRAPH):
        visit(name)


@pytest.mark.parametrize('name', sorted(GRAPH))
def test_each_layer_imports_only_the_layers_below(name):
    part = next((p for p in ALLOWED if name.startswith(p + '.')), None)
    if part is None:
        return  # module plumbing and plugin_utils sit on top
    wrong = [other for other in GRAPH[name] if not other.startswith(ALLOWED[part])]
    assert not wrong, '%s may import only %s, not %s' % (name, ', '.join(ALLOWED[part]), ', '.join(wrong))


@pytest.mark.parametrize('name', sorted(SOURCES))
def test_only_the_azure_layer_imports_azure(name):
    azure = sorted(n for n in _imports(SOURCES[name]) if n == 'azure' or n.startswith(('azure.', 'msal')))
    if name.startswith('module_utils._azure.'):
        return
    assert not azure, '%s imports %s: requests to Azure belong in module_utils/_azure' % (name, ', '.join(azure))


def test_module_utils_stays_small_at_the_top_and_in_each_file():
    top = [n for n in os.listdir(os.path.join(PLUGINS, 'module_utils')) if n.endswith('.py')]
    assert len(top) <= 6, sorted(top)
    long_files = dict((name, n) for name, n in ((name, len(open(path).read().splitlines()))
                                                for name, path in SOURCES.items()) if n > 400)
    assert not long_files, long_files
