"""The watch fan-out's rounds, with streams that record what they are asked to write."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chaoszone.sim.api.watch_stream import Fanout
from chaoszone.sim.clock import Clock
from chaoszone.sim.resources import by_path
from chaoszone.sim.store import Store
from chaoszone.sim.watch import Watcher

CONFIGMAPS = by_path("", "v1", "configmaps")
assert CONFIGMAPS is not None


class Recording:
    """Stands in for a watch stream: takes its watcher's events and keeps the batches."""

    def __init__(self, watcher: Watcher, *, fail: bool = False) -> None:
        self.watcher = watcher
        self.fail = fail
        self.batches: list[list[str]] = []

    def flush(self, shared: dict[int, bytes]) -> None:
        if self.fail:
            raise RuntimeError("this stream cannot write")
        if self.watcher.has_pending:
            self.batches.append([s.name for _, s in self.watcher.take()])


def cm(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default"}}


def run_rounds(store: Store, streams: list[Recording], names: list[str]) -> None:
    """Register ``streams``, create ``names`` in one turn of the loop, and let rounds run
    until every stream has taken everything."""

    async def scenario() -> None:
        fanout = Fanout()
        for stream in streams:
            fanout.add(stream)  # type: ignore[arg-type]
        for name in names:
            store.create(CONFIGMAPS, cm(name))
        for _ in range(1000):  # turns of the loop: a round that is due runs
            if not any(s.watcher.has_pending and not s.watcher.closed for s in streams):
                return
            await asyncio.sleep(0)
        raise AssertionError("the streams still have events after 1,000 turns of the loop")

    asyncio.run(scenario())


def test_events_of_one_turn_of_the_loop_go_to_each_stream_in_one_round() -> None:
    store = Store(Clock())
    streams = [Recording(store.hub.subscribe(CONFIGMAPS, None, None, key="all", notify=False))
               for _ in range(3)]
    run_rounds(store, streams, ["a", "b", "c"])
    assert [s.batches for s in streams] == [[["a", "b", "c"]]] * 3


def test_a_stream_whose_write_fails_is_ended_and_the_others_still_get_their_events(
        caplog: pytest.LogCaptureFixture) -> None:
    store = Store(Clock())
    broken = Recording(store.hub.subscribe(CONFIGMAPS, None, None, key="all", notify=False),
                       fail=True)
    healthy = Recording(store.hub.subscribe(CONFIGMAPS, None, None, key="all", notify=False))
    run_rounds(store, [broken, healthy], ["a"])
    assert broken.watcher.closed
    assert healthy.batches == [["a"]]
    assert "writing its events failed" in caplog.text
