"""The DaemonSet controller: one pod on every eligible node.

- A node is eligible when it matches the pod's ``nodeSelector`` and required node
  affinity and has no untolerated NoSchedule/NoExecute taint; a pod on a node that
  only gained an untolerated NoSchedule taint keeps running (it is deleted for an
  untolerated NoExecute one).
- Every pod gets upstream's tolerations: ``not-ready`` and ``unreachable`` NoExecute
  without seconds (so DaemonSet pods are never evicted by the taint manager),
  ``disk-pressure``, ``memory-pressure``, ``pid-pressure`` and ``unschedulable``
  NoSchedule, and ``network-unavailable`` for ``hostNetwork`` pods.
- Pods are not bound here: each carries the required node affinity
  ``matchFields metadata.name In [node]`` and goes through the scheduler.
- Failed pods are deleted (with backoff), extra pods on a node are pruned, pods on a
  node that should not run one are deleted, and unscheduled pods whose node is gone.
- ControllerRevisions ``<ds>-<hash>`` and the ``controller-revision-hash`` and
  ``pod-template-generation`` labels; RollingUpdate with ``maxUnavailable`` (or
  ``maxSurge``), OnDelete; history beyond ``revisionHistoryLimit`` is deleted.
- Status: ``desiredNumberScheduled``, ``currentNumberScheduled``, ``numberReady``,
  ``numberAvailable``, ``numberUnavailable``, ``updatedNumberScheduled``,
  ``numberMisscheduled``, ``observedGeneration``.

Upstream: pkg/controller/daemon/{daemon_controller,update}.go and
pkg/controller/daemon/util/daemonset_util.go at release-1.32.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.controller_utils import (
    CONTROLLER_REVISION_HASH,
    Expectations,
    PodControl,
    Retry,
    claim,
    compute_hash,
    is_pod_available,
    new_controller_ref,
    omit_zero,
    only_status_changed,
    pod_from_template,
    scaled_value,
    selector_of,
    template_patch,
    update_status,
)
from chaoszone.sim.objects import (
    NOT_READY_TAINT,
    UNREACHABLE_TAINT,
    UNSCHEDULABLE_TAINT,
    controller_ref_of,
    find_untolerated_taint,
    is_pod_ready,
    parse_time,
    resource_type,
)
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.runtime import Runtime
from chaoszone.sim.selectors import LabelSelector, NodeSelector
from chaoszone.sim.watch import ADDED, DELETED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = ["DaemonSetController", "daemon_pod_tolerations", "node_should_run_daemon_pod"]

COMPONENT = "daemonset-controller"
TEMPLATE_GENERATION_LABEL = "pod-template-generation"
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"
BURST_REPLICAS = 250
BACKOFF_INITIAL = 1.0
BACKOFF_MAX = 15 * 60.0

DS = resource_type("apps", "v1", "daemonsets")
PODS = resource_type("", "v1", "pods")
NODES = resource_type("", "v1", "nodes")
REVISIONS = resource_type("apps", "v1", "controllerrevisions")

Key = tuple[str, str]
Obj = dict[str, Any]

#: AddOrUpdateDaemonPodTolerations, in upstream's order
_DAEMON_TOLERATIONS = (
    (NOT_READY_TAINT, "NoExecute"),
    (UNREACHABLE_TAINT, "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    (UNSCHEDULABLE_TAINT, "NoSchedule"),
)
_NETWORK_UNAVAILABLE = ("node.kubernetes.io/network-unavailable", "NoSchedule")


def _spec(obj: Obj) -> Obj:
    spec: Obj = obj.get("spec") or {}
    return spec


def _same_toleration(a: Obj, b: Obj) -> bool:
    """``Toleration.MatchToleration``: key, operator, value and effect."""
    return all((a.get(f) or "") == (b.get(f) or "") for f in ("key", "operator", "value",
                                                                "effect"))


def daemon_pod_tolerations(pod_spec: Obj) -> list[Obj]:
    """The pod spec's tolerations with ``AddOrUpdateDaemonPodTolerations`` applied."""
    tolerations = [dict(t) for t in pod_spec.get("tolerations") or []]
    wanted = list(_DAEMON_TOLERATIONS)
    if pod_spec.get("hostNetwork"):
        wanted.append(_NETWORK_UNAVAILABLE)
    for key, effect in wanted:
        toleration = {"key": key, "operator": "Exists", "effect": effect}
        if any(t == toleration for t in tolerations):
            continue
        replaced = False
        for i, existing in enumerate(tolerations):
            if _same_toleration(existing, toleration):
                tolerations[i] = dict(toleration)
                replaced = True
        if not replaced:
            tolerations.append(toleration)
    return tolerations


