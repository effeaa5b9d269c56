"""Write tests/integration/integration_config.yml from the simulator's connection file.

ansible-test strips the environment before it runs integration targets and passes the keys of
integration_config.yml to every target as variables; the targets rely on exactly these names.

usage: python write_integration_config.py CONNECTION_JSON OUTPUT_YML [SCENARIO]
"""

import json
import os
import sys

import yaml

# variable name -> key in the simulator's connection file
VARIABLES = {
    'azure_vmss_sim_url': 'resource_manager_url',
    'azure_vmss_sim_ca': 'ca_bundle',
    'azure_vmss_sim_tenant': 'tenant',
    'azure_vmss_sim_client_id': 'client_id',
    'azure_vmss_sim_secret': 'secret',
    'azure_vmss_sim_subscription_id': 'subscription_id',
    'azure_vmss_sim_certificate_path': 'client_certificate_path',
    'azure_vmss_sim_control_url': 'control_url',
    'azure_vmss_sim_https_proxy': 'https_proxy',   # the simulator's proxy listener (target proxy_mode)
}


def main():
    connection_path, output_path = sys.argv[1:3]
    scenario = sys.argv[3] if len(sys.argv) > 3 else None

    with open(connection_path, encoding='utf-8') as connection_file:
        connection = json.load(connection_file)

    missing = sorted(key for key in VARIABLES.values() if key not in connection)

    if missing:
        print('warning: simulator connection file lacks: %s' % ', '.join(missing), file=sys.stderr)

    config = {name: connection.get(key) for name, key in VARIABLES.items()}
    config['azure_vmss_sim_connection'] = connection

    if scenario:
        config['azure_vmss_sim_scenario'] = scenario

    # Where async tasks keep their results. Ansible's default, ~/.ansible_async, is expanded twice and not alike:
    # the job (async_wrapper) expands it with $HOME, async_status with the user's passwd home. When HOME is a
    # folder of its own (CI, containers), async_status then finds no job. An absolute folder in the copy's
    # git-ignored tests/output is the same for both, whatever HOME is.
    config['ansible_async_dir'] = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(output_path))), 'output', 'async')

    with open(output_path, 'w', encoding='utf-8') as output_file:
        output_file.write('# Written by tests/run-tests from the running simulator; do not commit.\n')
        yaml.safe_dump(config, output_file, default_flow_style=False, sort_keys=False)


if __name__ == '__main__':
    main()
