"""Validation of Service, Endpoints and EndpointSlice.

Service: type, session affinity, ports (names required when more than one, unique names
and protocol/port pairs, port numbers, target ports, node ports only for NodePort and
LoadBalancer), selector labels, ``clusterIP``/``clusterIPs`` (``None`` or IPs), traffic
policies, ``externalName`` for ExternalName services. On update the primary cluster IP may
not change (``spec.clusterIPs[0]: Invalid value: []string{...}: may not change once set``)
unless the type moves to or from ExternalName. Allocating the IP is the registry's job;
:func:`service_needs_cluster_ip` says when one is needed.

Upstream (release-1.32): pkg/apis/core/validation/validation.go ``ValidateService``,
``validateServicePort``, ``ValidateServiceUpdate``, ``validateUpgradeDowngradeClusterIPs``,
``ValidateEndpoints``; pkg/apis/discovery/validation/validation.go.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaoszone.sim.admission import causes as c
from chaoszone.sim.admission.meta import validate_immutable, validate_labels
from chaoszone.sim.admission.names import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_valid_ip,
    is_valid_port_name,
    is_valid_port_num,
)
from chaoszone.sim.errors import Cause

__all__ = [
    "service_needs_cluster_ip",
    "service_needs_node_ports",
    "validate_endpoint_slice",
    "validate_endpoint_slice_update",
    "validate_endpoints",
    "validate_service",
    "validate_service_update",
]

_PROTOCOLS = ("SCTP", "TCP", "UDP")
_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _seq(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def service_needs_cluster_ip(svc: Mapping[str, Any]) -> bool:
    """Whether the registry must allocate ``spec.clusterIP`` (not headless, not
    ExternalName, none given)."""
    spec = _m(svc.get("spec"))
    return spec.get("type", "ClusterIP") != "ExternalName" and not spec.get("clusterIP")


def service_needs_node_ports(svc: Mapping[str, Any]) -> bool:
    """Whether the service's ports get node ports (NodePort, or LoadBalancer unless
    ``allocateLoadBalancerNodePorts: false``)."""
    spec = _m(svc.get("spec"))
    kind = spec.get("type")
    return kind == "NodePort" or (kind == "LoadBalancer"
                                  and spec.get("allocateLoadBalancerNodePorts") is not False)


def _service_port(port: Mapping[str, Any], require_name: bool, names: set[str],
                  path: str) -> list[Cause]:
    out: list[Cause] = []
    name = port.get("name") or ""
    if require_name and not name:
        out.append(c.required(c.join(path, "name")))
    elif name:
        out += [c.invalid(c.join(path, "name"), name, m) for m in is_dns1123_label(name)]
        if name in names:
            out.append(c.duplicate(c.join(path, "name"), name))
        names.add(name)
    number = port.get("port", 0)
    if not isinstance(number, int) or isinstance(number, bool):
        out.append(c.invalid(c.join(path, "port"), number, "must be an integer"))
    else:
        out += [c.invalid(c.join(path, "port"), number, m) for m in is_valid_port_num(number)]
    protocol = port.get("protocol") or ""
    if not protocol:
        out.append(c.required(c.join(path, "protocol")))
    elif protocol not in _PROTOCOLS:
        out.append(c.not_supported(c.join(path, "protocol"), protocol, _PROTOCOLS))
    target = port.get("targetPort")
    if isinstance(target, int) and not isinstance(target, bool):
        out += [c.invalid(c.join(path, "targetPort"), target, m)
                for m in is_valid_port_num(target)]
    elif isinstance(target, str):
        out += [c.invalid(c.join(path, "targetPort"), target, m)
                for m in is_valid_port_name(target)]
    node_port = port.get("nodePort")
    if isinstance(node_port, int) and not isinstance(node_port, bool) and node_port:
        out += [c.invalid(c.join(path, "nodePort"), node_port, m)
                for m in is_valid_port_num(node_port)]
    return out


def validate_service(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateService`` (metadata is validated by the caller)."""
    spec = _m(obj.get("spec"))
    out: list[Cause] = []
    kind = spec.get("type") or ""
    headless = spec.get("clusterIP") == "None"
    ports = _seq(spec.get("ports"))
    if kind not in _SERVICE_TYPES:
        out.append(c.not_supported("spec.type", kind, _SERVICE_TYPES))
    if kind == "ExternalName":
        if spec.get("clusterIP") and not headless:
            out.append(c.forbidden("spec.clusterIPs",
                                   "may not be set for ExternalName services"))
        external = str(spec.get("externalName") or "").rstrip(".")
        if not external:
            out.append(c.required("spec.externalName"))
        else:
            out += [c.invalid("spec.externalName", external, m)
                    for m in is_dns1123_subdomain(external)]
    elif not ports and not headless:
        out.append(c.required("spec.ports"))
    if kind == "LoadBalancer" and not ports:
        out.append(c.required("spec.ports"))
    names: set[str] = set()
    seen: set[tuple[Any, Any]] = set()
    for i, raw in enumerate(ports):
        port = _m(raw)
        at = c.index("spec.ports", i)
        out += _service_port(port, len(ports) > 1, names, at)
        key = (port.get("protocol"), port.get("port"))
        if key in seen:
            out.append(c.duplicate(at, c.GoRepr(f"core.ServicePort{{Name:{c.go_quote(str(port.get('name') or ''))}, Protocol:{c.go_quote(str(key[0] or ''))}, Port:{key[1]}}}")))  # noqa: E501
        seen.add(key)
        if port.get("nodePort") and kind not in ("NodePort", "LoadBalancer"):
            out.append(c.forbidden(c.join(at, "nodePort"),
                                   f"may not be used when `type` is '{kind}'"))
        if headless and kind != "ExternalName" and port.get("targetPort") not in (
                None, port.get("port")) and isinstance(port.get("targetPort"), int):
            out.append(c.invalid(c.join(at, "targetPort"), port.get("targetPort"),
                                 "must be equal to the value of 'port' when clusterIP = None"))
    out += validate_labels(spec.get("selector"), "spec.selector")
    affinity = spec.get("sessionAffinity") or ""
    if affinity not in ("ClientIP", "None"):
        out.append(c.not_supported("spec.sessionAffinity", affinity, ("ClientIP", "None")))
    for i, ip in enumerate(_seq(spec.get("clusterIPs"))):
        if ip == "None" and i == 0:
            continue
        out += [c.invalid(c.index("spec.clusterIPs", i), ip, m) for m in is_valid_ip(str(ip))]
    for i, ip in enumerate(_seq(spec.get("externalIPs"))):
        out += [c.invalid(c.index("spec.externalIPs", i), ip, m) for m in is_valid_ip(str(ip))]
    for name in ("externalTrafficPolicy", "internalTrafficPolicy"):
        policy = spec.get(name)
        if policy is not None and policy not in ("Cluster", "Local"):
            out.append(c.not_supported(c.join("spec", name), policy, ("Cluster", "Local")))
    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in ("SingleStack", "PreferDualStack",
                                             "RequireDualStack"):
        out.append(c.not_supported("spec.ipFamilyPolicy", policy,
                                   ("SingleStack", "PreferDualStack", "RequireDualStack")))
    for i, family in enumerate(_seq(spec.get("ipFamilies"))):
        if family not in ("IPv4", "IPv6"):
            out.append(c.not_supported(c.index("spec.ipFamilies", i), family, ("IPv4", "IPv6")))
    return out


