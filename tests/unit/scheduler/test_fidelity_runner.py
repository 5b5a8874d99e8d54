"""The fidelity runner (``python -m chaoszone.sim.fidelity``): it checks cases against the
real plugins and API code, says why a case fails, and lists what it does not check."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaoszone.sim import fidelity

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "fidelity"


def case(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "tt-900", "name": "a taint blocks", "scope": "plugin-filter",
                            "cluster": {"nodes": [{"name": "n1", "taints": [
                                {"key": "k", "effect": "NoSchedule"}]}]},
                            "pod": {"spec": {}},
                            "expect": {"filter": {"n1": "UnschedulableAndUnresolvable"},
                                       "message": "node(s) had untolerated taint {k: }"}}
    base.update(fields)
    return base


def test_a_case_that_holds_passes() -> None:
    assert fidelity.run_case(case()).line() == "PASS tt-900 a taint blocks"


def test_a_case_that_does_not_hold_fails_with_what_differs() -> None:
    outcome = fidelity.run_case(case(expect={"filter": {"n1": "Success"}}))
    assert outcome.kind == "FAIL"
    assert outcome.line() == ("FAIL tt-900 a taint blocks: filter: n1: want Success, got "
                              "UnschedulableAndUnresolvable (node(s) had untolerated taint {k: })")


def test_versioned_expectations_are_read_for_1_32() -> None:
    expect = {"filter": {"n1": "UnschedulableAndUnresolvable"},
              "message_by_version": {"1.30-1.32": "node(s) had untolerated taint {k: }",
                                     "1.33": "node(s) had untolerated taint(s)"}}
    assert fidelity.run_case(case(expect=expect)).kind == "PASS"


def test_api_cases_go_through_admission_and_validation() -> None:
    rejected = {"id": "tol-900", "name": "x", "scope": "api",
                "tolerations": [{"key": "k", "operator": "Exists", "value": "v"}],
                "expect": {"api": {"code": 422, "reasons": [
                    "value must be empty when `operator` is 'Exists'"]}}}
    defaulted = {"id": "dts-900", "name": "y", "scope": "api", "pod": {"spec": {}},
                 "expect": {"tolerations_after_create": [
                     {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                      "effect": "NoExecute", "tolerationSeconds": 300},
                     {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                      "effect": "NoExecute", "tolerationSeconds": 300}]}}
    assert fidelity.run_case(rejected).kind == "PASS"
    assert fidelity.run_case(defaulted).kind == "PASS"


def test_free_form_scopes_are_listed_as_skipped_with_the_reason() -> None:
    outcome = fidelity.run_case({"id": "te-900", "name": "z", "scope": "controller"})
    assert outcome.line().startswith("SKIP te-900 (scope controller: ")


def test_the_command_prints_a_line_per_case_and_the_totals(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump({"cases": [case(), case(id="tt-901", expect={
        "filter": {"n1": "Success"}})]}))
    assert fidelity.main([str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "PASS tt-900 a taint blocks"
    assert lines[1].startswith("FAIL tt-901 a taint blocks: filter:")
    assert lines[-1] == "1 passed, 1 failed"


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no fidelity cases at {SHARED}")
def test_every_shared_fidelity_case_passes() -> None:
    outcomes = fidelity.run_files(sorted(glob.glob(str(SHARED / "*.yaml"))))
    assert [o.line() for o in outcomes if o.kind == "FAIL"] == []
    assert sum(1 for o in outcomes if o.kind == "PASS") >= 100


def test_a_failed_scheduling_message_is_checked_whole_with_its_preemption_part() -> None:
    volumes = {"nodes": [{"name": "a"}, {"name": "b"}],
               "persistentVolumeClaims": [{"name": "data", "storageClassName": "fast"}],
               "storageClasses": [{"name": "fast", "provisioner": "x",
                                   "volumeBindingMode": "Immediate"}]}
    message = ("0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
               "preemption: 0/2 nodes are available: 2 Preemption is not helpful for "
               "scheduling.")
    whole = {"id": "ctl-900", "name": "w", "scope": "scheduler", "cluster": volumes,
             "pod": {"pvc": "data"}, "expect": {"message": message, "feasible": []}}
    shape = {"id": "ctl-901", "name": "s", "scope": "controller", "cluster": volumes,
             "pod": {"pvc": "data"},
             "expect": {"FailedScheduling_contains": "pod has unbound immediate"}}
    assert fidelity.run_case(whole).kind == "PASS"
    assert fidelity.run_case(shape).kind == "PASS"
    wrong = dict(whole, expect={"message": message.replace("2 Preemption", "1 Preemption")})
    assert fidelity.run_case(wrong).kind == "FAIL"
