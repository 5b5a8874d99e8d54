"""The served kinds as the official client sees them: one row per kind with how the typed
API names its calls, a valid manifest, and the changes the contract tests make.

The ``test_client_*`` modules are driven by :data:`KINDS`; :class:`Ops` binds a row to
one ``ApiClient`` and one namespace, makes the typed calls (``create_namespaced_pod``,
``read_node_status``, ...), and removes the cluster-scoped objects a test made.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubernetes import client as k8s
from kubernetes import watch
from kubernetes.client.exceptions import ApiException

if TYPE_CHECKING:
    from chaoszone.sim.server import Simulator

Manifest = dict[str, Any]
#: the label every object made through :class:`Ops` carries, so lists and watches of
#: cluster-scoped kinds see only the test's own objects
RUN_LABEL = "chaoszone.test/run"

_IMAGE = "registry.k8s.io/pause:3.10"
#: the schedulerName of the pods kind: no scheduler serves it
UNSCHEDULED = "contract-tests"


def pod_spec(restart: str = "Always") -> Manifest:
    return {"containers": [{"name": "app", "image": _IMAGE}], "restartPolicy": restart}


def _template(name: str, restart: str = "Always") -> Manifest:
    return {"metadata": {"labels": {"app": name}}, "spec": pod_spec(restart)}


def _selector(name: str) -> Manifest:
    return {"matchLabels": {"app": name}}


def _workload(name: str, _ns: str) -> Manifest:
    return {"spec": {"replicas": 1, "selector": _selector(name), "template": _template(name)}}


@dataclass(frozen=True)
class Kind:
    """One served kind as the typed client reaches it."""

    id: str  # the resource as kubectl names it: "pods", "deployments.apps"
    api: type[Any]  # CoreV1Api, AppsV1Api, ...
    snake: str  # the client's name for it in method names: "pod", "endpoint_slice"
    model: str  # the client's model class: "V1Pod", "CoreV1Event"
    namespaced: bool
    build: Callable[[str, str], Manifest]  # (name, namespace) -> the manifest, no metadata
    #: a valid status for the /status subresource (None: the kind has no /status)
    status: Manifest | None = None
    #: a valid change to the spec (merged into it), for generation and /status tests
    spec: Manifest | None = None
    #: whether metadata.generation is kept (and bumped on spec changes)
    generation: bool = False
    scale: bool = False

    @property
    def list_model(self) -> str:
        return self.model + "List"

    def model_class(self) -> Any:
        return getattr(k8s, self.model)

    def __str__(self) -> str:
        return self.id


KINDS: tuple[Kind, ...] = (
    Kind("namespaces", k8s.CoreV1Api, "namespace", "V1Namespace", False, lambda n, ns: {},
         status={"conditions": [{"type": "NamespaceDeletionDiscoveryFailure",
                                 "status": "False", "reason": "ResourcesDiscovered",
                                 "message": "All resources successfully discovered"}]}),
    Kind("nodes", k8s.CoreV1Api, "node", "V1Node", False,
         lambda n, ns: {"spec": {"podCIDR": "10.244.1.0/24"}},
         status={"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
         spec={"unschedulable": True}),
    # A scheduler of no one's: the pods stay unbound (and deletable at once) unless bound.
    Kind("pods", k8s.CoreV1Api, "pod", "V1Pod", True,
         lambda n, ns: {"spec": {**pod_spec(), "schedulerName": UNSCHEDULED}},
         status={"message": "set through /status"},
         spec={"activeDeadlineSeconds": 600}),
    Kind("services", k8s.CoreV1Api, "service", "V1Service", True,
         lambda n, ns: {"spec": {"selector": {"app": n},
                                 "ports": [{"port": 80, "targetPort": 8080}]}},
         status={"conditions": [{"type": "Ready", "status": "True", "reason": "Tested",
                                 "message": "", "lastTransitionTime": "2025-01-01T00:00:00Z"}]},
         spec={"publishNotReadyAddresses": True}),
    Kind("endpoints", k8s.CoreV1Api, "endpoints", "V1Endpoints", True,
         lambda n, ns: {"subsets": [{"addresses": [{"ip": "10.1.0.1"}],
                                     "ports": [{"port": 80, "protocol": "TCP"}]}]}),
    Kind("configmaps", k8s.CoreV1Api, "config_map", "V1ConfigMap", True,
         lambda n, ns: {"data": {"key": "value"}}),
    Kind("secrets", k8s.CoreV1Api, "secret", "V1Secret", True,
         lambda n, ns: {"type": "Opaque", "data": {"key": "dmFsdWU="}}),
    Kind("serviceaccounts", k8s.CoreV1Api, "service_account", "V1ServiceAccount", True,
         lambda n, ns: {}),
    Kind("events", k8s.CoreV1Api, "event", "CoreV1Event", True,
         lambda n, ns: {"involvedObject": {"kind": "Pod", "name": "p", "namespace": ns,
                                           "apiVersion": "v1"},
                        "reason": "Tested", "message": "an event", "type": "Normal",
                        "source": {"component": "chaoszone-tests"},
                        "firstTimestamp": "2025-01-01T00:00:00Z",
                        "lastTimestamp": "2025-01-01T00:00:00Z", "count": 1}),
    Kind("persistentvolumes", k8s.CoreV1Api, "persistent_volume", "V1PersistentVolume", False,
         lambda n, ns: {"spec": {"capacity": {"storage": "1Gi"},
                                 "accessModes": ["ReadWriteOnce"],
                                 "hostPath": {"path": f"/tmp/{n}"}}},
         status={"message": "set through /status"},
         spec={"persistentVolumeReclaimPolicy": "Delete"}),
    Kind("persistentvolumeclaims", k8s.CoreV1Api, "persistent_volume_claim",
         "V1PersistentVolumeClaim", True,
         lambda n, ns: {"spec": {"accessModes": ["ReadWriteOnce"],
                                 "resources": {"requests": {"storage": "1Gi"}}}},
         status={"phase": "Pending", "conditions": [
             {"type": "Resizing", "status": "False"}]}),
    Kind("deployments.apps", k8s.AppsV1Api, "deployment", "V1Deployment", True, _workload,
         status={"observedGeneration": 1, "replicas": 0}, spec={"minReadySeconds": 5},
         generation=True, scale=True),
    Kind("replicasets.apps", k8s.AppsV1Api, "replica_set", "V1ReplicaSet", True, _workload,
         status={"observedGeneration": 1, "replicas": 0}, spec={"minReadySeconds": 5},
         generation=True, scale=True),
    Kind("statefulsets.apps", k8s.AppsV1Api, "stateful_set", "V1StatefulSet", True,
         lambda n, ns: {"spec": {**_workload(n, ns)["spec"], "serviceName": n}},
         status={"observedGeneration": 1, "replicas": 0}, spec={"minReadySeconds": 5},
         generation=True, scale=True),
    Kind("daemonsets.apps", k8s.AppsV1Api, "daemon_set", "V1DaemonSet", True,
         lambda n, ns: {"spec": {"selector": _selector(n), "template": _template(n)}},
         status={"observedGeneration": 1, "currentNumberScheduled": 0,
                 "desiredNumberScheduled": 0, "numberMisscheduled": 0, "numberReady": 0},
         spec={"minReadySeconds": 5}, generation=True),
    Kind("controllerrevisions.apps", k8s.AppsV1Api, "controller_revision",
         "V1ControllerRevision", True,
         lambda n, ns: {"data": {"spec": {"template": {"metadata": {"labels": {"app": n}}}}},
                        "revision": 1}),
    Kind("jobs.batch", k8s.BatchV1Api, "job", "V1Job", True,
         lambda n, ns: {"spec": {"template": _template(n, "Never")}},
         status={"active": 1}, spec={"activeDeadlineSeconds": 600}, generation=True),
    Kind("poddisruptionbudgets.policy", k8s.PolicyV1Api, "pod_disruption_budget",
         "V1PodDisruptionBudget", True,
         lambda n, ns: {"spec": {"minAvailable": 1, "selector": _selector(n)}},
         status={"observedGeneration": 1, "currentHealthy": 0, "desiredHealthy": 1,
                 "disruptionsAllowed": 0, "expectedPods": 0},
         spec={"minAvailable": 2}, generation=True),
    Kind("storageclasses.storage.k8s.io", k8s.StorageV1Api, "storage_class", "V1StorageClass",
         False, lambda n, ns: {"provisioner": "example.com/tests"}),
    Kind("leases.coordination.k8s.io", k8s.CoordinationV1Api, "lease", "V1Lease", True,
         lambda n, ns: {"spec": {"holderIdentity": "tests", "leaseDurationSeconds": 15}}),
    Kind("endpointslices.discovery.k8s.io", k8s.DiscoveryV1Api, "endpoint_slice",
         "V1EndpointSlice", True,
         lambda n, ns: {"addressType": "IPv4", "endpoints": [{"addresses": ["10.1.0.1"]}],
                        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}),
    Kind("roles.rbac.authorization.k8s.io", k8s.RbacAuthorizationV1Api, "role", "V1Role", True,
         lambda n, ns: {"rules": [{"apiGroups": [""], "resources": ["pods"],
                                   "verbs": ["get", "list"]}]}),
    Kind("clusterroles.rbac.authorization.k8s.io", k8s.RbacAuthorizationV1Api, "cluster_role",
         "V1ClusterRole", False,
         lambda n, ns: {"rules": [{"apiGroups": [""], "resources": ["nodes"],
                                   "verbs": ["get"]}]}),
    Kind("rolebindings.rbac.authorization.k8s.io", k8s.RbacAuthorizationV1Api, "role_binding",
         "V1RoleBinding", True,
         lambda n, ns: {"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                    "name": "reader"},
                        "subjects": [{"kind": "ServiceAccount", "name": "default",
                                      "namespace": ns}]}),
    Kind("clusterrolebindings.rbac.authorization.k8s.io", k8s.RbacAuthorizationV1Api,
         "cluster_role_binding", "V1ClusterRoleBinding", False,
         lambda n, ns: {"roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                    "kind": "ClusterRole", "name": "reader"},
                        "subjects": [{"kind": "User", "name": "alice",
                                      "apiGroup": "rbac.authorization.k8s.io"}]}),
    Kind("events.events.k8s.io", k8s.EventsV1Api, "event", "EventsV1Event", True,
         lambda n, ns: {"eventTime": "2025-01-01T00:00:00.000000Z",
                        "reportingController": "example.com/tests",
                        "reportingInstance": "tests-1", "action": "Testing",
                        "reason": "Tested", "type": "Normal", "note": "an event",
                        "regarding": {"kind": "Pod", "name": "p", "namespace": ns,
                                      "apiVersion": "v1"}}),
)

BY_ID = {k.id: k for k in KINDS}
NAMESPACED = tuple(k for k in KINDS if k.namespaced)
WITH_STATUS = tuple(k for k in KINDS if k.status is not None)
WITH_SPEC_AND_STATUS = tuple(k for k in WITH_STATUS if k.spec is not None)
WITH_GENERATION = tuple(k for k in KINDS if k.generation)
WITH_SCALE = tuple(k for k in KINDS if k.scale)
#: every kind but namespaces has a delete_collection call in the client
WITH_DELETE_COLLECTION = tuple(k for k in KINDS if k.id != "namespaces")


def unique(prefix: str = "obj") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Ops:
    """The typed calls for one kind, bound to a client and (for namespaced kinds) a
    namespace. Objects of cluster-scoped kinds made here are deleted by :meth:`cleanup`."""

    kind: Kind
    client: k8s.ApiClient
    namespace: str
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    made: list[str] = field(default_factory=list)

    @property
    def api(self) -> Any:
        return self.kind.api(self.client)

    @property
    def selector(self) -> str:
        """A label selector for every object this Ops made."""
        return f"{RUN_LABEL}={self.run}"

    def _method(self, verb: str, suffix: str = "") -> Callable[..., Any]:
        scope = "namespaced_" if self.kind.namespaced else ""
        return getattr(self.api, f"{verb}_{scope}{self.kind.snake}{suffix}")  # type: ignore[no-any-return]

    def _scoped(self, kw: dict[str, Any]) -> dict[str, Any]:
        if self.kind.namespaced:
            kw.setdefault("namespace", self.namespace)
        return kw

    def manifest(self, name: str | None = None, *, labels: dict[str, str] | None = None,
                 generate_name: str | None = None) -> Manifest:
        """A valid manifest of this kind with apiVersion, kind and the run label."""
        rt_name = name or unique(self.kind.snake.replace("_", ""))
        body = self.kind.build(rt_name, self.namespace)
        model = self.kind.model_class()
        api_version, kind = _type_meta(model)
        meta: Manifest = {"labels": {RUN_LABEL: self.run, **(labels or {})}}
        if generate_name is not None:
            meta["generateName"] = generate_name
        else:
            meta["name"] = rt_name
        return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}

    # -- verbs -----------------------------------------------------------------

    def create(self, body: Manifest | None = None, **kw: Any) -> Any:
        body = body if body is not None else self.manifest()
        result = self._method("create")(body=self.kind.model_class().from_dict(body),
                                        **self._scoped(kw))
        if not self.kind.namespaced and not kw.get("dry_run"):
            name = result.metadata.name if not isinstance(result, dict) else None
            if name:
                self.made.append(name)
        return result

    def read(self, name: str, **kw: Any) -> Any:
        return self._method("read")(name=name, **self._scoped(kw))

    def list(self, **kw: Any) -> Any:
        if not self.kind.namespaced:
            return getattr(self.api, f"list_{self.kind.snake}")(**kw)
        return self._method("list")(**self._scoped(kw))

    def list_function(self) -> tuple[Callable[..., Any], dict[str, Any]]:
        """The list call and its scope arguments, for ``watch.Watch().stream``."""
        if not self.kind.namespaced:
            return getattr(self.api, f"list_{self.kind.snake}"), {}
        return self._method("list"), {"namespace": self.namespace}

    def list_all_namespaces(self, **kw: Any) -> Any:
        assert self.kind.namespaced
        return getattr(self.api, f"list_{self.kind.snake}_for_all_namespaces")(**kw)

    def patch(self, name: str, body: Any, **kw: Any) -> Any:
        return self._method("patch")(name=name, body=body, **self._scoped(kw))

    def replace(self, name: str, body: Any, **kw: Any) -> Any:
        if isinstance(body, dict):
            body = self.kind.model_class().from_dict(body)
        return self._method("replace")(name=name, body=body, **self._scoped(kw))

    def delete(self, name: str, **kw: Any) -> Any:
        return self._method("delete")(name=name, **self._scoped(kw))

    def delete_collection(self, **kw: Any) -> Any:
        return self._method("delete_collection")(**self._scoped(kw))

    def read_status(self, name: str, **kw: Any) -> Any:
        return self._method("read", "_status")(name=name, **self._scoped(kw))

    def replace_status(self, name: str, body: Any, **kw: Any) -> Any:
        if isinstance(body, dict):
            body = self.kind.model_class().from_dict(body)
        return self._method("replace", "_status")(name=name, body=body, **self._scoped(kw))

    def patch_status(self, name: str, body: Any, **kw: Any) -> Any:
        return self._method("patch", "_status")(name=name, body=body, **self._scoped(kw))

    def read_scale(self, name: str, **kw: Any) -> Any:
        return self._method("read", "_scale")(name=name, **self._scoped(kw))

    def replace_scale(self, name: str, body: Any, **kw: Any) -> Any:
        return self._method("replace", "_scale")(name=name, body=body, **self._scoped(kw))

    def patch_scale(self, name: str, body: Any, **kw: Any) -> Any:
        return self._method("patch", "_scale")(name=name, body=body, **self._scoped(kw))

    # -- raw JSON --------------------------------------------------------------

    def raw(self, call: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """The JSON body of a typed call, read without the client's deserialisation."""
        response = call(*args, _preload_content=False, **kw)
        try:
            return json.loads(response.data)
        finally:
            response.release_conn()

    def events(self, *, timeout: int = 5, **kw: Any) -> Iterator[dict[str, Any]]:
        """Watch this kind (the test's run label only, unless given another selector)."""
        func, scope = self.list_function()
        kw.setdefault("label_selector", self.selector)
        return watch.Watch().stream(func, timeout_seconds=timeout, **scope, **kw)  # type: ignore[no-any-return]

    def cleanup(self) -> None:
        for name in self.made:
            with contextlib.suppress(ApiException):
                self.delete(name, grace_period_seconds=0)


