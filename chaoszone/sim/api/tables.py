"""Server-side printing: the ``meta.k8s.io/v1`` Table that ``kubectl get`` renders.

This module owns the columns and cell values of every kind the simulator serves, for
lists, single gets and watch events, with the priority-1 columns that ``-o wide`` shows.
kubectl 1.32 has no client-side printers left: what it prints is exactly these cells.

The logic is kube-apiserver 1.32's, re-expressed in Python from upstream (release-1.32):

* ``pkg/printers/internalversion/printers.go``: ``AddHandlers`` (column definitions) and
  the ``print*`` functions (cells). The server always generates the wide form
  (``pkg/printers/storage/storage.go`` passes ``Wide: true``); kubectl hides priority-1
  columns unless ``-o wide``.
* ``pkg/printers/tablegenerator.go``: the Table's ``metadata`` comes from the list (or,
  for one object, from the object itself).
* ``staging/src/k8s.io/apiserver/pkg/registry/rest/table.go``: the default ``Name`` /
  ``Created At`` table for kinds without a printer (Role and ClusterRole among ours).
* ``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/response.go`` (``asTable``):
  ``includeObject`` (``Metadata`` by default gives ``PartialObjectMetadata``, ``Object``
  the full object, ``None`` nothing) and ``.../handlers/watch.go``: on a watch, only the
  first event's Table carries ``columnDefinitions``, later ones send ``null``.
* ``staging/src/k8s.io/apimachinery/pkg/util/duration/duration.go``: ``HumanDuration``
  (AGE and every other elapsed time) and ``ShortHumanDuration``.
* Helpers the printers call: ``pkg/apis/core/helper`` (access modes, storage class),
  ``pkg/apis/storage/util`` (default class), ``pkg/apis/rbac`` (``SubjectsStrings``),
  ``metav1.FormatLabelSelector``/``labels.Set.String`` and ``pkg/apis/events/v1``
  conversion (an ``events.k8s.io`` Event is printed as the core Event it converts to).

Objects are the JSON dicts the store holds, already defaulted. Where upstream reads a
defaulted field of its internal type (a Service's ``type``, a port's ``protocol``, a
workload's ``replicas``), a missing field reads as the default the API server would have
applied. Column descriptions are the 1.32 OpenAPI texts of the fields upstream names;
where upstream names a field of a removed group version (``extensions/v1beta1``,
``apps/v1beta1``, ``discovery/v1beta1``, ``rbac/v1beta1``) the served version's text
stands in. No client reads descriptions.

Speed: ``kubectl get pods -A`` over 10,000 pods must stay well inside its budget, so
column definitions are built once, printers are found through one dict, nothing is
deep-copied (rows share the stored objects' dicts: serialise, never mutate, a Table),
and timestamp strings are parsed through a cache.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from chaoszone.sim import errors
from chaoszone.sim.resources import ResourceType

__all__ = [
    "INCLUDE_OBJECT_VALUES",
    "column_definitions",
    "human_duration",
    "row_cells",
    "scale_table",
    "short_human_duration",
    "table",
    "watch_event_table",
]

#: The values ``?includeObject=`` accepts (``""`` means ``Metadata``).
INCLUDE_OBJECT_VALUES: Final = ("None", "Metadata", "Object")

_Obj = Mapping[str, Any]
_Cells = Callable[[_Obj, datetime], list[Any]]
_EMPTY: Final[Mapping[str, Any]] = {}
_NONE: Final = "<none>"
_UNKNOWN: Final = "<unknown>"
_ONE_US: Final = timedelta(microseconds=1)


# --- durations (k8s.io/apimachinery/pkg/util/duration) --------------------------------


def _trunc_seconds(us: int) -> int:
    """Go's ``int(d.Seconds())``: whole seconds, truncated toward zero."""
    return us // 1_000_000 if us >= 0 else -(-us // 1_000_000)


def _human_us(us: int) -> str:
    """``duration.HumanDuration`` of ``us`` microseconds: about 2-3 significant figures."""
    seconds = _trunc_seconds(us)
    # Up to 2 s in the future still reads as now, to tolerate clock skew.
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if dy == 0 else f"{years}y{dy}d"
    return f"{hours // 24 // 365}y"


def _short_human_us(us: int) -> str:
    """``duration.ShortHumanDuration``: one unit only."""
    seconds = _trunc_seconds(us)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60:
        return f"{seconds}s"
    if seconds // 60 < 60:
        return f"{seconds // 60}m"
    hours = seconds // 3600
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * 365:
        return f"{hours // 24}d"
    return f"{hours // 24 // 365}y"


