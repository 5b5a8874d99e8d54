"""PodTopologySpread: DoNotSchedule constraints filter, ScheduleAnyway constraints score.

PreFilter counts, for each hard constraint, the matching pods in each domain over *all*
nodes that have every hard topology key and pass the constraint's inclusion policies
(``nodeAffinityPolicy`` Honor by default, ``nodeTaintsPolicy`` Ignore by default); pods
of other namespaces and terminating pods do not count, an empty selector counts none.
The global minimum is 0 when there are fewer domains than ``minDomains``. Filter rejects
a node lacking a key (unresolvable) or where ``count + selfMatch - min > maxSkew``.

A pod without constraints of its own gets the cluster defaults: with ``System``
defaulting, hostname maxSkew 3 and zone maxSkew 5, both ScheduleAnyway, with the
selector of the Services, ReplicaSet, StatefulSet or ReplicationController that own it.

Upstream: pkg/scheduler/framework/plugins/podtopologyspread/{common.go,filtering.go,
scoring.go,plugin.go}, pkg/scheduler/framework/plugins/helper/spread.go and
pkg/scheduler/apis/config/v1/defaults.go (release-1.32; constraints are counted per
constraint as from 1.33, which only differs for same-key constraints the API rejects).
Fidelity: ``pts-*``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaoszone.sim.errors import ApiError
from chaoszone.sim.objects import ZONE_LABEL
from chaoszone.sim.scheduler import events as ev
from chaoszone.sim.scheduler.cache import Cache
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
from chaoszone.sim.scheduler.plugins.nodeaffinity import (
    RequiredNodeAffinity,
    required_node_affinity,
)
from chaoszone.sim.scheduler.types import (
    LABEL_HOSTNAME,
    NodeInfo,
    PodInfo,
    find_untolerated_taint,
)
from chaoszone.sim.selectors import LabelSelector, Requirement, label_selector_from_dict

__all__ = [
    "ERR_REASON_CONSTRAINTS_NOT_MATCH",
    "ERR_REASON_NODE_LABEL_NOT_MATCH",
    "SYSTEM_DEFAULT_CONSTRAINTS",
    "Constraint",
    "PodTopologySpread",
    "default_selector",
]

ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"

SYSTEM_DEFAULT_CONSTRAINTS: tuple[dict[str, Any], ...] = (
    {"topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 3},
    {"topologyKey": ZONE_LABEL, "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 5},
)

_MAX_ELIGIBILITY_ENTRIES = 64
_MAX_MASKS = 64


@dataclass(frozen=True)
class Constraint:
    """``topologySpreadConstraint`` after defaulting and the matchLabelKeys merge."""

    max_skew: int
    topology_key: str
    selector: LabelSelector
    min_domains: int = 1
    node_affinity_policy: str = "Honor"
    node_taints_policy: str = "Ignore"


def _merge_match_labels(selector: LabelSelector, match_labels: Mapping[str, str]
                        ) -> LabelSelector:
    """``mergeLabelSetWithSelector``: a nil selector stays "nothing"."""
    if selector.selects_nothing:
        return selector
    return selector.add(*(Requirement(k, "=", (v,)) for k, v in sorted(match_labels.items())))


_PARSED: dict[str, tuple[Constraint, ...]] = {}


def parse_constraints(raw: Sequence[Mapping[str, Any]], pod_labels: Mapping[str, str],
                      action: str) -> list[Constraint]:
    """``filterTopologySpreadConstraints``: the constraints with ``whenUnsatisfiable ==
    action``, defaulted; raises :class:`ApiError` for a selector that does not parse.
    Parsed once per distinct input (the pods of a workload share it)."""
    uses_labels = any(c.get("matchLabelKeys") for c in raw)
    key = repr((raw, action, pod_labels if uses_labels else None))
    found = _PARSED.get(key)
    if found is None:
        found = tuple(_parse_constraints(raw, pod_labels, action))
        if len(_PARSED) > 1024:
            _PARSED.clear()
        _PARSED[key] = found
    return list(found)


def _parse_constraints(raw: Sequence[Mapping[str, Any]], pod_labels: Mapping[str, str],
                       action: str) -> list[Constraint]:
    out: list[Constraint] = []
    for c in raw:
        if c.get("whenUnsatisfiable") != action:
            continue
        selector = label_selector_from_dict(c.get("labelSelector"))
        keys = c.get("matchLabelKeys") or ()
        if keys:
            merge = {k: pod_labels[k] for k in keys if k in pod_labels}
            if merge:
                selector = _merge_match_labels(selector, merge)
        min_domains = c.get("minDomains")
        out.append(Constraint(
            int(c.get("maxSkew") or 0), str(c.get("topologyKey") or ""), selector,
            int(min_domains) if min_domains is not None else 1,
            str(c.get("nodeAffinityPolicy") or "Honor"),
            str(c.get("nodeTaintsPolicy") or "Ignore")))
    return out


_CONTROLLER_KINDS = {("v1", "ReplicationController"), ("apps/v1", "ReplicaSet"),
                     ("apps/v1", "StatefulSet")}


def default_selector(cache: Cache, pod: PodInfo) -> LabelSelector:
    """``helper.DefaultSelector``: the union of the selectors of the Services selecting
    the pod, plus the selector of its controlling RC, ReplicaSet or StatefulSet."""
    merged: dict[str, str] = {}
    labels = pod.labels
    for svc in cache.listers.list("Service", pod.namespace):
        selector = (svc.get("spec") or {}).get("selector")
        if selector is None:
            continue
        if all(labels.get(k) == v and k in labels for k, v in selector.items()):
            merged.update(selector)
    result = LabelSelector.from_set(merged)
    owner = next((r for r in (pod.pod.get("metadata") or {}).get("ownerReferences") or ()
                  if r.get("controller")), None)
    if owner is None:
        return result
    kind = (owner.get("apiVersion"), owner.get("kind"))
    if kind not in _CONTROLLER_KINDS:
        return result
    obj = cache.listers.get(str(owner.get("kind")), pod.namespace, str(owner.get("name")))
    if obj is None:
        return result
    spec = obj.get("spec") or {}
    if kind[1] == "ReplicationController":
        merged.update(spec.get("selector") or {})
        return LabelSelector.from_set(merged)
    try:
        other = label_selector_from_dict(spec.get("selector"))
    except ApiError:
        return result
    if other.selects_nothing or not other.requirements:
        return result
    return result.add(*other.requirements)


@dataclass
class FilterState:
    """PreFilter's result: per hard constraint, the count of each domain."""

    constraints: list[Constraint]
    counts: list[dict[str, int]] = field(default_factory=list)
    self_match: list[int] = field(default_factory=list)

    def min_match(self, i: int) -> int:
        """``minMatchNum``: the smallest domain count, 0 below ``minDomains`` domains."""
        counts = self.counts[i]
        if len(counts) < self.constraints[i].min_domains:
            return 0
        return min(counts.values(), default=0)


