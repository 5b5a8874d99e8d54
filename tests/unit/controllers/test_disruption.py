"""The disruption controller (chaoszone.sim.controllers.disruption) and the eviction
subresource reading its status. Fidelity cases ``pdb-*`` (shared/fidelity/eviction_pdb.yaml),
docs/k8s-semantics.md §8.1. The workload controllers make the pods; the test plays scheduler
and kubelet."""

from __future__ import annotations

from typing import Any

import pytest
from clusterkit import (
    PDBS,
    PODS,
    Kubelets,
    add_node,
    add_pod,
    condition,
    deployment,
    events,
    get,
    run_pods,
    set_ready,
)

from chaoszone.sim import errors
from chaoszone.sim.cluster import Cluster
from chaoszone.sim.controllers.disruption import scaled_value
from chaoszone.sim.eviction import evict
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.resources import by_path

DAEMONSETS = by_path("apps", "v1", "daemonsets")


def make_pdb(cluster: Cluster, name: str, selector: dict[str, Any] | None = None,
             **spec: Any) -> None:
    cluster.registry.create(PDBS, "default", {
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": "web"}} if selector is None else selector,
                 **spec}})
    cluster.settle()


def status(cluster: Cluster, name: str) -> dict[str, Any]:
    pdb = get(cluster, PDBS, name)
    assert pdb is not None
    return dict(pdb["status"])


def counts(st: dict[str, Any]) -> dict[str, int]:
    return {k: st[k] for k in ("expectedPods", "desiredHealthy", "currentHealthy",
                               "disruptionsAllowed")}


@pytest.fixture
def nodes(cluster: Cluster, kubelets: Kubelets) -> list[str]:
    for name in ("n1", "n2", "n3"):
        add_node(cluster, name, "a")
        kubelets.start(name)
    return ["n1", "n2", "n3"]


def test_max_unavailable_uses_the_scale_of_the_deployment(cluster: Cluster,
                                                          nodes: list[str]) -> None:
    """pdb-002: 2 Ready pods of a 3-replica Deployment, the third Pending."""
    deployment(cluster, "web", 3, {"app": "web"})
    run_pods(cluster, {"app": "web"}, nodes, count=2)
    make_pdb(cluster, "web-pdb", maxUnavailable=1)
    st = status(cluster, "web-pdb")
    assert counts(st) == {"expectedPods": 3, "desiredHealthy": 2, "currentHealthy": 2,
                          "disruptionsAllowed": 0}
    [cond] = st["conditions"]
    assert (cond["type"], cond["status"], cond["reason"]) == (
        "DisruptionAllowed", "False", "InsufficientPods")
    assert st["observedGeneration"] == 1


@pytest.mark.parametrize(("replicas", "spec", "desired", "allowed"), [
    (3, {"minAvailable": "50%"}, 2, 1),
    (3, {"maxUnavailable": "50%"}, 1, 2),
    (5, {"maxUnavailable": "10%"}, 4, 1),
])
def test_percentages_round_up_in_both_directions(cluster: Cluster, nodes: list[str],
                                                 replicas: int, spec: dict[str, Any],
                                                 desired: int, allowed: int) -> None:
    """pdb-003."""
    deployment(cluster, "web", replicas, {"app": "web"})
    run_pods(cluster, {"app": "web"}, nodes)
    make_pdb(cluster, "web-pdb", **spec)
    st = status(cluster, "web-pdb")
    assert counts(st) == {"expectedPods": replicas, "desiredHealthy": desired,
                          "currentHealthy": replicas, "disruptionsAllowed": allowed}
    [cond] = st["conditions"]
    assert (cond["status"], cond["reason"], cond["message"]) == ("True", "SufficientPods", "")


