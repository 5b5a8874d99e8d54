"""The taint-eviction controller (chaoszone.sim.controllers.tainteviction). Fidelity cases
``te-*`` and ``dts-005``/``dts-006`` (shared/fidelity/node_lifecycle_taint_eviction.yaml),
docs/k8s-semantics.md §7.4. Nodes keep a live stand-in kubelet so the node lifecycle
controller leaves them alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from clusterkit import (
    NODES,
    PODS,
    Kubelets,
    add_node,
    add_pod,
    condition,
    events,
    force_delete,
    pod,
    terminating,
)

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.controllers.tainteviction import min_toleration_seconds

TAINT1 = {"key": "testTaint1", "value": "test1", "effect": "NoExecute"}
TAINT2 = {"key": "testTaint2", "value": "test2", "effect": "NoExecute"}


def tolerate(taint: dict[str, Any], seconds: int | None = None) -> dict[str, Any]:
    out = {"key": taint["key"], "operator": "Equal", "value": taint["value"],
           "effect": taint["effect"]}
    if seconds is not None:
        out["tolerationSeconds"] = seconds
    return out


def live_node(cluster: Cluster, kubelets: Kubelets, name: str = "node1",
              taints: list[dict[str, Any]] | None = None) -> None:
    add_node(cluster, name, "a", taints=taints)
    kubelets.start(name)


def set_taints(cluster: Cluster, name: str, taints: list[dict[str, Any]]) -> None:
    obj = cluster.registry.get(NODES, "", name).copy()
    obj["spec"]["taints"] = taints
    if not taints:
        del obj["spec"]["taints"]
    cluster.registry.update(NODES, None, name, obj)
    cluster.settle()


def clock(cluster: Cluster) -> Callable[[float], None]:
    start = cluster.clock.now()

    def at(t: float) -> None:
        cluster.runtime.advance(start + t - cluster.clock.now())

    return at


def test_an_unscheduled_pod_is_ignored(cluster: Cluster, kubelets: Kubelets) -> None:
    """te-001."""
    live_node(cluster, kubelets, taints=[TAINT1])
    add_pod(cluster, "pod1")
    cluster.runtime.advance(30)
    assert pod(cluster, "pod1") is not None
    assert not terminating(cluster, "pod1")


def test_a_pod_on_an_untainted_node_is_kept(cluster: Cluster, kubelets: Kubelets) -> None:
    """te-002."""
    live_node(cluster, kubelets)
    add_pod(cluster, "pod1", "node1")
    cluster.runtime.advance(30)
    assert not terminating(cluster, "pod1")


def test_a_pod_not_tolerating_a_no_execute_taint_is_deleted_at_once(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """te-003: DisruptionTarget first, then DELETE, with a TaintManagerEviction event."""
    live_node(cluster, kubelets, taints=[TAINT1])
    add_pod(cluster, "pod1", "node1")
    cluster.settle()
    assert terminating(cluster, "pod1")
    target = condition(pod(cluster, "pod1"), "DisruptionTarget")
    assert {k: target[k] for k in ("status", "reason", "message")} == {
        "status": "True", "reason": "DeletionByTaintManager",
        "message": "Taint manager: deleting due to NoExecute taint"}
    [event] = events(cluster, "TaintManagerEviction", "pod1")
    assert (event["type"], event["message"]) == ("Normal", "Marking for deletion Pod default/pod1")
    assert event["source"]["component"] == "taint-eviction-controller"
    # the default grace period: the pod waits for a kubelet to confirm
    assert pod(cluster, "pod1")["metadata"]["deletionGracePeriodSeconds"] == 30


def test_a_toleration_for_another_taint_does_not_help(cluster: Cluster,
                                                      kubelets: Kubelets) -> None:
    """te-006."""
    live_node(cluster, kubelets, taints=[TAINT1])
    add_pod(cluster, "pod1", "node1", tolerations=[tolerate(TAINT2)])
    cluster.settle()
    assert terminating(cluster, "pod1")


def test_lengthening_toleration_seconds_does_not_postpone_a_scheduled_eviction(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """te-008."""
    live_node(cluster, kubelets, taints=[TAINT1])
    add_pod(cluster, "pod1", "node1", tolerations=[tolerate(TAINT1, 1)])
    at = clock(cluster)
    at(0.5)
    obj = cluster.registry.get(PODS, "default", "pod1").copy()
    obj["spec"]["tolerations"][0]["tolerationSeconds"] = 100
    cluster.registry.update(PODS, "default", "pod1", obj)
    at(0.9)
    assert not terminating(cluster, "pod1")
    at(1)
    assert terminating(cluster, "pod1")


def test_a_node_created_with_a_taint_evicts_a_pod_already_bound_to_it(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """te-009."""
    add_pod(cluster, "pod1", "node1")
    live_node(cluster, kubelets, taints=[TAINT1])
    cluster.settle()
    assert terminating(cluster, "pod1")


def test_a_node_created_with_a_taint_the_pod_tolerates_forever_keeps_it(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """te-010."""
    add_pod(cluster, "pod1", "node1", tolerations=[tolerate(TAINT1)])
    live_node(cluster, kubelets, taints=[TAINT1])
    cluster.runtime.advance(120)
    assert not terminating(cluster, "pod1")


def test_only_one_of_two_new_taints_tolerated_deletes_at_once(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """te-011."""
    live_node(cluster, kubelets)
    add_pod(cluster, "pod1", "node1", tolerations=[tolerate(TAINT1, 100)])
    set_taints(cluster, "node1", [TAINT1, TAINT2])
    assert terminating(cluster, "pod1")


def test_pods_with_different_toleration_times_are_evicted_each_at_its_time(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """te-015."""
    live_node(cluster, kubelets)
    add_pod(cluster, "pod1", "node1")
    add_pod(cluster, "pod2", "node1", tolerations=[tolerate(TAINT1, 1)])
    add_pod(cluster, "pod3", "node1", tolerations=[tolerate(TAINT1)])
    at = clock(cluster)
    set_taints(cluster, "node1", [TAINT1])
    assert terminating(cluster, "pod1")
    assert not terminating(cluster, "pod2")
    at(1)
    assert terminating(cluster, "pod2")
    at(200)
    assert not terminating(cluster, "pod3")


@pytest.mark.parametrize(("seconds", "expected"), [
    ([], 0), ([None], -1), ([1, 2], 1), ([1, None], 1), ([None, 1], 1), ([0, 5], 0),
    ([-3], 0)])
def test_minimum_toleration_time_over_the_tolerations_used(seconds: list[int | None],
                                                           expected: float) -> None:
    """te-017."""
    tolerations = [{} if s is None else {"tolerationSeconds": s} for s in seconds]
    assert min_toleration_seconds(tolerations) == expected


def test_a_finite_toleration_on_one_taint_overrides_a_forever_one_on_another(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """te-013/te-014."""
    live_node(cluster, kubelets)
    add_pod(cluster, "pod1", "node1", tolerations=[tolerate(TAINT1), tolerate(TAINT2, 10)])
    at = clock(cluster)
    set_taints(cluster, "node1", [TAINT1, TAINT2])
    at(9)
    assert not terminating(cluster, "pod1")
    at(10)
    assert terminating(cluster, "pod1")


@pytest.mark.parametrize(("first_seconds", "deleted"), [(5, True), (None, False)])
def test_the_first_toleration_in_spec_order_counts_for_a_taint(
        cluster: Cluster, kubelets: Kubelets, first_seconds: int | None, deleted: bool) -> None:
    """te-018: GetMatchingTolerations takes the first toleration tolerating each taint."""
    live_node(cluster, kubelets)
    first = tolerate(TAINT1, first_seconds)
    second = {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2}
    add_pod(cluster, "pod1", "node1", tolerations=[first, second])
    set_taints(cluster, "node1", [TAINT1])
    cluster.runtime.advance(60)
    assert terminating(cluster, "pod1") == deleted


def test_removing_the_taints_cancels_the_scheduled_eviction(cluster: Cluster,
                                                           kubelets: Kubelets) -> None:
    """te-012."""
    live_node(cluster, kubelets)
    add_pod(cluster, "pod1", "node1", tolerations=[tolerate(TAINT1, 10)])
    set_taints(cluster, "node1", [TAINT1])
    assert cluster.taint_eviction.scheduled("default", "pod1") is not None
    cluster.runtime.advance(5)
    set_taints(cluster, "node1", [])
    cluster.runtime.advance(60)
    assert not terminating(cluster, "pod1")
    assert [e["message"] for e in events(cluster, "TaintManagerEviction", "pod1")] == [
        "Cancelling deletion of Pod default/pod1"]


def test_no_schedule_and_prefer_no_schedule_taints_never_evict(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """te-019."""
    live_node(cluster, kubelets)
    add_pod(cluster, "pod1", "node1")
    set_taints(cluster, "node1", [{"key": "a", "effect": "NoSchedule"},
                                  {"key": "b", "effect": "PreferNoSchedule"}])
    obj = cluster.registry.get(NODES, "", "node1").copy()
    obj["spec"]["unschedulable"] = True
    cluster.registry.update(NODES, None, "node1", obj)
    cluster.runtime.advance(60)
    assert not terminating(cluster, "pod1")


def test_a_toleration_checked_only_by_key_and_effect_does_not_tolerate_the_real_taint(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """dts-005: ``{unreachable, Equal, "x"}`` suppressed the default toleration but does not
    tolerate ``unreachable`` (value ""): deleted at once."""
    live_node(cluster, kubelets)
    add_pod(cluster, "pod1", "node1", tolerations=[
        {"key": "node.kubernetes.io/unreachable", "operator": "Equal", "value": "x",
         "effect": "NoExecute"}])
    set_taints(cluster, "node1", [{"key": "node.kubernetes.io/unreachable",
                                   "effect": "NoExecute"}])
    assert terminating(cluster, "pod1")


def test_daemonset_style_forever_tolerations_keep_a_pod_on_an_unreachable_node(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """dts-006: not-ready and unreachable Exists/NoExecute without seconds: never evicted."""
    live_node(cluster, kubelets)
    add_node(cluster, "node2", "a")
    kubelets.start("node2")
    add_node(cluster, "node3", "a")
    kubelets.start("node3")
    forever = [{"key": k, "operator": "Exists", "effect": "NoExecute"}
               for k in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")]
    add_pod(cluster, "ds-pod", "node1", tolerations=forever)
    add_pod(cluster, "web", "node1")
    kubelets.stop("node1")
    cluster.runtime.advance(500)
    assert not terminating(cluster, "ds-pod")
    assert terminating(cluster, "web")


def test_a_deleted_pod_has_its_pending_eviction_cancelled(cluster: Cluster,
                                                         kubelets: Kubelets) -> None:
    live_node(cluster, kubelets, taints=[TAINT1])
    add_pod(cluster, "pod1", "node1", tolerations=[tolerate(TAINT1, 100)])
    cluster.settle()
    force_delete(cluster, PODS, "pod1")
    cluster.settle()
    assert cluster.taint_eviction.scheduled("default", "pod1") is None
    assert [e["message"] for e in events(cluster, "TaintManagerEviction", "pod1")] == [
        "Cancelling deletion of Pod default/pod1"]


def test_a_pod_tolerating_for_a_while_is_deleted_when_its_seconds_run_out(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """te-004: scheduled onto a tainted node with a finite toleration."""
    live_node(cluster, kubelets, taints=[TAINT1])
    at = clock(cluster)
    add_pod(cluster, "pod1", "node1", tolerations=[tolerate(TAINT1, 2)])
    at(1.9)
    assert not terminating(cluster, "pod1")
    at(2)
    assert terminating(cluster, "pod1")


def test_a_pod_tolerating_forever_stays(cluster: Cluster, kubelets: Kubelets) -> None:
    """te-005: scheduled onto a tainted node with an infinite toleration."""
    live_node(cluster, kubelets, taints=[TAINT1])
    add_pod(cluster, "pod1", "node1", tolerations=[tolerate(TAINT1)])
    cluster.runtime.advance(600)
    assert not terminating(cluster, "pod1")
    assert events(cluster, "TaintManagerEviction", "pod1") == []
