"""Microsoft.Resources tags at a resource's scope (the Tags API): GET, PUT, PATCH (Merge, Replace, Delete) and
DELETE of ``{scale set id}/providers/Microsoft.Resources/tags/default``, as Azure's REST reference describes
them (Tags - Get/Create Or Update/Update/Delete At Scope, api-version 2025-04-01).

The tags are the scale set's own ``tags`` (what its GET shows). Writing them is not a model change: no VM's
latestModelApplied moves (Azure's "Modify a Virtual Machine Scale Set" ties that to updates of the model; the
Tags API writes the Microsoft.Resources/tags extension resource). UNVERIFIED: whether Compute records a new
model version internally when ARM hands it a tag change; no public source says.
"""

from .wire import Resp, cloud_error

TAGS_TYPE = "Microsoft.Resources/tags"
MAX_TAGS = 50
MAX_VALUE = 256
BAD_NAME_CHARS = set('<>%&\\?/')


def _body(v):
    # The REST reference's examples show the scope as the id; the service answers the tags resource's own id
    # with name and type. UNVERIFIED which one a live answer carries; clients read only properties.tags.
    return {"id": v.id + "/providers/Microsoft.Resources/tags/default", "name": "default", "type": TAGS_TYPE,
            "properties": {"tags": dict(v.tags)}}


def _find(tags, name):
    """The stored spelling of tag `name` (tag names are case-insensitive), or None."""
    return next((k for k in tags if k.lower() == name.lower()), None)


def _check(tags):
    """A CloudError for tags Azure would refuse, else None."""
    if not isinstance(tags, dict):
        return cloud_error(400, "InvalidRequestContent", "The request content was invalid and could not be "
                           "deserialized: properties.tags must be an object.")
    for name, value in tags.items():
        if not name or set(name) & BAD_NAME_CHARS:
            return cloud_error(400, "InvalidTagNameCharacters", "The tag names '%s' have reserved characters '<,>,"
                               "%%,&,\\,?,/' or control characters." % name)
        if value is not None and len(str(value)) > MAX_VALUE:
            # UNVERIFIED code: the documented limit is 256 characters per value
            return cloud_error(400, "InvalidTagValueLength", "The tag value for tag '%s' exceeds the maximum "
                               "length of %d characters." % (name, MAX_VALUE))
    return None


def _store(v, tags):
    if len(tags) > MAX_TAGS:
        # UNVERIFIED code: "The specified entity can have a maximum of 50 tags at the end of the operation."
        return cloud_error(400, "TooManyTags", "The resource can have at most %d tags; the operation would leave "
                           "%d." % (MAX_TAGS, len(tags)))
    v.tags = tags
    return Resp(200, _body(v))


def tags_get(sim, req):
    return Resp(200, _body(req.vmss))


def tags_put(sim, req):
    tags = ((req.body or {}).get("properties") or {}).get("tags") if isinstance(req.body, dict) else None
    err = _check(tags if tags is not None else {})
    return err or _store(req.vmss, {str(k): str(val) for k, val in (tags or {}).items()})


def tags_patch(sim, req):
    v, body = req.vmss, req.body
    if not isinstance(body, dict):
        return cloud_error(400, "InvalidRequestContent", "The request content was invalid and could not be "
                           "deserialized.")
    operation = str(body.get("operation") or "")
    given = (body.get("properties") or {}).get("tags")
    err = _check(given if given is not None else {})
    if err:
        return err
    given = given or {}
    tags = dict(v.tags)
    if operation.lower() == "replace":
        tags = {str(k): str(val) for k, val in given.items()}
    elif operation.lower() == "merge":
        for name, value in given.items():
            # UNVERIFIED: an existing tag keeps its stored spelling when merged under another case
            tags[_find(tags, name) or str(name)] = str(value)
    elif operation.lower() == "delete":
        for name, value in given.items():
            stored = _find(tags, name)
            # "selectively deleting tags based on given names or name/value pairs": with a value, only a tag
            # holding that value goes. UNVERIFIED: an empty value is taken as "by name".
            if stored is not None and (value in (None, "") or str(value) == tags[stored]):
                del tags[stored]
    else:
        return cloud_error(400, "InvalidRequestContent", "The value '%s' of 'operation' is invalid: use Replace, "
                           "Merge or Delete." % operation, target="operation")
    return _store(v, tags)


def tags_delete(sim, req):
    req.vmss.tags = {}
    return Resp(200, None)
