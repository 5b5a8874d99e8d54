"""InterPodAffinity: required pod affinity and anti-affinity (of the incoming pod, and of
the pods already placed, symmetrically), and preferred terms for scoring.

Affinity: every term's topology key must be on the node and its domain must hold a pod
matching *all* the terms, unless no pod anywhere matches and the pod matches its own
terms (the first pod of a group). Anti-affinity: no term may have a matching pod in the
node's domain; a node without the key is not blocked. Existing pods' required
anti-affinity blocks their whole domain for pods they match. Terminating pods count.

Upstream: pkg/scheduler/framework/plugins/interpodaffinity/{filtering.go,scoring.go,
plugin.go} (release-1.32; HardPodAffinityWeight 1). Fidelity: ``ipa-*``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

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
from chaoszone.sim.scheduler.types import AffinityTerm, NodeInfo, PodInfo

__all__ = [
    "ERR_REASON_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH",
    "InterPodAffinity",
]

ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = \
    "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules"

Pair = tuple[str, str]


@dataclass
class FilterState:
    affinity: tuple[AffinityTerm, ...]
    anti_affinity: tuple[AffinityTerm, ...]
    pod_matches_own_terms: bool
    affinity_counts: dict[Pair, int] = field(default_factory=dict)
    anti_affinity_counts: dict[Pair, int] = field(default_factory=dict)
    existing_anti_affinity_counts: dict[Pair, int] = field(default_factory=dict)


def _namespace_labels(cache: Cache, namespace: str) -> dict[str, str]:
    ns = cache.listers.get("Namespace", "", namespace)
    if ns is None:
        return {}
    labels: dict[str, str] = (ns.get("metadata") or {}).get("labels") or {}
    return labels


def _merge_namespaces(cache: Cache, terms: Iterable[AffinityTerm]) -> tuple[AffinityTerm, ...]:
    """``mergeAffinityTermNamespacesIfNotEmpty``: unroll a non-empty namespaceSelector."""
    out = []
    for term in terms:
        selector = term.namespace_selector
        if selector.empty:
            out.append(term)
            continue
        names = [(ns.get("metadata") or {}).get("name") or ""
                 for ns in cache.listers.list("Namespace", None)
                 if selector.matches((ns.get("metadata") or {}).get("labels") or {})]
        out.append(term.merged(names))
    return tuple(out)


def _matches_all(terms: Sequence[AffinityTerm], pod: PodInfo,
                 ns_labels: Mapping[str, str] | None) -> bool:
    """``podMatchesAllAffinityTerms``."""
    if not terms:
        return False
    return all(t.matches(pod, ns_labels) for t in terms)


class InterPodAffinity(PreFilterPlugin, FilterPlugin, ScorePlugin):
    name = "InterPodAffinity"
    weight = 2
    hard_pod_affinity_weight = 1
    events = frozenset({ev.ASSIGNED_POD_ADD, ev.ASSIGNED_POD_UPDATE, ev.ASSIGNED_POD_DELETE,
                        ev.NODE_ADD, ev.NODE_LABEL, ev.NAMESPACE_CHANGE})

    # -- PreFilter ---------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        if pod.affinity_error:
            return None, Status(Code.UnschedulableAndUnresolvable,
                                f"parsing pod: {pod.affinity_error}")
        with_anti = list(self.cache.nodes_with_required_anti_affinity_pods())
        if not with_anti and not pod.required_affinity and not pod.required_anti_affinity:
            return None, Status(Code.Skip)
        affinity = _merge_namespaces(self.cache, pod.required_affinity)
        anti = _merge_namespaces(self.cache, pod.required_anti_affinity)
        ns_labels = _namespace_labels(self.cache, pod.namespace)
        fs = FilterState(affinity, anti, _matches_all(affinity, pod, None))
        # existing pods' required anti-affinity terms that the incoming pod matches
        existing = fs.existing_anti_affinity_counts
        for node in with_anti:
            labels = node.labels
            for other in node.pods_with_required_anti_affinity.values():
                for term in other.required_anti_affinity:
                    value = labels.get(term.topology_key)
                    if value is not None and term.matches(pod, ns_labels):
                        pair = (term.topology_key, value)
                        existing[pair] = existing.get(pair, 0) + 1
        if affinity or anti:
            counts = fs.affinity_counts
            anti_counts = fs.anti_affinity_counts
            for node in self.cache.node_infos():
                labels = node.labels
                for other in node.pods.values():
                    if affinity and _matches_all(affinity, other, None):
                        for term in affinity:
                            value = labels.get(term.topology_key)
                            if value is not None:
                                pair = (term.topology_key, value)
                                counts[pair] = counts.get(pair, 0) + 1
                    for term in anti:
                        if term.matches(other, None):
                            value = labels.get(term.topology_key)
                            if value is not None:
                                pair = (term.topology_key, value)
                                anti_counts[pair] = anti_counts.get(pair, 0) + 1
        if not existing and not affinity and not anti:
            return None, Status(Code.Skip)
        state.data[self.name] = fs
        return None, None

    # -- Filter ------------------------------------------------------------------------

    cost = 8

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        fs = state.data.get(self.name)
        if not isinstance(fs, FilterState):
            return None
        labels = node.labels
        if not self._satisfies_affinity(fs, labels):
            return Status(Code.UnschedulableAndUnresolvable, ERR_REASON_AFFINITY_RULES_NOT_MATCH)
        if fs.anti_affinity_counts:
            for term in fs.anti_affinity:
                value = labels.get(term.topology_key)
                if value is not None and fs.anti_affinity_counts.get(
                        (term.topology_key, value), 0) > 0:
                    return Status(Code.Unschedulable, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH)
        if fs.existing_anti_affinity_counts:
            existing = fs.existing_anti_affinity_counts
            for pair in labels.items():
                if existing.get(pair, 0) > 0:
                    return Status(Code.Unschedulable,
                                  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH)
        return None

    @staticmethod
    def _satisfies_affinity(fs: FilterState, labels: Mapping[str, str]) -> bool:
        """``satisfyPodAffinity``."""
        pods_exist = True
        for term in fs.affinity:
            value = labels.get(term.topology_key)
            if value is None:
                return False
            if fs.affinity_counts.get((term.topology_key, value), 0) <= 0:
                pods_exist = False
        if not pods_exist:
            return not fs.affinity_counts and fs.pod_matches_own_terms
        return True

    # -- Score -------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        if not nodes:
            return Status(Code.Skip)
        if pod.affinity_error:
            return Status(Code.Error, f"failed to parse pod: {pod.affinity_error}")
        has_constraints = bool(pod.preferred_affinity or pod.preferred_anti_affinity)
        all_nodes: Iterable[NodeInfo] = (self.cache.node_infos() if has_constraints
                                         else self.cache.nodes_with_affinity_pods())
        if not has_constraints and not all_nodes:
            return Status(Code.Skip)  # nothing to score: no terms here, none placed
        preferred = _merge_namespaces(self.cache, pod.preferred_affinity)
        preferred_anti = _merge_namespaces(self.cache, pod.preferred_anti_affinity)
        ns_labels = _namespace_labels(self.cache, pod.namespace)
        scores: dict[str, dict[str, int]] = {}
        weight = self.hard_pod_affinity_weight

        def add(term: AffinityTerm, w: int, target: PodInfo,
                labels: Mapping[str, str], nsl: Mapping[str, str] | None) -> None:
            if term.matches(target, nsl):
                value = labels.get(term.topology_key)
                if value is not None:
                    by_value = scores.setdefault(term.topology_key, {})
                    by_value[value] = by_value.get(value, 0) + w

        for node in all_nodes:
            labels = node.labels
            if not labels:
                continue
            others: Iterable[PodInfo] = (node.pods.values() if has_constraints
                                         else node.pods_with_affinity.values())
            for other in others:
                for term in preferred:
                    add(term, term.weight, other, labels, None)
                for term in preferred_anti:
                    add(term, -term.weight, other, labels, None)
                if weight > 0:
                    for term in other.required_affinity:
                        add(term, weight, pod, labels, ns_labels)
                for term in other.preferred_affinity:
                    add(term, term.weight, pod, labels, ns_labels)
                for term in other.preferred_anti_affinity:
                    add(term, -term.weight, pod, labels, ns_labels)
        if not scores:
            return Status(Code.Skip)
        state.data[self.name + "/score"] = scores
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        scores: dict[str, dict[str, int]] = state.data.get(self.name + "/score") or {}
        total = 0
        labels = node.labels
        for key, by_value in scores.items():
            value = labels.get(key)
            if value is not None:
                total += by_value.get(value, 0)
        return total

    def normalize(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                  scores: list[int]) -> None:
        if not state.data.get(self.name + "/score"):
            return
        low = min(scores, default=0)
        high = max(scores, default=0)
        spread = high - low
        for i, s in enumerate(scores):
            scores[i] = int(MAX_NODE_SCORE * ((s - low) / spread)) if spread > 0 else 0