def human_duration(d: timedelta) -> str:
    """Upstream ``duration.HumanDuration``: ``45s``, ``5m``, ``7m30s``, ``2d3h``, ``<invalid>``."""
    return _human_us(d // _ONE_US)


def short_human_duration(d: timedelta) -> str:
    """Upstream ``duration.ShortHumanDuration``: ``45s``, ``5m``, ``3h``, ``2d``, ``1y``."""
    return _short_human_us(d // _ONE_US)


_GO_ZERO_TIME: Final = datetime(1, 1, 1, tzinfo=UTC)


@functools.lru_cache(maxsize=16384)
def _parse_time(value: str) -> datetime | None:
    """An RFC 3339 ``metav1.Time``/``MicroTime``; None for Go's zero time or garbage."""
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    if t.year == 1 and t == _GO_ZERO_TIME:
        return None
    return t


def _time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    return _parse_time(value)


def _since(now: datetime, value: Any) -> str:
    """``translateTimestampSince`` (and ``translateMicroTimestampSince``)."""
    t = _time(value)
    if t is None:
        return _UNKNOWN
    return _human_us((now - t) // _ONE_US)


def _created_at(meta: _Obj) -> str:
    """``creationTimestamp`` as the default table prints it: RFC 3339 in UTC."""
    t = _time(meta.get("creationTimestamp"))
    if t is None:
        return "0001-01-01T00:00:00Z"
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- column definitions (AddHandlers) ------------------------------------------------

#: 1.32 OpenAPI descriptions of the fields upstream's columns describe themselves with
_DOC: dict[str, str] = {
    "ObjectMeta.name": (
        "Name must be unique within a namespace. Is required when creating resources, "
        "although some resources may allow a client to request the generation of an "
        "appropriate name automatically. Name is primarily intended for creation idempotence "
        "and configuration definition. Cannot be updated. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
    ),
    "ObjectMeta.creationTimestamp": (
        "CreationTimestamp is a timestamp representing the server time when this object was "
        "created. It is not guaranteed to be set in happens-before order across separate "
        "operations. Clients may not set this value. It is represented in RFC3339 form and "
        "is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
        "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#"
        "metadata"
    ),
    "PodStatus.podIP": (
        "podIP address allocated to the pod. Routable at least within the cluster. Empty if "
        "not yet allocated."
    ),
    "PodSpec.nodeName": (
        "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
        "candidate for scheduling by the scheduler defined in schedulerName. Once this field "
        "is set, the kubelet for this node becomes responsible for the lifecycle of this "
        "pod. This field should not be used to express a desire for the pod to be scheduled "
        "on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-p"
        "od-node/#nodename"
    ),
    "PodStatus.nominatedNodeName": (
        "nominatedNodeName is set only when this pod preempts other pods on the node, but it "
        "cannot be scheduled right away as preemption victims receive their graceful "
        "termination periods. This field does not guarantee that the pod will be scheduled "
        "on this node. Scheduler may decide to place the pod elsewhere if other nodes become "
        "available sooner. Scheduler may also decide to give the resources on this node to a "
        "higher priority pod that is created after preemption. As a result, this field may "
        "be different than PodSpec.nodeName when the pod is scheduled."
    ),
    "PodSpec.readinessGates": (
        "If specified, all readiness gates will be evaluated for pod readiness. A pod is "
        "ready when all its containers are ready AND all conditions specified in the "
        "readiness gates have status equal to \"True\" More info: "
        "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"
    ),
    "PodSpec.nodeSelector": (
        "NodeSelector is a selector which must be true for the pod to fit on a node. "
        "Selector which must match a node's labels for the pod to be scheduled on that node. "
        "More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"
    ),
    "JobStatus.succeeded": (
        "The number of pods which reached phase Succeeded. The value increases monotonically "
        "for a given spec. However, it may decrease in reaction to scale down of elastic "
        "indexed jobs."
    ),
    "JobSpec.selector": (
        "A label query over pods that should match the pod count. Normally, the system sets "
        "this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-"
        "with-objects/labels/#label-selectors"
    ),
    "ServiceSpec.type": (
        "type determines how the Service is exposed. Defaults to ClusterIP. Valid options "
        "are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a "
        "cluster-internal IP address for load-balancing to endpoints. Endpoints are "
        "determined by the selector or if that is not specified, by manual construction of "
        "an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual "
        "IP is allocated and the endpoints are published as a set of endpoints rather than a "
        "virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node "
        "which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on "
        "NodePort and creates an external load-balancer (if supported in the current cloud) "
        "which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this "
        "service to the specified externalName. Several other fields do not apply to "
        "ExternalName services. More info: "
        "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services"
        "-service-types"
    ),
    "ServiceSpec.clusterIP": (
        "clusterIP is the IP address of the service and is usually assigned randomly. If an "
        "address is specified manually, is in-range (as per system configuration), and is "
        "not in use, it will be allocated to the service; otherwise creation of the service "
        "will fail. This field may not be changed through updates unless the type field is "
        "also being changed to ExternalName (which requires this field to be blank) or the "
        "type field is being changed from ExternalName (in which case this field may "
        "optionally be specified, as describe above).  Valid values are \"None\", empty "
        "string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless "
        "service\" (no virtual IP), which is useful when direct endpoint connections are "
        "preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, "
        "and LoadBalancer. If this field is specified when creating a Service of type "
        "ExternalName, creation will fail. This field will be wiped when updating a Service "
        "to type ExternalName. More info: "
        "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-ser"
        "vice-proxies"
    ),
    "ServiceSpec.externalIPs": (
        "externalIPs is a list of IP addresses for which nodes in the cluster will also "
        "accept traffic for this service.  These IPs are not managed by Kubernetes.  The "
        "user is responsible for ensuring that traffic arrives at a node with this IP.  A "
        "common example is external load-balancers that are not part of the Kubernetes "
        "system."
    ),
    "ServiceSpec.ports": (
        "The list of ports that are exposed by this service. More info: "
        "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-ser"
        "vice-proxies"
    ),
    "ServiceSpec.selector": (
        "Route service traffic to pods with label keys and values matching this selector. If "
        "empty or not present, the service is assumed to have an external process managing "
        "its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, "
        "NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: "
        "https://kubernetes.io/docs/concepts/services-networking/service/"
    ),
    "Endpoints.subsets": (
        "The set of all endpoints is the union of all subsets. Addresses are placed into "
        "subsets according to the IPs they share. A single address with multiple ports, some "
        "of which are ready and some of which are not (because they come from different "
        "containers) will result in the address being displayed in different subsets for the "
        "different ports. No address will appear in both Addresses and NotReadyAddresses in "
        "the same subset. Sets of addresses and ports that comprise a service."
    ),
    "NodeSystemInfo.kubeletVersion": "Kubelet Version reported by the node.",
    "NodeStatus.addresses": (
        "List of addresses reachable to the node. Queried from cloud provider, if available. "
        "More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: "
        "This field is declared as mergeable, but the merge key is not sufficiently unique, "
        "which can cause data corruption when it is merged. Callers should instead use a "
        "full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers "
        "should assume that addresses can change during the lifetime of a Node. However, "
        "there are some exceptions where this may not be possible, such as Pods that inherit "
        "a Node's address in its own status or consumers of the downward API (status.hostIP)."
    ),
    "NodeSystemInfo.osImage": (
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 "
        "(wheezy))."
    ),
    "NodeSystemInfo.kernelVersion": (
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."
    ),
    "NodeSystemInfo.containerRuntimeVersion": (
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
        "containerd://1.4.2)."
    ),
    "Event.lastTimestamp": (
        "The time at which the most recent occurrence of this event was recorded."
    ),
    "Event.type": (
        "Type of this event (Normal, Warning), new types could be added in the future"
    ),
    "Event.reason": (
        "This should be a short, machine understandable string that gives the reason for the "
        "transition into the object's current status."
    ),
    "Event.involvedObject": "The object that this event is about.",
    "ObjectReference.fieldPath": (
        "If referring to a piece of an object instead of an entire object, this string "
        "should contain a valid JSON/Go field access statement, such as "
        "desiredState.manifest.containers[2]. For example, if the object reference is to a "
        "container within a pod, this would take on a value like: \"spec.containers{name}\" "
        "(where \"name\" refers to the name of the container that triggered the event) or if "
        "no container name is specified \"spec.containers[2]\" (container with index 2 in "
        "this pod). This syntax is chosen only to have some well-defined way of referencing "
        "a part of an object."
    ),
    "Event.source": (
        "The component reporting this event. Should be a short machine understandable string."
    ),
    "Event.message": "A human-readable description of the status of this operation.",
    "Event.firstTimestamp": (
        "The time at which the event was first recorded. (Time of server receipt is in "
        "TypeMeta.)"
    ),
    "Event.count": "The number of times this event has occurred.",
    "Secret.type": (
        "Used to facilitate programmatic handling of secret data. More info: "
        "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"
    ),
    "Secret.data": (
        "Data contains the secret data. Each key must consist of alphanumeric characters, "
        "'-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, "
        "representing the arbitrary (possibly non-string) data value here. Described in "
        "https://tools.ietf.org/html/rfc4648#section-4"
    ),
    "ServiceAccount.secrets": (
        "Secrets is a list of the secrets in the same namespace that pods running using this "
        "ServiceAccount are allowed to use. Pods are only limited to this list if this "
        "service account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to "
        "\"true\". The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated "
        "since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This "
        "field should not be used to find auto-generated service account token secrets for "
        "use outside of pods. Instead, tokens can be requested directly using the "
        "TokenRequest API, or service account token secrets can be manually created. More "
        "info: https://kubernetes.io/docs/concepts/configuration/secret"
    ),
    "PersistentVolumeSpec.capacity": (
        "capacity is the description of the persistent volume's resources and capacity. More "
        "info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity"
    ),
    "PersistentVolumeSpec.accessModes": (
        "accessModes contains all ways the volume can be mounted. More info: "
        "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes"
    ),
    "PersistentVolumeSpec.persistentVolumeReclaimPolicy": (
        "persistentVolumeReclaimPolicy defines what happens to a persistent volume when "
        "released from its claim. Valid options are Retain (default for manually created "
        "PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), "
        "and Recycle (deprecated). Recycle must be supported by the volume plugin underlying "
        "this PersistentVolume. More info: "
        "https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming"
    ),
    "PersistentVolumeStatus.phase": (
        "phase indicates if a volume is available, bound to a claim, or released by a claim. "
        "More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase"
    ),
    "PersistentVolumeSpec.claimRef": (
        "claimRef is part of a bi-directional binding between PersistentVolume and "
        "PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the "
        "authoritative bind between PV and PVC. More info: "
        "https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding"
    ),
    "PersistentVolumeStatus.reason": (
        "reason is a brief CamelCase string that describes any failure and is meant for "
        "machine parsing and tidy display in the CLI."
    ),
    "PersistentVolumeSpec.volumeMode": (
        "volumeMode defines if a volume is intended to be used with a formatted filesystem "
        "or to remain in raw block state. Value of Filesystem is implied when not included "
        "in spec."
    ),
    "PersistentVolumeClaimStatus.phase": (
        "phase represents the current phase of PersistentVolumeClaim."
    ),
    "PersistentVolumeClaimSpec.volumeName": (
        "volumeName is the binding reference to the PersistentVolume backing this claim."
    ),
    "PersistentVolumeClaimStatus.capacity": (
        "capacity represents the actual resources of the underlying volume."
    ),
    "PersistentVolumeClaimStatus.accessModes": (
        "accessModes contains the actual access modes the volume backing the PVC has. More "
        "info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1"
    ),
    "PersistentVolumeClaimSpec.volumeMode": (
        "volumeMode defines what type of volume is required by the claim. Value of "
        "Filesystem is implied when not included in claim spec."
    ),
    "ConfigMap.data": (
        "Data contains the configuration data. Each key must consist of alphanumeric "
        "characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the "
        "BinaryData field. The keys stored in Data must not overlap with the keys in the "
        "BinaryData field, this is enforced during validation process."
    ),
    "LeaseSpec.holderIdentity": (
        "holderIdentity contains the identity of the holder of a current lease. If "
        "Coordinated Leader Election is used, the holder identity must be equal to the "
        "elected LeaseCandidate.metadata.name field."
    ),
    "StorageClass.provisioner": "provisioner indicates the type of the provisioner.",
    "StorageClass.reclaimPolicy": (
        "reclaimPolicy controls the reclaimPolicy for dynamically provisioned "
        "PersistentVolumes of this storage class. Defaults to Delete."
    ),
    "StorageClass.volumeBindingMode": (
        "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and "
        "bound.  When unset, VolumeBindingImmediate is used. This field is only honored by "
        "servers that enable the VolumeScheduling feature."
    ),
    "StorageClass.allowVolumeExpansion": (
        "allowVolumeExpansion shows whether the storage class allow volume expand."
    ),
    "ControllerRevision.revision": (
        "Revision indicates the revision of the state represented by Data."
    ),
    "ReplicaSetSpec.replicas": (
        "Replicas is the number of desired replicas. This is a pointer to distinguish "
        "between explicit zero and unspecified. Defaults to 1. More info: "
        "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#wha"
        "t-is-a-replicationcontroller"
    ),
    "ReplicaSetStatus.replicas": (
        "Replicas is the most recently observed number of replicas. More info: "
        "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#wha"
        "t-is-a-replicationcontroller"
    ),
    "ReplicaSetStatus.readyReplicas": (
        "readyReplicas is the number of pods targeted by this ReplicaSet with a Ready "
        "Condition."
    ),
    "ReplicaSetSpec.selector": (
        "Selector is a label query over pods that should match the replica count. Label keys "
        "and values that must match in order to be controlled by this replica set. It must "
        "match the pod template's labels. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-sele"
        "ctors"
    ),
    "DaemonSetStatus.desiredNumberScheduled": (
        "The total number of nodes that should be running the daemon pod (including nodes "
        "correctly running the daemon pod). More info: "
        "https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"
    ),
    "DaemonSetStatus.currentNumberScheduled": (
        "The number of nodes that are running at least 1 daemon pod and are supposed to run "
        "the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers"
        "/daemonset/"
    ),
    "DaemonSetStatus.numberReady": (
        "numberReady is the number of nodes that should be running the daemon pod and have "
        "one or more of the daemon pod running with a Ready Condition."
    ),
    "DaemonSetStatus.updatedNumberScheduled": (
        "The total number of nodes that are running updated daemon pod"
    ),
    "DaemonSetStatus.numberAvailable": (
        "The number of nodes that should be running the daemon pod and have one or more of "
        "the daemon pod running and available (ready for at least spec.minReadySeconds)"
    ),
    "DaemonSetSpec.selector": (
        "A label query over pods that are managed by the daemon set. Must match in order to "
        "be controlled. It must match the pod template's labels. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-sele"
        "ctors"
    ),
    "DeploymentStatus.updatedReplicas": (
        "Total number of non-terminated pods targeted by this deployment that have the "
        "desired template spec."
    ),
    "DeploymentStatus.availableReplicas": (
        "Total number of available pods (ready for at least minReadySeconds) targeted by "
        "this deployment."
    ),
    "DeploymentSpec.selector": (
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will "
        "be the ones affected by this deployment. It must match the pod template's labels."
    ),
    "EndpointSlice.addressType": (
        "addressType specifies the type of address carried by this EndpointSlice. All "
        "addresses in this slice must be the same type. This field is immutable after "
        "creation. The following address types are currently supported: * IPv4: Represents "
        "an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully "
        "Qualified Domain Name."
    ),
    "EndpointSlice.ports": (
        "ports specifies the list of network ports exposed by each endpoint in this slice. "
        "Each port must have a unique name. When ports is empty, it indicates that there are "
        "no defined ports. When a port is defined with a nil port value, it indicates \"all "
        "ports\". Each slice may include a maximum of 100 ports."
    ),
    "EndpointSlice.endpoints": (
        "endpoints is a list of unique endpoints in this slice. Each slice may include a "
        "maximum of 1000 endpoints."
    ),
    "RoleBinding.roleRef": (
        "RoleRef can reference a Role in the current namespace or a ClusterRole in the "
        "global namespace. If the RoleRef cannot be resolved, the Authorizer must return an "
        "error. This field is immutable."
    ),
    "ClusterRoleBinding.roleRef": (
        "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef "
        "cannot be resolved, the Authorizer must return an error. This field is immutable."
    ),
}


def _col(name: str, type_: str, description: str, priority: int = 0,
         format_: str = "") -> dict[str, Any]:
    return {"name": name, "type": type_, "format": format_, "description": description,
            "priority": priority}


_NAME_COL: Final = _col("Name", "string", _DOC["ObjectMeta.name"], format_="name")
_AGE_COL: Final = _col("Age", "string", _DOC["ObjectMeta.creationTimestamp"])
_CONTAINERS_DESC: Final = "Names of each container in the template."
_IMAGES_DESC: Final = "Images referenced by each container in the template."
_READY_PODS_DESC: Final = "Number of the pod with ready state"

_POD_COLUMNS: Final = [
    _NAME_COL,
    _col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    _col("Status", "string", "The aggregate status of the containers in this pod."),
    _col("Restarts", "string", "The number of times the containers in this pod have been "
         "restarted and when the last container in this pod has restarted."),
    _AGE_COL,
    _col("IP", "string", _DOC["PodStatus.podIP"], 1),
    _col("Node", "string", _DOC["PodSpec.nodeName"], 1),
    _col("Nominated Node", "string", _DOC["PodStatus.nominatedNodeName"], 1),
    _col("Readiness Gates", "string", _DOC["PodSpec.readinessGates"], 1),
]

_PDB_COLUMNS: Final = [
    _NAME_COL,
    _col("Min Available", "string", "The minimum number of pods that must be available."),
    _col("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
    _col("Allowed Disruptions", "integer",
         "Calculated number of pods that may be disrupted at this time."),
    _AGE_COL,
]

_REPLICASET_COLUMNS: Final = [
    _NAME_COL,
    _col("Desired", "integer", _DOC["ReplicaSetSpec.replicas"]),
    _col("Current", "integer", _DOC["ReplicaSetStatus.replicas"]),
    _col("Ready", "integer", _DOC["ReplicaSetStatus.readyReplicas"]),
    _AGE_COL,
    _col("Containers", "string", _CONTAINERS_DESC, 1),
    _col("Images", "string", _IMAGES_DESC, 1),
    _col("Selector", "string", _DOC["ReplicaSetSpec.selector"], 1),
]

_DAEMONSET_COLUMNS: Final = [
    _NAME_COL,
    _col("Desired", "integer", _DOC["DaemonSetStatus.desiredNumberScheduled"]),
    _col("Current", "integer", _DOC["DaemonSetStatus.currentNumberScheduled"]),
    _col("Ready", "integer", _DOC["DaemonSetStatus.numberReady"]),
    _col("Up-to-date", "integer", _DOC["DaemonSetStatus.updatedNumberScheduled"]),
    _col("Available", "integer", _DOC["DaemonSetStatus.numberAvailable"]),
    _col("Node Selector", "string", _DOC["PodSpec.nodeSelector"]),
    _AGE_COL,
    _col("Containers", "string", _CONTAINERS_DESC, 1),
    _col("Images", "string", _IMAGES_DESC, 1),
    _col("Selector", "string", _DOC["DaemonSetSpec.selector"], 1),
]

_JOB_COLUMNS: Final = [
    _NAME_COL,
    _col("Status", "string", "Status of the job."),
    _col("Completions", "string", _DOC["JobStatus.succeeded"]),
    _col("Duration", "string", "Time required to complete the job."),
    _AGE_COL,
    _col("Containers", "string", _CONTAINERS_DESC, 1),
    _col("Images", "string", _IMAGES_DESC, 1),
    _col("Selector", "string", _DOC["JobSpec.selector"], 1),
]

_SERVICE_COLUMNS: Final = [
    _NAME_COL,
    _col("Type", "string", _DOC["ServiceSpec.type"]),
    _col("Cluster-IP", "string", _DOC["ServiceSpec.clusterIP"]),
    _col("External-IP", "string", _DOC["ServiceSpec.externalIPs"]),
    _col("Port(s)", "string", _DOC["ServiceSpec.ports"]),
    _AGE_COL,
    _col("Selector", "string", _DOC["ServiceSpec.selector"], 1),
]

_STATEFULSET_COLUMNS: Final = [
    _NAME_COL,
    _col("Ready", "string", _READY_PODS_DESC),
    _AGE_COL,
    _col("Containers", "string", _CONTAINERS_DESC, 1),
    _col("Images", "string", _IMAGES_DESC, 1),
]

_ENDPOINTS_COLUMNS: Final = [
    _NAME_COL,
    _col("Endpoints", "string", _DOC["Endpoints.subsets"]),
    _AGE_COL,
]

_NODE_COLUMNS: Final = [
    _NAME_COL,
    _col("Status", "string", "The status of the node"),
    _col("Roles", "string", "The roles of the node"),
    _AGE_COL,
    _col("Version", "string", _DOC["NodeSystemInfo.kubeletVersion"]),
    _col("Internal-IP", "string", _DOC["NodeStatus.addresses"], 1),
    _col("External-IP", "string", _DOC["NodeStatus.addresses"], 1),
    _col("OS-Image", "string", _DOC["NodeSystemInfo.osImage"], 1),
    _col("Kernel-Version", "string", _DOC["NodeSystemInfo.kernelVersion"], 1),
    _col("Container-Runtime", "string", _DOC["NodeSystemInfo.containerRuntimeVersion"], 1),
]

_EVENT_COLUMNS: Final = [
    _col("Last Seen", "string", _DOC["Event.lastTimestamp"]),
    _col("Type", "string", _DOC["Event.type"]),
    _col("Reason", "string", _DOC["Event.reason"]),
    _col("Object", "string", _DOC["Event.involvedObject"]),
    _col("Subobject", "string", _DOC["ObjectReference.fieldPath"], 1),
    _col("Source", "string", _DOC["Event.source"], 1),
    _col("Message", "string", _DOC["Event.message"]),
    _col("First Seen", "string", _DOC["Event.firstTimestamp"], 1),
    _col("Count", "string", _DOC["Event.count"], 1),
    _col("Name", "string", _DOC["ObjectMeta.name"], 1, "name"),
]

_NAMESPACE_COLUMNS: Final = [
    _NAME_COL,
    _col("Status", "string", "The status of the namespace"),
    _AGE_COL,
]

_SECRET_COLUMNS: Final = [
    _NAME_COL,
    _col("Type", "string", _DOC["Secret.type"]),
    _col("Data", "string", _DOC["Secret.data"]),
    _AGE_COL,
]

_SERVICEACCOUNT_COLUMNS: Final = [
    _NAME_COL,
    _col("Secrets", "string", _DOC["ServiceAccount.secrets"]),
    _AGE_COL,
]

_PV_COLUMNS: Final = [
    _NAME_COL,
    _col("Capacity", "string", _DOC["PersistentVolumeSpec.capacity"]),
    _col("Access Modes", "string", _DOC["PersistentVolumeSpec.accessModes"]),
    _col("Reclaim Policy", "string", _DOC["PersistentVolumeSpec.persistentVolumeReclaimPolicy"]),
    _col("Status", "string", _DOC["PersistentVolumeStatus.phase"]),
    _col("Claim", "string", _DOC["PersistentVolumeSpec.claimRef"]),
    _col("StorageClass", "string", "StorageClass of the pv"),
    _col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
    _col("Reason", "string", _DOC["PersistentVolumeStatus.reason"]),
    _AGE_COL,
    _col("VolumeMode", "string", _DOC["PersistentVolumeSpec.volumeMode"], 1),
]

_PVC_COLUMNS: Final = [
    _NAME_COL,
    _col("Status", "string", _DOC["PersistentVolumeClaimStatus.phase"]),
    _col("Volume", "string", _DOC["PersistentVolumeClaimSpec.volumeName"]),
    _col("Capacity", "string", _DOC["PersistentVolumeClaimStatus.capacity"]),
    _col("Access Modes", "string", _DOC["PersistentVolumeClaimStatus.accessModes"]),
    _col("StorageClass", "string", "StorageClass of the pvc"),
    _col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
    _AGE_COL,
    _col("VolumeMode", "string", _DOC["PersistentVolumeClaimSpec.volumeMode"], 1),
]

_DEPLOYMENT_COLUMNS: Final = [
    _NAME_COL,
    _col("Ready", "string", _READY_PODS_DESC),
    _col("Up-to-date", "string", _DOC["DeploymentStatus.updatedReplicas"]),
    _col("Available", "string", _DOC["DeploymentStatus.availableReplicas"]),
    _AGE_COL,
    _col("Containers", "string", _CONTAINERS_DESC, 1),
    _col("Images", "string", _IMAGES_DESC, 1),
    _col("Selector", "string", _DOC["DeploymentSpec.selector"], 1),
]

_CONFIGMAP_COLUMNS: Final = [
    _NAME_COL,
    _col("Data", "string", _DOC["ConfigMap.data"]),
    _AGE_COL,
]


def _binding_columns(what: str, role_ref_doc: str) -> list[dict[str, Any]]:
    return [
        _NAME_COL,
        _col("Role", "string", role_ref_doc),
        _AGE_COL,
        _col("Users", "string", f"Users in the {what}", 1),
        _col("Groups", "string", f"Groups in the {what}", 1),
        _col("ServiceAccounts", "string", f"ServiceAccounts in the {what}", 1),
    ]


_ROLEBINDING_COLUMNS: Final = _binding_columns("roleBinding", _DOC["RoleBinding.roleRef"])
_CLUSTERROLEBINDING_COLUMNS: Final = _binding_columns(
    "clusterRoleBinding", _DOC["ClusterRoleBinding.roleRef"])

_LEASE_COLUMNS: Final = [
    _NAME_COL,
    _col("Holder", "string", _DOC["LeaseSpec.holderIdentity"]),
    _AGE_COL,
]

_STORAGECLASS_COLUMNS: Final = [
    _NAME_COL,
    _col("Provisioner", "string", _DOC["StorageClass.provisioner"]),
    _col("ReclaimPolicy", "string", _DOC["StorageClass.reclaimPolicy"]),
    _col("VolumeBindingMode", "string", _DOC["StorageClass.volumeBindingMode"]),
    _col("AllowVolumeExpansion", "string", _DOC["StorageClass.allowVolumeExpansion"]),
    _AGE_COL,
]

_CONTROLLERREVISION_COLUMNS: Final = [
    _NAME_COL,
    _col("Controller", "string", "Controller of the object"),
    _col("Revision", "string", _DOC["ControllerRevision.revision"]),
    _AGE_COL,
]

_ENDPOINTSLICE_COLUMNS: Final = [
    _NAME_COL,
    _col("AddressType", "string", _DOC["EndpointSlice.addressType"]),
    _col("Ports", "string", _DOC["EndpointSlice.ports"]),
    _col("Endpoints", "string", _DOC["EndpointSlice.endpoints"]),
    _AGE_COL,
]

#: rest.defaultTableConvertor's columns, for kinds without a printer
_DEFAULT_COLUMNS: Final = [
    _NAME_COL,
    _col("Created At", "date", _DOC["ObjectMeta.creationTimestamp"]),
]


# --- shared cell helpers -------------------------------------------------------------


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _int_or_string(value: Any) -> str:
    """``intstr.IntOrString.String()``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    return _str(value)


def _containers_cells(template: Any) -> tuple[str, str]:
    """``layoutContainerCells`` of a pod template: names and images, comma-joined."""
    spec = (template or _EMPTY).get("spec") or _EMPTY
    containers = spec.get("containers") or ()
    names = ",".join(_str(c.get("name")) for c in containers)
    images = ",".join(_str(c.get("image")) for c in containers)
    return names, images


def _format_labels(labels: Any) -> str:
    """``labels.FormatLabels``: ``k=v`` pairs sorted as strings, or ``<none>``."""
    if not labels:
        return _NONE
    return ",".join(sorted(f"{k}={v}" for k, v in labels.items()))


def _selector_string(selector: Any) -> str | None:
    """``metav1.LabelSelectorAsSelector(selector).String()``; None when it fails."""
    if selector is None:
        return ""  # labels.Nothing()
    match_labels = selector.get("matchLabels") or _EMPTY
    expressions = selector.get("matchExpressions") or ()
    if not match_labels and not expressions:
        return ""  # labels.Everything()
    requirements = [(k, f"{k}={v}") for k, v in match_labels.items()]
    for expr in expressions:
        key = _str(expr.get("key"))
        values = [_str(v) for v in expr.get("values") or ()]
        op = expr.get("operator")
        if op in ("In", "NotIn"):
            if not values:
                return None
            word = " in " if op == "In" else " notin "
            joined = values[0] if len(values) == 1 else ",".join(sorted(values))
            requirements.append((key, f"{key}{word}({joined})"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                return None
            requirements.append((key, key if op == "Exists" else "!" + key))
        else:
            return None
    requirements.sort(key=lambda r: r[0])
    return ",".join(text for _, text in requirements)


def _format_label_selector(selector: Any) -> str:
    """``metav1.FormatLabelSelector``: ``<none>`` when empty, ``<error>`` when invalid."""
    text = _selector_string(selector)
    if text is None:
        return "<error>"
    return text or _NONE


def _join_host_port(host: str, port: Any) -> str:
    """``net.JoinHostPort``: brackets around IPv6 literals."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def _list_with_more(items: list[str], more: bool, count: int, limit: int) -> str:
    text = ",".join(items)
    if more:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


_ACCESS_MODES: Final = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def _access_modes(modes: Any) -> str:
    """``helper.GetAccessModesAsString``: always in the order RWO,ROX,RWX,RWOP."""
    if not modes:
        return ""
    return ",".join(short for mode, short in _ACCESS_MODES if mode in modes)


_BETA_STORAGE_CLASS: Final = "volume.beta.kubernetes.io/storage-class"


# --- printers: one per kind (print* in printers.go) ------------------------------------


def _is_true_condition(conditions: Sequence[Any], type_: str) -> bool:
    """The first condition of ``type_`` has status True (``hasJobCondition`` and kin)."""
    for c in conditions:
        if c.get("type") == type_:
            return bool(c.get("status") == "True")
    return False


def _pod_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    conditions = status.get("conditions") or ()
    init_specs = spec.get("initContainers") or ()

    phase: str = _str(status.get("phase"))
    reason: str = _str(status.get("reason")) or phase
    for c in conditions:
        if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    total = len(spec.get("containers") or ())
    restartable: set[str] = set()
    for c in init_specs:
        if c.get("restartPolicy") == "Always":  # a sidecar counts as a container
            restartable.add(c.get("name"))
            total += 1

    ready = 0
    restarts = 0
    sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None
    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or ()):
        count = _int(cs.get("restartCount"))
        restarts += count
        finished = _time(((cs.get("lastState") or _EMPTY).get("terminated") or _EMPTY)
                         .get("finishedAt"))
        if finished is not None and (last_restart is None or last_restart < finished):
            last_restart = finished
        is_sidecar = cs.get("name") in restartable
        if is_sidecar:
            sidecar_restarts += count
            if finished is not None and (last_sidecar_restart is None
                                         or last_sidecar_restart < finished):
                last_sidecar_restart = finished
        state = cs.get("state") or _EMPTY
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if terminated is not None and _int(terminated.get("exitCode")) == 0:
            continue
        if is_sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:  # initialisation failed
            why = _str(terminated.get("reason"))
            if why:
                reason = "Init:" + why
            elif _int(terminated.get("signal")):
                reason = f"Init:Signal:{_int(terminated.get('signal'))}"
            else:
                reason = f"Init:ExitCode:{_int(terminated.get('exitCode'))}"
        elif waiting is not None and waiting.get("reason") and \
                waiting.get("reason") != "PodInitializing":
            reason = "Init:" + _str(waiting.get("reason"))
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _is_true_condition(conditions, "Initialized"):
        restarts = sidecar_restarts
        last_restart = last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or ()):
            restarts += _int(cs.get("restartCount"))
            finished = _time(((cs.get("lastState") or _EMPTY).get("terminated") or _EMPTY)
                             .get("finishedAt"))
            if finished is not None and (last_restart is None or last_restart < finished):
                last_restart = finished
            state = cs.get("state") or _EMPTY
            terminated = state.get("terminated")
            waiting = state.get("waiting")
            if waiting is not None and waiting.get("reason"):
                reason = _str(waiting.get("reason"))
            elif terminated is not None and terminated.get("reason"):
                reason = _str(terminated.get("reason"))
            elif terminated is not None:
                signal = _int(terminated.get("signal"))
                reason = (f"Signal:{signal}" if signal
                          else f"ExitCode:{_int(terminated.get('exitCode'))}")
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        # a pod whose last container completed still runs while another one runs
        if reason == "Completed" and has_running:
            reason = "Running" if _is_true_condition(conditions, "Ready") else "NotReady"

    if meta.get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"

    if restarts != 0 and last_restart is not None:
        restarts_cell = f"{restarts} ({_human_us((now - last_restart) // _ONE_US)} ago)"
    else:
        restarts_cell = str(restarts)

    pod_ips = status.get("podIPs")
    pod_ip = _str(pod_ips[0].get("ip")) if pod_ips else ""
    readiness_gates = _NONE
    gates = spec.get("readinessGates")
    if gates:
        passed = 0
        for gate in gates:
            for c in conditions:
                if c.get("type") == gate.get("conditionType"):
                    if c.get("status") == "True":
                        passed += 1
                    break
        readiness_gates = f"{passed}/{len(gates)}"

    return [
        meta.get("name", ""),
        f"{ready}/{total}",
        reason,
        restarts_cell,
        _since(now, meta.get("creationTimestamp")),
        pod_ip or _NONE,
        spec.get("nodeName") or _NONE,
        status.get("nominatedNodeName") or _NONE,
        readiness_gates,
    ]


_POD_SUCCEEDED: Final = [{"type": "Completed", "status": "True", "reason": "Succeeded",
                          "message": "The pod has completed successfully."}]
_POD_FAILED: Final = [{"type": "Completed", "status": "True", "reason": "Failed",
                       "message": "The pod failed."}]


def _pod_row_conditions(obj: _Obj) -> list[dict[str, str]] | None:
    """``TableRow.conditions``: finished pods are marked Completed."""
    phase = (obj.get("status") or _EMPTY).get("phase")
    if phase == "Succeeded":
        return _POD_SUCCEEDED
    if phase == "Failed":
        return _POD_FAILED
    return None


_ROLE_PREFIX: Final = "node-role.kubernetes.io/"


def _node_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    state = "Unknown"  # no Ready condition at all
    for c in status.get("conditions") or ():
        if c.get("type") == "Ready":  # the last one wins, as in upstream's map
            state = "Ready" if c.get("status") == "True" else "NotReady"
    if spec.get("unschedulable"):
        state += ",SchedulingDisabled"

    roles: set[str] = set()
    for key, value in (meta.get("labels") or _EMPTY).items():
        if key.startswith(_ROLE_PREFIX):
            if len(key) > len(_ROLE_PREFIX):
                roles.add(key[len(_ROLE_PREFIX):])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)

    info = status.get("nodeInfo") or _EMPTY
    internal_ip: str | None = None
    external_ip: str | None = None
    for address in status.get("addresses") or ():
        if address.get("type") == "InternalIP" and internal_ip is None:
            internal_ip = _str(address.get("address"))
        elif address.get("type") == "ExternalIP" and external_ip is None:
            external_ip = _str(address.get("address"))
    return [
        meta.get("name", ""),
        state,
        ",".join(sorted(roles)) or _NONE,
        _since(now, meta.get("creationTimestamp")),
        _str(info.get("kubeletVersion")),
        _NONE if internal_ip is None else internal_ip,
        _NONE if external_ip is None else external_ip,
        info.get("osImage") or _UNKNOWN,
        info.get("kernelVersion") or _UNKNOWN,
        info.get("containerRuntimeVersion") or _UNKNOWN,
    ]


def _service_external_ip(spec: _Obj, status: _Obj) -> str:
    """``getServiceExternalIP`` in wide form (load-balancer addresses not clipped)."""
    svc_type = spec.get("type") or "ClusterIP"
    external_ips = spec.get("externalIPs") or ()
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) if external_ips else _NONE
    if svc_type == "LoadBalancer":
        found = set()
        for ingress in (status.get("loadBalancer") or _EMPTY).get("ingress") or ():
            if ingress.get("ip"):
                found.add(ingress["ip"])
            elif ingress.get("hostname"):
                found.add(ingress["hostname"])
        lb = ",".join(sorted(found))
        if external_ips:
            return ",".join([*(lb.split(",") if lb else ()), *external_ips])
        return lb or "<pending>"
    if svc_type == "ExternalName":
        return _str(spec.get("externalName"))
    return _UNKNOWN


