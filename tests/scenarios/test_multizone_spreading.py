"""Upstream's multi-zone e2e (test/e2e/scheduling/ubernetes_lite.go): with no explicit
constraint, the scheduler's system-default topology spreading (zone maxSkew 5, hostname
maxSkew 3, ScheduleAnyway, selector from the pod's Service or controller) spreads a
workload's pods evenly over the schedulable zones."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kubernetes import client
from scenario_support import until

from chaoszone import Simulator

ZONE = "topology.kubernetes.io/zone"


def schedulable_zones(core: client.CoreV1Api) -> set[str]:
    """The zones of the nodes a pod without tolerations may land on (upstream's
    GetClusterZones: zone labels of the nodes; the control plane has none here)."""
    return {n.metadata.labels[ZONE] for n in core.list_node().items
            if ZONE in (n.metadata.labels or {})
            and not any(t.effect == "NoSchedule" for t in n.spec.taints or [])}


def per_zone(core: client.CoreV1Api, pods: list[Any], zones: set[str]) -> dict[str, int]:
    """Pods per zone, every schedulable zone counted (0 when empty), terminating pods
    ignored, as upstream's checkZoneSpreading."""
    zone_of = {n.metadata.name: (n.metadata.labels or {}).get(ZONE, "")
               for n in core.list_node().items}
    counts = Counter(zone_of[p.spec.node_name] for p in pods
                     if p.spec.node_name and not p.metadata.deletion_timestamp)
    return {zone: counts.get(zone, 0) for zone in sorted(zones | set(counts))}


def all_running(want: int) -> Any:
    def check(pods: list[Any]) -> bool:
        live = [p for p in pods if not p.metadata.deletion_timestamp]
        return len(live) == want and all(
            p.spec.node_name and p.status.phase == "Running" for p in live)
    return check


def test_e2e_001_pods_of_a_service_spread_evenly_across_zones(
        cluster: tuple[Simulator, client.ApiClient]) -> None:
    """e2e-001: 5 x zones bare pods selected by a Service, with no constraint of their
    own, all run and are spread over the zones with max - min <= 2.

    (Upstream first balances the nodes' resource use with filler pods; the simulator's
    nodes start empty and equal, so there is nothing to balance.)"""
    _, api = cluster
    core = client.CoreV1Api(api)
    zones = schedulable_zones(core)
    assert len(zones) >= 2, zones
    labels = {"service": "test-service"}
    core.create_namespaced_service("default", {
        "metadata": {"name": "test-service"},
        "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}})
    replicas = 5 * len(zones)
    for i in range(replicas):
        core.create_namespaced_pod("default", {
            "metadata": {"name": f"test-service-{i}", "labels": labels},
            "spec": {"containers": [{"name": "pause",
                                     "image": "registry.k8s.io/pause:3.10"}]}})
    pods = until(core.list_namespaced_pod, all_running(replicas), within=300,
                 what=f"{replicas} service pods running", namespace="default",
                 label_selector="service=test-service")
    counts = per_zone(core, pods, zones)
    assert set(counts) == zones, counts
    assert max(counts.values()) - min(counts.values()) <= 2, counts


def test_e2e_002_pods_of_a_replicaset_spread_evenly_across_zones(
        cluster: tuple[Simulator, client.ApiClient]) -> None:
    """e2e-002: the pods of a replicated controller (5 x zones replicas, selector
    name=<controller>) spread over the zones with max - min <= 2.

    Upstream uses a ReplicationController, which the simulator does not serve; a
    ReplicaSet gives its pods the same default spreading selector (the scheduler's
    DefaultSelector takes it from either), so the case is checked with a ReplicaSet."""
    _, api = cluster
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    zones = schedulable_zones(core)
    assert len(zones) >= 2, zones
    name = "ubelite-spread-rc"
    labels = {"name": name}
    replicas = 5 * len(zones)
    apps.create_namespaced_replica_set("default", {
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": [{
                     "name": name, "image": "registry.k8s.io/e2e-test-images/agnhost:2.53",
                     "args": ["serve-hostname"], "ports": [{"containerPort": 9376}]}]}}}})
    pods = until(core.list_namespaced_pod, all_running(replicas), within=300,
                 what=f"{replicas} replicas running", namespace="default",
                 label_selector=f"name={name}")
    counts = per_zone(core, pods, zones)
    assert set(counts) == zones, counts
    assert max(counts.values()) - min(counts.values()) <= 2, counts
