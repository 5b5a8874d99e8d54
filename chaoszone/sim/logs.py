"""Container logs: what the simulated kubelets write and ``pods/log`` reads."""

from __future__ import annotations

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

    def write(self, namespace: str, pod: str, container: str, line: str) -> None:
        buf = self._lines.setdefault((namespace, pod, container), deque(maxlen=self.max_lines))
        for part in line.splitlines() or [""]:
            buf.append((self.clock.now(), part))

    def read(self, namespace: str, pod: str, container: str, *, tail: int | None = None,
             since: float | None = None, timestamps: bool = False) -> str:
        lines = list(self._lines.get((namespace, pod, container), ()))
        if since is not None:
            lines = [entry for entry in lines if entry[0] >= since]
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        if timestamps:
            return "".join(f"{format_micro_time(t)} {text}\n" for t, text in lines)
        return "".join(f"{text}\n" for _, text in lines)

    def forget(self, namespace: str, pod: str) -> None:
        for key in [k for k in self._lines if k[0] == namespace and k[1] == pod]:
            del self._lines[key]

    def clear(self) -> None:
        self._lines.clear()
