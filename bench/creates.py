"""Pod creates per second: 10,000 pods from a concurrent aiohttp client.

Target: at least 1,500 creates per second. The server is ``chaoszone sim serve`` in its
own process; the client is this process, with 16 connections (one coroutine each).
"""

from __future__ import annotations

import asyncio
import os
import time

from bench._common import Server, create_pods, median

COUNT = 10_000
CONCURRENCY = 16
RUNS = 3
TARGET = 1500.0


def run() -> list[str]:
    rates: list[float] = []
    server_us: list[float] = []
    lines: list[str] = []
    for run_no in range(1, RUNS + 1):
        with Server() as server:
            cpu, client_cpu = server.cpu_seconds(), time.process_time()
            seconds = asyncio.run(create_pods(server, COUNT, concurrency=CONCURRENCY))
            cpu, client_cpu = server.cpu_seconds() - cpu, time.process_time() - client_cpu
        rates.append(COUNT / seconds)
        server_us.append(cpu / COUNT * 1e6)
        lines.append(f"run {run_no}: {COUNT} creates in {seconds:.2f} s = "
                     f"{COUNT / seconds:.0f}/s; CPU per create: server "
                     f"{cpu / COUNT * 1e6:.0f} us, client {client_cpu / COUNT * 1e6:.0f} us; "
                     f"load average {os.getloadavg()[0]:.1f}")
    rate = median(rates)
    verdict = "meets" if rate >= TARGET else "MISSES"
    lines.append(f"median: {rate:.0f} creates/s with {CONCURRENCY} connections "
                 f"(target >= {TARGET:.0f}/s: {verdict}); server CPU per create "
                 f"{median(server_us):.0f} us (one core serves at most "
                 f"{1e6 / median(server_us):.0f}/s)")
    return lines
