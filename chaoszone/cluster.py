"""The cluster handle experiments hold: apply workloads, inject faults that always revert.

    web = cluster.apply(workloads.deployment("web", replicas=6), namespace=namespace)
    with cluster.fault(faults.zone_outage("zone-a")) as outage:
        expect.ready(web, within=90, outside_zones={"zone-a"})
    assert outage.bit

:meth:`Cluster.fault` checks the fault against the topology before anything changes,
journals each undo record before its change, injects, then checks that the fault *bit*
(its nodes NotReady, tainted or cordoned, as the fault implies) and fails with
:class:`FaultError` if it did not: a chaos test that passes because nothing happened is
the classic false green. Leaving the block in any way (normally, by an exception, Ctrl-C
or SIGTERM) reverts the fault and waits until its nodes are restored.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from kubernetes import client, dynamic

from chaoszone import expect, guards, workloads
from chaoszone.errors import ExpectationFailed, FaultError, InvalidExperiment, RevertFailed
from chaoszone.faults import CONTROL_PLANE_DOWN, CORDONED, NOT_READY, TAINTED, Fault, Tainted
from chaoszone.journal import Created, Journal
from chaoszone.targets import ServiceRef, Target, Workload, ZoneRef, capabilities

__all__ = ["Cluster", "FaultHandle"]

#: kinds whose pods an applied manifest's handle follows
POD_OWNERS = ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "Job")


@dataclass
class FaultHandle:
    """One injected fault, as the ``with`` block sees it."""

    fault: Fault
    nodes: tuple[str, ...]
    #: True once chaoszone saw the fault take effect
    bit: bool = False
    #: True once the fault was undone
    reverted: bool = False
    #: wall time of the injection and of the revert (time.monotonic())
    injected_at: float | None = None
    reverted_at: float | None = None
    #: what the bite check saw
    observed: list[str] = field(default_factory=list)
    #: cluster seconds from the injection until the fault was seen to bite
    bit_after: float | None = None
    #: cluster seconds from the injection until the revert began
    lasted: float | None = None
    #: cluster seconds from the revert until its nodes were seen restored (Ready again, the
    #: API serving again; at once for faults that leave the nodes Ready)
    restored_after: float | None = None


class Cluster:
    """A target, its journal, and the operations experiments use."""

    def __init__(self, target: Target, run_dir: str | os.PathLike[str]) -> None:
        self.target = target
        self.run_dir = Path(run_dir)
        self.journal = Journal.create(
            self.run_dir / f"journal-{target.topology.name}-{os.getpid()}-"
                           f"{uuid.uuid4().hex[:6]}.jsonl", target)
        self._dynamic: dynamic.DynamicClient | None = None
        #: the target's safety guards (an existing cluster's); None on sim and kind
        self.guards = guards.of(target)
        #: the namespaces this handle created (the only ones a guarded target works in)
        self.namespaces: set[str] = set()
        self._created: dict[str, Created] = {}
        #: every fault injected through this handle, oldest first
        self.history: list[FaultHandle] = []

    @property
    def topology(self) -> Any:
        return self.target.topology

    def api_client(self) -> client.ApiClient:
        """The official client's ApiClient for this cluster (shared; do not close it)."""
        return self.target.api_client()

    def zone(self, name: str) -> ZoneRef:
        """A zone of this cluster (:class:`InvalidExperiment` names the known ones)."""
        return ZoneRef(self.target, name, self.target.topology.zone(name).node_names)

    def zones(self) -> tuple[ZoneRef, ...]:
        return tuple(self.zone(z.name) for z in self.target.topology.zones())

    # -- namespaces ----------------------------------------------------------------------------

    def create_namespace(self, prefix: str = "cz") -> str:
        """A new namespace of this run's own, journalled before it is made so that
        ``chaoszone recover`` deletes it if the run dies before :meth:`delete_namespace`."""
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self._created[name] = self.journal.created(name)
        client.CoreV1Api(self.target.api_client()).create_namespace(
            client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
        self.namespaces.add(name)
        return name

    def delete_namespace(self, name: str) -> None:
        guards.check_delete_namespace(self.guards, name, self.namespaces)
        with contextlib.suppress(client.ApiException):
            client.CoreV1Api(self.target.api_client()).delete_namespace(name)
        self.namespaces.discard(name)
        created = self._created.pop(name, None)
        if created is not None:
            self.journal.deleted(created)

    # -- apply ---------------------------------------------------------------------------------

    def apply(self, manifest: Mapping[str, Any] | str | os.PathLike[str], *,
              namespace: str | None = None) -> Any:
        """Server-side apply a manifest (a dict, or a YAML file of one or more documents).

        Returns a :class:`Workload` handle for a pod owner (Deployment, StatefulSet...), a
        :class:`ServiceRef` for a Service, the applied object's dict otherwise; a list for a
        file of several documents.
        """
        if isinstance(manifest, Mapping):
            return self._apply_one(*self._prepare(manifest, namespace))
        path = Path(manifest)
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidExperiment(f"cannot read manifest {path}: {exc}") from exc
        # every document passes the checks (and a guarded target's guards) before any applies
        prepared = [self._prepare(d, namespace) for d in docs]
        applied = [self._apply_one(*p) for p in prepared]
        return applied[0] if len(applied) == 1 else applied

    def _prepare(self, manifest: Mapping[str, Any], namespace: str | None
                 ) -> tuple[Mapping[str, Any], Any, str | None, dict[str, Any]]:
        """The manifest's API resource, namespace and body, checked; changes nothing."""
        if not isinstance(manifest, Mapping) or "kind" not in manifest \
                or "apiVersion" not in manifest:
            raise InvalidExperiment(f"not a Kubernetes object (no apiVersion and kind): "
                                    f"{manifest!r:.200}")
        if self._dynamic is None:
            self._dynamic = dynamic.DynamicClient(  # type: ignore[no-untyped-call]
                self.target.api_client())
        resource = self._dynamic.resources.get(api_version=manifest["apiVersion"],
                                               kind=manifest["kind"])
        meta = dict(manifest.get("metadata") or {})
        body = dict(manifest)
        ns = None
        if resource.namespaced:
            ns = meta.get("namespace") or namespace
            if not ns:
                raise InvalidExperiment(f"{manifest['kind']} {meta.get('name')!r} is namespaced:"
                                        f" give it metadata.namespace or pass namespace=")
            body["metadata"] = {**meta, "namespace": ns}
        guards.check_apply(self.guards, kind=str(manifest["kind"]), name=str(meta.get("name")),
                           namespace=ns, own_namespaces=self.namespaces)
        return manifest, resource, ns, body

    def _apply_one(self, manifest: Mapping[str, Any], resource: Any, ns: str | None,
                   body: dict[str, Any]) -> Any:
        meta = dict(manifest.get("metadata") or {})
        result = resource.server_side_apply(body=body, name=meta["name"], namespace=ns,
                                            field_manager="chaoszone", force_conflicts=True)
        obj = result.to_dict()
        if manifest["kind"] in POD_OWNERS:
            spec = obj.get("spec") or {}
            selector = ((spec.get("selector") or {}).get("matchLabels")
                        or ((spec.get("template") or {}).get("metadata") or {}).get("labels")
                        or {})
            return Workload(self.target, manifest["kind"], str(ns), meta["name"],
                            dict(selector), spec.get("replicas"))
        if manifest["kind"] == "Service" and manifest["apiVersion"] == "v1":
            return ServiceRef(self.target, str(ns), meta["name"])
        return obj

    # -- repair --------------------------------------------------------------------------------

    def repair(self, node: str, *, taint_keys: list[str], namespace: str,
               name: str = "repair") -> Workload:
        """Apply a repair Job (:func:`workloads.repair_job`) for ``node``; returns the Job
        handle (its pod's phase tells how it went)."""
        self.target.topology.node(node)  # InvalidExperiment for an unknown node
        applied = [self.apply(m, namespace=namespace) for m in workloads.repair_job(
            name, node, namespace=namespace, taint_keys=taint_keys,
            command=self.target.repair_command())]
        job = applied[-1]
        assert isinstance(job, Workload)
        return job

    # -- faults --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def fault(self, fault: Fault, *, bite_within: float | None = None,
              restore_within: float | None = None, allow_zones: int = 1,
              allow_control_plane: bool = False) -> Iterator[FaultHandle]:
        """Inject ``fault`` for the ``with`` block; see the module docstring.

        ``bite_within`` (cluster seconds) bounds the wait for the fault to show; the
        default for power and network faults is the cluster's node-monitor grace period
        plus two monitor periods and 10 s. ``restore_within`` bounds the wait, after the
        revert, for the nodes to be Ready and untainted again (default: the same, plus
        the time the target's machines take to boot, ``boot_seconds``: kind's).

        Every fault passes :func:`guards.check_capability` and :func:`guards.check_fault`
        here, before anything changes: the target must be able to make it
        (:attr:`Fault.needs`), and on a guarded target (an existing cluster) the faults in
        place together may touch more than one zone only with ``allow_zones=N``, a
        control-plane node only with ``allow_control_plane=True``, and no more than the
        operator's share of the nodes. Both opt-ins are ignored by
        unguarded targets (sim, kind), so an experiment states them once, for every target.
        """
        guards.check_capability(fault=repr(fault), needs=fault.needs,
                                can=capabilities(self.target), target=self.target.name)
        nodes = fault.nodes(self.target.topology)  # InvalidExperiment before any change
        active = {n for h in self.history if not h.reverted for n in h.nodes}
        guards.check_fault(self.guards, self.target.topology, fault=repr(fault), nodes=nodes,
                           active=active, impaired=self._impaired() if self.guards else (),
                           allow_zones=allow_zones, allow_control_plane=allow_control_plane)
        timers = self.target.timers
        detect = timers.node_monitor_grace_period + 2 * timers.node_monitor_period + 10
        handle = FaultHandle(fault, nodes)
        self.history.append(handle)
        zone = ZoneRef(self.target, getattr(fault, "zone", getattr(fault, "where", "")), nodes)
        before = {r.id for r in self.journal.pending()}
        with _sigterm_as_interrupt():
            try:
                fault.inject(self.target, self.journal, nodes)
                handle.injected_at = time.monotonic()
                self._check_bite(fault, zone, handle, bite_within or detect)
                yield handle
            finally:
                # a machine powered on again boots before its kubelet reports Ready: a
                # target whose nodes take time to (kind: systemd, containerd, kubelet)
                # says how long, as ``boot_seconds``
                self._revert(handle, zone, before, restore_within or (
                    detect + float(getattr(self.target, "boot_seconds", 0.0))))

    def _impaired(self) -> set[str]:
        """The nodes the live cluster shows cordoned or not Ready (read, for the guards)."""
        nodes: list[Any] = client.CoreV1Api(self.target.api_client()).list_node().items
        return {str(n.metadata.name) for n in nodes if (n.spec and n.spec.unschedulable) or not any(
            c.type == "Ready" and c.status == "True"
            for c in (n.status.conditions if n.status else None) or [])}

    def _check_bite(self, fault: Fault, zone: ZoneRef, handle: FaultHandle,
                    within: float) -> None:
        try:
            if fault.implies == NOT_READY:
                expect.nodes_not_ready(zone, within=within)
            elif fault.implies == TAINTED:
                assert isinstance(fault, Tainted)
                expect.nodes_tainted(zone, fault.key, effect=fault.effect, within=within)
            elif fault.implies == CORDONED:
                expect.nodes_cordoned(zone, within=within)
            elif fault.implies == CONTROL_PLANE_DOWN:
                try:
                    expect.api_unavailable(self, within=1)
                    handle.observed.append("the API is unavailable (control-plane quorum lost)")
                except ExpectationFailed:  # the API still serves: its nodes must go NotReady
                    expect.nodes_not_ready(zone, within=within)
        except ExpectationFailed as exc:
            raise FaultError(f"{fault!r} did not bite: {exc}") from exc
        handle.bit = True
        if handle.injected_at is not None:
            handle.bit_after = self.target.cluster_seconds(time.monotonic() - handle.injected_at)
        handle.observed.append(f"{fault!r}: {fault.implies} on {', '.join(zone.node_names)}")

    def _revert(self, handle: FaultHandle, zone: ZoneRef, before: set[int],
                within: float) -> None:
        if handle.injected_at is not None:
            handle.lasted = self.target.cluster_seconds(time.monotonic() - handle.injected_at)
        mine = [r for r in self.journal.pending() if r.id not in before]
        self.journal.revert(mine)
        handle.reverted = True
        handle.reverted_at = time.monotonic()
        if handle.fault.implies in (NOT_READY, CONTROL_PLANE_DOWN):
            try:
                if handle.fault.implies == CONTROL_PLANE_DOWN:
                    expect.api_available(self, within=within)
                expect.nodes_ready(zone, within=within)
            except ExpectationFailed as exc:
                raise RevertFailed(f"{handle.fault!r} was undone but its nodes did not "
                                   f"recover: {exc}") from exc
        handle.restored_after = self.target.cluster_seconds(
            time.monotonic() - handle.reverted_at)

    def close(self) -> None:
        """Revert whatever is still journalled, then release the target."""
        try:
            if self.journal.pending():
                self.journal.revert()
        finally:
            self.target.close()


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM inside a fault block raises KeyboardInterrupt, so the block's revert runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
