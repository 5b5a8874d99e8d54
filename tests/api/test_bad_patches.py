"""Patches the simulator must refuse as kube-apiserver 1.32 does, changing nothing.

Upstream: staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go (patch types,
ValidatePatchOptions, applyJSPatch, strategicPatchObject, the 422 ``patch: Invalid
value`` of a result that does not decode), evanphx/json-patch and strategicpatch.
"""

from __future__ import annotations

from typing import Any

import pytest
from rawhttp import Raw, Unchanged, stored_object

from chaoszone.sim.server import Simulator


@pytest.fixture(scope="module")
def sim(still_sim: Simulator) -> Simulator:
    """This module's requests go to the still simulator (see conftest)."""
    return still_sim


JSON_PATCH = "application/json-patch+json"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
PATCH_TYPES_415 = ("the body of the request was in an unknown format - accepted media "
                   "types include: application/json-patch+json, application/merge-patch+json, "
                   "application/strategic-merge-patch+json, application/apply-patch+yaml")


@pytest.fixture
def cm(raw: Raw, sim: Simulator, namespace: str) -> str:
    """A ConfigMap to patch; returns its URL."""
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
            "data": {"a": "1"}}
    assert raw.post(url, body).status == 201
    return url + "/cm"


def snapshot(sim: Simulator, url: str) -> dict[str, Any] | None:
    namespace = url.split("/")[4]
    return stored_object(sim, "configmaps", namespace, "cm")


@pytest.mark.parametrize("content_type", [
    "application/json", "text/plain", "application/yaml", "application/apply-patch+cbor",
    "application/json-patch", "application/merge-patch"])
def test_a_patch_in_a_type_that_is_not_a_patch_type_is_a_415_listing_the_patch_types(
        raw: Raw, unchanged: Unchanged, sim: Simulator, cm: str, content_type: str) -> None:
    before = snapshot(sim, cm)
    with unchanged():
        doc = raw.patch(cm, {"data": {"a": "2"}}, content_type).error(
            415, "UnsupportedMediaType")
    assert doc["message"] == PATCH_TYPES_415
    assert snapshot(sim, cm) == before


def test_a_patch_type_with_a_charset_is_still_that_patch_type(raw: Raw, cm: str) -> None:
    reply = raw.patch(cm, {"data": {"a": "2"}}, MERGE + "; charset=utf-8")
    assert reply.status == 200 and reply.json()["data"] == {"a": "2"}


@pytest.mark.parametrize("patch_type", [JSON_PATCH, MERGE, STRATEGIC])
@pytest.mark.parametrize("body", [b'{"data": {"a": ', b"[{]", b"not json", b"   "],
                         ids=["truncated", "brackets", "words", "blank"])
def test_a_patch_that_is_not_json_is_a_400(raw: Raw, unchanged: Unchanged, sim: Simulator,
                                           cm: str, patch_type: str, body: bytes) -> None:
    before = snapshot(sim, cm)
    with unchanged():
        raw.patch(cm, body, patch_type).error(400, "BadRequest")
    assert snapshot(sim, cm) == before


@pytest.mark.parametrize("body", [b"data: [a\n", b"kind: ConfigMap\n  bad: indent\n x: y\n"])
def test_an_apply_patch_that_is_not_yaml_is_a_400(raw: Raw, unchanged: Unchanged,
                                                  sim: Simulator, cm: str, body: bytes) -> None:
    before = snapshot(sim, cm)
    with unchanged():
        raw.patch(cm + "?fieldManager=tests", body, APPLY).error(400, "BadRequest")
    assert snapshot(sim, cm) == before


