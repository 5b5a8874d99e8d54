"""Running the command-line tools a target drives (``kind``, ``docker``).

A :class:`Runner` runs one command and returns what it printed and how it exited; a
target takes one, so its tests can hand it a recording fake and everything else gets
:func:`run`, which starts the real process. :func:`run` never raises for a non-zero exit
(the caller knows which exits are fine: a missing iptables rule on restore, say), only
when the command cannot be started or outlives its timeout: then :class:`TargetError`.

kind prints its progress lines (``✓ Preparing nodes 📦``) on stderr and its answers on
stdout (``pkg/cmd/kind/**``), so ``on_line`` receives stderr a line at a time while the
command runs.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Protocol

from chaoszone.errors import TargetError

__all__ = ["Completed", "Runner", "run"]


@dataclass(frozen=True)
class Completed:
    """A finished command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def command(self) -> str:
        """The command as a user would type it (the tool's base name, then its arguments)."""
        return " ".join([os.path.basename(self.args[0]), *self.args[1:]])

    def failure(self) -> str:
        """``kind get nodes --name x`` exited 1: its last stderr lines."""
        said = (self.stderr.strip() or self.stdout.strip()).splitlines()[-8:]
        return (f"`{self.command}` exited {self.returncode}"
                + (": " + " | ".join(said) if said else " and printed nothing"))


class Runner(Protocol):
    """Runs one command to its end."""

    def __call__(self, args: Sequence[str], *, input: str | None = None,
                 timeout: float = 120.0, cwd: str | None = None,
                 on_line: Callable[[str], None] | None = None) -> Completed:
        ...


def run(args: Sequence[str], *, input: str | None = None, timeout: float = 120.0,
        cwd: str | None = None, on_line: Callable[[str], None] | None = None) -> Completed:
    """Run ``args`` (``args[0]`` a path to the executable) with this process' environment."""
    argv = tuple(str(a) for a in args)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None else
                                subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=cwd)
    except OSError as exc:
        raise TargetError(f"cannot run `{' '.join(argv)}`: {exc.strerror or exc}") from exc
    out: list[str] = []
    err: list[str] = []
    readers = [threading.Thread(target=_drain, args=(proc.stdout, out, None), daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, err, on_line), daemon=True)]
    for reader in readers:
        reader.start()
    if input is not None and proc.stdin is not None:
        try:
            proc.stdin.write(input)
            proc.stdin.close()
        except BrokenPipeError:  # it exited without reading; its exit code says why
            pass
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.wait()
        for reader in readers:
            reader.join()
        raise TargetError(
            f"`{' '.join(argv)}` did not finish within {timeout:g} s and was killed; last "
            f"output: {''.join(err[-5:]).strip() or '(none)'}") from exc
    for reader in readers:
        reader.join()
    return Completed(argv, code, "".join(out), "".join(err))


def _drain(stream: IO[str] | None, into: list[str],
           on_line: Callable[[str], None] | None) -> None:
    if stream is None:
        return
    for line in stream:
        into.append(line)
        if on_line is not None and line.strip():
            on_line(line.rstrip("\n"))
    stream.close()
