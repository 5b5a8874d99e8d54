"""Dynamic provisioners: what runs beside the PV controller as external provisioners do,
answering claims annotated ``volume.kubernetes.io/storage-provisioner: <name>``.

- ``rancher.io/local-path`` (kind's ``standard`` class): a ``hostPath`` volume under
  ``/var/local-path-provisioner`` pinned by ``kubernetes.io/hostname`` node affinity to
  exactly the node the scheduler selected; it needs a selected node
  (``WaitForFirstConsumer``) and supports only ReadWriteOnce / ReadWriteOncePod.
- ``chaoszone.io/zonal``: a zonal disk, as a cloud CSI driver makes: a CSI volume labelled
  ``topology.kubernetes.io/zone`` with zone node affinity, in the selected node's zone, or
  (Immediate binding) in a zone chosen among those the StorageClass ``allowedTopologies``
  allow (else every node's zone), spread per StatefulSet ordinal as in-tree
  ``ChooseZoneForVolume`` does.

Each provisions ``pvc-<claim uid>`` with the claim's ``claimRef``, the class's reclaim policy
and mount options and ``pv.kubernetes.io/provisioned-by``, with events ``Provisioning``
then ``ProvisioningSucceeded`` (or ``ProvisioningFailed``, retried every 15 s), and deletes
its Released volumes whose reclaim policy is Delete.

Upstream: kubernetes-sigs/sig-storage-lib-external-provisioner controller/controller.go,
rancher/local-path-provisioner provisioner.go, and
staging/src/k8s.io/cloud-provider/volume/helpers/zones.go ``ChooseZoneForVolume``.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Mapping
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.objects import BETA_ZONE_LABEL, ZONE_LABEL, resource_type
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.runtime import Runtime
from chaoszone.sim.watch import DELETED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = ["LOCAL_PATH", "ZONAL", "LocalPathProvisioner", "Provisioners", "ZonalProvisioner"]

log = logging.getLogger("chaoszone.sim")

_PVS = resource_type("", "v1", "persistentvolumes")
_PVCS = resource_type("", "v1", "persistentvolumeclaims")
_CLASSES = resource_type("storage.k8s.io", "v1", "storageclasses")
_NODES = resource_type("", "v1", "nodes")

LOCAL_PATH = "rancher.io/local-path"
ZONAL = "chaoszone.io/zonal"
STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
HOSTNAME_LABEL = "kubernetes.io/hostname"
LOCAL_PATH_NODE_ANNOTATION = "local.path.provisioner/selected-node"
LOCAL_PATH_ROOT = "/var/local-path-provisioner"
RETRY_SECONDS = 15.0


class ProvisioningError(Exception):
    """The provisioner refused or failed; the message goes into ``ProvisioningFailed``."""


def _claim_class(claim: Mapping[str, Any]) -> str:
    annotations = claim["metadata"].get("annotations") or {}
    if BETA_STORAGE_CLASS in annotations:
        return str(annotations[BETA_STORAGE_CLASS])
    return str((claim.get("spec") or {}).get("storageClassName") or "")


def _zone_of(labels: Mapping[str, str]) -> str:
    return str(labels.get(ZONE_LABEL) or labels.get(BETA_ZONE_LABEL) or "")


def matches_topology(terms: Any, labels: Mapping[str, str]) -> bool:
    """``MatchTopologySelectorTerms``: terms ORed, expressions ANDed; no terms: any."""
    if not terms:
        return True
    for term in terms:
        expressions = (term or {}).get("matchLabelExpressions") or []
        if all(e.get("key") in labels and labels[e["key"]] in (e.get("values") or ())
               for e in expressions):
            return True
    return False


def choose_zone(zones: list[str], claim_name: str) -> str:
    """``ChooseZoneForVolume``: a claim named ``<base>-<n>`` (a StatefulSet's) gets the zone
    ``(hash(base) + n) mod len``, so a set's claims spread over the zones; others hash."""
    ordered = sorted(set(zones))
    match = re.fullmatch(r"(.*)-(\d+)", claim_name)
    if match:
        index = zlib.crc32(match.group(1).encode()) + int(match.group(2))
    else:
        index = zlib.crc32(claim_name.encode())
    return ordered[index % len(ordered)]


class _ExternalProvisioner:
    """``ProvisionController`` for one provisioner name."""

    name = ""
    component = ""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        self._retrying: set[tuple[str, str]] = set()
        self.claim_queue: WorkQueue[tuple[str, str]] = runtime.queue(
            f"provisioner {self.name}: claims", self._sync_claim)
        self.volume_queue: WorkQueue[str] = runtime.queue(
            f"provisioner {self.name}: volumes", self._sync_volume)
        runtime.listen(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.type == DELETED:
            return
        if event.resource is _PVCS:
            annotations = event.new.meta.get("annotations") or {}
            if self.name in (annotations.get(STORAGE_PROVISIONER),
                             annotations.get(BETA_STORAGE_PROVISIONER)):
                self.claim_queue.add((event.new.namespace, event.new.name))
        elif event.resource is _PVS and (
                event.new.meta.get("annotations") or {}).get(PROVISIONED_BY) == self.name:
            self.volume_queue.add(event.new.name)

    # -- provisioning ------------------------------------------------------------

    def _should_provision(self, claim: Mapping[str, Any]) -> dict[str, Any] | None:
        """``shouldProvision``: the claim's class, when this provisioner is to act now."""
        if (claim.get("spec") or {}).get("volumeName"):
            return None
        annotations = claim["metadata"].get("annotations") or {}
        asked = annotations.get(STORAGE_PROVISIONER, annotations.get(BETA_STORAGE_PROVISIONER))
        if asked != self.name:
            return None
        cls = self.store.get(_CLASSES, "", _claim_class(claim))
        if cls is None or cls.obj.get("provisioner") != self.name:
            return None
        if cls.obj.get("volumeBindingMode") == "WaitForFirstConsumer" and \
                not annotations.get(SELECTED_NODE):
            return None
        return cls.obj

    def _sync_claim(self, key: tuple[str, str]) -> None:
        stored = self.store.get(_PVCS, *key)
        if stored is None or stored.meta.get("deletionTimestamp"):
            return
        claim = stored.obj
        cls = self._should_provision(claim)
        if cls is None:
            return
        pv_name = f"pvc-{claim['metadata']['uid']}"
        if self.store.get(_PVS, "", pv_name) is not None:
            return
        ns, name = key
        self._event(claim, "Normal", "Provisioning",
                    f'External provisioner is provisioning volume for claim "{ns}/{name}"')
        node: dict[str, Any] | None = None
        selected = (claim["metadata"].get("annotations") or {}).get(SELECTED_NODE)
        if selected:
            found = self.store.get(_NODES, "", selected)
            if found is None:
                self._event(claim, "Warning", "ProvisioningFailed",
                            f'failed to get target node: nodes "{selected}" not found')
                self._reschedule(claim)
                return
            node = found.obj
        try:
            volume = self.provision(claim, cls, node, pv_name)
        except ProvisioningError as exc:
            self._event(claim, "Warning", "ProvisioningFailed",
                        f'failed to provision volume with StorageClass "{cls["metadata"]["name"]}"'
                        f": {exc}")
            self._retry(key)
            return
        meta = claim["metadata"]
        volume["spec"]["claimRef"] = {
            "kind": "PersistentVolumeClaim", "namespace": meta["namespace"], "name": meta["name"],
            "uid": meta["uid"], "apiVersion": "v1",
            "resourceVersion": meta.get("resourceVersion", "")}
        volume["metadata"].setdefault("annotations", {})[PROVISIONED_BY] = self.name
        volume["spec"]["storageClassName"] = cls["metadata"]["name"]
        volume["spec"]["persistentVolumeReclaimPolicy"] = cls.get("reclaimPolicy") or "Delete"
        if cls.get("mountOptions"):
            volume["spec"]["mountOptions"] = list(cls["mountOptions"])
        try:
            self.registry.create(_PVS, None, volume)
        except errors.ApiError as exc:
            if exc.code == 409:
                return
            self._event(claim, "Warning", "ProvisioningFailed",
                        f'failed to provision volume with StorageClass "{cls["metadata"]["name"]}"'
                        f": error creating the PersistentVolume object: {exc.message}")
            self._retry(key)
            return
        self._event(claim, "Normal", "ProvisioningSucceeded",
                    f"Successfully provisioned volume {pv_name}")

    def provision(self, claim: dict[str, Any], cls: dict[str, Any],
                  node: dict[str, Any] | None, pv_name: str) -> dict[str, Any]:
        raise NotImplementedError

    def _base_volume(self, claim: dict[str, Any], pv_name: str) -> dict[str, Any]:
        spec = claim.get("spec") or {}
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "0")
        volume_spec: dict[str, Any] = {
            "capacity": {"storage": storage},
            "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
            "volumeMode": spec.get("volumeMode") or "Filesystem",
        }
        return {"metadata": {"name": pv_name}, "spec": volume_spec}

    def _reschedule(self, claim: dict[str, Any]) -> None:
        """Drop ``selected-node`` so the scheduler picks a node again."""
        new = self.store.get(_PVCS, claim["metadata"]["namespace"], claim["metadata"]["name"])
        if new is None:
            return
        obj = new.copy()
        (obj["metadata"].get("annotations") or {}).pop(SELECTED_NODE, None)
        try:
            self.registry.update(_PVCS, new.namespace, new.name, obj)
        except errors.ApiError:
            log.debug("provisioner %s: rescheduling %s failed", self.name, new.name)

    def _retry(self, key: tuple[str, str]) -> None:
        if key in self._retrying:
            return
        self._retrying.add(key)

        def again() -> None:
            self._retrying.discard(key)
            self.claim_queue.add(key)

        self.runtime.after(RETRY_SECONDS, again)

    # -- deletion ------------------------------------------------------------------

    def _sync_volume(self, name: str) -> None:
        """``shouldDelete`` then ``deleteVolumeOperation``."""
        stored = self.store.get(_PVS, "", name)
        if stored is None or stored.meta.get("deletionTimestamp"):
            return
        volume = stored.obj
        if (volume.get("status") or {}).get("phase") != "Released":
            return
        if (volume.get("spec") or {}).get("persistentVolumeReclaimPolicy") != "Delete":
            return
        if (stored.meta.get("annotations") or {}).get(PROVISIONED_BY) != self.name:
            return
        try:
            self.registry.delete(_PVS, None, name, DeleteOptions())
        except errors.ApiError:
            log.debug("provisioner %s: deleting %s failed", self.name, name, exc_info=True)

    def _event(self, claim: dict[str, Any], type_: str, reason: str, message: str) -> None:
        self.runtime.record_event(claim, _PVCS, type_, reason, message, self.component)


class LocalPathProvisioner(_ExternalProvisioner):
    name = LOCAL_PATH
    component = "rancher.io/local-path_local-path-provisioner"

    def provision(self, claim: dict[str, Any], cls: dict[str, Any],
                  node: dict[str, Any] | None, pv_name: str) -> dict[str, Any]:
        spec = claim.get("spec") or {}
        for mode in spec.get("accessModes") or ():
            if mode not in ("ReadWriteOnce", "ReadWriteOncePod"):
                raise ProvisioningError("NodePath only supports ReadWriteOnce and "
                                        "ReadWriteOncePod (1.22+) access modes")
        if node is None:
            raise ProvisioningError("configuration error, no node was specified")
        meta = claim["metadata"]
        node_name = node["metadata"]["name"]
        hostname = (node["metadata"].get("labels") or {}).get(HOSTNAME_LABEL) or node_name
        volume = self._base_volume(claim, pv_name)
        volume["metadata"]["annotations"] = {LOCAL_PATH_NODE_ANNOTATION: node_name}
        volume["spec"]["hostPath"] = {
            "path": f"{LOCAL_PATH_ROOT}/{pv_name}_{meta['namespace']}_{meta['name']}",
            "type": "DirectoryOrCreate"}
        volume["spec"]["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{
            "matchExpressions": [{"key": HOSTNAME_LABEL, "operator": "In",
                                  "values": [hostname]}]}]}}
        return volume


