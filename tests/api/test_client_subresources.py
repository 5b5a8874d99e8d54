"""The subresources through the typed client: ``*_status`` (read, replace, patch; the
spec/status split and metadata.generation), ``*_scale``, pods' ``eviction``, ``binding``
and ``log``, and the core ``bindings`` resource."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from client_kinds import (
    BY_ID,
    WITH_GENERATION,
    WITH_SCALE,
    WITH_SPEC_AND_STATUS,
    WITH_STATUS,
    Kind,
    Ops,
    bound,
    deserializes,
    settle,
    unique,
    wait_gone,
)
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

if TYPE_CHECKING:
    from chaoszone.sim.server import Simulator


@pytest.fixture
def ops(kind: Kind, api_client: k8s.ApiClient, namespace: str) -> Iterator[Ops]:
    yield from bound(kind, api_client, namespace)


@pytest.fixture
def pods(api_client: k8s.ApiClient, namespace: str) -> Iterator[Ops]:
    yield from bound(BY_ID["pods"], api_client, namespace)


def contains(whole: Any, part: Any) -> bool:
    """Whether ``part`` is in ``whole``: every key of a dict, every item of a list."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(
            k in whole and contains(whole[k], v) for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and all(
            any(contains(w, p) for w in whole) for p in part)
    return bool(whole == part)


# -- status ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", WITH_STATUS, ids=str)
def test_status_subresource_reads_patches_and_replaces_the_status_when_kind_is(
        ops: Ops) -> None:
    assert ops.kind.status is not None
    name = ops.create().metadata.name
    read = ops.read_status(name)
    assert isinstance(read, ops.kind.model_class()) and read.metadata.name == name
    deserializes(ops.client, ops.raw(ops.read_status, name), ops.kind.model)

    patched = ops.raw(ops.patch_status, name, {"status": ops.kind.status})
    deserializes(ops.client, patched, ops.kind.model)
    assert contains(patched["status"], ops.kind.status), patched["status"]

    whole = ops.raw(ops.read_status, name)
    whole["status"] = {**whole.get("status", {}), **ops.kind.status}
    replaced = ops.raw(ops.replace_status, name, ops.kind.model_class().from_dict(whole))
    deserializes(ops.client, replaced, ops.kind.model)
    assert contains(replaced["status"], ops.kind.status)  # controllers may rewrite it later


@pytest.mark.parametrize("kind", WITH_SPEC_AND_STATUS, ids=str)
def test_spec_changes_are_ignored_on_the_status_subresource_when_kind_is(ops: Ops) -> None:
    assert ops.kind.spec is not None and ops.kind.status is not None
    name = ops.create().metadata.name
    spec = ops.raw(ops.read, name)["spec"]
    assert not contains(spec, ops.kind.spec)
    patched = ops.raw(ops.patch_status, name, {"spec": ops.kind.spec, "status": ops.kind.status})
    assert patched["spec"] == spec
    assert contains(patched["status"], ops.kind.status)
    assert ops.raw(ops.read, name)["spec"] == spec


@pytest.mark.parametrize("kind", WITH_STATUS, ids=str)
def test_status_changes_are_ignored_on_the_main_resource_when_kind_is(
        ops: Ops, sim: Simulator) -> None:
    assert ops.kind.status is not None
    name = ops.create().metadata.name
    settle(sim)  # controllers write status too: let them finish first
    before = ops.raw(ops.read, name)
    patched = ops.raw(ops.patch, name, {"metadata": {"labels": {"with": "status"}},
                                        "status": ops.kind.status})
    assert patched["metadata"]["labels"]["with"] == "status"
    assert patched.get("status") == before.get("status")
    whole = dict(patched, status={**patched.get("status", {}), **ops.kind.status})
    replaced = ops.raw(ops.replace, name, ops.kind.model_class().from_dict(whole))
    assert replaced.get("status") == before.get("status")


@pytest.mark.parametrize("kind", WITH_GENERATION, ids=str)
def test_generation_moves_with_spec_changes_only_when_kind_is(ops: Ops) -> None:
    assert ops.kind.spec is not None and ops.kind.status is not None
    created = ops.create()
    name = created.metadata.name
    assert created.metadata.generation == 1
    assert ops.patch(name, {"spec": ops.kind.spec}).metadata.generation == 2
    assert ops.patch(name, {"metadata": {"labels": {"x": "y"}}}).metadata.generation == 2
    assert ops.patch_status(name, {"status": ops.kind.status}).metadata.generation == 2
    assert ops.patch(name, {"spec": ops.kind.spec}).metadata.generation == 2  # no change
    assert ops.read(name).metadata.generation == 2


