"""The simulated kube-scheduler: a framework (:mod:`.framework`), a cache of node infos
kept up to date from the store (:mod:`.cache`), a scheduling queue with backoff
(:mod:`.queue`), one module per plugin of upstream's default profile (:mod:`.plugins`),
and the scheduler that ties them to a cluster's runtime (:mod:`.scheduler`).

It sits beside the controllers, above the runtime, and imports neither controllers nor
kubelets: it sees the cluster only through the store, as kube-scheduler sees it only
through the API.
"""

from chaoszone.sim.scheduler.cache import Cache, DictListers, StoreListers
from chaoszone.sim.scheduler.framework import (
    Code,
    CycleState,
    Diagnosis,
    Framework,
    Status,
    fit_error_message,
)
from chaoszone.sim.scheduler.scheduler import DIAGNOSIS_ANNOTATION, SCHEDULER_NAME, Scheduler
from chaoszone.sim.scheduler.types import NodeInfo, PodInfo

__all__ = [
    "DIAGNOSIS_ANNOTATION",
    "SCHEDULER_NAME",
    "Cache",
    "Code",
    "CycleState",
    "Diagnosis",
    "DictListers",
    "Framework",
    "NodeInfo",
    "PodInfo",
    "Scheduler",
    "Status",
    "StoreListers",
    "fit_error_message",
]
