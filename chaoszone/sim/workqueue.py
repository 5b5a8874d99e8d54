"""A de-duplicating work queue that runs on the simulator's event loop.

Controllers hear of store events synchronously (inside a write) and must not write
back from there; they add a key here and handle it on the next turn of the loop, as
client-go's workqueue decouples informers from reconcilers.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["WorkQueue"]

K = TypeVar("K", bound=Hashable)
log = logging.getLogger("chaoszone.sim")


class WorkQueue(Generic[K]):
    def __init__(self, name: str, handler: Callable[[K], None]) -> None:
        self.name = name
        self._handler = handler
        # keys in the order they were first added, and the set of them: taking the first
        # key of a dict again and again scans past every key deleted before it
        self._order: deque[K] = deque()
        self._queued: set[K] = set()
        self._scheduled = False

    def add(self, key: K) -> None:
        if key not in self._queued:
            self._queued.add(key)
            self._order.append(key)
        if not self._scheduled:
            # asyncio's non-raising lookup: with no loop (a manual clock, unit tests) every
            # add would otherwise raise and catch a RuntimeError
            loop = asyncio._get_running_loop()
            if loop is None:
                return  # the caller runs the queue with run()
            self._scheduled = True
            loop.call_soon(self.run)

    def clear(self) -> None:
        self._order.clear()
        self._queued.clear()

    def __len__(self) -> int:
        return len(self._order)

    def run(self) -> None:
        """Handle every queued key, including keys queued while handling."""
        self._scheduled = False
        while self._order:
            key = self._order.popleft()
            self._queued.discard(key)
            try:
                self._handler(key)
            except Exception:  # a controller bug must not stop the cluster
                log.exception("%s: handling %r failed", self.name, key)
