"""``--chaoszone-target=context:NAME`` through real pytest runs of the experiment suite,
against a simulator that this test's process serves behind a kubeconfig context."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from context_support import ROOT, THREE_ZONES, admin_client, namespaces, simulated_contexts
from kubernetes import client

from chaoszone.journal import read_records
from chaoszone.sim.server import Simulator

CORDON = ROOT / "experiments" / "test_cordon_zone.py"
LOSE_A_ZONE = ROOT / "experiments" / "test_lose_a_zone.py"

UNMARKED_OUTAGE = textwrap.dedent("""
    from chaoszone import faults

    def test_powers_a_zone_off(cluster):
        with cluster.fault(faults.zone_outage("zone-a")):
            pass
""")

NEEDS_POWER = textwrap.dedent("""
    import pytest

    @pytest.mark.chaoszone(needs={"power"})
    def test_powers_a_zone_off(cluster):
        assert cluster.target.name == "sim"
""")


@pytest.fixture(scope="module")
def contexts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Path]]:
    with simulated_contexts(tmp_path_factory.mktemp("contexts"), "staging", "prod") as made:
        yield made


@pytest.fixture(scope="module")
def admin(contexts: tuple[Simulator, Path]) -> Iterator[client.ApiClient]:
    with admin_client(contexts[0]) as api:
        yield api


def run_pytest(*args: str | Path, run_dir: Path, env: Mapping[str, str] | None = None,
               rootdir: Path = ROOT) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("PYTEST_", "CHAOSZONE_"))}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "--rootdir",
         str(rootdir), f"--chaoszone-run-dir={run_dir}", *map(str, args)],
        capture_output=True, text=True, cwd=rootdir, env=environ, timeout=300)


def test_the_cordon_experiment_passes_on_an_allow_listed_context(
        contexts: tuple[Simulator, Path], admin: client.ApiClient, tmp_path: Path) -> None:
    before = namespaces(admin)
    result = run_pytest(CORDON, "--chaoszone-target=context:staging",
                        f"--chaoszone-kubeconfig={contexts[1]}",
                        "--chaoszone-allow-context=staging", run_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    [journal] = tmp_path.glob("journal-*.jsonl")
    records = read_records(journal)
    assert records[0]["target"]["context"] == "staging"
    undo = {r["id"] for r in records if r["type"] == "undo"}
    assert len(undo) == 2 and undo == {r["id"] for r in records if r["type"] == "done"}
    # the namespace fixture's namespace is gone (or going) again
    left = {n.metadata.name for n in client.CoreV1Api(admin).list_namespace().items
            if n.metadata.name not in before and n.status.phase != "Terminating"}
    assert left == set()


def test_a_context_allowed_by_the_environment_runs_the_experiment(
        contexts: tuple[Simulator, Path], tmp_path: Path) -> None:
    result = run_pytest(CORDON, "--chaoszone-target=context:prod", run_dir=tmp_path,
                        env={"KUBECONFIG": str(contexts[1]),
                             "CHAOSZONE_ALLOWED_CONTEXTS": "staging,prod"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_a_context_not_allow_listed_is_a_test_error_and_creates_no_namespace(
        contexts: tuple[Simulator, Path], admin: client.ApiClient, tmp_path: Path) -> None:
    before = namespaces(admin)
    result = run_pytest(CORDON, "--chaoszone-target=context:prod",
                        f"--chaoszone-kubeconfig={contexts[1]}",
                        "--chaoszone-allow-context=staging", run_dir=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 error" in result.stdout
    assert "UnsafeTarget" in result.stdout
    assert "--chaoszone-allow-context=prod" in result.stdout
    assert namespaces(admin) == before
    assert list(tmp_path.glob("journal-*.jsonl")) == []


def test_a_power_fault_without_the_needs_marker_fails_at_once_with_the_refusal(
        contexts: tuple[Simulator, Path], admin: client.ApiClient, tmp_path: Path) -> None:
    (tmp_path / "test_unmarked_outage.py").write_text(UNMARKED_OUTAGE)
    run_dir = tmp_path / "run"
    result = run_pytest("-p", "chaoszone.pytest_plugin", f"--chaoszone-topology={THREE_ZONES}",
                        "--chaoszone-target=context:staging",
                        f"--chaoszone-kubeconfig={contexts[1]}",
                        "--chaoszone-allow-context=staging", "--durations=1",
                        run_dir=run_dir, rootdir=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "InvalidExperiment: zone_outage('zone-a') needs power control" in result.stdout
    assert "can only cordon, drain and taint" in result.stdout
    [journal] = run_dir.glob("journal-*.jsonl")
    assert [r for r in read_records(journal) if r["type"] == "undo"] == []
    ready = [c.status for n in client.CoreV1Api(admin).list_node().items
             for c in n.status.conditions if c.type == "Ready"]
    assert ready == ["True"] * 7


def test_the_suite_s_outage_experiment_is_skipped_on_a_context_for_its_needs(
        contexts: tuple[Simulator, Path], tmp_path: Path) -> None:
    result = run_pytest(LOSE_A_ZONE, "--chaoszone-target=context:staging",
                        f"--chaoszone-kubeconfig={contexts[1]}",
                        "--chaoszone-allow-context=staging", run_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped" in result.stdout and "passed" not in result.stdout
    assert "needs power control of the machines" in result.stdout


def test_the_needs_marker_skips_on_a_context_and_runs_on_sim(
        contexts: tuple[Simulator, Path], tmp_path: Path) -> None:
    (tmp_path / "test_needs_power.py").write_text(NEEDS_POWER)
    common = ("-p", "chaoszone.pytest_plugin", f"--chaoszone-topology={THREE_ZONES}")
    on_context = run_pytest(*common, "--chaoszone-target=context:staging",
                            f"--chaoszone-kubeconfig={contexts[1]}",
                            "--chaoszone-allow-context=staging", run_dir=tmp_path / "run1",
                            rootdir=tmp_path)
    assert on_context.returncode == 0, on_context.stdout + on_context.stderr
    assert "1 skipped" in on_context.stdout
    assert "needs power control of the machines, which target context:staging does not " \
           "have" in on_context.stdout
    on_sim = run_pytest(*common, run_dir=tmp_path / "run2", rootdir=tmp_path)
    assert on_sim.returncode == 0, on_sim.stdout + on_sim.stderr
    assert "1 passed" in on_sim.stdout


def test_a_needs_marker_naming_an_unknown_switch_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "test_needs_teleport.py").write_text(
        NEEDS_POWER.replace('needs={"power"}', 'needs={"teleport"}'))
    result = run_pytest("-p", "chaoszone.pytest_plugin",
                        f"--chaoszone-topology={THREE_ZONES}", run_dir=tmp_path / "run",
                        rootdir=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "needs must be a set of 'network', 'power', e.g. needs={'power'}; got " \
           "{'teleport'}" in result.stdout


def test_a_max_node_share_outside_zero_to_one_is_a_usage_error(tmp_path: Path) -> None:
    result = run_pytest(CORDON, "--chaoszone-max-node-share=1.5", run_dir=tmp_path)
    assert result.returncode == 4
    assert "--chaoszone-max-node-share must be greater than 0 and at most 1" in result.stderr


def test_a_context_target_under_xdist_workers_is_refused(
        contexts: tuple[Simulator, Path], admin: client.ApiClient, tmp_path: Path) -> None:
    before = namespaces(admin)
    result = run_pytest(CORDON, "--chaoszone-target=context:staging",
                        f"--chaoszone-kubeconfig={contexts[1]}",
                        "--chaoszone-allow-context=staging", "-n", "2", run_dir=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "under pytest-xdist with 2 workers" in result.stdout
    assert namespaces(admin) == before
