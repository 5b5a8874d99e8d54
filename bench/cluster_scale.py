"""A whole cluster at scale: 30,000 pods from Deployments on 1,000 nodes in 3 zones.

Targets at 1,000 nodes and 30,000 pods: every pod Running at 1,000 pods per second or
more, and a peak resident memory under 2 GB. The same run at 100 nodes and 3,000 pods
shows how the cost grows.

Each size runs in a child process of its own (so its peak memory is its own) and is
driven in-process, without HTTP: a kind config with the workers spread round-robin over
``zone-a``, ``zone-b`` and ``zone-c`` is generated in a temporary directory, the cluster
is built from it with a manual clock (``Cluster.from_kind_config(..., manual_clock=True)``)
and settled until every node is Ready (timed apart), then one Deployment per 1,000 pods
is created, each with a ``topology.kubernetes.io/zone`` spread constraint (maxSkew 1,
DoNotSchedule). ``cluster.settle()`` and ``cluster.runtime.advance(1)`` then run the
Deployment and ReplicaSet controllers, the scheduler, the kubelets and every other
controller until every pod is Running. Cluster time jumps (a pod's container starts
1 cluster second after its binding), so the wall and CPU times are all work: the
simulator's cost, with nothing waited for. Deterministic apart from the scheduler's
tie-breaking. The garbage collector's thresholds are raised first with
``chaoszone.sim.server.tune_gc()``, as every ``Simulator`` does when it starts.

Run one size alone: ``.venv/bin/python -m bench.cluster_scale NODES PODS``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

SIZES = ((100, 3_000), (1_000, 30_000))
ZONES = ("zone-a", "zone-b", "zone-c")
ZONE_KEY = "topology.kubernetes.io/zone"
REPLICAS = 1_000  # per Deployment
TARGET_RATE = 1000.0
TARGET_MB = 2000.0
MIB_PER_MB = 1_000_000 / 1_048_576
#: the child gives up after this much wall time or cluster time
WALL_LIMIT = 1800.0
CLUSTER_LIMIT = 600.0
IMAGE = ("kindest/node:v1.32.11@sha256:"
         "5fc52d52a7b9574015299724bd68f183702956aa4a2116ae75a63cb574b35af8")


def kind_config(nodes: int) -> str:
    """One control plane and ``nodes`` workers, zones round-robin; a pod subnet with room
    for a /24 per node (kind's default /16 holds only 256)."""
    lines = ["kind: Cluster", "apiVersion: kind.x-k8s.io/v1alpha4", "name: scale",
             "networking:", "  podSubnet: 10.128.0.0/12", "nodes:",
             "- role: control-plane", f"  image: {IMAGE}"]
    for i in range(nodes):
        lines += ["- role: worker", f"  image: {IMAGE}", "  labels:",
                  "    topology.kubernetes.io/region: region-1",
                  f"    {ZONE_KEY}: {ZONES[i % len(ZONES)]}"]
    return "\n".join(lines) + "\n"


def deployment(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {"metadata": {"name": name}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {
            "topologySpreadConstraints": [{
                "maxSkew": 1, "topologyKey": ZONE_KEY, "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": labels}}],
            "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10",
                            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}}}


