"""The node lifecycle controller: notices nodes whose kubelet went quiet, marks them and
their pods, and taints them so the taint-eviction controller empties them, at a pace set
per zone.

- Every node-monitor-period it takes each node's last probe time: when its Ready
  condition's heartbeat changed or its Lease in ``kube-node-lease`` was renewed. After
  node-monitor-grace-period (node-startup-grace-period for a node that never posted a Ready
  condition) without one, Ready, MemoryPressure, DiskPressure and PIDPressure become
  ``Unknown`` (``NodeStatusUnknown``, "Kubelet stopped posting node status.").
- When a node leaves Ready, event ``NodeNotReady`` and every pod on it gets Ready=False.
- Node conditions and ``spec.unschedulable`` are mirrored at once as ``NoSchedule`` taints
  (TaintNodesByCondition).
- Ready=False / Unknown nodes get the ``not-ready`` / ``unreachable`` ``NoExecute`` taint
  through a per-zone token bucket (burst 1): node-eviction-rate in a Normal or fully
  disrupted zone, secondary-node-eviction-rate in a partially disrupted zone larger than
  large-cluster-size-threshold and 0 in a smaller one; when every zone is fully disrupted
  the ``NoExecute`` taints are removed from all nodes and nothing is tainted. A node that
  is Ready again loses both taints.

Upstream: pkg/controller/nodelifecycle/node_lifecycle_controller.go,
pkg/controller/nodelifecycle/scheduler/rate_limited_queue.go and
pkg/controller/util/node/controller_utils.go at release-1.32 (docs/k8s-semantics.md
§7.1-7.3, fidelity ``nl-*``, ``nu-006``).
"""

from __future__ import annotations

import contextlib
import copy
import heapq
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chaoszone.kindconfig import Timers
from chaoszone.sim import errors
from chaoszone.sim.objects import (
    NOT_READY_TAINT,
    UNREACHABLE_TAINT,
    UNSCHEDULABLE_TAINT,
    get_condition,
    parse_time,
    resource_type,
    taint_matches,
    update_pod_condition,
    zone_key,
)
from chaoszone.sim.runtime import Runtime, Timer
from chaoszone.sim.watch import DELETED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = [
    "FULL_DISRUPTION",
    "INITIAL",
    "NORMAL",
    "PARTIAL_DISRUPTION",
    "NodeLifecycleController",
    "compute_zone_state",
]

log = logging.getLogger("chaoszone.sim")

_NODES = resource_type("", "v1", "nodes")
_PODS = resource_type("", "v1", "pods")
_LEASES = resource_type("coordination.k8s.io", "v1", "leases")

COMPONENT = "node-controller"
INITIAL, NORMAL = "Initial", "Normal"
FULL_DISRUPTION, PARTIAL_DISRUPTION = "FullDisruption", "PartialDisruption"
#: scheduler.NodeEvictionPeriod: how often upstream drains the tainting queues
EVICTION_PERIOD = 0.1
EXCLUDE_DISRUPTION_LABEL = "node.kubernetes.io/exclude-disruption"

#: nodeConditionToTaintKeyStatusMap
_CONDITION_TAINTS: dict[str, dict[str, str]] = {
    "Ready": {"False": NOT_READY_TAINT, "Unknown": UNREACHABLE_TAINT},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
}
_CONDITION_TAINT_KEYS = frozenset(k for m in _CONDITION_TAINTS.values() for k in m.values())
_UNREACHABLE_NO_EXECUTE = {"key": UNREACHABLE_TAINT, "effect": "NoExecute"}
_NOT_READY_NO_EXECUTE = {"key": NOT_READY_TAINT, "effect": "NoExecute"}
#: the conditions a silent node's controller sets to Unknown (NetworkUnavailable is not)
_UNKNOWN_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")


def compute_zone_state(ready_statuses: list[str | None], unhealthy_threshold: float = 0.55
                       ) -> tuple[int, str]:
    """``ComputeZoneState``: (not-ready count, state) from the zone's Ready statuses; a
    missing condition counts as not ready."""
    ready = sum(1 for s in ready_statuses if s == "True")
    not_ready = len(ready_statuses) - ready
    if ready == 0 and not_ready > 0:
        return not_ready, FULL_DISRUPTION
    if not_ready > 2 and not_ready / (not_ready + ready) >= unhealthy_threshold:
        return not_ready, PARTIAL_DISRUPTION
    return not_ready, NORMAL


