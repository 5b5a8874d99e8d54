"""The workload controllers together with the rest of the simulated cluster (scheduler,
kubelets, node lifecycle, taint eviction) while a whole zone is powered off: the
controller side of fidelity cases ``ctl-001``/``ctl-002`` and docs/k8s-semantics.md §10
and §12.6, on a manual clock."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import pytest
from podlife import DAEMONSETS, DEPLOYMENTS, JOBS, NODES, PODS, STATEFULSETS, get

from chaoszone.sim.cluster import Cluster

CONFIGS = Path(__file__).resolve().parents[3] / "kind-configs"


def template(app: str) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]}}


@pytest.fixture
def three_zones() -> Cluster:
    cluster = Cluster.from_kind_config(CONFIGS / "three-zones.yaml", manual_clock=True)
    cluster.runtime.advance(10)
    for kind, body in (
            (DEPLOYMENTS, {"metadata": {"name": "web"}, "spec": {
                "replicas": 6, "selector": {"matchLabels": {"app": "web"}},
                "template": template("web")}}),
            (STATEFULSETS, {"metadata": {"name": "db"}, "spec": {
                "replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                "podManagementPolicy": "Parallel", "template": template("db")}}),
            (DAEMONSETS, {"metadata": {"name": "agent"}, "spec": {
                "selector": {"matchLabels": {"app": "agent"}}, "template": template("agent")}}),
    ):
        cluster.registry.create(kind, "default", body)
    cluster.runtime.advance(30)
    return cluster


def zone_of(cluster: Cluster, node: str | None) -> str:
    if not node:
        return "-"
    stored = cluster.store.get(NODES, "", node)
    assert stored is not None
    return str(stored.labels.get("topology.kubernetes.io/zone", "-"))


def census(cluster: Cluster) -> collections.Counter[tuple[str, str, str]]:
    """(app, zone, Running/Pending/Terminating) -> count, for the default namespace."""
    out: collections.Counter[tuple[str, str, str]] = collections.Counter()
    for stored in cluster.store.items(PODS, "default"):
        pod = stored.obj
        state = ("Terminating" if pod["metadata"].get("deletionTimestamp")
                 else pod["status"].get("phase", ""))
        out[(pod["metadata"]["labels"]["app"], zone_of(cluster, pod["spec"].get("nodeName")),
             state)] += 1
    return out


def power_off_zone(cluster: Cluster, zone: str) -> None:
    for stored in list(cluster.store.items(NODES, None)):
        if stored.labels.get("topology.kubernetes.io/zone") == zone:
            cluster.set_power(stored.name, "off")


def test_everything_runs_once_the_cluster_has_settled(three_zones: Cluster) -> None:
    counts = census(three_zones)
    for zone in ("zone-a", "zone-b", "zone-c"):
        assert counts[("web", zone, "Running")] == 2
        assert counts[("agent", zone, "Running")] == 2
    assert sum(counts[("db", z, "Running")] for z in ("zone-a", "zone-b", "zone-c")) == 3
    assert get(three_zones, DEPLOYMENTS, "web")["status"]["availableReplicas"] == 6
    assert get(three_zones, STATEFULSETS, "db")["status"]["readyReplicas"] == 3
    assert get(three_zones, DAEMONSETS, "agent")["status"]["numberAvailable"] == 6


def test_a_lost_zone_is_replaced_for_deployments_held_for_statefulsets_and_kept_for_daemons(
        three_zones: Cluster) -> None:
    cluster = three_zones
    db_in_c = [s.name for s in cluster.store.items(PODS, "default")
               if s.labels.get("app") == "db"
               and zone_of(cluster, s.obj["spec"].get("nodeName")) == "zone-c"]
    power_off_zone(cluster, "zone-c")
    cluster.runtime.advance(60)          # grace period: NotReady, pods unready, no eviction
    counts = census(cluster)
    assert counts[("web", "zone-c", "Running")] == 2
    web = get(cluster, DEPLOYMENTS, "web")["status"]
    assert (web["readyReplicas"], web["unavailableReplicas"]) == (4, 2)
    cluster.runtime.advance(340)         # + 300 s of default tolerations: evicted
    counts = census(cluster)
    # ctl-001: the evicted pods hang Terminating on the dead nodes and are replaced at once
    assert counts[("web", "zone-c", "Terminating")] == 2
    assert counts[("web", "zone-a", "Running")] + counts[("web", "zone-b", "Running")] == 6
    assert get(cluster, DEPLOYMENTS, "web")["status"]["availableReplicas"] == 6
    # the StatefulSet pod keeps its ordinal while it is Terminating: no second one
    for name in db_in_c:
        assert get(cluster, PODS, name)["metadata"].get("deletionTimestamp")
    assert sum(n for (app, _, _), n in counts.items() if app == "db") == 3
    assert get(cluster, STATEFULSETS, "db")["status"]["readyReplicas"] == 2
    # DaemonSet pods tolerate unreachable:NoExecute forever; the NoSchedule half makes the
    # dead nodes undesired, so their pods count as misscheduled
    assert counts[("agent", "zone-c", "Running")] == 2
    agent = get(cluster, DAEMONSETS, "agent")["status"]
    assert (agent["desiredNumberScheduled"], agent["numberMisscheduled"]) == (4, 2)


def test_a_job_replaces_its_evicted_pods_and_counts_them_as_failed(
        three_zones: Cluster) -> None:
    cluster = three_zones
    cluster.registry.create(JOBS, "default", {"metadata": {"name": "long"}, "spec": {
        "parallelism": 6, "completions": 6, "backoffLimit": 10, "template": {
            "metadata": {"annotations": {"chaoszone.io/run-seconds": "100000"}},
            "spec": {"restartPolicy": "Never",
                     "containers": [{"name": "main", "image": "busybox"}]}}}})
    cluster.runtime.advance(20)
    in_c = sum(1 for s in cluster.store.items(PODS, "default")
               if s.labels.get("batch.kubernetes.io/job-name") == "long"
               and zone_of(cluster, s.obj["spec"].get("nodeName")) == "zone-c"
               and s.obj["status"].get("phase") == "Running")
    if in_c == 0:
        pytest.fail("the scheduler put no Job pod in zone-c; the scenario needs one")
    power_off_zone(cluster, "zone-c")
    cluster.runtime.advance(420)
    status = get(cluster, JOBS, "long")["status"]
    assert status["failed"] == in_c, "TerminatingOrFailed: an evicted pod is a failure"
    assert status["terminating"] == in_c
    assert status.get("active", 0) == 6 - status.get("succeeded", 0)
