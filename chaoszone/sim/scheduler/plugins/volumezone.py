"""VolumeZone: a pod's bound volumes carry zone and region *labels*; a node that has any
of the four topology labels must match every one of them (a beta key may be matched by
the node's GA key, never the reverse; ``a__b`` is a set of zones). Nodes without
topology labels always pass.

Upstream: pkg/scheduler/framework/plugins/volumezone/volume_zone.go and
staging/src/k8s.io/cloud-provider/volume/helpers/zones.go ``LabelZonesToSet``
(release-1.32). Fidelity: ``vz-*``.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaoszone.sim.objects import BETA_REGION_LABEL, BETA_ZONE_LABEL, REGION_LABEL, ZONE_LABEL
from chaoszone.sim.scheduler import events as ev
from chaoszone.sim.scheduler.framework import (
    Code,
    CycleState,
    FilterPlugin,
    PreFilterPlugin,
    PreFilterResult,
    Status,
)
from chaoszone.sim.scheduler.plugins.volumebinding import claim_class
from chaoszone.sim.scheduler.types import (
    NodeInfo,
    PodInfo,
)

__all__ = ["ERR_REASON_CONFLICT", "VolumeZone", "label_zones_to_set"]

ERR_REASON_CONFLICT = "node(s) had no available volume zone"
TOPOLOGY_LABELS = (BETA_ZONE_LABEL, BETA_REGION_LABEL, ZONE_LABEL, REGION_LABEL)
_TO_GA = {BETA_ZONE_LABEL: ZONE_LABEL, BETA_REGION_LABEL: REGION_LABEL}


def label_zones_to_set(value: str) -> frozenset[str] | None:
    """``LabelZonesToSet``: ``a__b`` is {a, b}; an empty element makes the value invalid."""
    zones = [z.strip() for z in value.split("__")]
    if any(not z for z in zones):
        return None
    return frozenset(zones)


@dataclass(frozen=True)
class _Topology:
    pv: str
    key: str
    values: frozenset[str]


class VolumeZone(PreFilterPlugin, FilterPlugin):
    name = "VolumeZone"
    events = frozenset({ev.PV_CHANGE, ev.PVC_CHANGE, ev.STORAGE_CLASS_CHANGE, ev.NODE_ADD,
                        ev.NODE_LABEL})

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        topologies, status = self._topologies(pod)
        if status is not None:
            return None, status
        if not topologies:
            return None, Status(Code.Skip)
        state.data[self.name] = topologies
        return None, None

    def _topologies(self, pod: PodInfo) -> tuple[list[_Topology], Status | None]:
        listers = self.cache.listers
        out: list[_Topology] = []
        unresolvable = Code.UnschedulableAndUnresolvable
        for volume in pod.spec.get("volumes") or ():
            claim = volume.get("persistentVolumeClaim")
            if claim is None:
                continue
            name = str(claim.get("claimName") or "")
            if not name:
                return [], Status(unresolvable, "PersistentVolumeClaim had no name")
            pvc = listers.get("PersistentVolumeClaim", pod.namespace, name)
            if pvc is None:
                return [], Status(unresolvable, f'persistentvolumeclaim "{name}" not found')
            pv_name = (pvc.get("spec") or {}).get("volumeName") or ""
            if not pv_name:
                class_name = claim_class(pvc)
                if not class_name:
                    return [], Status(unresolvable,
                                      "PersistentVolumeClaim had no pv name and storageClass name")
                sc = listers.get("StorageClass", "", class_name)
                if sc is None:
                    return [], Status(unresolvable,
                                      f'storageclasses.storage.k8s.io "{class_name}" not found')
                mode = sc.get("volumeBindingMode")
                if mode is None:
                    return [], Status(
                        unresolvable, f'VolumeBindingMode not set for StorageClass "{class_name}"')
                if mode == "WaitForFirstConsumer":
                    continue
                return [], Status(unresolvable, "PersistentVolume had no name")
            pv = listers.get("PersistentVolume", "", pv_name)
            if pv is None:
                return [], Status(unresolvable, f'persistentvolume "{pv_name}" not found')
            labels = (pv.get("metadata") or {}).get("labels") or {}
            for key in TOPOLOGY_LABELS:
                if key in labels:
                    values = label_zones_to_set(str(labels[key]))
                    if values is not None:
                        out.append(_Topology(pv_name, key, values))
        return out, None

    cost = 6

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not pod.spec.get("volumes"):
            return None
        topologies = state.data.get(self.name)
        if topologies is None:
            topologies, status = self._topologies(pod)
            if status is not None:
                return status
        labels = node.labels
        if not any(key in labels for key in TOPOLOGY_LABELS):
            return None
        for topology in topologies:
            value = labels.get(topology.key)
            if value is None:
                ga = _TO_GA.get(topology.key)
                value = labels.get(ga) if ga else None
            if value is None or value not in topology.values:
                return Status(Code.UnschedulableAndUnresolvable, ERR_REASON_CONFLICT)
        return None
