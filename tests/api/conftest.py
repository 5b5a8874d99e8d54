"""Fixtures of the wire-level API tests: a raw HTTPS client and a no-change check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from rawhttp import Raw, Unchanged

if TYPE_CHECKING:
    from chaoszone.sim.server import Simulator


@pytest.fixture(scope="session")
def still_sim() -> Iterator[Simulator]:
    """A simulator whose clock all but stands still, so that nothing in it changes unless a
    request changes it: the bad-input suites compare its resourceVersion before and after
    each request, which controllers acting on their timers would make flaky."""
    from chaoszone.sim.server import Simulator

    with Simulator(time_scale=1e-6) as simulator:
        yield simulator


@pytest.fixture
def raw(sim: Simulator) -> Iterator[Raw]:
    client = Raw(sim)
    yield client
    client.close()


@pytest.fixture
def unchanged(sim: Simulator, raw: Raw) -> Unchanged:
    return Unchanged(sim, raw)
