"""The official client's typed CRUD calls against every served kind: create, read, list
with selectors, the four patch types, replace with optimistic concurrency, delete and
delete-collection, generateName and dry-run. Every reply must pass the client's strict
models, and so must the raw JSON of gets and lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from client_kinds import (
    BY_ID,
    KINDS,
    NAMESPACED,
    WITH_DELETE_COLLECTION,
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

by_kind = pytest.mark.parametrize("kind", KINDS, ids=str)


@pytest.fixture
def ops(kind: Kind, api_client: k8s.ApiClient, namespace: str) -> Iterator[Ops]:
    yield from bound(kind, api_client, namespace)


def _labels(obj: Any) -> dict[str, str]:
    return dict(obj.metadata.labels or {})


@by_kind
def test_create_then_read_returns_the_stored_object_when_kind_is(ops: Ops) -> None:
    created = ops.create()
    assert isinstance(created, ops.kind.model_class())
    name = created.metadata.name
    assert created.metadata.uid and created.metadata.resource_version
    assert created.metadata.creation_timestamp is not None
    read = ops.read(name)
    assert read.metadata.uid == created.metadata.uid
    # controllers may have written since (the PV controller sets status.phase)
    assert int(read.metadata.resource_version) >= int(created.metadata.resource_version)
    assert _labels(read) == _labels(created)
    if ops.kind.namespaced:
        assert read.metadata.namespace == ops.namespace
    raw = ops.raw(ops.read, name)
    assert raw["kind"] == ops.manifest()["kind"]
    assert raw["apiVersion"] == ops.manifest()["apiVersion"]
    deserializes(ops.client, raw, ops.kind.model)


@by_kind
def test_list_filters_by_label_and_field_selector_when_kind_is(ops: Ops) -> None:
    a = ops.create(ops.manifest(labels={"tier": "a"})).metadata.name
    b = ops.create(ops.manifest(labels={"tier": "b"})).metadata.name

    def names(result: Any) -> list[str]:
        return sorted(item.metadata.name for item in result.items)

    assert names(ops.list(label_selector=ops.selector)) == sorted([a, b])
    assert names(ops.list(label_selector=f"{ops.selector},tier=a")) == [a]
    assert names(ops.list(label_selector=f"{ops.selector},tier!=a")) == [b]
    assert names(ops.list(label_selector=f"{ops.selector},tier in (a,b)")) == sorted([a, b])
    assert names(ops.list(field_selector=f"metadata.name={b}")) == [b]
    assert names(ops.list(label_selector=f"{ops.selector},tier=a",
                          field_selector=f"metadata.name={b}")) == []
    raw = ops.raw(ops.list, label_selector=ops.selector)
    assert raw["kind"] == ops.manifest()["kind"] + "List"
    assert int(raw["metadata"]["resourceVersion"]) > 0
    listed = deserializes(ops.client, raw, ops.kind.list_model)
    assert sorted(i.metadata.name for i in listed.items) == sorted([a, b])
    empty = ops.raw(ops.list, label_selector=f"{ops.selector},tier=none")
    assert empty["items"] == []
    deserializes(ops.client, empty, ops.kind.list_model)


@pytest.mark.parametrize("kind", NAMESPACED, ids=str)
def test_list_across_all_namespaces_finds_objects_in_each_when_kind_is(
        ops: Ops, api_client: k8s.ApiClient, namespace: str) -> None:
    other = unique("t-other")
    k8s.CoreV1Api(api_client).create_namespace({"metadata": {"name": other}})
    try:
        here = ops.create().metadata.name
        there = Ops(ops.kind, api_client, other, run=ops.run).create().metadata.name
        found = ops.list_all_namespaces(label_selector=ops.selector)
        assert sorted((i.metadata.namespace, i.metadata.name) for i in found.items) == sorted(
            [(namespace, here), (other, there)])
        pinned = ops.list_all_namespaces(field_selector=f"metadata.namespace={other}",
                                         label_selector=ops.selector)
        assert [i.metadata.name for i in pinned.items] == [there]
        raw = ops.raw(ops.list_all_namespaces, label_selector=ops.selector)
        deserializes(api_client, raw, ops.kind.list_model)
    finally:
        k8s.CoreV1Api(api_client).delete_namespace(other)


PATCHES: dict[str, tuple[Any, dict[str, Any]]] = {
    "strategic": ({"metadata": {"labels": {"patched": "strategic"}}}, {}),
    "json": ([{"op": "add", "path": "/metadata/labels/patched", "value": "json"}], {}),
    "merge": ({"metadata": {"labels": {"patched": "merge"}}},
              {"_content_type": "application/merge-patch+json"}),
}


@by_kind
@pytest.mark.parametrize("patch_type", [*PATCHES, "apply"])
def test_patch_changes_the_object_with_each_patch_type_when_kind_is(
        ops: Ops, patch_type: str) -> None:
    created = ops.create()
    name = created.metadata.name
    if patch_type == "apply":
        manifest = ops.manifest(name)
        body: Any = {"apiVersion": manifest["apiVersion"], "kind": manifest["kind"],
                     "metadata": {"name": name, "labels": {"patched": "apply"}}}
        extra: dict[str, Any] = {"_content_type": "application/apply-patch+yaml",
                                 "field_manager": "contract-tests"}
    else:
        body, extra = PATCHES[patch_type]
    patched = ops.patch(name, body, **extra)
    assert isinstance(patched, ops.kind.model_class())
    assert patched.metadata.labels["patched"] == patch_type
    assert patched.metadata.labels[ops.selector.split("=")[0]] == ops.run
    assert int(patched.metadata.resource_version) > int(created.metadata.resource_version)
    assert ops.read(name).metadata.labels["patched"] == patch_type
    if patch_type == "apply":
        managers = {(m.manager, m.operation) for m in patched.metadata.managed_fields}
        assert ("contract-tests", "Apply") in managers


@by_kind
def test_apply_creates_a_missing_object_and_reapplying_changes_nothing_when_kind_is(
        ops: Ops, sim: Simulator) -> None:
    manifest = ops.manifest()
    name = manifest["metadata"]["name"]
    apply = {"_content_type": "application/apply-patch+yaml", "field_manager": "contract-tests"}
    created = ops.patch(name, manifest, **apply)
    if not ops.kind.namespaced:
        ops.made.append(name)
    assert created.metadata.uid
    settle(sim)  # let controllers react to the create before taking the version
    rv = ops.read(name).metadata.resource_version
    again = ops.patch(name, manifest, **apply)
    assert again.metadata.resource_version == rv
    forced = ops.patch(name, manifest, force=True, **apply)
    assert forced.metadata.resource_version == rv


@by_kind
def test_patch_with_a_json_patch_test_that_fails_changes_nothing_when_kind_is(
        ops: Ops) -> None:
    created = ops.create()
    name = created.metadata.name
    with pytest.raises(ApiException) as info:
        ops.patch(name, [{"op": "test", "path": "/metadata/name", "value": "other"},
                         {"op": "add", "path": "/metadata/labels/x", "value": "y"}])
    assert info.value.status == 422
    assert "x" not in ops.read(name).metadata.labels


@by_kind
def test_replace_succeeds_and_a_stale_resource_version_is_a_conflict_when_kind_is(
        ops: Ops) -> None:
    created = ops.create()
    name = created.metadata.name
    current = ops.read(name)
    current.metadata.labels["replaced"] = "yes"
    replaced = ops.replace(name, current)
    assert replaced.metadata.labels["replaced"] == "yes"
    assert int(replaced.metadata.resource_version) > int(current.metadata.resource_version)
    current.metadata.labels["replaced"] = "again"  # still carries the older resourceVersion
    with pytest.raises(ApiException) as info:
        ops.replace(name, current)
    assert info.value.status == 409
    status = deserializes(ops.client, _body(info.value), "V1Status")
    assert status.reason == "Conflict"
    assert "the object has been modified" in status.message
    assert ops.read(name).metadata.labels["replaced"] == "yes"


@by_kind
def test_delete_removes_the_object_when_kind_is(ops: Ops) -> None:
    name = ops.create().metadata.name
    reply = ops.delete(name)
    if isinstance(reply, dict):  # the client declares `object`: a Status or the object
        assert reply["kind"] in ("Status", ops.manifest()["kind"]), reply
        if reply["kind"] == "Status":
            deserializes(ops.client, reply, "V1Status")
            assert reply["status"] == "Success" and reply["details"]["name"] == name
    else:
        assert isinstance(reply, ops.kind.model_class())
        assert reply.metadata.name == name
    wait_gone(ops, name)
    with pytest.raises(ApiException) as info:
        ops.read(name)
    assert info.value.status == 404
    assert deserializes(ops.client, _body(info.value), "V1Status").reason == "NotFound"


@pytest.mark.parametrize("kind", WITH_DELETE_COLLECTION, ids=str)
def test_delete_collection_removes_only_the_selected_objects_when_kind_is(ops: Ops) -> None:
    doomed = [ops.create(ops.manifest(labels={"tier": "doomed"})).metadata.name
              for _ in range(2)]
    kept = ops.create(ops.manifest(labels={"tier": "kept"})).metadata.name
    reply = ops.delete_collection(label_selector=f"{ops.selector},tier=doomed")
    assert isinstance(reply, k8s.V1Status)
    for name in doomed:
        wait_gone(ops, name)
    left = ops.list(label_selector=ops.selector)
    assert [i.metadata.name for i in left.items] == [kept]


@by_kind
def test_generate_name_gives_a_fresh_name_with_the_prefix_when_kind_is(ops: Ops) -> None:
    first = ops.create(ops.manifest(generate_name="gen-"))
    second = ops.create(ops.manifest(generate_name="gen-"))
    for obj in (first, second):
        assert obj.metadata.name.startswith("gen-")
        assert len(obj.metadata.name) == len("gen-") + 5
        assert obj.metadata.generate_name == "gen-"
    assert first.metadata.name != second.metadata.name
    assert ops.read(second.metadata.name).metadata.uid == second.metadata.uid


@by_kind
def test_dry_run_changes_nothing_when_kind_is(ops: Ops, sim: Simulator) -> None:
    manifest = ops.manifest()
    name = manifest["metadata"]["name"]
    would = ops.create(manifest, dry_run="All")
    assert would.metadata.name == name
    with pytest.raises(ApiException) as info:
        ops.read(name)
    assert info.value.status == 404

    ops.create(manifest)
    settle(sim)  # let controllers react to the create before taking the version
    rv = ops.read(name).metadata.resource_version
    patched = ops.patch(name, {"metadata": {"labels": {"dry": "run"}}}, dry_run="All")
    assert patched.metadata.labels["dry"] == "run"
    applied = ops.patch(name, {"apiVersion": manifest["apiVersion"], "kind": manifest["kind"],
                               "metadata": {"name": name, "labels": {"dry": "apply"}}},
                        dry_run="All", _content_type="application/apply-patch+yaml",
                        field_manager="contract-tests")
    assert applied.metadata.labels["dry"] == "apply"
    current = ops.read(name)
    current.metadata.labels["dry"] = "replace"
    assert ops.replace(name, current, dry_run="All").metadata.labels["dry"] == "replace"
    ops.delete(name, dry_run="All")
    settle(sim)
    after = ops.read(name)
    assert after.metadata.resource_version == rv
    assert "dry" not in after.metadata.labels
    assert after.metadata.deletion_timestamp is None


def _body(exc: ApiException) -> Any:
    return json.loads(exc.body)


def test_timestamps_are_stored_in_utc_as_upstream_encodes_them_when_sent_with_offsets(
        api_client: k8s.ApiClient, namespace: str) -> None:
    core = Ops(BY_ID["events"], api_client, namespace)
    manifest = core.manifest()
    manifest["firstTimestamp"] = "2025-01-01T02:00:00.75+02:00"
    manifest["lastTimestamp"] = "2025-01-01T00:00:00+00:00"  # what the client sends for UTC
    name = core.create(manifest).metadata.name
    raw = core.raw(core.read, name)
    assert raw["firstTimestamp"] == "2025-01-01T00:00:00Z"  # metav1.Time: whole seconds
    assert raw["lastTimestamp"] == "2025-01-01T00:00:00Z"

    new = Ops(BY_ID["events.events.k8s.io"], api_client, namespace)
    manifest = new.manifest()
    manifest["eventTime"] = "2025-01-01T01:00:00.5+01:00"
    name = new.create(manifest).metadata.name
    assert new.raw(new.read, name)["eventTime"] == "2025-01-01T00:00:00.500000Z"  # MicroTime
    new.patch(name, {"eventTime": "2025-01-01T00:00:01+00:00"},
              _content_type="application/merge-patch+json")
    assert new.raw(new.read, name)["eventTime"] == "2025-01-01T00:00:01.000000Z"


@by_kind
def test_create_of_a_taken_name_is_a_conflict_when_kind_is(ops: Ops) -> None:
    manifest = ops.manifest()
    ops.create(manifest)
    with pytest.raises(ApiException) as info:
        ops.create(manifest)
    assert info.value.status == 409
    assert deserializes(ops.client, _body(info.value), "V1Status").reason == "AlreadyExists"


#: per kind, a field selector its manifest matches (upstream's per-kind field labels)
FIELD_SELECTORS = [
    ("namespaces", "status.phase=Active"),
    ("nodes", "spec.unschedulable=false"),
    ("pods", "status.phase=Pending"),
    ("pods", "spec.nodeName="),
    ("pods", "spec.restartPolicy=Always"),
    ("pods", "spec.schedulerName=contract-tests"),
    ("pods", "spec.serviceAccountName=default"),
    ("services", "spec.type=ClusterIP"),
    ("secrets", "type=Opaque"),
    ("events", "involvedObject.name=p"),
    ("events", "involvedObject.kind=Pod"),
    ("events", "reason=Tested"),
    ("events", "type=Normal"),
    ("events", "source=chaoszone-tests"),
    ("jobs.batch", "status.successful=0"),
    ("events.events.k8s.io", "regarding.name=p"),
    ("events.events.k8s.io", "reportingController=example.com/tests"),
    ("events.events.k8s.io", "reason=Tested"),
]


@pytest.mark.parametrize(("kind", "selector"), [(BY_ID[k], s) for k, s in FIELD_SELECTORS],
                         ids=[f"{k}:{s}" for k, s in FIELD_SELECTORS])
def test_list_filters_by_the_kinds_own_field_labels(ops: Ops, selector: str) -> None:
    name = ops.create().metadata.name
    found = ops.list(label_selector=ops.selector, field_selector=selector)
    assert [i.metadata.name for i in found.items] == [name]
    field, _, value = selector.partition("=")
    assert ops.list(label_selector=ops.selector, field_selector=f"{field}!={value}").items == []
    if ops.kind.namespaced:
        across = ops.list_all_namespaces(label_selector=ops.selector, field_selector=selector)
        assert [i.metadata.name for i in across.items] == [name]


def test_apply_by_a_second_manager_conflicts_until_it_forces(configmaps: Ops) -> None:
    manifest = configmaps.manifest()
    name = manifest["metadata"]["name"]

    def apply(manager: str, value: str, **kw: Any) -> Any:
        body = {**manifest, "data": {"key": value}}
        return configmaps.patch(name, body, field_manager=manager,
                                _content_type="application/apply-patch+yaml", **kw)

    apply("alice", "a")
    with pytest.raises(ApiException) as info:
        apply("bob", "b")
    assert info.value.status == 409
    conflict = deserializes(configmaps.client, _body(info.value), "V1Status")
    assert conflict.reason == "Conflict"
    assert {c.field for c in conflict.details.causes} >= {".data.key"}
    assert all(c.reason == "FieldManagerConflict" for c in conflict.details.causes)
    assert configmaps.read(name).data == {"key": "a"}
    assert apply("bob", "b", force=True).data == {"key": "b"}
    owners = {m.manager: m.fields_v1 for m in configmaps.read(name).metadata.managed_fields}
    assert "f:key" in owners["bob"]["f:data"]
    assert "f:data" not in owners.get("alice", {})
    with pytest.raises(ApiException) as info:
        apply("alice", "a")
    assert info.value.status == 409


def test_strategic_merge_patch_merges_containers_by_name_where_merge_patch_replaces_them(
        api_client: k8s.ApiClient, namespace: str) -> None:
    deployments = Ops(BY_ID["deployments.apps"], api_client, namespace)
    manifest = deployments.manifest()
    containers = manifest["spec"]["template"]["spec"]["containers"]
    containers[0]["env"] = [{"name": "MODE", "value": "first"}]
    containers.append({"name": "side", "image": "registry.k8s.io/pause:3.10"})
    name = deployments.create(manifest).metadata.name
    change = {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "registry.k8s.io/pause:3.9"}]}}}}

    merged = deployments.patch(name, change).spec.template.spec.containers
    assert [(c.name, c.image) for c in merged] == [
        ("app", "registry.k8s.io/pause:3.9"), ("side", "registry.k8s.io/pause:3.10")]
    assert merged[0].env[0].value == "first"  # kept: the list merges by name

    replaced = deployments.patch(name, change, _content_type="application/merge-patch+json")
    [only] = replaced.spec.template.spec.containers
    assert (only.name, only.env) == ("app", None)  # RFC 7386 replaces the whole list


def test_delete_preconditions_on_uid_and_resource_version_are_checked(configmaps: Ops) -> None:
    created = configmaps.create()
    name = created.metadata.name
    configmaps.patch(name, {"data": {"key": "newer"}})
    for stale in (k8s.V1Preconditions(resource_version=created.metadata.resource_version),
                  k8s.V1Preconditions(uid="00000000-0000-0000-0000-000000000000")):
        with pytest.raises(ApiException) as info:
            configmaps.delete(name, body=k8s.V1DeleteOptions(preconditions=stale))
        assert info.value.status == 409
        assert "Precondition failed" in _body(info.value)["message"]
    current = configmaps.read(name)
    configmaps.delete(name, body=k8s.V1DeleteOptions(preconditions=k8s.V1Preconditions(
        uid=current.metadata.uid, resource_version=current.metadata.resource_version)))
    wait_gone(configmaps, name)


@pytest.fixture
def configmaps(api_client: k8s.ApiClient, namespace: str) -> Iterator[Ops]:
    yield from bound(BY_ID["configmaps"], api_client, namespace)


def test_every_object_the_controllers_write_passes_the_strict_models(
        api_client: k8s.ApiClient, namespace: str, sim: Simulator) -> None:
    """Workloads, a Service, a budget and a Ready node set the controllers and the
    scheduler to work; whatever they write (ReplicaSets, Pods, ControllerRevisions,
    EndpointSlices, Events, statuses) must deserialise like anything a test wrote."""
    made = [Ops(BY_ID[k], api_client, namespace) for k in (
        "deployments.apps", "statefulsets.apps", "daemonsets.apps", "jobs.batch",
        "poddisruptionbudgets.policy")]
    for ops in made:
        ops.create(ops.manifest("web"))
    services = Ops(BY_ID["services"], api_client, namespace)
    services.create(services.manifest("web"))
    nodes = Ops(BY_ID["nodes"], api_client, namespace)
    node = nodes.manifest()
    node["status"] = {"conditions": [{"type": "Ready", "status": "True"}],
                      "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                      "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"}}
    try:
        nodes.create(node)
        settle(sim)
        for kind in KINDS:
            ops = Ops(kind, api_client, namespace)
            listing = ops.list_all_namespaces if kind.namespaced else ops.list
            deserializes(api_client, ops.raw(listing), kind.list_model)
        pods = k8s.CoreV1Api(api_client).list_namespaced_pod(namespace)
        owners = {ref.kind for p in pods.items for ref in p.metadata.owner_references or []}
        assert {"ReplicaSet", "StatefulSet", "Job"} <= owners
    finally:
        nodes.cleanup()


#: kinds whose strategy has AllowCreateOnUpdate: a PUT of a missing object creates it
CREATED_BY_PUT = {"services", "endpoints", "events", "leases.coordination.k8s.io",
                  "events.events.k8s.io", "roles.rbac.authorization.k8s.io",
                  "rolebindings.rbac.authorization.k8s.io",
                  "clusterroles.rbac.authorization.k8s.io",
                  "clusterrolebindings.rbac.authorization.k8s.io"}


@by_kind
def test_replace_of_a_missing_object_creates_it_only_where_upstream_allows_when_kind_is(
        ops: Ops) -> None:
    manifest = ops.manifest()
    name = manifest["metadata"]["name"]
    body = ops.kind.model_class().from_dict(manifest)
    if ops.kind.id not in CREATED_BY_PUT:
        with pytest.raises(ApiException) as info:
            ops.replace(name, body)
        assert info.value.status == 404
        return
    if not ops.kind.namespaced:
        ops.made.append(name)
    reply = ops._method("replace")(name=name, body=body, _preload_content=False,
                                   **ops._scoped({}))
    assert reply.status == 201
    created = deserializes(ops.client, json.loads(reply.data), ops.kind.model)
    assert created.metadata.uid and ops.read(name).metadata.uid == created.metadata.uid


def test_reapplying_without_a_field_removes_it_when_the_manager_owned_it_alone(
        configmaps: Ops) -> None:
    manifest = configmaps.manifest()
    name = manifest["metadata"]["name"]
    apply = {"_content_type": "application/apply-patch+yaml", "field_manager": "owner"}
    configmaps.patch(name, {**manifest, "data": {"keep": "1", "drop": "2"}}, **apply)
    configmaps.patch(name, {"metadata": {"labels": {"shared": "yes"}}},
                     field_manager="someone-else")  # an update: owned by another manager
    again = configmaps.patch(name, {**manifest, "data": {"keep": "1"}}, **apply)
    assert again.data == {"keep": "1"}
    assert again.metadata.labels["shared"] == "yes"
