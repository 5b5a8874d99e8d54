"""Simulated node agents: one kubelet per node of the topology.

A kubelet renews its node's Lease in kube-node-lease every quarter of the lease
duration, posts its node's status when it (re)starts and every nodeStatusReportFrequency,
and runs the pods bound to its node: admission (pkg/kubelet/lifecycle/predicate.go:
NoExecute taints, node selector, host ports), then Pending with containers
``ContainerCreating``, Running, Ready; graceful termination ending in the kubelet's own
delete with grace 0; containers that exit (restart policies, restart counts); and
containers that run a registered program (:mod:`chaoszone.sim.programs`) with a client
authenticated as the pod's ServiceAccount.

The control API's switches decide what a kubelet can do:

- power ``off``: nothing runs and nothing is posted; containers are lost. On power-on the
  kubelet starts again: it renews its lease, posts Ready, kills the pods deleted in the
  meantime and restarts the others' containers (restartCount + 1).
- power ``paused``: a hang; nothing moves until unpaused, then it carries on.
- network ``partitioned``: containers keep running but the API is out of reach: no lease,
  no status. On reconnect the kubelet catches up, killing pods deleted meanwhile.

Per-pod timing comes from annotations (cluster seconds): ``chaoszone.io/start-seconds``
(bind to Running; default 1, 0 in kube-system and local-path-storage),
``chaoszone.io/ready-seconds`` (Running to Ready, default 0), ``chaoszone.io/run-seconds``
(a container's run time; default: forever under restartPolicy Always, else 1),
``chaoszone.io/exit-code`` (default 0) and ``chaoszone.io/stop-seconds`` (time to stop
after deletion, at most the grace period; default 0).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chaoszone.sim import clients, errors, objects, programs
from chaoszone.sim.logs import Logs
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.resources import by_path
from chaoszone.sim.runtime import Runtime, Timer
from chaoszone.sim.watch import DELETED, Event

__all__ = ["Kubelet", "KubeletEnv", "KubeletSettings", "Kubelets"]

log = logging.getLogger("chaoszone.sim")

_PODS = by_path("", "v1", "pods")
_NODES = by_path("", "v1", "nodes")
_LEASES = by_path("coordination.k8s.io", "v1", "leases")
assert _PODS is not None and _NODES is not None and _LEASES is not None

START = "chaoszone.io/start-seconds"
READY = "chaoszone.io/ready-seconds"
RUN = "chaoszone.io/run-seconds"
EXIT = "chaoszone.io/exit-code"
STOP = "chaoszone.io/stop-seconds"
_INSTANT_NAMESPACES = frozenset({"kube-system", "local-path-storage"})
_RESTART_BACKOFF = 10.0  # kubelet's initial container restart back-off


@dataclass(frozen=True)
class KubeletSettings:
    """KubeletConfiguration timers (1.32 defaults) and the simulated start time."""

    node_status_report_frequency: float = 300.0
    node_lease_duration_seconds: int = 40
    default_start_seconds: float = 1.0
    #: the status manager's syncBatch period (pkg/kubelet/status/status_manager.go,
    #: ``syncPeriod = 10 * time.Second``; not configurable upstream)
    status_sync_period: float = 10.0

    @property
    def lease_renew_interval(self) -> float:
        return 0.25 * self.node_lease_duration_seconds


@dataclass
class KubeletEnv:
    """What the cluster offers its kubelets."""

    power: Callable[[str], str]
    network: Callable[[str], str]
    logs: Logs
    issue_token: Callable[[str, str], str]
    #: (url, CA file) of the API server once it serves, else None
    endpoint: Callable[[], tuple[str, str] | None]
    run_in_thread: Callable[[Callable[[], None]], None] = field(
        default=lambda fn: threading.Thread(target=fn, daemon=True).start())
    call_soon: Callable[[Callable[[], None]], None] = field(default=lambda fn: fn())


@dataclass
class _Container:
    name: str
    restarts: int = 0
    state: str = "waiting"  # waiting, running, terminated
    started: str = ""
    exit_code: int = 0
    finished: str = ""
    reason: str = "ContainerCreating"
    ready: bool = False
    program_running: bool = False


@dataclass
class _Pod:
    namespace: str
    name: str
    uid: str
    ip: str
    containers: dict[str, _Container]
    timers: list[Timer] = field(default_factory=list)
    terminating: bool = False

    def cancel(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()


def _seconds(pod: dict[str, Any], key: str, default: float) -> float:
    raw = (pod["metadata"].get("annotations") or {}).get(key)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return max(0.0, value)


class Kubelet:
    """The agent of one node."""

    def __init__(self, runtime: Runtime, env: KubeletEnv, node: str,
                 settings: KubeletSettings) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.clock = runtime.clock
        self.env = env
        self.node = node
        self.settings = settings
        self.pods: dict[str, _Pod] = {}
        #: every stored pod bound to this node, uid to (namespace, name): what the kubelet
        #: looks at when it is back in touch (kept by :class:`Kubelets` from pod events;
        #: spec.nodeName never changes once set)
        self.bound: dict[str, tuple[str, str]] = {}
        assert _PODS is not None
        for stored in self.registry.items(_PODS, None):
            if (stored.obj.get("spec") or {}).get("nodeName") == node:
                self.bound[stored.meta["uid"]] = (stored.meta.get("namespace") or "",
                                                  stored.meta["name"])
        self._timers: list[Timer] = []
        self._next_ip = 2
        self._was_down = False
        self._boot()

    # -- state of the machine --------------------------------------------------

    @property
    def powered(self) -> bool:
        return self.env.power(self.node) == "on"

    @property
    def reachable(self) -> bool:
        """Whether the kubelet runs and can talk to the API server."""
        return self.powered and self.env.network(self.node) != "partitioned"

    def on_switch(self) -> None:
        """The node's power or network changed."""
        state = self.env.power(self.node)
        if state == "off":
            self._power_off()
            return
        if not self._timers:  # powered on again after being off
            self._boot()
            return
        if not self.reachable:
            self._was_down = True
        elif self._was_down:
            self._catch_up()

    def _power_off(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for pod in self.pods.values():
            pod.cancel()
            for container in pod.containers.values():
                container.state, container.reason, container.ready = "terminated", "Error", False
        self._was_down = True

    def _boot(self) -> None:
        if not self.powered:
            self._was_down = True
            return
        restarted = bool(self.pods)
        self._timers = [
            self.runtime.every(self.settings.lease_renew_interval, self._renew_lease, first=0),
            self.runtime.every(self.settings.node_status_report_frequency, self._post_status,
                               first=0),
            self.runtime.every(self.settings.status_sync_period, self._reconcile_statuses,
                               first=self.settings.status_sync_period),
        ]
        if restarted:
            for pod in self.pods.values():
                for container in pod.containers.values():
                    container.restarts += 1
                    container.state, container.reason = "waiting", "ContainerCreating"
                    container.ready = False
        self._was_down = True
        if self.reachable:
            self._catch_up()

    def _catch_up(self) -> None:
        """Back in touch with the API: heartbeat, Ready, and reconcile every pod."""
        self._was_down = False
        self._renew_lease()
        self._post_status()
        assert _PODS is not None
        for namespace, name in sorted(self.bound.values()):
            stored = self.registry.store.get(_PODS, namespace, name)
            if stored is not None and (stored.obj.get("spec") or {}).get("nodeName") == self.node:
                self.sync(stored.obj)
        for uid, tracked in list(self.pods.items()):
            current = self._stored(tracked)
            if current is None or current["metadata"]["uid"] != uid:
                self.pods.pop(uid).cancel()
        self._reconcile_statuses()

    def _reconcile_statuses(self) -> None:
        """The status manager's sync of every pod: a pod whose stored Ready condition is not
        what this kubelet knows is written again (needsReconcile). While a node is out of
        touch the node lifecycle controller marks its pods Ready=False (MarkPodsNotReady);
        back in touch, the kubelet puts its own view back."""
        if not self.reachable:
            return
        for tracked in list(self.pods.values()):
            if tracked.terminating:
                continue
            pod = self._stored(tracked)
            if pod is None or pod["metadata"]["uid"] != tracked.uid:
                continue
            phase = (pod.get("status") or {}).get("phase")
            if phase in ("Succeeded", "Failed"):
                continue
            known = "True" if tracked.containers and all(
                c.ready for c in tracked.containers.values()) else "False"
            stored = (objects.get_condition(pod, "Ready") or {}).get("status")
            if stored != known:
                self._write_pod(tracked)

    # -- heartbeats ------------------------------------------------------------

    def _renew_lease(self) -> None:
        if not self.reachable:
            return
        assert _LEASES is not None and _NODES is not None
        now = self.clock.micro_timestamp()
        lease = self.registry.store.get(_LEASES, "kube-node-lease", self.node)
        try:
            if lease is None:
                node = self.registry.store.get(_NODES, "", self.node)
                owner = [] if node is None else [{
                    "apiVersion": "v1", "kind": "Node", "name": self.node,
                    "uid": node.meta["uid"]}]
                self.registry.create(_LEASES, "kube-node-lease", {
                    "metadata": {"name": self.node, "ownerReferences": owner},
                    "spec": {"holderIdentity": self.node,
                             "leaseDurationSeconds": self.settings.node_lease_duration_seconds,
                             "renewTime": now}})
            else:
                new = lease.copy()
                new["spec"]["renewTime"] = now
                self.registry.update(_LEASES, "kube-node-lease", self.node, new)
        except errors.ApiError:
            log.debug("lease renewal of %s refused", self.node, exc_info=True)

    def _post_status(self) -> None:
        if not self.reachable:
            return
        assert _NODES is not None
        stored = self.registry.store.get(_NODES, "", self.node)
        if stored is None:
            return
        node = stored.copy()
        now = self.clock.timestamp()
        status = node.setdefault("status", {})
        wanted = {
            "MemoryPressure": ("False", "KubeletHasSufficientMemory",
                               "kubelet has sufficient memory available"),
            "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            "PIDPressure": ("False", "KubeletHasSufficientPID",
                            "kubelet has sufficient PID available"),
            "Ready": ("True", "KubeletReady", "kubelet is posting ready status"),
        }
        conditions = []
        for kind, (value, reason, message) in wanted.items():
            old = objects.get_condition(node, kind) or {}
            transition = old.get("lastTransitionTime") if old.get("status") == value else now
            conditions.append({"type": kind, "status": value, "lastHeartbeatTime": now,
                               "lastTransitionTime": transition or now, "reason": reason,
                               "message": message})
        status["conditions"] = conditions
        try:
            self.registry.update(_NODES, None, self.node, node, subresource="status")
        except errors.ApiError:
            log.debug("status of %s refused", self.node, exc_info=True)

    # -- pods ------------------------------------------------------------------

    def _stored(self, pod: _Pod) -> dict[str, Any] | None:
        assert _PODS is not None
        stored = self.registry.store.get(_PODS, pod.namespace, pod.name)
        return None if stored is None else stored.obj

    def on_pod_event(self, event: Event) -> None:
        uid = event.new.meta["uid"]
        if event.type == DELETED:
            gone = self.pods.pop(uid, None)
            if gone is not None:
                gone.cancel()
                self.env.logs.forget(gone.namespace, gone.name)
            return
        if not self.reachable:
            return  # seen when the kubelet is back in touch
        self.sync(event.new.obj)

    def sync(self, pod: dict[str, Any]) -> None:
        """Bring one pod bound to this node forward (the kubelet's syncPod)."""
        meta = pod["metadata"]
        uid = meta["uid"]
        phase = (pod.get("status") or {}).get("phase")
        known = self.pods.get(uid)
        if meta.get("deletionTimestamp"):
            self._terminate(pod, known)
            return
        if known is None:
            if phase in ("Succeeded", "Failed"):
                return
            if not self._admit(pod):
                return
            known = self._track(pod)
            self._start(pod, known)
        elif any(c.state == "waiting" and c.reason == "ContainerCreating" and not known.timers
                 for c in known.containers.values()):
            self._start(pod, known)  # restarted node

    def _track(self, pod: dict[str, Any]) -> _Pod:
        spec = pod.get("spec") or {}
        ip = self._allocate_ip(spec.get("hostNetwork", False))
        tracked = _Pod(pod["metadata"].get("namespace", ""), pod["metadata"]["name"],
                       pod["metadata"]["uid"], ip,
                       {c["name"]: _Container(c["name"]) for c in spec.get("containers") or []})
        self.pods[tracked.uid] = tracked
        return tracked

    def _node(self) -> dict[str, Any]:
        assert _NODES is not None
        stored = self.registry.store.get(_NODES, "", self.node)
        return stored.obj if stored is not None else {}

    def _allocate_ip(self, host_network: bool) -> str:
        node = self._node()
        if host_network:
            for address in (node.get("status") or {}).get("addresses") or []:
                if address.get("type") == "InternalIP":
                    return str(address.get("address", ""))
        network = _network((node.get("spec") or {}).get("podCIDR") or "10.244.0.0/24")
        ip = str(network[self._next_ip % (network.num_addresses - 2) + 1])
        self._next_ip += 1
        return ip

    def _admit(self, pod: dict[str, Any]) -> bool:
        """pkg/kubelet/lifecycle/predicate.go: a pod the node cannot take fails at once."""
        node = self._node()
        tolerations = (pod.get("spec") or {}).get("tolerations") or []
        taints = (node.get("spec") or {}).get("taints") or []
        if objects.find_untolerated_taint(taints, tolerations, ("NoExecute",)) is not None:
            self._reject(pod, "TaintToleration",
                         "Predicate TaintToleration failed: node(s) had taints that the pod "
                         "didn't tolerate")
            return False
        return True

    def _reject(self, pod: dict[str, Any], reason: str, message: str) -> None:
        def change(status: dict[str, Any]) -> None:
            status.update({"phase": "Failed", "reason": reason, "message": message,
                           "startTime": status.get("startTime") or self.clock.timestamp()})
        self._write_status(pod["metadata"].get("namespace", ""), pod["metadata"]["name"],
                           pod["metadata"]["uid"], change)

    def _start(self, pod: dict[str, Any], tracked: _Pod) -> None:
        namespace = tracked.namespace
        default = 0.0 if namespace in _INSTANT_NAMESPACES else self.settings.default_start_seconds
        start = _seconds(pod, START, default)
        ready = _seconds(pod, READY, 0.0)
        self._write_pod(tracked, initial=True)
        tracked.timers.append(self.runtime.after(start, lambda: self._run(tracked, ready)))

    def _run(self, tracked: _Pod, ready_after: float) -> None:
        if not self.reachable and not self.powered:
            return
        pod = self._stored(tracked)
        if pod is None or pod["metadata"]["uid"] != tracked.uid:
            return
        now = self.clock.timestamp()
        spec = pod.get("spec") or {}
        policy = spec.get("restartPolicy", "Always")
        # Without a ready delay the containers are ready as they start, in the same status
        # write: the kubelet's prober reports a container with no readiness probe ready at
        # once, so upstream's pod goes from Pending to Running and Ready in one update.
        ready_now = ready_after == 0 and self.reachable
        for container in tracked.containers.values():
            container.state, container.reason, container.started = "running", "", now
            container.ready = ready_now
            self.env.logs.write(tracked.namespace, tracked.name, container.name,
                                f"chaoszone: container {container.name} started")
        self._write_pod(tracked)
        if not ready_now:
            tracked.timers.append(self.runtime.after(ready_after, lambda: self._ready(tracked)))
        for spec_container in spec.get("containers") or []:
            found = tracked.containers.get(spec_container["name"])
            if found is None:
                continue
            command = list(spec_container.get("command") or [])
            if command and command[0].startswith(programs.PREFIX):
                self._launch_program(pod, tracked, found, command, spec_container)
                continue
            has_run = (pod["metadata"].get("annotations") or {}).get(RUN) is not None
            if policy == "Always" and not has_run:
                continue  # a server: runs until stopped
            run = _seconds(pod, RUN, 1.0)
            code = int(_seconds(pod, EXIT, 0.0))
            tracked.timers.append(self.runtime.after(run, self._exiter(tracked, found, code)))

    def _exiter(self, tracked: _Pod, container: _Container, code: int) -> Callable[[], None]:
        return lambda: self._exit(tracked, container, code)

    def _ready(self, tracked: _Pod) -> None:
        if not self.reachable:
            return
        for container in tracked.containers.values():
            if container.state == "running":
                container.ready = True
        self._write_pod(tracked)

    def _exit(self, tracked: _Pod, container: _Container, code: int) -> None:
        if tracked.uid not in self.pods or container.state != "running":
            return
        container.state, container.exit_code = "terminated", code
        container.reason = "Completed" if code == 0 else "Error"
        container.finished, container.ready = self.clock.timestamp(), False
        pod = self._stored(tracked)
        if pod is None:
            return
        policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
        if policy == "Always" or (policy == "OnFailure" and code != 0):
            delay = _RESTART_BACKOFF * (2 ** min(container.restarts, 5))
            tracked.timers.append(self.runtime.after(
                min(delay, 300.0), lambda: self._restart(tracked, container)))
        self._write_pod(tracked)

    def _restart(self, tracked: _Pod, container: _Container) -> None:
        if tracked.uid not in self.pods:
            return
        container.restarts += 1
        container.state, container.reason, container.started = "running", "", \
            self.clock.timestamp()
        pod = self._stored(tracked)
        self._write_pod(tracked)
        if pod is not None:
            self._ready(tracked)

    def _launch_program(self, pod: dict[str, Any], tracked: _Pod, container: _Container,
                        command: list[str], spec_container: dict[str, Any]) -> None:
        name = command[0][len(programs.PREFIX):]
        program = programs.get(name)
        args = command[1:] + list(spec_container.get("args") or [])
        namespace, pod_name = tracked.namespace, tracked.name
        logs = self.env.logs

        def write_log(line: str) -> None:
            self.env.call_soon(lambda: logs.write(namespace, pod_name, container.name, line))

        if program is None:
            write_log(f"chaoszone: no program named {name!r} is registered")
            self._exit(tracked, container, 127)
            return
        endpoint = self.env.endpoint()
        account = (pod.get("spec") or {}).get("serviceAccountName") or "default"
        try:
            token = self.env.issue_token(namespace, account)
        except errors.ApiError as exc:
            write_log(f"chaoszone: no credentials for {account}: {exc}")
            self._exit(tracked, container, 1)
            return
        container.program_running = True
        snapshot = dict(pod)

        def run() -> None:
            code = 1
            api = None
            try:
                api = _client(endpoint, token)
                result = program(programs.Context(snapshot, container.name, args, api, write_log))
                code = 0 if result is None else int(result)
            except Exception:
                write_log(traceback.format_exc())
            finally:
                if api is not None:
                    api.close()
            self.env.call_soon(lambda: self._exit(tracked, container, code))

        self.env.run_in_thread(run)

    def _terminate(self, pod: dict[str, Any], tracked: _Pod | None) -> None:
        if tracked is not None and tracked.terminating:
            return
        grace = float(pod["metadata"].get("deletionGracePeriodSeconds") or 0)
        stop = min(_seconds(pod, STOP, 0.0), grace)
        if tracked is not None:
            tracked.cancel()
            tracked.terminating = True
        meta = pod["metadata"]
        namespace, name, uid = meta.get("namespace", ""), meta["name"], meta["uid"]
        timer = self.runtime.after(stop, lambda: self._finish_delete(namespace, name, uid))
        if tracked is not None:
            tracked.timers.append(timer)

    def _finish_delete(self, namespace: str, name: str, uid: str) -> None:
        if not self.reachable:
            tracked = self.pods.get(uid)
            if tracked is not None:
                tracked.terminating = False  # try again once back in touch
            return
        assert _PODS is not None
        stored = self.registry.store.get(_PODS, namespace, name)
        if stored is None or stored.meta["uid"] != uid:
            return
        try:
            self.registry.delete(_PODS, namespace, name,
                                 DeleteOptions(grace_period_seconds=0, precondition_uid=uid))
        except errors.ApiError:
            log.debug("final delete of %s/%s refused", namespace, name, exc_info=True)

    # -- status ------------------------------------------------------------------

    def _write_pod(self, tracked: _Pod, initial: bool = False) -> None:
        if not self.reachable:
            return
        now = self.clock.timestamp()
        node = self._node()
        host_ip = next((a.get("address") for a in (node.get("status") or {}).get("addresses")
                        or [] if a.get("type") == "InternalIP"), "")

        def change(status: dict[str, Any]) -> None:
            pod = self._stored(tracked) or {}
            images = {c["name"]: c.get("image", "") for c in
                      (pod.get("spec") or {}).get("containers") or []}
            statuses = []
            for container in tracked.containers.values():
                state: dict[str, Any]
                if container.state == "running":
                    state = {"running": {"startedAt": container.started}}
                elif container.state == "terminated":
                    state = {"terminated": {"exitCode": container.exit_code,
                                            "reason": container.reason,
                                            "startedAt": container.started or None,
                                            "finishedAt": container.finished or now}}
                else:
                    state = {"waiting": {"reason": container.reason}}
                image = images.get(container.name, "")
                entry: dict[str, Any] = {
                    "name": container.name, "image": image,
                    "imageID": f"docker.io/library/{image}@sha256:{'0' * 64}"
                    if container.state != "waiting" else "",
                    "ready": container.ready, "restartCount": container.restarts,
                    "started": container.state == "running", "state": state,
                }
                if container.state != "waiting":
                    entry["containerID"] = f"containerd://{tracked.uid.replace('-', '')}" \
                                           f"{container.restarts:04d}"
                statuses.append(entry)
            running = [c for c in tracked.containers.values() if c.state == "running"]
            done = [c for c in tracked.containers.values() if c.state == "terminated"]
            policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
            all_ready = bool(tracked.containers) and all(
                c.ready for c in tracked.containers.values())
            phase = "Pending"
            if len(done) == len(tracked.containers) and tracked.containers and (
                    policy == "Never" or (policy == "OnFailure" and all(
                        c.exit_code == 0 for c in done))):
                phase = "Succeeded" if all(c.exit_code == 0 for c in done) else "Failed"
            elif running or done:
                phase = "Running"
            status["phase"] = phase
            status["hostIP"] = host_ip
            status["hostIPs"] = [{"ip": host_ip}] if host_ip else []
            status["podIP"] = tracked.ip
            status["podIPs"] = [{"ip": tracked.ip}]
            status["startTime"] = status.get("startTime") or now
            status["containerStatuses"] = statuses
            ready = "True" if all_ready and phase == "Running" else "False"
            started = "True" if running or done else "False"
            for kind, value in (("PodReadyToStartContainers", started), ("Initialized", "True"),
                                ("Ready", ready), ("ContainersReady", ready)):
                cond = {"type": kind, "status": value, "lastProbeTime": None}
                if value == "False" and kind in ("Ready", "ContainersReady"):
                    not_ready = [c.name for c in tracked.containers.values() if not c.ready]
                    cond["reason"] = ("PodCompleted" if phase in ("Succeeded", "Failed")
                                      else "ContainersNotReady")
                    if cond["reason"] == "ContainersNotReady":
                        cond["message"] = f"containers with unready status: [{' '.join(not_ready)}]"
                objects.update_pod_condition(status, cond, now)

        self._write_status(tracked.namespace, tracked.name, tracked.uid, change)

    def _write_status(self, namespace: str, name: str, uid: str,
                      change: Callable[[dict[str, Any]], None]) -> None:
        assert _PODS is not None
        stored = self.registry.store.get(_PODS, namespace, name)
        if stored is None or stored.meta["uid"] != uid:
            return
        # A status write keeps everything of the stored pod but its status (and checks
        # resourceVersion and uid), so only the status is sent. The changes set top-level
        # fields and replace conditions in their list, so the status and that list are
        # copied; what is nested in them is shared with the stored version, which nothing
        # changes in place.
        status = dict(stored.obj.get("status") or {})
        if isinstance(status.get("conditions"), list):
            status["conditions"] = list(status["conditions"])
        change(status)
        pod = {"metadata": {"resourceVersion": stored.meta["resourceVersion"], "uid": uid},
               "status": status}
        try:
            self.registry.update(_PODS, namespace, name, pod, subresource="status")
        except errors.ApiError:
            log.debug("status of %s/%s refused", namespace, name, exc_info=True)


