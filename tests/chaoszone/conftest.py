"""Fixtures for the tests of chaoszone's own layer above the simulator: a three-zone
cluster with the fast failure timers, through the sim target, and a namespace per test.
They override the plugin's ``cluster`` and tests/conftest.py's ``namespace``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chaoszone import Cluster
from chaoszone.targets.sim import SimTarget

KIND_CONFIGS = Path(__file__).resolve().parents[2] / "kind-configs"
TIME_SCALE = 20.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    target = SimTarget.start(KIND_CONFIGS / "three-zones-fast.yaml", time_scale=TIME_SCALE)
    handle = Cluster(target, tmp_path_factory.mktemp("run"))
    yield handle
    handle.close()


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    name = cluster.create_namespace("t")
    yield name
    cluster.delete_namespace(name)
