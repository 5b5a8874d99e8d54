"""Targets: where an experiment runs, and the handles experiments hold on its objects.

A :class:`Target` is one running cluster: the embedded simulator (``sim``), and later a
kind cluster (``kind``) or an existing cluster (``context:NAME``). Every target offers the
same Kubernetes API through the official client; what differs is how infrastructure
faults (power, network) are made and how cluster seconds map to wall seconds.

The handles (:class:`Workload`, :class:`PodRef`, :class:`ZoneRef`) name objects in one
target, so that expectations can take them alone: ``expect.ready(web, within=60)``.

This module must not import the simulator: only :mod:`chaoszone.targets.sim` does, and
:func:`attach` reaches it lazily.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from chaoszone.errors import TargetError
from chaoszone.kindconfig import Timers
from chaoszone.topology import ZONE_LABEL, Topology

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["CONTAINERS", "INFRASTRUCTURE", "KNOWN_TARGETS", "NETWORK", "POWER", "PodRef",
           "PodState",
           "ServiceRef", "Target", "Workload", "ZoneRef", "attach", "capabilities"]

#: target names the plugin and the CLI accept
KNOWN_TARGETS = ("sim", "kind", "context")

#: what a target can do beyond the Kubernetes API: switch machines on, off or paused
#: (outages, control-plane loss), and cut them off the network (partitions)
POWER, NETWORK = "power", "network"
#: the capabilities of a target that does not name its own (``sim`` and ``kind`` have both)
INFRASTRUCTURE = frozenset({POWER, NETWORK})
#: a target whose containers really run: images, processes, logs and volume contents
#: (``kind`` and ``context:NAME``; the simulator's kubelets only act the pods' lifecycle)
CONTAINERS = "containers"


def capabilities(target: object) -> frozenset[str]:
    """What ``target`` can do beyond the Kubernetes API: its ``capabilities`` attribute
    (the ``context:NAME`` target has none), else both :data:`INFRASTRUCTURE` switches."""
    found = getattr(target, "capabilities", INFRASTRUCTURE)
    return frozenset(found)


class Target(Protocol):
    """One running cluster, as chaoszone drives it."""

    #: ``sim``, ``kind`` or ``context:NAME``
    name: str
    #: the nodes and zones, from the kind config the cluster was made from
    topology: Topology
    #: the cluster's failure timers (detection, eviction), in cluster seconds
    timers: Timers

    def api_client(self) -> ApiClient:
        """An official-client ApiClient for this cluster (shared; do not close it)."""
        ...

    def wall_seconds(self, cluster_seconds: float) -> float:
        """How long ``cluster_seconds`` of cluster time take on the wall clock."""
        ...

    def cluster_seconds(self, wall_seconds: float) -> float:
        """How much cluster time passes in ``wall_seconds``."""
        ...

    def power_state(self, node: str) -> str:
        """``on``, ``off`` or ``paused``."""
        ...

    def set_power(self, node: str, state: str) -> None:
        """Power a node's machine ``on`` or ``off`` (a shutdown), or ``killed`` (power
        pulled at once; :meth:`power_state` then says ``off``), or pause it (``paused``)."""
        ...

    def set_network(self, node: str, state: str) -> None:
        """Cut a node off from the cluster (``partitioned``) or join it (``connected``)."""
        ...

    def describe(self) -> dict[str, Any]:
        """How to reach this cluster again from another process (for the journal)."""
        ...

    def repair_command(self) -> list[str]:
        """The container command that runs :mod:`chaoszone.repair` on this target."""
        ...

    def close(self) -> None:
        """Release the cluster (stop an in-process simulator)."""
        ...


def attach(description: Mapping[str, Any]) -> Target:
    """The target a journal header describes, reached again (for ``chaoszone recover``)."""
    kind = description.get("target")
    if kind == "sim":
        from chaoszone.targets.sim import SimTarget

        return SimTarget.attach(description)
    if kind == "kind":
        from chaoszone.targets.kind import KindTarget

        return KindTarget.attach(description)
    if kind == "context":
        from chaoszone.targets.context import ContextTarget

        return ContextTarget.attach(description)
    raise TargetError(f"cannot reach a target of kind {kind!r}: this chaoszone knows "
                      f"{', '.join(KNOWN_TARGETS)}")


@dataclass(frozen=True)
class PodState:
    """One pod as last seen: where it runs and whether it serves."""

    name: str
    uid: str
    node: str | None
    zone: str | None
    phase: str
    ready: bool
    deleting: bool


def pod_state(pod: Any, zones: Mapping[str, str]) -> PodState:
    """A :class:`PodState` of an official-client V1Pod; ``zones`` maps node to zone."""
    node = pod.spec.node_name if pod.spec else None
    conditions = (pod.status.conditions if pod.status else None) or []
    ready = any(c.type == "Ready" and c.status == "True" for c in conditions)
    phase = (pod.status.phase if pod.status else None) or "Pending"
    return PodState(name=pod.metadata.name, uid=pod.metadata.uid, node=node,
                    zone=zones.get(node) if node else None, phase=phase,
                    ready=ready and phase == "Running",
                    deleting=pod.metadata.deletion_timestamp is not None)


def node_zones(target: Target) -> dict[str, str]:
    """Node name to zone, from the live nodes' labels."""
    from kubernetes import client

    nodes: list[Any] = client.CoreV1Api(target.api_client()).list_node().items
    return {n.metadata.name: (n.metadata.labels or {}).get(ZONE_LABEL, "") for n in nodes}


