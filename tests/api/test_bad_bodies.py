"""Create and update bodies the simulator must refuse as kube-apiserver 1.32 does: the
code, reason and words of upstream's Status, and no change to the store.

Upstream: staging/src/k8s.io/apiserver/pkg/endpoints/handlers/{create,update,rest}.go
(transformDecodeError, checkName, limitedReadBody), the JSON/YAML serializers of
k8s.io/apimachinery, and apimachinery's metav1 validation of the write options.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
from rawhttp import Raw, Reply, Unchanged, stored_object

from chaoszone.sim.server import Simulator


@pytest.fixture(scope="module")
def sim(still_sim: Simulator) -> Simulator:
    """This module's requests go to the still simulator (see conftest)."""
    return still_sim


def configmap(name: str = "cm", **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, **extra}


def pod(name: str = "p") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}}


def cms(namespace: str) -> str:
    return f"/api/v1/namespaces/{namespace}/configmaps"


def pods(namespace: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods"


# -- bodies that are not an object -----------------------------------------------------


@pytest.mark.parametrize(("body", "detail"), [
    (b'{"apiVersion": "v1", "kind": "Pod",', "couldn't get version/kind; json parse error"),
    (b"{'single': 'quotes'}", "couldn't get version/kind; json parse error"),
    (b"", "couldn't get version/kind; json parse error: unexpected end of JSON input"),
    (b'{"a": NaN}', "invalid character 'N' looking for beginning of value"),
    (b"[1, 2]", "json: cannot unmarshal array into Go value of type struct"),
    (b'"a pod"', "json: cannot unmarshal string into Go value of type struct"),
    (b"42", "json: cannot unmarshal number into Go value of type struct"),
    (b"true", "json: cannot unmarshal bool into Go value of type struct"),
], ids=["truncated", "not-json", "empty", "nan", "array", "string", "number", "bool"])
def test_a_json_body_that_is_not_an_object_is_a_400_naming_the_expected_kind(
        raw: Raw, unchanged: Unchanged, namespace: str, body: bytes, detail: str) -> None:
    with unchanged():
        doc = raw.post(pods(namespace), body).error(400, "BadRequest")
    assert doc["message"].startswith(
        "the object provided is unrecognized (must be of type Pod): ")
    assert detail in doc["message"]


@pytest.mark.parametrize("body", [
    b"apiVersion: v1\nkind: Pod\nmetadata: [name: x\n",
    b"apiVersion: v1\nkind: Pod\n  metadata: {}\n bad: indent\n",
    b"key: \"unterminated\n",
    b"kind: \xc3\x28 not utf-8",
])
def test_malformed_yaml_is_a_400_in_go_yamls_words(raw: Raw, unchanged: Unchanged,
                                                   namespace: str, body: bytes) -> None:
    with unchanged():
        doc = raw.post(pods(namespace), body, content_type="application/yaml").error(
            400, "BadRequest")
    assert doc["message"].startswith(
        "the object provided is unrecognized (must be of type Pod): yaml: ")


def test_yaml_like_sigs_yaml_reads_it_keeps_timestamps_as_text_and_the_first_document(
        raw: Raw, namespace: str) -> None:
    body = (b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dated\n"
            b"data:\n  since: 2024-01-02\n  1: one\n---\nkind: Ignored\n")
    reply = raw.post(cms(namespace), body, content_type="application/yaml")
    assert reply.status == 201, reply.body
    assert reply.json()["data"] == {"since": "2024-01-02", "1": "one"}


def test_a_json_null_body_is_an_empty_object_so_the_name_is_missing(
        raw: Raw, unchanged: Unchanged, namespace: str) -> None:
    with unchanged():
        doc = raw.post(cms(namespace), b"null").error(422, "Invalid")
    assert doc["message"] == ('ConfigMap "" is invalid: metadata.name: Required value: '
                              "name or generateName is required")


# -- wrong type, kind or version --------------------------------------------------------


def test_an_apiversion_that_is_not_the_endpoints_is_a_400(raw: Raw, unchanged: Unchanged,
                                                          namespace: str) -> None:
    body = {**pod(), "apiVersion": "apps/v1"}
    with unchanged():
        doc = raw.post(pods(namespace), body).error(400, "BadRequest")
    assert "apps/v1" in doc["message"]


def test_a_kind_that_is_not_the_endpoints_is_a_400_that_cannot_be_handled(
        raw: Raw, unchanged: Unchanged, namespace: str) -> None:
    body = {**pod(), "kind": "Service"}
    with unchanged():
        doc = raw.post(pods(namespace), body).error(400, "BadRequest")
    assert doc["message"].startswith('Service in version "v1" cannot be handled as a Pod: ')


@pytest.mark.parametrize(("field", "value", "message"), [
    ("apiVersion", 1, "json: cannot unmarshal number into Go struct field .apiVersion of type "
                      "string"),
    ("kind", ["Pod"], "json: cannot unmarshal array into Go struct field .kind of type string"),
])
def test_an_apiversion_or_kind_that_is_not_a_string_is_unrecognized(
        raw: Raw, unchanged: Unchanged, namespace: str, field: str, value: Any,
        message: str) -> None:
    with unchanged():
        doc = raw.post(pods(namespace), {**pod(), field: value}).error(400, "BadRequest")
    assert "couldn't get version/kind; json parse error: " + message in doc["message"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: p["metadata"].update(labels=["a"]),
     "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type "
     "map[string]string"),
    (lambda p: p["metadata"].update(labels={"a": 1}),
     "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type "
     "string"),
    (lambda p: p["metadata"].update(generateName={"a": 1}),
     "json: cannot unmarshal object into Go struct field ObjectMeta.metadata.generateName of "
     "type string"),
    (lambda p: p.update(spec={"containers": "c"}),
     "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type "
     "[]v1.Container"),
    (lambda p: p["spec"]["containers"][0].update(ports=[{"containerPort": 1.5}]),
     "json: cannot unmarshal number 1.5 into Go struct field "
     "ContainerPort.spec.containers.ports.containerPort of type int32"),
    (lambda p: p["spec"].update(hostNetwork="yes"),
     "json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type "
     "bool"),
    (lambda p: p["spec"]["containers"][0].update(resources={"limits": {"cpu": True}}),
     "quantities must match the regular expression"),
    (lambda p: p.update(metadata="p"),
     "json: cannot unmarshal string into Go struct field Pod.metadata of type v1.ObjectMeta"),
], ids=["labels-list", "label-number", "generatename-map", "containers-string",
        "port-fraction", "bool-string", "quantity-bool", "metadata-string"])
