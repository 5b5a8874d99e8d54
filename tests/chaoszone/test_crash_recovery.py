"""A run killed mid-fault leaves its journal; ``chaoszone recover`` undoes the fault and
deletes the namespace the run was working in.

The simulator runs in this test's process (so it outlives the run); the run is a child
process that attaches to it by kubeconfig, powers zone-a off inside ``cluster.fault`` and
is killed with SIGKILL, which no ``finally`` survives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from kubernetes import client

from chaoszone.cli import main
from chaoszone.journal import read_records
from chaoszone.targets.sim import SimTarget

KIND_CONFIGS = Path(__file__).resolve().parents[2] / "kind-configs"

RUN = textwrap.dedent("""
    import sys, time
    from chaoszone import Cluster, faults, workloads
    from chaoszone.targets.sim import SimTarget

    target = SimTarget.attach({"target": "sim", "kubeconfig": sys.argv[1],
                               "kind_config": sys.argv[2]})
    cluster = Cluster(target, sys.argv[3])
    namespace = cluster.create_namespace("crash")
    cluster.apply(workloads.deployment("web", replicas=3), namespace=namespace)
    with cluster.fault(faults.zone_outage("zone-a")):
        print(cluster.journal.path, flush=True)
        time.sleep(600)
""")


def deleting_or_gone(core: client.CoreV1Api, namespace: str) -> bool:
    try:
        return core.read_namespace(namespace).metadata.deletion_timestamp is not None
    except client.ApiException as exc:
        return exc.status == 404


def chaoszone(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``chaoszone ARGS`` in this process (the crash was the child's, not ours)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_recover_powers_a_zone_back_on_after_the_run_was_killed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from chaoszone import Simulator

    config = KIND_CONFIGS / "three-zones-fast.yaml"
    kubeconfig = tmp_path / "kubeconfig"
    with Simulator(config=config, time_scale=20, kubeconfig=kubeconfig):
        with subprocess.Popen([sys.executable, "-c", RUN, str(kubeconfig), str(config),
                               str(tmp_path / "run")], stdout=subprocess.PIPE, text=True) as run:
            try:
                assert run.stdout is not None
                journal = run.stdout.readline().strip()
            finally:
                os.kill(run.pid, signal.SIGKILL)
        assert journal, "the run never got inside the fault block"
        target = SimTarget.attach(read_records(journal)[0]["target"])
        zone_a = target.topology.zone("zone-a").node_names
        assert [target.power_state(n) for n in zone_a] == ["off", "off"]

        [namespace] = [r["namespace"] for r in read_records(journal)
                       if r["type"] == "created"]
        core = client.CoreV1Api(target.api_client())
        assert core.read_namespace(namespace).status.phase == "Active"

        code, out, err = chaoszone(capsys, "recover", "--journal", journal)
        assert code == 0, err
        assert [target.power_state(n) for n in zone_a] == ["on", "on"]
        assert "2 change(s) undone, 1 namespace(s) deleted" in out
        assert f"deleted namespace {namespace}" in out
        assert deleting_or_gone(core, namespace)

        code, out, err = chaoszone(capsys, "recover", "--journal", journal)
        assert code == 0, err
        assert "0 change(s) undone, 0 namespace(s) deleted" in out
        target.close()


def test_recover_explains_when_the_cluster_died_with_the_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    journal = tmp_path / "journal.jsonl"
    journal.write_text(
        '{"type": "run", "version": 1, "target": {"target": "sim", "in_process": true, '
        f'"kubeconfig": "{tmp_path}/gone", "kind_config": "{KIND_CONFIGS}/three-zones.yaml"'
        '}}\n{"type": "undo", "id": 1, "fault": "x", "action": {"op": "power", '
        '"node": "n", "state": "on"}}\n')
    code, _, err = chaoszone(capsys, "recover", "--journal", str(journal))
    assert code == 1
    assert "ran inside the crashed process" in err


def test_recover_explains_when_the_in_process_simulator_is_unreachable(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from chaoszone.sim.server import write_kubeconfig

    kubeconfig = tmp_path / "kubeconfig"
    write_kubeconfig(kubeconfig, "https://127.0.0.1:9", "token", b"")  # nothing listens
    journal = tmp_path / "journal.jsonl"
    journal.write_text(
        '{"type": "run", "version": 1, "target": {"target": "sim", "in_process": true, '
        f'"kubeconfig": "{kubeconfig}", "kind_config": "{KIND_CONFIGS}/three-zones.yaml"'
        '}}\n')
    code, _, err = chaoszone(capsys, "recover", "--journal", str(journal))
    assert code == 1
    assert "unreachable" in err and "ran inside the crashed process" in err


def test_a_run_stopped_with_sigterm_reverts_its_fault_itself(tmp_path: Path) -> None:
    from chaoszone import Simulator

    config = KIND_CONFIGS / "three-zones-fast.yaml"
    kubeconfig = tmp_path / "kubeconfig"
    with Simulator(config=config, time_scale=20, kubeconfig=kubeconfig):
        with subprocess.Popen([sys.executable, "-c", RUN, str(kubeconfig), str(config),
                               str(tmp_path / "run")], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) as run:
            assert run.stdout is not None
            journal = run.stdout.readline().strip()
            run.send_signal(signal.SIGTERM)
            _, err = run.communicate(timeout=60)
        assert journal, err
        assert "KeyboardInterrupt" in err  # the fault block saw the signal and unwound
        target = SimTarget.attach(read_records(journal)[0]["target"])
        zone_a = target.topology.zone("zone-a").node_names
        assert [target.power_state(n) for n in zone_a] == ["on", "on"]
        records = read_records(journal)
        undo_ids = [r["id"] for r in records if r["type"] == "undo"]
        assert len(undo_ids) == 2
        assert [r["id"] for r in records if r["type"] == "done"] == undo_ids[::-1]
        target.close()
