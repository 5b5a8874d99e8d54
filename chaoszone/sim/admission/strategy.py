"""What each kind's REST strategy does to an object before it is validated and stored:
``PrepareForCreate`` and ``PrepareForUpdate``.

Owns :func:`prepare_for_create`, :func:`prepare_for_update` and :func:`initial_status`:

* the status a new object starts with, including the counters the official client's
  strict models require (a new DaemonSet's status is
  ``{currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0,
  numberReady: 0}``, a PodDisruptionBudget's carries four zeros, a ReplicaSet's and a
  StatefulSet's ``replicas: 0``), because Go prints those non-``omitempty`` fields even
  when zero;
* ``metadata.generation`` (1 on create, +1 when the spec changes) for Deployment,
  ReplicaSet, StatefulSet, DaemonSet, Job and PodDisruptionBudget (Deployments also on
  annotation changes), and a DaemonSet's ``deprecated.daemonset.template.generation``;
  an EndpointSlice's (+1 when anything but its metadata changes, or its labels do);
* a new pod's ``status`` (``Pending``, its QoS class, the ``SchedulingGated`` condition)
  and the ``matchLabelKeys``/``mismatchLabelKeys`` merge into pod (anti-)affinity selectors
  (MatchLabelKeysInPodAffinity, beta and on in 1.32);
* a namespace's ``kubernetes`` finalizer; a PersistentVolume's ``lastPhaseTransitionTime``;
* the Job selector (also done by :func:`~chaoszone.sim.admission.defaults.default`);
* on update: status and namespace finalizers kept from the stored object, and a Service
  PUT without ``clusterIP``/``clusterIPs``/node ports keeps the allocated ones.

Upstream (release-1.32): pkg/registry/core/{pod,namespace,persistentvolume,
persistentvolumeclaim,service}/strategy.go, pkg/registry/core/service/storage/storage.go
(``patchAllocatedValues``), pkg/registry/apps/{deployment,replicaset,statefulset,
daemonset}/strategy.go, pkg/registry/batch/job/strategy.go,
pkg/registry/policy/poddisruptionbudget/strategy.go,
pkg/registry/discovery/endpointslice/strategy.go.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping, MutableMapping
from typing import Any

from chaoszone.sim.admission.causes import TYPE_ERRORS, wrong_type
from chaoszone.sim.admission.defaults import default, generate_job_selector
from chaoszone.sim.admission.podspec import semantic
from chaoszone.sim.admission.qos import pod_qos_class
from chaoszone.sim.resources import ResourceType

__all__ = ["GENERATION_KINDS", "initial_status", "prepare_for_create", "prepare_for_update"]

#: kinds whose strategy starts metadata.generation at 1 and bumps it on spec changes
GENERATION_KINDS = frozenset({
    ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"),
    ("apps", "DaemonSet"), ("batch", "Job"), ("policy", "PodDisruptionBudget"),
})
DAEMONSET_TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
#: an EndpointSlice has a generation too, but no spec: see :func:`_prepare_for_update`
_ENDPOINT_SLICE = ("discovery.k8s.io", "EndpointSlice")

_INITIAL_STATUS: dict[tuple[str, str], dict[str, Any]] = {
    ("apps", "ReplicaSet"): {"replicas": 0},
    ("apps", "StatefulSet"): {"replicas": 0, "availableReplicas": 0},
    ("apps", "DaemonSet"): {"currentNumberScheduled": 0, "numberMisscheduled": 0,
                            "desiredNumberScheduled": 0, "numberReady": 0},
    ("policy", "PodDisruptionBudget"): {"disruptionsAllowed": 0, "currentHealthy": 0,
                                        "desiredHealthy": 0, "expectedPods": 0},
    ("", "Service"): {"loadBalancer": {}},
    ("", "Namespace"): {"phase": "Active"},
    ("", "PersistentVolumeClaim"): {"phase": "Pending"},
    ("", "PersistentVolume"): {"phase": "Pending"},
    ("", "Pod"): {"phase": "Pending"},
}


def initial_status(resource: ResourceType) -> dict[str, Any] | None:
    """The status a newly created object of this kind has, or ``None`` when the kind keeps
    what the client sent (a Node: the kubelet registers it with its status) or has none."""
    if not resource.has_status or (resource.group, resource.kind) == ("", "Node"):
        return None
    status: dict[str, Any] = _fresh(_INITIAL_STATUS.get((resource.group, resource.kind), {}))
    return status


def _fresh(value: Any) -> Any:
    """A copy of JSON data (copy.deepcopy's memo and dispatch cost more than the copy)."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _merge_label_keys(term: Any, labels: Mapping[str, Any]) -> None:
    """``applyMatchLabelKeysAndMismatchLabelKeys``."""
    if not isinstance(term, dict):
        return
    selector = term.get("labelSelector")
    if not isinstance(selector, dict):
        return
    exprs = list(selector.get("matchExpressions") or [])
    for key in term.get("matchLabelKeys") or []:
        if key in labels:
            exprs.append({"key": key, "operator": "In", "values": [labels[key]]})
    for key in term.get("mismatchLabelKeys") or []:
        if key in labels:
            exprs.append({"key": key, "operator": "NotIn", "values": [labels[key]]})
    if exprs:
        selector["matchExpressions"] = exprs


def _mutate_pod_affinity(pod: MutableMapping[str, Any]) -> None:
    affinity = _m(_m(pod.get("spec")).get("affinity"))
    labels = _m(_m(pod.get("metadata")).get("labels"))
    for name in ("podAffinity", "podAntiAffinity"):
        rules = _m(affinity.get(name))
        for term in rules.get("requiredDuringSchedulingIgnoredDuringExecution") or []:
            _merge_label_keys(term, labels)
        for weighted in rules.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
            _merge_label_keys(_m(weighted).get("podAffinityTerm"), labels)


def _prepare_pod(pod: MutableMapping[str, Any]) -> None:
    status: dict[str, Any] = {"phase": "Pending", "qosClass": pod_qos_class(pod)}
    if _m(pod.get("spec")).get("schedulingGates"):
        status["conditions"] = [{
            "type": "PodScheduled", "status": "False", "reason": "SchedulingGated",
            "message": "Scheduling is blocked due to non-empty scheduling gates",
            "lastProbeTime": None, "lastTransitionTime": None}]
    pod["status"] = status
    _mutate_pod_affinity(pod)


def prepare_for_create(resource: ResourceType, obj: dict[str, Any], *,
                       now: str | None = None) -> None:
    """The kind's ``PrepareForCreate`` in place, then the defaults again (upstream defaults
    the stored object when it is read back). ``now`` (RFC 3339) stamps a PV's
    ``status.lastPhaseTransitionTime``; ``metadata.uid`` is chosen for a Job that has none,
    as its selector needs it."""
    try:
        _prepare_for_create(resource, obj, now)
    except TYPE_ERRORS as exc:
        raise wrong_type(resource.kind, resource.version, exc) from exc


def _prepare_for_create(resource: ResourceType, obj: dict[str, Any], now: str | None) -> None:
    key = (resource.group, resource.kind)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    status = initial_status(resource)
    if status is not None:
        obj["status"] = status
    if key in GENERATION_KINDS or key == _ENDPOINT_SLICE:
        meta["generation"] = 1
    if key == ("", "Pod"):
        _prepare_pod(obj)
    elif key == ("", "Namespace"):
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        finalizers = list(spec.get("finalizers") or [])
        if "kubernetes" not in finalizers:
            finalizers.append("kubernetes")
        spec["finalizers"] = finalizers
    elif key == ("", "PersistentVolume") and now is not None:
        obj["status"]["lastPhaseTransitionTime"] = now
    elif key == ("apps", "DaemonSet"):
        annotations = meta.get("annotations")
        if not isinstance(annotations, dict):
            annotations = meta["annotations"] = {}
        annotations.setdefault(DAEMONSET_TEMPLATE_GENERATION, "1")
    elif key == ("batch", "Job") and not _m(obj.get("spec")).get("manualSelector"):
        if not meta.get("uid"):
            meta["uid"] = str(uuid.uuid4())
        generate_job_selector(obj, str(meta["uid"]))
    default(resource, obj)


def _patch_allocated_service_values(new: MutableMapping[str, Any],
                                    old: Mapping[str, Any]) -> None:
    """``patchAllocatedValues``: a PUT that omits allocated values keeps the old ones."""
    new_spec = new.get("spec")
    old_spec = _m(old.get("spec"))
    if not isinstance(new_spec, dict):
        return
    kinds = (new_spec.get("type"), old_spec.get("type"))
    if "ExternalName" not in kinds:
        if not new_spec.get("clusterIP") and old_spec.get("clusterIP"):
            new_spec["clusterIP"] = old_spec["clusterIP"]
        if not new_spec.get("clusterIPs") and old_spec.get("clusterIPs"):
            new_spec["clusterIPs"] = list(old_spec["clusterIPs"])
    if new_spec.get("type") in ("NodePort", "LoadBalancer") and old_spec.get("type") in (
            "NodePort", "LoadBalancer"):
        old_ports = {(p.get("port"), p.get("protocol") or "TCP"): p
                     for p in old_spec.get("ports") or [] if isinstance(p, dict)}
        for port in new_spec.get("ports") or []:
            if not isinstance(port, dict) or port.get("nodePort"):
                continue
            previous = old_ports.get((port.get("port"), port.get("protocol") or "TCP"))
            if previous and previous.get("nodePort"):
                port["nodePort"] = previous["nodePort"]
        if not new_spec.get("healthCheckNodePort") and old_spec.get("healthCheckNodePort") and \
                new_spec.get("externalTrafficPolicy") == "Local":
            new_spec["healthCheckNodePort"] = old_spec["healthCheckNodePort"]


def prepare_for_update(resource: ResourceType, new: dict[str, Any],
                       old: Mapping[str, Any]) -> None:
    """The kind's ``PrepareForUpdate`` for a write to the main resource (not ``/status``)."""
    try:
        _prepare_for_update(resource, new, old)
    except TYPE_ERRORS as exc:
        raise wrong_type(resource.kind, resource.version, exc) from exc


def _prepare_for_update(resource: ResourceType, new: dict[str, Any],
                        old: Mapping[str, Any]) -> None:
    key = (resource.group, resource.kind)
    meta = new.get("metadata")
    if not isinstance(meta, dict):
        meta = new["metadata"] = {}
    old_meta = _m(old.get("metadata"))
    if resource.has_status:
        if "status" in old:
            new["status"] = copy.deepcopy(old["status"])
        else:
            new.pop("status", None)
    if key == ("", "Namespace"):
        spec = new.get("spec")
        if not isinstance(spec, dict):
            spec = new["spec"] = {}
        old_finalizers = _m(old.get("spec")).get("finalizers")
        if old_finalizers is None:
            spec.pop("finalizers", None)
        else:
            spec["finalizers"] = list(old_finalizers)
    if key == ("", "Service"):
        _patch_allocated_service_values(new, old)
    if key == _ENDPOINT_SLICE:
        # endpointslice/strategy.go: anything but metadata changed, or the labels did
        generation = int(old_meta.get("generation") or 0)
        meta["generation"] = generation
        if semantic(_body(new)) != semantic(_body(old)) or semantic(
                meta.get("labels")) != semantic(old_meta.get("labels")):
            meta["generation"] = generation + 1
    if key in GENERATION_KINDS:
        generation = int(old_meta.get("generation") or 0)
        meta["generation"] = generation
        changed = semantic(new.get("spec")) != semantic(old.get("spec"))
        if key == ("apps", "Deployment"):
            changed = changed or semantic(meta.get("annotations")) != semantic(
                old_meta.get("annotations"))
        if key == ("apps", "DaemonSet"):
            annotations = meta.get("annotations")
            if not isinstance(annotations, dict):
                annotations = meta["annotations"] = {}
            old_generation = _m(old_meta.get("annotations")).get(DAEMONSET_TEMPLATE_GENERATION)
            template_changed = semantic(_m(new.get("spec")).get("template")) != semantic(
                _m(old.get("spec")).get("template"))
            if old_generation is not None:
                annotations[DAEMONSET_TEMPLATE_GENERATION] = (
                    str(int(old_generation) + 1) if template_changed else old_generation)
        if changed:
            meta["generation"] = generation + 1


def _body(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An object without its metadata and type."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind")}
