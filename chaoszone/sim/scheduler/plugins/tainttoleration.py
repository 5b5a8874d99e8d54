"""TaintToleration: a node with a NoSchedule or NoExecute taint that no toleration of the
pod tolerates is rejected (the first such taint, in node order, is named in the reason);
scoring prefers nodes with fewer untolerated PreferNoSchedule taints.

Upstream: pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go and
pkg/scheduler/framework/plugins/helper/taint.go (release-1.32). Fidelity: ``tt-*``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chaoszone.sim.scheduler import events as ev
from chaoszone.sim.scheduler.framework import (
    Code,
    CycleState,
    FilterPlugin,
    ScorePlugin,
    Status,
    default_normalize,
)
from chaoszone.sim.scheduler.types import (
    NodeInfo,
    PodInfo,
    find_untolerated_taint,
    tolerations_tolerate,
)

__all__ = ["TaintToleration", "untolerated_reason"]


def untolerated_reason(taint: dict[str, Any] | Any) -> str:
    return f"node(s) had untolerated taint {{{taint.get('key') or ''}: {taint.get('value') or ''}}}"


class TaintToleration(FilterPlugin, ScorePlugin):
    name = "TaintToleration"
    weight = 3
    events = frozenset({ev.NODE_ADD, ev.NODE_TAINT})

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        taint = find_untolerated_taint(node.taints, pod.tolerations)
        if taint is None:
            return None
        return Status(Code.UnschedulableAndUnresolvable, untolerated_reason(taint))

    def filter_nodes(self, state: CycleState, pod: PodInfo,
                     nodes: Sequence[NodeInfo]) -> list[Status | None]:
        tolerations = pod.tolerations
        # the same taints give the same verdict: tainted nodes often share their taints
        seen: dict[str, Status | None] = {}
        out: list[Status | None] = []
        for node in nodes:
            taints = node.taints
            if not taints:
                out.append(None)
                continue
            key = repr(taints)
            if key not in seen:
                taint = find_untolerated_taint(taints, tolerations)
                seen[key] = None if taint is None else Status(
                    Code.UnschedulableAndUnresolvable, untolerated_reason(taint))
            verdict = seen[key]
            out.append(None if verdict is None else Status(verdict.code, *verdict.reasons))
        return out

    cost = 2

    def filter_key(self, state: CycleState, pod: PodInfo) -> str | None:
        return pod.tolerations_key()

    def feasible_nodes(self, state: CycleState, pod: PodInfo,
                       nodes: Sequence[NodeInfo]) -> Sequence[NodeInfo]:
        tainted = self.cache.tainted
        if not tainted:
            return nodes
        rejected = state.data.get(self.name + "/rejected")
        if rejected is None:
            # decide every tainted node once per attempt (most nodes have no taints)
            tolerations = pod.tolerations
            rejected = set()
            for name in tainted:
                node = self.cache.get(name)
                if node is not None and find_untolerated_taint(node.taints, tolerations):
                    rejected.add(name)
            state.data[self.name + "/rejected"] = rejected
        if not rejected:
            return nodes
        return [n for n in nodes if n.name not in rejected]

    def constant(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> bool:
        tainted = self.cache.tainted
        if not tainted:
            return True
        # tainted nodes are few (the control plane, a node under a fault): look at those
        preferring = set()
        for name in tainted:
            info = self.cache.get(name)
            if info is not None and any(t.get("effect") == "PreferNoSchedule"
                                        for t in info.taints):
                preferring.add(name)
        if not preferring:
            return True
        return not any(n.name in preferring for n in nodes)

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        state.data[self.name] = [t for t in pod.tolerations
                                 if (t.get("effect") or "") in ("", "PreferNoSchedule")]
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        tolerations = state.data.get(self.name) or []
        return sum(1 for taint in node.taints if taint.get("effect") == "PreferNoSchedule"
                   and not tolerations_tolerate(tolerations, taint))

    def score_nodes(self, state: CycleState, pod: PodInfo,
                    nodes: Sequence[NodeInfo]) -> list[int]:
        score = self.score
        return [score(state, pod, n) if n.taints else 0 for n in nodes]

    def normalize(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                  scores: list[int]) -> None:
        default_normalize(scores, reverse=True)
