"""A game-day run killed mid-fault leaves its journal; ``chaoszone recover`` reaches the
same kubeconfig context and undoes the cordon and the taint, idempotently.

The simulator runs in this test's process; the run is a child process that connects to it
through the ``game-day`` context, cordons and taints zone-a, and is killed with SIGKILL,
which no ``finally`` survives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from context_support import ZONE_A, admin_client, cordoned, simulated_contexts, taint_keys

from chaoszone.cli import main
from chaoszone.journal import read_records

RUN = textwrap.dedent("""
    import sys, time
    from chaoszone import Cluster, faults
    from chaoszone.targets.context import ContextTarget

    target = ContextTarget.connect("game-day", allowed=["game-day"], kubeconfig=sys.argv[1])
    cluster = Cluster(target, sys.argv[2])
    with cluster.fault(faults.cordon("zone-a")), \\
            cluster.fault(faults.taint("zone-a", "chaoszone.io/fault", "", "NoExecute")):
        print(cluster.journal.path, flush=True)
        time.sleep(600)
""")


def test_recover_uncordons_and_untaints_a_zone_after_the_run_was_killed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with simulated_contexts(tmp_path, "game-day") as (sim, kubeconfig), \
            admin_client(sim) as admin:
        with subprocess.Popen([sys.executable, "-c", RUN, str(kubeconfig), str(tmp_path / "run")],
                              stdout=subprocess.PIPE, text=True) as run:
            try:
                assert run.stdout is not None
                journal = run.stdout.readline().strip()
            finally:
                os.kill(run.pid, signal.SIGKILL)
        assert journal, "the run never got inside the fault block"
        assert read_records(journal)[0]["target"]["context"] == "game-day"
        assert cordoned(admin, ZONE_A) == [True, True]
        assert all("chaoszone.io/fault" in taint_keys(admin, n) for n in ZONE_A)

        code = main(["recover", "--journal", journal])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "4 change(s) undone" in out
        assert cordoned(admin, ZONE_A) == [False, False]
        assert not any("chaoszone.io/fault" in taint_keys(admin, n) for n in ZONE_A)

        code = main(["recover", "--journal", journal])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "0 change(s) undone" in out


def test_recover_explains_when_the_context_is_gone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    journal = tmp_path / "journal.jsonl"
    journal.write_text(
        '{"type": "run", "version": 1, "target": {"target": "context", "context": "gone", '
        f'"kubeconfig": "{tmp_path / "kubeconfig"}"}}, "pid": 1, "started": 0}}\n'
        '{"type": "undo", "id": 1, "fault": "cordon(\'zone-a\')", '
        '"action": {"op": "unschedulable", "node": "n", "value": false}}\n')
    (tmp_path / "kubeconfig").write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "
        "'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {}}]\n"
        "contexts: [{name: other, context: {cluster: c, user: u}}]\n")
    code = main(["recover", "--journal", str(journal)])
    _, err = capsys.readouterr()
    assert code == 1
    assert "has no context 'gone'; its contexts are: other" in err
