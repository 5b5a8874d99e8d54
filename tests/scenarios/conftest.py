"""Scenario tests: whole-cluster behaviour through the API, on the simulator built from
the kind configs, with time sped up (budgets are loose: they bound a behaviour, not its
speed, and must hold on a loaded 2-core CI machine). Waiting is done on watches with a
deadline in cluster seconds, never by sleeping (helpers in scenario_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client
from scenario_support import api_for, new_simulator

from chaoszone import Simulator


@pytest.fixture
def cluster() -> Iterator[tuple[Simulator, client.ApiClient]]:
    """A fresh three-zone cluster with the fast failure timers."""
    with new_simulator("three-zones-fast.yaml") as sim, api_for(sim) as api:
        yield sim, api
