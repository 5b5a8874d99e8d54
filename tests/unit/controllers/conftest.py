"""Fixtures of the controller tests: a cluster on a manual clock (time moves only with
``cluster.runtime.advance``), and stand-in kubelets that renew node Leases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from clusterkit import Kubelets

from chaoszone.sim.cluster import Cluster


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    yield Cluster(manual_clock=True)


@pytest.fixture
def kubelets(cluster: Cluster) -> Kubelets:
    return Kubelets(cluster)
