"""Services to endpoints: the EndpointSlice controller and the (legacy) Endpoints
controller, for every Service with a selector.

EndpointSlices (``discovery.k8s.io/v1``, named ``<service>-<random>``, labelled
``kubernetes.io/service-name`` and ``endpointslice.kubernetes.io/managed-by``, owned by the
Service): one endpoint per pod that has an IP and is not terminal, terminating pods
included, with ``addresses`` = the pod IP, conditions ``ready`` (serving and not
terminating, or the Service publishes not-ready addresses), ``serving`` (pod Ready) and
``terminating``, ``nodeName``, ``zone`` (the node's ``topology.kubernetes.io/zone``) and
``targetRef``; pods whose node is missing are left out. Slices hold at most 100 endpoints,
one port mapping each; a Service without endpoints keeps one empty placeholder slice.

Hints: with ``service.kubernetes.io/topology-mode: Auto`` (or the deprecated
``topology-aware-hints`` annotation) ready endpoints get zone hints allocated in proportion
to the allocatable CPU of each zone's ready worker nodes, as upstream's topology cache does,
with ``TopologyAwareHintsEnabled``/``Disabled`` events; with
``spec.trafficDistribution: PreferClose`` each ready endpoint is hinted to its own zone.

Endpoints (same name as the Service): ready pods in ``addresses``, the others in
``notReadyAddresses``, terminating pods only if the Service publishes not-ready addresses,
repacked into subsets by port set; more than 1000 addresses are truncated with the
``endpoints.kubernetes.io/over-capacity`` annotation.

Upstream: pkg/controller/endpointslice/endpointslice_controller.go,
staging/src/k8s.io/endpointslice/{reconciler.go,utils.go,topologycache/*,trafficdist/*},
pkg/controller/endpoint/endpoints_controller.go and pkg/api/v1/endpoints/util.go at
release-1.32.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from chaoszone.sim import errors, selectors
from chaoszone.sim.admission.quantity import QuantityError
from chaoszone.sim.admission.quantity import parse as parse_quantity
from chaoszone.sim.objects import ZONE_LABEL, is_pod_ready, node_ready_status, resource_type
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.runtime import Runtime
from chaoszone.sim.watch import DELETED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = ["MAX_ENDPOINTS_PER_SLICE", "EndpointSliceController"]

log = logging.getLogger("chaoszone.sim")

_SERVICES = resource_type("", "v1", "services")
_PODS = resource_type("", "v1", "pods")
_NODES = resource_type("", "v1", "nodes")
_ENDPOINTS = resource_type("", "v1", "endpoints")
_SLICES = resource_type("discovery.k8s.io", "v1", "endpointslices")

SLICE_COMPONENT = "endpoint-slice-controller"
MANAGED_BY = "endpointslice-controller.k8s.io"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
HEADLESS_LABEL = "service.kubernetes.io/headless"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
TOPOLOGY_MODE = "service.kubernetes.io/topology-mode"
TOPOLOGY_HINTS = "service.kubernetes.io/topology-aware-hints"
MAX_ENDPOINTS_PER_SLICE = 100
MAX_ENDPOINTS_ADDRESSES = 1000
OVERLOAD_THRESHOLD = 0.2
_RESERVED_LABELS = (SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL)

Key = tuple[str, str]
PortsKey = tuple[tuple[str, int, str, str], ...]


def _hints_enabled(annotations: Mapping[str, str] | None) -> bool:
    annotations = annotations or {}
    value = annotations.get(TOPOLOGY_HINTS)
    if value is None:
        value = annotations.get(TOPOLOGY_MODE)
    return value in ("Auto", "auto")


def _selector(service: Mapping[str, Any]) -> dict[str, str] | None:
    """The Service's selector, or None for a Service whose endpoints nobody manages."""
    spec = service.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return None
    selector = spec.get("selector")
    return dict(selector) if selector else None


