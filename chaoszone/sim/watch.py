"""The event log and its fan-out to watchers.

Every write to the store becomes one :class:`Event` with the object's new state and,
for updates and deletes, its previous state. The hub keeps a bounded history of events
so that a watch can resume from a resourceVersion (older than the history: 410 Gone,
as the apiserver's watch cache answers), and hands each event to the watchers of its
resource. A watcher with selectors sees an update that makes an object match as ADDED
and one that makes it stop matching as DELETED, as upstream's cacheWatcher does
(staging/src/k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go,
``convertToWatchEvent``).

Watchers that see the same things (one resource, one namespace, one selector, named by
the ``key`` they subscribe with) share a :class:`Feed`: an event is filtered and
converted once per feed, not once per watcher, and lands in one list that each of
them reads from its own cursor. Five hundred watches of pods in one namespace cost a
publish one append. A feed calls its listeners once per event it keeps; whoever sends
the events (the API's watch streams) decides when to drain the watchers.

Everything here runs on the simulator's event loop thread; nothing locks.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import orjson

from chaoszone.sim import errors
from chaoszone.sim.resources import ResourceType

__all__ = ["ADDED", "DELETED", "MODIFIED", "Event", "Feed", "Hub", "Stored", "Watcher",
           "convert", "encode"]

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"

Filter = Callable[["Stored"], bool]
#: one event as a watcher sees it: its type and the object it carries
Item = tuple[str, "Stored"]


def encode(obj: Any) -> bytes:
    """Compact JSON, with non-ASCII text as UTF-8 (as kube-apiserver writes it).

    orjson does it in a tenth of the time of :func:`json.dumps`, which an object pays once
    per version; what orjson refuses (an integer beyond 64 bits, a key that is not a
    string) goes to :func:`json.dumps` instead.
    """
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


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
            self._raw = encode(self.obj)
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


def _passes(stored: Stored | None, namespace: str | None, accept: Filter | None) -> bool:
    if stored is None:
        return False
    if namespace is not None and stored.namespace != namespace:
        return False
    return accept is None or accept(stored)


def convert(event: Event, namespace: str | None, accept: Filter | None) -> Item | None:
    """What a watcher of ``namespace`` (None: all) with the selector ``accept`` sees of
    ``event``: nothing (None), or the event type and object it receives."""
    if accept is None:
        # No selector: an object's namespace never changes, so the event passes or not
        # as it is (the common case, and the one every fan-out pays for).
        if namespace is None or event.new.obj["metadata"].get("namespace", "") == namespace:
            return event.type, event.new
        return None
    now = _passes(event.new, namespace, accept)
    if event.type in (ADDED, DELETED):
        return (event.type, event.new) if now else None
    before = _passes(event.old, namespace, accept)
    if now:
        return (MODIFIED if before else ADDED), event.new
    if before and event.old is not None:
        gone = event.old.copy()
        gone["metadata"]["resourceVersion"] = str(event.rv)
        return DELETED, Stored(gone)
    return None


class Feed:
    """The events that the watchers of one resource, namespace and selector receive.

    ``events`` holds what some watcher has not taken yet; ``base`` is the position of
    its first entry in the feed's whole sequence, so a watcher's cursor stays valid when
    the list is cut. Once every watcher has taken everything the list starts afresh.
    """

    __slots__ = ("_behind", "accept", "base", "events", "key", "last_rv", "listeners",
                 "namespace", "resource", "watchers")

    def __init__(self, resource: ResourceType, namespace: str | None, accept: Filter | None,
                 key: Hashable) -> None:
        self.resource = resource
        self.namespace = namespace
        self.accept = accept
        self.key = key
        self.events: list[Item] = []
        self.base = 0
        self.watchers: set[Watcher] = set()
        #: called with the feed after each event it keeps
        self.listeners: list[Callable[[Feed], None]] = []
        #: the resourceVersion of the last event offered, kept or not
        self.last_rv = 0
        # how many watchers have not taken the newest event (0: ``events`` may go)
        self._behind = 0

    @property
    def end(self) -> int:
        """The position after the newest event."""
        return self.base + len(self.events)

    def offer(self, event: Event) -> None:
        self.last_rv = event.rv
        item = convert(event, self.namespace, self.accept)
        if item is None:
            return
        self.events.append(item)
        self._behind = len(self.watchers)  # nobody has taken this one yet
        for listener in self.listeners:
            listener(self)

    def _caught_up(self) -> None:
        """One watcher that was behind has taken everything (or left)."""
        self._behind -= 1
        if self._behind <= 0:
            self._behind = 0
            self.base += len(self.events)
            self.events = []


class Watcher:
    """One watch: a cursor into its feed, after the events it replays (``backlog``)."""

    __slots__ = ("__weakref__", "backlog", "closed", "cursor", "feed", "hub", "wake")

    def __init__(self, hub: Hub, feed: Feed, backlog: list[Item]) -> None:
        self.hub = hub
        self.feed = feed
        self.backlog = backlog
        self.cursor = feed.end
        #: set when an event arrives (for watchers subscribed with ``notify``) and on close
        self.wake = asyncio.Event()
        self.closed = False

    @property
    def resource(self) -> ResourceType:
        return self.feed.resource

    @property
    def last_rv(self) -> int:
        """The resourceVersion of the last event offered to this watcher, kept or not."""
        return self.feed.last_rv

    @property
    def has_pending(self) -> bool:
        return bool(self.backlog) or self.cursor < self.feed.end

    @property
    def behind(self) -> int:
        """How many of the feed's events this watcher has not taken."""
        return self.feed.end - self.cursor

    @property
    def pending(self) -> list[Item]:
        """What :meth:`take` would return, without taking it."""
        feed = self.feed
        return self.backlog + feed.events[self.cursor - feed.base:]

    def take(self) -> list[Item]:
        feed = self.feed
        start = self.cursor - feed.base
        batch = feed.events[start:]
        if self.backlog:
            batch[:0] = self.backlog
            self.backlog = []
        if start < len(feed.events):
            self.cursor = feed.end
            feed._caught_up()
        self.wake.clear()
        return batch

    def _notify(self, _feed: Feed) -> None:
        self.wake.set()

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
        self._feeds: dict[tuple[str, str], dict[Hashable, Feed]] = {}
        self._listeners: list[Callable[[Event], None]] = []
        #: the resourceVersion before the first event this hub saw
        self.start_rv = 0

    def publish(self, event: Event) -> None:
        self._history.append(event)
        feeds = self._feeds.get(event.resource.key)
        if feeds:
            for feed in list(feeds.values()):
                feed.offer(event)
        for listener in self._listeners:
            listener(event)

    def listen(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener`` synchronously with every event (in-process controllers)."""
        self._listeners.append(listener)

    def subscribe(self, resource: ResourceType, namespace: str | None,
                  accept: Filter | None, *, key: Hashable | None = None,
                  backlog: list[Item] | None = None, notify: bool = True) -> Watcher:
        """A new watcher of ``resource`` in ``namespace`` (None: all namespaces).

        ``accept`` is its selector (None: everything). Watchers subscribed with the same
        ``key`` share one feed, so equal keys must mean equal namespaces and selectors;
        without a key the watcher has a feed of its own. ``backlog`` is sent before the
        events that follow. With ``notify`` the watcher's ``wake`` is set by each event
        it receives; without, only on close (its reader drains it by other means).
        """
        feeds = self._feeds.setdefault(resource.key, {})
        feed_key: Hashable = (namespace, key) if key is not None else object()
        feed = feeds.get(feed_key)
        if feed is None:
            feed = feeds[feed_key] = Feed(resource, namespace, accept, feed_key)
        watcher = Watcher(self, feed, list(backlog or ()))
        feed.watchers.add(watcher)
        if notify:
            feed.listeners.append(watcher._notify)
        return watcher

    def unsubscribe(self, watcher: Watcher) -> None:
        feed = watcher.feed
        if watcher not in feed.watchers:
            return
        feed.watchers.discard(watcher)
        if watcher._notify in feed.listeners:
            feed.listeners.remove(watcher._notify)
        if watcher.cursor < feed.end:
            feed._caught_up()
        if not feed.watchers:
            feeds = self._feeds.get(feed.resource.key, {})
            if feeds.get(feed.key) is feed:
                del feeds[feed.key]

    def watcher_count(self) -> int:
        return sum(len(feed.watchers) for feeds in self._feeds.values()
                   for feed in feeds.values())

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
        for feeds in list(self._feeds.values()):
            for feed in list(feeds.values()):
                for watcher in list(feed.watchers):
                    watcher.close()
