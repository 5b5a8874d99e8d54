"""One event fanned out to 500 watchers, 1,000 times.

Target: under 2 s. A child process opens 500 concurrent watch streams on pods in
``default`` (from the current resourceVersion, so nothing is replayed); once every stream
has its response headers (the server has subscribed it), this process patches one pod's
label 1,000 times over 4 connections. The time runs from just before the first patch
until every watcher has received all 1,000 events (CLOCK_MONOTONIC is shared by both
processes).

The watchers are a lean HTTP/1.1 client of their own (:class:`_WatchReader`: TLS
sockets under one selector), because the events are 650 MB of TLS and a general client
costs more per byte than the server: asyncio's TLS copies every byte through memory BIOs
and aiohttp copies it again into its stream buffers, so the aiohttp client this
benchmark used before needed as much CPU as the server and timed itself. Each reader
checks the status line and that the body is chunked, undoes the chunked framing (RFC
9112 section 7.1) in place, counts the MODIFIED events by their framing (every watch
event is one line that starts ``{"type":"MODIFIED","object":``, which cannot occur
inside the JSON object, whose quotes would be escaped; a frame split between two reads
or two chunks is counted too), and checks that its last event carries the last patch's
resourceVersion. Parsing all 500,000 lines as JSON instead would cost the client several
seconds of CPU.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import selectors
import socket
import ssl
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any
from urllib.parse import urlsplit

from bench._common import Server, create_pods, median, session

WATCHERS = 500
UPDATES = 1_000
UPDATERS = 4
RUNS = 3
TARGET = 2.0
TIMEOUT = 120.0
POD = "fanout-00000"
PODS_PATH = "/api/v1/namespaces/default/pods"
#: how every event line starts
FRAME = b'{"type":"MODIFIED","object":'
#: a reader's receive buffer
BUFFER = 1 << 20


class _WatchReader:
    """One watch stream: sends the request, then counts the events of the chunked body."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext, target: str,
                 token: str) -> None:
        raw = socket.create_connection((host, port), timeout=TIMEOUT)
        self.sock = context.wrap_socket(raw, server_hostname=host)
        self.sock.sendall((f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                           f"Authorization: Bearer {token}\r\nAccept: application/json\r\n"
                           "User-Agent: chaoszone-bench\r\n\r\n").encode())
        self.buf = bytearray(BUFFER)
        self.view = memoryview(self.buf)
        self.start = 0  # unparsed data is buf[start:end]
        self.end = 0
        self.chunk_left = -1  # payload bytes left of the current chunk; -1: a size line is next
        self.seen = 0
        self.edge = b""  # the payload's last len(FRAME) - 1 bytes so far
        self.partial = bytearray()  # the payload after its last newline so far
        self.last_line = b""
        self.done = False

    def read_headers(self) -> None:
        """Block until the response headers are in; the body may have begun after them."""
        while (head_end := self.buf.find(b"\r\n\r\n", 0, self.end)) < 0:
            self._fill_blocking()
        head = bytes(self.buf[:head_end]).decode("latin-1").split("\r\n")
        if not head[0].startswith("HTTP/1.1 200 "):
            raise RuntimeError(f"watch answered {head[0]!r}")
        fields = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
        if fields.get("transfer-encoding", "").lower() != "chunked":
            raise RuntimeError(f"a watch body that is not chunked: {fields}")
        self.start = head_end + 4
        self.sock.setblocking(False)
        self._parse()

    def _fill_blocking(self) -> None:
        got = self.sock.recv_into(self.view[self.end:])
        if not got:
            raise RuntimeError("the server closed a watch before its headers")
        self.end += got

    def on_readable(self) -> bool:
        """Read what the socket has (TLS may hold more than the kernel reports readable);
        True once the stream has carried UPDATES whole events."""
        while not self.done:
            if self.start == self.end:
                self.start = self.end = 0
            elif self.end == len(self.buf):
                self.buf[:self.end - self.start] = self.buf[self.start:self.end]
                self.end -= self.start
                self.start = 0
            try:
                got = self.sock.recv_into(self.view[self.end:])
            except ssl.SSLWantReadError:
                return False
            if not got:
                raise RuntimeError(f"a watch ended after {self.seen} events")
            self.end += got
            self._parse()
        return True

    def _parse(self) -> None:
        buf = self.buf
        while self.start < self.end:
            if self.chunk_left < 0:  # chunk-size [; extensions] CRLF
                line_end = buf.find(b"\r\n", self.start, self.end)
                if line_end < 0:
                    return
                size = int(bytes(buf[self.start:line_end]).split(b";")[0], 16)
                if size == 0:
                    raise RuntimeError(f"a watch ended after {self.seen} events")
                self.start = line_end + 2
                self.chunk_left = size
            elif self.chunk_left == 0:  # the CRLF after a chunk's data
                if self.end - self.start < 2:
                    return
                if buf[self.start:self.start + 2] != b"\r\n":
                    raise RuntimeError("a chunk's data did not end with CRLF")
                self.start += 2
                self.chunk_left = -1
            else:
                stop = min(self.end, self.start + self.chunk_left)
                self._payload(self.start, stop)
                self.chunk_left -= stop - self.start
                self.start = stop

    def _payload(self, start: int, stop: int) -> None:
        buf, width = self.buf, len(FRAME) - 1
        # frames inside this piece, and one that began in the previous piece's edge
        self.seen += buf.count(FRAME, start, stop) + (
            self.edge + buf[start:min(stop, start + width)]).count(FRAME)
        self.edge = bytes((self.edge + buf[max(start, stop - width):stop])[-width:])
        newline = buf.rfind(b"\n", start, stop)
        if newline < 0:  # a line longer than this piece goes on
            self.partial += self.view[start:stop]
        elif self.seen >= UPDATES and newline == stop - 1:
            # the payload so far ends a line, so the last event begun is whole
            before = buf.rfind(b"\n", start, newline)
            self.last_line = (bytes(buf[before + 1:newline]) if before >= 0
                              else bytes(self.partial + self.view[start:newline]))
            self.done = True
        else:
            self.partial = bytearray(self.view[newline + 1:stop])

    def last_resource_version(self) -> str:
        rv: str = json.loads(self.last_line)["object"]["metadata"]["resourceVersion"]
        return rv


