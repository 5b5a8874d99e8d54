"""pytest fixtures that put the stand-in ``kind`` and ``docker`` first on PATH.

    from tests.standins.standin_fixtures import standin_env   # from any test directory

    def test_something(standin_env):
        standin_env.run("kind", "create", "cluster", "--name", "x", "--config", "-",
                        "--kubeconfig", str(standin_env.directory / "kc"), input=config)

``standin_env`` (per test) and ``standin_env_module`` (per module, to share one cluster
among a module's tests) set, for the test and for every process it starts:

- ``PATH``: tests/standins/bin, then the venv's bin (so the scripts' ``python3`` is the
  venv's and imports chaoszone), then the PATH before;
- ``CHAOSZONE_STANDIN_STATE``: a directory of the test's own;
- ``KUBECONFIG``: a file in it, so a ``kind`` call without ``--kubeconfig`` never touches
  ``~/.kube/config``;
- ``CHAOSZONE_STANDIN_TIME_SCALE`` when asked for (``standin_env.time_scale = 20`` before
  creating a cluster), and no ``CHAOSZONE_STANDIN_DOCKER_DOWN`` or ``KIND_CLUSTER_NAME``.

On teardown every cluster still in the state is deleted with ``kind delete cluster``, and
the test errors if a simulator process it started is still alive after that.

This module imports nothing from the other stand-in modules, so it can be imported both
as ``standin_fixtures`` (beside it) and as ``tests.standins.standin_fixtures``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

__all__ = ["BIN", "StandinEnv", "simulator_running", "standin_env", "standin_env_module",
           "standin_environment"]

BIN = Path(__file__).resolve().parent / "bin"
#: how long one stand-in command may take before the test fails (a create starts a server)
COMMAND_TIMEOUT = 120.0


@dataclass
class StandinEnv:
    """The stand-ins' environment for one test (or module)."""

    directory: Path
    #: the variables set for the stand-ins (also in os.environ while the fixture lives)
    env: dict[str, str] = field(default_factory=dict)
    monkeypatch: pytest.MonkeyPatch | None = None

    @property
    def state(self) -> Path:
        return Path(self.env["CHAOSZONE_STANDIN_STATE"])

    @property
    def time_scale(self) -> float:
        return float(self.env.get("CHAOSZONE_STANDIN_TIME_SCALE", "1"))

    @time_scale.setter
    def time_scale(self, scale: float) -> None:
        """How many times faster than the wall clock clusters created from now on run."""
        self.env["CHAOSZONE_STANDIN_TIME_SCALE"] = str(scale)
        if self.monkeypatch is not None:
            self.monkeypatch.setenv("CHAOSZONE_STANDIN_TIME_SCALE", str(scale))

    def run(self, tool: str, *args: str, input: str | None = None,
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``kind`` or ``docker`` (the stand-in) and return what it did; never raises
        on a non-zero exit: the tests look at the code."""
        env = {**os.environ, **self.env, **(extra_env or {})}
        return subprocess.run([tool, *args], input=input, capture_output=True, text=True,
                              env=env, timeout=COMMAND_TIMEOUT, check=False)

    def simulators(self) -> dict[str, tuple[int, str]]:
        """Cluster name to (pid, start time) of each simulator the state records."""
        path = self.state / "state.json"
        if not path.exists():
            return {}
        clusters = json.loads(path.read_text()).get("clusters", {})
        return {name: (c["pid"], c["start_time"]) for name, c in clusters.items()}

    def simulator_state(self, cluster: str) -> dict[str, Any]:
        """``GET /sim/v1/state`` of the simulator behind ``cluster``: what it makes of the
        containers' power and iptables rules (each node's ``power`` and ``network``)."""
        record = json.loads((self.state / "state.json").read_text())["clusters"][cluster]
        kubeconfig = yaml.safe_load(Path(record["sim_kubeconfig"]).read_text())
        server = kubeconfig["clusters"][0]["cluster"]
        context = ssl.create_default_context(
            cadata=base64.b64decode(server["certificate-authority-data"]).decode())
        request = urllib.request.Request(server["server"] + "/sim/v1/state", headers={
            "Authorization": f"Bearer {kubeconfig['users'][0]['user']['token']}"})
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            state: dict[str, Any] = json.loads(response.read())
            return state

    def cleanup(self) -> None:
        """Delete every cluster the state holds; fail if a simulator survives that."""
        started = self.simulators()
        for name in started:
            self.run("kind", "delete", "cluster", "--name", name)
        stray = [f"{name} (pid {pid})" for name, (pid, start) in started.items()
                 if simulator_running(pid, start)]
        for pid, start in started.values():
            if simulator_running(pid, start):
                os.kill(pid, signal.SIGKILL)
        if stray:
            pytest.fail(f"kind delete cluster left simulator processes running: "
                        f"{', '.join(stray)}; they were killed", pytrace=False)


def simulator_running(pid: int, start_time: str) -> bool:
    """Whether pid is still the process that was started then (field 22 of its stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[0] != "Z" and fields[19] == start_time


@contextlib.contextmanager
def standin_environment(directory: Path, monkeypatch: pytest.MonkeyPatch
                        ) -> Iterator[StandinEnv]:
    """The stand-ins' environment in ``directory``, set through ``monkeypatch``."""
    env = {
        "PATH": os.pathsep.join([str(BIN), str(Path(sys.executable).parent),
                                 os.environ.get("PATH", "")]),
        "CHAOSZONE_STANDIN_STATE": str(directory / "state"),
        "KUBECONFIG": str(directory / "kubeconfig"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("CHAOSZONE_STANDIN_DOCKER_DOWN", "KIND_CLUSTER_NAME",
                 "CHAOSZONE_STANDIN_TIME_SCALE"):
        monkeypatch.delenv(name, raising=False)
    standin = StandinEnv(directory, env, monkeypatch)
    try:
        yield standin
    finally:
        standin.cleanup()


@pytest.fixture
def standin_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandinEnv]:
    with standin_environment(tmp_path, monkeypatch) as standin:
        yield standin


@pytest.fixture(scope="module")
def standin_env_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandinEnv]:
    with pytest.MonkeyPatch.context() as monkeypatch, standin_environment(
            tmp_path_factory.mktemp("standins"), monkeypatch) as standin:
        yield standin
