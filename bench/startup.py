"""Start-up: a ``three-zones.yaml`` cluster from nothing to every node and pod Ready.

Target: under 0.5 s at ``time_scale=1``. Each run constructs a
:class:`~chaoszone.sim.server.Simulator` for ``kind-configs/three-zones.yaml`` (reading
and checking the kind config), starts it (a throwaway CA and serving certificate, the
cluster with its 7 nodes, their leases and kubelets, the system pods of kind's
control plane, kindnet, kube-proxy, CoreDNS and local-path-provisioner, which start
without delay, then the HTTPS listener on 127.0.0.1), and reads the state on the
simulator's loop (``Simulator.call``) every millisecond until every node and every pod is
Ready. 5 runs, each a fresh simulator in this process (the first also pays for caches
filled on first use, such as the OpenAPI schema); median.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

CONFIG = Path(__file__).resolve().parent.parent / "kind-configs" / "three-zones.yaml"
RUNS = 5
TARGET = 0.5
LIMIT = 30.0
POLL = 0.001


def _ready(obj: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (obj.get("status") or {}).get("conditions") or [])


def _counts(cluster: Any) -> tuple[int, int, int, int]:
    """(nodes, Ready nodes, pods, Ready pods)."""
    from chaoszone.sim.resources import by_path

    nodes = [s.obj for s in cluster.store.items(by_path("", "v1", "nodes"))]
    pods = [s.obj for s in cluster.store.items(by_path("", "v1", "pods"))]
    return (len(nodes), sum(map(_ready, nodes)), len(pods), sum(map(_ready, pods)))


def measure() -> dict[str, float]:
    from chaoszone.sim.server import Simulator

    start = time.perf_counter()
    sim = Simulator(config=CONFIG, time_scale=1.0)
    sim.start()
    try:
        started = time.perf_counter() - start
        deadline = time.monotonic() + LIMIT
        while True:
            nodes, ready_nodes, pods, ready_pods = sim.call(_counts)
            if nodes and pods and ready_nodes == nodes and ready_pods == pods:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"not Ready after {LIMIT:.0f} s: {ready_nodes}/{nodes} "
                                   f"nodes, {ready_pods}/{pods} pods")
            time.sleep(POLL)
        ready = time.perf_counter() - start
    finally:
        sim.stop()
    return {"started": started, "ready": ready, "nodes": nodes, "pods": pods}


def run() -> list[str]:
    import chaoszone.sim.server  # noqa: F401  (imports are not timed; first-use caches are)

    lines: list[str] = []
    results = []
    for run_no in range(1, RUNS + 1):
        cpu = time.process_time()
        result = measure()
        cpu = time.process_time() - cpu
        results.append(result)
        lines.append(f"run {run_no}: start() returned after {result['started']:.3f} s; "
                     f"{result['nodes']:.0f} nodes and {result['pods']:.0f} pods Ready after "
                     f"{result['ready']:.3f} s ({cpu:.3f} s CPU)")
    median = statistics.median(r["ready"] for r in results)
    verdict = "meets" if median < TARGET else "MISSES"
    lines.append(f"median: every node and pod Ready {median:.3f} s after construction "
                 f"(target < {TARGET} s: {verdict})")
    return lines


if __name__ == "__main__":
    for line in run():
        print(line, flush=True)