def _watch_all(url: str, token: str, ca_pem: str, rv: str, conn: Connection) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 443
    context = ssl.create_default_context(cadata=ca_pem)
    target = f"{PODS_PATH}?watch=1&resourceVersion={rv}&timeoutSeconds={int(TIMEOUT)}"
    readers = [_WatchReader(host, port, context, target, token) for _ in range(WATCHERS)]
    for reader in readers:
        reader.read_headers()
    conn.send("ready")
    cpu = time.process_time()
    done_at: list[float] = []
    with selectors.DefaultSelector() as selector:
        for reader in readers:
            selector.register(reader.sock, selectors.EVENT_READ, reader)
        pending = {r for r in readers if not r.done}
        done_at += [time.monotonic()] * (len(readers) - len(pending))
        deadline = time.monotonic() + TIMEOUT
        while pending:
            ready = selector.select(max(0.0, deadline - time.monotonic()))
            if not ready:
                raise RuntimeError(f"{len(pending)} watchers still waiting after {TIMEOUT} s")
            for key, _ in ready:
                reader = key.data
                if reader in pending and reader.on_readable():
                    done_at.append(time.monotonic())
                    pending.discard(reader)
                    selector.unregister(reader.sock)
    miscounted = sorted({r.seen for r in readers} - {UPDATES})
    if miscounted:
        raise RuntimeError(f"watchers counted {miscounted} events, expected {UPDATES}")
    last_rvs = sorted({r.last_resource_version() for r in readers})
    for reader in readers:
        reader.sock.close()
    conn.send((max(done_at), last_rvs, time.process_time() - cpu))


