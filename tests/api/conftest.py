"""Fixtures of the wire-level API tests: a raw HTTPS client and a no-change check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from rawhttp import Raw, Unchanged

if TYPE_CHECKING:
    from chaoszone.sim.server import Simulator


@pytest.fixture
def raw(sim: Simulator) -> Iterator[Raw]:
    client = Raw(sim)
    yield client
    client.close()


@pytest.fixture
def unchanged(sim: Simulator, raw: Raw) -> Unchanged:
    return Unchanged(sim, raw)
