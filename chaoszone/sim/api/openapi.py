"""The ``/openapi/v3`` documents: the root index and one OpenAPI 3.0 document per served
group/version, derived from :data:`chaoszone.sim.resources.RESOURCES` and the schema table.

kubectl reads them for two things (docs/sim-wire.md §3.1): to learn that a kind's PATCH
accepts the ``fieldValidation`` query parameter (so ``create -f``/``apply -f`` validate on
the server) and, for ``kubectl explain``, the kinds' schemas. The layout follows
kube-apiserver's own documents (kubernetes/kubernetes ``api/openapi-spec/v3``): a path per
collection, item and subresource, operations tagged with ``x-kubernetes-action`` and
``x-kubernetes-group-version-kind``, and ``components.schemas`` holding every definition
the paths reach.

Documents and their hashes are computed once per process and cached; callers must not
mutate the returned dicts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from chaoszone.sim import schema
from chaoszone.sim.resources import RESOURCES, ResourceType, Subresource, group_versions

__all__ = [
    "group_version_bytes",
    "group_version_document",
    "group_version_hash",
    "group_version_path",
    "root_document",
]

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_STATUS = _META + "Status"
_DELETE_OPTIONS = _META + "DeleteOptions"
_PATCH = _META + "Patch"
_WATCH_EVENT = _META + "WatchEvent"

_RESPONSE_TYPES = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")
_PATCH_TYPES = ("application/apply-patch+yaml", "application/json-patch+json",
                "application/merge-patch+json", "application/strategic-merge-patch+json")
# Deleting these returns the object (it lingers while graceful deletion runs).
_DELETE_RETURNS_OBJECT = {("", "pods"), ("", "persistentvolumes"),
                          ("", "persistentvolumeclaims")}


def _query(name: str, kind: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description,
            "schema": {"type": kind, "uniqueItems": True}}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "uniqueItems": True}}


_PRETTY = _query("pretty", "string", "If 'true', the output is pretty printed.")
_DRY_RUN = _query("dryRun", "string", "When present (only 'All' is valid), the request is "
                  "processed but not persisted.")
_FIELD_MANAGER = _query("fieldManager", "string", "A name for the actor making the change, "
                        "recorded in managedFields. Required for apply patches.")
_FIELD_VALIDATION = _query("fieldValidation", "string", "How to treat unknown or duplicate "
                           "fields in the request body: Ignore, Warn (default) or Strict.")
_FORCE = _query("force", "boolean", "Re-acquire fields owned by other managers on apply. "
                "Must be unset for non-apply patches.")
_LIST_PARAMS = [
    _query("allowWatchBookmarks", "boolean", "Ask for BOOKMARK watch events."),
    _query("continue", "string", "The continue token of a previous chunked list."),
    _query("fieldSelector", "string", "Restrict the list by fields."),
    _query("labelSelector", "string", "Restrict the list by labels."),
    _query("limit", "integer", "The maximum number of items to return."),
    _query("resourceVersion", "string", "Which resource version the list or watch starts "
           "from."),
    _query("resourceVersionMatch", "string", "How resourceVersion applies to a list."),
    _query("sendInitialEvents", "boolean", "Start a watch with the current state."),
    _query("timeoutSeconds", "integer", "How long a list or watch may last."),
    _query("watch", "boolean", "Watch for changes instead of listing."),
]
_DELETE_PARAMS = [
    _DRY_RUN,
    _query("gracePeriodSeconds", "integer", "Seconds before the object is deleted."),
    _query("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean",
           "Delete objects that cannot be read from storage."),
    _query("orphanDependents", "boolean", "Deprecated: use propagationPolicy."),
    _query("propagationPolicy", "string", "Orphan, Background or Foreground."),
]


def group_version_path(group: str, version: str) -> str:
    """The key of a group/version in the root document: ``api/v1`` or ``apis/apps/v1``."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