@pytest.mark.parametrize(("body", "message"), [
    ({"op": "add"}, "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
    ('"add"', "json: cannot unmarshal string into Go value of type jsonpatch.Patch"),
    ([1], "json: cannot unmarshal number into Go value of type jsonpatch.Operation"),
])
def test_a_json_patch_that_is_not_a_list_of_operations_is_a_400(
        raw: Raw, unchanged: Unchanged, cm: str, body: Any, message: str) -> None:
    with unchanged():
        doc = raw.patch(cm, body, JSON_PATCH).error(400, "BadRequest")
    assert doc["message"] == message


@pytest.mark.parametrize("ops", [
    [{"op": "test", "path": "/data/a", "value": "not what is there"}],
    [{"op": "replace", "path": "/data/a", "value": "2"},
     {"op": "test", "path": "/data/a", "value": "1"}],
    [{"op": "remove", "path": "/data/missing"}],
    [{"op": "replace", "path": "/no/such/path", "value": 1}],
    [{"op": "frobnicate", "path": "/data/a"}],
    [{"op": "add", "value": 1}],
    [{"op": "move", "from": "/data/missing", "path": "/data/b"}],
], ids=["test-fails", "test-fails-after-replace", "remove-missing", "replace-missing",
        "unknown-op", "no-path", "move-missing"])
def test_a_json_patch_that_cannot_be_applied_is_a_422_and_changes_nothing(
        raw: Raw, unchanged: Unchanged, sim: Simulator, cm: str,
        ops: list[dict[str, Any]]) -> None:
    before = snapshot(sim, cm)
    with unchanged():
        doc = raw.patch(cm, ops, JSON_PATCH).error(422, "Invalid")
    # NewGenericServerResponse(422) keeps only its generic words: the cause is not sent
    assert doc["message"] == "the server rejected our request due to an error in our request"
    assert snapshot(sim, cm) == before


@pytest.mark.parametrize(("patch_type", "body"), [
    (MERGE, [1, 2]),
    (MERGE, '"a string"'),
    (JSON_PATCH, [{"op": "replace", "path": "", "value": [1]}]),
])
def test_a_patch_leaving_something_other_than_an_object_is_a_422_patch_invalid_value(
        raw: Raw, unchanged: Unchanged, sim: Simulator, cm: str, patch_type: str,
        body: Any) -> None:
    before = snapshot(sim, cm)
    with unchanged():
        doc = raw.patch(cm, body, patch_type).error(422, "Invalid")
    assert doc["message"].startswith('"" is invalid: patch: Invalid value: ')
    assert "couldn't get version/kind; json parse error" in doc["message"]
    assert doc["details"]["causes"][0]["field"] == "patch"
    assert snapshot(sim, cm) == before


@pytest.mark.parametrize("body", [[1, 2], '"a string"', 42])
def test_a_strategic_merge_patch_that_is_not_an_object_is_a_400(
        raw: Raw, unchanged: Unchanged, cm: str, body: Any) -> None:
    with unchanged():
        doc = raw.patch(cm, body, STRATEGIC).error(400, "BadRequest")
    assert doc["message"].endswith("into Go value of type map[string]interface {}")


@pytest.mark.parametrize("patch_type", [MERGE, STRATEGIC])
def test_a_patch_giving_a_field_the_wrong_type_is_a_422_and_changes_nothing(
        raw: Raw, unchanged: Unchanged, sim: Simulator, cm: str, patch_type: str) -> None:
    before = snapshot(sim, cm)
    with unchanged():
        doc = raw.patch(cm, {"data": {"a": 2}}, patch_type).error(422, "Invalid")
    assert doc["message"].startswith('"" is invalid: patch: Invalid value: ')
    assert doc["message"].endswith(
        "json: cannot unmarshal number into Go struct field ConfigMap.data of type string")
    assert snapshot(sim, cm) == before


def test_a_strategic_merge_patch_with_an_unknown_directive_is_a_400_not_a_500(
        raw: Raw, unchanged: Unchanged, sim: Simulator, cm: str) -> None:
    before = snapshot(sim, cm)
    with unchanged():
        doc = raw.patch(cm, {"data": {"$patch": "frobnicate"}}, STRATEGIC).error(
            400, "BadRequest")
    assert doc["message"].startswith("unknown patch type: frobnicate in map: ")
    assert snapshot(sim, cm) == before


def test_a_strategic_merge_patch_item_without_its_merge_key_is_a_400(
        raw: Raw, unchanged: Unchanged, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/pods"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}}
    assert raw.post(url, pod).status == 201
    with unchanged():
        doc = raw.patch(url + "/p", {"spec": {"containers": [{"image": "x"}]}},
                        STRATEGIC).error(400, "BadRequest")
    assert doc["message"] == "map: map[image:x] does not contain declared merge key: name"


def test_an_unknown_field_in_a_patch_under_strict_validation_is_a_422(
        raw: Raw, unchanged: Unchanged, sim: Simulator, cm: str) -> None:
    before = snapshot(sim, cm)
    with unchanged():
        doc = raw.patch(cm + "?fieldValidation=Strict", {"bogus": 1}, MERGE).error(
            422, "Invalid")
    assert doc["message"].endswith('strict decoding error: unknown field "bogus"')
    assert snapshot(sim, cm) == before


def test_an_unknown_field_in_a_patch_under_warn_validation_is_warned_and_dropped(
        raw: Raw, sim: Simulator, cm: str) -> None:
    reply = raw.patch(cm, {"bogus": 1, "data": {"b": "2"}}, MERGE)
    assert reply.status == 200
    assert reply.headers.get_all("Warning") == ['299 - "unknown field \\"bogus\\""']
    stored = snapshot(sim, cm)
    assert stored is not None and "bogus" not in stored and stored["data"]["b"] == "2"


@pytest.mark.parametrize("query", ["force=true", "force=false", "force="])
def test_force_on_a_patch_that_is_not_apply_is_a_422_whatever_its_value(
        raw: Raw, unchanged: Unchanged, cm: str, query: str) -> None:
    with unchanged():
        doc = raw.patch(cm + "?" + query, {"data": {"a": "2"}}, MERGE).error(422, "Invalid")
    assert doc["message"] == ('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may '
                              "not be specified for non-apply patch")


def test_an_apply_patch_without_a_field_manager_is_a_422(raw: Raw, unchanged: Unchanged,
                                                         cm: str) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
            "data": {"a": "2"}}
    with unchanged():
        doc = raw.patch(cm, body, APPLY).error(422, "Invalid")
    assert doc["message"] == ('PatchOptions.meta.k8s.io "" is invalid: fieldManager: '
                              "Required value: is required for apply patch")


def test_an_apply_patch_with_an_undeclared_field_is_a_400_with_upstreams_words(
        raw: Raw, unchanged: Unchanged, cm: str) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
            "bogus": {"x": 1}}
    with unchanged():
        doc = raw.patch(cm + "?fieldManager=tests", body, APPLY).error(400, "BadRequest")
    assert doc["message"].startswith("failed to create typed patch object")


