"""Fixtures of the kubectl suite; the helpers themselves are in kubectl_support.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from kubectl_support import VERSIONS, Objects, VersionedKubectl, versioned_binary

if TYPE_CHECKING:
    from chaoszone.sim.server import Simulator


@pytest.fixture
def objects(sim: Simulator, namespace: str) -> Iterator[Objects]:
    made = Objects(sim, namespace)
    yield made
    made.cleanup()


@pytest.fixture(params=VERSIONS)
def versioned_kubectl(request: pytest.FixtureRequest, sim: Simulator,
                      tmp_path: Path) -> VersionedKubectl:
    binary = versioned_binary(request.param)
    if binary is None:
        pytest.skip(f"kubectl.{request.param} is not installed beside the dispatcher")
    return VersionedKubectl(binary, sim, str(tmp_path), str(tmp_path / "cache"))
