"""PodTopologySpread (fidelity pts-*): domain counts over all nodes, the global minimum
and minDomains, the inclusion policies, matchLabelKeys, the cluster's default
constraints, and scoring."""

from __future__ import annotations

from typing import Any

from schedkit import HOSTNAME, ZONE, World, node, pod, spread

from chaoszone.sim.scheduler.framework import CycleState
from chaoszone.sim.scheduler.plugins.podtopologyspread import FilterState, ScoreState
from chaoszone.sim.scheduler.types import PodInfo

WEB = {"app": "web"}
UNREACHABLE = [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
               {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]


def three_zones(c_taints: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    return [node("a1", zone="a"), node("b1", zone="b"), node("c1", zone="c", taints=c_taints or [])]


def filter_state(world: World, incoming: dict[str, Any]) -> FilterState:
    state = CycleState()
    world.plugin("PodTopologySpread").pre_filter(state, PodInfo(incoming))
    fs = state.data["PodTopologySpread"]
    assert isinstance(fs, FilterState)
    return fs


def test_a_bare_pod_goes_to_the_emptiest_zone() -> None:
    world = World(three_zones(), [pod("w1", labels=WEB, node="a1"),
                                  pod("w2", labels=WEB, node="b1")])
    incoming = pod("new", labels=WEB, topologySpreadConstraints=[spread(match=WEB)])
    assert world.codes("PodTopologySpread", incoming) == {
        "a1": "Unschedulable", "b1": "Unschedulable", "c1": "Success"}
    assert world.schedule(incoming).node == "c1"


def test_a_dead_zone_is_still_a_domain_so_the_replacement_stays_pending() -> None:
    world = World(three_zones(UNREACHABLE), [pod("w1", labels=WEB, node="a1"),
                                             pod("w2", labels=WEB, node="b1"),
                                             pod("old", labels=WEB, node="c1", terminating=True)])
    incoming = pod("new", labels=WEB, topologySpreadConstraints=[spread(match=WEB)])
    fs = filter_state(world, incoming)
    assert fs.counts == [{"a": 1, "b": 1, "c": 0}] and fs.min_match(0) == 0
    result = world.schedule(incoming)
    assert not result.node
    assert result.message() == (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node.kubernetes.io/unreachable: }, 2 node(s) didn't match pod topology spread "
        "constraints.")


def test_honoring_taints_drops_the_dead_zone_and_min_domains_brings_it_back() -> None:
    pods = [pod("w1", labels=WEB, node="a1"), pod("w2", labels=WEB, node="b1")]
    world = World(three_zones(UNREACHABLE), pods)
    honor = pod("new", labels=WEB, topologySpreadConstraints=[
        spread(match=WEB, nodeTaintsPolicy="Honor")])
    assert world.feasible(honor) == ["a1", "b1"]
    strict = pod("new", labels=WEB, topologySpreadConstraints=[
        spread(match=WEB, nodeTaintsPolicy="Honor", minDomains=3)])
    assert filter_state(world, strict).min_match(0) == 0
    assert world.feasible(strict) == []


def test_terminating_and_other_namespace_pods_do_not_count() -> None:
    world = World(three_zones(), [pod("t", labels=WEB, node="a1", terminating=True),
                                  pod("o", labels=WEB, node="a1", namespace="other")])
    fs = filter_state(world, pod("new", labels=WEB, topologySpreadConstraints=[spread(match=WEB)]))
    assert fs.counts == [{"a": 0, "b": 0, "c": 0}]


def test_a_node_without_the_key_is_unresolvable_and_not_a_domain() -> None:
    world = World([node("a1", zone="a"), node("bare")], [pod("w", labels=WEB, node="bare")])
    incoming = pod("new", labels=WEB, topologySpreadConstraints=[spread(match=WEB)])
    status = world.verdicts("PodTopologySpread", incoming)["bare"]
    assert status is not None and status.code.name == "UnschedulableAndUnresolvable"
    assert status.message() == ("node(s) didn't match pod topology spread constraints "
                                "(missing required label)")
    assert filter_state(world, incoming).counts == [{"a": 0}]


def test_node_affinity_is_honored_when_counting_domains() -> None:
    world = World(three_zones(), [pod("w", labels=WEB, node="c1")])
    incoming = pod("new", labels=WEB, nodeSelector={ZONE: "c"},
                   topologySpreadConstraints=[spread(match=WEB)])
    assert filter_state(world, incoming).counts == [{"c": 1}]


def test_an_empty_selector_counts_nothing_and_a_nil_one_does_not_self_match() -> None:
    world = World(three_zones(), [pod("w", labels=WEB, node="a1")])
    empty = pod("new", labels=WEB, topologySpreadConstraints=[
        {"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
         "labelSelector": {}}])
    nil = pod("new", labels=WEB, topologySpreadConstraints=[
        {"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule"}])
    assert filter_state(world, empty).counts == [{"a": 0, "b": 0, "c": 0}]
    assert filter_state(world, empty).self_match == [1]
    assert filter_state(world, nil).self_match == [0]


def test_match_label_keys_narrow_the_selector_to_the_pods_own_values() -> None:
    world = World(three_zones(), [pod("old", labels={"app": "web", "rev": "1"}, node="a1"),
                                  pod("new1", labels={"app": "web", "rev": "2"}, node="b1")])
    incoming = pod("n", labels={"app": "web", "rev": "2"},
                   topologySpreadConstraints=[spread(match=WEB, matchLabelKeys=["rev"])])
    assert filter_state(world, incoming).counts == [{"a": 0, "b": 1, "c": 0}]


def test_without_constraints_and_owners_the_plugin_is_skipped() -> None:
    world = World(three_zones())
    _, status = world.plugin("PodTopologySpread").pre_filter(CycleState(), PodInfo(pod("p")))
    assert status is not None and status.code.name == "Skip"


def test_the_system_defaults_use_the_replica_sets_selector_and_only_score() -> None:
    rs = {"kind": "ReplicaSet", "apiVersion": "apps/v1",
          "metadata": {"name": "web-abc", "namespace": "default"},
          "spec": {"selector": {"matchLabels": WEB}}}
    nodes = [node("a1", zone="a"), node("a2", zone="a"), node("b1", zone="b"), node("x")]
    world = World(nodes, [pod("w1", labels=WEB, node="a1"), pod("w2", labels=WEB, node="a2")],
                  objects=[rs])
    incoming = pod("new", labels=WEB)
    incoming["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc", "controller": True}]
    _, status = world.plugin("PodTopologySpread").pre_filter(CycleState(), PodInfo(incoming))
    assert status is not None and status.code.name == "Skip"  # never filters
    state = CycleState()
    plugin = world.plugin("PodTopologySpread")
    infos = [world.cache.get(n) for n in ("a1", "a2", "b1", "x")]
    assert plugin.pre_score(state, PodInfo(incoming), infos) is None
    ss = state.data["PodTopologySpread/score"]
    assert isinstance(ss, ScoreState)
    assert [(c.topology_key, c.max_skew) for c in ss.constraints] == [(HOSTNAME, 3), (ZONE, 5)]
    assert ss.counts[1] == {"a": 2, "b": 0, "": 0}  # a node without a zone is zone ""
    assert ss.ignored == set()
    # raw: hostname count*log(6) + 2, plus zone count*log(5) + 4 where the node has a zone;
    # a zone-less node skips the zone term, so it scores best of all
    assert world.scores("PodTopologySpread", incoming, normalized=False) == {
        "a1": 11, "a2": 11, "b1": 6, "x": 2}
    assert world.scores("PodTopologySpread", incoming) == {"a1": 18, "a2": 18, "b1": 63, "x": 100}


