# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: scale_sets
short_description: Azure virtual machine scale sets as inventory hosts, with their maintenance status
version_added: 0.2.0
description:
  - Lists the scale sets of one or more Azure subscriptions, each as one host, for the
    R(fleet playbook,ansible_collections.azure_vmss.maintenance.docsite.guide_awx) or any play that works on scale sets
    from the controller (C(connection=local)).
  - One paged request list per subscription (Virtual Machine Scale Sets - List All, one request per page).
  - With O(maintenance_status=true), also one paged VM list (C($expand=instanceView)) per kept scale set, for the
    instance counts by maintenance state and the earliest self-service deadline. Those lists share Compute's
    per-subscription high-cost-get budget (a bucket of 1,080, refilled 360 a minute); the plugin reads the
    remaining count from every answer's C(x-ms-ratelimit-remaining-resource) header and slows down before the
    bucket runs dry, and azure-core waits as told by C(Retry-After) on a 429.
  - Filters (O(resource_groups), O(name_patterns), O(tags), O(locations)) are applied to the listed scale sets
    before any VM list is read, so they also cut the cost of O(maintenance_status).
  - Host names are C(<scale set>_<resource group>) in lower case. When the same pair occurs in more than one
    subscription, each such host gets C(_<first 8 characters of the subscription id>) appended.
  - 'Groups: C(location_<location>), C(subscription_<subscription id with _ for ->), and with O(maintenance_status=true)
    C(maintenance_pending) (scale sets with at least one instance still to maintain, eligible or not).'
  - 'Host variables: C(azure_subscription_id), C(azure_resource_group), C(azure_scale_set), C(azure_id),
    C(azure_location), C(azure_zones), C(azure_capacity), C(azure_sku), C(azure_upgrade_policy_mode),
    C(azure_orchestration_mode), C(azure_tags); with O(maintenance_status=true) also C(azure_maintenance_counts)
    (C(eligible), C(already_maintained), C(not_eligible), C(not_in_wave)), C(azure_maintenance_pending) (eligible
    plus not eligible) and C(azure_maintenance_deadline) (the earliest C(preMaintenanceWindowEndTime) of an instance
    still to maintain, or null). For a Flexible scale set these three are null: its VMs are not read.'
  - Authentication is the modules' own, with the same options and order (options in the inventory file, the
    environment an AWX Azure credential injects, the credential file, the Azure CLI login, managed identity).
    Secrets are never shown, also not in error messages.
requirements:
  - azure-mgmt-compute >= 38.0.0
  - azure-identity >= 1.19.0
extends_documentation_fragment:
  - azure_vmss.maintenance.azure
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; the file must be named C(*.azure_vmss.yml) or C(*.azure_vmss.yaml).
    required: true
    type: str
    choices: [azure_vmss.maintenance.scale_sets]
  subscriptions:
    description:
      - The subscriptions to list. When not set, the one subscription the credentials name (O(subscription_id),
        E(AZURE_SUBSCRIPTION_ID) or the credential file).
    type: list
    elements: str
  resource_groups:
    description: Keep only scale sets in these resource groups (case-insensitive).
    type: list
    elements: str
  name_patterns:
    description: Keep only scale sets whose name matches one of these shell patterns (C(vmss-web-*); case-insensitive).
    type: list
    elements: str
  tags:
    description:
      - Keep only scale sets with every one of these tags. A value keeps that value, a list any of its values,
        null any value.
    type: dict
  locations:
    description: Keep only scale sets in these locations (C(westeurope); case-insensitive).
    type: list
    elements: str
  maintenance_status:
    description:
      - Also read each kept scale set's VMs (one paged VM list per scale set) for the maintenance counts, the
        earliest deadline and the C(maintenance_pending) group.
    type: bool
    default: false
  maintenance_status_workers:
    description: How many VM lists are read at once with O(maintenance_status=true).
    type: int
    default: 4
'''

EXAMPLES = r'''
# fleet.azure_vmss.yml: every scale set of two subscriptions, credentials from the environment (AWX)
plugin: azure_vmss.maintenance.scale_sets
subscriptions:
  - 22222222-2222-4222-8222-222222222222
  - 33333333-3333-4333-8333-333333333333

# pending.azure_vmss.yml: the web scale sets of production with their maintenance status, cached for an hour
plugin: azure_vmss.maintenance.scale_sets
name_patterns: ['vmss-web-*']
tags: {env: prod}
locations: [westeurope, northeurope]
maintenance_status: true
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/azure_vmss
cache_timeout: 3600
keyed_groups:
  - key: azure_tags.env | default('untagged')
    prefix: env
groups:
  deadline_soon: azure_maintenance_deadline is not none and azure_maintenance_deadline < '2026-12-10'
compose:
  safe_maintenance_max_batch_instance_percent: 10 if azure_capacity > 100 else 20
