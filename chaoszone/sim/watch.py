"""The event log and its fan-out to watchers.

Every write to the store becomes one :class:`Event` with the object's new state and,
for updates and deletes, its previous state. The hub keeps a bounded history of events
so that a watch can resume from a resourceVersion (older than the history: 410 Gone,
as the apiserver's watch cache answers), and hands each event to the watchers of its
resource. A watcher with selectors sees an update that makes an object match as ADDED
and one that makes it stop matching as DELETED, as upstream's cacheWatcher does
(staging/src/k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go,
``convertToWatchEvent``).

Everything here runs on the simulator's event loop thread; nothing locks.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.resources import ResourceType

__all__ = ["ADDED", "DELETED", "MODIFIED", "Event", "Hub", "Stored", "Watcher"]

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"

Filter = Callable[["Stored"], bool]


class Stored:
    """One version of one object. Never mutated once stored: writers store a new one.

    The JSON encoding is computed once and shared by every list, get and watch event
    that sends this version.
    """

    __slots__ = ("_raw", "obj")

    def __init__(self, obj: dict[str, Any]) -> None:
        self.obj = obj
        self._raw: bytes | None = None

    @property
    def raw(self) -> bytes:
        if self._raw is None:
            self._raw = json.dumps(self.obj, separators=(",", ":")).encode()
        return self._raw

    @property
    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = self.obj["metadata"]
        return meta

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.obj["metadata"].get("namespace", ""))

    @property
    def labels(self) -> dict[str, str]:
        labels: dict[str, str] = self.obj["metadata"].get("labels") or {}
        return labels

    @property
    def resource_version(self) -> int:
        return int(self.obj["metadata"]["resourceVersion"])

    def copy(self) -> dict[str, Any]:
        """A deep, mutable copy of the object, for a writer to change and store."""
        copied: dict[str, Any] = json.loads(self.raw)
        return copied


class Event:
    """A change: ``type`` is ADDED, MODIFIED or DELETED; ``new`` is the state it left."""

    __slots__ = ("new", "old", "resource", "rv", "type")

    def __init__(self, type_: str, resource: ResourceType, new: Stored, old: Stored | None,
                 rv: int) -> None:
        self.type = type_
        self.resource = resource
        self.new = new
        self.old = old
        self.rv = rv


class Watcher:
    """One watch: filtered events wait in ``pending`` until its writer drains them."""

    def __init__(self, hub: Hub, resource: ResourceType, namespace: str | None,
                 accept: Filter | None) -> None:
        self.hub = hub
        self.resource = resource
        self.namespace = namespace
        self.accept = accept
        self.pending: list[tuple[str, Stored]] = []
        self.wake = asyncio.Event()
        self.closed = False
        self.last_rv = 0

    def _passes(self, stored: Stored | None) -> bool:
        if stored is None:
            return False
        if self.namespace is not None and stored.namespace != self.namespace:
            return False
        return self.accept is None or self.accept(stored)

    def offer(self, event: Event) -> None:
        if self.accept is None:
            # No selector: an object's namespace never changes, so the event passes or
            # not as it is (the common case, and the one every fan-out pays for).
            if self.namespace is None or event.new.obj["metadata"].get(
                    "namespace", "") == self.namespace:
                self.pending.append((event.type, event.new))
                self.wake.set()
            self.last_rv = event.rv
            return
        now = self._passes(event.new)
        if event.type in (ADDED, DELETED):
            if not now:
                # nothing to send: waking the writer would have it spin on an empty queue
                self.last_rv = event.rv
                return
            self.pending.append((event.type, event.new))
        else:
            before = self._passes(event.old)
            if now and before:
                self.pending.append((MODIFIED, event.new))
            elif now:
                self.pending.append((ADDED, event.new))
            elif before and event.old is not None:
                gone = event.old.copy()
                gone["metadata"]["resourceVersion"] = str(event.rv)
                self.pending.append((DELETED, Stored(gone)))
            else:
                self.last_rv = event.rv
                return
        self.last_rv = event.rv
        self.wake.set()

    def take(self) -> list[tuple[str, Stored]]:
        batch, self.pending = self.pending, []
        self.wake.clear()
        return batch

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.hub.unsubscribe(self)
            self.wake.set()


class Hub:
    """History and fan-out of store events."""

    def __init__(self, history: int = 10_000) -> None:
        if history < 1:
            raise ValueError("history must keep at least one event")
        self._history: deque[Event] = deque(maxlen=history)
        self._watchers: dict[tuple[str, str], set[Watcher]] = {}
        self._listeners: list[Callable[[Event], None]] = []
        #: the resourceVersion before the first event this hub saw
        self.start_rv = 0

    def publish(self, event: Event) -> None:
        self._history.append(event)
        for watcher in self._watchers.get(event.resource.key, ()):
            watcher.offer(event)
        for listener in self._listeners:
            listener(event)

    def listen(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener`` synchronously with every event (in-process controllers)."""
        self._listeners.append(listener)

    def subscribe(self, resource: ResourceType, namespace: str | None,
                  accept: Filter | None) -> Watcher:
        watcher = Watcher(self, resource, namespace, accept)
        self._watchers.setdefault(resource.key, set()).add(watcher)
        return watcher

    def unsubscribe(self, watcher: Watcher) -> None:
        self._watchers.get(watcher.resource.key, set()).discard(watcher)

    def watcher_count(self) -> int:
        return sum(len(w) for w in self._watchers.values())

    def oldest_servable(self) -> int:
        """The smallest resourceVersion a watch or an exact list may start from."""
        if len(self._history) < (self._history.maxlen or 0) or not self._history:
            return self.start_rv
        return self._history[0].rv - 1

    def since(self, resource: ResourceType, rv: int) -> Iterator[Event]:
        """Events of ``resource`` after ``rv``, oldest first; 410 when they were dropped."""
        if rv < self.oldest_servable():
            raise errors.Gone(f"too old resource version: {rv} ({self.oldest_servable() + 1})")
        key = resource.key
        if self._history and rv >= self._history[-1].rv:
            return iter(())
        return (e for e in list(self._history) if e.rv > rv and e.resource.key == key)

    def newest_first(self) -> Iterator[Event]:
        return reversed(self._history)

    def clear(self, start_rv: int) -> None:
        self._history.clear()
        self.start_rv = start_rv
        for watchers in list(self._watchers.values()):
            for watcher in list(watchers):
                watcher.close()
