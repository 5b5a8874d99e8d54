"""The nodes and failure zones of a cluster, named and labelled exactly as kind makes them.

    topology = Topology.load("kind-configs/three-zones.yaml")
    [z.name for z in topology.zones()]          # ['zone-a', 'zone-b', 'zone-c']
    topology.zone("zone-a").node_names          # ('three-zones-worker', 'three-zones-worker2')

Names follow kind's namer (``pkg/cluster/internal/providers/common/namer.go``): per role,
in config order, ``<cluster>-control-plane``, ``<cluster>-control-plane2``, ...,
``<cluster>-worker``, ``<cluster>-worker2``, ... Labels are what the kubelet registers
(``kubernetes.io/hostname|os|arch`` and their ``beta.`` twins, then the file's labels,
which win), plus what kubeadm's mark-control-plane phase adds to control planes
(``node-role.kubernetes.io/control-plane`` and
``node.kubernetes.io/exclude-from-external-load-balancers``; kind removes the latter and
the control-plane taint when the cluster has a single node). A node's zone and region come
from ``topology.kubernetes.io/zone|region`` (or the deprecated ``failure-domain.beta``
labels), like the node-lifecycle controller's zone key.

Capacity is not in a kind config: every kind node reports its host's CPUs, memory and
disk. :data:`DEFAULT_CAPACITY` stands for a 8-CPU, 16 GiB, 100 GB host; pass ``capacity=``
to model another.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from chaoszone.errors import InvalidExperiment
from chaoszone.kindconfig import (
    CONTROL_PLANE,
    KindConfig,
    Networking,
    Taint,
    image_version,
    load,
    node_names,
)

__all__ = [
    "ARCH",
    "CONTROL_PLANE_LABEL",
    "DEFAULT_CAPACITY",
    "EXCLUDE_FROM_LB_LABEL",
    "HOSTNAME_LABEL",
    "REGION_LABEL",
    "ZONE_LABEL",
    "NodeSpec",
    "Taint",
    "Topology",
    "Zone",
]

ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"
LEGACY_ZONE_LABEL = "failure-domain.beta.kubernetes.io/zone"
LEGACY_REGION_LABEL = "failure-domain.beta.kubernetes.io/region"
HOSTNAME_LABEL = "kubernetes.io/hostname"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
EXCLUDE_FROM_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
ARCH = "amd64"
OS = "linux"

#: what a kind node on an 8-CPU, 16 GiB host with a 100 GB disk reports: memory and disk in
#: Ki as the kubelet reads them from the host (a little under the nominal size), no hugepages,
#: the kubelet's default maxPods. Allocatable equals capacity on kind: its KubeletConfiguration
#: sets evictionHard to 0% and reserves nothing.
DEFAULT_CAPACITY: Mapping[str, str] = {
    "cpu": "8",
    "ephemeral-storage": "102626232Ki",
    "hugepages-1Gi": "0",
    "hugepages-2Mi": "0",
    "memory": "16331612Ki",
    "pods": "110",
}


@dataclass(frozen=True)
class NodeSpec:
    """One node as it registers: name, role, labels, taints, zone, region and capacity."""

    name: str
    role: str
    labels: Mapping[str, str]
    taints: tuple[Taint, ...]
    zone: str | None
    region: str | None
    capacity: Mapping[str, str]
    image: str
    #: position in the kind config's ``nodes``
    index: int

    @property
    def control_plane(self) -> bool:
        return self.role == CONTROL_PLANE

    @property
    def kubernetes_version(self) -> str | None:
        return image_version(self.image)


@dataclass(frozen=True)
class Zone:
    """A failure zone: the nodes that share one region and zone label."""

    name: str
    region: str | None
    nodes: tuple[NodeSpec, ...]

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)


@dataclass(frozen=True)
class Topology:
    """The nodes of one cluster, and their zones."""

    name: str
    nodes: tuple[NodeSpec, ...]
    networking: Networking = field(default_factory=Networking)
    #: the kind config the topology was read from
    source: str | None = None

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_kind_config(cls, config: KindConfig, *, name: str | None = None,
                         capacity: Mapping[str, str] | None = None) -> Topology:
        """The nodes kind would create for ``config`` (cluster ``name``: as ``--name``)."""
        cluster = config.cluster_name(name)
        names = node_names(cluster, [n.role for n in config.nodes])
        single = len(config.nodes) == 1
        nodes = []
        for node, node_name in zip(config.nodes, names, strict=True):
            if len(node_name) > 63:
                raise InvalidExperiment(
                    f"{config.source}: node name {node_name!r} is {len(node_name)} characters; "
                    f"it is also the node's kubernetes.io/hostname label, whose values may "
                    f"not exceed 63, so its kubelet could not register (kind warns about "
                    f"cluster names over 50). Use a shorter cluster name than {cluster!r}")
            labels = {HOSTNAME_LABEL: node_name, "kubernetes.io/os": OS,
                      "kubernetes.io/arch": ARCH, "beta.kubernetes.io/os": OS,
                      "beta.kubernetes.io/arch": ARCH}
            labels.update(node.labels)
            if node.control_plane:
                labels[CONTROL_PLANE_LABEL] = ""
                if not single:
                    labels[EXCLUDE_FROM_LB_LABEL] = ""
            nodes.append(NodeSpec(
                name=node_name, role=node.role, labels=dict(sorted(labels.items())),
                taints=node.taints,
                zone=labels.get(ZONE_LABEL) or labels.get(LEGACY_ZONE_LABEL) or None,
                region=labels.get(REGION_LABEL) or labels.get(LEGACY_REGION_LABEL) or None,
                capacity=dict(capacity or DEFAULT_CAPACITY), image=node.image,
                index=node.index))
        return cls(name=cluster, nodes=tuple(nodes), networking=config.networking,
                   source=config.source)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, name: str | None = None,
             capacity: Mapping[str, str] | None = None) -> Topology:
        """Read the kind config at ``path`` (errors: :class:`InvalidExperiment`)."""
        return cls.from_kind_config(load(path), name=name, capacity=capacity)

    # -- queries --------------------------------------------------------------------------------

    def zones(self) -> tuple[Zone, ...]:
        """Every zone, sorted by region and name; nodes without a zone label are in none."""
        groups: dict[tuple[str, str], list[NodeSpec]] = {}
        for node in self.nodes:
            if node.zone is not None:
                groups.setdefault((node.region or "", node.zone), []).append(node)
        return tuple(Zone(zone, region or None, tuple(members))
                     for (region, zone), members in sorted(groups.items()))

    def zone_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(z.name for z in self.zones()))

    def zone(self, name: str) -> Zone:
        """The zone called ``name``; :class:`InvalidExperiment` names the known ones."""
        found = [z for z in self.zones() if z.name == name]
        if not found:
            known = ", ".join(self.zone_names()) or "none: no node has a zone label"
            raise InvalidExperiment(
                f"unknown zone {name!r} in cluster {self.name!r}"
                f"{f' ({self.source})' if self.source else ''}; its zones are: {known}")
        if len(found) > 1:
            regions = ", ".join(str(z.region) for z in found)
            raise InvalidExperiment(
                f"zone {name!r} exists in several regions ({regions}) of cluster "
                f"{self.name!r}; name the zone by its nodes instead")
        return found[0]

    def nodes_in_zone(self, name: str) -> tuple[NodeSpec, ...]:
        return self.zone(name).nodes

    def nodes_by_zone(self) -> dict[str, tuple[NodeSpec, ...]]:
        """Zone name to its nodes (zones of the same name in several regions are merged)."""
        out: dict[str, tuple[NodeSpec, ...]] = {}
        for zone in self.zones():
            out[zone.name] = out.get(zone.name, ()) + zone.nodes
        return out

    def node(self, name: str) -> NodeSpec:
        for node in self.nodes:
            if node.name == name:
                return node
        raise InvalidExperiment(
            f"unknown node {name!r} in cluster {self.name!r}; its nodes are: "
            f"{', '.join(n.name for n in self.nodes)}")

    @property
    def control_planes(self) -> tuple[NodeSpec, ...]:
        return tuple(n for n in self.nodes if n.control_plane)

    @property
    def workers(self) -> tuple[NodeSpec, ...]:
        return tuple(n for n in self.nodes if not n.control_plane)

    @property
    def unzoned(self) -> tuple[NodeSpec, ...]:
        """Nodes without a zone label (kind's usual control plane)."""
        return tuple(n for n in self.nodes if n.zone is None)

    @property
    def kubernetes_version(self) -> str | None:
        return self.control_planes[0].kubernetes_version if self.control_planes else None
