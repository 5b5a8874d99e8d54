"""DefaultPreemption: when a pod fits nowhere, look for nodes where evicting lower-priority
pods would let it fit, and say why not in the ``preemption: ...`` part of the
FailedScheduling message.

A pod nominated to a node where one of its victims is still terminating waits for it.
Only nodes rejected as ``Unschedulable`` are candidates; the others are "Preemption is
not helpful for scheduling". On a candidate node without lower-priority pods there is
"No preemption victims found for incoming pod"; otherwise all of them are removed and
the filters run again, whose verdict is reported if the pod still does not fit. When a
node would fit, the cheapest one is chosen as upstream does (fewest PDB violations
ignored, lowest highest victim priority, lowest priority sum, fewest victims), the
scheduler evicts the victims through ``on_preempt`` and nominates the node.

Upstream: pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go and
pkg/scheduler/framework/preemption/preemption.go (release-1.32).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chaoszone.sim.scheduler.framework import (
    Code,
    CycleState,
    Diagnosis,
    Framework,
    PostFilterPlugin,
    Status,
    fit_error_message,
)
from chaoszone.sim.scheduler.types import NodeInfo, PodInfo

__all__ = ["NOT_HELPFUL", "NO_VICTIMS", "DefaultPreemption"]

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"

Preempt = Callable[[PodInfo, str, Sequence[PodInfo]], None]


class DefaultPreemption(PostFilterPlugin):
    name = "DefaultPreemption"

    #: set by the scheduler: evict these victims for this pod on this node
    on_preempt: Preempt | None = None

    def post_filter(self, state: CycleState, pod: PodInfo, diagnosis: Diagnosis,
                    framework: Framework) -> tuple[str | None, Status | None]:
        if pod.spec.get("preemptionPolicy") == "Never":
            return None, Status(Code.Unschedulable,
                                "preemption: not eligible due to preemptionPolicy=Never.")
        if self._waiting_for_victims(pod, diagnosis):
            return None, Status(Code.Unschedulable, "preemption: not eligible due to a "
                                                    "terminating pod on the nominated node.")
        all_nodes = list(self.cache.node_infos())
        if not all_nodes:
            return None, Status(Code.Error, "preemption: no nodes available")
        potential = [n for n in all_nodes
                     if (s := diagnosis.status_of(n.name)) is not None
                     and s.code == Code.Unschedulable]
        statuses: dict[str, Status] = {}
        candidates: list[tuple[NodeInfo, list[PodInfo]]] = []
        for node in potential:
            victims, status = self._select_victims(pod, node, framework)
            if status is None:
                candidates.append((node, victims))
            else:
                statuses[node.name] = status
        if not candidates:
            result = Diagnosis(statuses=statuses,
                               absent=Status(Code.UnschedulableAndUnresolvable, NOT_HELPFUL))
            return None, Status(Code.Unschedulable,
                                "preemption: " + fit_error_message(len(all_nodes), result))
        node, victims = min(candidates, key=_cost)
        if self.on_preempt is not None:
            self.on_preempt(pod, node.name, victims)
        return node.name, None

    def _waiting_for_victims(self, pod: PodInfo, diagnosis: Diagnosis) -> bool:
        """``PodEligibleToPreemptOthers``: a pod nominated to a node where a victim of its
        preemption is still terminating waits for it rather than preempting again
        (unless that node can no longer help at all)."""
        nominated = (pod.pod.get("status") or {}).get("nominatedNodeName")
        if not nominated:
            return False
        status = diagnosis.status_of(nominated)
        if status is not None and status.code == Code.UnschedulableAndUnresolvable:
            return False
        node = self.cache.get(nominated)
        if node is None:
            return False
        return any(p.priority < pod.priority and _terminating_by_preemption(p)
                   for p in node.pods.values())

    def _select_victims(self, pod: PodInfo, node: NodeInfo, framework: Framework
                        ) -> tuple[list[PodInfo], Status | None]:
        """``SelectVictimsOnNode``: remove every lower-priority pod, check the pod fits,
        then give back as many as still let it fit, most important first."""
        lower = [p for p in node.pods.values() if p.priority < pod.priority]
        if not lower:
            return [], Status(Code.UnschedulableAndUnresolvable, NO_VICTIMS)
        cache = self.cache
        assumed = {p.key for p in lower if cache.is_assumed(p.key)}
        for p in lower:
            cache.remove_pod(p.key)
        removed = list(lower)
        try:
            status = self._fits(pod, node, framework)
            if status is not None:
                return [], status
            victims: list[PodInfo] = []
            for p in sorted(lower, key=lambda p: -p.priority):
                cache.add_pod_info(p, node.name)
                removed.remove(p)
                if self._fits(pod, node, framework) is not None:
                    cache.remove_pod(p.key)
                    removed.append(p)
                    victims.append(p)
            return victims, None
        finally:
            for p in removed:
                if p.key in assumed:
                    cache.assume(p, node.name)
                else:
                    cache.add_pod_info(p, node.name)

    @staticmethod
    def _fits(pod: PodInfo, node: NodeInfo, framework: Framework) -> Status | None:
        state = CycleState()
        _, status, _ = framework.run_pre_filter(state, pod)
        if status is not None:
            return status
        return framework.filter_node(state, pod, node)


def _terminating_by_preemption(pod: PodInfo) -> bool:
    """``podTerminatingByPreemption``."""
    if not pod.terminating:
        return False
    for condition in (pod.pod.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "DisruptionTarget":
            return bool(condition.get("status") == "True"
                        and condition.get("reason") == "PreemptionByScheduler")
    return False


def _cost(candidate: tuple[NodeInfo, list[PodInfo]]) -> tuple[int, int, int, str]:
    node, victims = candidate
    priorities = [v.priority for v in victims]
    return (max(priorities, default=0), sum(priorities), len(victims), node.name)
