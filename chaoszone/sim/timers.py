"""The cluster's failure timers: the kube-controller-manager flags that decide how fast a
lost node is noticed, tainted and emptied, and how the controllers pace themselves.

The controllers read them through :class:`ControllerTimers`, which the cluster's own timers
(``Cluster.timers``, made from a kind config's ``kubeadmConfigPatches`` by
chaoszone.kindconfig) satisfy; :class:`FailureTimers` holds the kube-controller-manager 1.32
defaults, for a controller made without a cluster (unit tests).

Upstream: cmd/kube-controller-manager/app/options/nodelifecyclecontroller.go,
pkg/controller/nodelifecycle/config/v1alpha1/defaults.go,
pkg/controller/podgc/config/v1alpha1/defaults.go and
pkg/controller/volume/persistentvolume/config/v1alpha1/defaults.go at release-1.32
(docs/k8s-semantics.md §7.1, fidelity ``nl-001``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["FLAGS", "ControllerTimers", "FailureTimers"]


class ControllerTimers(Protocol):
    """The timers the node lifecycle, pod GC and PV controllers read."""

    @property
    def node_monitor_period(self) -> float: ...
    @property
    def node_monitor_grace_period(self) -> float: ...
    @property
    def node_startup_grace_period(self) -> float: ...
    @property
    def node_eviction_rate(self) -> float: ...
    @property
    def secondary_node_eviction_rate(self) -> float: ...
    @property
    def large_cluster_size_threshold(self) -> int: ...
    @property
    def unhealthy_zone_threshold(self) -> float: ...
    @property
    def terminated_pod_gc_threshold(self) -> int: ...
    @property
    def pvclaimbinder_sync_period(self) -> float: ...


@dataclass(frozen=True)
class FailureTimers:
    """Durations in cluster seconds; rates in nodes per second."""

    #: --node-monitor-period: how often the node lifecycle controller looks at every node
    node_monitor_period: float = 5.0
    #: --node-monitor-grace-period: no heartbeat for this long -> Ready=Unknown (50s from 1.32)
    node_monitor_grace_period: float = 50.0
    #: --node-startup-grace-period: the same for a node that never posted a Ready condition
    node_startup_grace_period: float = 60.0
    #: --node-eviction-rate: NoExecute taints per second per zone, normally
    node_eviction_rate: float = 0.1
    #: --secondary-node-eviction-rate: the same in a large zone in partial disruption
    secondary_node_eviction_rate: float = 0.01
    #: --large-cluster-size-threshold: a zone larger than this keeps the secondary rate
    large_cluster_size_threshold: int = 50
    #: --unhealthy-zone-threshold: the share of not-ready nodes that makes a partial disruption
    unhealthy_zone_threshold: float = 0.55
    #: --terminated-pod-gc-threshold: terminated pods kept before PodGC deletes the oldest
    terminated_pod_gc_threshold: int = 12500
    #: --pvclaimbinder-sync-period: how often the PV controller resyncs every claim and volume
    pvclaimbinder_sync_period: float = 15.0

    def __post_init__(self) -> None:
        if self.node_monitor_period <= 0:
            raise ValueError("node_monitor_period must be > 0")
        if self.node_monitor_grace_period <= 0 or self.node_startup_grace_period <= 0:
            raise ValueError("the node grace periods must be > 0")
        if self.node_eviction_rate < 0 or self.secondary_node_eviction_rate < 0:
            raise ValueError("eviction rates must be >= 0")
        if not 0 < self.unhealthy_zone_threshold <= 1:
            raise ValueError("unhealthy_zone_threshold must be in (0, 1]")
        if self.pvclaimbinder_sync_period <= 0:
            raise ValueError("pvclaimbinder_sync_period must be > 0")


#: kube-controller-manager flag name -> FailureTimers field, for whoever reads extraArgs
FLAGS: dict[str, str] = {
    "node-monitor-period": "node_monitor_period",
    "node-monitor-grace-period": "node_monitor_grace_period",
    "node-startup-grace-period": "node_startup_grace_period",
    "node-eviction-rate": "node_eviction_rate",
    "secondary-node-eviction-rate": "secondary_node_eviction_rate",
    "large-cluster-size-threshold": "large_cluster_size_threshold",
    "unhealthy-zone-threshold": "unhealthy_zone_threshold",
    "terminated-pod-gc-threshold": "terminated_pod_gc_threshold",
    "pvclaimbinder-sync-period": "pvclaimbinder_sync_period",
}
