"""Experiment 9, nodeSelector pinning: pods pinned to a zone that is lost stay Pending.

A ``nodeSelector`` on ``topology.kubernetes.io/zone`` is a hard requirement: when the
zone's nodes are unreachable (and tainted), the replacements for its evicted pods match
no schedulable node and stay Pending as Unschedulable, while an unpinned workload fails
over to the other zones as usual.
"""

from __future__ import annotations

import pytest

from chaoszone import Cluster, expect, faults, workloads

pytestmark = pytest.mark.chaoszone(topology="three-zones-fast", needs={"power"})

ZONE = "topology.kubernetes.io/zone"


def test_pods_pinned_to_a_lost_zone_stay_pending_and_the_others_fail_over(
        cluster: Cluster, namespace: str) -> None:
    pinned = cluster.apply(workloads.deployment("pinned", replicas=2,
                                                node_selector={ZONE: "zone-a"},
                                                unreachable_toleration=10),
                           namespace=namespace)
    free = cluster.apply(workloads.deployment("free", replicas=3, spread="zone",
                                              unreachable_toleration=10),
                         namespace=namespace)
    expect.ready(pinned, within=60, inside_zones={"zone-a"})
    expect.ready(free, within=60)

    with cluster.fault(faults.zone_outage("zone-a")):
        messages = expect.pending(pinned, reason="Unschedulable", within=90, count=2)
        assert all("node(s) didn't match Pod's node affinity/selector" in m for m in messages)
        expect.ready(free, within=90, outside_zones={"zone-a"})
