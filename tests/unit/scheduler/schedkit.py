"""Builders for the scheduler's tests: nodes and pods as the API stores them, and a
scheduler cache with the default profile on them (no store, no clock)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chaoszone.sim.scheduler.cache import Cache, DictListers
from chaoszone.sim.scheduler.framework import (
    Code,
    CycleState,
    FilterPlugin,
    Framework,
    PreFilterPlugin,
    ScorePlugin,
    Status,
)
from chaoszone.sim.scheduler.plugins import default_plugins
from chaoszone.sim.scheduler.types import PodInfo

ZONE = "topology.kubernetes.io/zone"
HOSTNAME = "kubernetes.io/hostname"


def node(name: str, *, zone: str | None = None, labels: Mapping[str, str] | None = None,
         taints: Sequence[Mapping[str, Any]] = (), unschedulable: bool = False,
         cpu: str = "4", memory: str = "8Gi", pods: str = "110",
         images: Sequence[tuple[str, int]] = ()) -> dict[str, Any]:
    all_labels = {HOSTNAME: name}
    if zone is not None:
        all_labels[ZONE] = zone
    all_labels.update(labels or {})
    allocatable = {"cpu": cpu, "memory": memory, "pods": pods}
    obj: dict[str, Any] = {
        "kind": "Node", "apiVersion": "v1",
        "metadata": {"name": name, "labels": all_labels},
        "spec": {},
        "status": {"allocatable": dict(allocatable), "capacity": dict(allocatable),
                   "conditions": [{"type": "Ready", "status": "True"}]},
    }
    if taints:
        obj["spec"]["taints"] = [dict(t) for t in taints]
    if unschedulable:
        obj["spec"]["unschedulable"] = True
    if images:
        obj["status"]["images"] = [{"names": [n], "sizeBytes": size} for n, size in images]
    return obj


def pod(name: str, *, namespace: str = "default", labels: Mapping[str, str] | None = None,
        node: str | None = None, cpu: str | None = None, memory: str | None = None,
        terminating: bool = False, phase: str | None = None, priority: int | None = None,
        **spec: Any) -> dict[str, Any]:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    container: dict[str, Any] = {"name": "app", "image": "registry.k8s.io/pause:3.10"}
    if requests:
        container["resources"] = {"requests": requests}
    full_spec: dict[str, Any] = {"containers": [container], **spec}
    if node is not None:
        full_spec["nodeName"] = node
    if priority is not None:
        full_spec["priority"] = priority
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "uid": f"uid-{name}",
                            "labels": dict(labels or {})}
    if terminating:
        meta["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": full_spec,
            "status": {"phase": phase or ("Running" if node else "Pending")}}


def spread(key: str = ZONE, *, max_skew: int = 1, when: str = "DoNotSchedule",
           match: Mapping[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    constraint: dict[str, Any] = {"maxSkew": max_skew, "topologyKey": key,
                                  "whenUnsatisfiable": when,
                                  "labelSelector": {"matchLabels": dict(match or {})}}
    constraint.update(extra)
    return constraint


class World:
    """A cache holding ``nodes`` and ``pods`` (and other objects for the listers), with
    the default profile's plugins."""

    def __init__(self, nodes: Iterable[dict[str, Any]] = (), pods: Iterable[dict[str, Any]] = (),
                 objects: Iterable[dict[str, Any]] = (),
                 plugin_args: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.cache = Cache(DictListers(objects))
        self.node_names: list[str] = []
        for n in nodes:
            self.cache.add_node(n)
            self.node_names.append(n["metadata"]["name"])
        for p in pods:
            self.cache.add_pod(p)
        self.framework = Framework(self.cache, default_plugins(self.cache, plugin_args))

    def plugin(self, name: str) -> Any:
        return self.framework.by_name[name]

    def verdicts(self, name: str, incoming: dict[str, Any]) -> dict[str, Status | None]:
        """Run one plugin alone, as upstream's unit tests do: PreFilter, then Filter."""
        plugin = self.plugin(name)
        info = PodInfo(incoming)
        state = CycleState()
        if isinstance(plugin, PreFilterPlugin):
            _, status = plugin.pre_filter(state, info)
            if status is not None:
                if status.code == Code.Skip:
                    return dict.fromkeys(self.node_names)
                return dict.fromkeys(self.node_names, status)
        assert isinstance(plugin, FilterPlugin)
        out: dict[str, Status | None] = {}
        for name_ in self.node_names:
            node_info = self.cache.get(name_)
            assert node_info is not None
            out[name_] = plugin.filter(state, info, node_info)
        return out

    def codes(self, name: str, incoming: dict[str, Any]) -> dict[str, str]:
        return {n: "Success" if s is None else s.code.name
                for n, s in self.verdicts(name, incoming).items()}

    def feasible(self, incoming: dict[str, Any]) -> list[str]:
        info = PodInfo(incoming)
        state = CycleState()
        result, status, _ = self.framework.run_pre_filter(state, info)
        if status is not None:
            return []
        nodes = [self.cache.get(n) for n in self.node_names]
        candidates = [n for n in nodes if n is not None and (
            result is None or result.node_names is None or n.name in result.node_names)]
        return sorted(n.name for n in self.framework.filter_batch(state, info, candidates))

    def scores(self, name: str, incoming: dict[str, Any], *, normalized: bool = True
               ) -> dict[str, int]:
        plugin = self.plugin(name)
        assert isinstance(plugin, ScorePlugin)
        info = PodInfo(incoming)
        state = CycleState()
        nodes = [n for n in (self.cache.get(x) for x in self.node_names) if n is not None]
        status = plugin.pre_score(state, info, nodes)
        if status is not None and status.code == Code.Skip:
            return dict.fromkeys(self.node_names, 0)
        scores = plugin.score_nodes(state, info, nodes)
        if normalized:
            plugin.normalize(state, info, nodes, scores)
        return {n.name: s for n, s in zip(nodes, scores, strict=True)}

    def schedule(self, incoming: dict[str, Any]) -> Any:
        result, _ = self.framework.schedule(PodInfo(incoming))
        return result
