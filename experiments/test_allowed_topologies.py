"""Experiment 8, allowedTopologies: claims are provisioned only in the allowed zones.

A StorageClass with ``allowedTopologies`` and ``WaitForFirstConsumer`` binding makes the
scheduler's VolumeBinding plugin place a pod whose claim is still unbound only on nodes
the class allows, and the volume is then made there. So every replica of a StatefulSet
on such a class runs, with its volume, in the allowed zones, even when its spread
constraint would rather use the others (``ScheduleAnyway``).
"""

from __future__ import annotations

import uuid

import pytest
from kubernetes import client

from chaoszone import Cluster, expect, workloads

pytestmark = pytest.mark.chaoszone(topology="three-zones-fast")


def test_claims_of_a_class_with_allowed_topologies_are_made_only_in_those_zones(
        cluster: Cluster, namespace: str) -> None:
    name = f"zone-b-only-{uuid.uuid4().hex[:6]}"  # StorageClasses are cluster-wide
    cluster.apply(workloads.storage_class(name, zones=["zone-b"]))
    try:
        cluster.apply(workloads.service("db", headless=True), namespace=namespace)
        db = cluster.apply(workloads.statefulset("db", replicas=3, storage_class=name,
                                                 when_unsatisfiable="ScheduleAnyway"),
                           namespace=namespace)
        pods = expect.ready(db, within=120)
        assert {p.zone for p in pods} == {"zone-b"}
        assert set(expect.volume_zones(db).values()) == {"zone-b"}
    finally:
        client.StorageV1Api(cluster.api_client()).delete_storage_class(name)
