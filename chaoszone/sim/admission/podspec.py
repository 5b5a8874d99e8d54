"""Pod and pod-template validation: the PodSpec rules shared by pods and every workload
template, the pod-only rules on create, and what a pod update may change.

Covered: containers (required; name, image, ports, env, envFrom, volume mounts, pull
policy, termination message policy, resources with requests <= limits, probes and
lifecycle handlers, sidecar rules for init containers), volumes (name, exactly one source,
the common sources' required fields), restart and DNS policies, ``dnsConfig`` with
``dnsPolicy: None``, node selector, tolerations, affinity and topology spread
(:mod:`.placement`), scheduling gates, readiness gates, hostname/subdomain, node and
service-account names, ``activeDeadlineSeconds``, priority class, preemption policy,
``os.name``, host aliases and host-port conflicts. Security contexts are not validated.

Pod updates: only container images, ``activeDeadlineSeconds`` (set, or lowered),
additions to tolerations (an existing one may change only ``tolerationSeconds``),
removal of scheduling gates, ``terminationGracePeriodSeconds`` from negative to 1, and for
pods that are still gated, additions to ``nodeSelector``; anything else is
``spec: Forbidden: pod updates may not change fields other than ...`` followed by a diff
(upstream prints a go-cmp diff; here a shorter one listing the changed PodSpec fields).

Upstream (release-1.32): pkg/apis/core/validation/validation.go ``ValidatePodSpec``,
``validateContainers``, ``validateInitContainers``, ``validateContainerCommon``,
``ValidateVolumes``, ``ValidateVolumeMounts``, ``ValidateEnv``,
``ValidateContainerResourceRequirements``, ``validateProbe``, ``validateHandler``,
``ValidatePodCreate``, ``ValidatePodUpdate``, ``ValidateContainerUpdates``,
``ValidatePodTemplateSpec``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from chaoszone.sim.admission import causes as c
from chaoszone.sim.admission import quantity
from chaoszone.sim.admission.meta import (
    validate_annotations,
    validate_labels,
    validate_nonnegative,
)
from chaoszone.sim.admission.names import (
    inclusive_range_error,
    is_config_map_key,
    is_dns1123_label,
    is_env_var_name,
    is_qualified_name,
    is_valid_ip,
    is_valid_port_name,
    is_valid_port_num,
    name_is_dns_subdomain,
)
from chaoszone.sim.admission.placement import (
    validate_affinity,
    validate_topology_spread_constraints,
)
from chaoszone.sim.admission.tolerations import (
    validate_only_added_tolerations,
    validate_tolerations,
)
from chaoszone.sim.errors import Cause

__all__ = [
    "semantic",
    "validate_pod_create",
    "validate_pod_spec",
    "validate_pod_template",
    "validate_pod_update",
]

MAX_INT32 = 2**31 - 1
_FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive"
_POD_UPDATABLE = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
    "negative)",
)


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    """An integer field's value; anything else (the decoder's business) counts as unset."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _seq(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _dns_label(value: str, path: str) -> list[Cause]:
    return [c.invalid(path, value, m) for m in is_dns1123_label(value)]