# -- scale -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", WITH_SCALE, ids=str)
def test_scale_subresource_reads_and_writes_the_replicas_when_kind_is(ops: Ops) -> None:
    name = ops.create().metadata.name
    scale = ops.read_scale(name)
    assert isinstance(scale, k8s.V1Scale)
    assert scale.metadata.name == name and scale.spec.replicas == 1
    assert scale.status.selector == f"app={name}"
    deserializes(ops.client, ops.raw(ops.read_scale, name), "V1Scale")

    scale.spec.replicas = 3
    replaced = ops.replace_scale(name, scale)
    assert replaced.spec.replicas == 3
    assert ops.read(name).spec.replicas == 3
    scale.spec.replicas = 4  # the same, stale, resourceVersion
    with pytest.raises(ApiException) as info:
        ops.replace_scale(name, scale)
    assert info.value.status == 409

    assert ops.patch_scale(name, {"spec": {"replicas": 2}}).spec.replicas == 2
    assert ops.patch_scale(name, {"spec": {"replicas": 0}},
                           _content_type="application/merge-patch+json").spec.replicas == 0
    assert ops.patch_scale(name, [{"op": "replace", "path": "/spec/replicas",
                                   "value": 5}]).spec.replicas == 5
    assert ops.read(name).spec.replicas == 5
    with pytest.raises(ApiException) as info:
        ops.patch_scale(name, {"spec": {"replicas": -1}})
    assert info.value.status == 422


# -- pods: eviction, binding, log ------------------------------------------------------

def _running(pods: Ops, name: str, *, ready: bool = True) -> None:
    """Write what a kubelet would: the pod Running with its container started."""
    now = "2025-01-01T00:00:00Z"
    pods.patch_status(name, {"status": {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                        "lastTransitionTime": now}],
        "containerStatuses": [{"name": "app", "image": "registry.k8s.io/pause:3.10",
                               "imageID": "", "ready": ready, "restartCount": 0,
                               "state": {"running": {"startedAt": now}}}]}})


def _evict(api_client: k8s.ApiClient, namespace: str, name: str) -> Any:
    return k8s.CoreV1Api(api_client).create_namespaced_pod_eviction(
        name, namespace, k8s.V1Eviction(metadata=k8s.V1ObjectMeta(name=name,
                                                                  namespace=namespace)))


def test_eviction_deletes_a_pod_no_budget_protects(
        pods: Ops, api_client: k8s.ApiClient, namespace: str) -> None:
    name = pods.create().metadata.name
    _running(pods, name)
    reply = _evict(api_client, namespace, name)
    assert isinstance(reply, k8s.V1Eviction)
    wait_gone(pods, name)


def test_eviction_is_refused_with_429_while_the_budget_allows_no_disruption(
        pods: Ops, api_client: k8s.ApiClient, namespace: str, sim: Simulator) -> None:
    app = unique("app")
    first = pods.create(pods.manifest(labels={"app": app})).metadata.name
    _running(pods, first)
    budgets = Ops(BY_ID["poddisruptionbudgets.policy"], api_client, namespace)
    pdb = budgets.manifest()
    pdb["spec"] = {"minAvailable": 1, "selector": {"matchLabels": {"app": app}}}
    pdb_name = budgets.create(pdb).metadata.name
    settle(sim)  # the disruption controller works out the budget's status
    status = budgets.read_status(pdb_name).status
    assert (status.current_healthy, status.desired_healthy, status.disruptions_allowed) == (
        1, 1, 0)
    with pytest.raises(ApiException) as info:
        _evict(api_client, namespace, first)
    assert info.value.status == 429
    refusal = deserializes(api_client, json.loads(info.value.body), "V1Status")
    assert refusal.reason == "TooManyRequests"
    assert refusal.details.causes[0].reason == "DisruptionBudget"
    assert pods.read(first).metadata.deletion_timestamp is None

    second = pods.create(pods.manifest(labels={"app": app})).metadata.name
    _running(pods, second)
    settle(sim)
    assert budgets.read_status(pdb_name).status.disruptions_allowed == 1
    _evict(api_client, namespace, first)
    wait_gone(pods, first)
    settle(sim)
    assert budgets.read_status(pdb_name).status.disruptions_allowed == 0


def test_pod_binding_assigns_the_node_once(
        pods: Ops, api_client: k8s.ApiClient, namespace: str) -> None:
    core = k8s.CoreV1Api(api_client)
    name = pods.create().metadata.name
    binding = k8s.V1Binding(metadata=k8s.V1ObjectMeta(name=name),
                            target=k8s.V1ObjectReference(kind="Node", name="node-a"))
    # kube-apiserver answers a 201 Status, which the client's V1Binding (target required)
    # cannot hold: read the reply raw, as everyone calling this from Python must.
    reply = core.create_namespaced_pod_binding(name, namespace, binding,
                                               _preload_content=False)
    assert reply.status == 201
    status = deserializes(api_client, json.loads(reply.data), "V1Status")
    assert status.status == "Success"
    pod = pods.read(name)
    assert pod.spec.node_name == "node-a"
    assert [(c.type, c.status) for c in pod.status.conditions] == [("PodScheduled", "True")]
    with pytest.raises(ApiException) as info:
        core.create_namespaced_pod_binding(name, namespace, binding, _preload_content=False)
    assert info.value.status == 409


