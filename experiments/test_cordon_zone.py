"""Experiment 2, cordon a zone: new pods avoid it; the pods already running there stay.

Cordoning marks a node unschedulable (``spec.unschedulable``, shown as the
``node.kubernetes.io/unschedulable:NoSchedule`` taint): the scheduler places no new pod
there, but nothing evicts the pods it already runs. Uncordoning makes the zone usable
again without moving anything back.
"""

from __future__ import annotations

import pytest

from chaoszone import Cluster, expect, faults, workloads

pytestmark = pytest.mark.chaoszone(topology="three-zones-fast")


def test_new_pods_avoid_a_cordoned_zone_and_its_running_pods_stay(
        cluster: Cluster, namespace: str) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=3, spread="zone"),
                        namespace=namespace)
    expect.ready(web, within=60)
    in_zone_a = {p.uid for p in web.pods() if p.zone == "zone-a"}
    assert in_zone_a, "the steady state put no pod in zone-a; the experiment would prove nothing"

    with cluster.fault(faults.cordon("zone-a")) as cordoned:
        assert cordoned.bit
        web = web.scale(9)
        expect.ready(web, within=60, outside_zones={"zone-a"}, min_ready=9 - len(in_zone_a))
        expect.ready(web, within=60)
        assert {p.uid for p in web.pods() if p.zone == "zone-a"} == in_zone_a
    assert cordoned.reverted
