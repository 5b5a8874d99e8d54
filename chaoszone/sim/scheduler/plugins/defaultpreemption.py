"""DefaultPreemption: when a pod fits nowhere, look for nodes where evicting lower-priority
pods would let it fit, and say why not in the ``preemption: ...`` part of the
FailedScheduling message.

A pod nominated to a node where one of its victims is still terminating waits for it.
Only nodes rejected as ``Unschedulable`` are candidates; the others are "Preemption is
not helpful for scheduling". On a candidate node without lower-priority pods there is
"No preemption victims found for incoming pod"; otherwise all of them are removed and
the filters run again, whose verdict is reported if the pod still does not fit. Then as
many as still let it fit are given back, most important first: first the pods whose
eviction would break a PodDisruptionBudget (the budget's ``disruptionsAllowed`` counted
down over the node's pods, pods already in its ``disruptedPods`` not counted; a budget
with an empty selector matches nothing here), then the others. A budget can still be
broken when nothing else frees the room: preemption does not go through the eviction
API. When several nodes would fit, the cheapest one is chosen as upstream does (fewest
budget-breaking victims, lowest highest victim priority, lowest priority sum, fewest
victims), the scheduler evicts the victims through ``on_preempt`` and nominates the
node.

Upstream: pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go and
pkg/scheduler/framework/preemption/preemption.go (release-1.32).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from chaoszone.sim import errors, selectors
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
        candidates: list[tuple[NodeInfo, list[PodInfo], int]] = []
        budgets = _Budgets(self.cache.listers.list("PodDisruptionBudget", None))
        for node in potential:
            victims, violating, status = self._select_victims(pod, node, framework, budgets)
            if status is None:
                candidates.append((node, victims, violating))
            else:
                statuses[node.name] = status
        if not candidates:
            result = Diagnosis(statuses=statuses,
                               absent=Status(Code.UnschedulableAndUnresolvable, NOT_HELPFUL))
            return None, Status(Code.Unschedulable,
                                "preemption: " + fit_error_message(len(all_nodes), result))
        node, victims, _ = min(candidates, key=_cost)
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

    def _select_victims(self, pod: PodInfo, node: NodeInfo, framework: Framework,
                        budgets: _Budgets | None = None
                        ) -> tuple[list[PodInfo], int, Status | None]:
        """``SelectVictimsOnNode``: remove every lower-priority pod, check the pod fits,
        then give back as many as still let it fit: the budget-breaking ones first, then
        the others, most important first in each group. Also returns how many victims
        break a budget."""
        lower = [p for p in node.pods.values() if p.priority < pod.priority]
        if not lower:
            return [], 0, Status(Code.UnschedulableAndUnresolvable, NO_VICTIMS)
        cache = self.cache
        assumed = {p.key for p in lower if cache.is_assumed(p.key)}
        for p in lower:
            cache.remove_pod(p.key)
        removed = list(lower)
        try:
            status = self._fits(pod, node, framework)
            if status is not None:
                return [], 0, status
            victims: list[PodInfo] = []
            ordered = sorted(lower, key=_importance)
            violating, others = (budgets.split(ordered) if budgets is not None
                                 else ([], ordered))
            broken = 0
            for group in (violating, others):
                for p in group:
                    cache.add_pod_info(p, node.name)
                    removed.remove(p)
                    if self._fits(pod, node, framework) is not None:
                        cache.remove_pod(p.key)
                        removed.append(p)
                        victims.append(p)
                        broken += group is violating
            return victims, broken, None
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


def _importance(pod: PodInfo) -> tuple[int, str]:
    """``util.MoreImportantPod`` as a sort key: higher priority first, then the earlier
    start (a pod without a start time counts as starting now, after every other)."""
    started = (pod.pod.get("status") or {}).get("startTime") or "9999"
    return (-pod.priority, str(started))


class _Budgets:
    """The cluster's PodDisruptionBudgets, read once per preemption attempt: each with a
    selector that can match (an empty or invalid one matches nothing here), its
    ``disruptionsAllowed`` and its ``disruptedPods``."""

    def __init__(self, budgets: Iterable[dict[str, Any]]) -> None:
        self.budgets: list[tuple[str, selectors.LabelSelector, dict[str, Any], int]] = []
        for budget in budgets:
            try:
                parsed = selectors.label_selector_from_dict(
                    (budget.get("spec") or {}).get("selector"))
            except errors.ApiError:
                continue
            if parsed.empty or parsed.selects_nothing:
                continue
            status = budget.get("status") or {}
            self.budgets.append(((budget.get("metadata") or {}).get("namespace") or "default",
                                 parsed, status.get("disruptedPods") or {},
                                 int(status.get("disruptionsAllowed") or 0)))

    def split(self, pods: Iterable[PodInfo]) -> tuple[list[PodInfo], list[PodInfo]]:
        """``filterPodsWithPDBViolation``: walking ``pods`` in order, each matching
        budget's allowance is counted down; a pod that takes one below zero would break it.
        A pod already in a budget's ``disruptedPods`` is not counted against it."""
        allowed = [b[3] for b in self.budgets]
        violating: list[PodInfo] = []
        others: list[PodInfo] = []
        for pod in pods:
            breaks = False
            if pod.labels:
                for i, (namespace, selector, disrupted, _) in enumerate(self.budgets):
                    if namespace != pod.namespace or not selector.matches(pod.labels):
                        continue
                    if pod.name in disrupted:
                        continue
                    allowed[i] -= 1
                    if allowed[i] < 0:
                        breaks = True
            (violating if breaks else others).append(pod)
        return violating, others


def _cost(candidate: tuple[NodeInfo, list[PodInfo], int]) -> tuple[int, int, int, int, str]:
    node, victims, violating = candidate
    priorities = [v.priority for v in victims]
    return (violating, max(priorities, default=0), sum(priorities), len(victims), node.name)
