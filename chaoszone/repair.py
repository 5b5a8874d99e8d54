"""The repair program: given a node, remove the fault taints, uncordon it, and say so.

It runs inside a repair Job whose pod tolerates every taint and is pinned to the node
(:func:`chaoszone.workloads.repair_job`), with a ServiceAccount allowed to read and patch
nodes. On kind the Job's image runs ``python -m chaoszone.repair NODE [--taint-key KEY]...``;
on the simulator the same :func:`repair` runs through the simulator's program registry
(``chaoszone-program:chaoszone-repair``), with the pod's ServiceAccount rights.

A fault taint is any NoExecute or NoSchedule taint whose key is given (``--taint-key``),
plus the node-lifecycle controller's own (``node.kubernetes.io/unreachable``,
``node.kubernetes.io/not-ready``), which it re-adds if the node really is unhealthy.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["PROGRAM", "main", "program", "repair"]

#: the name the simulator's program registry knows the repair program by
PROGRAM = "chaoszone-repair"
LIFECYCLE_TAINTS = ("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready")


def repair(api: Any, node: str, taint_keys: Sequence[str],
           log: Callable[[str], None] = print) -> None:
    """Remove ``taint_keys`` (and the lifecycle taints) from ``node`` and uncordon it."""
    from kubernetes import client

    core: Any = client.CoreV1Api(api)
    drop = set(taint_keys) | set(LIFECYCLE_TAINTS)
    for attempt in range(10):
        live = core.read_node(node)
        kept = [t for t in live.spec.taints or [] if t.key not in drop]
        removed = [f"{t.key}:{t.effect}" for t in live.spec.taints or [] if t.key in drop]
        body = {"metadata": {"resourceVersion": live.metadata.resource_version},
                "spec": {"unschedulable": False,
                         "taints": [{"key": t.key, "value": t.value, "effect": t.effect}
                                    for t in kept]}}
        try:
            core.patch_node(node, body)
        except client.ApiException as exc:
            if exc.status == 409 and attempt < 9:
                continue
            raise
        log(f"node {node}: removed {', '.join(removed) or 'no taints'}; uncordoned")
        return


def program(ctx: Any) -> int:
    """The simulator's entry: ``ctx.args`` are the command line's words."""
    args = _parser().parse_args(ctx.args)
    repair(ctx.api, args.node, args.taint_key, ctx.log)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chaoszone.repair", description=__doc__.split("\n")[0])
    parser.add_argument("node")
    parser.add_argument("--taint-key", action="append", default=[],
                        help="a fault taint's key to remove (repeatable)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The container's entry on a real cluster (in-cluster ServiceAccount credentials)."""
    from kubernetes import client, config

    args = _parser().parse_args(argv)
    config.load_incluster_config()  # type: ignore[no-untyped-call]
    with client.ApiClient() as api:
        repair(api, args.node, args.taint_key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