class _Limiter:
    """client-go's token bucket with burst 1 (``qps > 0``), or the never-limiter (0)."""

    def __init__(self, qps: float, now: float) -> None:
        self.qps = qps
        #: when the bucket holds its one token again
        self.full_at = now

    def try_accept(self, now: float) -> bool:
        if self.qps <= 0 or now + 1e-9 < self.full_at:
            return False
        self.full_at = now + 1.0 / self.qps
        return True


class _TaintQueue:
    """``RateLimitedTimedQueue``: node names in process-time order, each added once until
    removed, handed out as the limiter allows."""

    def __init__(self, qps: float, now: float) -> None:
        self.limiter = _Limiter(qps, now)
        self._heap: list[tuple[float, int, str]] = []
        self._due: dict[str, tuple[float, int]] = {}  # queued items
        self._set: set[str] = set()  # queued, or processed and not removed
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._due)

    def add(self, name: str, now: float) -> bool:
        if name in self._set:
            return False
        self._push(name, now)
        self._set.add(name)
        return True

    def remove(self, name: str) -> bool:
        if name not in self._set:
            return False
        self._set.discard(name)
        self._due.pop(name, None)
        return True

    def _push(self, name: str, at: float) -> None:
        entry = (at, next(self._seq))
        self._due[name] = entry
        heapq.heappush(self._heap, (*entry, name))

    def head(self) -> tuple[float, str] | None:
        while self._heap:
            at, seq, name = self._heap[0]
            if self._due.get(name) == (at, seq):
                return at, name
            heapq.heappop(self._heap)
        return None

    def try_(self, fn: Callable[[str], tuple[bool, float]], now: float) -> None:
        head = self.head()
        while head is not None:
            if not self.limiter.try_accept(now):
                break
            at, name = head
            if now < at:
                break
            done, wait = fn(name)
            if done:
                self._due.pop(name, None)  # RemoveFromQueue: stays in the set
            else:
                self._push(name, now + wait + 1e-9)
            head = self.head()

    def swap_limiter(self, qps: float, now: float) -> None:
        """``SwapLimiter``: a new bucket, drained if the old one was empty."""
        if self.limiter.qps == qps:
            return
        had_token = self.limiter.try_accept(now)
        new = _Limiter(qps, now)
        if qps > 0 and not had_token:
            new.try_accept(now)
        self.limiter = new

    def next_progress(self) -> float | None:
        """The earliest time ``try_`` could hand out an item (None: never, as things are)."""
        head = self.head()
        if head is None or self.limiter.qps <= 0:
            return None
        return max(head[0], self.limiter.full_at)


@dataclass
class _Health:
    """``nodeHealthData``: what the controller last saw of a node, in its own time."""

    probe: float
    transition: float
    ready: dict[str, Any] | None  # the Ready condition of the status last seen
    lease_seen: bool = False
    lease_renew: float | None = None


