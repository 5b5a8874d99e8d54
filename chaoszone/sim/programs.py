"""Programs a simulated container can run instead of sleeping: Python callables that get
an API client authenticated as the pod's ServiceAccount.

Register one under a name; a pod runs it by naming it in its container's first
``command`` word as ``chaoszone-program:<name>`` (the remaining words become its
arguments). What the program returns is the container's exit code (None is 0); an
exception exits 1 with the traceback in the container's log.

    from chaoszone.sim import programs

    def uncordon(ctx: programs.Context) -> int:
        CoreV1Api(ctx.api).patch_node(ctx.args[0], {"spec": {"unschedulable": False}})
        ctx.log("done")
        return 0

    programs.register("uncordon", uncordon)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["PREFIX", "Context", "Program", "get", "register", "unregister"]

#: the command word that names a registered program
PREFIX = "chaoszone-program:"


@dataclass(frozen=True)
class Context:
    """What a running program gets."""

    #: the pod, as the kubelet saw it when the container started
    pod: dict[str, Any]
    #: the container's name
    container: str
    #: the words after the program's name in the container's command, then its args
    args: list[str]
    #: a ``kubernetes.client.ApiClient`` authenticated as the pod's ServiceAccount
    api: Any
    #: writes one line to the container's log
    log: Callable[[str], None]


Program = Callable[[Context], "int | None"]

_PROGRAMS: dict[str, Program] = {}


def register(name: str, program: Program) -> None:
    """Make ``program`` runnable as ``chaoszone-program:<name>``."""
    if not name or any(c.isspace() for c in name):
        raise ValueError(f"a program name must be one word, got {name!r}")
    _PROGRAMS[name] = program


def unregister(name: str) -> None:
    _PROGRAMS.pop(name, None)


def get(name: str) -> Program | None:
    return _PROGRAMS.get(name)