def _service_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    spec = obj.get("spec") or _EMPTY
    cluster_ips = spec.get("clusterIPs")
    ports = []
    for port in spec.get("ports") or ():
        protocol = port.get("protocol") or "TCP"
        node_port = _int(port.get("nodePort"))
        if node_port > 0:
            ports.append(f"{port.get('port')}:{node_port}/{protocol}")
        else:
            ports.append(f"{port.get('port')}/{protocol}")
    return [
        meta.get("name", ""),
        spec.get("type") or "ClusterIP",
        cluster_ips[0] if cluster_ips else _NONE,
        _service_external_ip(spec, obj.get("status") or _EMPTY),
        ",".join(ports) or _NONE,
        _since(now, meta.get("creationTimestamp")),
        _format_labels(spec.get("selector")),
    ]


def _endpoints_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    subsets = obj.get("subsets")
    if not subsets:
        text = _NONE
    else:
        limit, more, count = 3, False, 0
        items: list[str] = []
        for subset in subsets:
            addresses = subset.get("addresses") or ()
            ports = subset.get("ports") or ()
            if not ports:  # a headless service may have no ports
                count += len(addresses)
                for address in addresses:
                    if len(items) == limit:
                        more = True
                        break
                    items.append(_str(address.get("ip")))
                continue
            for port in ports:
                count += len(addresses)
                for address in addresses:
                    if len(items) == limit:
                        more = True
                        break
                    items.append(_join_host_port(_str(address.get("ip")),
                                                 _int(port.get("port"))))
        text = ",".join(items)
        if more:
            text = f"{text} + {count - limit} more..."
    return [meta.get("name", ""), text, _since(now, meta.get("creationTimestamp"))]


