"""Objects, their uid and resourceVersion, and optimistic concurrency.

The store keeps the current version of every object, keyed by resource, namespace and
name, and stamps each write with the next value of one cluster-wide resourceVersion
counter (as etcd's revision). It publishes every write to the watch hub. It knows
nothing of HTTP, defaulting or validation: the registry above it owns those rules.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.clock import Clock
from chaoszone.sim.resources import RESOURCES, ResourceType
from chaoszone.sim.watch import ADDED, DELETED, MODIFIED, Event, Hub, Stored

__all__ = ["Store"]


class _Uids:
    """Random (version 4) UUIDs as text, as ``str(uuid.uuid4())`` makes them, from
    operating-system randomness read 256 at a time: one system call per create was most
    of uuid4's cost."""

    def __init__(self) -> None:
        self._pool = ""
        self._at = 0

    def next(self) -> str:
        at = self._at
        if at >= len(self._pool):
            self._pool, at = os.urandom(4096).hex(), 0
        h = self._pool[at:at + 32]
        self._at = at + 32
        # the version nibble is 4; the variant's two high bits are 10 (RFC 4122)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class Store:
    """The cluster state. Use it only from the simulator's event loop thread."""

    def __init__(self, clock: Clock, history: int = 10_000, start_rv: int = 1) -> None:
        self.clock = clock
        self.hub = Hub(history)
        self._rv = start_rv
        self.hub.start_rv = self._rv
        self._uids = _Uids()
        self._objects: dict[tuple[str, str], dict[str, dict[str, Stored]]] = {
            rt.key: {} for rt in RESOURCES
        }

    @property
    def resource_version(self) -> int:
        """The newest resourceVersion: what a list made now reports."""
        return self._rv

    def _next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def get(self, rt: ResourceType, namespace: str, name: str) -> Stored | None:
        return self._objects[rt.key].get(namespace, {}).get(name)

    def items(self, rt: ResourceType, namespace: str | None = None) -> Iterator[Stored]:
        """Current objects in namespace (all namespaces when None), in name order per namespace."""
        table = self._objects[rt.key]
        if namespace is not None:
            yield from _sorted_values(table.get(namespace, {}))
            return
        for ns in sorted(table):
            yield from _sorted_values(table[ns])

    def count(self, rt: ResourceType, namespace: str | None = None) -> int:
        table = self._objects[rt.key]
        if namespace is not None:
            return len(table.get(namespace, {}))
        return sum(len(v) for v in table.values())

    def namespaces_in_use(self, rt: ResourceType) -> list[str]:
        return [ns for ns, objs in self._objects[rt.key].items() if objs]

    def snapshot(self, rt: ResourceType, namespace: str | None, rv: int) -> list[Stored]:
        """The objects as they were at resourceVersion ``rv`` (410 when history is gone).

        Rewinds the current state through the event history, newest first.
        """
        if rv >= self._rv:
            return list(self.items(rt, namespace))
        if rv < self.hub.oldest_servable():
            raise errors.Gone(
                f"The resourceVersion for the provided list is too old. Oldest available: "
                f"{self.hub.oldest_servable()}"
            )
        state: dict[tuple[str, str], Stored | None] = {
            (s.namespace, s.name): s for s in self.items(rt, namespace)
        }
        for event in self.hub.newest_first():
            if event.rv <= rv:
                break
            if event.resource.key != rt.key:
                continue
            if namespace is not None and event.new.namespace != namespace:
                continue
            key = (event.new.namespace, event.new.name)
            state[key] = None if event.type == ADDED else event.old
        return [s for _, s in sorted(state.items()) if s is not None]

    def create(self, rt: ResourceType, obj: dict[str, Any]) -> Stored:
        """Store a new object; stamps uid, creationTimestamp and resourceVersion."""
        meta = obj["metadata"]
        ns = meta.get("namespace", "") if rt.namespaced else ""
        table = self._objects[rt.key].setdefault(ns, {})
        if meta["name"] in table:
            raise errors.AlreadyExists(rt.plural, meta["name"], rt.group)
        if "uid" not in meta:
            meta["uid"] = self._uids.next()
        meta.setdefault("creationTimestamp", self.clock.timestamp())
        rv = self._next_rv()
        meta["resourceVersion"] = str(rv)
        stored = Stored(obj)
        table[meta["name"]] = stored
        self.hub.publish(Event(ADDED, rt, stored, None, rv))
        return stored

    def replace(self, rt: ResourceType, obj: dict[str, Any],
                expect_rv: str | None = None) -> Stored:
        """Store a new version of an existing object.

        ``expect_rv`` is the client's precondition: a stale one is a 409 Conflict.
        """
        meta = obj["metadata"]
        ns = meta.get("namespace", "") if rt.namespaced else ""
        table = self._objects[rt.key].get(ns, {})
        old = table.get(meta["name"])
        if old is None:
            raise errors.NotFound(rt.plural, meta["name"], rt.group)
        if expect_rv and expect_rv != old.meta["resourceVersion"]:
            raise errors.Conflict(
                rt.plural, meta["name"],
                "the object has been modified; please apply your changes to the latest "
                "version and try again", rt.group)
        meta["uid"] = old.meta["uid"]
        meta["creationTimestamp"] = old.meta.get("creationTimestamp")
        rv = self._next_rv()
        meta["resourceVersion"] = str(rv)
        stored = Stored(obj)
        table[meta["name"]] = stored
        self.hub.publish(Event(MODIFIED, rt, stored, old, rv))
        return stored

    def remove(self, rt: ResourceType, namespace: str, name: str,
               expect_uid: str | None = None) -> Stored:
        """Delete an object for good; the DELETED event carries a new resourceVersion."""
        ns = namespace if rt.namespaced else ""
        table = self._objects[rt.key].get(ns, {})
        old = table.get(name)
        if old is None:
            raise errors.NotFound(rt.plural, name, rt.group)
        if expect_uid and expect_uid != old.meta["uid"]:
            raise errors.Conflict(
                rt.plural, name,
                f"Precondition failed: UID in precondition: {expect_uid}, "
                f"UID in object meta: {old.meta['uid']}", rt.group)
        del table[name]
        if not table:
            self._objects[rt.key].pop(ns, None)
        rv = self._next_rv()
        final = old.copy()
        final["metadata"]["resourceVersion"] = str(rv)
        stored = Stored(final)
        self.hub.publish(Event(DELETED, rt, stored, old, rv))
        return stored

    def clear(self) -> None:
        """Forget every object and all history (the control API's reset)."""
        for table in self._objects.values():
            table.clear()
        self.hub.clear(self._next_rv())


def _sorted_values(table: dict[str, Stored]) -> list[Stored]:
    return [table[k] for k in sorted(table)]
