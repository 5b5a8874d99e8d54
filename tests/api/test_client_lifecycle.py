"""Deletion as the client sees it: garbage collection by ownerReferences (background,
orphan, foreground with blockOwnerDeletion), namespace termination, finalizers, and
graceful deletion of pods bound to a node."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from client_kinds import BY_ID, Ops, bound, deserializes, unique, wait_gone
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

HOLD = "example.com/hold"


@pytest.fixture
def configmaps(api_client: k8s.ApiClient, namespace: str) -> Iterator[Ops]:
    yield from bound(BY_ID["configmaps"], api_client, namespace)


@pytest.fixture
def pods(api_client: k8s.ApiClient, namespace: str) -> Iterator[Ops]:
    yield from bound(BY_ID["pods"], api_client, namespace)


def _owned_by(owner: Any, *, block: bool = False) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "name": owner.metadata.name,
            "uid": owner.metadata.uid, "blockOwnerDeletion": block}


def _dependent(ops: Ops, owner: Any, *, block: bool = False,
               finalizers: list[str] | None = None) -> str:
    manifest = ops.manifest()
    manifest["metadata"]["ownerReferences"] = [_owned_by(owner, block=block)]
    if finalizers:
        manifest["metadata"]["finalizers"] = finalizers
    return str(ops.create(manifest).metadata.name)


def _release(ops: Ops, name: str) -> None:
    ops.patch(name, {"metadata": {"finalizers": None}},
              _content_type="application/merge-patch+json")


def _exists(ops: Ops, name: str) -> bool:
    return bool(ops.list(field_selector=f"metadata.name={name}").items)


# -- garbage collection ------------------------------------------------------------

def test_background_deletion_removes_the_owner_then_its_dependents(
        configmaps: Ops, api_client: k8s.ApiClient, namespace: str) -> None:
    owner = configmaps.create()
    secrets = Ops(BY_ID["secrets"], api_client, namespace, run=configmaps.run)
    deps = [_dependent(configmaps, owner), _dependent(secrets, owner)]
    reply = configmaps.delete(owner.metadata.name, propagation_policy="Background")
    assert reply["status"] == "Success"
    assert not _exists(configmaps, owner.metadata.name)  # gone at once
    wait_gone(configmaps, deps[0])
    wait_gone(secrets, deps[1])


def test_orphan_deletion_keeps_the_dependents_and_strips_their_owner_reference(
        configmaps: Ops) -> None:
    owner = configmaps.create()
    other_owner = configmaps.create()
    lone = _dependent(configmaps, owner)
    manifest = configmaps.manifest()
    manifest["metadata"]["ownerReferences"] = [_owned_by(owner), _owned_by(other_owner)]
    shared = configmaps.create(manifest).metadata.name
    configmaps.delete(owner.metadata.name, propagation_policy="Orphan")
    wait_gone(configmaps, owner.metadata.name)
    assert configmaps.read(lone).metadata.owner_references is None
    refs = configmaps.read(shared).metadata.owner_references
    assert [r.uid for r in refs] == [other_owner.metadata.uid]


def test_foreground_deletion_keeps_the_owner_until_blocking_dependents_are_gone(
        configmaps: Ops) -> None:
    owner = configmaps.create()
    name = owner.metadata.name
    held = _dependent(configmaps, owner, block=True, finalizers=[HOLD])
    loose = _dependent(configmaps, owner)
    reply = configmaps.delete(name, propagation_policy="Foreground")
    assert reply["metadata"]["deletionTimestamp"]  # the owner is kept, being deleted
    assert "foregroundDeletion" in reply["metadata"]["finalizers"]
    deserializes(configmaps.client, reply, "V1ConfigMap")
    wait_gone(configmaps, loose)
    held_now = configmaps.read(held)
    assert held_now.metadata.deletion_timestamp is not None  # deleted, but held
    still = configmaps.read(name)
    assert still.metadata.deletion_timestamp is not None
    assert still.metadata.finalizers == ["foregroundDeletion"]

    order = []
    start = configmaps.list(label_selector=configmaps.selector).metadata.resource_version
    _release(configmaps, held)
    for event in configmaps.events(resource_version=start):
        if event["type"] == "DELETED":
            order.append(event["object"].metadata.name)
            if event["object"].metadata.name == name:
                break
    assert order == [held, name]  # the dependent first, then its owner


# -- namespaces ----------------------------------------------------------------------

def test_namespace_deletion_empties_it_refuses_new_content_and_then_removes_it(
        api_client: k8s.ApiClient) -> None:
    core = k8s.CoreV1Api(api_client)
    ns = unique("t-doomed")
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=ns)))
    configmaps = Ops(BY_ID["configmaps"], api_client, ns)
    pods = Ops(BY_ID["pods"], api_client, ns)
    plain = configmaps.create().metadata.name
    held = configmaps.create(configmaps.manifest() | {
        "metadata": {"name": unique("held"), "finalizers": [HOLD],
                     "labels": {"chaoszone.test/run": configmaps.run}}}).metadata.name
    pod = pods.create().metadata.name
    try:
        _terminate(core, api_client, ns, configmaps, pods, plain, held, pod)
    finally:  # whatever failed, leave no namespace held up behind
        with contextlib.suppress(ApiException):
            _release(configmaps, held)
        with contextlib.suppress(ApiException):
            core.delete_namespace(ns)


def _terminate(core: k8s.CoreV1Api, api_client: k8s.ApiClient, ns: str, configmaps: Ops,
               pods: Ops, plain: str, held: str, pod: str) -> None:
    reply = core.delete_namespace(ns)
    assert reply["status"]["phase"] == "Terminating"
    deserializes(api_client, reply, "V1Namespace")
    terminating = core.read_namespace(ns)
    assert terminating.status.phase == "Terminating"
    assert terminating.metadata.deletion_timestamp is not None
    assert terminating.metadata.deletion_grace_period_seconds is None  # as storage.go leaves it

    with pytest.raises(ApiException) as info:
        configmaps.create()
    assert info.value.status == 403
    refusal = deserializes(api_client, _json(info.value), "V1Status")
    assert refusal.reason == "Forbidden"
    assert "because it is being terminated" in refusal.message

    wait_gone(configmaps, plain)
    wait_gone(pods, pod)
    assert configmaps.read(held).metadata.deletion_timestamp is not None
    assert core.read_namespace(ns).status.phase == "Terminating"  # held up by `held`

    start = core.list_namespace(field_selector=f"metadata.name={ns}").metadata.resource_version
    _release(configmaps, held)
    seen = []
    for event in k8s_watch(core.list_namespace, field_selector=f"metadata.name={ns}",
                           resource_version=start):
        seen.append(event["type"])
        if event["type"] == "DELETED":
            break
    assert seen[-1] == "DELETED"
    with pytest.raises(ApiException) as info:
        core.read_namespace(ns)
    assert info.value.status == 404


# -- finalizers and graceful deletion -----------------------------------------------

def test_an_object_with_a_finalizer_stays_until_the_finalizer_is_removed(
        configmaps: Ops) -> None:
    manifest = configmaps.manifest()
    manifest["metadata"]["finalizers"] = [HOLD]
    name = configmaps.create(manifest).metadata.name
    reply = configmaps.delete(name)
    assert reply["kind"] == "ConfigMap" and reply["metadata"]["deletionTimestamp"]
    kept = configmaps.read(name)
    assert kept.metadata.deletion_timestamp is not None
    assert kept.metadata.finalizers == [HOLD]
    assert kept.metadata.deletion_grace_period_seconds == 0
    # Still writable while it waits, but no new finalizer may be added.
    configmaps.patch(name, {"data": {"key": "last words"}})
    with pytest.raises(ApiException) as info:
        configmaps.patch(name, {"metadata": {"finalizers": [HOLD, "example.com/more"]}},
                         _content_type="application/merge-patch+json")
    assert info.value.status == 422
    _release(configmaps, name)
    wait_gone(configmaps, name)


def test_deleting_a_pod_bound_to_a_node_is_graceful(pods: Ops) -> None:
    manifest = pods.manifest()
    manifest["spec"]["nodeName"] = "node-a"
    manifest["spec"]["terminationGracePeriodSeconds"] = 45
    name = pods.create(manifest).metadata.name
    deleting = pods.delete(name)
    assert isinstance(deleting, k8s.V1Pod)
    assert deleting.metadata.deletion_timestamp is not None
    assert deleting.metadata.deletion_grace_period_seconds == 45
    assert pods.read(name).metadata.deletion_grace_period_seconds == 45
    shorter = pods.delete(name, grace_period_seconds=10)  # a shorter period replaces it
    assert shorter.metadata.deletion_grace_period_seconds == 10
    longer = pods.delete(name, grace_period_seconds=60)  # a longer one does not
    assert longer.metadata.deletion_grace_period_seconds == 10
    gone = pods.delete(name, grace_period_seconds=0)
    assert gone.metadata.name == name
    wait_gone(pods, name)


def test_deleting_an_unbound_pod_removes_it_at_once(pods: Ops) -> None:
    name = pods.create().metadata.name
    reply = pods.delete(name)
    assert isinstance(reply, k8s.V1Pod) and reply.metadata.name == name
    assert not _exists(pods, name)


def k8s_watch(func: Any, **kw: Any) -> Iterator[dict[str, Any]]:
    from kubernetes import watch

    yield from watch.Watch().stream(func, timeout_seconds=10, **kw)


def _json(exc: ApiException) -> Any:
    import json

    return json.loads(exc.body)