def test_a_field_of_the_wrong_json_type_is_a_400_from_the_typed_decoder(
        raw: Raw, unchanged: Unchanged, namespace: str, change: Any, message: str) -> None:
    body = pod()
    change(body)
    with unchanged():
        doc = raw.post(pods(namespace), body).error(400, "BadRequest")
    assert doc["message"].startswith('Pod in version "v1" cannot be handled as a Pod: ')
    assert message in doc["message"]


def test_a_wrong_type_in_a_put_changes_nothing(raw: Raw, unchanged: Unchanged, sim: Simulator,
                                               namespace: str) -> None:
    assert raw.post(cms(namespace), configmap(data={"a": "b"})).status == 201
    before = stored_object(sim, "configmaps", namespace, "cm")
    with unchanged():
        doc = raw.put(cms(namespace) + "/cm", configmap(data={"a": 1})).error(400, "BadRequest")
    assert "Go struct field ConfigMap.data of type string" in doc["message"]
    assert stored_object(sim, "configmaps", namespace, "cm") == before


# -- names ------------------------------------------------------------------------------


def test_a_missing_name_is_a_422_required_value(raw: Raw, unchanged: Unchanged,
                                                namespace: str) -> None:
    body = pod()
    del body["metadata"]["name"]
    with unchanged():
        doc = raw.post(pods(namespace), body).error(422, "Invalid")
    assert doc["message"] == ('Pod "" is invalid: metadata.name: Required value: name or '
                              "generateName is required")
    assert doc["details"]["causes"] == [{
        "reason": "FieldValueRequired", "field": "metadata.name",
        "message": "Required value: name or generateName is required"}]


