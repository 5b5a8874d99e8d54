"""The ReplicaSet controller (chaoszone.sim.controllers.replicaset), with the test playing
scheduler and kubelet. Fidelity case ``ctl-001`` (shared/fidelity/controllers.yaml)."""

from __future__ import annotations

import re
from typing import Any

from podlife import (
    EVENTS,
    PODS,
    REPLICASETS,
    SERVICEACCOUNTS,
    events,
    finish,
    get,
    names,
    pods,
    remove,
    run,
    run_all,
    template,
)

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.registry import DeleteOptions


def make_rs(cluster: Cluster, name: str = "web-abc", replicas: int = 3,
            labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    labels = labels or {"app": "web"}
    stored = cluster.registry.create(REPLICASETS, "default", {
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                 "template": template(labels), **spec}})
    cluster.settle()
    return stored.obj


def scale(cluster: Cluster, name: str, replicas: int) -> None:
    rs = cluster.registry.get(REPLICASETS, "default", name).copy()
    rs["spec"]["replicas"] = replicas
    cluster.registry.update(REPLICASETS, "default", name, rs)
    cluster.settle()


def status(cluster: Cluster, name: str = "web-abc") -> dict[str, Any]:
    return dict(get(cluster, REPLICASETS, name)["status"])


def test_a_replicaset_creates_its_pods_with_a_blocking_controller_reference(
        cluster: Cluster) -> None:
    rs = make_rs(cluster)
    created = pods(cluster)
    assert len(created) == 3
    for pod in created:
        assert re.fullmatch(r"web-abc-[bcdfghjklmnpqrstvwxz2456789]{5}", pod["metadata"]["name"])
        assert pod["metadata"]["labels"] == {"app": "web"}
        assert pod["metadata"]["ownerReferences"] == [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc",
            "uid": rs["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
    assert sorted(events(cluster, "web-abc")) == sorted(
        ("SuccessfulCreate", f"Created pod: {n}") for n in names(created))
    assert status(cluster) == {"replicas": 3, "fullyLabeledReplicas": 3, "observedGeneration": 1}


def test_status_counts_ready_pods_and_available_ones_after_min_ready_seconds(
        cluster: Cluster) -> None:
    make_rs(cluster, minReadySeconds=10)
    run_all(cluster)
    assert status(cluster)["readyReplicas"] == 3
    assert "availableReplicas" not in status(cluster)
    cluster.runtime.advance(9)
    assert "availableReplicas" not in status(cluster)
    cluster.runtime.advance(3)
    assert status(cluster)["availableReplicas"] == 3


def test_an_evicted_pod_is_replaced_at_once_while_it_is_still_terminating(cluster: Cluster) -> None:
    """ctl-001: active = not finished and no deletionTimestamp; the replacement does not
    wait for the old pod to disappear."""
    make_rs(cluster)
    run_all(cluster, node="c1")
    victim = pods(cluster)[0]
    cluster.registry.delete(PODS, "default", victim["metadata"]["name"], DeleteOptions())
    cluster.settle()
    terminating = [p for p in pods(cluster) if p["metadata"].get("deletionTimestamp")]
    assert names(terminating) == [victim["metadata"]["name"]]
    assert len(pods(cluster, active_only=True)) == 3
    assert status(cluster)["replicas"] == 3
    assert status(cluster)["readyReplicas"] == 2
    cluster.runtime.advance(30)
    # its kubelet is gone, so nobody removes it: it stays, and no extra pod appears
    assert len(pods(cluster)) == 4


def test_finished_pods_are_not_counted_and_are_replaced(cluster: Cluster) -> None:
    make_rs(cluster, replicas=2)
    run_all(cluster)
    finish(cluster, pods(cluster)[0], succeeded=False)
    cluster.settle()
    assert len(pods(cluster, active_only=True)) == 2
    assert status(cluster)["replicas"] == 2


def test_scale_down_deletes_unassigned_then_pending_then_not_ready_pods_first(
        cluster: Cluster) -> None:
    make_rs(cluster, replicas=4)
    p = pods(cluster)
    run(cluster, p[0], node="n1")                  # running, ready
    run(cluster, p[1], node="n2", ready=False)     # running, not ready
    cluster.registry.bind("default", p[2]["metadata"]["name"], {"target": {"name": "n3"}})
    cluster.settle()                               # p[2] assigned, pending; p[3] unassigned
    scale(cluster, "web-abc", 3)
    assert p[3]["metadata"]["name"] not in names(pods(cluster))
    scale(cluster, "web-abc", 2)
    assert p[2]["metadata"]["name"] not in names(pods(cluster, active_only=True))
    scale(cluster, "web-abc", 1)
    assert names(pods(cluster, active_only=True)) == [p[0]["metadata"]["name"]]
    assert ("SuccessfulDelete", f"Deleted pod: {p[3]['metadata']['name']}") in events(
        cluster, "web-abc")


def test_scale_down_prefers_a_lower_deletion_cost_then_doubled_up_nodes(cluster: Cluster) -> None:
    make_rs(cluster, replicas=3)
    p = pods(cluster)
    run(cluster, p[0], node="n1")
    run(cluster, p[1], node="n1")
    run(cluster, p[2], node="n2")
    cluster.settle()
    scale(cluster, "web-abc", 2)
    remaining = {x["spec"]["nodeName"] for x in pods(cluster, active_only=True)}
    assert remaining == {"n1", "n2"}, "one of the two pods sharing n1 goes first"
    keep = pods(cluster, active_only=True)
    cheap = next(x for x in keep if x["spec"]["nodeName"] == "n2")
    cheap = cluster.registry.get(PODS, "default", cheap["metadata"]["name"]).copy()
    cheap["metadata"].setdefault("annotations", {})[
        "controller.kubernetes.io/pod-deletion-cost"] = "-5"
    cluster.registry.update(PODS, "default", cheap["metadata"]["name"], cheap)
    cluster.settle()
    scale(cluster, "web-abc", 1)
    assert cheap["metadata"]["name"] not in names(pods(cluster, active_only=True))


def test_a_matching_orphan_is_adopted_and_a_relabelled_pod_is_released(cluster: Cluster) -> None:
    cluster.registry.create(PODS, "default", {
        "metadata": {"name": "stray", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]}})
    rs = make_rs(cluster, replicas=2)
    stray = get(cluster, PODS, "stray")
    assert stray["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
    assert len(pods(cluster)) == 2
    relabelled = cluster.registry.get(PODS, "default", "stray").copy()
    relabelled["metadata"]["labels"] = {"app": "other"}
    cluster.registry.update(PODS, "default", "stray", relabelled)
    cluster.settle()
    assert "ownerReferences" not in get(cluster, PODS, "stray")["metadata"]
    assert len(pods(cluster)) == 3


def test_a_refused_create_is_reported_as_replica_failure_and_an_event(cluster: Cluster) -> None:
    cluster.registry.create(REPLICASETS, "default", {
        "metadata": {"name": "web-abc"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": template({"app": "web"}, serviceAccountName="missing")}})
    cluster.settle()
    assert pods(cluster) == []
    failure = status(cluster)["conditions"][0]
    assert failure["type"] == "ReplicaFailure" and failure["reason"] == "FailedCreate"
    assert 'serviceaccount "missing" not found' in failure["message"]
    warnings = [e.obj for e in cluster.store.items(EVENTS, "default")
                if e.obj["reason"] == "FailedCreate"]
    assert warnings and warnings[0]["message"].startswith("Error creating: ")
    sa = cluster.registry.create(SERVICEACCOUNTS, "default",
                                 {"metadata": {"name": "missing"}})
    assert sa is not None
    cluster.runtime.advance(30)
    assert len(pods(cluster)) == 2, "the failed sync is retried with backoff"
    assert "conditions" not in status(cluster)


def test_observed_generation_follows_spec_changes(cluster: Cluster) -> None:
    make_rs(cluster)
    scale(cluster, "web-abc", 1)
    rs = get(cluster, REPLICASETS, "web-abc")
    assert rs["metadata"]["generation"] == 2
    assert rs["status"]["observedGeneration"] == 2


def test_deleting_the_replicaset_deletes_its_pods_through_the_garbage_collector(
        cluster: Cluster) -> None:
    make_rs(cluster)
    cluster.registry.delete(REPLICASETS, "default", "web-abc", DeleteOptions())
    cluster.settle()
    assert pods(cluster) == []


def test_a_terminating_pod_removed_by_its_kubelet_leaves_the_count_alone(cluster: Cluster) -> None:
    make_rs(cluster, replicas=1)
    run_all(cluster, node="n1")
    old = pods(cluster)[0]
    cluster.registry.delete(PODS, "default", old["metadata"]["name"], DeleteOptions())
    cluster.settle()
    remove(cluster, old)
    cluster.settle()
    assert len(pods(cluster)) == 1
    assert status(cluster)["replicas"] == 1
