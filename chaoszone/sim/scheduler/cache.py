"""The scheduler's view of the cluster: a :class:`NodeInfo` per node with the pods
assigned to it, kept up to date one event at a time, and the object lookups plugins need
(claims, volumes, classes, Services, controllers, namespaces).

The cache is also the per-cycle snapshot: the simulator schedules on one thread and
nothing changes during an attempt, so plugins read it directly. Nodes are listed as
upstream's node tree lists them, one node of each zone in turn, which is the order the
round-robin search walks. Pods that have completed (Succeeded, Failed) are not counted,
as the scheduler's informer never sees them; terminating pods are, until they are gone.

Counting pods that match a selector, per node, is what PodTopologySpread does for every
node and every pod; :meth:`Cache.matching_counts` keeps those counts incrementally for
the selectors in use, so an attempt reads one number per node.

Upstream: pkg/scheduler/backend/cache/{cache.go,node_tree.go,snapshot.go} at release-1.32.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from chaoszone.sim.resources import ResourceType, by_kind
from chaoszone.sim.scheduler.types import NodeInfo, PodInfo
from chaoszone.sim.selectors import LabelSelector

__all__ = ["Cache", "DictListers", "Listers", "StoreListers", "pod_is_counted"]

#: how many selectors' per-node counts are kept up to date at once
MAX_COUNTERS = 256


class Listers(Protocol):
    """Lookups of the objects plugins read besides nodes and pods (upstream's listers)."""

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None: ...

    def list(self, kind: str, namespace: str | None) -> Iterable[dict[str, Any]]: ...


_KINDS: dict[str, tuple[str, str]] = {
    "PersistentVolumeClaim": ("", "v1"), "PersistentVolume": ("", "v1"),
    "StorageClass": ("storage.k8s.io", "v1"), "Service": ("", "v1"),
    "ReplicaSet": ("apps", "v1"), "StatefulSet": ("apps", "v1"),
    "ReplicationController": ("", "v1"), "Namespace": ("", "v1"),
    "CSINode": ("storage.k8s.io", "v1"),
    "PodDisruptionBudget": ("policy", "v1"),
}


class _StoreLike(Protocol):
    def get(self, rt: ResourceType, namespace: str, name: str) -> Any: ...

    def items(self, rt: ResourceType, namespace: str | None = None) -> Iterator[Any]: ...


class StoreListers:
    """Listers that read the simulator's store."""

    def __init__(self, store: _StoreLike) -> None:
        self.store = store
        self._types: dict[str, ResourceType | None] = {
            kind: by_kind(group, version, kind) for kind, (group, version) in _KINDS.items()}

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        rt = self._types.get(kind)
        if rt is None:
            return None
        stored = self.store.get(rt, namespace if rt.namespaced else "", name)
        return None if stored is None else stored.obj

    def list(self, kind: str, namespace: str | None) -> Iterable[dict[str, Any]]:
        rt = self._types.get(kind)
        if rt is None:
            return ()
        return [s.obj for s in self.store.items(rt, namespace if rt.namespaced else None)]


class DictListers:
    """Listers over plain objects (tests, the fidelity runner)."""

    def __init__(self, objects: Iterable[dict[str, Any]] = ()) -> None:
        self._objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        for obj in objects:
            self.add(obj)

    def add(self, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        kind = str(obj.get("kind") or "")
        namespaced = kind not in ("PersistentVolume", "StorageClass", "Namespace", "CSINode")
        ns = (meta.get("namespace") or "default") if namespaced else ""
        self._objects.setdefault(kind, {})[(ns, meta.get("name") or "")] = obj

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        table = self._objects.get(kind) or {}
        return table.get((namespace, name)) or table.get(("", name))

    def list(self, kind: str, namespace: str | None) -> Iterable[dict[str, Any]]:
        table = self._objects.get(kind) or {}
        return [obj for (ns, _), obj in sorted(table.items())
                if namespace is None or ns == namespace or ns == ""]


def pod_is_counted(pod: Mapping[str, Any]) -> bool:
    """Whether the scheduler's cache holds this pod: assigned and not completed."""
    if not (pod.get("spec") or {}).get("nodeName"):
        return False
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


class _Counter:
    """Per node, the matching pods of one (namespace, selector); and, for node subsets
    a plugin asked about (node -> domain maps), the sum per domain."""

    __slots__ = ("aggregates", "counts", "namespace", "selector")

    def __init__(self, namespace: str, selector: LabelSelector) -> None:
        self.namespace = namespace
        self.selector = selector
        self.counts: dict[str, int] = {}
        self.aggregates: dict[int, tuple[Mapping[str, str], dict[str, int]]] = {}

    def change(self, node: str, delta: int) -> None:
        left = self.counts.get(node, 0) + delta
        if left > 0:
            self.counts[node] = left
        else:
            self.counts.pop(node, None)
        for domains, sums in self.aggregates.values():
            domain = domains.get(node)
            if domain is not None:
                sums[domain] += delta


class Cache:
    """Node infos keyed by node name, listed in node-tree order."""

    def __init__(self, listers: Listers | None = None) -> None:
        self.listers: Listers = listers if listers is not None else DictListers()
        self._nodes: dict[str, NodeInfo] = {}
        self._pod_nodes: dict[tuple[str, str], str] = {}
        self._assumed: set[tuple[str, str]] = set()
        self._zones: dict[str, list[str]] = {}
        self._list: list[NodeInfo] | None = None
        self._counters: OrderedDict[tuple[str, LabelSelector], _Counter] = OrderedDict()
        self._anti_affinity_nodes: set[str] = set()
        self._affinity_nodes: set[str] = set()
        #: nodes with taints, cordoned nodes, nodes that report images
        self.tainted: set[str] = set()
        self.cordoned: set[str] = set()
        self.with_images: set[str] = set()
        #: bumped whenever a node is added, removed or changes (not on pod changes)
        self.node_generation = 0
        #: names of the nodes that changed (object, pods added or removed, or a pod's spec,
        #: labels or deletion; not a pod's status), in order; entry i of the log has
        #: sequence number ``log_base + i``
        self.log: list[str] = []
        self.log_base = 0
        self._index: dict[str, int] = {}
        self._label_vectors: dict[str, tuple[int, list[str | None]]] = {}

    # -- snapshot interface ----------------------------------------------------------

    def node_infos(self) -> Sequence[NodeInfo]:
        if self._list is None:
            names: list[str] = []
            zones = list(self._zones.values())
            longest = max((len(z) for z in zones), default=0)
            for i in range(longest):
                for zone in zones:
                    if i < len(zone):
                        names.append(zone[i])
            self._list = [self._nodes[n] for n in names]
            self._index = {n: i for i, n in enumerate(names)}
        return self._list

    def node_index(self) -> Mapping[str, int]:
        """Each listed node's position in :meth:`node_infos`."""
        self.node_infos()
        return self._index

    def label_vector(self, key: str) -> list[str | None]:
        """The value of label ``key`` of each node, in :meth:`node_infos` order."""
        found = self._label_vectors.get(key)
        if found is not None and found[0] == self.node_generation:
            return found[1]
        values = [n.labels.get(key) for n in self.node_infos()]
        if len(self._label_vectors) > 64:
            self._label_vectors.clear()
        self._label_vectors[key] = (self.node_generation, values)
        return values

    @property
    def log_end(self) -> int:
        return self.log_base + len(self.log)

    def changed_since(self, seq: int) -> set[str] | None:
        """The nodes changed since log position ``seq`` (None: too old, recompute all)."""
        if seq < self.log_base:
            return None
        return set(self.log[seq - self.log_base:])

    def _logged(self, name: str) -> None:
        self.log.append(name)
        if len(self.log) > 100_000:
            self.log_base += len(self.log)
            self.log.clear()

    def get(self, name: str) -> NodeInfo | None:
        info = self._nodes.get(name)
        return info if info is not None and info.node is not None else None

    def nodes_with_affinity_pods(self) -> Iterable[NodeInfo]:
        return [self._nodes[n] for n in self._affinity_nodes
                if self._nodes[n].node is not None]

    def nodes_with_required_anti_affinity_pods(self) -> Iterable[NodeInfo]:
        return [self._nodes[n] for n in self._anti_affinity_nodes
                if self._nodes[n].node is not None]

    def pod_node(self, key: tuple[str, str]) -> str | None:
        return self._pod_nodes.get(key)

    def is_assumed(self, key: tuple[str, str]) -> bool:
        return key in self._assumed

    def __len__(self) -> int:
        return len(self.node_infos())

    # -- nodes -----------------------------------------------------------------------

    def _info(self, name: str) -> NodeInfo:
        info = self._nodes.get(name)
        if info is None:
            info = self._nodes[name] = NodeInfo(name)
        return info

    def add_node(self, node: dict[str, Any]) -> NodeInfo:
        name = node["metadata"]["name"]
        info = self._info(name)
        had = info.node is not None
        old_zone = info.zone
        info.set_node(node)
        self._logged(name)
        if had and old_zone != info.zone:
            self._tree_remove(name, old_zone)
            had = False
        if not had:
            self._zones.setdefault(info.zone, []).append(name)
        for flag, members in ((info.taints, self.tainted), (info.unschedulable, self.cordoned),
                              (info.images, self.with_images)):
            if flag:
                members.add(name)
            else:
                members.discard(name)
        self._list = None
        self.node_generation += 1
        return info

    update_node = add_node

    def remove_node(self, name: str) -> None:
        info = self._nodes.get(name)
        if info is None or info.node is None:
            return
        self._tree_remove(name, info.zone)
        for members in (self.tainted, self.cordoned, self.with_images):
            members.discard(name)
        self._list = None
        self.node_generation += 1
        if info.pods:
            info.node = None  # keep the pods' accounting until they go (a "ghost")
        else:
            del self._nodes[name]
            self._affinity_nodes.discard(name)
            self._anti_affinity_nodes.discard(name)

    def _tree_remove(self, name: str, zone: str) -> None:
        names = self._zones.get(zone)
        if names is not None and name in names:
            names.remove(name)
            if not names:
                del self._zones[zone]

    # -- pods ------------------------------------------------------------------------

    def add_pod(self, pod: dict[str, Any]) -> PodInfo | None:
        """Count an assigned, not completed pod (replacing an assumed copy)."""
        if not pod_is_counted(pod):
            return None
        return self.add_pod_info(PodInfo(pod))

    def add_pod_info(self, info: PodInfo, node_name: str | None = None) -> PodInfo:
        key = info.key
        node = node_name or info.node_name
        if key in self._pod_nodes:
            self.remove_pod(key)
        self._assumed.discard(key)
        self._pod_nodes[key] = node
        node_info = self._info(node)
        node_info.add_pod(info)
        self._logged(node)
        if info.has_affinity:
            self._affinity_nodes.add(node)
        if info.required_anti_affinity:
            self._anti_affinity_nodes.add(node)
        if not info.terminating:
            for counter in self._counters.values():
                if counter.namespace == info.namespace and counter.selector.matches(info.labels):
                    counter.change(node, 1)
        return info

    def update_pod(self, pod: dict[str, Any]) -> PodInfo | None:
        meta = pod.get("metadata") or {}
        key = (meta.get("namespace") or "default", meta.get("name") or "")
        if not pod_is_counted(pod):
            self.remove_pod(key)
            return None
        node = self._pod_nodes.get(key)
        if node is not None:
            known = self._nodes[node].pods.get(key)
            spec = pod.get("spec") or {}
            if (known is not None and known.uid == (meta.get("uid") or "")
                    and spec.get("nodeName") == node
                    and (known.spec == spec or (key in self._assumed
                                                and {**known.spec, "nodeName": node} == spec))):
                # a status update, or the binding of a pod this scheduler placed: the
                # spec is the same, so its parse is too
                info = known.rebound(pod)
                if info.labels == known.labels and info.terminating == known.terminating:
                    self._assumed.discard(key)
                    self._replace(node, info)
                    return info
                return self.add_pod_info(info)
        return self.add_pod_info(PodInfo(pod))

    def _replace(self, node: str, info: PodInfo) -> None:
        """A new version of a counted pod that changes nothing counted: same spec (but for
        the binding of an assumed pod's ``nodeName``), labels and deletion state. The same as
        removing and adding it, without taking its requests and selector counts away and
        back."""
        key = info.key
        node_info = self._nodes[node]
        for table in (node_info.pods, node_info.pods_with_affinity,
                      node_info.pods_with_required_anti_affinity):
            if key in table:
                del table[key]  # to the end, where an addition puts it
                table[key] = info
        node_info._changed()
        # not logged as a change: what a plugin's per-node verdict or score reads of the
        # node's pods (requests, ports, labels, affinity) is the same, so the kept
        # vectors stay right (the kubelet's status writes would recompute them each time)

    def remove_pod(self, key: tuple[str, str]) -> PodInfo | None:
        node = self._pod_nodes.pop(key, None)
        self._assumed.discard(key)
        if node is None:
            return None
        node_info = self._nodes.get(node)
        if node_info is None:
            return None
        info = node_info.remove_pod(key)
        self._logged(node)
        if not node_info.pods_with_affinity:
            self._affinity_nodes.discard(node)
        if not node_info.pods_with_required_anti_affinity:
            self._anti_affinity_nodes.discard(node)
        if info is not None and not info.terminating:
            for counter in self._counters.values():
                if counter.namespace == info.namespace and counter.selector.matches(info.labels):
                    counter.change(node, -1)
        if node_info.node is None and not node_info.pods:
            del self._nodes[node]
        return info

    def assume(self, info: PodInfo, node_name: str) -> None:
        """Count a pod on the node chosen for it before the binding is written."""
        self.add_pod_info(info, node_name)
        self._assumed.add(info.key)

    def forget(self, key: tuple[str, str]) -> None:
        """Undo :meth:`assume` (the binding failed)."""
        if key in self._assumed:
            self.remove_pod(key)

    # -- selector counts -------------------------------------------------------------

    def domain_counts(self, namespace: str, selector: LabelSelector,
                      domains: Mapping[str, str]) -> Mapping[str, int]:
        """For ``domains`` (node name -> domain), the matching pods per domain, every
        domain present (0 if none); kept up to date while ``domains`` is in use. The
        caller must not change the result."""
        counter = self._counter(namespace, selector)
        found = counter.aggregates.get(id(domains))
        if found is not None and found[0] is domains:
            return found[1]
        sums = dict.fromkeys(domains.values(), 0)
        for node, n in counter.counts.items():
            domain = domains.get(node)
            if domain is not None:
                sums[domain] += n
        if len(counter.aggregates) >= 8:
            counter.aggregates.clear()
        counter.aggregates[id(domains)] = (domains, sums)
        return sums

    def matching_counts(self, namespace: str, selector: LabelSelector) -> Mapping[str, int]:
        """Per node, how many non-terminating pods of ``namespace`` match ``selector``
        (``countPodsMatchSelector``), kept up to date from now on."""
        return self._counter(namespace, selector).counts

    def _counter(self, namespace: str, selector: LabelSelector) -> _Counter:
        key = (namespace, selector)
        counter = self._counters.get(key)
        if counter is not None:
            self._counters.move_to_end(key)
            return counter
        counter = _Counter(namespace, selector)
        counts = counter.counts
        for node_info in self._nodes.values():
            n = 0
            for info in node_info.pods.values():
                if (info.namespace == namespace and not info.terminating
                        and selector.matches(info.labels)):
                    n += 1
            if n:
                counts[node_info.name] = n
        self._counters[key] = counter
        if len(self._counters) > MAX_COUNTERS:
            self._counters.popitem(last=False)
        return counter
