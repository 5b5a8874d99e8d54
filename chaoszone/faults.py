"""Fault values: what to do to a zone (or a node), named for the condition it creates.

    faults.zone_outage("zone-a")                  # the zone's machines lose power
    faults.zone_outage("zone-a", mode="kill")     # ... at once, without a shutdown
    faults.zone_outage("zone-a", mode="pause")    # ... or hang (frozen, not off)
    faults.node_outage("kind-worker", "kind-worker2")  # some machines only
    faults.partition("zone-a")                    # the zone is cut off from the API server
    faults.cordon("zone-a")                       # no new pods there (a zone or one node)
    faults.taint("zone-a", "chaos", "true", "NoExecute")
    faults.drain("zone-a", timeout=120)           # cordon, then evict every pod but DaemonSets'

A fault is a frozen value; building one changes nothing. ``cluster.fault(f)`` checks it
against the cluster's topology (:meth:`Fault.nodes`: an unknown zone is
:class:`InvalidExperiment` naming the known ones, before anything changes), then
:meth:`Fault.inject` writes each undo record to the journal *before* the change it undoes.

Kubernetes-API faults (cordon, taint, drain) work on every target; power and network
faults go through the target's switches (the simulator's control API, docker on kind);
a target without them (``context:NAME``) refuses them before anything changes
(:attr:`Fault.needs`, checked by ``Cluster.fault``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from chaoszone.errors import FaultError, InvalidExperiment
from chaoszone.journal import Journal, update_taints
from chaoszone.targets import NETWORK, POWER, Target
from chaoszone.topology import Topology

__all__ = [
    "ControlPlaneLoss",
    "Cordoned",
    "Drained",
    "Fault",
    "NodeOutage",
    "Partition",
    "Tainted",
    "ZoneOutage",
    "control_plane_loss",
    "cordon",
    "drain",
    "node_outage",
    "partition",
    "taint",
    "zone_outage",
]

EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
#: an outage's mode, and the power state it asks the target for: a shutdown (docker stop on
#: kind), power pulled (docker kill), or a hang (docker pause)
POWER_MODES = {"stop": "off", "kill": "killed", "pause": "paused"}
#: a qualified name, optionally with a DNS prefix (metav1 validation of label and taint keys)
_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
#: how a fault shows that it bit, for the cluster handle's check
NOT_READY, CORDONED, TAINTED = "not-ready", "cordoned", "tainted"
#: a control-plane node NotReady, or (once a majority is lost) the API unavailable
CONTROL_PLANE_DOWN = "control-plane-down"


def _nodes_of(topology: Topology, where: str, *, allow_node: bool) -> tuple[str, ...]:
    """The nodes of zone ``where`` (or node ``where`` when ``allow_node``)."""
    zones = {z.name for z in topology.zones()}
    if where in zones:
        return topology.zone(where).node_names
    if allow_node and where in {n.name for n in topology.nodes}:
        return (where,)
    known = ", ".join(sorted(zones)) or "none"
    nodes = f"; or one of its nodes: {', '.join(n.name for n in topology.nodes)}" \
        if allow_node else ""
    raise InvalidExperiment(
        f"zone {where!r} is not in topology {topology.name!r}"
        f"{f' ({topology.source})' if topology.source else ''}; its zones are: {known}{nodes}. "
        f"Fix the fault or the kind config")


class Fault:
    """What every fault offers the cluster handle."""

    #: what the fault makes true of its nodes: NOT_READY, CORDONED or TAINTED
    implies: str
    #: the target switches it needs beyond the Kubernetes API (targets.POWER, NETWORK)
    needs: frozenset[str] = frozenset()

    def nodes(self, topology: Topology) -> tuple[str, ...]:
        """The nodes the fault touches; :class:`InvalidExperiment` for a bad target."""
        raise NotImplementedError

    def inject(self, target: Target, journal: Journal, nodes: tuple[str, ...]) -> None:
        """Make the change, each step journalled first."""
        raise NotImplementedError


@dataclass(frozen=True, repr=False)
class Cordoned(Fault):
    """A zone's (or one node's) nodes are unschedulable: no new pods; running pods stay."""

    where: str
    implies = CORDONED

    def __repr__(self) -> str:
        return f"cordon({self.where!r})"

    def nodes(self, topology: Topology) -> tuple[str, ...]:
        return _nodes_of(topology, self.where, allow_node=True)

    def inject(self, target: Target, journal: Journal, nodes: tuple[str, ...]) -> None:
        for node in nodes:
            _cordon(target, journal, repr(self), node)


@dataclass(frozen=True, repr=False)
class Tainted(Fault):
    """A zone's nodes carry a taint."""

    zone: str
    key: str
    value: str
    effect: str
    implies = TAINTED

    def __repr__(self) -> str:
        return f"taint({self.zone!r}, {self.key!r}, {self.value!r}, {self.effect!r})"

    def nodes(self, topology: Topology) -> tuple[str, ...]:
        return _nodes_of(topology, self.zone, allow_node=True)

    def inject(self, target: Target, journal: Journal, nodes: tuple[str, ...]) -> None:
        for node in nodes:
            taints = _core(target).read_node(node).spec.taints or []
            if any(t.key == self.key and t.effect == self.effect for t in taints):
                raise FaultError(f"{self!r}: node {node} already has a {self.key}:{self.effect} "
                                 f"taint; chaoszone will not overwrite what it did not add")
            journal.record(repr(self), {"op": "remove_taint", "node": node, "key": self.key,
                                        "effect": self.effect})
            update_taints(target, node, lambda ts: [*ts, {"key": self.key, "value": self.value,
                                                          "effect": self.effect}])