def _endpointslice_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    limit = 3
    ports: list[str] = []
    more, count = False, 0
    for port in obj.get("ports") or ():
        if len(ports) < limit:
            if port.get("port") is not None:
                ports.append(str(port["port"]))
            elif port.get("name") is not None:
                ports.append(_str(port["name"]))
            else:
                ports.append("*")
        elif len(ports) == limit:
            more = True
        count += 1
    ports_text = _list_with_more(ports, more, count, limit)
    addresses: list[str] = []
    more, count = False, 0
    for endpoint in obj.get("endpoints") or ():
        for address in endpoint.get("addresses") or ():
            if len(addresses) < limit:
                addresses.append(_str(address))
            elif len(addresses) == limit:
                more = True
            count += 1
    return [
        meta.get("name", ""),
        _str(obj.get("addressType")),
        ports_text,
        _list_with_more(addresses, more, count, limit),
        _since(now, meta.get("creationTimestamp")),
    ]


def _namespace_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    return [meta.get("name", ""), _str((obj.get("status") or _EMPTY).get("phase")),
            _since(now, meta.get("creationTimestamp"))]


def _configmap_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    size = len(obj.get("data") or ()) + len(obj.get("binaryData") or ())
    return [meta.get("name", ""), size, _since(now, meta.get("creationTimestamp"))]


