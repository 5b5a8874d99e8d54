"""``metadata`` validation and the generic building blocks every kind uses: labels,
annotations (keys and the 256 KiB total), owner references, finalizers, label selectors,
and the "field is immutable" / "must be greater than or equal to 0" checks.

Owns :func:`validate_object_meta` (create) and :func:`validate_object_meta_update`. The
generic path-segment check that ``rest.BeforeCreate`` runs after the kind's own
validation never adds a message, as every kind's own name rule is at least as strict. On
update, ``metadata.resourceVersion`` presence and the "no new finalizers while deleting"
rule are left to the registry, which fills the former in for unconditional updates (as
upstream's store does) and already checks the latter.

Upstream (release-1.32): staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go,
staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go,
staging/src/k8s.io/apiserver/pkg/registry/rest/create.go,
pkg/apis/core/validation/validation.go ``ValidateObjectMeta``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaoszone.sim.admission import causes as c
from chaoszone.sim.admission.names import (
    NameFn,
    is_qualified_name,
    is_valid_label_value,
    name_is_dns_label,
)
from chaoszone.sim.errors import Cause

__all__ = [
    "FIELD_IMMUTABLE",
    "IS_NEGATIVE",
    "TOTAL_ANNOTATION_SIZE_LIMIT",
    "selector_convertible",
    "selector_is_empty",
    "selector_matches",
    "validate_annotations",
    "validate_immutable",
    "validate_label_name",
    "validate_label_selector",
    "validate_labels",
    "validate_nonnegative",
    "validate_object_meta",
    "validate_object_meta_update",
]

FIELD_IMMUTABLE = "field is immutable"
IS_NEGATIVE = "must be greater than or equal to 0"
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
_DELETION_FINALIZERS = ("orphan", "foregroundDeletion")


def validate_nonnegative(value: Any, path: str) -> list[Cause]:
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [c.invalid(path, value, IS_NEGATIVE)]
    return []


def validate_immutable(new: Any, old: Any, path: str, shown: Any = None) -> list[Cause]:
    """``ValidateImmutableField``; ``shown`` overrides how the new value is printed."""
    if new == old:
        return []
    return [c.invalid(path, new if shown is None else shown, FIELD_IMMUTABLE)]


def validate_label_name(name: str, path: str) -> list[Cause]:
    return [c.invalid(path, name, m) for m in is_qualified_name(name)]


def validate_labels(labels: Any, path: str) -> list[Cause]:
    """``ValidateLabels``: every error is reported at the map's path, not the key's."""
    out: list[Cause] = []
    if not isinstance(labels, dict):
        return out
    for k, v in labels.items():
        out += validate_label_name(str(k), path)
        out += [c.invalid(path, v, m) for m in is_valid_label_value(str(v if v is not None
                                                                        else ""))]
    return out


def validate_annotations(annotations: Any, path: str) -> list[Cause]:
    out: list[Cause] = []
    if not isinstance(annotations, dict):
        return out
    total = 0
    for k, v in annotations.items():
        # the rule is a qualified name, except that case does not matter
        out += [c.invalid(path, k, m) for m in is_qualified_name(str(k).lower())]
        total += len(str(k).encode()) + len(str(v if v is not None else "").encode())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        out.append(c.too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return out


def _owner_references(refs: Any, path: str) -> list[Cause]:
    out: list[Cause] = []
    if not isinstance(refs, list):
        return out
    first_controller = ""
    for ref in refs:
        r: Mapping[str, Any] = ref if isinstance(ref, dict) else {}
        api_version = str(r.get("apiVersion") or "")
        version = api_version.rpartition("/")[2]
        if not version:
            out.append(c.invalid(c.join(path, "apiVersion"), api_version,
                                 "version must not be empty"))
        for name in ("kind", "name", "uid"):
            if not r.get(name):
                out.append(c.invalid(c.join(path, name), str(r.get(name) or ""),
                                     "must not be empty"))
        if r.get("controller") is True:
            current = f"{r.get('kind', '')}/{r.get('name', '')}"
            if first_controller:
                out.append(c.invalid(
                    path, c.GoRepr("[]v1.OwnerReference{...}"),
                    'Only one reference can have Controller set to true. Found "true" in '
                    f"references for {first_controller} and {current}"))
            else:
                first_controller = current
    return out


def _finalizers(finalizers: Any, path: str) -> list[Cause]:
    out: list[Cause] = []
    if not isinstance(finalizers, list):
        return out
    for f in finalizers:
        out += [c.invalid(path, str(f), m) for m in is_qualified_name(str(f))]
    if all(f in finalizers for f in _DELETION_FINALIZERS):
        out.append(c.invalid(path, c.string_slice_repr(finalizers),
                             "finalizer orphan and foregroundDeletion cannot be both set"))
    return out


def validate_object_meta(meta: Any, *, namespaced: bool, name_fn: NameFn,
                         path: str = "metadata") -> list[Cause]:
    """``ValidateObjectMeta`` with the kind's name rule. (``rest.BeforeCreate`` runs a
    generic path-segment check afterwards, only when the kind's validation passed; every
    kind's own rule is at least as strict, so it never adds a message.)"""
    m: Mapping[str, Any] = meta if isinstance(meta, dict) else {}
    out: list[Cause] = []
    generate = m.get("generateName") or ""
    if generate:
        out += [c.invalid(c.join(path, "generateName"), generate, msg)
                for msg in name_fn(generate, True)]
    name = m.get("name") or ""
    if not name:
        out.append(c.required(c.join(path, "name"), "name or generateName is required"))
    else:
        out += [c.invalid(c.join(path, "name"), name, msg) for msg in name_fn(name, False)]
    namespace = m.get("namespace") or ""
    if namespaced:
        if not namespace:
            out.append(c.required(c.join(path, "namespace")))
        else:
            out += [c.invalid(c.join(path, "namespace"), namespace, msg)
                    for msg in name_is_dns_label(namespace, False)]
    elif namespace:
        out.append(c.forbidden(c.join(path, "namespace"), "not allowed on this type"))
    out += validate_nonnegative(m.get("generation"), c.join(path, "generation"))
    out += validate_labels(m.get("labels"), c.join(path, "labels"))
    out += validate_annotations(m.get("annotations"), c.join(path, "annotations"))
    out += _owner_references(m.get("ownerReferences"), c.join(path, "ownerReferences"))
    out += _finalizers(m.get("finalizers"), c.join(path, "finalizers"))
    return out


