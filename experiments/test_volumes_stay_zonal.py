"""Experiment 7, volumes stay zone-bound: a StatefulSet on zonal storage loses a zone.

Each replica claims its own volume; the default StorageClass binds when the pod is first
scheduled (WaitForFirstConsumer) and the volume can be used only where it was made (its
PersistentVolume's node affinity). When zone-a's machines lose power, its replica's pod
is evicted but stays Terminating on the unreachable node (nothing can confirm it has
stopped), so the StatefulSet does not recreate it: a StatefulSet never runs two pods of
one identity, and the replacement could not use the volume elsewhere anyway. When power
returns, the old pod is gone at last and the replica comes back in its zone, with the
same claim and the same volume; where containers really run (kind), with the same data
in it: each replica keeps a random identity in its volume and prints it on every start.
"""

from __future__ import annotations

import pytest
from kubernetes import client

from chaoszone import Cluster, expect, faults, workloads

pytestmark = pytest.mark.chaoszone(topology="three-zones-fast", needs={"power"})


def claimed_volumes(cluster: Cluster, namespace: str) -> dict[str, str]:
    claims = client.CoreV1Api(cluster.api_client()).list_namespaced_persistent_volume_claim(
        namespace).items
    return {c.metadata.name: c.spec.volume_name for c in claims}


def test_a_statefulset_replica_waits_for_its_zone_and_returns_with_the_same_volume(
        cluster: Cluster, namespace: str) -> None:
    cluster.apply(workloads.service("db", headless=True), namespace=namespace)
    db = cluster.apply(workloads.statefulset("db", replicas=3, unreachable_toleration=10),
                       namespace=namespace)
    expect.ready(db, within=120)
    volumes = claimed_volumes(cluster, namespace)
    assert len(volumes) == 3 and all(volumes.values())
    data = expect.volume_data(db)  # None on sim, whose volumes have no contents
    [lost] = [p.name for p in db.pods() if p.zone == "zone-a"]

    with cluster.fault(faults.zone_outage("zone-a")):
        expect.ready(db, within=60, outside_zones={"zone-a"}, min_ready=2)
        bound = expect.zone_bound(db, during=60)
        assert bound[lost] == "zone-a"

    [back] = expect.ready(db, within=120, inside_zones={"zone-a"}, min_ready=1)
    assert back.name == lost
    assert claimed_volumes(cluster, namespace) == volumes
    if data is not None:  # on kind and real clusters: the same data, not only the same PV
        assert expect.volume_data(db) == data
