"""The plugins of upstream's default profile, one module each, in profile order.

VolumeRestrictions and NodeVolumeLimits (ReadWriteOncePod, attach limits),
SchedulingGates and PrioritySort are not modelled: the simulator has no CSI drivers, and
the queue itself orders by priority. VolumeBinding scores nothing without the alpha
``VolumeCapacityPriority`` gate, so it is not a score plugin here.

Upstream: pkg/scheduler/apis/config/v1/default_plugins.go (release-1.32).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chaoszone.sim.scheduler.cache import Cache
from chaoszone.sim.scheduler.framework import Plugin
from chaoszone.sim.scheduler.plugins.balanced_allocation import BalancedAllocation
from chaoszone.sim.scheduler.plugins.defaultpreemption import DefaultPreemption
from chaoszone.sim.scheduler.plugins.imagelocality import ImageLocality
from chaoszone.sim.scheduler.plugins.interpodaffinity import InterPodAffinity
from chaoszone.sim.scheduler.plugins.nodeaffinity import NodeAffinity
from chaoszone.sim.scheduler.plugins.nodename import NodeName
from chaoszone.sim.scheduler.plugins.nodeports import NodePorts
from chaoszone.sim.scheduler.plugins.noderesources_fit import NodeResourcesFit
from chaoszone.sim.scheduler.plugins.nodeunschedulable import NodeUnschedulable
from chaoszone.sim.scheduler.plugins.podtopologyspread import PodTopologySpread
from chaoszone.sim.scheduler.plugins.tainttoleration import TaintToleration
from chaoszone.sim.scheduler.plugins.volumebinding import VolumeBinding
from chaoszone.sim.scheduler.plugins.volumezone import VolumeZone

__all__ = [
    "BalancedAllocation",
    "DefaultPreemption",
    "ImageLocality",
    "InterPodAffinity",
    "NodeAffinity",
    "NodeName",
    "NodePorts",
    "NodeResourcesFit",
    "NodeUnschedulable",
    "PodTopologySpread",
    "TaintToleration",
    "VolumeBinding",
    "VolumeZone",
    "default_plugins",
]


def default_plugins(cache: Cache, plugin_args: Mapping[str, Mapping[str, Any]] | None = None
                    ) -> Sequence[Plugin]:
    """The default profile's plugins in MultiPoint order. ``plugin_args`` takes
    ``{"PodTopologySpread": {"defaultingType": "List", "defaultConstraints": [...]}}``."""
    args = plugin_args or {}
    spread = args.get("PodTopologySpread") or {}
    return [
        NodeUnschedulable(cache),
        NodeName(cache),
        TaintToleration(cache),
        NodeAffinity(cache),
        NodePorts(cache),
        NodeResourcesFit(cache),
        VolumeBinding(cache),
        VolumeZone(cache),
        PodTopologySpread(cache, defaulting_type=str(spread.get("defaultingType") or "System"),
                          default_constraints=spread.get("defaultConstraints") or ()),
        InterPodAffinity(cache),
        DefaultPreemption(cache),
        BalancedAllocation(cache),
        ImageLocality(cache),
    ]
