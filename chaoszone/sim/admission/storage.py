"""Validation of PersistentVolume, PersistentVolumeClaim and StorageClass.

PV: access modes (required, enum, ReadWriteOncePod alone), ``capacity`` with exactly
``storage`` and a positive amount, exactly one volume source, reclaim policy, volume mode,
storage class name, node affinity. On update the volume source and ``volumeMode`` are
immutable, and a node affinity that is set may not change.

PVC: access modes, ``spec.resources[storage]`` required and positive, storage class name,
volume mode, selector. On update the spec is immutable except ``resources.requests`` (and
``volumeName`` once, when it was empty); a request may shrink only while it stays above
``status.capacity`` (RecoverVolumeExpansionFailure is beta and on in 1.32).

StorageClass: provisioner required (a qualified name), reclaim policy, volume binding
mode; parameters, provisioner, reclaim policy and binding mode are immutable.

Upstream (release-1.32): pkg/apis/core/validation/validation.go
``ValidatePersistentVolumeSpec``, ``ValidatePersistentVolumeUpdate``,
``ValidatePersistentVolumeClaimSpec``, ``ValidatePersistentVolumeClaimUpdate``;
pkg/apis/storage/validation/validation.go.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaoszone.sim.admission import causes as c
from chaoszone.sim.admission import quantity
from chaoszone.sim.admission.meta import (
    FIELD_IMMUTABLE,
    validate_immutable,
    validate_label_selector,
)
from chaoszone.sim.admission.names import is_qualified_name, name_is_dns_subdomain
from chaoszone.sim.admission.podspec import semantic
from chaoszone.sim.errors import Cause

__all__ = [
    "validate_persistent_volume",
    "validate_persistent_volume_update",
    "validate_pvc",
    "validate_pvc_update",
    "validate_storage_class",
    "validate_storage_class_update",
]

_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
_VOLUME_MODES = ("Block", "Filesystem")
_PV_SOURCES = (
    "gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd",
    "iscsi", "cinder", "cephfs", "fc", "flocker", "flexVolume", "azureFile", "vsphereVolume",
    "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "local",
    "storageos", "csi",
)


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _access_modes(modes: Any, path: str, required_detail: str) -> list[Cause]:
    out: list[Cause] = []
    items = list(modes) if isinstance(modes, list) else []
    if not items:
        out.append(c.required(path, required_detail))
    for mode in items:
        if mode not in _ACCESS_MODES:
            out.append(c.not_supported(path, mode, _ACCESS_MODES))
    if "ReadWriteOncePod" in items and any(m != "ReadWriteOncePod" for m in items):
        out.append(c.forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return out


def _positive(raw: Any, path: str) -> list[Cause]:
    try:
        value = quantity.parse(raw)
    except quantity.QuantityError:
        return [c.invalid(path, str(raw), "quantities must match the regular expression "
                          "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
    if value <= 0:
        return [c.invalid(path, str(raw), "must be greater than zero")]
    return []


def _class_name(name: Any, path: str) -> list[Cause]:
    if not name:
        return []
    return [c.invalid(path, name, m) for m in name_is_dns_subdomain(str(name), False)]


def _volume_mode(spec: Mapping[str, Any], path: str) -> list[Cause]:
    mode = spec.get("volumeMode")
    if mode is not None and mode not in _VOLUME_MODES:
        return [c.not_supported(path, mode, _VOLUME_MODES)]
    return []


# -- PersistentVolume -----------------------------------------------------------------------------

def validate_persistent_volume(obj: Mapping[str, Any]) -> list[Cause]:
    spec = _m(obj.get("spec"))
    out = _access_modes(spec.get("accessModes"), "spec.accessModes", "")
    capacity = _m(spec.get("capacity"))
    if not capacity:
        out.append(c.required("spec.capacity"))
    if "storage" not in capacity or len(capacity) > 1:
        out.append(c.not_supported("spec.capacity", c.string_map_repr(
            {k: str(v) for k, v in capacity.items()}), ("storage",)))
    for name, raw in capacity.items():
        out += _positive(raw, c.key("spec.capacity", name))
    out += _class_name(spec.get("storageClassName"), "spec.storageClassName")
    out += _volume_mode(spec, "spec.volumeMode")
    policy = spec.get("persistentVolumeReclaimPolicy") or ""
    if policy and policy not in ("Delete", "Recycle", "Retain"):
        out.append(c.not_supported("spec.persistentVolumeReclaimPolicy", policy,
                                   ("Delete", "Recycle", "Retain")))
    count = 0
    for kind in _PV_SOURCES:
        source = spec.get(kind)
        if source is None:
            continue
        at = c.join("spec", kind)
        if count:
            out.append(c.forbidden(at, "may not specify more than 1 volume type"))
            continue
        count += 1
        s = _m(source)
        if kind in ("hostPath", "local") and not s.get("path"):
            out.append(c.required(c.join(at, "path")))
        if kind == "csi":
            if not s.get("driver"):
                out.append(c.required(c.join(at, "driver")))
            if not s.get("volumeHandle"):
                out.append(c.required(c.join(at, "volumeHandle")))
        if kind == "nfs":
            if not s.get("server"):
                out.append(c.required(c.join(at, "server")))
            if not s.get("path"):
                out.append(c.required(c.join(at, "path")))
    if count == 0:
        out.append(c.required("spec", "must specify a volume type"))
    if spec.get("local") is not None and spec.get("nodeAffinity") is None:
        out.append(c.required("spec.nodeAffinity", "Local volume requires node affinity"))
    affinity = spec.get("nodeAffinity")
    if isinstance(affinity, dict):
        required = affinity.get("required")
        if not isinstance(required, dict):
            out.append(c.required("spec.nodeAffinity.required"))
        elif not required.get("nodeSelectorTerms"):
            out.append(c.required("spec.nodeAffinity.required.nodeSelectorTerms",
                                  "must have at least one node selector term"))
    return out


def validate_persistent_volume_update(new: Mapping[str, Any],
                                      old: Mapping[str, Any]) -> list[Cause]:
    out = validate_persistent_volume(new)
    new_spec, old_spec = _m(new.get("spec")), _m(old.get("spec"))
    new_source = {k: new_spec.get(k) for k in _PV_SOURCES if new_spec.get(k) is not None}
    old_source = {k: old_spec.get(k) for k in _PV_SOURCES if old_spec.get(k) is not None}
    csi_new, csi_old = _m(new_source.get("csi")), _m(old_source.get("csi"))
    if csi_old and csi_new and csi_old.get("controllerExpandSecretRef") is None:
        new_source["csi"] = {k: v for k, v in csi_new.items() if k != "controllerExpandSecretRef"}
    if semantic(new_source) != semantic(old_source):
        out.append(c.forbidden("spec.persistentvolumesource",
                               "spec.persistentvolumesource is immutable after creation"))
    out += validate_immutable(new_spec.get("volumeMode"), old_spec.get("volumeMode"),
                              "volumeMode")
    if old_spec.get("nodeAffinity") is not None and semantic(new_spec.get("nodeAffinity")) != \
            semantic(old_spec.get("nodeAffinity")):
        out.append(c.invalid("nodeAffinity", c.GoRepr("core.VolumeNodeAffinity{...}"),
                             FIELD_IMMUTABLE))
    return out


# -- PersistentVolumeClaim ------------------------------------------------------------------------

def _pvc_spec(spec: Mapping[str, Any], path: str) -> list[Cause]:
    out = _access_modes(spec.get("accessModes"), c.join(path, "accessModes"),
                        "at least 1 access mode is required")
    if spec.get("selector") is not None:
        out += validate_label_selector(spec.get("selector"), c.join(path, "selector"))
    requests = _m(_m(spec.get("resources")).get("requests"))
    storage_path = c.key(c.join(path, "resources"), "storage")
    if "storage" not in requests:
        out.append(c.required(storage_path))
    else:
        out += _positive(requests["storage"], storage_path)
    out += _class_name(spec.get("storageClassName"), c.join(path, "storageClassName"))
    out += _volume_mode(spec, c.join(path, "volumeMode"))
    return out


def validate_pvc(obj: Mapping[str, Any]) -> list[Cause]:
    return _pvc_spec(_m(obj.get("spec")), "spec")


def _storage(spec: Mapping[str, Any]) -> Any:
    return _m(_m(spec.get("resources")).get("requests")).get("storage")


def validate_pvc_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    out = validate_pvc(new)
    new_spec = dict(_m(new.get("spec")))
    old_spec = dict(_m(old.get("spec")))
    if not old_spec.get("volumeName"):
        old_spec["volumeName"] = new_spec.get("volumeName")
    bound = _m(new.get("status")).get("phase") == "Bound"
    if bound:
        resources = dict(_m(new_spec.get("resources")))
        requests = dict(_m(resources.get("requests")))
        old_storage = _storage(old_spec)
        if old_storage is None:
            requests.pop("storage", None)
        else:
            requests["storage"] = old_storage
        resources["requests"] = requests
        new_spec["resources"] = resources
    old_annotations = _m(_m(old.get("metadata")).get("annotations"))
    if old_spec.get("storageClassName") is None and new_spec.get("storageClassName") and \
            "volume.beta.kubernetes.io/storage-class" not in old_annotations:
        # an unset class may be set once (retroactive default StorageClass assignment)
        old_spec["storageClassName"] = new_spec["storageClassName"]
    if semantic(new_spec) != semantic(old_spec):
        out.append(c.forbidden("spec", "spec is immutable after creation except "
                               "resources.requests and volumeAttributesClassName for bound "
                               "claims"))
    try:
        new_size = quantity.parse(_storage(_m(new.get("spec"))) or 0)
        old_size = quantity.parse(_storage(_m(old.get("spec"))) or 0)
        status_size = quantity.parse(_m(_m(old.get("status")).get("capacity")).get("storage") or 0)
    except quantity.QuantityError:
        return out
    if new_size < old_size and new_size <= status_size:
        out.append(c.forbidden("spec.resources.requests.storage",
                               "field can not be less than status.capacity"))
    out += validate_immutable(_m(new.get("spec")).get("volumeMode"),
                              _m(old.get("spec")).get("volumeMode"), "volumeMode")
    return out


# -- StorageClass ---------------------------------------------------------------------------------

def validate_storage_class(obj: Mapping[str, Any]) -> list[Cause]:
    out: list[Cause] = []
    provisioner = str(obj.get("provisioner") or "")
    if not provisioner:
        out.append(c.required("provisioner"))
    else:
        out += [c.invalid("provisioner", provisioner.lower(), m)
                for m in is_qualified_name(provisioner.lower())]
    policy = obj.get("reclaimPolicy")
    if policy is not None and policy not in ("Delete", "Retain"):
        out.append(c.not_supported("reclaimPolicy", policy, ("Delete", "Retain")))
    mode = obj.get("volumeBindingMode")
    if mode is None:
        out.append(c.required("volumeBindingMode"))
    elif mode not in ("Immediate", "WaitForFirstConsumer"):
        out.append(c.not_supported("volumeBindingMode", mode,
                                   ("Immediate", "WaitForFirstConsumer")))
    return out


def validate_storage_class_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    out = validate_storage_class(new)
    if semantic(new.get("parameters")) != semantic(old.get("parameters")):
        out.append(c.forbidden("parameters", "updates to parameters are forbidden."))
    if (new.get("provisioner") or "") != (old.get("provisioner") or ""):
        out.append(c.forbidden("provisioner", "updates to provisioner are forbidden."))
    if new.get("reclaimPolicy") != old.get("reclaimPolicy"):
        out.append(c.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
    out += validate_immutable(new.get("volumeBindingMode"), old.get("volumeBindingMode"),
                              "volumeBindingMode")
    return out