def _find_port(pod: Mapping[str, Any], service_port: Mapping[str, Any]) -> int | None:
    """``podutil.FindPort``: a number, or a container port name with the same protocol
    (regular containers, then restartable init containers)."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int) and not isinstance(target, bool):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    spec = pod.get("spec") or {}
    protocol = service_port.get("protocol") or "TCP"
    containers = list(spec.get("containers") or ()) + [
        c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
    for container in containers:
        for port in container.get("ports") or ():
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                return int(port.get("containerPort", 0))
    return None


def _pod_ports(pod: Mapping[str, Any], service: Mapping[str, Any]) -> PortsKey:
    out = []
    for sp in (service.get("spec") or {}).get("ports") or ():
        number = _find_port(pod, sp)
        if number is None:
            continue
        out.append((sp.get("name") or "", number, sp.get("protocol") or "TCP",
                    sp.get("appProtocol") or ""))
    return tuple(out)


def _port_json(port: tuple[str, int, str, str]) -> dict[str, Any]:
    name, number, protocol, app_protocol = port
    out: dict[str, Any] = {"name": name, "port": number, "protocol": protocol}
    if app_protocol:
        out["appProtocol"] = app_protocol
    return out


def _pod_ip(pod: Mapping[str, Any]) -> str:
    status = pod.get("status") or {}
    ip = status.get("podIP") or ""
    if not ip:
        ips = status.get("podIPs") or []
        ip = (ips[0] or {}).get("ip", "") if ips else ""
    return str(ip)


def _in_endpoints(pod: Mapping[str, Any], include_terminating: bool) -> bool:
    """``ShouldPodBeInEndpoints``."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    if not _pod_ip(pod):
        return False
    return include_terminating or not pod["metadata"].get("deletionTimestamp")


def _hostname(pod: Mapping[str, Any], service: Mapping[str, Any]) -> str:
    """``ShouldSetHostname``: the pod's hostname when its subdomain is the Service."""
    spec = pod.get("spec") or {}
    if spec.get("hostname") and spec.get("subdomain") == service["metadata"]["name"] and \
            pod["metadata"].get("namespace") == service["metadata"].get("namespace"):
        return str(spec["hostname"])
    return ""


def _target_ref(pod: Mapping[str, Any]) -> dict[str, Any]:
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"],
            "uid": meta["uid"]}


def _headless(service: Mapping[str, Any]) -> bool:
    ip = (service.get("spec") or {}).get("clusterIP")
    return not ip or ip == "None"


def _service_labels(service: Mapping[str, Any]) -> dict[str, str]:
    labels = {k: v for k, v in (service["metadata"].get("labels") or {}).items()
              if k not in _RESERVED_LABELS}
    if _headless(service):
        labels[HEADLESS_LABEL] = ""
    return labels


