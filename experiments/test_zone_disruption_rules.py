"""Experiment 13, the node-lifecycle controller's zone disruption rules.

On ``four-node-zone`` (zone-a has four workers), losing three of zone-a's four nodes
evicts nothing, while losing the whole zone does.

Why (``pkg/controller/nodelifecycle/node_lifecycle_controller.go``, 1.32): each monitor
pass classifies every zone by its share of not-Ready nodes. A zone with at least
``--unhealthy-zone-threshold`` (0.55) of its nodes not Ready, and more than two of them,
is in *PartialDisruption* (3 of 4 = 0.75); the controller then taints and evicts at
``--secondary-node-eviction-rate``, which ``ReducedQPSFunc`` sets to 0 in a cluster of
at most ``--large-cluster-size-threshold`` (50) nodes: nothing is tainted
``unreachable:NoExecute`` and no pod is evicted, because so many failures at once more
likely mean a broken network than broken nodes. A zone with *every* node down is in
*FullDisruption*, and while some other zone is healthy it is treated as one that failed
for real: its nodes are tainted and their pods evicted at the normal
``--node-eviction-rate``.

The Deployment spreads one pod per node and honours taints in its spread
(``nodeTaintsPolicy: Honor``), so its replacements may double up on the surviving nodes
(see experiment 6 for what happens otherwise).
"""

from __future__ import annotations

import pytest

from chaoszone import Cluster, expect, faults, workloads

pytestmark = pytest.mark.chaoszone(topology="four-node-zone", needs={"power"})


def test_losing_three_of_four_nodes_evicts_nothing_but_losing_the_zone_does(
        cluster: Cluster, namespace: str) -> None:
    web = cluster.apply(workloads.deployment(
        "web", replicas=8, spread="node", when_unsatisfiable="DoNotSchedule",
        node_taints_policy="Honor", unreachable_toleration=10), namespace=namespace)
    expect.ready(web, within=60)
    three = cluster.zone("zone-a").node_names[:3]
    assert {p.node for p in web.pods()} >= set(three)

    with cluster.fault(faults.node_outage(*three)) as partial:
        assert partial.bit
        expect.no_evictions(web, during=60)  # 6 x the pods' 10 s toleration

    with cluster.fault(faults.zone_outage("zone-a")) as full:
        assert full.bit
        expect.ready(web, within=90, outside_zones={"zone-a"})
