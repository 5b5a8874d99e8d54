"""Manifest builders: the objects experiments apply, checked before anything is sent."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from chaoszone import InvalidExperiment, workloads


def test_a_zone_spread_deployment_carries_the_constraint_and_its_tolerations() -> None:
    web = workloads.deployment("web", replicas=6, spread="zone", unreachable_toleration=10)
    spec = web["spec"]["template"]["spec"]
    [constraint] = spec["topologySpreadConstraints"]
    assert constraint == {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                          "whenUnsatisfiable": "ScheduleAnyway",
                          "labelSelector": {"matchLabels": {"app": "web"}}}
    assert {(t["key"], t["tolerationSeconds"]) for t in spec["tolerations"]} == {
        ("node.kubernetes.io/unreachable", 10), ("node.kubernetes.io/not-ready", 10)}
    assert web["spec"]["selector"] == {"matchLabels": {"app": "web"}}


def test_a_statefulset_claims_its_own_volume_per_replica() -> None:
    db = workloads.statefulset("db", replicas=3)
    [claim] = db["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert db["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["name"] == "data"
    assert db["spec"]["serviceName"] == "db"


def test_a_statefulset_pod_keeps_one_identity_in_its_volume_across_starts(
        tmp_path: Path) -> None:
    container = workloads.statefulset("db")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == workloads.DATA_IMAGE
    assert container["readinessProbe"]["exec"]["command"] == ["test", "-f", "/tmp/logged"]
    shell, flag, script = container["command"]
    assert (shell, flag) == ("sh", "-c")
    # the same script, run here with its two paths moved into a temporary directory
    script = script.replace("/data/", f"{tmp_path}/data/").replace("/tmp/logged",
                                                                  f"{tmp_path}/logged")
    (tmp_path / "data").mkdir()

    def first_line() -> str:
        with subprocess.Popen(["sh", "-c", script], stdout=subprocess.PIPE, text=True) as run:
            assert run.stdout is not None
            line = run.stdout.readline().strip()
            run.terminate()
            assert run.wait(timeout=10) == 0  # the TERM trap exits cleanly
        return line

    first = first_line()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", first)
    assert first_line() == first == (tmp_path / "data" / "identity").read_text().strip()


@pytest.mark.parametrize("build", [
    lambda: workloads.deployment("web", spread="region"),
    lambda: workloads.deployment("web", replicas=-1),
    lambda: workloads.deployment("web", spread="zone", when_unsatisfiable="Maybe"),
    lambda: workloads.pdb("web"),
    lambda: workloads.pdb("web", min_available=1, max_unavailable=1),
], ids=["spread", "replicas", "unsatisfiable", "pdb-neither", "pdb-both"])
def test_bad_builder_arguments_are_invalid_experiments(build: object) -> None:
    with pytest.raises(InvalidExperiment):
        build()  # type: ignore[operator]
