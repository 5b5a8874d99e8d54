"""What the scheduler knows about pods and nodes, parsed once from the stored JSON.

:class:`PodInfo` holds a pod's labels, requests, host ports and affinity terms;
:class:`NodeInfo` a node's labels, taints, allocatable resources and the pods assigned to
it with their summed requests. Both are built when the cache hears of an object, so the
scheduling cycle reads attributes instead of walking JSON. Also here: the helpers every
plugin shares (pod requests, and, from :mod:`chaoszone.sim.objects` where the controllers
and kubelets find them too, toleration matching and node zone keys).

Upstream: pkg/scheduler/framework/types.go (``PodInfo``, ``NodeInfo``, ``Resource``,
``AffinityTerm``), staging/src/k8s.io/api/core/v1/toleration.go ``ToleratesTaint``,
staging/src/k8s.io/component-helpers/resource/helpers.go ``PodRequests``,
pkg/scheduler/util/pod_resources.go (the non-zero defaults) at release-1.32.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from typing import Any

from chaoszone.sim.admission import quantity
from chaoszone.sim.errors import ApiError
from chaoszone.sim.objects import find_untolerated_taint, tolerates, tolerations_tolerate, zone_key
from chaoszone.sim.selectors import LabelSelector, label_selector_from_dict

__all__ = [
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "AffinityTerm",
    "NodeInfo",
    "PodInfo",
    "Resource",
    "find_untolerated_taint",
    "milli_value",
    "pod_requests",
    "tolerates",
    "tolerations_tolerate",
    "value",
    "zone_key",
]

#: pkg/scheduler/util: what a container without a request counts for in scoring
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

LABEL_HOSTNAME = "kubernetes.io/hostname"

_generation = itertools.count(1)

Obj = Mapping[str, Any]


# -- quantities ------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _parse(raw: str) -> Decimal:
    return quantity.parse(raw)


def _decimal(raw: Any) -> Decimal:
    try:
        return _parse(raw) if isinstance(raw, str) else quantity.parse(raw)
    except quantity.QuantityError:
        return Decimal(0)


def value(raw: Any) -> int:
    """``Quantity.Value()``: the integer value, rounded up."""
    return int(_decimal(raw).to_integral_value(rounding=ROUND_CEILING))


def milli_value(raw: Any) -> int:
    """``Quantity.MilliValue()``: the value in thousandths, rounded up."""
    return int((_decimal(raw) * 1000).to_integral_value(rounding=ROUND_CEILING))


def is_scalar_resource(name: str) -> bool:
    """``schedutil.IsScalarResourceName``: extended, hugepages, prefixed native and
    attachable-volume resources."""
    if name.startswith(("hugepages-", "attachable-volumes-")):
        return True
    if "/" not in name:
        return False
    # extended (a domain outside kubernetes.io) or a prefixed native resource
    return not name.startswith("requests.")


# -- resources -------------------------------------------------------------------------


class Resource:
    """``framework.Resource``: cpu in millicores, memory and ephemeral storage in bytes,
    the pod count a node allows, and every scalar resource by name."""

    __slots__ = ("allowed_pods", "ephemeral", "memory", "milli_cpu", "scalars")

    def __init__(self, milli_cpu: int = 0, memory: int = 0, ephemeral: int = 0,
                 allowed_pods: int = 0, scalars: dict[str, int] | None = None) -> None:
        self.milli_cpu = milli_cpu
        self.memory = memory
        self.ephemeral = ephemeral
        self.allowed_pods = allowed_pods
        self.scalars: dict[str, int] = scalars if scalars is not None else {}

    @classmethod
    def from_list(cls, resources: Any) -> Resource:
        out = cls()
        if not isinstance(resources, Mapping):
            return out
        for name, raw in resources.items():
            if name == "cpu":
                out.milli_cpu += milli_value(raw)
            elif name == "memory":
                out.memory += value(raw)
            elif name == "pods":
                out.allowed_pods += value(raw)
            elif name == "ephemeral-storage":
                out.ephemeral += value(raw)
            elif is_scalar_resource(name):
                out.scalars[name] = out.scalars.get(name, 0) + value(raw)
        return out

    def add(self, other: Resource, sign: int = 1) -> None:
        self.milli_cpu += sign * other.milli_cpu
        self.memory += sign * other.memory
        self.ephemeral += sign * other.ephemeral
        for name, amount in other.scalars.items():
            self.scalars[name] = self.scalars.get(name, 0) + sign * amount

    def is_zero(self) -> bool:
        return not (self.milli_cpu or self.memory or self.ephemeral
                    or any(self.scalars.values()))

    def __repr__(self) -> str:
        return (f"Resource(cpu={self.milli_cpu}m, memory={self.memory}, "
                f"ephemeral={self.ephemeral}, pods={self.allowed_pods}, {self.scalars})")


def _container_requests(container: Obj) -> dict[str, Any]:
    resources = container.get("resources") or {}
    requests = resources.get("requests")
    return requests if isinstance(requests, dict) else {}


def _with_defaults(requests: dict[str, Any]) -> dict[str, Any]:
    """``applyNonMissing``: a missing cpu or memory request counts as the default."""
    if "cpu" in requests and "memory" in requests:
        return requests
    out = dict(requests)
    out.setdefault("cpu", f"{DEFAULT_MILLI_CPU_REQUEST}m")
    out.setdefault("memory", str(DEFAULT_MEMORY_REQUEST))
    return out


def pod_requests(spec: Obj, *, non_missing: bool = False) -> Resource:
    """``resourcehelper.PodRequests``: the sum of the containers, the maximum of each
    init container's peak (counting the sidecars started before it), plus overhead.

    With ``non_missing`` a container that requests no cpu or memory counts for 100m and
    200Mi, as the scoring plugins count it.
    """
    total = Resource()
    for container in spec.get("containers") or ():
        requests = _container_requests(container)
        if non_missing:
            requests = _with_defaults(requests)
        total.add(Resource.from_list(requests))
    sidecars = Resource()
    init_peak = Resource()
    for container in spec.get("initContainers") or ():
        requests = _container_requests(container)
        if non_missing:
            requests = _with_defaults(requests)
        reqs = Resource.from_list(requests)
        if container.get("restartPolicy") == "Always":
            total.add(reqs)
            sidecars.add(reqs)
            use = Resource()
            use.add(sidecars)
        else:
            use = Resource()
            use.add(reqs)
            use.add(sidecars)
        _maximize(init_peak, use)
    _maximize(total, init_peak)
    overhead = spec.get("overhead")
    if isinstance(overhead, Mapping):
        total.add(Resource.from_list(overhead))
    return total


_REQUESTS_CACHE: dict[str, tuple[Resource, int, int]] = {}


def _requests_of(spec: Obj) -> tuple[Resource, int, int]:
    """(requests, non-zero cpu, non-zero memory), cached by the resources of the spec:
    the pods of one workload share them."""
    key = repr((
        [(c.get("resources"), c.get("restartPolicy")) for c in spec.get("containers") or ()],
        [(c.get("resources"), c.get("restartPolicy")) for c in spec.get("initContainers") or ()],
        spec.get("overhead")))
    found = _REQUESTS_CACHE.get(key)
    if found is None:
        non_zero = pod_requests(spec, non_missing=True)
        found = (pod_requests(spec), non_zero.milli_cpu, non_zero.memory)
        if len(_REQUESTS_CACHE) > 4096:
            _REQUESTS_CACHE.clear()
        _REQUESTS_CACHE[key] = found
    # callers own their Resource: a node adds it to its sums
    req = found[0]
    return Resource(req.milli_cpu, req.memory, req.ephemeral, 0, dict(req.scalars)), \
        found[1], found[2]


def _maximize(into: Resource, other: Resource) -> None:
    into.milli_cpu = max(into.milli_cpu, other.milli_cpu)
    into.memory = max(into.memory, other.memory)
    into.ephemeral = max(into.ephemeral, other.ephemeral)
    for name, amount in other.scalars.items():
        into.scalars[name] = max(into.scalars.get(name, 0), amount)


# -- affinity terms --------------------------------------------------------------------


class AffinityTerm:
    """``framework.AffinityTerm``: the namespaces a term looks at (its own list, or the
    pod's namespace when it names none and has no namespaceSelector), its selectors and
    its topology key. A nil namespaceSelector selects no namespace; ``{}`` all."""

    __slots__ = ("namespace_selector", "namespaces", "selector", "topology_key", "weight")

    def __init__(self, namespaces: frozenset[str], selector: LabelSelector, topology_key: str,
                 namespace_selector: LabelSelector, weight: int = 0) -> None:
        self.namespaces = namespaces
        self.selector = selector
        self.topology_key = topology_key
        self.namespace_selector = namespace_selector
        self.weight = weight

    @classmethod
    def parse(cls, namespace: str, term: Obj, weight: int = 0) -> AffinityTerm:
        """``newAffinityTerm``; raises :class:`ApiError` (400) for a bad selector."""
        names = term.get("namespaces") or ()
        ns_selector_raw = term.get("namespaceSelector")
        if not names and ns_selector_raw is None:
            namespaces = frozenset((namespace,))
        else:
            namespaces = frozenset(names)
        return cls(namespaces, label_selector_from_dict(term.get("labelSelector")),
                   str(term.get("topologyKey") or ""),
                   label_selector_from_dict(ns_selector_raw), weight)

    def matches(self, pod: PodInfo, ns_labels: Mapping[str, str] | None) -> bool:
        """``AffinityTerm.Matches``: the pod's namespace is listed (or its labels match
        the namespaceSelector) and its labels match the selector."""
        if pod.namespace in self.namespaces or self.namespace_selector.matches(
                ns_labels if ns_labels is not None else {}):
            return self.selector.matches(pod.labels)
        return False

    def merged(self, extra_namespaces: Iterable[str]) -> AffinityTerm:
        """``mergeAffinityTermNamespacesIfNotEmpty``: the namespaces a non-empty
        namespaceSelector selected become part of the list and the selector selects
        nothing more, so matching needs no namespace labels."""
        return AffinityTerm(self.namespaces | frozenset(extra_namespaces), self.selector,
                            self.topology_key, LabelSelector.nothing(), self.weight)


def _terms(namespace: str, raw: Any) -> tuple[AffinityTerm, ...]:
    if not raw:
        return ()
    return tuple(AffinityTerm.parse(namespace, term or {}) for term in raw)


def _weighted(namespace: str, raw: Any) -> tuple[AffinityTerm, ...]:
    if not raw:
        return ()
    return tuple(AffinityTerm.parse(namespace, (w or {}).get("podAffinityTerm") or {},
                                    int((w or {}).get("weight") or 0)) for w in raw)


# -- pods ------------------------------------------------------------------------------


class PodInfo:
    """A pod as the scheduler reads it; ``pod`` is the stored JSON (never mutated)."""

    __slots__ = (
        "affinity_error",
        "has_affinity",
        "host_ports",
        "key",
        "labels",
        "memo",
        "name",
        "namespace",
        "node_name",
        "non_zero_cpu",
        "non_zero_memory",
        "pod",
        "preferred_affinity",
        "preferred_anti_affinity",
        "priority",
        "requests",
        "required_affinity",
        "required_anti_affinity",
        "spec",
        "terminating",
        "uid",
    )

    def __init__(self, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        self.pod = pod
        self.spec: dict[str, Any] = spec
        self.namespace: str = meta.get("namespace") or "default"
        self.name: str = meta.get("name") or ""
        self.key = (self.namespace, self.name)
        self.uid: str = meta.get("uid") or ""
        self.labels: dict[str, str] = meta.get("labels") or {}
        self.node_name: str = spec.get("nodeName") or ""
        self.terminating = bool(meta.get("deletionTimestamp"))
        self.priority = int(spec.get("priority") or 0)
        #: what plugins derive from the pod's spec, computed once per PodInfo
        self.memo: dict[str, Any] = {}
        self.requests, self.non_zero_cpu, self.non_zero_memory = _requests_of(spec)
        ports: list[tuple[str, str, int]] = []
        for container in spec.get("containers") or ():
            for port in container.get("ports") or ():
                host_port = int(port.get("hostPort") or 0)
                if host_port > 0:
                    ports.append((port.get("hostIP") or "0.0.0.0",
                                  port.get("protocol") or "TCP", host_port))
        self.host_ports = ports
        self.affinity_error = ""
        affinity = spec.get("affinity") or {}
        pod_affinity = affinity.get("podAffinity")
        pod_anti = affinity.get("podAntiAffinity")
        self.has_affinity = pod_affinity is not None or pod_anti is not None
        self.required_affinity: tuple[AffinityTerm, ...] = ()
        self.required_anti_affinity: tuple[AffinityTerm, ...] = ()
        self.preferred_affinity: tuple[AffinityTerm, ...] = ()
        self.preferred_anti_affinity: tuple[AffinityTerm, ...] = ()
        if self.has_affinity:
            try:
                ns = self.namespace
                pa = pod_affinity or {}
                pan = pod_anti or {}
                self.required_affinity = _terms(
                    ns, pa.get("requiredDuringSchedulingIgnoredDuringExecution"))
                self.required_anti_affinity = _terms(
                    ns, pan.get("requiredDuringSchedulingIgnoredDuringExecution"))
                self.preferred_affinity = _weighted(
                    ns, pa.get("preferredDuringSchedulingIgnoredDuringExecution"))
                self.preferred_anti_affinity = _weighted(
                    ns, pan.get("preferredDuringSchedulingIgnoredDuringExecution"))
            except ApiError as exc:
                self.affinity_error = exc.message

    def rebound(self, pod: dict[str, Any]) -> PodInfo:
        """This pod's info for a new version of it whose spec differs at most in
        ``nodeName`` (a binding), without parsing the spec again."""
        info = PodInfo.__new__(PodInfo)
        for slot in PodInfo.__slots__:
            setattr(info, slot, getattr(self, slot))
        meta = pod.get("metadata") or {}
        info.pod = pod
        info.spec = pod.get("spec") or {}
        info.labels = meta.get("labels") or {}
        info.node_name = info.spec.get("nodeName") or ""
        info.terminating = bool(meta.get("deletionTimestamp"))
        info.memo = {}
        return info

    def tolerations_key(self) -> str:
        """The pod's tolerations as a string (for caching verdicts that depend on them)."""
        key = self.memo.get("tolerations")
        if key is None:
            key = self.memo["tolerations"] = repr(self.spec.get("tolerations"))
        return str(key)

    def placement_key(self) -> str:
        """The pod's nodeSelector and node affinity as a string."""
        key = self.memo.get("placement")
        if key is None:
            spec = self.spec
            key = self.memo["placement"] = repr((spec.get("nodeSelector"),
                                                 (spec.get("affinity") or {}).get("nodeAffinity")))
        return str(key)

    @property
    def tolerations(self) -> list[dict[str, Any]]:
        tolerations: list[dict[str, Any]] = self.spec.get("tolerations") or []
        return tolerations

    def __repr__(self) -> str:
        return f"PodInfo({self.namespace}/{self.name} on {self.node_name or '-'})"


