"""expect.volume_data: the identity a StatefulSet's pods keep in their volumes, read from
their logs where containers really run, and None on the simulator."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chaoszone import Cluster, expect, workloads
from chaoszone.targets import CONTAINERS, INFRASTRUCTURE


@dataclass
class RunningContainers:
    """The simulator's target, claiming that its containers really run."""

    inner: Any
    capabilities: frozenset[str] = INFRASTRUCTURE | {CONTAINERS}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_volume_data_is_none_on_the_simulator_whose_volumes_have_no_contents(
        cluster: Cluster, namespace: str) -> None:
    cluster.apply(workloads.service("db", headless=True), namespace=namespace)
    db = cluster.apply(workloads.statefulset("db", replicas=3), namespace=namespace)
    expect.ready(db, within=120)
    assert expect.volume_data(db) is None


def test_volume_data_reads_each_ready_pod_s_first_log_line_where_containers_run(
        cluster: Cluster, namespace: str) -> None:
    cluster.apply(workloads.service("db", headless=True), namespace=namespace)
    db = cluster.apply(workloads.statefulset("db", replicas=3), namespace=namespace)
    expect.ready(db, within=120)
    running = replace(db, target=RunningContainers(cluster.target))
    # the simulated kubelet's first log line stands in for the identity a real one prints
    assert expect.volume_data(running) == {
        f"db-{i}": "chaoszone: container db started" for i in range(3)}
