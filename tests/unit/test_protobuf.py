"""The protobuf body decoder: captured kubectl bodies, hand-built edge cases, fuzzing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaoszone.sim.api import protobuf
from chaoszone.sim.errors import ApiError

DATA = Path(__file__).resolve().parent.parent / "data" / "protobuf"
CAPTURES = sorted(p.stem for p in DATA.glob("*.bin"))
MAGIC = b"k8s\x00"


# --- a minimal protobuf writer for hand-built bodies -------------------------------------


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def vi(number: int, value: int) -> bytes:
    return key(number, 0) + varint(value)


def ld(number: int, payload: bytes | str) -> bytes:
    raw = payload.encode() if isinstance(payload, str) else payload
    return key(number, 2) + varint(len(raw)) + raw


def entry(number: int, k: str, v: bytes | str) -> bytes:
    return ld(number, ld(1, k) + ld(2, v))


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return MAGIC + ld(1, ld(1, api_version) + ld(2, kind)) + ld(2, raw) + ld(3, "") + ld(4, "")


def meta(name: str = "x", *extra: bytes) -> bytes:
    return ld(1, ld(1, name) + b"".join(extra))


def pod_template(*container_fields: bytes, spec: bytes = b"") -> bytes:
    container = ld(1, "c") + ld(2, "img") + b"".join(container_fields)
    return ld(1, meta("")) + ld(2, ld(2, container) + spec)


def deployment(*container_fields: bytes, spec: bytes = b"") -> dict[str, Any]:
    raw = meta("d") + ld(2, ld(3, pod_template(*container_fields, spec=spec)))
    return protobuf.decode(envelope("apps/v1", "Deployment", raw))


def container_of(obj: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = obj["spec"]["template"]["spec"]["containers"][0]
    return result


def rejects(body: bytes, code: int) -> ApiError:
    with pytest.raises(ApiError) as info:
        protobuf.decode(body)
    assert info.value.code == code, info.value.message
    return info.value


# --- captured kubectl bodies -------------------------------------------------------------


@pytest.mark.parametrize("name", CAPTURES)
def test_each_captured_kubectl_body_decodes_to_what_kubectl_prints_for_dry_run(name: str) -> None:
    want = json.loads((DATA / f"{name}.json").read_text())
    got = protobuf.decode((DATA / f"{name}.bin").read_bytes())
    assert got == want
    assert list(got) == list(want)  # encoding/json's field order too


def test_every_decodable_kind_has_a_captured_kubectl_body() -> None:
    captured = set()
    for name in CAPTURES:
        obj = json.loads((DATA / f"{name}.json").read_text())
        captured.add((obj["apiVersion"], obj["kind"]))
    assert captured == protobuf.KINDS


def test_the_decodable_kinds_are_exactly_those_of_kubectls_typed_create_commands() -> None:
    expected = {
        ("v1", "Namespace"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "ServiceAccount"),
        ("v1", "Service"), ("apps/v1", "Deployment"), ("batch/v1", "Job"),
        ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("policy/v1", "PodDisruptionBudget"),
    }
    assert set(protobuf.KINDS) == expected


def test_secret_bytes_come_out_as_base64_and_string_data_as_text() -> None:
    obj = protobuf.decode((DATA / "secret-generic.bin").read_bytes())
    assert base64.b64decode(obj["data"]["blob"]) == bytes(range(256))
    assert obj["data"]["empty"] == ""
    raw = meta("s") + entry(4, "plain", "text") + ld(3, "Opaque")
    assert protobuf.decode(envelope("v1", "Secret", raw))["stringData"] == {"plain": "text"}


def test_a_configmap_file_that_is_not_utf8_lands_in_binary_data() -> None:
    obj = protobuf.decode((DATA / "configmap.bin").read_bytes())
    assert base64.b64decode(obj["binaryData"]["blob"]) == bytes(range(256))
    assert obj["data"]["app.properties"] == "a=1\nb=2\n"


# --- hand-built bodies: the JSON shape of the decoded Go object --------------------------


def test_an_empty_object_has_the_fields_go_always_writes() -> None:
    assert protobuf.decode(envelope("apps/v1", "Deployment", b"")) == {
        "kind": "Deployment", "apiVersion": "apps/v1",
        "metadata": {"creationTimestamp": None},
        "spec": {"selector": None, "template": {"metadata": {"creationTimestamp": None},
                                                "spec": {"containers": None}},
                 "strategy": {}},
        "status": {},
    }


def test_timestamps_are_rfc3339_seconds_and_the_nanoseconds_are_dropped() -> None:
    created = ld(8, vi(1, 1_700_000_000) + vi(2, 123_456_789))
    deleted = ld(9, vi(1, 0))
    raw = meta("n", created, deleted, vi(10, 30))
    got = protobuf.decode(envelope("v1", "Namespace", raw))["metadata"]
    assert got == {"name": "n", "creationTimestamp": "2023-11-14T22:13:20Z",
                   "deletionTimestamp": "1970-01-01T00:00:00Z",
                   "deletionGracePeriodSeconds": 30}


@given(st.datetimes(min_value=datetime(1, 1, 1, 0, 0, 1),
                    max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=st.just(UTC)))
def test_any_timestamp_formats_like_go_does(when: datetime) -> None:
    when = when.replace(microsecond=0)
    seconds = int(when.timestamp())
    raw = meta("n", ld(8, vi(1, seconds)))
    got = protobuf.decode(envelope("v1", "Namespace", raw))["metadata"]["creationTimestamp"]
    assert got == (f"{when.year:04d}-{when.month:02d}-{when.day:02d}"
                   f"T{when.hour:02d}:{when.minute:02d}:{when.second:02d}Z")


def test_the_go_zero_time_and_an_empty_timestamp_are_both_null() -> None:
    for created in (ld(8, b""), ld(8, vi(1, -62135596800))):
        got = protobuf.decode(envelope("v1", "Namespace", meta("n", created)))
        assert got["metadata"]["creationTimestamp"] is None


def test_object_meta_decodes_fully() -> None:
    owner = ld(13, ld(5, "apps/v1") + ld(1, "ReplicaSet") + ld(3, "rs") + ld(4, "u-1")
               + vi(6, 1) + vi(7, 0))
    managed = ld(17, ld(1, "kubectl") + ld(2, "Update") + ld(3, "v1") + ld(6, "FieldsV1")
                 + ld(7, ld(1, b'{"f:data":{}}')))
    raw = meta("cm", ld(2, "gen-"), ld(3, "ns"), ld(5, "uid"), ld(6, "42"), vi(7, 3),
               entry(11, "b", "2"), entry(11, "a", "1"), entry(12, "note", "hi"),
               owner, ld(14, "f1"), ld(14, "f2"), managed)
    got = protobuf.decode(envelope("v1", "ConfigMap", raw))["metadata"]
    assert got == {
        "name": "cm", "generateName": "gen-", "namespace": "ns", "uid": "uid",
        "resourceVersion": "42", "generation": 3, "creationTimestamp": None,
        "labels": {"a": "1", "b": "2"}, "annotations": {"note": "hi"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                             "uid": "u-1", "controller": True, "blockOwnerDeletion": False}],
        "finalizers": ["f1", "f2"],
        "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                           "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {}}}],
    }
    assert list(got["labels"]) == ["a", "b"]  # encoding/json sorts map keys


def test_container_fields_kubectl_can_set_decode() -> None:
    port = ld(6, ld(1, "http") + vi(3, 8080) + ld(4, "TCP"))
    env = ld(7, ld(1, "MODE") + ld(2, "fast"))
    env_from = ld(7, ld(1, "POD") + ld(3, ld(1, ld(1, "v1") + ld(2, "metadata.name"))))
    resources = ld(8, entry(1, "cpu", ld(1, "500m")) + entry(2, "memory", ld(1, "64Mi")))
    got = container_of(deployment(ld(3, "sh"), ld(4, "-c"), ld(4, "true"), port, env, env_from,
                                  resources, ld(14, "IfNotPresent")))
    assert got == {
        "name": "c", "image": "img", "command": ["sh"], "args": ["-c", "true"],
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "MODE", "value": "fast"},
                {"name": "POD", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                           "fieldPath": "metadata.name"}}}],
        "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "64Mi"}},
        "imagePullPolicy": "IfNotPresent",
    }


def test_inline_structs_are_flattened_into_their_parent() -> None:
    http_get = ld(2, ld(1, "/healthz") + ld(2, vi(1, 1) + ld(3, "http")))
    probe = ld(10, ld(1, http_get) + vi(4, 5))  # Probe{ProbeHandler{httpGet}, periodSeconds}
    volume = ld(1, ld(1, "scratch") + ld(2, ld(2, b"")))  # Volume{name, VolumeSource{emptyDir}}
    got = deployment(probe, spec=volume)
    assert container_of(got)["livenessProbe"] == {
        "httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5}
    assert got["spec"]["template"]["spec"]["volumes"] == [{"name": "scratch", "emptyDir": {}}]


def test_int_or_string_is_a_number_or_a_string_by_its_type() -> None:
    def pdb(spec: bytes) -> dict[str, Any]:
        spec_json: dict[str, Any] = protobuf.decode(
            envelope("policy/v1", "PodDisruptionBudget", meta("p") + ld(2, spec)))["spec"]
        return spec_json

    assert pdb(ld(1, vi(1, 0) + vi(2, 2))) == {"minAvailable": 2}
    assert pdb(ld(3, vi(1, 1) + ld(3, "25%"))) == {"maxUnavailable": "25%"}
    assert pdb(ld(1, b"")) == {"minAvailable": 0}
    rejects(envelope("policy/v1", "PodDisruptionBudget", meta("p") + ld(2, ld(1, vi(1, 7)))),
            400)


def test_negative_numbers_and_both_repeated_encodings_decode() -> None:
    groups_unpacked = vi(4, 1000) + vi(4, (1 << 64) - 5)
    groups_packed = ld(4, varint(7) + varint(8))
    security = ld(14, vi(2, (1 << 64) - 1) + groups_unpacked + groups_packed)
    got = deployment(spec=security)["spec"]["template"]["spec"]["securityContext"]
    assert got == {"runAsUser": -1, "supplementalGroups": [1000, -5, 7, 8]}


def test_a_repeated_singular_message_field_merges_and_a_repeated_scalar_keeps_the_last() -> None:
    raw = ld(1, ld(1, "first") + ld(3, "ns")) + ld(1, ld(1, "second"))
    assert protobuf.decode(envelope("v1", "ServiceAccount", raw))["metadata"] == {
        "name": "second", "namespace": "ns", "creationTimestamp": None}


def test_unknown_fields_of_every_wire_type_are_skipped() -> None:
    unknown = (vi(900, 1) + key(901, 1) + bytes(8) + key(902, 5) + bytes(4) + ld(903, "zzz")
               + key(904, 3) + vi(1, 1) + key(905, 3) + key(905, 4) + key(904, 4))
    raw = meta("sa", unknown) + unknown
    body = envelope("v1", "ServiceAccount", raw) + unknown
    assert protobuf.decode(body) == {"kind": "ServiceAccount", "apiVersion": "v1",
                                     "metadata": {"name": "sa", "creationTimestamp": None}}


def test_service_ports_keep_a_zero_target_port_and_drop_a_zero_node_port() -> None:
    port = ld(1, ld(2, "TCP") + vi(3, 80) + ld(4, b"") + vi(5, 0))
    spec = protobuf.decode(envelope("v1", "Service", meta("s") + ld(2, port)))["spec"]
    assert spec == {"ports": [{"protocol": "TCP", "port": 80, "targetPort": 0}]}


def test_role_rules_without_verbs_encode_null_as_go_would() -> None:
    raw = meta("r") + ld(2, ld(3, "pods"))
    assert protobuf.decode(envelope("rbac.authorization.k8s.io/v1", "Role", raw))["rules"] == [
        {"verbs": None, "resources": ["pods"]}]


def test_invalid_utf8_in_strings_becomes_the_replacement_character() -> None:
    got = protobuf.decode(envelope("v1", "Namespace", meta("", entry(11, "k", b"a\xffb"))))
    assert got["metadata"]["labels"] == {"k": "a\ufffdb"}


# --- errors ------------------------------------------------------------------------------


def test_a_kind_it_does_not_decode_is_415_and_points_at_create_f() -> None:
    err = rejects(envelope("batch/v1", "CronJob", meta("cj")), 415)
    assert err.reason == "UnsupportedMediaType"
    assert "kubectl create -f" in err.message and "CronJob" in err.message
    rejects(envelope("apps/v1beta1", "Deployment", b""), 415)


@pytest.mark.parametrize("body", [b"", b"{}", b"k8s", MAGIC, b"k8s\x01" + ld(2, b"")])
def test_bodies_without_a_protobuf_envelope_are_400(body: bytes) -> None:
    assert rejects(body, 400).reason == "BadRequest"


def test_missing_kind_or_api_version_is_400() -> None:
    rejects(MAGIC + ld(1, ld(1, "v1")) + ld(2, b""), 400)
    rejects(MAGIC + ld(1, ld(2, "Namespace")) + ld(2, b""), 400)


@pytest.mark.parametrize("raw", [
    ld(1, "oops")[:-1],  # truncated length-delimited field
    ld(1, vi(1, 1)),  # ObjectMeta.name as a varint
    vi(1, 5),  # metadata as a varint
    meta("n") + key(7, 7),  # illegal wire type
    meta("n") + key(0, 0) + b"\x00",  # field number 0
    meta("n") + key(9, 4),  # stray end-group
    meta("n") + b"\xff" * 11,  # varint longer than 10 bytes
    meta("n") + key(9, 2) + varint(1 << 63),  # negative length
    meta("n") + key(9, 1) + b"\x00",  # short fixed64
    meta("n") + key(9, 3) + vi(1, 1),  # unterminated group
])
def test_malformed_objects_are_400(raw: bytes) -> None:
    rejects(envelope("v1", "Namespace", raw), 400)


def test_an_invalid_quantity_or_managed_fields_json_is_400() -> None:
    bad_quantity = ld(8, entry(1, "cpu", ld(1, "lots")))
    with pytest.raises(ApiError) as info:
        deployment(bad_quantity)
    assert info.value.code == 400
    managed = ld(17, ld(7, ld(1, b"{not json")))
    rejects(envelope("v1", "Namespace", meta("n", managed)), 400)


def test_cutting_a_captured_body_short_never_gives_anything_but_a_400_or_an_object() -> None:
    body = (DATA / "deployment.bin").read_bytes()
    outcomes = set()
    for cut in range(len(body)):
        try:
            protobuf.decode(body[:cut])
            outcomes.add("object")
        except ApiError as err:
            assert err.code == 400
            outcomes.add("400")
    assert "400" in outcomes


# --- fuzzing -----------------------------------------------------------------------------


def _only_api_errors(body: bytes) -> None:
    try:
        result = protobuf.decode(body)
    except ApiError as err:
        assert err.code in (400, 415)
    else:
        assert isinstance(result, dict)
        json.dumps(result)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=512))
def test_random_bytes_only_ever_give_an_api_error(body: bytes) -> None:
    _only_api_errors(body)
    _only_api_errors(MAGIC + body)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(protobuf.KINDS)), st.binary(max_size=512))
def test_random_objects_of_every_kind_only_ever_give_an_api_error_or_json(
    kind: tuple[str, str], raw: bytes
) -> None:
    _only_api_errors(envelope(kind[0], kind[1], raw))


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(CAPTURES), st.data())
def test_mutated_captured_bodies_only_ever_give_an_api_error_or_json(
    name: str, data: st.DataObject
) -> None:
    body = bytearray((DATA / f"{name}.bin").read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(len(MAGIC), len(body) - 1))
        body[at] = data.draw(st.integers(0, 255))
    _only_api_errors(bytes(body))


# --- request options ---------------------------------------------------------------------


def test_a_typed_clients_delete_options_decode() -> None:
    # the DELETE body of kubectl 1.32.4 drain --disable-eviction --grace-period=5
    # --dry-run=server (client-go's typed pods client)
    body = b'k8s\x00\n\x13\n\x02v1\x12\rDeleteOptions\x12\x07\x08\x05*\x03All\x1a\x00"\x00'
    got = protobuf.decode(body)
    assert got == {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 5,
                   "dryRun": ["All"]}
    assert list(got) == ["kind", "apiVersion", "gracePeriodSeconds", "dryRun"]


def test_delete_options_of_any_group_version_decode_with_preconditions() -> None:
    raw = (vi(1, 0) + ld(2, ld(1, "uid-1") + ld(2, "42")) + vi(3, 0) + ld(4, "Foreground"))
    got = protobuf.decode(envelope("apps/v1", "DeleteOptions", raw))
    assert got == {"kind": "DeleteOptions", "apiVersion": "apps/v1", "gracePeriodSeconds": 0,
                   "preconditions": {"uid": "uid-1", "resourceVersion": "42"},
                   "orphanDependents": False, "propagationPolicy": "Foreground"}
