"""Helpers for the kubectl suite: objects a kubelet or controller would have written
(nodes with a full status, running pods, leases, events), a reader for the output of
long-running kubectl processes (``get -w``, ``wait``, ``drain``), and runners for the
versioned kubectl binaries that sit beside the dispatcher.

There is no scheduler, no kubelet and no workload controller in the simulator: what
they would write, the tests write through ``sim.call`` with the registry's rules.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaoszone.sim.cluster import Cluster
    from chaoszone.sim.server import Simulator
    from tests.conftest import Kubectl

#: how long any single wait on a kubectl process may take before the test fails
DEADLINE = 20.0
IMAGE = "registry.k8s.io/nginx:1.27"
UNSCHEDULED = "chaoszone-tests-no-scheduler"

PATHS = {
    "nodes": ("", "v1", "nodes"),
    "pods": ("", "v1", "pods"),
    "events": ("", "v1", "events"),
    "namespaces": ("", "v1", "namespaces"),
    "configmaps": ("", "v1", "configmaps"),
    "secrets": ("", "v1", "secrets"),
    "serviceaccounts": ("", "v1", "serviceaccounts"),
    "services": ("", "v1", "services"),
    "leases": ("coordination.k8s.io", "v1", "leases"),
    "deployments": ("apps", "v1", "deployments"),
    "replicasets": ("apps", "v1", "replicasets"),
    "statefulsets": ("apps", "v1", "statefulsets"),
    "daemonsets": ("apps", "v1", "daemonsets"),
    "jobs": ("batch", "v1", "jobs"),
    "poddisruptionbudgets": ("policy", "v1", "poddisruptionbudgets"),
}


def rt(plural: str) -> Any:
    from chaoszone.sim.resources import by_path

    found = by_path(*PATHS[plural])
    assert found is not None, plural
    return found


# -- objects --------------------------------------------------------------------------


def node_status(name: str, now: str, *, ready: bool = True) -> dict[str, Any]:
    """What a kubelet reports: conditions, addresses, capacity and all ten nodeInfo fields."""
    conditions = [
        {"type": t, "status": "False", "reason": reason, "message": message,
         "lastHeartbeatTime": now, "lastTransitionTime": now}
        for t, reason, message in (
            ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory"),
            ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"))]
    conditions.append({
        "type": "Ready", "status": "True" if ready else "False",
        "reason": "KubeletReady" if ready else "KubeletNotReady",
        "message": "kubelet is posting ready status" if ready else "container runtime down",
        "lastHeartbeatTime": now, "lastTransitionTime": now})
    resources = {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    return {
        "conditions": conditions,
        "addresses": [{"type": "InternalIP", "address": "10.0.0.11"},
                      {"type": "Hostname", "address": name}],
        "capacity": dict(resources),
        "allocatable": dict(resources),
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "architecture": "amd64", "bootID": f"boot-{name}",
            "containerRuntimeVersion": "containerd://1.7.24", "kernelVersion": "6.1.0-28-amd64",
            "kubeProxyVersion": "v1.32.0", "kubeletVersion": "v1.32.0",
            "machineID": f"machine-{name}", "operatingSystem": "linux",
            "osImage": "Debian GNU/Linux 12 (bookworm)", "systemUUID": f"uuid-{name}"},
    }


def running_status(containers: list[str], now: str, node_ip: str = "10.0.0.11",
                   pod_ip: str = "10.244.1.5") -> dict[str, Any]:
    """What a kubelet writes once every container of a pod has started and is ready."""
    return {
        "phase": "Running",
        "conditions": [{"type": t, "status": "True", "lastProbeTime": None,
                        "lastTransitionTime": now}
                       for t in ("PodReadyToStartContainers", "Initialized", "Ready",
                                 "ContainersReady", "PodScheduled")],
        "hostIP": node_ip, "hostIPs": [{"ip": node_ip}],
        "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
        "startTime": now,
        "qosClass": "BestEffort",
        "containerStatuses": [
            {"name": c, "image": IMAGE, "imageID": f"{IMAGE}@sha256:{'ab' * 32}",
             "containerID": f"containerd://{c}{'0' * 20}", "ready": True, "started": True,
             "restartCount": 0, "state": {"running": {"startedAt": now}}}
            for c in containers],
    }


def owner(kind: str, obj: dict[str, Any], *, block: bool = True) -> dict[str, Any]:
    return {"apiVersion": obj["apiVersion"], "kind": kind, "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": block}


def pod_template(labels: dict[str, str], containers: tuple[str, ...] = ("app",)
                 ) -> dict[str, Any]:
    """A pod template whose pods no scheduler serves: they stay Pending, wherever the
    session's other tests put their nodes, until a test binds or starts them."""
    return {"metadata": {"labels": dict(labels)},
            "spec": {"containers": [{"name": c, "image": IMAGE} for c in containers],
                     "schedulerName": UNSCHEDULED}}