@dataclass(frozen=True, repr=False)
class ZoneOutage(Fault):
    """Every machine of a zone is off (``stop``, or ``kill`` without a shutdown) or hung
    (``pause``)."""

    zone: str
    mode: str = "stop"
    implies = NOT_READY
    needs = frozenset({POWER})

    def __repr__(self) -> str:
        return f"zone_outage({self.zone!r}" + (f", mode={self.mode!r})" if self.mode != "stop"
                                               else ")")

    def nodes(self, topology: Topology) -> tuple[str, ...]:
        return _nodes_of(topology, self.zone, allow_node=False)

    def inject(self, target: Target, journal: Journal, nodes: tuple[str, ...]) -> None:
        for node in nodes:
            journal.record(repr(self), {"op": "power", "node": node,
                                        "state": target.power_state(node)})
            target.set_power(node, POWER_MODES[self.mode])


@dataclass(frozen=True, repr=False)
class NodeOutage(Fault):
    """Some machines, named, are off (``stop`` or ``kill``) or hung (``pause``): part of a
    zone."""

    names: tuple[str, ...]
    mode: str = "stop"
    implies = NOT_READY
    needs = frozenset({POWER})

    @property
    def where(self) -> str:
        return ", ".join(self.names)

    def __repr__(self) -> str:
        args = ", ".join(repr(n) for n in self.names)
        return f"node_outage({args}" + (f", mode={self.mode!r})" if self.mode != "stop"
                                        else ")")

    def nodes(self, topology: Topology) -> tuple[str, ...]:
        known = {n.name for n in topology.nodes}
        unknown = [n for n in self.names if n not in known]
        if unknown:
            raise InvalidExperiment(
                f"{self!r}: no node {', '.join(map(repr, unknown))} in topology "
                f"{topology.name!r}; its nodes are: {', '.join(sorted(known))}")
        return self.names

    def inject(self, target: Target, journal: Journal, nodes: tuple[str, ...]) -> None:
        for node in nodes:
            journal.record(repr(self), {"op": "power", "node": node,
                                        "state": target.power_state(node)})
            target.set_power(node, POWER_MODES[self.mode])