'''

import os
import time

from ansible.errors import AnsibleParserError
from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.azure_vmss.maintenance.plugins.module_utils import arguments
from ansible_collections.azure_vmss.maintenance.plugins.plugin_utils import inventory as fleet
from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.errors import AzureVmssError, redact

AUTH_OPTIONS = tuple(arguments.AZURE_AUTH_ARGS)
FILTER_OPTIONS = ('subscriptions', 'resource_groups', 'name_patterns', 'tags', 'locations')


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'azure_vmss.maintenance.scale_sets'

    def __init__(self):
        super(InventoryModule, self).__init__()
        self._secrets = ()
        self.requests_sent = 0

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(('.azure_vmss.yml', '.azure_vmss.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        options = dict((name, self.get_option(name)) for name in FILTER_OPTIONS)
        problems = fleet.filter_problems(options)
        if problems:
            raise AnsibleParserError('%s: %s' % (path, '; '.join(problems)))
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache') and cache
        records = None
        if use_cache:
            try:
                records = self._cache[cache_key]
            except KeyError:
                records = None
        if records is None:
            try:
                records = self._read(options)
            except AzureVmssError as exc:
                raise AnsibleParserError('%s: %s' % (path, redact(exc.msg, self._secrets)))
            if self.get_option('cache'):
                self._cache[cache_key] = records
        self._populate(records)

    # -- reading Azure ----------------------------------------------------------------------------
    def _clients(self, subscriptions):
        """One ComputeClient per subscription, on one credential (its token serves them all)."""
        from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure import factory
        package = factory.missing_package()
        if package:
            raise AzureVmssError('The scale_sets inventory needs the Python package %s on the controller: '
                                 'pip install -r <collection path>/requirements.txt' % package)
        params = dict((name, self.get_option(name)) for name in AUTH_OPTIONS)
        plan = factory.auth_plan(params, os.environ)
        self._secrets = plan.secrets
        if not subscriptions:
            if not plan.subscription_id:
                raise AzureVmssError('no subscription to list: set subscriptions (or subscription_id) in the inventory '
                                     'file, AZURE_SUBSCRIPTION_ID, or subscription_id in the credential file profile')
            subscriptions = [plan.subscription_id]
        for sub in subscriptions:
            problem = arguments.subscription_id_error(sub)
            if problem:
                raise AzureVmssError('subscriptions: %r %s.' % (sub, problem))
        clients = factory.compute_clients(plan, subscriptions, ANSIBLE_VERSION, **self._client_options())
        return list(zip(subscriptions, clients))

    def _client_options(self):
        """Extra ComputeClient options; the unit tests give a fake transport here."""
        return {}

    def _read(self, options):
        started = time.time()
        clients = self._clients(options.get('subscriptions'))
        records = []
        for sub, client in clients:
            for scale_set in client.list_all_scale_sets():
                hostvars = fleet.host_vars(scale_set, sub)
                if fleet.keep(hostvars, options):
                    records.append((client, hostvars))
        if self.get_option('maintenance_status'):
            self._read_maintenance(records)
        self.requests_sent = sum(client.requests_sent for _sub, client in clients)
        self.display.vv('azure_vmss.maintenance.scale_sets: %d scale sets from %d subscription(s) in %d ARM requests, '
                        '%.2f s' % (len(records), len(clients), self.requests_sent, time.time() - started))
        return [hostvars for _client, hostvars in records]

    def _read_maintenance(self, records):
        from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.fan_out import fan_out
        from ansible_collections.azure_vmss.maintenance.plugins.module_utils._azure.client import ScaleSetRef

        def read(record):
            client, hostvars = record
            if hostvars['azure_orchestration_mode'] == 'Flexible':
                # Flexible VMs are not in the scale-set VM list (ARM refuses it): no status, not guessed
                hostvars.update(azure_maintenance_counts=None, azure_maintenance_pending=None,
                                azure_maintenance_deadline=None)
                return
            # The answers of this subscription's earlier lists say how much of its budget is left.
            delay = fleet.pace_delay(client.rate_limit.get(fleet.HIGH_COST_GET_SUBSCRIPTION_HEADER))
            if delay:
                time.sleep(delay)
            vms = client.list_instances(ScaleSetRef(hostvars['azure_resource_group'], hostvars['azure_scale_set']))
            hostvars.update(fleet.maintenance_summary(vms))

        if not records:
            return
        # one token before the workers start, or each would ask Azure AD for its own
        records[0][0]._credential.get_token(records[0][0]._scope)
        workers = max(1, min(int(self.get_option('maintenance_status_workers') or 1), len(records)))
        if workers > 1:
            records[0][0].set_up_models()  # or two workers' first VM pages can race the SDK's model set-up
        fan_out(read, records, workers)

    # -- the inventory ----------------------------------------------------------------------------
    def _populate(self, records):
        strict = self.get_option('strict')
        maintenance = self.get_option('maintenance_status')
        if maintenance:
            self.inventory.add_group('maintenance_pending')
        for name, hostvars in zip(fleet.host_names(records), records):
            self.inventory.add_host(name)
            for key, value in hostvars.items():
                self.inventory.set_variable(name, key, value)
            for group in (fleet.group_name('location', hostvars['azure_location'] or 'unknown'),
                          fleet.group_name('subscription', hostvars['azure_subscription_id'])):
                self.inventory.add_group(group)
                self.inventory.add_child(group, name)
            if maintenance and hostvars.get('azure_maintenance_pending'):
                self.inventory.add_child('maintenance_pending', name)
            self._set_composite_vars(self.get_option('compose'), hostvars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), hostvars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, name, strict=strict)
