"""One simulated cluster: its clock, store, registry, controllers and logs, and the
operations the API needs beyond plain REST (binding, logs, the control API).

Everything here runs on the simulator's event loop thread.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.clock import Clock
from chaoszone.sim.controllers.garbagecollector import GarbageCollector
from chaoszone.sim.controllers.namespaces import NamespaceController
from chaoszone.sim.logs import Logs
from chaoszone.sim.registry import Registry
from chaoszone.sim.resources import by_path
from chaoszone.sim.runtime import Runtime
from chaoszone.sim.store import Store

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
                 not_ready_toleration_seconds: int = 300,
                 unreachable_toleration_seconds: int = 300) -> None:
        self.clock = Clock(time_scale, manual=manual_clock)
        self._history = history
        self._tolerations = (not_ready_toleration_seconds, unreachable_toleration_seconds)
        self._loop: asyncio.AbstractEventLoop | None = None
        #: per node: "on", "off" or "paused" (the control API's power switch)
        self.power: dict[str, str] = {}
        #: per node: "connected" or "partitioned"
        self.network: dict[str, str] = {}
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
        self.bootstrap()
        if self._loop is not None:
            self.runtime.attach(self._loop)

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run timers and work queues on ``loop`` (the server's) from now on."""
        self._loop = loop
        self.runtime.attach(loop)

    # -- lifecycle -------------------------------------------------------------

    def bootstrap(self) -> None:
        """What every cluster has from its start: the system namespaces and their
        ServiceAccounts, and the ``kubernetes`` Service."""
        assert _NAMESPACES is not None and _SERVICES is not None
        for name in SYSTEM_NAMESPACES:
            if self.store.get(_NAMESPACES, "", name) is None:
                self.registry.create(_NAMESPACES, None, {"metadata": {"name": name}})
        self.settle()
        if self.store.get(_SERVICES, "default", "kubernetes") is None:
            self.registry.create(_SERVICES, "default", {
                "metadata": {"name": "kubernetes",
                             "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"clusterIP": "10.96.0.1",
                         "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                                    "targetPort": 6443}]},
            })

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
        self._build(start_rv=next_rv)

    # -- availability ----------------------------------------------------------

    def unavailable(self) -> bool:
        """Whether the API is down (a lost control-plane quorum, in a later release)."""
        return False

    def check_available(self) -> None:
        if self.unavailable():
            raise errors.ServiceUnavailable("etcdserver: request timed out")

    # -- pods ------------------------------------------------------------------

    def bind(self, namespace: str, name: str, binding: dict[str, Any]) -> None:
        self.registry.bind(namespace, name, binding)

    def pod_log(self, pod: dict[str, Any], *, container: str | None, tail: int | None,
                since_seconds: int | None, timestamps: bool, previous: bool) -> str:
        """The text of ``pods/log``, with the kubelet's errors for containers not started."""
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
        """``/sim/v1/...``: operations no Kubernetes API offers."""
        path = path.strip("/")
        if path == "reset":
            if method != "POST":
                raise errors.MethodNotAllowed("POST /sim/v1/reset")
            if raw.strip():
                try:
                    json.loads(raw)
                except ValueError:
                    raise errors.BadRequest(
                        "the body of /sim/v1/reset must be empty or JSON") from None
            self.reset()
            return {"kind": "Status", "apiVersion": "v1", "metadata": {},
                    "status": "Success", "message": "cluster reset"}
        if path == "state":
            if method != "GET":
                raise errors.MethodNotAllowed("GET /sim/v1/state")
            return {"clock": {"now": self.clock.timestamp(),
                              "timeScale": self.clock.time_scale},
                    "resourceVersion": str(self.store.resource_version),
                    "watchers": self.store.hub.watcher_count()}
        raise errors.ApiError(404, "NotFound", f"no control endpoint /sim/v1/{path}; "
                              "see docs/simulator.md for the control API")

