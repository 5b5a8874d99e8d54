"""NodeAffinity: the pod's ``nodeSelector`` and required node affinity must both hold
(terms ORed, an empty term skipped, a term that does not parse never matching);
preferred terms add their weights to the score. A ``metadata.name In`` field term
narrows the candidate nodes in PreFilter, which is how DaemonSet pods are pinned.

Upstream: pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go and
staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go
(release-1.32). Fidelity: ``na-*``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from chaoszone.sim.scheduler import events as ev
from chaoszone.sim.scheduler.framework import (
    Code,
    CycleState,
    FilterPlugin,
    PreFilterPlugin,
    PreFilterResult,
    ScorePlugin,
    Status,
    default_normalize,
)
from chaoszone.sim.scheduler.types import NodeInfo, PodInfo
from chaoszone.sim.selectors import LabelSelector, NodeSelector, NodeSelectorTerm

__all__ = ["ERR_REASON_POD", "NodeAffinity", "RequiredNodeAffinity", "required_node_affinity"]

ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_CONFLICT = "pod affinity terms conflict"


class RequiredNodeAffinity:
    """``nodeaffinity.RequiredNodeAffinity``: nodeSelector AND required node affinity."""

    __slots__ = ("affinity", "empty", "selector")

    def __init__(self, selector: LabelSelector | None, affinity: NodeSelector | None) -> None:
        self.selector = selector
        self.affinity = affinity
        self.empty = selector is None and affinity is None

    def matches(self, node: NodeInfo) -> bool:
        if self.selector is not None and not self.selector.matches(node.labels):
            return False
        return self.affinity is None or self.affinity.matches(node.labels, node.name)


@lru_cache(maxsize=1024)
def _parse_required(node_selector: str | None, required: str | None) -> RequiredNodeAffinity:
    selector = None
    if node_selector is not None:
        labels = json.loads(node_selector)
        if labels:
            selector = LabelSelector.from_set(labels)
    affinity = None
    if required is not None:
        affinity = NodeSelector.from_dict(json.loads(required))
    return RequiredNodeAffinity(selector, affinity)


def _required_raw(spec: Mapping[str, Any]) -> Any:
    affinity = spec.get("affinity") or {}
    return (affinity.get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution")


def required_node_affinity(pod: PodInfo) -> RequiredNodeAffinity:
    """``GetRequiredNodeAffinity`` for a pod (parsed once per distinct spec)."""
    spec = pod.spec
    node_selector = spec.get("nodeSelector")
    required = _required_raw(spec)
    return _parse_required(
        None if node_selector is None else json.dumps(node_selector, sort_keys=True),
        None if required is None else json.dumps(required, sort_keys=True))


@lru_cache(maxsize=1024)
def _parse_preferred(raw: str) -> tuple[tuple[int, NodeSelectorTerm], ...]:
    terms = []
    for term in json.loads(raw) or ():
        weight = int(term.get("weight") or 0)
        preference = term.get("preference") or {}
        parsed = NodeSelectorTerm.from_dict(preference)
        if weight == 0 or parsed.empty:
            continue
        terms.append((weight, parsed))
    return tuple(terms)


class NodeAffinity(PreFilterPlugin, FilterPlugin, ScorePlugin):
    name = "NodeAffinity"
    weight = 2
    events = frozenset({ev.NODE_ADD, ev.NODE_LABEL})

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        required = _required_raw(pod.spec)
        if required is None and pod.spec.get("nodeSelector") is None:
            return None, Status(Code.Skip)
        state.data[self.name] = required_node_affinity(pod)
        terms = (required or {}).get("nodeSelectorTerms") or []
        if not terms:
            return None, None
        names: set[str] | None = None
        for term in terms:
            term_names: set[str] | None = None
            for req in (term or {}).get("matchFields") or ():
                if req.get("key") == "metadata.name" and req.get("operator") == "In":
                    values = set(req.get("values") or ())
                    term_names = values if term_names is None else term_names & values
            if term_names is None:
                return None, None  # this term may match any node
            names = term_names if names is None else names | term_names
        if names is not None and not names:
            return None, Status(Code.UnschedulableAndUnresolvable, ERR_REASON_CONFLICT)
        if names:
            return PreFilterResult(frozenset(names)), None
        return None, None

    def _required(self, state: CycleState, pod: PodInfo) -> RequiredNodeAffinity:
        required = state.data.get(self.name)
        if isinstance(required, RequiredNodeAffinity):
            return required
        return required_node_affinity(pod)

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if self._required(state, pod).matches(node):
            return None
        return Status(Code.UnschedulableAndUnresolvable, ERR_REASON_POD)

    cost = 3

    def filter_key(self, state: CycleState, pod: PodInfo) -> str | None:
        return pod.placement_key()

    def feasible_nodes(self, state: CycleState, pod: PodInfo,
                       nodes: Sequence[NodeInfo]) -> Sequence[NodeInfo]:
        matches = self._required(state, pod).matches
        return [n for n in nodes if matches(n)]

    def filter_nodes(self, state: CycleState, pod: PodInfo,
                     nodes: Sequence[NodeInfo]) -> list[Status | None]:
        matches = self._required(state, pod).matches
        code = Code.UnschedulableAndUnresolvable
        return [None if matches(n) else Status(code, ERR_REASON_POD) for n in nodes]

    # -- score ---------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        affinity = pod.spec.get("affinity") or {}
        preferred = (affinity.get("nodeAffinity") or {}).get(
            "preferredDuringSchedulingIgnoredDuringExecution")
        terms = _parse_preferred(json.dumps(preferred, sort_keys=True)) if preferred else ()
        if not terms:
            return Status(Code.Skip)
        state.data[self.name + "/score"] = terms
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        terms = state.data.get(self.name + "/score") or ()
        return sum(w for w, term in terms if term.matches(node.labels, node.name))

    def normalize(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                  scores: list[int]) -> None:
        default_normalize(scores, reverse=False)
