"""API defaulting: what kube-apiserver 1.32 fills in when it decodes an object.

Owns :func:`default`, applied to every write (create, update, patch result) and safe to
apply again: every default only fills a field that is absent or ``null``. Per kind it
re-expresses upstream's ``SetDefaults_*`` functions and ``+default=`` markers, the
conversions that make v1 fields agree (``serviceAccount``/``serviceAccountName``,
``podCIDR``/``podCIDRs``, ``clusterIP``/``clusterIPs``, Secret ``stringData``), and the
zero-valued Go structs the server always prints (``resources: {}``, a Node's ``nodeInfo``)
that the official client's strict models require.

Defaults that upstream applies in admission plugins (the pod's service account, priority
and default tolerations) live in :mod:`.plugins` and :mod:`.tolerations`; create-time
strategy work (status reset, Job selector with a uid) in :mod:`.strategy`, except that the
Job selector is also generated here when the Job is being created (see :func:`_job`).

Upstream (release-1.32): pkg/apis/core/v1/defaults.go, pkg/apis/apps/v1/defaults.go,
pkg/apis/batch/v1/defaults.go, pkg/apis/storage/v1/defaults.go,
pkg/apis/rbac/v1/defaults.go, pkg/apis/discovery/v1/defaults.go, the generated
``zz_generated.defaults.go`` next to each, pkg/apis/core/v1/conversion.go,
pkg/apis/apps/v1/conversion.go, pkg/registry/core/service/storage/alloc.go
(``initIPFamilyFields``) and pkg/registry/batch/job/strategy.go (``generateSelector``).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, MutableMapping
from typing import Any

from chaoszone.sim.admission import causes, quantity
from chaoszone.sim.resources import ResourceType

__all__ = [
    "JOB_CONTROLLER_UID_LABEL",
    "JOB_NAME_LABEL",
    "LEGACY_JOB_CONTROLLER_UID_LABEL",
    "LEGACY_JOB_NAME_LABEL",
    "default",
    "default_pod_spec",
    "generate_job_selector",
    "image_pull_policy",
]

Obj = MutableMapping[str, Any]

JOB_CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_JOB_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"

_NODE_INFO_FIELDS = ("machineID", "systemUUID", "bootID", "kernelVersion", "osImage",
                     "containerRuntimeVersion", "kubeletVersion", "kubeProxyVersion",
                     "operatingSystem", "architecture")


def default(resource: ResourceType, obj: dict[str, Any], *, storage: bool = True) -> None:
    """Fill in kube-apiserver 1.32's defaults for ``resource`` in place. Raises a 400
    :class:`~chaoszone.sim.errors.ApiError` when a field has the wrong JSON type.

    ``storage=False`` leaves out what upstream's REST storage and strategy fill in later
    (a Job's generated selector, a Service's cluster IPs and IP families): what remains is
    the object as the request decoder defaults it, which is what the field manager records
    for the writer (handlers/create.go, update.go and patch.go call UpdateNoErrors on the
    decoded, defaulted object, so a created pod's managedFields name ``f:dnsPolicy`` and
    ``f:schedulerName`` even when the client sent neither)."""
    key = (resource.group, resource.kind)
    try:
        with_storage = _WITH_STORAGE.get(key)
        if with_storage is not None:
            with_storage(obj, storage)
        elif (fn := _DEFAULTERS.get(key)) is not None:
            fn(obj)
    except causes.TYPE_ERRORS as exc:
        raise causes.wrong_type(resource.kind, resource.version, exc) from exc


# -- small helpers --------------------------------------------------------------------------------

def _child(obj: Obj, name: str) -> Obj:
    """The sub-object ``name``, created when absent or null (Go's zero struct)."""
    value = obj.get(name)
    if not isinstance(value, dict):
        value = obj[name] = {}
    return value


def _list(obj: Obj, name: str) -> list[Any]:
    value = obj.get(name)
    return value if isinstance(value, list) else []


def _dicts(obj: Obj, name: str) -> list[Obj]:
    return [item for item in _list(obj, name) if isinstance(item, dict)]


def _setdefault(obj: Obj, name: str, value: Any) -> None:
    if obj.get(name) is None:
        obj[name] = value


def _normalize_quantities(obj: Obj, name: str) -> None:
    values = obj.get(name)
    if isinstance(values, dict):
        for k, v in list(values.items()):
            values[k] = quantity.normalize(v)


# -- PodSpec --------------------------------------------------------------------------------------

def image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or an untagged, undigested image, else ``IfNotPresent``
    (``SetDefaults_Container`` with ``parsers.ParseImageName``)."""
    if not image or image != image.strip() or any(map(str.isupper, image.split("/")[-1])):
        return "IfNotPresent"  # not a valid reference: ParseImageName fails, tag is ""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.rpartition(":")[2] if ":" in last else ""
    if not tag and not digest:
        tag = "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _http_get(action: Any) -> None:
    if isinstance(action, dict):
        _setdefault(action, "path", "/")
        _setdefault(action, "scheme", "HTTP")


def _handler(handler: Any) -> None:
    if not isinstance(handler, dict):
        return
    _http_get(handler.get("httpGet"))
    grpc = handler.get("grpc")
    if isinstance(grpc, dict):
        _setdefault(grpc, "service", "")


def _probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    for name, value in (("timeoutSeconds", 1), ("periodSeconds", 10),
                        ("successThreshold", 1), ("failureThreshold", 3)):
        if not probe.get(name):
            probe[name] = value
    _handler(probe)


def _field_ref(ref: Any) -> None:
    if isinstance(ref, dict):
        _setdefault(ref, "apiVersion", "v1")


def _container(c: Obj) -> None:
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = image_pull_policy(str(c.get("image") or ""))
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = "/dev/termination-log"
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    for port in _dicts(c, "ports"):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
    resources = _child(c, "resources")
    _normalize_quantities(resources, "limits")
    _normalize_quantities(resources, "requests")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(c.get(name))
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        _handler(lifecycle.get("postStart"))
        _handler(lifecycle.get("preStop"))
    for env in _dicts(c, "env"):
        source = env.get("valueFrom")
        if isinstance(source, dict):
            _field_ref(source.get("fieldRef"))


def _pvc_spec(spec: Obj) -> None:
    _setdefault(spec, "volumeMode", "Filesystem")
    resources = _child(spec, "resources")
    _normalize_quantities(resources, "requests")
    _normalize_quantities(resources, "limits")


_VOLUME_SOURCES = (
    "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret",
    "nfs", "iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder",
    "cephfs", "flocker", "downwardAPI", "fc", "azureFile", "configMap", "vsphereVolume",
    "quobyte", "azureDisk", "photonPersistentDisk", "projected", "portworxVolume", "scaleIO",
    "storageos", "csi", "ephemeral", "image",
)  # ``image`` (ImageVolume) is alpha and off in 1.32; it still counts as a source here


def _volume(v: Obj) -> None:
    if all(v.get(s) is None for s in _VOLUME_SOURCES):
        v["emptyDir"] = {}
    for name in ("secret", "configMap", "downwardAPI", "projected"):
        source = v.get(name)
        if isinstance(source, dict):
            _setdefault(source, "defaultMode", 420)
    empty_dir = v.get("emptyDir")
    if isinstance(empty_dir, dict) and empty_dir.get("sizeLimit") is not None:
        empty_dir["sizeLimit"] = quantity.normalize(empty_dir["sizeLimit"])
    host_path = v.get("hostPath")
    if isinstance(host_path, dict):
        _setdefault(host_path, "type", "")
    downward = v.get("downwardAPI")
    if isinstance(downward, dict):
        for item in _dicts(downward, "items"):
            _field_ref(item.get("fieldRef"))
    projected = v.get("projected")
    if isinstance(projected, dict):
        for src in _dicts(projected, "sources"):
            token = src.get("serviceAccountToken")
            if isinstance(token, dict):
                _setdefault(token, "expirationSeconds", 3600)
            d = src.get("downwardAPI")
            if isinstance(d, dict):
                for item in _dicts(d, "items"):
                    _field_ref(item.get("fieldRef"))
    iscsi = v.get("iscsi")
    if isinstance(iscsi, dict):
        _setdefault(iscsi, "iscsiInterface", "default")
    rbd = v.get("rbd")
    if isinstance(rbd, dict):
        _setdefault(rbd, "pool", "rbd")
        _setdefault(rbd, "user", "admin")
        _setdefault(rbd, "keyring", "/etc/ceph/keyring")
    azure = v.get("azureDisk")
    if isinstance(azure, dict):
        _setdefault(azure, "cachingMode", "ReadWrite")
        _setdefault(azure, "fsType", "ext4")
        _setdefault(azure, "readOnly", False)
        _setdefault(azure, "kind", "Shared")
    scaleio = v.get("scaleIO")
    if isinstance(scaleio, dict):
        _setdefault(scaleio, "storageMode", "ThinProvisioned")
        _setdefault(scaleio, "fsType", "xfs")
    ephemeral = v.get("ephemeral")
    if isinstance(ephemeral, dict):
        template = ephemeral.get("volumeClaimTemplate")
        if isinstance(template, dict):
            _pvc_spec(_child(template, "spec"))


def default_pod_spec(spec: Obj, *, pod: bool) -> None:
    """``SetDefaults_PodSpec`` and everything under it; ``pod`` adds ``SetDefaults_Pod``
    (not applied to pod templates)."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    _setdefault(spec, "securityContext", {})
    _setdefault(spec, "terminationGracePeriodSeconds", 30)
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    # v1 conversion keeps the deprecated alias and the real field in step
    if not spec.get("serviceAccountName") and spec.get("serviceAccount"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    if spec.get("serviceAccountName"):
        spec["serviceAccount"] = spec["serviceAccountName"]
    for name in ("containers", "initContainers", "ephemeralContainers"):
        for c in _dicts(spec, name):
            _container(c)
    for v in _dicts(spec, "volumes"):
        _volume(v)
    _normalize_quantities(spec, "overhead")
    if not pod:
        return
    # SetDefaults_Pod: requests default to limits, service links, hostNetwork host ports
    for name in ("containers", "initContainers"):
        for c in _dicts(spec, name):
            resources = _child(c, "resources")
            limits = resources.get("limits")
            if isinstance(limits, dict) and limits:
                requests = _child(resources, "requests")
                for k, val in limits.items():
                    requests.setdefault(k, val)
    _setdefault(spec, "enableServiceLinks", True)
    if spec.get("hostNetwork"):
        for name in ("containers", "initContainers"):
            for c in _dicts(spec, name):
                for port in _dicts(c, "ports"):
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort")


def _template(spec: Obj) -> None:
    template = _child(spec, "template")
    _child(template, "metadata")
    default_pod_spec(_child(template, "spec"), pod=False)


# -- core/v1 --------------------------------------------------------------------------------------

def _pod(obj: Obj) -> None:
    default_pod_spec(_child(obj, "spec"), pod=True)
    status = obj.get("status")
    if isinstance(status, dict):
        # v1 conversion: status.podIP is podIPs[0] (and the same for hostIP)
        for single, plural in (("podIP", "podIPs"), ("hostIP", "hostIPs")):
            ips = _dicts(status, plural)
            if status.get(single) and not ips:
                status[plural] = [{"ip": status[single]}]
            elif ips and not status.get(single):
                status[single] = ips[0].get("ip", "")


def _external_traffic(spec: Obj) -> bool:
    kind = spec.get("type")
    return kind in ("LoadBalancer", "NodePort") or (
        kind == "ClusterIP" and bool(_list(spec, "externalIPs")))


def _service(obj: Obj, storage: bool = True) -> None:
    spec = _child(obj, "spec")
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        cfg = spec.get("sessionAffinityConfig") or {}
        client_ip = cfg.get("clientIP") or {}
        if client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    for port in _dicts(spec, "ports"):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if _external_traffic(spec) and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and spec["type"] in (
            "NodePort", "LoadBalancer", "ClusterIP"):
        spec["internalTrafficPolicy"] = "Cluster"
    if spec["type"] == "LoadBalancer":
        _setdefault(spec, "allocateLoadBalancerNodePorts", True)
        status = obj.get("status")
        if isinstance(status, dict):
            lb = status.get("loadBalancer")
            if isinstance(lb, dict):
                for ing in _dicts(lb, "ingress"):
                    if ing.get("ip") and ing.get("ipMode") is None:
                        ing["ipMode"] = "VIP"
    if not storage:
        return
    # the service REST keeps clusterIP and clusterIPs[0] equal
    ips = _list(spec, "clusterIPs")
    if spec.get("clusterIP") and not ips:
        spec["clusterIPs"] = [spec["clusterIP"]]
    elif ips and not spec.get("clusterIP"):
        spec["clusterIP"] = ips[0]
    # initIPFamilyFields on a single-stack IPv4 cluster (kind's default)
    if spec["type"] != "ExternalName":
        headless_without_selector = spec.get("clusterIP") == "None" and not spec.get("selector")
        if spec.get("ipFamilyPolicy") is None:
            spec["ipFamilyPolicy"] = ("RequireDualStack" if headless_without_selector
                                      else "SingleStack")
        if not spec.get("ipFamilies"):
            spec["ipFamilies"] = ["IPv4"]


def _namespace(obj: Obj) -> None:
    name = _child(obj, "metadata").get("name")
    if name:
        _child(obj["metadata"], "labels")["kubernetes.io/metadata.name"] = name
    status = _child(obj, "status")
    if not status.get("phase"):
        status["phase"] = "Active"


def _node(obj: Obj) -> None:
    spec = _child(obj, "spec")
    cidrs = _list(spec, "podCIDRs")
    if spec.get("podCIDR") and not cidrs:
        spec["podCIDRs"] = [spec["podCIDR"]]
    elif cidrs and not spec.get("podCIDR"):
        spec["podCIDR"] = cidrs[0]
    status = _child(obj, "status")
    _normalize_quantities(status, "capacity")
    _normalize_quantities(status, "allocatable")
    if status.get("allocatable") is None and isinstance(status.get("capacity"), dict):
        status["allocatable"] = dict(status["capacity"])
    info = _child(status, "nodeInfo")
    for name in _NODE_INFO_FIELDS:
        _setdefault(info, name, "")
    endpoint = _child(_child(status, "daemonEndpoints"), "kubeletEndpoint")
    _setdefault(endpoint, "Port", 0)


def _endpoints(obj: Obj) -> None:
    for subset in _dicts(obj, "subsets"):
        for port in _dicts(subset, "ports"):
            if not port.get("protocol"):
                port["protocol"] = "TCP"


def _secret(obj: Obj) -> None:
    if not obj.get("type"):
        obj["type"] = "Opaque"
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = _child(obj, "data")
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()


def _event(obj: Obj) -> None:
    _child(obj, "involvedObject")


def _persistent_volume(obj: Obj) -> None:
    spec = _child(obj, "spec")
    if not spec.get("persistentVolumeReclaimPolicy"):
        spec["persistentVolumeReclaimPolicy"] = "Retain"
    _setdefault(spec, "volumeMode", "Filesystem")
    _normalize_quantities(spec, "capacity")
    host_path = spec.get("hostPath")
    if isinstance(host_path, dict):
        _setdefault(host_path, "type", "")
    status = _child(obj, "status")
    if not status.get("phase"):
        status["phase"] = "Pending"


def _pvc(obj: Obj) -> None:
    _pvc_spec(_child(obj, "spec"))
    status = _child(obj, "status")
    if not status.get("phase"):
        status["phase"] = "Pending"
    _normalize_quantities(status, "capacity")
    _normalize_quantities(status, "allocatedResources")


# -- apps/v1 --------------------------------------------------------------------------------------

def _deployment(obj: Obj) -> None:
    spec = _child(obj, "spec")
    _setdefault(spec, "replicas", 1)
    strategy = _child(spec, "strategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _child(strategy, "rollingUpdate")
        _setdefault(rolling, "maxUnavailable", "25%")
        _setdefault(rolling, "maxSurge", "25%")
    _setdefault(spec, "revisionHistoryLimit", 10)
    _setdefault(spec, "progressDeadlineSeconds", 600)
    _template(spec)


def _replica_set(obj: Obj) -> None:
    spec = _child(obj, "spec")
    _setdefault(spec, "replicas", 1)
    _template(spec)


def _daemon_set(obj: Obj) -> None:
    spec = _child(obj, "spec")
    strategy = _child(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _child(strategy, "rollingUpdate")
        _setdefault(rolling, "maxUnavailable", 1)
        _setdefault(rolling, "maxSurge", 0)
    _setdefault(spec, "revisionHistoryLimit", 10)
    _template(spec)


def _stateful_set(obj: Obj) -> None:
    spec = _child(obj, "spec")
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    strategy = _child(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        _child(strategy, "rollingUpdate")
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict):
        _setdefault(rolling, "partition", 0)
    policy = _child(spec, "persistentVolumeClaimRetentionPolicy")
    if not policy.get("whenDeleted"):
        policy["whenDeleted"] = "Retain"
    if not policy.get("whenScaled"):
        policy["whenScaled"] = "Retain"
    _setdefault(spec, "replicas", 1)
    _setdefault(spec, "revisionHistoryLimit", 10)
    _template(spec)
    for claim in _dicts(spec, "volumeClaimTemplates"):
        # pkg/apis/apps/v1/conversion.go stamps the embedded claims' TypeMeta
        claim["apiVersion"] = "v1"
        claim["kind"] = "PersistentVolumeClaim"
        _child(claim, "metadata")
        _pvc(claim)


# -- batch/v1 -------------------------------------------------------------------------------------

def generate_job_selector(job: Obj, uid: str) -> None:
    """``generateSelector`` (pkg/registry/batch/job/strategy.go): the template gets the
    ``job-name`` and ``controller-uid`` labels (prefixed and legacy), and the selector
    matches ``batch.kubernetes.io/controller-uid``. Labels already present are kept, so a
    conflicting user value fails validation as upstream's does."""
    meta = _child(job, "metadata")
    spec = _child(job, "spec")
    template_meta = _child(_child(spec, "template"), "metadata")
    labels = _child(template_meta, "labels")
    name = str(meta.get("name") or "")
    for label in (LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL):
        labels.setdefault(label, name)
    for label in (LEGACY_JOB_CONTROLLER_UID_LABEL, JOB_CONTROLLER_UID_LABEL):
        labels.setdefault(label, uid)
    match = _child(_child(spec, "selector"), "matchLabels")
    match.setdefault(JOB_CONTROLLER_UID_LABEL, uid)


def _job(obj: Obj, storage: bool = True) -> None:
    meta = _child(obj, "metadata")
    spec = _child(obj, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    _setdefault(spec, "parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6
    _setdefault(spec, "completionMode", "NonIndexed")
    _setdefault(spec, "suspend", False)
    failure_policy = spec.get("podFailurePolicy")
    if isinstance(failure_policy, dict):
        for rule in _dicts(failure_policy, "rules"):
            for pattern in _dicts(rule, "onPodConditions"):
                if not pattern.get("status"):
                    pattern["status"] = "True"
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = ("Failed" if failure_policy is not None
                                        else "TerminatingOrFailed")
    _setdefault(spec, "manualSelector", False)
    _template(spec)
    # The Job REST strategy generates the selector on create (PrepareForCreate). A Job
    # being created has no creationTimestamp yet; its uid is chosen here when absent (the
    # store keeps a uid that is already set).
    if storage and not spec["manualSelector"] and not meta.get("creationTimestamp"):
        if not meta.get("uid"):
            meta["uid"] = str(uuid.uuid4())
        generate_job_selector(obj, str(meta["uid"]))
    # SetDefaults_Job copies the template's labels when the Job has none; defaults run again
    # when the stored object is read, so the generated labels show on the Job too.
    template_labels = spec["template"]["metadata"].get("labels")
    if template_labels and not meta.get("labels"):
        meta["labels"] = dict(template_labels)


# -- other groups ---------------------------------------------------------------------------------

def _storage_class(obj: Obj) -> None:
    if not obj.get("reclaimPolicy"):
        obj["reclaimPolicy"] = "Delete"
    if not obj.get("volumeBindingMode"):
        obj["volumeBindingMode"] = "Immediate"


def _endpoint_slice(obj: Obj) -> None:
    for port in _dicts(obj, "ports"):
        _setdefault(port, "name", "")
        _setdefault(port, "protocol", "TCP")
    for endpoint in _dicts(obj, "endpoints"):
        _child(endpoint, "conditions")


def _binding(obj: Obj) -> None:
    role_ref = _child(obj, "roleRef")
    if not role_ref.get("apiGroup"):
        role_ref["apiGroup"] = "rbac.authorization.k8s.io"
    for subject in _dicts(obj, "subjects"):
        # ServiceAccount subjects keep the core group "", which v1 omits
        if not subject.get("apiGroup") and subject.get("kind") in ("User", "Group"):
            subject["apiGroup"] = "rbac.authorization.k8s.io"


_DEFAULTERS: dict[tuple[str, str], Callable[[Obj], None]] = {
    ("", "Pod"): _pod,
    ("", "Namespace"): _namespace,
    ("", "Node"): _node,
    ("", "Endpoints"): _endpoints,
    ("", "Secret"): _secret,
    ("", "Event"): _event,
    ("", "PersistentVolume"): _persistent_volume,
    ("", "PersistentVolumeClaim"): _pvc,
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replica_set,
    ("apps", "DaemonSet"): _daemon_set,
    ("apps", "StatefulSet"): _stateful_set,
    ("storage.k8s.io", "StorageClass"): _storage_class,
    ("discovery.k8s.io", "EndpointSlice"): _endpoint_slice,
    ("rbac.authorization.k8s.io", "RoleBinding"): _binding,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _binding,
}

#: the kinds whose defaulting also does REST storage work (left out with ``storage=False``)
_WITH_STORAGE: dict[tuple[str, str], Callable[[Obj, bool], None]] = {
    ("", "Service"): _service,
    ("batch", "Job"): _job,
}
