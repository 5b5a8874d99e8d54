"""Pod garbage collection (chaoszone.sim.controllers.podgc). Fidelity case ``nl-007``
(shared/fidelity/node_lifecycle_taint_eviction.yaml), docs/k8s-semantics.md §7.4."""

from __future__ import annotations

from typing import Any

from clusterkit import NODES, PODS, Kubelets, add_node, add_pod, condition, pod, terminating

from chaoszone.kindconfig import Timers
from chaoszone.sim.cluster import Cluster
from chaoszone.sim.controllers.podgc import PodGCController
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.watch import Event


def evict(cluster: Cluster, name: str) -> None:
    cluster.registry.delete(PODS, "default", name, DeleteOptions())
    cluster.settle()


def pod_versions(cluster: Cluster, name: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def listen(event: Event) -> None:
        if event.resource is PODS and event.new.name == name:
            seen.append(event.new.obj)

    cluster.runtime.listen(listen)
    return seen


def dead_node_with_terminating_pod(cluster: Cluster, kubelets: Kubelets) -> None:
    """n1 unreachable and tainted, web-1 on it deleted by the taint manager (Terminating)."""
    for name in ("n1", "n2", "n3"):
        add_node(cluster, name, "a")
        kubelets.start(name)
    add_pod(cluster, "web-1", "n1", tolerations=[
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 0}])
    kubelets.stop("n1")
    cluster.runtime.advance(80)
    assert condition(cluster.registry.get(NODES, "", "n1").obj, "Ready")["status"] == "Unknown"
    assert terminating(cluster, "web-1")


def test_a_pod_stuck_terminating_on_a_dead_node_stays_without_intervention(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """nl-007, no action: Terminating for good."""
    dead_node_with_terminating_pod(cluster, kubelets)
    cluster.runtime.advance(600)
    assert terminating(cluster, "web-1")
    assert pod(cluster, "web-1")["status"]["phase"] == "Running"


def test_the_out_of_service_taint_has_terminating_pods_failed_and_force_deleted(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """nl-007, out-of-service taint: phase Failed, then deleted with grace 0."""
    dead_node_with_terminating_pod(cluster, kubelets)
    seen = pod_versions(cluster, "web-1")
    obj = cluster.registry.get(NODES, "", "n1").copy()
    obj["spec"]["taints"].append({"key": "node.kubernetes.io/out-of-service",
                                  "value": "nodeshutdown", "effect": "NoExecute"})
    cluster.registry.update(NODES, None, "n1", obj)
    cluster.runtime.advance(20)
    assert pod(cluster, "web-1") is None
    assert seen[-1]["status"]["phase"] == "Failed"


def test_pods_of_a_deleted_node_are_force_deleted_after_the_quarantine(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """nl-007, Node deleted: orphans go after the 40 s quarantine, marked Failed with
    DisruptionTarget/DeletionByPodGC."""
    dead_node_with_terminating_pod(cluster, kubelets)
    add_pod(cluster, "other", "n1", tolerations=[
        {"operator": "Exists"}])
    seen = pod_versions(cluster, "other")
    cluster.registry.delete(NODES, None, "n1", DeleteOptions())
    cluster.runtime.advance(39)
    assert pod(cluster, "other") is not None
    cluster.runtime.advance(21)
    assert pod(cluster, "other") is None
    assert pod(cluster, "web-1") is None
    final = seen[-1]
    assert final["status"]["phase"] == "Failed"
    target = condition(final, "DisruptionTarget")
    assert (target["reason"], target["message"]) == ("DeletionByPodGC",
                                                      "PodGC: node no longer exists")


def test_a_pod_bound_to_a_node_that_never_existed_is_an_orphan(cluster: Cluster) -> None:
    """ctl-009 (node does not exist): the pod is deleted as orphaned."""
    add_pod(cluster, "pinned", "ghost", phase="Pending")
    cluster.runtime.advance(30)
    assert pod(cluster, "pinned") is not None
    cluster.runtime.advance(40)
    assert pod(cluster, "pinned") is None


def test_terminated_pods_beyond_the_threshold_are_deleted_evicted_then_oldest_first(
        cluster: Cluster) -> None:
    """gcTerminated with terminated-pod-gc-threshold 2."""
    PodGCController(cluster.runtime, Timers(terminated_pod_gc_threshold=2))
    add_node(cluster, "n1", "a")
    for i, reason in enumerate(["", "", "Evicted", ""]):
        add_pod(cluster, f"done-{i}", "n1")
        obj = cluster.registry.get(PODS, "default", f"done-{i}").copy()
        obj["status"]["phase"] = "Failed" if reason else "Succeeded"
        if reason:
            obj["status"]["reason"] = reason
        cluster.registry.update(PODS, "default", f"done-{i}", obj, subresource="status")
        cluster.runtime.advance(1)
    add_pod(cluster, "running", "n1")
    cluster.runtime.advance(20)
    remaining = sorted(s.name for s in cluster.store.items(PODS, "default"))
    assert remaining == ["done-1", "done-3", "running"]


def test_an_unscheduled_terminating_pod_is_failed_and_deleted(cluster: Cluster) -> None:
    """gcUnscheduledTerminating (a finalizer kept it)."""
    cluster.registry.create(PODS, "default", {
        "metadata": {"name": "held", "finalizers": ["example.com/hold"]},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    cluster.registry.delete(PODS, "default", "held", DeleteOptions())
    cluster.runtime.advance(20)
    held = pod(cluster, "held")
    assert held is not None and held["status"]["phase"] == "Failed"
