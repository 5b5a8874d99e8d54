"""The ``pods/eviction`` subresource: delete a pod unless a disruption budget forbids it.

Upstream: pkg/registry/core/pod/storage/eviction.go at release-1.32, summarised in
docs/k8s-semantics.md §8.2 (fidelity cases ev-001 to ev-010).
"""

from __future__ import annotations

from typing import Any

from chaoszone.sim import errors, selectors
from chaoszone.sim.objects import is_pod_ready
from chaoszone.sim.registry import DeleteOptions, Registry
from chaoszone.sim.resources import by_path

__all__ = ["evict"]

_PODS = by_path("", "v1", "pods")
_PDBS = by_path("policy", "v1", "poddisruptionbudgets")


def evict(registry: Registry, namespace: str, name: str, eviction: dict[str, Any]) -> None:
    """Evict a pod; raises 429 (budget), 500 (several budgets) or 404 as upstream."""
    assert _PODS is not None and _PDBS is not None
    pod = registry.get(_PODS, namespace, name)
    options = DeleteOptions.from_dict(eviction.get("deleteOptions"))
    status = pod.obj.get("status") or {}
    if status.get("phase") in ("Pending", "Succeeded", "Failed") or pod.meta.get(
            "deletionTimestamp"):
        _delete(registry, namespace, name, options)
        return
    labels = pod.labels
    matching = []
    for pdb in registry.items(_PDBS, namespace):
        selector = selectors.label_selector_from_dict((pdb.obj.get("spec") or {}).get("selector"))
        if selector.matches(labels):
            matching.append(pdb)
    if not matching:
        _delete(registry, namespace, name, options)
        return
    if len(matching) > 1:
        raise errors.ApiError(
            500, "InternalError",
            "This pod has more than one PodDisruptionBudget, which the eviction subresource "
            "does not support.")
    pdb = matching[0]
    spec = pdb.obj.get("spec") or {}
    pdb_status = pdb.obj.get("status") or {}
    healthy = int(pdb_status.get("currentHealthy", 0))
    desired = int(pdb_status.get("desiredHealthy", 0))
    if not is_pod_ready(pod.obj):
        policy = spec.get("unhealthyPodEvictionPolicy", "IfHealthyBudget")
        if policy == "AlwaysAllow" or (healthy >= desired > 0):
            _delete(registry, namespace, name, options)
            return
    if int(pdb_status.get("observedGeneration", 0)) < int(pdb.meta.get("generation", 1)):
        raise errors.TooManyRequests(
            "Cannot evict pod as it would violate the pod's disruption budget.",
            [errors.Cause("DisruptionBudget",
                          f"The disruption budget {pdb.name} is still being processed by the "
                          f"server.")])
    allowed = int(pdb_status.get("disruptionsAllowed", 0))
    if allowed < 0:
        raise errors.Forbidden("pdb disruptions allowed is negative")
    if len(pdb_status.get("disruptedPods") or {}) > 2000:
        raise errors.Forbidden("DisruptedPods map too big - too many evictions not confirmed by "
                               "PDB controller")
    if allowed == 0:
        raise errors.TooManyRequests(
            "Cannot evict pod as it would violate the pod's disruption budget.",
            [errors.Cause("DisruptionBudget",
                          f"The disruption budget {pdb.name} needs {desired} healthy pods and "
                          f"has {healthy} currently")])
    if not options.dry_run:
        new = pdb.copy()
        st = new.setdefault("status", {})
        st["disruptionsAllowed"] = allowed - 1
        st.setdefault("disruptedPods", {})[name] = registry.clock.timestamp()
        registry.update(_PDBS, namespace, pdb.name, new, subresource="status")
    _delete(registry, namespace, name, options)


def _delete(registry: Registry, namespace: str, name: str, options: DeleteOptions) -> None:
    assert _PODS is not None
    if not options.dry_run:
        pod = registry.get(_PODS, namespace, name)
        if not pod.meta.get("deletionTimestamp"):
            new = pod.copy()
            conditions = [c for c in (new.get("status") or {}).get("conditions") or []
                          if c.get("type") != "DisruptionTarget"]
            conditions.append({
                "type": "DisruptionTarget", "status": "True",
                "reason": "EvictionByEvictionAPI",
                "message": "Eviction API: evicting",
                "lastTransitionTime": registry.clock.timestamp(),
                "lastProbeTime": None,
            })
            new.setdefault("status", {})["conditions"] = conditions
            registry.update(_PODS, namespace, name, new, subresource="status")
    registry.delete(_PODS, namespace, name, options)