def test_unmanaged_pods_with_max_unavailable_expect_nothing_and_warn(
        cluster: Cluster, nodes: list[str]) -> None:
    """pdb-004."""
    add_pod(cluster, "bare-1", "n1", labels={"app": "bare"})
    add_pod(cluster, "bare-2", "n2", labels={"app": "bare"})
    make_pdb(cluster, "bare-pdb", {"matchLabels": {"app": "bare"}}, maxUnavailable=1)
    st = status(cluster, "bare-pdb")
    assert (st["expectedPods"], st["disruptionsAllowed"]) == (0, 0)
    [event] = events(cluster, "UnmanagedPods", "bare-pdb")
    assert event["type"] == "Warning"
    assert event["message"] == (
        "Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:"
        "map[string]string{app: bare,},MatchExpressions:[]LabelSelectorRequirement{},}) were "
        "found to be unmanaged. As a result, the status of the PDB cannot be calculated "
        "correctly, which may result in undefined behavior. To account for these pods please "
        'set ".spec.minAvailable" field of the PDB to an integer value.')


def test_health_is_the_ready_condition_minus_terminating_and_disrupted_pods(
        cluster: Cluster, nodes: list[str]) -> None:
    """pdb-005, and the disruptedPods entry expiring after 2 minutes (NotDeleted)."""
    for i in range(4):
        add_pod(cluster, f"web-{i}", nodes[i % 3], labels={"app": "web"}, ready=(i != 3))
    cluster.registry.delete(PODS, "default", "web-2", DeleteOptions())
    make_pdb(cluster, "web-pdb", minAvailable=2)
    pdb = cluster.registry.get(PDBS, "default", "web-pdb").copy()
    pdb["status"]["disruptedPods"] = {"web-1": cluster.clock.timestamp()}
    cluster.registry.update(PDBS, "default", "web-pdb", pdb, subresource="status")
    cluster.runtime.advance(30)
    st = status(cluster, "web-pdb")
    assert counts(st) == {"expectedPods": 4, "desiredHealthy": 2, "currentHealthy": 1,
                          "disruptionsAllowed": 0}
    assert list(st["disruptedPods"]) == ["web-1"]
    cluster.runtime.advance(91)
    st = status(cluster, "web-pdb")
    assert "disruptedPods" not in st
    assert (st["currentHealthy"], st["disruptionsAllowed"]) == (2, 0)
    [event] = events(cluster, "NotDeleted", "web-1")
    assert event["message"] == "Pod was expected by PDB default/default to be deleted but it wasn't"


def test_an_empty_selector_selects_every_pod_of_the_namespace(cluster: Cluster,
                                                             nodes: list[str]) -> None:
    """pdb-006."""
    add_pod(cluster, "a", "n1", labels={"app": "a"})
    add_pod(cluster, "b", "n2", labels={"app": "b"})
    add_pod(cluster, "c", "n3")
    make_pdb(cluster, "all", {}, minAvailable=1)
    st = status(cluster, "all")
    assert (st["expectedPods"], st["currentHealthy"], st["disruptionsAllowed"]) == (3, 3, 2)


def test_evictions_consume_the_budget_until_it_refuses(cluster: Cluster,
                                                      nodes: list[str]) -> None:
    """pdb + ev-002/ev-003: the eviction decrements, the controller recounts."""
    deployment(cluster, "web", 3, {"app": "web"})
    pods = run_pods(cluster, {"app": "web"}, nodes)
    make_pdb(cluster, "web-pdb", minAvailable=2)
    assert status(cluster, "web-pdb")["disruptionsAllowed"] == 1
    evict(cluster.registry, "default", pods[0], {})
    cluster.settle()
    st = status(cluster, "web-pdb")
    assert (st["currentHealthy"], st["disruptionsAllowed"]) == (2, 0)
    assert st["conditions"][0]["reason"] == "InsufficientPods"
    with pytest.raises(errors.ApiError) as info:
        evict(cluster.registry, "default", pods[1], {})
    assert info.value.code == 429


def test_a_not_ready_pod_consumes_the_budget(cluster: Cluster, nodes: list[str]) -> None:
    """A pod on an unreachable node is marked not ready: the budget shrinks at once."""
    deployment(cluster, "web", 3, {"app": "web"})
    pods = run_pods(cluster, {"app": "web"}, nodes)
    make_pdb(cluster, "web-pdb", maxUnavailable=1)
    assert status(cluster, "web-pdb")["disruptionsAllowed"] == 1
    set_ready(cluster, pods[0], False)
    cluster.settle()
    assert status(cluster, "web-pdb")["disruptionsAllowed"] == 0


