"""The scheduling framework: statuses, the cycle state, the plugin interfaces, and one
scheduling attempt (PreFilter, Filter, PostFilter, PreScore, Score, NormalizeScore,
selection) over the nodes the cache holds.

A filter plugin answers for a batch of nodes at once (``filter_nodes``); the framework
keeps upstream's rule that the first plugin (in profile order) that rejects a node
decides that node's status. The number of feasible nodes looked for is upstream's
adaptive ``percentageOfNodesToScore``, and the search continues round-robin from where
the previous attempt stopped.

Scheduling thousands of pods of the same shape on a thousand nodes cannot afford a
Python call per node and plugin: the search needs only the nodes that pass, so it runs
the plugins cheapest first without building statuses (which are worked out only for a
diagnosis), and verdicts and scores that depend on a node alone are kept per pod shape
in :class:`NodeVectors`, recomputed only for the nodes that changed.

Upstream: pkg/scheduler/framework/interface.go (``Status``, codes), types.go
(``FitError.Error``), runtime/framework.go (``RunPreFilterPlugins``...),
pkg/scheduler/schedule_one.go (``findNodesThatFitPod``, ``numFeasibleNodesToFind``,
``prioritizeNodes``, ``selectHost``) at release-1.32.
"""

from __future__ import annotations

import itertools
import operator
import random
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, ClassVar

from chaoszone.sim.scheduler.cache import Cache
from chaoszone.sim.scheduler.types import NodeInfo, PodInfo

__all__ = [
    "MAX_NODE_SCORE",
    "Code",
    "CycleState",
    "Diagnosis",
    "FilterPlugin",
    "Framework",
    "Plugin",
    "PostFilterPlugin",
    "PreFilterPlugin",
    "PreFilterResult",
    "ScheduleResult",
    "ScorePlugin",
    "Status",
    "default_normalize",
    "fit_error_message",
    "num_feasible_nodes_to_find",
]

MAX_NODE_SCORE = 100
#: ``ErrNoNodesAvailable``
NO_NODES = "no nodes available to schedule pods"
#: cycle-state key of the feasible nodes' positions in the cache's node list
_POSITIONS = "framework/positions"
MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


class Code(IntEnum):
    """``framework.Code``; the names are upstream's ``String()``."""

    Success = 0
    Error = 1
    Unschedulable = 2
    UnschedulableAndUnresolvable = 3
    Wait = 4
    Skip = 5
    Pending = 6


class Status:
    """A plugin's verdict. Plugins return ``None`` for success."""

    __slots__ = ("code", "plugin", "reasons")

    def __init__(self, code: Code, *reasons: str, plugin: str = "") -> None:
        self.code = code
        self.reasons: list[str] = list(reasons)
        self.plugin = plugin

    def message(self) -> str:
        return ", ".join(self.reasons)

    @property
    def rejected(self) -> bool:
        return self.code in (Code.Unschedulable, Code.UnschedulableAndUnresolvable,
                             Code.Pending)

    def __repr__(self) -> str:
        return f"Status({self.code.name}, {self.reasons!r}, plugin={self.plugin!r})"


@dataclass
class PreFilterResult:
    """Nodes a PreFilter plugin narrowed the candidates to (None: all nodes)."""

    node_names: frozenset[str] | None = None

    def merge(self, other: PreFilterResult | None) -> PreFilterResult:
        if other is None or other.node_names is None:
            return self
        if self.node_names is None:
            return PreFilterResult(other.node_names)
        return PreFilterResult(self.node_names & other.node_names)


class CycleState:
    """Per-attempt data: each plugin's PreFilter/PreScore state by plugin name, and the
    plugins PreFilter/PreScore told to skip."""

    __slots__ = ("data", "skip_filter", "skip_score")

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.skip_filter: set[str] = set()
        self.skip_score: set[str] = set()


class Plugin:
    """A scheduler plugin. ``events`` are the cluster events (see
    :mod:`chaoszone.sim.scheduler.events`) after which a pod it rejected may fit."""

    name: ClassVar[str] = ""
    events: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, cache: Cache) -> None:
        self.cache = cache


class PreFilterPlugin(Plugin):
    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        raise NotImplementedError


