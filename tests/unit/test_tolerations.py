"""Taints and tolerations at the API (chaoszone.sim.admission.tolerations): the
DefaultTolerationSeconds admission plugin and toleration/taint validation.

Cases ``dts-*`` and ``tol-*`` re-express ../shared/fidelity/node_lifecycle_taint_eviction.yaml
and taints_tolerations.yaml (scope: api); their ids are in the test names' docstrings."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaoszone.sim import admission
from chaoszone.sim.admission.tolerations import (
    validate_node_taints,
    validate_only_added_tolerations,
    validate_tolerations,
)
from chaoszone.sim.errors import Invalid
from chaoszone.sim.resources import ResourceType, by_kind


def rt(kind: str) -> ResourceType:
    found = by_kind("", "v1", kind)
    assert found is not None
    return found


POD, NODE = rt("Pod"), rt("Node")

NOT_READY = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300}
UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
               "effect": "NoExecute", "tolerationSeconds": 300}


def admitted(tolerations: list[dict[str, Any]] | None = None, *, not_ready_seconds: int = 300,
             unreachable_seconds: int = 300) -> list[Any]:
    pod: dict[str, Any] = {"spec": {}}
    if tolerations is not None:
        pod["spec"]["tolerations"] = copy.deepcopy(tolerations)
    admission.admit_pod(pod, not_ready_seconds=not_ready_seconds,
                        unreachable_seconds=unreachable_seconds)
    result: list[Any] = pod["spec"]["tolerations"]
    return result


# -- DefaultTolerationSeconds ---------------------------------------------------------------------

def test_pod_gets_both_300s_tolerations_when_it_has_none() -> None:
    """dts-001"""
    assert admitted() == [NOT_READY, UNREACHABLE]


def test_wildcard_toleration_suppresses_both_defaults_when_present() -> None:
    """dts-002"""
    assert admitted([{"operator": "Exists"}]) == [{"operator": "Exists"}]


def test_own_not_ready_toleration_is_kept_and_only_unreachable_added_when_present() -> None:
    """dts-003"""
    own: dict[str, Any] = {
        "key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
           "tolerationSeconds": 30}
    assert admitted([own]) == [own, UNREACHABLE]


def test_no_schedule_not_ready_toleration_does_not_count_when_deciding_the_default() -> None:
    """dts-004"""
    own: dict[str, Any] = {
        "key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoSchedule"}
    assert admitted([own]) == [own, NOT_READY, UNREACHABLE]


def test_only_key_and_effect_are_checked_when_an_equal_toleration_has_a_value() -> None:
    """dts-005: the value is ignored, so the default is suppressed without tolerating."""
    own: dict[str, Any] = {
        "key": "node.kubernetes.io/unreachable", "operator": "Equal", "value": "x",
           "effect": "NoExecute"}
    assert admitted([own]) == [own, NOT_READY]


def test_empty_effect_toleration_suppresses_the_default_when_the_key_matches() -> None:
    own: dict[str, Any] = {"key": "node.kubernetes.io/unreachable", "operator": "Exists"}
    assert admitted([own]) == [own, NOT_READY]


def test_toleration_seconds_follow_the_apiserver_flags_when_they_are_lowered() -> None:
    result = admitted(not_ready_seconds=30, unreachable_seconds=10)
    assert [t["tolerationSeconds"] for t in result] == [30, 10]


def test_defaults_are_added_again_when_an_update_drops_them() -> None:
    pod: dict[str, Any] = {"spec": {"tolerations": []}}
    admission.admit_pod(pod, operation="UPDATE", old={"spec": {}})
    assert pod["spec"]["tolerations"] == [NOT_READY, UNREACHABLE]


def test_daemonset_style_forever_tolerations_get_no_defaults_when_present() -> None:
    """dts-006 (the DaemonSet controller adds these; admission then adds nothing)."""
    forever = [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                "effect": "NoExecute"},
               {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                "effect": "NoExecute"}]
    assert admitted(forever) == forever


_toleration = st.fixed_dictionaries({}, optional={
    "key": st.sampled_from(["", "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
                            "other"]),
    "operator": st.sampled_from(["Exists", "Equal"]),
    "effect": st.sampled_from(["", "NoExecute", "NoSchedule"]),
})


@given(st.lists(_toleration, max_size=4))
def test_admission_only_appends_and_is_idempotent_when_run_twice(
        tols: list[dict[str, Any]]) -> None:
    once = admitted(tols)
    assert once[: len(tols)] == tols
    assert admitted(once) == once


# -- toleration validation ------------------------------------------------------------------------

def messages(causes: list[Any]) -> list[str]:
    return [f"{c.field}: {c.message}" for c in causes]


def test_seconds_without_no_execute_and_exists_with_value_are_rejected_when_created() -> None:
    """tol-011"""
    causes = validate_tolerations([
        {"key": "foo", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 60},
        {"key": "bar", "operator": "Exists", "value": "x"},
    ], "spec.tolerations")
    assert [c.field for c in causes] == ["spec.tolerations[0].effect",
                                         "spec.tolerations[1].operator"]
    assert causes[0].message == ('Invalid value: "NoSchedule": effect must be \'NoExecute\' '
                                 "when `tolerationSeconds` is set")
    assert causes[1].message.endswith(": value must be empty when `operator` is 'Exists'")
    assert causes[1].message.startswith('Invalid value: core.Toleration{Key:"bar", '
                                        'Operator:"Exists", Value:"x", Effect:""')


@pytest.mark.parametrize("operator", ["Gt", "Lt", "In"])
def test_comparison_operators_are_unsupported_when_used_in_1_32(operator: str) -> None:
    """tol-010 (Gt/Lt arrive as alpha in 1.35)"""
    (cause,) = validate_tolerations([{"key": "k", "operator": operator, "value": "1"}], "t")
    assert cause.reason == "FieldValueNotSupported"
    assert cause.message == f'Unsupported value: "{operator}": supported values: "Equal", "Exists"'


def test_empty_key_requires_exists_when_the_operator_is_equal() -> None:
    """tol-012"""
    (cause,) = validate_tolerations([{"operator": "Equal"}], "spec.tolerations")
    assert messages([cause]) == ['spec.tolerations[0].operator: Invalid value: "Equal": operator '
                                 'must be Exists when `key` is empty, which means "match all '
                                 'values and all keys"']


def test_unknown_effect_is_unsupported_when_given() -> None:
    (cause,) = validate_tolerations([{"key": "k", "operator": "Exists", "effect": "NoEvict"}], "t")
    assert cause.message == ('Unsupported value: "NoEvict": supported values: "NoSchedule", '
                             '"PreferNoSchedule", "NoExecute"')


def test_invalid_key_and_value_are_reported_when_malformed() -> None:
    causes = validate_tolerations([{"key": "a b", "value": "x y"}], "t")
    assert [c.field for c in causes] == ["t[0].key", "t[0].operator"]


def test_existing_toleration_may_change_only_its_seconds_when_a_pod_is_updated() -> None:
    """tol-013"""
    old = [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}]
    changed_seconds = [dict(old[0], tolerationSeconds=10)]
    assert validate_only_added_tolerations(changed_seconds, old, "spec.tolerations") == []
    added = [*old, {"key": "other", "operator": "Exists"}]
    assert validate_only_added_tolerations(added, old, "spec.tolerations") == []
    changed_effect = [dict(old[0], effect="NoSchedule", tolerationSeconds=None)]
    (cause,) = validate_only_added_tolerations(changed_effect, old, "spec.tolerations")
    assert messages([cause]) == ["spec.tolerations: Forbidden: existing toleration can not be "
                                 "modified except its tolerationSeconds"]


def test_pod_update_removing_a_toleration_is_refused_when_validated() -> None:
    old: dict[str, Any] = {"metadata": {"name": "p", "namespace": "d"},
           "spec": {"containers": [{"name": "c", "image": "x"}], "tolerations": [NOT_READY]}}
    for o in (old,):
        admission.default(POD, o)
    new = copy.deepcopy(old)
    new["spec"]["tolerations"] = []
    fields = [c.field for c in admission.validate_update(POD, new, old)]
    assert "spec.tolerations" in fields


# -- taints ---------------------------------------------------------------------------------------

def test_node_taint_needs_a_known_effect_when_created() -> None:
    causes = validate_node_taints([{"key": "k"}, {"key": "k2", "effect": "Sometimes"}],
                                  "spec.taints")
    assert messages(causes) == [
        "spec.taints[0].effect: Required value",
        'spec.taints[1].effect: Unsupported value: "Sometimes": supported values: '
        '"NoSchedule", "PreferNoSchedule", "NoExecute"']


def test_node_taints_must_be_unique_by_key_and_effect_when_created() -> None:
    taints = [{"key": "k", "value": "a", "effect": "NoSchedule"},
              {"key": "k", "value": "b", "effect": "NoSchedule"},
              {"key": "k", "effect": "NoExecute"}]
    (cause,) = validate_node_taints(taints, "spec.taints")
    assert cause.field == "spec.taints[1]" and cause.reason == "FieldValueDuplicate"
    assert cause.message.endswith("taints must be unique by key and effect pair")


def test_kubectl_taint_with_a_bad_effect_is_a_422_worded_like_upstream_when_sent() -> None:
    node: dict[str, Any] = {
        "metadata": {"name": "n1"}, "spec": {"taints": [{"key": "k", "effect": "Bad"}]}}
    admission.default(NODE, node)
    err = Invalid("Node", "n1", admission.validate_create(NODE, node))
    assert err.code == 422
    assert err.message == ('Node "n1" is invalid: spec.taints[0].effect: Unsupported value: '
                           '"Bad": supported values: "NoSchedule", "PreferNoSchedule", '
                           '"NoExecute"')
