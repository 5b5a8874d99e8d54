"""chaoszone: chaos and failover tests for multi-zone Kubernetes.

The public API grows with the targets and faults; today it is the embedded simulator.
"""

from __future__ import annotations

from chaoszone.errors import ChaoszoneError as ChaoszoneError
from chaoszone.errors import InvalidExperiment as InvalidExperiment
from chaoszone.errors import TargetError as TargetError
from chaoszone.sim.server import Simulator as Simulator

__all__ = ["ChaoszoneError", "InvalidExperiment", "Simulator", "TargetError"]
