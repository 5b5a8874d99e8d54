"""Pod garbage collection: force-deletes the pods nobody else will ever finish.

Every 20 seconds:

- terminated pods (phase neither Pending, Running nor Unknown) beyond
  terminated-pod-gc-threshold, evicted ones first, then the oldest;
- terminating pods on a node that is not Ready and carries the
  ``node.kubernetes.io/out-of-service`` taint (a non-graceful node shutdown);
- orphaned pods, bound to a node that no longer exists, once the node has stayed missing
  through a 40-second quarantine (they get ``DisruptionTarget``, ``DeletionByPodGC``);
- terminating pods that were never scheduled.

Each is first set to phase ``Failed`` (unless already terminal), then deleted with a
grace period of 0.

Upstream: pkg/controller/podgc/gc_controller.go at release-1.32 (docs/k8s-semantics.md
§7.4, fidelity ``nl-007``).
"""

from __future__ import annotations

import logging
from typing import Any

from chaoszone.kindconfig import Timers
from chaoszone.sim import errors
from chaoszone.sim.objects import (
    OUT_OF_SERVICE_TAINT,
    node_ready_status,
    parse_time,
    resource_type,
    update_pod_condition,
)
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.runtime import Runtime

__all__ = ["GC_CHECK_PERIOD", "QUARANTINE", "PodGCController"]

log = logging.getLogger("chaoszone.sim")

_NODES = resource_type("", "v1", "nodes")
_PODS = resource_type("", "v1", "pods")

#: gcCheckPeriod and quarantineTime
GC_CHECK_PERIOD = 20.0
QUARANTINE = 40.0


class PodGCController:
    def __init__(self, runtime: Runtime, timers: Timers | None = None) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        self.threshold = (timers or Timers()).terminated_pod_gc_threshold
        #: node names waiting out their quarantine -> when it ends (a delaying queue)
        self._quarantine: dict[str, float] = {}
        self._timer = runtime.every(GC_CHECK_PERIOD, self.gc, first=0)

    def gc(self) -> None:
        pods = [s.obj for s in self.store.items(_PODS)]
        nodes = {s.name: s.obj for s in self.store.items(_NODES)}
        if self.threshold > 0:
            self._gc_terminated(pods)
        self._gc_terminating(pods, nodes)
        self._gc_orphaned(pods, nodes)
        self._gc_unscheduled_terminating(pods)

    def _gc_terminated(self, pods: list[dict[str, Any]]) -> None:
        terminated = [p for p in pods if (p.get("status") or {}).get("phase") not in
                      ("Pending", "Running", "Unknown")]
        excess = len(terminated) - self.threshold
        if excess <= 0:
            return
        terminated.sort(key=_eviction_and_creation)
        for pod in terminated[:excess]:
            self._mark_failed_and_delete(pod)

    def _gc_terminating(self, pods: list[dict[str, Any]], nodes: dict[str, Any]) -> None:
        chosen = []
        for pod in pods:
            if not pod["metadata"].get("deletionTimestamp"):
                continue
            node = nodes.get((pod.get("spec") or {}).get("nodeName") or "")
            if node is None:
                continue
            out_of_service = any(t.get("key") == OUT_OF_SERVICE_TAINT
                                 for t in (node.get("spec") or {}).get("taints") or ())
            if node_ready_status(node) != "True" and out_of_service:
                chosen.append(pod)
        chosen.sort(key=_eviction_and_creation)
        for pod in chosen:
            self._mark_failed_and_delete(pod)

    def _gc_orphaned(self, pods: list[dict[str, Any]], nodes: dict[str, Any]) -> None:
        now = self.clock.now()
        for pod in pods:
            node = (pod.get("spec") or {}).get("nodeName") or ""
            if node and node not in nodes:
                # AddAfter keeps the earlier deadline of an item already waiting
                self._quarantine.setdefault(node, now + QUARANTINE)
        deleted = set()
        for node, ready_at in list(self._quarantine.items()):
            if ready_at > now:
                continue
            del self._quarantine[node]
            if node not in nodes and self.store.get(_NODES, "", node) is None:
                deleted.add(node)
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") not in deleted:
                continue
            self._mark_failed_and_delete(pod, {
                "type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
                "message": "PodGC: node no longer exists"})

    def _gc_unscheduled_terminating(self, pods: list[dict[str, Any]]) -> None:
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp") and not (pod.get("spec") or {}).get(
                    "nodeName"):
                self._mark_failed_and_delete(pod)

    def _mark_failed_and_delete(self, pod: dict[str, Any],
                                condition: dict[str, Any] | None = None) -> None:
        """``markFailedAndDeletePodWithCondition``."""
        meta = pod["metadata"]
        ns, name = meta["namespace"], meta["name"]
        try:
            current = self.registry.get(_PODS, ns, name)
            if current.meta["uid"] != meta["uid"]:
                return
            status = current.obj.get("status") or {}
            if status.get("phase") not in ("Succeeded", "Failed"):
                new = current.copy()
                new_status = new.setdefault("status", {})
                new_status["phase"] = "Failed"
                if condition is not None:
                    update_pod_condition(new_status, condition, self.clock.timestamp())
                self.registry.update(_PODS, ns, name, new, subresource="status")
            self.registry.delete(_PODS, ns, name, DeleteOptions(grace_period_seconds=0,
                                                                precondition_uid=meta["uid"]))
        except errors.ApiError:
            log.debug("pod gc: deleting %s/%s failed", ns, name, exc_info=True)


def _eviction_and_creation(pod: dict[str, Any]) -> tuple[bool, float, str]:
    """``byEvictionAndCreationTimestamp``: evicted pods first, then the oldest, by name."""
    status = pod.get("status") or {}
    evicted = status.get("phase") == "Failed" and status.get("reason") == "Evicted"
    created = parse_time(pod["metadata"].get("creationTimestamp")) or 0.0
    return (not evicted, created, pod["metadata"]["name"])
