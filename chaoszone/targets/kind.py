"""The ``kind`` target: a real multi-node kind cluster, its zones faked with node labels.

    target = KindTarget.start("kind-configs/three-zones-fast.yaml",
                              cluster="cz-three-zones-fast-main", run_dir="runs/x")
    ...
    target.close()          # deletes the cluster (unless kept, or reused)

:meth:`KindTarget.start` finds ``kind`` and ``docker`` on PATH and checks that the Docker
daemon answers, then creates the cluster from the kind config on stdin with a kubeconfig
file of its own in the run directory (``kind create cluster --name N --config -
--kubeconfig FILE``; never ``~/.kube/config``, whose lock parallel clusters fight over,
kind #1425), and waits itself for every node and kube-system's pods to be Ready (``--wait``
watches control planes only and exits 0 on timeout, kind #2654). With ``reuse`` an
existing cluster of that name is taken instead (``kind export kubeconfig``), once its
nodes are shown to be the ones the kind config makes.

Faults are docker operations on the node containers (a kind node *is* a container named
after it, ``pkg/cluster/internal/providers/common/namer.go``):

* power: ``docker stop`` (a shutdown: SIGRTMIN+3 to systemd, SIGKILL after 10 s),
  ``docker kill`` (power pulled), ``docker pause`` (a hang: the cgroup freezer), undone
  by ``docker start`` / ``docker unpause``;
* partition: ``iptables -I INPUT -s CP -j DROP`` and ``-I OUTPUT -d CP -j DROP`` inside
  the node for every control-plane node's address (and the HA load balancer's), and the
  same in ``FORWARD`` for its pods' traffic, undone with ``-D``. A missing rule on
  restore is fine, so restoring twice is harmless; a node that was stopped meanwhile
  lost the rules with its network namespace.

Cluster time is wall time here (time scale 1). :meth:`describe` names the cluster and
its kubeconfig, so ``chaoszone recover`` reaches it again (:meth:`attach`) after the
process that made it died; an attached cluster is never deleted by :meth:`close`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from kubernetes import client, config

from chaoszone import workloads
from chaoszone.errors import InvalidExperiment, TargetError
from chaoszone.kindconfig import Timers, validate_cluster_name
from chaoszone.kindconfig import load as load_kind_config
from chaoszone.targets import CONTAINERS, INFRASTRUCTURE, commands, readiness
from chaoszone.topology import ZONE_LABEL, Topology

__all__ = ["DOCKER_INSTALL", "KIND_INSTALL", "REPAIR_IMAGE", "KindTarget", "Tools", "find_tools"]

#: the repair Job's image on kind, built from chaoszone/images/repair/Dockerfile and loaded
#: into the cluster (``kind load docker-image``) the first time a repair Job is applied
REPAIR_IMAGE = workloads.REPAIR_IMAGE
KIND_INSTALL = ("install kind v0.31.0: `go install sigs.k8s.io/kind@v0.31.0`, or put the "
                "release binary on PATH (https://kind.sigs.k8s.io/dl/v0.31.0/kind-linux-amd64, "
                "see https://kind.sigs.k8s.io/docs/user/quick-start/#installation)")
DOCKER_INSTALL = "install Docker Engine: https://docs.docker.com/engine/install/"
#: the docker label kind puts on every container of a cluster
#: (``pkg/cluster/internal/providers/docker/constants.go``)
CLUSTER_LABEL = "io.x-k8s.kind.cluster"
#: how long ``kind create cluster`` may take (it pulls the node image the first time)
CREATE_WITHIN = 1200.0
#: wall seconds for every node, then kube-system's pods, to be Ready after creation
READY_WITHIN = 300.0
#: docker's container states (``docker inspect --format '{{.State.Status}}'``) by power state
POWER_OF_STATUS = {"running": "on", "restarting": "on", "paused": "paused", "created": "off",
                   "exited": "off", "dead": "off", "removing": "off"}
#: what iptables says when ``-D`` finds no such rule (iptables/iptables.c, xtables)
NO_RULE = ("does a matching rule exist", "Bad rule", "No chain/target/match by that name")

Progress = Callable[[str], None]


class Tools:
    """The ``kind`` and ``docker`` executables, and how to run them."""

    def __init__(self, kind: str, docker: str, runner: commands.Runner = commands.run) -> None:
        self.kind = kind
        self.docker = docker
        self.runner = runner

    def kind_cmd(self, *args: str, check: bool = True, **kwargs: Any) -> commands.Completed:
        return self._run([self.kind, *args], check, kwargs)

    def docker_cmd(self, *args: str, check: bool = True, **kwargs: Any) -> commands.Completed:
        return self._run([self.docker, *args], check, kwargs)

    def _run(self, argv: list[str], check: bool, kwargs: dict[str, Any]) -> commands.Completed:
        done = self.runner(argv, **kwargs)
        if check and not done.ok:
            raise TargetError(done.failure())
        return done


def find_tools(runner: commands.Runner = commands.run) -> Tools:
    """``kind`` and ``docker`` from PATH, with a Docker daemon that answers; else a
    :class:`TargetError` saying what to install or start."""
    kind, docker = shutil.which("kind"), shutil.which("docker")
    if kind is None:
        raise TargetError(f"the kind target needs the `kind` command, and it is not on PATH; "
                          f"{KIND_INSTALL}")
    if docker is None:
        raise TargetError(f"the kind target needs the `docker` command (kind nodes are Docker "
                          f"containers), and it is not on PATH; {DOCKER_INSTALL}")
    tools = Tools(kind, docker, runner)
    info = tools.docker_cmd("info", "--format", "{{.ServerVersion}}", check=False, timeout=60)
    if not info.ok or not info.stdout.strip():
        raise TargetError(
            f"the Docker daemon is not answering ({info.failure()}). Start it (`sudo "
            f"systemctl start docker`, or open Docker Desktop) and check that `docker info` "
            f"works for this user (the docker group, or DOCKER_HOST)")
    return tools


class KindTarget:
    """A kind cluster: created (or reused) by :meth:`start`, or reached by :meth:`attach`."""

    name = "kind"
    #: power and network switches, and containers that really run
    capabilities: frozenset[str] = INFRASTRUCTURE | {CONTAINERS}
    #: wall seconds a node container takes from ``docker start`` to a kubelet that posts
    #: Ready (the entrypoint's IP fix-up, systemd, containerd, the kubelet, the CNI);
    #: the cluster handle adds it to the restore budget of power faults
    boot_seconds = 60.0

    def __init__(self, *, cluster: str, kind_config: str, kubeconfig: str, tools: Tools,
                 api: client.ApiClient, delete_on_close: bool = False) -> None:
        loaded = load_kind_config(kind_config)
        self.cluster = cluster
        self.topology: Topology = Topology.from_kind_config(loaded, name=cluster)
        self.timers: Timers = loaded.timers
        self.kind_config = str(kind_config)
        self.kubeconfig = str(kubeconfig)
        self.tools = tools
        #: True when :meth:`close` deletes the cluster (this process made it, not kept)
        self.delete_on_close = delete_on_close
        #: where :meth:`close` exports the cluster's logs first (set when a test failed)
        self.logs_dir: Path | None = None
        self._api = api
        self._loaded_images: set[str] = set()

    # -- making and finding clusters -----------------------------------------------------------

    @classmethod
    def start(cls, kind_config: str | os.PathLike[str], *, cluster: str,
              run_dir: str | os.PathLike[str], reuse: bool = False, keep: bool = False,
              ready_within: float = READY_WITHIN, progress: Progress = print,
              runner: commands.Runner = commands.run) -> KindTarget:
        """Create kind cluster ``cluster`` from ``kind_config`` and wait until it is Ready;
        with ``reuse``, take an existing one of that name instead. The kubeconfig goes
        to ``run_dir``. :meth:`close` deletes a cluster this call created unless ``keep``."""
        config_path = Path(kind_config).resolve()
        validate_cluster_name(cluster, "kind cluster name")
        expected = Topology.from_kind_config(load_kind_config(config_path), name=cluster)
        tools = find_tools(runner)
        run = Path(run_dir)
        run.mkdir(parents=True, exist_ok=True)
        kubeconfig = (run / f"kubeconfig-{cluster}").resolve()
        if cluster in _clusters(tools):
            if not reuse:
                raise TargetError(
                    f"a kind cluster named {cluster} already exists (an earlier run kept it, "
                    f"or another run uses it). Reuse it with --chaoszone-reuse, or delete it: "
                    f"`kind delete cluster --name {cluster}`")
            progress(f"reusing kind cluster {cluster}")
            tools.kind_cmd("export", "kubeconfig", "--name", cluster, "--kubeconfig",
                           str(kubeconfig))
            _check_nodes(tools, cluster, expected, config_path)
            target = cls(cluster=cluster, kind_config=str(config_path),
                         kubeconfig=str(kubeconfig), tools=tools,
                         api=_api_client(kubeconfig, cluster))
            try:
                target._check_zones(expected)
                target.wait_ready(within=ready_within, progress=progress)
            except BaseException:
                target.close()  # the client only: a reused cluster is never deleted
                raise
            return target
        progress(f"creating kind cluster {cluster} from {config_path} "
                 f"({len(expected.nodes)} nodes); this takes minutes")
        created = tools.kind_cmd(
            "create", "cluster", "--name", cluster, "--config", "-", "--kubeconfig",
            str(kubeconfig), *(["--retain"] if keep else []), check=False,
            input=config_path.read_text(), timeout=CREATE_WITHIN, cwd=str(config_path.parent),
            on_line=lambda line: progress(f"kind: {line.strip()}"))
        if not created.ok:
            kept = (f"; its nodes were kept (--retain): see `kind export logs --name "
                    f"{cluster}`, then `kind delete cluster --name {cluster}`") if keep else ""
            raise TargetError(f"kind could not create cluster {cluster} from {config_path}: "
                              f"{created.failure()}{kept}")
        target = cls(cluster=cluster, kind_config=str(config_path), kubeconfig=str(kubeconfig),
                     tools=tools, api=_api_client(kubeconfig, cluster),
                     delete_on_close=not keep)
        try:
            target.wait_ready(within=ready_within, progress=progress)
        except TargetError as exc:
            target.logs_dir = run / f"kind-logs-{cluster}"
            target.close()
            raise TargetError(f"{exc}\nThe cluster's logs (kind export logs): "
                              f"{target.logs_dir}") from exc
        except BaseException:
            target.close()
            raise
        progress(f"kind cluster {cluster} is Ready (kubeconfig: {kubeconfig})")
        return target

    @classmethod
    def attach(cls, description: Mapping[str, Any],
               runner: commands.Runner = commands.run) -> KindTarget:
        """The kind cluster a journal header (:meth:`describe`) names, reached again."""
        cluster, kubeconfig = description.get("cluster"), description.get("kubeconfig")
        kind_config = description.get("kind_config")
        if not all(isinstance(v, str) for v in (cluster, kubeconfig, kind_config)):
            raise TargetError(f"a kind target is described by its cluster name, kubeconfig "
                              f"and kind config; got {dict(description)!r}")
        assert isinstance(cluster, str) and isinstance(kubeconfig, str)
        assert isinstance(kind_config, str)
        tools = find_tools(runner)
        if cluster not in _clusters(tools):
            raise TargetError(f"kind cluster {cluster} no longer exists (`kind get clusters` "
                              f"does not list it), so nothing of it remains to restore")
        if not Path(kubeconfig).exists():  # the run directory was cleaned: ask kind again
            Path(kubeconfig).parent.mkdir(parents=True, exist_ok=True)
            tools.kind_cmd("export", "kubeconfig", "--name", cluster, "--kubeconfig",
                           kubeconfig)
        try:
            return cls(cluster=cluster, kind_config=kind_config, kubeconfig=kubeconfig,
                       tools=tools, api=_api_client(Path(kubeconfig), cluster))
        except InvalidExperiment as exc:
            raise TargetError(f"kind cluster {cluster}: its kind config cannot be read any "
                              f"more: {exc}") from exc

    def wait_ready(self, *, within: float = READY_WITHIN, progress: Progress = print) -> None:
        """Until every node of the topology is Ready, then kube-system's pods (within
        ``within`` wall seconds each)."""
        names = [n.name for n in self.topology.nodes]
        readiness.wait_for_nodes(self._api, names, within=within, cluster=self.cluster,
                                 progress=progress)
        readiness.wait_for_system_pods(self._api, within=within, cluster=self.cluster,
                                       progress=progress)

    def _check_zones(self, expected: Topology) -> None:
        nodes: list[Any] = client.CoreV1Api(self._api).list_node(_request_timeout=30).items
        live = {n.metadata.name: (n.metadata.labels or {}).get(ZONE_LABEL) for n in nodes}
        wanted = {n.name: n.zone for n in expected.nodes}
        wrong = sorted(f"{n}: zone {live.get(n)!r}, the kind config says {z!r}"
                       for n, z in wanted.items() if live.get(n, "") != z)
        if wrong:
            raise TargetError(
                f"kind cluster {self.cluster} was not made from {self.kind_config}: "
                f"{'; '.join(wrong)}. Delete it (`kind delete cluster --name {self.cluster}`) "
                f"or run without --chaoszone-reuse")

    # -- Target --------------------------------------------------------------------------------

    def api_client(self) -> client.ApiClient:
        return self._api

    def wall_seconds(self, cluster_seconds: float) -> float:
        return cluster_seconds

    def cluster_seconds(self, wall_seconds: float) -> float:
        return wall_seconds

    def power_state(self, node: str) -> str:
        return POWER_OF_STATUS.get(self._status(node), "off")

    def set_power(self, node: str, state: str) -> None:
        """``on`` (``docker start``, or ``unpause``), ``off`` (``docker stop``: a shutdown),
        ``killed`` (``docker kill``: power pulled; then it is ``off``) or ``paused``
        (``docker pause``); a node already so is left alone."""
        if state not in ("on", "off", "killed", "paused"):
            raise TargetError(f'power state must be "on", "off", "killed" or "paused", '
                              f"got {state!r}")
        now = self.power_state(node)
        wanted = "off" if state == "killed" else state
        if now == wanted:
            return
        if now == "paused":  # a paused container is unpaused before it is stopped or killed
            self.tools.docker_cmd("unpause", node)
            now = "on"
        if wanted == "off":
            if now == "on":
                self.tools.docker_cmd("kill" if state == "killed" else "stop", node,
                                      timeout=60)
            return
        if now == "off":
            self.tools.docker_cmd("start", node, timeout=120)
        if wanted == "paused":
            self.tools.docker_cmd("pause", node)

    def set_network(self, node: str, state: str) -> None:
        """``partitioned``: drop the node's traffic to and from every control-plane node;
        ``connected``: remove those rules (a missing rule is fine)."""
        if state not in ("partitioned", "connected"):
            raise TargetError(f'network state must be "partitioned" or "connected", '
                              f"got {state!r}")
        self._node(node)
        if state == "connected" and self.power_state(node) == "off":
            return  # a stopped container's network namespace, and its rules, are gone
        for rule in self._partition_rules(node):
            if state == "partitioned":
                self.tools.docker_cmd("exec", node, "iptables", "-I", *rule)
                continue
            for _ in range(16):  # -D removes one copy; a rule inserted twice goes too
                done = self.tools.docker_cmd("exec", node, "iptables", "-D", *rule,
                                             check=False)
                if not done.ok:
                    if any(s in done.stderr for s in NO_RULE):
                        break
                    raise TargetError(f"cannot reconnect node {node}: {done.failure()}")

    def repair_command(self) -> list[str]:
        """``python -m chaoszone.repair`` in :data:`REPAIR_IMAGE`, which this loads into
        the cluster the first time."""
        self.load_images([REPAIR_IMAGE])
        return ["python", "-m", "chaoszone.repair"]

    def describe(self) -> dict[str, Any]:
        return {"target": "kind", "cluster": self.cluster, "kubeconfig": self.kubeconfig,
                "kind_config": self.kind_config}

    def close(self) -> None:
        """Export the logs if a test failed (:attr:`logs_dir`), then delete the cluster
        if this process made it and was not asked to keep it."""
        try:
            if self.logs_dir is not None:
                self.export_logs(self.logs_dir)
        finally:
            self._api.close()  # type: ignore[no-untyped-call]
            if self.delete_on_close:
                self.delete()

    # -- kind operations -----------------------------------------------------------------------

    def load_images(self, images: Iterable[str]) -> None:
        """Copy local docker images into every node (``kind load docker-image``), once each."""
        for image in images:
            if image in self._loaded_images:
                continue
            found = self.tools.docker_cmd("image", "inspect", image, check=False)
            if not found.ok:
                how = (f"build it: `docker build -t {REPAIR_IMAGE} -f "
                       f"chaoszone/images/repair/Dockerfile .` in the chaoszone repository"
                       if image == REPAIR_IMAGE else f"`docker pull {image}` or build it")
                raise TargetError(f"image {image} is not in the local docker, so kind cannot "
                                  f"load it into cluster {self.cluster}; {how}")
            self.tools.kind_cmd("load", "docker-image", image, "--name", self.cluster,
                                timeout=600)
            self._loaded_images.add(image)

    def export_logs(self, directory: str | os.PathLike[str]) -> Path:
        """``kind export logs`` into ``directory``; stopped or paused nodes are brought
        back first, since kind reads the logs from inside the running nodes (kind.md P25)."""
        for node in self.topology.nodes:
            if self.power_state(node.name) != "on":
                self.set_power(node.name, "on")
        out = Path(directory).resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        self.tools.kind_cmd("export", "logs", str(out), "--name", self.cluster, timeout=600)
        return out

    def delete(self) -> None:
        """``kind delete cluster``, then check it is gone: kind exits 0 for a cluster it
        could not find (kind.md P19)."""
        self.tools.kind_cmd("delete", "cluster", "--name", self.cluster, "--kubeconfig",
                            self.kubeconfig, timeout=300)
        self.delete_on_close = False
        if self.cluster in _clusters(self.tools):
            raise TargetError(f"`kind delete cluster --name {self.cluster}` succeeded but "
                              f"`kind get clusters` still lists it; delete its containers: "
                              f"`docker ps -a --filter label={CLUSTER_LABEL}={self.cluster}`")

    # -- docker --------------------------------------------------------------------------------

    def _node(self, node: str) -> None:
        if node not in {n.name for n in self.topology.nodes}:
            raise TargetError(f"kind cluster {self.cluster} has no node {node!r}; its nodes "
                              f"are {', '.join(n.name for n in self.topology.nodes)}")

    def _status(self, node: str) -> str:
        self._node(node)
        done = self.tools.docker_cmd("inspect", "--format", "{{.State.Status}}", node,
                                     check=False)
        if not done.ok:
            raise TargetError(f"cannot see node {node} of kind cluster {self.cluster}: "
                              f"{done.failure()}; was the cluster deleted?")
        return done.stdout.strip()

    def _address(self, container: str) -> str:
        done = self.tools.docker_cmd(
            "inspect", "--format", "{{.NetworkSettings.Networks.kind.IPAddress}}", container)
        address = done.stdout.strip()
        if not address or address == "<no value>":
            raise TargetError(f"container {container} has no IPv4 address on the docker "
                              f"network `kind`; the partition fault needs one (ipFamily "
                              f"ipv4 or dual)")
        return address

    def _partition_rules(self, node: str) -> list[tuple[str, ...]]:
        """The iptables rules that cut ``node`` off from the control plane (its API
        servers, and the load balancer in front of them on HA clusters)."""
        planes = [n.name for n in self.topology.control_planes if n.name != node]
        listed = self.tools.docker_cmd("ps", "-a", "--filter",
                                       f"label={CLUSTER_LABEL}={self.cluster}",
                                       "--format", "{{.Names}}").stdout.split()
        balancer = f"{self.cluster}-external-load-balancer"
        if balancer in listed:
            planes.append(balancer)
        rules: list[tuple[str, ...]] = []
        for address in (self._address(p) for p in planes):
            rules.append(("INPUT", "-s", address, "-j", "DROP"))
            rules.append(("OUTPUT", "-d", address, "-j", "DROP"))
            # the node's pods reach the API server through the node (FORWARD), after
            # kube-proxy's DNAT of the kubernetes Service: cut them off too (kind.md §3.2)
            rules.append(("FORWARD", "-d", address, "-j", "DROP"))
            rules.append(("FORWARD", "-s", address, "-j", "DROP"))
        return rules


def _clusters(tools: Tools) -> list[str]:
    """``kind get clusters``: names on stdout ("No kind clusters found." goes to stderr)."""
    return tools.kind_cmd("get", "clusters").stdout.split()


def _check_nodes(tools: Tools, cluster: str, expected: Topology, config_path: Path) -> None:
    live = set(tools.kind_cmd("get", "nodes", "--name", cluster).stdout.split())
    wanted = {n.name for n in expected.nodes}
    if live != wanted:
        missing, extra = sorted(wanted - live), sorted(live - wanted)
        raise TargetError(
            f"kind cluster {cluster} has other nodes than {config_path} makes"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; not in the config: {', '.join(extra)}" if extra else "")
            + f". Delete it (`kind delete cluster --name {cluster}`) or run without "
              f"--chaoszone-reuse")


def _api_client(kubeconfig: Path, cluster: str) -> client.ApiClient:
    try:
        api: client.ApiClient = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig), context=f"kind-{cluster}")
    except Exception as exc:
        raise TargetError(f"cannot read the kubeconfig kind wrote for cluster {cluster} "
                          f"({kubeconfig}): {exc}") from exc
    return api
