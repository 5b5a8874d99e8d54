"""What the node-failure, eviction, endpoint and volume controller tests build on a
manual-clock cluster: nodes with a stand-in kubelet that renews their Lease, pods bound and
made Ready as a kubelet would, and readers for the results."""

from __future__ import annotations

from typing import Any

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.resources import ResourceType, by_path
from chaoszone.sim.runtime import Timer


def rt(group: str, version: str, plural: str) -> ResourceType:
    found = by_path(group, version, plural)
    assert found is not None
    return found


NODES = rt("", "v1", "nodes")
PODS = rt("", "v1", "pods")
LEASES = rt("coordination.k8s.io", "v1", "leases")
EVENTS = rt("", "v1", "events")
SERVICES = rt("", "v1", "services")
PDBS = rt("policy", "v1", "poddisruptionbudgets")
DEPLOYMENTS = rt("apps", "v1", "deployments")
REPLICASETS = rt("apps", "v1", "replicasets")
STATEFULSETS = rt("apps", "v1", "statefulsets")
PVS = rt("", "v1", "persistentvolumes")
PVCS = rt("", "v1", "persistentvolumeclaims")
CLASSES = rt("storage.k8s.io", "v1", "storageclasses")
SLICES = rt("discovery.k8s.io", "v1", "endpointslices")
ENDPOINTS = rt("", "v1", "endpoints")


class Kubelets:
    """Stand-ins for the kubelets: each renews its node's Lease every 10 s until stopped."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._timers: dict[str, Timer] = {}

    def start(self, node: str) -> None:
        self.renew(node)
        self._timers[node] = self.cluster.runtime.every(10, lambda: self.renew(node))

    def stop(self, *nodes: str) -> None:
        for node in nodes:
            self._timers.pop(node).cancel()

    def renew(self, node: str) -> None:
        reg = self.cluster.registry
        now = self.cluster.clock.micro_timestamp()
        stored = reg.store.get(LEASES, "kube-node-lease", node)
        if stored is None:
            reg.create(LEASES, "kube-node-lease", {
                "metadata": {"name": node},
                "spec": {"holderIdentity": node, "leaseDurationSeconds": 40,
                         "renewTime": now}})
        else:
            lease = stored.copy()
            lease["spec"]["renewTime"] = now
            reg.update(LEASES, "kube-node-lease", node, lease)

    def post_ready(self, node: str, status: str = "True") -> None:
        """Post the node's Ready condition as a kubelet does (a fresh heartbeat)."""
        reg = self.cluster.registry
        obj = reg.get(NODES, "", node).copy()
        now = self.cluster.clock.timestamp()
        conditions = obj.setdefault("status", {}).setdefault("conditions", [])
        for cond in conditions:
            if cond["type"] == "Ready":
                if cond["status"] != status:
                    cond["lastTransitionTime"] = now
                cond.update(status=status, lastHeartbeatTime=now,
                            reason="KubeletReady" if status == "True" else "KubeletNotReady",
                            message="kubelet is posting ready status" if status == "True"
                            else "container runtime is down")
        reg.update(NODES, None, node, obj, subresource="status")


def add_node(cluster: Cluster, name: str, zone: str | None = None, *, ready: str = "True",
             taints: list[dict[str, Any]] | None = None, labels: dict[str, str] | None = None,
             cpu: str = "4", conditions: bool = True) -> dict[str, Any]:
    now = cluster.clock.timestamp()
    all_labels = {"kubernetes.io/hostname": name, **(labels or {})}
    if zone is not None:
        all_labels["topology.kubernetes.io/zone"] = zone
    node: dict[str, Any] = {"metadata": {"name": name, "labels": all_labels}, "spec": {}}
    if taints:
        node["spec"]["taints"] = taints
    stored = cluster.registry.create(NODES, None, node)
    status: dict[str, Any] = {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
                              "capacity": {"cpu": cpu, "memory": "8Gi", "pods": "110"}}
    if conditions:
        status["conditions"] = [
            {"type": t, "status": "False", "reason": f"KubeletHas{r}",
             "message": "", "lastHeartbeatTime": now, "lastTransitionTime": now}
            for t, r in (("MemoryPressure", "SufficientMemory"), ("DiskPressure", "NoDiskPressure"),
                         ("PIDPressure", "SufficientPID"))] + [
            {"type": "Ready", "status": ready, "reason": "KubeletReady",
             "message": "kubelet is posting ready status", "lastHeartbeatTime": now,
             "lastTransitionTime": now}]
    obj = stored.copy()
    obj["status"] = status
    return cluster.registry.update(NODES, None, name, obj, subresource="status")[0].obj


_ip = [10]


