"""Run the fidelity cases (``../shared/fidelity/*.yaml``) against the simulator's own code.

``python -m chaoszone.sim.fidelity FILE...`` prints one line per case, ``PASS id name``,
``FAIL id name: why`` or ``SKIP id (scope ...: why)``, then ``N passed, M failed``, and
exits 1 if any case failed.

Every case whose expectation can be checked mechanically is run against the real code:

* ``plugin-filter``, ``plugin-prefilter``, ``plugin-score``: the plugin alone, as the
  upstream unit tests run it (PreFilter, then Filter on every node; PreScore, Score and
  NormalizeScore over every node), on a cache built from the case's objects;
* ``scheduler``: the whole default filter chain (``feasible``), plus the verdicts of the
  plugin the case is about;
* ``toleration-match``: :func:`chaoszone.sim.scheduler.types.tolerates`;
* ``api``: pod creation through the registry (defaulting, admission, validation), for
  the cases that give a pod or tolerations and expect a rejection or the admitted pod.

Cases of the other scopes (controllers, kubelet admission, kubectl, scenarios) describe
sequences in free form; they are listed as SKIP with the reason. Nodes have unlimited
resources, as the case format says. The Kubernetes version is 1.32 for ``*_by_version``
expectations. Where a case and upstream disagree, docs/fidelity.md says so.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from chaoszone.sim import errors
from chaoszone.sim.clock import Clock
from chaoszone.sim.registry import Registry
from chaoszone.sim.resources import by_path
from chaoszone.sim.scheduler.cache import Cache, DictListers
from chaoszone.sim.scheduler.framework import (
    Code,
    CycleState,
    FilterPlugin,
    Framework,
    Plugin,
    PreFilterPlugin,
    ScorePlugin,
    Status,
)
from chaoszone.sim.scheduler.plugins import default_plugins
from chaoszone.sim.scheduler.plugins.podtopologyspread import (
    Constraint,
    FilterState,
    PodTopologySpread,
    ScoreState,
)
from chaoszone.sim.scheduler.types import PodInfo, tolerates
from chaoszone.sim.selectors import LabelSelector, Requirement
from chaoszone.sim.store import Store

__all__ = ["Outcome", "main", "run_case"]

VERSION = (1, 32)

#: the plugin a case is about, by its id prefix
PLUGIN_BY_PREFIX = {
    "pts": "PodTopologySpread", "tt": "TaintToleration", "nu": "NodeUnschedulable",
    "na": "NodeAffinity", "ipa": "InterPodAffinity", "vz": "VolumeZone",
    "vb": "VolumeBinding",
}

MECHANICAL_SCOPES = ("plugin-filter", "plugin-prefilter", "plugin-score", "scheduler",
                     "toleration-match", "api")

#: expectation keys that describe something outside what the runner can check
NOT_CHECKED = {
    "scores_with_VolumeCapacityPriority": "needs the alpha VolumeCapacityPriority gate, "
                                          "off in 1.30-1.33",
}

UNLIMITED = {"cpu": "1000000", "memory": "1000000Ti", "pods": "1000000",
             "ephemeral-storage": "1000000Ti"}

_PODS = by_path("", "v1", "pods")
_NAMESPACES = by_path("", "v1", "namespaces")
_SERVICEACCOUNTS = by_path("", "v1", "serviceaccounts")


class Outcome:
    """A case's result: ``kind`` is PASS, FAIL or SKIP."""

    __slots__ = ("case_id", "kind", "name", "why")

    def __init__(self, kind: str, case_id: str, name: str, why: str = "") -> None:
        self.kind = kind
        self.case_id = case_id
        self.name = name
        self.why = why

    def line(self) -> str:
        if self.kind == "PASS":
            return f"PASS {self.case_id} {self.name}" + (f" ({self.why})" if self.why else "")
        if self.kind == "SKIP":
            return f"SKIP {self.case_id} ({self.why})"
        return f"FAIL {self.case_id} {self.name}: {self.why}"


class CaseFailure(Exception):
    """An expectation did not hold."""


# -- versions --------------------------------------------------------------------------


def _in_range(spec: str, version: tuple[int, int] = VERSION) -> bool:
    def parse(v: str) -> tuple[int, int]:
        major, minor = v.strip().split(".")[:2]
        return int(major), int(minor)
    if "-" in spec:
        low, high = spec.split("-", 1)
        return parse(low) <= version <= parse(high)
    return parse(spec) == version