@dataclass
class Objects:
    """Writes objects into the session simulator as the missing kubelet and controllers
    would, inside one test's namespace; nodes it made are deleted afterwards."""

    sim: Simulator
    namespace: str
    nodes: list[str] = field(default_factory=list)

    def call(self, fn: Callable[[Cluster], Any]) -> Any:
        return self.sim.call(fn)

    # reads

    def get(self, plural: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        ns = "" if not rt(plural).namespaced else (namespace or self.namespace)

        def read(cluster: Cluster) -> dict[str, Any] | None:
            stored = cluster.store.get(rt(plural), ns, name)
            return None if stored is None else stored.copy()

        result: dict[str, Any] | None = self.call(read)
        return result

    def names(self, plural: str, namespace: str | None = None) -> list[str]:
        ns = namespace or self.namespace
        return self.call(lambda c: sorted(s.name for s in c.store.items(rt(plural), ns)))

    # writes

    def create(self, plural: str, obj: dict[str, Any], namespace: str | None = None
               ) -> dict[str, Any]:
        ns = None if not rt(plural).namespaced else (namespace or self.namespace)

        def write(cluster: Cluster) -> dict[str, Any]:
            stored = cluster.registry.create(rt(plural), ns, obj)
            cluster.settle()
            return stored.copy()

        result: dict[str, Any] = self.call(write)
        return result

    def set_status(self, plural: str, name: str, status: dict[str, Any] | Callable[
            [dict[str, Any]], dict[str, Any]], namespace: str | None = None) -> dict[str, Any]:
        """Write ``status`` (or ``status(obj)``) through the status subresource."""
        ns = "" if not rt(plural).namespaced else (namespace or self.namespace)

        def write(cluster: Cluster) -> dict[str, Any]:
            current = cluster.registry.get(rt(plural), ns, name).copy()
            current["status"] = status(current) if callable(status) else status
            stored, _ = cluster.registry.update(rt(plural), ns, name, current,
                                                subresource="status")
            return stored.copy()

        result: dict[str, Any] = self.call(write)
        return result

    def node(self, suffix: str, *, zone: str = "zone-a", labels: dict[str, str] | None = None,
             ready: bool = True, lease: bool = True) -> str:
        """A node named after the test's namespace, with a kubelet's status and Lease."""
        name = f"{self.namespace}-{suffix}"
        self.nodes.append(name)
        node_labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                       "topology.kubernetes.io/zone": zone, **(labels or {})}
        created = self.create("nodes", {"metadata": {"name": name, "labels": node_labels}})

        def report(cluster: Cluster) -> None:
            now = cluster.clock.timestamp()
            new = cluster.registry.get(rt("nodes"), "", name).copy()
            new["status"] = node_status(name, now, ready=ready)
            cluster.registry.update(rt("nodes"), None, name, new, subresource="status")
            if lease:
                cluster.registry.create(rt("leases"), "kube-node-lease", {
                    "metadata": {"name": name, "ownerReferences": [
                        {"apiVersion": "v1", "kind": "Node", "name": name,
                         "uid": created["metadata"]["uid"]}]},
                    "spec": {"holderIdentity": name, "leaseDurationSeconds": 40,
                             "renewTime": cluster.clock.micro_timestamp()}})

        self.call(report)
        return name

    def pod(self, name: str, *, node: str | None = None, labels: dict[str, str] | None = None,
            containers: tuple[str, ...] = ("app",), running: bool = True,
            grace: int | None = None, owners: list[dict[str, Any]] | None = None
            ) -> dict[str, Any]:
        """A pod, bound to ``node`` when given (else left Pending for good), and Running
        and Ready when ``running`` (as its kubelet would report it)."""
        spec: dict[str, Any] = pod_template({}, containers)["spec"]
        if node:
            del spec["schedulerName"]
            spec["nodeName"] = node
        if grace is not None:
            spec["terminationGracePeriodSeconds"] = grace
        meta: dict[str, Any] = {"name": name, "labels": labels or {}}
        if owners:
            meta["ownerReferences"] = owners
        pod = self.create("pods", {"metadata": meta, "spec": spec})
        if running:
            assert node, "only a pod on a node can run"
            pod = self.set_status("pods", name, lambda p: running_status(
                list(containers), p["metadata"]["creationTimestamp"]))
        return pod

    def event(self, involved: dict[str, Any], reason: str, message: str, *,
              kind: str, source: str = "default-scheduler", type_: str = "Normal",
              namespace: str | None = None) -> dict[str, Any]:
        """A core/v1 Event about ``involved``, as a component's event recorder writes it."""
        meta = involved["metadata"]
        ns = namespace or meta.get("namespace") or "default"

        def write(cluster: Cluster) -> dict[str, Any]:
            now = cluster.clock.timestamp()
            return cluster.registry.create(rt("events"), ns, {
                "metadata": {"name": f"{meta['name']}.{reason.lower()}"},
                "involvedObject": {"kind": kind, "apiVersion": involved["apiVersion"],
                                   "name": meta["name"], "namespace": meta.get("namespace", ""),
                                   "uid": meta["uid"] if kind != "Node" else meta["name"]},
                "reason": reason, "message": message, "type": type_,
                "source": {"component": source}, "count": 1,
                "firstTimestamp": now, "lastTimestamp": now,
                "reportingComponent": source, "reportingInstance": ""}).copy()

        result: dict[str, Any] = self.call(write)
        return result

    def log(self, pod: str, container: str, *lines: str) -> None:
        def write(cluster: Cluster) -> None:
            for line in lines:
                cluster.logs.write(self.namespace, pod, container, line)

        self.call(write)

    def cleanup(self) -> None:
        """Force-delete the namespace's pods (no kubelet will finish a graceful delete,
        and the namespace could never go) and the nodes and leases this test made."""
        from chaoszone.sim.registry import DeleteOptions

        def remove(cluster: Cluster) -> None:
            now = DeleteOptions(grace_period_seconds=0)
            for stored in list(cluster.store.items(rt("pods"), self.namespace)):
                with contextlib.suppress(Exception):
                    cluster.registry.delete(rt("pods"), self.namespace, stored.name, now)
            for name in self.nodes:
                with contextlib.suppress(Exception):
                    cluster.registry.delete(rt("leases"), "kube-node-lease", name,
                                            DeleteOptions())
                with contextlib.suppress(Exception):
                    cluster.registry.delete(rt("nodes"), None, name, DeleteOptions())

        self.call(remove)



