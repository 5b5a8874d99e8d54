"""The Deployment controller: rolls a pod template out through ReplicaSets.

- The new ReplicaSet is ``<deployment>-<pod-template-hash>``: its template and selector
  carry the ``pod-template-hash`` label; a name taken by a different template bumps
  ``status.collisionCount``.
- ``deployment.kubernetes.io/revision`` on each ReplicaSet (and the Deployment) counts
  rollouts; rolling back to an old template gives its ReplicaSet the next revision and
  keeps the former ones in ``revision-history``. ``desired-replicas`` and
  ``max-replicas`` annotations drive proportional scaling.
- RollingUpdate scales the new ReplicaSet up within ``maxSurge`` and the old ones down
  within ``maxUnavailable`` (unhealthy old replicas first); Recreate scales every old
  ReplicaSet to zero and waits until none of their pods exist before it creates the new.
- A change of ``spec.replicas`` alone (a scaling event) resizes the ReplicaSets in
  proportion; a paused Deployment is only scaled.
- Old ReplicaSets beyond ``revisionHistoryLimit`` are deleted once the rollout is done.
- Conditions ``Available`` (MinimumReplicasAvailable/Unavailable) and ``Progressing``
  (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable,
  ProgressDeadlineExceeded, DeploymentPaused/Resumed), and the status counters
  ``kubectl rollout status`` reads.

Upstream: pkg/controller/deployment/{deployment_controller,sync,rolling,recreate,
progress}.go and pkg/controller/deployment/util/deployment_util.go at release-1.32.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.controller_utils import (
    claim,
    compute_hash,
    new_controller_ref,
    omit_zero,
    scaled_value,
    selector_of,
    semantic_equal,
)
from chaoszone.sim.objects import controller_ref_of, parse_time, resource_type
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.resources import ResourceType
from chaoszone.sim.runtime import Runtime, Timer
from chaoszone.sim.selectors import LabelSelector
from chaoszone.sim.watch import DELETED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = ["DeploymentController"]

COMPONENT = "deployment-controller"
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
_SKIP_ANNOTATIONS = frozenset({
    "kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY,
    DESIRED_REPLICAS, MAX_REPLICAS, "deprecated.deployment.rollback.to"})
MAX_REVISION_HISTORY_CHARS = 2000
MAX_INT32 = 2**31 - 1

DEPLOYMENTS = resource_type("apps", "v1", "deployments")
RS = resource_type("apps", "v1", "replicasets")
PODS = resource_type("", "v1", "pods")

Key = tuple[str, str]
Obj = dict[str, Any]


# -- deployment_util ------------------------------------------------------------------------------

def _spec(obj: Obj) -> Obj:
    spec: Obj = obj.get("spec") or {}
    return spec


def _replicas(obj: Obj | None) -> int:
    if obj is None:
        return 0
    return int(_spec(obj).get("replicas", 1))


def _status_of(obj: Obj | None, field: str) -> int:
    if obj is None:
        return 0
    return int((obj.get("status") or {}).get(field) or 0)


def is_rolling_update(d: Obj) -> bool:
    return bool((_spec(d).get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate")


def resolve_fenceposts(d: Obj) -> tuple[int, int]:
    """``ResolveFenceposts``: (maxSurge, maxUnavailable); never both zero."""
    rolling = (_spec(d).get("strategy") or {}).get("rollingUpdate") or {}
    desired = _replicas(d)
    surge = scaled_value(rolling.get("maxSurge", 0), desired, True)
    unavailable = scaled_value(rolling.get("maxUnavailable", 0), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: Obj) -> int:
    if not is_rolling_update(d):
        return 0
    return resolve_fenceposts(d)[0]


def max_unavailable(d: Obj) -> int:
    if not is_rolling_update(d) or _replicas(d) == 0:
        return 0
    return min(resolve_fenceposts(d)[1], _replicas(d))


def has_progress_deadline(d: Obj) -> bool:
    seconds = _spec(d).get("progressDeadlineSeconds")
    return seconds is not None and seconds != MAX_INT32


def revision(rs: Obj | None) -> int:
    if rs is None:
        return 0
    raw = (rs["metadata"].get("annotations") or {}).get(REVISION, "")
    try:
        return int(raw)
    except ValueError:
        return 0


def _int_annotation(rs: Obj, key: str) -> int | None:
    raw = (rs["metadata"].get("annotations") or {}).get(key)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def _without_hash(template: Obj) -> Obj:
    meta = dict(template.get("metadata") or {})
    labels = dict(meta.get("labels") or {})
    labels.pop(HASH_LABEL, None)
    meta["labels"] = labels
    return {**template, "metadata": meta}


def equal_ignore_hash(a: Obj, b: Obj) -> bool:
    """``EqualIgnoreHash``: the templates are semantically equal but for the hash label."""
    return semantic_equal(_without_hash(a), _without_hash(b))


def _created(obj: Obj) -> tuple[float, str]:
    return (parse_time(obj["metadata"].get("creationTimestamp")) or 0.0,
            obj["metadata"]["name"])


def by_creation(objs: Iterable[Obj]) -> list[Obj]:
    return sorted(objs, key=_created)


def find_new_rs(d: Obj, rs_list: list[Obj]) -> Obj | None:
    """``FindNewReplicaSet``: the oldest ReplicaSet whose template is the Deployment's."""
    template = _spec(d).get("template") or {}
    for rs in by_creation(rs_list):
        if equal_ignore_hash(_spec(rs).get("template") or {}, template):
            return rs
    return None


