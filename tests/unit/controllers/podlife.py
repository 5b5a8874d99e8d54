"""Playing the scheduler and the kubelet in the controllers' unit tests: bind pods, make
them Running and Ready, finish them, and remove them once deleted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.resources import ResourceType, by_path


def rt(group: str, plural: str) -> ResourceType:
    found = by_path(group, "v1", plural)
    assert found is not None
    return found


PODS = rt("", "pods")
NODES = rt("", "nodes")
PVCS = rt("", "persistentvolumeclaims")
EVENTS = rt("", "events")
SERVICEACCOUNTS = rt("", "serviceaccounts")
DEPLOYMENTS = rt("apps", "deployments")
REPLICASETS = rt("apps", "replicasets")
STATEFULSETS = rt("apps", "statefulsets")
DAEMONSETS = rt("apps", "daemonsets")
REVISIONS = rt("apps", "controllerrevisions")
JOBS = rt("batch", "jobs")


def pods(cluster: Cluster, namespace: str = "default", *,
         active_only: bool = False) -> list[dict[str, Any]]:
    out = [s.obj for s in cluster.store.items(PODS, namespace)]
    if active_only:
        out = [p for p in out if not p["metadata"].get("deletionTimestamp")
               and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    return out


def names(objs: list[dict[str, Any]]) -> list[str]:
    return sorted(o["metadata"]["name"] for o in objs)


def get(cluster: Cluster, resource: ResourceType, name: str,
        namespace: str = "default") -> dict[str, Any]:
    return cluster.registry.get(resource, namespace, name).obj


def events(cluster: Cluster, name: str, namespace: str = "default") -> list[tuple[str, str]]:
    return [(e.obj["reason"], e.obj["message"]) for e in cluster.store.items(EVENTS, namespace)
            if e.obj["involvedObject"]["name"] == name]


def bind(cluster: Cluster, pod: dict[str, Any], node: str) -> None:
    meta = pod["metadata"]
    cluster.registry.bind(meta["namespace"], meta["name"], {"target": {"name": node}})


def _status(cluster: Cluster, pod: dict[str, Any], **changes: Any) -> dict[str, Any]:
    meta = pod["metadata"]
    current = cluster.registry.get(PODS, meta["namespace"], meta["name"]).copy()
    current["status"].update(changes)
    stored, _ = cluster.registry.update(PODS, meta["namespace"], meta["name"], current,
                                        subresource="status")
    return stored.obj


def run(cluster: Cluster, pod: dict[str, Any], *, node: str | None = None,
        ready: bool = True) -> dict[str, Any]:
    """Start the pod: phase Running, Ready as asked; bound to ``node`` first if given.

    Pods left unbound are out of reach of PodGC and taint eviction (other engineers'
    controllers in the same cluster), so tests that move the clock far keep them so."""
    meta = pod["metadata"]
    current = cluster.registry.get(PODS, meta["namespace"], meta["name"]).obj
    if node and not (current.get("spec") or {}).get("nodeName"):
        bind(cluster, current, node)
    now = cluster.clock.timestamp()
    current = cluster.registry.get(PODS, meta["namespace"], meta["name"]).obj
    conditions = [c for c in current["status"].get("conditions") or []
                  if c["type"] not in ("Ready", "ContainersReady", "Initialized")]
    state = "True" if ready else "False"
    conditions += [{"type": "Initialized", "status": "True", "lastProbeTime": None,
                    "lastTransitionTime": now},
                   {"type": "Ready", "status": state, "lastProbeTime": None,
                    "lastTransitionTime": now},
                   {"type": "ContainersReady", "status": state, "lastProbeTime": None,
                    "lastTransitionTime": now}]
    statuses = [{"name": c["name"], "ready": ready, "restartCount": 0, "image": c["image"],
                 "imageID": "", "started": True, "state": {"running": {"startedAt": now}}}
                for c in current["spec"]["containers"]]
    return _status(cluster, current, phase="Running", conditions=conditions,
                   containerStatuses=statuses, startTime=now)


def finish(cluster: Cluster, pod: dict[str, Any], *, succeeded: bool = True,
           exit_code: int | None = None, reason: str | None = None,
           conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """End the pod: phase Succeeded or Failed, containers terminated."""
    meta = pod["metadata"]
    current = cluster.registry.get(PODS, meta["namespace"], meta["name"]).obj
    now = cluster.clock.timestamp()
    code = exit_code if exit_code is not None else (0 if succeeded else 1)
    statuses = [{"name": c["name"], "ready": False, "restartCount": 0, "image": c["image"],
                 "imageID": "", "started": False,
                 "state": {"terminated": {"exitCode": code, "startedAt": now,
                                          "finishedAt": now,
                                          "reason": "Completed" if code == 0 else "Error"}}}
                for c in current["spec"]["containers"]]
    kept = [c for c in current["status"].get("conditions") or [] if c["type"] != "Ready"]
    kept.append({"type": "Ready", "status": "False", "lastProbeTime": None,
                 "lastTransitionTime": now, "reason": "PodCompleted"})
    extra: dict[str, Any] = {}
    if reason:
        extra["reason"] = reason
    return _status(cluster, current, phase="Succeeded" if succeeded else "Failed",
                   conditions=kept + list(conditions or []), containerStatuses=statuses,
                   **extra)


def remove(cluster: Cluster, pod: dict[str, Any]) -> None:
    """What the kubelet does once a deleted pod's containers are gone: delete it for good
    (finalizers permitting)."""
    meta = pod["metadata"]
    cluster.registry.delete(PODS, meta["namespace"], meta["name"],
                            DeleteOptions(grace_period_seconds=0))


def run_all(cluster: Cluster, namespace: str = "default", *, node: str | None = None,
            ready: bool = True) -> None:
    """Run every pending pod not being deleted, then let the controllers react."""
    for pod in pods(cluster, namespace, active_only=True):
        if pod["status"].get("phase") == "Pending" or (not _ready(pod) and ready):
            run(cluster, pod, node=(pod["spec"].get("nodeName") or node), ready=ready)
    cluster.settle()


def remove_terminating(cluster: Cluster, namespace: str = "default") -> None:
    for pod in pods(cluster, namespace):
        if pod["metadata"].get("deletionTimestamp"):
            remove(cluster, pod)
    cluster.settle()


def _ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in pod["status"].get("conditions") or [])


def owned_by(objs: list[dict[str, Any]], owner: dict[str, Any]) -> Iterator[dict[str, Any]]:
    uid = owner["metadata"]["uid"]
    for obj in objs:
        if any(r["uid"] == uid for r in obj["metadata"].get("ownerReferences") or []):
            yield obj


def container(image: str = "nginx:1.27", name: str = "app") -> dict[str, Any]:
    return {"name": name, "image": image}


def template(labels: dict[str, str], image: str = "nginx:1.27",
             **spec: Any) -> dict[str, Any]:
    return {"metadata": {"labels": dict(labels)},
            "spec": {"containers": [container(image)], **spec}}
