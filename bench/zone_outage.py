"""A zone outage at 1.32's default timers: wall time until the lost pods are back.

Target: under 10 s of wall time. A :class:`~chaoszone.sim.server.Simulator` serves
``kind-configs/three-zones.yaml`` (three zones of two workers, the Kubernetes 1.32
defaults: a 50 s node-monitor grace period, 300 s unreachable tolerations) at
``time_scale=60``, on its own thread in this process. Over its HTTPS API on 127.0.0.1 a
Deployment of 6 replicas spread over the zones (``ScheduleAnyway``: a hard constraint
would keep the replacements out of the surviving zones) is created and awaited; then
both ``zone-a`` workers are powered off through the control API and the clock starts.
It stops when as many new pods as ``zone-a`` held are Ready on nodes outside the zone.

Upstream's timeline, which the simulator follows: the nodes stop renewing their leases,
the node lifecycle controller sees them silent for the 50 s grace period (it looks every
5 s), marks them ``Unknown`` and taints them ``unreachable:NoExecute`` (the fully
disrupted zone's tainter admits 0.1 nodes per second, so the second node 10 s later),
the pods' default 300 s toleration runs out, the taint-eviction controller deletes them,
the ReplicaSet controller replaces them and the scheduler puts the replacements in
``zone-b`` and ``zone-c``: about 365 cluster seconds, 6.1 s of wall time at scale 60.
The state is read on the simulator's loop (``Simulator.call``) every 10 ms.
"""

from __future__ import annotations

import json
import ssl
import statistics
import time
import urllib.request
from pathlib import Path
from typing import Any

CONFIG = Path(__file__).resolve().parent.parent / "kind-configs" / "three-zones.yaml"
TIME_SCALE = 60.0
ZONE = "zone-a"
ZONE_KEY = "topology.kubernetes.io/zone"
REPLICAS = 6
RUNS = 3
TARGET = 10.0
SETUP_LIMIT = 30.0
OUTAGE_LIMIT = 60.0
POLL = 0.01


def _deployment() -> dict[str, Any]:
    labels = {"app": "outage"}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "outage"},
            "spec": {"replicas": REPLICAS, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {
                         "topologySpreadConstraints": [{
                             "maxSkew": 1, "topologyKey": ZONE_KEY,
                             "whenUnsatisfiable": "ScheduleAnyway",
                             "labelSelector": {"matchLabels": labels}}],
                         "containers": [{"name": "app",
                                         "image": "registry.k8s.io/pause:3.10"}]}}}}


class _Api:
    """The simulator's HTTPS API with its bearer token (loopback only)."""

    def __init__(self, url: str, token: str, ca_path: str) -> None:
        self.url, self.token = url, token
        self.context = ssl.create_default_context(cafile=ca_path)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/json", "Accept": "application/json"})
        with urllib.request.urlopen(request, context=self.context, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer


def _ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def _state(cluster: Any) -> dict[str, Any]:
    """What the loop needs, read on the simulator's thread."""
    from chaoszone.sim.resources import by_path

    node_rt, pod_rt = by_path("", "v1", "nodes"), by_path("", "v1", "pods")
    nodes = {}
    for stored in cluster.store.items(node_rt):
        ready = next((c.get("status") for c in (stored.obj.get("status") or {}).get(
            "conditions") or [] if c.get("type") == "Ready"), None)
        taints = {t.get("key") for t in (stored.obj.get("spec") or {}).get("taints") or []
                  if t.get("effect") == "NoExecute"}
        nodes[stored.name] = (stored.labels.get(ZONE_KEY), ready, taints)
    pods = [(s.meta["uid"], (s.obj.get("spec") or {}).get("nodeName"),
             bool(s.meta.get("deletionTimestamp")), _ready(s.obj))
            for s in cluster.store.items(pod_rt, "default") if s.labels.get("app") == "outage"]
    return {"now": cluster.clock.now(), "nodes": nodes, "pods": pods}


def _wait(sim: Any, done: Any, limit: float) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while True:
        state: dict[str, Any] = sim.call(_state)
        if done(state):
            return state
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up after {limit:.0f} s of wall time")
        time.sleep(POLL)


def measure() -> dict[str, Any]:
    from chaoszone.sim.server import Simulator

    with Simulator(config=CONFIG, time_scale=TIME_SCALE) as sim:
        api = _Api(sim.url, sim.token, sim.ca_path)
        api.post("/apis/apps/v1/namespaces/default/deployments", _deployment())
        state = _wait(sim, lambda s: sum(1 for p in s["pods"] if p[3]) >= REPLICAS,
                      SETUP_LIMIT)
        lost_nodes = sorted(n for n, (zone, _, _) in state["nodes"].items() if zone == ZONE)
        before = {uid for uid, *_ in state["pods"]}
        lost = sum(1 for _, node, _, _ in state["pods"] if node in lost_nodes)
        if not lost:
            raise RuntimeError(f"no pod of the Deployment landed in {ZONE}")
        start, cluster_start = time.perf_counter(), state["now"]
        for node in lost_nodes:
            api.post(f"/sim/v1/nodes/{node}/power", {"state": "off"})
        marks: dict[str, tuple[float, float]] = {}

        def done(s: dict[str, Any]) -> bool:
            at = (time.perf_counter() - start, s["now"] - cluster_start)
            nodes = s["nodes"]
            if all(nodes[n][1] != "True" for n in lost_nodes):
                marks.setdefault("nodes not Ready", at)
            if all("node.kubernetes.io/unreachable" in nodes[n][2] for n in lost_nodes):
                marks.setdefault("nodes tainted unreachable:NoExecute", at)
            if any(deleting for _, node, deleting, _ in s["pods"] if node in lost_nodes):
                marks.setdefault("first lost pod evicted", at)
            fresh = [p for p in s["pods"] if p[0] not in before]
            if len(fresh) >= lost:
                marks.setdefault("replacements created", at)
            back = sum(1 for _, node, deleting, ready in fresh
                       if ready and not deleting and node and nodes[node][0] != ZONE)
            if back >= lost:
                marks.setdefault("replacements Ready outside the zone", at)
                return True
            return False

        _wait(sim, done, OUTAGE_LIMIT)
    return {"lost": lost, "lost_nodes": lost_nodes, "marks": marks,
            "seconds": marks["replacements Ready outside the zone"][0]}


def run() -> list[str]:
    lines: list[str] = []
    seconds: list[float] = []
    for run_no in range(1, RUNS + 1):
        result = measure()
        seconds.append(result["seconds"])
        marks = "; ".join(f"{name} {wall:.2f} s ({cluster:.0f} cluster s)"
                          for name, (wall, cluster) in result["marks"].items())
        lines.append(f"run {run_no}: {result['lost']} pods lost with "
                     f"{', '.join(result['lost_nodes'])}: {marks}")
    median = statistics.median(seconds)
    verdict = "meets" if median < TARGET else "MISSES"
    lines.append(f"median: replacements Ready outside {ZONE} {median:.2f} s of wall time after "
                 f"power-off at time_scale {TIME_SCALE:.0f} (target < {TARGET:.0f} s: {verdict})")
    return lines


if __name__ == "__main__":
    for line in run():
        print(line, flush=True)
