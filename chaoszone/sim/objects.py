"""Reading and changing the common parts of API objects as upstream's helpers do, for the
controllers, the scheduler and the kubelets: times, conditions, taints and tolerations,
controller references and zones.

Everything takes and returns plain JSON dicts.

Upstream (release-1.32): pkg/api/v1/pod/util.go (``IsPodReady``, ``UpdatePodCondition``),
staging/src/k8s.io/api/core/v1/toleration.go (``ToleratesTaint``),
pkg/apis/core/v1/helper/helpers.go (``GetMatchingTolerations``),
pkg/util/taints/taints.go, staging/src/k8s.io/component-helpers/node/topology/helpers.go
(``GetZoneKey``), apimachinery's ``metav1.GetControllerOf``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from chaoszone.sim.resources import ResourceType, by_path

__all__ = [
    "BETA_REGION_LABEL",
    "BETA_ZONE_LABEL",
    "DO_NOT_SCHEDULE",
    "NOT_READY_TAINT",
    "OUT_OF_SERVICE_TAINT",
    "REGION_LABEL",
    "UNREACHABLE_TAINT",
    "UNSCHEDULABLE_TAINT",
    "ZONE_LABEL",
    "controller_ref",
    "controller_ref_of",
    "copy_json",
    "find_untolerated_taint",
    "get_condition",
    "is_pod_ready",
    "matching_tolerations",
    "node_ready_status",
    "parse_time",
    "resource_type",
    "taint_matches",
    "tolerates",
    "tolerations_tolerate",
    "update_pod_condition",
    "zone_key",
]

NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
OUT_OF_SERVICE_TAINT = "node.kubernetes.io/out-of-service"
ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"
BETA_ZONE_LABEL = "failure-domain.beta.kubernetes.io/zone"
BETA_REGION_LABEL = "failure-domain.beta.kubernetes.io/region"


def resource_type(group: str, version: str, plural: str) -> ResourceType:
    """The served resource at ``group/version/plural`` (a programming error if none)."""
    rt = by_path(group, version, plural)
    if rt is None:
        raise LookupError(f"no served resource {group}/{version}/{plural}")
    return rt


def parse_time(value: Any) -> float | None:
    """Seconds since the epoch of a ``metav1.Time`` or ``MicroTime`` string (None if unset
    or malformed)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def get_condition(obj: Mapping[str, Any] | None, type_: str) -> dict[str, Any] | None:
    """The condition of ``type_`` in ``obj["status"]["conditions"]`` (None if absent)."""
    status = (obj or {}).get("status") or {}
    for cond in status.get("conditions") or ():
        if isinstance(cond, dict) and cond.get("type") == type_:
            return cond
    return None


def is_pod_ready(pod: Mapping[str, Any]) -> bool:
    """``podutil.IsPodReady``: the Ready condition is True."""
    cond = get_condition(pod, "Ready")
    return cond is not None and cond.get("status") == "True"


def node_ready_status(node: Mapping[str, Any]) -> str | None:
    """The status of the node's Ready condition ("True", "False", "Unknown") or None."""
    cond = get_condition(node, "Ready")
    return None if cond is None else str(cond.get("status", ""))


def update_pod_condition(status: dict[str, Any], condition: dict[str, Any], now: str) -> bool:
    """``UpdatePodCondition``: set ``condition`` in ``status``; its lastTransitionTime is
    ``now`` unless the status stays the same. Returns whether anything but the times
    changed (or the condition is new)."""
    condition = dict(condition)
    if "lastProbeTime" not in condition:
        condition["lastProbeTime"] = None
    type_ = condition["type"]
    conditions = status.setdefault("conditions", [])
    changed = True
    index = -1
    for i, old in enumerate(conditions):
        if old.get("type") != type_:
            continue
        index = i
        value = condition.get("status")
        if value == old.get("status"):
            condition["lastTransitionTime"] = old.get("lastTransitionTime")
        else:
            condition["lastTransitionTime"] = now
        changed = ((value or None) != (old.get("status") or None)
                   or (condition.get("reason") or None) != (old.get("reason") or None)
                   or (condition.get("message") or None) != (old.get("message") or None)
                   or (condition["lastProbeTime"] or None) != (old.get("lastProbeTime") or None)
                   or (condition["lastTransitionTime"] or None)
                   != (old.get("lastTransitionTime") or None))
        break
    else:
        condition["lastTransitionTime"] = now
    if not condition.get("reason"):
        condition.pop("reason", None)
    if not condition.get("message"):
        condition.pop("message", None)
    if index < 0:
        conditions.append(condition)
    else:
        conditions[index] = condition
    return changed


# -- taints and tolerations ---------------------------------------------------------------------

def taint_matches(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """``Taint.MatchTaint``: the same key and effect."""
    return bool(a.get("key") == b.get("key") and a.get("effect") == b.get("effect"))


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """``Toleration.ToleratesTaint`` (1.32: operators Equal, the default, and Exists)."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Equal":
        return bool((toleration.get("value") or "") == (taint.get("value") or ""))
    return operator == "Exists"


def tolerations_tolerate(tolerations: Iterable[Mapping[str, Any]],
                         taint: Mapping[str, Any]) -> bool:
    """Whether any of ``tolerations`` tolerates ``taint``."""
    return any(tolerates(t, taint) for t in tolerations)


#: ``DoNotScheduleTaintsFilterFunc``: the effects that keep a pod off a node
DO_NOT_SCHEDULE = frozenset({"NoSchedule", "NoExecute"})


def find_untolerated_taint(taints: Iterable[Mapping[str, Any]],
                           tolerations: Sequence[Mapping[str, Any]],
                           effects: Collection[str] = DO_NOT_SCHEDULE
                           ) -> Mapping[str, Any] | None:
    """``v1helper.FindMatchingUntoleratedTaint``: the first taint (in node order) with one
    of ``effects`` that no toleration tolerates."""
    for taint in taints:
        if taint.get("effect") not in effects:
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def matching_tolerations(taints: Sequence[Mapping[str, Any]],
                         tolerations: Sequence[Mapping[str, Any]]
                         ) -> tuple[bool, list[Mapping[str, Any]]]:
    """``GetMatchingTolerations``: whether every taint is tolerated, and for each taint the
    first toleration (in spec order) that tolerates it."""
    if not taints:
        return True, []
    used: list[Mapping[str, Any]] = []
    for taint in taints:
        match = next((t for t in tolerations if tolerates(t, taint)), None)
        if match is None:
            return False, []
        used.append(match)
    return True, used


# -- ownership and topology ------------------------------------------------------------------------

def copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists and scalars), as ``copy.deepcopy`` makes
    it without its memo and dispatch: objects in the store are trees, never graphs."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def controller_ref(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """``metav1.GetControllerOf``: (a copy of) the owner reference with
    ``controller: true``."""
    ref = controller_ref_of(obj)
    return None if ref is None else dict(ref)


def controller_ref_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """:func:`controller_ref` itself, not a copy: for readers (event handlers look at
    every pod write)."""
    for ref in obj["metadata"].get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


def zone_key(labels: Mapping[str, str] | None) -> str:
    """``GetZoneKey``: region and zone (beta labels first, then GA) joined so no two zones
    collide; ``""`` for a node with neither."""
    labels = labels or {}
    zone = labels[BETA_ZONE_LABEL] if BETA_ZONE_LABEL in labels else labels.get(ZONE_LABEL, "")
    region = (labels[BETA_REGION_LABEL] if BETA_REGION_LABEL in labels
              else labels.get(REGION_LABEL, ""))
    if not region and not zone:
        return ""
    return f"{region}:\x00:{zone}"