def _secret_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    return [meta.get("name", ""), _str(obj.get("type")), len(obj.get("data") or ()),
            _since(now, meta.get("creationTimestamp"))]


def _serviceaccount_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    return [meta.get("name", ""), len(obj.get("secrets") or ()),
            _since(now, meta.get("creationTimestamp"))]


def _event_cells_of(meta: _Obj, event_type: Any, reason: Any, regarding: _Obj, note: Any,
                    source: _Obj, reporting_controller: Any, reporting_instance: Any,
                    first: Any, last: Any, event_time: Any, count: Any, series: Any,
                    now: datetime) -> list[Any]:
    """``printEvent`` on the internal (core) Event's fields."""
    first_seen = _since(now, first) if _time(first) is not None else _since(now, event_time)
    last_seen = _since(now, last) if _time(last) is not None else first_seen
    times = _int(count)
    if series is not None:
        last_seen = _since(now, series.get("lastObservedTime"))
        times = _int(series.get("count"))
    elif times == 0:
        times = 1  # singleton events have no count in the new API
    kind = _str(regarding.get("kind")).lower()
    name = _str(regarding.get("name"))
    component = _str(source.get("component")) or _str(reporting_controller)
    host = _str(source.get("host")) or _str(reporting_instance)
    return [
        last_seen,
        _str(event_type),
        _str(reason),
        f"{kind}/{name}" if name else kind,
        _str(regarding.get("fieldPath")),
        f"{component}, {host}" if host else component,
        _str(note).strip(),
        first_seen,
        times,
        meta.get("name", ""),
    ]


