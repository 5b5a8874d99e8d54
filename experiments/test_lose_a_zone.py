"""Experiment 5, zone outage: every machine of zone-a loses power.

What Kubernetes 1.32 does, on the fast-timer topology (node-monitor-grace-period 20 s,
pods tolerating unreachable nodes for 10 s): the node-lifecycle controller marks the
zone's nodes Ready=Unknown once their leases lapse and taints them
``node.kubernetes.io/unreachable:NoExecute``; after each pod's ``tolerationSeconds`` the
taint manager evicts it, and its ReplicaSet creates replacements that schedule in the
surviving zones. When power returns, the kubelets report again, the nodes turn Ready and
the taints go.

Kubernetes does not rebalance by itself: nothing moves running pods back into the
restored zone (the scheduler only places new pods; rebalancing takes a rollout, a scale
down and up, or the descheduler), so after recovery the Deployment stays 3-3-0.
"""

from __future__ import annotations

import pytest

from chaoszone import Cluster, expect, faults, workloads

pytestmark = pytest.mark.chaoszone(topology="three-zones-fast", needs={"power"})


def test_pods_of_a_lost_zone_are_replaced_in_the_surviving_zones_within_budget(
        cluster: Cluster, namespace: str) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=6, spread="zone",
                                             unreachable_toleration=10),
                        namespace=namespace)
    expect.ready(web, within=60)
    assert {p.zone for p in web.pods()} == {"zone-a", "zone-b", "zone-c"}
    zone_a = cluster.zone("zone-a")

    with cluster.fault(faults.zone_outage("zone-a")) as outage:
        assert outage.bit  # the zone's nodes really went NotReady
        expect.nodes_tainted(zone_a, "node.kubernetes.io/unreachable", effect="NoExecute",
                             within=30)
        moved = expect.ready(web, within=90, outside_zones={"zone-a"})
        assert {p.zone for p in moved} == {"zone-b", "zone-c"}

    assert outage.reverted
    expect.nodes_ready(zone_a, within=60)
    # no rebalancing: the restored zone gets nothing back by itself
    assert not [p for p in web.pods() if p.zone == "zone-a" and not p.deleting]
    assert expect.spread(web, max_skew=0, zones={"zone-b", "zone-c"}) == {"zone-b": 3,
                                                                         "zone-c": 3}
