"""The framework: the FailedScheduling message, how many nodes are looked at, the
round-robin search and its fast path, scoring and selection, and preemption."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from schedkit import ZONE, World, node, pod, spread

from chaoszone.sim.scheduler.framework import (
    Code,
    CycleState,
    Diagnosis,
    Status,
    fit_error_message,
    num_feasible_nodes_to_find,
)
from chaoszone.sim.scheduler.types import PodInfo

CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
WEB = {"app": "web"}


def test_the_message_sorts_the_reason_counts_as_strings() -> None:
    diagnosis = Diagnosis(statuses={
        "cp": Status(Code.UnschedulableAndUnresolvable,
                     "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
        **{f"n{i}": Status(Code.Unschedulable,
                           "node(s) didn't match pod topology spread constraints")
           for i in range(6)},
        "x": Status(Code.Unschedulable, "Insufficient cpu", "Insufficient memory"),
    })
    assert fit_error_message(8, diagnosis) == (
        "0/8 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, "
        "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "6 node(s) didn't match pod topology spread constraints.")


def test_a_prefilter_rejection_is_said_once_and_nodes_not_evaluated_are_counted() -> None:
    assert fit_error_message(3, Diagnosis(pre_filter_msg="pod has unbound immediate "
                                                         "PersistentVolumeClaims")) == (
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.")
    absent = Diagnosis(statuses={"n1": Status(Code.Unschedulable, "Insufficient cpu")},
                       absent=Status(Code.UnschedulableAndUnresolvable, "gone"))
    assert fit_error_message(3, absent) == "0/3 nodes are available: 1 Insufficient cpu, 2 gone."


def test_the_whole_message_with_preemption_matches_upstream() -> None:
    nodes = [node("cp", taints=[CONTROL_PLANE])] + [
        node(f"{z}{i}", zone=z) for z in "abc" for i in range(2)]
    pods = [pod(f"w{i}", labels=WEB, node=n) for i, n in enumerate(["a0", "a1", "b0"])]
    world = World(nodes, pods)
    incoming = pod("new", labels=WEB, topologySpreadConstraints=[spread(match=WEB)])
    nodes[5]["spec"]["taints"] = [{"key": "outage", "effect": "NoSchedule"}]
    nodes[6]["spec"]["taints"] = [{"key": "outage", "effect": "NoSchedule"}]
    for n in nodes[5:]:
        world.cache.update_node(n)
    info = PodInfo(incoming)
    result, state = world.framework.schedule(info)
    world.framework.post_filter(state, info, result)
    assert result.message() == (
        "0/7 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 node(s) had untolerated taint "
        "{outage: }, 4 node(s) didn't match pod topology spread constraints. "
        "preemption: 0/7 nodes are available: 3 Preemption is not helpful for scheduling, "
        "4 No preemption victims found for incoming pod.")
    assert result.diagnosis is not None
    assert result.diagnosis.unschedulable_plugins == {"TaintToleration", "PodTopologySpread"}


def test_a_pod_that_never_preempts_says_so() -> None:
    world = World([node("n", cpu="1")], [pod("x", node="n", cpu="1")])
    incoming = pod("p", cpu="1", preemptionPolicy="Never")
    info = PodInfo(incoming)
    result, state = world.framework.schedule(info)
    world.framework.post_filter(state, info, result)
    assert result.message() == ("0/1 nodes are available: 1 Insufficient cpu. "
                                "preemption: not eligible due to preemptionPolicy=Never.")


def test_preemption_picks_the_node_where_evicting_lower_priority_pods_helps() -> None:
    world = World([node("n1", cpu="1"), node("n2", cpu="1")],
                  [pod("low", node="n1", cpu="1", priority=0),
                   pod("high", node="n2", cpu="1", priority=1000)])
    preempted: list[Any] = []
    plugin = world.plugin("DefaultPreemption")
    plugin.on_preempt = lambda p, n, victims: preempted.append((n, [v.name for v in victims]))
    info = PodInfo(pod("urgent", cpu="1", priority=100))
    result, state = world.framework.schedule(info)
    world.framework.post_filter(state, info, result)
    assert preempted == [("n1", ["low"])]
    assert result.nominated == "n1"
    assert result.message() == "0/2 nodes are available: 2 Insufficient cpu."
    # the cache is as it was: preemption only looked
    assert "low" in {p.name for p in world.cache.get("n1").pods.values()}  # type: ignore[union-attr]


def test_preemption_reports_why_removing_victims_is_not_enough() -> None:
    world = World([node("n1", cpu="1")], [pod("low", node="n1", cpu="500m", priority=0)])
    info = PodInfo(pod("urgent", cpu="2", priority=100))
    result, state = world.framework.schedule(info)
    world.framework.post_filter(state, info, result)
    assert result.message() == ("0/1 nodes are available: 1 Insufficient cpu. preemption: "
                                "0/1 nodes are available: 1 Insufficient cpu.")


def test_small_clusters_look_at_every_node_and_large_ones_at_an_adaptive_share() -> None:
    assert num_feasible_nodes_to_find(99) == 99
    assert num_feasible_nodes_to_find(100) == 100
    assert num_feasible_nodes_to_find(1000) == 420  # 50 - 1000/125 = 42%
    assert num_feasible_nodes_to_find(5000) == 500  # 10%
    assert num_feasible_nodes_to_find(10000) == 500  # at least 5%
    assert num_feasible_nodes_to_find(1500, 50) == 750


def test_the_search_stops_at_the_wanted_number_and_continues_round_robin() -> None:
    world = World([node(f"n{i:03}") for i in range(200)])
    first = world.schedule(pod("p1"))
    assert first.feasible == 100 and world.framework.next_start == 100
    world.schedule(pod("p2"))
    assert world.framework.next_start == 0


def test_nodes_are_listed_one_zone_at_a_time() -> None:
    world = World([node("a1", zone="a"), node("a2", zone="a"), node("b1", zone="b"),
                   node("c1", zone="c"), node("c2", zone="c")])
    assert [n.name for n in world.cache.node_infos()] == ["a1", "b1", "c1", "a2", "c2"]


def test_ties_are_broken_among_the_best_nodes_only() -> None:
    world = World([node("big", cpu="8", memory="16Gi"), node("s1"), node("s2")])
    assert {world.schedule(pod(f"p{i}", cpu="1")).node for i in range(5)} == {"big"}


@st.composite
def clusters(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    count = draw(st.integers(min_value=100, max_value=180))
    nodes = []
    for i in range(count):
        taints = [{"key": "t", "effect": "NoSchedule"}] if draw(st.booleans()) and i % 7 == 0 \
            else []
        nodes.append(node(f"n{i:03}", zone="abc"[draw(st.integers(0, 2))], taints=taints,
                          cpu=str(draw(st.integers(1, 3))), pods="3"))
    pods = [pod(f"w{i}", labels=WEB, node=f"n{draw(st.integers(0, count - 1)):03}", cpu="500m")
            for i in range(draw(st.integers(0, 150)))]
    return nodes, pods, draw(st.integers(0, count - 1))


@settings(max_examples=25, deadline=None)
@given(clusters())
def test_the_fast_search_finds_what_the_plain_search_finds(
        cluster: tuple[list[dict[str, Any]], list[dict[str, Any]], int]) -> None:
    nodes, pods, start = cluster
    world = World(nodes, pods)
    incoming = PodInfo(pod("new", labels=WEB, cpu="1",
                           topologySpreadConstraints=[spread(ZONE, max_skew=2, match=WEB)]))
    fw = world.framework
    all_nodes = world.cache.node_infos()
    state = CycleState()
    _, status, _ = fw.run_pre_filter(state, incoming)
    assert status is None
    active = [p for p in fw.fast_filters if p.name not in state.skip_filter]
    plain, plain_processed = fw._find_in_batches(state, incoming, all_nodes, active, 100, start)
    fast, _, fast_processed = fw._find_over_all(state, incoming, all_nodes, active, 100, start)
    assert [n.name for n in fast] == [n.name for n in plain]
    assert fast_processed == plain_processed
    # and the fast search agrees with every plugin's own verdicts in profile order
    statuses: dict[str, Status] = {}
    passing = {n.name for n in fw.filter_batch(state, incoming, all_nodes, statuses)}
    assert {n.name for n in fast} <= passing
    if len(passing) <= 100:
        assert {n.name for n in fast} == passing
