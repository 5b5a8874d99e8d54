"""The StatefulSet controller: pods with stable names, storage and order.

- Pods are ``<set>-<ordinal>`` (ordinals from ``spec.ordinals.start``) with
  ``hostname``/``subdomain``, the ``statefulset.kubernetes.io/pod-name`` and
  ``apps.kubernetes.io/pod-index`` labels, and ``controller-revision-hash``.
- Each ``volumeClaimTemplates`` entry gives a PVC ``<claim>-<set>-<ordinal>``, created
  before the pod and reused as it is when it exists (fidelity ``ctl-003``). The
  ``persistentVolumeClaimRetentionPolicy`` (Retain/Delete when deleted or scaled)
  is enforced with owner references on the PVCs, which the garbage collector follows.
- At most one pod per ordinal: a pod that is Terminating (say on a dead node) is not
  replaced until it is really gone; with ``OrderedReady`` it also blocks every higher
  ordinal, scale-down and update. ``Parallel`` creates and deletes without waiting.
- ControllerRevisions ``<set>-<hash>`` hold the template (``$patch: replace``); the hash
  is upstream's (fnv32 of that JSON and the collision count). RollingUpdate replaces
  pods from the highest ordinal down to ``partition``, one at a time once each is
  healthy; OnDelete waits for the user.
- Failed or succeeded pods are deleted and made again.
- Status: ``replicas``, ``readyReplicas``, ``currentReplicas``, ``updatedReplicas``,
  ``availableReplicas``, ``currentRevision``, ``updateRevision``, ``collisionCount``,
  ``observedGeneration`` (what ``kubectl rollout status sts`` reads).

Upstream: pkg/controller/statefulset/{stateful_set,stateful_set_control,
stateful_set_utils,stateful_pod_control}.go and pkg/controller/history at release-1.32
(StatefulSetAutoDeletePVC GA, MaxUnavailableStatefulSet off).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.controller_utils import (
    CONTROLLER_REVISION_HASH,
    Retry,
    claim,
    fnv32,
    go_json,
    is_pod_available,
    new_controller_ref,
    omit_zero,
    only_status_changed,
    safe_encode_string,
    selector_of,
    template_patch,
    update_status,
)
from chaoszone.sim.objects import controller_ref_of, is_pod_ready, parse_time, resource_type
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.runtime import Runtime
from chaoszone.sim.watch import DELETED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = ["StatefulSetController"]

COMPONENT = "statefulset-controller"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"

STS = resource_type("apps", "v1", "statefulsets")
PODS = resource_type("", "v1", "pods")
PVCS = resource_type("", "v1", "persistentvolumeclaims")
REVISIONS = resource_type("apps", "v1", "controllerrevisions")
_POD_KIND = ("v1", "Pod")
_SET_KIND = ("apps/v1", "StatefulSet")

Key = tuple[str, str]
Obj = dict[str, Any]
_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")


# -- identity -------------------------------------------------------------------------------

def parent_and_ordinal(pod: Obj) -> tuple[str, int]:
    """``getParentNameAndOrdinal``: ("", -1) for a name without a trailing ordinal."""
    match = _ORDINAL.match(pod["metadata"]["name"])
    if match is None:
        return "", -1
    return match.group(1), int(match.group(2))


def ordinal(pod: Obj) -> int:
    return parent_and_ordinal(pod)[1]


def _spec(obj: Obj) -> Obj:
    spec: Obj = obj.get("spec") or {}
    return spec


def start_ordinal(sts: Obj) -> int:
    return int((_spec(sts).get("ordinals") or {}).get("start") or 0)


def end_ordinal(sts: Obj) -> int:
    return start_ordinal(sts) + int(_spec(sts).get("replicas", 1)) - 1


def in_range(pod: Obj, sts: Obj) -> bool:
    return start_ordinal(sts) <= ordinal(pod) <= end_ordinal(sts)


def pod_name(sts: Obj, index: int) -> str:
    return f"{sts['metadata']['name']}-{index}"


def claim_name(sts: Obj, template: Obj, index: int) -> str:
    return f"{(template.get('metadata') or {}).get('name', '')}-{sts['metadata']['name']}-{index}"


def _claims(sts: Obj, index: int) -> list[tuple[str, Obj]]:
    """``getPersistentVolumeClaims``: (volume name, claim) per template, in order."""
    out = []
    match_labels = (_spec(sts).get("selector") or {}).get("matchLabels") or {}
    for template in _spec(sts).get("volumeClaimTemplates") or []:
        claim_obj = copy.deepcopy(template)
        claim_obj.pop("status", None)
        claim_obj.pop("apiVersion", None)
        claim_obj.pop("kind", None)
        meta = claim_obj.setdefault("metadata", {})
        meta["name"] = claim_name(sts, template, index)
        meta["namespace"] = sts["metadata"]["namespace"]
        meta["labels"] = {**(meta.get("labels") or {}), **match_labels}
        out.append(((template.get("metadata") or {}).get("name", ""), claim_obj))
    return out


def identity_matches(sts: Obj, pod: Obj) -> bool:
    parent, index = parent_and_ordinal(pod)
    labels = pod["metadata"].get("labels") or {}
    return (index >= 0 and parent == sts["metadata"]["name"]
            and pod["metadata"]["name"] == pod_name(sts, index)
            and pod["metadata"].get("namespace") == sts["metadata"]["namespace"]
            and labels.get(POD_NAME_LABEL) == pod["metadata"]["name"]
            and labels.get(POD_INDEX_LABEL) == str(index))


def _revision_of(pod: Obj) -> str:
    return str((pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, ""))


def _phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def is_created(pod: Obj) -> bool:
    return _phase(pod) != ""


def is_terminating(pod: Obj) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_running_and_ready(pod: Obj) -> bool:
    return _phase(pod) == "Running" and is_pod_ready(pod)


def is_healthy(pod: Obj) -> bool:
    return is_running_and_ready(pod) and not is_terminating(pod)


def _has_ref(obj: Obj, owner: Obj) -> bool:
    uid = owner["metadata"].get("uid", "")
    return any(r.get("uid") == uid for r in obj["metadata"].get("ownerReferences") or [])


def _matches_ref(ref: Obj, owner: Obj, kind: tuple[str, str]) -> bool:
    return (ref.get("apiVersion") == kind[0] and ref.get("kind") == kind[1]
            and ref.get("name") == owner["metadata"]["name"]
            and ref.get("uid") == owner["metadata"].get("uid", ""))


def _stale_ref(obj: Obj, owner: Obj, kind: tuple[str, str]) -> bool:
    """``hasStaleOwnerRef``: a reference to an earlier object of the same name."""
    return any(r.get("apiVersion") == kind[0] and r.get("kind") == kind[1]
               and r.get("name") == owner["metadata"]["name"]
               and r.get("uid") != owner["metadata"].get("uid", "")
               for r in obj["metadata"].get("ownerReferences") or [])


def _unexpected_controller(pvc: Obj, sts: Obj, pod: Obj) -> bool:
    for ref in pvc["metadata"].get("ownerReferences") or []:
        if ref.get("controller") and not (_matches_ref(ref, sts, _SET_KIND)
                                          or _matches_ref(ref, pod, _POD_KIND)):
            return True
    return False


def _non_controller_owner(pvc: Obj, sts: Obj, pod: Obj) -> bool:
    uids = {sts["metadata"].get("uid"), pod["metadata"].get("uid")}
    return any(r.get("uid") in uids and not r.get("controller")
               for r in pvc["metadata"].get("ownerReferences") or [])


def _policy(sts: Obj) -> tuple[str, str]:
    policy = _spec(sts).get("persistentVolumeClaimRetentionPolicy") or {}
    return policy.get("whenScaled") or "Retain", policy.get("whenDeleted") or "Retain"


def claim_owner_up_to_date(pvc: Obj, sts: Obj, pod: Obj) -> bool:
    """``isClaimOwnerUpToDate``."""
    if _stale_ref(pvc, sts, _SET_KIND) or _stale_ref(pvc, pod, _POD_KIND):
        return False
    if _unexpected_controller(pvc, sts, pod):
        return not (_has_ref(pvc, sts) or _has_ref(pvc, pod))
    if _non_controller_owner(pvc, sts, pod):
        return False
    scaled, deleted = _policy(sts)
    scaled_down = not in_range(pod, sts)
    if scaled == "Delete" and deleted == "Delete":
        return scaled_down != _has_ref(pvc, sts) and scaled_down == _has_ref(pvc, pod)
    if scaled == "Delete":
        return not _has_ref(pvc, sts) and scaled_down == _has_ref(pvc, pod)
    if deleted == "Delete":
        return _has_ref(pvc, sts) and not _has_ref(pvc, pod)
    return not _has_ref(pvc, sts) and not _has_ref(pvc, pod)


def update_claim_owner_refs(pvc: Obj, sts: Obj, pod: Obj) -> None:
    """``updateClaimOwnerRefForSetAndPod``."""
    unexpected = _unexpected_controller(pvc, sts, pod)
    refs = [r for r in pvc["metadata"].get("ownerReferences") or []
            if not (_matches_ref(r, sts, _SET_KIND) or _matches_ref(r, pod, _POD_KIND))]
    if not unexpected:
        scaled, deleted = _policy(sts)
        scaled_down = not in_range(pod, sts)
        if scaled == "Delete" and scaled_down and pod["metadata"].get("uid"):
            refs.append(new_controller_ref(pod, PODS))
        elif deleted == "Delete" and (scaled != "Delete" or not scaled_down):
            refs.append(new_controller_ref(sts, STS))
    if refs:
        pvc["metadata"]["ownerReferences"] = refs
    else:
        pvc["metadata"].pop("ownerReferences", None)


def hash_revision(data: Obj, probe: int) -> str:
    """``HashControllerRevision``: fnv32 over the revision's JSON and the probe."""
    return safe_encode_string(str(fnv32(go_json(data) + str(probe).encode())))


