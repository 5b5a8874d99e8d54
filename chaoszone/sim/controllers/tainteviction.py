"""The taint-eviction controller: deletes pods from nodes with ``NoExecute`` taints they do
not tolerate, or tolerate only for a while.

For a pod bound to a node with ``NoExecute`` taints:

- a taint no toleration tolerates: the pod is deleted at once;
- otherwise, per taint the first toleration (spec order) that tolerates it counts, and the
  pod is deleted the least ``tolerationSeconds`` among those after the eviction was first
  scheduled (``nil`` is forever, ``<= 0`` is now); a later change never postpones a
  scheduled deletion, and all-forever tolerations cancel it;
- taints gone, or the pod gone: the scheduled deletion is cancelled.

A deletion records ``TaintManagerEviction`` "Marking for deletion Pod ns/name", sets the
``DisruptionTarget`` condition (``DeletionByTaintManager``) and DELETEs with the pod's own
grace period; a cancelled one records "Cancelling deletion of Pod ns/name".

Upstream: pkg/controller/tainteviction/taint_eviction.go and timed_workers.go at
release-1.32 (docs/k8s-semantics.md §7.4, fidelity ``te-*``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.objects import matching_tolerations, resource_type, update_pod_condition
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.runtime import Runtime, Timer
from chaoszone.sim.watch import ADDED, DELETED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = ["TaintEvictionController", "min_toleration_seconds"]

log = logging.getLogger("chaoszone.sim")

_NODES = resource_type("", "v1", "nodes")
_PODS = resource_type("", "v1", "pods")

COMPONENT = "taint-eviction-controller"
_RETRIES = 5

PodKey = tuple[str, str]  # namespace, name


def no_execute_taints(node: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if node is None:
        return []
    return [t for t in (node.get("spec") or {}).get("taints") or ()
            if t.get("effect") == "NoExecute"]


def min_toleration_seconds(tolerations: Sequence[Mapping[str, Any]]) -> float:
    """``getMinTolerationTime``: 0 for none (evict now), -1 for forever, else the least
    ``tolerationSeconds`` (any value <= 0 is now)."""
    if not tolerations:
        return 0
    least: int | None = None
    for toleration in tolerations:
        seconds = toleration.get("tolerationSeconds")
        if seconds is None:
            continue
        if seconds <= 0:
            return 0
        least = seconds if least is None else min(least, seconds)
    return -1 if least is None else float(least)


@dataclass
class _Work:
    """A ``TimedWorker``: a deletion due at ``fire_at``, scheduled at ``created_at``."""

    created_at: float
    fire_at: float
    timer: Timer


class TaintEvictionController:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        #: node -> its NoExecute taints (nodes without any are absent)
        self._tainted: dict[str, list[dict[str, Any]]] = {}
        #: pod -> its pending deletion; None once the deletion ran (no second one is added
        #: until the pod is gone or the entry is cancelled)
        self._work: dict[PodKey, _Work | None] = {}
        self._pods_by_node: dict[str, set[PodKey]] = {}
        self._pod_node: dict[PodKey, str] = {}
        # node updates first, as upstream's workers drain them before pod updates
        self.node_queue: WorkQueue[str] = runtime.queue("taint eviction: nodes",
                                                        self._handle_node)
        self.pod_queue: WorkQueue[tuple[str, str, str]] = runtime.queue(
            "taint eviction: pods", self._handle_pod)
        runtime.listen(self._on_event)

    # -- informers -------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        rt = event.resource
        if rt is _NODES:
            if event.type == ADDED or event.type == DELETED or event.old is None or \
                    no_execute_taints(event.old.obj) != no_execute_taints(event.new.obj):
                self.node_queue.add(event.new.name)
            return
        if rt is not _PODS:
            return
        key = (event.new.namespace, event.new.name)
        spec = event.new.obj.get("spec") or {}
        node = spec.get("nodeName") or ""
        before = self._pod_node.pop(key, "")
        if before:
            self._pods_by_node.get(before, set()).discard(key)
        if node and event.type != DELETED:
            self._pod_node[key] = node
            self._pods_by_node.setdefault(node, set()).add(key)
        if event.type == "MODIFIED" and event.old is not None:
            old_spec = event.old.obj.get("spec") or {}
            if old_spec.get("tolerations") == spec.get("tolerations") and \
                    old_spec.get("nodeName") == spec.get("nodeName"):
                return
        self.pod_queue.add((key[0], key[1], node))

    # -- handlers ----------------------------------------------------------------

    def _handle_pod(self, item: tuple[str, str, str]) -> None:
        namespace, name, node = item
        key = (namespace, name)
        stored = self.store.get(_PODS, namespace, name)
        if stored is None:
            self._cancel(key)
            return
        spec = stored.obj.get("spec") or {}
        if (spec.get("nodeName") or "") != node or not node:
            return
        taints = self._tainted.get(node)
        if taints is None:
            return
        self._process_pod_on_node(key, spec.get("tolerations") or [], taints, self.clock.now())

    def _handle_node(self, name: str) -> None:
        stored = self.store.get(_NODES, "", name)
        if stored is None:
            self._tainted.pop(name, None)
            return
        taints = no_execute_taints(stored.obj)
        if taints:
            self._tainted[name] = taints
        else:
            self._tainted.pop(name, None)
        pods = sorted(self._pods_by_node.get(name, ()))
        if not pods:
            return
        if not taints:
            for key in pods:
                self._cancel(key)
            return
        now = self.clock.now()
        for key in pods:
            pod = self.store.get(_PODS, *key)
            if pod is None:
                continue
            tolerations = (pod.obj.get("spec") or {}).get("tolerations") or []
            self._process_pod_on_node(key, tolerations, taints, now)

    def _process_pod_on_node(self, key: PodKey, tolerations: Sequence[Mapping[str, Any]],
                             taints: Sequence[Mapping[str, Any]], now: float) -> None:
        """``processPodOnNode``."""
        if not taints:
            self._cancel(key)
        tolerated, used = matching_tolerations(taints, tolerations)
        if not tolerated:
            self._cancel(key)
            self._add_work(key, now, now)
            return
        least = min_toleration_seconds(used)
        if least < 0:
            self._cancel(key)
            return
        start, trigger = now, now + least
        scheduled = self._work.get(key)
        if scheduled is not None:
            start = scheduled.created_at
            if start + least < trigger:
                return
            self._cancel(key)
        self._add_work(key, start, start + least)

    # -- timed work --------------------------------------------------------------

    def _add_work(self, key: PodKey, created_at: float, fire_at: float) -> None:
        """``AddWork``: nothing if work for the pod exists (pending or done). The timer runs
        ``fire_at - created_at`` from now, as upstream's ``AfterFunc`` does."""
        if key in self._work:
            return
        delay = fire_at - created_at
        if delay <= 0:
            self._work[key] = None
            self._fire(key)
            return
        timer = self.runtime.after(delay, lambda: self._fire(key))
        self._work[key] = _Work(created_at, fire_at, timer)

    def _cancel(self, key: PodKey) -> None:
        """``cancelWorkWithEvent``: an event only when a pending deletion is cancelled."""
        if key not in self._work:
            return
        work = self._work.pop(key)
        if work is not None:
            work.timer.cancel()
            self._event(key, f"Cancelling deletion of Pod {key[0]}/{key[1]}")

    def _fire(self, key: PodKey) -> None:
        """``deletePodHandler``: event, then DisruptionTarget and DELETE (retried)."""
        self._work[key] = None
        self._event(key, f"Marking for deletion Pod {key[0]}/{key[1]}")
        for _ in range(_RETRIES):
            try:
                self._condition_and_delete(key)
                return
            except errors.ApiError:
                log.debug("taint eviction: deleting %s/%s failed", *key, exc_info=True)
        if key in self._work and self._work[key] is None:
            del self._work[key]

    def _condition_and_delete(self, key: PodKey) -> None:
        pod = self.registry.get(_PODS, *key)
        new = pod.copy()
        if update_pod_condition(new.setdefault("status", {}), {
                "type": "DisruptionTarget", "status": "True",
                "reason": "DeletionByTaintManager",
                "message": "Taint manager: deleting due to NoExecute taint"},
                self.clock.timestamp()):
            self.registry.update(_PODS, key[0], key[1], new, subresource="status")
        self.registry.delete(_PODS, key[0], key[1], DeleteOptions())

    def _event(self, key: PodKey, message: str) -> None:
        involved = {"metadata": {"namespace": key[0], "name": key[1]}}
        self.runtime.record_event(involved, _PODS, "Normal", "TaintManagerEviction", message,
                                  COMPONENT)

    def scheduled(self, namespace: str, name: str) -> float | None:
        """When the pod's pending deletion fires (None: none pending); for tests."""
        work = self._work.get((namespace, name))
        return None if work is None else work.fire_at
