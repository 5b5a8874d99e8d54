"""A de-duplicating work queue that runs on the simulator's event loop.

Controllers hear of store events synchronously (inside a write) and must not write
back from there; they add a key here and handle it on the next turn of the loop, as
client-go's workqueue decouples informers from reconcilers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["WorkQueue"]

K = TypeVar("K", bound=Hashable)
log = logging.getLogger("chaoszone.sim")


class WorkQueue(Generic[K]):
    def __init__(self, name: str, handler: Callable[[K], None]) -> None:
        self.name = name
        self._handler = handler
        self._items: dict[K, None] = {}
        self._scheduled = False

    def add(self, key: K) -> None:
        self._items[key] = None
        if not self._scheduled:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # no loop (unit tests): the caller runs the queue with run()
            self._scheduled = True
            loop.call_soon(self.run)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def run(self) -> None:
        """Handle every queued key, including keys queued while handling."""
        self._scheduled = False
        while self._items:
            key = next(iter(self._items))
            del self._items[key]
            try:
                self._handler(key)
            except Exception:  # a controller bug must not stop the cluster
                log.exception("%s: handling %r failed", self.name, key)