def add_pod(cluster: Cluster, name: str, node: str | None = None, *, namespace: str = "default",
            tolerations: list[dict[str, Any]] | None = None, labels: dict[str, str] | None = None,
            ready: bool = True, owner: dict[str, Any] | None = None,
            spec: dict[str, Any] | None = None, phase: str = "Running") -> dict[str, Any]:
    """A pod created, bound to ``node`` and given a running kubelet's status."""
    pod_spec: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx"}], **(spec or {})}
    if tolerations is not None:
        pod_spec["tolerations"] = tolerations
    meta: dict[str, Any] = {"name": name, "labels": labels or {}}
    if owner is not None:
        meta["ownerReferences"] = [owner]
    cluster.registry.create(PODS, namespace, {"metadata": meta, "spec": pod_spec})
    if node is None:
        return cluster.registry.get(PODS, namespace, name).obj
    cluster.registry.bind(namespace, name, {"target": {"kind": "Node", "name": node}})
    _ip[0] += 1
    pod = cluster.registry.get(PODS, namespace, name).copy()
    now = cluster.clock.timestamp()
    pod["status"].update(phase=phase, podIP=f"10.244.0.{_ip[0]}",
                         podIPs=[{"ip": f"10.244.0.{_ip[0]}"}], hostIP="172.18.0.2")
    pod["status"]["conditions"] = [
        c for c in pod["status"].get("conditions") or [] if c["type"] == "PodScheduled"] + [
        {"type": t, "status": "True" if ready else "False", "lastProbeTime": None,
         "lastTransitionTime": now} for t in ("Initialized", "ContainersReady", "Ready")]
    return cluster.registry.update(PODS, namespace, name, pod, subresource="status")[0].obj


def set_ready(cluster: Cluster, name: str, ready: bool, namespace: str = "default") -> None:
    pod = cluster.registry.get(PODS, namespace, name).copy()
    for cond in pod["status"]["conditions"]:
        if cond["type"] in ("Ready", "ContainersReady"):
            cond["status"] = "True" if ready else "False"
    cluster.registry.update(PODS, namespace, name, pod, subresource="status")


def get(cluster: Cluster, rt: ResourceType, name: str, namespace: str = "default"
        ) -> dict[str, Any] | None:
    stored = cluster.store.get(rt, namespace if rt.namespaced else "", name)
    return None if stored is None else stored.obj


def pod(cluster: Cluster, name: str, namespace: str = "default") -> dict[str, Any] | None:
    return get(cluster, PODS, name, namespace)


def node(cluster: Cluster, name: str) -> dict[str, Any]:
    found = get(cluster, NODES, name)
    assert found is not None
    return found


def taints(cluster: Cluster, name: str) -> list[tuple[str, str]]:
    return [(t["key"], t["effect"]) for t in node(cluster, name)["spec"].get("taints") or []]


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or []
                 if c["type"] == type_), None)


def events(cluster: Cluster, reason: str | None = None, name: str | None = None
           ) -> list[dict[str, Any]]:
    out = []
    for stored in cluster.store.items(EVENTS):
        ev = stored.obj
        if reason is not None and ev["reason"] != reason:
            continue
        if name is not None and ev["involvedObject"]["name"] != name:
            continue
        out.append(ev)
    return out


def terminating(cluster: Cluster, name: str, namespace: str = "default") -> bool:
    found = pod(cluster, name, namespace)
    return found is not None and bool(found["metadata"].get("deletionTimestamp"))


def force_delete(cluster: Cluster, rt_: ResourceType, name: str, namespace: str = "default"
                 ) -> None:
    cluster.registry.delete(rt_, namespace, name, DeleteOptions(grace_period_seconds=0))


def run_pods(cluster: Cluster, labels: dict[str, str], nodes: list[str], *,
             count: int | None = None, namespace: str = "default", ready: bool = True
             ) -> list[str]:
    """Play kubelet (and scheduler, for pods the cluster's scheduler left alone) for the
    pods with ``labels`` not yet running: bind them round robin to ``nodes`` and make them
    Running (Ready unless ``ready`` is False); at most ``count`` of them."""
    cluster.settle()
    done = []
    waiting = [s for s in cluster.store.items(PODS, namespace)
               if all(s.labels.get(k) == v for k, v in labels.items())
               and (s.obj.get("status") or {}).get("phase") != "Running"]
    for i, stored in enumerate(waiting[:count]):
        if not (stored.obj.get("spec") or {}).get("nodeName"):
            cluster.registry.bind(namespace, stored.name,
                                  {"target": {"kind": "Node", "name": nodes[i % len(nodes)]}})
        _ip[0] += 1
        obj = cluster.registry.get(PODS, namespace, stored.name).copy()
        now = cluster.clock.timestamp()
        obj["status"].update(phase="Running", podIP=f"10.244.1.{_ip[0] % 250}",
                             podIPs=[{"ip": f"10.244.1.{_ip[0] % 250}"}])
        obj["status"]["conditions"] = [
            c for c in obj["status"].get("conditions") or [] if c["type"] == "PodScheduled"] + [
            {"type": t, "status": "True" if ready else "False", "lastProbeTime": None,
             "lastTransitionTime": now} for t in ("Initialized", "ContainersReady", "Ready")]
        cluster.registry.update(PODS, namespace, stored.name, obj, subresource="status")
        done.append(stored.name)
    cluster.settle()
    return done


def deployment(cluster: Cluster, name: str, replicas: int, labels: dict[str, str] | None = None,
               namespace: str = "default") -> dict[str, Any]:
    labels = labels or {"app": name}
    stored = cluster.registry.create(DEPLOYMENTS, namespace, {
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                 "template": {"metadata": {"labels": dict(labels)},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    cluster.settle()
    return stored.obj
