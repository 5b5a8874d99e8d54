"""Taints and tolerations at the API: the DefaultTolerationSeconds admission plugin and
the validation of tolerations (pods) and taints (nodes).

DefaultTolerationSeconds: a pod gets ``node.kubernetes.io/not-ready`` and
``node.kubernetes.io/unreachable`` ``NoExecute`` tolerations (``Exists``, 300 s unless the
apiserver flags say otherwise) unless it already has a toleration for that taint. The
check looks only at the key (equal, or empty) and the effect (``NoExecute``, or empty); the
operator and value are ignored, so ``{unreachable, Equal, "x", NoExecute}`` suppresses the
default without tolerating the real taint (fidelity ``dts-001``..``dts-005``). Upstream runs
it on pod create and update (not on subresources).

Upstream (release-1.32): plugin/pkg/admission/defaulttolerationseconds/admission.go,
pkg/apis/core/helper/helpers.go ``AddOrUpdateTolerationInPod``,
pkg/apis/core/validation/validation.go ``ValidateTolerations``,
``validateOnlyAddedTolerations``, ``validateTaintEffect``, ``validateNodeTaints``.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from chaoszone.sim.admission import causes as c
from chaoszone.sim.admission.names import is_qualified_name, is_valid_label_value
from chaoszone.sim.errors import Cause
from chaoszone.sim.objects import NOT_READY_TAINT, UNREACHABLE_TAINT

__all__ = [
    "TAINT_EFFECTS",
    "default_toleration_seconds",
    "validate_node_taints",
    "validate_only_added_tolerations",
    "validate_taint_effect",
    "validate_tolerations",
]

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _suppresses(toleration: Mapping[str, Any], taint_key: str) -> bool:
    key = toleration.get("key") or ""
    effect = toleration.get("effect") or ""
    return key in (taint_key, "") and effect in ("NoExecute", "")


def default_toleration_seconds(pod: MutableMapping[str, Any], *, not_ready_seconds: int = 300,
                               unreachable_seconds: int = 300) -> None:
    """Add the two default ``NoExecute`` tolerations a pod does not already carry."""
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        spec = pod["spec"] = {}
    tolerations = [t for t in (spec.get("tolerations") or []) if isinstance(t, dict)]
    has_not_ready = any(_suppresses(t, NOT_READY_TAINT) for t in tolerations)
    has_unreachable = any(_suppresses(t, UNREACHABLE_TAINT) for t in tolerations)
    if has_not_ready and has_unreachable:
        return
    added = list(spec.get("tolerations") or [])
    if not has_not_ready:
        added.append({"key": NOT_READY_TAINT, "operator": "Exists", "effect": "NoExecute",
                      "tolerationSeconds": not_ready_seconds})
    if not has_unreachable:
        added.append({"key": UNREACHABLE_TAINT, "operator": "Exists", "effect": "NoExecute",
                      "tolerationSeconds": unreachable_seconds})
    spec["tolerations"] = added


# -- validation -----------------------------------------------------------------------------------

def validate_taint_effect(effect: Any, allow_empty: bool, path: str) -> list[Cause]:
    if not allow_empty and not effect:
        return [c.required(path)]
    if effect in TAINT_EFFECTS:
        return []
    return [c.not_supported(path, effect, TAINT_EFFECTS)]


def validate_tolerations(tolerations: Sequence[Any], path: str) -> list[Cause]:
    """``ValidateTolerations``: key, operator/value rules, tolerationSeconds, effect."""
    out: list[Cause] = []
    for i, raw in enumerate(tolerations):
        t: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        at = c.index(path, i)
        key = t.get("key") or ""
        operator = t.get("operator") or ""
        value = t.get("value") or ""
        effect = t.get("effect") or ""
        if key:
            out += [c.invalid(c.join(at, "key"), key, m) for m in is_qualified_name(key)]
        if not key and operator != "Exists":
            out.append(c.invalid(c.join(at, "operator"), operator,
                                 'operator must be Exists when `key` is empty, which means '
                                 '"match all values and all keys"'))
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            out.append(c.invalid(c.join(at, "effect"), effect,
                                 "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if operator in ("Equal", ""):
            errs = is_valid_label_value(value)
            if errs:
                out.append(c.invalid(c.join(at, "operator"), value, ";".join(errs)))
        elif operator == "Exists":
            if value:
                out.append(c.invalid(c.join(at, "operator"), c.toleration_repr(t),
                                     "value must be empty when `operator` is 'Exists'"))
        else:
            out.append(c.not_supported(c.join(at, "operator"), operator, ("Equal", "Exists")))
        if effect:
            out += validate_taint_effect(effect, True, c.join(at, "effect"))
    return out


def _same_but_seconds(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    keys = (set(old) | set(new)) - {"tolerationSeconds"}
    return all((old.get(k) or "") == (new.get(k) or "") for k in keys)


def validate_only_added_tolerations(new: Sequence[Any], old: Sequence[Any],
                                    path: str) -> list[Cause]:
    """On pod update tolerations may be added; an existing one may change only its
    ``tolerationSeconds`` (fidelity ``tol-013``)."""
    new_t = [t for t in new if isinstance(t, dict)]
    for o in old:
        if not isinstance(o, dict):
            continue
        if not any(_same_but_seconds(o, n) for n in new_t):
            return [c.forbidden(path, "existing toleration can not be modified except its "
                                      "tolerationSeconds")]
    return validate_tolerations(list(new), path)


def validate_node_taints(taints: Sequence[Any], path: str) -> list[Cause]:
    """``validateNodeTaints``: key, value, effect, and unique by (key, effect)."""
    out: list[Cause] = []
    seen: set[tuple[str, str]] = set()
    for i, raw in enumerate(taints):
        t: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        at = c.index(path, i)
        key = t.get("key") or ""
        value = t.get("value") or ""
        effect = t.get("effect") or ""
        out += [c.invalid(c.join(at, "key"), key, m) for m in is_qualified_name(key)]
        errs = is_valid_label_value(value)
        if errs:
            out.append(c.invalid(c.join(at, "value"), value, ";".join(errs)))
        out += validate_taint_effect(effect, False, c.join(at, "effect"))
        if (key, effect) in seen:
            rendered = c.GoRepr("core.Taint{Key:" + c.go_quote(key) + ", Value:"
                                + c.go_quote(value) + ", Effect:" + c.go_quote(effect)
                                + ", TimeAdded:<nil>}")
            out.append(c.duplicate(at, rendered, "taints must be unique by key and effect pair"))
            continue
        seen.add((key, effect))
    return out