def _by_version(table: Mapping[str, Any]) -> Any:
    for spec, value in table.items():
        if _in_range(str(spec)):
            return value
    raise CaseFailure(f"no entry for {VERSION[0]}.{VERSION[1]} in {sorted(table)}")


def _resolve_versions(expect: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, val in expect.items():
        if key.endswith("_by_version") and isinstance(val, Mapping):
            out[key[: -len("_by_version")]] = _by_version(val)
        else:
            out[key] = val
    return out


# -- building objects from a case ------------------------------------------------------


def _node(spec: Mapping[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {
        "kind": "Node", "apiVersion": "v1",
        "metadata": {"name": spec["name"], "labels": dict(spec.get("labels") or {})},
        "spec": {},
        "status": {"allocatable": dict(UNLIMITED), "capacity": dict(UNLIMITED),
                   "conditions": list(spec.get("conditions") or
                                      [{"type": "Ready", "status": "True"}])},
    }
    if spec.get("taints"):
        node["spec"]["taints"] = [dict(t) for t in spec["taints"]]
    if spec.get("unschedulable"):
        node["spec"]["unschedulable"] = True
    return node


def _pod(spec: Mapping[str, Any], default_name: str) -> dict[str, Any]:
    name = str(spec.get("name") or default_name)
    namespace = str(spec.get("namespace") or "default")
    pod_spec = dict(spec.get("spec") or {})
    if spec.get("tolerations") is not None:
        pod_spec["tolerations"] = list(spec["tolerations"])
    claims = list(spec.get("pvcs") or ())
    if spec.get("pvc"):
        claims.insert(0, spec["pvc"])
    if claims:
        pod_spec["volumes"] = list(pod_spec.get("volumes") or ()) + [
            {"name": f"vol-{i}", "persistentVolumeClaim": {"claimName": c}}
            for i, c in enumerate(claims)]
    if spec.get("node"):
        pod_spec["nodeName"] = spec["node"]
    meta: dict[str, Any] = {"name": name, "namespace": namespace,
                            "uid": f"uid-{namespace}-{name}",
                            "labels": dict(spec.get("labels") or {})}
    if spec.get("ownerReferences"):
        meta["ownerReferences"] = [dict(r) for r in spec["ownerReferences"]]
    if spec.get("terminating"):
        meta["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": pod_spec,
            "status": {"phase": spec.get("phase") or ("Running" if spec.get("node")
                                                      else "Pending")}}


def _pv(spec: Mapping[str, Any]) -> dict[str, Any]:
    pv_spec: dict[str, Any] = {}
    if spec.get("storageClassName") is not None:
        pv_spec["storageClassName"] = spec["storageClassName"]
    if spec.get("capacity") is not None:
        pv_spec["capacity"] = {"storage": str(spec["capacity"])}
    for key in ("nodeAffinity", "claimRef", "accessModes", "volumeMode"):
        if spec.get(key) is not None:
            pv_spec[key] = spec[key]
    pv: dict[str, Any] = {"kind": "PersistentVolume", "apiVersion": "v1",
                          "metadata": {"name": spec["name"],
                                       "labels": dict(spec.get("labels") or {})},
                          "spec": pv_spec, "status": {}}
    if spec.get("phase"):
        pv["status"]["phase"] = spec["phase"]
    return pv


def _pvc(spec: Mapping[str, Any]) -> dict[str, Any]:
    namespace = str(spec.get("namespace") or "default")
    pvc_spec: dict[str, Any] = {}
    for key in ("storageClassName", "volumeName", "accessModes", "volumeMode", "selector"):
        if spec.get(key) is not None:
            pvc_spec[key] = spec[key]
    if spec.get("request") is not None:
        pvc_spec["resources"] = {"requests": {"storage": str(spec["request"])}}
    meta: dict[str, Any] = {"name": spec["name"], "namespace": namespace,
                            "uid": f"uid-{namespace}-{spec['name']}"}
    if spec.get("annotations"):
        meta["annotations"] = dict(spec["annotations"])
    pvc: dict[str, Any] = {"kind": "PersistentVolumeClaim", "apiVersion": "v1",
                           "metadata": meta, "spec": pvc_spec, "status": {}}
    if spec.get("phase"):
        pvc["status"]["phase"] = spec["phase"]
    return pvc


def _storage_class(spec: Mapping[str, Any]) -> dict[str, Any]:
    sc: dict[str, Any] = {"kind": "StorageClass", "apiVersion": "storage.k8s.io/v1",
                          "metadata": {"name": spec["name"]},
                          "provisioner": spec.get("provisioner") or ""}
    for key in ("volumeBindingMode", "allowedTopologies"):
        if spec.get(key) is not None:
            sc[key] = spec[key]
    return sc


def _namespaced(kind: str, api_version: str, spec: Mapping[str, Any],
                body: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "apiVersion": api_version,
            "metadata": {"name": spec["name"], "namespace": spec.get("namespace") or "default",
                         "labels": dict(spec.get("labels") or {})},
            "spec": dict(body)}


class World:
    """A case's cluster in a scheduler cache, with the default profile's plugins."""

    def __init__(self, case: Mapping[str, Any]) -> None:
        cluster = case.get("cluster") or {}
        if not isinstance(cluster, Mapping):
            raise CaseFailure("the case's cluster is not a mapping")
        objects: list[dict[str, Any]] = []
        namespaces = {"default"}
        for pv in cluster.get("persistentVolumes") or ():
            objects.append(_pv(pv))
        for pvc in cluster.get("persistentVolumeClaims") or ():
            objects.append(_pvc(pvc))
        for sc in cluster.get("storageClasses") or ():
            objects.append(_storage_class(sc))
        for svc in cluster.get("services") or ():
            objects.append(_namespaced("Service", "v1", svc,
                                       {"selector": svc.get("selector")}))
        for rs in cluster.get("replicaSets") or ():
            objects.append(_namespaced("ReplicaSet", "apps/v1", rs,
                                       {"selector": rs.get("selector")}))
        for ss in cluster.get("statefulSets") or ():
            objects.append(_namespaced("StatefulSet", "apps/v1", ss,
                                       {"selector": ss.get("selector")}))
        pods = [_pod(p, f"pod-{i}") for i, p in enumerate(cluster.get("pods") or ())]
        self.pod = _pod(case.get("pod") or {}, "incoming")
        for pod in [*pods, self.pod]:
            namespaces.add(pod["metadata"]["namespace"])
        declared = {ns.get("name"): ns for ns in cluster.get("namespaces") or ()}
        for name in sorted(namespaces | set(declared)):
            labels = dict((declared.get(name) or {}).get("labels") or {})
            objects.append({"kind": "Namespace", "apiVersion": "v1",
                            "metadata": {"name": name, "labels": labels}})
        self.cache = Cache(DictListers(objects))
        self.nodes = [_node(n) for n in cluster.get("nodes") or ()]
        for node in self.nodes:
            self.cache.add_node(node)
        for pod in pods:
            self.cache.add_pod(pod)
        plugin_args = ((case.get("scheduler_config") or {}).get("pluginArgs") or {})
        self.framework = Framework(self.cache, default_plugins(self.cache, plugin_args))
        self.info = PodInfo(self.pod)

    def plugin(self, name: str) -> Plugin:
        plugin = self.framework.by_name.get(name)
        if plugin is None:
            raise CaseFailure(f"no plugin {name} in the default profile")
        return plugin

    def node_names(self) -> list[str]:
        return [n["metadata"]["name"] for n in self.nodes]

    def feasible(self) -> list[str]:
        """The nodes passing the whole default filter chain (PreFilter first)."""
        state = CycleState()
        result, status, _ = self.framework.run_pre_filter(state, self.info)
        if status is not None:
            return []
        infos = [self.cache.get(n) for n in self.node_names()]
        nodes = [n for n in infos if n is not None]
        if result is not None and result.node_names is not None:
            nodes = [n for n in nodes if n.name in result.node_names]
        return [n.name for n in self.framework.filter_batch(state, self.info, nodes)]

    def chain_messages(self) -> set[str]:
        """The distinct messages of the nodes the whole chain rejects (first rejecting
        plugin per node, or the PreFilter rejection)."""
        state = CycleState()
        result, status, _ = self.framework.run_pre_filter(state, self.info)
        if status is not None:
            return {status.message()} if status.rejected else set()
        statuses: dict[str, Status] = {}
        infos = [self.cache.get(n) for n in self.node_names()]
        nodes = [n for n in infos if n is not None]
        if result is not None and result.node_names is not None:
            nodes = [n for n in nodes if n.name in result.node_names]
        self.framework.filter_batch(state, self.info, nodes, statuses)
        return {s.message() for s in statuses.values()}

    def failed_scheduling_message(self) -> str | None:
        """The FailedScheduling message of one scheduling attempt (PostFilter included),
        or None if the pod would be bound."""
        result, state = self.framework.schedule(self.info)
        if result.node:
            return None
        if result.diagnosis is not None:
            self.framework.post_filter(state, self.info, result)
        return result.message()


def _is_failed_scheduling_key(key: str) -> bool:
    return "failedscheduling" in key.replace("_", "").lower()


def _check_failed_scheduling(world: World, key: str, expected: Any) -> None:
    got = world.failed_scheduling_message()
    if got is None:
        raise CaseFailure(f"{key}: the pod would be scheduled")
    if isinstance(expected, Mapping):
        expected = expected.get("message") or expected.get("contains")
    wanted = [expected] if isinstance(expected, str) else list(expected or ())
    if key.lower().endswith("contains") or isinstance(expected, list):
        missing = [w for w in wanted if str(w) not in got]
        if missing:
            raise CaseFailure(f"{key}: {missing} not in {got!r}")
    elif got != str(expected):
        raise CaseFailure(f"{key}: want {expected!r}, got {got!r}")


# -- checks ----------------------------------------------------------------------------


def _code(status: Status | None) -> str:
    return "Success" if status is None else status.code.name


def _selector_text(selector: LabelSelector) -> set[str]:
    """The case files' notation: ``key=value``, ``key (exists)``, joined by `` AND ``."""
    parts = set()
    for r in selector.requirements:
        parts.add(_requirement_text(r))
    return parts


def _requirement_text(r: Requirement) -> str:
    if r.operator == "exists":
        return f"{r.key} (exists)"
    if r.operator == "!":
        return f"{r.key} (does not exist)"
    if r.operator in ("=", "==") or (r.operator == "in" and len(r.values) == 1):
        return f"{r.key}={r.values[0]}"
    return str(r)


def _expected_selector(text: str) -> set[str]:
    return {part.strip() for part in str(text).split(" AND ") if part.strip()}


class PluginRun:
    """One plugin run alone on a world: PreFilter, then Filter on every node."""

    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.plugin = world.plugin(name)
        self.state = CycleState()
        self.prefilter: Status | None = None
        self.prefilter_nodes: frozenset[str] | None = None
        self.filter: dict[str, Status | None] = {}
        if isinstance(self.plugin, PreFilterPlugin):
            result, self.prefilter = self.plugin.pre_filter(self.state, world.info)
            if result is not None:
                self.prefilter_nodes = result.node_names
        for node_name in world.node_names():
            node = world.cache.get(node_name)
            assert node is not None
            if self.prefilter is not None and self.prefilter.code == Code.Skip:
                self.filter[node_name] = None
            elif self.prefilter is not None:
                self.filter[node_name] = self.prefilter
            elif isinstance(self.plugin, FilterPlugin):
                self.filter[node_name] = self.plugin.filter(self.state, world.info, node)
            else:
                self.filter[node_name] = None

    def prefilter_verdict(self) -> str:
        return _code(self.prefilter)

    def rejected(self) -> dict[str, Status]:
        return {n: s for n, s in self.filter.items() if s is not None and s.code != Code.Skip}


def _check_filter(run: PluginRun, expected: Mapping[str, str]) -> None:
    wrong = []
    for node, code in expected.items():
        if node not in run.filter:
            raise CaseFailure(f"node {node} is not in the cluster")
        status = run.filter[node]
        got = _code(status)
        if got != code:
            wrong.append(f"{node}: want {code}, got {got}"
                         + (f" ({status.message()})" if status is not None else ""))
    if wrong:
        raise CaseFailure("filter: " + "; ".join(wrong))


def _messages(run: PluginRun) -> dict[str, str]:
    if run.prefilter is not None and run.prefilter.rejected:
        return {"(prefilter)": run.prefilter.message()}
    return {n: s.message() for n, s in run.rejected().items()}


def _check_message(run: PluginRun, expected: str) -> None:
    messages = _messages(run)
    if not messages:
        raise CaseFailure(f"message: want {expected!r}, but nothing was rejected")
    wrong = {n: m for n, m in messages.items() if m != expected}
    if wrong:
        raise CaseFailure(f"message: want {expected!r}, got {wrong}")


def _check_message_contains(run: PluginRun, expected: str | Sequence[str]) -> None:
    wanted = [expected] if isinstance(expected, str) else list(expected)
    messages = _messages(run)
    if not messages:
        raise CaseFailure("message_contains: nothing was rejected")
    for node, message in messages.items():
        for part in wanted:
            if part not in message:
                raise CaseFailure(f"message_contains: {part!r} not in {node}: {message!r}")


def _check_node_message(run: PluginRun, suffix: str, expected: str) -> None:
    target = next((n for n in run.filter
                   if n.replace("-", "_").replace(".", "_") == suffix), None)
    if target is None:
        raise CaseFailure(f"message_{suffix}: no such node")
    status = run.filter[target]
    got = status.message() if status is not None else ""
    if got != expected:
        raise CaseFailure(f"message_{suffix}: want {expected!r}, got {got!r}")


def _check_reasons(run: PluginRun, expected: Sequence[str]) -> None:
    rejected = run.rejected()
    if not rejected:
        raise CaseFailure("reasons: nothing was rejected")
    for node, status in rejected.items():
        if list(status.reasons) != list(expected):
            raise CaseFailure(f"reasons on {node}: want {list(expected)}, got {status.reasons}")


def _filter_state(run: PluginRun) -> FilterState | None:
    fs = run.state.data.get(PodTopologySpread.name)
    return fs if isinstance(fs, FilterState) else None


def _check_domains(run: PluginRun, expected: Sequence[Mapping[str, Any]]) -> None:
    fs = _filter_state(run)
    constraints = fs.constraints if fs is not None else []
    if len(constraints) != len(expected):
        raise CaseFailure(f"domains: want {len(expected)} hard constraints, "
                          f"got {len(constraints)}")
    assert fs is not None or not expected
    for i, want in enumerate(expected):
        assert fs is not None
        c = constraints[i]
        if want.get("topologyKey") is not None and want["topologyKey"] != c.topology_key:
            raise CaseFailure(f"domains[{i}]: topologyKey {c.topology_key!r}, "
                              f"want {want['topologyKey']!r}")
        counts = {str(k): int(v) for k, v in (want.get("counts") or {}).items()}
        if "counts" in want and fs.counts[i] != counts:
            raise CaseFailure(f"domains[{i}] ({c.topology_key}): counts {fs.counts[i]}, "
                              f"want {counts}")
        if "global_min" in want and fs.min_match(i) != int(want["global_min"]):
            raise CaseFailure(f"domains[{i}] ({c.topology_key}): global minimum "
                              f"{fs.min_match(i)}, want {want['global_min']}")


def _check_constraint(got: Constraint, want: Mapping[str, Any], where: str) -> None:
    fields = {"maxSkew": got.max_skew, "topologyKey": got.topology_key,
              "minDomains": got.min_domains, "nodeAffinityPolicy": got.node_affinity_policy,
              "nodeTaintsPolicy": got.node_taints_policy}
    for key, value in fields.items():
        if key in want and want[key] != value:
            raise CaseFailure(f"{where}: {key} {value!r}, want {want[key]!r}")
    if "selector" in want and _selector_text(got.selector) != _expected_selector(
            want["selector"]):
        raise CaseFailure(f"{where}: selector {sorted(_selector_text(got.selector))}, "
                          f"want {want['selector']!r}")


def _check_filter_constraints(run: PluginRun, expected: Any) -> None:
    fs = _filter_state(run)
    constraints = fs.constraints if fs is not None else []
    if isinstance(expected, int):
        if len(constraints) != expected:
            raise CaseFailure(f"filter_constraints: {len(constraints)}, want {expected}")
        return
    if len(constraints) != len(expected):
        raise CaseFailure(f"filter_constraints: {len(constraints)}, want {len(expected)}")
    for i, want in enumerate(expected):
        _check_constraint(constraints[i], want, f"filter_constraints[{i}]")


def _check_effective_selector(run: PluginRun, expected: str) -> None:
    fs = _filter_state(run)
    if fs is None or not fs.constraints:
        raise CaseFailure("effective_selector: no hard constraint")
    got = _selector_text(fs.constraints[0].selector)
    if got != _expected_selector(expected):
        raise CaseFailure(f"effective_selector: {sorted(got)}, want {expected!r}")


def _score_state(world: World) -> ScoreState | None:
    plugin = world.plugin(PodTopologySpread.name)
    assert isinstance(plugin, PodTopologySpread)
    state = CycleState()
    nodes = [n for n in (world.cache.get(x) for x in world.node_names()) if n is not None]
    status = plugin.pre_score(state, world.info, nodes)
    if status is not None:
        return None
    ss = state.data.get(plugin.name + "/score")
    return ss if isinstance(ss, ScoreState) else None


def _check_score_state(world: World, expect: Mapping[str, Any]) -> None:
    ss = _score_state(world)
    constraints = ss.constraints if ss is not None else []
    if "score_constraints" in expect:
        want = expect["score_constraints"]
        if len(want) != len(constraints):
            raise CaseFailure(f"score_constraints: {len(constraints)}, want {len(want)}")
        for i, w in enumerate(want):
            _check_constraint(constraints[i], w, f"score_constraints[{i}]")
    if "score_domains" in expect:
        assert ss is not None or not expect["score_domains"]
        for key, values in (expect["score_domains"] or {}).items():
            idx = next((i for i, c in enumerate(constraints) if c.topology_key == key), None)
            if idx is None or ss is None:
                raise CaseFailure(f"score_domains: no soft constraint on {key}")
            got = sorted(ss.counts[idx])
            if got != sorted(str(v) for v in values):
                raise CaseFailure(f"score_domains[{key}]: {got}, want {sorted(values)}")
    if "ignored_nodes" in expect:
        got_ignored = sorted(ss.ignored) if ss is not None else []
        if got_ignored != sorted(expect["ignored_nodes"] or ()):
            raise CaseFailure(f"ignored_nodes: {got_ignored}, want {expect['ignored_nodes']}")


def _check_scores(world: World, name: str, expect: Mapping[str, Any]) -> None:
    plugin = world.plugin(name)
    if not isinstance(plugin, ScorePlugin):
        raise CaseFailure(f"{name} does not score")
    state = CycleState()
    nodes = [n for n in (world.cache.get(x) for x in world.node_names()) if n is not None]
    status = plugin.pre_score(state, world.info, nodes)
    if status is not None and status.code == Code.Skip:
        raw = [0] * len(nodes)
        normalized = list(raw)
    else:
        raw = plugin.score_nodes(state, world.info, nodes)
        normalized = list(raw)
        plugin.normalize(state, world.info, nodes, normalized)
    for key, got in (("raw_scores", raw), ("normalized_scores", normalized)):
        if key not in expect:
            continue
        got_map = {n.name: s for n, s in zip(nodes, got, strict=True)}
        want = {str(k): int(v) for k, v in expect[key].items()}
        if {k: got_map.get(k) for k in want} != want:
            raise CaseFailure(f"{key}: {got_map}, want {want}")


def _plugin_case(case: Mapping[str, Any], expect: dict[str, Any]) -> list[str]:
    """Plugin and scheduler scopes; returns the expectation keys left unchecked."""
    case_id = str(case["id"])
    name = PLUGIN_BY_PREFIX.get(case_id.split("-", 1)[0])
    world = World(case)
    chain_only = {"feasible"} | {k for k in expect if _is_failed_scheduling_key(k)}
    if "message" in expect and str(expect["message"]).startswith("0/"):
        chain_only.add("message")
    if name is None:
        # a case about the whole scheduler: only chain-level expectations apply
        if set(expect) - chain_only:
            raise CaseFailure(f"no plugin known for the id prefix of {case_id}, for "
                              f"{sorted(set(expect) - chain_only)}")
        name = "NodeUnschedulable"
    run = PluginRun(world, name)
    handled = {"filter", "prefilter", "message", "message_contains", "feasible", "domains",
               "filter_constraints", "effective_selector", "prefilter_result_nodes", "reasons",
               "raw_scores", "normalized_scores", "score_constraints", "score_domains",
               "ignored_nodes"}
    unchecked = []
    for key in expect:
        if key in handled or key.startswith("message_") or _is_failed_scheduling_key(key):
            continue
        if key in NOT_CHECKED:
            unchecked.append(f"{key}: {NOT_CHECKED[key]}")
        else:
            unchecked.append(key)
    if "prefilter" in expect and run.prefilter_verdict() != expect["prefilter"]:
        raise CaseFailure(f"prefilter: want {expect['prefilter']}, got "
                          f"{run.prefilter_verdict()}"
                          + (f" ({run.prefilter.message()})" if run.prefilter else ""))
    if "prefilter_result_nodes" in expect:
        got_nodes = sorted(run.prefilter_nodes) if run.prefilter_nodes is not None else None
        if got_nodes != sorted(expect["prefilter_result_nodes"]):
            raise CaseFailure(f"prefilter_result_nodes: {got_nodes}, "
                              f"want {expect['prefilter_result_nodes']}")
    if "filter" in expect:
        _check_filter(run, expect["filter"])
    if "message" in expect:
        message = str(expect["message"])
        if message.startswith("0/"):
            _check_failed_scheduling(world, "message", message)
        else:
            try:
                _check_message(run, message)
            except CaseFailure:
                # a scheduler-scope message may name the chain's verdict instead
                if case.get("scope") != "scheduler" or world.chain_messages() != {message}:
                    raise
    if "message_contains" in expect:
        _check_message_contains(run, expect["message_contains"])
    for key, value in expect.items():
        if _is_failed_scheduling_key(key):
            _check_failed_scheduling(world, key, value)
    for key, value in expect.items():
        if key.startswith("message_") and key != "message_contains":
            _check_node_message(run, key[len("message_"):], str(value))
    if "reasons" in expect:
        _check_reasons(run, expect["reasons"])
    if "domains" in expect:
        _check_domains(run, expect["domains"])
    if "filter_constraints" in expect:
        _check_filter_constraints(run, expect["filter_constraints"])
    if "effective_selector" in expect:
        _check_effective_selector(run, expect["effective_selector"])
    if {"score_constraints", "score_domains", "ignored_nodes"} & set(expect):
        _check_score_state(world, expect)
    if {"raw_scores", "normalized_scores"} & set(expect):
        _check_scores(world, name, expect)
    if "feasible" in expect:
        got = sorted(world.feasible())
        want = sorted(expect["feasible"] or ())
        if got != want:
            raise CaseFailure(f"feasible: {got}, want {want}")
    return unchecked


def _toleration_case(case: Mapping[str, Any], expect: Mapping[str, Any]) -> None:
    got = tolerates(case.get("toleration") or {}, case.get("taint") or {})
    if got != bool(expect.get("tolerated")):
        raise CaseFailure(f"tolerated: {got}, want {expect.get('tolerated')}")


# -- api -------------------------------------------------------------------------------


class ApiWorld:
    """A registry with the namespaces a pod needs, for validation and admission."""

    def __init__(self) -> None:
        self.registry = Registry(Store(Clock(manual=True)))
        self._namespaces: set[str] = set()

    def namespace(self, name: str) -> None:
        if name in self._namespaces:
            return
        assert _NAMESPACES is not None and _SERVICEACCOUNTS is not None
        self.registry.create(_NAMESPACES, None, {"metadata": {"name": name}})
        self.registry.create(_SERVICEACCOUNTS, name, {"metadata": {"name": "default"}})
        self._namespaces.add(name)

    def create_pod(self, case_id: str, fragment: Mapping[str, Any]) -> dict[str, Any]:
        namespace = str(fragment.get("namespace") or "default")
        self.namespace(namespace)
        spec = dict(fragment.get("spec") or {})
        if fragment.get("tolerations") is not None:
            spec["tolerations"] = list(fragment["tolerations"])
        spec.setdefault("containers", [{"name": "c", "image": "registry.k8s.io/pause:3.10"}])
        pod = {"metadata": {"name": f"fidelity-{case_id}".lower(), "namespace": namespace,
                            "labels": dict(fragment.get("labels") or {})},
               "spec": spec}
        assert _PODS is not None
        return self.registry.create(_PODS, namespace, pod, dry_run=True).obj


def _unquoted(text: str) -> str:
    return text.replace('"', "").replace("'", "")


def _api_case(api: ApiWorld, case: Mapping[str, Any], expect: Mapping[str, Any]) -> None:
    fragment = dict(case.get("pod") or {})
    if case.get("tolerations") is not None:
        fragment["tolerations"] = case["tolerations"]
    want = expect.get("api")
    try:
        created = api.create_pod(str(case["id"]), fragment)
    except errors.ApiError as exc:
        if want is None:
            raise CaseFailure(f"create refused: {exc.code} {exc.message}") from None
        _check_api_error(exc, want)
        return
    if want is not None:
        raise CaseFailure(f"create accepted; want {want.get('code')}")
    if "tolerations_after_create" in expect:
        got = (created.get("spec") or {}).get("tolerations") or []
        if got != list(expect["tolerations_after_create"] or ()):
            raise CaseFailure(f"tolerations after create: {got}, "
                              f"want {expect['tolerations_after_create']}")


def _check_api_error(exc: errors.ApiError, want: Mapping[str, Any]) -> None:
    if "code" in want and exc.code != int(want["code"]):
        raise CaseFailure(f"code {exc.code}, want {want['code']} ({exc.message})")
    causes = exc.causes
    if want.get("field"):
        causes = [c for c in causes if c.field == want["field"]]
        if not causes:
            raise CaseFailure(f"no cause on field {want['field']!r}: "
                              f"{[c.field for c in exc.causes]}")
    reasons = list(want.get("reasons") or ())
    if want.get("reason"):
        reasons.append(str(want["reason"]))
    texts = [_unquoted(c.message) for c in causes] or [_unquoted(exc.message)]
    for reason in reasons:
        if not any(_unquoted(reason) in text for text in texts):
            raise CaseFailure(f"reason {reason!r} not in {[c.message for c in causes]}")


_CASE_KEYS = {"id", "name", "source", "kind", "scope", "cluster", "pod", "expect", "notes",
              "api_valid", "versions", "see_also"}


def _api_checkable(case: Mapping[str, Any], expect: Mapping[str, Any]) -> bool:
    """A pod (or its tolerations) to create, and a rejection or the admitted pod to
    expect; a request of any other shape (an update, a subresource) is not read."""
    has_input = case.get("pod") is not None or case.get("tolerations") is not None
    other = set(case) - _CASE_KEYS - {"tolerations"}
    return has_input and not other and (
        "api" in expect or "tolerations_after_create" in expect)


# -- running ---------------------------------------------------------------------------


def _structured(case: Mapping[str, Any]) -> bool:
    """Whether the case's cluster and pod are objects (not prose)."""
    cluster = case.get("cluster")
    return (isinstance(cluster, Mapping) and isinstance(cluster.get("nodes"), list)
            and all(isinstance(n, Mapping) for n in cluster["nodes"])
            and isinstance(case.get("pod"), Mapping))


def _skip_reason(case: Mapping[str, Any]) -> str:
    scope = case.get("scope")
    where = {
        "controller": "a controller's reaction to events; see the controller tests",
        "scenario": "a multi-step outcome; see the end-to-end tests",
        "kubectl": "kubectl behaviour; see the kubectl tests",
        "kubelet-admission": "the kubelet's admission; see the kubelet tests",
        "function": "a table for a controller helper; see the controller tests",
        "config": "flag defaults",
        "api": "a request this runner does not read (eviction, update); see the API tests",
    }.get(str(scope), "not a mechanical check")
    return f"scope {scope}: {where}"


def run_case(case: Mapping[str, Any], api: ApiWorld | None = None) -> Outcome:
    case_id = str(case.get("id"))
    name = str(case.get("name") or "")
    scope = case.get("scope")
    expect_raw = case.get("expect")
    expect = _resolve_versions(expect_raw) if isinstance(expect_raw, Mapping) else {}
    try:
        if scope == "toleration-match":
            _toleration_case(case, expect)
            return Outcome("PASS", case_id, name)
        if scope == "api":
            if not _api_checkable(case, expect):
                return Outcome("SKIP", case_id, name, _skip_reason(case))
            _api_case(api or ApiWorld(), case, expect)
            rest = sorted(set(expect) - {"api", "tolerations_after_create"})
            return Outcome("PASS", case_id, name,
                           "not checked: " + ", ".join(rest) if rest else "")
        if scope in ("plugin-filter", "plugin-prefilter", "plugin-score", "scheduler"):
            unchecked = _plugin_case(case, expect)
            note = "not checked: " + ", ".join(unchecked) if unchecked else ""
            return Outcome("PASS", case_id, name, note)
        if _structured(case) and any(_is_failed_scheduling_key(k) for k in expect):
            world = World(case)
            for key, value in expect.items():
                if _is_failed_scheduling_key(key):
                    _check_failed_scheduling(world, key, value)
            return Outcome("PASS", case_id, name, "the FailedScheduling message")
        return Outcome("SKIP", case_id, name, _skip_reason(case))
    except CaseFailure as exc:
        return Outcome("FAIL", case_id, name, str(exc))
    except Exception as exc:  # a crash is a failure of that case, not of the run
        return Outcome("FAIL", case_id, name, f"{type(exc).__name__}: {exc}")


def run_files(paths: Iterable[str]) -> list[Outcome]:
    api = ApiWorld()
    outcomes = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            document = yaml.safe_load(fh) or {}
        for case in document.get("cases") or ():
            outcomes.append(run_case(case, api))
    return outcomes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chaoszone.sim.fidelity",
        description="Check the simulator against the fidelity cases.")
    parser.add_argument("files", nargs="+", help="fidelity YAML files")
    parser.add_argument("--quiet", action="store_true", help="print only failures and the total")
    args = parser.parse_args(argv)
    outcomes = run_files(args.files)
    for outcome in outcomes:
        if not args.quiet or outcome.kind == "FAIL":
            print(outcome.line())
    passed = sum(1 for o in outcomes if o.kind == "PASS")
    failed = sum(1 for o in outcomes if o.kind == "FAIL")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