@functools.lru_cache(maxsize=4096)
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A node's pod network, parsed once."""
    return ipaddress.ip_network(cidr, strict=False)


def _client(endpoint: tuple[str, str] | None, token: str) -> Any:
    if endpoint is None:
        raise RuntimeError("the API server is not serving: programs need a running Simulator")
    return clients.bearer_client(*endpoint, token)


class Kubelets:
    """Every node's kubelet, and the routing of pod events to them."""

    def __init__(self, runtime: Runtime, env: KubeletEnv,
                 settings: KubeletSettings | None = None) -> None:
        self.runtime = runtime
        self.env = env
        self.settings = settings or KubeletSettings()
        self.by_node: dict[str, Kubelet] = {}
        runtime.listen(self._on_event)

    def start(self, node: str) -> Kubelet:
        """Start the kubelet of ``node`` (its Node object should exist)."""
        kubelet = self.by_node.get(node)
        if kubelet is None:
            kubelet = self.by_node[node] = Kubelet(self.runtime, self.env, node, self.settings)
        return kubelet

    def on_switch(self, node: str) -> None:
        kubelet = self.by_node.get(node)
        if kubelet is not None:
            kubelet.on_switch()

    def _on_event(self, event: Event) -> None:
        if event.resource is not _PODS:
            return
        node = (event.new.obj.get("spec") or {}).get("nodeName")
        kubelet = self.by_node.get(node) if node else None
        if kubelet is None:
            return
        meta = event.new.meta
        if event.type == DELETED:
            kubelet.bound.pop(meta["uid"], None)
        else:
            kubelet.bound[meta["uid"]] = (meta.get("namespace") or "", meta["name"])
        self.runtime.queue_call(lambda: kubelet.on_pod_event(event))
