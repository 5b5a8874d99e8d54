"""The plugin's kind options where they do not apply, and the marker's ``images=``, through
real pytest runs (no kind cluster is made: each case stops before one would be)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOPOLOGY = ROOT / "kind-configs" / "three-zones-fast.yaml"


def run_pytest(tmp_path: Path, test: str, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest on one test file of ``test``'s text, with the chaoszone plugin."""
    (tmp_path / "test_it.py").write_text(textwrap.dedent(test))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "chaoszone.pytest_plugin", "--rootdir", str(tmp_path), str(tmp_path / "test_it.py"),
         f"--chaoszone-topology={TOPOLOGY}", f"--chaoszone-run-dir={tmp_path / 'runs'}", *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=120)


USES_CLUSTER = """
    def test_it(cluster):
        assert cluster.target.name == "sim"
"""


def test_reusing_a_cluster_on_the_simulator_is_a_usage_error(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, USES_CLUSTER, "--chaoszone-reuse")
    assert result.returncode == 4, result.stdout + result.stderr
    assert ("--chaoszone-reuse applies to --chaoszone-target=kind (a kind cluster outlives the "
            "session); the sim target has no cluster to take over") in result.stderr


def test_keeping_clusters_on_the_simulator_is_a_usage_error(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, USES_CLUSTER, "--chaoszone-keep")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "--chaoszone-keep applies to --chaoszone-target=kind" in result.stderr


def test_a_time_scale_on_kind_is_a_usage_error(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, USES_CLUSTER, "--chaoszone-target=kind",
                        "--chaoszone-time-scale=20")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "--chaoszone-time-scale applies to the simulator" in result.stderr


def test_the_markers_images_on_the_simulator_are_checked_and_need_no_loading(
        tmp_path: Path) -> None:
    result = run_pytest(tmp_path, """
        import pytest

        @pytest.mark.chaoszone(images=["example.com/app:1.0"])
        def test_listed(cluster):
            assert cluster.target.name == "sim"

        @pytest.mark.chaoszone(images="example.com/app:1.0")
        def test_a_bare_string(cluster):
            pass
    """)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 1 error" in result.stdout
    assert ("the chaoszone marker's images= is a list of image references, got "
            "'example.com/app:1.0'") in result.stdout


def test_a_cluster_that_could_not_be_started_is_not_tried_again_for_every_test(
        tmp_path: Path) -> None:
    import os

    (tmp_path / "test_it.py").write_text(textwrap.dedent("""
        def test_one(cluster):
            pass

        def test_two(cluster):
            pass
    """))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "chaoszone.pytest_plugin", "--rootdir", str(tmp_path), str(tmp_path / "test_it.py"),
         f"--chaoszone-topology={TOPOLOGY}", f"--chaoszone-run-dir={tmp_path / 'runs'}",
         "--chaoszone-target=kind"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PATH": str(Path(sys.executable).parent)})
    assert "2 errors" in result.stdout, result.stdout + result.stderr
    first, second = result.stdout.split("ERROR at setup of test_two")
    assert "needs the `kind` command" in first
    assert "earlier in this session" not in first
    assert (f"TargetError: the cluster of topology {str(TOPOLOGY)!r} could not be started "
            f"earlier in this session: the kind target needs the `kind` command") in second
