"""cluster.fault on the simulator: checked first, journalled, shown to bite, always undone."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from chaoszone import (
    Cluster,
    ExpectationFailed,
    FaultError,
    InvalidExperiment,
    expect,
    faults,
    workloads,
)
from chaoszone.faults import NOT_READY, Fault
from chaoszone.journal import read_records


def unschedulable(cluster: Cluster, zone: str) -> list[bool]:
    core = client.CoreV1Api(cluster.api_client())
    return [bool(core.read_node(n).spec.unschedulable) for n in cluster.zone(zone).node_names]


def test_a_fault_on_an_unknown_zone_is_refused_before_anything_is_journalled(
        cluster: Cluster) -> None:
    before = read_records(cluster.journal.path)
    with pytest.raises(InvalidExperiment, match="zone-a, zone-b, zone-c"), \
            cluster.fault(faults.zone_outage("zone-d")):
        pass
    assert read_records(cluster.journal.path) == before


def test_a_fault_is_reverted_when_the_block_raises(cluster: Cluster) -> None:
    with pytest.raises(RuntimeError, match="boom"), \
            cluster.fault(faults.cordon("zone-b")) as cordoned:
        assert unschedulable(cluster, "zone-b") == [True, True]
        raise RuntimeError("boom")
    assert cordoned.reverted
    assert unschedulable(cluster, "zone-b") == [False, False]
    assert cluster.journal.pending() == []


def test_a_fault_is_reverted_on_ctrl_c(cluster: Cluster) -> None:
    with pytest.raises(KeyboardInterrupt), cluster.fault(faults.taint("zone-c", "chaos", "on",
                                                                      "NoSchedule")):
        raise KeyboardInterrupt
    taints = [t.key for n in cluster.zone("zone-c").node_names
              for t in client.CoreV1Api(cluster.api_client()).read_node(n).spec.taints or []]
    assert "chaos" not in taints
    assert cluster.journal.pending() == []


class Harmless(Fault):
    """A fault that claims to take nodes down and does nothing."""

    implies = NOT_READY

    def nodes(self, topology: Any) -> tuple[str, ...]:
        return topology.zone("zone-a").node_names

    def inject(self, target: Any, journal: Any, nodes: tuple[str, ...]) -> None:
        pass

    def __repr__(self) -> str:
        return "harmless('zone-a')"


def test_a_fault_that_does_not_bite_fails_loudly_with_what_was_seen(cluster: Cluster) -> None:
    with pytest.raises(FaultError, match=r"harmless.*did not bite") as caught, \
            cluster.fault(Harmless(), bite_within=2):
        pytest.fail("the block must not run when the fault did not bite")
    assert "Ready=True" in str(caught.value)


def test_a_partition_makes_the_zone_not_ready_and_restores_it(cluster: Cluster) -> None:
    with cluster.fault(faults.partition("zone-a")) as cut:
        assert cut.bit
    expect.nodes_ready(cluster.zone("zone-a"), within=5)


def test_a_failed_expectation_is_an_assertion_listing_what_it_saw_in_time_order(
        cluster: Cluster, namespace: str) -> None:
    nowhere = cluster.apply(workloads.deployment(
        "nowhere", replicas=1, node_selector={"topology.kubernetes.io/zone": "zone-z"}),
        namespace=namespace)
    with pytest.raises(ExpectationFailed) as caught:
        expect.ready(nowhere, within=5)
    assert isinstance(caught.value, AssertionError)
    message = str(caught.value)
    assert "not within 5 cluster seconds" in message
    lines = [line for line in message.splitlines() if line.startswith("  t+")]
    times = [float(line.split()[0].removeprefix("t+").removesuffix("s")) for line in lines]
    assert times == sorted(times) and len(times) >= 1
    assert "Pending" in lines[-1]


def test_a_pod_pinned_to_no_zone_is_pending_as_unschedulable(
        cluster: Cluster, namespace: str) -> None:
    nowhere = cluster.apply(workloads.deployment(
        "nowhere", replicas=1, node_selector={"topology.kubernetes.io/zone": "zone-z"}),
        namespace=namespace)
    [message] = expect.pending(nowhere, reason="Unschedulable", within=30)
    assert "didn't match Pod's node affinity/selector" in message


def test_a_drain_refused_by_a_disruption_budget_fails_naming_the_pods(
        cluster: Cluster, namespace: str) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=3, spread="zone"),
                        namespace=namespace)
    cluster.apply(workloads.pdb("web", min_available=3), namespace=namespace)
    expect.ready(web, within=60)
    with pytest.raises(FaultError, match=r"refused by a disruption budget \(429\)"), \
            cluster.fault(faults.drain("zone-a", timeout=12)):
        pass
    assert unschedulable(cluster, "zone-a") == [False, False]


def test_a_drain_evicts_the_zones_pods_but_daemonset_pods_and_they_move(
        cluster: Cluster, namespace: str) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=3, spread="zone"),
                        namespace=namespace)
    cluster.apply(workloads.pdb("web", max_unavailable=1), namespace=namespace)
    expect.ready(web, within=60)
    zone_a = cluster.zone("zone-a")
    with cluster.fault(faults.drain("zone-a", timeout=60)) as drained:
        assert drained.bit
        expect.ready(web, within=60, outside_zones={"zone-a"})
        core = client.CoreV1Api(cluster.api_client())
        left = [p for n in zone_a.node_names for p in core.list_pod_for_all_namespaces(
            field_selector=f"spec.nodeName={n}").items if p.metadata.deletion_timestamp is None]
        assert left, "kind runs DaemonSet pods (kindnet, kube-proxy) on every node"
        assert all(o.kind == "DaemonSet" for p in left for o in p.metadata.owner_references)


def test_a_monitor_fails_when_ready_pods_dip_below_the_minimum_at_any_moment(
        cluster: Cluster, namespace: str) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=3, spread="zone"),
                        namespace=namespace)
    expect.ready(web, within=60)
    with pytest.raises(ExpectationFailed, match="fewer than 3 pods Ready") as caught, \
            expect.ready_throughout(web, min_ready=3), \
            cluster.fault(faults.drain("zone-b", timeout=30)):
        expect.ready(web, within=60, outside_zones={"zone-b"})
    assert "2 ready" in str(caught.value)


def test_a_paused_zone_goes_not_ready_and_comes_back_when_resumed(cluster: Cluster) -> None:
    with cluster.fault(faults.zone_outage("zone-c", mode="pause")) as hung:
        assert hung.bit
        assert [cluster.target.power_state(n) for n in hung.nodes] == ["paused", "paused"]
    assert [cluster.target.power_state(n) for n in hung.nodes] == ["on", "on"]
    expect.nodes_ready(cluster.zone("zone-c"), within=5)
