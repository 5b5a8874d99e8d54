"""Experiment 10, every worker unhealthy, and a repair Job that brings one back.

As after a bad node-level rollout, the kubelets are alive but every worker is cordoned and
carries a NoExecute fault taint: every ordinary pod is evicted and no replacement can be
scheduled. A repair Job whose pod tolerates every taint (and so may run on a cordoned,
tainted node), pinned to one node, runs :mod:`chaoszone.repair` there: it removes the
fault taint and uncordons the node, and the workload comes back on it.
"""

from __future__ import annotations

import contextlib

import pytest

from chaoszone import Cluster, expect, faults, workloads

pytestmark = pytest.mark.chaoszone(topology="three-zones-fast")

BAD_ROLLOUT = "chaoszone.io/bad-rollout"


def test_a_repair_job_restores_one_node_of_a_cluster_whose_workers_are_all_unhealthy(
        cluster: Cluster, namespace: str) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=3, spread="zone"),
                        namespace=namespace)
    expect.ready(web, within=60)
    node = cluster.zone("zone-a").node_names[0]

    with contextlib.ExitStack() as every_worker_unhealthy:
        for zone in cluster.zones():
            every_worker_unhealthy.enter_context(cluster.fault(faults.cordon(zone.name)))
            every_worker_unhealthy.enter_context(
                cluster.fault(faults.taint(zone.name, BAD_ROLLOUT, "true", "NoExecute")))
        expect.pending(web, reason="Unschedulable", within=30, count=3)

        cluster.repair(node, taint_keys=[BAD_ROLLOUT], namespace=namespace)
        back = expect.ready(web, within=60)
        assert {p.node for p in back} == {node}
