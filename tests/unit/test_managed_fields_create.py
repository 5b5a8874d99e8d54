"""The managedFields of a create: the field set the create path records directly must be
the one the general comparison (an empty live object against the new one) finds."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chaoszone.sim.api import patch

POD = "io.k8s.api.core.v1.Pod"
DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["a", "b", ""]))
free = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["a", "b", "name", "x"]), inner, max_size=3)), max_leaves=8)
ports = st.lists(st.fixed_dictionaries(
    {"containerPort": st.sampled_from([80, 443])},
    optional={"protocol": st.sampled_from(["TCP", "UDP"]), "name": st.sampled_from(["h", ""])}),
    max_size=3)
containers = st.lists(st.fixed_dictionaries(
    {},
    optional={"name": st.sampled_from(["app", "side", ""]), "image": st.just("pause"),
              "ports": ports, "resources": st.one_of(st.just({}), st.fixed_dictionaries(
                  {"limits": st.dictionaries(st.sampled_from(["cpu", "memory"]),
                                             st.just("1"))})),
              "args": st.lists(st.sampled_from(["-v", "x"]), max_size=3),
              "env": st.lists(st.fixed_dictionaries({"name": st.sampled_from(["A", "B"])},
                                                    optional={"value": st.just("1")}),
                              max_size=3),
              "bogus": free}),
    max_size=3)
pod_specs = st.fixed_dictionaries(
    {},
    optional={"containers": containers, "nodeSelector": st.dictionaries(
                  st.sampled_from(["zone", "disk"]), st.sampled_from(["a", ""]), max_size=2),
              "tolerations": st.lists(st.fixed_dictionaries(
                  {}, optional={"key": st.sampled_from(["k", "l"]),
                                "operator": st.just("Exists")}), max_size=3),
              "securityContext": st.one_of(st.none(), st.just({})),
              "terminationGracePeriodSeconds": st.integers(0, 30),
              "affinity": free, "extra": free})
metas = st.fixed_dictionaries(
    {"name": st.just("p")},
    optional={"labels": st.dictionaries(st.sampled_from(["app", "tier"]), st.just("x"),
                                        max_size=2),
              "ownerReferences": st.lists(st.fixed_dictionaries(
                  {"uid": st.sampled_from(["u1", "u2"])}, optional={"kind": st.just("RS")}),
                  max_size=2),
              "finalizers": st.lists(st.sampled_from(["f", "g"]), max_size=3),
              "namespace": st.just("default")})
pods = st.fixed_dictionaries(
    {"apiVersion": st.just("v1"), "kind": st.just("Pod"), "metadata": metas},
    optional={"spec": pod_specs, "status": st.fixed_dictionaries({"phase": st.just("Pending")})})
deployments = st.fixed_dictionaries(
    {"apiVersion": st.just("apps/v1"), "kind": st.just("Deployment"), "metadata": metas},
    optional={"spec": st.fixed_dictionaries(
        {}, optional={"replicas": st.integers(0, 3),
                      "template": st.fixed_dictionaries(
                          {}, optional={"metadata": metas, "spec": pod_specs}),
                      "strategy": st.one_of(st.just({}), free)})})


def _general(obj: dict[str, Any], type_name: str) -> set[Any]:
    t = patch._definition_type(type_name)
    return patch._compare({}, obj, t).added


@settings(max_examples=300, deadline=None)
@given(pods)
def test_a_created_pods_field_set_is_what_comparing_it_with_nothing_finds(
        obj: dict[str, Any]) -> None:
    t = patch._definition_type(POD)
    assert patch._created(obj, t) == _general(obj, POD)


@settings(max_examples=300, deadline=None)
@given(deployments)
def test_a_created_deployments_field_set_is_what_comparing_it_with_nothing_finds(
        obj: dict[str, Any]) -> None:
    t = patch._definition_type(DEPLOYMENT)
    assert patch._created(obj, t) == _general(obj, DEPLOYMENT)


def test_a_create_records_its_fields_for_its_manager_without_metadata_identity() -> None:
    obj = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "p", "namespace": "default", "labels": {"app": "x"}},
           "spec": {"containers": [{"name": "app", "image": "pause"}]},
           "status": {"phase": "Pending"}}
    out = patch.update_managed_fields(None, obj, POD, "bench", "2026-01-01T00:00:00Z",
                                      ignored=("status",))
    assert out["metadata"]["managedFields"] == [{
        "manager": "bench", "operation": "Update", "apiVersion": "v1",
        "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                     "f:spec": {"f:containers": {'k:{"name":"app"}': {
                         ".": {}, "f:image": {}, "f:name": {}}}}}}]
    assert "managedFields" not in obj["metadata"]


def test_a_create_that_sends_entries_takes_the_fields_it_sets_from_them() -> None:
    sent = [{"manager": "other", "operation": "Update", "apiVersion": "v1",
             "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}, "f:gone": {}}}}},
            {"manager": "loser", "operation": "Update", "apiVersion": "v1",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}}}}]
    obj = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "p", "labels": {"app": "x"}, "managedFields": sent},
           "spec": {"containers": [{"name": "app", "image": "pause"}]}}
    out = patch.update_managed_fields(None, obj, POD, "bench", "2026-01-01T00:00:00Z")
    entries = {e["manager"]: e["fieldsV1"] for e in out["metadata"]["managedFields"]}
    assert entries["other"] == {"f:metadata": {"f:labels": {"f:gone": {}}}}
    assert set(entries) == {"bench", "other"}
