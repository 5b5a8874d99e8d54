"""A manual-clock cluster for each controller test."""

from __future__ import annotations

import pytest

from chaoszone.sim.cluster import Cluster


@pytest.fixture
def cluster() -> Cluster:
    return Cluster(manual_clock=True)
