"""Discovery documents, derived from the resource table.

Legacy (``/api``, ``/apis``, ``/api/v1``, ``/apis/{g}/{v}``, ``/apis/{g}``) and aggregated
(``apidiscovery.k8s.io`` v2 and v2beta1, chosen by the exact ``v=`` the client asks
for: kubectl 1.29 understands only v2beta1). Shapes per
staging/src/k8s.io/apiserver/pkg/endpoints/discovery and sim-wire.md §3.1.
"""

from __future__ import annotations

from typing import Any

from chaoszone.sim.resources import RESOURCES, ResourceType, group_versions

__all__ = [
    "aggregated",
    "aggregated_version",
    "api_group",
    "api_group_list",
    "api_versions",
    "resource_list",
]

_AGG = "application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList"


def aggregated_version(accept: str | None) -> str | None:
    """``v2`` or ``v2beta1`` when the client asked for aggregated discovery, else None."""
    if not accept:
        return None
    for clause in accept.split(","):
        parts = [p.strip() for p in clause.split(";")]
        params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if (parts[0] == "application/json" and params.get("g") == "apidiscovery.k8s.io"
                and params.get("as") == "APIGroupDiscoveryList"
                and params.get("v") in ("v2", "v2beta1")):
            return params["v"]
        if parts[0] in ("application/json", "*/*") and "g" not in params:
            return None
    return None


def content_type(version: str) -> str:
    return _AGG.format(v=version)


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_entry(group: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{g}/{v}", "version": v}
                for g, v in group_versions() if g == group]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list() -> dict[str, Any]:
    groups: list[str] = []
    for g, _ in group_versions():
        if g and g not in groups:
            groups.append(g)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group_entry(g) for g in groups]}


def api_group(group: str) -> dict[str, Any] | None:
    if not any(g == group for g, _ in group_versions()) or not group:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(group)}


def _verbs(rt: ResourceType) -> list[str]:
    verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    return verbs


#: resources that only take a POST and keep nothing, so they have no row in RESOURCES:
#: (group, version, plural, kind, verbs). ``bindings`` is LegacyBindingREST.
_CREATE_ONLY = (("", "v1", "bindings", "Binding", ("create",)),)


def resource_list(group: str, version: str) -> dict[str, Any] | None:
    rts = [r for r in RESOURCES if r.group == group and r.version == version]
    if not rts:
        return None
    resources: list[dict[str, Any]] = [
        {"name": plural, "singularName": kind.lower(), "namespaced": True, "kind": kind,
         "verbs": list(verbs)}
        for g, v, plural, kind, verbs in _CREATE_ONLY if (g, v) == (group, version)]
    for rt in rts:
        entry: dict[str, Any] = {
            "name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced,
            "kind": rt.kind, "verbs": _verbs(rt),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        for sub in rt.subresources:
            sub_entry: dict[str, Any] = {
                "name": f"{rt.plural}/{sub.name}", "singularName": "",
                "namespaced": rt.namespaced, "kind": sub.kind, "verbs": list(sub.verbs),
            }
            if sub.group:
                sub_entry["group"], sub_entry["version"] = sub.group, sub.version
            resources.append(sub_entry)
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version, "resources": resources}


def aggregated(core: bool, version: str) -> dict[str, Any]:
    """The aggregated list for ``/api`` (core) or ``/apis`` (every named group)."""
    items: list[dict[str, Any]] = []
    groups: list[str] = []
    for g, _ in group_versions():
        if (g == "") == core and g not in groups:
            groups.append(g)
    for group in groups:
        versions = []
        for g, v in group_versions():
            if g != group:
                continue
            resources = [
                {"resource": plural, "responseKind": {"group": g, "version": v, "kind": kind},
                 "scope": "Namespaced", "singularResource": kind.lower(), "verbs": list(verbs)}
                for cg, cv, plural, kind, verbs in _CREATE_ONLY if (cg, cv) == (g, v)]
            for rt in RESOURCES:
                if rt.group != g or rt.version != v:
                    continue
                entry: dict[str, Any] = {
                    "resource": rt.plural,
                    "responseKind": {"group": g, "version": v, "kind": rt.kind},
                    "scope": "Namespaced" if rt.namespaced else "Cluster",
                    "singularResource": rt.singular,
                    "verbs": _verbs(rt),
                }
                if rt.short_names:
                    entry["shortNames"] = list(rt.short_names)
                if rt.categories:
                    entry["categories"] = list(rt.categories)
                if rt.subresources:
                    entry["subresources"] = [
                        {"subresource": s.name,
                         "responseKind": {"group": s.group if s.group else g,
                                          "version": s.version if s.group else v,
                                          "kind": s.kind},
                         "verbs": list(s.verbs)}
                        for s in rt.subresources
                    ]
                resources.append(entry)
            versions.append({"version": v, "resources": resources, "freshness": "Current"})
        items.append({"metadata": {"name": group, "creationTimestamp": None}, "versions": versions})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}",
            "metadata": {}, "items": items}