def test_bindings_resource_assigns_the_node_named_in_the_body(
        pods: Ops, api_client: k8s.ApiClient, namespace: str) -> None:
    core = k8s.CoreV1Api(api_client)
    name = pods.create().metadata.name
    binding = k8s.V1Binding(metadata=k8s.V1ObjectMeta(name=name),
                            target=k8s.V1ObjectReference(kind="Node", name="node-b"))
    reply = core.create_namespaced_binding(namespace, binding, _preload_content=False)
    assert reply.status == 201
    assert json.loads(reply.data)["status"] == "Success"
    assert pods.read(name).spec.node_name == "node-b"
    missing = k8s.V1Binding(metadata=k8s.V1ObjectMeta(name="no-such-pod"),
                            target=k8s.V1ObjectReference(kind="Node", name="node-b"))
    with pytest.raises(ApiException) as info:
        core.create_namespaced_binding(namespace, missing, _preload_content=False)
    assert info.value.status == 404


def test_pod_log_reads_the_container_log_with_tail_and_timestamps(
        pods: Ops, api_client: k8s.ApiClient, namespace: str, sim: Simulator) -> None:
    core = k8s.CoreV1Api(api_client)
    manifest = pods.manifest()
    manifest["spec"]["nodeName"] = "node-a"
    name = pods.create(manifest).metadata.name
    with pytest.raises(ApiException) as info:
        core.read_namespaced_pod_log(name, namespace)
    assert info.value.status == 400 and "is waiting to start" in info.value.body
    _running(pods, name)
    sim.call(lambda cluster: cluster.logs.write(namespace, name, "app", "one\ntwo\nthree"))
    assert core.read_namespaced_pod_log(name, namespace) == "one\ntwo\nthree\n"
    assert core.read_namespaced_pod_log(name, namespace, container="app",
                                        tail_lines=2) == "two\nthree\n"
    stamped = core.read_namespaced_pod_log(name, namespace, timestamps=True).splitlines()
    assert [line.split(" ", 1)[1] for line in stamped] == ["one", "two", "three"]
    assert all(line.split(" ", 1)[0].endswith("Z") for line in stamped)
    with pytest.raises(ApiException) as info:
        core.read_namespaced_pod_log(name, namespace, container="nope")
    assert info.value.status == 400


def test_endpoint_slice_generation_moves_with_its_endpoints_and_labels_only(
        api_client: k8s.ApiClient, namespace: str) -> None:
    slices = Ops(BY_ID["endpointslices.discovery.k8s.io"], api_client, namespace)
    name = slices.create().metadata.name
    assert slices.read(name).metadata.generation == 1
    patched = slices.patch(name, {"metadata": {"annotations": {"note": "x"}}})
    assert patched.metadata.generation == 1
    assert slices.patch(name, {"metadata": {"labels": {"x": "y"}}}).metadata.generation == 2
    ports = [{"name": "http", "port": 81, "protocol": "TCP"}]
    assert slices.patch(name, {"ports": ports}).metadata.generation == 3


@pytest.mark.parametrize("kind", WITH_STATUS, ids=str)
def test_status_sent_on_create_is_dropped_except_for_nodes_when_kind_is(ops: Ops) -> None:
    assert ops.kind.status is not None
    manifest = ops.manifest()
    manifest["status"] = ops.kind.status
    created = ops.raw(ops._method("create"), body=ops.kind.model_class().from_dict(manifest),
                      **ops._scoped({}))
    if not ops.kind.namespaced:
        ops.made.append(created["metadata"]["name"])
    # PrepareForCreate resets status; nodeStrategy alone lets it be set on create
    assert contains(created.get("status", {}), ops.kind.status) == (ops.kind.id == "nodes")


def test_the_dynamic_client_finds_bindings_in_discovery_and_binds_with_them(
        pods: Ops, api_client: k8s.ApiClient, namespace: str) -> None:
    from kubernetes import dynamic

    listed = k8s.CoreV1Api(api_client).get_api_resources().resources
    assert [(r.name, r.verbs, r.namespaced) for r in listed if r.name == "bindings"] == [
        ("bindings", ["create"], True)]
    bindings = dynamic.DynamicClient(api_client).resources.get(api_version="v1", kind="Binding")
    name = pods.create().metadata.name
    reply = bindings.create(namespace=namespace, body={
        "apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
        "target": {"kind": "Node", "name": "node-c"}})
    assert (reply.kind, reply.status, reply.code) == ("Status", "Success", 201)
    assert pods.read(name).spec.node_name == "node-c"
