"""What the workload controllers share, so that no controller imports another.

Pod predicates (active, available, terminating), new owner references and the
claiming of orphans (adopt and release), creation/deletion expectations, the pod
orderings upstream uses to choose which pods to delete, ``IntOrString`` scaling, and
the hashes that name ReplicaSets and ControllerRevisions. What any component reads off
an object (times, conditions, readiness, taints, controller references) is in
:mod:`chaoszone.sim.objects`.

Upstream (release-1.32): pkg/controller/controller_utils.go,
pkg/controller/controller_ref_manager.go, pkg/api/v1/pod/util.go,
staging/src/k8s.io/apimachinery/pkg/util/intstr/intstr.go and
staging/src/k8s.io/apimachinery/pkg/util/rand/rand.go (``SafeEncodeString``).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import math
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.admission.podspec import semantic
from chaoszone.sim.clock import Clock
from chaoszone.sim.objects import (
    controller_ref_of,
    copy_json,
    get_condition,
    is_pod_ready,
    parse_time,
    resource_type,
)
from chaoszone.sim.registry import DeleteOptions, Registry
from chaoszone.sim.resources import ResourceType
from chaoszone.sim.runtime import Runtime
from chaoszone.sim.selectors import LabelSelector, label_selector_from_dict

__all__ = [
    "CONTROLLER_REVISION_HASH",
    "DELETION_COST",
    "Expectations",
    "PodControl",
    "Retry",
    "active_pods_key",
    "available_at",
    "claim",
    "compute_hash",
    "fnv32",
    "fnv32a",
    "go_json",
    "is_pod_active",
    "is_pod_available",
    "is_pod_terminal",
    "is_pod_terminating",
    "new_controller_ref",
    "omit_zero",
    "only_status_changed",
    "pod_from_template",
    "ranked_pods_for_deletion",
    "ready_time",
    "safe_encode_string",
    "scaled_value",
    "selector_of",
    "semantic_equal",
    "template_patch",
    "update_status",
]

Obj = dict[str, Any]

CONTROLLER_REVISION_HASH = "controller-revision-hash"
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
PODS = resource_type("", "v1", "pods")
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
#: how long unmet expectations block a controller (ExpectationsTimeout)
EXPECTATIONS_TIMEOUT = 300.0


# -- pods ---------------------------------------------------------------------------------------

def ready_time(pod: Mapping[str, Any]) -> float | None:
    """When the pod last became ready (the Ready condition's lastTransitionTime)."""
    cond = get_condition(pod, "Ready")
    if cond is None or cond.get("status") != "True":
        return None
    return parse_time(cond.get("lastTransitionTime"))


def available_at(pod: Mapping[str, Any], min_ready_seconds: int) -> float | None:
    """The moment a ready pod counts as available; None for a pod that is not ready."""
    if not is_pod_ready(pod):
        return None
    if not min_ready_seconds:
        return -math.inf
    since = ready_time(pod)
    return None if since is None else since + min_ready_seconds


def is_pod_available(pod: Mapping[str, Any], min_ready_seconds: int, now: float) -> bool:
    """``podutil.IsPodAvailable``: ready, and for longer than ``minReadySeconds``
    (``lastTransitionTime + minReadySeconds`` strictly before now)."""
    at = available_at(pod, min_ready_seconds)
    return at is not None and (at == -math.inf or at < now)


def is_pod_terminal(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def is_pod_active(pod: Mapping[str, Any]) -> bool:
    """``controller.IsPodActive``: not finished and not being deleted."""
    return not is_pod_terminal(pod) and not pod["metadata"].get("deletionTimestamp")


def is_pod_terminating(pod: Mapping[str, Any]) -> bool:
    """``controller.IsPodTerminating``: being deleted and not yet finished."""
    return not is_pod_terminal(pod) and bool(pod["metadata"].get("deletionTimestamp"))


def _max_restarts(pod: Mapping[str, Any]) -> tuple[int, int]:
    """Highest restart count of the regular containers, then of the sidecars."""
    status = pod.get("status") or {}
    regular = max((int(c.get("restartCount") or 0)
                   for c in status.get("containerStatuses") or []), default=0)
    sidecars = {c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or []
                if c.get("restartPolicy") == "Always"}
    sidecar = max((int(c.get("restartCount") or 0)
                   for c in status.get("initContainerStatuses") or []
                   if c.get("name") in sidecars), default=0)
    return regular, sidecar


_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def _deletion_cost(pod: Mapping[str, Any]) -> int:
    raw = (pod["metadata"].get("annotations") or {}).get(DELETION_COST)
    if raw is None:
        return 0
    try:
        value = int(str(raw))
    except ValueError:
        return 0
    return value if -(2**31) <= value < 2**31 else 0


def _after_or_zero(t1: float | None, t2: float | None) -> bool:
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


def _log_rank(t: float, now: float) -> int:
    delta = round((now - t) * 1e9)
    return int(math.log2(delta)) if delta > 0 else -1


def _compare_times(t1: float | None, t2: float | None, now: float | None, uid1: str,
                   uid2: str) -> bool:
    """Newer first, in logarithmic buckets of age (LogarithmicScaleDown, on since 1.22)."""
    if now is None or t1 is None or t2 is None:
        return _after_or_zero(t1, t2)
    diff = _log_rank(t1, now) - _log_rank(t2, now)
    if diff == 0:
        return uid1 < uid2
    return diff < 0


def _less(a: Mapping[str, Any], b: Mapping[str, Any], rank_a: int | None, rank_b: int | None,
          now: float | None) -> bool:
    """``ActivePods.Less`` (no ranks, no now) and ``ActivePodsWithRanks.Less``."""
    node_a = (a.get("spec") or {}).get("nodeName") or ""
    node_b = (b.get("spec") or {}).get("nodeName") or ""
    if node_a != node_b and (not node_a or not node_b):
        return not node_a
    phase_a = _PHASE_ORDINAL.get((a.get("status") or {}).get("phase") or "", 0)
    phase_b = _PHASE_ORDINAL.get((b.get("status") or {}).get("phase") or "", 0)
    if phase_a != phase_b:
        return phase_a < phase_b
    ready_a, ready_b = is_pod_ready(a), is_pod_ready(b)
    if ready_a != ready_b:
        return not ready_a
    ranked = rank_a is not None and rank_b is not None
    if ranked:
        cost_a, cost_b = _deletion_cost(a), _deletion_cost(b)
        if cost_a != cost_b:
            return cost_a < cost_b
        if rank_a != rank_b:
            return bool(rank_a is not None and rank_b is not None and rank_a > rank_b)
    uid_a, uid_b = str(a["metadata"].get("uid", "")), str(b["metadata"].get("uid", ""))
    if ready_a and ready_b:
        t1, t2 = ready_time(a), ready_time(b)
        if t1 != t2:
            return _compare_times(t1, t2, now if ranked else None, uid_a, uid_b)
    restarts_a, restarts_b = _max_restarts(a), _max_restarts(b)
    if restarts_a[0] != restarts_b[0]:
        return restarts_a[0] > restarts_b[0]
    if ranked and restarts_a[1] != restarts_b[1]:
        return restarts_a[1] > restarts_b[1]
    c1 = parse_time(a["metadata"].get("creationTimestamp"))
    c2 = parse_time(b["metadata"].get("creationTimestamp"))
    if c1 != c2:
        return _compare_times(c1, c2, now if ranked else None, uid_a, uid_b)
    return False


def active_pods_key() -> Callable[[Mapping[str, Any]], Any]:
    """A sort key ordering pods as ``controller.ActivePods``: the first are the first to
    delete (unassigned, pending, not ready, ready for less time, more restarts, newer)."""
    def cmp(a: Mapping[str, Any], b: Mapping[str, Any]) -> int:
        if _less(a, b, None, None, None):
            return -1
        if _less(b, a, None, None, None):
            return 1
        return 0
    return functools.cmp_to_key(cmp)


def ranked_pods_for_deletion(pods: Sequence[Obj], related: Iterable[Mapping[str, Any]],
                             count: int, now: float) -> list[Obj]:
    """``getPodsToDelete``: the ``count`` pods a ReplicaSet deletes first, ranked by
    ``ActivePodsWithRanks`` where a pod's rank is the number of active related pods (of
    every ReplicaSet of the same owner) on its node."""
    if count >= len(pods):
        return list(pods)
    on_node: dict[str, int] = {}
    for pod in related:
        if is_pod_active(pod):
            node = (pod.get("spec") or {}).get("nodeName") or ""
            on_node[node] = on_node.get(node, 0) + 1
    ranks = {id(p): on_node.get((p.get("spec") or {}).get("nodeName") or "", 0) for p in pods}

    def cmp(a: Obj, b: Obj) -> int:
        if _less(a, b, ranks[id(a)], ranks[id(b)], now):
            return -1
        if _less(b, a, ranks[id(b)], ranks[id(a)], now):
            return 1
        return 0
    return sorted(pods, key=functools.cmp_to_key(cmp))[:count]


# -- owners -------------------------------------------------------------------------------------

def new_controller_ref(owner: Mapping[str, Any], rt: ResourceType) -> Obj:
    """``metav1.NewControllerRef``."""
    meta = owner["metadata"]
    return {"apiVersion": rt.api_version, "kind": rt.kind, "name": meta["name"],
            "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}


def pod_from_template(template: Mapping[str, Any], owner: Mapping[str, Any],
                      ref: Mapping[str, Any]) -> Obj:
    """``controller.GetPodFromTemplate``: labels, annotations and finalizers of the
    template, ``generateName`` ``<owner>-``, the controller reference, the spec."""
    meta = template.get("metadata") or {}
    name = owner["metadata"]["name"]
    prefix = f"{name}-"
    pod_meta: Obj = {"generateName": prefix, "ownerReferences": [dict(ref)]}
    for field in ("labels", "annotations"):
        if meta.get(field):
            pod_meta[field] = dict(meta[field])
    if meta.get("finalizers"):
        pod_meta["finalizers"] = list(meta["finalizers"])
    return {"metadata": pod_meta, "spec": copy_json(template.get("spec") or {})}


def claim(registry: Registry, rt: ResourceType, owner: Mapping[str, Any],
          selector: LabelSelector, objs: Iterable[Obj], *,
          owner_alive: Callable[[], bool] | None = None,
          match: Callable[[Obj], bool] | None = None,
          release_finalizer: str | None = None) -> list[Obj]:
    """``ControllerRefManager.ClaimObject`` over ``objs``: keep what the owner controls
    and still selects, release what it controls but no longer selects (unless it is
    being deleted), adopt matching orphans that are not being deleted. Returns the
    claimed objects (as stored after any adoption)."""
    owner_meta = owner["metadata"]
    owner_uid = owner_meta["uid"]
    deleting = bool(owner_meta.get("deletionTimestamp"))
    claimed: list[Obj] = []

    def matches(obj: Obj) -> bool:
        return selector.matches(obj["metadata"].get("labels") or {}) and (
            match is None or match(obj))

    for obj in objs:
        meta = obj["metadata"]
        ref = controller_ref_of(obj)
        if ref is not None:
            if ref.get("uid") != owner_uid:
                continue
            if matches(obj):
                claimed.append(obj)
                continue
            if deleting:
                continue
            new = copy.deepcopy(obj)
            refs = [r for r in meta.get("ownerReferences") or [] if r.get("uid") != owner_uid]
            if refs:
                new["metadata"]["ownerReferences"] = refs
            else:
                new["metadata"].pop("ownerReferences", None)
            if release_finalizer and release_finalizer in (meta.get("finalizers") or []):
                finalizers = [f for f in meta["finalizers"] if f != release_finalizer]
                if finalizers:
                    new["metadata"]["finalizers"] = finalizers
                else:
                    new["metadata"].pop("finalizers", None)
            _write(registry, rt, new)
            continue
        if deleting or not matches(obj) or meta.get("deletionTimestamp"):
            continue
        if owner_alive is not None and not owner_alive():
            continue
        new = copy.deepcopy(obj)
        new["metadata"]["ownerReferences"] = [
            *(meta.get("ownerReferences") or []), _owner_ref_of(owner)]
        stored = _write(registry, rt, new)
        if stored is not None:
            claimed.append(stored)
    return claimed


def _owner_ref_of(owner: Mapping[str, Any]) -> Obj:
    meta = owner["metadata"]
    api_version = owner.get("apiVersion") or ""
    return {"apiVersion": api_version, "kind": owner.get("kind") or "", "name": meta["name"],
            "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}


def _write(registry: Registry, rt: ResourceType, obj: Obj) -> Obj | None:
    meta = obj["metadata"]
    with contextlib.suppress(errors.ApiError):
        stored, _ = registry.update(rt, meta.get("namespace"), meta["name"], obj)
        return stored.obj
    return None


def selector_of(workload: Mapping[str, Any]) -> LabelSelector | None:
    """A workload's ``spec.selector``; None when it does not parse (the sync gives up)."""
    try:
        return label_selector_from_dict((workload.get("spec") or {}).get("selector"))
    except errors.ApiError:
        return None


def only_status_changed(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> bool:
    """Whether an update changed nothing but the status: a controller's own status write,
    which needs no new sync of its own."""
    if old is None:
        return False
    keys = (old.keys() | new.keys()) - {"status", "metadata"}
    if any(old.get(k) != new.get(k) for k in keys):
        return False
    om, nm = old.get("metadata") or {}, new.get("metadata") or {}
    meta_keys = (om.keys() | nm.keys()) - {"resourceVersion", "managedFields"}
    return all(om.get(k) == nm.get(k) for k in meta_keys)


def update_status(registry: Registry, rt: ResourceType, namespace: str, name: str,
                  status: Obj) -> Obj | None:
    """Write ``status`` through the status subresource of the object as stored now;
    returns the stored object, or None when it is gone or the write was refused."""
    stored = registry.store.get(rt, namespace if rt.namespaced else "", name)
    if stored is None:
        return None
    new = stored.copy()
    new["status"] = status
    try:
        result, _ = registry.update(rt, namespace, name, new, subresource="status")
    except errors.ApiError:
        return None
    return result.obj


def omit_zero(status: Obj, *fields: str) -> Obj:
    """Drop ``omitempty`` counters that are zero, as Go's encoder does."""
    for field in fields:
        if not status.get(field):
            status.pop(field, None)
    return status


class Retry:
    """The work queue's rate limiter for a key whose sync failed (``AddRateLimited``):
    5 ms, doubling per failure up to 1000 s; ``forget`` after a sync that worked."""

    def __init__(self, runtime: Runtime, enqueue: Callable[[Any], None]) -> None:
        self._runtime = runtime
        self._enqueue = enqueue
        self._failures: dict[Any, int] = {}

    def again(self, key: Any) -> None:
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        delay = min(0.005 * 2 ** min(failures, 40), 1000.0)
        self._runtime.after(delay, lambda: self._enqueue(key))

    def forget(self, key: Any) -> None:
        self._failures.pop(key, None)


# -- expectations -------------------------------------------------------------------------------

class Expectations:
    """``UIDTrackingControllerExpectations``: the creations (a count) and deletions (pod
    names) a controller waits to see before it acts again. The simulator's store
    publishes every write before the write returns, so they are met at once unless a
    write was refused; they are kept so each controller reads like its upstream, and
    they lapse after five minutes as upstream's do."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._items: dict[Any, tuple[int, set[str], float]] = {}

    def expect(self, key: Any, adds: int = 0, deletes: Iterable[str] = ()) -> None:
        """``SetExpectations``/``ExpectCreations``/``ExpectDeletions``."""
        self._items[key] = (adds, set(deletes), self._clock.now())

    def lower(self, key: Any, adds: int = 0) -> None:
        if key in self._items:
            a, d, t = self._items[key]
            self._items[key] = (a - adds, d, t)

    def creation_observed(self, key: Any) -> None:
        self.lower(key, 1)

    def deletion_observed(self, key: Any, name: str) -> None:
        if key in self._items:
            self._items[key][1].discard(name)

    def satisfied(self, key: Any) -> bool:
        if key not in self._items:
            return True
        adds, dels, stamp = self._items[key]
        return (adds <= 0 and not dels) or self._clock.now() - stamp > EXPECTATIONS_TIMEOUT

    def delete(self, key: Any) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()


class PodControl:
    """``RealPodControl``: create and delete an owner's pods, recording upstream's events
    on the owner."""

    def __init__(self, runtime: Runtime, component: str) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.component = component

    def create(self, owner: Mapping[str, Any], owner_rt: ResourceType, pod: Obj) -> Obj:
        """Create ``pod`` in the owner's namespace; ApiError after a FailedCreate event."""
        namespace = owner["metadata"].get("namespace")
        try:
            stored = self.registry.create(PODS, namespace, pod)
        except errors.ApiError as exc:
            if not _namespace_terminating(exc):
                self.runtime.record_event(dict(owner), owner_rt, "Warning", "FailedCreate",
                                          f"Error creating: {exc}", self.component)
            raise
        self.runtime.record_event(dict(owner), owner_rt, "Normal", "SuccessfulCreate",
                                  f"Created pod: {stored.name}", self.component)
        return stored.obj

    def delete(self, owner: Mapping[str, Any], owner_rt: ResourceType, name: str,
               options: DeleteOptions | None = None) -> None:
        """Delete an owned pod (gracefully by default); NotFound is raised unrecorded."""
        namespace = owner["metadata"].get("namespace")
        try:
            self.registry.delete(PODS, namespace, name, options or DeleteOptions())
        except errors.ApiError as exc:
            if exc.code == 404:
                raise
            self.runtime.record_event(dict(owner), owner_rt, "Warning", "FailedDelete",
                                      f"Error deleting: {exc}", self.component)
            raise
        self.runtime.record_event(dict(owner), owner_rt, "Normal", "SuccessfulDelete",
                                  f"Deleted pod: {name}", self.component)


def _namespace_terminating(exc: errors.ApiError) -> bool:
    return any(c.reason == "NamespaceTerminating" for c in exc.causes)


# -- IntOrString ----------------------------------------------------------------------------------

def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        scaled = int(text[:-1]) * total / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    return int(text)


# -- hashes ---------------------------------------------------------------------------------------

def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def fnv32(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = ((h * 0x01000193) & 0xFFFFFFFF) ^ byte
    return h


def safe_encode_string(text: str) -> str:
    """``rand.SafeEncodeString``: every character mapped into an alphabet without vowels
    or look-alike characters, so a hash never spells words."""
    return "".join(_ALPHANUMS[ord(ch) % len(_ALPHANUMS)] for ch in text)


def go_json(value: Any) -> bytes:
    """What Go's ``json.Marshal`` writes for a decoded ``map[string]interface{}``: sorted
    keys, no spaces, HTML-safe escapes."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text.encode()


def _template_as_go(template: Mapping[str, Any]) -> Obj:
    """A pod template as Go encodes it: ``metadata.creationTimestamp`` is never omitted."""
    encoded = copy.deepcopy(dict(template))
    meta = encoded.setdefault("metadata", {})
    meta.setdefault("creationTimestamp", None)
    return encoded


def compute_hash(template: Mapping[str, Any], collision_count: int | None) -> str:
    """The ``pod-template-hash`` / DaemonSet revision hash: ``controller.ComputeHash``
    is fnv32a over the template, then the collision count (8 bytes, little endian),
    rendered with ``SafeEncodeString``.

    Upstream feeds fnv the template's Go-syntax dump (``dump.ForHash``: spew over the
    typed struct), which Python cannot reproduce; the simulator feeds it the template's
    canonical JSON instead. Names have upstream's shape and stability (same template,
    same name; a change gives a new one), not upstream's exact letters."""
    data = go_json(_template_as_go(template))
    if collision_count is not None:
        data += struct.pack("<Q", collision_count & 0xFFFFFFFF)
    return safe_encode_string(str(fnv32a(data)))


def template_patch(template: Mapping[str, Any]) -> Obj:
    """The ControllerRevision data of a StatefulSet or DaemonSet (``getPatch``): the
    template, to be put back whole (``$patch: replace``)."""
    encoded = _template_as_go(template)
    encoded["$patch"] = "replace"
    return {"spec": {"template": encoded}}


def semantic_equal(a: Any, b: Any) -> bool:
    """``apiequality.Semantic.DeepEqual`` as far as JSON can tell."""
    return bool(semantic(a) == semantic(b))