def find_old_rss(d: Obj, rs_list: list[Obj]) -> tuple[list[Obj], list[Obj]]:
    """``FindOldReplicaSets``: (old ones with replicas, all old ones)."""
    new = find_new_rs(d, rs_list)
    everything = [rs for rs in rs_list if new is None
                  or rs["metadata"]["uid"] != new["metadata"]["uid"]]
    return [rs for rs in everything if _replicas(rs) != 0], everything


def _active(rss: Iterable[Obj | None]) -> list[Obj]:
    return [rs for rs in rss if rs is not None and _replicas(rs) > 0]


def _sum(rss: Iterable[Obj | None], field: str | None) -> int:
    total = 0
    for rs in rss:
        if rs is not None:
            total += _replicas(rs) if field is None else _status_of(rs, field)
    return total


def new_rs_new_replicas(d: Obj, all_rss: list[Obj | None], new_rs: Obj) -> int:
    """``NewRSNewReplicas``: how far the new ReplicaSet may grow now."""
    if is_rolling_update(d):
        surge = scaled_value(((_spec(d).get("strategy") or {}).get("rollingUpdate") or {})
                             .get("maxSurge", 0), _replicas(d), True)
        current = _sum(all_rss, None)
        max_total = _replicas(d) + surge
        if current >= max_total:
            return _replicas(new_rs)
        grow = min(max_total - current, _replicas(d) - _replicas(new_rs))
        return _replicas(new_rs) + grow
    return _replicas(d)


def deployment_complete(d: Obj, status: Obj) -> bool:
    want = _replicas(d)
    return bool(status.get("updatedReplicas", 0) == want and status.get("replicas", 0) == want
            and status.get("availableReplicas", 0) == want
            and status.get("observedGeneration", 0) >= d["metadata"].get("generation", 0))


def deployment_progressing(d: Obj, status: Obj) -> bool:
    old = d.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = status.get("replicas", 0) - status.get("updatedReplicas", 0)
    return bool(status.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
            or new_old < old_old
            or status.get("readyReplicas", 0) > old.get("readyReplicas", 0)
            or status.get("availableReplicas", 0) > old.get("availableReplicas", 0))


def _condition(status: Obj, type_: str) -> Obj | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == type_), None)


def _set_condition(status: Obj, cond: Obj) -> None:
    """``SetDeploymentCondition``: same status and reason is no change; the transition
    time survives a change of reason only."""
    current = _condition(status, cond["type"])
    if current is not None and current["status"] == cond["status"] and \
            current.get("reason") == cond.get("reason"):
        return
    if current is not None and current["status"] == cond["status"]:
        cond["lastTransitionTime"] = current.get("lastTransitionTime")
    status["conditions"] = [c for c in status.get("conditions") or []
                            if c.get("type") != cond["type"]] + [cond]


def _remove_condition(status: Obj, type_: str) -> None:
    if status.get("conditions"):
        status["conditions"] = [c for c in status["conditions"] if c.get("type") != type_]


def _copy_annotations(d: Obj, rs: Obj) -> bool:
    """``copyDeploymentAnnotationsToReplicaSet``."""
    annotations = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in (d["metadata"].get("annotations") or {}).items():
        if key in _SKIP_ANNOTATIONS or annotations.get(key) == value:
            continue
        annotations[key] = value
        changed = True
    return changed


def _set_replicas_annotations(rs: Obj, desired: int, maximum: int) -> bool:
    annotations = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(maximum))):
        if annotations.get(key) != value:
            annotations[key] = value
            changed = True
    return changed


def _replicas_annotations_need_update(rs: Obj, desired: int, maximum: int) -> bool:
    annotations = rs["metadata"].get("annotations") or {}
    return (annotations.get(DESIRED_REPLICAS) != str(desired)
            or annotations.get(MAX_REPLICAS) != str(maximum))


def set_new_rs_annotations(d: Obj, rs: Obj, new_revision: str, exists: bool) -> bool:
    """``SetNewReplicaSetAnnotations``."""
    changed = _copy_annotations(d, rs)
    annotations = rs["metadata"].setdefault("annotations", {})
    old_revision = annotations.get(REVISION)
    try:
        old_int = int(old_revision) if old_revision else 0
    except ValueError:
        return False
    new_int = int(new_revision)
    if old_int < new_int:
        annotations[REVISION] = new_revision
        changed = True
    if old_revision is not None and old_int < new_int:
        history = annotations.get(REVISION_HISTORY, "")
        old_revisions = history.split(",")
        if not old_revisions[0]:
            annotations[REVISION_HISTORY] = old_revision
        else:
            total = len(history) + len(old_revision) + 1
            start = 0
            while total > MAX_REVISION_HISTORY_CHARS and start < len(old_revisions):
                total -= len(old_revisions[start]) + 1
                start += 1
            if total <= MAX_REVISION_HISTORY_CHARS:
                annotations[REVISION_HISTORY] = ",".join([*old_revisions[start:], old_revision])
    if not exists and _set_replicas_annotations(rs, _replicas(d), _replicas(d) + max_surge(d)):
        changed = True
    return changed


