"""Garbage collection by ownerReferences (chaoszone.sim.controllers.garbagecollector): what
a new dependent, an owner's deletion and a dependent's later writes lead to, as upstream's
graph builder queues them (docs/simulator.md, "What the controllers do with each write")."""

from __future__ import annotations

from typing import Any

from clusterkit import PODS, rt

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.registry import DeleteOptions

CONFIGMAPS = rt("", "v1", "configmaps")


def config_map(cluster: Cluster, name: str) -> dict[str, Any]:
    return cluster.registry.create(CONFIGMAPS, "default", {"metadata": {"name": name}}).obj


def owned_pod(cluster: Cluster, name: str, owner: dict[str, Any]) -> None:
    cluster.registry.create(PODS, "default", {
        "metadata": {"name": name, "ownerReferences": [{
            "apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"]}]},
        "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}})


def pod_names(cluster: Cluster) -> set[str]:
    return {s.name for s in cluster.store.items(PODS, "default")}


def test_a_new_pod_whose_owner_does_not_exist_is_collected(cluster: Cluster) -> None:
    ghost = {"metadata": {"name": "gone", "uid": "7f0c5d2e-0000-4000-8000-000000000000"}}
    owned_pod(cluster, "orphaned", ghost)
    cluster.settle()
    assert pod_names(cluster) == set()


def test_a_new_pod_whose_owner_exists_is_kept(cluster: Cluster) -> None:
    owner = config_map(cluster, "owner")
    owned_pod(cluster, "kept", owner)
    cluster.settle()
    assert pod_names(cluster) == {"kept"}


def test_a_pod_kept_by_its_owner_goes_when_the_owner_is_deleted(cluster: Cluster) -> None:
    owner = config_map(cluster, "owner")
    owned_pod(cluster, "dependent", owner)
    cluster.settle()
    cluster.registry.delete(CONFIGMAPS, "default", "owner", DeleteOptions())
    cluster.settle()
    assert pod_names(cluster) == set()


def test_a_status_write_of_a_dependent_leaves_its_owners_waiting_deletion_alone(
        cluster: Cluster) -> None:
    owner = config_map(cluster, "owner")
    owned_pod(cluster, "dependent", owner)
    cluster.settle()
    stored = cluster.store.get(PODS, "default", "dependent")
    assert stored is not None
    cluster.registry.update(PODS, "default", "dependent", {
        "metadata": {"resourceVersion": stored.meta["resourceVersion"]},
        "status": {"phase": "Running"}}, subresource="status")
    cluster.settle()
    assert pod_names(cluster) == {"dependent"}
    assert cluster.store.get(CONFIGMAPS, "default", "owner") is not None