def semantic(value: Any) -> Any:
    """A comparable form of a JSON value with apimachinery's ``Semantic.DeepEqual`` leniency:
    null fields and empty lists count as absent."""
    if isinstance(value, dict):
        return {k: semantic(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [semantic(v) for v in value]
    return value


# -- ports, env, mounts ---------------------------------------------------------------------------

def _port_num_or_name(port: Any, path: str) -> list[Cause]:
    if isinstance(port, bool):
        return [c.invalid(path, port, "must be an integer or string")]
    if isinstance(port, int):
        return [c.invalid(path, port, m) for m in is_valid_port_num(port)]
    if isinstance(port, str):
        if not port:
            return [c.required(path)]
        return [c.invalid(path, port, m) for m in is_valid_port_name(port)]
    return [c.invalid(path, c.GoRepr("null"), "must be an integer or string")]


def _container_ports(ports: Sequence[Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    names: set[str] = set()
    for i, raw in enumerate(ports):
        port = _m(raw)
        at = c.index(path, i)
        name = port.get("name") or ""
        if name:
            msgs = is_valid_port_name(name)
            if msgs:
                out += [c.invalid(c.join(at, "name"), name, m) for m in msgs]
            elif name in names:
                out.append(c.duplicate(c.join(at, "name"), name))
            else:
                names.add(name)
        container_port = _int(port.get("containerPort")) or 0
        if not container_port:
            out.append(c.required(c.join(at, "containerPort")))
        else:
            out += [c.invalid(c.join(at, "containerPort"), container_port, m)
                    for m in is_valid_port_num(container_port)]
        host_port = _int(port.get("hostPort")) or 0
        if host_port:
            out += [c.invalid(c.join(at, "hostPort"), host_port, m)
                    for m in is_valid_port_num(host_port)]
        protocol = port.get("protocol") or ""
        if not protocol:
            out.append(c.required(c.join(at, "protocol")))
        elif protocol not in ("SCTP", "TCP", "UDP"):
            out.append(c.not_supported(c.join(at, "protocol"), protocol, ("SCTP", "TCP", "UDP")))
    return out


_CONVERTIBLE_FIELD_PATHS = frozenset({
    "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace",
    "metadata.uid", "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName",
    "spec.schedulerName", "status.phase", "status.hostIP", "status.hostIPs", "status.podIP",
    "status.podIPs"})
_ENV_FIELD_PATHS = ("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                    "spec.serviceAccountName", "status.hostIP", "status.hostIPs",
                    "status.podIP", "status.podIPs")
_SUBSCRIPTED = re.compile(r"^([^\[]+)\['(.*)'\]\Z")


def _object_field_selector(ref: Mapping[str, Any], path: str,
                           allowed: Sequence[str]) -> list[Cause]:
    """``validateObjectFieldSelector`` for env ``fieldRef`` and downward API volumes."""
    if not ref.get("apiVersion"):
        return [c.required(c.join(path, "apiVersion"))]
    field_path = str(ref.get("fieldPath") or "")
    if not field_path:
        return [c.required(c.join(path, "fieldPath"))]
    sub = _SUBSCRIPTED.match(field_path)
    if sub:
        base, subscript = sub.groups()
        if base == "metadata.labels":
            return [c.invalid(path, subscript, m) for m in is_qualified_name(subscript)]
        if base == "metadata.annotations":
            return [c.invalid(path, subscript, m) for m in is_qualified_name(subscript.lower())]
        return [c.invalid(c.join(path, "fieldPath"), field_path, "error converting fieldPath: "
                          f"field label does not support subscript: {field_path}")]
    if field_path not in _CONVERTIBLE_FIELD_PATHS:
        return [c.invalid(c.join(path, "fieldPath"), field_path, "error converting fieldPath: "
                          f"field label not supported: {field_path}")]
    if field_path not in allowed:
        return [c.not_supported(c.join(path, "fieldPath"), field_path, sorted(allowed))]
    return []


def _key_selector(ref: Mapping[str, Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    if not ref.get("name"):
        out.append(c.required(c.join(path, "name")))
    key = ref.get("key") or ""
    if not key:
        out.append(c.required(c.join(path, "key")))
    else:
        out += [c.invalid(c.join(path, "key"), key, m) for m in is_config_map_key(key)]
    return out


def _env(env: Sequence[Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    for i, raw in enumerate(env):
        ev = _m(raw)
        at = c.index(path, i)
        name = ev.get("name") or ""
        if not name:
            out.append(c.required(c.join(at, "name")))
        else:
            out += [c.invalid(c.join(at, "name"), name, m) for m in is_env_var_name(name)]
        source = ev.get("valueFrom")
        if not isinstance(source, dict):
            continue
        from_path = c.join(at, "valueFrom")
        count = 0
        if isinstance(source.get("fieldRef"), dict):
            count += 1
            out += _object_field_selector(source["fieldRef"], c.join(from_path, "fieldRef"),
                                          _ENV_FIELD_PATHS)
        if isinstance(source.get("resourceFieldRef"), dict):
            count += 1
        for name_ in ("configMapKeyRef", "secretKeyRef"):
            if isinstance(source.get(name_), dict):
                count += 1
                out += _key_selector(source[name_], c.join(from_path, name_))
        if count == 0:
            out.append(c.invalid(from_path, "", "must specify one of: `fieldRef`, "
                                 "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
        elif ev.get("value"):
            out.append(c.invalid(from_path, "", "may not be specified when `value` is not empty"))
        elif count > 1:
            out.append(c.invalid(from_path, "",
                                 "may not have more than one field specified at a time"))
    return out


def _env_from(sources: Sequence[Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    for i, raw in enumerate(sources):
        src = _m(raw)
        at = c.index(path, i)
        prefix = src.get("prefix") or ""
        if prefix:
            out += [c.invalid(c.join(at, "prefix"), prefix, m) for m in is_env_var_name(prefix)]
        count = 0
        for name in ("configMapRef", "secretRef"):
            ref = src.get(name)
            if isinstance(ref, dict):
                count += 1
                if not ref.get("name"):
                    out.append(c.required(c.join(at, name, "name")))
        if count == 0:
            out.append(c.invalid(at, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif count > 1:
            out.append(c.invalid(at, "", "may not have more than one field specified at a time"))
    return out


def _no_backsteps(value: str, path: str) -> list[Cause]:
    if ".." in value.replace("\\", "/").split("/"):
        return [c.invalid(path, value, "must not contain '..'")]
    return []


def _local_descending_path(value: str, path: str) -> list[Cause]:
    out: list[Cause] = []
    if value.startswith("/"):
        out.append(c.invalid(path, value, "must be a relative path"))
    return out + _no_backsteps(value, path)


def _volume_mounts(mounts: Sequence[Any], volumes: set[str], path: str) -> list[Cause]:
    out: list[Cause] = []
    seen: set[str] = set()
    for i, raw in enumerate(mounts):
        mnt = _m(raw)
        at = c.index(path, i)
        name = mnt.get("name") or ""
        if not name:
            out.append(c.required(c.join(at, "name")))
        if name not in volumes:
            out.append(c.not_found(c.join(at, "name"), name))
        mount_path = mnt.get("mountPath") or ""
        if not mount_path:
            out.append(c.required(c.join(at, "mountPath")))
        if mount_path in seen:
            out.append(c.invalid(c.join(at, "mountPath"), mount_path, "must be unique"))
        seen.add(mount_path)
        if mnt.get("subPath"):
            out += _local_descending_path(str(mnt["subPath"]), c.join(path, "subPath"))
        propagation = mnt.get("mountPropagation")
        if propagation is not None and propagation not in (
                "Bidirectional", "HostToContainer", "None"):
            out.append(c.not_supported(c.join(path, "mountPropagation"), propagation,
                                       ("Bidirectional", "HostToContainer", "None")))
    return out


# -- resources ------------------------------------------------------------------------------------

_STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")


def _resource_name(name: str, path: str) -> list[Cause]:
    """``validateContainerResourceName``."""
    msgs = is_qualified_name(name)
    if msgs:
        return [c.invalid(path, name, m) for m in msgs]
    if "/" not in name:
        if name in _STANDARD_CONTAINER_RESOURCES or name.startswith("hugepages-"):
            return []
        return [c.invalid(path, name, "must be a standard resource for containers")]
    native = "kubernetes.io/" in name
    if not native and name.startswith("requests."):
        return [c.invalid(path, name, "doesn't follow extended resource name standard")]
    return []


def _overcommit_allowed(name: str) -> bool:
    return name in _STANDARD_CONTAINER_RESOURCES


def _quantity_value(name: str, raw: Any, path: str) -> list[Cause]:
    try:
        value = quantity.parse(raw)
    except quantity.QuantityError:
        return [c.invalid(path, str(raw), "quantities must match the regular expression "
                          "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
    if value < 0:
        return [c.invalid(path, str(raw), "must be greater than or equal to 0")]
    if not _overcommit_allowed(name) and not name.startswith("hugepages-") \
            and value != value.to_integral_value():
        return [c.invalid(path, str(raw), "must be an integer")]
    return []


def validate_resources(resources: Mapping[str, Any], path: str) -> list[Cause]:
    """``ValidateContainerResourceRequirements`` (without pod-level resources)."""
    out: list[Cause] = []
    limits = _m(resources.get("limits"))
    requests = _m(resources.get("requests"))
    limits_path = c.join(path, "limits")
    requests_path = c.join(path, "requests")
    for name, raw in limits.items():
        at = c.key(limits_path, name)
        out += _resource_name(name, at)
        out += _quantity_value(name, raw, at)
    for name, raw in requests.items():
        at = c.key(requests_path, name)
        out += _resource_name(name, at)
        out += _quantity_value(name, raw, at)
        if name in limits:
            try:
                req, lim = quantity.parse(raw), quantity.parse(limits[name])
            except quantity.QuantityError:
                continue
            if req != lim and not _overcommit_allowed(name):
                out.append(c.invalid(requests_path, str(raw),
                                     f"must be equal to {name} limit of {limits[name]}"))
            elif req > lim:
                out.append(c.invalid(requests_path, str(raw),
                                     f"must be less than or equal to {name} limit of "
                                     f"{limits[name]}"))
    return out


# -- probes and handlers --------------------------------------------------------------------------

def _handler(handler: Mapping[str, Any], path: str, *, lifecycle: bool) -> list[Cause]:
    out: list[Cause] = []
    count = 0
    kinds = ("exec", "httpGet", "tcpSocket", "grpc") if not lifecycle else (
        "exec", "httpGet", "tcpSocket", "sleep")
    for kind in kinds:
        action = handler.get(kind)
        if not isinstance(action, dict):
            continue
        at = c.join(path, kind)
        if count > 0:
            out.append(c.forbidden(at, "may not specify more than 1 handler type"))
            continue
        count += 1
        if kind == "exec":
            if not action.get("command"):
                out.append(c.required(c.join(at, "command")))
        elif kind == "httpGet":
            if not action.get("path"):
                out.append(c.required(c.join(at, "path")))
            out += _port_num_or_name(action.get("port"), c.join(at, "port"))
            scheme = action.get("scheme") or ""
            if scheme not in ("HTTP", "HTTPS"):
                out.append(c.not_supported(c.join(at, "scheme"), scheme, ("HTTP", "HTTPS")))
        elif kind == "tcpSocket":
            out += _port_num_or_name(action.get("port"), c.join(at, "port"))
        elif kind == "grpc":
            port = action.get("port", 0)
            if not isinstance(port, int) or isinstance(port, bool):
                out.append(c.invalid(c.join(at, "port"), port, "must be an integer"))
            else:
                out += [c.invalid(c.join(at, "port"), port, m) for m in is_valid_port_num(port)]
        elif kind == "sleep":
            seconds = action.get("seconds", 0)
            if not isinstance(seconds, int) or seconds <= 0:
                out.append(c.invalid(c.join(at, "seconds"), seconds, "must be greater than 0"))
    if count == 0:
        out.append(c.required(path, "must specify a handler type"))
    return out


def _probe(probe: Any, path: str, *, must_succeed_once: bool) -> list[Cause]:
    if not isinstance(probe, dict):
        return []
    out = _handler(probe, path, lifecycle=False)
    for name in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                 "failureThreshold"):
        out += validate_nonnegative(probe.get(name), c.join(path, name))
    grace = _int(probe.get("terminationGracePeriodSeconds"))
    if grace is not None and grace <= 0:
        out.append(c.invalid(c.join(path, "terminationGracePeriodSeconds"), grace,
                             "must be greater than 0"))
    if must_succeed_once and probe.get("successThreshold", 1) != 1:
        out.append(c.invalid(c.join(path, "successThreshold"), probe.get("successThreshold"),
                             "must be 1"))
    return out


def _lifecycle(lifecycle: Any, path: str) -> list[Cause]:
    out: list[Cause] = []
    if not isinstance(lifecycle, dict):
        return out
    for hook in ("postStart", "preStop"):
        if isinstance(lifecycle.get(hook), dict):
            out += _handler(lifecycle[hook], c.join(path, hook), lifecycle=True)
    return out


# -- containers -----------------------------------------------------------------------------------

def _container_common(ctr: Mapping[str, Any], volumes: set[str], path: str) -> list[Cause]:
    out: list[Cause] = []
    name = ctr.get("name") or ""
    if not name:
        out.append(c.required(c.join(path, "name")))
    else:
        out += _dns_label(name, c.join(path, "name"))
    if not ctr.get("image"):
        out.append(c.required(c.join(path, "image")))
    policy = ctr.get("terminationMessagePolicy") or ""
    if not policy:
        out.append(c.required(c.join(path, "terminationMessagePolicy")))
    elif policy not in ("File", "FallbackToLogsOnError"):
        out.append(c.not_supported(c.join(path, "terminationMessagePolicy"), policy,
                                   ("File", "FallbackToLogsOnError")))
    out += _container_ports(_seq(ctr.get("ports")), c.join(path, "ports"))
    out += _env(_seq(ctr.get("env")), c.join(path, "env"))
    out += _env_from(_seq(ctr.get("envFrom")), c.join(path, "envFrom"))
    out += _volume_mounts(_seq(ctr.get("volumeMounts")), volumes, c.join(path, "volumeMounts"))
    pull = ctr.get("imagePullPolicy") or ""
    if not pull:
        out.append(c.required(c.join(path, "imagePullPolicy")))
    elif pull not in ("Always", "IfNotPresent", "Never"):
        out.append(c.not_supported(c.join(path, "imagePullPolicy"), pull,
                                   ("Always", "IfNotPresent", "Never")))
    out += validate_resources(_m(ctr.get("resources")), c.join(path, "resources"))
    return out


def _probes_and_lifecycle(ctr: Mapping[str, Any], path: str) -> list[Cause]:
    out = _lifecycle(ctr.get("lifecycle"), c.join(path, "lifecycle"))
    out += _probe(ctr.get("livenessProbe"), c.join(path, "livenessProbe"), must_succeed_once=True)
    out += _probe(ctr.get("readinessProbe"), c.join(path, "readinessProbe"),
                  must_succeed_once=False)
    out += _probe(ctr.get("startupProbe"), c.join(path, "startupProbe"), must_succeed_once=True)
    return out


def _containers(containers: list[Any], volumes: set[str], path: str) -> list[Cause]:
    out: list[Cause] = []
    if not containers:
        return [c.required(path)]
    names: set[str] = set()
    for i, raw in enumerate(containers):
        ctr = _m(raw)
        at = c.index(path, i)
        out += _container_common(ctr, volumes, at)
        name = ctr.get("name") or ""
        if name in names:
            out.append(c.duplicate(c.join(at, "name"), name))
        else:
            names.add(name)
        out += _probes_and_lifecycle(ctr, at)
        if ctr.get("restartPolicy") is not None:
            out.append(c.forbidden(c.join(at, "restartPolicy"),
                                   "may not be set for non-init containers"))
    return out


def _init_containers(containers: list[Any], others: list[Any], volumes: set[str],
                     path: str) -> list[Cause]:
    out: list[Cause] = []
    names = {str(_m(o).get("name") or "") for o in others}
    for i, raw in enumerate(containers):
        ctr = _m(raw)
        at = c.index(path, i)
        out += _container_common(ctr, volumes, at)
        name = ctr.get("name") or ""
        if name in names:
            out.append(c.duplicate(c.join(at, "name"), name))
        if name:
            names.add(name)
        restart = ctr.get("restartPolicy")
        if restart is not None and restart != "Always":
            out.append(c.not_supported(c.join(at, "restartPolicy"), restart, ("Always",)))
        if restart == "Always":
            out += _probes_and_lifecycle(ctr, at)
        else:
            for field in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if ctr.get(field) is not None:
                    out.append(c.forbidden(c.join(at, field), "may not be set for init "
                                           "containers without restartPolicy=Always"))
    return out


def _host_port_conflicts(spec: Mapping[str, Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    seen: set[str] = set()
    for group in ("containers", "initContainers"):
        for ci, ctr in enumerate(_seq(spec.get(group))):
            for pi, raw in enumerate(_seq(_m(ctr).get("ports"))):
                port = _m(raw)
                host_port = port.get("hostPort") or 0
                if not host_port:
                    continue
                key = f"{port.get('protocol', '')}/{port.get('hostIP', '')}/{host_port}"
                if key in seen:
                    out.append(c.duplicate(c.join(c.index(c.join(c.index(
                        c.join(path, group), ci), "ports"), pi), "hostPort"), key))
                seen.add(key)
    return out


# -- volumes --------------------------------------------------------------------------------------

_VOLUME_SOURCES = (
    "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret",
    "nfs", "iscsi", "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "quobyte", "cinder",
    "cephfs", "downwardAPI", "fc", "flexVolume", "azureFile", "vsphereVolume",
    "photonPersistentDisk", "projected", "portworxVolume", "azureDisk", "scaleIO", "storageos",
    "configMap", "csi", "ephemeral", "image",
)
_HOST_PATH_TYPES = ("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File",
                    "FileOrCreate", "Socket")
_VOLUME_FIELD_PATHS = ("metadata.annotations", "metadata.labels", "metadata.name",
                       "metadata.namespace", "metadata.uid")


def _file_mode(mode: Any, path: str) -> list[Cause]:
    if mode is not None and (not isinstance(mode, int) or not 0 <= mode <= 0o777):
        return [c.invalid(path, mode, _FILE_MODE_ERROR)]
    return []


def _key_to_paths(items: Sequence[Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    for i, raw in enumerate(items):
        item = _m(raw)
        at = c.index(path, i)
        if not item.get("key"):
            out.append(c.required(c.join(at, "key")))
        target = item.get("path") or ""
        if not target:
            out.append(c.required(c.join(at, "path")))
        else:
            out += _local_descending_path(target, c.join(at, "path"))
        out += _file_mode(item.get("mode"), c.join(at, "mode"))
    return out


def _volume_source(v: Mapping[str, Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    count = 0
    for kind in _VOLUME_SOURCES:
        source = v.get(kind)
        if source is None:
            continue
        at = c.join(path, kind)
        if count > 0:
            out.append(c.forbidden(at, "may not specify more than 1 volume type"))
            continue
        count += 1
        s = _m(source)
        if kind == "hostPath":
            if not s.get("path"):
                out.append(c.required(c.join(at, "path")))
            else:
                out += _no_backsteps(str(s["path"]), c.join(at, "path"))
            host_type = s.get("type") or ""
            if host_type not in _HOST_PATH_TYPES:
                out.append(c.not_supported(c.join(at, "type"), host_type, _HOST_PATH_TYPES))
        elif kind == "secret":
            if not s.get("secretName"):
                out.append(c.required(c.join(at, "secretName")))
            out += _file_mode(s.get("defaultMode"), c.join(at, "defaultMode"))
            out += _key_to_paths(_seq(s.get("items")), c.join(at, "items"))
        elif kind == "configMap":
            if not s.get("name"):
                out.append(c.required(c.join(at, "name")))
            out += _file_mode(s.get("defaultMode"), c.join(at, "defaultMode"))
            out += _key_to_paths(_seq(s.get("items")), c.join(at, "items"))
        elif kind == "persistentVolumeClaim":
            if not s.get("claimName"):
                out.append(c.required(c.join(at, "claimName")))
        elif kind == "nfs":
            if not s.get("server"):
                out.append(c.required(c.join(at, "server")))
            nfs_path = s.get("path") or ""
            if not nfs_path:
                out.append(c.required(c.join(at, "path")))
            elif not str(nfs_path).startswith("/"):
                out.append(c.invalid(c.join(at, "path"), nfs_path, "must be an absolute path"))
        elif kind == "csi":
            if not s.get("driver"):
                out.append(c.required(c.join(at, "driver")))
        elif kind == "downwardAPI":
            out += _file_mode(s.get("defaultMode"), c.join(at, "defaultMode"))
            for i, raw in enumerate(_seq(s.get("items"))):
                item = _m(raw)
                item_at = c.index(c.join(at, "items"), i)
                if not item.get("path"):
                    out.append(c.required(c.join(item_at, "path")))
                if isinstance(item.get("fieldRef"), dict):
                    out += _object_field_selector(item["fieldRef"], c.join(item_at, "fieldRef"),
                                                  _VOLUME_FIELD_PATHS)
        elif kind == "projected":
            out += _file_mode(s.get("defaultMode"), c.join(at, "defaultMode"))
        elif kind == "ephemeral":
            if not isinstance(s.get("volumeClaimTemplate"), dict):
                out.append(c.required(c.join(at, "volumeClaimTemplate")))
        elif kind == "emptyDir":
            medium = s.get("medium") or ""
            if medium not in ("", "Memory", "HugePages") and not str(medium).startswith(
                    "HugePages-"):
                out.append(c.not_supported(c.join(at, "medium"), medium,
                                           ("", "Memory", "HugePages")))
            limit = s.get("sizeLimit")
            if limit is not None:
                try:
                    negative = quantity.parse(limit) < 0
                except quantity.QuantityError:
                    negative = True
                if negative:
                    out.append(c.forbidden(c.join(at, "sizeLimit"),
                                           "SizeLimit field must be a valid resource quantity"))
    if count == 0:
        out.append(c.required(path, "must specify a volume type"))
    return out


def _volumes(volumes: list[Any], path: str) -> tuple[set[str], list[Cause]]:
    out: list[Cause] = []
    good: set[str] = set()
    names: set[str] = set()
    for i, raw in enumerate(volumes):
        v = _m(raw)
        at = c.index(path, i)
        errs = _volume_source(v, at)
        name = v.get("name") or ""
        if not name:
            errs.append(c.required(c.join(at, "name")))
        else:
            errs += _dns_label(name, c.join(at, "name"))
        if name in names:
            errs.append(c.duplicate(c.join(at, "name"), name))
        names.add(name)
        if errs:
            out += errs
        else:
            good.add(name)
    return good, out


# -- PodSpec --------------------------------------------------------------------------------------

def _enum(value: Any, path: str, allowed: Sequence[str]) -> list[Cause]:
    if not value:
        return [c.required(path)]
    if value not in allowed:
        return [c.not_supported(path, value, allowed)]
    return []


def _dns_config(spec: Mapping[str, Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    config = spec.get("dnsConfig")
    if spec.get("dnsPolicy") == "None":
        if not isinstance(config, dict):
            return [c.required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not config.get("nameservers"):
            out.append(c.required(c.join(path, "nameservers"), "must provide at least one DNS "
                                  "nameserver when `dnsPolicy` is None"))
    if not isinstance(config, dict):
        return out
    servers = _seq(config.get("nameservers"))
    if len(servers) > 3:
        out.append(c.invalid(c.join(path, "nameservers"), c.string_slice_repr(servers),
                             "must not have more than 3 nameservers"))
    for i, ns in enumerate(servers):
        out += [c.invalid(c.index(c.join(path, "nameservers"), i), ns, m)
                for m in is_valid_ip(str(ns))]
    return out


def _scheduling_gates(gates: Sequence[Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    seen: set[str] = set()
    for i, raw in enumerate(gates):
        name = str(_m(raw).get("name") or "")
        at = c.index(path, i)
        out += [c.invalid(c.join(at, "name"), name, m) for m in is_qualified_name(name)]
        if name in seen:
            out.append(c.duplicate(at, name))
        seen.add(name)
    return out


def validate_pod_spec(spec: Any, path: str) -> list[Cause]:
    """``ValidatePodSpec``: the rules pods and pod templates share."""
    s = _m(spec)
    out: list[Cause] = []
    if s.get("terminationGracePeriodSeconds") is None:
        out.append(c.required(c.join(path, "terminationGracePeriodSeconds")))
    volumes, errs = _volumes(_seq(s.get("volumes")), c.join(path, "volumes"))
    out += errs
    containers = _seq(s.get("containers"))
    out += _containers(containers, volumes, c.join(path, "containers"))
    out += _init_containers(_seq(s.get("initContainers")), containers, volumes,
                            c.join(path, "initContainers"))
    out += _enum(s.get("restartPolicy"), c.join(path, "restartPolicy"),
                 ("Always", "OnFailure", "Never"))
    out += _enum(s.get("dnsPolicy"), c.join(path, "dnsPolicy"),
                 ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"))
    out += validate_labels(s.get("nodeSelector"), c.join(path, "nodeSelector"))
    out += validate_affinity(s.get("affinity"), c.join(path, "affinity"))
    out += _dns_config(s, c.join(path, "dnsConfig"))
    for i, gate in enumerate(_seq(s.get("readinessGates"))):
        condition = str(_m(gate).get("conditionType") or "")
        out += [c.invalid(c.join(c.index(c.join(path, "readinessGates"), i), "conditionType"),
                          condition, m) for m in is_qualified_name(condition)]
    out += _scheduling_gates(_seq(s.get("schedulingGates")), c.join(path, "schedulingGates"))
    out += validate_topology_spread_constraints(_seq(s.get("topologySpreadConstraints")),
                                                c.join(path, "topologySpreadConstraints"))
    for name in ("serviceAccountName", "nodeName", "priorityClassName"):
        value = s.get(name)
        if value:
            out += [c.invalid(c.join(path, name), value, m)
                    for m in name_is_dns_subdomain(str(value), False)]
    deadline = _int(s.get("activeDeadlineSeconds"))
    if deadline is not None and not 1 <= deadline <= MAX_INT32:
        out.append(c.invalid(c.join(path, "activeDeadlineSeconds"), deadline,
                             inclusive_range_error(1, MAX_INT32)))
    for name in ("hostname", "subdomain"):
        if s.get(name):
            out += _dns_label(str(s[name]), c.join(path, name))
    if s.get("tolerations"):
        out += validate_tolerations(_seq(s.get("tolerations")), c.join(path, "tolerations"))
    for i, raw in enumerate(_seq(s.get("hostAliases"))):
        alias = _m(raw)
        at = c.index(c.join(path, "hostAliases"), i)
        out += [c.invalid(c.join(at, "ip"), alias.get("ip", ""), m)
                for m in is_valid_ip(str(alias.get("ip") or ""))]
    policy = s.get("preemptionPolicy")
    if policy is not None:
        out += _enum(policy, c.join(path, "preemptionPolicy"), ("PreemptLowerPriority", "Never"))
    os_name = _m(s.get("os")).get("name")
    if s.get("os") is not None and os_name not in ("linux", "windows"):
        out.append(c.not_supported(c.join(path, "os", "name"), os_name, ("linux", "windows")))
    out += _host_port_conflicts(s, path)
    return out


def validate_pod_template(template: Any, path: str) -> list[Cause]:
    """``ValidatePodTemplateSpec``: note the labels path is ``template.labels``."""
    t = _m(template)
    meta = _m(t.get("metadata"))
    out = validate_labels(meta.get("labels"), c.join(path, "labels"))
    out += validate_annotations(meta.get("annotations"), c.join(path, "annotations"))
    out += validate_pod_spec(t.get("spec"), c.join(path, "spec"))
    if _seq(_m(t.get("spec")).get("ephemeralContainers")):
        out.append(c.forbidden(c.join(path, "spec", "ephemeralContainers"),
                               "ephemeral containers not allowed in pod template"))
    return out


def _images_trimmed(containers: Sequence[Any], path: str) -> list[Cause]:
    out: list[Cause] = []
    for i, raw in enumerate(containers):
        image = _m(raw).get("image")
        if isinstance(image, str) and image != image.strip():
            out.append(c.invalid(c.join(c.index(path, i), "image"), image,
                                 "must not have leading or trailing whitespace"))
    return out


def _pod_only(pod: Mapping[str, Any]) -> list[Cause]:
    spec = _m(pod.get("spec"))
    out = validate_pod_spec(spec, "spec")
    if not spec.get("serviceAccountName"):
        for vi, v in enumerate(_seq(spec.get("volumes"))):
            for si, src in enumerate(_seq(_m(_m(v).get("projected")).get("sources"))):
                if isinstance(_m(src).get("serviceAccountToken"), dict):
                    out.append(c.forbidden(
                        f"spec.volumes[{vi}].projected.sources[{si}].serviceAccountToken",
                        "must not be specified when serviceAccountName is not set"))
    out += _images_trimmed(_seq(spec.get("containers")), "spec.containers")
    out += _images_trimmed(_seq(spec.get("initContainers")), "spec.initContainers")
    return out


def validate_pod_create(pod: Mapping[str, Any]) -> list[Cause]:
    """The pod-only part of ``ValidatePodCreate`` (metadata is validated by the caller)."""
    spec = _m(pod.get("spec"))
    out = _pod_only(pod)
    if _seq(spec.get("ephemeralContainers")):
        out.append(c.forbidden("spec.ephemeralContainers", "cannot be set on create"))
    if spec.get("nodeName") and _seq(spec.get("schedulingGates")):
        out.append(c.forbidden("spec.nodeName",
                               "cannot be set until all schedulingGates have been cleared"))
    return out


# -- pod update -----------------------------------------------------------------------------------

_GO_NAMES = {"dnsPolicy": "DNSPolicy", "dnsConfig": "DNSConfig", "hostIPC": "HostIPC",
             "hostPID": "HostPID", "os": "OS", "hostUsers": "HostUsers"}


def _spec_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    lines = ["  core.PodSpec{"]
    same = 0
    for name in sorted(set(old) | set(new)):
        o, n = semantic(old.get(name)), semantic(new.get(name))
        if o == n:
            same += 1
            continue
        go = _GO_NAMES.get(name, name[:1].upper() + name[1:])
        if name in old:
            lines.append(f"- \t{go}: {json.dumps(old[name], sort_keys=True)},")
        if name in new:
            lines.append(f"+ \t{go}: {json.dumps(new[name], sort_keys=True)},")
    if same:
        lines.insert(1, f"  \t... // {same} identical fields")
    lines.append("  }")
    return "\n".join(lines)


def _container_updates(new: list[Any], path: str, old: list[Any]) -> tuple[list[Cause], bool]:
    if len(new) != len(old):
        return [c.forbidden(path, "pod updates may not add or remove containers")], True
    out: list[Cause] = []
    for i, raw in enumerate(new):
        image = _m(raw).get("image")
        if not image:
            out.append(c.required(c.join(c.index(path, i), "image")))
        elif image != image.strip():
            out.append(c.invalid(c.join(c.index(path, i), "image"), image,
                                 "must not have leading or trailing whitespace"))
    return out, False


def validate_pod_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    """The spec part of ``ValidatePodUpdate`` (metadata is validated by the caller)."""
    new_spec = dict(_m(new.get("spec")))
    old_spec = _m(old.get("spec"))
    out = _pod_only(new)
    for group in ("containers", "initContainers"):
        errs, stop = _container_updates(_seq(new_spec.get(group)), c.join("spec", group),
                                        _seq(old_spec.get(group)))
        out += errs
        if stop:
            return out
    deadline = _int(new_spec.get("activeDeadlineSeconds"))
    old_deadline = _int(old_spec.get("activeDeadlineSeconds"))
    if deadline is not None:
        if not 0 <= deadline <= MAX_INT32:
            out.append(c.invalid("spec.activeDeadlineSeconds", deadline,
                                 inclusive_range_error(0, MAX_INT32)))
            return out
        if old_deadline is not None and old_deadline < deadline:
            out.append(c.invalid("spec.activeDeadlineSeconds", deadline,
                                 "must be less than or equal to previous value"))
            return out
    elif old_deadline is not None:
        out.append(c.invalid("spec.activeDeadlineSeconds", None,
                             "must not update from a positive integer to nil value"))
    out += validate_only_added_tolerations(_seq(new_spec.get("tolerations")),
                                           _seq(old_spec.get("tolerations")), "spec.tolerations")
    old_gates = [_m(g).get("name") for g in _seq(old_spec.get("schedulingGates"))]
    for g in _seq(new_spec.get("schedulingGates")):
        name = _m(g).get("name")
        if name not in old_gates:
            out.append(c.forbidden("spec.schedulingGates", f"only deletion is allowed, but "
                                                           f"found new scheduling gate '{name}'"))
    if semantic(new_spec) == semantic(old_spec):
        return out
    munged = dict(new_spec)
    for group in ("containers", "initContainers"):
        munged[group] = [dict(_m(n), image=_m(o).get("image"))
                         for n, o in zip(_seq(new_spec.get(group)), _seq(old_spec.get(group)),
                                         strict=False)] or new_spec.get(group)
    for name in ("activeDeadlineSeconds", "schedulingGates", "tolerations"):
        munged.pop(name, None)
        if name in old_spec:
            munged[name] = old_spec[name]
    old_grace = old_spec.get("terminationGracePeriodSeconds")
    if isinstance(old_grace, int) and old_grace < 0 and munged.get(
            "terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    if old_gates:
        old_selector = _m(old_spec.get("nodeSelector"))
        new_selector = _m(munged.get("nodeSelector"))
        if new_selector != old_selector:
            if any(new_selector.get(k) != v for k, v in old_selector.items()):
                out.append(c.invalid("spec.nodeSelector", c.string_map_repr(new_selector),
                                     "only additions to spec.nodeSelector are allowed (no "
                                     "mutations or deletions)"))
            munged.pop("nodeSelector", None)
            if "nodeSelector" in old_spec:
                munged["nodeSelector"] = old_spec["nodeSelector"]
    if semantic(munged) != semantic(old_spec):
        out.append(c.forbidden("spec", "pod updates may not change fields other than "
                               + ",".join(_POD_UPDATABLE) + "\n" + _spec_diff(old_spec, munged)))
    return out
