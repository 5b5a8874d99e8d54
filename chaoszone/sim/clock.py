"""The one clock every simulator timer and timestamp reads.

Cluster time runs ``time_scale`` times faster than the wall clock, from the moment
the clock was made (or its scale last changed). Timestamps written into objects are
cluster time, so an object's age reads the same to kubectl as to a controller.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "format_micro_time", "format_time"]


class Clock:
    """Scaled wall clock: ``now()`` in cluster seconds since the epoch.

    A ``manual`` clock stands still until :meth:`advance` moves it: unit tests drive
    controllers and kubelets through time with it, deterministically.
    """

    def __init__(self, time_scale: float = 1.0, *, manual: bool = False,
                 start: float | None = None) -> None:
        if not time_scale > 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale!r}")
        self._scale = float(time_scale)
        self._base_cluster = time.time() if start is None else start
        self._base_mono = time.monotonic()
        self.manual = manual
        #: called after the speed changes, so timers can be rescheduled
        self.on_change: list[Callable[[], None]] = []

    def advance(self, cluster_seconds: float) -> None:
        """Move a manual clock forward."""
        if not self.manual:
            raise RuntimeError("only a manual clock can be advanced; this one follows the wall")
        if cluster_seconds < 0:
            raise ValueError("a clock never runs backwards")
        self._base_cluster += cluster_seconds
        for callback in self.on_change:
            callback()

    @property
    def time_scale(self) -> float:
        return self._scale

    def set_time_scale(self, time_scale: float) -> None:
        """Change the speed from now on; cluster time never jumps or runs backwards."""
        if not time_scale > 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale!r}")
        self._base_cluster = self.now()
        self._base_mono = time.monotonic()
        self._scale = float(time_scale)
        for callback in self.on_change:
            callback()

    def now(self) -> float:
        if self.manual:
            return self._base_cluster
        return self._base_cluster + (time.monotonic() - self._base_mono) * self._scale

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def timestamp(self) -> str:
        """``metav1.Time`` of now: RFC 3339, second precision."""
        return format_time(self.now())

    def micro_timestamp(self) -> str:
        """``metav1.MicroTime`` of now: RFC 3339 with microseconds."""
        return format_micro_time(self.now())

    def wall_seconds(self, cluster_seconds: float) -> float:
        """How long ``cluster_seconds`` of cluster time take on the wall clock."""
        return cluster_seconds / self._scale

    async def sleep(self, cluster_seconds: float) -> None:
        await asyncio.sleep(max(0.0, cluster_seconds) / self._scale)


#: the second format_time formatted last, and its text: every write in the same second
#: stamps the same string (a cluster writes thousands of objects a second)
_last_second: tuple[int, str] = (0, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(0)))


def format_time(epoch: float) -> str:
    global _last_second
    second = math.floor(epoch)
    last = _last_second
    if last[0] == second:
        return last[1]
    text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
    _last_second = (second, text)
    return text


def format_micro_time(epoch: float) -> str:
    whole = int(epoch)
    micros = round((epoch - whole) * 1_000_000)
    if micros == 1_000_000:
        whole, micros = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micros:06d}Z"
