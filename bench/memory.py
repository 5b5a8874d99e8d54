"""Resident memory of the server process, idle and holding 10,000 pods.

Target: under 300 MB at 10,000 pods. Reads VmRSS (resident now) and VmHWM (peak
resident) from /proc/<pid>/status of ``chaoszone sim serve``: idle just after start,
after creating 10,000 pods, and after listing them all once (a plain JSON list, which
encodes every pod).
"""

from __future__ import annotations

import asyncio
import time

from bench._common import Server, create_pods, session

PODS = 10_000
TARGET_MB = 300.0
MIB_PER_MB = 1_000_000 / 1_048_576


async def _list_all(server: Server) -> int:
    async with session(server, 1) as client, client.get("/api/v1/pods") as response:
        body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"list answered {response.status}")
        return len(body)


def run() -> list[str]:
    lines: list[str] = []
    with Server() as server:
        time.sleep(1.0)
        rss, hwm = server.memory_mib()
        lines.append(f"idle: VmRSS {rss:.0f} MiB, VmHWM {hwm:.0f} MiB")
        asyncio.run(create_pods(server, PODS))
        time.sleep(1.0)
        rss, hwm = server.memory_mib()
        lines.append(f"{PODS} pods: VmRSS {rss:.0f} MiB, VmHWM {hwm:.0f} MiB")
        size = asyncio.run(_list_all(server))
        rss, hwm = server.memory_mib()
        lines.append(f"after one full list ({size / 1e6:.1f} MB of JSON): VmRSS {rss:.0f} MiB, "
                     f"VmHWM {hwm:.0f} MiB")
    target_mib = TARGET_MB * MIB_PER_MB
    verdict = "meets" if hwm < target_mib else "MISSES"
    lines.append(f"peak {hwm:.0f} MiB = {hwm / MIB_PER_MB:.0f} MB at {PODS} pods "
                 f"(target < {TARGET_MB:.0f} MB: {verdict})")
    return lines