def root_document(base_hash: str = "") -> dict[str, Any]:
    """The ``/openapi/v3`` index: where each group/version document is, with its hash.

    ``base_hash`` is mixed into every hash; pass something that changes when the served
    documents may change between simulator builds (kubectl caches documents by URL).
    """
    return {"paths": {
        group_version_path(g, v): {
            "serverRelativeURL": f"/openapi/v3/{group_version_path(g, v)}"
                                 f"?hash={group_version_hash(g, v, base_hash)}"}
        for g, v in group_versions()}}


def group_version_document(group: str, version: str) -> dict[str, Any] | None:
    """The OpenAPI 3.0 document for one served group/version, or None if not served."""
    return _document(group, version)


def group_version_bytes(group: str, version: str) -> bytes | None:
    """:func:`group_version_document` serialised once, for serving and hashing."""
    return _serialised(group, version)


def group_version_hash(group: str, version: str, base_hash: str = "") -> str | None:
    """Upper-case hex SHA-512 of the document (kube-openapi's handler3 uses the same form)."""
    body = _serialised(group, version)
    if body is None:
        return None
    return hashlib.sha512(base_hash.encode() + body).hexdigest().upper()


@cache
def _serialised(group: str, version: str) -> bytes | None:
    doc = _document(group, version)
    if doc is None:
        return None
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


@cache
def _document(group: str, version: str) -> dict[str, Any] | None:
    served = [r for r in RESOURCES if (r.group, r.version) == (group, version)]
    if not served:
        return None
    paths: dict[str, Any] = {}
    roots: set[str] = {_STATUS, _DELETE_OPTIONS, _PATCH, _WATCH_EVENT}
    for rt in served:
        _resource_paths(rt, paths, roots)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": {name: _definition(name) for name in _closure(roots)}},
    }


# -- paths ---------------------------------------------------------------------------------


def _camel(group: str) -> str:
    """``rbac.authorization.k8s.io`` -> ``RbacAuthorization``; core -> ``Core``."""
    if not group:
        return "Core"
    return "".join(p[:1].upper() + p[1:] for p in group.removesuffix(".k8s.io").split("."))


def _tag(rt: ResourceType) -> str:
    camel = _camel(rt.group)
    return f"{camel[:1].lower()}{camel[1:]}_{rt.version}"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _gvk(group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group, "kind": kind, "version": version}