@pytest.mark.parametrize(("path", "body", "rule"), [
    ("pods", pod("Bad_Name"), "a lowercase RFC 1123 subdomain must consist of lower case "
                              "alphanumeric characters, '-' or '.', and must start and end "
                              "with an alphanumeric character"),
    ("configmaps", configmap("-leading-dash"), "a lowercase RFC 1123 subdomain"),
    ("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1abc"},
                  "spec": {"ports": [{"port": 80}]}},
     "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
     "with an alphabetic character, and end with an alphanumeric character"),
], ids=["pod-subdomain", "configmap-dash", "service-dns1035"])
def test_an_invalid_name_is_a_422_with_the_rule_it_breaks(
        raw: Raw, unchanged: Unchanged, namespace: str, path: str, body: dict[str, Any],
        rule: str) -> None:
    with unchanged():
        doc = raw.post(f"/api/v1/namespaces/{namespace}/{path}", body).error(422, "Invalid")
    name = body["metadata"]["name"]
    assert doc["message"].startswith(f'{body["kind"]} "{name}" is invalid: metadata.name: '
                                     f'Invalid value: "{name}": {rule}')
    (cause,) = doc["details"]["causes"]
    assert cause["field"] == "metadata.name" and cause["reason"] == "FieldValueInvalid"


@pytest.mark.parametrize(("name", "rule"), [
    ("Bad_NS", "a lowercase RFC 1123 label must consist of lower case alphanumeric "
               "characters or '-'"),
    ("has.dots", "must not contain dots"),
])
def test_a_namespace_name_must_be_an_rfc_1123_label(raw: Raw, unchanged: Unchanged,
                                                    name: str, rule: str) -> None:
    with unchanged():
        doc = raw.post("/api/v1/namespaces", {"metadata": {"name": name}}).error(
            422, "Invalid")
    assert doc["message"].startswith(
        f'Namespace "{name}" is invalid: metadata.name: Invalid value: "{name}": {rule}')


# -- field validation -------------------------------------------------------------------


def test_an_unknown_field_under_strict_validation_is_a_400_strict_decoding_error(
        raw: Raw, unchanged: Unchanged, namespace: str) -> None:
    body = pod()
    body["spec"]["foo"] = 1
    with unchanged():
        doc = raw.post(pods(namespace) + "?fieldValidation=Strict", body).error(
            400, "BadRequest")
    assert doc["message"] == ('Pod in version "v1" cannot be handled as a Pod: strict '
                              'decoding error: unknown field "spec.foo"')


def test_an_unknown_field_under_warn_validation_creates_and_warns(
        raw: Raw, sim: Simulator, namespace: str) -> None:
    body = pod("warned")
    body["spec"]["foo"] = 1
    reply = raw.post(pods(namespace) + "?fieldValidation=Warn", body)
    assert reply.status == 201, reply.body
    assert reply.headers.get_all("Warning") == ['299 - "unknown field \\"spec.foo\\""']
    stored = stored_object(sim, "pods", namespace, "warned")
    assert stored is not None and "foo" not in stored["spec"]


def test_warn_is_the_default_field_validation(raw: Raw, namespace: str) -> None:
    reply = raw.post(cms(namespace), configmap(bogus=True))
    assert reply.status == 201
    assert reply.headers.get_all("Warning") == ['299 - "unknown field \\"bogus\\""']


