"""Experiment 1, steady state: before any fault, workloads spread evenly over the zones.

Everything else stands on this: a Deployment with a zone spread constraint lands 2-2-2 on
three zones, and a StatefulSet whose pods each claim zonal storage puts one replica in
each zone. The last two check that the cluster stores workloads with Kubernetes 1.32's defaults
(through the official client), which the failover experiments rely on: a pod stays on an
unreachable node for 300 s unless it says otherwise.
"""

from __future__ import annotations

from kubernetes import client

from chaoszone import Cluster, expect, workloads


def test_a_deployment_spread_over_zones_lands_two_per_zone(
        cluster: Cluster, namespace: str) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=6, spread="zone"),
                        namespace=namespace)
    expect.ready(web, within=60)
    assert expect.spread(web, max_skew=0) == {"zone-a": 2, "zone-b": 2, "zone-c": 2}


def test_a_statefulset_puts_one_replica_in_each_zone(cluster: Cluster, namespace: str) -> None:
    cluster.apply(workloads.service("db", headless=True), namespace=namespace)
    db = cluster.apply(workloads.statefulset("db", replicas=3, spread="zone"),
                       namespace=namespace)
    expect.ready(db, within=120)
    assert expect.spread(db, max_skew=0) == {"zone-a": 1, "zone-b": 1, "zone-c": 1}


def test_a_deployment_is_stored_with_kubernetes_defaults(
        cluster: Cluster, namespace: str) -> None:
    web = cluster.apply(workloads.deployment("web", replicas=1), namespace=namespace)
    stored = client.AppsV1Api(cluster.api_client()).read_namespaced_deployment(
        web.name, namespace)
    assert stored.spec.strategy.type == "RollingUpdate"
    assert stored.spec.strategy.rolling_update.max_surge == "25%"
    assert stored.spec.revision_history_limit == 10
    assert stored.metadata.generation == 1


def test_a_pod_tolerates_an_unreachable_node_for_300_seconds_by_default(
        cluster: Cluster, namespace: str) -> None:
    pod = client.CoreV1Api(cluster.api_client()).create_namespaced_pod(namespace, client.V1Pod(
        metadata=client.V1ObjectMeta(name="probe"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image=workloads.IMAGE)]),
    ))
    tolerations = {(t.key, t.effect, t.toleration_seconds) for t in pod.spec.tolerations}
    assert ("node.kubernetes.io/unreachable", "NoExecute", 300) in tolerations
    assert ("node.kubernetes.io/not-ready", "NoExecute", 300) in tolerations