class EndpointSliceController:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        #: services whose slices carry topology-aware hints (the topology cache's record)
        self._hinted: set[Key] = set()
        self.slice_queue: WorkQueue[Key] = runtime.queue("endpointslice controller",
                                                         self._sync_slices)
        self.endpoints_queue: WorkQueue[Key] = runtime.queue("endpoints controller",
                                                             self._sync_endpoints)
        runtime.listen(self._on_event)

    # -- informers -------------------------------------------------------------

    def _queue(self, key: Key) -> None:
        self.slice_queue.add(key)
        self.endpoints_queue.add(key)

    def _on_event(self, event: Event) -> None:
        rt = event.resource
        if rt is _SERVICES:
            self._queue((event.new.namespace, event.new.name))
        elif rt is _PODS:
            self._on_pod(event)
        elif rt is _NODES:
            self._on_node(event)
        elif rt is _SLICES:
            labels = event.new.labels
            if labels.get(MANAGED_BY_LABEL) == MANAGED_BY and labels.get(SERVICE_NAME_LABEL) and (
                    event.type == DELETED or event.old is not None):
                self.slice_queue.add((event.new.namespace, labels[SERVICE_NAME_LABEL]))
        elif rt is _ENDPOINTS and event.type == DELETED:
            self.endpoints_queue.add((event.new.namespace, event.new.name))

    def _on_pod(self, event: Event) -> None:
        namespace = event.new.namespace
        label_sets = [event.new.labels]
        if event.old is not None and event.old.labels != event.new.labels:
            label_sets.append(event.old.labels)
        for svc in self.store.items(_SERVICES, namespace):
            selector = _selector(svc.obj)
            if selector is None:
                continue
            matcher = selectors.LabelSelector.from_set(selector)
            if any(matcher.matches(labels) for labels in label_sets):
                self._queue((namespace, svc.name))

    def _on_node(self, event: Event) -> None:
        old = event.old.obj if event.old is not None else None
        new = event.new.obj
        zone_changed = old is None or event.type == DELETED or \
            (old["metadata"].get("labels") or {}).get(ZONE_LABEL) != \
            (new["metadata"].get("labels") or {}).get(ZONE_LABEL)
        ready_changed = old is not None and node_ready_status(old) != node_ready_status(new)
        if not zone_changed and not ready_changed:
            return
        for svc in self.store.items(_SERVICES):
            if _selector(svc.obj) is None:
                continue
            if zone_changed:
                self._queue((svc.namespace, svc.name))
            elif _hints_enabled(svc.meta.get("annotations")):
                self.slice_queue.add((svc.namespace, svc.name))

    def _pods_for(self, service: Mapping[str, Any]) -> list[dict[str, Any]]:
        selector = _selector(service)
        if selector is None:
            return []
        matcher = selectors.LabelSelector.from_set(selector)
        return [s.obj for s in self.store.items(_PODS, service["metadata"]["namespace"])
                if matcher.matches(s.labels)]

    # -- EndpointSlices ------------------------------------------------------------

    def _sync_slices(self, key: Key) -> None:
        stored = self.store.get(_SERVICES, *key)
        if stored is None:
            self._hinted.discard(key)
            return  # the garbage collector removes the slices it owns
        service = stored.obj
        if _selector(service) is None:
            return
        spec = service.get("spec") or {}
        publish = bool(spec.get("publishNotReadyAddresses"))
        groups: dict[PortsKey, list[dict[str, Any]]] = {}
        for pod in sorted(self._pods_for(service), key=lambda p: p["metadata"]["name"]):
            if not _in_endpoints(pod, include_terminating=True):
                continue
            node_name = (pod.get("spec") or {}).get("nodeName") or ""
            node = self.store.get(_NODES, "", node_name) if node_name else None
            if node is None and not publish:
                continue
            serving = is_pod_ready(pod)
            terminating = bool(pod["metadata"].get("deletionTimestamp"))
            endpoint: dict[str, Any] = {
                "addresses": [_pod_ip(pod)],
                "conditions": {"ready": publish or (serving and not terminating),
                               "serving": serving, "terminating": terminating}}
            hostname = _hostname(pod, service)
            if hostname:
                endpoint["hostname"] = hostname
            endpoint["targetRef"] = _target_ref(pod)
            if node_name:
                endpoint["nodeName"] = node_name
            zone = (node.labels.get(ZONE_LABEL) if node is not None else None) or ""
            if zone:
                endpoint["zone"] = zone
            groups.setdefault(_pod_ports(pod, service), []).append(endpoint)
        endpoints = [e for group in groups.values() for e in group]
        self._add_hints(key, service, endpoints)
        desired: list[tuple[PortsKey | None, list[dict[str, Any]]]] = []
        for ports in sorted(groups):
            group = groups[ports]
            for i in range(0, len(group), MAX_ENDPOINTS_PER_SLICE):
                desired.append((ports, group[i:i + MAX_ENDPOINTS_PER_SLICE]))
        if not desired:
            desired.append((None, []))  # the placeholder slice
        self._reconcile_slices(service, desired)

    def _reconcile_slices(self, service: dict[str, Any],
                          desired: list[tuple[PortsKey | None, list[dict[str, Any]]]]) -> None:
        meta = service["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        existing: dict[PortsKey | None, list[Any]] = {}
        for stored in self.store.items(_SLICES, namespace):
            labels = stored.labels
            if labels.get(SERVICE_NAME_LABEL) != name or labels.get(MANAGED_BY_LABEL) != MANAGED_BY:
                continue
            if not any(r.get("uid") == meta["uid"]
                       for r in stored.meta.get("ownerReferences") or ()):
                continue
            ports_key: PortsKey | None = tuple(
                (p.get("name") or "", int(p.get("port") or 0), p.get("protocol") or "TCP",
                 p.get("appProtocol") or "") for p in stored.obj.get("ports") or ()) \
                if stored.obj.get("ports") is not None else None
            existing.setdefault(ports_key, []).append(stored)
        labels = dict(_service_labels(service), **{SERVICE_NAME_LABEL: name,
                                                    MANAGED_BY_LABEL: MANAGED_BY})
        owner = {"apiVersion": "v1", "kind": "Service", "name": name, "uid": meta["uid"],
                 "controller": True, "blockOwnerDeletion": True}
        now = self.clock.timestamp()
        for ports, endpoints in desired:
            body: dict[str, Any] = {"addressType": "IPv4", "endpoints": endpoints}
            if ports is not None:
                body["ports"] = [_port_json(p) for p in ports]
            candidates = existing.get(ports) or []
            try:
                if candidates:
                    old = candidates.pop(0)
                    same = (old.obj.get("endpoints") or []) == endpoints and \
                        old.obj.get("ports") == body.get("ports") and old.labels == labels
                    if same:
                        continue
                    new = old.copy()
                    new["metadata"]["labels"] = labels
                    new["metadata"].setdefault("annotations", {})[TRIGGER_TIME] = now
                    new.pop("ports", None)
                    new.update(body)
                    self.registry.update(_SLICES, namespace, old.name, new)
                else:
                    self.registry.create(_SLICES, namespace, dict(body, metadata={
                        "generateName": f"{name}-", "namespace": namespace, "labels": labels,
                        "annotations": {TRIGGER_TIME: now}, "ownerReferences": [owner]}))
            except errors.ApiError as exc:
                log.debug("endpointslice controller: %s/%s: %s", namespace, name, exc)
                self.runtime.record_event(
                    service, _SERVICES, "Warning", "FailedToUpdateEndpointSlices",
                    f"Error updating Endpoint Slices for Service {namespace}/{name}: "
                    f"{exc.message}", SLICE_COMPONENT)
        for leftovers in existing.values():
            for stored in leftovers:
                try:
                    self.registry.delete(_SLICES, namespace, stored.name, DeleteOptions())
                except errors.ApiError:
                    log.debug("endpointslice controller: deleting %s failed", stored.name)

    def _add_hints(self, key: Key, service: dict[str, Any],
                   endpoints: list[dict[str, Any]]) -> None:
        """Topology-aware hints (``TopologyCache.AddHints``) or PreferClose hints."""
        if not _hints_enabled(service["metadata"].get("annotations")):
            if key in self._hinted:
                self._hinted.discard(key)
                self._slice_event(service, "Normal", "TopologyAwareHintsDisabled",
                                  "Topology Aware Hints has been disabled, addressType: IPv4")
            if (service.get("spec") or {}).get("trafficDistribution") == "PreferClose":
                for endpoint in endpoints:
                    if endpoint["conditions"]["ready"] and endpoint.get("zone"):
                        endpoint["hints"] = {"forZones": [{"name": endpoint["zone"]}]}
            return
        ready = [e for e in endpoints if e["conditions"]["ready"]]
        allocations, problem = self._allocations(len(ready))
        if problem is None:
            for endpoint in ready:
                if not endpoint.get("zone"):
                    problem = "One or more endpoints do not have a zone specified"
                    break
        if problem is not None or allocations is None:
            for endpoint in endpoints:
                endpoint.pop("hints", None)
            self._hinted.discard(key)
            self._slice_event(service, "Warning", "TopologyAwareHintsDisabled",
                              f"{problem}, addressType: IPv4")
            return
        allocated: dict[str, int] = {}
        for endpoint in ready:
            allocated[endpoint["zone"]] = allocated.get(endpoint["zone"], 0) + 1
            endpoint["hints"] = {"forZones": [{"name": endpoint["zone"]}]}
        giving, receiving = _giving_and_receiving(allocations, allocated)
        for endpoint in ready:
            if not giving or not receiving:
                break
            zone = endpoint["zone"]
            if giving.get(zone, 0) <= 0:
                continue
            target = next(z for z in sorted(receiving) if receiving[z] > 0)
            endpoint["hints"] = {"forZones": [{"name": target}]}
            giving[zone] -= 1
            if not giving[zone]:
                del giving[zone]
            receiving[target] -= 1
            if not receiving[target]:
                del receiving[target]
        if key not in self._hinted:
            self._hinted.add(key)
            self._slice_event(service, "Normal", "TopologyAwareHintsEnabled",
                              "Topology Aware Hints has been enabled, addressType: IPv4")

    def _allocations(self, count: int) -> tuple[dict[str, tuple[int, int, float]] | None,
                                               str | None]:
        """``SetNodes`` + ``getAllocations``: zone -> (minimum, maximum, desired)."""
        cpu: dict[str, float] = {}
        for node in self.store.items(_NODES):
            labels = node.labels
            if "node-role.kubernetes.io/control-plane" in labels or \
                    "node-role.kubernetes.io/master" in labels:
                continue
            if node_ready_status(node.obj) != "True":
                continue
            zone = labels.get(ZONE_LABEL) or ""
            try:
                value = float(parse_quantity(
                    ((node.obj.get("status") or {}).get("allocatable") or {}).get("cpu", "0")))
            except QuantityError:
                value = 0.0
            if not zone or value <= 0:
                return None, ("Insufficient Node information: allocatable CPU or zone not "
                              "specified on one or more nodes")
            cpu[zone] = cpu.get(zone, 0.0) + value
        total = sum(cpu.values())
        if total <= 0:
            return None, ("Insufficient Node information: allocatable CPU or zone not "
                          "specified on one or more nodes")
        if len(cpu) < 2:
            return None, "Nodes only ready in one zone"
        if len(cpu) > count:
            return None, f"Insufficient number of endpoints ({count} endpoints, {len(cpu)} zones)"
        allocations: dict[str, tuple[int, int, float]] = {}
        remaining, min_total = count, 0
        for zone in sorted(cpu):
            desired = cpu[zone] / total * count
            minimum = math.ceil(desired * (1 / (1 + OVERLOAD_THRESHOLD)))
            allocations[zone] = (minimum, 0, max(desired, float(minimum)))
            min_total += minimum
            remaining -= minimum
            if remaining < 0:
                return None, ("Unable to allocate minimum required endpoints to each zone "
                              f"without exceeding overload threshold ({count} endpoints, "
                              f"{len(cpu)} zones)")
        return {z: (lo, lo + count - min_total, d) for z, (lo, _, d) in allocations.items()}, None

    def _slice_event(self, service: dict[str, Any], type_: str, reason: str,
                     message: str) -> None:
        self.runtime.record_event(service, _SERVICES, type_, reason, message,
                                  SLICE_COMPONENT)

    # -- Endpoints ---------------------------------------------------------------

    def _sync_endpoints(self, key: Key) -> None:
        stored = self.store.get(_SERVICES, *key)
        if stored is None:
            if self.store.get(_ENDPOINTS, *key) is not None:
                try:
                    self.registry.delete(_ENDPOINTS, key[0], key[1], DeleteOptions())
                except errors.ApiError:
                    log.debug("endpoints controller: deleting %s/%s failed", *key)
            return
        service = stored.obj
        if _selector(service) is None:
            return
        spec = service.get("spec") or {}
        publish = bool(spec.get("publishNotReadyAddresses"))
        # port -> {address key: (address, ready)}
        by_port: dict[tuple[str, int, str, str], dict[tuple[str, str], tuple[dict[str, Any],
                                                                             bool]]] = {}
        no_ports: dict[tuple[str, str], tuple[dict[str, Any], bool]] = {}
        for pod in self._pods_for(service):
            if not _in_endpoints(pod, include_terminating=publish):
                continue
            address: dict[str, Any] = {"ip": _pod_ip(pod)}
            hostname = _hostname(pod, service)
            if hostname:
                address["hostname"] = hostname
            node_name = (pod.get("spec") or {}).get("nodeName")
            if node_name:
                address["nodeName"] = node_name
            address["targetRef"] = _target_ref(pod)
            ready = publish or is_pod_ready(pod)
            addr_key = (address["ip"], pod["metadata"]["uid"])
            if not spec.get("ports"):
                if _headless(service):
                    no_ports[addr_key] = (address, ready)
                continue
            for port in _pod_ports(pod, service):
                by_port.setdefault(port, {})[addr_key] = (address, ready)
        subsets = _repack(by_port, no_ports)
        annotations: dict[str, str] = {}
        subsets, truncated = _truncate(subsets)
        if truncated:
            annotations[OVER_CAPACITY] = "truncated"
        labels = _service_labels(service)
        current = self.store.get(_ENDPOINTS, *key)
        if current is not None:
            old_annotations = current.meta.get("annotations") or {}
            if (current.obj.get("subsets") or []) == subsets and current.labels == labels and \
                    (OVER_CAPACITY in old_annotations) == truncated:
                return
        annotations[TRIGGER_TIME] = self.clock.timestamp()
        body: dict[str, Any] = {"metadata": {"name": key[1], "namespace": key[0],
                                             "labels": labels}}
        if subsets:
            body["subsets"] = subsets
        try:
            if current is None:
                body["metadata"]["annotations"] = annotations
                self.registry.create(_ENDPOINTS, key[0], body)
            else:
                new = current.copy()
                new["metadata"]["labels"] = labels
                kept = {k: v for k, v in (new["metadata"].get("annotations") or {}).items()
                        if k not in (TRIGGER_TIME, OVER_CAPACITY)}
                new["metadata"]["annotations"] = dict(kept, **annotations)
                new.pop("subsets", None)
                if subsets:
                    new["subsets"] = subsets
                self.registry.update(_ENDPOINTS, key[0], key[1], new)
        except errors.ApiError as exc:
            log.debug("endpoints controller: %s/%s: %s", *key, exc)
            self.runtime.record_event(service, _SERVICES, "Warning",
                                      "FailedToUpdateEndpoint",
                                      f"Failed to update endpoint {key[0]}/{key[1]}: "
                                      f"{exc.message}", "endpoint-controller")


def _giving_and_receiving(allocations: dict[str, tuple[int, int, float]],
                          allocated: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """``getGivingAndReceivingZones``."""
    giving_desired: dict[str, float] = {}
    receiving_desired: dict[str, float] = {}
    for zone, (_, _, desired) in allocations.items():
        have = allocated.get(zone, 0)
        if have > desired:
            giving_desired[zone] = have - desired
        elif have < desired:
            receiving_desired[zone] = desired - have
    giving: dict[str, int] = {}
    receiving: dict[str, int] = {}
    while True:
        give_zone, to_give = _most(giving_desired)
        take_zone, to_take = _most(receiving_desired)
        if not give_zone or not take_zone or (to_give < 1 and to_take < 1) or \
                to_give < 0.5 or to_take < 0.5:
            break
        giving[give_zone] = giving.get(give_zone, 0) + 1
        giving_desired[give_zone] -= 1
        receiving[take_zone] = receiving.get(take_zone, 0) + 1
        receiving_desired[take_zone] -= 1
    return giving, receiving


def _most(values: dict[str, float]) -> tuple[str, float]:
    zone, most = "", 0.0
    for z in sorted(values):
        if values[z] > most:
            zone, most = z, values[z]
    return zone, most


def _repack(by_port: dict[tuple[str, int, str, str],
                          dict[tuple[str, str], tuple[dict[str, Any], bool]]],
            no_ports: dict[tuple[str, str], tuple[dict[str, Any], bool]]
            ) -> list[dict[str, Any]]:
    """``RepackSubsets``: ports offered by the same addresses share a subset."""
    groups: dict[frozenset[tuple[tuple[str, str], bool]],
                 tuple[dict[tuple[str, str], tuple[dict[str, Any], bool]],
                       list[tuple[str, int, str, str]]]] = {}
    for port, addresses in by_port.items():
        signature = frozenset((k, ready) for k, (_, ready) in addresses.items())
        groups.setdefault(signature, (addresses, []))[1].append(port)
    if no_ports:
        signature = frozenset((k, ready) for k, (_, ready) in no_ports.items())
        groups.setdefault(signature, (no_ports, []))
    subsets = []
    for addresses, ports in groups.values():
        ordered = sorted(addresses.items(), key=lambda item: item[0])
        subset: dict[str, Any] = {}
        ready = [a for _, (a, r) in ordered if r]
        not_ready = [a for _, (a, r) in ordered if not r]
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        if ports:
            subset["ports"] = [_endpoint_port(p) for p in sorted(ports)]
        subsets.append(subset)
    subsets.sort(key=lambda s: (
        [(p["port"], p.get("name", "")) for p in s.get("ports") or ()],
        [a["ip"] for a in s.get("addresses") or s.get("notReadyAddresses") or ()]))
    return subsets


def _endpoint_port(port: tuple[str, int, str, str]) -> dict[str, Any]:
    name, number, protocol, app_protocol = port
    out: dict[str, Any] = {}
    if name:
        out["name"] = name
    out.update(port=number, protocol=protocol)
    if app_protocol:
        out["appProtocol"] = app_protocol
    return out


def _truncate(subsets: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """``truncateEndpoints``: keep 1000 addresses, ready ones first, per subset in
    proportion to its size."""
    total = sum(len(s.get("addresses") or ()) + len(s.get("notReadyAddresses") or ())
                for s in subsets)
    if total <= MAX_ENDPOINTS_ADDRESSES:
        return subsets, False
    ready_total = sum(len(s.get("addresses") or ()) for s in subsets)
    keep_ready = min(ready_total, MAX_ENDPOINTS_ADDRESSES)
    keep_not_ready = MAX_ENDPOINTS_ADDRESSES - keep_ready
    out = []
    for subset in subsets:
        subset = dict(subset)
        for field, budget in (("addresses", keep_ready), ("notReadyAddresses", keep_not_ready)):
            addresses = subset.get(field) or []
            if not addresses:
                continue
            n = min(len(addresses), budget)
            if field == "addresses":
                keep_ready -= n
            else:
                keep_not_ready -= n
            if n:
                subset[field] = addresses[:n]
            else:
                subset.pop(field)
        if subset.get("addresses") or subset.get("notReadyAddresses"):
            out.append(subset)
    return out, True
