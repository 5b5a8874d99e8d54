"""The kinds the simulator serves: one table, from which routing, discovery and
OpenAPI are all derived so that they cannot drift apart.

Names, short names, categories, verbs and subresources are kube-apiserver 1.32's
(``kubectl api-resources`` on a 1.32 cluster; ``pkg/registry/*/rest/storage_*.go``).
The extra field-selector fields per kind are upstream's field label conversions
(``pkg/apis/*/v1/conversion.go`` and ``pkg/registry/*/strategy.go`` ``GetAttrs``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "RESOURCES",
    "ResourceType",
    "by_kind",
    "by_path",
    "group_versions",
]

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Subresource:
    """A subresource such as ``status`` or ``pods/eviction``."""

    name: str
    kind: str
    verbs: tuple[str, ...]
    group: str = ""  # set when the subresource's kind is in another group (Eviction, Scale)
    version: str = ""


@dataclass(frozen=True)
class ResourceType:
    """One served resource: ``pods``, ``deployments.apps`` and so on."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[Subresource, ...] = ()
    field_selectors: tuple[str, ...] = ()
    #: whether spec and status are written separately (the status subresource exists)
    has_status: bool = False

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def qualified(self) -> str:
        """``pods`` or ``deployments.apps``: how upstream names it in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.plural)

    @property
    def selectable_fields(self) -> tuple[str, ...]:
        # Upstream's generic field set has metadata.namespace even for cluster-scoped kinds
        # (always ""); only Node and Namespace define their own set without it.
        if self.namespaced or (self.group, self.kind) not in (("", "Node"), ("", "Namespace")):
            return ("metadata.name", "metadata.namespace", *self.field_selectors)
        return ("metadata.name", *self.field_selectors)

    def subresource(self, name: str) -> Subresource | None:
        for sub in self.subresources:
            if sub.name == name:
                return sub
        return None

    def url(self, namespace: str | None = None, name: str | None = None) -> str:
        prefix = "/api/v1" if not self.group else f"/apis/{self.group}/{self.version}"
        ns = f"/namespaces/{namespace}" if self.namespaced and namespace else ""
        tail = f"/{name}" if name else ""
        return f"{prefix}{ns}/{self.plural}{tail}"


def _status(kind: str) -> Subresource:
    return Subresource("status", kind, ("get", "patch", "update"))


_SCALE = Subresource("scale", "Scale", ("get", "patch", "update"), "autoscaling", "v1")

_EVENT_FIELDS = (
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
)

RESOURCES: tuple[ResourceType, ...] = (
    # core/v1
    ResourceType("", "v1", "Namespace", "namespaces", False, ("ns",),
                 subresources=(_status("Namespace"),
                               Subresource("finalize", "Namespace", ("update",))),
                 field_selectors=("status.phase",), has_status=True),
    ResourceType("", "v1", "Node", "nodes", False, ("no",),
                 subresources=(_status("Node"),), field_selectors=("spec.unschedulable",),
                 has_status=True),
    ResourceType("", "v1", "Pod", "pods", True, ("po",), ("all",),
                 subresources=(
                     _status("Pod"),
                     Subresource("binding", "Binding", ("create",)),
                     Subresource("eviction", "Eviction", ("create",), "policy", "v1"),
                     Subresource("log", "Pod", ("get",)),
                 ),
                 field_selectors=("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                                  "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                                  "status.podIP", "status.podIPs", "status.nominatedNodeName"),
                 has_status=True),
    ResourceType("", "v1", "Service", "services", True, ("svc",), ("all",),
                 subresources=(_status("Service"),),
                 field_selectors=("spec.clusterIP", "spec.type"), has_status=True),
    ResourceType("", "v1", "Endpoints", "endpoints", True, ("ep",)),
    ResourceType("", "v1", "ConfigMap", "configmaps", True, ("cm",)),
    ResourceType("", "v1", "Secret", "secrets", True, field_selectors=("type",)),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",)),
    ResourceType("", "v1", "Event", "events", True, ("ev",), field_selectors=_EVENT_FIELDS),
    ResourceType("", "v1", "PersistentVolume", "persistentvolumes", False, ("pv",),
                 subresources=(_status("PersistentVolume"),), has_status=True),
    ResourceType("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",),
                 subresources=(_status("PersistentVolumeClaim"),), has_status=True),
    # apps/v1
    ResourceType("apps", "v1", "Deployment", "deployments", True, ("deploy",), ("all",),
                 subresources=(_status("Deployment"), _SCALE), has_status=True),
    ResourceType("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), ("all",),
                 subresources=(_status("ReplicaSet"), _SCALE), has_status=True),
    ResourceType("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), ("all",),
                 subresources=(_status("StatefulSet"), _SCALE), has_status=True),
    ResourceType("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), ("all",),
                 subresources=(_status("DaemonSet"),), has_status=True),
    ResourceType("apps", "v1", "ControllerRevision", "controllerrevisions", True),
    # batch/v1
    ResourceType("batch", "v1", "Job", "jobs", True, (), ("all",),
                 subresources=(_status("Job"),), field_selectors=("status.successful",),
                 has_status=True),
    # policy/v1
    ResourceType("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",),
                 subresources=(_status("PodDisruptionBudget"),), has_status=True),
    # storage.k8s.io/v1
    ResourceType("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",)),
    # coordination.k8s.io/v1
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases", True),
    # discovery.k8s.io/v1
    ResourceType("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True),
    # rbac.authorization.k8s.io/v1
    ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings",
                 False),
    # events.k8s.io/v1
    ResourceType("events.k8s.io", "v1", "Event", "events", True, ("ev",),
                 field_selectors=(
                     "regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
                     "regarding.apiVersion", "regarding.resourceVersion", "regarding.fieldPath",
                     "reason", "reportingController", "source", "type",
                 )),
)

_BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
_BY_KIND = {(r.group, r.version, r.kind): r for r in RESOURCES}


def by_path(group: str, version: str, plural: str) -> ResourceType | None:
    """The resource served at ``/apis/{group}/{version}/{plural}`` (group "" is core)."""
    return _BY_PATH.get((group, version, plural))


def by_kind(group: str, version: str, kind: str) -> ResourceType | None:
    return _BY_KIND.get((group, version, kind))


def group_versions() -> list[tuple[str, str]]:
    """Every (group, version) served, in discovery order, core first."""
    seen: list[tuple[str, str]] = []
    for r in RESOURCES:
        if (r.group, r.version) not in seen:
            seen.append((r.group, r.version))
    return seen
