"""Validation of where a pod may run: node affinity, pod (anti-)affinity and topology
spread constraints. (``nodeSelector`` is plain label validation; tolerations are in
:mod:`.tolerations`.)

Facts that must hold (fidelity ``pts-038``..``pts-040``, ``na-019``): ``maxSkew`` > 0,
``minDomains`` > 0 and only with ``DoNotSchedule``, ``whenUnsatisfiable`` and the node
inclusion policies are enums, ``{topologyKey, whenUnsatisfiable}`` is unique,
``matchLabelKeys`` needs a ``labelSelector`` and may not repeat its keys, and values in
required node-affinity expressions must be valid label values.

Upstream (release-1.32): pkg/apis/core/validation/validation.go
``validateTopologySpreadConstraints``, ``validateMatchLabelKeysInTopologySpread``,
``validateAffinity``, ``ValidateNodeSelectorRequirement``,
``ValidateNodeFieldSelectorRequirement``, ``validatePodAffinityTerm``,
``validateMatchLabelKeysAndMismatchLabelKeys``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chaoszone.sim.admission import causes as c
from chaoszone.sim.admission.meta import validate_label_name, validate_label_selector
from chaoszone.sim.admission.names import (
    is_valid_label_value,
    name_is_dns_label,
    name_is_dns_subdomain,
)
from chaoszone.sim.errors import Cause

__all__ = ["validate_affinity", "validate_topology_spread_constraints"]

_NOT_POSITIVE = "must be greater than zero"


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


# -- node affinity --------------------------------------------------------------------------------

def _node_selector_requirement(rq: Mapping[str, Any], path: str, check_values: bool) -> list[Cause]:
    out: list[Cause] = []
    operator = rq.get("operator") or ""
    values = list(rq.get("values") or [])
    if operator in ("In", "NotIn"):
        if not values:
            out.append(c.required(c.join(path, "values"),
                                  "must be specified when `operator` is 'In' or 'NotIn'"))
    elif operator in ("Exists", "DoesNotExist"):
        if values:
            out.append(c.forbidden(c.join(path, "values"), "may not be specified when "
                                   "`operator` is 'Exists' or 'DoesNotExist'"))
    elif operator in ("Gt", "Lt"):
        if len(values) != 1:
            out.append(c.required(c.join(path, "values"),
                                  "must be specified single value when `operator` is 'Lt' or 'Gt'"))
    else:
        out.append(c.invalid(c.join(path, "operator"), operator, "not a valid selector operator"))
    out += validate_label_name(str(rq.get("key") or ""), c.join(path, "key"))
    if check_values:
        for i, v in enumerate(values):
            out += [c.invalid(c.index(c.join(path, "values"), i), v, msg)
                    for msg in is_valid_label_value(str(v))]
    return out


def _node_field_requirement(rq: Mapping[str, Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    operator = rq.get("operator") or ""
    values = list(rq.get("values") or [])
    if operator in ("In", "NotIn"):
        if len(values) != 1:
            out.append(c.required(c.join(path, "values"), "must be only one value when "
                                  "`operator` is 'In' or 'NotIn' for node field selector"))
    else:
        out.append(c.invalid(c.join(path, "operator"), operator, "not a valid selector operator"))
    key = rq.get("key") or ""
    if key != "metadata.name":
        out.append(c.invalid(c.join(path, "key"), key, "not a valid field selector key"))
    else:
        for i, v in enumerate(values):
            out += [c.invalid(c.index(c.join(path, "values"), i), v, msg)
                    for msg in name_is_dns_subdomain(str(v), False)]
    return out


def _node_selector_term(term: Mapping[str, Any], path: str, check_values: bool) -> list[Cause]:
    out: list[Cause] = []
    for i, rq in enumerate(term.get("matchExpressions") or []):
        out += _node_selector_requirement(_m(rq), c.index(c.join(path, "matchExpressions"), i),
                                          check_values)
    for i, rq in enumerate(term.get("matchFields") or []):
        out += _node_field_requirement(_m(rq), c.index(c.join(path, "matchFields"), i))
    return out


def _node_affinity(na: Mapping[str, Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    required = na.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(required, dict):
        terms_path = c.join(path, "requiredDuringSchedulingIgnoredDuringExecution",
                            "nodeSelectorTerms")
        terms = list(required.get("nodeSelectorTerms") or [])
        if not terms:
            out.append(c.required(terms_path, "must have at least one node selector term"))
        for i, term in enumerate(terms):
            out += _node_selector_term(_m(term), c.index(terms_path, i), True)
    preferred_path = c.join(path, "preferredDuringSchedulingIgnoredDuringExecution")
    for i, raw in enumerate(na.get("preferredDuringSchedulingIgnoredDuringExecution") or []):
        term = _m(raw)
        weight = term.get("weight", 0)
        if not isinstance(weight, int) or not 1 <= weight <= 100:
            out.append(c.invalid(c.join(c.index(preferred_path, i), "weight"), weight,
                                 "must be in the range 1-100"))
        out += _node_selector_term(_m(term.get("preference")),
                                   c.join(c.index(preferred_path, i), "preference"), True)
    return out


# -- pod (anti-)affinity --------------------------------------------------------------------------

def _selector_keys(selector: Any) -> set[str]:
    s = _m(selector)
    keys = set((s.get("matchLabels") or {}).keys())
    keys |= {str(_m(e).get("key")) for e in s.get("matchExpressions") or []}
    return keys


def _pod_affinity_term(term: Mapping[str, Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    out += validate_label_selector(term.get("labelSelector"), c.join(path, "labelSelector"))
    out += validate_label_selector(term.get("namespaceSelector"),
                                   c.join(path, "namespaceSelector"))
    for ns in term.get("namespaces") or []:
        out += [c.invalid(c.join(path, "namespace"), ns, msg)
                for msg in name_is_dns_label(str(ns), False)]
    match_keys = list(term.get("matchLabelKeys") or [])
    mismatch_keys = list(term.get("mismatchLabelKeys") or [])
    if (match_keys or mismatch_keys) and term.get("labelSelector") is None:
        if match_keys:
            out.append(c.forbidden(c.join(path, "matchLabelKeys"),
                                   "must not be specified when labelSelector is not set"))
        if mismatch_keys:
            out.append(c.forbidden(c.join(path, "mismatchLabelKeys"),
                                   "must not be specified when labelSelector is not set"))
    else:
        selector_keys = _selector_keys(term.get("labelSelector"))
        for name, keys in (("matchLabelKeys", match_keys), ("mismatchLabelKeys", mismatch_keys)):
            for i, k in enumerate(keys):
                at = c.index(c.join(path, name), i)
                out += validate_label_name(str(k), at)
                if k in selector_keys:
                    out.append(c.invalid(at, k, f"exists in both {name} and labelSelector"))
        both = set(match_keys) & set(mismatch_keys)
        for i, k in enumerate(match_keys):
            if k in both:
                out.append(c.invalid(c.index(c.join(path, "matchLabelKeys"), i), k,
                                     "exists in both matchLabelKeys and mismatchLabelKeys"))
    topology_key = term.get("topologyKey") or ""
    if not topology_key:
        out.append(c.required(c.join(path, "topologyKey"), "can not be empty"))
    out += validate_label_name(str(topology_key), c.join(path, "topologyKey"))
    return out


def _pod_affinity(pa: Mapping[str, Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    required_path = c.join(path, "requiredDuringSchedulingIgnoredDuringExecution")
    for i, term in enumerate(pa.get("requiredDuringSchedulingIgnoredDuringExecution") or []):
        out += _pod_affinity_term(_m(term), c.index(required_path, i))
    preferred_path = c.join(path, "preferredDuringSchedulingIgnoredDuringExecution")
    for i, raw in enumerate(pa.get("preferredDuringSchedulingIgnoredDuringExecution") or []):
        term = _m(raw)
        at = c.index(preferred_path, i)
        weight = term.get("weight", 0)
        if not isinstance(weight, int) or not 1 <= weight <= 100:
            out.append(c.invalid(c.join(at, "weight"), weight, "must be in the range 1-100"))
        out += _pod_affinity_term(_m(term.get("podAffinityTerm")), c.join(at, "podAffinityTerm"))
    return out


def validate_affinity(affinity: Any, path: str) -> list[Cause]:
    """``validateAffinity``."""
    a = _m(affinity)
    out: list[Cause] = []
    if isinstance(a.get("nodeAffinity"), dict):
        out += _node_affinity(a["nodeAffinity"], c.join(path, "nodeAffinity"))
    if isinstance(a.get("podAffinity"), dict):
        out += _pod_affinity(a["podAffinity"], c.join(path, "podAffinity"))
    if isinstance(a.get("podAntiAffinity"), dict):
        out += _pod_affinity(a["podAntiAffinity"], c.join(path, "podAntiAffinity"))
    return out


# -- topology spread ------------------------------------------------------------------------------

_WHEN_UNSATISFIABLE = ("DoNotSchedule", "ScheduleAnyway")
_INCLUSION_POLICIES = ("Honor", "Ignore")


def validate_topology_spread_constraints(constraints: Sequence[Any], path: str) -> list[Cause]:
    """``validateTopologySpreadConstraints`` (pts-038, pts-039, pts-040)."""
    out: list[Cause] = []
    items = [_m(x) for x in constraints]
    for i, tsc in enumerate(items):
        at = c.index(path, i)
        max_skew = tsc.get("maxSkew", 0)
        if not isinstance(max_skew, int) or max_skew <= 0:
            out.append(c.invalid(c.join(at, "maxSkew"), max_skew, _NOT_POSITIVE))
        topology_key = tsc.get("topologyKey") or ""
        if not topology_key:
            out.append(c.required(c.join(at, "topologyKey"), "can not be empty"))
        action = tsc.get("whenUnsatisfiable") or ""
        if action not in _WHEN_UNSATISFIABLE:
            out.append(c.not_supported(c.join(at, "whenUnsatisfiable"), action,
                                       _WHEN_UNSATISFIABLE))
        for rest in items[i + 1:]:
            if (rest.get("topologyKey") or "") == topology_key and \
                    (rest.get("whenUnsatisfiable") or "") == action:
                out.append(c.duplicate(c.join(at, "{topologyKey, whenUnsatisfiable}"),
                                       f"{{{topology_key}, {action}}}"))
                break
        min_domains = tsc.get("minDomains")
        if min_domains is not None:
            if not isinstance(min_domains, int) or min_domains <= 0:
                out.append(c.invalid(c.join(at, "minDomains"), min_domains, _NOT_POSITIVE))
            if action != "DoNotSchedule":
                out.append(c.invalid(c.join(at, "minDomains"), min_domains,
                                     f"can only use minDomains if whenUnsatisfiable="
                                     f"DoNotSchedule, not {action}"))
        for name in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
            policy = tsc.get(name)
            if policy is not None and policy not in _INCLUSION_POLICIES:
                out.append(c.not_supported(c.join(at, name), policy, _INCLUSION_POLICIES))
        keys = list(tsc.get("matchLabelKeys") or [])
        if keys:
            keys_path = c.join(at, "matchLabelKeys")
            selector = tsc.get("labelSelector")
            if selector is None:
                out.append(c.forbidden(keys_path,
                                       "must not be specified when labelSelector is not set"))
            selector_keys = _selector_keys(selector)
            for j, k in enumerate(keys):
                out += validate_label_name(str(k), c.index(keys_path, j))
                if k in selector_keys:
                    out.append(c.invalid(c.index(keys_path, j), k,
                                         "exists in both matchLabelKeys and labelSelector"))
        out += validate_label_selector(tsc.get("labelSelector"), c.join(at, "labelSelector"))
    return out