@dataclass(frozen=True, repr=False)
class ControlPlaneLoss(Fault):
    """The control-plane machines of a zone lose power (HA topologies put one per zone).
    Losing a majority of all control-plane nodes takes the API down (etcd quorum)."""

    zone: str
    implies = CONTROL_PLANE_DOWN
    needs = frozenset({POWER})

    def __repr__(self) -> str:
        return f"control_plane_loss({self.zone!r})"

    def nodes(self, topology: Topology) -> tuple[str, ...]:
        _nodes_of(topology, self.zone, allow_node=False)
        planes = tuple(n.name for n in topology.zone(self.zone).nodes if n.control_plane)
        if not planes:
            raise InvalidExperiment(
                f"{self!r}: zone {self.zone!r} of topology {topology.name!r} has no "
                f"control-plane node; use an HA topology (three-zones-ha) or another zone")
        return planes

    def inject(self, target: Target, journal: Journal, nodes: tuple[str, ...]) -> None:
        for node in nodes:
            journal.record(repr(self), {"op": "power", "node": node,
                                        "state": target.power_state(node)})
            target.set_power(node, "off")


@dataclass(frozen=True, repr=False)
class Partition(Fault):
    """A zone's nodes cannot reach the API server (their machines keep running)."""

    zone: str
    implies = NOT_READY
    needs = frozenset({NETWORK})

    def __repr__(self) -> str:
        return f"partition({self.zone!r})"

    def nodes(self, topology: Topology) -> tuple[str, ...]:
        return _nodes_of(topology, self.zone, allow_node=False)

    def inject(self, target: Target, journal: Journal, nodes: tuple[str, ...]) -> None:
        for node in nodes:
            journal.record(repr(self), {"op": "network", "node": node, "state": "connected"})
            target.set_network(node, "partitioned")


@dataclass(frozen=True, repr=False)
class Drained(Fault):
    """A zone is cordoned and its pods evicted through the eviction API, as ``kubectl
    drain --ignore-daemonsets --delete-emptydir-data`` does: disruption budgets are
    respected (a 429 is retried every 5 cluster seconds until ``timeout``), DaemonSet and
    mirror pods stay. Reverting uncordons; evicted pods are not brought back (their
    controllers replace them)."""

    zone: str
    timeout: float = 120.0
    implies = CORDONED

    def __repr__(self) -> str:
        return f"drain({self.zone!r}, timeout={self.timeout:g})"

    def nodes(self, topology: Topology) -> tuple[str, ...]:
        return _nodes_of(topology, self.zone, allow_node=True)

    def inject(self, target: Target, journal: Journal, nodes: tuple[str, ...]) -> None:
        from kubernetes import client

        core = _core(target)
        for node in nodes:
            _cordon(target, journal, repr(self), node)
        deadline = time.monotonic() + target.wall_seconds(self.timeout)
        waiting: dict[tuple[str, str], str] = {}
        for node in nodes:
            for pod in core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}"
                                                        ).items:
                owners = pod.metadata.owner_references or []
                mirror = "kubernetes.io/config.mirror" in (pod.metadata.annotations or {})
                if mirror or any(o.kind == "DaemonSet" for o in owners):
                    continue
                waiting[(pod.metadata.namespace, pod.metadata.name)] = "not evicted yet"
        retry = target.wall_seconds(5.0)
        while True:
            for (namespace, name) in [k for k, v in waiting.items() if v != "evicted"]:
                body = client.V1Eviction(metadata=client.V1ObjectMeta(name=name,
                                                                      namespace=namespace))
                try:
                    core.create_namespaced_pod_eviction(name, namespace, body)
                    waiting[(namespace, name)] = "evicted"
                except client.ApiException as exc:
                    if exc.status == 404:
                        waiting[(namespace, name)] = "evicted"
                    elif exc.status == 429:
                        waiting[(namespace, name)] = "refused by a disruption budget (429)"
                    else:
                        raise FaultError(f"{self!r}: evicting pod {namespace}/{name} failed: "
                                         f"{exc.status} {exc.reason}") from exc
            left = [k for k, v in waiting.items() if v != "evicted"]
            if not left:
                return
            if time.monotonic() + retry > deadline:
                raise FaultError(
                    f"{self!r}: within {self.timeout:g} cluster seconds "
                    f"{len(left)} pod(s) could not be evicted: "
                    + ", ".join(f"{ns}/{n} ({waiting[(ns, n)]})" for ns, n in left))
            time.sleep(retry)  # kubectl drain's 5 s between evictions a budget refused


