"""The schema table: lookups, strict-decoding paths, and that the data file is what the
generator makes from upstream's OpenAPI."""

from __future__ import annotations

import gzip
import json
from importlib import resources
from typing import Any

import pytest

from chaoszone.sim import schema
from chaoszone.sim.resources import RESOURCES
from chaoszone.sim.schema import generate

POD_SPEC = "io.k8s.api.core.v1.PodSpec"
DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"


def deployment(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]},
            },
            **spec,
        },
    }


def test_type_for_kind_names_the_definition_when_the_kind_is_served() -> None:
    assert schema.type_for_kind("apps", "v1", "Deployment") == DEPLOYMENT
    assert schema.type_for_kind("", "v1", "Node") == "io.k8s.api.core.v1.Node"
    assert schema.type_for_kind("autoscaling", "v1", "Scale") == "io.k8s.api.autoscaling.v1.Scale"


def test_type_for_kind_is_none_when_the_kind_is_unknown() -> None:
    assert schema.type_for_kind("apps", "v1", "Nope") is None
    assert schema.type_for_kind("apps", "v2", "Deployment") is None


@pytest.mark.parametrize("rt", RESOURCES, ids=lambda r: f"{r.group or 'core'}/{r.kind}")
def test_every_served_kind_has_a_definition_when_looked_up_by_its_gvk(rt: Any) -> None:
    for kind in (rt.kind, rt.list_kind):
        name = schema.type_for_kind(rt.group, rt.version, kind)
        assert name is not None
        assert schema.GroupVersionKind(rt.group, rt.version, kind) in schema.gvks(name)
    for sub in rt.subresources:
        assert schema.type_for_kind(sub.group if sub.version else rt.group,
                                    sub.version or rt.version, sub.kind) is not None


def test_field_reports_merge_by_name_when_the_list_is_containers() -> None:
    containers = schema.field(POD_SPEC, "containers")
    assert containers is not None
    assert containers.type == "array"
    assert containers.items_ref == "io.k8s.api.core.v1.Container"
    assert containers.patch_strategy == ("merge",)
    assert containers.merge_key == "name"
    assert containers.list_type == "map"
    assert containers.map_keys == ("name",)


def test_field_reports_atomic_when_the_list_is_taints_or_tolerations() -> None:
    taints = schema.field("io.k8s.api.core.v1.NodeSpec", "taints")
    tolerations = schema.field(POD_SPEC, "tolerations")
    assert taints is not None and tolerations is not None
    for field in (taints, tolerations):
        assert field.list_type == "atomic"
        assert field.patch_strategy == ()
        assert field.merge_key is None


def test_field_reports_retain_keys_when_the_list_is_volumes() -> None:
    volumes = schema.field(POD_SPEC, "volumes")
    assert volumes is not None
    assert volumes.patch_strategy == ("merge", "retainKeys")


def test_field_reports_a_primitive_set_when_the_list_is_finalizers() -> None:
    finalizers = schema.field("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers")
    assert finalizers is not None
    assert finalizers.items_type == "string"
    assert finalizers.patch_strategy == ("merge",)
    assert finalizers.list_type == "set"


def test_field_reports_the_value_type_when_the_field_is_a_map() -> None:
    limits = schema.field("io.k8s.api.core.v1.ResourceRequirements", "limits")
    selector = schema.field(POD_SPEC, "nodeSelector")
    assert limits is not None and selector is not None
    assert limits.values_ref == "io.k8s.apimachinery.pkg.api.resource.Quantity"
    assert selector.values_type == "string"
    assert selector.map_type == "atomic"


def test_field_keeps_the_default_when_it_is_a_list_map_key() -> None:
    protocol = schema.field("io.k8s.api.core.v1.ContainerPort", "protocol")
    assert protocol is not None
    assert protocol.default == "TCP"


def test_field_is_none_when_the_name_is_not_a_property() -> None:
    assert schema.field(POD_SPEC, "bogus") is None
    assert schema.field("io.k8s.api.core.v1.Nope", "containers") is None


