"""The node lifecycle controller (chaoszone.sim.controllers.nodelifecycle), with the
taint-eviction controller beside it as in a real cluster. Fidelity cases ``nl-002`` to
``nl-005`` and ``nu-006`` (shared/fidelity/node_lifecycle_taint_eviction.yaml,
taints_tolerations.yaml), docs/k8s-semantics.md §7.1-7.3."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from clusterkit import (
    NODES,
    Kubelets,
    add_node,
    add_pod,
    condition,
    events,
    node,
    pod,
    taints,
    terminating,
)

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.controllers.nodelifecycle import (
    FULL_DISRUPTION,
    NORMAL,
    PARTIAL_DISRUPTION,
    compute_zone_state,
)
from chaoszone.sim.objects import zone_key

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
#: the kubelets fall silent at STOP, just after the controller saw their last renewal; the
#: controller looks every 5 s, so Ready=Unknown comes at the first look after the 50 s grace
#: period, and the NoExecute taint at the look after that
STOP = 10
UNKNOWN = STOP + 55
TAINTED = UNKNOWN + 5


def clock(cluster: Cluster) -> Callable[[float], None]:
    """``at(t)``: advance the cluster to ``t`` seconds after now."""
    start = cluster.clock.now()

    def at(t: float) -> None:
        cluster.runtime.advance(start + t - cluster.clock.now())

    return at


def zone(cluster: Cluster, name: str, size: int, kubelets: Kubelets) -> list[str]:
    names = [f"{name}{i}" for i in range(1, size + 1)]
    for n in names:
        add_node(cluster, n, name)
        kubelets.start(n)
    return names


def no_execute(cluster: Cluster, name: str) -> list[str]:
    return [k for k, e in taints(cluster, name) if e == "NoExecute"]


def test_a_silent_node_goes_unknown_after_the_grace_period_and_is_tainted_unreachable(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """nl-002: conditions Unknown (NetworkUnavailable untouched), NoSchedule taint at once,
    NoExecute one monitor period later, pods Ready=False with the phase unchanged."""
    add_node(cluster, "n1", "a")
    add_node(cluster, "n2", "a")
    net = cluster.registry.get(NODES, "", "n1").copy()
    net["status"]["conditions"].append({
        "type": "NetworkUnavailable", "status": "False", "reason": "RouteCreated",
        "message": "", "lastHeartbeatTime": net["status"]["conditions"][0]["lastHeartbeatTime"],
        "lastTransitionTime": net["status"]["conditions"][0]["lastTransitionTime"]})
    cluster.registry.update(NODES, None, "n1", net, subresource="status")
    kubelets.start("n1")
    kubelets.start("n2")
    add_pod(cluster, "web-1", "n1")
    at = clock(cluster)
    at(STOP)
    kubelets.stop("n1")
    at(UNKNOWN - 5)
    assert condition(node(cluster, "n1"), "Ready")["status"] == "True"
    at(UNKNOWN)
    n1 = node(cluster, "n1")
    ready = condition(n1, "Ready")
    assert ready["status"] == "Unknown"
    assert ready["reason"] == "NodeStatusUnknown"
    assert ready["message"] == "Kubelet stopped posting node status."
    for kind in ("MemoryPressure", "DiskPressure", "PIDPressure"):
        assert condition(n1, kind)["status"] == "Unknown"
        assert condition(n1, kind)["reason"] == "NodeStatusUnknown"
    assert condition(n1, "NetworkUnavailable")["status"] == "False"
    assert taints(cluster, "n1") == [(UNREACHABLE, "NoSchedule")]
    web = pod(cluster, "web-1")
    assert condition(web, "Ready")["status"] == "False"
    assert web["status"]["phase"] == "Running"
    assert [e["message"] for e in events(cluster, "NodeNotReady", "n1")] == [
        "Node n1 status is now: NodeNotReady"]
    [pod_event] = events(cluster, "NodeNotReady", "web-1")
    assert (pod_event["type"], pod_event["message"]) == ("Warning", "Node is not ready")
    at(TAINTED)
    assert sorted(taints(cluster, "n1")) == [(UNREACHABLE, "NoExecute"),
                                            (UNREACHABLE, "NoSchedule")]
    assert all(t.get("timeAdded") for t in n1["spec"].get("taints") or [])
    assert condition(node(cluster, "n2"), "Ready")["status"] == "True"
    assert taints(cluster, "n2") == []


def test_a_silent_pod_is_deleted_its_toleration_seconds_after_the_unreachable_taint(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """nl-002: deletion at grace + monitor period + queue delay + 300 s, then Terminating."""
    add_node(cluster, "n1", "a")
    add_node(cluster, "n2", "a")
    kubelets.start("n1")
    kubelets.start("n2")
    add_pod(cluster, "web-1", "n1")
    at = clock(cluster)
    at(STOP)
    kubelets.stop("n1")
    at(TAINTED + 299)
    assert not terminating(cluster, "web-1")
    at(TAINTED + 300)
    assert terminating(cluster, "web-1")
    target = condition(pod(cluster, "web-1"), "DisruptionTarget")
    assert target["reason"] == "DeletionByTaintManager"
    at(TAINTED + 900)
    assert terminating(cluster, "web-1")  # no kubelet confirms: Terminating for good


def test_ready_false_gives_not_ready_taints_and_unknown_swaps_them_at_once(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """nl-003: False -> not-ready taints; Unknown -> unreachable (the NoExecute swap bypasses
    the rate limiter); True -> no taints."""
    for name in ("n1", "n2", "n3"):
        add_node(cluster, name, "a")
        kubelets.start(name)
    at = clock(cluster)
    at(1)
    kubelets.post_ready("n1", "False")
    cluster.settle()
    assert taints(cluster, "n1") == [(NOT_READY, "NoSchedule")]
    at(5)
    assert sorted(taints(cluster, "n1")) == [(NOT_READY, "NoExecute"), (NOT_READY, "NoSchedule")]
    kubelets.stop("n1")
    at(5 + 55)
    assert condition(node(cluster, "n1"), "Ready")["status"] == "Unknown"
    assert sorted(taints(cluster, "n1")) == [(NOT_READY, "NoExecute"), (UNREACHABLE, "NoSchedule")]
    at(5 + 60)
    assert sorted(taints(cluster, "n1")) == [(UNREACHABLE, "NoExecute"),
                                            (UNREACHABLE, "NoSchedule")]
    kubelets.start("n1")
    kubelets.post_ready("n1", "True")
    cluster.settle()
    assert taints(cluster, "n1") == [(UNREACHABLE, "NoExecute")]
    at(5 + 65)
    assert taints(cluster, "n1") == []


@pytest.mark.parametrize(("ready", "not_ready", "state"), [
    (2, 1, NORMAL), (3, 2, NORMAL), (1, 3, PARTIAL_DISRUPTION), (3, 3, NORMAL),
    (0, 3, FULL_DISRUPTION), (0, 1, FULL_DISRUPTION)])
def test_zone_state_follows_the_unhealthy_zone_threshold(ready: int, not_ready: int,
                                                         state: str) -> None:
    """nl-004."""
    statuses: list[str | None] = ["True"] * ready + ["Unknown"] * not_ready
    assert compute_zone_state(statuses) == (not_ready, state)


def test_a_node_without_a_ready_condition_counts_as_not_ready() -> None:
    """nl-004: a missing condition is not ready."""
    assert compute_zone_state([None, "True", "True"]) == (1, NORMAL)
    assert compute_zone_state([None]) == (1, FULL_DISRUPTION)


def test_the_zone_key_is_region_and_zone_with_beta_labels_first() -> None:
    """nl-004: GetZoneKey."""
    assert zone_key({}) == ""
    assert zone_key({"topology.kubernetes.io/zone": "a"}) == ":\x00:a"
    assert zone_key({"topology.kubernetes.io/zone": "a",
                     "failure-domain.beta.kubernetes.io/zone": "b",
                     "topology.kubernetes.io/region": "r"}) == "r:\x00:b"


def test_a_normal_zone_taints_one_node_every_ten_seconds(cluster: Cluster,
                                                        kubelets: Kubelets) -> None:
    """nl-005: node-eviction-rate 0.1 per zone in a Normal zone."""
    names = zone(cluster, "a", 10, kubelets)
    at = clock(cluster)
    at(STOP)
    kubelets.stop(*names[:3])
    at(UNKNOWN)
    assert cluster.node_lifecycle.zone_states[zone_key(node(cluster, "a1")["metadata"]["labels"])
                                              ] == NORMAL
    at(TAINTED)
    assert sum(1 for n in names[:3] if no_execute(cluster, n)) == 1
    at(TAINTED + 9)
    assert sum(1 for n in names[:3] if no_execute(cluster, n)) == 1
    at(TAINTED + 10)
    assert sum(1 for n in names[:3] if no_execute(cluster, n)) == 2
    at(TAINTED + 20)
    assert sum(1 for n in names[:3] if no_execute(cluster, n)) == 3


def test_a_small_zone_in_partial_disruption_is_never_tainted_no_execute(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """nl-005: PartialDisruption and a zone of 50 nodes or fewer: rate 0, no evictions."""
    names = zone(cluster, "a", 4, kubelets)
    zone(cluster, "b", 2, kubelets)
    for i, n in enumerate(names):
        add_pod(cluster, f"web-{i}", n)
    at = clock(cluster)
    at(STOP)
    kubelets.stop(*names[:3])
    at(UNKNOWN)
    state = cluster.node_lifecycle.zone_states[zone_key({"topology.kubernetes.io/zone": "a"})]
    assert state == PARTIAL_DISRUPTION
    at(900)
    for n in names[:3]:
        assert taints(cluster, n) == [(UNREACHABLE, "NoSchedule")]
    assert not any(terminating(cluster, f"web-{i}") for i in range(4))


def test_a_large_zone_in_partial_disruption_is_tainted_at_the_secondary_rate(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """nl-005: PartialDisruption in a zone of more than 50 nodes: 0.01 nodes/s."""
    names = zone(cluster, "a", 60, kubelets)
    at = clock(cluster)
    at(STOP)
    kubelets.stop(*names[:40])
    at(UNKNOWN)
    assert cluster.node_lifecycle.zone_states[zone_key({"topology.kubernetes.io/zone": "a"})] \
        == PARTIAL_DISRUPTION

    def tainted() -> int:
        return sum(1 for n in names[:40] if no_execute(cluster, n))

    at(TAINTED)
    assert tainted() == 1
    at(TAINTED + 99)
    assert tainted() == 1
    at(TAINTED + 101)
    assert tainted() == 2


def test_a_fully_disrupted_zone_is_emptied_while_another_zone_is_healthy(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """nl-005: FullDisruption in one zone keeps the normal rate; its pods are evicted after
    their tolerationSeconds (the scenario of a lost zone)."""
    lost = zone(cluster, "a", 2, kubelets)
    zone(cluster, "b", 2, kubelets)
    toleration = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
                   "tolerationSeconds": 30}]
    add_pod(cluster, "web-a1", "a1", tolerations=toleration)
    add_pod(cluster, "web-a2", "a2", tolerations=toleration)
    add_pod(cluster, "web-b1", "b1", tolerations=toleration)
    at = clock(cluster)
    at(STOP)
    kubelets.stop(*lost)
    at(UNKNOWN)
    assert cluster.node_lifecycle.zone_states[zone_key({"topology.kubernetes.io/zone": "a"})] \
        == FULL_DISRUPTION
    at(TAINTED)
    tainted = [n for n in lost if no_execute(cluster, n)]
    assert len(tainted) == 1
    at(TAINTED + 10)
    assert all(no_execute(cluster, n) == [UNREACHABLE] for n in lost)
    first = "web-a1" if tainted == ["a1"] else "web-a2"
    second = "web-a2" if first == "web-a1" else "web-a1"
    at(TAINTED + 29)
    assert not terminating(cluster, first)
    at(TAINTED + 30)
    assert terminating(cluster, first)
    assert not terminating(cluster, second)
    at(TAINTED + 40)
    assert terminating(cluster, second)
    assert not terminating(cluster, "web-b1")


def test_with_every_zone_down_nothing_is_evicted_and_no_execute_taints_are_removed(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """nl-005: all zones in FullDisruption: master disruption mode."""
    a = zone(cluster, "a", 2, kubelets)
    b = zone(cluster, "b", 2, kubelets)
    add_pod(cluster, "web-a1", "a1")
    add_pod(cluster, "web-b1", "b1")
    at = clock(cluster)
    at(STOP)
    kubelets.stop(*a)
    at(TAINTED + 10)
    assert all(no_execute(cluster, n) for n in a)
    kubelets.stop(*b)
    at(TAINTED + 10 + 60)
    for n in a + b:
        assert condition(node(cluster, n), "Ready")["status"] == "Unknown"
        assert no_execute(cluster, n) == []
        assert taints(cluster, n) == [(UNREACHABLE, "NoSchedule")]
    assert set(cluster.node_lifecycle.zone_states.values()) == {FULL_DISRUPTION}
    at(1200)
    assert not terminating(cluster, "web-a1")
    assert not terminating(cluster, "web-b1")
    assert [e["message"] for e in events(cluster, "TaintManagerEviction", "web-a1")] == [
        "Cancelling deletion of Pod default/web-a1"]


def test_leaving_master_disruption_mode_resumes_tainting_at_the_zone_rates(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """handleDisruption: when a node is Ready again the fully disrupted zones get the normal
    rate back and their nodes are tainted."""
    a = zone(cluster, "a", 2, kubelets)
    b = zone(cluster, "b", 2, kubelets)
    at = clock(cluster)
    at(STOP)
    kubelets.stop(*a, *b)
    at(120)
    assert all(no_execute(cluster, n) == [] for n in a + b)
    kubelets.start("b1")
    kubelets.post_ready("b1")
    at(130)
    assert cluster.node_lifecycle.zone_states[zone_key({"topology.kubernetes.io/zone": "b"})] \
        == NORMAL
    at(200)
    assert all(no_execute(cluster, n) == [UNREACHABLE] for n in ("a1", "a2", "b2"))
    assert no_execute(cluster, "b1") == []


def test_a_recovered_node_loses_its_taints_and_pending_evictions_are_cancelled(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """nl-003 (True), te-012: Ready again -> both taints gone, scheduled deletion cancelled."""
    zone(cluster, "a", 3, kubelets)
    add_pod(cluster, "web-1", "a1")
    at = clock(cluster)
    at(STOP)
    kubelets.stop("a1")
    at(TAINTED)
    assert no_execute(cluster, "a1") == [UNREACHABLE]
    assert cluster.taint_eviction.scheduled("default", "web-1") is not None
    kubelets.start("a1")
    kubelets.post_ready("a1")
    at(TAINTED + 5)
    assert taints(cluster, "a1") == []
    assert cluster.taint_eviction.scheduled("default", "web-1") is None
    assert [e["message"] for e in events(cluster, "TaintManagerEviction", "web-1")] == [
        "Cancelling deletion of Pod default/web-1"]
    at(600)
    assert not terminating(cluster, "web-1")


def test_a_node_that_never_posted_status_goes_unknown_after_the_startup_grace_period(
        cluster: Cluster) -> None:
    """tryUpdateNodeHealth: NodeStatusNeverUpdated after node-startup-grace-period (60 s)."""
    add_node(cluster, "n1", "a", conditions=False)
    at = clock(cluster)
    at(55)
    assert condition(node(cluster, "n1"), "Ready") is None
    at(65)
    ready = condition(node(cluster, "n1"), "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status.")
    assert condition(node(cluster, "n1"), "NetworkUnavailable") is None


def test_a_pod_bound_to_a_not_ready_node_is_marked_not_ready_at_once(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """processPod: a pod newly assigned to a node the controller sees as not Ready."""
    zone(cluster, "a", 3, kubelets)
    at = clock(cluster)
    at(STOP)
    kubelets.stop("a1")
    at(UNKNOWN + 1)
    add_pod(cluster, "late", "a1")
    cluster.settle()
    assert condition(pod(cluster, "late"), "Ready")["status"] == "False"


def test_nodes_labelled_exclude_disruption_are_left_out_of_the_zone_state(
        cluster: Cluster, kubelets: Kubelets) -> None:
    """ComputeZoneState skips node.kubernetes.io/exclude-disruption nodes."""
    names = zone(cluster, "a", 1, kubelets)
    add_node(cluster, "x", "a", labels={"node.kubernetes.io/exclude-disruption": ""})
    kubelets.start("x")
    at = clock(cluster)
    at(STOP)
    kubelets.stop("x")
    at(TAINTED)
    key = zone_key({"topology.kubernetes.io/zone": "a"})
    assert cluster.node_lifecycle.zone_states[key] == NORMAL
    assert no_execute(cluster, "x") == [UNREACHABLE]
    assert names == ["a1"]


def test_cordon_is_mirrored_as_the_unschedulable_no_schedule_taint(cluster: Cluster) -> None:
    """nu-006: spec.unschedulable <-> node.kubernetes.io/unschedulable:NoSchedule."""
    add_node(cluster, "n1", "a")
    cluster.settle()
    obj = cluster.registry.get(NODES, "", "n1").copy()
    obj["spec"]["unschedulable"] = True
    cluster.registry.update(NODES, None, "n1", obj)
    cluster.settle()
    assert taints(cluster, "n1") == [("node.kubernetes.io/unschedulable", "NoSchedule")]
    [taint] = node(cluster, "n1")["spec"]["taints"]
    assert "value" not in taint
    obj = cluster.registry.get(NODES, "", "n1").copy()
    obj["spec"]["unschedulable"] = False
    cluster.registry.update(NODES, None, "n1", obj)
    cluster.settle()
    assert taints(cluster, "n1") == []


def test_pressure_conditions_become_no_schedule_taints(cluster: Cluster) -> None:
    """doNoScheduleTaintingPass: TaintNodesByCondition."""
    add_node(cluster, "n1", "a")
    obj = cluster.registry.get(NODES, "", "n1").copy()
    for cond in obj["status"]["conditions"]:
        if cond["type"] == "DiskPressure":
            cond["status"] = "True"
    cluster.registry.update(NODES, None, "n1", obj, subresource="status")
    cluster.settle()
    assert taints(cluster, "n1") == [("node.kubernetes.io/disk-pressure", "NoSchedule")]


def test_a_new_node_is_registered_with_an_event(cluster: Cluster) -> None:
    add_node(cluster, "n1", "a")
    cluster.runtime.advance(5)
    assert [e["message"] for e in events(cluster, "RegisteredNode", "n1")] == [
        "Node n1 event: Registered Node n1 in Controller"]


def test_the_default_timers_are_kube_controller_manager_1_32s(cluster: Cluster) -> None:
    """nl-001: node-monitor-period 5s, grace 50s (1.32), startup grace 60s, rates 0.1/0.01,
    large-cluster-size-threshold 50, unhealthy-zone-threshold 0.55."""
    timers = cluster.node_lifecycle.timers
    assert (timers.node_monitor_period, timers.node_monitor_grace_period,
            timers.node_startup_grace_period) == (5, 50, 60)
    assert (timers.node_eviction_rate, timers.secondary_node_eviction_rate) == (0.1, 0.01)
    assert (timers.large_cluster_size_threshold, timers.unhealthy_zone_threshold) == (50, 0.55)
