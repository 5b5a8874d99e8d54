"""The /openapi/v3 documents: what kubectl looks for in them (docs/sim-wire.md §3.1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chaoszone.sim.api import openapi
from chaoszone.sim.resources import RESOURCES, ResourceType, group_versions


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method != "parameters":
                yield path, method, op


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def document_of(rt: ResourceType) -> dict[str, Any]:
    doc = openapi.group_version_document(rt.group, rt.version)
    assert doc is not None
    return doc


def schemas_of(group: str, version: str) -> dict[str, Any]:
    doc = openapi.group_version_document(group, version)
    assert doc is not None
    schemas: dict[str, Any] = doc["components"]["schemas"]
    return schemas


def test_root_points_at_every_served_group_version_when_fetched() -> None:
    root = openapi.root_document()
    assert set(root["paths"]) == {openapi.group_version_path(g, v) for g, v in group_versions()}
    core = root["paths"]["api/v1"]["serverRelativeURL"]
    assert core == f"/openapi/v3/api/v1?hash={openapi.group_version_hash('', 'v1')}"
    assert "apis/apps/v1" in root["paths"]


def test_hashes_are_stable_and_salted_when_a_base_hash_is_given() -> None:
    plain = openapi.group_version_hash("apps", "v1")
    assert plain == openapi.group_version_hash("apps", "v1")
    assert plain is not None and len(plain) == 128 and plain == plain.upper()
    assert openapi.group_version_hash("apps", "v1", "build-2") != plain
    assert openapi.root_document("build-2") != openapi.root_document()


def test_bytes_are_the_document_when_serialised() -> None:
    body = openapi.group_version_bytes("apps", "v1")
    assert body is not None
    assert json.loads(body) == openapi.group_version_document("apps", "v1")


def test_document_is_none_when_the_group_version_is_not_served() -> None:
    assert openapi.group_version_document("apps", "v1beta1") is None
    assert openapi.group_version_hash("nope", "v1") is None


@pytest.mark.parametrize("rt", RESOURCES, ids=lambda r: f"{r.group or 'core'}/{r.kind}")
def test_patch_declares_field_validation_for_every_kind_when_kubectl_checks(
        rt: ResourceType) -> None:
    gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
    patches = [op for _, method, op in operations(document_of(rt))
               if method == "patch" and op["x-kubernetes-group-version-kind"] == gvk]
    assert patches
    for op in patches:
        assert {"name": "fieldValidation", "in": "query"}.items() <= next(
            p for p in op["parameters"] if p["name"] == "fieldValidation").items()


@pytest.mark.parametrize("rt", RESOURCES, ids=lambda r: f"{r.group or 'core'}/{r.kind}")
def test_item_path_has_get_put_patch_delete_when_the_resource_is_served(
        rt: ResourceType) -> None:
    item = document_of(rt)["paths"][rt.url("{namespace}", "{name}")]
    assert {"get", "put", "patch", "delete"} <= item.keys()
    assert item["patch"]["x-kubernetes-action"] == "patch"


def test_scale_patch_names_the_autoscaling_kind_when_it_is_a_subresource() -> None:
    doc = openapi.group_version_document("apps", "v1")
    assert doc is not None
    scale = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]
    assert scale["patch"]["x-kubernetes-group-version-kind"] == {
        "group": "autoscaling", "kind": "Scale", "version": "v1"}


def test_eviction_is_a_post_when_it_is_a_subresource() -> None:
    doc = openapi.group_version_document("", "v1")
    assert doc is not None
    eviction = doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]
    assert eviction["post"]["x-kubernetes-group-version-kind"]["group"] == "policy"
    assert "patch" not in eviction


@pytest.mark.parametrize(("group", "version"), group_versions())
def test_every_reference_resolves_when_the_document_is_served(group: str, version: str) -> None:
    doc = openapi.group_version_document(group, version)
    assert doc is not None
    schemas = doc["components"]["schemas"]
    for ref in refs(doc):
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in schemas


def test_kinds_carry_their_gvk_when_listed_in_components() -> None:
    schemas = schemas_of("apps", "v1")
    assert schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}]


def test_schemas_carry_the_patch_extensions_when_a_list_has_them() -> None:
    schemas = schemas_of("", "v1")
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-list-map-keys"] == ["name"]
    assert containers["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}
    taints = schemas["io.k8s.api.core.v1.NodeSpec"]["properties"]["taints"]
    assert taints["x-kubernetes-list-type"] == "atomic"


def test_described_references_use_all_of_when_rendered_like_upstream() -> None:
    schemas = schemas_of("apps", "v1")
    spec = schemas["io.k8s.api.apps.v1.Deployment"]["properties"]["spec"]
    assert spec["allOf"] == [{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}]
    assert spec["description"]


def test_int_or_string_is_a_one_of_when_rendered() -> None:
    schemas = schemas_of("apps", "v1")
    assert schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] == {
        "oneOf": [{"type": "integer"}, {"type": "string"}], "format": "int-or-string"}