def test_required_lists_the_required_fields_when_the_type_has_them() -> None:
    assert schema.required("io.k8s.api.core.v1.Taint") == ("key", "effect")
    assert schema.required("io.k8s.api.core.v1.Container") == ("name",)
    assert schema.required("io.k8s.api.core.v1.NodeSpec") == ()


def test_custom_scalars_take_their_json_forms_when_looked_up() -> None:
    int_or_string = schema.definition("io.k8s.apimachinery.pkg.util.intstr.IntOrString")
    quantity = schema.definition("io.k8s.apimachinery.pkg.api.resource.Quantity")
    time = schema.definition("io.k8s.apimachinery.pkg.apis.meta.v1.Time")
    raw = schema.definition("io.k8s.apimachinery.pkg.runtime.RawExtension")
    assert int_or_string is not None and int_or_string.one_of == ("integer", "string")
    assert quantity is not None and quantity.one_of == ("string", "number")
    assert time is not None and (time.type, time.format) == ("string", "date-time")
    assert raw is not None and raw.is_free_form


def test_kind_and_api_version_carry_no_enum_when_read_from_the_table() -> None:
    # kubernetes-validate adds these enums; upstream's OpenAPI has none.
    assert schema.field(DEPLOYMENT, "kind") == schema.Field("kind", type="string")
    assert schema.field(DEPLOYMENT, "apiVersion") == schema.Field("apiVersion", type="string")


def test_unknown_fields_is_empty_when_the_object_fits_the_schema() -> None:
    assert schema.unknown_fields(deployment(), DEPLOYMENT) == []


def test_unknown_fields_reports_strict_decoding_paths_when_fields_are_not_in_the_schema() -> None:
    obj = deployment(foo=1)
    obj["spec"]["template"]["spec"]["containers"].append({"name": "b", "bogus": True})
    obj["metadata"]["labelz"] = {}
    assert schema.unknown_fields(obj, DEPLOYMENT) == [
        "metadata.labelz",
        "spec.template.spec.containers[1].bogus",
        "spec.foo",
    ]


def test_unknown_fields_does_not_look_inside_free_form_values_when_the_field_is_raw() -> None:
    revision = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": 1,
                "metadata": {"name": "r"}, "data": {"anything": {"goes": [1]}}}
    assert schema.unknown_fields(revision, "io.k8s.api.apps.v1.ControllerRevision") == []


def test_unknown_fields_skips_values_when_their_json_type_is_wrong() -> None:
    obj = deployment()
    obj["spec"]["template"] = ["not", "an", "object"]
    assert schema.unknown_fields(obj, DEPLOYMENT) == []


def test_prune_unknown_fields_removes_them_in_place_when_asked() -> None:
    obj = deployment(foo=1)
    assert schema.prune_unknown_fields(obj, DEPLOYMENT) == ["spec.foo"]
    assert obj == deployment()


def test_source_names_upstream_and_its_licence_when_asked() -> None:
    text = schema.source()
    assert "Kubernetes" in text and "v1.32" in text
    assert "Apache" in text and "kubernetes-validate" in text


def test_definition_names_cover_api_and_meta_types_when_listed() -> None:
    names = schema.definition_names()
    assert list(names) == sorted(names)
    assert DEPLOYMENT in names
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.Status" in names
    assert all(n.startswith(("io.k8s.api.", "io.k8s.apimachinery.")) for n in names)


def test_data_file_stays_small_when_committed() -> None:
    data = resources.files("chaoszone.sim.schema").joinpath("k8s-1.32.json.gz").read_bytes()
    assert len(data) < 400_000


def test_data_file_is_what_the_generator_makes_when_regenerated() -> None:
    committed = resources.files("chaoszone.sim.schema").joinpath("k8s-1.32.json.gz").read_bytes()
    assert json.loads(gzip.decompress(committed)) == generate.build(generate._read_input())
