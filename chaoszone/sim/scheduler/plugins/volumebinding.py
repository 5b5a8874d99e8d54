"""VolumeBinding: a pod's claims must be usable on the node. Bound claims need their
volume's ``spec.nodeAffinity`` to match the node's labels; unbound WaitForFirstConsumer
claims need an available volume that fits (the smallest one), or a class that can
provision there (a real provisioner, ``allowedTopologies``). Immediate claims must
already be bound. After a node is chosen, PreBind writes the choice to the API (the
claim's ``volume.kubernetes.io/selected-node`` annotation, or the volume's ``claimRef``)
and binding waits until the claims are bound.

Upstream: pkg/scheduler/framework/plugins/volumebinding/{volume_binding.go,binder.go},
staging/src/k8s.io/component-helpers/storage/volume/{helpers.go,pv_helpers.go}
(release-1.32). Fidelity: ``vb-*``. Node-affinity conflicts read "had volume node
affinity conflict" (1.30-1.32; 1.33 renamed it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chaoszone.sim.admission import quantity
from chaoszone.sim.scheduler import events as ev
from chaoszone.sim.scheduler.framework import (
    Code,
    CycleState,
    FilterPlugin,
    PreFilterPlugin,
    PreFilterResult,
    Status,
)
from chaoszone.sim.scheduler.types import LABEL_HOSTNAME, NodeInfo, PodInfo
from chaoszone.sim.selectors import NodeSelector

__all__ = [
    "ANN_BIND_COMPLETED",
    "ANN_SELECTED_NODE",
    "ERR_REASON_BIND_CONFLICT",
    "ERR_REASON_NODE_CONFLICT",
    "ERR_REASON_NOT_ENOUGH_SPACE",
    "ERR_REASON_PV_NOT_EXIST",
    "PodVolumes",
    "VolumeBinding",
    "check_node_affinity",
    "claim_class",
    "pod_claim_names",
]

ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
ERR_REASON_NODE_CONFLICT = "node(s) had volume node affinity conflict"
ERR_REASON_NOT_ENOUGH_SPACE = "node(s) did not have enough free storage"
ERR_REASON_PV_NOT_EXIST = (
    "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)")
ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"

ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
NOT_SUPPORTED_PROVISIONER = "kubernetes.io/no-provisioner"

Obj = Mapping[str, Any]


def claim_class(obj: Obj) -> str:
    """``GetPersistentVolume(Claim)Class``: the beta annotation wins over the field."""
    meta = obj.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    if ANN_STORAGE_CLASS in annotations:
        return str(annotations[ANN_STORAGE_CLASS])
    return str((obj.get("spec") or {}).get("storageClassName") or "")


def pod_claim_names(spec: Obj) -> list[tuple[str, bool]]:
    """The claim of each volume that uses one: (claim name, is a generic ephemeral
    volume). An ephemeral volume's claim is named ``<pod>-<volume>``; its entry holds the
    volume name only."""
    out: list[tuple[str, bool]] = []
    for volume in spec.get("volumes") or ():
        claim = volume.get("persistentVolumeClaim")
        if claim is not None:
            out.append((str(claim.get("claimName") or ""), False))
        elif volume.get("ephemeral") is not None:
            out.append((str(volume.get("name") or ""), True))
    return out


_AFFINITY_CACHE: dict[str, NodeSelector] = {}


def check_node_affinity(pv: Obj, labels: Mapping[str, str]) -> bool:
    """``CheckNodeAffinity``: a volume without ``nodeAffinity.required`` fits every node;
    the node is seen by its labels only, so ``matchFields`` never excludes it."""
    affinity = (pv.get("spec") or {}).get("nodeAffinity") or {}
    required = affinity.get("required")
    if required is None:
        return True
    key = json.dumps(required, sort_keys=True)
    selector = _AFFINITY_CACHE.get(key)
    if selector is None:
        if len(_AFFINITY_CACHE) > 4096:
            _AFFINITY_CACHE.clear()
        selector = _AFFINITY_CACHE[key] = NodeSelector.from_dict(required)
    return selector.matches(labels, "")


def _storage(obj: Any) -> Decimal:
    try:
        return quantity.parse(obj) if obj is not None else Decimal(0)
    except quantity.QuantityError:
        return Decimal(0)


def _requested(pvc: Obj) -> Decimal:
    resources = (pvc.get("spec") or {}).get("resources") or {}
    return _storage((resources.get("requests") or {}).get("storage"))


def _capacity(pv: Obj) -> Decimal:
    return _storage(((pv.get("spec") or {}).get("capacity") or {}).get("storage"))


def _fully_bound(pvc: Obj) -> bool:
    meta = pvc.get("metadata") or {}
    return bool((pvc.get("spec") or {}).get("volumeName")) and ANN_BIND_COMPLETED in (
        meta.get("annotations") or {})


def _bound_to(pv: Obj, pvc: Obj) -> bool:
    """``IsVolumeBoundToClaim``."""
    ref = (pv.get("spec") or {}).get("claimRef")
    if not ref:
        return False
    meta = pvc.get("metadata") or {}
    if ref.get("name") != meta.get("name") or ref.get("namespace") != meta.get("namespace"):
        return False
    return not ref.get("uid") or ref.get("uid") == meta.get("uid")


def _access_modes_fit(pvc: Obj, pv: Obj) -> bool:
    pv_modes = set((pv.get("spec") or {}).get("accessModes") or ())
    return all(m in pv_modes for m in (pvc.get("spec") or {}).get("accessModes") or ())


def _volume_mode(spec: Obj) -> str:
    return str(spec.get("volumeMode") or "Filesystem")


def find_matching_volume(pvc: Obj, volumes: Iterable[Obj], labels: Mapping[str, str],
                         excluded: set[str]) -> Obj | None:
    """``FindMatchingVolume`` on the scheduler path: a volume pre-bound to the claim, or
    the smallest available one of the claim's class that fits and matches the node."""
    spec = pvc.get("spec") or {}
    requested = _requested(pvc)
    wanted_class = claim_class(pvc)
    selector = None
    if spec.get("selector") is not None:
        from chaoszone.sim.selectors import label_selector_from_dict
        selector = label_selector_from_dict(spec.get("selector"))
    if spec.get("volumeAttributesClassName"):
        return None  # VolumeAttributesClass is beta and off in 1.32
    smallest: Obj | None = None
    smallest_size = Decimal(0)
    for pv in volumes:
        meta = pv.get("metadata") or {}
        if meta.get("name") in excluded:
            continue
        pv_spec = pv.get("spec") or {}
        if pv_spec.get("claimRef") and not _bound_to(pv, pvc):
            continue
        size = _capacity(pv)
        if size < requested:
            continue
        if _volume_mode(spec) != _volume_mode(pv_spec):
            continue
        if meta.get("deletionTimestamp"):
            continue
        affinity_ok = check_node_affinity(pv, labels)
        if _bound_to(pv, pvc):
            return pv if affinity_ok else None
        if (pv.get("status") or {}).get("phase") != "Available":
            continue
        if selector is not None and not selector.matches(meta.get("labels") or {}):
            continue
        if claim_class(pv) != wanted_class:
            continue
        if not affinity_ok:
            continue
        if not _access_modes_fit(pvc, pv):
            continue
        if smallest is None or smallest_size > size:
            smallest, smallest_size = pv, size
    return smallest


