"""Subresource bodies and parameters the simulator must refuse as kube-apiserver 1.32
does (pods/eviction, pods/binding, */scale, */status, pods/log), and the control API's
answers to bad input; none of them changes anything.

Upstream: pkg/registry/core/pod/storage/{eviction,storage}.go (the names must match the
URL exactly; assignPod's Conflict on pods/binding), pkg/registry/core/pod/rest/log.go
and ValidatePodLogOptions, the apps scale subresources and the update handler.
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


IMAGE = "registry.k8s.io/pause:3.10"


def pods(namespace: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods"


@pytest.fixture
def pod(raw: Raw, namespace: str) -> str:
    """An unscheduled pod with two containers; returns its URL."""
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a", "image": IMAGE},
                                    {"name": "b", "image": IMAGE}]}}
    reply = raw.post(pods(namespace), body)
    assert reply.status == 201, reply.body
    return pods(namespace) + "/p"


@pytest.fixture
def deployment(raw: Raw, namespace: str) -> str:
    url = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d"}},
                     "template": {"metadata": {"labels": {"app": "d"}},
                                  "spec": {"containers": [{"name": "c", "image": IMAGE}]}}}}
    assert raw.post(url, body).status == 201
    return url + "/d"


def eviction(name: str | None = "p", **extra: Any) -> dict[str, Any]:
    meta = {"name": name} if name is not None else {}
    return {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": meta, **extra}


def binding(name: str | None = "p", target: Any = None) -> dict[str, Any]:
    meta = {"name": name} if name is not None else {}
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "Binding", "metadata": meta}
    if target is not None:
        body["target"] = target
    return body


def scale(replicas: Any, name: str = "d", **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "autoscaling/v1", "kind": "Scale",
            "metadata": {"name": name, **meta}, "spec": {"replicas": replicas}}


# -- pods/eviction ----------------------------------------------------------------------


@pytest.mark.parametrize(("body", "message"), [
    (b'{"apiVersion": "policy/v1",', "the object provided is unrecognized (must be of type "
                                     "Eviction): couldn't get version/kind; json parse error"),
    ({**eviction(), "kind": "Pod"}, 'Pod in version "v1" cannot be handled as a Eviction'),
    (eviction("other"), "name in URL does not match name in Eviction object"),
    (eviction(None), "name in URL does not match name in Eviction object"),
    (eviction(deleteOptions="now"),
     'Eviction in version "v1" cannot be handled as a Eviction: json: cannot unmarshal '
     "string into Go struct field Eviction.deleteOptions of type v1.DeleteOptions"),
    (eviction(deleteOptions={"gracePeriodSeconds": "soon"}),
     "json: cannot unmarshal string into Go struct field DeleteOptions.deleteOptions."
     "gracePeriodSeconds of type int64"),
], ids=["malformed", "wrong-kind", "other-name", "no-name", "options-string",
        "grace-string"])
def test_a_bad_eviction_is_a_400_and_the_pod_stays(raw: Raw, unchanged: Unchanged,
                                                   sim: Simulator, namespace: str, pod: str,
                                                   body: Any, message: str) -> None:
    before = stored_object(sim, "pods", namespace, "p")
    with unchanged():
        doc = raw.post(pod + "/eviction", body).error(400, "BadRequest")
    assert message in doc["message"]
    assert stored_object(sim, "pods", namespace, "p") == before


def test_evicting_a_missing_pod_is_a_404(raw: Raw, unchanged: Unchanged,
                                         namespace: str) -> None:
    with unchanged():
        doc = raw.post(pods(namespace) + "/absent/eviction", eviction("absent")).error(
            404, "NotFound")
    assert doc["message"] == 'pods "absent" not found'


# -- pods/binding -----------------------------------------------------------------------


@pytest.mark.parametrize(("body", "code", "reason", "message"), [
    (binding(target={"kind": "Node"}), 422, "Invalid",
     'Binding "p" is invalid: target.name: Required value'),
    (binding(target={"kind": "Pod", "name": "n1"}), 422, "Invalid",
     'Binding "p" is invalid: target.kind: Unsupported value: "Pod": supported values: '
     '"Node", "<empty>"'),
    (binding(target="n1"), 400, "BadRequest",
     'Binding in version "v1" cannot be handled as a Binding: json: cannot unmarshal string '
     "into Go struct field Binding.target of type v1.ObjectReference"),
    (binding("other", {"name": "n1"}), 400, "BadRequest",
     "name in URL does not match name in Binding object"),
    (binding(None, {"name": "n1"}), 400, "BadRequest",
     "name in URL does not match name in Binding object"),
    ({**binding(target={"name": "n1"}), "kind": "Pod"}, 400, "BadRequest",
     'Pod in version "v1" cannot be handled as a Binding'),
], ids=["no-target-name", "target-kind", "target-string", "other-name", "no-name",
        "wrong-kind"])
def test_a_bad_binding_is_refused_and_the_pod_stays_unscheduled(
        raw: Raw, unchanged: Unchanged, sim: Simulator, namespace: str, pod: str, body: Any,
        code: int, reason: str, message: str) -> None:
    before = stored_object(sim, "pods", namespace, "p")
    with unchanged():
        doc = raw.post(pod + "/binding", body).error(code, reason)
    assert doc["message"].startswith(message)
    after = stored_object(sim, "pods", namespace, "p")
    assert after == before and not (after or {}).get("spec", {}).get("nodeName")


def test_binding_a_pod_that_is_already_bound_is_a_409_on_pods_binding(
        raw: Raw, unchanged: Unchanged, sim: Simulator, namespace: str, pod: str) -> None:
    assert raw.post(pod + "/binding", binding(target={"name": "n1"})).status == 201
    before = stored_object(sim, "pods", namespace, "p")
    with unchanged():
        doc = raw.post(pod + "/binding", binding(target={"name": "n2"})).error(409, "Conflict")
    assert doc["message"] == ('Operation cannot be fulfilled on pods/binding "p": pod p is '
                              'already assigned to node "n1"')
    assert stored_object(sim, "pods", namespace, "p") == before


# -- */scale ----------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "code", "reason", "message"), [
    (scale(-1), 422, "Invalid", 'Scale.autoscaling "d" is invalid: spec.replicas: Invalid '
                                "value: -1: must be greater than or equal to 0"),
    (scale("two"), 400, "BadRequest",
     'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into '
     "Go struct field ScaleSpec.spec.replicas of type int32"),
    (scale(2, "other"), 400, "BadRequest",
     "the name of the object (other) does not match the name on the URL (d)"),
    ({**scale(2), "apiVersion": "apps/v1", "kind": "Deployment"}, 400, "BadRequest",
     "apps/v1"),
    (scale(2, resourceVersion="1"), 409, "Conflict",
     'Operation cannot be fulfilled on deployments.apps "d": the object has been modified'),
    (b"{", 400, "BadRequest", "the object provided is unrecognized (must be of type Scale)"),
], ids=["negative", "string", "other-name", "not-a-scale", "stale", "malformed"])
def test_a_bad_scale_put_is_refused_and_the_replicas_stay(
        raw: Raw, unchanged: Unchanged, sim: Simulator, namespace: str, deployment: str,
        body: Any, code: int, reason: str, message: str) -> None:
    before = stored_object(sim, "deployments", namespace, "d", "apps")
    with unchanged():
        doc = raw.put(deployment + "/scale", body).error(code, reason)
    assert message in doc["message"]
    assert stored_object(sim, "deployments", namespace, "d", "apps") == before


@pytest.mark.parametrize(("patch_type", "body", "code"), [
    ("application/merge-patch+json", {"spec": {"replicas": -3}}, 422),
    ("application/merge-patch+json", b"{", 400),
    ("application/json-patch+json", [{"op": "test", "path": "/spec/replicas", "value": 9}],
     422),
    ("text/plain", {"spec": {"replicas": 3}}, 415),
])
def test_a_bad_scale_patch_is_refused(raw: Raw, unchanged: Unchanged, sim: Simulator,
                                      namespace: str, deployment: str, patch_type: str,
                                      body: Any, code: int) -> None:
    before = stored_object(sim, "deployments", namespace, "d", "apps")
    with unchanged():
        reply = raw.patch(deployment + "/scale", body, patch_type)
        assert reply.status == code, reply.body
        assert reply.json()["kind"] == "Status"
    assert stored_object(sim, "deployments", namespace, "d", "apps") == before


def test_scale_on_a_kind_without_it_is_a_404(raw: Raw, unchanged: Unchanged,
                                             namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    assert raw.post(url, {"metadata": {"name": "c"}}).status == 201
    with unchanged():
        raw.get(url + "/c/scale").error(404, "NotFound")


# -- */status ---------------------------------------------------------------------------


def test_a_status_put_naming_another_object_is_a_400(raw: Raw, unchanged: Unchanged,
                                                     deployment: str) -> None:
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "other"},
            "status": {"replicas": 5}}
    with unchanged():
        doc = raw.put(deployment + "/status", body).error(400, "BadRequest")
    assert doc["message"] == ("the name of the object (other) does not match the name on the "
                              "URL (d)")


def test_a_status_patch_of_the_wrong_type_is_a_422(raw: Raw, unchanged: Unchanged,
                                                   deployment: str) -> None:
    with unchanged():
        doc = raw.patch(deployment + "/status", {"status": {"replicas": "five"}},
                        "application/merge-patch+json").error(422, "Invalid")
    assert doc["message"].endswith("json: cannot unmarshal string into Go struct field "
                                   "DeploymentStatus.status.replicas of type int32")


# -- pods/log ---------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "code", "reason", "message"), [
    ("container=c", 400, "BadRequest", "container c is not valid for pod p"),
    ("", 400, "BadRequest", "a container name must be specified for pod p, choose one of: "
                            "[a b]"),
    ("container=a&tailLines=-1", 422, "Invalid",
     'PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or '
     "equal to 0"),
    ("container=a&limitBytes=0", 422, "Invalid",
     'PodLogOptions "p" is invalid: limitBytes: Invalid value: 0: must be greater than 0'),
    ("container=a&sinceSeconds=0", 422, "Invalid",
     'PodLogOptions "p" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0'),
    ("container=a&tailLines=ten", 400, "BadRequest", "invalid syntax"),
], ids=["no-such-container", "which-container", "negative-tail", "zero-limit",
        "zero-since", "tail-not-a-number"])
def test_bad_log_requests_are_refused(raw: Raw, unchanged: Unchanged, pod: str, query: str,
                                      code: int, reason: str, message: str) -> None:
    with unchanged():
        doc = raw.get(pod + "/log?" + query).error(code, reason)
    assert message in doc["message"]


def test_logs_of_a_missing_pod_are_a_404(raw: Raw, namespace: str) -> None:
    doc = raw.get(pods(namespace) + "/absent/log").error(404, "NotFound")
    assert doc["message"] == 'pods "absent" not found'


# -- the control API --------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body", "code", "reason"), [
    ("GET", "/sim/v1/reset", None, 405, "MethodNotAllowed"),
    ("DELETE", "/sim/v1/reset", None, 405, "MethodNotAllowed"),
    ("POST", "/sim/v1/state", b"{}", 405, "MethodNotAllowed"),
    ("GET", "/sim/v1/clock", None, 405, "MethodNotAllowed"),
    ("GET", "/sim/v1/", None, 404, "NotFound"),
    ("POST", "/sim/v1/frobnicate", b"{}", 404, "NotFound"),
    ("POST", "/sim/v1/reset/now", None, 404, "NotFound"),
    ("POST", "/sim/v1/reset", b"{not json", 400, "BadRequest"),
    ("POST", "/sim/v1/reset", b"[1]", 400, "BadRequest"),
    ("POST", "/sim/v1/clock", b"{}", 400, "BadRequest"),
    ("POST", "/sim/v1/clock", b'{"time_scale": -1}', 400, "BadRequest"),
    ("POST", "/sim/v1/clock", b'{"time_scale": "fast"}', 400, "BadRequest"),
    ("POST", "/sim/v1/clock", b'{"time_scale": true}', 400, "BadRequest"),
    ("POST", "/sim/v1/nodes/n1/power", b"[]", 400, "BadRequest"),
    ("POST", "/sim/v1/nodes/n1/power", b'{"state": 1}', 400, "BadRequest"),
])
def test_the_control_api_refuses_bad_methods_paths_and_bodies_and_changes_nothing(
        raw: Raw, unchanged: Unchanged, sim: Simulator, method: str, path: str,
        body: bytes | None, code: int, reason: str) -> None:
    state = raw.get("/sim/v1/state").json()
    with unchanged():
        raw.request(method, path, body).error(code, reason)
    after = raw.get("/sim/v1/state").json()
    assert after["clock"]["timeScale"] == state["clock"]["timeScale"]
    assert after["nodes"] == state["nodes"]
    assert raw.get("/api/v1/namespaces/default").status == 200  # no reset happened
