"""A pod's QoS class (``status.qosClass``), which the pod REST strategy stamps on create.

Owns :func:`pod_qos_class`. Only ``cpu`` and ``memory`` count; requests and limits that
are zero are ignored; init containers count, ephemeral containers do not. Call it on the
defaulted pod: defaulting copies limits into missing requests first.

Upstream: pkg/apis/core/helper/qos/qos.go ``ComputePodQOS`` and
pkg/registry/core/pod/strategy.go ``PrepareForCreate`` (release-1.32; pod-level
resources are alpha and off in 1.32).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chaoszone.sim.admission import quantity

__all__ = ["pod_qos_class"]

_QOS_RESOURCES = ("cpu", "memory")


def _positive(values: Any) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    if not isinstance(values, dict):
        return out
    for name, raw in values.items():
        if name not in _QOS_RESOURCES:
            continue
        try:
            amount = quantity.parse(raw)
        except quantity.QuantityError:
            continue
        if amount > 0:
            out[name] = amount
    return out


def pod_qos_class(pod: Mapping[str, Any]) -> str:
    """``Guaranteed``, ``Burstable`` or ``BestEffort``."""
    spec = pod.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    requests: dict[str, Decimal] = {}
    limits: dict[str, Decimal] = {}
    guaranteed = True
    containers = [c for group in ("containers", "initContainers")
                  if isinstance(spec.get(group), list) for c in spec[group]
                  if isinstance(c, dict)]
    for container in containers:
        resources = container.get("resources")
        resources = resources if isinstance(resources, dict) else {}
        for name, amount in _positive(resources.get("requests")).items():
            requests[name] = requests.get(name, Decimal(0)) + amount
        found = _positive(resources.get("limits"))
        for name, amount in found.items():
            limits[name] = limits.get(name, Decimal(0)) + amount
        if not set(_QOS_RESOURCES) <= found.keys():
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed:
        for name, req in requests.items():
            if limits.get(name) != req:
                guaranteed = False
                break
    if guaranteed and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"
