"""The scheduling queue: pods waiting for an attempt (active, by priority then arrival),
pods backing off after a failure (1 s doubling to 10 s), and unschedulable pods waiting
for a cluster event that may help them, or for five minutes to pass.

A failed pod remembers the plugins that rejected it; an event moves it out of the
unschedulable set only if one of those plugins registered for that event (a pod whose
failure named no plugin moves on any event). A moved pod goes to the backoff queue if
its backoff has not expired yet, else straight to the active queue.

Upstream: pkg/scheduler/backend/queue/scheduling_queue.go (``PriorityQueue``,
``calculateBackoffDuration``, ``flushUnschedulablePodsLeftover``,
``MoveAllToActiveOrBackoffQueue``) at release-1.32.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator, Mapping

from chaoszone.sim.scheduler.types import PodInfo

__all__ = ["INITIAL_BACKOFF", "MAX_BACKOFF", "UNSCHEDULABLE_TIMEOUT", "QueuedPod",
           "SchedulingQueue"]

INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0
#: podMaxInUnschedulablePodsDuration
UNSCHEDULABLE_TIMEOUT = 300.0

Key = tuple[str, str]


class QueuedPod:
    """A pending pod and its scheduling history."""

    __slots__ = ("added", "attempts", "failed_at", "info", "plugins", "seq", "where")

    def __init__(self, info: PodInfo, added: float) -> None:
        self.info = info
        self.added = added
        self.attempts = 0
        self.failed_at = added
        self.plugins: frozenset[str] = frozenset()
        self.where = ""
        self.seq = 0

    @property
    def key(self) -> Key:
        return self.info.key

    def backoff(self) -> float:
        """``calculateBackoffDuration``: 1 s, doubled per further attempt, at most 10 s."""
        duration = INITIAL_BACKOFF
        for _ in range(1, self.attempts):
            duration *= 2
            if duration > MAX_BACKOFF:
                return MAX_BACKOFF
        return duration

    def backoff_until(self) -> float:
        return self.failed_at + self.backoff()


class SchedulingQueue:
    """Active heap, backoff heap, unschedulable set; ``clock`` gives cluster seconds."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._pods: dict[Key, QueuedPod] = {}
        self._active: list[tuple[int, float, int, Key]] = []
        self._backoff: list[tuple[float, int, Key]] = []
        self._unschedulable: dict[Key, QueuedPod] = {}
        self._seq = itertools.count()

    # -- inspection ------------------------------------------------------------------

    def __contains__(self, key: Key) -> bool:
        return key in self._pods

    def __len__(self) -> int:
        return len(self._pods)

    def get(self, key: Key) -> QueuedPod | None:
        return self._pods.get(key)

    def keys(self) -> list[Key]:
        return list(self._pods)

    def active_count(self) -> int:
        return sum(1 for qp in self._pods.values() if qp.where == "active")

    def unschedulable(self) -> Iterator[QueuedPod]:
        return iter(list(self._unschedulable.values()))

    def next_backoff_deadline(self) -> float | None:
        while self._backoff:
            until, seq, key = self._backoff[0]
            qp = self._pods.get(key)
            if qp is not None and qp.where == "backoff" and qp.seq == seq:
                return until
            heapq.heappop(self._backoff)
        return None

    # -- adding and removing ---------------------------------------------------------

    def add(self, info: PodInfo) -> bool:
        """A new pending pod goes to the active queue; returns False if already queued."""
        if info.key in self._pods:
            self.update(info)
            return False
        qp = QueuedPod(info, self.clock())
        self._pods[info.key] = qp
        self._to_active(qp)
        return True

    def update(self, info: PodInfo, relevant: bool = True) -> bool:
        """The pod changed; an unschedulable pod is retried if the change may matter.
        Returns True when the pod became active."""
        qp = self._pods.get(info.key)
        if qp is None:
            return self.add(info)
        qp.info = info
        if qp.where == "unschedulable" and relevant:
            return self._move(qp)
        return False

    def readd(self, qp: QueuedPod) -> None:
        """Put back a pod that left the queue for binding (the binding failed)."""
        if qp.key not in self._pods:
            self._pods[qp.key] = qp
            qp.where = "inflight"

    def delete(self, key: Key) -> QueuedPod | None:
        qp = self._pods.pop(key, None)
        if qp is not None:
            self._unschedulable.pop(key, None)
            qp.where = ""
        return qp

    def _to_active(self, qp: QueuedPod) -> None:
        self._unschedulable.pop(qp.key, None)
        qp.where = "active"
        qp.seq = next(self._seq)
        heapq.heappush(self._active, (-qp.info.priority, qp.added, qp.seq, qp.key))

    def _to_backoff(self, qp: QueuedPod) -> None:
        self._unschedulable.pop(qp.key, None)
        qp.where = "backoff"
        qp.seq = next(self._seq)
        heapq.heappush(self._backoff, (qp.backoff_until(), qp.seq, qp.key))

    def _move(self, qp: QueuedPod) -> bool:
        if qp.backoff_until() > self.clock():
            self._to_backoff(qp)
            return False
        self._to_active(qp)
        return True

    # -- the scheduling loop ---------------------------------------------------------

    def pop(self) -> QueuedPod | None:
        """The next pod to try (highest priority, then earliest), marked in flight."""
        while self._active:
            _, _, seq, key = heapq.heappop(self._active)
            qp = self._pods.get(key)
            if qp is None or qp.where != "active" or qp.seq != seq:
                continue
            qp.where = "inflight"
            qp.attempts += 1
            return qp
        return None

    def done(self, key: Key) -> None:
        """The pod was scheduled (or is waiting for its volumes): forget it."""
        self.delete(key)

    def unschedulable_failure(self, qp: QueuedPod, plugins: frozenset[str]) -> None:
        """``AddUnschedulableIfNotPresent``: wait for an event that may help."""
        if self._pods.get(qp.key) is not qp:
            return
        qp.failed_at = self.clock()
        qp.plugins = plugins
        qp.where = "unschedulable"
        self._unschedulable[qp.key] = qp

    def error_failure(self, qp: QueuedPod) -> None:
        """An error (not a verdict): retry after the backoff."""
        if self._pods.get(qp.key) is not qp:
            return
        qp.failed_at = self.clock()
        self._to_backoff(qp)

    # -- moving pods -----------------------------------------------------------------

    def move_for_event(self, event: str, plugin_events: Mapping[str, frozenset[str]],
                       hint: Callable[[QueuedPod], bool] | None = None) -> int:
        """``MoveAllToActiveOrBackoffQueue``: move the unschedulable pods that a plugin
        registered for ``event`` rejected. Returns how many became active."""
        activated = 0
        for qp in list(self._unschedulable.values()):
            if qp.plugins and not any(event in plugin_events.get(p, ()) for p in qp.plugins):
                continue
            if hint is not None and not hint(qp):
                continue
            if self._move(qp):
                activated += 1
        return activated

    def flush_backoff(self) -> int:
        """Move pods whose backoff has expired to the active queue."""
        now = self.clock()
        moved = 0
        while self._backoff:
            until, seq, key = self._backoff[0]
            qp = self._pods.get(key)
            if qp is None or qp.where != "backoff" or qp.seq != seq:
                heapq.heappop(self._backoff)
                continue
            if until > now:
                break
            heapq.heappop(self._backoff)
            self._to_active(qp)
            moved += 1
        return moved

    def flush_unschedulable_leftover(self) -> int:
        """Pods unschedulable for more than five minutes are retried anyway."""
        now = self.clock()
        moved = 0
        for qp in list(self._unschedulable.values()):
            if now - qp.failed_at > UNSCHEDULABLE_TIMEOUT and self._move(qp):
                moved += 1
        return moved

    def has_unschedulable(self) -> bool:
        return bool(self._unschedulable)

    def has_active(self) -> bool:
        return any(True for _ in self._iter_active())

    def _iter_active(self) -> Iterator[QueuedPod]:
        for _, _, seq, key in self._active:
            qp = self._pods.get(key)
            if qp is not None and qp.where == "active" and qp.seq == seq:
                yield qp