class ZonalProvisioner(_ExternalProvisioner):
    name = ZONAL
    component = "chaoszone.io/zonal_zonal-provisioner"

    def provision(self, claim: dict[str, Any], cls: dict[str, Any],
                  node: dict[str, Any] | None, pv_name: str) -> dict[str, Any]:
        allowed = cls.get("allowedTopologies") or []
        if node is not None:
            labels = node["metadata"].get("labels") or {}
            zone = _zone_of(labels)
            if not zone:
                raise ProvisioningError(
                    f'node "{node["metadata"]["name"]}" has no {ZONE_LABEL} label')
            if not matches_topology(allowed, labels):
                raise ProvisioningError(
                    f'node "{node["metadata"]["name"]}" is not in the StorageClass '
                    f"allowedTopologies")
        else:
            zones = sorted({_zone_of(n.labels) for n in self.store.items(_NODES)} - {""})
            if allowed:
                zones = [z for z in zones if matches_topology(allowed, {ZONE_LABEL: z})] or \
                    sorted({v for term in allowed
                            for e in (term or {}).get("matchLabelExpressions") or ()
                            if e.get("key") in (ZONE_LABEL, BETA_ZONE_LABEL)
                            for v in e.get("values") or ()})
            if not zones:
                raise ProvisioningError("no zone is available to provision in")
            zone = choose_zone(zones, claim["metadata"]["name"])
        volume = self._base_volume(claim, pv_name)
        volume["metadata"]["labels"] = {ZONE_LABEL: zone}
        volume["spec"]["csi"] = {"driver": ZONAL, "volumeHandle": f"{zone}/{pv_name}",
                                 "fsType": (cls.get("parameters") or {}).get("fsType", "ext4")}
        volume["spec"]["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{
            "matchExpressions": [{"key": ZONE_LABEL, "operator": "In", "values": [zone]}]}]}}
        return volume


class Provisioners:
    """Every provisioner the simulated cluster runs."""

    def __init__(self, runtime: Runtime) -> None:
        self.local_path = LocalPathProvisioner(runtime)
        self.zonal = ZonalProvisioner(runtime)
