"""Helpers of the scenario tests (imported by name: a module of their own, since
``from conftest import`` finds whichever conftest pytest loaded first): a simulator built
from a kind config, an API client for it, and waiting on watches with a deadline in
cluster seconds, never by sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubernetes import client, watch

from chaoszone import Simulator

CONFIGS = Path(__file__).resolve().parents[2] / "kind-configs"
#: cluster seconds per wall second in scenario tests
TIME_SCALE = 20.0


def new_simulator(config: str) -> Simulator:
    return Simulator(config=CONFIGS / config, time_scale=TIME_SCALE)


def api_for(sim: Simulator) -> client.ApiClient:
    return sim.api_client()


def until(list_call: Callable[..., Any], predicate: Callable[[list[Any]], bool], *,
          within: float, what: str, **kwargs: Any) -> list[Any]:
    """Watch ``list_call`` until ``predicate(items)`` holds; ``within`` cluster seconds."""
    deadline = time.monotonic() + within / TIME_SCALE
    items = {(i.metadata.namespace, i.metadata.name): i for i in list_call(**kwargs).items}
    if predicate(list(items.values())):
        return list(items.values())
    stream = watch.Watch()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for event in stream.stream(list_call, timeout_seconds=max(1, int(left) + 1), **kwargs):
            obj = event["object"]
            key = (obj.metadata.namespace, obj.metadata.name)
            if event["type"] == "DELETED":
                items.pop(key, None)
            else:
                items[key] = obj
            if predicate(list(items.values())):
                stream.stop()
                return list(items.values())
            if time.monotonic() > deadline:
                stream.stop()
                break
    raise AssertionError(f"within {within} cluster seconds: {what} did not happen; last seen: "
                         + ", ".join(sorted(f"{k[1]}" for k in items)))


def zone_of(core: client.CoreV1Api, node: str) -> str:
    labels = core.read_node(node).metadata.labels or {}
    return str(labels.get("topology.kubernetes.io/zone", ""))


def power(sim: Simulator, node: str, state: str) -> None:
    sim.call(lambda cluster: cluster.set_power(node, state))
