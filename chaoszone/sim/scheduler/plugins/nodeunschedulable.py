"""NodeUnschedulable: a cordoned node (``spec.unschedulable``) takes only pods that
tolerate the ``node.kubernetes.io/unschedulable:NoSchedule`` taint.

Upstream: pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go
(release-1.32). Fidelity: ``nu-*``.
"""

from __future__ import annotations

from collections.abc import Sequence

from chaoszone.sim.objects import UNSCHEDULABLE_TAINT
from chaoszone.sim.scheduler import events as ev
from chaoszone.sim.scheduler.framework import Code, CycleState, FilterPlugin, Status
from chaoszone.sim.scheduler.types import NodeInfo, PodInfo, tolerations_tolerate

__all__ = ["ERR_REASON_UNSCHEDULABLE", "NodeUnschedulable"]

ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
_UNSCHEDULABLE_TAINT = {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}


class NodeUnschedulable(FilterPlugin):
    name = "NodeUnschedulable"
    events = frozenset({ev.NODE_ADD, ev.NODE_TAINT})

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.unschedulable:
            return None
        if tolerations_tolerate(pod.tolerations, _UNSCHEDULABLE_TAINT):
            return None
        return Status(Code.UnschedulableAndUnresolvable, ERR_REASON_UNSCHEDULABLE)

    cost = 1

    def filter_key(self, state: CycleState, pod: PodInfo) -> str | None:
        return pod.tolerations_key()

    def filter_nodes(self, state: CycleState, pod: PodInfo,
                     nodes: Sequence[NodeInfo]) -> list[Status | None]:
        if not any(n.unschedulable for n in nodes):
            return [None] * len(nodes)
        return super().filter_nodes(state, pod, nodes)

    def feasible_nodes(self, state: CycleState, pod: PodInfo,
                       nodes: Sequence[NodeInfo]) -> Sequence[NodeInfo]:
        if not self.cache.cordoned:
            return nodes
        if tolerations_tolerate(pod.tolerations, _UNSCHEDULABLE_TAINT):
            return nodes
        return [n for n in nodes if not n.unschedulable]