def node_should_run_daemon_pod(node: Obj, ds: Obj, tolerations: list[Obj] | None = None
                               ) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod``: (should run, should continue running). ``tolerations``:
    the DaemonSet's :func:`daemon_pod_tolerations`, when the caller has them (a sync asks
    about every node)."""
    template_spec = (_spec(ds).get("template") or {}).get("spec") or {}
    name = node["metadata"]["name"]
    if template_spec.get("nodeName") and template_spec["nodeName"] != name:
        return False, False
    labels = node["metadata"].get("labels") or {}
    selector = template_spec.get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False, False
    required = (((template_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required is not None and not NodeSelector.from_dict(required).matches(labels, name):
        return False, False
    taints = (node.get("spec") or {}).get("taints") or []
    if tolerations is None:
        tolerations = daemon_pod_tolerations(template_spec)
    if find_untolerated_taint(taints, tolerations, ("NoSchedule", "NoExecute")) is None:
        return True, True
    return False, find_untolerated_taint(taints, tolerations, ("NoExecute",)) is None


def target_node(pod: Obj) -> str | None:
    """``GetTargetNodeName``: the bound node, or the one its node affinity pins."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms") or []
    if len(terms) != 1:
        return None
    fields = terms[0].get("matchFields") or []
    if len(fields) != 1:
        return None
    field = fields[0]
    values = field.get("values") or []
    if field.get("key") != "metadata.name" or field.get("operator") != "In" or len(values) != 1:
        return None
    return str(values[0])