def _type_meta(model: Any) -> tuple[str, str]:
    """apiVersion and kind of a client model class."""
    name = model.__name__
    groups = {"CoreV1": ("v1", ""), "EventsV1": ("events.k8s.io/v1", "")}
    for prefix, (api_version, _) in groups.items():
        if name.startswith(prefix):
            return api_version, name[len(prefix):]
    kind = name[2:]  # V1Pod -> Pod
    for k in KINDS:
        if k.model == name:
            group = _GROUPS[k.api]
            return (f"{group}/v1" if group else "v1"), kind
    raise AssertionError(f"no kind for model {name}")


_GROUPS: dict[type[Any], str] = {
    k8s.CoreV1Api: "", k8s.AppsV1Api: "apps", k8s.BatchV1Api: "batch",
    k8s.PolicyV1Api: "policy", k8s.StorageV1Api: "storage.k8s.io",
    k8s.CoordinationV1Api: "coordination.k8s.io", k8s.DiscoveryV1Api: "discovery.k8s.io",
    k8s.RbacAuthorizationV1Api: "rbac.authorization.k8s.io", k8s.EventsV1Api: "events.k8s.io",
}


def deserializes(client: k8s.ApiClient, doc: Any, model: str) -> Any:
    """Check that ``doc`` (raw JSON) passes the client's strict models both ways the
    client reads JSON: ``ApiClient.deserialize`` and the model's ``from_dict``."""
    via_client = client.deserialize(json.dumps(doc), model, "application/json")
    via_model = getattr(k8s, model).from_dict(doc)
    assert via_client == via_model
    return via_model


def bound(kind: Kind, client: k8s.ApiClient, namespace: str) -> Iterator[Ops]:
    """The body of each test module's ``ops`` fixture: an Ops, cleaned up afterwards."""
    ops = Ops(kind, client, namespace)
    try:
        yield ops
    finally:
        ops.cleanup()


def wait_gone(ops: Ops, name: str, timeout: int = 10) -> None:
    """Return once ``name`` no longer exists (watching for its DELETED event)."""
    selector = f"metadata.name={name}"
    listed = ops.list(field_selector=selector)
    if not listed.items:
        return
    for event in ops.events(timeout=timeout, field_selector=selector, label_selector=None,
                            resource_version=listed.metadata.resource_version):
        if event["type"] == "DELETED":
            return
    raise AssertionError(f"{ops.kind} {name} still exists after {timeout}s")


def settle(sim: Simulator) -> None:
    """Let every controller finish what the test's writes set off."""
    sim.call(lambda cluster: cluster.settle())