# -- the controller --------------------------------------------------------------------------

class StatefulSetController:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        self.queue: WorkQueue[Key] = runtime.queue("statefulset controller", self.sync)
        self.retry = Retry(runtime, self.queue.add)
        runtime.listen(self._on_event)

    def _on_event(self, event: Event) -> None:
        rt = event.resource
        if rt is STS:
            if event.type == DELETED or not only_status_changed(
                    event.old.obj if event.old else None, event.new.obj):
                self.queue.add((event.new.namespace, event.new.name))
        elif rt is PODS:
            for version in (event.new, event.old):
                if version is None:
                    continue
                ref = controller_ref_of(version.obj)
                if ref is not None and ref.get("kind") == "StatefulSet":
                    self.queue.add((version.namespace, ref["name"]))
            if controller_ref_of(event.new.obj) is None:
                parent, _ = parent_and_ordinal(event.new.obj)
                if parent and self.store.get(STS, event.new.namespace, parent) is not None:
                    self.queue.add((event.new.namespace, parent))

    # -- sync ------------------------------------------------------------------

    def sync(self, key: Key) -> None:
        ns, name = key
        stored = self.store.get(STS, ns, name)
        if stored is None:
            return
        sts = stored.copy()
        selector = selector_of(sts)
        if selector is None:
            return
        uid = sts["metadata"]["uid"]

        def alive() -> bool:
            fresh = self.store.get(STS, ns, name)
            return (fresh is not None and fresh.meta["uid"] == uid
                    and not fresh.meta.get("deletionTimestamp"))

        revisions = claim(self.registry, REVISIONS, sts, selector,
                          [s.obj for s in self.store.items(REVISIONS, ns)], owner_alive=alive)
        pods = claim(self.registry, PODS, sts, selector,
                     [s.obj for s in self.store.items(PODS, ns)], owner_alive=alive,
                     match=lambda pod: parent_and_ordinal(pod)[0] == name)
        try:
            current, update, status = self._update(sts, pods, revisions)
        except errors.ApiError:
            self.retry.again(key)
            return
        self.retry.forget(key)
        self._truncate_history(sts, pods, revisions, current, update)
        min_ready = int(_spec(sts).get("minReadySeconds") or 0)
        if min_ready > 0 and status.get("availableReplicas", 0) != _spec(sts).get("replicas", 1):
            self.runtime.after(min_ready, lambda: self.queue.add(key))

    # -- revisions -------------------------------------------------------------------

    def _revisions(self, sts: Obj, revisions: list[Obj]) -> tuple[Obj, Obj, int]:
        """``getStatefulSetRevisions``: (current, update, collisionCount)."""
        revisions = sorted(revisions, key=_revision_order)
        collision = int((sts.get("status") or {}).get("collisionCount") or 0)
        data = template_patch(_spec(sts).get("template") or {})
        next_number = int(revisions[-1].get("revision", 0)) + 1 if revisions else 1
        equal = [r for r in revisions if r.get("data") == data]
        if equal and revisions[-1] is equal[-1]:
            update = revisions[-1]
        elif equal:
            found = copy.deepcopy(equal[-1])
            found["revision"] = next_number
            stored, _ = self.registry.update(REVISIONS, found["metadata"]["namespace"],
                                             found["metadata"]["name"], found)
            update = stored.obj
        else:
            update, collision = self._create_revision(sts, data, next_number, collision)
        current_name = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == current_name), update)
        return current, update, collision

    def _create_revision(self, sts: Obj, data: Obj, number: int, collision: int
                         ) -> tuple[Obj, int]:
        ns = sts["metadata"]["namespace"]
        labels = dict(((_spec(sts).get("template") or {}).get("metadata") or {})
                      .get("labels") or {})
        meta: Obj = {"namespace": ns, "labels": labels,
                     "ownerReferences": [new_controller_ref(sts, STS)]}
        if sts["metadata"].get("annotations"):
            meta["annotations"] = dict(sts["metadata"]["annotations"])
        while True:
            name = f"{sts['metadata']['name'][:223]}-{hash_revision(data, collision)}"
            revision = {"metadata": {**meta, "name": name}, "data": data, "revision": number}
            try:
                return self.registry.create(REVISIONS, ns, revision).obj, collision
            except errors.ApiError as exc:
                if exc.reason != "AlreadyExists":
                    raise
                existing = self.store.get(REVISIONS, ns, name)
                if existing is not None and existing.obj.get("data") == data:
                    return existing.obj, collision
                collision += 1

    def _truncate_history(self, sts: Obj, pods: list[Obj], revisions: list[Obj],
                          current: Obj | None, update: Obj | None) -> None:
        live = {r["metadata"]["name"] for r in (current, update) if r is not None}
        live |= {_revision_of(p) for p in pods}
        history = [r for r in sorted(revisions, key=_revision_order)
                   if r["metadata"]["name"] not in live]
        limit = int(_spec(sts).get("revisionHistoryLimit", 10))
        for revision in history[:max(0, len(history) - limit)]:
            try:
                self.registry.delete(REVISIONS, revision["metadata"]["namespace"],
                                     revision["metadata"]["name"], DeleteOptions())
            except errors.ApiError:
                continue

    # -- the update ------------------------------------------------------------------

    def _update(self, sts: Obj, pods: list[Obj], revisions: list[Obj]
                ) -> tuple[Obj, Obj, Obj]:
        current_rev, update_rev, collision = self._revisions(sts, revisions)
        current_set = _apply(sts, current_rev)
        update_set = _apply(sts, update_rev)
        status: Obj = {"observedGeneration": sts["metadata"].get("generation", 0),
                       "currentRevision": current_rev["metadata"]["name"],
                       "updateRevision": update_rev["metadata"]["name"],
                       "collisionCount": collision}
        count = int(_spec(sts).get("replicas", 1))
        start = start_ordinal(sts)
        replicas: list[Obj | None] = [None] * count
        condemned: list[Obj] = []
        for pod in pods:
            if in_range(pod, sts):
                replicas[ordinal(pod) - start] = pod
            elif ordinal(pod) >= 0:
                condemned.append(pod)
        for i in range(count):
            if replicas[i] is None:
                replicas[i] = self._new_pod(current_set, update_set, current_rev, update_rev,
                                            start + i)
        slots: list[Obj] = [p for p in replicas if p is not None]
        condemned.sort(key=ordinal, reverse=True)
        first_unhealthy: Obj | None = None
        for pod in [*slots, *reversed(condemned)]:
            if not is_healthy(pod):
                first_unhealthy = pod
                break
        done = self._finish(sts, status, current_rev, update_rev, slots, condemned)
        if sts["metadata"].get("deletionTimestamp"):
            return current_rev, update_rev, done()
        monotonic = _spec(sts).get("podManagementPolicy", "OrderedReady") != "Parallel"
        for i in range(len(slots)):
            if self._process_replica(sts, update_set, current_set, current_rev, update_rev,
                                     monotonic, slots, i) and monotonic:
                return current_rev, update_rev, done()
        for pod in condemned:
            if not self._claims_match(update_set, pod):
                self._fix_claims(update_set, pod)
        for pod in condemned:
            if self._process_condemned(sts, first_unhealthy, monotonic, pod) and monotonic:
                return current_rev, update_rev, done()
        final = done()
        strategy = _spec(sts).get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") == "OnDelete":
            return current_rev, update_rev, final
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        for target in range(len(slots) - 1, partition - 1, -1):
            pod = slots[target]
            if _revision_of(pod) != update_rev["metadata"]["name"] and not is_terminating(pod):
                self._delete_pod(sts, pod)
                return current_rev, update_rev, final
            if not is_healthy(pod):
                return current_rev, update_rev, final
        return current_rev, update_rev, final

    def _finish(self, sts: Obj, status: Obj, current_rev: Obj, update_rev: Obj,
                slots: list[Obj], condemned: list[Obj]) -> Any:
        def done() -> Obj:
            ns, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
            fresh = [self._fresh_pod(p) for p in [*slots, *condemned]]
            full = dict(status)
            full.update(self._counts(sts, [p for p in fresh if p is not None],
                                     current_rev, update_rev))
            strategy = (_spec(sts).get("updateStrategy") or {}).get("type", "RollingUpdate")
            if strategy == "RollingUpdate" and full["updatedReplicas"] == full["replicas"] \
                    and full["readyReplicas"] == full["replicas"]:
                full["currentReplicas"] = full["updatedReplicas"]
                full["currentRevision"] = full["updateRevision"]
            stored = self.store.get(STS, ns, name)
            if stored is None:
                return full
            old = stored.obj.get("status") or {}
            keys = ("replicas", "currentReplicas", "readyReplicas", "updatedReplicas",
                    "currentRevision", "availableReplicas", "updateRevision")
            changed = full["observedGeneration"] > old.get("observedGeneration", 0) or any(
                full.get(k, 0 if k.endswith("eplicas") else "") !=
                old.get(k, 0 if k.endswith("eplicas") else "") for k in keys)
            if changed:
                new = {**old, **full}
                new["conditions"] = old.get("conditions")
                if not new["conditions"]:
                    new.pop("conditions")
                omit_zero(new, "readyReplicas", "currentReplicas", "updatedReplicas",
                          "observedGeneration")
                update_status(self.registry, STS, ns, name, new)
            return full
        return done

    def _counts(self, sts: Obj, pods: list[Obj], current_rev: Obj, update_rev: Obj) -> Obj:
        min_ready = int(_spec(sts).get("minReadySeconds") or 0)
        now = self.clock.now()
        counts = {"replicas": 0, "readyReplicas": 0, "availableReplicas": 0,
                  "currentReplicas": 0, "updatedReplicas": 0}
        for pod in pods:
            if is_created(pod):
                counts["replicas"] += 1
            if is_running_and_ready(pod):
                counts["readyReplicas"] += 1
                if is_pod_available(pod, min_ready, now):
                    counts["availableReplicas"] += 1
            if is_created(pod) and not is_terminating(pod):
                revision = _revision_of(pod)
                if revision == current_rev["metadata"]["name"]:
                    counts["currentReplicas"] += 1
                if revision == update_rev["metadata"]["name"]:
                    counts["updatedReplicas"] += 1
        return counts

    def _fresh_pod(self, pod: Obj) -> Obj | None:
        stored = self.store.get(PODS, pod["metadata"].get("namespace", ""),
                                pod["metadata"]["name"])
        return stored.obj if stored is not None else None

    def _new_pod(self, current_set: Obj, update_set: Obj, current_rev: Obj, update_rev: Obj,
                 index: int) -> Obj:
        """``newVersionedStatefulSetPod``: ordinals below the partition stay current."""
        strategy = _spec(current_set).get("updateStrategy") or {}
        rolling = strategy.get("rollingUpdate")
        partition = int((rolling or {}).get("partition") or 0)
        if strategy.get("type", "RollingUpdate") == "RollingUpdate" and \
                index < start_ordinal(current_set) + partition:
            pod = self._pod_for(current_set, index)
            pod["metadata"]["labels"][CONTROLLER_REVISION_HASH] = current_rev["metadata"]["name"]
            return pod
        pod = self._pod_for(update_set, index)
        pod["metadata"]["labels"][CONTROLLER_REVISION_HASH] = update_rev["metadata"]["name"]
        return pod

    def _pod_for(self, sts: Obj, index: int) -> Obj:
        """``newStatefulSetPod``: template, identity, storage."""
        template = _spec(sts).get("template") or {}
        meta = template.get("metadata") or {}
        name = pod_name(sts, index)
        pod: Obj = {
            "metadata": {"name": name, "namespace": sts["metadata"]["namespace"],
                         "labels": {**(meta.get("labels") or {}), POD_NAME_LABEL: name,
                                    POD_INDEX_LABEL: str(index)},
                         "ownerReferences": [new_controller_ref(sts, STS)]},
            "spec": copy.deepcopy(template.get("spec") or {}),
        }
        if meta.get("annotations"):
            pod["metadata"]["annotations"] = dict(meta["annotations"])
        if meta.get("finalizers"):
            pod["metadata"]["finalizers"] = list(meta["finalizers"])
        pod["spec"]["hostname"] = name
        if _spec(sts).get("serviceName"):
            pod["spec"]["subdomain"] = _spec(sts)["serviceName"]
        claims = _claims(sts, index)
        volumes = [{"name": vol, "persistentVolumeClaim": {"claimName": c["metadata"]["name"]}}
                   for vol, c in claims]
        names = {vol for vol, _ in claims}
        volumes += [v for v in pod["spec"].get("volumes") or [] if v.get("name") not in names]
        if volumes:
            pod["spec"]["volumes"] = volumes
        return pod

    def _process_replica(self, sts: Obj, update_set: Obj, current_set: Obj, current_rev: Obj,
                         update_rev: Obj, monotonic: bool, slots: list[Obj], i: int) -> bool:
        """``processReplica``: whether an OrderedReady set must stop here."""
        pod = slots[i]
        index = start_ordinal(sts) + i
        if _phase(pod) in ("Failed", "Succeeded"):
            if _phase(pod) == "Failed":
                self._event(sts, "Warning", "RecreatingFailedPod",
                            f"StatefulSet {sts['metadata']['namespace']}/"
                            f"{sts['metadata']['name']} is recreating failed Pod "
                            f"{pod['metadata']['name']}")
            else:
                self._event(sts, "Normal", "RecreatingTerminatedPod",
                            f"StatefulSet {sts['metadata']['namespace']}/"
                            f"{sts['metadata']['name']} is recreating terminated Pod "
                            f"{pod['metadata']['name']}")
            if not is_terminating(pod):
                self._delete_pod(sts, pod)
            if self.store.get(PODS, sts["metadata"]["namespace"],
                              pod["metadata"]["name"]) is not None:
                return True
            pod = slots[i] = self._new_pod(current_set, update_set, current_rev, update_rev,
                                           index)
        if not is_created(pod):
            if self._claim_is_stale(sts, pod):
                return True
            self._create_pod(update_set, pod)
            return monotonic
        if _phase(pod) == "Pending":
            self._create_claims(sts, pod)
        if monotonic:
            if is_terminating(pod) or not is_running_and_ready(pod):
                return True
            if not is_pod_available(pod, int(_spec(sts).get("minReadySeconds") or 0),
                                    self.clock.now()):
                return True
        if identity_matches(sts, pod) and self._claims_match(update_set, pod):
            return False
        self._update_pod(update_set, pod)
        return False

    def _process_condemned(self, sts: Obj, first_unhealthy: Obj | None, monotonic: bool,
                           pod: Obj) -> bool:
        if is_terminating(pod):
            return monotonic
        unhealthy_first = first_unhealthy is not None and \
            first_unhealthy["metadata"]["name"] == pod["metadata"]["name"]
        if monotonic and not unhealthy_first:
            if not is_running_and_ready(pod):
                return True
            if not is_pod_available(pod, int(_spec(sts).get("minReadySeconds") or 0),
                                    self.clock.now()):
                return True
        self._delete_pod(sts, pod)
        return monotonic

    # -- pods and claims -----------------------------------------------------------------

    def _event(self, sts: Obj, type_: str, reason: str, message: str) -> None:
        self.runtime.record_event(sts, STS, type_, reason, message, COMPONENT)

    def _pod_event(self, sts: Obj, verb: str, pod: Obj, error: Exception | None) -> None:
        name, set_name = pod["metadata"]["name"], sts["metadata"]["name"]
        if error is None:
            self._event(sts, "Normal", f"Successful{verb.title()}",
                        f"{verb} Pod {name} in StatefulSet {set_name} successful")
        else:
            self._event(sts, "Warning", f"Failed{verb.title()}",
                        f"{verb} Pod {name} in StatefulSet {set_name} failed error: {error}")

    def _create_claims(self, sts: Obj, pod: Obj) -> None:
        """``createPersistentVolumeClaims``: create the missing ones, reuse the rest."""
        ns = sts["metadata"]["namespace"]
        problems = []
        for _, pvc in _claims(sts, ordinal(pod)):
            name = pvc["metadata"]["name"]
            existing = self.store.get(PVCS, ns, name)
            if existing is None:
                try:
                    self.registry.create(PVCS, ns, pvc)
                except errors.ApiError as exc:
                    problems.append(f"failed to create PVC {name}: {exc}")
                    if exc.reason != "AlreadyExists":
                        self._event(sts, "Warning", "FailedCreate",
                                    f"create Claim {name} for Pod {pod['metadata']['name']} "
                                    f"in StatefulSet {sts['metadata']['name']} failed error: "
                                    f"{exc}")
                    continue
                self._event(sts, "Normal", "SuccessfulCreate",
                            f"create Claim {name} Pod {pod['metadata']['name']} in "
                            f"StatefulSet {sts['metadata']['name']} success")
            elif existing.meta.get("deletionTimestamp"):
                problems.append(f"pvc {name} is being deleted")
        if problems:
            raise errors.ApiError(500, "InternalError", "[" + ", ".join(problems) + "]")

    def _create_pod(self, sts: Obj, pod: Obj) -> None:
        try:
            self._create_claims(sts, pod)
        except errors.ApiError as exc:
            self._pod_event(sts, "create", pod, exc)
            raise
        try:
            self.registry.create(PODS, sts["metadata"]["namespace"], copy.deepcopy(pod))
        except errors.ApiError as exc:
            if exc.reason == "AlreadyExists":
                raise
            self._pod_event(sts, "create", pod, exc)
            raise
        self._fix_claims(sts, pod)
        self._pod_event(sts, "create", pod, None)

    def _delete_pod(self, sts: Obj, pod: Obj) -> None:
        try:
            self.registry.delete(PODS, sts["metadata"]["namespace"], pod["metadata"]["name"],
                                 DeleteOptions())
        except errors.ApiError as exc:
            if exc.code == 404:
                return
            self._pod_event(sts, "delete", pod, exc)
            raise
        self._pod_event(sts, "delete", pod, None)

    def _update_pod(self, sts: Obj, pod: Obj) -> None:
        """``UpdateStatefulPod``: identity labels and claim owners. (A pod's volumes
        cannot change after creation, so storage is only checked at creation.)"""
        fresh = self.store.get(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
        if fresh is None:
            return
        new = fresh.copy()
        if not identity_matches(sts, new):
            index = ordinal(new)
            labels = new["metadata"].setdefault("labels", {})
            labels[POD_NAME_LABEL] = new["metadata"]["name"]
            labels[POD_INDEX_LABEL] = str(index)
            try:
                self.registry.update(PODS, new["metadata"]["namespace"],
                                     new["metadata"]["name"], new)
            except errors.ApiError as exc:
                self._pod_event(sts, "update", pod, exc)
                raise
            self._pod_event(sts, "update", pod, None)
        if not self._claims_match(sts, fresh.obj):
            self._fix_claims(sts, fresh.obj)

    def _claims_match(self, sts: Obj, pod: Obj) -> bool:
        ns = sts["metadata"]["namespace"]
        for _, pvc in _claims(sts, ordinal(pod)):
            existing = self.store.get(PVCS, ns, pvc["metadata"]["name"])
            if existing is not None and not claim_owner_up_to_date(existing.obj, sts, pod):
                return False
        return True

    def _fix_claims(self, sts: Obj, pod: Obj) -> None:
        """``UpdatePodClaimForRetentionPolicy``."""
        ns = sts["metadata"]["namespace"]
        stored_pod = self.store.get(PODS, ns, pod["metadata"]["name"])
        if stored_pod is not None and not pod["metadata"].get("uid"):
            pod = stored_pod.obj
        for _, pvc in _claims(sts, ordinal(pod)):
            existing = self.store.get(PVCS, ns, pvc["metadata"]["name"])
            if existing is None or claim_owner_up_to_date(existing.obj, sts, pod):
                continue
            new = existing.copy()
            update_claim_owner_refs(new, sts, pod)
            try:
                self.registry.update(PVCS, ns, new["metadata"]["name"], new)
            except errors.ApiError:
                continue

    def _claim_is_stale(self, sts: Obj, pod: Obj) -> bool:
        """``PodClaimIsStale``: with whenScaled Delete, a claim still owned by an earlier
        pod of this name is on its way out; wait for it."""
        if _policy(sts)[0] == "Retain":
            return False
        ns = sts["metadata"]["namespace"]
        for _, pvc in _claims(sts, ordinal(pod)):
            existing = self.store.get(PVCS, ns, pvc["metadata"]["name"])
            if existing is not None and _stale_ref(existing.obj, pod, _POD_KIND):
                return True
        return False


def _apply(sts: Obj, revision: Obj) -> Obj:
    """``ApplyRevision``: the set with the revision's template."""
    applied = copy.deepcopy(sts)
    template = copy.deepcopy(((revision.get("data") or {}).get("spec") or {}).get("template")
                             or {})
    template.pop("$patch", None)
    meta = template.get("metadata") or {}
    if "creationTimestamp" in meta and meta["creationTimestamp"] is None:
        del meta["creationTimestamp"]
    applied["spec"]["template"] = template
    return applied


def _revision_order(revision: Obj) -> tuple[int, float, str]:
    return (int(revision.get("revision", 0)),
            parse_time(revision["metadata"].get("creationTimestamp")) or 0.0,
            revision["metadata"]["name"])