def _responses(type_name: str, *codes: tuple[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        code: {"description": text,
               "content": {t: {"schema": _ref(type_name)} for t in _RESPONSE_TYPES}}
        for code, text in codes}
    out["401"] = {"description": "Unauthorized"}
    return out


def _operation(action: str, op_id: str, description: str, rt: ResourceType,
               gvk: dict[str, str], params: list[dict[str, Any]],
               responses: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"description": description, "operationId": op_id}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = body
    op.update({"responses": responses, "tags": [_tag(rt)], "x-kubernetes-action": action,
               "x-kubernetes-group-version-kind": gvk})
    return op


def _body(type_name: str, types: tuple[str, ...] = ("*/*",)) -> dict[str, Any]:
    return {"content": {t: {"schema": _ref(type_name)} for t in types}, "required": True}


def _type_name(group: str, version: str, kind: str, roots: set[str]) -> str:
    name = schema.type_for_kind(group, version, kind)
    if name is None:
        raise LookupError(f"no schema for {group}/{version} {kind}")
    roots.add(name)
    return name


def _resource_paths(rt: ResourceType, paths: dict[str, Any], roots: set[str]) -> None:
    kind_type = _type_name(rt.group, rt.version, rt.kind, roots)
    list_type = _type_name(rt.group, rt.version, rt.list_kind, roots)
    gvk = _gvk(rt.group, rt.version, rt.kind)
    gv = _camel(rt.group) + rt.version.capitalize()
    scope = "Namespaced" if rt.namespaced else ""
    prefix = f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"
    ns = "/namespaces/{namespace}" if rt.namespaced else ""
    ns_params = [_path_param("namespace", "object name and auth scope, such as for teams "
                             "and projects")] if rt.namespaced else []
    name_param = _path_param("name", f"name of the {rt.kind}")
    deleted = kind_type if rt.key in _DELETE_RETURNS_OBJECT else _STATUS

    paths[f"{prefix}{ns}/{rt.plural}"] = {
        "parameters": [*ns_params, _PRETTY],
        "get": _operation("list", f"list{gv}{scope}{rt.kind}", f"list or watch {rt.kind}",
                          rt, gvk, _LIST_PARAMS, _responses(list_type, ("200", "OK"))),
        "post": _operation("post", f"create{gv}{scope}{rt.kind}", f"create a {rt.kind}", rt,
                           gvk, [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION],
                           _responses(kind_type, ("200", "OK"), ("201", "Created"),
                                      ("202", "Accepted")), _body(kind_type)),
        "delete": _operation("deletecollection", f"delete{gv}Collection{scope}{rt.kind}",
                             f"delete collection of {rt.kind}", rt, gvk,
                             [*_DELETE_PARAMS, *_LIST_PARAMS],
                             _responses(_STATUS, ("200", "OK")), _body(_DELETE_OPTIONS)),
    }
    paths[f"{prefix}{ns}/{rt.plural}/{{name}}"] = {
        "parameters": [name_param, *ns_params, _PRETTY],
        "get": _operation("get", f"read{gv}{scope}{rt.kind}", f"read the specified {rt.kind}",
                          rt, gvk, [], _responses(kind_type, ("200", "OK"))),
        "put": _operation("put", f"replace{gv}{scope}{rt.kind}",
                          f"replace the specified {rt.kind}", rt, gvk,
                          [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION],
                          _responses(kind_type, ("200", "OK"), ("201", "Created")),
                          _body(kind_type)),
        "patch": _operation("patch", f"patch{gv}{scope}{rt.kind}",
                            f"partially update the specified {rt.kind}", rt, gvk,
                            [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION, _FORCE],
                            _responses(kind_type, ("200", "OK"), ("201", "Created")),
                            _body(_PATCH, _PATCH_TYPES)),
        "delete": _operation("delete", f"delete{gv}{scope}{rt.kind}",
                             f"delete a {rt.kind}", rt, gvk, _DELETE_PARAMS,
                             _responses(deleted, ("200", "OK"), ("202", "Accepted")),
                             _body(_DELETE_OPTIONS)),
    }
    if rt.namespaced:
        paths[f"{prefix}/{rt.plural}"] = {
            "parameters": [_PRETTY],
            "get": _operation("list", f"list{gv}{rt.kind}ForAllNamespaces",
                              f"list or watch {rt.kind} in all namespaces", rt, gvk,
                              _LIST_PARAMS, _responses(list_type, ("200", "OK"))),
        }
    for sub in rt.subresources:
        paths[f"{prefix}{ns}/{rt.plural}/{{name}}/{sub.name}"] = _subresource_path(
            rt, sub, gv, scope, [name_param, *ns_params, _PRETTY], roots)


def _subresource_path(rt: ResourceType, sub: Subresource, gv: str, scope: str,
                      params: list[dict[str, Any]], roots: set[str]) -> dict[str, Any]:
    group = sub.group if sub.version else rt.group
    version = sub.version or rt.version
    type_name = _type_name(group, version, sub.kind, roots)
    gvk = _gvk(group, version, sub.kind)
    suffix = sub.name.capitalize()
    base = f"{gv}{scope}{rt.kind}{suffix}"
    entry: dict[str, Any] = {"parameters": params}
    if "get" in sub.verbs:
        if sub.name == "log":
            entry["get"] = _operation(
                "get", f"read{base}", f"read {sub.name} of the specified {rt.kind}", rt, gvk,
                [_query("container", "string", "The container to read from."),
                 _query("follow", "boolean", "Stream the log."),
                 _query("previous", "boolean", "Read the previous instance's log."),
                 _query("tailLines", "integer", "Lines from the end to show."),
                 _query("timestamps", "boolean", "Prefix lines with timestamps.")],
                {"200": {"description": "OK",
                         "content": {"text/plain": {"schema": {"type": "string"}}}},
                 "401": {"description": "Unauthorized"}})
        else:
            entry["get"] = _operation("get", f"read{base}",
                                      f"read {sub.name} of the specified {rt.kind}", rt, gvk,
                                      [], _responses(type_name, ("200", "OK")))
    if "update" in sub.verbs:
        entry["put"] = _operation("put", f"replace{base}",
                                  f"replace {sub.name} of the specified {rt.kind}", rt, gvk,
                                  [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION],
                                  _responses(type_name, ("200", "OK"), ("201", "Created")),
                                  _body(type_name))
    if "patch" in sub.verbs:
        entry["patch"] = _operation("patch", f"patch{base}",
                                    f"partially update {sub.name} of the specified {rt.kind}",
                                    rt, gvk, [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION,
                                              _FORCE],
                                    _responses(type_name, ("200", "OK"), ("201", "Created")),
                                    _body(_PATCH, _PATCH_TYPES))
    if "create" in sub.verbs:
        entry["post"] = _operation("post", f"create{base}", f"create {sub.name} of a {rt.kind}",
                                   rt, gvk, [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION],
                                   _responses(type_name, ("200", "OK"), ("201", "Created"),
                                              ("202", "Accepted")), _body(type_name))
    return entry


# -- schemas --------------------------------------------------------------------------------


def _refs(node: Mapping[str, Any]) -> list[str]:
    found = [node["ref"]] if "ref" in node else []
    for key in ("items", "values"):
        if key in node:
            found.extend(_refs(node[key]))
    for prop in node.get("properties", {}).values():
        found.extend(_refs(prop))
    return found


def _closure(roots: set[str]) -> list[str]:
    seen: set[str] = set()
    todo = sorted(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        raw = schema.raw_definition(name)
        if raw is None:
            continue
        seen.add(name)
        todo.extend(r for r in _refs(raw) if r not in seen)
    return sorted(seen)


_EXTENSIONS = (("patchStrategy", "x-kubernetes-patch-strategy"),
               ("mergeKey", "x-kubernetes-patch-merge-key"),
               ("listType", "x-kubernetes-list-type"),
               ("mapKeys", "x-kubernetes-list-map-keys"),
               ("mapType", "x-kubernetes-map-type"))


def _property(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A stored property in upstream's v3 form (a described ``$ref`` goes in ``allOf``)."""
    out: dict[str, Any] = {}
    if "ref" in raw:
        if raw.get("description"):
            out["allOf"] = [_ref(raw["ref"])]
        else:
            out.update(_ref(raw["ref"]))
    if raw.get("description"):
        out["description"] = raw["description"]
    for key in ("type", "format", "enum", "default"):
        if key in raw:
            out[key] = raw[key]
    if "items" in raw:
        out["items"] = _property(raw["items"])
    if "values" in raw:
        out["additionalProperties"] = _property(raw["values"])
    for key, extension in _EXTENSIONS:
        if key in raw:
            out[extension] = raw[key]
    return out


def _definition(name: str) -> dict[str, Any]:
    raw = schema.raw_definition(name)
    assert raw is not None
    out: dict[str, Any] = {}
    if raw.get("description"):
        out["description"] = raw["description"]
    if "oneOf" in raw:
        out["oneOf"] = [{"type": t} for t in raw["oneOf"]]
    for key in ("type", "format"):
        if key in raw:
            out[key] = raw[key]
    if "properties" in raw:
        out["properties"] = {k: _property(v) for k, v in raw["properties"].items()}
    if "required" in raw:
        out["required"] = list(raw["required"])
    if "gvk" in raw:
        out["x-kubernetes-group-version-kind"] = [dict(g) for g in raw["gvk"]]
    if "mapType" in raw:
        out["x-kubernetes-map-type"] = raw["mapType"]
    return out