# -- long-running kubectl processes ---------------------------------------------------


class Stream:
    """The stdout and stderr lines of a running kubectl, read on threads so that a test
    can wait for a line with a deadline instead of sleeping."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.out: list[str] = []
        self.err: list[str] = []
        self._events: queue.Queue[tuple[str, str | None]] = queue.Queue()
        self._threads = [threading.Thread(target=self._pump, args=(name, pipe), daemon=True)
                         for name, pipe in (("out", proc.stdout), ("err", proc.stderr))]
        for thread in self._threads:
            thread.start()
        self._open = {"out", "err"}

    def _pump(self, name: str, pipe: Any) -> None:
        for line in iter(pipe.readline, ""):
            self._events.put((name, line.rstrip("\n")))
        self._events.put((name, None))

    def _next(self, deadline: float) -> bool:
        """Take one line; False once both pipes are closed."""
        if not self._open:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        try:
            name, line = self._events.get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError from None
        if line is None:
            self._open.discard(name)
        else:
            (self.out if name == "out" else self.err).append(line)
        return True

    def wait_for(self, predicate: Callable[[str], bool], *, stderr: bool = False,
                 timeout: float = DEADLINE) -> str:
        """The first line (old or new) of stdout (or stderr) for which ``predicate`` holds."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            lines = self.err if stderr else self.out
            for line in lines[seen:]:
                if predicate(line):
                    return line
            seen = len(lines)
            try:
                more = self._next(deadline)
            except TimeoutError:
                raise AssertionError(self._report("no matching line within "
                                                  f"{timeout:.0f}s")) from None
            if not more:
                raise AssertionError(self._report("kubectl ended without a matching line"))

    def wait_for_text(self, text: str, *, stderr: bool = False,
                      timeout: float = DEADLINE) -> str:
        return self.wait_for(lambda line: text in line, stderr=stderr, timeout=timeout)

    def finish(self, timeout: float = DEADLINE) -> int:
        """Wait for kubectl to exit and every line to be read; its exit code."""
        deadline = time.monotonic() + timeout
        try:
            while self._next(deadline):
                pass
            return self.proc.wait(max(0.1, deadline - time.monotonic()))
        except (TimeoutError, subprocess.TimeoutExpired):
            raise AssertionError(self._report(f"kubectl still running after {timeout:.0f}s")
                                 ) from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def _report(self, what: str) -> str:
        return (f"{what}: kubectl {' '.join(map(str, self.proc.args))}\nstdout:\n"
                + "\n".join(self.out) + "\nstderr:\n" + "\n".join(self.err))


