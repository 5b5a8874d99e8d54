"""Experiment 3, drain a zone under a disruption budget: the budget is never broken, and
the pods end up in the other zones.

A drain cordons the zone's nodes and evicts their pods through the eviction API. The
API server refuses an eviction (429 TooManyRequests) that would leave fewer healthy pods
than the PodDisruptionBudget's ``minAvailable``; the drain retries until the
Deployment's replacement is Ready elsewhere. So the number of Ready pods never drops
below the budget at any moment of the drain, which a continuous monitor checks (every
watch event, not a spot check).
"""

from __future__ import annotations

import pytest

from chaoszone import Cluster, expect, faults, workloads

pytestmark = pytest.mark.chaoszone(topology="three-zones-fast")


def test_draining_a_zone_never_breaks_the_budget_and_moves_the_pods_out(
        cluster: Cluster, namespace: str) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=6, spread="zone"),
                        namespace=namespace)
    cluster.apply(workloads.pdb("web", min_available=5), namespace=namespace)
    expect.ready(web, within=60)

    with expect.ready_throughout(web, min_ready=5) as monitor, \
            cluster.fault(faults.drain("zone-a", timeout=120)) as drained:
        assert drained.bit
        moved = expect.ready(web, within=60, outside_zones={"zone-a"})
        assert {p.zone for p in moved} == {"zone-b", "zone-c"}
    assert monitor.lowest == 5  # the drain used the one disruption the budget allows
