"""InterPodAffinity (fidelity ipa-*): required affinity and anti-affinity, the existing
pods' anti-affinity, terminating pods, namespaces, and preferred terms."""

from __future__ import annotations

from typing import Any

from schedkit import HOSTNAME, ZONE, World, node, pod


def term(labels: dict[str, str], key: str = ZONE, **extra: Any) -> dict[str, Any]:
    return {"labelSelector": {"matchLabels": labels}, "topologyKey": key, **extra}


def anti(*terms: dict[str, Any]) -> dict[str, Any]:
    return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": list(terms)}}


def affine(*terms: dict[str, Any]) -> dict[str, Any]:
    return {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": list(terms)}}


DB = {"app": "db"}


def test_zone_anti_affinity_blocks_zones_holding_a_match_even_if_terminating() -> None:
    world = World([node("a1", zone="a"), node("b1", zone="b"), node("c1", zone="c")],
                  [pod("db-0", labels=DB, node="a1"),
                   pod("db-2", labels=DB, node="c1", terminating=True)])
    incoming = pod("db-1", labels=DB, affinity=anti(term(DB)))
    assert world.codes("InterPodAffinity", incoming) == {
        "a1": "Unschedulable", "b1": "Success", "c1": "Unschedulable"}
    status = world.verdicts("InterPodAffinity", incoming)["a1"]
    assert status is not None
    assert status.message() == "node(s) didn't match pod anti-affinity rules"


def test_existing_pods_anti_affinity_is_symmetric() -> None:
    world = World([node("a1", zone="a"), node("b1", zone="b")],
                  [pod("loner", node="a1", affinity=anti(term({"app": "web"})))])
    status = world.verdicts("InterPodAffinity", pod("w", labels={"app": "web"}))
    assert status["b1"] is None
    assert status["a1"] is not None
    assert status["a1"].message() == "node(s) didn't satisfy existing pods anti-affinity rules"


def test_the_first_pod_of_a_self_affine_group_may_go_anywhere_with_the_key() -> None:
    world = World([node("a1", zone="a"), node("bare")])
    incoming = pod("first", labels=DB, affinity=affine(term(DB)))
    assert world.codes("InterPodAffinity", incoming) == {
        "a1": "Success", "bare": "UnschedulableAndUnresolvable"}


def test_affinity_needs_a_pod_matching_all_terms_in_the_domain() -> None:
    world = World([node("a1", zone="a"), node("b1", zone="b")],
                  [pod("cache", labels={"app": "cache"}, node="b1")])
    incoming = pod("web", labels={"app": "web"}, affinity=affine(term({"app": "cache"})))
    assert world.codes("InterPodAffinity", incoming) == {
        "a1": "UnschedulableAndUnresolvable", "b1": "Success"}
    status = world.verdicts("InterPodAffinity", incoming)["a1"]
    assert status is not None and status.message() == "node(s) didn't match pod affinity rules"


def test_terms_look_in_the_pods_namespace_unless_told_otherwise() -> None:
    world = World([node("a1", zone="a"), node("b1", zone="b")],
                  [pod("other", labels=DB, node="a1", namespace="team2")])
    own_ns = pod("db", labels=DB, namespace="team1", affinity=anti(term(DB)))
    all_ns = pod("db", labels=DB, namespace="team1",
                 affinity=anti(term(DB, namespaceSelector={})))
    assert world.codes("InterPodAffinity", own_ns) == {"a1": "Success", "b1": "Success"}
    assert world.codes("InterPodAffinity", all_ns) == {"a1": "Unschedulable", "b1": "Success"}


def test_hostname_anti_affinity_spreads_one_per_node() -> None:
    world = World([node("n1"), node("n2")], [pod("x1", labels=DB, node="n1")])
    incoming = pod("x2", labels=DB, affinity=anti(term(DB, HOSTNAME)))
    assert world.schedule(incoming).node == "n2"


def test_preferred_affinity_scores_the_domain_of_matching_pods() -> None:
    world = World([node("a1", zone="a"), node("b1", zone="b")],
                  [pod("cache", labels={"app": "cache"}, node="b1")])
    incoming = pod("web", affinity={"podAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "podAffinityTerm": term({"app": "cache"})}]}})
    assert world.scores("InterPodAffinity", incoming) == {"a1": 0, "b1": 100}
