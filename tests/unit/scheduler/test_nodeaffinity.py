"""NodeAffinity (fidelity na-*): nodeSelector and required node affinity, the
``matchFields`` PreFilter narrowing, and preferred terms in the score."""

from __future__ import annotations

from typing import Any

from schedkit import ZONE, World, node, pod

from chaoszone.sim.scheduler.framework import CycleState
from chaoszone.sim.scheduler.types import PodInfo


def required(*terms: dict[str, Any]) -> dict[str, Any]:
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": list(terms)}}}


def test_node_selector_and_required_affinity_must_both_hold() -> None:
    world = World([node("a", zone="z1", labels={"disk": "ssd"}), node("b", zone="z2")])
    incoming = pod("p", nodeSelector={"disk": "ssd"},
                   affinity=required({"matchExpressions": [
                       {"key": ZONE, "operator": "In", "values": ["z1", "z2"]}]}))
    assert world.codes("NodeAffinity", incoming) == {
        "a": "Success", "b": "UnschedulableAndUnresolvable"}
    status = world.verdicts("NodeAffinity", incoming)["b"]
    assert status is not None
    assert status.message() == "node(s) didn't match Pod's node affinity/selector"


def test_not_in_admits_nodes_without_the_key() -> None:
    world = World([node("a", zone="z1"), node("bare")])
    incoming = pod("p", affinity=required({"matchExpressions": [
        {"key": ZONE, "operator": "NotIn", "values": ["z1"]}]}))
    assert world.codes("NodeAffinity", incoming) == {
        "a": "UnschedulableAndUnresolvable", "bare": "Success"}


def test_terms_are_ored_and_empty_terms_match_nothing() -> None:
    world = World([node("a", labels={"foo": "bar"})])
    ored = pod("p", affinity=required(
        {"matchExpressions": [{"key": "foo", "operator": "In", "values": ["nope"]}]},
        {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}))
    empty = pod("q", affinity=required({"matchExpressions": []}))
    assert world.codes("NodeAffinity", ored) == {"a": "Success"}
    assert world.codes("NodeAffinity", empty) == {"a": "UnschedulableAndUnresolvable"}


def test_gt_compares_numbers_not_strings() -> None:
    world = World([node("a", labels={"gen": "0206"}), node("b", labels={"gen": "0199"})])
    incoming = pod("p", affinity=required({"matchExpressions": [
        {"key": "gen", "operator": "Gt", "values": ["0204"]}]}))
    assert world.codes("NodeAffinity", incoming) == {
        "a": "Success", "b": "UnschedulableAndUnresolvable"}


def test_a_pod_without_placement_rules_skips_the_plugin() -> None:
    world = World([node("a")])
    plugin = world.plugin("NodeAffinity")
    _, status = plugin.pre_filter(CycleState(), PodInfo(pod("p")))
    assert status is not None and status.code.name == "Skip"


def test_match_fields_on_the_node_name_narrows_the_candidates() -> None:
    world = World([node("n1"), node("n2")])
    incoming = pod("ds", affinity=required({"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": ["n1"]}]}))
    result, status = world.plugin("NodeAffinity").pre_filter(CycleState(), PodInfo(incoming))
    assert status is None and result.node_names == frozenset({"n1"})
    assert world.feasible(incoming) == ["n1"]
    failure = world.schedule(pod("x", affinity=required({"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": ["gone"]}]})))
    assert not failure.node
    assert failure.message() == ("0/2 nodes are available: 2 node(s) didn't satisfy "
                                 "plugin(s) [NodeAffinity].")


def test_preferred_terms_add_their_weights_and_normalize_to_100() -> None:
    world = World([node("a", zone="z1"), node("b", zone="z2"), node("c")])
    incoming = pod("p", affinity={"nodeAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "preference": {"matchExpressions": [
                {"key": ZONE, "operator": "In", "values": ["z1"]}]}},
            {"weight": 5, "preference": {"matchExpressions": [
                {"key": ZONE, "operator": "Exists"}]}}]}})
    assert world.scores("NodeAffinity", incoming, normalized=False) == {"a": 15, "b": 5, "c": 0}
    assert world.scores("NodeAffinity", incoming) == {"a": 100, "b": 33, "c": 0}
