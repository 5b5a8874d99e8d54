"""The patch engine: RFC 7386 and RFC 6902 cases, strategic merge patch as kubectl uses it
(docs/sim-wire.md §3.2, §3.4) and as upstream's strategicpatch tests pin it down, and
server-side apply with managed fields."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chaoszone.sim.api.patch import (
    LAST_APPLIED_ANNOTATION,
    apply,
    json_patch,
    merge_patch,
    strategic_merge_patch,
    update_managed_fields,
)
from chaoszone.sim.errors import ApiError

NODE = "io.k8s.api.core.v1.Node"
POD = "io.k8s.api.core.v1.Pod"
DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"
CONFIGMAP = "io.k8s.api.core.v1.ConfigMap"
T0, T1, T2, T3 = (f"2026-01-01T00:0{i}:00Z" for i in range(4))


def node(taints: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
                           "spec": dict(spec)}
    if taints is not None:
        obj["spec"]["taints"] = taints
    return obj


def pod(containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": containers, **spec}}


def deployment(replicas: int = 2, image: str = "nginx:1.25", **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", **meta},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": image,
                                         "ports": [{"containerPort": 80}]}]},
            },
        },
    }


def names(items: list[dict[str, Any]]) -> list[str]:
    return [i["name"] for i in items]


def entry(obj: dict[str, Any], manager: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [e for e in obj["metadata"]["managedFields"]
                                   if e["manager"] == manager]
    assert len(found) == 1, obj["metadata"]["managedFields"]
    return found[0]


def managers(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in obj["metadata"].get("managedFields", [])]


# == RFC 7386 ============================================================================

# RFC 7386 Appendix A, except the case whose patch is the JSON null (see below).
RFC7386 = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "expected"), RFC7386)
def test_merge_patch_gives_the_rfc_result_when_given_the_rfc_examples(
        original: Any, patch: Any, expected: Any) -> None:
    assert merge_patch(original, patch) == expected


def test_merge_patch_is_a_bad_request_when_the_patch_is_null() -> None:
    # evanphx/json-patch.v4 MergePatch refuses a null document (RFC 7386 would return null).
    with pytest.raises(ApiError) as err:
        merge_patch({"a": "foo"}, None)
    assert (err.value.code, err.value.reason, err.value.message) == (
        400, "BadRequest", "Invalid JSON Patch")


def test_merge_patch_removes_a_label_when_kubectl_label_sends_null() -> None:
    original = node()
    original["metadata"]["labels"] = {"foo": "bar", "zone": "a"}
    patched = merge_patch(original, {"metadata": {"labels": {"foo": None}}})
    assert patched["metadata"]["labels"] == {"zone": "a"}
    assert original["metadata"]["labels"] == {"foo": "bar", "zone": "a"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "x", "y"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from("abcd"), inner, max_size=3),
    max_leaves=12)
json_objects = st.dictionaries(st.sampled_from("abcd"), json_values, max_size=4)


def nulls_inside_lists(value: Any, in_list: bool = False) -> bool:
    if isinstance(value, dict):
        return any((v is None and in_list) or nulls_inside_lists(v, in_list)
                   for v in value.values())
    if isinstance(value, list):
        return any(nulls_inside_lists(v, True) for v in value)
    return False


@given(json_objects, json_objects)
def test_merge_patch_is_idempotent_when_no_null_sits_inside_a_list(
        original: Any, patch: Any) -> None:
    # evanphx/json-patch.v4 keeps the nulls of a list that replaces an object, and drops
    # them when the list replaces a list, so only this restricted form holds upstream.
    assume(not nulls_inside_lists(patch))
    once = merge_patch(original, patch)
    assert merge_patch(once, patch) == once


def test_merge_patch_keeps_nulls_inside_a_list_when_the_list_replaces_an_object() -> None:
    assert merge_patch({"d": {}}, {"d": [{"a": None}]}) == {"d": [{"a": None}]}
    assert merge_patch({"d": []}, {"d": [{"a": None}]}) == {"d": [{}]}


# == RFC 6902 ============================================================================

# RFC 6902 Appendix A (A.13, a document with a duplicate member, cannot be built as a dict).
RFC6902 = [
    ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}],
     {"baz": "qux", "foo": "bar"}),
    ({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}],
     {"foo": ["bar", "qux", "baz"]}),
    ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}],
     {"foo": ["bar", "baz"]}),
    ({"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}],
     {"baz": "boo", "foo": "bar"}),
    ({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ({"foo": ["all", "grass", "cows", "eat"]},
     [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
     {"foo": ["all", "cows", "eat", "grass"]}),
    ({"baz": "qux", "foo": ["a", 2, "c"]},
     [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ({"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
     {"foo": "bar", "child": {"grandchild": {}}}),
    ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
     {"foo": "bar", "baz": "qux"}),
    ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
    ({"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
     {"foo": ["bar", ["abc", "def"]]}),
]


@pytest.mark.parametrize(("original", "ops", "expected"), RFC6902)
def test_json_patch_gives_the_rfc_result_when_given_the_rfc_examples(
        original: Any, ops: Any, expected: Any) -> None:
    assert json_patch(original, ops) == expected


@pytest.mark.parametrize(("original", "ops"), [
    ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}]),  # A.9
    ({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}]),  # A.12
    ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}]),  # A.15
    ({"a": 1}, [{"op": "test", "path": "/a", "value": 1.0}]),
    ({"a": 1}, [{"op": "remove", "path": "/b"}]),
    ({"a": [1]}, [{"op": "add", "path": "/a/5", "value": 2}]),
    ({"a": 1}, [{"op": "frobnicate", "path": "/a"}]),
    ({"a": 1}, [{"op": "add", "value": 2}]),
])
def test_json_patch_is_unprocessable_when_an_operation_cannot_apply(
        original: Any, ops: Any) -> None:
    with pytest.raises(ApiError) as err:
        json_patch(original, ops)
    assert (err.value.code, err.value.reason) == (422, "Invalid")
    assert err.value.message == "the server rejected our request due to an error in our request"


def test_json_patch_is_a_bad_request_when_the_body_is_not_a_list_of_operations() -> None:
    with pytest.raises(ApiError) as err:
        json_patch({}, {"op": "add"})
    assert err.value.code == 400
    assert err.value.message == ("json: cannot unmarshal object into Go value of type "
                                 "jsonpatch.Patch")


def test_json_patch_is_too_large_when_it_has_more_than_ten_thousand_operations() -> None:
    with pytest.raises(ApiError) as err:
        json_patch({}, [{"op": "test", "path": "/a"}] * 10001)
    assert err.value.code == 413


def test_json_patch_follows_upstream_when_rfc_and_evanphx_differ() -> None:
    assert json_patch({"a": [1, 2, 3]}, [{"op": "remove", "path": "/a/-1"}]) == {"a": [1, 2]}
    assert json_patch({"a": 1}, [{"op": "replace", "path": "/b", "value": 2}]) == {"a": 1, "b": 2}
    assert json_patch({"a": 1}, [{"op": "test", "path": "/b", "value": None}]) == {"a": 1}
    assert json_patch({"a": {"b": 1}}, [{"op": "copy", "from": "/a", "path": "/c"}]) == {
        "a": {"b": 1}, "c": {"b": 1}}


def test_json_patch_leaves_the_input_alone_when_it_applies() -> None:
    original = {"spec": {"replicas": 1}}
    json_patch(original, [{"op": "replace", "path": "/spec/replicas", "value": 3}])
    assert original == {"spec": {"replicas": 1}}


@given(json_objects, st.sampled_from(["e", "new", "a~b", "x/y"]), json_values)
def test_json_patch_restores_the_document_when_a_new_member_is_added_then_removed(
        original: dict[str, Any], key: str, value: Any) -> None:
    original.pop(key, None)
    pointer = "/" + key.replace("~", "~0").replace("/", "~1")
    ops = [{"op": "add", "path": pointer, "value": value}, {"op": "remove", "path": pointer}]
    assert json_patch(original, ops) == original


# == Strategic merge patch: what kubectl sends ===========================================

TAINT_A = {"effect": "NoSchedule", "key": "a", "value": "b"}
TAINT_ZONE = {"effect": "NoExecute", "key": "zone", "value": "down"}


def test_smp_removes_a_taint_when_kubectl_taint_sends_the_remaining_list() -> None:
    patched = strategic_merge_patch(node([TAINT_ZONE, TAINT_A]), {"spec": {"taints": [TAINT_A]}},
                                    NODE)
    assert patched["spec"]["taints"] == [TAINT_A]


def test_smp_removes_every_taint_when_kubectl_taint_sends_null() -> None:
    patched = strategic_merge_patch(node([TAINT_ZONE, TAINT_A]), {"spec": {"taints": None}}, NODE)
    assert "taints" not in patched["spec"]


def test_smp_adds_a_taint_when_kubectl_taint_sends_the_longer_list() -> None:
    patched = strategic_merge_patch(node([TAINT_A]), {"spec": {"taints": [TAINT_ZONE, TAINT_A]}},
                                    NODE)
    assert patched["spec"]["taints"] == [TAINT_ZONE, TAINT_A]


def test_smp_replaces_tolerations_when_the_list_is_atomic() -> None:
    original = pod([{"name": "c", "image": "i"}], tolerations=[{"key": "a", "operator": "Exists"}])
    patched = strategic_merge_patch(
        original, {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}}, POD)
    assert patched["spec"]["tolerations"] == [{"key": "b", "operator": "Exists"}]


def test_smp_cordons_and_uncordons_when_kubectl_sends_unschedulable() -> None:
    cordoned = strategic_merge_patch(node([TAINT_A]), {"spec": {"unschedulable": True}}, NODE)
    assert cordoned["spec"] == {"taints": [TAINT_A], "unschedulable": True}
    uncordoned = strategic_merge_patch(cordoned, {"spec": {"unschedulable": None}}, NODE)
    assert uncordoned["spec"] == {"taints": [TAINT_A]}


def test_smp_updates_one_container_when_client_side_apply_sends_set_element_order() -> None:
    original = deployment()
    original["spec"]["template"]["spec"]["containers"].insert(0, {"name": "sidecar",
                                                                  "image": "busybox"})
    body = {"metadata": {"annotations": {LAST_APPLIED_ANNOTATION: "{}"}},
            "spec": {"replicas": 3, "template": {"spec": {
                "$setElementOrder/containers": [{"name": "nginx"}],
                "containers": [{"image": "nginx:1.26", "name": "nginx"}]}}}}
    patched = strategic_merge_patch(original, body, DEPLOYMENT)
    assert patched["spec"]["replicas"] == 3
    assert patched["spec"]["template"]["spec"]["containers"] == [
        {"name": "sidecar", "image": "busybox"},
        {"name": "nginx", "image": "nginx:1.26", "ports": [{"containerPort": 80}]},
    ]
    assert patched["metadata"]["annotations"] == {LAST_APPLIED_ANNOTATION: "{}"}


def test_smp_adds_the_restart_annotation_when_kubectl_rollout_restarts() -> None:
    body = {"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}}}}}
    patched = strategic_merge_patch(deployment(), body, DEPLOYMENT)
    assert patched["spec"]["template"]["metadata"] == {
        "labels": {"app": "web"},
        "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}}


# == Strategic merge patch: directives and list strategies ================================

def test_smp_merges_containers_by_name_when_the_patch_names_one() -> None:
    original = pod([{"name": "a", "image": "1"}, {"name": "b", "image": "2"}])
    patched = strategic_merge_patch(original, {"spec": {"containers": [
        {"name": "b", "image": "3"}, {"name": "c", "image": "4"}]}}, POD)
    assert patched["spec"]["containers"] == [
        {"name": "a", "image": "1"}, {"name": "b", "image": "3"}, {"name": "c", "image": "4"}]


def test_smp_merges_ports_by_container_port_when_nested_in_a_container() -> None:
    original = pod([{"name": "a", "ports": [{"containerPort": 80, "name": "http"}]}])
    patched = strategic_merge_patch(original, {"spec": {"containers": [
        {"name": "a", "ports": [{"containerPort": 80, "hostPort": 8080},
                                {"containerPort": 443}]}]}}, POD)
    assert patched["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "name": "http", "hostPort": 8080}, {"containerPort": 443}]


def test_smp_adds_finalizers_as_a_set_when_the_list_is_primitive() -> None:
    original = node()
    original["metadata"]["finalizers"] = ["a", "b"]
    patched = strategic_merge_patch(original, {"metadata": {"finalizers": ["c", "a"]}}, NODE)
    assert patched["metadata"]["finalizers"] == ["c", "a", "b"]


def test_smp_deletes_from_a_primitive_list_when_told_to() -> None:
    original = node()
    original["metadata"]["finalizers"] = ["a", "b", "c"]
    patched = strategic_merge_patch(
        original, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "x"]}}, NODE)
    assert patched["metadata"]["finalizers"] == ["a", "c"]


def test_smp_deletes_a_list_item_by_key_when_the_item_says_patch_delete() -> None:
    original = pod([{"name": "a"}, {"name": "b"}, {"name": "c"}])
    patched = strategic_merge_patch(
        original, {"spec": {"containers": [{"name": "b", "$patch": "delete"}]}}, POD)
    assert names(patched["spec"]["containers"]) == ["a", "c"]


def test_smp_replaces_a_merging_list_when_an_item_says_patch_replace() -> None:
    original = pod([{"name": "a", "image": "1"}, {"name": "b"}])
    patched = strategic_merge_patch(original, {"spec": {"containers": [
        {"name": "z", "image": "9"}, {"$patch": "replace"}]}}, POD)
    assert patched["spec"]["containers"] == [{"name": "z", "image": "9"}]


def test_smp_replaces_a_map_when_it_says_patch_replace() -> None:
    original = pod([{"name": "a"}])
    original["metadata"]["labels"] = {"a": "1", "b": "2"}
    patched = strategic_merge_patch(
        original, {"metadata": {"labels": {"c": "3", "$patch": "replace"}}}, POD)
    assert patched["metadata"]["labels"] == {"c": "3"}


def test_smp_empties_a_map_when_it_says_patch_delete() -> None:
    original = pod([{"name": "a"}])
    original["metadata"]["labels"] = {"a": "1"}
    patched = strategic_merge_patch(original, {"metadata": {"labels": {"$patch": "delete"}}}, POD)
    assert patched["metadata"]["labels"] == {}


def test_smp_is_a_bad_request_when_a_map_says_patch_merge() -> None:
    # handleDirectiveInMergeMap knows only replace and delete; upstream's Go error is a 500,
    # which the simulator answers as a 400 with the same words.
    with pytest.raises(ApiError) as err:
        strategic_merge_patch(pod([]), {"spec": {"$patch": "merge"}}, POD)
    assert err.value.code == 400
    assert err.value.message.startswith("unknown patch type: merge in map:")


def test_smp_clears_other_volume_sources_when_the_patch_retains_keys() -> None:
    original = pod([{"name": "a"}], volumes=[{"name": "v", "hostPath": {"path": "/x"}},
                                             {"name": "w", "emptyDir": {}}])
    patched = strategic_merge_patch(original, {"spec": {"volumes": [
        {"name": "v", "emptyDir": {"medium": "Memory"}, "$retainKeys": ["emptyDir", "name"]}]}},
        POD)
    assert patched["spec"]["volumes"] == [{"name": "v", "emptyDir": {"medium": "Memory"}},
                                          {"name": "w", "emptyDir": {}}]


def test_smp_is_a_bad_request_when_the_patch_has_keys_outside_retain_keys() -> None:
    original = pod([{"name": "a"}], volumes=[{"name": "v", "hostPath": {"path": "/x"}}])
    with pytest.raises(ApiError) as err:
        strategic_merge_patch(original, {"spec": {"volumes": [
            {"name": "v", "emptyDir": {}, "$retainKeys": ["name"]}]}}, POD)
    assert (err.value.code, err.value.message) == (400, "invalid patch format of retainKeys")


def test_smp_is_a_bad_request_when_a_merging_item_has_no_merge_key() -> None:
    with pytest.raises(ApiError) as err:
        strategic_merge_patch(pod([{"name": "a"}]), {"spec": {"containers": [{"image": "x"}]}},
                              POD)
    assert err.value.code == 400
    assert err.value.message == "map: map[image:x] does not contain declared merge key: name"


def test_smp_is_unprocessable_when_a_merging_list_holds_lists() -> None:
    original = node()
    original["metadata"]["finalizers"] = [["a"]]
    with pytest.raises(ApiError) as err:
        strategic_merge_patch(original, {"metadata": {"finalizers": [["b"]]}}, NODE)
    assert (err.value.code, err.value.reason) == (422, "Invalid")


def test_smp_is_a_bad_request_when_the_body_is_not_an_object() -> None:
    with pytest.raises(ApiError) as err:
        strategic_merge_patch(node(), [1], NODE)
    assert err.value.code == 400


def test_smp_merges_like_a_merge_patch_when_the_field_is_unknown() -> None:
    original = node()
    original["spec"]["custom"] = {"list": [1, 2], "keep": True}
    patched = strategic_merge_patch(original, {"spec": {"custom": {"list": [3], "x": None}}},
                                    NODE)
    assert patched["spec"]["custom"] == {"list": [3], "keep": True}


def test_smp_leaves_the_inputs_alone_when_it_applies() -> None:
    original = pod([{"name": "a"}])
    body = {"spec": {"containers": [{"name": "b", "$patch": "delete"}]}}
    before = copy.deepcopy((original, body))
    strategic_merge_patch(original, body, POD)
    assert (original, body) == before


# Upstream strategicpatch/patch_test.go: "set elements order in a list with server-only
# items" 1-3 (ThreeWay patch applied to Current), written with containers.
@pytest.mark.parametrize(("current", "order", "expected"), [
    (["1", "3", "4", "2", "9"], ["4", "2", "3", "1"], ["4", "2", "3", "1", "9"]),
    (["1", "2", "9", "3", "4"], ["2", "1", "4", "3"], ["2", "1", "9", "4", "3"]),
    (["1", "2", "7", "9", "8", "3", "4"], ["2", "1", "4", "3"],
     ["2", "1", "7", "9", "8", "4", "3"]),
])
def test_smp_orders_server_only_items_by_the_live_list_when_set_element_order_is_sent(
        current: list[str], order: list[str], expected: list[str]) -> None:
    original = pod([{"name": n} for n in current])
    body = {"spec": {"$setElementOrder/containers": [{"name": n} for n in order]}}
    assert names(strategic_merge_patch(original, body, POD)["spec"]["containers"]) == expected


# The same cases from the int-list variants, on finalizers (a primitive set).
@pytest.mark.parametrize(("current", "order", "expected"), [
    (["1", "3", "4", "2", "9"], ["4", "2", "3", "1"], ["4", "2", "3", "1", "9"]),
    (["1", "2", "9", "3", "4"], ["2", "1", "4", "3"], ["2", "1", "9", "4", "3"]),
])
def test_smp_orders_a_primitive_list_when_set_element_order_is_sent(
        current: list[str], order: list[str], expected: list[str]) -> None:
    original = node()
    original["metadata"]["finalizers"] = current
    body = {"metadata": {"$setElementOrder/finalizers": order}}
    assert strategic_merge_patch(original, body, NODE)["metadata"]["finalizers"] == expected


def test_smp_is_a_bad_request_when_the_patch_list_disagrees_with_set_element_order() -> None:
    body = {"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
                     "containers": [{"name": "b"}, {"name": "a"}]}}
    with pytest.raises(ApiError) as err:
        strategic_merge_patch(pod([{"name": "a"}]), body, POD)
    assert err.value.code == 400


# -- properties --------------------------------------------------------------------------

label_maps = st.dictionaries(st.sampled_from(["app", "tier", "zone", "x"]),
                             st.none() | st.sampled_from(["a", "b"]), max_size=4)
list_free = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["x", "y"]),
    lambda inner: st.dictionaries(st.sampled_from("abcd"), inner, max_size=3), max_leaves=10)
list_free_objects = st.dictionaries(st.sampled_from("abcd"), list_free, max_size=4)


@given(list_free_objects, list_free_objects)
def test_smp_equals_merge_patch_when_the_documents_have_no_lists(
        original: dict[str, Any], patch: dict[str, Any]) -> None:
    assert strategic_merge_patch(original, patch, None) == merge_patch(original, patch)


@given(label_maps, label_maps, list_free_objects, list_free_objects)
def test_smp_equals_merge_patch_when_a_configmap_patch_has_no_lists(
        labels: dict[str, Any], new_labels: dict[str, Any], data: dict[str, Any],
        new_data: dict[str, Any]) -> None:
    original = {"kind": "ConfigMap", "metadata": {"labels": labels}, "data": data}
    patch = {"metadata": {"labels": new_labels}, "data": new_data}
    assert strategic_merge_patch(original, patch, CONFIGMAP) == merge_patch(original, patch)


taints = st.lists(st.fixed_dictionaries({
    "key": st.sampled_from(["a", "b", "zone"]),
    "effect": st.sampled_from(["NoSchedule", "NoExecute"]),
    "value": st.sampled_from(["", "down"]),
}), max_size=4)


@given(taints, taints)
def test_smp_replaces_the_whole_list_when_the_list_is_atomic(
        live: list[dict[str, Any]], sent: list[dict[str, Any]]) -> None:
    assert strategic_merge_patch(node(live), {"spec": {"taints": sent}}, NODE)["spec"][
        "taints"] == sent


container_names = st.lists(st.sampled_from("abcdefg"), unique=True, max_size=6)


@given(container_names, st.data())
def test_smp_deletes_exactly_the_named_item_when_it_says_patch_delete(
        live: list[str], data: st.DataObject) -> None:
    target = data.draw(st.sampled_from("abcdefg"))
    original = pod([{"name": n, "image": n.upper()} for n in live])
    patched = strategic_merge_patch(
        original, {"spec": {"containers": [{"name": target, "$patch": "delete"}]}}, POD)
    assert names(patched["spec"]["containers"]) == [n for n in live if n != target]


@given(container_names, container_names)
def test_smp_keeps_every_name_once_when_containers_merge_by_key(
        live: list[str], sent: list[str]) -> None:
    original = pod([{"name": n, "image": "old"} for n in live])
    patched = strategic_merge_patch(
        original, {"spec": {"containers": [{"name": n, "image": "new"} for n in sent]}}, POD)
    result = patched["spec"]["containers"]
    assert sorted(names(result)) == sorted(set(live) | set(sent))
    assert all(c["image"] == ("new" if c["name"] in sent else "old") for c in result)
    assert [n for n in names(result) if n in sent] == sent


kubectl_like_patches = st.fixed_dictionaries({}, optional={
    "metadata": st.fixed_dictionaries({}, optional={
        "labels": label_maps,
        "finalizers": st.lists(st.sampled_from(["f1", "f2", "f3"]), unique=True, max_size=3),
    }),
    "spec": st.fixed_dictionaries({}, optional={
        "containers": st.lists(st.fixed_dictionaries(
            {"name": st.sampled_from("abcd")},
            optional={"image": st.sampled_from(["i1", "i2"])}),
            max_size=3, unique_by=lambda c: c["name"]),
        "tolerations": st.lists(st.fixed_dictionaries({"key": st.sampled_from("xy")}),
                                max_size=2),
        "nodeName": st.none() | st.sampled_from(["n1", "n2"]),
    }),
})


@given(container_names, st.lists(st.sampled_from(["f1", "f2"]), unique=True),
       kubectl_like_patches)
def test_smp_is_idempotent_when_the_same_patch_is_applied_twice(
        live: list[str], finalizers: list[str], patch: dict[str, Any]) -> None:
    original = pod([{"name": n, "image": "i0"} for n in live])
    original["metadata"]["finalizers"] = finalizers
    once = strategic_merge_patch(original, patch, POD)
    assert strategic_merge_patch(once, patch, POD) == once


# == Server-side apply ====================================================================

def test_apply_creates_the_object_and_records_its_fields_when_nothing_exists() -> None:
    created = apply(None, deployment(), DEPLOYMENT, "kubectl", False, T0)
    assert created["spec"] == deployment()["spec"]
    assert created["metadata"]["managedFields"] == [{
        "manager": "kubectl",
        "operation": "Apply",
        "apiVersion": "apps/v1",
        "time": T0,
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:containers": {'k:{"name":"nginx"}': {
                    ".": {}, "f:image": {}, "f:name": {},
                    "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {
                        ".": {}, "f:containerPort": {}}},
                }}},
            },
        }},
    }]


def test_apply_records_set_items_by_value_when_the_list_is_a_set() -> None:
    body = deployment()
    body["metadata"]["finalizers"] = ["example.com/f"]
    created = apply(None, body, DEPLOYMENT, "kubectl", False, T0)
    assert entry(created, "kubectl")["fieldsV1"]["f:metadata"] == {
        "f:finalizers": {'v:"example.com/f"': {}}}


def test_apply_changes_nothing_when_the_same_manifest_is_applied_again() -> None:
    created = apply(None, deployment(), DEPLOYMENT, "kubectl", False, T0)
    again = apply(created, deployment(), DEPLOYMENT, "kubectl", False, T1)
    assert again == created


def test_apply_is_a_conflict_when_another_manager_owns_a_changed_field() -> None:
    created = apply(None, deployment(), DEPLOYMENT, "kubectl", False, T0)
    scaled = copy.deepcopy(created)
    scaled["spec"]["replicas"] = 5
    scaled = update_managed_fields(created, scaled, DEPLOYMENT, "kubectl-scale", T1)
    with pytest.raises(ApiError) as err:
        apply(scaled, deployment(replicas=3), DEPLOYMENT, "kubectl", False, T2)
    assert err.value.code == 409 and err.value.reason == "Conflict"
    assert err.value.message == ('Apply failed with 1 conflict: conflict with "kubectl-scale" '
                                 "using apps/v1: .spec.replicas")
    assert err.value.status()["details"]["causes"] == [{
        "reason": "FieldManagerConflict",
        "message": 'conflict with "kubectl-scale" using apps/v1',
        "field": ".spec.replicas"}]


def test_apply_lists_every_conflict_when_several_fields_are_owned_elsewhere() -> None:
    created = apply(None, deployment(), DEPLOYMENT, "kubectl", False, T0)
    edited = copy.deepcopy(created)
    edited["spec"]["replicas"] = 5
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:edited"
    edited = update_managed_fields(created, edited, DEPLOYMENT, "kubectl-edit", T1)
    with pytest.raises(ApiError) as err:
        apply(edited, deployment(replicas=3, image="nginx:1.27"), DEPLOYMENT, "kubectl", False,
              T2)
    assert err.value.message == (
        'Apply failed with 2 conflicts: conflicts with "kubectl-edit" using apps/v1:\n'
        "- .spec.replicas\n"
        '- .spec.template.spec.containers[name="nginx"].image')


def test_apply_takes_ownership_when_forced() -> None:
    created = apply(None, deployment(), DEPLOYMENT, "kubectl", False, T0)
    scaled = copy.deepcopy(created)
    scaled["spec"]["replicas"] = 5
    scaled = update_managed_fields(created, scaled, DEPLOYMENT, "kubectl-scale", T1)
    forced = apply(scaled, deployment(replicas=3), DEPLOYMENT, "kubectl", True, T2)
    assert forced["spec"]["replicas"] == 3
    assert managers(forced) == [("kubectl", "Apply")]


def test_apply_does_not_conflict_when_the_other_manager_set_the_same_value() -> None:
    created = apply(None, deployment(), DEPLOYMENT, "kubectl", False, T0)
    scaled = copy.deepcopy(created)
    scaled["spec"]["replicas"] = 5
    scaled = update_managed_fields(created, scaled, DEPLOYMENT, "kubectl-scale", T1)
    shared = apply(scaled, deployment(replicas=5), DEPLOYMENT, "kubectl", False, T2)
    assert "f:replicas" in entry(shared, "kubectl")["fieldsV1"]["f:spec"]
    assert "f:replicas" in entry(shared, "kubectl-scale")["fieldsV1"]["f:spec"]


def test_apply_removes_fields_it_no_longer_applies_when_no_one_else_owns_them() -> None:
    body = deployment(labels={"team": "a"})
    created = apply(None, body, DEPLOYMENT, "kubectl", False, T0)
    smaller = deployment()
    del smaller["spec"]["template"]["spec"]["containers"][0]["ports"]
    pruned = apply(created, smaller, DEPLOYMENT, "kubectl", False, T1)
    assert "labels" not in pruned["metadata"]
    assert pruned["spec"]["template"]["spec"]["containers"] == [
        {"name": "nginx", "image": "nginx:1.25"}]
    assert entry(pruned, "kubectl")["time"] == T1


def test_apply_keeps_fields_it_no_longer_applies_when_another_manager_owns_them() -> None:
    created = apply(None, deployment(labels={"team": "a"}), DEPLOYMENT, "kubectl", False, T0)
    other = apply(created, {"apiVersion": "apps/v1", "kind": "Deployment",
                            "metadata": {"name": "web", "labels": {"team": "a"}}},
                  DEPLOYMENT, "other", False, T1)
    kept = apply(other, deployment(), DEPLOYMENT, "kubectl", False, T2)
    assert kept["metadata"]["labels"] == {"team": "a"}
    assert entry(kept, "other")["fieldsV1"] == {"f:metadata": {"f:labels": {"f:team": {}}}}


def test_apply_gives_existing_fields_to_before_first_apply_when_there_are_no_managed_fields(
        ) -> None:
    live = deployment(replicas=1)
    live["metadata"]["uid"] = "u1"
    with pytest.raises(ApiError) as err:
        apply(live, deployment(replicas=4), DEPLOYMENT, "tool", False, T1)
    assert 'conflict with "before-first-apply" using apps/v1: .spec.replicas' in err.value.message
    applied = apply(live, deployment(replicas=1), DEPLOYMENT, "tool", False, T1)
    assert managers(applied) == [("tool", "Apply"), ("before-first-apply", "Update")]


def test_apply_takes_over_from_client_side_apply_when_the_last_applied_annotation_matches(
        ) -> None:
    manifest = deployment()
    annotation = json.dumps(manifest)
    live = deployment(annotations={LAST_APPLIED_ANNOTATION: annotation})
    live = update_managed_fields(None, live, DEPLOYMENT, "kubectl-client-side-apply", T0)
    upgraded = apply(live, deployment(replicas=3), DEPLOYMENT, "kubectl", False, T1)
    assert upgraded["spec"]["replicas"] == 3
    synced = json.loads(upgraded["metadata"]["annotations"][LAST_APPLIED_ANNOTATION])
    assert synced["spec"]["replicas"] == 3
    with pytest.raises(ApiError):
        apply(live, deployment(replicas=3), DEPLOYMENT, "someone-else", False, T1)


# structured-merge-diff typed/merge_test.go, set merges (live, applied, merged).
@pytest.mark.parametrize(("live", "applied", "merged"), [
    ("abc", "ab", "abc"),
    ("ab", "ba", "ba"),
    ("abc", "cdef", "abcdef"),
    ("abcgf", "cdef", "abcgdef"),
    ("cdef", "ace", "acdef"),
    ("abcxyz", "defxyz", "abcdefxyz"),
    ("cagf", "cfag", "cfag"),
    ("abcd", "defa", "bcdefa"),
    ("cdefghij", "2h3e4kl", "cdfg2hij3e4kl"),
    ("abb", "b", "ab"),
    ("abcdec", "1b2ed", "a1bc2ecd"),
    ("aabb", "bcd", "aabcd"),
])
def test_apply_orders_set_items_like_structured_merge_diff_when_lists_merge(
        live: str, applied: str, merged: str) -> None:
    current = deployment()
    current["metadata"]["finalizers"] = list(live)
    body = {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "finalizers": list(applied)}}
    result = apply(current, body, DEPLOYMENT, "m", True, T0)
    assert result["metadata"]["finalizers"] == list(merged)


def test_apply_is_a_bad_request_when_the_manifest_carries_managed_fields() -> None:
    body = deployment()
    body["metadata"]["managedFields"] = []
    with pytest.raises(ApiError) as err:
        apply(None, body, DEPLOYMENT, "kubectl", False, T0)
    assert (err.value.code, err.value.message) == (400, "metadata.managedFields must be nil")


def test_apply_is_a_bad_request_when_the_kind_does_not_match_the_resource() -> None:
    body = deployment()
    body["kind"] = "StatefulSet"
    with pytest.raises(ApiError) as err:
        apply(None, body, DEPLOYMENT, "kubectl", False, T0)
    assert (err.value.code, err.value.message) == (
        400, "invalid object type: apps/v1, Kind=StatefulSet")


def test_apply_is_invalid_when_no_field_manager_is_given() -> None:
    with pytest.raises(ApiError) as err:
        apply(None, deployment(), DEPLOYMENT, "", False, T0)
    assert err.value.code == 422
    assert err.value.message == ('PatchOptions.meta.k8s.io "" is invalid: fieldManager: '
                                 "Required value: is required for apply patch")


def test_apply_fails_like_upstream_when_the_manifest_has_an_unknown_field() -> None:
    body = deployment()
    body["spec"]["bogus"] = 1
    with pytest.raises(ApiError) as err:
        apply(None, body, DEPLOYMENT, "kubectl", False, T0)
    assert err.value.code == 400
    assert err.value.message == ("failed to create typed patch object (default/web; "
                                 "apps/v1, Kind=Deployment): .spec.bogus: field not declared "
                                 "in schema")


def test_apply_fails_like_upstream_when_a_keyed_list_repeats_a_key() -> None:
    body = deployment()
    containers = body["spec"]["template"]["spec"]["containers"]
    containers.append(dict(containers[0]))
    with pytest.raises(ApiError) as err:
        apply(None, body, DEPLOYMENT, "kubectl", False, T0)
    assert err.value.message.endswith(
        '.spec.template.spec.containers: duplicate entries for key [name="nginx"]')


def test_update_records_an_update_entry_when_an_object_is_created() -> None:
    created = update_managed_fields(None, deployment(labels={"app": "web"}), DEPLOYMENT,
                                    "kubectl-create", T0)
    fields = entry(created, "kubectl-create")
    assert (fields["operation"], fields["apiVersion"], fields["time"]) == (
        "Update", "apps/v1", T0)
    assert fields["fieldsV1"]["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}
    # containers is required (always in the typed zero object), ports is omitempty
    assert fields["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"] == {
        'k:{"name":"nginx"}': {".": {}, "f:image": {}, "f:name": {}, "f:ports": {
            ".": {},
            'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}}}


def test_update_leaves_managed_fields_out_when_the_existing_object_has_none() -> None:
    live = deployment()
    changed = deployment(replicas=9)
    assert "managedFields" not in update_managed_fields(live, changed, DEPLOYMENT, "x",
                                                        T1)["metadata"]


def test_update_keeps_entries_when_the_request_omits_managed_fields() -> None:
    created = update_managed_fields(None, deployment(), DEPLOYMENT, "kubectl-create", T0)
    scaled = deployment(replicas=4)
    updated = update_managed_fields(created, scaled, DEPLOYMENT, "kubectl-scale", T1)
    assert managers(updated) == [("kubectl-create", "Update"), ("kubectl-scale", "Update")]
    assert "f:replicas" not in entry(updated, "kubectl-create")["fieldsV1"]["f:spec"]


def test_update_resets_managed_fields_when_the_request_sends_an_empty_entry() -> None:
    created = update_managed_fields(None, deployment(), DEPLOYMENT, "kubectl-create", T0)
    reset = deployment()
    reset["metadata"]["managedFields"] = [{}]
    assert "managedFields" not in update_managed_fields(created, reset, DEPLOYMENT, "x",
                                                        T1)["metadata"]


def test_update_leaves_ignored_fields_unowned_when_they_are_reset_fields() -> None:
    live = update_managed_fields(None, deployment(), DEPLOYMENT, "kubectl-create", T0)
    new = copy.deepcopy(live)
    new["status"] = {"replicas": 2}
    updated = update_managed_fields(live, new, DEPLOYMENT, "controller", T1, ignored=("status",))
    assert managers(updated) == [("kubectl-create", "Update")]


def test_update_merges_old_entries_into_ancient_changes_when_there_are_more_than_ten() -> None:
    obj = update_managed_fields(None, deployment(), DEPLOYMENT, "m0", "2026-01-01T00:00:00Z")
    for i in range(1, 12):
        new = copy.deepcopy(obj)
        new["metadata"].setdefault("labels", {})[f"l{i}"] = "x"
        obj = update_managed_fields(obj, new, DEPLOYMENT, f"m{i}", f"2026-01-01T00:{i:02}:00Z")
    assert len(obj["metadata"]["managedFields"]) == 10
    assert ("ancient-changes", "Update") in managers(obj)


deployment_configs = st.fixed_dictionaries({
    "labels": st.dictionaries(st.sampled_from(["app", "tier", "x"]), st.sampled_from("ab"),
                              max_size=3),
    "replicas": st.integers(0, 3),
    "images": st.dictionaries(st.sampled_from(["nginx", "side", "log"]), st.sampled_from("12"),
                              min_size=1, max_size=3),
})


def manifest(config: dict[str, Any]) -> dict[str, Any]:
    body = deployment(replicas=config["replicas"], labels=config["labels"])
    body["spec"]["template"]["spec"]["containers"] = [
        {"name": n, "image": i} for n, i in config["images"].items()]
    return body


@settings(max_examples=60)
@given(deployment_configs, deployment_configs)
def test_apply_result_holds_every_applied_value_when_applied_over_an_earlier_apply(
        first: dict[str, Any], second: dict[str, Any]) -> None:
    live = apply(None, manifest(first), DEPLOYMENT, "kubectl", False, T0)
    result = apply(live, manifest(second), DEPLOYMENT, "kubectl", False, T1)
    assert result["metadata"].get("labels", {}) == second["labels"]
    assert result["spec"]["replicas"] == second["replicas"]
    assert {c["name"]: c["image"] for c in result["spec"]["template"]["spec"]["containers"]} \
        == second["images"]
    assert apply(result, manifest(second), DEPLOYMENT, "kubectl", False, T2) == result
