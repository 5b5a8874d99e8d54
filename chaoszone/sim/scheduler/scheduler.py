"""The simulated kube-scheduler (``default-scheduler``): it watches the store, keeps its
cache and queue up to date, and schedules pending pods one at a time with the default
profile, binding them through ``pods/binding``.

A pod that fits nowhere gets the condition ``PodScheduled=False`` (reason
``Unschedulable``, the FailedScheduling message) through the status subresource and a
``FailedScheduling`` Warning event, and waits in the queue for an event that may help.
The per-node verdicts of its last attempt are kept: :meth:`Scheduler.diagnosis`, and the
pod annotation ``chaoszone.io/scheduling-diagnosis`` (JSON, ``{node: [[plugin,
reason], ...]}``), written only when they change.

Pods are handled only if ``schedulerName`` is ``default-scheduler``, they are not bound,
not being deleted, not gated (``schedulingGates``), and they have not completed. Pods
with lower priority may be preempted for a pod that fits nowhere else.

Upstream: pkg/scheduler/{scheduler.go,schedule_one.go,eventhandlers.go} at release-1.32.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.resources import by_path
from chaoszone.sim.runtime import Runtime, Timer
from chaoszone.sim.scheduler import events as ev
from chaoszone.sim.scheduler.cache import Cache, StoreListers, pod_is_counted
from chaoszone.sim.scheduler.framework import NO_NODES, CycleState, Diagnosis, Framework
from chaoszone.sim.scheduler.plugins import default_plugins
from chaoszone.sim.scheduler.plugins.defaultpreemption import DefaultPreemption
from chaoszone.sim.scheduler.plugins.volumebinding import (
    ANN_BOUND_BY_CONTROLLER,
    ANN_SELECTED_NODE,
    PodVolumes,
    VolumeBinding,
    _fully_bound,
    check_node_affinity,
)
from chaoszone.sim.scheduler.queue import QueuedPod, SchedulingQueue
from chaoszone.sim.scheduler.types import PodInfo
from chaoszone.sim.watch import ADDED, DELETED, Event

__all__ = ["DIAGNOSIS_ANNOTATION", "SCHEDULER_NAME", "Scheduler"]

log = logging.getLogger("chaoszone.sim.scheduler")

SCHEDULER_NAME = "default-scheduler"
DIAGNOSIS_ANNOTATION = "chaoszone.io/scheduling-diagnosis"
#: the longest annotation the scheduler writes; larger diagnoses stay in memory only
MAX_ANNOTATION_BYTES = 128 * 1024
#: validation.NoteLengthLimit: events carry at most this much of a message
MAX_EVENT_MESSAGE = 1024
#: bindTimeoutSeconds of the VolumeBinding plugin
VOLUME_BIND_TIMEOUT = 600.0
#: pods scheduled per turn of the event loop before yielding to it
BATCH = 64

_PODS = by_path("", "v1", "pods")
_NODES = by_path("", "v1", "nodes")
_PVS = by_path("", "v1", "persistentvolumes")
_PVCS = by_path("", "v1", "persistentvolumeclaims")
_CLASSES = by_path("storage.k8s.io", "v1", "storageclasses")
_NAMESPACES = by_path("", "v1", "namespaces")
assert _PODS and _NODES and _PVS and _PVCS and _CLASSES and _NAMESPACES

Key = tuple[str, str]
NodeVerdicts = dict[str, list[tuple[str, str]]]


def truncate_message(message: str) -> str:
    """``truncateMessage``: events keep the first 1024 characters, ending in `` ...``."""
    if len(message) <= MAX_EVENT_MESSAGE:
        return message
    suffix = " ..."
    return message[:MAX_EVENT_MESSAGE - len(suffix)] + suffix


def _pod_key(obj: Mapping[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "default", meta.get("name") or "")


def _scheduling_relevant(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """``isPodUpdated``: a change other than status, resourceVersion, managedFields and
    the scheduler's own diagnosis annotation."""
    def strip(obj: dict[str, Any]) -> tuple[Any, ...]:
        meta = dict(obj.get("metadata") or {})
        for f in ("resourceVersion", "managedFields", "generation"):
            meta.pop(f, None)
        annotations = dict(meta.get("annotations") or {})
        annotations.pop(DIAGNOSIS_ANNOTATION, None)
        meta["annotations"] = annotations
        return (meta, obj.get("spec"))
    return strip(old) != strip(new)