def test_soft_constraints_score_emptier_domains_higher() -> None:
    world = World(three_zones(), [pod("w1", labels=WEB, node="a1"),
                                  pod("w2", labels=WEB, node="a1")])
    incoming = pod("new", labels=WEB, topologySpreadConstraints=[
        spread(match=WEB, when="ScheduleAnyway")])
    # raw: count * log(3 + 2) + (maxSkew - 1); normalized: 100 * (max + min - s) / max
    assert world.scores("PodTopologySpread", incoming, normalized=False) == {
        "a1": 3, "b1": 0, "c1": 0}
    assert world.scores("PodTopologySpread", incoming) == {"a1": 0, "b1": 100, "c1": 100}


def test_list_defaulting_uses_the_configured_constraints() -> None:
    svc = {"kind": "Service", "apiVersion": "v1",
           "metadata": {"name": "web", "namespace": "default"}, "spec": {"selector": WEB}}
    world = World(three_zones(), [pod("w", labels=WEB, node="a1")], objects=[svc],
                  plugin_args={"PodTopologySpread": {"defaultingType": "List",
                                                     "defaultConstraints": [
                                                         {"maxSkew": 1, "topologyKey": ZONE,
                                                          "whenUnsatisfiable": "DoNotSchedule"}]}})
    assert world.codes("PodTopologySpread", pod("new", labels=WEB)) == {
        "a1": "Unschedulable", "b1": "Success", "c1": "Success"}
