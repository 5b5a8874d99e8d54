"""The nightly workflow's split of the experiment suite into one job per topology.

``.github/workflows/nightly.yml`` runs ``pytest experiments/ -m SELECT`` once per matrix
entry, each with the marker expression of its topology. Together the jobs must run every
experiment, and each once: an experiment left out would silently never run on kind.
"""

from __future__ import annotations

import json
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


# One child process collects experiments/ once per expression: pytest.main may run again
# in the same process, and the experiment modules are imported only the first time.
COLLECT = """
import json, sys
import pytest

class Items:
    def pytest_collection_finish(self, session):
        self.ids = [item.nodeid for item in session.items]

found = {}
for expression in json.loads(sys.argv[1]):
    items = Items()
    marks = ["-m", expression] if expression else []
    code = pytest.main(["experiments", "--collect-only", "-q", "-p", "no:cacheprovider",
                        *marks], plugins=[items])
    if code not in (0, 5):  # 5: nothing selected
        sys.exit(f"collecting experiments/ with -m {expression!r} failed: exit {code}")
    found[expression] = items.ids
print("COLLECTED " + json.dumps(found))
"""


def collected(expressions: list[str]) -> dict[str, set[str]]:
    """The experiments each ``-m`` expression selects ("" for no -m at all)."""
    run = subprocess.run([sys.executable, "-c", COLLECT, json.dumps(expressions)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    (line,) = [x for x in run.stdout.splitlines() if x.startswith("COLLECTED ")]
    return {k: set(v) for k, v in json.loads(line.removeprefix("COLLECTED ")).items()}


def test_the_nightly_jobs_run_every_experiment_exactly_once() -> None:
    jobs = [e for e in matrix() if e["select"]]  # the real-kind tier has none: not experiments
    found = collected(["", *(e["select"] for e in jobs)])
    everything = found[""]
    assert everything
    seen: dict[str, str] = {}
    for entry in jobs:
        for test in found[entry["select"]]:
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
