"""Steady state of the simulated API server, the ground every experiment stands on.

The zone experiments (cordon, drain, taint, outage, partition, control-plane loss)
arrive with the simulated cluster's scheduler, controllers and kubelets; until then
this suite checks what an experiment first relies on: a cluster that accepts, defaults
and serves workloads exactly as Kubernetes 1.32 does, through the official client.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client, config

from chaoszone import Simulator


@pytest.fixture(scope="module")
def api() -> Iterator[client.ApiClient]:
    with Simulator() as sim:
        api_client = config.new_client_from_config(config_file=sim.kubeconfig)
        yield api_client
        api_client.close()


def test_a_deployment_is_stored_with_kubernetes_defaults(api: client.ApiClient) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="shop")))
    labels = {"app": "web"}
    apps.create_namespaced_deployment("shop", client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=6, selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="web",
                                                                     image="nginx:1.27")]),
            ),
        ),
    ))
    web = apps.read_namespaced_deployment("web", "shop")
    assert web.spec.strategy.type == "RollingUpdate"
    assert web.spec.template.spec.termination_grace_period_seconds == 30
    assert web.metadata.generation == 1


def test_a_pod_tolerates_an_unreachable_node_for_300_seconds_by_default(
        api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    pod = core.create_namespaced_pod("default", client.V1Pod(
        metadata=client.V1ObjectMeta(name="probe"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]),
    ))
    tolerations = {(t.key, t.effect, t.toleration_seconds) for t in pod.spec.tolerations}
    assert ("node.kubernetes.io/unreachable", "NoExecute", 300) in tolerations
    assert ("node.kubernetes.io/not-ready", "NoExecute", 300) in tolerations