def _pin_to_node(spec: Obj, node: str) -> None:
    """``ReplaceDaemonSetPodNodeNameNodeAffinity``."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
    affinity = spec.setdefault("affinity", {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
            "nodeSelectorTerms": [term]}
    else:
        required["nodeSelectorTerms"] = [term]


def _created(pod: Obj) -> tuple[int, float, str]:
    """``podByCreationTimestampAndPhase``: scheduled first, then oldest, then name."""
    scheduled = 0 if (pod.get("spec") or {}).get("nodeName") else 1
    return (scheduled, parse_time(pod["metadata"].get("creationTimestamp")) or 0.0,
            pod["metadata"]["name"])


def _template_generation(ds: Obj) -> str | None:
    value = (ds["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
    try:
        return str(int(value)) if value is not None else None
    except ValueError:
        return None


def is_pod_updated(pod: Obj, hash_: str, generation: str | None) -> bool:
    labels = pod["metadata"].get("labels") or {}
    return bool((generation is not None and labels.get(TEMPLATE_GENERATION_LABEL) == generation)
                or (hash_ and labels.get(CONTROLLER_REVISION_HASH) == hash_))


class DaemonSetController:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        self.expectations = Expectations(self.clock)
        self.pods = PodControl(runtime, COMPONENT)
        self.queue: WorkQueue[Key] = runtime.queue("daemonset controller", self.sync)
        self.retry = Retry(runtime, self.queue.add)
        #: failed-pod deletion backoff per (ds uid, node): (delay, last update)
        self._backoff: dict[tuple[str, str], tuple[float, float]] = {}
        #: the tolerations of the DaemonSet being synced (daemon_pod_tolerations), worked
        #: out once per sync instead of once per node
        self._tolerations: list[Obj] | None = None
        runtime.listen(self._on_event)

    # -- events ----------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        rt = event.resource
        if rt is DS:
            key = (event.new.namespace, event.new.name)
            if event.type == DELETED:
                self.expectations.delete(key)
            elif only_status_changed(event.old.obj if event.old else None, event.new.obj):
                return
            self.queue.add(key)
        elif rt is PODS:
            self._on_pod(event)
        elif rt is NODES:
            self._on_node(event)

    def _ds_key(self, pod: Obj) -> Key | None:
        ref = controller_ref_of(pod)
        if ref is None or ref.get("kind") != "DaemonSet":
            return None
        ns = pod["metadata"]["namespace"]
        stored = self.store.get(DS, ns, ref["name"])
        if stored is None or stored.meta["uid"] != ref.get("uid"):
            return None
        return (ns, ref["name"])

    def _on_pod(self, event: Event) -> None:
        pod = event.new.obj
        ref = controller_ref_of(pod)
        if ref is not None and ref.get("kind") != "DaemonSet" and (
                event.old is None or event.old.meta.get("ownerReferences")
                == event.new.meta.get("ownerReferences")):
            return  # another controller's pod, and it was before
        key = self._ds_key(pod)
        name = pod["metadata"]["name"]
        if key is not None:
            if event.type == ADDED:
                self.expectations.creation_observed(key)
            if event.type == DELETED or pod["metadata"].get("deletionTimestamp"):
                self.expectations.deletion_observed(key, name)
            self.queue.add(key)
            ds = self.store.get(DS, *key)
            min_ready = int(_spec(ds.obj).get("minReadySeconds") or 0) if ds else 0
            if min_ready and event.old is not None and is_pod_ready(pod) and \
                    not is_pod_ready(event.old.obj):
                self.runtime.after(min_ready + 1, lambda: self.queue.add(key))
        if event.old is not None:
            old_key = self._ds_key(event.old.obj)
            if old_key is not None and old_key != key:
                self.queue.add(old_key)
        if key is None and ref is None and event.type != DELETED:
            ns = pod["metadata"]["namespace"]
            for stored in self.store.items(DS, ns):
                selector = selector_of(stored.obj)
                if selector is not None and not selector.empty and \
                        selector.matches(pod["metadata"].get("labels") or {}):
                    self.queue.add((ns, stored.name))

    def _on_node(self, event: Event) -> None:
        if event.type == "MODIFIED" and event.old is not None:
            old, new = event.old.obj, event.new.obj
            if (old["metadata"].get("labels") == new["metadata"].get("labels")
                    and (old.get("spec") or {}).get("taints") ==
                    (new.get("spec") or {}).get("taints")):
                return
        for stored in self.store.items(DS, None):
            self.queue.add((stored.namespace, stored.name))

    # -- sync ------------------------------------------------------------------

    def sync(self, key: Key) -> None:
        stored = self.store.get(DS, *key)
        if stored is None:
            self.expectations.delete(key)
            return
        ds = stored.copy()
        self._tolerations = daemon_pod_tolerations(
            (_spec(ds).get("template") or {}).get("spec") or {})
        selector_spec = _spec(ds).get("selector") or {}
        if not selector_spec.get("matchLabels") and not selector_spec.get("matchExpressions"):
            self.runtime.record_event(ds, DS, "Warning", "SelectingAll",
                                      "This daemon set is selecting all pods. A non-empty "
                                      "selector is required.", COMPONENT)
            return
        if ds["metadata"].get("deletionTimestamp"):
            return
        nodes = [s.obj for s in self.store.items(NODES, None)]
        try:
            current, old = self._construct_history(ds)
        except errors.ApiError:
            self.retry.again(key)
            return
        hash_ = (current["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")
        if not self.expectations.satisfied(key):
            self._update_status(ds, nodes, hash_, observed=False)
            return
        error = self._manage(key, ds, nodes, hash_)
        if self.expectations.satisfied(key):
            strategy = _spec(ds).get("updateStrategy") or {}
            if strategy.get("type", "RollingUpdate") == "RollingUpdate":
                error = self._rolling_update(key, ds, nodes, hash_) or error
        self._cleanup_history(ds, old)
        self._update_status(ds, nodes, hash_, observed=True)
        if error is None:
            self.retry.forget(key)
        else:
            self.retry.again(key)

    def _daemon_pods(self, ds: Obj, *, include_deleted_terminal: bool = False
                     ) -> dict[str, list[Obj]]:
        """``getNodesToDaemonPods``: claimed pods by their target node."""
        ns, name, uid = ds["metadata"]["namespace"], ds["metadata"]["name"], ds["metadata"]["uid"]
        selector = selector_of(ds)
        if selector is None:
            return {}

        def alive() -> bool:
            fresh = self.store.get(DS, ns, name)
            return (fresh is not None and fresh.meta["uid"] == uid
                    and not fresh.meta.get("deletionTimestamp"))

        pods = claim(self.registry, PODS, ds, selector,
                     [s.obj for s in self.store.items(PODS, ns)], owner_alive=alive)
        by_node: dict[str, list[Obj]] = {}
        for pod in pods:
            terminal = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
            if not include_deleted_terminal and terminal and \
                    pod["metadata"].get("deletionTimestamp"):
                continue
            node = target_node(pod)
            if node is None:
                continue
            by_node.setdefault(node, []).append(pod)
        return by_node

    def _manage(self, key: Key, ds: Obj, nodes: list[Obj], hash_: str
                ) -> errors.ApiError | None:
        by_node = self._daemon_pods(ds)
        to_create: list[str] = []
        to_delete: list[str] = []
        for node in nodes:
            create, delete = self._pods_should_be_on_node(ds, node, by_node, hash_)
            to_create.extend(create)
            to_delete.extend(delete)
        running = {n["metadata"]["name"] for n in nodes}
        for node_name, pods in sorted(by_node.items()):
            if node_name in running:
                continue
            to_delete.extend(p["metadata"]["name"] for p in pods
                             if not (p.get("spec") or {}).get("nodeName"))
        return self._sync_nodes(key, ds, to_delete, to_create, hash_)

    def _pods_should_be_on_node(self, ds: Obj, node: Obj, by_node: dict[str, list[Obj]],
                                hash_: str) -> tuple[list[str], list[str]]:
        should_run, should_continue = node_should_run_daemon_pod(node, ds, self._tolerations)
        name = node["metadata"]["name"]
        pods = by_node.get(name)
        create: list[str] = []
        delete: list[str] = []
        if should_run and not pods:
            create.append(name)
        elif should_continue:
            running = []
            for pod in pods or []:
                if pod["metadata"].get("deletionTimestamp"):
                    continue
                phase = (pod.get("status") or {}).get("phase")
                if phase == "Failed":
                    if self._in_backoff(ds, name):
                        continue
                    self.runtime.record_event(
                        ds, DS, "Warning", "FailedDaemonPod",
                        f"Found failed daemon pod {pod['metadata']['namespace']}/"
                        f"{pod['metadata']['name']} on node {name}, will try to kill it",
                        COMPONENT)
                    delete.append(pod["metadata"]["name"])
                elif phase == "Succeeded":
                    delete.append(pod["metadata"]["name"])
                else:
                    running.append(pod)
            running.sort(key=_created)
            if not self._max_surge_allowed(ds):
                delete.extend(p["metadata"]["name"] for p in running[1:])
            elif len(running) <= 1:
                if not running and should_run:
                    create.append(name)
            else:
                newest: Obj | None = None
                oldest_old: Obj | None = None
                generation = _template_generation(ds)
                for pod in running:
                    if is_pod_updated(pod, hash_, generation):
                        if newest is None:
                            newest = pod
                            continue
                    elif oldest_old is None:
                        oldest_old = pod
                        continue
                    delete.append(pod["metadata"]["name"])
                if newest is not None and oldest_old is not None:
                    min_ready = int(_spec(ds).get("minReadySeconds") or 0)
                    if not is_pod_ready(oldest_old) or is_pod_available(
                            newest, min_ready, self.clock.now()):
                        delete.append(oldest_old["metadata"]["name"])
        elif pods:
            delete.extend(p["metadata"]["name"] for p in pods
                          if not p["metadata"].get("deletionTimestamp"))
        return create, delete

    def _in_backoff(self, ds: Obj, node: str) -> bool:
        """The failed-pods backoff: 1 s doubling to 15 min per DaemonSet and node."""
        key = (ds["metadata"]["uid"], node)
        now = self.clock.now()
        delay, last = self._backoff.get(key, (0.0, -1e18))
        if now - last > 2 * BACKOFF_MAX:
            delay = 0.0
        if delay and now - last < delay:
            ds_key = (ds["metadata"]["namespace"], ds["metadata"]["name"])
            self.runtime.after(delay - (now - last), lambda: self.queue.add(ds_key))
            return True
        self._backoff[key] = (min(BACKOFF_MAX, delay * 2 if delay else BACKOFF_INITIAL), now)
        return False

    def _max_surge_allowed(self, ds: Obj) -> bool:
        """``AllowsSurge``: a RollingUpdate with a non-zero maxSurge."""
        strategy = _spec(ds).get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return False
        surge = (strategy.get("rollingUpdate") or {}).get("maxSurge")
        return surge not in (None, 0, "0", "0%")

    def _sync_nodes(self, key: Key, ds: Obj, to_delete: list[str], to_create: list[str],
                    hash_: str) -> errors.ApiError | None:
        to_create = to_create[:BURST_REPLICAS]
        to_delete = to_delete[:BURST_REPLICAS]
        self.expectations.expect(key, adds=len(to_create), deletes=to_delete)
        template = copy.deepcopy(_spec(ds).get("template") or {})
        template_spec = template.setdefault("spec", {})
        template_spec["tolerations"] = daemon_pod_tolerations(template_spec)
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        generation = _template_generation(ds)
        if generation is not None:
            labels[TEMPLATE_GENERATION_LABEL] = generation
        if hash_:
            labels[CONTROLLER_REVISION_HASH] = hash_
        ref = new_controller_ref(ds, DS)
        error: errors.ApiError | None = None
        done, batch = 0, min(len(to_create), 1)
        while batch > 0:
            failed = False
            for node in to_create[done:done + batch]:
                pod = pod_from_template(template, ds, ref)
                _pin_to_node(pod["spec"], node)
                try:
                    self.pods.create(ds, DS, pod)
                except errors.ApiError as exc:
                    self.expectations.creation_observed(key)
                    if not any(c.reason == "NamespaceTerminating" for c in exc.causes):
                        error, failed = exc, True
            done += batch
            if failed:
                self.expectations.lower(key, len(to_create) - done)
                break
            batch = min(2 * batch, len(to_create) - done)
        for name in to_delete:
            try:
                self.pods.delete(ds, DS, name)
            except errors.ApiError as exc:
                self.expectations.deletion_observed(key, name)
                if exc.code != 404:
                    error = exc
        return error

    # -- rolling update ----------------------------------------------------------------

    def _rolling_update(self, key: Key, ds: Obj, nodes: list[Obj], hash_: str
                        ) -> errors.ApiError | None:
        by_node = self._daemon_pods(ds)
        desired = 0
        for node in nodes:
            if node_should_run_daemon_pod(node, ds, self._tolerations)[0]:
                desired += 1
                by_node.setdefault(node["metadata"]["name"], [])
        rolling = (_spec(ds).get("updateStrategy") or {}).get("rollingUpdate") or {}
        max_unavailable = scaled_value(rolling.get("maxUnavailable", 1), desired, True)
        max_surge = scaled_value(rolling.get("maxSurge", 0), desired, True)
        if desired > 0 and max_unavailable == 0 and max_surge == 0:
            max_unavailable = 1
        min_ready = int(_spec(ds).get("minReadySeconds") or 0)
        now = self.clock.now()
        generation = _template_generation(ds)
        if max_surge == 0:
            unavailable = 0
            replacements: list[str] = []
            candidates: list[str] = []
            for _, pods in sorted(by_node.items()):
                new, old, ok = _updated_pods_on_node(pods, hash_, generation)
                if not ok:
                    unavailable += 1
                    continue
                if (old is None and new is None) or (old is not None and new is not None):
                    unavailable += 1
                elif new is not None:
                    if not is_pod_available(new, min_ready, now):
                        unavailable += 1
                elif old is not None:
                    if not is_pod_available(old, min_ready, now):
                        replacements.append(old["metadata"]["name"])
                        unavailable += 1
                    elif unavailable >= max_unavailable:
                        continue
                    else:
                        candidates.append(old["metadata"]["name"])
            room = min(max(0, max_unavailable - unavailable), len(candidates))
            return self._sync_nodes(key, ds, replacements + candidates[:room], [], hash_)
        surge = 0
        old_to_delete: list[str] = []
        allowed_nodes: list[str] = []
        candidate_nodes: list[str] = []
        for node_name, pods in sorted(by_node.items()):
            new, old, ok = _updated_pods_on_node(pods, hash_, generation)
            if not ok:
                surge += 1
                continue
            if old is None:
                continue
            if new is None:
                if not is_pod_available(old, min_ready, now):
                    allowed_nodes.append(node_name)
                elif surge >= max_surge:
                    continue
                else:
                    candidate_nodes.append(node_name)
            elif not is_pod_available(new, min_ready, now):
                surge += 1
            else:
                old_to_delete.append(old["metadata"]["name"])
        room = min(max(0, max_surge - surge), len(candidate_nodes))
        return self._sync_nodes(key, ds, old_to_delete, allowed_nodes + candidate_nodes[:room],
                                hash_)

    # -- history -------------------------------------------------------------------------

    def _construct_history(self, ds: Obj) -> tuple[Obj, list[Obj]]:
        ns = ds["metadata"]["namespace"]
        selector = selector_of(ds)
        uid, name = ds["metadata"]["uid"], ds["metadata"]["name"]

        def alive() -> bool:
            fresh = self.store.get(DS, ns, name)
            return (fresh is not None and fresh.meta["uid"] == uid
                    and not fresh.meta.get("deletionTimestamp"))

        histories = claim(self.registry, REVISIONS, ds, selector or LabelSelector.nothing(),
                          [s.obj for s in self.store.items(REVISIONS, ns)], owner_alive=alive)
        data = template_patch(_spec(ds).get("template") or {})
        current: list[Obj] = []
        old: list[Obj] = []
        for history in histories:
            if CONTROLLER_REVISION_HASH not in (history["metadata"].get("labels") or {}):
                new = copy.deepcopy(history)
                new["metadata"].setdefault("labels", {})[CONTROLLER_REVISION_HASH] = \
                    new["metadata"]["name"]
                history = self.registry.update(REVISIONS, ns, new["metadata"]["name"],
                                               new)[0].obj
            (current if history.get("data") == data else old).append(history)
        number = max((int(h.get("revision", 0)) for h in old), default=0) + 1
        if not current:
            return self._snapshot(ds, data, number), old
        current.sort(key=lambda h: int(h.get("revision", 0)), reverse=True)
        keep = current[0]
        for duplicate in current[1:]:
            self._relabel_pods(ds, duplicate, keep)
            with contextlib.suppress(errors.ApiError):
                self.registry.delete(REVISIONS, ns, duplicate["metadata"]["name"],
                                     DeleteOptions())
        if int(keep.get("revision", 0)) < number:
            keep = copy.deepcopy(keep)
            keep["revision"] = number
            keep = self.registry.update(REVISIONS, ns, keep["metadata"]["name"], keep)[0].obj
        return keep, old

    def _relabel_pods(self, ds: Obj, duplicate: Obj, keep: Obj) -> None:
        """``dedupCurHistories``: pods of a duplicate history get the kept hash."""
        ns = ds["metadata"]["namespace"]
        old_hash = (duplicate["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH)
        new_hash = (keep["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH)
        for pods in self._daemon_pods(ds, include_deleted_terminal=True).values():
            for pod in pods:
                if (pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH) != \
                        old_hash:
                    continue
                new = copy.deepcopy(pod)
                new["metadata"]["labels"][CONTROLLER_REVISION_HASH] = new_hash
                try:
                    self.registry.update(PODS, ns, pod["metadata"]["name"], new)
                except errors.ApiError:
                    continue

    def _snapshot(self, ds: Obj, data: Obj, number: int) -> Obj:
        ns = ds["metadata"]["namespace"]
        collision = (ds.get("status") or {}).get("collisionCount")
        hash_ = compute_hash(_spec(ds).get("template") or {}, collision)
        labels = dict(((_spec(ds).get("template") or {}).get("metadata") or {})
                      .get("labels") or {})
        labels[CONTROLLER_REVISION_HASH] = hash_
        meta: Obj = {"name": f"{ds['metadata']['name']}-{hash_}", "namespace": ns,
                     "labels": labels, "ownerReferences": [new_controller_ref(ds, DS)]}
        if ds["metadata"].get("annotations"):
            meta["annotations"] = dict(ds["metadata"]["annotations"])
        try:
            return self.registry.create(REVISIONS, ns, {"metadata": meta, "data": data,
                                                        "revision": number}).obj
        except errors.ApiError as exc:
            if exc.reason != "AlreadyExists":
                raise
            existing = self.store.get(REVISIONS, ns, meta["name"])
            if existing is not None and existing.obj.get("data") == data:
                return existing.obj
            status = dict(ds.get("status") or {})
            status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
            update_status(self.registry, DS, ns, ds["metadata"]["name"], status)
            raise

    def _cleanup_history(self, ds: Obj, old: list[Obj]) -> None:
        limit = int(_spec(ds).get("revisionHistoryLimit", 10))
        to_kill = len(old) - limit
        if to_kill <= 0:
            return
        live = {(p["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH)
                for pods in self._daemon_pods(ds, include_deleted_terminal=True).values()
                for p in pods}
        for history in sorted(old, key=lambda h: int(h.get("revision", 0))):
            if to_kill <= 0:
                break
            if (history["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH) in live:
                continue
            try:
                self.registry.delete(REVISIONS, ds["metadata"]["namespace"],
                                     history["metadata"]["name"], DeleteOptions())
            except errors.ApiError:
                continue
            to_kill -= 1

    # -- status --------------------------------------------------------------------------

    def _update_status(self, ds: Obj, nodes: list[Obj], hash_: str, *, observed: bool) -> None:
        by_node = self._daemon_pods(ds)
        min_ready = int(_spec(ds).get("minReadySeconds") or 0)
        now = self.clock.now()
        generation = _template_generation(ds)
        desired = current = misscheduled = ready = updated = available = 0
        for node in nodes:
            should_run, _ = node_should_run_daemon_pod(node, ds, self._tolerations)
            pods = sorted(by_node.get(node["metadata"]["name"]) or [], key=_created)
            if should_run:
                desired += 1
                if not pods:
                    continue
                current += 1
                pod = pods[0]
                if is_pod_ready(pod):
                    ready += 1
                    if is_pod_available(pod, min_ready, now):
                        available += 1
                if is_pod_updated(pod, hash_, generation):
                    updated += 1
            elif pods:
                misscheduled += 1
        ns, name = ds["metadata"]["namespace"], ds["metadata"]["name"]
        stored = self.store.get(DS, ns, name)
        if stored is None:
            return
        old = stored.obj.get("status") or {}
        counts = {"desiredNumberScheduled": desired, "currentNumberScheduled": current,
                  "numberMisscheduled": misscheduled, "numberReady": ready,
                  "updatedNumberScheduled": updated, "numberAvailable": available,
                  "numberUnavailable": desired - available}
        generation_done = old.get("observedGeneration", 0) >= stored.meta.get("generation", 0)
        if all(old.get(k, 0) == v for k, v in counts.items()) and generation_done:
            return
        status = {**old, **counts}
        if observed:
            status["observedGeneration"] = stored.meta.get("generation", 0)
        omit_zero(status, "observedGeneration", "updatedNumberScheduled", "numberAvailable",
                  "numberUnavailable")
        update_status(self.registry, DS, ns, name, status)
        if min_ready > 0 and ready != available:
            key = (ns, name)
            self.runtime.after(min_ready, lambda: self.queue.add(key))


def _updated_pods_on_node(pods: list[Obj], hash_: str, generation: str | None
                          ) -> tuple[Obj | None, Obj | None, bool]:
    """``findUpdatedPodsOnNode``: (new pod, old pod, whether at most one of each)."""
    new: Obj | None = None
    old: Obj | None = None
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if is_pod_updated(pod, hash_, generation):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True