def _manages(pod: dict[str, Any]) -> bool:
    """Whether this scheduler should try to place the pod now."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return False
    if (spec.get("schedulerName") or SCHEDULER_NAME) != SCHEDULER_NAME:
        return False
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    if spec.get("schedulingGates"):
        return False  # SchedulingGates' PreEnqueue: the pod waits until they are removed
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


@dataclass
class _VolumeWait:
    """A pod assumed on a node, waiting for PreBind's claims to be bound."""

    qp: QueuedPod
    node: str
    volumes: PodVolumes
    timer: Timer | None = None


class Scheduler:
    """The default scheduler of one simulated cluster."""

    def __init__(self, runtime: Runtime, *, seed: int | None = 0,
                 plugin_args: dict[str, dict[str, Any]] | None = None,
                 percentage_of_nodes_to_score: int = 0) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        self.cache = Cache(StoreListers(self.store))
        self.framework = Framework(self.cache, default_plugins(self.cache, plugin_args),
                                   percentage_of_nodes_to_score=percentage_of_nodes_to_score,
                                   seed=seed)
        for plugin in self.framework.plugins:
            if isinstance(plugin, DefaultPreemption):
                plugin.on_preempt = self._preempt
        volume_binding = self.framework.by_name.get(VolumeBinding.name)
        assert isinstance(volume_binding, VolumeBinding)
        self._volume_binding = volume_binding
        self._plugin_events = {p.name: p.events for p in self.framework.plugins}
        self.queue = SchedulingQueue(self.clock.now)
        self._diagnoses: dict[Key, NodeVerdicts] = {}
        self._waiting: dict[Key, _VolumeWait] = {}
        self._backoff_timer: Timer | None = None
        self._backoff_at: float | None = None
        self._leftover_timer: Timer | None = None
        self._work = runtime.queue("scheduler", self._run)
        #: how many attempts were made and how many pods were bound (for benchmarks)
        self.attempts = 0
        self.scheduled = 0
        self._sync()
        runtime.listen(self._on_event)

    # -- public API ------------------------------------------------------------------

    def diagnosis(self, namespace: str, name: str) -> NodeVerdicts | None:
        """The per-node verdicts of the last failed attempt for a pending pod:
        ``{node: [(plugin, reason), ...]}``; None if the pod is not known to be failing."""
        found = self._diagnoses.get((namespace, name))
        return None if found is None else {n: list(v) for n, v in found.items()}

    # -- informers -------------------------------------------------------------------

    def _sync(self) -> None:
        for stored in self.store.items(_NODES):  # type: ignore[arg-type]
            self.cache.add_node(stored.obj)
        for stored in self.store.items(_PODS):  # type: ignore[arg-type]
            pod = stored.obj
            if pod_is_counted(pod):
                self.cache.add_pod(pod)
            elif _manages(pod):
                self.queue.add(PodInfo(pod))
        if self.queue.has_active():
            self._work.add("schedule")

    def _on_event(self, event: Event) -> None:
        rt = event.resource
        if rt is _PODS:
            self._on_pod(event)
        elif rt is _NODES:
            self._on_node(event)
        elif rt is _PVCS:
            self._move(ev.PVC_CHANGE)
            self._check_waiting()
        elif rt is _PVS:
            self._move(ev.PV_CHANGE)
            self._check_waiting()
        elif rt is _CLASSES:
            self._move(ev.STORAGE_CLASS_CHANGE)
        elif rt is _NAMESPACES and event.old is not None and event.old.labels != event.new.labels:
            self._move(ev.NAMESPACE_CHANGE)

    def _on_node(self, event: Event) -> None:
        node = event.new.obj
        if event.type == DELETED:
            self.cache.remove_node(event.new.name)
            self._move(ev.NODE_DELETE)
        elif event.type == ADDED or event.old is None:
            self.cache.add_node(node)
            self._move(ev.NODE_ADD)
        else:
            changes = ev.node_update_events(event.old.obj, node)
            if changes or event.old.labels != event.new.labels:
                self.cache.update_node(node)
            else:
                # heartbeats: refresh the object without waking anyone
                info = self.cache.get(event.new.name)
                if info is not None:
                    info.node = node
            for change in sorted(changes):
                self._move(change)

    def _on_pod(self, event: Event) -> None:
        pod = event.new.obj
        key = _pod_key(pod)
        if event.type == DELETED:
            was_counted = self.cache.pod_node(key) is not None
            self.cache.remove_pod(key)
            self.queue.delete(key)
            self._diagnoses.pop(key, None)
            self._cancel_wait(key)
            if was_counted:
                self._move(ev.ASSIGNED_POD_DELETE, pod)
            return
        if (pod.get("spec") or {}).get("nodeName"):
            self.queue.delete(key)
            self._diagnoses.pop(key, None)
            was_counted = self.cache.pod_node(key) is not None and not self.cache.is_assumed(key)
            if pod_is_counted(pod):
                old = event.old.obj if event.old is not None else None
                self.cache.update_pod(pod)
                if not was_counted:
                    self._move(ev.ASSIGNED_POD_ADD, pod)
                elif old is not None and ((old.get("metadata") or {}).get("labels")
                                          != (pod.get("metadata") or {}).get("labels")):
                    self._move(ev.ASSIGNED_POD_UPDATE, pod)
            elif self.cache.pod_node(key) is not None:
                self.cache.remove_pod(key)
                self._move(ev.ASSIGNED_POD_DELETE, pod)
            return
        if not _manages(pod):
            if self.queue.delete(key) is not None:
                self._diagnoses.pop(key, None)
            return
        if key in self._waiting:
            return
        info = PodInfo(pod)
        if key in self.queue:
            relevant = event.old is None or _scheduling_relevant(event.old.obj, pod)
            if self.queue.update(info, relevant):
                self._work.add("schedule")
            self._schedule_backoff_flush()
        elif self.queue.add(info):
            self._work.add("schedule")

    # -- moving pods -----------------------------------------------------------------

    def _move(self, event: str, pod: dict[str, Any] | None = None) -> None:
        if not self.queue.has_unschedulable():
            return
        hint = None
        if pod is not None:
            namespace = _pod_key(pod)[0]

            def hint(qp: QueuedPod) -> bool:
                # PodTopologySpread only counts pods of the pending pod's namespace
                if qp.plugins == {"PodTopologySpread"}:
                    return qp.info.namespace == namespace
                return True
        if self.queue.move_for_event(event, self._plugin_events, hint):
            self._work.add("schedule")
        self._schedule_backoff_flush()

    def _schedule_backoff_flush(self) -> None:
        deadline = self.queue.next_backoff_deadline()
        if deadline is None:
            return
        if self._backoff_at is not None and self._backoff_at <= deadline \
                and self._backoff_timer is not None and not self._backoff_timer.cancelled:
            return
        if self._backoff_timer is not None:
            self._backoff_timer.cancel()
        self._backoff_at = deadline
        self._backoff_timer = self.runtime.at(deadline, self._flush_backoff)

    def _flush_backoff(self) -> None:
        self._backoff_timer = None
        self._backoff_at = None
        if self.queue.flush_backoff():
            self._work.add("schedule")
        self._schedule_backoff_flush()

    def _ensure_leftover_timer(self) -> None:
        if self._leftover_timer is None and self.queue.has_unschedulable():
            self._leftover_timer = self.runtime.every(30.0, self._flush_leftover)

    def _flush_leftover(self) -> None:
        if self.queue.flush_unschedulable_leftover():
            self._work.add("schedule")
        if not self.queue.has_unschedulable() and self._leftover_timer is not None:
            self._leftover_timer.cancel()
            self._leftover_timer = None

    # -- the scheduling loop ---------------------------------------------------------

    def _run(self, _: str) -> None:
        for _turn in range(BATCH):
            qp = self.queue.pop()
            if qp is None:
                return
            try:
                self.schedule_one(qp)
            except Exception:  # a scheduler bug must not lose the pod
                log.exception("scheduling %s/%s failed", *qp.key)
                self.queue.error_failure(qp)
                self._schedule_backoff_flush()
        if self.queue.has_active():
            self.runtime.after(0.0, lambda: self._work.add("schedule"))

    def schedule_one(self, qp: QueuedPod) -> None:
        """One scheduling cycle for one pod, then its binding (or its failure)."""
        key = qp.key
        stored = self.store.get(_PODS, *key)  # type: ignore[arg-type]
        if stored is None or not _manages(stored.obj):
            self.queue.delete(key)
            return
        info = qp.info if qp.info.pod is stored.obj else PodInfo(stored.obj)
        qp.info = info
        self.attempts += 1
        result, state = self.framework.schedule(info)
        if result.node:
            self._assume_and_bind(qp, info, result.node, state)
            return
        if result.error == NO_NODES:
            # Upstream reports SchedulerError "no nodes available to schedule pods"; a
            # cluster without nodes is an API-only simulator, whose pods stay untouched
            # until a node registers (docs/fidelity.md).
            self.queue.unschedulable_failure(qp, frozenset())
            return
        if result.error:
            self._fail(qp, result.error, "SchedulerError", error=True)
            return
        self.framework.post_filter(state, info, result)
        assert result.diagnosis is not None
        self._record_diagnosis(info, result.diagnosis)
        self._fail(qp, result.message(), "Unschedulable",
                   plugins=frozenset(result.diagnosis.unschedulable_plugins),
                   nominated=result.nominated)

    # -- binding ---------------------------------------------------------------------

    def _assume_and_bind(self, qp: QueuedPod, info: PodInfo, node: str,
                         state: CycleState) -> None:
        self.cache.assume(info, node)
        self.queue.done(info.key)
        volumes = self._volume_binding.pod_volumes(state, node)
        if volumes is not None:
            try:
                self._pre_bind_volumes(info, node, volumes)
            except errors.ApiError as exc:
                self._unreserve(info)
                self._requeue_error(qp, info,
                                    f'running PreBind plugin "VolumeBinding": {exc.message}')
                return
            wait = _VolumeWait(qp, node, volumes)
            wait.timer = self.runtime.after(VOLUME_BIND_TIMEOUT,
                                            lambda: self._volume_timeout(info.key))
            self._waiting[info.key] = wait
            self._check_waiting()
            return
        self._bind(qp, info, node)

    def _bind(self, qp: QueuedPod, info: PodInfo, node: str) -> None:
        namespace, name = info.key
        try:
            self.registry.bind(namespace, name, {"target": {"kind": "Node", "name": node}})
        except errors.ApiError as exc:
            self._unreserve(info)
            if exc.code == 404:
                return
            self._requeue_error(qp, info, f"binding rejected: {exc.message}")
            return
        self.scheduled += 1
        self._diagnoses.pop(info.key, None)
        stored = self.store.get(_PODS, namespace, name)  # type: ignore[arg-type]
        self.runtime.record_event(
            stored.obj if stored is not None else info.pod, _PODS,  # type: ignore[arg-type]
            "Normal", "Scheduled", f"Successfully assigned {namespace}/{name} to {node}",
            SCHEDULER_NAME)

    def _unreserve(self, info: PodInfo) -> None:
        self.cache.forget(info.key)

    def _requeue_error(self, qp: QueuedPod, info: PodInfo, message: str) -> None:
        stored = self.store.get(_PODS, *info.key)  # type: ignore[arg-type]
        if stored is None or not _manages(stored.obj):
            return
        qp.info = PodInfo(stored.obj)
        self.queue.readd(qp)  # back into the queue it left when it was assumed
        self._fail(qp, message, "SchedulerError", error=True)

    def _pre_bind_volumes(self, info: PodInfo, node: str, volumes: PodVolumes) -> None:
        """``BindPodVolumes``' API writes: pre-bind each matched volume to its claim and
        mark each claim to provision with the chosen node."""
        assert _PVS is not None and _PVCS is not None
        for pv, pvc in volumes.static:
            current = self.registry.get(_PVS, "", pv["metadata"]["name"])
            new = current.copy()
            claim = self.registry.get(_PVCS, *_pod_key(pvc))
            meta = claim.meta
            ref = (new.get("spec") or {}).get("claimRef") or {}
            if (ref.get("name"), ref.get("namespace"), ref.get("uid")) != (
                    meta["name"], meta["namespace"], meta["uid"]):
                new["spec"]["claimRef"] = {
                    "kind": "PersistentVolumeClaim", "namespace": meta["namespace"],
                    "name": meta["name"], "uid": meta["uid"], "apiVersion": "v1",
                    "resourceVersion": meta["resourceVersion"]}
                new["metadata"].setdefault("annotations", {}).setdefault(
                    ANN_BOUND_BY_CONTROLLER, "yes")
            self.registry.update(_PVS, None, new["metadata"]["name"], new)
        for pvc in volumes.dynamic:
            claim = self.registry.get(_PVCS, *_pod_key(pvc))
            new = claim.copy()
            new["metadata"].setdefault("annotations", {})[ANN_SELECTED_NODE] = node
            self.registry.update(_PVCS, new["metadata"]["namespace"], new["metadata"]["name"],
                                 new)

    def _check_waiting(self) -> None:
        for key, wait in list(self._waiting.items()):
            done, error = self._volumes_bound(wait)
            if not done and not error:
                continue
            self._waiting.pop(key, None)
            if wait.timer is not None:
                wait.timer.cancel()
            info = wait.qp.info
            if error:
                self._unreserve(info)
                self._requeue_error(wait.qp, info,
                                    f'running PreBind plugin "VolumeBinding": {error}')
            else:
                # bind on the next turn: this runs inside a store write
                self.runtime.after(0.0, self._binder(wait))

    def _binder(self, wait: _VolumeWait) -> Callable[[], None]:
        def bind() -> None:
            self._bind(wait.qp, wait.qp.info, wait.node)
        return bind

    def _volumes_bound(self, wait: _VolumeWait) -> tuple[bool, str]:
        """``checkBindings``: (all bound, error)."""
        assert _PVS is not None and _PVCS is not None
        for pv, pvc in wait.volumes.static:
            current_pv = self.store.get(_PVS, "", pv["metadata"]["name"])
            current_pvc = self.store.get(_PVCS, *_pod_key(pvc))
            if current_pv is None or current_pvc is None:
                return False, ("failed to check binding: volume or claim of "
                               f'"{pvc["metadata"]["name"]}" not found')
            ref = (current_pv.obj.get("spec") or {}).get("claimRef") or {}
            if not ref.get("uid"):
                return False, f'ClaimRef got reset for pv "{current_pv.name}"'
            if ref.get("uid") != current_pvc.meta.get("uid"):
                return False, f'pv "{current_pv.name}" is bound to another claim'
            if not _fully_bound(current_pvc.obj):
                return False, ""
        node = self.cache.get(wait.node)
        for pvc in wait.volumes.dynamic:
            current = self.store.get(_PVCS, *_pod_key(pvc))
            if current is None:
                return False, ("failed to check provisioning pvc: "
                               f'"{pvc["metadata"]["name"]}" not found')
            selected = (current.meta.get("annotations") or {}).get(ANN_SELECTED_NODE)
            if selected != wait.node:
                return False, f'provisioning failed for PVC "{current.name}"'
            volume_name = (current.obj.get("spec") or {}).get("volumeName")
            if volume_name:
                pv_stored = self.store.get(_PVS, "", volume_name)
                if pv_stored is None:
                    return False, ""
                if node is not None and not check_node_affinity(pv_stored.obj, node.labels):
                    return False, (f'pv "{volume_name}" node affinity doesn\'t match node '
                                   f'"{wait.node}": no matching NodeSelectorTerms')
            if not _fully_bound(current.obj):
                return False, ""
        return True, ""

    def _volume_timeout(self, key: Key) -> None:
        wait = self._waiting.pop(key, None)
        if wait is None:
            return
        self._unreserve(wait.qp.info)
        self._requeue_error(wait.qp, wait.qp.info,
                            'running PreBind plugin "VolumeBinding": binding volumes: '
                            "context deadline exceeded")

    def _cancel_wait(self, key: Key) -> None:
        wait = self._waiting.pop(key, None)
        if wait is not None and wait.timer is not None:
            wait.timer.cancel()

    # -- failures --------------------------------------------------------------------

    def _record_diagnosis(self, info: PodInfo, diagnosis: Diagnosis) -> None:
        verdicts: NodeVerdicts = {}
        for node in self.cache.node_infos():
            status = diagnosis.status_of(node.name)
            verdicts[node.name] = [] if status is None else [
                (status.plugin, reason) for reason in status.reasons]
        self._diagnoses[info.key] = verdicts
        self._write_diagnosis_annotation(info, verdicts)

    def _write_diagnosis_annotation(self, info: PodInfo, verdicts: NodeVerdicts) -> None:
        text = json.dumps({n: [list(v) for v in vs] for n, vs in verdicts.items()},
                          separators=(",", ":"), sort_keys=True)
        if len(text) > MAX_ANNOTATION_BYTES:
            return
        stored = self.store.get(_PODS, *info.key)  # type: ignore[arg-type]
        if stored is None:
            return
        if (stored.meta.get("annotations") or {}).get(DIAGNOSIS_ANNOTATION) == text:
            return
        new = stored.copy()
        new["metadata"].setdefault("annotations", {})[DIAGNOSIS_ANNOTATION] = text
        try:
            self.registry.update(_PODS, info.namespace, info.name, new)  # type: ignore[arg-type]
        except errors.ApiError:
            log.debug("diagnosis annotation refused for %s/%s", *info.key, exc_info=True)

    def _fail(self, qp: QueuedPod, message: str, reason: str, *,
              plugins: frozenset[str] = frozenset(), error: bool = False,
              nominated: str | None = None) -> None:
        """``handleSchedulingFailure``: event, condition, back into the queue."""
        stored = self.store.get(_PODS, *qp.key)  # type: ignore[arg-type]
        if stored is None or not _manages(stored.obj):
            self.queue.delete(qp.key)
            return
        self.runtime.record_event(stored.obj, _PODS, "Warning",  # type: ignore[arg-type]
                                  "FailedScheduling", truncate_message(message), SCHEDULER_NAME)
        self._set_condition(stored.obj, message, reason, nominated)
        if error:
            self.queue.error_failure(qp)
            self._schedule_backoff_flush()
        else:
            self.queue.unschedulable_failure(qp, plugins)
            self._ensure_leftover_timer()

    def _set_condition(self, pod: dict[str, Any], message: str, reason: str,
                       nominated: str | None) -> None:
        status = pod.get("status") or {}
        conditions = list(status.get("conditions") or [])
        now = self.clock.timestamp()
        old = next((c for c in conditions if c.get("type") == "PodScheduled"), None)
        new_cond = {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                    "lastTransitionTime": now, "reason": reason, "message": message}
        if old is not None and old.get("status") == "False":
            new_cond["lastTransitionTime"] = old.get("lastTransitionTime")
        changed = old is None or any(old.get(k) != new_cond.get(k) for k in new_cond)
        nominated_changed = nominated is not None and status.get("nominatedNodeName") != nominated
        if not changed and not nominated_changed:
            return
        new_status = dict(status)
        new_status["conditions"] = [new_cond if c is old else c for c in conditions] \
            if old is not None else [*conditions, new_cond]
        if nominated is not None:
            if nominated:
                new_status["nominatedNodeName"] = nominated
            else:
                new_status.pop("nominatedNodeName", None)
        meta = pod.get("metadata") or {}
        try:
            self.registry.update(_PODS, meta.get("namespace"), meta.get("name") or "",  # type: ignore[arg-type]
                                 {"metadata": {"name": meta.get("name")}, "status": new_status},
                                 subresource="status")
        except errors.ApiError:
            log.debug("status update refused for %s", meta.get("name"), exc_info=True)

    # -- preemption --------------------------------------------------------------------

    def _preempt(self, pod: PodInfo, node: str, victims: Sequence[PodInfo]) -> None:
        """``prepareCandidate``: mark each victim ``DisruptionTarget`` and delete it."""
        assert _PODS is not None
        for victim in victims:
            stored = self.store.get(_PODS, *victim.key)
            if stored is None:
                continue
            status = dict(stored.obj.get("status") or {})
            conditions = [c for c in status.get("conditions") or []
                          if c.get("type") != "DisruptionTarget"]
            conditions.append({
                "type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                "lastTransitionTime": self.clock.timestamp(), "reason": "PreemptionByScheduler",
                "message": f"{SCHEDULER_NAME}: preempting to accommodate a higher priority pod"})
            status["conditions"] = conditions
            try:
                self.registry.update(_PODS, victim.namespace, victim.name,
                                     {"metadata": {"name": victim.name}, "status": status},
                                     subresource="status")
                self.registry.delete(_PODS, victim.namespace, victim.name, DeleteOptions())
            except errors.ApiError:
                log.debug("preempting %s/%s failed", *victim.key, exc_info=True)
                continue
            self.runtime.record_event(
                stored.obj, _PODS, "Normal", "Preempted",
                f"Preempted by pod {pod.uid} on node {node}", SCHEDULER_NAME)
