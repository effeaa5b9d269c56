# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy the recorded Azure answers that concern the collection into tests/replay/recordings/pairs.jsonl.

A development tool, run by hand when the shared recordings change: nothing in the project reads ../shared at
run time. Usage: python tests/replay/copy_recordings.py [../shared/recordings/pairs.jsonl]

What is kept of each pair: source (upstream repository, path, commit), interaction_index, method, uri,
request_body, status, response_body, and of the response headers only those the collection or the SDK reads
(content type, the LRO and paging headers, Retry-After, x-ms-ratelimit-*). Added: ``kind`` (kinds.py) and
``scene`` (the recording file and the scale set, VM or scope it concerns). Pairs of operations the collection
never sends are left out and counted by kind in recordings/SKIPPED.json.
"""
from __future__ import absolute_import, division, print_function

import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kinds import kind_of, not_sent_kind, split_uri  # noqa: E402

KEPT_HEADERS = ('content-type', 'azure-asyncoperation', 'location', 'retry-after', 'retry-after-ms',
                'x-ms-retry-after-ms')


def header_kept(name):
    name = name.lower()
    return name in KEPT_HEADERS or name.startswith('x-ms-ratelimit-')


def flat_headers(headers):
    out = {}
    for name, value in (headers or {}).items():
        if header_kept(name):
            out[name.lower()] = value[0] if isinstance(value, list) and len(value) == 1 else value
    return out


def scene_target(kind, path, body):
    lowered = path.lower()
    match = re.search(r'/resourcegroups/([^/]+)/providers/microsoft\.compute/virtualmachinescalesets/([^/]+)', lowered)
    if match:
        return 'vmss/%s/%s' % match.groups()
    if kind == 'vm_list':
        return None  # by its $filter's scale set, below
    match = re.search(r'/resourcegroups/([^/]+)/providers/microsoft\.compute/virtualmachines/([^/]+)', lowered)
    if match:
        owner = ((body or {}).get('properties') or {}).get('virtualMachineScaleSet') if isinstance(body, dict) else None
        if owner and owner.get('id'):
            return scene_target('vmss_get', owner['id'], None)
        return 'vm/%s/%s' % match.groups()
    if kind in ('tags_get', 'tags_patch'):
        return 'tags' + lowered.split('/providers/microsoft.resources/tags')[0]
    if kind == 'alerts_list':
        return 'alerts'
    if kind == 'throttled':
        return 'throttled'
    return None


def describe_other(method, uri):
    """``POST manualupgrade``, ``PUT virtualMachineScaleSets``: what an unused request did."""
    segments = split_uri(uri)[0].rstrip('/').split('/')
    return '%s %s' % (method, segments[-1] if method == 'POST' else segments[-2])


def undo_missed_sanitising(pair):
    """The Azure CLI's recorder renamed the lower-case resource group (``cli_test_..._000001``) but not Azure's
    upper-case spelling of its real name in the Flexible VM list's items (``CLI_TEST_..._5RXRZT...``). Put the
    sanitised name back in upper case: the items then differ from the request only in case, as they did live."""
    path = split_uri(pair['uri'])[0]
    match = re.search(r'/resourceGroups/([^/]+)/', path, re.I)
    if not match or not isinstance(pair['response_body'], dict):
        return pair
    sanitised = match.group(1)
    prefix = re.sub(r'\d+$', '', sanitised).lower()
    text = json.dumps(pair['response_body'])

    def fix(found):
        name = found.group(2)
        if name != sanitised and name.isupper() and name.lower().startswith(prefix):
            return found.group(1) + sanitised.upper()
        return found.group(0)
    pair['response_body'] = json.loads(re.sub(r'(/resourceGroups/)([^/"]+)', fix, text, flags=re.I))
    return pair


def main(argv):
    source = argv[1] if len(argv) > 1 else os.path.join(HERE, '..', '..', '..', 'shared', 'recordings', 'pairs.jsonl')
    pairs = [json.loads(line) for line in open(source)]
    kept, skipped = [], collections.Counter()
    operation_scene = {}
    for pair in sorted(pairs, key=lambda p: (p['source'], p['interaction_index'])):
        kind = kind_of(pair['method'], pair['uri'])
        if kind is None and pair['status'] == 429:
            kind = 'throttled'  # ARM's throttling answer, whatever was asked: the collection must read it
        if kind is None:
            skipped[not_sent_kind(pair['method'], pair['uri']) or describe_other(pair['method'], pair['uri'])] += 1
            continue
        path, query = split_uri(pair['uri'])
        target = scene_target(kind, path, pair['response_body'])
        if kind == 'vm_list':
            wanted = dict((k.lower(), v) for k, v in query).get('$filter', '')
            match = re.search(r"'(/subscriptions/[^']+)'", wanted)
            target = scene_target('vmss_get', match.group(1), None) if match else 'vmlist/' + path.lower()
        if kind == 'operation_status':
            target = operation_scene.get(path.lower().rsplit('/', 1)[-1], 'operation/' + path.lower().rsplit('/', 1)[-1])
        if kind == 'vm_list':
            pair = undo_missed_sanitising(pair)
        headers = flat_headers(pair['response_headers'])
        for name in ('azure-asyncoperation', 'location'):
            if headers.get(name) and target:
                operation_scene[split_uri(headers[name])[0].lower().rsplit('/', 1)[-1]] = target
        kept.append(dict(source=pair['source'], interaction_index=pair['interaction_index'], kind=kind,
                         scene='%s#%s' % (pair['source'], target), method=pair['method'], uri=pair['uri'],
                         request_body=pair['request_body'], status=pair['status'], response_headers=headers,
                         response_body=pair['response_body']))
    out = os.path.join(HERE, 'recordings')
    with open(os.path.join(out, 'pairs.jsonl'), 'w') as handle:
        for pair in kept:
            handle.write(json.dumps(pair, sort_keys=True) + '\n')
    with open(os.path.join(out, 'SKIPPED.json'), 'w') as handle:
        json.dump(dict(total=len(pairs), kept=len(kept), not_sent_by_the_collection=dict(sorted(skipped.items()))),
                  handle, indent=1, sort_keys=True)
        handle.write('\n')
    print('kept %d of %d pairs in %d scenes; left out %s' % (len(kept), len(pairs), len(set(p['scene'] for p in kept)),
                                                             dict(skipped)))


if __name__ == '__main__':
    main(sys.argv)