def test_a_controller_without_scale_fails_the_sync_and_forbids_disruptions(
        cluster: Cluster, nodes: list[str]) -> None:
    """trySync error -> failSafe: disruptionsAllowed 0, DisruptionAllowed=False/SyncFailed."""
    assert DAEMONSETS is not None
    ds = cluster.registry.create(DAEMONSETS, "default", {
        "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"nodeSelector": {"kubernetes.io/hostname": "n1"},
                                       "containers": [{"name": "c", "image": "agent"}]}}}}).obj
    add_pod(cluster, "agent-x", "n1", labels={"app": "agent"}, owner={
        "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent",
        "uid": ds["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True})
    make_pdb(cluster, "agent-pdb", {"matchLabels": {"app": "agent"}}, maxUnavailable=1)
    st = status(cluster, "agent-pdb")
    assert st["disruptionsAllowed"] == 0
    cond = st["conditions"][0]
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False", "SyncFailed", "daemonsets.apps does not implement the scale subresource")
    [event] = events(cluster, "CalculateExpectedPodCountFailed", "agent-pdb")
    assert event["message"] == ("Failed to calculate the number of expected pods: "
                                "daemonsets.apps does not implement the scale subresource")


def test_a_spec_change_is_observed_in_the_status(cluster: Cluster, nodes: list[str]) -> None:
    add_pod(cluster, "web-0", "n1", labels={"app": "web"})
    make_pdb(cluster, "web-pdb", minAvailable=1)
    pdb = cluster.registry.get(PDBS, "default", "web-pdb").copy()
    pdb["spec"]["minAvailable"] = 0
    cluster.registry.update(PDBS, "default", "web-pdb", pdb)
    cluster.settle()
    st = status(cluster, "web-pdb")
    assert (st["observedGeneration"], st["desiredHealthy"], st["disruptionsAllowed"]) == (
        2, 0, 1)


def test_no_matching_pods_is_reported(cluster: Cluster) -> None:
    make_pdb(cluster, "empty", minAvailable=1)
    [event] = events(cluster, "NoPods", "empty")
    assert (event["type"], event["message"]) == ("Normal", "No matching pods found")
    assert status(cluster, "empty")["disruptionsAllowed"] == 0


def test_a_stale_disruption_target_condition_is_reset_after_two_minutes(
        cluster: Cluster, nodes: list[str]) -> None:
    add_pod(cluster, "web-0", "n1", labels={"app": "web"})
    obj = cluster.registry.get(PODS, "default", "web-0").copy()
    obj["status"]["conditions"].append({
        "type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI",
        "message": "Eviction API: evicting", "lastProbeTime": None,
        "lastTransitionTime": cluster.clock.timestamp()})
    cluster.registry.update(PODS, "default", "web-0", obj, subresource="status")
    cluster.runtime.advance(119)
    assert condition(get(cluster, PODS, "web-0") or {}, "DisruptionTarget")["status"] == "True"
    cluster.runtime.advance(2)
    assert condition(get(cluster, PODS, "web-0") or {}, "DisruptionTarget")["status"] == "False"


@pytest.mark.parametrize(("value", "total", "expected"), [
    (2, 10, 2), ("50%", 3, 2), ("10%", 5, 1), ("0%", 7, 0), ("100%", 4, 4)])
def test_scaled_values_round_up(value: Any, total: int, expected: int) -> None:
    assert scaled_value(value, total) == expected


def test_an_integer_min_available_expects_the_matching_pods(cluster: Cluster,
                                                           nodes: list[str]) -> None:
    """pdb-001: expectedPods = matching pods, desiredHealthy = minAvailable; bare pods are
    fine with an integer."""
    for i in range(3):
        add_pod(cluster, f"web-{i}", nodes[i], labels={"app": "web"}, ready=(i != 2))
    make_pdb(cluster, "web-pdb", minAvailable=1)
    assert counts(status(cluster, "web-pdb")) == {
        "expectedPods": 3, "desiredHealthy": 1, "currentHealthy": 2, "disruptionsAllowed": 1}
    assert events(cluster, "UnmanagedPods", "web-pdb") == []
