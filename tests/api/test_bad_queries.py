"""Paths, methods and query parameters the simulator must refuse as kube-apiserver 1.32
does, and the lenient ones it must accept as upstream does.

Upstream: k8s.io/apimachinery's query conversion (Convert_Slice_string_To_bool never
fails; integers must parse), internalversion/validation ValidateListOptions, metav1
ValidateDeleteOptions, labels/fields selector parsing, and the watch cache's 410.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from rawhttp import Raw, Unchanged

from chaoszone.sim.server import Simulator


@pytest.fixture(scope="module")
def sim(still_sim: Simulator) -> Simulator:
    """This module's requests go to the still simulator (see conftest)."""
    return still_sim


NOT_FOUND = "the server could not find the requested resource"
NOT_ALLOWED = "the server does not allow this method on the requested resource"


def cms(namespace: str) -> str:
    return f"/api/v1/namespaces/{namespace}/configmaps"


@pytest.fixture
def two_cms(raw: Raw, namespace: str) -> str:
    for name in ("a", "b"):
        body = {"metadata": {"name": name, "labels": {"app": "x"}}}
        assert raw.post(cms(namespace), body).status == 201
    return cms(namespace)


# -- paths and methods ------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/api/v1/frobs",
    "/api/v1/namespaces/default/frobs",
    "/api/v2",
    "/api/v2/pods",
    "/apis/frob.example.com/v1/frobs",
    "/apis/apps/v9/deployments",
    "/apis/apps/v1/frobs",
    "/api/v1/namespaces/default/pods/p/frob",
    "/api/v1/namespaces/default/configmaps/c/status",
    "/api/v1/namespaces/default/pods/p/status/extra",
    "/api/v1/namespaces/default/nodes",
    "/openapi/v3/apis/frob/v1",
    "/nothing/here",
])
def test_an_unknown_resource_or_path_is_a_404_status(raw: Raw, unchanged: Unchanged,
                                                     path: str) -> None:
    with unchanged():
        doc = raw.get(path).error(404, "NotFound")
    assert doc["message"] == NOT_FOUND


@pytest.mark.parametrize(("method", "path"), [
    ("PUT", "/api/v1/namespaces/default/configmaps"),
    ("PATCH", "/api/v1/namespaces/default/configmaps"),
    ("POST", "/api/v1/namespaces/default/configmaps/kube-root-ca.crt"),
    ("POST", "/api/v1/configmaps"),
    ("DELETE", "/api/v1/configmaps"),
    ("POST", "/version"),
    ("DELETE", "/api"),
    ("POST", "/api/v1"),
    ("PUT", "/apis/apps/v1"),
    ("POST", "/openapi/v3"),
    ("OPTIONS", "/api/v1/namespaces"),
    ("GET", "/api/v1/namespaces/default/pods/p/binding"),
    ("PUT", "/api/v1/namespaces/default/pods/p/eviction"),
    ("POST", "/api/v1/namespaces/default/pods/p/log"),
])
def test_an_unsupported_method_is_a_405_status(raw: Raw, unchanged: Unchanged, method: str,
                                              path: str) -> None:
    with unchanged():
        doc = raw.request(method, path, {}).error(405, "MethodNotAllowed")
    assert doc["message"] == NOT_ALLOWED


def test_a_head_request_is_refused_without_a_body(raw: Raw, unchanged: Unchanged) -> None:
    with unchanged():
        reply = raw.request("HEAD", "/api/v1/namespaces")
    assert reply.status == 405 and reply.body == b""


# -- selectors --------------------------------------------------------------------------


@pytest.mark.parametrize(("selector", "words"), [
    ("app in (x", "unable to parse requirement"),
    ("!!app", "unable to parse requirement"),
    ("app==x==y", "found '==', expected: ',' or 'end of string'"),
    ("a b", "unable to parse requirement"),
    ("app=" + "v" * 64, "must be no more than 63 characters"),
    ("Bad Key=x", "unable to parse requirement"),
])
def test_an_invalid_label_selector_is_a_400(raw: Raw, unchanged: Unchanged, two_cms: str,
                                            selector: str, words: str) -> None:
    with unchanged():
        doc = raw.get(two_cms + "?labelSelector=" + _quote(selector)).error(400, "BadRequest")
    assert words in doc["message"]


@pytest.mark.parametrize("selector", ["metadata.name", "metadata.name=a=b=c", "=a"])
def test_an_invalid_field_selector_is_a_400(raw: Raw, unchanged: Unchanged, two_cms: str,
                                            selector: str) -> None:
    with unchanged():
        doc = raw.get(two_cms + "?fieldSelector=" + _quote(selector)).error(400, "BadRequest")
    assert "selector" in doc["message"]


def test_a_field_selector_on_an_unsupported_field_is_a_400_naming_the_supported_ones(
        raw: Raw, unchanged: Unchanged, two_cms: str) -> None:
    with unchanged():
        doc = raw.get(two_cms + "?fieldSelector=spec.nodeName%3Dn1").error(400, "BadRequest")
    assert doc["message"] == ('"spec.nodeName" is not a known field selector: only '
                              '"metadata.name", "metadata.namespace"')