def _core_event_cells(obj: _Obj, now: datetime) -> list[Any]:
    return _event_cells_of(
        obj.get("metadata") or _EMPTY, obj.get("type"), obj.get("reason"),
        obj.get("involvedObject") or _EMPTY, obj.get("message"), obj.get("source") or _EMPTY,
        obj.get("reportingComponent"), obj.get("reportingInstance"),
        obj.get("firstTimestamp"), obj.get("lastTimestamp"), obj.get("eventTime"),
        obj.get("count"), obj.get("series"), now)


def _events_v1_cells(obj: _Obj, now: datetime) -> list[Any]:
    """An ``events.k8s.io/v1`` Event, read through its conversion to the core Event."""
    return _event_cells_of(
        obj.get("metadata") or _EMPTY, obj.get("type"), obj.get("reason"),
        obj.get("regarding") or _EMPTY, obj.get("note"),
        obj.get("deprecatedSource") or _EMPTY,
        obj.get("reportingController"), obj.get("reportingInstance"),
        obj.get("deprecatedFirstTimestamp"), obj.get("deprecatedLastTimestamp"),
        obj.get("eventTime"), obj.get("deprecatedCount"), obj.get("series"), now)


def _pv_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    claim = spec.get("claimRef")
    claim_text = f"{_str(claim.get('namespace'))}/{_str(claim.get('name'))}" if claim else ""
    annotations = meta.get("annotations") or _EMPTY
    storage_class = annotations[_BETA_STORAGE_CLASS] if _BETA_STORAGE_CLASS in annotations \
        else _str(spec.get("storageClassName"))
    return [
        meta.get("name", ""),
        _str((spec.get("capacity") or _EMPTY).get("storage")) or "0",
        _access_modes(spec.get("accessModes")),
        _str(spec.get("persistentVolumeReclaimPolicy")),
        "Terminating" if meta.get("deletionTimestamp") else _str(status.get("phase")),
        claim_text,
        storage_class,
        spec.get("volumeAttributesClassName") or "<unset>",
        _str(status.get("reason")),
        _since(now, meta.get("creationTimestamp")),
        spec.get("volumeMode") or "<unset>",
    ]


