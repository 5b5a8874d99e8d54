"""Create and update validation for every served kind, as the kind's REST strategy runs it.

Owns :func:`validate_create` and :func:`validate_update`: they take the defaulted object
(and on update the stored one) and return upstream's field causes, in upstream's order
(metadata first, then the kind's spec rules). An empty list means valid. They never
mutate their arguments.

The name rule per kind is in :mod:`.names`; the rules themselves in :mod:`.meta`,
:mod:`.podspec`, :mod:`.placement`, :mod:`.tolerations`, :mod:`.workloads`,
:mod:`.networking`, :mod:`.storage` and :mod:`.cluster`.

Upstream (release-1.32): the ``Validate`` and ``ValidateUpdate`` methods of
pkg/registry/*/*/strategy.go and the validation packages they call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chaoszone.sim.admission import causes as c
from chaoszone.sim.admission import cluster, networking, storage, workloads
from chaoszone.sim.admission.meta import validate_object_meta, validate_object_meta_update
from chaoszone.sim.admission.names import name_rule
from chaoszone.sim.admission.podspec import validate_pod_create, validate_pod_update
from chaoszone.sim.errors import Cause
from chaoszone.sim.resources import ResourceType

__all__ = ["validate_create", "validate_update"]

Create = Callable[[Mapping[str, Any]], list[Cause]]
Update = Callable[[Mapping[str, Any], Mapping[str, Any]], list[Cause]]

_RBAC = "rbac.authorization.k8s.io"


def _none(_obj: Mapping[str, Any]) -> list[Cause]:
    return []


_CREATE: dict[tuple[str, str], Create] = {
    ("", "Namespace"): cluster.validate_namespace,
    ("", "Node"): cluster.validate_node,
    ("", "Pod"): validate_pod_create,
    ("", "Service"): networking.validate_service,
    ("", "Endpoints"): networking.validate_endpoints,
    ("", "ConfigMap"): cluster.validate_config_map,
    ("", "Secret"): cluster.validate_secret,
    ("", "ServiceAccount"): _none,
    ("", "Event"): lambda o: cluster.validate_event(o, events_api=False),
    ("", "PersistentVolume"): storage.validate_persistent_volume,
    ("", "PersistentVolumeClaim"): storage.validate_pvc,
    ("apps", "Deployment"): workloads.validate_deployment,
    ("apps", "ReplicaSet"): workloads.validate_replica_set,
    ("apps", "StatefulSet"): workloads.validate_stateful_set,
    ("apps", "DaemonSet"): workloads.validate_daemon_set,
    ("apps", "ControllerRevision"): workloads.validate_controller_revision,
    ("batch", "Job"): workloads.validate_job,
    ("policy", "PodDisruptionBudget"): workloads.validate_pdb,
    ("storage.k8s.io", "StorageClass"): storage.validate_storage_class,
    ("coordination.k8s.io", "Lease"): cluster.validate_lease,
    ("discovery.k8s.io", "EndpointSlice"): networking.validate_endpoint_slice,
    (_RBAC, "Role"): lambda o: cluster.validate_role(o, namespaced=True),
    (_RBAC, "ClusterRole"): lambda o: cluster.validate_role(o, namespaced=False),
    (_RBAC, "RoleBinding"): lambda o: cluster.validate_binding(o, namespaced=True),
    (_RBAC, "ClusterRoleBinding"): lambda o: cluster.validate_binding(o, namespaced=False),
    ("events.k8s.io", "Event"): lambda o: cluster.validate_event(o, events_api=True),
}


def _apps_update(validate: Create) -> Update:
    def update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
        return validate(new) + workloads.validate_selector_immutable(new, old)
    return update


def _stateful_set_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    return workloads.validate_stateful_set(new) + workloads.validate_stateful_set_update(new, old)


def _controller_revision_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    out = workloads.validate_controller_revision(new)
    if new.get("data") != old.get("data"):
        out.append(c.invalid("data", c.GoRepr("runtime.RawExtension{...}"), "field is immutable"))
    return out


def _pdb_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    return workloads.validate_pdb(new)


def _pod_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    return validate_pod_update(new, old)


def _unchanged_spec(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    return []


def _plain(validate: Create) -> Update:
    def update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
        return validate(new)
    return update


_UPDATE: dict[tuple[str, str], Update] = {
    ("", "Node"): cluster.validate_node_update,
    ("", "Pod"): _pod_update,
    ("", "Service"): networking.validate_service_update,
    ("", "ConfigMap"): cluster.validate_config_map_update,
    ("", "Secret"): cluster.validate_secret_update,
    ("", "PersistentVolume"): storage.validate_persistent_volume_update,
    ("", "PersistentVolumeClaim"): storage.validate_pvc_update,
    ("", "Namespace"): lambda new, old: [],
    ("apps", "Deployment"): _apps_update(workloads.validate_deployment),
    ("apps", "ReplicaSet"): _apps_update(workloads.validate_replica_set),
    ("apps", "DaemonSet"): _apps_update(workloads.validate_daemon_set),
    ("apps", "StatefulSet"): _stateful_set_update,
    ("apps", "ControllerRevision"): _controller_revision_update,
    ("batch", "Job"): workloads.validate_job_update,
    ("policy", "PodDisruptionBudget"): _pdb_update,
    ("storage.k8s.io", "StorageClass"): storage.validate_storage_class_update,
    ("discovery.k8s.io", "EndpointSlice"): networking.validate_endpoint_slice_update,
    (_RBAC, "RoleBinding"): lambda n, o: cluster.validate_binding_update(n, o, namespaced=True),
    (_RBAC, "ClusterRoleBinding"): lambda n, o: cluster.validate_binding_update(
        n, o, namespaced=False),
}


def validate_create(resource: ResourceType, obj: Mapping[str, Any]) -> list[Cause]:
    """Causes that make kube-apiserver 1.32 refuse to create ``obj`` (422), or ``[]``.
    A field of the wrong JSON type raises a 400 :class:`~chaoszone.sim.errors.ApiError`."""
    key = (resource.group, resource.kind)
    try:
        # core Events skip ValidateObjectMeta; the generic path-segment check still runs,
        # which is what their name rule says
        out = validate_object_meta(obj.get("metadata"), namespaced=resource.namespaced,
                                   name_fn=name_rule(resource))
        out += _CREATE.get(key, _none)(obj)
    except c.TYPE_ERRORS as exc:
        raise c.wrong_type(resource.kind, resource.version, exc) from exc
    return out


def validate_update(resource: ResourceType, new: Mapping[str, Any],
                    old: Mapping[str, Any], *, subresource: str | None = None) -> list[Cause]:
    """Causes that make kube-apiserver 1.32 refuse to replace ``old`` by ``new`` (422)."""
    key = (resource.group, resource.kind)
    updater = _UPDATE.get(key)
    if subresource == "status" and key == ("", "Pod"):
        # podStatusStrategy validates with ValidatePodStatusUpdate: metadata and status.
        # The spec is the stored pod's, which a status write never changes.
        updater = _unchanged_spec
    if updater is None:
        updater = _plain(_CREATE.get(key, _none))
    try:
        out = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
        out += updater(new, old)
    except c.TYPE_ERRORS as exc:
        raise c.wrong_type(resource.kind, resource.version, exc) from exc
    return out
