"""Experiment 11, control-plane loss on the HA topology (one control-plane node per zone).

etcd, stacked on each control-plane node by kubeadm, needs a majority of its members: with
one of three control-plane nodes lost the API stays available (the lost node goes
NotReady like any other), with two of three lost it does not answer until one returns.
"""

from __future__ import annotations

import pytest

from chaoszone import Cluster, expect, faults, workloads

pytestmark = pytest.mark.chaoszone(topology="three-zones-ha-fast", needs={"power"})


def test_the_api_survives_one_lost_control_plane_zone_but_not_two(
        cluster: Cluster, namespace: str) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=3, spread="zone"),
                        namespace=namespace)
    expect.ready(web, within=60)

    with cluster.fault(faults.control_plane_loss("zone-a")) as one:
        assert one.bit  # zone-a's control-plane node went NotReady, seen through the API
        expect.api_available(cluster)
        expect.ready(web, within=10)
        with cluster.fault(faults.control_plane_loss("zone-b")) as two:
            assert two.bit
            expect.api_unavailable(cluster, within=5)
        expect.api_available(cluster, within=30)
    expect.ready(web, within=60)