def test_a_bad_dry_run_on_a_patch_is_a_422_on_patch_options(raw: Raw, unchanged: Unchanged,
                                                           cm: str) -> None:
    with unchanged():
        doc = raw.patch(cm + "?dryRun=yes", {"data": {"a": "2"}}, MERGE).error(422, "Invalid")
    assert doc["message"].startswith('PatchOptions.meta.k8s.io "" is invalid: dryRun: ')


@pytest.mark.parametrize("patch_type", [JSON_PATCH, MERGE, STRATEGIC])
def test_patching_a_missing_object_is_a_404(raw: Raw, unchanged: Unchanged, namespace: str,
                                            patch_type: str) -> None:
    body: Any = ([{"op": "add", "path": "/data", "value": {}}] if patch_type == JSON_PATCH
                 else {"data": {}})
    with unchanged():
        doc = raw.patch(f"/api/v1/namespaces/{namespace}/configmaps/absent", body,
                        patch_type).error(404, "NotFound")
    assert doc["message"] == 'configmaps "absent" not found'


def test_a_patch_renaming_the_object_is_a_400(raw: Raw, unchanged: Unchanged, sim: Simulator,
                                              cm: str) -> None:
    before = snapshot(sim, cm)
    with unchanged():
        doc = raw.patch(cm, [{"op": "replace", "path": "/metadata/name", "value": "other"}],
                        JSON_PATCH).error(400, "BadRequest")
    assert doc["message"] == "the name of the object (other) does not match the name on the " \
                             "URL (cm)"
    assert snapshot(sim, cm) == before


def test_a_patch_changing_the_kind_is_a_400(raw: Raw, unchanged: Unchanged, cm: str) -> None:
    with unchanged():
        doc = raw.patch(cm, [{"op": "replace", "path": "/kind", "value": "Secret"}],
                        JSON_PATCH).error(400, "BadRequest")
    assert doc["message"].startswith('Secret in version "v1" cannot be handled as a ConfigMap')


def test_a_merge_patch_with_a_stale_resource_version_is_a_409(
        raw: Raw, unchanged: Unchanged, sim: Simulator, cm: str) -> None:
    before = snapshot(sim, cm)
    with unchanged():
        doc = raw.patch(cm, {"metadata": {"resourceVersion": "1"}, "data": {"a": "9"}},
                        MERGE).error(409, "Conflict")
    assert "the object has been modified" in doc["message"]
    assert snapshot(sim, cm) == before