def test_an_unknown_field_under_ignore_validation_creates_silently(
        raw: Raw, sim: Simulator, namespace: str) -> None:
    reply = raw.post(cms(namespace) + "?fieldValidation=Ignore", configmap(bogus=True))
    assert reply.status == 201, reply.body
    assert reply.headers.get_all("Warning") is None
    stored = stored_object(sim, "configmaps", namespace, "cm")
    assert stored is not None and "bogus" not in stored


def test_a_duplicate_json_field_under_strict_validation_is_a_400(
        raw: Raw, unchanged: Unchanged, namespace: str) -> None:
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","name":"b"}}'
    with unchanged():
        doc = raw.post(cms(namespace) + "?fieldValidation=Strict", body).error(
            400, "BadRequest")
    assert doc["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: '
                              'strict decoding error: duplicate field "metadata.name"')


def test_a_duplicate_yaml_key_under_strict_validation_is_a_400_in_go_yamls_words(
        raw: Raw, unchanged: Unchanged, namespace: str) -> None:
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"
    with unchanged():
        doc = raw.post(cms(namespace) + "?fieldValidation=Strict", body,
                       content_type="application/yaml").error(400, "BadRequest")
    assert doc["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
        'yaml: unmarshal errors:\n  line 5: key "name" already set in map')


def test_a_duplicate_field_under_warn_validation_creates_with_the_last_value_and_warns(
        raw: Raw, namespace: str) -> None:
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","name":"b"}}'
    reply = raw.post(cms(namespace), body)
    assert reply.status == 201
    assert reply.json()["metadata"]["name"] == "b"
    assert reply.headers.get_all("Warning") == [
        '299 - "duplicate field \\"metadata.name\\""']


# -- write options ----------------------------------------------------------------------


@pytest.mark.parametrize(("query", "field", "message"), [
    ("dryRun=Yes", "dryRun", 'Unsupported value: []string{"Yes"}: supported values: "All"'),
    ("dryRun=", "dryRun", 'Unsupported value: []string{""}: supported values: "All"'),
    ("dryRun=All&dryRun=true", "dryRun",
     'Unsupported value: []string{"All", "true"}: supported values: "All"'),
    ("fieldValidation=strict", "fieldValidation",
     'Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"'),
    ("fieldManager=" + "m" * 129, "fieldManager", "Too long: may not be more than 128 bytes"),
    ("fieldManager=a%07b", "fieldManager", "invalid character U+0007 (at position 1)"),
])
def test_bad_write_options_are_a_422_on_create_options(
        raw: Raw, unchanged: Unchanged, namespace: str, query: str, field: str,
        message: str) -> None:
    with unchanged():
        doc = raw.post(cms(namespace) + "?" + query, configmap()).error(422, "Invalid")
    assert doc["message"].startswith(f'CreateOptions.meta.k8s.io "" is invalid: {field}: ')
    assert message in doc["message"]
    assert doc["details"]["group"] == "meta.k8s.io"
    assert doc["details"]["kind"] == "CreateOptions"
    assert doc["details"]["causes"][0]["field"] == field


def test_a_bad_dry_run_on_update_is_a_422_on_update_options(
        raw: Raw, unchanged: Unchanged, sim: Simulator, namespace: str) -> None:
    assert raw.post(cms(namespace), configmap()).status == 201
    with unchanged():
        doc = raw.put(cms(namespace) + "/cm?dryRun=x", configmap(data={"a": "b"})).error(
            422, "Invalid")
    assert doc["message"].startswith('UpdateOptions.meta.k8s.io "" is invalid: dryRun: ')


def test_a_dry_run_create_changes_nothing(raw: Raw, unchanged: Unchanged,
                                          namespace: str) -> None:
    with unchanged():
        reply = raw.post(cms(namespace) + "?dryRun=All", configmap())
        assert reply.status == 201
    assert raw.get(cms(namespace) + "/cm").error(404, "NotFound")


# -- size and media type ----------------------------------------------------------------