def _cordon(target: Target, journal: Journal, fault: str, node: str) -> None:
    core = _core(target)
    prior = bool(core.read_node(node).spec.unschedulable)
    journal.record(fault, {"op": "unschedulable", "node": node, "value": prior})
    core.patch_node(node, {"spec": {"unschedulable": True}})


def _core(target: Target) -> Any:
    from kubernetes import client

    return client.CoreV1Api(target.api_client())


# -- constructors -------------------------------------------------------------------------------

def _zone_name(zone: object, what: str) -> str:
    if not isinstance(zone, str) or not zone:
        raise InvalidExperiment(f"{what}: the zone must be a non-empty name, got {zone!r}")
    return zone


def cordon(zone_or_node: str) -> Cordoned:
    """Cordon every node of a zone, or one node: new pods avoid it, running pods stay."""
    return Cordoned(_zone_name(zone_or_node, "cordon"))


def taint(zone: str, key: str, value: str = "", effect: str = "NoSchedule") -> Tainted:
    """Taint every node of a zone (or one node) with ``key=value:effect``."""
    _zone_name(zone, "taint")
    if not isinstance(key, str) or not _KEY.match(key) or len(key.rsplit("/", 1)[-1]) > 63:
        raise InvalidExperiment(f"taint({zone!r}): {key!r} is not a valid taint key "
                                f"(a qualified name like example.com/chaos)")
    if effect not in EFFECTS:
        raise InvalidExperiment(f"taint({zone!r}, {key!r}): effect must be one of "
                                f"{', '.join(EFFECTS)}; got {effect!r}")
    if not isinstance(value, str) or len(value) > 63:
        raise InvalidExperiment(f"taint({zone!r}, {key!r}): the value must be a string of at "
                                f"most 63 characters; got {value!r}")
    return Tainted(zone, key, value, effect)


def zone_outage(zone: str, mode: str = "stop") -> ZoneOutage:
    """Every machine of ``zone`` shuts down (``stop``), loses power at once (``kill``) or
    hangs (``pause``)."""
    _zone_name(zone, "zone_outage")
    if mode not in POWER_MODES:
        raise InvalidExperiment(f"zone_outage({zone!r}): mode must be one of "
                                f"{', '.join(POWER_MODES)}; got {mode!r}")
    return ZoneOutage(zone, mode)


def node_outage(*nodes: str, mode: str = "stop") -> NodeOutage:
    """The named nodes' machines shut down (``stop``), lose power at once (``kill``) or hang
    (``pause``)."""
    if not nodes or not all(isinstance(n, str) and n for n in nodes):
        raise InvalidExperiment(f"node_outage: name one or more nodes, got {nodes!r}")
    if len(set(nodes)) != len(nodes):
        raise InvalidExperiment(f"node_outage: a node is named twice in {nodes!r}")
    if mode not in POWER_MODES:
        raise InvalidExperiment(f"node_outage: mode must be one of {', '.join(POWER_MODES)}; "
                                f"got {mode!r}")
    return NodeOutage(tuple(nodes), mode)


def control_plane_loss(zone: str) -> ControlPlaneLoss:
    """The control-plane machines of ``zone`` lose power."""
    return ControlPlaneLoss(_zone_name(zone, "control_plane_loss"))


def partition(zone: str) -> Partition:
    """Cut every node of ``zone`` off from the API server."""
    return Partition(_zone_name(zone, "partition"))


def drain(zone: str, *, timeout: float = 120.0) -> Drained:
    """Cordon ``zone`` and evict its pods, honouring disruption budgets, within
    ``timeout`` cluster seconds."""
    _zone_name(zone, "drain")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise InvalidExperiment(f"drain({zone!r}): timeout must be a positive number of "
                                f"cluster seconds; got {timeout!r}")
    return Drained(zone, float(timeout))