def _rs_fraction(rs: Obj, d: Obj) -> int:
    """``getReplicaSetFraction``."""
    if _replicas(d) == 0:
        return -_replicas(rs)
    deployment_max = _replicas(d) + max_surge(d)
    annotated = _int_annotation(rs, MAX_REPLICAS)
    if annotated is None or annotated == 0:
        annotated = int((d.get("status") or {}).get("replicas") or 0)
    if annotated == 0:
        return 0
    size = _replicas(rs) * deployment_max / annotated
    rounded = int(size + 0.5) if size >= 0 else -int(-size + 0.5)
    return rounded - _replicas(rs)


def _rs_proportion(rs: Obj, d: Obj, to_add: int, added: int) -> int:
    """``GetReplicaSetProportion``."""
    if _replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _rs_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _size_newer(a: Obj, b: Obj) -> int:
    """``ReplicaSetsBySizeNewer``: bigger first, then newer first."""
    if _replicas(a) != _replicas(b):
        return -1 if _replicas(a) > _replicas(b) else 1
    ca, cb = _created(a), _created(b)
    return -1 if ca > cb else 1 if ca < cb else 0


def _size_older(a: Obj, b: Obj) -> int:
    """``ReplicaSetsBySizeOlder``: bigger first, then older first."""
    if _replicas(a) != _replicas(b):
        return -1 if _replicas(a) > _replicas(b) else 1
    ca, cb = _created(a), _created(b)
    return -1 if ca < cb else 1 if ca > cb else 0


# -- the controller -------------------------------------------------------------------------

