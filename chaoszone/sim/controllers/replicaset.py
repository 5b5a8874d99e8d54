"""The ReplicaSet controller: keeps ``spec.replicas`` active pods.

- Active pods are those not finished and not being deleted (``FilterActivePods``): a
  pod stuck Terminating on a dead node is replaced at once (fidelity ``ctl-001``).
- Pods are claimed by selector: orphans that match are adopted, owned pods that no
  longer match are released.
- Missing pods are created from the template (``<rs>-<5 random>``, a controller
  reference with ``blockOwnerDeletion``) in slow-start batches of 1, 2, 4...; surplus
  pods are deleted in upstream's order (unassigned, pending, not ready, lower
  ``pod-deletion-cost``, more pods of the same owner on the node, ready for less time,
  more restarts, newer), at most 500 per sync.
- Status: ``replicas``, ``fullyLabeledReplicas``, ``readyReplicas``,
  ``availableReplicas`` (ready for ``minReadySeconds``), ``observedGeneration`` and the
  ``ReplicaFailure`` condition.

Upstream: pkg/controller/replicaset/replica_set.go and replica_set_utils.go at
release-1.32.
"""

from __future__ import annotations

from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.controller_utils import (
    Expectations,
    PodControl,
    Retry,
    claim,
    is_pod_active,
    is_pod_available,
    new_controller_ref,
    omit_zero,
    only_status_changed,
    pod_from_template,
    ranked_pods_for_deletion,
    selector_of,
    update_status,
)
from chaoszone.sim.objects import controller_ref_of, is_pod_ready, resource_type
from chaoszone.sim.runtime import Runtime
from chaoszone.sim.store import Store
from chaoszone.sim.watch import ADDED, DELETED, MODIFIED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = ["ReplicaSetController"]

COMPONENT = "replicaset-controller"
BURST_REPLICAS = 500
SLOW_START_INITIAL_BATCH = 1
RS = resource_type("apps", "v1", "replicasets")
PODS = resource_type("", "v1", "pods")

Key = tuple[str, str]
Obj = dict[str, Any]