def validate_object_meta_update(new: Any, old: Any, path: str = "metadata") -> list[Cause]:
    """``ValidateObjectMetaUpdate``: identity fields are immutable; labels, annotations,
    owner references and finalizers must still be well formed."""
    n: Mapping[str, Any] = new if isinstance(new, dict) else {}
    o: Mapping[str, Any] = old if isinstance(old, dict) else {}
    out: list[Cause] = []
    new_generation = n.get("generation") or 0
    if isinstance(new_generation, int) and new_generation < (o.get("generation") or 0):
        out.append(c.invalid(c.join(path, "generation"), new_generation, "must not be decremented"))
    for name in ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                 "deletionGracePeriodSeconds"):
        out += validate_immutable(n.get(name) or None, o.get(name) or None, c.join(path, name),
                                  n.get(name) if n.get(name) is not None else "")
    out += validate_labels(n.get("labels"), c.join(path, "labels"))
    out += validate_annotations(n.get("annotations"), c.join(path, "annotations"))
    out += _owner_references(n.get("ownerReferences"), c.join(path, "ownerReferences"))
    out += _finalizers(n.get("finalizers"), c.join(path, "finalizers"))
    return out


# -- label selectors ------------------------------------------------------------------------------

_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def validate_label_selector(selector: Any, path: str, *,
                            allow_invalid_values: bool = False) -> list[Cause]:
    """``metav1validation.ValidateLabelSelector``."""
    out: list[Cause] = []
    if not isinstance(selector, dict):
        return out
    out += validate_labels(selector.get("matchLabels"), c.join(path, "matchLabels"))
    for i, raw in enumerate(selector.get("matchExpressions") or []):
        e: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        at = c.index(c.join(path, "matchExpressions"), i)
        operator = e.get("operator") or ""
        values = list(e.get("values") or [])
        if operator in ("In", "NotIn"):
            if not values:
                out.append(c.required(c.join(at, "values"),
                                      "must be specified when `operator` is 'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                out.append(c.forbidden(c.join(at, "values"), "may not be specified when "
                                       "`operator` is 'Exists' or 'DoesNotExist'"))
        else:
            out.append(c.invalid(c.join(at, "operator"), operator, "not a valid selector operator"))
        out += validate_label_name(str(e.get("key") or ""), c.join(at, "key"))
        if not allow_invalid_values:
            for j, v in enumerate(values):
                out += [c.invalid(c.index(c.join(at, "values"), j), v, m)
                        for m in is_valid_label_value(str(v))]
    return out


def selector_matches(selector: Any, labels: Any) -> bool:
    """``LabelSelectorAsSelector(...).Matches``: a nil selector matches nothing, an empty
    one everything; an unknown operator matches nothing."""
    if not isinstance(selector, dict):
        return False
    have: Mapping[str, Any] = labels if isinstance(labels, dict) else {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if k not in have or have[k] != v:
            return False
    for raw in selector.get("matchExpressions") or []:
        e: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        k = str(e.get("key") or "")
        op = e.get("operator")
        values = list(e.get("values") or [])
        if op == "In":
            if k not in have or have[k] not in values:
                return False
        elif op == "NotIn":
            if k in have and have[k] in values:
                return False
        elif op == "Exists":
            if k not in have:
                return False
        elif op == "DoesNotExist":
            if k in have:
                return False
        else:
            return False
    return True


def selector_is_empty(selector: Any) -> bool:
    """``labels.Selector.Empty()`` of the converted selector (nil counts as not empty)."""
    if not isinstance(selector, dict):
        return False
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def selector_convertible(selector: Any) -> bool:
    """Whether ``LabelSelectorAsSelector`` succeeds (operators and label syntax valid)."""
    if not isinstance(selector, dict):
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if is_qualified_name(str(k)) or is_valid_label_value(str(v)):
            return False
    for raw in selector.get("matchExpressions") or []:
        e: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        op = e.get("operator")
        values = list(e.get("values") or [])
        if op not in _SELECTOR_OPERATORS or is_qualified_name(str(e.get("key") or "")):
            return False
        if (op in ("In", "NotIn")) != bool(values):
            return False
        if any(is_valid_label_value(str(v)) for v in values):
            return False
    return True
