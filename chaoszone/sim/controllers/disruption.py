"""The disruption controller: keeps every PodDisruptionBudget's status, which the eviction
subresource (chaoszone.sim.eviction) then reads.

- Pods: those in the budget's namespace its selector matches (``{}`` matches all).
- ``minAvailable`` as an integer: expectedPods = the matching pods, desiredHealthy = it.
  ``minAvailable`` as a percentage, or ``maxUnavailable``: expectedPods = the sum of the
  scale of the pods' controllers (Deployment through its ReplicaSet, ReplicaSet,
  StatefulSet, anything with a scale subresource), percentages rounded up,
  desiredHealthy = expected - maxUnavailable (>= 0). Pods without a controller make the
  expectation 0 with a Warning ``UnmanagedPods``; a pod whose controller is missing, or
  cannot be scaled, fails the sync: the fail-safe sets disruptionsAllowed to 0 with
  condition ``DisruptionAllowed=False/SyncFailed``.
- currentHealthy: Ready pods, not terminating, not in ``disruptedPods`` (whose entries expire
  after 2 minutes, with a Warning ``NotDeleted`` on the pod).
- disruptionsAllowed = max(0, currentHealthy - desiredHealthy), 0 if expectedPods <= 0;
  condition ``DisruptionAllowed`` True/``SufficientPods`` or False/``InsufficientPods``.
- A pod left with a stale ``DisruptionTarget=True`` (not terminating two minutes on) has it
  set back to False.

Upstream: pkg/controller/disruption/disruption.go and
staging/src/k8s.io/component-helpers/apps/poddisruptionbudget/helpers.go at release-1.32
(docs/k8s-semantics.md §8.1, fidelity ``pdb-*``).
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Mapping
from typing import Any

from chaoszone.sim import errors, selectors
from chaoszone.sim.objects import (
    controller_ref_of,
    get_condition,
    is_pod_ready,
    parse_time,
    resource_type,
)
from chaoszone.sim.resources import RESOURCES, ResourceType
from chaoszone.sim.runtime import Runtime, Timer
from chaoszone.sim.watch import DELETED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = ["DELETION_TIMEOUT", "DisruptionController", "scaled_value"]

log = logging.getLogger("chaoszone.sim")

_PODS = resource_type("", "v1", "pods")
_PDBS = resource_type("policy", "v1", "poddisruptionbudgets")
_RS = resource_type("apps", "v1", "replicasets")
_DEPLOYMENTS = resource_type("apps", "v1", "deployments")
_STS = resource_type("apps", "v1", "statefulsets")

COMPONENT = "controllermanager"
#: DeletionTimeout and stalePodDisruptionTimeout
DELETION_TIMEOUT = 120.0
STALE_DISRUPTION_TIMEOUT = 120.0


class SyncError(Exception):
    """What makes ``trySync`` fail (and the fail-safe take over)."""


def scaled_value(value: Any, total: int) -> int:
    """``intstr.GetScaledValueFromIntOrPercent(value, total, roundUp=true)``."""
    if isinstance(value, bool):
        raise SyncError(f"invalid value for IntOrString: invalid type: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if not value.endswith("%"):
            raise SyncError("invalid value for IntOrString: invalid type: string is not a "
                            "percentage")
        try:
            percent = int(value[:-1])
        except ValueError:
            raise SyncError(f'invalid value "{value}": strconv.Atoi: parsing '
                            f'"{value[:-1]}": invalid syntax') from None
        return math.ceil(percent * total / 100)
    raise SyncError("invalid value for IntOrString: invalid type")


def _selector_string(selector: Mapping[str, Any] | None) -> str:
    """``(*metav1.LabelSelector).String()`` as ``%v`` prints it in the UnmanagedPods event."""
    if selector is None:
        return "nil"
    labels = selector.get("matchLabels") or {}
    label_text = "".join(f"{k}: {labels[k]}," for k in sorted(labels))
    exprs = "".join(
        "LabelSelectorRequirement{Key:" + str(e.get("key", "")) + ",Operator:"
        + str(e.get("operator", "")) + ",Values:[" + " ".join(e.get("values") or ()) + "],},"
        for e in selector.get("matchExpressions") or ())
    return ("&LabelSelector{MatchLabels:map[string]string{" + label_text + "},"
            "MatchExpressions:[]LabelSelectorRequirement{" + exprs + "},}")


class DisruptionController:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        self._rechecks: dict[tuple[str, str], tuple[float, Timer]] = {}
        self._stale: dict[tuple[str, str], Timer] = {}
        self.queue: WorkQueue[tuple[str, str]] = runtime.queue("disruption controller",
                                                               self.sync)
        self.pod_events: WorkQueue[tuple[str, str, str]] = runtime.queue(
            "disruption controller: pod events", self._pod_event)
        runtime.listen(self._on_event)

    # -- informers -------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        rt = event.resource
        if rt is _PDBS:
            self.queue.add((event.new.namespace, event.new.name))
            return
        if rt is not _PODS:
            return
        pdbs = self._pdbs_for(event.new.namespace, event.new.labels)
        for pdb in pdbs:
            self.queue.add((event.new.namespace, pdb))
        if len(pdbs) > 1 and event.type != DELETED:
            self.pod_events.add(("multiple", event.new.namespace, event.new.name))
        if event.type != DELETED and _has_disruption_target(event.new.obj):
            # upstream's addPod/updatePod enqueue only a pod carrying the condition
            # (nonTerminatingPodHasStaleDisruptionCondition); the handler checks the rest
            self.pod_events.add(("stale", event.new.namespace, event.new.name))

    def _pdbs_for(self, namespace: str, labels: Mapping[str, str]) -> list[str]:
        if not self.store.count(_PDBS, namespace):
            return []
        names = []
        for pdb in self.store.items(_PDBS, namespace):
            try:
                selector = selectors.label_selector_from_dict(
                    (pdb.obj.get("spec") or {}).get("selector"))
            except errors.ApiError:
                continue
            if selector.matches(labels):
                names.append(pdb.name)
        return names

    def _pod_event(self, item: tuple[str, str, str]) -> None:
        what, namespace, name = item
        stored = self.store.get(_PODS, namespace, name)
        if stored is None:
            return
        if what == "multiple":
            pdbs = self._pdbs_for(namespace, stored.labels)
            if len(pdbs) > 1:
                self.runtime.record_event(
                    stored.obj, _PODS, "Warning", "MultiplePodDisruptionBudgets",
                    f'Pod "{namespace}"/"{name}" matches multiple PodDisruptionBudgets.  '
                    f'Chose "{pdbs[0]}" arbitrarily.', COMPONENT)
            return
        self._check_stale_disruption(namespace, name)

    # -- sync ------------------------------------------------------------------

    def sync(self, key: tuple[str, str]) -> None:
        stored = self.store.get(_PDBS, *key)
        if stored is None:
            return
        pdb = stored.obj
        try:
            self._try_sync(pdb)
        except SyncError as exc:
            log.debug("disruption controller: %s/%s: %s", *key, exc)
            self._fail_safe(pdb, str(exc))
        except errors.ApiError:
            log.debug("disruption controller: writing %s/%s failed", *key, exc_info=True)

    def _try_sync(self, pdb: dict[str, Any]) -> None:
        namespace = pdb["metadata"]["namespace"]
        spec = pdb.get("spec") or {}
        try:
            selector = selectors.label_selector_from_dict(spec.get("selector"))
        except errors.ApiError as exc:
            self._event(pdb, "Warning", "NoPods", f"Failed to get pods: {exc.message}")
            raise SyncError(exc.message) from None
        pods = [s.obj for s in self.store.items(_PODS, namespace) if selector.matches(s.labels)]
        if not pods:
            self._event(pdb, "Normal", "NoPods", "No matching pods found")
        try:
            expected, desired, unmanaged = self._expected_pod_count(pdb, pods)
        except SyncError as exc:
            self._event(pdb, "Warning", "CalculateExpectedPodCountFailed",
                        f"Failed to calculate the number of expected pods: {exc}")
            raise
        if unmanaged:
            self._event(
                pdb, "Warning", "UnmanagedPods",
                f"Pods selected by this PodDisruptionBudget (selector: "
                f"{_selector_string(spec.get('selector'))}) were found to be unmanaged. As a "
                f"result, the status of the PDB cannot be calculated correctly, which may "
                f"result in undefined behavior. To account for these pods please set "
                f'".spec.minAvailable" field of the PDB to an integer value.')
        now = self.clock.now()
        disrupted, recheck = self._build_disrupted_pods(pods, pdb, now)
        healthy = 0
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            at = parse_time(disrupted.get(pod["metadata"]["name"]))
            if at is not None and at + DELETION_TIMEOUT > now:
                continue
            if is_pod_ready(pod):
                healthy += 1
        self._update_status(pdb, healthy, desired, expected, disrupted)
        if recheck is not None:
            self._recheck(pdb, recheck)

    def _expected_pod_count(self, pdb: dict[str, Any], pods: list[dict[str, Any]]
                            ) -> tuple[int, int, list[str]]:
        """``getExpectedPodCount``: (expectedPods, desiredHealthy, unmanaged pod names)."""
        spec = pdb.get("spec") or {}
        if spec.get("maxUnavailable") is not None:
            expected, unmanaged = self._expected_scale(pods)
            max_unavailable = scaled_value(spec["maxUnavailable"], expected)
            return expected, max(0, expected - max_unavailable), unmanaged
        min_available = spec.get("minAvailable")
        if isinstance(min_available, int) and not isinstance(min_available, bool):
            return len(pods), min_available, []
        if isinstance(min_available, str):
            expected, unmanaged = self._expected_scale(pods)
            return expected, scaled_value(min_available, expected), unmanaged
        return 0, 0, []

    def _expected_scale(self, pods: list[dict[str, Any]]) -> tuple[int, list[str]]:
        """``getExpectedScale``: the sum of the scale of every pod's controller."""
        scale: dict[str, int] = {}
        unmanaged = []
        for pod in pods:
            ref = controller_ref_of(pod)
            if ref is None:
                unmanaged.append(pod["metadata"]["name"])
                continue
            if ref.get("uid") in scale:
                continue
            found = self._controller_scale(ref, pod["metadata"]["namespace"])
            if found is None:
                raise SyncError(f'found no controllers for pod "{pod["metadata"]["name"]}"')
            scale[found[0]] = found[1]
        return sum(scale.values()), unmanaged

    def _controller_scale(self, ref: Mapping[str, Any], namespace: str
                          ) -> tuple[str, int] | None:
        """The finders in order: Deployment (through its ReplicaSet), a ReplicaSet no
        Deployment controls, StatefulSet, then any kind with a scale subresource."""
        api_version = str(ref.get("apiVersion", ""))
        group = api_version.split("/")[0] if "/" in api_version else ""
        kind = ref.get("kind")
        name = str(ref.get("name", ""))
        if kind == "ReplicaSet" and group in ("apps", "extensions"):
            rs = self.store.get(_RS, namespace, name)
            if rs is not None and rs.meta.get("uid") == ref.get("uid"):
                owner = controller_ref_of(rs.obj)
                if owner is not None and owner.get("kind") == "Deployment":
                    owner_api = str(owner.get("apiVersion", ""))
                    if owner_api.split("/")[0] in ("apps", "extensions") and "/" in owner_api:
                        deploy = self.store.get(_DEPLOYMENTS, namespace, str(owner.get("name")))
                        if deploy is not None and deploy.meta.get("uid") == owner.get("uid"):
                            return deploy.meta["uid"], _replicas(deploy.obj)
                else:
                    return rs.meta["uid"], _replicas(rs.obj)
        if kind == "StatefulSet" and group == "apps":
            sts = self.store.get(_STS, namespace, name)
            if sts is not None and sts.meta.get("uid") == ref.get("uid"):
                return sts.meta["uid"], _replicas(sts.obj)
        # getScaleController: anything with a scale subresource
        rt = _by_kind(group, kind)
        if rt is None:
            raise SyncError(f'no matches for kind "{kind}" in version "{api_version}"')
        if not any(sub.name == "scale" for sub in rt.subresources):
            resource = rt.plural if not rt.group else f"{rt.plural}.{rt.group}"
            raise SyncError(f"{resource} does not implement the scale subresource")
        obj = self.store.get(rt, namespace, name)
        if obj is None or obj.meta.get("uid") != ref.get("uid"):
            return None
        return obj.meta["uid"], _replicas(obj.obj)

    def _build_disrupted_pods(self, pods: list[dict[str, Any]], pdb: dict[str, Any],
                              now: float) -> tuple[dict[str, str], float | None]:
        """``buildDisruptedPodMap``: the entries still waiting for their pod's deletion."""
        previous = (pdb.get("status") or {}).get("disruptedPods") or {}
        result: dict[str, str] = {}
        recheck: float | None = None
        if not previous:
            return result, None
        namespace = pdb["metadata"]["namespace"]
        for pod in pods:
            meta = pod["metadata"]
            if meta.get("deletionTimestamp") or meta["name"] not in previous:
                continue
            at = parse_time(previous[meta["name"]])
            if at is None:
                continue
            expected = at + DELETION_TIMEOUT
            if expected < now:
                # upstream prints the namespace twice
                self._event_on_pod(pod, "Warning", "NotDeleted",
                                   f"Pod was expected by PDB {namespace}/{namespace} to be "
                                   f"deleted but it wasn't")
            else:
                if recheck is None or expected < recheck:
                    recheck = expected
                result[meta["name"]] = previous[meta["name"]]
        return result, recheck

    def _update_status(self, pdb: dict[str, Any], healthy: int, desired: int, expected: int,
                       disrupted: dict[str, str]) -> None:
        allowed = healthy - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0
        status = pdb.get("status") or {}
        generation = int(pdb["metadata"].get("generation") or 0)
        if (status.get("currentHealthy") == healthy and status.get("desiredHealthy") == desired
                and status.get("expectedPods") == expected
                and status.get("disruptionsAllowed") == allowed
                and (status.get("disruptedPods") or {}) == disrupted
                and status.get("observedGeneration") == generation
                and _conditions_up_to_date(status, generation)):
            return
        new_status: dict[str, Any] = {"observedGeneration": generation}
        if disrupted:
            new_status["disruptedPods"] = disrupted
        new_status.update(disruptionsAllowed=allowed, currentHealthy=healthy,
                          desiredHealthy=desired, expectedPods=expected,
                          conditions=[dict(c) for c in status.get("conditions") or ()])
        if allowed > 0:
            self._set_condition(new_status, "True", "SufficientPods", "", generation)
        else:
            self._set_condition(new_status, "False", "InsufficientPods", "", generation)
        new = dict(pdb, status=new_status)
        self.registry.update(_PDBS, pdb["metadata"]["namespace"], pdb["metadata"]["name"], new,
                             subresource="status")

    def _fail_safe(self, pdb: dict[str, Any], message: str) -> None:
        """``failSafe``: at least forbid disruptions when the status cannot be computed."""
        status = dict(pdb.get("status") or {})
        status["disruptionsAllowed"] = 0
        status["conditions"] = [dict(c) for c in status.get("conditions") or ()]
        self._set_condition(status, "False", "SyncFailed", message,
                            int(status.get("observedGeneration") or 0))
        with contextlib.suppress(errors.ApiError):
            self.registry.update(_PDBS, pdb["metadata"]["namespace"], pdb["metadata"]["name"],
                                 dict(pdb, status=status), subresource="status")

    def _set_condition(self, status: dict[str, Any], value: str, reason: str, message: str,
                       generation: int) -> None:
        """``meta.SetStatusCondition`` of ``DisruptionAllowed``."""
        conditions: list[dict[str, Any]] = status.setdefault("conditions", [])
        cond = next((c for c in conditions if c.get("type") == "DisruptionAllowed"), None)
        if cond is None:
            cond = {"type": "DisruptionAllowed", "status": value,
                    "lastTransitionTime": self.clock.timestamp()}
            conditions.append(cond)
        elif cond.get("status") != value:
            cond["status"] = value
            cond["lastTransitionTime"] = self.clock.timestamp()
        cond["reason"] = reason
        cond["message"] = message
        if generation:
            cond["observedGeneration"] = generation
        else:
            cond.pop("observedGeneration", None)

    def _recheck(self, pdb: dict[str, Any], when: float) -> None:
        """``enqueuePdbForRecheck``: the earliest of the pending rechecks wins."""
        key = (pdb["metadata"]["namespace"], pdb["metadata"]["name"])
        # an entry expires once the time is *after* its deadline: look a moment later
        when += 0.001
        pending = self._rechecks.get(key)
        if pending is not None and pending[0] <= when:
            return
        if pending is not None:
            pending[1].cancel()

        def fire() -> None:
            self._rechecks.pop(key, None)
            self.queue.add(key)

        self._rechecks[key] = (when, self.runtime.at(when, fire))

    # -- stale DisruptionTarget conditions -----------------------------------------

    def _check_stale_disruption(self, namespace: str, name: str) -> None:
        stored = self.store.get(_PODS, namespace, name)
        if stored is None:
            return
        pod = stored.obj
        cond = get_condition(pod, "DisruptionTarget")
        if pod["metadata"].get("deletionTimestamp") or cond is None or \
                cond.get("status") != "True" or cond.get("reason") == "TerminationByKubelet" \
                or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return
        since = parse_time(cond.get("lastTransitionTime")) or self.clock.now()
        wait = STALE_DISRUPTION_TIMEOUT - (self.clock.now() - since)
        key = (namespace, name)
        if wait > 0:
            if key not in self._stale:
                def fire() -> None:
                    self._stale.pop(key, None)
                    self.pod_events.add(("stale", namespace, name))
                self._stale[key] = self.runtime.after(wait, fire)
            return
        new = stored.copy()
        for c in new["status"]["conditions"]:
            if c.get("type") == "DisruptionTarget":
                c.update(status="False", lastTransitionTime=self.clock.timestamp())
                c.pop("reason", None)
                c.pop("message", None)
        with contextlib.suppress(errors.ApiError):
            self.registry.update(_PODS, namespace, name, new, subresource="status")

    # -- events ----------------------------------------------------------------

    def _event(self, pdb: dict[str, Any], type_: str, reason: str, message: str) -> None:
        self.runtime.record_event(pdb, _PDBS, type_, reason, message, COMPONENT)

    def _event_on_pod(self, pod: dict[str, Any], type_: str, reason: str, message: str) -> None:
        self.runtime.record_event(pod, _PODS, type_, reason, message, COMPONENT)


def _replicas(obj: Mapping[str, Any]) -> int:
    replicas = (obj.get("spec") or {}).get("replicas")
    return int(replicas) if isinstance(replicas, int) else 1


def _by_kind(group: str, kind: Any) -> ResourceType | None:
    return next((r for r in RESOURCES if r.group == group and r.kind == kind), None)


def _conditions_up_to_date(status: Mapping[str, Any], generation: int) -> bool:
    """``ConditionsAreUpToDate``."""
    cond = next((c for c in status.get("conditions") or ()
                 if c.get("type") == "DisruptionAllowed"), None)
    if cond is None or status.get("observedGeneration") != generation:
        return False
    if int(status.get("disruptionsAllowed") or 0) > 0:
        return bool(cond.get("status") == "True" and cond.get("reason") == "SufficientPods")
    return bool(cond.get("status") == "False" and cond.get("reason") == "InsufficientPods")


def _has_disruption_target(pod: Mapping[str, Any]) -> bool:
    for condition in (pod.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "DisruptionTarget":
            return True
    return False
