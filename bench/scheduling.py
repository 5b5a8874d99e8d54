"""Pods scheduled per second: 30,000 pods with a zone spread constraint on 1,000 nodes.

Target: at least 1,000 pods per second. The cluster runs in this process with a manual
clock; the pods are created first (not timed), then the scheduler places them all in
one ``settle``. Both wall time and this process's CPU time are reported: on a shared
machine the CPU time is the steadier measure.

Run alone: ``.venv/bin/python bench/scheduling.py [nodes] [pods]``.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.resources import by_path

NODES = 1_000
PODS = 30_000
ZONES = ("zone-a", "zone-b", "zone-c")
TARGET = 1000.0
ZONE_KEY = "topology.kubernetes.io/zone"


def run(nodes: int = NODES, pods: int = PODS) -> list[str]:
    node_rt, pod_rt = by_path("", "v1", "nodes"), by_path("", "v1", "pods")
    assert node_rt is not None and pod_rt is not None
    cluster = Cluster(manual_clock=True)
    allocatable = {"cpu": "64", "memory": "256Gi", "pods": "110"}
    for i in range(nodes):
        cluster.registry.create(node_rt, None, {
            "metadata": {"name": f"node-{i:04}", "labels": {
                ZONE_KEY: ZONES[i % len(ZONES)], "kubernetes.io/hostname": f"node-{i:04}"}},
            "status": {"allocatable": allocatable, "capacity": allocatable,
                       "conditions": [{"type": "Ready", "status": "True"}]}})
    cluster.settle()
    spread = [{"maxSkew": 1, "topologyKey": ZONE_KEY, "whenUnsatisfiable": "DoNotSchedule",
               "labelSelector": {"matchLabels": {"app": "web"}}}]
    for i in range(pods):
        cluster.registry.create(pod_rt, "default", {
            "metadata": {"name": f"web-{i}", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "registry.k8s.io/pause:3.10",
                                     "resources": {"requests": {"cpu": "100m",
                                                                "memory": "128Mi"}}}],
                     "topologySpreadConstraints": spread}})
    wall, cpu = time.perf_counter(), time.process_time()
    cluster.settle()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    zones = Counter(
        stored.obj["spec"].get("nodeName", "") and ZONES[int(stored.obj["spec"]["nodeName"][5:])
                                                       % len(ZONES)]
        for stored in cluster.store.items(pod_rt, "default"))
    placed = sum(n for z, n in zones.items() if z)
    rate = pods / cpu
    verdict = "meets" if rate >= TARGET else "MISSES"
    return [f"{nodes} nodes, {pods} pods with a zone spread constraint: {placed} placed, "
            f"per zone {dict(sorted((z, n) for z, n in zones.items() if z))}",
            f"wall {wall:.1f} s = {pods / wall:.0f} pods/s; CPU {cpu:.1f} s = "
            f"{rate:.0f} pods/s, {cpu / pods * 1e6:.0f} us per pod "
            f"(target >= {TARGET:.0f}/s of CPU: {verdict})"]


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    for line in run(*args):
        print(line, flush=True)
