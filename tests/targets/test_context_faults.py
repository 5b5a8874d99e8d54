"""The faults a context:NAME target can make (cordon, drain, taint) on one zone, end to
end against a simulator reached through a kubeconfig context: each bites, does what it
says to the zone's pods, and is reverted when the block ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from context_support import ZONE_A, admin_client, cordoned, simulated_contexts, taint_keys
from kubernetes import client

from chaoszone import Cluster, expect, faults, workloads
from chaoszone.targets.context import ContextTarget

KEY = "chaoszone.io/fault"


@pytest.fixture(scope="module")
def admin_and_cluster(tmp_path_factory: pytest.TempPathFactory
                      ) -> Iterator[tuple[client.ApiClient, Cluster]]:
    directory = tmp_path_factory.mktemp("contexts")
    with simulated_contexts(directory, "game-day") as (sim, kubeconfig), \
            admin_client(sim) as admin:
        target = ContextTarget.connect("game-day", allowed=["game-day"], kubeconfig=kubeconfig)
        cluster = Cluster(target, directory / "run")
        try:
            yield admin, cluster
        finally:
            cluster.close()


@pytest.fixture
def admin(admin_and_cluster: tuple[client.ApiClient, Cluster]) -> client.ApiClient:
    return admin_and_cluster[0]


@pytest.fixture
def cluster(admin_and_cluster: tuple[client.ApiClient, Cluster]) -> Cluster:
    return admin_and_cluster[1]


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    name = cluster.create_namespace("t")
    yield name
    cluster.delete_namespace(name)


def test_cordoning_a_zone_keeps_its_pods_and_sends_new_ones_elsewhere(
        cluster: Cluster, namespace: str, admin: client.ApiClient) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=3, spread="zone"),
                        namespace=namespace)
    expect.ready(web, within=60)
    in_zone_a = {p.uid for p in web.pods() if p.zone == "zone-a"}
    assert in_zone_a

    with cluster.fault(faults.cordon("zone-a")) as cordon:
        assert cordon.bit and cordoned(admin, ZONE_A) == [True, True]
        web = web.scale(6)
        expect.ready(web, within=60)
        assert {p.uid for p in web.pods() if p.zone == "zone-a"} == in_zone_a
    assert cordon.reverted and cordoned(admin, ZONE_A) == [False, False]


def test_a_noexecute_taint_on_a_zone_evicts_its_pods_and_is_removed_after(
        cluster: Cluster, namespace: str, admin: client.ApiClient) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=3, spread="zone"),
                        namespace=namespace)
    expect.ready(web, within=60)
    assert any(p.zone == "zone-a" for p in web.pods())

    with cluster.fault(faults.taint("zone-a", KEY, "true", "NoExecute")) as tainted:
        assert tainted.bit
        assert all(KEY in taint_keys(admin, n) for n in ZONE_A)
        expect.ready(web, within=60, outside_zones={"zone-a"})
    assert tainted.reverted
    assert not any(KEY in taint_keys(admin, n) for n in ZONE_A)


def test_draining_a_zone_evicts_its_pods_into_the_others_and_uncordons_after(
        cluster: Cluster, namespace: str, admin: client.ApiClient) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=3, spread="zone"),
                        namespace=namespace)
    expect.ready(web, within=60)
    evicted = {p.uid for p in web.pods() if p.zone == "zone-a"}
    assert evicted

    with cluster.fault(faults.drain("zone-a", timeout=60)) as drained:
        assert drained.bit and cordoned(admin, ZONE_A) == [True, True]
        expect.ready(web, within=60, outside_zones={"zone-a"})
        assert not evicted & {p.uid for p in web.pods() if not p.deleting}
    assert drained.reverted and cordoned(admin, ZONE_A) == [False, False]
    assert cluster.journal.pending() == []


def test_the_journal_holds_each_undo_record_and_marks_it_done(cluster: Cluster) -> None:
    from chaoszone.journal import read_records

    start = len(read_records(cluster.journal.path))
    with cluster.fault(faults.taint(ZONE_A[0], KEY, "", "NoSchedule")):
        undo = [r for r in read_records(cluster.journal.path)[start:] if r["type"] == "undo"]
        assert [r["action"] for r in undo] == [
            {"op": "remove_taint", "node": ZONE_A[0], "key": KEY, "effect": "NoSchedule"}]
    done = [r for r in read_records(cluster.journal.path)[start:] if r["type"] == "done"]
    assert [r["id"] for r in done] == [undo[0]["id"]]