def test_a_body_over_3_mib_is_a_413_request_entity_too_large(
        raw: Raw, unchanged: Unchanged, namespace: str) -> None:
    body = json.dumps(configmap(data={"big": "x" * (3 * 1024 * 1024)})).encode()
    with unchanged():
        doc = raw.post(cms(namespace), body).error(413, "RequestEntityTooLarge")
    assert doc["message"] == "Request entity too large: limit is 3145728"


def test_a_chunked_body_over_3_mib_is_a_413_too(sim: Simulator, raw: Raw,
                                                unchanged: Unchanged, namespace: str) -> None:
    chunk = b" " * (1024 * 1024)
    conn = http.client.HTTPSConnection("127.0.0.1", sim.port, context=raw.context, timeout=30)
    with unchanged():
        try:
            conn.request("POST", cms(namespace), body=iter([chunk] * 4), encode_chunked=True,
                         headers={"Authorization": f"Bearer {sim.token}",
                                  "Content-Type": "application/json"})
            response = conn.getresponse()
            reply = Reply(response.status, response.msg, response.read())
        finally:
            conn.close()
    assert reply.error(413, "RequestEntityTooLarge")["message"] == (
        "Request entity too large: limit is 3145728")


def test_a_body_just_under_3_mib_is_read(raw: Raw, unchanged: Unchanged,
                                         namespace: str) -> None:
    # under the body limit, over the ConfigMap's 1 MiB: the validation, not the reader, says no
    body = json.dumps(configmap(data={"big": "x" * (3 * 1024 * 1024 - 200)})).encode()
    assert len(body) <= 3 * 1024 * 1024
    with unchanged():
        doc = raw.post(cms(namespace), body).error(422, "Invalid")
    assert doc["message"] == ('ConfigMap "cm" is invalid: []: Too long: may not be more than '
                              "1048576 bytes")


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/xml", "application/x-www-form-urlencoded",
    "application/merge-patch+json", "application/cbor"])
def test_a_body_in_an_unknown_media_type_is_a_415(raw: Raw, unchanged: Unchanged,
                                                  namespace: str, content_type: str) -> None:
    with unchanged():
        doc = raw.post(cms(namespace), configmap(), content_type=content_type).error(
            415, "UnsupportedMediaType")
    assert doc["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml, application/vnd.kubernetes.protobuf")


def test_a_body_without_a_content_type_is_read_as_json(raw: Raw, namespace: str) -> None:
    assert raw.post(cms(namespace), configmap(), content_type=None).status == 201


# -- conflicts and identity -------------------------------------------------------------


def test_creating_an_existing_object_is_a_409_already_exists(
        raw: Raw, unchanged: Unchanged, sim: Simulator, namespace: str) -> None:
    assert raw.post(cms(namespace), configmap(data={"v": "1"})).status == 201
    before = stored_object(sim, "configmaps", namespace, "cm")
    with unchanged():
        doc = raw.post(cms(namespace), configmap(data={"v": "2"})).error(409, "AlreadyExists")
    assert doc["message"] == 'configmaps "cm" already exists'
    assert doc["details"] == {"name": "cm", "kind": "configmaps"}
    assert stored_object(sim, "configmaps", namespace, "cm") == before


def test_a_put_with_a_stale_resource_version_is_a_409_conflict(
        raw: Raw, unchanged: Unchanged, sim: Simulator, namespace: str) -> None:
    first = raw.post(cms(namespace), configmap(data={"v": "1"})).json()
    stale = first["metadata"]["resourceVersion"]
    assert raw.put(cms(namespace) + "/cm", configmap(data={"v": "2"})).status == 200
    before = stored_object(sim, "configmaps", namespace, "cm")
    body = configmap(data={"v": "3"})
    body["metadata"]["resourceVersion"] = stale
    with unchanged():
        doc = raw.put(cms(namespace) + "/cm", body).error(409, "Conflict")
    assert doc["message"] == ('Operation cannot be fulfilled on configmaps "cm": the object '
                              "has been modified; please apply your changes to the latest "
                              "version and try again")
    assert stored_object(sim, "configmaps", namespace, "cm") == before


