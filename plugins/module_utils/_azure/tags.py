# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags at a resource's scope: ARM's Tags API (``{scope}/providers/Microsoft.Resources/tags/default``).

The Tags API is Microsoft.Resources, not Compute, so azure-mgmt-compute has no method for it; the requests go
through the Compute client's own pipeline (ComputeClient.send_request), not another SDK package. Writing tags
this way is an operation on the ``Microsoft.Resources/tags`` extension resource, not an update of the scale set
(no PUT/PATCH of ``virtualMachineScaleSets/{name}``), which is why the lease uses it: see the lease guide.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.azure_vmss.maintenance.plugins.module_utils._answers.times import arm_time

# The newest stable api-version of Microsoft.Resources that has the Tags operations (azure-rest-api-specs,
# specification/resources/resource-manager/Microsoft.Resources/resources/stable/2025-04-01/resources.json).
TAGS_API_VERSION = '2025-04-01'

TAG_PERMISSION_HINT = ('Writing the maintenance lease needs Microsoft.Resources/tags/write on the scale set (for '
                       'example the Tag Contributor role), or set the lease off.')


def tags_path(scope_id):
    return scope_id.rstrip('/') + '/providers/Microsoft.Resources/tags/default'


class ScopeTags(object):
    """The tags of one resource, read and written through the Tags API."""

    def __init__(self, client, scope_id, target):
        self.client = client
        self.path = tags_path(scope_id)
        self.target = target
        self.last_time = None  # ARM's clock at the last answer, when it sent a Date header

    def _send(self, method, operation, body=None):
        _status, headers, data = self.client.send_request(method, self.path, TAGS_API_VERSION, body=body,
                                                          operation=operation, target=self.target)
        self.last_time = arm_time(headers)
        return dict(((data or {}).get('properties') or {}).get('tags') or {})

    def get(self):
        return self._send('GET', 'read the tags of {target}')

    def merge(self, tags):
        """Add or overwrite ``tags``, leaving the others as they are; returns the tags ARM answered with."""
        return self._send('PATCH', 'write tags %s on {target}' % ', '.join(sorted(tags)),
                          body={'operation': 'Merge', 'properties': {'tags': dict(tags)}})

    def delete(self, tags):
        """Delete ``tags`` given by name and value."""
        return self._send('PATCH', 'delete tags %s from {target}' % ', '.join(sorted(tags)),
                          body={'operation': 'Delete', 'properties': {'tags': dict(tags)}})
