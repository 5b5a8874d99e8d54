"""Fixtures shared by chaoszone's own tests: a running simulator, the real kubectl and
the official client pointed at it, and a namespace of each test's own."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings
from kubernetes import client as k8s

# Property tests: no per-example deadline (a loaded 2-core machine is slow, not wrong),
# and in CI a fixed seed so a landing never hinges on a new random example; run them
# locally to explore.
settings.register_profile("chaoszone", deadline=None, print_blob=True,
                          derandomize=os.environ.get("CI") == "true")
settings.load_profile("chaoszone")

if TYPE_CHECKING:
    from chaoszone.sim.server import Simulator


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    from chaoszone.sim.server import Simulator

    with Simulator() as simulator:
        yield simulator


@dataclass
class Kubectl:
    """The real kubectl, configured for one simulator, with its own cache and HOME."""

    sim: Simulator
    home: str

    def run(self, *args: str, check: bool = True, input: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": self.home,
               "KUBECONFIG": self.sim.kubeconfig}
        proc = subprocess.run(
            ["kubectl", "--cache-dir", self.sim.cache_dir, *args], capture_output=True,
            text=True, env=env, input=input, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def popen(self, *args: str) -> subprocess.Popen[str]:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": self.home,
               "KUBECONFIG": self.sim.kubeconfig}
        return subprocess.Popen(["kubectl", "--cache-dir", self.sim.cache_dir, *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)


@pytest.fixture(scope="session")
def kubectl(sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not on PATH: the kubectl suite needs the real binary "
                    "(CI and this machine image have it)")
    return Kubectl(sim, str(tmp_path_factory.mktemp("kubectl-home")))


@pytest.fixture(scope="session")
def api_client(sim: Simulator) -> Iterator[k8s.ApiClient]:
    with sim.api_client() as api:
        yield api


@pytest.fixture
def namespace(sim: Simulator, request: pytest.FixtureRequest) -> Iterator[str]:
    """A namespace of this test's own, deleted afterwards."""
    name = f"t-{uuid.uuid4().hex[:10]}"

    def create(cluster: Any) -> None:
        from chaoszone.sim.resources import by_path

        rt = by_path("", "v1", "namespaces")
        assert rt is not None
        cluster.registry.create(rt, None, {"metadata": {"name": name}})
        cluster.settle()

    sim.call(create)
    yield name

    def delete(cluster: Any) -> None:
        from chaoszone.sim.registry import DeleteOptions
        from chaoszone.sim.resources import by_path

        rt = by_path("", "v1", "namespaces")
        assert rt is not None
        with contextlib.suppress(Exception):
            cluster.registry.delete(rt, None, name, DeleteOptions())

    sim.call(delete)