def test_a_body_namespace_other_than_the_urls_is_a_400_on_create_and_update(
        raw: Raw, unchanged: Unchanged, namespace: str) -> None:
    assert raw.post(cms(namespace), configmap()).status == 201
    elsewhere = configmap("cm2")
    elsewhere["metadata"]["namespace"] = "kube-system"
    message = ("the namespace of the provided object does not match the namespace sent on "
               "the request")
    with unchanged():
        assert raw.post(cms(namespace), elsewhere).error(400, "BadRequest")["message"] == \
            message
        moved = configmap()
        moved["metadata"]["namespace"] = "kube-system"
        assert raw.put(cms(namespace) + "/cm", moved).error(400, "BadRequest")["message"] == \
            message


@pytest.mark.parametrize(("body_name", "shown"), [("other", "other"), (None, "")])
def test_a_put_naming_another_object_or_none_is_a_400(
        raw: Raw, unchanged: Unchanged, sim: Simulator, namespace: str,
        body_name: str | None, shown: str) -> None:
    assert raw.post(cms(namespace), configmap()).status == 201
    before = stored_object(sim, "configmaps", namespace, "cm")
    body = configmap(data={"changed": "yes"})
    if body_name is None:
        del body["metadata"]["name"]
    else:
        body["metadata"]["name"] = body_name
    with unchanged():
        doc = raw.put(cms(namespace) + "/cm", body).error(400, "BadRequest")
    assert doc["message"] == (f"the name of the object ({shown}) does not match the name on "
                              "the URL (cm)")
    assert stored_object(sim, "configmaps", namespace, "cm") == before


def test_a_put_to_a_missing_object_is_a_404(raw: Raw, unchanged: Unchanged,
                                            namespace: str) -> None:
    with unchanged():
        doc = raw.put(cms(namespace) + "/absent", configmap("absent")).error(404, "NotFound")
    assert doc["message"] == 'configmaps "absent" not found'


def test_resource_version_on_create_is_refused(raw: Raw, unchanged: Unchanged,
                                               namespace: str) -> None:
    body = configmap()
    body["metadata"]["resourceVersion"] = "5"
    with unchanged():
        doc = raw.post(cms(namespace), body).error(400, "BadRequest")
    assert doc["message"] == "resourceVersion should not be set on objects to be created"


# -- namespaces -------------------------------------------------------------------------


def test_creating_in_a_missing_namespace_is_a_404_for_the_namespace(
        raw: Raw, unchanged: Unchanged) -> None:
    with unchanged():
        doc = raw.post(cms("no-such-namespace"), configmap()).error(404, "NotFound")
    assert doc["message"] == 'namespaces "no-such-namespace" not found'
    assert doc["details"] == {"name": "no-such-namespace", "kind": "namespaces"}


def test_creating_in_a_terminating_namespace_is_a_403_forbidden(
        raw: Raw, unchanged: Unchanged, sim: Simulator, namespace: str) -> None:
    held = configmap("held")
    held["metadata"]["finalizers"] = ["chaoszone.test/hold"]
    assert raw.post(cms(namespace), held).status == 201
    assert raw.delete(f"/api/v1/namespaces/{namespace}").status == 200
    try:
        phase = raw.get(f"/api/v1/namespaces/{namespace}").json()["status"]["phase"]
        assert phase == "Terminating"
        with unchanged():
            doc = raw.post(cms(namespace), configmap("late")).error(403, "Forbidden")
        assert doc["message"] == (f'configmaps "late" is forbidden: unable to create new '
                                  f"content in namespace {namespace} because it is being "
                                  f"terminated")
        assert doc["details"]["causes"] == [{
            "reason": "NamespaceTerminating", "field": "metadata.namespace",
            "message": f"namespace {namespace} is being terminated"}]
    finally:
        raw.patch(cms(namespace) + "/held", {"metadata": {"finalizers": None}},
                  "application/merge-patch+json")
