"""Container logs: what the simulated kubelets write and ``pods/log`` reads.

A reader that follows a log (``kubectl logs -f``) keeps a cursor, the number of lines the
container had written when it last read, and waits on :meth:`Logs.changed` for more.
"""

from __future__ import annotations

import asyncio
from collections import deque

from chaoszone.sim.clock import Clock, format_micro_time

__all__ = ["Logs"]

Key = tuple[str, str, str]  # namespace, pod, container


class Logs:
    """Lines per container, bounded, with their cluster timestamps."""

    def __init__(self, clock: Clock, max_lines: int = 10_000) -> None:
        self.clock = clock
        self.max_lines = max_lines
        self._lines: dict[Key, deque[tuple[float, str]]] = {}
        self._written: dict[Key, int] = {}  # lines ever written, kept ones or not
        self._changed: dict[Key, asyncio.Event] = {}

    def write(self, namespace: str, pod: str, container: str, line: str) -> None:
        key = (namespace, pod, container)
        buf = self._lines.setdefault(key, deque(maxlen=self.max_lines))
        parts = line.splitlines() or [""]
        for part in parts:
            buf.append((self.clock.now(), part))
        self._written[key] = self._written.get(key, 0) + len(parts)
        event = self._changed.pop(key, None)
        if event is not None:
            event.set()

    def cursor(self, namespace: str, pod: str, container: str) -> int:
        """How many lines the container has written so far."""
        return self._written.get((namespace, pod, container), 0)

    def read_from(self, namespace: str, pod: str, container: str, cursor: int, *,
                  timestamps: bool = False) -> tuple[str, int]:
        """The lines written after ``cursor`` (those still kept), and the new cursor."""
        key = (namespace, pod, container)
        written = self._written.get(key, 0)
        new = written - cursor
        if new <= 0:
            return "", written
        lines = list(self._lines.get(key, ()))[-new:]
        return _format(lines, timestamps), written

    def changed(self, namespace: str, pod: str, container: str) -> asyncio.Event:
        """An event set by the container's next write (one per write, shared by readers)."""
        return self._changed.setdefault((namespace, pod, container), asyncio.Event())

    def read(self, namespace: str, pod: str, container: str, *, tail: int | None = None,
             since: float | None = None, timestamps: bool = False) -> str:
        lines = list(self._lines.get((namespace, pod, container), ()))
        if since is not None:
            lines = [entry for entry in lines if entry[0] >= since]
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        return _format(lines, timestamps)

    def forget(self, namespace: str, pod: str) -> None:
        for key in [k for k in self._lines if k[0] == namespace and k[1] == pod]:
            del self._lines[key]
            self._written.pop(key, None)

    def clear(self) -> None:
        self._lines.clear()
        self._written.clear()


def _format(lines: list[tuple[float, str]], timestamps: bool) -> str:
    if timestamps:
        return "".join(f"{format_micro_time(t)} {text}\n" for t, text in lines)
    return "".join(f"{text}\n" for _, text in lines)
