"""The pytest plugin's options, through a real pytest run of an experiment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
         str(ROOT / "experiments" / "test_cordon_zone.py"), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_the_kind_target_without_kind_on_path_is_a_test_error_saying_how_to_install_it(
        tmp_path: Path) -> None:
    import os

    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
         str(ROOT / "experiments" / "test_cordon_zone.py"), "--chaoszone-target=kind",
         f"--chaoszone-run-dir={tmp_path}"],
        capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 error" in result.stdout
    assert "TargetError" in result.stdout
    assert "go install sigs.k8s.io/kind@v0.31.0" in result.stdout


def test_an_unknown_target_is_a_usage_error() -> None:
    result = run_pytest("--chaoszone-target=cloud")
    assert result.returncode == 4
    assert "--chaoszone-target must be sim, kind or context:NAME; got 'cloud'" in result.stderr


def test_each_fault_s_and_expectation_s_timings_are_junit_properties_of_its_test(
        tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    report = tmp_path / "report.xml"
    result = run_pytest(f"--junitxml={report}", f"--chaoszone-run-dir={tmp_path / 'run'}")
    assert result.returncode == 0, result.stdout + result.stderr
    properties = {p.get("name"): p.get("value", "")
                  for p in ET.parse(report).getroot().iter("property")}
    faults = [name for name in properties if name.startswith("chaoszone.fault.")]
    assert faults == ["chaoszone.fault.1"]
    value = properties["chaoszone.fault.1"]
    assert value.startswith("cordon('zone-a') on three-zones-fast-worker, "
                            "three-zones-fast-worker2: bit=True after ")
    assert "reverted=True, restored after " in value and value.endswith(" cluster s")
    came_true = [v for name, v in properties.items() if name.startswith("chaoszone.expect.")]
    assert came_true and all(v.endswith(" cluster s") and " after " in v for v in came_true)
    assert any("every node cordoned after " in v for v in came_true)