@dataclass
class ScoreState:
    constraints: list[Constraint]
    ignored: set[str] = field(default_factory=set)
    counts: list[dict[str, int]] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


def _go_round(x: float) -> int:
    """``math.Round``: halves away from zero."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


class PodTopologySpread(PreFilterPlugin, FilterPlugin, ScorePlugin):
    name = "PodTopologySpread"
    weight = 2
    events = frozenset({ev.ASSIGNED_POD_ADD, ev.ASSIGNED_POD_UPDATE, ev.ASSIGNED_POD_DELETE,
                        ev.NODE_ADD, ev.NODE_DELETE, ev.NODE_LABEL, ev.NODE_TAINT})

    def __init__(self, cache: Cache, *, defaulting_type: str = "System",
                 default_constraints: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(cache)
        self.system_defaulted = defaulting_type == "System"
        self.default_constraints: tuple[Mapping[str, Any], ...] = (
            SYSTEM_DEFAULT_CONSTRAINTS if self.system_defaulted else tuple(default_constraints))
        self._eligibility: dict[tuple[Any, ...], list[dict[str, str]]] = {}
        self._masks: dict[tuple[Any, ...], bytes] = {}

    # -- constraints -----------------------------------------------------------------

    def constraints(self, pod: PodInfo, action: str) -> list[Constraint]:
        """``getConstraints`` / ``initPreScoreState``: the pod's own constraints, or the
        defaults with the pod's owners' selector (none if that selector is empty)."""
        own = pod.spec.get("topologySpreadConstraints") or ()
        if own:
            return parse_constraints(own, pod.labels, action)
        defaults = parse_constraints(self.default_constraints, pod.labels, action)
        if not defaults:
            return []
        selector = default_selector(self.cache, pod)
        if selector.empty:
            return []
        return [Constraint(c.max_skew, c.topology_key, selector, c.min_domains,
                           c.node_affinity_policy, c.node_taints_policy) for c in defaults]

    def _counts(self, namespace: str, selector: LabelSelector) -> Mapping[str, int]:
        if selector.empty or selector.selects_nothing:
            return {}
        return self.cache.matching_counts(namespace, selector)

    def _eligible(self, pod: PodInfo, constraints: Sequence[Constraint],
                  require_all: bool) -> list[dict[str, str]]:
        """Per constraint, node name -> domain value for the nodes that count (they have
        every key when ``require_all``, and pass the constraint's inclusion policies).
        Cached until a node changes, for pods with the same placement rules."""
        honor_affinity = any(c.node_affinity_policy == "Honor" for c in constraints)
        honor_taints = any(c.node_taints_policy == "Honor" for c in constraints)
        key: tuple[Any, ...] = (
            self.cache.node_generation, require_all,
            tuple((c.topology_key, c.node_affinity_policy, c.node_taints_policy)
                  for c in constraints),
            pod.placement_key() if honor_affinity else None,
            pod.tolerations_key() if honor_taints else None)
        cached = self._eligibility.get(key)
        if cached is not None:
            return cached
        required: RequiredNodeAffinity = required_node_affinity(pod)
        tolerations = pod.tolerations
        keys = [c.topology_key for c in constraints]
        result: list[dict[str, str]] = [{} for _ in constraints]
        for node in self.cache.node_infos():
            labels = node.labels
            if require_all and any(k not in labels for k in keys):
                continue
            affinity_ok: bool | None = None
            taints_ok: bool | None = None
            for i, c in enumerate(constraints):
                if c.node_affinity_policy == "Honor":
                    if affinity_ok is None:
                        affinity_ok = required.empty or required.matches(node)
                    if not affinity_ok:
                        continue
                if c.node_taints_policy == "Honor":
                    if taints_ok is None:
                        taints_ok = find_untolerated_taint(node.taints, tolerations) is None
                    if not taints_ok:
                        continue
                result[i][node.name] = labels.get(c.topology_key, "")
        if len(self._eligibility) >= _MAX_ELIGIBILITY_ENTRIES:
            self._eligibility.clear()
        self._eligibility[key] = result
        return result

    # -- PreFilter / Filter ------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        try:
            constraints = self.constraints(pod, "DoNotSchedule")
        except ApiError as exc:
            return None, Status(Code.Error, f"get constraints from pod: {exc.message}")
        if not constraints:
            return None, Status(Code.Skip)
        state.data[self.name] = self.pre_filter_state(pod, constraints)
        return None, None

    def pre_filter_state(self, pod: PodInfo, constraints: list[Constraint]) -> FilterState:
        eligible = self._eligible(pod, constraints, True)
        fs = FilterState(constraints)
        for i, c in enumerate(constraints):
            selector = c.selector
            if selector.empty or selector.selects_nothing:
                counts = dict.fromkeys(eligible[i].values(), 0)
            else:
                counts = dict(self.cache.domain_counts(pod.namespace, selector, eligible[i]))
            fs.counts.append(counts)
            fs.self_match.append(1 if c.selector.matches(pod.labels) else 0)
        return fs

    cost = 1

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        return self.filter_nodes(state, pod, [node])[0]

    def _checks(self, fs: FilterState) -> list[tuple[str, dict[str, int], int, int]]:
        return [(c.topology_key, fs.counts[i], fs.self_match[i] - fs.min_match(i), c.max_skew)
                for i, c in enumerate(fs.constraints)]

    def filter_nodes(self, state: CycleState, pod: PodInfo,
                     nodes: Sequence[NodeInfo]) -> list[Status | None]:
        fs = state.data.get(self.name)
        if not isinstance(fs, FilterState):
            return [None] * len(nodes)
        checks = self._checks(fs)
        out: list[Status | None] = []
        for node in nodes:
            labels = node.labels
            verdict: Status | None = None
            for key, counts, offset, max_skew in checks:
                value = labels.get(key)
                if value is None:
                    verdict = Status(Code.UnschedulableAndUnresolvable,
                                     ERR_REASON_NODE_LABEL_NOT_MATCH)
                    break
                if counts.get(value, 0) + offset > max_skew:
                    verdict = Status(Code.Unschedulable, ERR_REASON_CONSTRAINTS_NOT_MATCH)
                    break
            out.append(verdict)
        return out

    def node_mask(self, state: CycleState, pod: PodInfo) -> bytes | None:
        fs = state.data.get(self.name)
        if not isinstance(fs, FilterState):
            return None
        mask: bytes | None = None
        for key, counts, offset, max_skew in self._checks(fs):
            # the verdict depends only on the node's value of ``key``; pods spread the same
            # way see the same few verdicts, so each one's mask is kept until nodes change
            allowed = tuple(sorted(v for v, n in counts.items() if n + offset <= max_skew))
            others = offset <= max_skew  # values that are not domains count 0
            denied = () if not others else tuple(sorted(
                v for v, n in counts.items() if n + offset > max_skew))
            one = self._mask(key, allowed if not others else denied, others)
            mask = one if mask is None else (
                int.from_bytes(mask, "little") & int.from_bytes(one, "little")
            ).to_bytes(len(one), "little")
        return mask

    def _mask(self, key: str, values: tuple[str, ...], others: bool) -> bytes:
        """A byte per node: 1 where the node has ``key`` and its value is in ``values``
        (``others`` False) or is not (``others`` True)."""
        cache_key = (self.cache.node_generation, key, values, others)
        found = self._masks.get(cache_key)
        if found is not None:
            return found
        listed = set(values)
        mask = bytes(v is not None and ((v in listed) != others)
                     for v in self.cache.label_vector(key))
        if len(self._masks) >= _MAX_MASKS:
            self._masks.clear()
        self._masks[cache_key] = mask
        return mask

    def feasible_nodes(self, state: CycleState, pod: PodInfo,
                       nodes: Sequence[NodeInfo]) -> Sequence[NodeInfo]:
        fs = state.data.get(self.name)
        if not isinstance(fs, FilterState):
            return nodes
        # the verdict depends only on the node's domain: decide each domain once
        for key, counts, offset, max_skew in self._checks(fs):
            allowed = {v for v, n in counts.items() if n + offset <= max_skew}
            if offset <= max_skew:  # values that are not domains count 0
                nodes = [n for n in nodes if (v := n.labels.get(key)) is not None
                         and (v in allowed or v not in counts)]
            else:
                nodes = [n for n in nodes if n.labels.get(key) in allowed]
            if not nodes:
                break
        return nodes

    # -- Score -------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        if not nodes or not self.cache.node_infos():
            return Status(Code.Skip)
        try:
            constraints = self.constraints(pod, "ScheduleAnyway")
        except ApiError as exc:
            return Status(Code.Error, exc.message)
        if not constraints:
            return Status(Code.Skip)
        state.data[self.name + "/score"] = self.pre_score_state(pod, constraints, nodes)
        return None

    def pre_score_state(self, pod: PodInfo, constraints: list[Constraint],
                        nodes: Sequence[NodeInfo]) -> ScoreState:
        require_all = bool(pod.spec.get("topologySpreadConstraints")) or not self.system_defaulted
        ss = ScoreState(constraints)
        keys = [c.topology_key for c in constraints]
        sizes = [0] * len(constraints)
        ss.counts = [{} for _ in constraints]
        for node in nodes:
            labels = node.labels
            if require_all and any(k not in labels for k in keys):
                ss.ignored.add(node.name)
                continue
            for i, c in enumerate(constraints):
                if c.topology_key == LABEL_HOSTNAME:
                    continue
                value = labels.get(c.topology_key, "")
                if value not in ss.counts[i]:
                    ss.counts[i][value] = 0
                    sizes[i] += 1
        for i, c in enumerate(constraints):
            size = sizes[i]
            if c.topology_key == LABEL_HOSTNAME:
                size = len(nodes) - len(ss.ignored)
            ss.weights.append(math.log(size + 2))
        eligible = self._eligible(pod, constraints, require_all)
        for i, c in enumerate(constraints):
            if c.topology_key == LABEL_HOSTNAME:
                continue
            selector = c.selector
            if selector.empty or selector.selects_nothing:
                continue
            domains = ss.counts[i]
            totals = self.cache.domain_counts(pod.namespace, selector, eligible[i])
            for domain in domains:
                domains[domain] = totals.get(domain, 0)
        return ss

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        return self.score_nodes(state, pod, [node])[0]

    def score_nodes(self, state: CycleState, pod: PodInfo,
                    nodes: Sequence[NodeInfo]) -> list[int]:
        ss = state.data.get(self.name + "/score")
        if not isinstance(ss, ScoreState):
            return [0] * len(nodes)
        # per constraint: the score of each domain, or per node for the hostname key
        parts: list[tuple[str, Mapping[str, float] | None, Mapping[str, int] | None,
                          float, int]] = []
        for i, c in enumerate(ss.constraints):
            weight = ss.weights[i]
            if c.topology_key == LABEL_HOSTNAME:
                parts.append((c.topology_key, None, self._counts(pod.namespace, c.selector),
                              weight, c.max_skew - 1))
            else:
                parts.append((c.topology_key,
                              {v: n * weight + (c.max_skew - 1) for v, n in ss.counts[i].items()},
                              None, weight, c.max_skew - 1))
        ignored = ss.ignored
        out: list[int] = []
        for node in nodes:
            if node.name in ignored:
                out.append(0)
                continue
            labels = node.labels
            score = 0.0
            for key, by_domain, per_node, weight, base in parts:
                value = labels.get(key)
                if value is None:
                    continue
                if per_node is not None:
                    score += per_node.get(node.name, 0) * weight + base
                else:
                    assert by_domain is not None
                    score += by_domain.get(value, base)
            out.append(_go_round(score))
        return out

    def normalize(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                  scores: list[int]) -> None:
        ss = state.data.get(self.name + "/score")
        if not isinstance(ss, ScoreState):
            return
        ignored = ss.ignored
        kept = [s for node, s in zip(nodes, scores, strict=True) if node.name not in ignored]
        low = min(kept, default=0)
        high = max(kept, default=0)
        for i, node in enumerate(nodes):
            if node.name in ignored:
                scores[i] = 0
            elif high == 0:
                scores[i] = MAX_NODE_SCORE
            else:
                scores[i] = MAX_NODE_SCORE * (high + low - scores[i]) // high