def _watcher_process(url: str, token: str, ca_pem: str, rv: str, conn: Connection) -> None:
    try:
        _watch_all(url, token, ca_pem, rv, conn)
    except BaseException as exc:
        conn.send(f"error: {exc!r}")
        raise


def _receive(conn: Connection, proc: BaseProcess, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while not conn.poll(0.2):
        if not proc.is_alive() and not conn.poll(0):
            raise RuntimeError(f"the watcher process exited ({proc.exitcode})")
        if time.monotonic() > deadline:
            raise RuntimeError("the watcher process did not answer in time")
    message = conn.recv()
    if isinstance(message, str) and message.startswith("error"):
        raise RuntimeError(f"watcher process: {message}")
    return message


async def _update(server: Server) -> tuple[float, str]:
    """Patch the pod UPDATES times; returns the start time and the last resourceVersion."""
    async with session(server, UPDATERS) as client:
        headers = {"Content-Type": "application/merge-patch+json"}
        counter = 0
        newest = 0

        async def updater() -> None:
            nonlocal counter, newest
            while counter < UPDATES:
                counter += 1
                body = json.dumps({"metadata": {"labels": {"n": str(counter)}}})
                async with client.patch(f"{PODS_PATH}/{POD}", data=body,
                                        headers=headers) as response:
                    answer = await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"patch answered {response.status}: {answer[:200]!r}")
                    rv = int(json.loads(answer)["metadata"]["resourceVersion"])
                    newest = max(newest, rv)

        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*(updater() for _ in range(UPDATERS))), TIMEOUT)
        return started, str(newest)


def _one_run(server: Server) -> tuple[float, float, float, float, float]:
    """One fan-out; returns the seconds until all were delivered, the seconds the patches
    took, and the CPU seconds of the server, the watcher process and the patching client
    (this process) meanwhile."""
    async def current_rv() -> str:
        async with session(server, 1) as client, client.get(f"{PODS_PATH}/{POD}") as r:
            rv: str = (await r.json())["metadata"]["resourceVersion"]
            return rv

    rv = asyncio.run(current_rv())
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_watcher_process,
                       args=(server.url, server.token, server.ca_pem, rv, child), daemon=True)
    proc.start()
    try:
        if _receive(parent, proc, TIMEOUT) != "ready":
            raise RuntimeError("the watcher process did not get ready")
        cpu = server.cpu_seconds()
        patcher_cpu = time.process_time()
        started, last_rv = asyncio.run(_update(server))
        patched = time.monotonic() - started
        patcher_cpu = time.process_time() - patcher_cpu
        done_at, last_rvs, watcher_cpu = _receive(parent, proc, TIMEOUT)
        cpu = server.cpu_seconds() - cpu
        if last_rvs != [last_rv]:
            raise RuntimeError(f"watchers ended at {last_rvs}, the last patch was {last_rv}")
        return done_at - started, patched, cpu, watcher_cpu, patcher_cpu
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
            proc.join()


def run() -> list[str]:
    lines: list[str] = []
    delivered: list[float] = []
    with Server() as server:
        asyncio.run(create_pods(server, 1, concurrency=1, prefix="fanout"))
        for run_no in range(1, RUNS + 1):
            seconds, patched, cpu, watcher_cpu, patcher_cpu = _one_run(server)
            delivered.append(seconds)
            lines.append(f"run {run_no}: {UPDATES} events x {WATCHERS} watchers delivered in "
                         f"{seconds:.2f} s (the patches alone took {patched:.2f} s; CPU: "
                         f"server {cpu:.2f} s, watchers {watcher_cpu:.2f} s, patching "
                         f"client {patcher_cpu:.2f} s)")
    verdict = "meets" if median(delivered) < TARGET else "MISSES"
    lines.append(f"median: {median(delivered):.2f} s = "
                 f"{UPDATES * WATCHERS / median(delivered):,.0f} events/s delivered "
                 f"(target < {TARGET:.0f} s: {verdict})")
    return lines
