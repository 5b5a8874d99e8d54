"""NodePorts: a pod's host ports must be free on the node (0.0.0.0 conflicts with
every address of the same protocol and port).

Upstream: pkg/scheduler/framework/plugins/nodeports/node_ports.go (release-1.32).
"""

from __future__ import annotations

from chaoszone.sim.scheduler import events as ev
from chaoszone.sim.scheduler.framework import (
    Code,
    CycleState,
    FilterPlugin,
    PreFilterPlugin,
    PreFilterResult,
    Status,
)
from chaoszone.sim.scheduler.types import NodeInfo, PodInfo

__all__ = ["ERR_REASON", "NodePorts"]

ERR_REASON = "node(s) didn't have free ports for the requested pod ports"


class NodePorts(PreFilterPlugin, FilterPlugin):
    name = "NodePorts"
    events = frozenset({ev.ASSIGNED_POD_DELETE, ev.NODE_ADD, ev.NODE_LABEL, ev.NODE_TAINT,
                        ev.NODE_ALLOCATABLE})

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        if not pod.host_ports:
            return None, Status(Code.Skip)
        return None, None

    cost = 5

    def filter_key(self, state: CycleState, pod: PodInfo) -> str | None:
        return repr(pod.host_ports)

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        for ip, protocol, port in pod.host_ports:
            if node.port_conflict(ip, protocol, port):
                return Status(Code.Unschedulable, ERR_REASON)
        return None
