"""One event fanned out to 500 watchers, 1,000 times.

Target: under 2 s. A child process opens 500 concurrent watch streams on pods in
``default`` (from the current resourceVersion, so nothing is replayed); once every stream
has its response headers (the server has subscribed it), this process patches one pod's
label 1,000 times over 4 connections. The time runs from just before the first patch
until every watcher has received all 1,000 events (CLOCK_MONOTONIC is shared by both
processes). Each watcher counts event lines and checks that its last event carries the
last patch's resourceVersion.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import ssl
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import aiohttp

from bench._common import Server, create_pods, median, session

WATCHERS = 500
UPDATES = 1_000
UPDATERS = 4
RUNS = 3
TARGET = 2.0
TIMEOUT = 120.0
POD = "fanout-00000"
PODS_PATH = "/api/v1/namespaces/default/pods"


async def _watch_all(url: str, token: str, ca_pem: str, rv: str, conn: Connection) -> None:
    connector = aiohttp.TCPConnector(limit=0, ssl=ssl.create_default_context(cadata=ca_pem))
    async with aiohttp.ClientSession(
            base_url=url, connector=connector, headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as client:
        responses = await asyncio.gather(*(
            client.get(PODS_PATH, params={"watch": "1", "resourceVersion": rv,
                                          "timeoutSeconds": str(int(TIMEOUT))})
            for _ in range(WATCHERS)))
        for response in responses:
            if response.status != 200:
                raise RuntimeError(f"watch answered {response.status}")
        conn.send("ready")
        done_at: list[float] = []
        last_rvs: list[str] = []

        async def consume(response: aiohttp.ClientResponse) -> None:
            seen = 0
            tail = b""
            async for chunk in response.content.iter_any():
                seen += chunk.count(b"\n")
                tail = (tail + chunk)[-65536:]
                if seen >= UPDATES:
                    break
            done_at.append(time.monotonic())
            last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
            last_rvs.append(json.loads(last)["object"]["metadata"]["resourceVersion"])
            if seen != UPDATES:
                raise RuntimeError(f"a watcher saw {seen} events, expected {UPDATES}")
            response.close()

        cpu = time.process_time()
        await asyncio.gather(*(consume(r) for r in responses))
        conn.send((max(done_at), sorted(set(last_rvs)), time.process_time() - cpu))


def _watcher_process(url: str, token: str, ca_pem: str, rv: str, conn: Connection) -> None:
    try:
        asyncio.run(asyncio.wait_for(_watch_all(url, token, ca_pem, rv, conn), TIMEOUT))
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


def _one_run(server: Server) -> tuple[float, float, float, float]:
    """One fan-out; returns the seconds until all were delivered, the seconds the patches
    took, and the CPU seconds of the server and of the watcher process meanwhile."""
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
        started, last_rv = asyncio.run(_update(server))
        patched = time.monotonic() - started
        done_at, last_rvs, watcher_cpu = _receive(parent, proc, TIMEOUT)
        cpu = server.cpu_seconds() - cpu
        if last_rvs != [last_rv]:
            raise RuntimeError(f"watchers ended at {last_rvs}, the last patch was {last_rv}")
        return done_at - started, patched, cpu, watcher_cpu
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
            seconds, patched, cpu, watcher_cpu = _one_run(server)
            delivered.append(seconds)
            lines.append(f"run {run_no}: {UPDATES} events x {WATCHERS} watchers delivered in "
                         f"{seconds:.2f} s (the patches alone took {patched:.2f} s; CPU: "
                         f"server {cpu:.2f} s, watchers {watcher_cpu:.2f} s)")
    verdict = "meets" if median(delivered) < TARGET else "MISSES"
    lines.append(f"median: {median(delivered):.2f} s = "
                 f"{UPDATES * WATCHERS / median(delivered):,.0f} events/s delivered "
                 f"(target < {TARGET:.0f} s: {verdict})")
    return lines