def _pvc_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    volume = _str(spec.get("volumeName"))
    capacity = access_modes = ""
    if volume:
        access_modes = _access_modes(status.get("accessModes"))
        capacity = _str((status.get("capacity") or _EMPTY).get("storage")) or "0"
    annotations = meta.get("annotations") or _EMPTY
    storage_class = annotations[_BETA_STORAGE_CLASS] if _BETA_STORAGE_CLASS in annotations \
        else _str(spec.get("storageClassName"))
    return [
        meta.get("name", ""),
        "Terminating" if meta.get("deletionTimestamp") else _str(status.get("phase")),
        volume,
        capacity,
        access_modes,
        storage_class,
        spec.get("volumeAttributesClassName") or "<unset>",
        _since(now, meta.get("creationTimestamp")),
        spec.get("volumeMode") or "<unset>",
    ]


def _replicas(spec: _Obj) -> int:
    """``spec.replicas`` as defaulted (1 when unset)."""
    value = spec.get("replicas")
    return 1 if value is None else _int(value)


def _deployment_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    names, images = _containers_cells(spec.get("template"))
    selector = _selector_string(spec.get("selector"))
    return [
        meta.get("name", ""),
        f"{_int(status.get('readyReplicas'))}/{_replicas(spec)}",
        _int(status.get("updatedReplicas")),
        _int(status.get("availableReplicas")),
        _since(now, meta.get("creationTimestamp")),
        names,
        images,
        "<invalid>" if selector is None else selector,
    ]


def _replicaset_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    names, images = _containers_cells(spec.get("template"))
    return [
        meta.get("name", ""),
        _replicas(spec),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        _since(now, meta.get("creationTimestamp")),
        names,
        images,
        _format_label_selector(spec.get("selector")),
    ]


def _statefulset_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    names, images = _containers_cells(spec.get("template"))
    return [
        meta.get("name", ""),
        f"{_int(status.get('readyReplicas'))}/{_replicas(spec)}",
        _since(now, meta.get("creationTimestamp")),
        names,
        images,
    ]


def _daemonset_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    template = spec.get("template") or _EMPTY
    names, images = _containers_cells(template)
    return [
        meta.get("name", ""),
        _int(status.get("desiredNumberScheduled")),
        _int(status.get("currentNumberScheduled")),
        _int(status.get("numberReady")),
        _int(status.get("updatedNumberScheduled")),
        _int(status.get("numberAvailable")),
        _format_labels((template.get("spec") or _EMPTY).get("nodeSelector")),
        _since(now, meta.get("creationTimestamp")),
        names,
        images,
        _format_label_selector(spec.get("selector")),
    ]


def _controllerrevision_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    controller = _NONE
    for ref in meta.get("ownerReferences") or ():
        if ref.get("controller") is True:  # metav1.GetControllerOf: the first controller
            api_version = _str(ref.get("apiVersion"))
            group = api_version.split("/", 1)[0] if "/" in api_version else ""
            kind = _str(ref.get("kind"))
            name = _str(ref.get("name"))
            if group or kind:
                group_kind = f"{kind}.{group}" if group else kind
                controller = f"{group_kind.lower()}/{name}"
            else:
                controller = name
            break
    return [meta.get("name", ""), controller, _int(obj.get("revision")),
            _since(now, meta.get("creationTimestamp"))]


