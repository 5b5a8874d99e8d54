"""What the scheduler, the controllers and the kubelets share: the registry, the one
clock, timers in cluster time, work queues, and an event recorder.

Timers live in one heap keyed by cluster time; a single loop callback wakes at the
earliest deadline, recomputed whenever the clock's speed changes, so ``time_scale``
applies to every timer at once. With a manual clock nothing fires until
:meth:`Runtime.settle` runs what is due (unit tests).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from chaoszone.sim import errors
from chaoszone.sim.clock import Clock
from chaoszone.sim.registry import Registry
from chaoszone.sim.resources import ResourceType, by_path
from chaoszone.sim.store import Store
from chaoszone.sim.watch import Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = ["Runtime", "Timer"]

K = TypeVar("K", bound=Hashable)
log = logging.getLogger("chaoszone.sim")
_EVENTS = by_path("", "v1", "events")
#: client-go's maxLruCacheEntries (tools/record/events_cache.go)
_EVENT_CACHE_ENTRIES = 4096


class Timer:
    """A scheduled callback; ``cancel()`` stops it (and its repeats)."""

    __slots__ = ("cancelled", "deadline", "fn", "interval")

    def __init__(self, deadline: float, fn: Callable[[], None], interval: float | None) -> None:
        self.deadline = deadline
        self.fn = fn
        self.interval = interval
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def _call(fn: Callable[[], None]) -> None:
    fn()


class Runtime:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.store: Store = registry.store
        self.clock: Clock = registry.clock
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._queues: list[WorkQueue[Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.TimerHandle | None = None
        self._wake_at: float | None = None
        #: the recorder's cache of recent events, least recently seen first (client-go's
        #: events_cache.go keeps 4096 in an LRU)
        self._event_keys: OrderedDict[tuple[str, ...], str] = OrderedDict()
        self._event_nanos = 0
        self.clock.on_change.append(self._reschedule)
        self._calls: WorkQueue[Callable[[], None]] = self.queue("deferred calls", _call)

    # -- wiring ----------------------------------------------------------------

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Fire timers on ``loop`` from now on (the server's loop)."""
        self._loop = loop
        self._reschedule()

    def listen(self, listener: Callable[[Event], None]) -> None:
        self.store.hub.listen(listener)

    def queue(self, name: str, handler: Callable[[K], None]) -> WorkQueue[K]:
        work: WorkQueue[K] = WorkQueue(name, handler)
        self._queues.append(work)
        return work

    def queue_call(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` on the next turn of the loop (never inside a store write)."""
        self._calls.add(fn)

    # -- timers ------------------------------------------------------------------

    def after(self, delay: float, fn: Callable[[], None]) -> Timer:
        """Call ``fn`` once, ``delay`` cluster seconds from now."""
        return self._push(Timer(self.clock.now() + max(0.0, delay), fn, None))

    def at(self, when: float, fn: Callable[[], None]) -> Timer:
        return self._push(Timer(when, fn, None))

    def every(self, interval: float, fn: Callable[[], None], *, first: float | None = None
              ) -> Timer:
        """Call ``fn`` every ``interval`` cluster seconds (first after ``first``)."""
        if interval <= 0:
            raise ValueError("a repeating timer needs an interval > 0")
        start = interval if first is None else first
        return self._push(Timer(self.clock.now() + start, fn, interval))

    def _push(self, timer: Timer) -> Timer:
        heapq.heappush(self._heap, (timer.deadline, next(self._seq), timer))
        if self._wake_at is None or timer.deadline < self._wake_at:
            self._reschedule()
        return timer

    def _reschedule(self) -> None:
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
            self._wake_at = None
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        if not self._heap or self._loop is None or self.clock.manual:
            return
        deadline = self._heap[0][0]
        delay = self.clock.wall_seconds(deadline - self.clock.now())
        self._wake_at = deadline
        self._wakeup = self._loop.call_later(max(0.0, delay), self._fire)

    def _fire(self) -> None:
        self._wakeup = None
        self._wake_at = None
        self.run_due()
        self._reschedule()

    def run_due(self) -> int:
        """Run every timer whose deadline has come; returns how many ran."""
        ran = 0
        now = self.clock.now()
        while self._heap and self._heap[0][0] <= now:
            _, _, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            ran += 1
            if timer.interval is not None:
                timer.deadline = now + timer.interval
                heapq.heappush(self._heap, (timer.deadline, next(self._seq), timer))
            try:
                timer.fn()
            except Exception:  # one broken callback must not stop the cluster
                log.exception("timer %r failed", timer.fn)
        return ran

    def next_deadline(self) -> float | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def settle(self, max_rounds: int = 10_000) -> None:
        """Run queued work and due timers until nothing is left to do now."""
        for _ in range(max_rounds):
            busy = False
            for work in self._queues:
                if len(work):
                    work.run()
                    busy = True
            if self.run_due():
                busy = True
            if not busy:
                return
        raise RuntimeError("the cluster did not settle: something requeues itself forever")

    def advance(self, seconds: float, step: float | None = None) -> None:
        """Move a manual clock forward, firing every timer on the way at its time."""
        end = self.clock.now() + seconds
        self.settle()
        while True:
            nxt = self.next_deadline()
            if nxt is None or nxt > end:
                break
            if step is not None:
                nxt = min(nxt, self.clock.now() + step)
            self.clock.advance(max(0.0, nxt - self.clock.now()))
            self.settle()
        self.clock.advance(max(0.0, end - self.clock.now()))
        self.settle()

    # -- events ----------------------------------------------------------------

    def record_event(self, involved: dict[str, Any], rt: ResourceType, type_: str, reason: str,
                     message: str, component: str, *, host: str = "") -> None:
        """Write a core/v1 Event as client-go's recorder does, counting repeats
        (tools/record/events_cache.go: same source, object, reason and message)."""
        assert _EVENTS is not None
        meta = involved.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        key = (component, host, rt.kind, namespace, meta.get("name", ""), meta.get("uid", ""),
               type_, reason, message)
        now = self.clock.timestamp()
        existing_name = self._event_keys.get(key)
        if existing_name is not None:
            self._event_keys.move_to_end(key)
            stored = self.store.get(_EVENTS, namespace, existing_name)
            if stored is not None:
                new = stored.copy()
                new["count"] = int(new.get("count", 1)) + 1
                new["lastTimestamp"] = now
                try:
                    self.registry.update(_EVENTS, namespace, existing_name, new)
                except errors.ApiError:
                    log.debug("event update refused", exc_info=True)
                return
        # client-go's makeEvent: "<object name>.<the time in Unix nanoseconds, hex>", one
        # nanosecond later than the previous event's when the clock has not moved
        self._event_nanos = max(int(self.clock.now() * 1e9), self._event_nanos + 1)
        name = f"{meta.get('name', 'unknown')}.{self._event_nanos:x}"
        event: dict[str, Any] = {
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {
                "kind": rt.kind, "namespace": meta.get("namespace", ""),
                "name": meta.get("name", ""), "uid": meta.get("uid", ""),
                "apiVersion": rt.api_version,
                "resourceVersion": meta.get("resourceVersion", ""),
            },
            "reason": reason, "message": message, "type": type_,
            "source": {"component": component, **({"host": host} if host else {})},
            "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            "reportingComponent": component, "reportingInstance": host,
        }
        if not rt.namespaced:
            event["involvedObject"].pop("namespace")
        try:
            self.registry.create(_EVENTS, namespace, event)
        except errors.ApiError:
            log.debug("event refused", exc_info=True)
            return
        self._event_keys[key] = name
        if len(self._event_keys) > _EVENT_CACHE_ENTRIES:
            self._event_keys.popitem(last=False)

    def stop(self) -> None:
        """Cancel every timer and queued work for good (the cluster is being replaced)."""
        self._heap.clear()
        for work in self._queues:
            work.clear()
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        self._loop = None
        if self._reschedule in self.clock.on_change:
            self.clock.on_change.remove(self._reschedule)
