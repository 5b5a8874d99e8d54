"""Cluster events that can make a pending pod schedulable, and how a store change maps
to them.

Each plugin lists the events after which a pod it rejected may fit (upstream's
``EventsToRegister``); when such an event happens, the queue moves the pods that plugin
rejected back to the active or backoff queue. Node heartbeats (status conditions, the
kubelet's periodic updates) map to no event, so they never wake pending pods.

Upstream: pkg/scheduler/framework/events.go (``ActionType``), pkg/scheduler/eventhandlers.go
and each plugin's ``EventsToRegister`` at release-1.32.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ASSIGNED_POD_ADD",
    "ASSIGNED_POD_DELETE",
    "ASSIGNED_POD_UPDATE",
    "NODE_ADD",
    "NODE_ALLOCATABLE",
    "NODE_DELETE",
    "NODE_LABEL",
    "NODE_TAINT",
    "PVC_CHANGE",
    "PV_CHANGE",
    "STORAGE_CLASS_CHANGE",
    "node_update_events",
]

NODE_ADD = "NodeAdd"
NODE_DELETE = "NodeDelete"
NODE_LABEL = "NodeUpdateLabel"
NODE_TAINT = "NodeUpdateTaint"  # taints or spec.unschedulable
NODE_ALLOCATABLE = "NodeUpdateAllocatable"
ASSIGNED_POD_ADD = "AssignedPodAdd"
ASSIGNED_POD_UPDATE = "AssignedPodUpdate"  # labels or requests changed
ASSIGNED_POD_DELETE = "AssignedPodDelete"
PV_CHANGE = "PersistentVolumeChange"
PVC_CHANGE = "PersistentVolumeClaimChange"
STORAGE_CLASS_CHANGE = "StorageClassChange"
NAMESPACE_CHANGE = "NamespaceChange"


def node_update_events(old: Mapping[str, Any], new: Mapping[str, Any]) -> set[str]:
    """Which scheduling-relevant parts of a node changed (``nodeSchedulingPropertiesChange``)."""
    events: set[str] = set()
    old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
    if (old_meta.get("labels") or {}) != (new_meta.get("labels") or {}):
        events.add(NODE_LABEL)
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if (old_spec.get("taints") or []) != (new_spec.get("taints") or []) or bool(
            old_spec.get("unschedulable")) != bool(new_spec.get("unschedulable")):
        events.add(NODE_TAINT)
    old_status, new_status = old.get("status") or {}, new.get("status") or {}
    if (old_status.get("allocatable") or {}) != (new_status.get("allocatable") or {}):
        events.add(NODE_ALLOCATABLE)
    return events