@contextlib.contextmanager
def streaming(kubectl: Kubectl | VersionedKubectl, *args: str) -> Iterator[Stream]:
    """Run ``kubectl args`` in the background for the ``with`` block; killed at its end."""
    stream = Stream(kubectl.popen(*args))
    try:
        yield stream
    finally:
        stream.stop()


def daemon_pod(kubectl: Kubectl | VersionedKubectl, objects: Objects, node: str) -> str:
    """The pod the DaemonSet controller makes for ``node`` (seen through a watch), bound
    and started by the test as the scheduler and the kubelet would."""
    with streaming(kubectl, "get", "pods", "-n", objects.namespace, "-l", "app=agent",
                   "-o", "name", "-w") as pods:
        name = pods.wait_for(lambda line: line.startswith("pod/agent-")).removeprefix("pod/")
    start_on(objects, name, node)
    return name


def start_on(objects: Objects, name: str, node: str) -> None:
    """Bind pod ``name`` to ``node`` and mark it running, as the scheduler and the kubelet
    would."""
    objects.call(lambda cluster: cluster.registry.bind(
        objects.namespace, name, {"target": {"name": node}}))
    objects.set_status("pods", name, lambda p: running_status(
        ["app"], p["metadata"]["creationTimestamp"]))


def replica_on(objects: Objects, replicaset: str, labels: dict[str, str], node: str) -> str:
    """A one-replica ReplicaSet (pods stop at once), and its pod started on ``node``."""
    template = pod_template(labels)
    template["spec"]["terminationGracePeriodSeconds"] = 0
    objects.create("replicasets", {"metadata": {"name": replicaset}, "spec": {
        "replicas": 1, "selector": {"matchLabels": labels}, "template": template}})
    [name] = objects.names("pods")
    start_on(objects, name, node)
    return name


def is_watch_request(line: str) -> bool:
    """Whether a ``-v=6`` log line reports the response to a watch request: from then on
    kubectl hears every change."""
    return "watch=true" in line and " 200 OK " in line


# -- versioned binaries ---------------------------------------------------------------

VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33")


def versioned_binary(version: str) -> str | None:
    found = shutil.which("kubectl")
    if found is None:
        return None
    path = Path(os.path.realpath(found)).parent / f"kubectl.{version}"
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


@dataclass
class VersionedKubectl:
    """One real ``kubectl.1.NN`` run directly (without the dispatcher), with a discovery
    cache of its own: 1.29 reads aggregated discovery v2beta1 only."""

    binary: str
    sim: Simulator
    home: str
    cache_dir: str

    def run(self, *args: str, check: bool = True, input: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": self.home,
               "KUBECONFIG": self.sim.kubeconfig}
        proc = subprocess.run([self.binary, "--cache-dir", self.cache_dir, *args],
                              capture_output=True, text=True, env=env, input=input,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{Path(self.binary).name} {' '.join(args)} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def popen(self, *args: str) -> subprocess.Popen[str]:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": self.home,
               "KUBECONFIG": self.sim.kubeconfig}
        return subprocess.Popen([self.binary, "--cache-dir", self.cache_dir, *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)