def _job_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    succeeded = _int(status.get("succeeded"))
    completions = spec.get("completions")
    if completions is not None:
        completions_text = f"{succeeded}/{_int(completions)}"
    else:
        parallelism = _int(spec.get("parallelism"))
        completions_text = (f"{succeeded}/1 of {parallelism}" if parallelism > 1
                            else f"{succeeded}/1")
    start = _time(status.get("startTime"))
    finish = _time(status.get("completionTime"))
    if start is None:
        duration = ""
    elif finish is None:
        duration = _human_us((now - start) // _ONE_US)
    else:
        duration = _human_us((finish - start) // _ONE_US)
    conditions = status.get("conditions") or ()
    if _is_true_condition(conditions, "Complete"):
        state = "Complete"
    elif _is_true_condition(conditions, "Failed"):
        state = "Failed"
    elif meta.get("deletionTimestamp"):
        state = "Terminating"
    elif _is_true_condition(conditions, "Suspended"):
        state = "Suspended"
    elif _is_true_condition(conditions, "FailureTarget"):
        state = "FailureTarget"
    else:
        state = "Running"
    names, images = _containers_cells(spec.get("template"))
    return [
        meta.get("name", ""),
        state,
        completions_text,
        duration,
        _since(now, meta.get("creationTimestamp")),
        names,
        images,
        _format_label_selector(spec.get("selector")),
    ]


def _pdb_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    spec = obj.get("spec") or _EMPTY
    min_available = spec.get("minAvailable")
    max_unavailable = spec.get("maxUnavailable")
    return [
        meta.get("name", ""),
        "N/A" if min_available is None else _int_or_string(min_available),
        "N/A" if max_unavailable is None else _int_or_string(max_unavailable),
        _int((obj.get("status") or _EMPTY).get("disruptionsAllowed")),
        _since(now, meta.get("creationTimestamp")),
    ]


_DEFAULT_CLASS_ANNOTATIONS: Final = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)


def _storageclass_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    annotations = meta.get("annotations") or _EMPTY
    name: str = meta.get("name", "")
    if any(annotations.get(a) == "true" for a in _DEFAULT_CLASS_ANNOTATIONS):
        name += " (default)"
    return [
        name,
        _str(obj.get("provisioner")),
        obj.get("reclaimPolicy") or "Delete",
        obj.get("volumeBindingMode") or "Immediate",
        obj.get("allowVolumeExpansion") is True,
        _since(now, meta.get("creationTimestamp")),
    ]


def _lease_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    holder = (obj.get("spec") or _EMPTY).get("holderIdentity")
    return [meta.get("name", ""), _str(holder), _since(now, meta.get("creationTimestamp"))]


def _binding_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    role_ref = obj.get("roleRef") or _EMPTY
    users: list[str] = []
    groups: list[str] = []
    service_accounts: list[str] = []
    for subject in obj.get("subjects") or ():  # rbac.SubjectsStrings
        kind = subject.get("kind")
        if kind == "ServiceAccount":
            service_accounts.append(
                f"{_str(subject.get('namespace'))}/{_str(subject.get('name'))}")
        elif kind == "User":
            users.append(_str(subject.get("name")))
        elif kind == "Group":
            groups.append(_str(subject.get("name")))
    return [
        meta.get("name", ""),
        f"{_str(role_ref.get('kind'))}/{_str(role_ref.get('name'))}",
        _since(now, meta.get("creationTimestamp")),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(service_accounts),
    ]


def _default_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    return [meta.get("name", ""), _created_at(meta)]


# --- dispatch and the Table itself --------------------------------------------------


@dataclass(frozen=True)
class _Printer:
    columns: list[dict[str, Any]]
    cells: _Cells
    #: ``TableRow.conditions`` (only pods have them)
    conditions: Callable[[_Obj], list[dict[str, str]] | None] | None = None


_DEFAULT_PRINTER: Final = _Printer(_DEFAULT_COLUMNS, _default_cells)

# printers.go scaleColumnDefinitions and printScale: the Table of a ``scale`` subresource
# (its Name column has no "name" format upstream).
_SCALE_COLUMNS: Final = [
    _col("Name", "string", _DOC["ObjectMeta.name"]),
    _col("Desired", "integer",
         "replicas is the desired number of instances for the scaled object."),
    _col("Available", "integer",
         "replicas is the actual number of observed instances of the scaled object."),
    _AGE_COL,
]


def _scale_cells(obj: _Obj, now: datetime) -> list[Any]:
    meta = obj.get("metadata") or _EMPTY
    return [meta.get("name", ""), _int((obj.get("spec") or _EMPTY).get("replicas")),
            _int((obj.get("status") or _EMPTY).get("replicas")),
            _since(now, meta.get("creationTimestamp"))]


_SCALE_PRINTER: Final = _Printer(_SCALE_COLUMNS, _scale_cells)

#: (group, kind) -> printer; kinds not listed get the default Name/Created At table
_PRINTERS: Final[dict[tuple[str, str], _Printer]] = {
    ("", "Namespace"): _Printer(_NAMESPACE_COLUMNS, _namespace_cells),
    ("", "Node"): _Printer(_NODE_COLUMNS, _node_cells),
    ("", "Pod"): _Printer(_POD_COLUMNS, _pod_cells, _pod_row_conditions),
    ("", "Service"): _Printer(_SERVICE_COLUMNS, _service_cells),
    ("", "Endpoints"): _Printer(_ENDPOINTS_COLUMNS, _endpoints_cells),
    ("", "ConfigMap"): _Printer(_CONFIGMAP_COLUMNS, _configmap_cells),
    ("", "Secret"): _Printer(_SECRET_COLUMNS, _secret_cells),
    ("", "ServiceAccount"): _Printer(_SERVICEACCOUNT_COLUMNS, _serviceaccount_cells),
    ("", "Event"): _Printer(_EVENT_COLUMNS, _core_event_cells),
    ("events.k8s.io", "Event"): _Printer(_EVENT_COLUMNS, _events_v1_cells),
    ("", "PersistentVolume"): _Printer(_PV_COLUMNS, _pv_cells),
    ("", "PersistentVolumeClaim"): _Printer(_PVC_COLUMNS, _pvc_cells),
    ("apps", "Deployment"): _Printer(_DEPLOYMENT_COLUMNS, _deployment_cells),
    ("apps", "ReplicaSet"): _Printer(_REPLICASET_COLUMNS, _replicaset_cells),
    ("apps", "StatefulSet"): _Printer(_STATEFULSET_COLUMNS, _statefulset_cells),
    ("apps", "DaemonSet"): _Printer(_DAEMONSET_COLUMNS, _daemonset_cells),
    ("apps", "ControllerRevision"): _Printer(_CONTROLLERREVISION_COLUMNS,
                                             _controllerrevision_cells),
    ("batch", "Job"): _Printer(_JOB_COLUMNS, _job_cells),
    ("policy", "PodDisruptionBudget"): _Printer(_PDB_COLUMNS, _pdb_cells),
    ("storage.k8s.io", "StorageClass"): _Printer(_STORAGECLASS_COLUMNS, _storageclass_cells),
    ("coordination.k8s.io", "Lease"): _Printer(_LEASE_COLUMNS, _lease_cells),
    ("discovery.k8s.io", "EndpointSlice"): _Printer(_ENDPOINTSLICE_COLUMNS,
                                                    _endpointslice_cells),
    ("rbac.authorization.k8s.io", "RoleBinding"): _Printer(_ROLEBINDING_COLUMNS,
                                                           _binding_cells),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _Printer(_CLUSTERROLEBINDING_COLUMNS,
                                                                  _binding_cells),
    # Role and ClusterRole have no printer upstream: the default table.
}


def _printer(resource: ResourceType) -> _Printer:
    return _PRINTERS.get((resource.group, resource.kind), _DEFAULT_PRINTER)


def column_definitions(resource: ResourceType) -> list[dict[str, Any]]:
    """The Table's ``columnDefinitions`` for ``resource``, priority-1 (wide) ones included.

    Each is ``{"name", "type", "format", "description", "priority"}`` as upstream sends
    it. The result is a fresh copy, free to change.
    """
    return [dict(c) for c in _printer(resource).columns]


def row_cells(resource: ResourceType, obj: Mapping[str, Any], now: datetime) -> list[Any]:
    """The cells of ``obj``'s row, one per column, with upstream's JSON types.

    ``now`` is the server's clock (timezone-aware) for AGE and other elapsed times.
    """
    return _printer(resource).cells(obj, now)


def _check_include_object(include_object: str) -> str:
    if include_object == "":
        return "Metadata"
    if include_object not in INCLUDE_OBJECT_VALUES:
        raise errors.BadRequest(f'unrecognized includeObject value: "{include_object}"')
    return include_object


def _rows(printer: _Printer, objects: Iterable[_Obj], include_object: str,
          meta_api_version: str, now: datetime) -> list[dict[str, Any]]:
    cells = printer.cells
    conditions = printer.conditions
    rows: list[dict[str, Any]] = []
    append = rows.append
    for obj in objects:
        row: dict[str, Any] = {"cells": cells(obj, now)}
        if conditions is not None:
            row_conditions = conditions(obj)
            if row_conditions:
                row["conditions"] = row_conditions
        if include_object == "Metadata":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": meta_api_version,
                             "metadata": obj.get("metadata") or {}}
        elif include_object == "Object":
            row["object"] = obj
        append(row)
    return rows


def table(resource: ResourceType, objects: Iterable[Mapping[str, Any]], *,
          resource_version: str, include_object: str = "Metadata", now: datetime,
          continue_token: str = "", remaining_item_count: int | None = None,
          meta_version: str = "v1") -> dict[str, Any]:
    """The ``Table`` for a list (or a get: pass one object and its resourceVersion).

    ``include_object`` is the ``?includeObject=`` value: ``Metadata`` (the default, also
    for ``""``) attaches each object's metadata as ``PartialObjectMetadata``, which
    kubectl needs for ``-L``, ``--show-labels`` and the ``-A`` NAMESPACE column;
    ``Object`` attaches the object itself (``--sort-by``); ``None`` attaches nothing, and
    the row has no ``object`` key. Any other value is a 400 ``BadRequest``, as upstream.

    Rows share the stored objects' dicts: encode the result, never mutate it.
    """
    include_object = _check_include_object(include_object)
    printer = _printer(resource)
    api_version = f"meta.k8s.io/{meta_version}"
    metadata: dict[str, Any] = {}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    if continue_token:
        metadata["continue"] = continue_token
    if remaining_item_count is not None:
        metadata["remainingItemCount"] = remaining_item_count
    return {
        "kind": "Table",
        "apiVersion": api_version,
        "metadata": metadata,
        "columnDefinitions": printer.columns,
        "rows": _rows(printer, objects, include_object, api_version, now),
    }


def scale_table(scale: Mapping[str, Any], *, include_object: str = "Metadata",
                now: datetime, meta_version: str = "v1") -> dict[str, Any]:
    """The one-row ``Table`` for a GET of an ``autoscaling/v1 Scale`` subresource
    (``kubectl get deployment web --subresource=scale``)."""
    include_object = _check_include_object(include_object)
    api_version = f"meta.k8s.io/{meta_version}"
    rv = (scale.get("metadata") or _EMPTY).get("resourceVersion")
    return {
        "kind": "Table",
        "apiVersion": api_version,
        "metadata": {"resourceVersion": rv} if rv else {},
        "columnDefinitions": _SCALE_PRINTER.columns,
        "rows": _rows(_SCALE_PRINTER, (scale,), include_object, api_version, now),
    }


def watch_event_table(resource: ResourceType, obj: Mapping[str, Any], *,
                      include_object: str = "Metadata", now: datetime,
                      include_column_definitions: bool,
                      meta_version: str = "v1") -> dict[str, Any]:
    """The ``object`` of one watch event when the watch asked for a Table: one row.

    Upstream's watch encoder sends ``columnDefinitions`` with the first event of a watch
    only; later events carry ``"columnDefinitions": null`` (pass
    ``include_column_definitions=False`` for them). kubectl renders either form. The
    Table's resourceVersion is the object's, as for a single get.
    """
    include_object = _check_include_object(include_object)
    printer = _printer(resource)
    api_version = f"meta.k8s.io/{meta_version}"
    rv = (obj.get("metadata") or _EMPTY).get("resourceVersion")
    return {
        "kind": "Table",
        "apiVersion": api_version,
        "metadata": {"resourceVersion": rv} if rv else {},
        "columnDefinitions": printer.columns if include_column_definitions else None,
        "rows": _rows(printer, (obj,), include_object, api_version, now),
    }
