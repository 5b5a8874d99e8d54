"""Experiment 12, Service endpoints during a zone outage: within budget, the ready
endpoints clients can reach are only in the surviving zones.

The node-lifecycle controller marks the pods of unreachable nodes not Ready, the
EndpointSlice controller drops them from the ready endpoints, and the replacements'
endpoints appear as they turn Ready in the other zones. Each endpoint carries its
node's zone (``EndpointSlice.endpoints[].zone``), which topology-aware routing uses.
"""

from __future__ import annotations

import pytest

from chaoszone import Cluster, expect, faults, workloads

pytestmark = pytest.mark.chaoszone(topology="three-zones-fast", needs={"power"})


def test_ready_endpoints_are_only_in_the_surviving_zones_during_an_outage(
        cluster: Cluster, namespace: str) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=6, spread="zone",
                                             unreachable_toleration=10), namespace=namespace)
    service = cluster.apply(workloads.service("web"), namespace=namespace)
    expect.ready(web, within=60)
    assert expect.endpoints(service, within=30, min_ready=6) == {
        "zone-a": 2, "zone-b": 2, "zone-c": 2}

    with cluster.fault(faults.zone_outage("zone-a")):
        during = expect.endpoints(service, within=60, min_ready=6, outside_zones={"zone-a"})
        assert set(during) == {"zone-b", "zone-c"}
