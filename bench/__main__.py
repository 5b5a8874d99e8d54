"""Run benchmarks: ``python -m bench`` (all) or ``python -m bench creates kubectl_get``."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time

from bench._common import machine_lines

BENCHMARKS = ("creates", "kubectl_get", "watch_fanout", "memory", "scheduling", "startup",
              "zone_outage", "cluster_scale")


def _load() -> str:
    """The 1-minute load average: other work on the machine skews wall times."""
    return f"{os.getloadavg()[0]:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="name",
                        help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})")
    args = parser.parse_args(argv)
    names: list[str] = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for line in machine_lines():
        print(line, flush=True)
    print(f"python: {platform.python_version()} ({sys.executable})", flush=True)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.monotonic()
        print(f"== {name} (load average before: {_load()})", flush=True)
        for line in module.run():
            print(f"{name}: {line}", flush=True)
        print(f"{name}: (benchmark took {time.monotonic() - started:.1f} s; load average "
              f"after: {_load()})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