class DeploymentController:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        self.queue: WorkQueue[Key] = runtime.queue("deployment controller", self.sync)
        self._timers: dict[Key, Timer] = {}
        runtime.listen(self._on_event)

    # -- events ----------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        rt = event.resource
        if rt is DEPLOYMENTS:
            self.queue.add((event.new.namespace, event.new.name))
        elif rt is RS:
            self._on_rs(event)
        elif rt is PODS and event.type == DELETED:
            self._on_pod_deleted(event.new.obj)

    def _owner_key(self, obj: Obj) -> Key | None:
        ref = controller_ref_of(obj)
        if ref is None or ref.get("kind") != "Deployment" or ref.get("apiVersion") != "apps/v1":
            return None
        ns = obj["metadata"]["namespace"]
        stored = self.store.get(DEPLOYMENTS, ns, ref["name"])
        if stored is None or stored.meta["uid"] != ref.get("uid"):
            return None
        return (ns, ref["name"])

    def _on_rs(self, event: Event) -> None:
        rs = event.new.obj
        key = self._owner_key(rs)
        if event.old is not None:
            old_key = self._owner_key(event.old.obj)
            if old_key is not None and old_key != key:
                self.queue.add(old_key)
        if key is not None:
            self.queue.add(key)
            return
        if controller_ref_of(rs) is None and event.type != DELETED:
            ns = rs["metadata"]["namespace"]
            labels = rs["metadata"].get("labels") or {}
            for stored in self.store.items(DEPLOYMENTS, ns):
                selector = selector_of(stored.obj)
                if selector is not None and not selector.empty and selector.matches(labels):
                    self.queue.add((ns, stored.name))

    def _on_pod_deleted(self, pod: Obj) -> None:
        """Recreate waits for the old pods to be gone: a deletion may unblock it."""
        ref = controller_ref_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.store.get(RS, pod["metadata"]["namespace"], ref["name"])
        if rs is None:
            return
        key = self._owner_key(rs.obj)
        if key is None:
            return
        d = self.store.get(DEPLOYMENTS, *key)
        if d is not None and not is_rolling_update(d.obj):
            self.queue.add(key)

    # -- sync ------------------------------------------------------------------

    def sync(self, key: Key) -> None:
        stored = self.store.get(DEPLOYMENTS, *key)
        if stored is None:
            timer = self._timers.pop(key, None)
            if timer is not None:
                timer.cancel()
            return
        d = stored.copy()
        selector_spec = _spec(d).get("selector")
        if selector_spec is not None and not selector_spec.get("matchLabels") and \
                not selector_spec.get("matchExpressions"):
            self.runtime.record_event(d, DEPLOYMENTS, "Warning", "SelectingAll",
                                      "This deployment is selecting all pods. A non-empty "
                                      "selector is required.", COMPONENT)
            status = d.get("status") or {}
            if status.get("observedGeneration", 0) < d["metadata"].get("generation", 0):
                status["observedGeneration"] = d["metadata"]["generation"]
                self._write_status(d, status)
            return
        selector = selector_of(d)
        if selector is None:
            return
        rs_list = self._claim_replicasets(d, selector)
        if d["metadata"].get("deletionTimestamp"):
            new_rs, old_rss = self._get_all(d, rs_list, create=False)
            self._sync_status(d, [*old_rss, new_rs], new_rs)
            return
        self._check_paused_conditions(d)
        if _spec(d).get("paused"):
            self._sync(d, rs_list)
            return
        if self._is_scaling_event(d, rs_list):
            self._sync(d, rs_list)
            return
        if is_rolling_update(d):
            self._rollout_rolling(d, rs_list)
        else:
            self._rollout_recreate(d, rs_list, self._pod_map(d, rs_list, selector))

    def _claim_replicasets(self, d: Obj, selector: LabelSelector) -> list[Obj]:
        ns, name, uid = d["metadata"]["namespace"], d["metadata"]["name"], d["metadata"]["uid"]

        def alive() -> bool:
            fresh = self.store.get(DEPLOYMENTS, ns, name)
            return (fresh is not None and fresh.meta["uid"] == uid
                    and not fresh.meta.get("deletionTimestamp"))

        return claim(self.registry, RS, d, selector, [s.obj for s in self.store.items(RS, ns)],
                     owner_alive=alive)

    def _pod_map(self, d: Obj, rs_list: list[Obj], selector: LabelSelector) -> dict[str, list[Obj]]:
        """``getPodMapForDeployment``: the selected pods (terminating ones too) by the
        uid of their ReplicaSet."""
        uids = {rs["metadata"]["uid"] for rs in rs_list}
        out: dict[str, list[Obj]] = {uid: [] for uid in uids}
        for stored in self.store.items(PODS, d["metadata"]["namespace"]):
            if not selector.matches(stored.labels):
                continue
            ref = controller_ref_of(stored.obj)
            if ref is not None and ref.get("uid") in uids:
                out[ref["uid"]].append(stored.obj)
        return out

    # -- new and old ReplicaSets --------------------------------------------------

    def _get_all(self, d: Obj, rs_list: list[Obj], *, create: bool
                 ) -> tuple[Obj | None, list[Obj]]:
        """``getAllReplicaSetsAndSyncRevision``: (new ReplicaSet or None, all old ones)."""
        _, old_rss = find_old_rss(d, rs_list)
        return self._get_new_rs(d, rs_list, old_rss, create), old_rss

    def _get_new_rs(self, d: Obj, rs_list: list[Obj], old_rss: list[Obj],
                    create: bool) -> Obj | None:
        ns = d["metadata"]["namespace"]
        existing = find_new_rs(d, rs_list)
        max_old = max((revision(rs) for rs in old_rss), default=0)
        new_revision = str(max_old + 1)
        if existing is not None:
            rs = _fresh(self, RS, existing)
            if _set_new_rs_annotations_changed(d, rs, new_revision) or \
                    _spec(rs).get("minReadySeconds", 0) != _spec(d).get("minReadySeconds", 0):
                rs["spec"]["minReadySeconds"] = _spec(d).get("minReadySeconds", 0)
                try:
                    stored, _ = self.registry.update(RS, ns, rs["metadata"]["name"], rs)
                except errors.ApiError:
                    return existing
                return stored.obj
            needs_update = self._set_revision(d, (rs["metadata"].get("annotations") or {})
                                              .get(REVISION, ""))
            status = d.setdefault("status", {})
            if has_progress_deadline(d) and _condition(status, "Progressing") is None:
                _set_condition(status, self._cond(
                    "Progressing", "True", "FoundNewReplicaSet",
                    f'Found new replica set "{rs["metadata"]["name"]}"'))
                needs_update = True
            if needs_update:
                self._write_status(d, status)
            return rs
        if not create:
            return None
        template = _spec(d).get("template") or {}
        collision = (d.get("status") or {}).get("collisionCount")
        pod_hash = compute_hash(template, collision)
        new_template = _with_label(template, pod_hash)
        selector = dict(_spec(d).get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: pod_hash}
        name = f"{d['metadata']['name']}-{pod_hash}"
        new_rs: Obj = {
            "metadata": {"name": name, "namespace": ns,
                         "ownerReferences": [new_controller_ref(d, DEPLOYMENTS)],
                         "labels": dict(new_template["metadata"].get("labels") or {})},
            "spec": {"replicas": 0, "minReadySeconds": _spec(d).get("minReadySeconds", 0),
                     "selector": selector, "template": new_template},
        }
        replicas = new_rs_new_replicas(d, [*old_rss, new_rs], new_rs)
        new_rs["spec"]["replicas"] = replicas
        set_new_rs_annotations(d, new_rs, new_revision, exists=False)
        already_exists = False
        created: Obj | None = None
        try:
            created = self.registry.create(RS, ns, new_rs).obj
        except errors.ApiError as exc:
            if exc.reason == "AlreadyExists":
                already_exists = True
                found = self.store.get(RS, ns, name)
                ref = controller_ref_of(found.obj) if found is not None else None
                if found is not None and ref is not None and \
                        ref.get("uid") == d["metadata"]["uid"] and \
                        equal_ignore_hash(template, _spec(found.obj).get("template") or {}):
                    created = found.obj
                else:
                    # a hash collision: try the next name on the next sync
                    status = d.setdefault("status", {})
                    status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
                    self._write_status(d, status)
                    self.queue.add((ns, d["metadata"]["name"]))
                    return None
            elif any(c.reason == "NamespaceTerminating" for c in exc.causes):
                return None
            else:
                message = f'Failed to create new replica set "{name}": {exc}'
                if has_progress_deadline(d):
                    status = d.setdefault("status", {})
                    _set_condition(status, self._cond("Progressing", "False",
                                                      "ReplicaSetCreateError", message))
                    self._write_status(d, status)
                self.runtime.record_event(d, DEPLOYMENTS, "Warning", "ReplicaSetCreateError",
                                          message, COMPONENT)
                return None
        assert created is not None
        if not already_exists and replicas > 0:
            self.runtime.record_event(
                d, DEPLOYMENTS, "Normal", "ScalingReplicaSet",
                f"Scaled up replica set {name} from 0 to {replicas}", COMPONENT)
        needs_update = self._set_revision(d, new_revision)
        status = d.setdefault("status", {})
        if not already_exists and has_progress_deadline(d):
            _set_condition(status, self._cond("Progressing", "True", "NewReplicaSetCreated",
                                              f'Created new replica set "{name}"'))
            needs_update = True
        if needs_update:
            self._write_status(d, status)
        return created

    def _set_revision(self, d: Obj, rev: str) -> bool:
        annotations = d["metadata"].setdefault("annotations", {})
        if annotations.get(REVISION) != rev:
            annotations[REVISION] = rev
            return True
        return False

    def _cond(self, type_: str, status: str, reason: str, message: str) -> Obj:
        now = self.clock.timestamp()
        return {"type": type_, "status": status, "lastUpdateTime": now,
                "lastTransitionTime": now, "reason": reason, "message": message}

    # -- scaling -------------------------------------------------------------------

    def _is_scaling_event(self, d: Obj, rs_list: list[Obj]) -> bool:
        new_rs, old_rss = self._get_all(d, rs_list, create=False)
        for rs in _active([*old_rss, new_rs]):
            desired = _int_annotation(rs, DESIRED_REPLICAS)
            if desired is not None and desired != _replicas(d):
                return True
        return False

    def _sync(self, d: Obj, rs_list: list[Obj]) -> None:
        """``sync``: scale (paused Deployments and scaling events), clean up, status."""
        new_rs, old_rss = self._get_all(d, rs_list, create=False)
        new_rs, old_rss = self._scale(d, new_rs, old_rss)
        if _spec(d).get("paused"):
            self._cleanup(d, old_rss)
        self._sync_status(d, [*old_rss, new_rs], new_rs)

    def _scale(self, d: Obj, new_rs: Obj | None, old_rss: list[Obj]
               ) -> tuple[Obj | None, list[Obj]]:
        target = _active_or_latest(new_rs, old_rss)
        if target is not None:
            if _replicas(target) != _replicas(d):
                self._scale_rs(d, target, _replicas(d))
            return self._refresh(new_rs, old_rss)
        if _is_saturated(d, new_rs):
            for old in _active(old_rss):
                self._scale_rs(d, old, 0)
            return self._refresh(new_rs, old_rss)
        if is_rolling_update(d):
            rss = _active([*old_rss, new_rs])
            current = _sum(rss, None)
            allowed = _replicas(d) + max_surge(d) if _replicas(d) > 0 else 0
            to_add = allowed - current
            if to_add > 0:
                rss.sort(key=functools.cmp_to_key(_size_newer))
                operation = "up"
            elif to_add < 0:
                rss.sort(key=functools.cmp_to_key(_size_older))
                operation = "down"
            else:
                operation = ""
            sizes: dict[str, int] = {}
            added = 0
            for rs in rss:
                if to_add != 0:
                    proportion = _rs_proportion(rs, d, to_add, added)
                    sizes[rs["metadata"]["name"]] = _replicas(rs) + proportion
                    added += proportion
                else:
                    sizes[rs["metadata"]["name"]] = _replicas(rs)
            for i, rs in enumerate(rss):
                name = rs["metadata"]["name"]
                if i == 0 and to_add != 0:
                    sizes[name] = max(0, sizes[name] + to_add - added)
                if not self._scale_rs(d, rs, sizes[name], operation):
                    break
        return self._refresh(new_rs, old_rss)

    def _refresh(self, new_rs: Obj | None, old_rss: list[Obj]) -> tuple[Obj | None, list[Obj]]:
        def fresh(rs: Obj) -> Obj:
            stored = self.store.get(RS, rs["metadata"]["namespace"], rs["metadata"]["name"])
            return stored.obj if stored is not None else rs
        return (fresh(new_rs) if new_rs is not None else None), [fresh(rs) for rs in old_rss]

    def _scale_rs(self, d: Obj, rs: Obj, size: int, operation: str | None = None) -> bool:
        """``scaleReplicaSet``: resize and re-annotate; a ScalingReplicaSet event."""
        rs = _fresh(self, RS, rs)
        old = _replicas(rs)
        if operation is None:
            if old == size:
                return True
            operation = "up" if old < size else "down"
        maximum = _replicas(d) + max_surge(d)
        if old == size and not _replicas_annotations_need_update(rs, _replicas(d), maximum):
            return True
        rs["spec"]["replicas"] = size
        _set_replicas_annotations(rs, _replicas(d), maximum)
        try:
            self.registry.update(RS, rs["metadata"]["namespace"], rs["metadata"]["name"], rs)
        except errors.ApiError:
            return False
        if old != size:
            verb = "up" if old < size else "down"
            self.runtime.record_event(
                d, DEPLOYMENTS, "Normal", "ScalingReplicaSet",
                f"Scaled {verb} replica set {rs['metadata']['name']} from {old} to {size}",
                COMPONENT)
        return True

    # -- rolling update ----------------------------------------------------------------

    def _rollout_rolling(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old_rss = self._get_all(d, rs_list, create=True)
        if new_rs is None:
            return
        all_rss: list[Obj | None] = [*old_rss, new_rs]
        if self._reconcile_new(d, all_rss, new_rs):
            new_rs, old_rss = self._refresh(new_rs, old_rss)
            self._sync_rollout_status(d, [*old_rss, new_rs], new_rs)
            return
        refreshed, old_rss = self._refresh(new_rs, old_rss)
        new_rs = refreshed if refreshed is not None else new_rs
        if self._reconcile_old(d, [*old_rss, new_rs], _active(old_rss), new_rs):
            new_rs, old_rss = self._refresh(new_rs, old_rss)
            self._sync_rollout_status(d, [*old_rss, new_rs], new_rs)
            return
        if deployment_complete(d, d.get("status") or {}):
            self._cleanup(d, old_rss)
        new_rs, old_rss = self._refresh(new_rs, old_rss)
        self._sync_rollout_status(d, [*old_rss, new_rs], new_rs)

    def _reconcile_new(self, d: Obj, all_rss: list[Obj | None], new_rs: Obj) -> bool:
        if _replicas(new_rs) == _replicas(d):
            return False
        if _replicas(new_rs) > _replicas(d):
            return self._scale_and_tell(d, new_rs, _replicas(d))
        return self._scale_and_tell(d, new_rs, new_rs_new_replicas(d, all_rss, new_rs))

    def _scale_and_tell(self, d: Obj, rs: Obj, size: int) -> bool:
        """``scaleReplicaSetAndRecordEvent``: whether the size changed."""
        if _replicas(rs) == size:
            return False
        before = _replicas(_fresh(self, RS, rs))
        return self._scale_rs(d, rs, size) and before != size

    def _reconcile_old(self, d: Obj, all_rss: list[Obj | None], old_rss: list[Obj],
                       new_rs: Obj) -> bool:
        old_count = _sum(old_rss, None)
        if old_count == 0:
            return False
        all_count = _sum(all_rss, None)
        min_available = _replicas(d) - max_unavailable(d)
        new_unavailable = _replicas(new_rs) - _status_of(new_rs, "availableReplicas")
        max_scaled_down = all_count - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        old_rss, cleaned = self._cleanup_unhealthy(d, old_rss, max_scaled_down)
        scaled = self._scale_down_old(d, [*old_rss, new_rs], old_rss)
        return cleaned + scaled > 0

    def _cleanup_unhealthy(self, d: Obj, old_rss: list[Obj], limit: int
                           ) -> tuple[list[Obj], int]:
        old_rss = by_creation(old_rss)
        total = 0
        for i, rs in enumerate(old_rss):
            if total >= limit:
                break
            if _replicas(rs) == 0 or _replicas(rs) == _status_of(rs, "availableReplicas"):
                continue
            count = min(limit - total, _replicas(rs) - _status_of(rs, "availableReplicas"))
            self._scale_and_tell(d, rs, _replicas(rs) - count)
            total += count
            old_rss[i] = _fresh(self, RS, rs)
        return old_rss, total

    def _scale_down_old(self, d: Obj, all_rss: list[Obj | None], old_rss: list[Obj]) -> int:
        min_available = _replicas(d) - max_unavailable(d)
        available = _sum(all_rss, "availableReplicas")
        if available <= min_available:
            return 0
        total, budget = 0, available - min_available
        for rs in by_creation(old_rss):
            if total >= budget:
                break
            if _replicas(rs) == 0:
                continue
            count = min(_replicas(rs), budget - total)
            self._scale_and_tell(d, rs, _replicas(rs) - count)
            total += count
        return total

    # -- recreate ------------------------------------------------------------------------

    def _rollout_recreate(self, d: Obj, rs_list: list[Obj], pod_map: dict[str, list[Obj]]
                          ) -> None:
        new_rs, old_rss = self._get_all(d, rs_list, create=False)
        scaled = False
        for rs in _active(old_rss):
            if self._scale_and_tell(d, rs, 0):
                scaled = True
        if scaled:
            new_rs, old_rss = self._refresh(new_rs, old_rss)
            self._sync_rollout_status(d, [*old_rss, new_rs], new_rs)
            return
        if _old_pods_running(new_rs, old_rss, pod_map):
            self._sync_rollout_status(d, [*old_rss, new_rs], new_rs)
            return
        if new_rs is None:
            new_rs, old_rss = self._get_all(d, rs_list, create=True)
            if new_rs is None:
                return
        self._scale_and_tell(d, new_rs, _replicas(d))
        if deployment_complete(d, d.get("status") or {}):
            self._cleanup(d, old_rss)
        new_rs, old_rss = self._refresh(new_rs, old_rss)
        self._sync_rollout_status(d, [*old_rss, new_rs], new_rs)

    # -- history -------------------------------------------------------------------------

    def _cleanup(self, d: Obj, old_rss: list[Obj]) -> None:
        """``cleanupDeployment``: delete the oldest unused ReplicaSets beyond
        ``revisionHistoryLimit``."""
        limit = _spec(d).get("revisionHistoryLimit")
        if limit is None:
            return
        alive = [rs for rs in old_rss if not rs["metadata"].get("deletionTimestamp")]
        diff = len(alive) - int(limit)
        if diff <= 0:
            return
        alive.sort(key=lambda rs: (revision(rs), _created(rs)))
        for rs in alive[:diff]:
            status = rs.get("status") or {}
            if status.get("replicas", 0) != 0 or _replicas(rs) != 0 or \
                    rs["metadata"].get("generation", 0) > status.get("observedGeneration", 0):
                continue
            try:
                self.registry.delete(RS, rs["metadata"]["namespace"], rs["metadata"]["name"],
                                     DeleteOptions())
            except errors.ApiError:
                continue

    # -- status --------------------------------------------------------------------------

    def _calculate_status(self, d: Obj, all_rss: list[Obj | None], new_rs: Obj | None) -> Obj:
        available = _sum(all_rss, "availableReplicas")
        unavailable = max(0, _sum(all_rss, None) - available)
        old = d.get("status") or {}
        status: Obj = {
            "observedGeneration": d["metadata"].get("generation", 0),
            "replicas": _sum(all_rss, "replicas"),
            "updatedReplicas": _sum([new_rs], "replicas"),
            "readyReplicas": _sum(all_rss, "readyReplicas"),
            "availableReplicas": available,
            "unavailableReplicas": unavailable,
            "conditions": [dict(c) for c in old.get("conditions") or []],
        }
        if old.get("collisionCount") is not None:
            status["collisionCount"] = old["collisionCount"]
        if available >= _replicas(d) - max_unavailable(d):
            _set_condition(status, self._cond("Available", "True", "MinimumReplicasAvailable",
                                              "Deployment has minimum availability."))
        else:
            _set_condition(status, self._cond("Available", "False",
                                              "MinimumReplicasUnavailable",
                                              "Deployment does not have minimum availability."))
        return status

    def _sync_status(self, d: Obj, all_rss: list[Obj | None], new_rs: Obj | None) -> None:
        """``syncDeploymentStatus``."""
        status = self._calculate_status(d, all_rss, new_rs)
        if _normal(status) != _normal(d.get("status") or {}):
            self._write_status(d, status)

    def _sync_rollout_status(self, d: Obj, all_rss: list[Obj | None], new_rs: Obj | None
                             ) -> None:
        """``syncRolloutStatus``: counters, Available, and Progressing against the
        progress deadline."""
        status = self._calculate_status(d, all_rss, new_rs)
        if not has_progress_deadline(d):
            _remove_condition(status, "Progressing")
        current = _condition(d.get("status") or {}, "Progressing")
        complete_before = (status["replicas"] == status["updatedReplicas"] and current is not None
                           and current.get("reason") == "NewReplicaSetAvailable")
        subject = (f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs is not None
                   else f'Deployment "{d["metadata"]["name"]}"')
        if has_progress_deadline(d) and not complete_before:
            if deployment_complete(d, status):
                _set_condition(status, self._cond("Progressing", "True", "NewReplicaSetAvailable",
                                                  f"{subject} has successfully progressed."))
            elif deployment_progressing(d, status):
                cond = self._cond("Progressing", "True", "ReplicaSetUpdated",
                                  f"{subject} is progressing.")
                if current is not None:
                    if current["status"] == "True":
                        cond["lastTransitionTime"] = current.get("lastTransitionTime")
                    _remove_condition(status, "Progressing")
                _set_condition(status, cond)
            elif self._timed_out(d, status):
                _set_condition(status, self._cond("Progressing", "False",
                                                  "ProgressDeadlineExceeded",
                                                  f"{subject} has timed out progressing."))
        failures = self._replica_failures(all_rss, new_rs)
        if failures:
            _set_condition(status, failures[0])
        else:
            _remove_condition(status, "ReplicaFailure")
        if _normal(status) == _normal(d.get("status") or {}):
            self._requeue_stuck(d, status)
            return
        self._write_status(d, status)

    def _timed_out(self, d: Obj, status: Obj) -> bool:
        cond = _condition(status, "Progressing")
        if cond is None or cond.get("reason") == "NewReplicaSetAvailable":
            return False
        if cond.get("reason") == "ProgressDeadlineExceeded":
            return True
        since = parse_time(cond.get("lastUpdateTime"))
        if since is None:
            return False
        return since + int(_spec(d)["progressDeadlineSeconds"]) < self.clock.now()

    def _requeue_stuck(self, d: Obj, status: Obj) -> None:
        """``requeueStuckDeployment``: come back when the progress deadline passes."""
        current = _condition(d.get("status") or {}, "Progressing")
        if not has_progress_deadline(d) or current is None:
            return
        if deployment_complete(d, status) or current.get("reason") == "ProgressDeadlineExceeded":
            return
        since = parse_time(current.get("lastUpdateTime"))
        if since is None:
            return
        key = (d["metadata"]["namespace"], d["metadata"]["name"])
        after = since + int(_spec(d)["progressDeadlineSeconds"]) - self.clock.now()
        delay = 1.0 if after < 1 else after + 1
        timer = self._timers.get(key)
        if timer is not None and not timer.cancelled and \
                abs(timer.deadline - (self.clock.now() + delay)) < 0.5:
            return
        if timer is not None:
            timer.cancel()
        self._timers[key] = self.runtime.after(delay, lambda: self.queue.add(key))

    def _replica_failures(self, all_rss: list[Obj | None], new_rs: Obj | None) -> list[Obj]:
        def failures(rs: Obj) -> list[Obj]:
            return [{"type": c["type"], "status": c["status"],
                     "lastUpdateTime": c.get("lastTransitionTime"),
                     "lastTransitionTime": c.get("lastTransitionTime"),
                     "reason": c.get("reason", ""), "message": c.get("message", "")}
                    for c in (rs.get("status") or {}).get("conditions") or []
                    if c.get("type") == "ReplicaFailure"]
        if new_rs is not None and failures(new_rs):
            return failures(new_rs)
        out: list[Obj] = []
        for rs in all_rss:
            if rs is not None:
                out.extend(failures(rs))
        return out

    def _check_paused_conditions(self, d: Obj) -> None:
        if not has_progress_deadline(d):
            return
        status = d.setdefault("status", {})
        cond = _condition(status, "Progressing")
        if cond is not None and cond.get("reason") == "ProgressDeadlineExceeded":
            return
        paused_exists = cond is not None and cond.get("reason") == "DeploymentPaused"
        if _spec(d).get("paused") and not paused_exists:
            _set_condition(status, self._cond("Progressing", "Unknown", "DeploymentPaused",
                                              "Deployment is paused"))
        elif not _spec(d).get("paused") and paused_exists:
            _set_condition(status, self._cond("Progressing", "Unknown", "DeploymentResumed",
                                              "Deployment is resumed"))
        else:
            return
        self._write_status(d, status)

    def _write_status(self, d: Obj, status: Obj) -> None:
        """UpdateStatus: the status, and the revision annotation with it (the
        Deployment's status strategy keeps only spec and labels from the stored object)."""
        ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
        stored = self.store.get(DEPLOYMENTS, ns, name)
        if stored is None:
            return
        new = stored.copy()
        new["status"] = _normal(status)
        annotations = d["metadata"].get("annotations")
        if annotations:
            new["metadata"]["annotations"] = dict(annotations)
        try:
            result, _ = self.registry.update(DEPLOYMENTS, ns, name, new, subresource="status")
        except errors.ApiError:
            return
        d["metadata"] = result.obj["metadata"]
        d["status"] = result.obj.get("status") or {}


def _normal(status: Obj) -> Obj:
    """The status as stored: Go omits zero counters and empty conditions."""
    out = {k: v for k, v in status.items() if k != "conditions"}
    omit_zero(out, "observedGeneration", "replicas", "updatedReplicas", "readyReplicas",
              "availableReplicas", "unavailableReplicas")
    if status.get("conditions"):
        out["conditions"] = status["conditions"]
    return out


def _active_or_latest(new_rs: Obj | None, old_rss: list[Obj]) -> Obj | None:
    """``FindActiveOrLatest``: the one active ReplicaSet, or with none active the new
    one (else the newest old one); None when several are active."""
    if new_rs is None and not old_rss:
        return None
    newest_first = by_creation(old_rss)[::-1]
    active = _active([*newest_first, new_rs])
    if not active:
        return new_rs if new_rs is not None else newest_first[0]
    return active[0] if len(active) == 1 else None


def _is_saturated(d: Obj, rs: Obj | None) -> bool:
    """``IsSaturated``: the ReplicaSet has, wants and makes available every replica."""
    if rs is None:
        return False
    desired = _int_annotation(rs, DESIRED_REPLICAS)
    return (desired is not None and _replicas(rs) == _replicas(d) and desired == _replicas(d)
            and _status_of(rs, "availableReplicas") == _replicas(d))


def _set_new_rs_annotations_changed(d: Obj, rs: Obj, new_revision: str) -> bool:
    return set_new_rs_annotations(d, rs, new_revision, exists=True)


def _with_label(template: Obj, pod_hash: str) -> Obj:
    meta = dict(template.get("metadata") or {})
    meta["labels"] = {**(meta.get("labels") or {}), HASH_LABEL: pod_hash}
    return {**template, "metadata": meta}


def _fresh(controller: DeploymentController, rt: ResourceType, obj: Obj) -> Obj:
    stored = controller.store.get(rt, obj["metadata"]["namespace"], obj["metadata"]["name"])
    return stored.copy() if stored is not None else dict(obj)


def _old_pods_running(new_rs: Obj | None, old_rss: list[Obj],
                      pod_map: dict[str, list[Obj]]) -> bool:
    """``oldPodsRunning``: any old pod not finished (terminating ones included)."""
    if _sum(old_rss, "replicas") > 0:
        return True
    new_uid = new_rs["metadata"]["uid"] if new_rs is not None else None
    for uid, pods in pod_map.items():
        if uid == new_uid:
            continue
        for pod in pods:
            if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                return True
    return False