def _peak_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(nodes: int, pods: int) -> dict[str, Any]:
    """Build, deploy and run one size in this process; the measurements as a dict."""
    from chaoszone.sim.cluster import Cluster
    from chaoszone.sim.resources import by_path
    from chaoszone.sim.server import tune_gc
    from chaoszone.sim.watch import DELETED, Event

    tune_gc()  # what a Simulator does when it starts

    node_rt, pod_rt = by_path("", "v1", "nodes"), by_path("", "v1", "pods")
    deploy_rt = by_path("apps", "v1", "deployments")
    assert node_rt is not None and pod_rt is not None and deploy_rt is not None
    deadline = time.monotonic() + WALL_LIMIT
    with tempfile.TemporaryDirectory(prefix="chaoszone-bench-") as tmp:
        path = Path(tmp) / "kind.yaml"
        path.write_text(kind_config(nodes))
        wall, cpu = time.perf_counter(), time.process_time()
        cluster = Cluster.from_kind_config(path, manual_clock=True)
        cluster.settle()
    ready_nodes = sum(
        1 for s in cluster.store.items(node_rt)
        if any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (s.obj.get("status") or {}).get("conditions") or []))
    build_wall, build_cpu = time.perf_counter() - wall, time.process_time() - cpu
    build_peak = _peak_mib()

    running: set[str] = set()
    ready: set[str] = set()

    def listen(event: Event) -> None:
        if event.resource is not pod_rt or event.new.namespace != "default":
            return
        uid = event.new.meta["uid"]
        if event.type == DELETED:
            running.discard(uid)
            ready.discard(uid)
            return
        status = event.new.obj.get("status") or {}
        (running.add if status.get("phase") == "Running" else running.discard)(uid)
        is_ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                       for c in status.get("conditions") or [])
        (ready.add if is_ready else ready.discard)(uid)

    cluster.runtime.listen(listen)
    count = pods // REPLICAS
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        cluster.registry.create(deploy_rt, "default", deployment(f"app-{i:02d}", REPLICAS))
    cluster.settle()
    stepped = 0.0
    all_running: tuple[float, float] | None = None
    while stepped < CLUSTER_LIMIT and time.monotonic() < deadline:
        if all_running is None and len(running) >= pods:
            all_running = (time.perf_counter() - wall, time.process_time() - cpu)
        if all_running is not None and len(ready) >= pods:
            break
        cluster.runtime.advance(1.0)
        stepped += 1.0
    all_ready = (time.perf_counter() - wall, time.process_time() - cpu)
    peak = _peak_mib()

    node_zone = {s.name: s.labels.get(ZONE_KEY, "") for s in cluster.store.items(node_rt)}
    per_app: dict[str, Counter[str]] = defaultdict(Counter)
    pods_per_node: Counter[str] = Counter()
    for stored in cluster.store.items(pod_rt, "default"):
        node = (stored.obj.get("spec") or {}).get("nodeName")
        if node:
            per_app[stored.labels.get("app", "")][node_zone.get(node, "")] += 1
            pods_per_node[node] += 1
    skews = [max(c[z] for z in ZONES) - min(c[z] for z in ZONES) for c in per_app.values()]
    return {
        "nodes": nodes, "pods": pods, "deployments": count, "ready_nodes": ready_nodes,
        "build_wall": build_wall, "build_cpu": build_cpu, "build_peak_mib": build_peak,
        "running": len(running), "ready": len(ready), "cluster_seconds": stepped,
        "running_wall": all_running[0] if all_running else None,
        "running_cpu": all_running[1] if all_running else None,
        "ready_wall": all_ready[0], "ready_cpu": all_ready[1],
        "peak_mib": peak, "max_skew": max(skews, default=0),
        "zones": {z: sum(c[z] for c in per_app.values()) for z in ZONES},
        "max_pods_per_node": max(pods_per_node.values(), default=0),
    }


def _lines(r: dict[str, Any]) -> list[str]:
    nodes, pods = r["nodes"], r["pods"]
    lines = [f"{nodes} nodes: built and all {r['ready_nodes']} nodes Ready in "
             f"{r['build_wall']:.1f} s wall, {r['build_cpu']:.1f} s CPU "
             f"(peak {r['build_peak_mib']:.0f} MiB)"]
    if r["running_wall"] is None:
        lines.append(f"{nodes} nodes, {pods} pods: only {r['running']} Running after "
                     f"{r['ready_wall']:.0f} s wall / {r['cluster_seconds']:.0f} cluster s "
                     f"(gave up; target {TARGET_RATE:.0f} pods/s: MISSES)")
    else:
        rate, cpu_rate = pods / r["running_wall"], pods / r["running_cpu"]
        verdict = "meets" if rate >= TARGET_RATE else "MISSES"
        lines.append(
            f"{nodes} nodes, {r['deployments']} Deployments, {pods} pods: all Running in "
            f"{r['running_wall']:.1f} s wall = {rate:.0f} pods/s (CPU {r['running_cpu']:.1f} s "
            f"= {cpu_rate:.0f} pods/s, {r['running_cpu'] / pods * 1e6:.0f} us per pod); "
            f"all Ready at {r['ready_wall']:.1f} s wall (target >= {TARGET_RATE:.0f} pods/s "
            f"of wall time: {verdict})")
    lines.append(f"{nodes} nodes: per zone {r['zones']}, largest skew within a Deployment "
                 f"{r['max_skew']}, at most {r['max_pods_per_node']} pods on a node")
    peak_mb = r["peak_mib"] / MIB_PER_MB
    verdict = "meets" if peak_mb < TARGET_MB else "MISSES"
    lines.append(f"{nodes} nodes, {pods} pods: peak memory (VmHWM) {r['peak_mib']:.0f} MiB = "
                 f"{peak_mb:.0f} MB (target < {TARGET_MB:.0f} MB: {verdict})")
    return lines


def run() -> list[str]:
    lines: list[str] = []
    for nodes, pods in SIZES:
        child = subprocess.run(
            [sys.executable, "-m", "bench.cluster_scale", "--json", str(nodes), str(pods)],
            capture_output=True, text=True, timeout=WALL_LIMIT + 600,
            cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, "PYTHONHASHSEED": "0"})
        if child.returncode != 0:
            raise RuntimeError(f"{nodes} nodes: the child failed:\n{child.stderr[-3000:]}")
        lines += _lines(json.loads(child.stdout.strip().splitlines()[-1]))
    return lines


if __name__ == "__main__":
    args = sys.argv[1:]
    as_json = "--json" in args
    numbers = [int(a) for a in args if a != "--json"]
    result = measure(*(numbers or SIZES[0]))
    if as_json:
        print(json.dumps(result))
    else:
        for line in _lines(result):
            print(line, flush=True)