def test_a_delete_collection_with_a_bad_selector_deletes_nothing(
        raw: Raw, unchanged: Unchanged, two_cms: str) -> None:
    with unchanged():
        raw.delete(two_cms + "?labelSelector=" + _quote("app in (x")).error(400, "BadRequest")
        raw.delete(two_cms + "?fieldSelector=spec.x%3D1").error(400, "BadRequest")
    assert len(raw.get(two_cms).json()["items"]) == 2


# -- list options -----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["limit=ten", "limit=1.5", "timeoutSeconds=soon"])
def test_an_integer_query_parameter_that_is_not_an_integer_is_a_400(
        raw: Raw, unchanged: Unchanged, two_cms: str, query: str) -> None:
    with unchanged():
        doc = raw.get(two_cms + "?" + query).error(400, "BadRequest")
    assert "invalid syntax" in doc["message"]


@pytest.mark.parametrize("token", ["garbage", "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ", "%25%25"])
def test_an_invalid_continue_token_is_a_400(raw: Raw, unchanged: Unchanged, two_cms: str,
                                            token: str) -> None:
    with unchanged():
        doc = raw.get(two_cms + "?limit=1&continue=" + token).error(400, "BadRequest")
    assert "continue key is not valid" in doc["message"]


@pytest.mark.parametrize("rv", ["abc", "-5", "1.5"])
def test_a_resource_version_that_is_not_a_number_is_a_400(raw: Raw, unchanged: Unchanged,
                                                          two_cms: str, rv: str) -> None:
    with unchanged():
        doc = raw.get(two_cms + "?resourceVersion=" + rv).error(400, "BadRequest")
    assert rv in doc["message"]


@pytest.mark.parametrize(("query", "field", "message"), [
    ("resourceVersionMatch=Exact", "resourceVersionMatch",
     "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"),
    ("resourceVersion=1&resourceVersionMatch=Newest", "resourceVersionMatch",
     'Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""'),
    ("resourceVersion=0&resourceVersionMatch=Exact", "resourceVersionMatch",
     'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'),
    ("resourceVersion=1&resourceVersionMatch=NotOlderThan&continue=abc",
     "resourceVersionMatch", "Forbidden: resourceVersionMatch is forbidden when continue is "
                             "provided"),
    ("sendInitialEvents=true", "sendInitialEvents",
     "Forbidden: sendInitialEvents is forbidden for list"),
])
def test_list_option_combinations_upstream_forbids_are_a_422_on_list_options(
        raw: Raw, unchanged: Unchanged, two_cms: str, query: str, field: str,
        message: str) -> None:
    with unchanged():
        doc = raw.get(two_cms + "?" + query).error(422, "Invalid")
    assert doc["message"] == f'ListOptions.meta.k8s.io "" is invalid: {field}: {message}'
    assert doc["details"]["kind"] == "ListOptions"
    assert doc["details"]["group"] == "meta.k8s.io"


def test_a_resource_version_with_a_continue_token_is_a_400(raw: Raw, unchanged: Unchanged,
                                                           two_cms: str) -> None:
    token = raw.get(two_cms + "?limit=1").json()["metadata"]["continue"]
    with unchanged():
        doc = raw.get(f"{two_cms}?limit=1&resourceVersion=5&continue={token}").error(
            400, "BadRequest")
    assert doc["message"] == "specifying resource version is not allowed when using continue"


def test_a_watch_with_a_resource_version_match_but_no_initial_events_is_a_422(
        raw: Raw, unchanged: Unchanged, two_cms: str) -> None:
    with unchanged():
        doc = raw.get(two_cms + "?watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan"
                      ).error(422, "Invalid")
    assert "resourceVersionMatch is forbidden for watch unless sendInitialEvents is " \
           "provided" in doc["message"]


# -- booleans: lenient, as upstream ------------------------------------------------------


@pytest.mark.parametrize("value", ["true", "True", "1", "yes", "t", "on", ""])
def test_any_watch_value_but_false_or_0_starts_a_watch(raw: Raw, two_cms: str,
                                                       value: str) -> None:
    status, events = raw.watch_events(f"{two_cms}?watch={value}", 2)
    assert status == 200
    assert {e["type"] for e in events} == {"ADDED"}
    assert sorted(e["object"]["metadata"]["name"] for e in events) == ["a", "b"]


@pytest.mark.parametrize("value", ["false", "False", "FALSE", "0"])
def test_watch_false_or_0_lists(raw: Raw, two_cms: str, value: str) -> None:
    reply = raw.get(f"{two_cms}?watch={value}")
    assert reply.status == 200 and reply.json()["kind"] == "ConfigMapList"


def test_unparseable_booleans_elsewhere_are_true_not_errors(raw: Raw, two_cms: str) -> None:
    status, events = raw.watch_events(f"{two_cms}?watch=1&allowWatchBookmarks=maybe", 1)
    assert status == 200 and events[0]["type"] == "ADDED"
    assert raw.get(two_cms + "/a?pretty=perhaps").status == 200


