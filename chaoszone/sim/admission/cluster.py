"""Validation of the remaining core and small-group kinds: Namespace, Node, ConfigMap,
Secret, Event (core/v1 and events.k8s.io/v1), Lease, and the RBAC kinds.

* Namespace: ``spec.finalizers`` names (standard or fully qualified).
* Node: taints (:mod:`.tolerations`), ``podCIDRs`` valid CIDRs, at most one per family;
  on update ``podCIDR``/``podCIDRs`` and ``providerID`` may only go from empty to set.
* ConfigMap and Secret: keys, the 1 MiB total, Secret type rules; on update an
  ``immutable: true`` object keeps its data and stays immutable, and a Secret's type never
  changes.
* Event: ``involvedObject.namespace`` must agree with the event's namespace; new-style
  events (with ``eventTime``) need reporting controller, instance, action and reason;
  events.k8s.io events need ``eventTime`` and a type of Normal or Warning.
* Lease: durations and transition counts.
* RBAC: policy rules (verbs; API groups and resources, or non-resource URLs), role refs
  (kind, API group, name), subjects; a binding's ``roleRef`` cannot change.

Upstream (release-1.32): pkg/apis/core/validation/validation.go (``ValidateNamespace``,
``ValidateNode``, ``ValidateNodeUpdate``, ``ValidateConfigMap``, ``ValidateSecret`` and
their updates), pkg/apis/core/validation/events.go, pkg/apis/coordination/validation,
pkg/apis/rbac/validation/validation.go.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping
from typing import Any

from chaoszone.sim.admission import causes as c
from chaoszone.sim.admission.meta import validate_immutable
from chaoszone.sim.admission.names import (
    is_config_map_key,
    is_dns1123_subdomain,
    is_qualified_name,
    name_is_path_segment,
)
from chaoszone.sim.admission.podspec import semantic
from chaoszone.sim.admission.tolerations import validate_node_taints
from chaoszone.sim.errors import Cause

__all__ = [
    "validate_binding",
    "validate_binding_update",
    "validate_config_map",
    "validate_config_map_update",
    "validate_event",
    "validate_lease",
    "validate_namespace",
    "validate_node",
    "validate_node_update",
    "validate_role",
    "validate_secret",
    "validate_secret_update",
]

MAX_SECRET_SIZE = 1024 * 1024
_STANDARD_FINALIZERS = ("kubernetes", "orphan", "foregroundDeletion")
_IMMUTABLE_SET = "field is immutable when `immutable` is set"


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _seq(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


# -- Namespace ------------------------------------------------------------------------------------

def validate_namespace(obj: Mapping[str, Any]) -> list[Cause]:
    out: list[Cause] = []
    for f in _seq(_m(obj.get("spec")).get("finalizers")):
        name = str(f)
        out += [c.invalid("spec.finalizers", name, m) for m in is_qualified_name(name)]
        if "/" not in name and name not in _STANDARD_FINALIZERS:
            out.append(c.invalid("spec.finalizers", name, "name is neither a standard "
                                 "finalizer name nor is it fully qualified"))
    return out


# -- Node -----------------------------------------------------------------------------------------

def validate_node(obj: Mapping[str, Any]) -> list[Cause]:
    spec = _m(obj.get("spec"))
    out = validate_node_taints(_seq(spec.get("taints")), "spec.taints")
    cidrs = _seq(spec.get("podCIDRs"))
    families: set[int] = set()
    for i, cidr in enumerate(cidrs):
        try:
            net = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            out.append(c.invalid(c.index("spec.podCIDRs", i), cidr,
                                 "must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
                                 "2001:db8::/64)"))
            continue
        if net.version in families:
            out.append(c.invalid("spec.podCIDRs", c.string_slice_repr(cidrs),
                                 "may specify no more than one CIDR for each IP family"))
        families.add(net.version)
    if len(cidrs) > 2:
        out.append(c.invalid("spec.podCIDRs", c.string_slice_repr(cidrs),
                             "must be at most 2 entries"))
    return out


def validate_node_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    out = validate_node(new)
    new_spec, old_spec = _m(new.get("spec")), _m(old.get("spec"))
    old_cidrs = _seq(old_spec.get("podCIDRs"))
    if old_cidrs and _seq(new_spec.get("podCIDRs")) != old_cidrs:
        out.append(c.forbidden("spec.podCIDRs",
                               'node updates may not change podCIDR except from "" to valid'))
    old_provider = old_spec.get("providerID") or ""
    if old_provider and old_provider != (new_spec.get("providerID") or ""):
        out.append(c.forbidden("spec.providerID",
                               'node updates may not change providerID except from "" to valid'))
    return out


# -- ConfigMap and Secret -------------------------------------------------------------------------

def validate_config_map(obj: Mapping[str, Any]) -> list[Cause]:
    out: list[Cause] = []
    data, binary = _m(obj.get("data")), _m(obj.get("binaryData"))
    total = 0
    for k, v in data.items():
        out += [c.invalid(c.key("data", k), k, m) for m in is_config_map_key(str(k))]
        if k in binary:
            out.append(c.invalid(c.key("data", k), k, "duplicate of key present in binaryData"))
        total += len(str(v).encode())
    for k, v in binary.items():
        out += [c.invalid(c.key("binaryData", k), k, m) for m in is_config_map_key(str(k))]
        total += _decoded_len(v)
    if total > MAX_SECRET_SIZE:  # field.NewPath("") prints as "[]"
        out.append(c.too_long("[]", MAX_SECRET_SIZE))
    return out


def _immutable_data(new: Mapping[str, Any], old: Mapping[str, Any],
                    fields: tuple[str, ...]) -> list[Cause]:
    if old.get("immutable") is not True:
        return []
    out: list[Cause] = []
    if new.get("immutable") is not True:
        out.append(c.forbidden("immutable", _IMMUTABLE_SET))
    for name in fields:
        if semantic(_m(new.get(name))) != semantic(_m(old.get(name))):
            out.append(c.forbidden(name, _IMMUTABLE_SET))
    return out


def validate_config_map_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    return _immutable_data(new, old, ("data", "binaryData")) + validate_config_map(new)


def _decoded_len(value: Any) -> int:
    try:
        return len(base64.b64decode(str(value), validate=True))
    except (binascii.Error, ValueError):
        return len(str(value))


def validate_secret(obj: Mapping[str, Any]) -> list[Cause]:
    out: list[Cause] = []
    data = _m(obj.get("data"))
    total = 0
    for k, v in data.items():
        out += [c.invalid(c.key("data", k), k, m) for m in is_config_map_key(str(k))]
        total += _decoded_len(v)
    if total > MAX_SECRET_SIZE:
        out.append(c.too_long("data", MAX_SECRET_SIZE))
    kind = obj.get("type") or ""
    annotations = _m(_m(obj.get("metadata")).get("annotations"))
    if kind == "kubernetes.io/service-account-token":
        if not annotations.get("kubernetes.io/service-account.name"):
            out.append(c.required(c.key("metadata.annotations",
                                        "kubernetes.io/service-account.name")))
    elif kind == "kubernetes.io/dockercfg":
        if ".dockercfg" not in data:
            out.append(c.required(c.key("data", ".dockercfg")))
    elif kind == "kubernetes.io/dockerconfigjson":
        if ".dockerconfigjson" not in data:
            out.append(c.required(c.key("data", ".dockerconfigjson")))
    elif kind == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            out.append(c.required(c.key("data", "username")))
            out.append(c.required(c.key("data", "password")))
    elif kind == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            out.append(c.required(c.key("data", "ssh-privatekey")))
    elif kind == "kubernetes.io/tls":
        for k in ("tls.crt", "tls.key"):
            if k not in data:
                out.append(c.required(c.key("data", k)))
    return out


def validate_secret_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    out = validate_immutable(new.get("type") or "", old.get("type") or "", "type")
    return out + _immutable_data(new, old, ("data",)) + validate_secret(new)


# -- Event ----------------------------------------------------------------------------------------

def validate_event(obj: Mapping[str, Any], *, events_api: bool) -> list[Cause]:
    """``ValidateEventCreate``: legacy rules for core/v1, more for events.k8s.io/v1."""
    out: list[Cause] = []
    namespace = _m(obj.get("metadata")).get("namespace") or ""
    if events_api:
        involved_ns = _m(obj.get("regarding")).get("namespace") or ""
        controller_field = "reportingController"
    else:
        involved_ns = _m(obj.get("involvedObject")).get("namespace") or ""
        controller_field = "reportingComponent"
    controller = obj.get(controller_field) or ""
    if not obj.get("eventTime"):
        if involved_ns:
            if namespace != involved_ns:
                out.append(c.invalid("involvedObject.namespace", involved_ns,
                                     "does not match event.namespace"))
        elif namespace not in ("", "default"):
            out.append(c.invalid("involvedObject.namespace", involved_ns,
                                 "does not match event.namespace"))
    else:
        if not involved_ns and namespace not in ("default", "kube-system"):
            out.append(c.invalid("involvedObject.namespace", involved_ns,
                                 "does not match event.namespace"))
        if not controller:
            out.append(c.required(controller_field))
        out += [c.invalid(controller_field, controller, m)
                for m in is_qualified_name(str(controller))]
        instance = obj.get("reportingInstance") or ""
        if not instance:
            out.append(c.required("reportingInstance"))
        elif len(instance) > 128:
            out.append(c.invalid("reportingInstance", "", "can have at most 128 characters"))
        action = obj.get("action") or ""
        if not action:
            out.append(c.required("action"))
        elif len(action) > 128:
            out.append(c.invalid("action", "", "can have at most 128 characters"))
        reason = obj.get("reason") or ""
        if not reason:
            out.append(c.required("reason"))
        elif len(reason) > 128:
            out.append(c.invalid("reason", "", "can have at most 128 characters"))
        message = obj.get("note" if events_api else "message") or ""
        if len(message) > 1024:
            out.append(c.invalid("message", "", "can have at most 1024 characters"))
    if namespace:
        out += [c.invalid("namespace", namespace, m) for m in is_dns1123_subdomain(namespace)]
    if events_api:
        if not obj.get("eventTime"):
            out.append(c.required("eventTime"))
        kind = obj.get("type") or ""
        if kind not in ("Normal", "Warning"):
            out.append(c.invalid("type", "", f"has invalid value: {kind}"))
    return out


# -- Lease ----------------------------------------------------------------------------------------

def validate_lease(obj: Mapping[str, Any]) -> list[Cause]:
    spec = _m(obj.get("spec"))
    out: list[Cause] = []
    duration = spec.get("leaseDurationSeconds")
    if isinstance(duration, int) and duration <= 0:
        out.append(c.invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    transitions = spec.get("leaseTransitions")
    if isinstance(transitions, int) and transitions < 0:
        out.append(c.invalid("spec.leaseTransitions", transitions,
                             "must be greater than or equal to 0"))
    return out


# -- RBAC -----------------------------------------------------------------------------------------

def validate_role(obj: Mapping[str, Any], *, namespaced: bool) -> list[Cause]:
    """``ValidatePolicyRule`` for every rule of a Role or ClusterRole."""
    out: list[Cause] = []
    for i, raw in enumerate(_seq(obj.get("rules"))):
        rule = _m(raw)
        at = c.index("rules", i)
        if not _seq(rule.get("verbs")):
            out.append(c.required(c.join(at, "verbs"), "verbs must contain at least one value"))
        urls = _seq(rule.get("nonResourceURLs"))
        if urls:
            if namespaced:
                out.append(c.invalid(c.join(at, "nonResourceURLs"), c.string_slice_repr(urls),
                                     "namespaced rules cannot apply to non-resource URLs"))
            if _seq(rule.get("apiGroups")) or _seq(rule.get("resources")) or \
                    _seq(rule.get("resourceNames")):
                out.append(c.invalid(c.join(at, "nonResourceURLs"), c.string_slice_repr(urls),
                                     "rules cannot apply to both regular resources and "
                                     "non-resource URLs"))
            continue
        if not _seq(rule.get("apiGroups")):
            out.append(c.required(c.join(at, "apiGroups"),
                                  "resource rules must supply at least one api group"))
        if not _seq(rule.get("resources")):
            out.append(c.required(c.join(at, "resources"),
                                  "resource rules must supply at least one resource"))
    return out


_SUBJECT_KINDS = ("ServiceAccount", "User", "Group")


def validate_binding(obj: Mapping[str, Any], *, namespaced: bool) -> list[Cause]:
    """``ValidateRoleBinding`` / ``ValidateClusterRoleBinding``."""
    out: list[Cause] = []
    ref = _m(obj.get("roleRef"))
    if ref.get("apiGroup") != "rbac.authorization.k8s.io":
        out.append(c.not_supported("roleRef.apiGroup", ref.get("apiGroup") or "",
                                   ("rbac.authorization.k8s.io",)))
    kinds = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)
    if ref.get("kind") not in kinds:
        out.append(c.not_supported("roleRef.kind", ref.get("kind") or "", kinds))
    name = ref.get("name") or ""
    if not name:
        out.append(c.required("roleRef.name"))
    else:
        out += [c.invalid("roleRef.name", name, m) for m in name_is_path_segment(name, False)]
    for i, raw in enumerate(_seq(obj.get("subjects"))):
        subject = _m(raw)
        at = c.index("subjects", i)
        subject_name = subject.get("name") or ""
        if not subject_name:
            out.append(c.required(c.join(at, "name")))
        kind = subject.get("kind") or ""
        if kind == "ServiceAccount":
            if subject.get("apiGroup"):
                out.append(c.not_supported(c.join(at, "apiGroup"), subject["apiGroup"], ("",)))
            if namespaced is False and not subject.get("namespace"):
                out.append(c.required(c.join(at, "namespace")))
        elif kind in ("User", "Group"):
            if subject.get("apiGroup") != "rbac.authorization.k8s.io":
                out.append(c.not_supported(c.join(at, "apiGroup"), subject.get("apiGroup") or "",
                                           ("rbac.authorization.k8s.io",)))
        else:
            out.append(c.not_supported(c.join(at, "kind"), kind, _SUBJECT_KINDS))
    return out


def validate_binding_update(new: Mapping[str, Any], old: Mapping[str, Any], *,
                            namespaced: bool) -> list[Cause]:
    out = validate_binding(new, namespaced=namespaced)
    if semantic(new.get("roleRef")) != semantic(old.get("roleRef")):
        out.append(c.invalid("roleRef", c.GoRepr("rbac.RoleRef{...}"), "cannot change roleRef"))
    return out
