"""NodeResourcesBalancedAllocation: prefers nodes whose cpu and memory would be used in
the same proportion: ``(1 - |cpuFraction - memoryFraction| / 2) * 100``, from the
requests as declared (no defaults for containers without one).

Upstream: pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go
(release-1.32).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from chaoszone.sim.scheduler.framework import MAX_NODE_SCORE, CycleState, ScorePlugin
from chaoszone.sim.scheduler.types import NodeInfo, PodInfo

__all__ = ["BalancedAllocation", "balanced_score"]


def balanced_score(requested: Sequence[int], allocatable: Sequence[int]) -> int:
    """``balancedResourceScorer``: 1 minus the standard deviation of the used fractions."""
    fractions = []
    for req, alloc in zip(requested, allocatable, strict=True):
        if alloc == 0:
            continue
        fractions.append(min(req / alloc, 1.0))
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)


class BalancedAllocation(ScorePlugin):
    name = "NodeResourcesBalancedAllocation"
    weight = 1

    def score_key(self, state: CycleState, pod: PodInfo) -> str | None:
        return f"{pod.requests.milli_cpu},{pod.requests.memory}"

    def score_nodes(self, state: CycleState, pod: PodInfo,
                    nodes: Sequence[NodeInfo]) -> list[int]:
        req = pod.requests
        cpu, memory = req.milli_cpu, req.memory
        out: list[int] = []
        append = out.append
        for node in nodes:
            alloc = node.allocatable
            used = node.requested
            cap_cpu, cap_mem = alloc.milli_cpu, alloc.memory
            if cap_cpu and cap_mem:
                f1 = min((used.milli_cpu + cpu) / cap_cpu, 1.0)
                f2 = min((used.memory + memory) / cap_mem, 1.0)
                append(int((1 - abs((f1 - f2) / 2)) * MAX_NODE_SCORE))
            else:
                append(MAX_NODE_SCORE)  # one fraction or none: no deviation
        return out

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        alloc = node.allocatable
        used = node.requested
        req = pod.requests
        return balanced_score((used.milli_cpu + req.milli_cpu, used.memory + req.memory),
                              (alloc.milli_cpu, alloc.memory))