class FilterPlugin(Plugin):
    #: relative cost per node of :meth:`feasible_nodes`; cheap, selective plugins run first
    #: when the framework only needs the nodes that pass
    cost: ClassVar[int] = 10

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        raise NotImplementedError

    def filter_nodes(self, state: CycleState, pod: PodInfo,
                     nodes: Sequence[NodeInfo]) -> list[Status | None]:
        """Each node's status (None: it passes)."""
        filter_one = self.filter
        return [filter_one(state, pod, node) for node in nodes]

    def feasible_nodes(self, state: CycleState, pod: PodInfo,
                       nodes: Sequence[NodeInfo]) -> Sequence[NodeInfo]:
        """Only the nodes that pass, without their reasons (the scheduling fast path);
        plugins on the hot path override this with a tight loop."""
        return [n for n, s in zip(nodes, self.filter_nodes(state, pod, nodes), strict=True)
                if s is None]

    def node_mask(self, state: CycleState, pod: PodInfo) -> bytes | None:
        """Whether each node of the cache's node list passes, at once: a byte per node,
        1 if it passes, 0 if not (None: the plugin cannot answer that way). The caller
        must not change it."""
        return None

    def filter_key(self, state: CycleState, pod: PodInfo) -> str | None:
        """A string such that the verdict on a node depends only on it and on that
        node's own state (its object and the pods on it), or None if the verdict
        depends on more (other nodes, other objects). Verdicts with a key are cached
        on the node until it changes."""
        return None


class PostFilterPlugin(Plugin):
    def post_filter(self, state: CycleState, pod: PodInfo, diagnosis: Diagnosis,
                    framework: Framework) -> tuple[str | None, Status | None]:
        """Returns (nominated node name, status)."""
        raise NotImplementedError