@dataclass(frozen=True)
class Workload:
    """A Deployment, StatefulSet or other pod owner applied to a target."""

    target: Target = field(repr=False, compare=False)
    kind: str
    namespace: str
    name: str
    #: the pods' label selector (matchLabels)
    selector: Mapping[str, str]
    #: spec.replicas when applied
    replicas: int | None = None

    @property
    def label_selector(self) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(self.selector.items()))

    def pods(self) -> tuple[PodState, ...]:
        """The workload's pods now, sorted by name."""
        from kubernetes import client

        zones = node_zones(self.target)
        pods = client.CoreV1Api(self.target.api_client()).list_namespaced_pod(
            self.namespace, label_selector=self.label_selector).items
        return tuple(sorted((pod_state(p, zones) for p in pods), key=lambda p: p.name))

    def scale(self, replicas: int) -> Workload:
        """Set spec.replicas (Deployments and StatefulSets); returns the updated handle."""
        from kubernetes import client

        apps = client.AppsV1Api(self.target.api_client())
        body = {"spec": {"replicas": replicas}}
        if self.kind == "Deployment":
            apps.patch_namespaced_deployment_scale(self.name, self.namespace, body)
        elif self.kind == "StatefulSet":
            apps.patch_namespaced_stateful_set_scale(self.name, self.namespace, body)
        else:
            raise TargetError(f"cannot scale a {self.kind}")
        return Workload(self.target, self.kind, self.namespace, self.name, self.selector,
                        replicas)

    def __str__(self) -> str:
        return f"{self.kind.lower()} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class PodRef:
    """One pod by name."""

    target: Target = field(repr=False, compare=False)
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"pod {self.namespace}/{self.name}"


@dataclass(frozen=True)
class ServiceRef:
    """A Service by name; its endpoints are in EndpointSlices labelled with its name."""

    target: Target = field(repr=False, compare=False)
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"service {self.namespace}/{self.name}"


@dataclass(frozen=True)
class ZoneRef:
    """A failure zone of a target, with its nodes."""

    target: Target = field(repr=False, compare=False)
    name: str
    node_names: tuple[str, ...]

    def __str__(self) -> str:
        return f"zone {self.name} ({', '.join(self.node_names)})"
