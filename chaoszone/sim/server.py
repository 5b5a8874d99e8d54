"""The simulator as a running server: its own event loop on its own thread, an aiohttp
HTTPS site on 127.0.0.1 (kubectl sends bearer tokens only over TLS), a random bearer
token, and a kubeconfig for clients.

    with Simulator() as sim:
        subprocess.run(["kubectl", "--kubeconfig", sim.kubeconfig, "get", "nodes"])
        sim.call(lambda cluster: cluster.store.count(...))
"""

from __future__ import annotations

import asyncio
import base64
import gc
import os
import secrets
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from aiohttp import web

from chaoszone.kindconfig import load as load_kind_config
from chaoszone.sim import clients
from chaoszone.sim.api.app import make_app
from chaoszone.sim.cluster import Cluster
from chaoszone.sim.tls import Credentials, make_credentials
from chaoszone.topology import Topology

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["Simulator", "tune_gc"]

T = TypeVar("T")
LOOPBACK = "127.0.0.1"
#: the cyclic garbage collector's thresholds while a simulator runs (CPython's: 700, 10, 10)
GC_THRESHOLDS = (50_000, 20, 20)


def tune_gc() -> None:
    """Let Python's cyclic garbage collector run less often, for good in this process.

    A cluster is a heap of JSON trees, next to none of them in a reference cycle, that
    grows with every write; with CPython's default thresholds the collector's full passes
    over that heap took a fifth of the CPU of starting 30,000 pods. Thresholds already
    higher than these are left alone.
    """
    current = gc.get_threshold()
    if current[0] and current < GC_THRESHOLDS:
        gc.set_threshold(*(max(a, b) for a, b in zip(current, GC_THRESHOLDS, strict=True)))


class Simulator:
    """An embedded Kubernetes API server. Start it, use it, stop it (or use ``with``)."""

    def __init__(self, *, port: int = 0, time_scale: float = 1.0, history: int = 10_000,
                 token: str | None = None, kubeconfig: str | os.PathLike[str] | None = None,
                 not_ready_toleration_seconds: int | None = None,
                 unreachable_toleration_seconds: int | None = None,
                 config: str | os.PathLike[str] | None = None,
                 name: str | None = None) -> None:
        """``config``: a kind config file; the cluster is then the one kind would create
        from it (cluster ``name``, as ``kind create cluster --name``), and a bad file raises
        :class:`~chaoszone.errors.InvalidExperiment` here, before anything starts. Without
        it the cluster is empty. The toleration seconds override the config's."""
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0 (any free port) or 1-65535, got {port}")
        self._port = port
        self._options: dict[str, Any] = {
            "time_scale": time_scale, "history": history,
            "not_ready_toleration_seconds": not_ready_toleration_seconds,
            "unreachable_toleration_seconds": unreachable_toleration_seconds,
        }
        #: the cluster's nodes and zones (None without a config)
        self.topology: Topology | None = None
        if config is not None:
            kind_config = load_kind_config(config)
            self.topology = Topology.from_kind_config(kind_config, name=name)
            self._options.update(kind_config=kind_config, topology=self.topology)
        elif name is not None:
            raise ValueError("name= names the cluster of a kind config; pass config= too")
        self.token = token or secrets.token_urlsafe(32)
        self._kubeconfig_path = Path(kubeconfig) if kubeconfig else None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._cluster: Cluster | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._credentials: Credentials | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> Simulator:
        if self._thread is not None:
            raise RuntimeError("this simulator is already running; stop() it first")
        self._ready.clear()
        tune_gc()
        self._tmp = tempfile.TemporaryDirectory(prefix="chaoszone-sim-")
        self._credentials = make_credentials(Path(self._tmp.name) / "tls")
        self._thread = threading.Thread(target=self._serve, name="chaoszone-sim", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            error, self._error = self._error, None
            self._thread.join()
            self._thread = None
            self._cleanup_files()
            raise error
        self._write_kubeconfig()
        return self

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:  # report to start(), which re-raises it
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.close()

    async def _startup(self) -> None:
        self._cluster = Cluster(**self._options, admin_token=self.token)
        self._cluster.attach(asyncio.get_running_loop())
        app = make_app(self._cluster, self.token)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None,
                                     shutdown_timeout=0.5)
        await self._runner.setup()
        assert self._credentials is not None
        site = web.TCPSite(self._runner, LOOPBACK, self._port, reuse_address=True,
                           ssl_context=self._credentials.server_context())
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._cluster.endpoint = (self.url, self.ca_path)

    async def _shutdown(self) -> None:
        if self._runner is not None:
            server = self._runner.server
            transports = list(server._connections.values()) if server is not None else []
            await self._runner.cleanup()
            # Keep-alive connections a client never closed must not outlive the loop.
            for transport in transports:
                transport.abort()
            await asyncio.sleep(0)
            self._runner = None

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._thread = None
        self._loop = None
        self._cleanup_files()

    def _cleanup_files(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None

    # -- access ----------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"https://{LOOPBACK}:{self._port}"

    @property
    def ca_path(self) -> str:
        """PEM file of the CA that signed the server's certificate (for clients' trust)."""
        if self._tmp is None:
            raise RuntimeError("start() the simulator first")
        return str(Path(self._tmp.name) / "tls" / "ca.crt")

    def api_client(self, token: str | None = None) -> ApiClient:
        """A new official-client ApiClient for this server, with the administrator's token
        or ``token`` (the caller closes it)."""
        return clients.bearer_client(self.url, self.ca_path, token or self.token)

    @property
    def kubeconfig(self) -> str:
        """Path of a kubeconfig file for this server (context ``chaoszone-sim``)."""
        if self._kubeconfig_path is None:
            raise RuntimeError("start() the simulator first")
        return str(self._kubeconfig_path)

    @property
    def cache_dir(self) -> str:
        """A kubectl cache directory of this instance's own (``--cache-dir``): kubectl caches
        discovery per host and port, and a later server on the same port must not see it."""
        assert self._kubeconfig_path is not None
        path = self._kubeconfig_path.parent / "kubectl-cache"
        path.mkdir(exist_ok=True)
        return str(path)

    def call(self, fn: Callable[[Cluster], T], timeout: float = 30.0) -> T:
        """Run ``fn(cluster)`` on the simulator's thread and return its result.

        This is the direct handle on the same store the API serves, for tests.
        """
        loop, cluster = self._loop, self._cluster
        if loop is None or cluster is None:
            raise RuntimeError("start() the simulator first")

        async def run() -> T:
            return fn(cluster)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

    def reset(self) -> None:
        self.call(lambda cluster: cluster.reset())

    def _write_kubeconfig(self) -> None:
        assert self._tmp is not None and self._credentials is not None
        if self._kubeconfig_path is None:
            self._kubeconfig_path = Path(self._tmp.name) / "kubeconfig"
        write_kubeconfig(self._kubeconfig_path, self.url, self.token, self._credentials.ca_pem)


def write_kubeconfig(path: Path, server: str, token: str, ca_pem: bytes,
                     name: str = "chaoszone-sim") -> None:
    cluster = {"server": server,
               "certificate-authority-data": base64.b64encode(ca_pem).decode()}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "preferences": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(config, fh, sort_keys=False)
