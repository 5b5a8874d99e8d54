"""The simulator behind a stand-in kind cluster: starting and stopping its server process,
calling its API and control API, and kind's kubeconfig handling.

``kind create cluster`` starts ``chaoszone sim serve --config ... --name ... --kubeconfig
...`` detached (its own session, as a ``docker run -d`` node outlives the ``kind``
process) and returns once the server has said it serves; ``kind delete cluster`` ends it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from standin_state import StandinError

# yaml, ssl and urllib are imported where they are used: a stand-in command that never
# talks to a simulator (docker inspect, ps, info) starts faster without them.

__all__ = [
    "SimClient",
    "kind_kubeconfig",
    "process_alive",
    "remove_from_kubeconfig",
    "start_simulator",
    "stop_simulator",
    "write_merged_kubeconfig",
]

#: how long a simulator may take to say it serves, or to exit after SIGTERM
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
#: the line ``chaoszone sim serve`` prints once its kubeconfig is written (chaoszone/cli.py)
READY_PREFIX = "kubeconfig: "


# -- the server process ---------------------------------------------------------------------------


def _start_time(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat (the start time in clock ticks), to tell a reused pid
    from ours; None if no such process is alive (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None
    return fields[19]


def process_alive(record: dict[str, Any]) -> bool:
    """Whether the simulator ``record`` names still runs (the same process, not a reuse)."""
    return bool(_start_time(record["pid"]) == record["start_time"])


def start_simulator(directory: Path, config: Path, name: str, time_scale: float
                    ) -> dict[str, Any]:
    """Start a detached simulator for ``config`` and wait until it serves.

    IMPLEMENTATION DETAIL: the server's stdout is a pipe whose read end the server also
    inherits (``pass_fds``). We read its start-up lines until the kubeconfig line; after we
    exit the pipe still has a reader (the server itself, which never reads), so its last
    line ("stopped") neither blocks nor breaks on EPIPE. Its stderr goes to ``server.log``.
    """
    kubeconfig = directory / "sim-kubeconfig"
    log_path = directory / "server.log"
    read_end, write_end = os.pipe()
    command = [sys.executable, "-m", "chaoszone.cli", "sim", "serve", "--config", str(config),
               "--name", name, "--kubeconfig", str(kubeconfig), "--time-scale", str(time_scale)]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=write_end, stderr=log,
                                pass_fds=(read_end,), start_new_session=True)
    os.close(write_end)
    lines: list[str] = []
    try:
        ready = _read_until_ready(read_end, lines)
    finally:
        os.close(read_end)
    with open(log_path, "a") as log:
        log.writelines(line + "\n" for line in lines)
    if not ready:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        raise StandinError(
            f"the simulator for cluster {name!r} did not start (exit status {proc.returncode});"
            f" its output:\n{log_path.read_text().strip()}")
    start_time = _start_time(proc.pid)
    assert start_time is not None, "the simulator said it serves, so it runs"
    return {"pid": proc.pid, "start_time": start_time, "sim_kubeconfig": str(kubeconfig),
            "log": str(log_path), "time_scale": time_scale}


def _read_until_ready(fd: int, lines: list[str]) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    buffer = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return False
        chunk = os.read(fd, 4096)
        if not chunk:
            lines.append(buffer.decode(errors="replace"))
            return False
        buffer += chunk
        *done, buffer = buffer.split(b"\n")
        for raw in done:
            line = raw.decode(errors="replace")
            lines.append(line)
            if line.startswith(READY_PREFIX):
                return True


def stop_simulator(record: dict[str, Any]) -> None:
    """SIGTERM the simulator and wait for it to exit (through a pidfd: no polling)."""
    pid = record["pid"]
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        if not process_alive(record):
            return
        os.kill(pid, signal.SIGTERM)
        if not select.select([pidfd], [], [], STOP_TIMEOUT)[0]:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            select.select([pidfd], [], [], STOP_TIMEOUT)
    finally:
        os.close(pidfd)


# -- its API --------------------------------------------------------------------------------------


class SimClient:
    """HTTPS requests to one simulator with its admin token (from its own kubeconfig)."""

    def __init__(self, record: dict[str, Any]) -> None:
        import base64
        import ssl

        import yaml

        doc = yaml.safe_load(Path(record["sim_kubeconfig"]).read_text())
        cluster = doc["clusters"][0]["cluster"]
        self.server: str = cluster["server"]
        self.ca_data: str = cluster["certificate-authority-data"]
        self.token: str = doc["users"][0]["user"]["token"]
        self._context = ssl.create_default_context(
            cadata=base64.b64decode(self.ca_data).decode())

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                timeout: float = 10.0) -> dict[str, Any]:
        import urllib.error
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.server + path, data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self._context) as resp:
                answer: dict[str, Any] = json.loads(resp.read())
                return answer
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            with contextlib.suppress(ValueError):
                detail = json.loads(detail).get("message", detail)
            raise StandinError(f"simulator {method} {path}: {exc.code} {detail}") from None
        except OSError as exc:
            raise StandinError(
                f"the simulator at {self.server} does not answer ({exc}); was its process "
                f"killed? `kind delete cluster` cleans up what is left") from None

    def set_power(self, node: str, state: str) -> None:
        self.request("POST", f"/sim/v1/nodes/{node}/power", {"state": state})

    def set_network(self, node: str, state: str) -> None:
        self.request("POST", f"/sim/v1/nodes/{node}/network", {"state": state})


# -- kind's kubeconfig ----------------------------------------------------------------------------


def kind_kubeconfig(cluster: str, client: SimClient) -> dict[str, Any]:
    """What kind writes for a cluster: cluster, user and context all named ``kind-<name>``
    (kind pkg/cluster/internal/kubeconfig/internal/kubeconfig/helpers.go KINDClusterKey).
    kind's user has a client certificate; the simulator's has a bearer token."""
    key = f"kind-{cluster}"
    return {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": key, "cluster": {
            "server": client.server, "certificate-authority-data": client.ca_data}}],
        "users": [{"name": key, "user": {"token": client.token}}],
        "contexts": [{"name": key, "context": {"cluster": key, "user": key}}],
        "current-context": key,
    }


def _paths(explicit: str | None) -> list[str]:
    """kind .../kubeconfig/paths.go: --kubeconfig, else $KUBECONFIG's list, else
    $HOME/.kube/config."""
    if explicit:
        return [explicit]
    listed = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    if listed:
        return list(dict.fromkeys(listed))
    return [os.path.join(os.environ.get("HOME", ""), ".kube", "config")]


def _lock(path: str) -> None:
    """client-go's lock (kind .../kubeconfig/lock.go): create ``<path>.lock`` exclusively."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    try:
        os.close(os.open(path + ".lock", os.O_CREAT | os.O_EXCL, 0))
    except FileExistsError:
        raise StandinError(f"failed to lock config file: open {path}.lock: file exists") from None