def _topology_matches(terms: Any, labels: Mapping[str, str]) -> bool:
    """``MatchTopologySelectorTerms``: terms ORed, expressions ANDed as ``In``."""
    if not terms:
        return True
    for term in terms:
        expressions = (term or {}).get("matchLabelExpressions") or ()
        if not expressions:
            continue
        if all(labels.get(e.get("key") or "") in (e.get("values") or ())
               and (e.get("key") or "") in labels for e in expressions):
            return True
    return False


@dataclass
class PodVolumes:
    """What binding the pod on one node takes: volumes to pre-bind, claims to provision."""

    static: list[tuple[Obj, Obj]] = field(default_factory=list)
    dynamic: list[Obj] = field(default_factory=list)


@dataclass
class _State:
    bound: list[Obj] = field(default_factory=list)
    delayed: list[Obj] = field(default_factory=list)
    volumes_by_class: dict[str, list[Obj]] = field(default_factory=dict)
    by_node: dict[str, PodVolumes] = field(default_factory=dict)


class VolumeBinding(PreFilterPlugin, FilterPlugin):
    name = "VolumeBinding"
    events = frozenset({ev.PV_CHANGE, ev.PVC_CHANGE, ev.STORAGE_CLASS_CHANGE, ev.NODE_ADD,
                        ev.NODE_LABEL, ev.NODE_TAINT})

    def _get(self, kind: str, namespace: str, name: Any) -> Obj | None:
        return self.cache.listers.get(kind, namespace, str(name or ""))

    def _delay_binding(self, pvc: Obj) -> bool | str:
        """``IsDelayBindingMode``: True, False, or an error message."""
        class_name = claim_class(pvc)
        if not class_name:
            return False
        sc = self._get("StorageClass", "", class_name)
        if sc is None:
            return False
        mode = sc.get("volumeBindingMode")
        if mode is None:
            return f'VolumeBindingMode not set for StorageClass "{class_name}"'
        return bool(mode == "WaitForFirstConsumer")

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        claims = pod_claim_names(pod.spec)
        if not claims:
            return None, Status(Code.Skip)
        ns = pod.namespace
        pvcs: list[Obj] = []
        for name, ephemeral in claims:
            if ephemeral:
                name = f"{pod.name}-{name}"
            pvc = self._get("PersistentVolumeClaim", ns, name)
            if pvc is None:
                if ephemeral:
                    msg = ("waiting for ephemeral volume controller to create the "
                           f'persistentvolumeclaim "{name}"')
                else:
                    msg = f'persistentvolumeclaim "{name}" not found'
                return None, Status(Code.UnschedulableAndUnresolvable, msg)
            if (pvc.get("status") or {}).get("phase") == "Lost":
                volume = (pvc.get("spec") or {}).get("volumeName") or ""
                return None, Status(
                    Code.UnschedulableAndUnresolvable,
                    f'persistentvolumeclaim "{name}" bound to non-existent persistentvolume '
                    f'"{volume}"')
            if (pvc.get("metadata") or {}).get("deletionTimestamp"):
                return None, Status(Code.UnschedulableAndUnresolvable,
                                    f'persistentvolumeclaim "{name}" is being deleted')
            pvcs.append(pvc)
        data = _State()
        immediate = False
        for pvc in pvcs:
            if _fully_bound(pvc):
                data.bound.append(pvc)
                continue
            delay = self._delay_binding(pvc)
            if isinstance(delay, str):
                return None, Status(Code.Error, delay)
            if delay and not (pvc.get("spec") or {}).get("volumeName"):
                data.delayed.append(pvc)
            else:
                immediate = True
        if immediate:
            return None, Status(Code.UnschedulableAndUnresolvable, ERR_UNBOUND_IMMEDIATE)
        for pvc in data.delayed:
            class_name = claim_class(pvc)
            if class_name not in data.volumes_by_class:
                data.volumes_by_class[class_name] = [
                    pv for pv in self.cache.listers.list("PersistentVolume", None)
                    if claim_class(pv) == class_name]
        state.data[self.name] = data
        eligible = self._eligible_nodes(data.bound)
        if eligible is not None:
            return PreFilterResult(frozenset(eligible)), None
        return None, None

    def _eligible_nodes(self, bound: Sequence[Obj]) -> set[str] | None:
        """``GetEligibleNodes``: volumes pinned by hostname narrow the nodes."""
        eligible: set[str] | None = None
        for pvc in bound:
            pv = self._get("PersistentVolume", "", (pvc.get("spec") or {}).get("volumeName"))
            if pv is None:
                continue
            names = _local_volume_node_names(pv)
            if names:
                eligible = set(names) if eligible is None else eligible & set(names)
        return eligible

    cost = 20

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        data = state.data.get(self.name)
        if not isinstance(data, _State):
            return None
        reasons, volumes = self.find_pod_volumes(data, node)
        if isinstance(reasons, Status):
            return reasons
        if reasons:
            return Status(Code.UnschedulableAndUnresolvable, *reasons)
        data.by_node[node.name] = volumes
        return None

    def find_pod_volumes(self, data: _State, node: NodeInfo
                         ) -> tuple[list[str] | Status, PodVolumes]:
        """``FindPodVolumes``: the conflict reasons on this node, in upstream's order."""
        volumes = PodVolumes()
        bound_ok = unbound_ok = enough_space = pvs_found = True
        labels = node.labels
        for pvc in data.bound:
            pv = self._get("PersistentVolume", "", (pvc.get("spec") or {}).get("volumeName"))
            if pv is None:
                pvs_found = False
                break
            if not check_node_affinity(pv, labels):
                bound_ok = False
                break
        if data.delayed:
            to_match: list[Obj] = []
            to_provision: list[Obj] = []
            fast_fail = False
            for pvc in data.delayed:
                selected = ((pvc.get("metadata") or {}).get("annotations") or {}).get(
                    ANN_SELECTED_NODE)
                if selected is not None:
                    if selected != node.name:
                        unbound_ok = False
                        fast_fail = True
                        break
                    to_provision.append(pvc)
                else:
                    to_match.append(pvc)
            if not fast_fail:
                if to_match:
                    chosen: set[str] = set()
                    for pvc in sorted(to_match, key=_requested):
                        pv = find_matching_volume(
                            pvc, data.volumes_by_class.get(claim_class(pvc), ()), labels,
                            chosen)
                        if pv is None:
                            unbound_ok = False
                            to_provision.append(pvc)
                            continue
                        chosen.add(pv["metadata"]["name"])
                        volumes.static.append((pv, pvc))
                if to_provision:
                    result = self._check_provisions(to_provision, labels)
                    if isinstance(result, Status):
                        return result, volumes
                    unbound_ok, enough_space, provisions = result
                    volumes.dynamic = provisions
        reasons: list[str] = []
        if not bound_ok:
            reasons.append(ERR_REASON_NODE_CONFLICT)
        if not unbound_ok:
            reasons.append(ERR_REASON_BIND_CONFLICT)
        if not enough_space:
            reasons.append(ERR_REASON_NOT_ENOUGH_SPACE)
        if not pvs_found:
            reasons.append(ERR_REASON_PV_NOT_EXIST)
        return reasons, volumes

    def _check_provisions(self, claims: Sequence[Obj], labels: Mapping[str, str]
                          ) -> tuple[bool, bool, list[Obj]] | Status:
        """``checkVolumeProvisions``: (provisionable, enough storage, claims to provision)."""
        out: list[Obj] = []
        for pvc in claims:
            meta = pvc.get("metadata") or {}
            class_name = claim_class(pvc)
            if not class_name:
                return Status(Code.Error,
                              f'no class for claim "{meta.get("namespace")}/{meta.get("name")}"')
            sc = self._get("StorageClass", "", class_name)
            if sc is None:
                return Status(Code.Error, f'failed to find storage class "{class_name}"')
            provisioner = sc.get("provisioner") or ""
            if not provisioner or provisioner == NOT_SUPPORTED_PROVISIONER:
                return False, True, []
            if not _topology_matches(sc.get("allowedTopologies"), labels):
                return False, True, []
            out.append(pvc)
        return True, True, out

    def pod_volumes(self, state: CycleState, node: str) -> PodVolumes | None:
        """What PreBind has to write for the chosen node (None: nothing to bind)."""
        data = state.data.get(self.name)
        if not isinstance(data, _State):
            return None
        volumes = data.by_node.get(node)
        if volumes is None or (not volumes.static and not volumes.dynamic):
            return None
        return volumes


def _local_volume_node_names(pv: Obj) -> list[str]:
    """``GetLocalPersistentVolumeNodeNames``: hostname ``In`` values of each term."""
    required = ((pv.get("spec") or {}).get("nodeAffinity") or {}).get("required") or {}
    result: set[str] = set()
    for term in required.get("nodeSelectorTerms") or ():
        nodes: set[str] | None = None
        for expression in (term or {}).get("matchExpressions") or ():
            if expression.get("key") == LABEL_HOSTNAME and expression.get("operator") == "In":
                values = set(expression.get("values") or ())
                nodes = values if nodes is None else nodes & values
        if nodes:
            result |= nodes
    return sorted(result)