# -- nodes -----------------------------------------------------------------------------


class NodeInfo:
    """A node and the pods the scheduler counts on it (bound, or assumed while binding).

    ``node`` is None for a node the cache knows only from pods bound to it (upstream's
    "ghost" entries); such entries are never offered to plugins.
    """

    __slots__ = (
        "allocatable", "free", "generation", "images", "labels", "name", "node",
        "non_zero_cpu", "non_zero_memory", "pods", "pods_with_affinity",
        "pods_with_required_anti_affinity", "requested", "taints", "unschedulable",
        "used_ports", "zone",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.node: dict[str, Any] | None = None
        self.labels: dict[str, str] = {}
        self.taints: list[dict[str, Any]] = []
        self.unschedulable = False
        self.allocatable = Resource()
        self.images: dict[str, int] = {}
        self.zone = ""
        self.pods: dict[tuple[str, str], PodInfo] = {}
        self.pods_with_affinity: dict[tuple[str, str], PodInfo] = {}
        self.pods_with_required_anti_affinity: dict[tuple[str, str], PodInfo] = {}
        self.requested = Resource()
        self.non_zero_cpu = 0
        self.non_zero_memory = 0
        #: (protocol, port) -> host IPs using it
        self.used_ports: dict[tuple[str, int], set[str]] = {}
        #: room left: (pods, millicores, memory, ephemeral storage)
        self.free = (0, 0, 0, 0)
        self.generation = next(_generation)

    def _changed(self) -> None:
        alloc, used = self.allocatable, self.requested
        self.free = (alloc.allowed_pods - len(self.pods), alloc.milli_cpu - used.milli_cpu,
                     alloc.memory - used.memory, alloc.ephemeral - used.ephemeral)
        self.generation = next(_generation)

    def set_node(self, node: dict[str, Any]) -> None:
        self.node = node
        meta = node.get("metadata") or {}
        spec = node.get("spec") or {}
        status = node.get("status") or {}
        self.labels = meta.get("labels") or {}
        self.taints = [t for t in spec.get("taints") or () if isinstance(t, dict)]
        self.unschedulable = bool(spec.get("unschedulable"))
        self.allocatable = Resource.from_list(status.get("allocatable") or {})
        images: dict[str, int] = {}
        for image in status.get("images") or ():
            size = int(image.get("sizeBytes") or 0)
            for name in image.get("names") or ():
                images[name] = size
        self.images = images
        self.zone = zone_key(self.labels)
        self._changed()

    def add_pod(self, info: PodInfo) -> None:
        key = info.key
        if key in self.pods:
            self.remove_pod(key)
        self.pods[key] = info
        if info.has_affinity:
            self.pods_with_affinity[key] = info
        if info.required_anti_affinity:
            self.pods_with_required_anti_affinity[key] = info
        self.requested.add(info.requests)
        self.non_zero_cpu += info.non_zero_cpu
        self.non_zero_memory += info.non_zero_memory
        for ip, protocol, port in info.host_ports:
            self.used_ports.setdefault((protocol, port), set()).add(ip)
        self._changed()

    def remove_pod(self, key: tuple[str, str]) -> PodInfo | None:
        info = self.pods.pop(key, None)
        if info is None:
            return None
        self.pods_with_affinity.pop(key, None)
        self.pods_with_required_anti_affinity.pop(key, None)
        self.requested.add(info.requests, -1)
        self.non_zero_cpu -= info.non_zero_cpu
        self.non_zero_memory -= info.non_zero_memory
        for ip, protocol, port in info.host_ports:
            ips = self.used_ports.get((protocol, port))
            if ips is not None:
                ips.discard(ip)
                if not ips:
                    del self.used_ports[(protocol, port)]
        self._changed()
        return info

    def port_conflict(self, ip: str, protocol: str, port: int) -> bool:
        """``HostPortInfo.CheckConflict``: 0.0.0.0 conflicts with every address."""
        ips = self.used_ports.get((protocol, port))
        if not ips:
            return False
        if ip == "0.0.0.0":
            return True
        return ip in ips or "0.0.0.0" in ips

    def __repr__(self) -> str:
        return f"NodeInfo({self.name}, {len(self.pods)} pods)"