def validate_service_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    """``validateUpgradeDowngradeClusterIPs`` then ``ValidateService``."""
    new_spec, old_spec = _m(new.get("spec")), _m(old.get("spec"))
    out: list[Cause] = []
    external = "ExternalName" in (new_spec.get("type"), old_spec.get("type"))
    both_headless = new_spec.get("clusterIP") == "None" and old_spec.get("clusterIP") == "None"
    if not external and not both_headless:
        new_ips, old_ips = _seq(new_spec.get("clusterIPs")), _seq(old_spec.get("clusterIPs"))
        shown = c.string_slice_repr(new_ips)
        if len(new_ips) == len(old_ips):
            for i, ip in enumerate(old_ips):
                if ip != new_ips[i]:
                    out.append(c.invalid(c.index("spec.clusterIPs", i), shown,
                                         "may not change once set"))
        elif len(old_ips) > len(new_ips):
            if not new_ips:
                out.append(c.invalid("spec.clusterIPs[0]", shown,
                                     "primary clusterIP can not be unset"))
            elif new_ips[0] != old_ips[0]:
                out.append(c.invalid("spec.clusterIPs[0]", shown, "may not change once set"))
            if len(new_ips) == 1 and new_spec.get("ipFamilyPolicy") != "SingleStack":
                out.append(c.invalid("spec.clusterIPs[0]", shown, "`ipFamilyPolicy` must be set "
                                     "to 'SingleStack' when releasing the secondary clusterIP"))
        elif old_ips and new_ips[0] != old_ips[0]:
            out.append(c.invalid("spec.clusterIPs[0]", shown, "may not change once set"))
        old_families = _seq(old_spec.get("ipFamilies"))
        new_families = _seq(new_spec.get("ipFamilies"))
        if old_families and new_families and new_families[0] != old_families[0]:
            out.append(c.invalid("spec.ipFamilies[0]", c.string_slice_repr(new_families),
                                 "may not change once set"))
    return out + validate_service(new)


