"""NodeResourcesFit: the pod's requests must fit in what the node's allocatable leaves
after the requests of the pods already on it, and one more pod must be allowed; scoring
is LeastAllocated over cpu and memory (weight 1 each), counting a container without a
request as 100m cpu and 200Mi memory.

Upstream: pkg/scheduler/framework/plugins/noderesources/{fit.go,least_allocated.go,
resource_allocation.go} (release-1.32).
"""

from __future__ import annotations

from collections.abc import Sequence

from chaoszone.sim.scheduler import events as ev
from chaoszone.sim.scheduler.framework import (
    MAX_NODE_SCORE,
    Code,
    CycleState,
    FilterPlugin,
    PreFilterPlugin,
    PreFilterResult,
    ScorePlugin,
    Status,
)
from chaoszone.sim.scheduler.types import NodeInfo, PodInfo, Resource

__all__ = ["NodeResourcesFit", "insufficient_resources", "least_requested_score"]


def insufficient_resources(request: Resource, node: NodeInfo) -> list[str]:
    """``fitsRequest``: the reasons, in upstream's order (pods, cpu, memory, ephemeral
    storage, then scalar resources)."""
    reasons: list[str] = []
    if len(node.pods) + 1 > node.allocatable.allowed_pods:
        reasons.append("Too many pods")
    if request.is_zero():
        return reasons
    alloc = node.allocatable
    used = node.requested
    if request.milli_cpu > 0 and request.milli_cpu > alloc.milli_cpu - used.milli_cpu:
        reasons.append("Insufficient cpu")
    if request.memory > 0 and request.memory > alloc.memory - used.memory:
        reasons.append("Insufficient memory")
    if request.ephemeral > 0 and request.ephemeral > alloc.ephemeral - used.ephemeral:
        reasons.append("Insufficient ephemeral-storage")
    for name, amount in request.scalars.items():
        if amount == 0:
            continue
        if amount > alloc.scalars.get(name, 0) - used.scalars.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return reasons


def least_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


class NodeResourcesFit(PreFilterPlugin, FilterPlugin, ScorePlugin):
    name = "NodeResourcesFit"
    weight = 1
    events = frozenset({ev.ASSIGNED_POD_DELETE, ev.ASSIGNED_POD_UPDATE, ev.NODE_ADD,
                        ev.NODE_ALLOCATABLE, ev.NODE_TAINT, ev.NODE_LABEL})

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        return None, None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        reasons = insufficient_resources(pod.requests, node)
        if reasons:
            return Status(Code.Unschedulable, *reasons)
        return None

    cost = 4

    def filter_key(self, state: CycleState, pod: PodInfo) -> str | None:
        r = pod.requests
        return f"{r.milli_cpu},{r.memory},{r.ephemeral},{sorted(r.scalars.items())}"

    def score_key(self, state: CycleState, pod: PodInfo) -> str | None:
        return f"{pod.non_zero_cpu},{pod.non_zero_memory}"

    def feasible_nodes(self, state: CycleState, pod: PodInfo,
                       nodes: Sequence[NodeInfo]) -> Sequence[NodeInfo]:
        request = pod.requests
        cpu, memory, ephemeral = request.milli_cpu, request.memory, request.ephemeral
        scalars = [(k, v) for k, v in request.scalars.items() if v]
        if scalars:
            return [n for n in nodes if not insufficient_resources(request, n)]
        # a zero request never fails, so compare against -1 (always below the room left)
        cpu = cpu if cpu > 0 else -(1 << 62)
        memory = memory if memory > 0 else -(1 << 62)
        ephemeral = ephemeral if ephemeral > 0 else -(1 << 62)
        out: list[NodeInfo] = []
        append = out.append
        for node in nodes:
            pods, free_cpu, free_memory, free_ephemeral = node.free
            if pods > 0 and cpu <= free_cpu and memory <= free_memory \
                    and ephemeral <= free_ephemeral:
                append(node)
        return out

    def filter_nodes(self, state: CycleState, pod: PodInfo,
                     nodes: Sequence[NodeInfo]) -> list[Status | None]:
        request = pod.requests
        if not request.is_zero():
            return super().filter_nodes(state, pod, nodes)
        # best-effort pods: only the pod count can fail
        out: list[Status | None] = []
        for node in nodes:
            if len(node.pods) + 1 > node.allocatable.allowed_pods:
                out.append(Status(Code.Unschedulable, "Too many pods"))
            else:
                out.append(None)
        return out

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        return self.score_nodes(state, pod, [node])[0]

    def score_nodes(self, state: CycleState, pod: PodInfo,
                    nodes: Sequence[NodeInfo]) -> list[int]:
        cpu, memory = pod.non_zero_cpu, pod.non_zero_memory
        out: list[int] = []
        append = out.append
        for node in nodes:
            alloc = node.allocatable
            cap_cpu, cap_mem = alloc.milli_cpu, alloc.memory
            total = weights = 0
            if cap_cpu:
                req = node.non_zero_cpu + cpu
                total += (cap_cpu - req) * MAX_NODE_SCORE // cap_cpu if req <= cap_cpu else 0
                weights += 1
            if cap_mem:
                req = node.non_zero_memory + memory
                total += (cap_mem - req) * MAX_NODE_SCORE // cap_mem if req <= cap_mem else 0
                weights += 1
            append(total // weights if weights else 0)
        return out