class ReplicaSetController:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        self.expectations = Expectations(self.clock)
        self.pods = PodControl(runtime, COMPONENT)
        self.queue: WorkQueue[Key] = runtime.queue("replicaset controller", self.sync)
        self.retry = Retry(runtime, self.queue.add)
        self.by_controller = _PodsByController(self.store)
        runtime.listen(self._on_event)

    def reset(self) -> None:
        self.expectations.clear()

    # -- events ----------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        rt = event.resource
        if rt is RS:
            key = (event.new.namespace, event.new.name)
            if event.type == DELETED:
                self.expectations.delete(key)
            elif only_status_changed(event.old.obj if event.old else None, event.new.obj):
                return
            self.queue.add(key)
        elif rt is PODS:
            self.by_controller.observe(event)
            self._on_pod(event)

    def _rs_key(self, pod: Obj) -> Key | None:
        ref = controller_ref_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet" or ref.get("apiVersion") != "apps/v1":
            return None
        ns = pod["metadata"]["namespace"]
        stored = self.store.get(RS, ns, ref["name"])
        if stored is None or stored.meta["uid"] != ref.get("uid"):
            return None
        return (ns, ref["name"])

    def _on_pod(self, event: Event) -> None:
        pod = event.new.obj
        name = pod["metadata"]["name"]
        key = self._rs_key(pod)
        if event.type == DELETED:
            if key is not None:
                self.expectations.deletion_observed(key, name)
                self.queue.add(key)
            return
        old = event.old.obj if event.old is not None else None
        if event.type == ADDED:
            if key is not None:
                self.expectations.creation_observed(key)
                if pod["metadata"].get("deletionTimestamp"):
                    self.expectations.deletion_observed(key, name)
                self.queue.add(key)
            elif controller_ref_of(pod) is None:
                self._enqueue_matching(pod)
            return
        assert old is not None
        same_owners = (old["metadata"].get("ownerReferences")
                       == pod["metadata"].get("ownerReferences"))
        old_key = key if same_owners else self._rs_key(old)
        if old_key is not None and old_key != key:
            self.queue.add(old_key)
        if pod["metadata"].get("deletionTimestamp") and key is not None:
            self.expectations.deletion_observed(key, name)
        if key is not None:
            self.queue.add(key)
            rs = self.store.get(RS, *key)
            min_ready = int(((rs.obj.get("spec") or {}).get("minReadySeconds") or 0)
                            if rs else 0)
            if min_ready and is_pod_ready(pod) and not is_pod_ready(old):
                self.runtime.after(min_ready + 1, lambda: self.queue.add(key))
            return
        labels_changed = (pod["metadata"].get("labels") or {}) != (
            old["metadata"].get("labels") or {})
        if controller_ref_of(pod) is None and (labels_changed
                                               or controller_ref_of(old) is not None):
            self._enqueue_matching(pod)

    def _enqueue_matching(self, pod: Obj) -> None:
        """An orphan: every ReplicaSet that selects it may adopt it."""
        ns = pod["metadata"]["namespace"]
        labels = pod["metadata"].get("labels") or {}
        for stored in self.store.items(RS, ns):
            selector = selector_of(stored.obj)
            if selector is not None and not selector.empty and selector.matches(labels):
                self.queue.add((ns, stored.name))

    # -- sync ------------------------------------------------------------------

    def sync(self, key: Key) -> None:
        ns, name = key
        stored = self.store.get(RS, ns, name)
        if stored is None:
            self.expectations.delete(key)
            return
        rs = stored.obj
        satisfied = self.expectations.satisfied(key)
        selector = selector_of(rs)
        if selector is None:
            return
        uid = rs["metadata"]["uid"]

        def alive() -> bool:
            fresh = self.store.get(RS, ns, name)
            return (fresh is not None and fresh.meta["uid"] == uid
                    and not fresh.meta.get("deletionTimestamp"))

        pods: list[Obj] = []
        for pod in self.by_controller.claimable(ns, uid):
            if not is_pod_active(pod):
                continue
            ref = controller_ref_of(pod)
            if ref is not None and ref.get("uid") == uid and selector.matches(
                    pod["metadata"].get("labels") or {}):
                pods.append(pod)  # controlled and selected: claim keeps it as it is
            else:
                # an orphan to adopt, or a pod to release: claim decides, in name order
                pods.extend(claim(self.registry, PODS, rs, selector, [pod], owner_alive=alive))
        error: errors.ApiError | None = None
        if satisfied and not rs["metadata"].get("deletionTimestamp"):
            error = self._manage(key, rs, pods)
        if error is None:
            self.retry.forget(key)
        else:
            self.retry.again(key)
        status = self._status(rs, pods, error)
        current = self.store.get(RS, ns, name)
        if current is None:
            return
        updated = current.obj
        if _status_changed(current.obj, status):
            updated = update_status(self.registry, RS, ns, name, status) or current.obj
        spec = updated.get("spec") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        st = updated.get("status") or {}
        if (error is None and min_ready > 0
                and st.get("readyReplicas", 0) == spec.get("replicas", 1)
                and st.get("availableReplicas", 0) != spec.get("replicas", 1)):
            self.runtime.after(min_ready, lambda: self.queue.add(key))

    def _manage(self, key: Key, rs: Obj, pods: list[Obj]) -> errors.ApiError | None:
        spec = rs.get("spec") or {}
        diff = len(pods) - int(spec.get("replicas", 1))
        if diff < 0:
            return self._create(key, rs, min(-diff, BURST_REPLICAS))
        if diff > 0:
            return self._delete(key, rs, pods, min(diff, BURST_REPLICAS))
        return None

    def _create(self, key: Key, rs: Obj, count: int) -> errors.ApiError | None:
        self.expectations.expect(key, adds=count)
        template = (rs.get("spec") or {}).get("template") or {}
        ref = new_controller_ref(rs, RS)
        error: errors.ApiError | None = None
        done, batch = 0, min(count, SLOW_START_INITIAL_BATCH)
        while batch > 0:
            failed = False
            for _ in range(batch):
                try:
                    self.pods.create(rs, RS, pod_from_template(template, rs, ref))
                except errors.ApiError as exc:
                    self.expectations.creation_observed(key)
                    if not any(c.reason == "NamespaceTerminating" for c in exc.causes):
                        error, failed = exc, True
            done += batch
            if failed:
                self.expectations.lower(key, count - done)
                break
            batch = min(2 * batch, count - done)
        return error

    def _delete(self, key: Key, rs: Obj, pods: list[Obj], count: int) -> errors.ApiError | None:
        related = self._related_pods(rs)
        victims = ranked_pods_for_deletion(pods, related, count, self.clock.now())
        names = [p["metadata"]["name"] for p in victims]
        self.expectations.expect(key, deletes=names)
        error: errors.ApiError | None = None
        for name in names:
            try:
                self.pods.delete(rs, RS, name)
            except errors.ApiError as exc:
                self.expectations.deletion_observed(key, name)
                if exc.code != 404:
                    error = exc
        return error

    def _related_pods(self, rs: Obj) -> list[Obj]:
        """``getIndirectlyRelatedPods``: the pods of every ReplicaSet with the same
        controlling owner (the Deployment's ReplicaSets), or of this one alone."""
        ns = rs["metadata"]["namespace"]
        owner = controller_ref_of(rs)
        uids = {rs["metadata"]["uid"]}
        if owner is not None:
            for stored in self.store.items(RS, ns):
                ref = controller_ref_of(stored.obj)
                if ref is not None and ref.get("uid") == owner.get("uid"):
                    uids.add(stored.meta["uid"])
        related = []
        for uid in sorted(uids):  # by the owner index, as upstream's controllerUIDIndex
            related.extend(self.by_controller.controlled(ns, uid))
        return related

    def _status(self, rs: Obj, pods: list[Obj], error: errors.ApiError | None) -> Obj:
        """``calculateStatus``."""
        spec = rs.get("spec") or {}
        status = dict(rs.get("status") or {})
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        now = self.clock.now()
        labeled = ready = available = 0
        wanted = template_labels.items()
        for pod in pods:
            if wanted <= (pod["metadata"].get("labels") or {}).items():
                labeled += 1
            if is_pod_ready(pod):
                ready += 1
                # without minReadySeconds a ready pod is available (podutil.IsPodAvailable)
                if not min_ready or is_pod_available(pod, min_ready, now):
                    available += 1
        conditions = [dict(c) for c in status.get("conditions") or []]
        failure = next((c for c in conditions if c.get("type") == "ReplicaFailure"), None)
        if error is not None and failure is None:
            diff = len(pods) - int(spec.get("replicas", 1))
            reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
            conditions.append({"type": "ReplicaFailure", "status": "True",
                               "lastTransitionTime": self.clock.timestamp(),
                               "reason": reason, "message": str(error)})
        elif error is None and failure is not None:
            conditions.remove(failure)
        status.update(replicas=len(pods), fullyLabeledReplicas=labeled, readyReplicas=ready,
                      availableReplicas=available,
                      observedGeneration=rs["metadata"].get("generation", 0))
        if conditions:
            status["conditions"] = conditions
        else:
            status.pop("conditions", None)
        omit_zero(status, "fullyLabeledReplicas", "readyReplicas", "availableReplicas",
                  "observedGeneration")
        return status