class ScorePlugin(Plugin):
    weight: ClassVar[int] = 1

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        raise NotImplementedError

    def score_nodes(self, state: CycleState, pod: PodInfo,
                    nodes: Sequence[NodeInfo]) -> list[int]:
        score_one = self.score
        return [score_one(state, pod, node) for node in nodes]

    def normalize(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                  scores: list[int]) -> None:
        """NormalizeScore, in place; the default leaves scores as they are."""

    def score_key(self, state: CycleState, pod: PodInfo) -> str | None:
        """Like :meth:`FilterPlugin.filter_key`, for plugins whose score of a node is
        final (no NormalizeScore) and depends only on the key and the node's state."""
        return None

    def constant(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> bool:
        """Whether every node would get the same normalized score (after PreScore), so
        the choice of a node does not depend on it and scoring can be left out."""
        return False


def default_normalize(scores: list[int], reverse: bool, max_priority: int = MAX_NODE_SCORE
                      ) -> None:
    """``helper.DefaultNormalizeScore``: scale to [0, max] by the highest score (integer
    division), reversed if asked; all zero -> all max when reversed."""
    high = max(scores, default=0)
    if high <= 0:
        if reverse:
            scores[:] = [max_priority] * len(scores)
        return
    for i, s in enumerate(scores):
        v = max_priority * s // high
        scores[i] = max_priority - v if reverse else v


# -- diagnosis and the FailedScheduling message -------------------------------------------


@dataclass
class Diagnosis:
    """Why a pod fits no node: each rejected node's status, the status of nodes not
    evaluated (after a PreFilter rejection or narrowing), the PreFilter and PostFilter
    messages, and the plugins that rejected it (for requeueing)."""

    statuses: dict[str, Status] = field(default_factory=dict)
    absent: Status | None = None
    pre_filter_msg: str = ""
    post_filter_msg: str = ""
    unschedulable_plugins: set[str] = field(default_factory=set)

    def status_of(self, node: str) -> Status | None:
        return self.statuses.get(node, self.absent)

    def add_plugin(self, status: Status) -> None:
        if status.plugin and status.rejected:
            self.unschedulable_plugins.add(status.plugin)


def fit_error_message(num_all_nodes: int, diagnosis: Diagnosis) -> str:
    """``FitError.Error``: ``0/N nodes are available: <PreFilter message>.`` or the sorted
    ``<count> <reason>`` histogram, then the PostFilter message (which brings its own
    period, since 1.30)."""
    msg = f"0/{num_all_nodes} nodes are available:"
    if diagnosis.pre_filter_msg:
        msg += f" {diagnosis.pre_filter_msg}."
    else:
        counts: dict[str, int] = {}
        for status in diagnosis.statuses.values():
            for reason in status.reasons:
                counts[reason] = counts.get(reason, 0) + 1
        absent_count = num_all_nodes - len(diagnosis.statuses)
        if absent_count > 0 and diagnosis.absent is not None:
            for reason in diagnosis.absent.reasons:
                counts[reason] = counts.get(reason, 0) + absent_count
        parts = sorted(f"{n} {reason}" for reason, n in counts.items())
        if parts:
            msg += f" {', '.join(parts)}."
    if diagnosis.post_filter_msg:
        msg += f" {diagnosis.post_filter_msg}"
    return msg


# -- the framework -------------------------------------------------------------------------


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int = 0) -> int:
    """``numFeasibleNodesToFind``: all nodes below 100; else the adaptive percentage
    (50 - nodes/125, at least 5%), and never fewer than 100."""
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if percentage == 0:
        percentage = 50 - num_all_nodes // 125
        percentage = max(percentage, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    found = num_all_nodes * percentage // 100
    return max(found, MIN_FEASIBLE_NODES_TO_FIND)


class NodeVectors:
    """Per pod shape (a key), a value per node in the cache's node-list order (a
    verdict, a score), recomputed only for the nodes that changed since it was last
    read (from the cache's change log), and entirely when nodes come or go."""

    MAX = 64

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self._vectors: OrderedDict[str, list[Any]] = OrderedDict()

    def get(self, key: str, compute: Callable[[NodeInfo], Any]) -> list[Any]:
        values: list[Any] = self._get(key, compute, list)
        return values

    def mask(self, key: str, passes: Callable[[NodeInfo], bool]) -> bytearray:
        """Like :meth:`get` for a verdict: a byte per node, 1 where ``passes``."""
        values: bytearray = self._get(key, passes, bytearray)
        return values

    def _get(self, key: str, compute: Callable[[NodeInfo], Any],
             make: Callable[[Iterator[Any]], Any]) -> Any:
        cache = self.cache
        nodes = cache.node_infos()
        entry = self._vectors.get(key)
        if entry is not None and entry[0] == cache.node_generation:
            changed = cache.changed_since(entry[1])
            if changed is not None:
                values = entry[2]
                if changed:
                    index = cache.node_index()
                    for name in changed:
                        i = index.get(name)
                        if i is not None:
                            values[i] = compute(nodes[i])
                entry[1] = cache.log_end
                self._vectors.move_to_end(key)
                return values
        values = make(map(compute, nodes))
        self._vectors[key] = [cache.node_generation, cache.log_end, values]
        if len(self._vectors) > self.MAX:
            self._vectors.popitem(last=False)
        return values


@dataclass
class ScheduleResult:
    """One attempt's outcome: the chosen node, or the diagnosis of a failure."""

    node: str = ""
    evaluated: int = 0
    feasible: int = 0
    diagnosis: Diagnosis | None = None
    num_all_nodes: int = 0
    error: str = ""
    nominated: str | None = None

    def message(self) -> str:
        if self.error:
            return self.error
        assert self.diagnosis is not None
        return fit_error_message(self.num_all_nodes, self.diagnosis)


class Framework:
    """One profile: plugins in upstream's default order and the cycle that runs them."""

    def __init__(self, snapshot: Cache, plugins: Sequence[Plugin], *,
                 percentage_of_nodes_to_score: int = 0, seed: int | None = 0) -> None:
        self.snapshot = snapshot
        self.plugins = list(plugins)
        self.by_name = {p.name: p for p in self.plugins}
        self.pre_filters = [p for p in self.plugins if isinstance(p, PreFilterPlugin)]
        self.filters = [p for p in self.plugins if isinstance(p, FilterPlugin)]
        self.fast_filters = sorted(self.filters, key=lambda p: p.cost if isinstance(
            p, FilterPlugin) else 0)
        self.post_filters = [p for p in self.plugins if isinstance(p, PostFilterPlugin)]
        self.scorers = [p for p in self.plugins if isinstance(p, ScorePlugin) and p.weight]
        self.percentage = percentage_of_nodes_to_score
        self.vectors = NodeVectors(snapshot)
        self.random = random.Random(seed)
        self.next_start = 0

    # -- PreFilter ---------------------------------------------------------------------

    def run_pre_filter(self, state: CycleState, pod: PodInfo
                       ) -> tuple[PreFilterResult | None, Status | None, set[str]]:
        """``RunPreFilterPlugins``: Skip marks a plugin skipped; UnschedulableAndUnresolvable
        stops at once; Unschedulable is remembered and the rest still run; results
        narrowing the nodes are intersected."""
        result: PreFilterResult | None = None
        returned: Status | None = None
        with_nodes: set[str] = set()
        for plugin in self.pre_filters:
            assert isinstance(plugin, PreFilterPlugin)
            r, status = plugin.pre_filter(state, pod)
            if status is not None:
                if status.code == Code.Skip:
                    state.skip_filter.add(plugin.name)
                    continue
                status.plugin = plugin.name
                if status.code == Code.UnschedulableAndUnresolvable:
                    return None, status, set()
                if status.code == Code.Unschedulable:
                    returned = status
                    continue
                return None, status, set()
            if r is not None and r.node_names is not None:
                with_nodes.add(plugin.name)
                result = r if result is None else result.merge(r)
                if result.node_names is not None and not result.node_names:
                    names = sorted(with_nodes)
                    if len(names) == 1:
                        msg = f"node(s) didn't satisfy plugin {names[0]}"
                    else:
                        msg = f"node(s) didn't satisfy plugin(s) [{' '.join(names)}] simultaneously"
                    return result, Status(Code.UnschedulableAndUnresolvable, msg), with_nodes
        return result, returned, with_nodes

    # -- Filter ------------------------------------------------------------------------

    def filter_batch(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                     statuses: dict[str, Status] | None = None) -> list[NodeInfo]:
        """Run every filter plugin over ``nodes``; returns the nodes that pass and records
        each rejected node's status (first rejecting plugin wins) in ``statuses``."""
        candidates = list(nodes)
        skip = state.skip_filter
        for plugin in self.filters:
            if not candidates:
                break
            if plugin.name in skip:
                continue
            assert isinstance(plugin, FilterPlugin)
            results = plugin.filter_nodes(state, pod, candidates)
            kept = []
            name = plugin.name
            for node, status in zip(candidates, results, strict=True):
                if status is None:
                    kept.append(node)
                elif statuses is not None:
                    status.plugin = name
                    statuses[node.name] = status
            candidates = kept
        return candidates

    def filter_node(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        statuses: dict[str, Status] = {}
        if self.filter_batch(state, pod, [node], statuses):
            return None
        return statuses.get(node.name)

    def find_feasible(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                      diagnosis: Diagnosis, *, all_nodes: int) -> list[NodeInfo]:
        """``findNodesThatPassFilters``: look for ``numFeasibleNodesToFind`` feasible nodes,
        round-robin from where the previous attempt stopped.

        The search needs only the nodes that pass, not why the others fail, so the
        plugins run in the cheapest order and build no statuses; the statuses (first
        rejecting plugin in profile order) are worked out only when no node passes, for
        the diagnosis. Over the whole node list, verdicts that depend only on the node
        (see :meth:`FilterPlugin.filter_key`) are kept per pod shape and recomputed only
        for the nodes that changed, and plugins that can answer for every node at once
        (:meth:`FilterPlugin.node_mask`) do so.
        """
        total = len(nodes)
        if total == 0:
            return []
        wanted = num_feasible_nodes_to_find(total, self.percentage)
        start = self.next_start % total
        skip = state.skip_filter
        active = [p for p in self.fast_filters if p.name not in skip]
        if nodes is self.snapshot.node_infos():
            feasible, positions, processed = self._find_over_all(state, pod, nodes, active,
                                                                 wanted, start)
            state.data[_POSITIONS] = (feasible, positions)
        else:
            feasible, processed = self._find_in_batches(state, pod, nodes, active, wanted,
                                                        start)
        self.next_start = (start + processed) % all_nodes if all_nodes else 0
        if not feasible:
            statuses = diagnosis.statuses
            self.filter_batch(state, pod, nodes, statuses)
            for status in statuses.values():
                diagnosis.add_plugin(status)
        return feasible

    def _find_in_batches(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                         plugins: Sequence[Plugin], wanted: int, start: int
                         ) -> tuple[list[NodeInfo], int]:
        total = len(nodes)
        order = [*nodes[start:], *nodes[:start]] if start else list(nodes)
        feasible: list[NodeInfo] = []
        processed = 0
        while processed < total and len(feasible) < wanted:
            size = min(max(wanted - len(feasible), 64), total - processed)
            batch = order[processed:processed + size]
            passed: Sequence[NodeInfo] = batch
            for plugin in plugins:
                assert isinstance(plugin, FilterPlugin)
                passed = plugin.feasible_nodes(state, pod, passed)
                if not passed:
                    break
            if passed and len(feasible) + len(passed) >= wanted:
                # the search stops at the node that completes the set
                passed = passed[:wanted - len(feasible)]
                size = batch.index(passed[-1]) + 1
            feasible.extend(passed)
            processed += size
        return feasible, processed

    def _find_over_all(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                       plugins: Sequence[Plugin], wanted: int, start: int
                       ) -> tuple[list[NodeInfo], list[int], int]:
        total = len(nodes)
        masks: list[bytes | bytearray] = []
        local: list[FilterPlugin] = []
        keys: list[str] = []
        rest: list[FilterPlugin] = []
        for plugin in plugins:
            assert isinstance(plugin, FilterPlugin)
            key = plugin.filter_key(state, pod)
            if key is not None:
                local.append(plugin)
                keys.append(f"{plugin.name}={key}")
                continue
            mask = plugin.node_mask(state, pod)
            if mask is None:
                rest.append(plugin)
            else:
                masks.append(mask)
        if local:
            def passes(node: NodeInfo) -> bool:
                single: Sequence[NodeInfo] = [node]
                for plugin in local:
                    single = plugin.feasible_nodes(state, pod, single)
                    if not single:
                        return False
                return True
            masks.append(self.vectors.mask("filter|" + "|".join(keys), passes))
        rotation = itertools.chain(range(start, total), range(start))
        candidates: Iterator[int]
        if not masks:
            candidates = rotation
        else:
            # a byte per node, 0 or 1: the masks' bytes AND as one integer each
            combined = masks[0]
            if len(masks) > 1:
                bits = int.from_bytes(combined, "little")
                for other in masks[1:]:
                    bits &= int.from_bytes(other, "little")
                combined = bits.to_bytes(total, "little")
            candidates = itertools.compress(rotation, itertools.chain(
                combined[start:], combined[:start]))
        if not rest:
            positions = list(itertools.islice(candidates, wanted))
            feasible = list(map(nodes.__getitem__, positions))
        else:
            positions = []
            feasible = []
            index = self.snapshot.node_index()
            while len(feasible) < wanted:
                chunk = list(itertools.islice(candidates, max(wanted - len(feasible), 64)))
                if not chunk:
                    break
                passed: Sequence[NodeInfo] = [nodes[i] for i in chunk]
                for plugin in rest:
                    passed = plugin.feasible_nodes(state, pod, passed)
                    if not passed:
                        break
                passed = list(passed[:wanted - len(feasible)])
                feasible.extend(passed)
                positions.extend(index[n.name] for n in passed)
        if len(feasible) < wanted:
            return feasible, positions, total
        return feasible, positions, (positions[-1] - start) % total + 1

    # -- Score -------------------------------------------------------------------------

    def score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], *,
              all_plugins: bool = False) -> tuple[list[int], dict[str, list[int]]]:
        """``prioritizeNodes``: weighted sum of every scoring plugin's normalized score.
        Plugins that would give every node the same score are left out unless
        ``all_plugins``: a constant does not change which node wins."""
        totals = [0] * len(nodes)
        per_plugin: dict[str, list[int]] = {}
        for plugin in self.scorers:
            assert isinstance(plugin, ScorePlugin)
            status = plugin.pre_score(state, pod, nodes)
            if status is not None and status.code == Code.Skip:
                state.skip_score.add(plugin.name)
        local: list[ScorePlugin] = []
        keys: list[str] = []
        for plugin in self.scorers:
            if plugin.name in state.skip_score:
                continue
            assert isinstance(plugin, ScorePlugin)
            if not all_plugins and plugin.constant(state, pod, nodes):
                continue
            key = None if all_plugins else plugin.score_key(state, pod)
            if key is not None:
                local.append(plugin)
                keys.append(f"{plugin.name}={key}")
                continue
            scores = plugin.score_nodes(state, pod, nodes)
            plugin.normalize(state, pod, nodes, scores)
            per_plugin[plugin.name] = scores
            weight = plugin.weight
            totals = [t + s * weight for t, s in zip(totals, scores, strict=True)]
        if local:
            # final scores that depend only on each node: their weighted sum, kept per
            # pod shape and recomputed for the nodes that changed
            def weighted(node: NodeInfo) -> int:
                return sum(p.score_nodes(state, pod, [node])[0] * p.weight for p in local)
            key = "score|" + "|".join(keys)
            found = state.data.get(_POSITIONS)
            if found is not None and found[0] is nodes:
                vector = self.vectors.get(key, weighted)
                sums = list(map(vector.__getitem__, found[1]))
            else:
                sums = [weighted(n) for n in nodes]
            totals = sums if not per_plugin else list(map(operator.add, totals, sums))
        return totals, per_plugin

    def select_host(self, nodes: Sequence[NodeInfo], totals: Sequence[int]) -> NodeInfo:
        """``selectHost``: the highest total; ties broken uniformly at random (upstream
        samples a reservoir, which draws from the same distribution)."""
        best = max(totals)
        if totals.count(best) == 1:
            return nodes[totals.index(best)]
        ties = list(itertools.compress(range(len(totals)), map(best.__eq__, totals)))
        return nodes[ties[self.random.randrange(len(ties))]]

    # -- one attempt -------------------------------------------------------------------

    def schedule(self, pod: PodInfo) -> tuple[ScheduleResult, CycleState]:
        """``schedulePod``: PreFilter, Filter, then Score and select, or a diagnosis."""
        state = CycleState()
        all_nodes = self.snapshot.node_infos()
        num_all = len(all_nodes)
        if num_all == 0:
            return ScheduleResult(error=NO_NODES), state
        diagnosis = Diagnosis()
        result, status, with_nodes = self.run_pre_filter(state, pod)
        if status is not None:
            if status.code not in (Code.Unschedulable, Code.UnschedulableAndUnresolvable):
                return ScheduleResult(error=status.message(), num_all_nodes=num_all), state
            diagnosis.absent = status
            diagnosis.pre_filter_msg = status.message()
            diagnosis.add_plugin(status)
            return ScheduleResult(diagnosis=diagnosis, num_all_nodes=num_all), state
        nodes: Sequence[NodeInfo] = all_nodes
        if result is not None and result.node_names is not None:
            nodes = [n for n in (self.snapshot.get(name) for name in sorted(result.node_names))
                     if n is not None and n.node is not None]
            diagnosis.absent = Status(
                Code.UnschedulableAndUnresolvable,
                f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(with_nodes))}]")
        feasible = self.find_feasible(state, pod, nodes, diagnosis, all_nodes=num_all)
        evaluated = len(feasible) + len(diagnosis.statuses)
        if not feasible:
            return ScheduleResult(diagnosis=diagnosis, num_all_nodes=num_all,
                                  evaluated=evaluated), state
        if len(feasible) == 1:
            return ScheduleResult(node=feasible[0].name, evaluated=evaluated, feasible=1,
                                  num_all_nodes=num_all), state
        totals, _ = self.score(state, pod, feasible)
        chosen = self.select_host(feasible, totals)
        return ScheduleResult(node=chosen.name, evaluated=evaluated, feasible=len(feasible),
                              num_all_nodes=num_all), state

    def post_filter(self, state: CycleState, pod: PodInfo, result: ScheduleResult) -> None:
        """Run PostFilter plugins (preemption) and record their message."""
        assert result.diagnosis is not None
        for plugin in self.post_filters:
            assert isinstance(plugin, PostFilterPlugin)
            nominated, status = plugin.post_filter(state, pod, result.diagnosis, self)
            result.nominated = nominated
            if status is None or status.code == Code.Success:
                result.diagnosis.post_filter_msg = status.message() if status else ""
                return
            result.diagnosis.post_filter_msg = status.message()
            if status.code != Code.Unschedulable:
                return
