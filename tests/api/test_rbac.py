"""ServiceAccount tokens and RBAC: a pod's credentials get exactly what its bindings give."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from chaoszone import Simulator
from chaoszone.sim.cluster import Cluster
from chaoszone.sim.resources import by_path


def rt(group: str, plural: str) -> Any:
    found = by_path(group, "v1", plural)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


def client_for(sim: Simulator, token: str) -> client.ApiClient:
    return sim.api_client(token)


def grant(cluster: Cluster, namespace: str, sa: str, rules: list[dict[str, Any]],
          cluster_wide: bool = False) -> None:
    cluster.registry.create(rt("", "serviceaccounts"), namespace, {"metadata": {"name": sa}})
    name = f"{namespace}-{sa}"
    kind = "ClusterRole" if cluster_wide else "Role"
    role_rt = rt("rbac.authorization.k8s.io", "clusterroles" if cluster_wide else "roles")
    binding_rt = rt("rbac.authorization.k8s.io",
                    "clusterrolebindings" if cluster_wide else "rolebindings")
    cluster.registry.create(role_rt, None if cluster_wide else namespace,
                            {"metadata": {"name": name}, "rules": rules})
    cluster.registry.create(binding_rt, None if cluster_wide else namespace, {
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": namespace}]})


def test_a_service_account_can_do_what_its_role_allows(sim: Simulator) -> None:
    def setup(cluster: Cluster) -> str:
        grant(cluster, "default", "reader",
              [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}])
        return cluster.issue_token("default", "reader")

    with client_for(sim, sim.call(setup)) as api:
        check_reader(client.CoreV1Api(api))


def check_reader(core: client.CoreV1Api) -> None:
    assert core.list_namespaced_config_map("default").items is not None
    with pytest.raises(client.ApiException) as info:
        core.create_namespaced_config_map("default", client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="nope")))
    assert info.value.status == 403
    assert ('User "system:serviceaccount:default:reader" cannot create resource "configmaps"'
            in json.loads(info.value.body)["message"])
    with pytest.raises(client.ApiException) as info:
        core.list_namespaced_config_map("kube-system")
    assert info.value.status == 403


def test_a_service_account_may_patch_nodes_only_with_a_cluster_role(sim: Simulator) -> None:
    def setup(cluster: Cluster) -> tuple[str, str]:
        cluster.registry.create(rt("", "nodes"), None, {"metadata": {"name": "n1"}})
        grant(cluster, "default", "repair",
              [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]}],
              cluster_wide=True)
        grant(cluster, "default", "weak",
              [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]}])
        return cluster.issue_token("default", "repair"), cluster.issue_token("default", "weak")

    strong, weak = sim.call(setup)
    with client_for(sim, strong) as api:
        client.CoreV1Api(api).patch_node("n1", {"spec": {"unschedulable": True}})
    with client_for(sim, weak) as api, pytest.raises(client.ApiException) as info:
        client.CoreV1Api(api).patch_node("n1", {"spec": {"unschedulable": False}})
    assert info.value.status == 403
    assert "at the cluster scope" in json.loads(info.value.body)["message"]


def test_a_token_for_a_missing_service_account_is_not_issued(sim: Simulator) -> None:
    from chaoszone.sim import errors

    with pytest.raises(errors.ApiError) as info:
        sim.call(lambda c: c.issue_token("default", "ghost"))
    assert info.value.code == 404


def test_a_service_account_cannot_reach_the_control_api(sim: Simulator) -> None:
    import ssl
    import urllib.request

    token = sim.call(lambda c: c.issue_token("default", "default"))
    req = urllib.request.Request(sim.url + "/sim/v1/reset", data=b"", method="POST",
                                 headers={"Authorization": f"Bearer {token}"})
    context = ssl.create_default_context(cafile=sim.ca_path)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, context=context, timeout=10)
    assert info.value.code == 403
    with info.value:
        assert json.loads(info.value.read())["reason"] == "Forbidden"
