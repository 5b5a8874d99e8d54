"""The nightly workflow's split of the experiment suite into one job per topology.

``.github/workflows/nightly.yml`` runs ``pytest experiments/ -m SELECT`` once per matrix
entry, each with the marker expression of its topology. Together the jobs must run every
experiment, and each once: an experiment left out would silently never run on kind.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "nightly.yml"


def matrix() -> list[dict[str, Any]]:
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    entries: list[dict[str, Any]] = jobs["kind"]["strategy"]["matrix"]["include"]
    return entries


def collected(*args: str) -> set[str]:
    run = subprocess.run([sys.executable, "-m", "pytest", "experiments", "--collect-only", "-q",
                          "-p", "no:cacheprovider", *args],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode in (0, 5), run.stdout + run.stderr  # 5: none selected
    return {line for line in run.stdout.splitlines() if "::" in line}


def test_the_nightly_jobs_run_every_experiment_exactly_once() -> None:
    everything = collected()
    assert everything
    seen: dict[str, str] = {}
    for entry in matrix():
        if not entry["select"]:
            continue  # the real-kind tier of tests/, not the experiments
        for test in collected("-m", entry["select"]):
            assert test not in seen, f"{test} runs in both {seen[test]} and {entry['suite']}"
            seen[test] = entry["suite"]
    assert set(seen) == everything, f"never run on kind: {sorted(everything - set(seen))}"


def test_each_topology_job_selects_its_own_topology() -> None:
    for entry in matrix():
        named = re.findall(r'chaoszone\(topology="([^"]+)"\)', entry["select"])
        if entry["select"].startswith("not "):
            assert entry["suite"] not in named  # the default job: all the others' complement
        elif entry["select"]:
            assert named == [entry["suite"]], entry
            assert (ROOT / "kind-configs" / f"{entry['suite']}.yaml").exists()
