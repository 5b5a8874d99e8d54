"""Properties of every answer to arbitrary input: random bytes, random JSON and objects
shaped like each kind's schema but filled with random values, sent to random endpoints.

* the answer is a 2xx or a 4xx, never a 5xx, and a 4xx is a ``Status`` with that code;
* a 4xx (and any dry run) leaves the store's resourceVersion where it was;
* a 2xx object decodes into its kind's type (nothing of the wrong JSON type is stored).

They run against a simulator of their own, so what they create stays out of the other
tests' way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rawhttp import Raw, Reply, settled_rv

from chaoszone.sim import schema
from chaoszone.sim.resources import RESOURCES, ResourceType
from chaoszone.sim.server import Simulator

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CREATABLE = [rt for rt in RESOURCES if schema.type_for_kind(rt.group, rt.version, rt.kind)]
PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json", "application/apply-patch+yaml",
               "application/json", "text/plain"]
QUERIES = ["", "?fieldValidation=Strict", "?fieldValidation=Ignore", "?dryRun=All",
           "?fieldValidation=Nope", "?dryRun=Some"]

scalars = (st.none() | st.booleans() | st.integers(-2**40, 2**40)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=12)
names = st.sampled_from(["a", "x-1", "Bad_Name", "", "a.b", "-x", "z" * 70, "0"]) | st.text(
    max_size=10)


def for_field(prop: schema.Field, depth: int) -> st.SearchStrategy[Any]:
    """A value for a schema field: often of the right shape, sometimes anything."""
    options: list[st.SearchStrategy[Any]] = [json_values]
    if depth < 4:
        if prop.ref is not None:
            options.append(for_type(prop.ref, depth + 1))
        elif prop.items is not None:
            options.append(st.lists(for_field(prop.items, depth + 1), max_size=2))
        elif prop.values is not None:
            options.append(st.dictionaries(st.text(max_size=6),
                                           for_field(prop.values, depth + 1), max_size=2))
        elif prop.type == "string":
            options.append(st.sampled_from(list(prop.enum) or ["", "a", "10", "1Gi",
                                                               "2024-01-01T00:00:00Z"]))
        elif prop.type in ("integer", "number"):
            options.append(st.integers(-5, 100))
        elif prop.type == "boolean":
            options.append(st.booleans())
    return st.one_of(*options)


def for_type(type_name: str, depth: int = 0) -> st.SearchStrategy[Any]:
    found = schema.definition(type_name)
    if found is None or not found.properties or depth >= 4:
        return json_values
    props = found.properties
    return st.lists(st.sampled_from(sorted(props)), max_size=4, unique=True).flatmap(
        lambda keys: st.fixed_dictionaries({k: for_field(props[k], depth + 1) for k in keys}))


@st.composite
def bodies(draw: st.DrawFn, rt: ResourceType) -> tuple[bytes, str]:
    """A request body for ``rt`` and its content type."""
    shape = draw(st.sampled_from(["bytes", "json", "object", "object", "object"]))
    if shape == "bytes":
        return draw(st.binary(max_size=64)), draw(st.sampled_from(
            ["application/json", "application/yaml"]))
    if shape == "json":
        return json.dumps(draw(json_values)).encode(), "application/json"
    type_name = schema.type_for_kind(rt.group, rt.version, rt.kind)
    assert type_name is not None
    obj = draw(for_type(type_name))
    if not isinstance(obj, dict):
        obj = {}
    obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
    if not isinstance(obj.get("metadata"), dict) or draw(st.booleans()):
        obj["metadata"] = {"name": draw(names)}
    if draw(st.booleans()):
        return yaml.safe_dump(obj).encode(), "application/yaml"
    return json.dumps(obj).encode(), "application/json"


@st.composite
def creates(draw: st.DrawFn) -> tuple[ResourceType, bytes, str, str]:
    rt = draw(st.sampled_from(CREATABLE))
    body, content_type = draw(bodies(rt))
    return rt, body, content_type, draw(st.sampled_from(QUERIES))


@pytest.fixture(scope="module")
def own_sim() -> Iterator[Simulator]:
    with Simulator(time_scale=1e-6) as simulator:  # a still clock: see conftest.still_sim
        yield simulator


@pytest.fixture(scope="module")
def own_raw(own_sim: Simulator) -> Iterator[Raw]:
    client = Raw(own_sim)
    yield client
    client.close()


def check(sim: Simulator, reply: Reply, before: int, query: str,
          rt: ResourceType | None = None) -> None:
    after = settled_rv(sim)
    assert 200 <= reply.status < 300 or 400 <= reply.status < 500, (reply.status, reply.body)
    if reply.status >= 400:
        doc = reply.json()
        assert doc["kind"] == "Status" and doc["status"] == "Failure", doc
        assert doc["code"] == reply.status and doc["reason"], doc
        assert after == before, f"a {reply.status} changed the store: {doc}"
        return
    if "dryRun=All" in query:
        assert after == before, "a dry run changed the store"
    doc = reply.json()
    assert isinstance(doc, dict)
    if rt is not None and doc.get("kind") == rt.kind:
        type_name = schema.type_for_kind(rt.group, rt.version, rt.kind)
        assert type_name is not None
        assert schema.type_error(doc, type_name) is None, doc


@SETTINGS
@given(request=creates())
def test_a_create_of_anything_is_a_2xx_or_a_4xx_status_and_a_4xx_changes_nothing(
        own_sim: Simulator, own_raw: Raw, request: tuple[ResourceType, bytes, str, str]
        ) -> None:
    rt, body, content_type, query = request
    before = settled_rv(own_sim)
    reply = own_raw.request("POST", rt.url("default") + query, body, content_type=content_type)
    check(own_sim, reply, before, query, rt)


@pytest.fixture(scope="module")
def targets(own_raw: Raw) -> dict[str, str]:
    """An object of a few kinds to update and patch: kind -> URL."""
    image = "registry.k8s.io/pause:3.10"
    made = {
        "ConfigMap": ("/api/v1/namespaces/default/configmaps",
                      {"metadata": {"name": "target"}, "data": {"a": "1"}}),
        "Deployment": ("/apis/apps/v1/namespaces/default/deployments", {
            "metadata": {"name": "target"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "t"}},
                     "template": {"metadata": {"labels": {"app": "t"}},
                                  "spec": {"containers": [{"name": "c", "image": image}]}}}}),
        "Pod": ("/api/v1/namespaces/default/pods", {
            "metadata": {"name": "target"},
            "spec": {"containers": [{"name": "c", "image": image}]}}),
    }
    out = {}
    for kind, (url, body) in made.items():
        reply = own_raw.post(url, body)
        assert reply.status == 201, reply.body
        out[kind] = url + "/target"
    return out


def _kind(rt_kind: str) -> ResourceType:
    return next(rt for rt in CREATABLE if rt.kind == rt_kind and rt.group in ("", "apps"))


@SETTINGS
@given(data=st.data())
def test_an_update_or_patch_with_anything_is_a_2xx_or_a_4xx_status_and_a_4xx_changes_nothing(
        own_sim: Simulator, own_raw: Raw, targets: dict[str, str], data: st.DataObject
        ) -> None:
    kind = data.draw(st.sampled_from(sorted(targets)))
    rt = _kind(kind)
    url = targets[kind] + data.draw(st.sampled_from(["", "", "/status"]))
    query = data.draw(st.sampled_from([*QUERIES, "?fieldManager=props&force=true"]))
    if data.draw(st.booleans()):
        method = "PUT"
        body, content_type = data.draw(bodies(rt))
        if data.draw(st.booleans()):  # often name the object, so the body gets further
            try:
                doc = json.loads(body)
                if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict):
                    doc["metadata"]["name"] = "target"
                    body = json.dumps(doc).encode()
            except ValueError:
                pass
    else:
        method = "PATCH"
        content_type = data.draw(st.sampled_from(PATCH_TYPES))
        value = data.draw(json_values | for_type(
            schema.type_for_kind(rt.group, rt.version, rt.kind) or ""))
        body = (yaml.safe_dump(value).encode() if content_type.endswith("yaml")
                else json.dumps(value).encode())
    before = settled_rv(own_sim)
    reply = own_raw.request(method, url + query, body, content_type=content_type)
    check(own_sim, reply, before, query, rt)
