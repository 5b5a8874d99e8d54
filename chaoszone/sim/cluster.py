"""One simulated cluster: its clock, store, registry, controllers and logs, and the
operations the API needs beyond plain REST (binding, logs, the control API).

Everything here runs on the simulator's event loop thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chaoszone.kindconfig import KindConfig, Timers
from chaoszone.kindconfig import load as load_kind_config
from chaoszone.sim import errors
from chaoszone.sim.bootstrap import build as build_kind_cluster
from chaoszone.sim.clock import Clock
from chaoszone.sim.controllers.daemonset import DaemonSetController
from chaoszone.sim.controllers.deployment import DeploymentController
from chaoszone.sim.controllers.disruption import DisruptionController
from chaoszone.sim.controllers.endpointslices import EndpointSliceController
from chaoszone.sim.controllers.garbagecollector import GarbageCollector
from chaoszone.sim.controllers.job import JobController
from chaoszone.sim.controllers.namespaces import NamespaceController
from chaoszone.sim.controllers.nodelifecycle import NodeLifecycleController
from chaoszone.sim.controllers.persistentvolumes import PersistentVolumeController
from chaoszone.sim.controllers.podgc import PodGCController
from chaoszone.sim.controllers.provisioners import Provisioners
from chaoszone.sim.controllers.replicaset import ReplicaSetController
from chaoszone.sim.controllers.statefulset import StatefulSetController
from chaoszone.sim.controllers.tainteviction import TaintEvictionController
from chaoszone.sim.kubelet import KubeletEnv, Kubelets, KubeletSettings
from chaoszone.sim.logs import Logs
from chaoszone.sim.rbac import Tokens
from chaoszone.sim.registry import Registry
from chaoszone.sim.resources import by_path
from chaoszone.sim.runtime import Runtime
from chaoszone.sim.scheduler import Scheduler
from chaoszone.sim.store import Store
from chaoszone.topology import Topology

__all__ = ["SYSTEM_NAMESPACES", "Cluster"]

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_NAMESPACES = by_path("", "v1", "namespaces")
_PODS = by_path("", "v1", "pods")
_NODES = by_path("", "v1", "nodes")
_SERVICES = by_path("", "v1", "services")


class Cluster:
    """The state behind one API server."""

    def __init__(self, *, time_scale: float = 1.0, manual_clock: bool = False,
                 history: int = 10_000,
                 not_ready_toleration_seconds: int | None = None,
                 unreachable_toleration_seconds: int | None = None,
                 admin_token: str | None = None,
                 topology: Topology | None = None, timers: Timers | None = None,
                 kind_config: KindConfig | None = None) -> None:
        self.clock = Clock(time_scale, manual=manual_clock)
        #: bearer tokens: the admin's, and those issued to ServiceAccounts
        self.tokens = Tokens(admin_token or secrets.token_urlsafe(32))
        self._history = history
        #: the kind config the cluster is built from (none: an empty cluster for API tests),
        #: its nodes and zones, and the failure timers controllers and kubelets read
        self.kind_config = kind_config
        self.topology = topology or (
            Topology.from_kind_config(kind_config) if kind_config is not None else None)
        self.timers = timers or (kind_config.timers if kind_config is not None else Timers())
        if not_ready_toleration_seconds is not None:
            self.timers = replace(self.timers, default_not_ready_toleration_seconds=(
                not_ready_toleration_seconds))
        if unreachable_toleration_seconds is not None:
            self.timers = replace(self.timers, default_unreachable_toleration_seconds=(
                unreachable_toleration_seconds))
        self._tolerations = (self.timers.default_not_ready_toleration_seconds,
                             self.timers.default_unreachable_toleration_seconds)
        self._loop: asyncio.AbstractEventLoop | None = None
        #: per node: "on", "off" or "paused" (the control API's power switch)
        self.power: dict[str, str] = {}
        #: per node: "connected" or "partitioned"
        self.network: dict[str, str] = {}
        #: (url, CA file) of the API server serving this cluster, once it serves
        self.endpoint: tuple[str, str] | None = None
        #: called with a node's name when its power or network changes (its kubelet)
        self.node_listeners: list[Callable[[str], None]] = []
        self._quorum_lost = False
        self._build(start_rv=1)

    def _build(self, start_rv: int) -> None:
        """Make the store and every component on it. Components are constructed here."""
        self.store = Store(self.clock, self._history, start_rv=start_rv)
        self.registry = Registry(self.store,
                                 not_ready_toleration_seconds=self._tolerations[0],
                                 unreachable_toleration_seconds=self._tolerations[1])
        self.logs = Logs(self.clock)
        self.runtime = Runtime(self.registry)
        self.garbage_collector = GarbageCollector(self.runtime)
        self.namespaces = NamespaceController(self.runtime)
        self.replicasets = ReplicaSetController(self.runtime)
        self.deployments = DeploymentController(self.runtime)
        self.statefulsets = StatefulSetController(self.runtime)
        self.daemonsets = DaemonSetController(self.runtime)
        self.scheduler = Scheduler(self.runtime)
        self.jobs = JobController(self.runtime)
        self.node_lifecycle = NodeLifecycleController(self.runtime, self.timers)
        self.taint_eviction = TaintEvictionController(self.runtime)
        self.pod_gc = PodGCController(self.runtime, self.timers)
        self.disruption = DisruptionController(self.runtime)
        self.endpoint_slices = EndpointSliceController(self.runtime)
        self.persistent_volumes = PersistentVolumeController(self.runtime, self.timers)
        self.provisioners = Provisioners(self.runtime)
        self.bootstrap()
        self.kubelets = Kubelets(self.runtime, KubeletEnv(
            power=lambda node: self.power.get(node, "on"),
            network=lambda node: self.network.get(node, "connected"),
            logs=self.logs, issue_token=self.issue_token, endpoint=lambda: self.endpoint,
            call_soon=self._call_soon), KubeletSettings(
                node_status_report_frequency=self.timers.node_status_report_frequency,
                node_lease_duration_seconds=self.timers.node_lease_duration_seconds))
        self.node_listeners.append(self.kubelets.on_switch)
        for node in self.topology.nodes if self.topology is not None else ():
            self.kubelets.start(node.name)
        if self._loop is not None:
            self.runtime.attach(self._loop)

    def _call_soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the cluster's loop from any thread (a program's, say)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.runtime.queue_call, fn)
        else:
            self.runtime.queue_call(fn)

    @classmethod
    def from_kind_config(cls, path: str | os.PathLike[str], *, name: str | None = None,
                         **options: Any) -> Cluster:
        """The cluster kind would create from the config at ``path`` (``name``: as
        ``kind create cluster --name``)."""
        config = load_kind_config(path)
        return cls(kind_config=config, topology=Topology.from_kind_config(config, name=name),
                   **options)

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run timers and work queues on ``loop`` (the server's) from now on."""
        self._loop = loop
        self.runtime.attach(loop)

    # -- lifecycle -------------------------------------------------------------

    def bootstrap(self) -> None:
        """What every cluster has from its start: the system namespaces and their
        ServiceAccounts, and the ``kubernetes`` Service; then, with a topology, the nodes
        and system pods of its kind cluster (chaoszone.sim.bootstrap)."""
        assert _NAMESPACES is not None and _SERVICES is not None
        for name in SYSTEM_NAMESPACES:
            if self.store.get(_NAMESPACES, "", name) is None:
                self.registry.create(_NAMESPACES, None, {"metadata": {"name": name}})
        self.settle()
        self._bootstrap_rbac()
        if self.store.get(_SERVICES, "default", "kubernetes") is None:
            self.registry.create(_SERVICES, "default", {
                "metadata": {"name": "kubernetes",
                             "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"clusterIP": "10.96.0.1",
                         "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                                    "targetPort": 6443}]},
            })
        if self.topology is not None:
            config = self.kind_config
            build_kind_cluster(
                self, self.topology, self.timers,
                controller_manager_args=config.controller_manager_args if config else None,
                api_server_args=config.api_server_args if config else None,
                scheduler_args=config.scheduler_args if config else None,
                kubelet_configuration=config.kubelet_configuration if config else None)

    def _bootstrap_rbac(self) -> None:
        """The bootstrap policy's cluster-admin role and its binding to system:masters
        (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go)."""
        roles = by_path("rbac.authorization.k8s.io", "v1", "clusterroles")
        bindings = by_path("rbac.authorization.k8s.io", "v1", "clusterrolebindings")
        assert roles is not None and bindings is not None
        labels = {"kubernetes.io/bootstrapping": "rbac-defaults"}
        annotations = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
        if self.store.get(roles, "", "cluster-admin") is None:
            self.registry.create(roles, None, {
                "metadata": {"name": "cluster-admin", "labels": labels,
                             "annotations": annotations},
                "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                          {"nonResourceURLs": ["*"], "verbs": ["*"]}]})
        if self.store.get(bindings, "", "cluster-admin") is None:
            self.registry.create(bindings, None, {
                "metadata": {"name": "cluster-admin", "labels": labels,
                             "annotations": annotations},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                            "name": "cluster-admin"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                              "name": "system:masters"}]})

    def issue_token(self, namespace: str, service_account: str) -> str:
        """A bearer token for a ServiceAccount: what a pod's projected token gives it."""
        return self.tokens.issue(self.store, namespace, service_account)

    def settle(self) -> None:
        """Run every controller's queued work and due timers now."""
        self.runtime.settle()

    def reset(self) -> None:
        """Forget every object and start again as a new cluster.

        Every component is made anew on a new store whose resourceVersions continue
        after the old ones, so a client's informer never sees versions go backwards;
        open watches end, as they would when an apiserver restarts.
        """
        next_rv = self.store.resource_version + 1
        self.runtime.stop()
        self.store.hub.clear(next_rv)
        self.power.clear()
        self.network.clear()
        self.node_listeners.clear()
        self.tokens.revoke_all()
        self._quorum_lost = False
        self._build(start_rv=next_rv)

    # -- availability and node agents -------------------------------------------

    def unavailable(self) -> bool:
        """Whether the API is down: a majority of control-plane nodes is off, paused or
        cut off, as etcd loses quorum (a cluster without control-plane nodes never is)."""
        return self._quorum_lost

    def check_available(self) -> None:
        if self._quorum_lost:
            raise errors.ServiceUnavailable(
                "etcdserver: request timed out: a majority of control-plane nodes is down "
                "(see GET /sim/v1/state)")

    def node_down(self, name: str) -> bool:
        return self.power.get(name, "on") != "on" or self.network.get(name) == "partitioned"

    def _recompute_quorum(self) -> None:
        assert _NODES is not None
        planes = [s.name for s in self.store.items(_NODES)
                  if "node-role.kubernetes.io/control-plane" in s.labels]
        down = sum(1 for name in planes if self.node_down(name))
        self._quorum_lost = bool(planes) and down * 2 > len(planes)

    def set_power(self, node: str, state: str) -> None:
        """Power a node's machine on or off, or pause it (a hang)."""
        if state not in ("on", "off", "paused"):
            raise errors.BadRequest(
                f'power state must be "on", "off" or "paused", got {json.dumps(state)}')
        self._require_node(node)
        self.power[node] = state
        self._recompute_quorum()
        for listener in list(self.node_listeners):
            listener(node)

    def set_network(self, node: str, state: str) -> None:
        """Cut a node off from the API server, or connect it again."""
        if state not in ("connected", "partitioned"):
            raise errors.BadRequest(
                f'network state must be "connected" or "partitioned", got {json.dumps(state)}')
        self._require_node(node)
        self.network[node] = state
        self._recompute_quorum()
        for listener in list(self.node_listeners):
            listener(node)

    def _require_node(self, node: str) -> None:
        assert _NODES is not None
        if self.store.get(_NODES, "", node) is None:
            raise errors.NotFound("nodes", node)

    # -- pods ------------------------------------------------------------------

    def bind(self, namespace: str, name: str, binding: dict[str, Any]) -> None:
        self.registry.bind(namespace, name, binding)

    def pod_log(self, pod: dict[str, Any], *, container: str | None, tail: int | None,
                since_seconds: int | None, timestamps: bool, previous: bool) -> str | None:
        """The text of ``pods/log``, with the kubelet's errors for containers not started;
        None for a pod on no node (LogLocation has no kubelet to ask: 204 No Content)."""
        spec = pod.get("spec") or {}
        name = pod["metadata"]["name"]
        names = [c["name"] for c in spec.get("containers") or []]
        if container is None:
            if len(names) != 1:
                raise errors.BadRequest(
                    f"a container name must be specified for pod {name}, choose one of: "
                    f"[{' '.join(names)}]")
            container = names[0]
        inits = [c["name"] for c in spec.get("initContainers") or []]
        if container not in names and container not in inits:
            raise errors.BadRequest(f"container {container} is not valid for pod {name}")
        if not spec.get("nodeName"):
            return None
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        statuses = statuses + ((pod.get("status") or {}).get("initContainerStatuses") or [])
        state = next((s.get("state") or {} for s in statuses if s.get("name") == container), {})
        if not state.get("running") and not state.get("terminated"):
            reason = (state.get("waiting") or {}).get("reason", "ContainerCreating")
            raise errors.BadRequest(
                f'container "{container}" in pod "{name}" is waiting to start: {reason}')
        if previous:
            raise errors.BadRequest(
                f'previous terminated container "{container}" in pod "{name}" not found')
        since = self.clock.now() - since_seconds if since_seconds is not None else None
        return self.logs.read(pod["metadata"]["namespace"], name, container, tail=tail,
                              since=since, timestamps=timestamps)

    # -- control API -----------------------------------------------------------

    def control(self, method: str, path: str, raw: bytes) -> dict[str, Any]:
        """``/sim/v1/...``: operations no Kubernetes API offers. Bad input changes nothing."""
        parts = [p for p in path.strip("/").split("/") if p]
        if parts == ["reset"]:
            _expect(method, "POST", path)
            if raw.strip():
                _body(raw)
            self.reset()
            return _success("cluster reset")
        if parts == ["state"]:
            _expect(method, "GET", path)
            return self.state()
        if parts == ["clock"]:
            _expect(method, "POST", path)
            body = _body(raw)
            scale = body.get("time_scale")
            if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
                raise errors.BadRequest(
                    f'"time_scale" must be a number greater than 0, got {json.dumps(scale)}')
            self.clock.set_time_scale(float(scale))
            return self.state()
        if len(parts) == 3 and parts[0] == "nodes" and parts[2] in ("power", "network"):
            _expect(method, "POST", path)
            body = _body(raw)
            state = body.get("state")
            if not isinstance(state, str):
                raise errors.BadRequest('the body must be {"state": "..."}')
            if parts[2] == "power":
                self.set_power(parts[1], state)
            else:
                self.set_network(parts[1], state)
            return self.state()
        raise errors.ApiError(404, "NotFound", f"no control endpoint /sim/v1/{path.strip('/')}; "
                              "see docs/simulator.md for the control API")

    def state(self) -> dict[str, Any]:
        assert _NODES is not None
        nodes = {s.name: {"power": self.power.get(s.name, "on"),
                          "network": self.network.get(s.name, "connected")}
                 for s in self.store.items(_NODES)}
        return {"clock": {"now": self.clock.timestamp(), "timeScale": self.clock.time_scale},
                "resourceVersion": str(self.store.resource_version),
                "apiAvailable": not self._quorum_lost,
                "watchers": self.store.hub.watcher_count(), "nodes": nodes}


def _expect(method: str, wanted: str, path: str) -> None:
    if method != wanted:
        raise errors.MethodNotAllowed(f"{wanted} /sim/v1/{path.strip('/')}; got {method}")


def _body(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw or b"{}")
    except ValueError:
        raise errors.BadRequest("the body must be a JSON object") from None
    if not isinstance(doc, dict):
        raise errors.BadRequest("the body must be a JSON object")
    return doc


def _success(message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "message": message}
