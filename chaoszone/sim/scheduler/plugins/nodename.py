"""NodeName: a pod that names a node fits only that node. (Pods created with
``spec.nodeName`` never reach the scheduler; the plugin matters for the filter chain as
upstream runs it.)

Upstream: pkg/scheduler/framework/plugins/nodename/node_name.go (release-1.32).
"""

from __future__ import annotations

from collections.abc import Sequence

from chaoszone.sim.scheduler import events as ev
from chaoszone.sim.scheduler.framework import Code, CycleState, FilterPlugin, Status
from chaoszone.sim.scheduler.types import NodeInfo, PodInfo

__all__ = ["ERR_REASON", "NodeName"]

ERR_REASON = "node(s) didn't match the requested node name"


class NodeName(FilterPlugin):
    name = "NodeName"
    events = frozenset({ev.NODE_ADD})

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        wanted = pod.spec.get("nodeName")
        if not wanted or wanted == node.name:
            return None
        return Status(Code.UnschedulableAndUnresolvable, ERR_REASON)

    cost = 1

    def filter_key(self, state: CycleState, pod: PodInfo) -> str | None:
        return str(pod.spec.get("nodeName") or "")

    def feasible_nodes(self, state: CycleState, pod: PodInfo,
                       nodes: Sequence[NodeInfo]) -> Sequence[NodeInfo]:
        wanted = pod.spec.get("nodeName")
        if not wanted:
            return nodes
        return [n for n in nodes if n.name == wanted]

    def filter_nodes(self, state: CycleState, pod: PodInfo,
                     nodes: Sequence[NodeInfo]) -> list[Status | None]:
        if not pod.spec.get("nodeName"):
            return [None] * len(nodes)
        return super().filter_nodes(state, pod, nodes)
