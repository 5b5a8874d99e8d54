"""What the benchmarks share: the machine description, a simulator served by
``chaoszone sim serve`` in a child process, an aiohttp client for it, and pod creation.

The server always runs in a process of its own so that the client's work never shares
its GIL. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import select
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType

import aiohttp
import yaml

__all__ = ["Server", "create_pods", "machine_lines", "median", "pod_body", "session"]

#: how long a server may take to print its URL
START_TIMEOUT = 60.0


def machine_lines() -> list[str]:
    """``nproc``, the ``lscpu`` model name and the memory, as result lines."""
    model = "unknown"
    lscpu = shutil.which("lscpu")
    if lscpu:
        out = subprocess.run([lscpu], capture_output=True, text=True, timeout=10).stdout
        found = re.search(r"^Model name:\s*(.+)$", out, re.MULTILINE)
        if found:
            model = found.group(1).strip()
    mem_kib = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return [f"machine: nproc={len(os.sched_getaffinity(0))}, cpu={model}, "
            f"memory={mem_kib / 1024 / 1024:.1f} GiB"]


def median(values: list[float]) -> float:
    return statistics.median(values)


class Server:
    """``chaoszone sim serve`` as a child process; stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, command: list[str] | None = None) -> None:
        """``command`` replaces ``chaoszone`` (for profiling); ``sim serve`` and
        ``--kubeconfig`` are appended to it."""
        self._tmp = tempfile.TemporaryDirectory(prefix="chaoszone-bench-")
        self.dir = Path(self._tmp.name)
        self.kubeconfig = str(self.dir / "kubeconfig")
        if command is None:
            script = Path(sys.executable).with_name("chaoszone")
            command = ([str(script)] if script.exists()
                       else [sys.executable, "-m", "chaoszone.cli"])
        self.proc = subprocess.Popen(
            [*command, "sim", "serve", "--kubeconfig", self.kubeconfig],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            self.url = self._await_url()
            config = yaml.safe_load(Path(self.kubeconfig).read_text())
        except BaseException:
            self.stop()
            raise
        self.token: str = config["users"][0]["user"]["token"]
        self.ca_pem = base64.b64decode(config["clusters"][0]["cluster"]
                                       ["certificate-authority-data"]).decode()

    def _await_url(self) -> str:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if not ready:
                if self.proc.poll() is not None:
                    break
                continue
            line = self.proc.stdout.readline()
            if not line:
                break
            found = re.search(r"serving Kubernetes \S+ on (https://127\.0\.0\.1:\d+)", line)
            if found:
                return found.group(1)
        raise RuntimeError("chaoszone sim serve did not start")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def memory_mib(self) -> tuple[float, float]:
        """The server process's (VmRSS, VmHWM) in MiB, from /proc/<pid>/status."""
        values: dict[str, float] = {}
        with open(f"/proc/{self.pid}/status") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) / 1024
        return values["VmRSS"], values["VmHWM"]

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server process has used, from /proc/<pid>/stat."""
        with open(f"/proc/{self.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.ca_pem)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._tmp.cleanup()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def session(server: Server, connections: int) -> aiohttp.ClientSession:
    """An aiohttp session for ``server`` with at most ``connections`` connections."""
    connector = aiohttp.TCPConnector(limit=connections, ssl=server.ssl_context())
    return aiohttp.ClientSession(
        base_url=server.url, connector=connector,
        headers={"Authorization": f"Bearer {server.token}", "User-Agent": "chaoszone-bench"},
        timeout=aiohttp.ClientTimeout(total=60))


def pod_body(name: str) -> bytes:
    """A minimal valid pod."""
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10"}]},
    }).encode()


async def _workers(count: int, concurrency: int,
                   work: Callable[[int], Awaitable[None]]) -> None:
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < count:
            i = next_index
            next_index += 1
            await work(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def create_pods(server: Server, count: int, *, concurrency: int = 16,
                      prefix: str = "pod", timeout: float = 300.0) -> float:
    """Create ``count`` pods in ``default``; returns the seconds taken."""
    async with session(server, concurrency) as client:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}

        async def create(i: int) -> None:
            async with client.post("/api/v1/namespaces/default/pods",
                                   data=pod_body(f"{prefix}-{i:05d}"),
                                   headers=headers) as response:
                body = await response.read()
                if response.status != 201:
                    raise RuntimeError(f"create answered {response.status}: {body[:300]!r}")

        started = time.monotonic()
        await asyncio.wait_for(_workers(count, concurrency, create), timeout)
        return time.monotonic() - started