def _read(path: str) -> dict[str, Any]:
    import yaml

    try:
        doc = yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError:
        return {}
    if not isinstance(doc, dict):
        raise StandinError(f"failed to get kubeconfig to merge: {path} is not a kubeconfig")
    return doc


def _write(doc: dict[str, Any], path: str) -> None:
    import yaml

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(doc, fh, sort_keys=False)


def write_merged_kubeconfig(kind: dict[str, Any], explicit: str | None) -> None:
    """kind .../kubeconfig/merge.go WriteMerged: replace or append the kind entries and make
    the kind context current, in the file kubectl would merge into."""
    paths = _paths(explicit)
    path = paths[0] if len(paths) == 1 else next(
        (p for p in paths if os.path.isfile(p)), paths[-1])
    _lock(path)
    try:
        existing = _read(path)
        for section in ("clusters", "users", "contexts"):
            entries = [e for e in existing.get(section) or []
                       if e.get("name") != kind[section][0]["name"]]
            existing[section] = [*entries, kind[section][0]]
        existing["current-context"] = kind["current-context"]
        for key in ("apiVersion", "kind"):
            existing.setdefault(key, kind[key])
        _write(existing, path)
    finally:
        os.remove(path + ".lock")


def remove_from_kubeconfig(cluster: str, explicit: str | None) -> None:
    """kind .../kubeconfig/remove.go RemoveKIND: drop the ``kind-<name>`` entries."""
    key = f"kind-{cluster}"
    for path in _paths(explicit):
        if not os.path.isfile(path):
            continue
        _lock(path)
        try:
            existing = _read(path)
            changed = False
            for section in ("clusters", "users", "contexts"):
                kept = [e for e in existing.get(section) or [] if e.get("name") != key]
                changed |= len(kept) != len(existing.get(section) or [])
                existing[section] = kept
            if existing.get("current-context") == key:
                existing["current-context"] = ""
                changed = True
            if changed:
                _write(existing, path)
        finally:
            os.remove(path + ".lock")