# -- Endpoints and EndpointSlice ------------------------------------------------------------------

def validate_endpoints(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateEndpoints``: addresses are IPs, ports valid, names required when several."""
    out: list[Cause] = []
    for si, raw in enumerate(_seq(obj.get("subsets"))):
        subset = _m(raw)
        at = c.index("subsets", si)
        for group in ("addresses", "notReadyAddresses"):
            for ai, address in enumerate(_seq(subset.get(group))):
                ip = str(_m(address).get("ip") or "")
                out += [c.invalid(c.join(c.index(c.join(at, group), ai), "ip"), ip, m)
                        for m in is_valid_ip(ip)]
        ports = _seq(subset.get("ports"))
        for pi, raw_port in enumerate(ports):
            port = _m(raw_port)
            port_at = c.index(c.join(at, "ports"), pi)
            name = port.get("name") or ""
            if len(ports) > 1 and not name:
                out.append(c.required(c.join(port_at, "name")))
            elif name:
                out += [c.invalid(c.join(port_at, "name"), name, m) for m in is_dns1123_label(name)]
            number = port.get("port", 0)
            if isinstance(number, int):
                out += [c.invalid(c.join(port_at, "port"), number, m)
                        for m in is_valid_port_num(number)]
            protocol = port.get("protocol") or ""
            if not protocol:
                out.append(c.required(c.join(port_at, "protocol")))
            elif protocol not in _PROTOCOLS:
                out.append(c.not_supported(c.join(port_at, "protocol"), protocol, _PROTOCOLS))
    return out


_ADDRESS_TYPES = ("IPv4", "IPv6", "FQDN")


def validate_endpoint_slice(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateEndpointSlice``: address type, endpoints with 1 to 100 addresses, ports."""
    out: list[Cause] = []
    address_type = obj.get("addressType") or ""
    if not address_type:
        out.append(c.required("addressType"))
    elif address_type not in _ADDRESS_TYPES:
        out.append(c.not_supported("addressType", address_type, _ADDRESS_TYPES))
    for i, raw in enumerate(_seq(obj.get("endpoints"))):
        at = c.index("endpoints", i)
        addresses = _seq(_m(raw).get("addresses"))
        if not addresses:
            out.append(c.required(c.join(at, "addresses"), "must contain at least 1 address"))
        elif len(addresses) > 100:
            out.append(c.too_many(c.join(at, "addresses"), len(addresses), 100))
        if address_type in ("IPv4", "IPv6"):
            for j, address in enumerate(addresses):
                out += [c.invalid(c.index(c.join(at, "addresses"), j), address, m)
                        for m in is_valid_ip(str(address))]
    for i, raw in enumerate(_seq(obj.get("ports"))):
        port = _m(raw)
        at = c.index("ports", i)
        name = port.get("name") or ""
        if name:
            out += [c.invalid(c.join(at, "name"), name, m) for m in is_dns1123_label(name)]
        protocol = port.get("protocol") or ""
        if protocol not in _PROTOCOLS:
            out.append(c.not_supported(c.join(at, "protocol"), protocol, _PROTOCOLS))
        number = port.get("port")
        if isinstance(number, int) and not isinstance(number, bool):
            out += [c.invalid(c.join(at, "port"), number, m) for m in is_valid_port_num(number)]
    return out


def validate_endpoint_slice_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    return validate_endpoint_slice(new) + validate_immutable(
        new.get("addressType"), old.get("addressType"), "addressType")