def test_a_named_get_ignores_watch(raw: Raw, two_cms: str) -> None:
    reply = raw.get(two_cms + "/a?watch=true")
    assert reply.status == 200 and reply.json()["metadata"]["name"] == "a"


# -- delete options ---------------------------------------------------------------------


@pytest.mark.parametrize(("query", "body", "message"), [
    ("propagationPolicy=Sideways", None,
     'propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", '
     '"Background", "Orphan", "nil"'),
    ("orphanDependents=true&propagationPolicy=Background", None,
     'propagationPolicy: Invalid value: "Background": orphanDependents and '
     "deletionPropagation cannot be both set"),
    ("dryRun=yes", None, 'dryRun: Unsupported value: []string{"yes"}: supported values: '
                         '"All"'),
    ("", {"dryRun": ["Everything"]},
     'dryRun: Unsupported value: []string{"Everything"}: supported values: "All"'),
    ("", {"propagationPolicy": "Later"},
     'propagationPolicy: Unsupported value: "Later": supported values: "Foreground", '
     '"Background", "Orphan", "nil"'),
])
def test_invalid_delete_options_are_a_422_and_delete_nothing(
        raw: Raw, unchanged: Unchanged, two_cms: str, query: str, body: Any,
        message: str) -> None:
    with unchanged():
        doc = raw.request("DELETE", f"{two_cms}/a?{query}", body).error(422, "Invalid")
    assert doc["message"] == f'DeleteOptions.meta.k8s.io "" is invalid: {message}'
    assert raw.get(two_cms + "/a").status == 200


@pytest.mark.parametrize(("query", "body", "words"), [
    ("gracePeriodSeconds=soon", None, "invalid syntax"),
    ("", b'{"gracePeriodSeconds": ', "json parse error"),
    ("", b"[1]", "DeleteOptions must be a JSON object"),
    ("", {"preconditions": "uid"},
     "json: cannot unmarshal string into Go struct field DeleteOptions.preconditions of type "
     "v1.Preconditions"),
    ("", {"gracePeriodSeconds": "30"}, "gracePeriodSeconds"),
])
def test_malformed_delete_options_are_a_400_and_delete_nothing(
        raw: Raw, unchanged: Unchanged, two_cms: str, query: str, body: Any,
        words: str) -> None:
    with unchanged():
        doc = raw.request("DELETE", f"{two_cms}/a?{query}", body).error(400, "BadRequest")
    assert words in doc["message"]
    assert raw.get(two_cms + "/a").status == 200


def test_a_delete_with_a_wrong_uid_precondition_is_a_409(raw: Raw, unchanged: Unchanged,
                                                         two_cms: str) -> None:
    with unchanged():
        doc = raw.request("DELETE", two_cms + "/a", {"preconditions": {"uid": "nope"}}).error(
            409, "Conflict")
    assert "Precondition failed: UID in precondition: nope" in doc["message"]


def test_deleting_a_missing_object_is_a_404(raw: Raw, unchanged: Unchanged,
                                            two_cms: str) -> None:
    with unchanged():
        doc = raw.delete(two_cms + "/absent").error(404, "NotFound")
    assert doc["message"] == 'configmaps "absent" not found'


# -- a watch from a resourceVersion the history no longer holds -------------------------


@pytest.fixture(scope="module")
def short_memory() -> Iterator[Simulator]:
    """A simulator that keeps only 3 events of history."""
    with Simulator(history=3) as simulator:
        yield simulator


def test_a_watch_from_a_forgotten_resource_version_is_an_error_event_410_expired(
        short_memory: Simulator) -> None:
    raw = Raw(short_memory)
    url = "/api/v1/namespaces/default/configmaps"
    first = raw.post(url, {"metadata": {"name": "c0"}}).json()["metadata"]["resourceVersion"]
    for i in range(1, 6):
        assert raw.post(url, {"metadata": {"name": f"c{i}"}}).status == 201
    with Unchanged(short_memory, raw)():
        reply = raw.get(f"{url}?watch=true&resourceVersion={first}")
    assert reply.status == 200
    (line,) = reply.body.splitlines()
    event = json.loads(line)
    assert event["type"] == "ERROR"
    status = event["object"]
    assert (status["kind"], status["status"], status["code"], status["reason"]) == (
        "Status", "Failure", 410, "Expired")
    assert status["message"].startswith(f"too old resource version: {first} (")
    # and a list at that exact version is a 410 too
    with Unchanged(short_memory, raw)():
        raw.get(f"{url}?resourceVersion={first}&resourceVersionMatch=Exact").error(
            410, "Expired")
    raw.close()


def test_a_watch_from_a_resource_version_that_is_not_a_number_is_a_400(
        raw: Raw, unchanged: Unchanged, two_cms: str) -> None:
    with unchanged():
        raw.get(two_cms + "?watch=true&resourceVersion=yesterday").error(400, "BadRequest")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
