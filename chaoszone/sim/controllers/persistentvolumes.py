"""The PersistentVolume controller (binder): binds claims to volumes, asks provisioners for
new ones, and releases and reclaims volumes whose claim is gone.

Claims without ``pv.kubernetes.io/bind-completed``:

- no ``volumeName``: the smallest Available volume of the claim's class (access modes a
  superset of the claim's, preferring the fewest; selector, volume mode, capacity) is bound;
  a volume pre-bound to the claim (``claimRef``) always wins. With a
  ``WaitForFirstConsumer`` class only pre-bound volumes are bound here (the scheduler picks
  and pre-binds the others); until the scheduler sets ``volume.kubernetes.io/selected-node``
  the claim waits with event ``WaitForFirstConsumer`` (``WaitForPodScheduled`` while a pod
  using it is unscheduled). Nothing found and a class set: provisioning is requested by
  annotating ``volume.kubernetes.io/storage-provisioner`` (event ``ExternalProvisioning``);
  no class: the default StorageClass is assigned, else event ``FailedBinding``.
- a ``volumeName``: that volume is bound if it fits (else ``VolumeMismatch``).

Binding writes the volume's ``claimRef`` (``pv.kubernetes.io/bound-by-controller`` when the
controller chose it), volume phase Bound, the claim's ``volumeName`` and
``bind-completed``/``bound-by-controller``, then claim status Bound with the volume's
capacity and access modes. Bound claims whose volume vanished become ``Lost``.

Volumes: Available when free or pre-bound; Released when their claim is gone, then the
reclaim policy: Retain keeps them; Delete is left to the external provisioner that made them
(``pv.kubernetes.io/provisioned-by``), done here for ``hostPath`` volumes under ``/tmp``,
and otherwise fails (``VolumeFailedDelete``, phase Failed). Everything resyncs every
pvclaimbinder-sync-period (15 s), as upstream, so a volume created after its claim binds
at the next resync.

Upstream: pkg/controller/volume/persistentvolume/pv_controller.go, pv_controller_base.go,
index.go and staging/src/k8s.io/component-helpers/storage/volume/pv_helpers.go at
release-1.32 (docs/k8s-semantics.md §6.2, fidelity ``ctl-006``).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chaoszone.kindconfig import Timers
from chaoszone.sim import errors, selectors
from chaoszone.sim.admission.quantity import QuantityError
from chaoszone.sim.admission.quantity import parse as parse_quantity
from chaoszone.sim.objects import parse_time, resource_type
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.runtime import Runtime
from chaoszone.sim.watch import DELETED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = [
    "BIND_COMPLETED",
    "BOUND_BY_CONTROLLER",
    "PROVISIONED_BY",
    "SELECTED_NODE",
    "STORAGE_PROVISIONER",
    "PersistentVolumeController",
    "claim_class",
]

log = logging.getLogger("chaoszone.sim")

_PVS = resource_type("", "v1", "persistentvolumes")
_PVCS = resource_type("", "v1", "persistentvolumeclaims")
_CLASSES = resource_type("storage.k8s.io", "v1", "storageclasses")
_PODS = resource_type("", "v1", "pods")

COMPONENT = "persistentvolume-controller"
BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"
NO_PROVISIONER = "kubernetes.io/no-provisioner"


def claim_class(claim: Mapping[str, Any]) -> str:
    """``GetPersistentVolumeClaimClass``: the beta annotation, then ``storageClassName``."""
    annotations = claim["metadata"].get("annotations") or {}
    if BETA_STORAGE_CLASS in annotations:
        return str(annotations[BETA_STORAGE_CLASS])
    return str((claim.get("spec") or {}).get("storageClassName") or "")


def _claim_has_class(claim: Mapping[str, Any]) -> bool:
    annotations = claim["metadata"].get("annotations") or {}
    return BETA_STORAGE_CLASS in annotations or \
        (claim.get("spec") or {}).get("storageClassName") is not None


def _volume_class(volume: Mapping[str, Any]) -> str:
    annotations = volume["metadata"].get("annotations") or {}
    if BETA_STORAGE_CLASS in annotations:
        return str(annotations[BETA_STORAGE_CLASS])
    return str((volume.get("spec") or {}).get("storageClassName") or "")


def _storage(resources: Mapping[str, Any] | None) -> Decimal:
    try:
        return parse_quantity((resources or {}).get("storage", "0"))
    except QuantityError:
        return Decimal(0)


def _bound_to(volume: Mapping[str, Any], claim: Mapping[str, Any]) -> bool:
    """``IsVolumeBoundToClaim``."""
    ref = (volume.get("spec") or {}).get("claimRef")
    if not ref:
        return False
    meta = claim["metadata"]
    if ref.get("name") != meta["name"] or ref.get("namespace") != meta.get("namespace"):
        return False
    return not ref.get("uid") or ref.get("uid") == meta.get("uid")


def _mode_mismatch(claim: Mapping[str, Any], volume: Mapping[str, Any]) -> bool:
    return ((claim.get("spec") or {}).get("volumeMode") or "Filesystem") != (
        (volume.get("spec") or {}).get("volumeMode") or "Filesystem")


def _modes(obj: Mapping[str, Any]) -> frozenset[str]:
    return frozenset((obj.get("spec") or {}).get("accessModes") or ())


class PersistentVolumeController:
    def __init__(self, runtime: Runtime, timers: Timers | None = None) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        self.claim_queue: WorkQueue[tuple[str, str]] = runtime.queue(
            "persistentvolume controller: claims", self._sync_claim)
        self.volume_queue: WorkQueue[str] = runtime.queue(
            "persistentvolume controller: volumes", self._sync_volume)
        runtime.listen(self._on_event)
        period = (timers or Timers()).pvclaimbinder_sync_period
        self._resync = runtime.every(period, self.resync)

    # -- informers -------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        rt = event.resource
        if rt is _PVS:
            if event.type != DELETED:
                self.volume_queue.add(event.new.name)
            else:
                ref = (event.new.obj.get("spec") or {}).get("claimRef") or {}
                if ref.get("name"):
                    self.claim_queue.add((ref.get("namespace", ""), ref["name"]))
        elif rt is _PVCS:
            if event.type != DELETED:
                self.claim_queue.add((event.new.namespace, event.new.name))
            else:
                volume = (event.new.obj.get("spec") or {}).get("volumeName")
                if volume:
                    self.volume_queue.add(volume)

    def resync(self) -> None:
        """The periodic resync of every claim and volume."""
        for claim in self.store.items(_PVCS):
            self.claim_queue.add((claim.namespace, claim.name))
        for volume in self.store.items(_PVS):
            self.volume_queue.add(volume.name)

    # -- claims ----------------------------------------------------------------

    def _sync_claim(self, key: tuple[str, str]) -> None:
        stored = self.store.get(_PVCS, *key)
        if stored is None:
            return
        try:
            if BIND_COMPLETED in (stored.meta.get("annotations") or {}):
                self._sync_bound_claim(stored.obj)
            else:
                self._sync_unbound_claim(stored.obj)
        except errors.ApiError:
            log.debug("persistentvolume controller: claim %s/%s", *key, exc_info=True)

    def _sync_unbound_claim(self, claim: dict[str, Any]) -> None:
        volume_name = (claim.get("spec") or {}).get("volumeName")
        if not volume_name:
            delay = self._delay_binding(claim)
            volume = self._find_best_match(claim, delay)
            if volume is not None:
                self._bind(volume, claim)
                return
            if self._assign_default_class(claim):
                return
            annotations = claim["metadata"].get("annotations") or {}
            if delay and not annotations.get(SELECTED_NODE):
                self._emit_wait_event(claim)
            elif claim_class(claim):
                self._provision(claim)
                return
            else:
                self._event(claim, "Normal", "FailedBinding",
                            "no persistent volumes available for this claim and no storage "
                            "class is set")
            self._update_claim_status(claim, "Pending", None)
            return
        stored = self.store.get(_PVS, "", volume_name)
        if stored is None:
            self._update_claim_status(claim, "Pending", None)
            return
        volume = stored.obj
        ref = (volume.get("spec") or {}).get("claimRef")
        if not ref:
            problem = _check_volume_satisfies(volume, claim)
            if problem:
                self._event(claim, "Warning", "VolumeMismatch",
                            f'Cannot bind to requested volume "{volume_name}": {problem}')
                self._update_claim_status(claim, "Pending", None)
            else:
                self._bind(volume, claim)
        elif _bound_to(volume, claim):
            self._bind(volume, claim)
        else:
            self._event(claim, "Warning", "FailedBinding",
                        f'volume "{volume_name}" already bound to a different claim.')
            if BOUND_BY_CONTROLLER not in (claim["metadata"].get("annotations") or {}):
                self._update_claim_status(claim, "Pending", None)

    def _sync_bound_claim(self, claim: dict[str, Any]) -> None:
        volume_name = (claim.get("spec") or {}).get("volumeName")
        if not volume_name:
            self._claim_lost(claim, "ClaimLost", "Bound claim has lost reference to "
                             "PersistentVolume. Data on the volume is lost!")
            return
        stored = self.store.get(_PVS, "", volume_name)
        if stored is None:
            self._claim_lost(claim, "ClaimLost",
                             "Bound claim has lost its PersistentVolume. Data on the volume is "
                             "lost!")
            return
        ref = (stored.obj.get("spec") or {}).get("claimRef")
        if not ref or ref.get("uid") == claim["metadata"].get("uid"):
            self._bind(stored.obj, claim)
        else:
            self._claim_lost(claim, "ClaimMisbound",
                             "Two claims are bound to the same volume, this one is bound "
                             "incorrectly")

    def _claim_lost(self, claim: dict[str, Any], reason: str, message: str) -> None:
        if (claim.get("status") or {}).get("phase") == "Lost":
            return
        self._update_claim_status(claim, "Lost", None)
        self._event(claim, "Warning", reason, message)

    def _delay_binding(self, claim: Mapping[str, Any]) -> bool:
        """``IsDelayBindingMode``."""
        name = claim_class(claim)
        if not name:
            return False
        cls = self.store.get(_CLASSES, "", name)
        return cls is not None and cls.obj.get("volumeBindingMode") == "WaitForFirstConsumer"

    def _find_best_match(self, claim: dict[str, Any], delay: bool) -> dict[str, Any] | None:
        """``findBestMatchForClaim``: by access-mode sets that contain the claim's, fewest
        modes first, then ``FindMatchingVolume``."""
        wanted = _modes(claim)
        by_modes: dict[frozenset[str], list[dict[str, Any]]] = {}
        for stored in self.store.items(_PVS):
            by_modes.setdefault(_modes(stored.obj), []).append(stored.obj)
        candidates = sorted((m for m in by_modes if wanted <= m), key=lambda m: (len(m), sorted(m)))
        for modes in candidates:
            found = self._find_matching(claim, by_modes[modes], delay)
            if found is not None:
                return found
        return None

    def _find_matching(self, claim: dict[str, Any], volumes: list[dict[str, Any]],
                       delay: bool) -> dict[str, Any] | None:
        """``FindMatchingVolume`` without a node (the controller's path)."""
        spec = claim.get("spec") or {}
        requested = _storage((spec.get("resources") or {}).get("requests"))
        wanted_class = claim_class(claim)
        selector = None
        if spec.get("selector") is not None:
            try:
                selector = selectors.label_selector_from_dict(spec["selector"])
            except errors.ApiError:
                return None
        smallest: dict[str, Any] | None = None
        smallest_size = Decimal(0)
        for volume in volumes:
            vspec = volume.get("spec") or {}
            if vspec.get("claimRef") and not _bound_to(volume, claim):
                continue
            size = _storage(vspec.get("capacity"))
            if size < requested or _mode_mismatch(claim, volume):
                continue
            if volume["metadata"].get("deletionTimestamp"):
                continue
            if _bound_to(volume, claim):
                return volume
            if delay:
                continue
            if (volume.get("status") or {}).get("phase") != "Available":
                continue
            if selector is not None and not selector.matches(
                    volume["metadata"].get("labels") or {}):
                continue
            if _volume_class(volume) != wanted_class:
                continue
            if smallest is None or size < smallest_size:
                smallest, smallest_size = volume, size
        return smallest

    def _assign_default_class(self, claim: dict[str, Any]) -> bool:
        """``assignDefaultStorageClass`` (RetroactiveDefaultStorageClass, GA in 1.28)."""
        if _claim_has_class(claim):
            return False
        defaults = [c for c in self.store.items(_CLASSES)
                    if (c.meta.get("annotations") or {}).get(DEFAULT_CLASS) == "true"
                    or (c.meta.get("annotations") or {}).get(BETA_DEFAULT_CLASS) == "true"]
        if not defaults:
            return False
        # GetDefaultClass: the newest, then by name
        chosen = sorted(defaults, key=lambda c: (
            -(parse_time(c.meta.get("creationTimestamp")) or 0.0), c.name))[0]
        new = _copy(claim)
        new.setdefault("spec", {})["storageClassName"] = chosen.name
        meta = claim["metadata"]
        self.registry.update(_PVCS, meta["namespace"], meta["name"], new)
        return True

    def _emit_wait_event(self, claim: dict[str, Any]) -> None:
        """``emitEventForUnboundDelayBindingClaim``."""
        meta = claim["metadata"]
        waiting = []
        for pod in self.store.items(_PODS, meta["namespace"]):
            status = pod.obj.get("status") or {}
            if status.get("phase") in ("Succeeded", "Failed"):
                continue
            if (pod.obj.get("spec") or {}).get("nodeName"):
                continue
            if meta["name"] in _claims_of(pod.obj):
                waiting.append(pod.name)
        if not waiting:
            self._event(claim, "Normal", "WaitForFirstConsumer",
                        "waiting for first consumer to be created before binding")
        elif len(waiting) == 1:
            self._event(claim, "Normal", "WaitForPodScheduled",
                        f"waiting for pod {waiting[0]} to be scheduled")
        else:
            self._event(claim, "Normal", "WaitForPodScheduled",
                        f"waiting for pods {','.join(waiting)} to be scheduled")

    def _provision(self, claim: dict[str, Any]) -> None:
        """``provisionClaim``: external provisioners are asked through the claim's
        annotations; in-tree ones (``kubernetes.io/...``) do not exist here."""
        name = claim_class(claim)
        cls = self.store.get(_CLASSES, "", name)
        if cls is None:
            self._event(claim, "Warning", "ProvisioningFailed",
                        f'storageclass.storage.k8s.io "{name}" not found')
            return
        provisioner = str(cls.obj.get("provisioner") or "")
        if provisioner.startswith("kubernetes.io/"):
            self._event(claim, "Warning", "ProvisioningFailed",
                        f"no volume plugin matched name: {provisioner}")
            return
        annotations = claim["metadata"].get("annotations") or {}
        if annotations.get(BETA_STORAGE_PROVISIONER) != provisioner:
            new = _copy(claim)
            new_annotations = new["metadata"].setdefault("annotations", {})
            new_annotations[BETA_STORAGE_PROVISIONER] = provisioner
            new_annotations[STORAGE_PROVISIONER] = provisioner
            meta = claim["metadata"]
            try:
                stored, _ = self.registry.update(_PVCS, meta["namespace"], meta["name"], new)
            except errors.ApiError as exc:
                self._event(claim, "Warning", "ProvisioningFailed",
                            f"Error saving claim: {exc.message}")
                return
            claim = stored.obj
        self._event(claim, "Normal", "ExternalProvisioning",
                    f"Waiting for a volume to be created either by the external provisioner "
                    f"'{provisioner}' or manually by the system administrator. If volume "
                    f"creation is delayed, please verify that the provisioner is running and "
                    f"correctly registered.")

    # -- binding ---------------------------------------------------------------

    def _bind(self, volume: dict[str, Any], claim: dict[str, Any]) -> None:
        """``bind``: volume claimRef, volume phase, claim volumeName, claim status."""
        meta = claim["metadata"]
        vspec = volume.get("spec") or {}
        ref = vspec.get("claimRef") or {}
        if not ref or ref.get("name") != meta["name"] or ref.get("namespace") != \
                meta["namespace"] or ref.get("uid") != meta["uid"]:
            new = _copy(volume)
            if not _bound_to(volume, claim):
                new["metadata"].setdefault("annotations", {})[BOUND_BY_CONTROLLER] = "yes"
            new["spec"]["claimRef"] = {
                "kind": "PersistentVolumeClaim", "namespace": meta["namespace"],
                "name": meta["name"], "uid": meta["uid"], "apiVersion": "v1",
                "resourceVersion": meta.get("resourceVersion", "")}
            volume = self.registry.update(_PVS, None, volume["metadata"]["name"], new)[0].obj
        volume = self._update_volume_phase(volume, "Bound")
        new_claim = _copy(claim)
        annotations = new_claim["metadata"].setdefault("annotations", {})
        dirty = False
        if (claim.get("spec") or {}).get("volumeName") != volume["metadata"]["name"]:
            new_claim.setdefault("spec", {})["volumeName"] = volume["metadata"]["name"]
            annotations.setdefault(BOUND_BY_CONTROLLER, "yes")
            dirty = True
        if BIND_COMPLETED not in annotations:
            annotations[BIND_COMPLETED] = "yes"
            dirty = True
        if dirty:
            claim = self.registry.update(_PVCS, meta["namespace"], meta["name"],
                                         new_claim)[0].obj
        self._update_claim_status(claim, "Bound", volume)

    def _update_claim_status(self, claim: dict[str, Any], phase: str,
                             volume: dict[str, Any] | None) -> dict[str, Any]:
        """``updateClaimStatus``."""
        status = dict(claim.get("status") or {})
        old_phase = status.get("phase")
        dirty = old_phase != phase
        status["phase"] = phase
        if volume is None:
            for field in ("accessModes", "capacity"):
                if status.pop(field, None) is not None:
                    dirty = True
        else:
            modes = (volume.get("spec") or {}).get("accessModes")
            if status.get("accessModes") != modes:
                status["accessModes"] = modes
                dirty = True
            if old_phase != phase:
                capacity = (volume.get("spec") or {}).get("capacity") or {}
                if "storage" not in capacity:
                    log.debug("persistentvolume %s has no storage capacity",
                              volume["metadata"]["name"])
                    return claim
                if _storage(status.get("capacity")) != _storage(capacity) or \
                        "storage" not in (status.get("capacity") or {}):
                    status["capacity"] = dict(capacity)
                    dirty = True
        if not dirty:
            return claim
        meta = claim["metadata"]
        return self.registry.update(_PVCS, meta["namespace"], meta["name"],
                                    dict(claim, status=status), subresource="status")[0].obj

    # -- volumes ---------------------------------------------------------------

    def _sync_volume(self, name: str) -> None:
        stored = self.store.get(_PVS, "", name)
        if stored is None:
            return
        volume = stored.obj
        try:
            ref = (volume.get("spec") or {}).get("claimRef")
            if not ref or not ref.get("uid"):
                self._update_volume_phase(volume, "Available")
                return
            claim_stored = self.store.get(_PVCS, ref.get("namespace", ""), ref.get("name", ""))
            claim = claim_stored.obj if claim_stored is not None else None
            if claim is not None and claim["metadata"].get("uid") != ref.get("uid"):
                claim = None
            if claim is None:
                if (volume.get("status") or {}).get("phase") not in ("Released", "Failed"):
                    volume = self._update_volume_phase(volume, "Released")
                self._reclaim(volume)
                return
            claim_volume = (claim.get("spec") or {}).get("volumeName")
            if not claim_volume:
                if _mode_mismatch(claim, volume):
                    self._event_on_volume(
                        volume, "Warning", "VolumeMismatch",
                        f'Cannot bind PersistentVolume to requested PersistentVolumeClaim '
                        f'"{claim["metadata"]["name"]}" due to incompatible volumeMode.')
                    self._event(claim, "Warning", "VolumeMismatch",
                                f'Cannot bind PersistentVolume "{name}" to requested '
                                f'PersistentVolumeClaim due to incompatible volumeMode.')
                    return
                self.claim_queue.add((claim["metadata"]["namespace"], claim["metadata"]["name"]))
                return
            if claim_volume == name:
                self._update_volume_phase(volume, "Bound")
                return
            annotations = volume["metadata"].get("annotations") or {}
            if PROVISIONED_BY in annotations and (volume.get("spec") or {}).get(
                    "persistentVolumeReclaimPolicy") == "Delete":
                if (volume.get("status") or {}).get("phase") not in ("Released", "Failed"):
                    volume = self._update_volume_phase(volume, "Released")
                self._reclaim(volume)
                return
            self._unbind(volume)
        except errors.ApiError:
            log.debug("persistentvolume controller: volume %s", name, exc_info=True)

    def _unbind(self, volume: dict[str, Any]) -> None:
        """``unbindVolume``: forget a binding the controller made, or only the claim's uid
        of one the user made."""
        new = _copy(volume)
        annotations = new["metadata"].get("annotations") or {}
        if BOUND_BY_CONTROLLER in annotations:
            new["spec"].pop("claimRef", None)
            annotations.pop(BOUND_BY_CONTROLLER)
            if not annotations:
                new["metadata"].pop("annotations", None)
        else:
            new["spec"]["claimRef"].pop("uid", None)
        stored, _ = self.registry.update(_PVS, None, volume["metadata"]["name"], new)
        self._update_volume_phase(stored.obj, "Available")

    def _reclaim(self, volume: dict[str, Any]) -> None:
        """``reclaimVolume``."""
        policy = (volume.get("spec") or {}).get("persistentVolumeReclaimPolicy")
        if policy == "Retain":
            return
        if policy == "Recycle":
            self._update_volume_phase(volume, "Failed", "Warning", "VolumeFailedRecycle",
                                      "No recycler plugin found for the volume!")
            return
        if policy != "Delete":
            self._update_volume_phase(volume, "Failed", "Warning", "VolumeUnknownReclaimPolicy",
                                      "Volume has unrecognized PersistentVolumeReclaimPolicy")
            return
        if volume["metadata"].get("deletionTimestamp"):
            return
        spec = volume.get("spec") or {}
        provisioner = (volume["metadata"].get("annotations") or {}).get(PROVISIONED_BY, "")
        if (provisioner and not provisioner.startswith("kubernetes.io/")) or spec.get("csi"):
            return  # the external provisioner deletes it
        host_path = (spec.get("hostPath") or {}).get("path", "")
        if host_path.startswith("/tmp/") and host_path != "/tmp/":
            self.registry.delete(_PVS, None, volume["metadata"]["name"], DeleteOptions())
            return
        self._update_volume_phase(
            volume, "Failed", "Warning", "VolumeFailedDelete",
            f'error getting deleter volume plugin for volume "{volume["metadata"]["name"]}": '
            f"no deletable volume plugin matched")

    def _update_volume_phase(self, volume: dict[str, Any], phase: str, event_type: str = "",
                             reason: str = "", message: str = "") -> dict[str, Any]:
        """``updateVolumePhase`` (with the event of ``updateVolumePhaseWithEvent``); the
        status strategy's ``lastPhaseTransitionTime`` comes along."""
        status = dict(volume.get("status") or {})
        if status.get("phase") == phase:
            return volume
        status["phase"] = phase
        if reason:
            status["message"] = message
        else:
            status.pop("message", None)
        status["lastPhaseTransitionTime"] = self.clock.timestamp()
        stored, _ = self.registry.update(_PVS, None, volume["metadata"]["name"],
                                         dict(volume, status=status), subresource="status")
        if reason:
            self._event_on_volume(stored.obj, event_type, reason, message)
        return stored.obj

    # -- events ----------------------------------------------------------------

    def _event(self, claim: dict[str, Any], type_: str, reason: str, message: str) -> None:
        self.runtime.record_event(claim, _PVCS, type_, reason, message, COMPONENT)

    def _event_on_volume(self, volume: dict[str, Any], type_: str, reason: str,
                         message: str) -> None:
        self.runtime.record_event(volume, _PVS, type_, reason, message, COMPONENT)


def _check_volume_satisfies(volume: dict[str, Any], claim: dict[str, Any]) -> str:
    """``checkVolumeSatisfyClaim``: "" when the volume fits the claim."""
    if volume["metadata"].get("deletionTimestamp"):
        return f'the volume is marked for deletion "{volume["metadata"]["name"]}"'
    requested = _storage(((claim.get("spec") or {}).get("resources") or {}).get("requests"))
    if _storage((volume.get("spec") or {}).get("capacity")) < requested:
        return "requested PV is too small"
    if _volume_class(volume) != claim_class(claim):
        return "storageClassName does not match"
    if _mode_mismatch(claim, volume):
        return "incompatible volumeMode"
    if not _modes(claim) <= _modes(volume):
        return "incompatible accessMode"
    return ""


def _claims_of(pod: Mapping[str, Any]) -> set[str]:
    """The claims a pod uses: its persistentVolumeClaim volumes and generic ephemeral
    volumes (``<pod>-<volume>``)."""
    names = set()
    for volume in (pod.get("spec") or {}).get("volumes") or ():
        pvc = volume.get("persistentVolumeClaim")
        if pvc and pvc.get("claimName"):
            names.add(str(pvc["claimName"]))
        if volume.get("ephemeral") is not None:
            names.add(f"{pod['metadata']['name']}-{volume.get('name')}")
    return names


def _copy(obj: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(obj)