class NodeLifecycleController:
    def __init__(self, runtime: Runtime, timers: Timers | None = None) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        self.timers = timers or Timers()
        self._health: dict[str, _Health] = {}
        self._known: dict[str, dict[str, Any]] = {}
        #: zone key -> Initial / Normal / PartialDisruption / FullDisruption
        self.zone_states: dict[str, str] = {}
        self._tainters: dict[str, _TaintQueue] = {}
        self._retry: set[str] = set()
        self._pods_by_node: dict[str, set[tuple[str, str]]] = {}
        self._pod_node: dict[tuple[str, str], str] = {}
        self._tainting: Timer | None = None
        self._tainting_at: float | None = None
        self.node_queue: WorkQueue[str] = runtime.queue(
            "node lifecycle controller: NoSchedule taints", self._no_schedule_tainting_pass)
        self.pod_queue: WorkQueue[tuple[str, str]] = runtime.queue(
            "node lifecycle controller: pods", self._process_pod)
        runtime.listen(self._on_event)
        self._monitor = runtime.every(self.timers.node_monitor_period, self.monitor_node_health,
                                      first=0)

    # -- informers -------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        rt = event.resource
        if rt is _NODES:
            if event.type != DELETED:
                self.node_queue.add(event.new.name)
            return
        if rt is not _PODS:
            return
        key = (event.new.namespace, event.new.name)
        node = "" if event.type == DELETED else (event.new.obj.get("spec") or {}).get(
            "nodeName") or ""
        before = self._pod_node.pop(key, "")
        if before:
            self._pods_by_node.get(before, set()).discard(key)
        if node:
            self._pod_node[key] = node
            self._pods_by_node.setdefault(node, set()).add(key)
            old_node = ((event.old.obj.get("spec") or {}).get("nodeName") or ""
                        ) if event.old is not None else ""
            if event.old is None or old_node != node:
                self.pod_queue.add(key)

    def _pods_on(self, node: str) -> list[dict[str, Any]]:
        pods = []
        for ns, name in sorted(self._pods_by_node.get(node, ())):
            stored = self.store.get(_PODS, ns, name)
            if stored is not None:
                pods.append(stored.obj)
        return pods

    # -- NoSchedule taints (TaintNodesByCondition) -------------------------------

    def _no_schedule_tainting_pass(self, name: str) -> None:
        """``doNoScheduleTaintingPass``: condition and cordon taints, without rate limit."""
        stored = self.store.get(_NODES, "", name)
        if stored is None:
            return
        node = stored.obj
        wanted: list[dict[str, Any]] = []
        for cond in (node.get("status") or {}).get("conditions") or ():
            key = _CONDITION_TAINTS.get(cond.get("type", ""), {}).get(cond.get("status", ""))
            if key:
                wanted.append({"key": key, "effect": "NoSchedule"})
        if (node.get("spec") or {}).get("unschedulable"):
            wanted.append({"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"})
        managed = _CONDITION_TAINT_KEYS | {UNSCHEDULABLE_TAINT}
        current = [t for t in (node.get("spec") or {}).get("taints") or ()
                   if t.get("effect") == "NoSchedule" and t.get("key") in managed]
        to_add = [t for t in wanted if not any(taint_matches(t, c) for c in current)]
        to_remove = [t for t in current if not any(taint_matches(t, w) for w in wanted)]
        if to_add or to_remove:
            self._swap_taints(name, to_add, to_remove)

    # -- taint writes ----------------------------------------------------------

    def _swap_taints(self, name: str, add: list[dict[str, Any]],
                     remove: list[dict[str, Any]]) -> bool:
        """``SwapNodeControllerTaint``: add taints (stamped ``timeAdded``, replacing one
        with the same key and effect) and remove others; one write, or none if nothing
        changes."""
        stored = self.store.get(_NODES, "", name)
        if stored is None:
            return False
        now = self.clock.timestamp()
        taints: list[dict[str, Any]] = list((stored.obj.get("spec") or {}).get("taints") or ())
        changed = False
        for taint in add:
            new = {"key": taint["key"], "effect": taint["effect"], "timeAdded": now}
            for i, old in enumerate(taints):
                if taint_matches(old, new):
                    if old != new:
                        taints[i] = new
                        changed = True
                    break
            else:
                taints.append(new)
                changed = True
        kept = [t for t in taints if not any(taint_matches(t, r) for r in remove)]
        changed = changed or len(kept) != len(taints)
        if not changed:
            return True
        obj = stored.copy()
        spec = obj.setdefault("spec", {})
        if kept:
            spec["taints"] = kept
        else:
            spec.pop("taints", None)
        try:
            self.registry.update(_NODES, None, name, obj)
        except errors.ApiError:
            log.debug("node controller: tainting %s failed", name, exc_info=True)
            return False
        return True

    def _has_taint(self, name: str, taint: dict[str, Any]) -> bool:
        stored = self.store.get(_NODES, "", name)
        taints = ((stored.obj.get("spec") or {}).get("taints") or ()) if stored else ()
        return any(taint_matches(t, taint) for t in taints)

    # -- health monitoring -------------------------------------------------------

    def monitor_node_health(self) -> None:
        """``monitorNodeHealth``: one pass over every node."""
        nodes = [s.obj for s in self.store.items(_NODES)]
        names = {n["metadata"]["name"] for n in nodes}
        for node in nodes:
            name = node["metadata"]["name"]
            if name in self._known and zone_key(node["metadata"].get("labels")) not in \
                    self.zone_states:
                self._add_zone(zone_key(node["metadata"].get("labels")))
        for node in nodes:
            meta = node["metadata"]
            if meta["name"] in self._known:
                continue
            self._record_node_event(meta, "RegisteredNode",
                                    f"Registered Node {meta['name']} in Controller")
            self._known[meta["name"]] = {"metadata": {"name": meta["name"], "uid": meta["uid"]}}
            self._add_zone(zone_key(meta.get("labels")))
            self._mark_reachable(meta["name"])
        for name in [n for n in self._known if n not in names]:
            self._record_node_event(self._known[name]["metadata"], "RemovingNode",
                                    f"Removing Node {name} from Controller")
            del self._known[name]
            self._health.pop(name, None)
            self._retry.discard(name)

        zone_conditions: dict[str, list[str | None]] = {}
        for node in nodes:
            name = node["metadata"]["name"]
            stored = self.store.get(_NODES, "", name)
            if stored is None:
                continue
            try:
                observed, current = self._try_update_node_health(stored.obj)
            except errors.ApiError:
                log.debug("node controller: updating %s failed", name, exc_info=True)
                continue
            labels = stored.meta.get("labels") or {}
            if EXCLUDE_DISRUPTION_LABEL not in labels:
                zone_conditions.setdefault(zone_key(labels), []).append(
                    None if current is None else current.get("status"))
            if current is None:
                self._retry.discard(name)
                continue
            self._process_taint_based_eviction(name, observed)
            was_ready = observed.get("status") == "True"
            if current.get("status") != "True" and was_ready:
                self._record_node_event(stored.meta, "NodeNotReady",
                                        f"Node {name} status is now: NodeNotReady",
                                        status_change=True)
            mark = (current.get("status") != "True" and was_ready) or (
                name in self._retry and not was_ready)
            if mark and not self._mark_pods_not_ready(name):
                self._retry.add(name)
                continue
            self._retry.discard(name)
        self._handle_disruption(zone_conditions, nodes)
        self._schedule_tainting()

    def _try_update_node_health(self, node: dict[str, Any]
                                ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """``tryUpdateNodeHealth``: (the Ready condition as observed, as it is now)."""
        now = self.clock.now()
        meta = node["metadata"]
        name = meta["name"]
        created = parse_time(meta.get("creationTimestamp")) or now
        health = self._health.get(name)
        current = get_condition(node, "Ready")
        if current is None:
            observed: dict[str, Any] = {
                "type": "Ready", "status": "Unknown",
                "lastHeartbeatTime": meta.get("creationTimestamp"),
                "lastTransitionTime": meta.get("creationTimestamp")}
            grace = self.timers.node_startup_grace_period
            if health is not None:
                health.ready = None
            else:
                health = _Health(probe=created, transition=created, ready=None)
        else:
            observed = dict(current)
            grace = self.timers.node_monitor_grace_period
        saved = health.ready if health is not None else None
        saved_lease = (health.lease_seen, health.lease_renew) if health else (False, None)
        if health is None or (saved is None and current is not None):
            health = _Health(probe=now, transition=now, ready=_copy(current))
        elif current is not None and saved is not None and \
                saved.get("lastHeartbeatTime") != current.get("lastHeartbeatTime"):
            transition = now if saved.get("lastTransitionTime") != current.get(
                "lastTransitionTime") else health.transition
            health = _Health(probe=now, transition=transition, ready=_copy(current))
        lease = self.store.get(_LEASES, "kube-node-lease", name)
        observed_renew = parse_time((lease.obj.get("spec") or {}).get("renewTime")) \
            if lease is not None else None
        if lease is not None and (not saved_lease[0] or (
                saved_lease[1] is not None and observed_renew is not None
                and saved_lease[1] < observed_renew)):
            health.lease_seen, health.lease_renew = True, observed_renew
            health.probe = now
        self._health[name] = health

        if now > health.probe + grace:
            new = _copy_obj(node)
            conditions = new.setdefault("status", {}).setdefault("conditions", [])
            stamp = self.clock.timestamp()
            for type_ in _UNKNOWN_CONDITIONS:
                cond = next((c for c in conditions if c.get("type") == type_), None)
                if cond is None:
                    conditions.append({
                        "type": type_, "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                        "message": "Kubelet never posted node status.",
                        "lastHeartbeatTime": meta.get("creationTimestamp"),
                        "lastTransitionTime": stamp})
                elif cond.get("status") != "Unknown":
                    cond.update(status="Unknown", reason="NodeStatusUnknown",
                                message="Kubelet stopped posting node status.",
                                lastTransitionTime=stamp)
            current = get_condition(new, "Ready")
            if current != observed:
                self.registry.update(_NODES, None, name, new, subresource="status")
                self._health[name] = _Health(
                    probe=health.probe, transition=now, ready=_copy(current),
                    lease_seen=lease is not None, lease_renew=observed_renew)
        return observed, current

    def _mark_pods_not_ready(self, node: str) -> bool:
        """``MarkPodsNotReady``: Ready=False on every pod of the node that has a Ready
        condition, and a ``NodeNotReady`` event on each one changed."""
        ok = True
        now = self.clock.timestamp()
        for pod in self._pods_on(node):
            if (pod.get("spec") or {}).get("nodeName") != node:
                continue
            cond = get_condition(pod, "Ready")
            if cond is None:
                continue
            new = _copy_obj(pod)
            if not update_pod_condition(new["status"], dict(cond, status="False"), now):
                continue
            meta = pod["metadata"]
            try:
                self.registry.update(_PODS, meta["namespace"], meta["name"], new,
                                     subresource="status")
            except errors.ApiError as exc:
                if exc.code == 404:
                    continue
                log.debug("node controller: marking %s not ready failed", meta["name"],
                          exc_info=True)
                ok = False
                continue
            self.runtime.record_event(pod, _PODS, "Warning", "NodeNotReady", "Node is not ready",
                                      COMPONENT)
        return ok

    def _process_pod(self, key: tuple[str, str]) -> None:
        """``processPod``: a pod newly bound to a node the controller sees as not Ready is
        marked not ready at once."""
        stored = self.store.get(_PODS, *key)
        if stored is None:
            return
        node = (stored.obj.get("spec") or {}).get("nodeName") or ""
        health = self._health.get(node)
        if health is None or self.store.get(_NODES, "", node) is None:
            return
        if health.ready is None or health.ready.get("status") == "True":
            return
        cond = get_condition(stored.obj, "Ready")
        if cond is None:
            return
        new = stored.copy()
        if update_pod_condition(new["status"], dict(cond, status="False"),
                                self.clock.timestamp()):
            with contextlib.suppress(errors.ApiError):
                self.registry.update(_PODS, key[0], key[1], new, subresource="status")
                self.runtime.record_event(stored.obj, _PODS, "Warning", "NodeNotReady",
                                          "Node is not ready", COMPONENT)

    # -- NoExecute taints, rate limited per zone ---------------------------------

    def _add_zone(self, zone: str) -> None:
        """``addPodEvictorForNewZone``."""
        if zone not in self.zone_states:
            self.zone_states[zone] = INITIAL
            self._tainters[zone] = _TaintQueue(self.timers.node_eviction_rate, self.clock.now())

    def _tainter(self, zone: str) -> _TaintQueue:
        if zone not in self._tainters:
            self._add_zone(zone)
        return self._tainters[zone]

    def _process_taint_based_eviction(self, name: str, observed: dict[str, Any]) -> None:
        status = observed.get("status")
        if status == "False":
            if self._has_taint(name, _UNREACHABLE_NO_EXECUTE):
                self._swap_taints(name, [_NOT_READY_NO_EXECUTE], [_UNREACHABLE_NO_EXECUTE])
            else:
                self._mark_for_tainting(name, status)
        elif status == "Unknown":
            if self._has_taint(name, _NOT_READY_NO_EXECUTE):
                self._swap_taints(name, [_UNREACHABLE_NO_EXECUTE], [_NOT_READY_NO_EXECUTE])
            else:
                self._mark_for_tainting(name, status)
        elif status == "True":
            self._mark_reachable(name)

    def _node_zone(self, name: str) -> str:
        stored = self.store.get(_NODES, "", name)
        return zone_key(stored.labels if stored is not None else None)

    def _mark_for_tainting(self, name: str, status: str) -> bool:
        queue = self._tainter(self._node_zone(name))
        if status == "False" and not self._has_taint(name, _NOT_READY_NO_EXECUTE):
            queue.remove(name)
        if status == "Unknown" and not self._has_taint(name, _UNREACHABLE_NO_EXECUTE):
            queue.remove(name)
        return queue.add(name, self.clock.now())

    def _mark_reachable(self, name: str) -> bool:
        """``markNodeAsReachable``: drop both NoExecute taints and any pending tainting."""
        if self._has_taint(name, _UNREACHABLE_NO_EXECUTE) or self._has_taint(
                name, _NOT_READY_NO_EXECUTE):
            self._swap_taints(name, [], [_UNREACHABLE_NO_EXECUTE, _NOT_READY_NO_EXECUTE])
        return self._tainter(self._node_zone(name)).remove(name)

    def _handle_disruption(self, zone_conditions: dict[str, list[str | None]],
                           nodes: list[dict[str, Any]]) -> None:
        """``handleDisruption``: zone states and the tainting rate of each zone."""
        new_states: dict[str, str] = {}
        all_are_full = True
        for zone, statuses in zone_conditions.items():
            _, state = compute_zone_state(statuses, self.timers.unhealthy_zone_threshold)
            if state != FULL_DISRUPTION:
                all_are_full = False
            new_states[zone] = state
            if zone not in self.zone_states:
                self.zone_states[zone] = INITIAL
        all_were_full = True
        for zone, state in list(self.zone_states.items()):
            if zone not in zone_conditions:
                del self.zone_states[zone]
                continue
            if state != FULL_DISRUPTION:
                all_were_full = False
                break
        if all_are_full and all_were_full:
            return
        now = self.clock.now()
        if all_are_full:
            log.info("node controller: every node is not ready; entering master disruption "
                     "mode")
            for node in nodes:
                self._mark_reachable(node["metadata"]["name"])
            for zone in self.zone_states:
                self._tainter(zone).swap_limiter(0, now)
            for zone in self.zone_states:
                self.zone_states[zone] = FULL_DISRUPTION
            return
        if all_were_full:
            log.info("node controller: some nodes are ready; exiting master disruption mode")
            for node in nodes:
                health = self._health.get(node["metadata"]["name"])
                if health is not None:
                    health.probe = health.transition = now
            for zone in list(self.zone_states):
                self._set_limiter(zone, len(zone_conditions.get(zone, ())),
                                  new_states.get(zone, ""))
                self.zone_states[zone] = new_states.get(zone, "")
            return
        for zone, state in list(self.zone_states.items()):
            new = new_states.get(zone, "")
            if state == new:
                continue
            log.info("node controller: zone %r is now %s", zone, new)
            self._set_limiter(zone, len(zone_conditions.get(zone, ())), new)
            self.zone_states[zone] = new

    def _set_limiter(self, zone: str, size: int, state: str) -> None:
        now = self.clock.now()
        timers = self.timers
        if state in (NORMAL, FULL_DISRUPTION):
            self._tainter(zone).swap_limiter(timers.node_eviction_rate, now)
        elif state == PARTIAL_DISRUPTION:
            qps = timers.secondary_node_eviction_rate if size > \
                timers.large_cluster_size_threshold else 0.0
            self._tainter(zone).swap_limiter(qps, now)

    def _schedule_tainting(self) -> None:
        """Arrange the next ``doNoExecuteTaintingPass`` for when a queue can progress."""
        due = [t for t in (q.next_progress() for q in self._tainters.values()) if t is not None]
        if not due:
            return
        when = max(min(due), self.clock.now())
        if self._tainting is not None and self._tainting_at is not None and \
                self._tainting_at <= when:
            return
        if self._tainting is not None:
            self._tainting.cancel()
        self._tainting_at = when
        self._tainting = self.runtime.at(when, self._no_execute_tainting_pass)

    def _no_execute_tainting_pass(self) -> None:
        """``doNoExecuteTaintingPass``: each zone's queue hands out what its bucket allows."""
        self._tainting = None
        self._tainting_at = None
        now = self.clock.now()
        for queue in list(self._tainters.values()):
            queue.try_(self._taint_one, now)
        self._schedule_tainting()

    def _taint_one(self, name: str) -> tuple[bool, float]:
        stored = self.store.get(_NODES, "", name)
        if stored is None:
            return True, 0.0
        cond = get_condition(stored.obj, "Ready")
        if cond is None:
            return False, 0.05
        if cond.get("status") == "False":
            add, opposite = _NOT_READY_NO_EXECUTE, _UNREACHABLE_NO_EXECUTE
        elif cond.get("status") == "Unknown":
            add, opposite = _UNREACHABLE_NO_EXECUTE, _NOT_READY_NO_EXECUTE
        else:
            return True, 0.0
        return self._swap_taints(name, [add], [opposite]), 0.0

    # -- events ----------------------------------------------------------------

    def _record_node_event(self, meta: dict[str, Any], reason: str, message: str, *,
                           status_change: bool = False) -> None:
        """``RecordNodeEvent`` / ``RecordNodeStatusChange`` on the Node (in ``default``)."""
        text = message if status_change else f"Node {meta['name']} event: {message}"
        involved = {"metadata": {"name": meta["name"], "uid": meta.get("uid", "")}}
        self.runtime.record_event(involved, _NODES, "Normal", reason, text, COMPONENT)


def _copy(cond: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if cond is None else dict(cond)


def _copy_obj(obj: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(obj)
