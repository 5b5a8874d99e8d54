"""chaoszone: chaos and failover tests for multi-zone Kubernetes.

Experiments import only what is here::

    from chaoszone import expect, faults, workloads

and receive a :class:`Cluster` from the ``cluster`` fixture of the pytest plugin.
"""

from __future__ import annotations

from chaoszone import expect as expect
from chaoszone import faults as faults
from chaoszone import workloads as workloads
from chaoszone.cluster import Cluster as Cluster
from chaoszone.cluster import FaultHandle as FaultHandle
from chaoszone.errors import ChaoszoneError as ChaoszoneError
from chaoszone.errors import ExpectationFailed as ExpectationFailed
from chaoszone.errors import FaultError as FaultError
from chaoszone.errors import InvalidExperiment as InvalidExperiment
from chaoszone.errors import RevertFailed as RevertFailed
from chaoszone.errors import TargetError as TargetError
from chaoszone.errors import UnsafeTarget as UnsafeTarget
from chaoszone.journal import recover as recover
from chaoszone.sim.server import Simulator as Simulator
from chaoszone.targets import PodRef as PodRef
from chaoszone.targets import PodState as PodState
from chaoszone.targets import ServiceRef as ServiceRef
from chaoszone.targets import Target as Target
from chaoszone.targets import Workload as Workload
from chaoszone.targets import ZoneRef as ZoneRef

__all__ = [
    "ChaoszoneError",
    "Cluster",
    "ExpectationFailed",
    "FaultError",
    "FaultHandle",
    "InvalidExperiment",
    "PodRef",
    "PodState",
    "RevertFailed",
    "ServiceRef",
    "Simulator",
    "Target",
    "TargetError",
    "UnsafeTarget",
    "Workload",
    "ZoneRef",
    "expect",
    "faults",
    "recover",
    "workloads",
]