class _PodsByController:
    """The names of the pods of each namespace by the uid of their controller (None:
    orphans), kept current from the pod events.

    ``claim`` takes from a namespace only the pods the owner controls and the orphans;
    those of other controllers it leaves alone. So a sync needs only those two groups,
    not every pod of the namespace (upstream lists the namespace from the informer's
    index; 30,000 pods of 30 ReplicaSets made every sync cost all 30,000)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._names: dict[tuple[str, str | None], set[str]] = {}
        self._owners: dict[tuple[str, str], str | None] = {}
        #: each group's names in order, until the group changes
        self._sorted: dict[tuple[str, str | None], list[str]] = {}
        for stored in store.items(PODS):
            self._add(stored.namespace, stored.name, stored.obj)

    def _add(self, ns: str, name: str, pod: Obj) -> None:
        ref = controller_ref_of(pod)
        owner = None if ref is None else str(ref.get("uid") or "")
        self._owners[(ns, name)] = owner
        self._names.setdefault((ns, owner), set()).add(name)
        self._sorted.pop((ns, owner), None)

    def observe(self, event: Event) -> None:
        ns, name = event.new.namespace, event.new.name
        if event.type == MODIFIED and event.old is not None and (
                event.old.meta.get("ownerReferences") == event.new.meta.get("ownerReferences")):
            return  # the same controller
        if (ns, name) in self._owners:
            group = (ns, self._owners.pop((ns, name)))
            names = self._names[group]
            names.discard(name)
            self._sorted.pop(group, None)
            if not names:
                del self._names[group]
        if event.type != DELETED:
            self._add(ns, name, event.new.obj)

    def claimable(self, ns: str, owner_uid: str) -> list[Obj]:
        """The pods ``owner_uid`` controls and the orphans of ``ns``, in name order (the
        order of a namespace listing)."""
        owned, orphans = self._in_order(ns, owner_uid), self._in_order(ns, None)
        names = sorted(owned + orphans) if orphans and owned else owned or orphans
        pods = []
        get = self._store.get
        for name in names:
            stored = get(PODS, ns, name)
            if stored is not None:
                pods.append(stored.obj)
        return pods

    def controlled(self, ns: str, owner_uid: str) -> list[Obj]:
        """The pods of ``ns`` that ``owner_uid`` controls, in name order."""
        pods = []
        for name in self._in_order(ns, owner_uid):
            stored = self._store.get(PODS, ns, name)
            if stored is not None:
                pods.append(stored.obj)
        return pods

    def _in_order(self, ns: str, owner_uid: str | None) -> list[str]:
        group = (ns, owner_uid)
        found = self._sorted.get(group)
        if found is None:
            found = self._sorted[group] = sorted(self._names.get(group, ()))
        return found


def _status_changed(rs: Obj, status: Obj) -> bool:
    return bool((rs.get("status") or {}) != status)
