"""The admission layer of the simulated kube-apiserver: defaulting, mutating admission,
the REST strategies' create/update preparation, and validation, for every served kind.

Upstream's order, for the registry to follow: on create :func:`default`,
:func:`admit_pod` (pods), :func:`prepare_for_create`, then :func:`validate_create`; on
update :func:`default`, :func:`admit_pod` with ``operation="UPDATE"`` (pods),
:func:`prepare_for_update`, then :func:`validate_update`. A field of the wrong JSON type
makes any of them raise a 400 :class:`~chaoszone.sim.errors.ApiError`, as decoding would.
Everything takes and returns plain JSON dicts; validation returns
:class:`~chaoszone.sim.errors.Cause` lists worded like kube-apiserver 1.32 (turn them into
a 422 with :func:`chaoszone.sim.errors.Invalid`).

Modules, cut by concept: :mod:`.defaults` (API defaulting), :mod:`.plugins` (ServiceAccount
and Priority admission, :func:`admit_pod`), :mod:`.tolerations` (DefaultTolerationSeconds,
taints and tolerations), :mod:`.strategy` (PrepareForCreate/Update), :mod:`.qos`,
:mod:`.validation` (dispatch per kind) over :mod:`.meta`, :mod:`.names`, :mod:`.podspec`,
:mod:`.placement`, :mod:`.workloads`, :mod:`.networking`, :mod:`.storage`,
:mod:`.cluster`; :mod:`.causes` words field errors and :mod:`.quantity` reads quantities.

Upstream: kubernetes/kubernetes release-1.32, pkg/apis/*/v1/defaults.go,
pkg/apis/*/validation, pkg/registry/*/strategy.go and plugin/pkg/admission.
"""

from chaoszone.sim.admission.defaults import default
from chaoszone.sim.admission.names import generate_name, name_rule
from chaoszone.sim.admission.networking import service_needs_cluster_ip, service_needs_node_ports
from chaoszone.sim.admission.plugins import admit_pod
from chaoszone.sim.admission.qos import pod_qos_class
from chaoszone.sim.admission.strategy import initial_status, prepare_for_create, prepare_for_update
from chaoszone.sim.admission.tolerations import default_toleration_seconds
from chaoszone.sim.admission.validation import validate_create, validate_update

__all__ = [
    "admit_pod",
    "default",
    "default_toleration_seconds",
    "generate_name",
    "initial_status",
    "name_rule",
    "pod_qos_class",
    "prepare_for_create",
    "prepare_for_update",
    "service_needs_cluster_ip",
    "service_needs_node_ports",
    "validate_create",
    "validate_update",
]
