"""TaintToleration and NodeUnschedulable (fidelity tt-*, nu-*): which taints block a
node, which reason names them, and how PreferNoSchedule taints score."""

from __future__ import annotations

from schedkit import World, node, pod

from chaoszone.sim.scheduler.types import find_untolerated_taint, tolerates

NOT_READY_NO_EXECUTE = {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                        "effect": "NoExecute", "tolerationSeconds": 300}


def test_an_untolerated_no_schedule_taint_is_unresolvable_and_named_with_its_value() -> None:
    world = World([node("a", taints=[{"key": "dedicated", "value": "user1",
                                      "effect": "NoSchedule"}])])
    status = world.verdicts("TaintToleration", pod("p"))["a"]
    assert status is not None
    assert status.code.name == "UnschedulableAndUnresolvable"
    assert status.message() == "node(s) had untolerated taint {dedicated: user1}"


def test_a_taint_without_value_prints_an_empty_value() -> None:
    world = World([node("a", taints=[{"key": "node.kubernetes.io/not-ready",
                                      "effect": "NoSchedule"},
                                     {"key": "node.kubernetes.io/not-ready",
                                      "effect": "NoExecute"}])])
    status = world.verdicts("TaintToleration", pod("p", tolerations=[NOT_READY_NO_EXECUTE]))["a"]
    assert status is not None
    assert status.message() == "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"


def test_no_execute_taints_block_scheduling_and_prefer_no_schedule_never_does() -> None:
    world = World([node("hard", taints=[{"key": "k", "effect": "NoExecute"}]),
                   node("soft", taints=[{"key": "k", "effect": "PreferNoSchedule"}])])
    assert world.codes("TaintToleration", pod("p")) == {
        "hard": "UnschedulableAndUnresolvable", "soft": "Success"}


def test_the_first_untolerated_taint_in_node_order_is_reported() -> None:
    taints = [{"key": "a", "effect": "NoSchedule"}, {"key": "b", "effect": "NoSchedule"}]
    assert find_untolerated_taint(taints, [{"key": "a", "operator": "Exists"}]) == taints[1]
    assert find_untolerated_taint(taints, []) == taints[0]


def test_toleration_matching_follows_tolerates_taint() -> None:
    taint = {"key": "foo", "value": "bar", "effect": "NoSchedule"}
    assert tolerates({"operator": "Exists"}, taint)
    assert tolerates({"key": "foo", "value": "bar"}, taint)  # no operator means Equal
    assert not tolerates({"key": "foo", "value": "baz"}, taint)
    assert not tolerates({"key": "foo", "operator": "Exists", "effect": "NoExecute"}, taint)
    assert not tolerates({"key": "foo", "operator": "Gt", "value": "1"}, taint)


def test_a_cordoned_node_takes_only_pods_tolerating_the_unschedulable_taint() -> None:
    world = World([node("n1", unschedulable=True)])
    plain = pod("p")
    no_execute = pod("q", tolerations=[{"key": "node.kubernetes.io/unschedulable",
                                        "operator": "Exists", "effect": "NoExecute"}])
    daemon = pod("d", tolerations=[{"key": "node.kubernetes.io/unschedulable",
                                    "operator": "Exists", "effect": "NoSchedule"}])
    assert world.codes("NodeUnschedulable", plain) == {"n1": "UnschedulableAndUnresolvable"}
    assert world.codes("NodeUnschedulable", no_execute) == {"n1": "UnschedulableAndUnresolvable"}
    assert world.codes("NodeUnschedulable", daemon) == {"n1": "Success"}
    status = world.verdicts("NodeUnschedulable", plain)["n1"]
    assert status is not None and status.message() == "node(s) were unschedulable"


def test_a_cordoned_and_tainted_node_reports_cordon_first_in_the_chain() -> None:
    world = World([node("n1", unschedulable=True,
                        taints=[{"key": "node.kubernetes.io/unschedulable",
                                 "effect": "NoSchedule"}])])
    result = world.schedule(pod("p"))
    assert result.diagnosis.statuses["n1"].plugin == "NodeUnschedulable"


def test_more_untolerated_prefer_no_schedule_taints_score_lower() -> None:
    world = World([node("a"),
                   node("b", taints=[{"key": "cpu", "value": "arm", "effect": "PreferNoSchedule"}]),
                   node("c", taints=[{"key": "cpu", "value": "arm", "effect": "PreferNoSchedule"},
                                     {"key": "disk", "value": "ssd",
                                      "effect": "PreferNoSchedule"}])])
    incoming = pod("p", tolerations=[{"key": "foo", "value": "bar",
                                      "effect": "PreferNoSchedule"}])
    assert world.scores("TaintToleration", incoming, normalized=False) == {"a": 0, "b": 1, "c": 2}
    assert world.scores("TaintToleration", incoming) == {"a": 100, "b": 50, "c": 0}


def test_only_prefer_no_schedule_or_effectless_tolerations_count_for_the_score() -> None:
    world = World([node("a", taints=[{"key": "k", "value": "v", "effect": "PreferNoSchedule"}])])
    no_schedule = pod("p", tolerations=[{"key": "k", "value": "v", "effect": "NoSchedule"}])
    any_effect = pod("q", tolerations=[{"key": "k", "value": "v"}])
    assert world.scores("TaintToleration", no_schedule, normalized=False) == {"a": 1}
    assert world.scores("TaintToleration", any_effect, normalized=False) == {"a": 0}
