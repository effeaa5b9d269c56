"""The scale-set VM list of a Flexible scale set, as real Azure answers it.

Recorded by the Azure CLI at api-versions 2021-07-01 to 2023-09-01 (the project's shared recordings, README
"What the recordings show"): 200 with stub items, each only `name`, `id`, `type`, `location`, `instanceId`
(the VM's `{scale set}_{8 hex}` name) and `zones: [null]`, no `properties`; paged like the Uniform list.
Not the 409 `OperationNotAllowed` that some user reports quote for other scale-set VM calls."""

from .arm import paginate
from .wire import VM_TYPE, Resp


def stub(i):
    v = i.vmss
    name = i.id  # a Flexible instance's id is its VM name
    return {"name": name, "id": "%s/virtualMachines/%s" % (v.id, name), "type": VM_TYPE,
            "location": v.location, "instanceId": name, "zones": [None]}


def vm_list(sim, req):
    v = req.vmss
    body, err = paginate(req, list(v.instances.values()), v.vm_page_size, keep_params=("$expand", "$select", "$filter"),
                         build=stub)
    return err or Resp(200, body)
