"""The control API under /sim/v1: power, network, clock and the API's availability."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from test_server import request

from chaoszone import Simulator
from chaoszone.sim.cluster import Cluster
from chaoszone.sim.resources import by_path

NODES = by_path("", "v1", "nodes")
assert NODES is not None


def node(name: str, control_plane: bool = False) -> dict[str, Any]:
    labels = {"kubernetes.io/hostname": name}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    return {"metadata": {"name": name, "labels": labels}}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        def add_nodes(cluster: Cluster) -> None:
            assert NODES is not None
            for i in (1, 2, 3):
                cluster.registry.create(NODES, None, node(f"cp{i}", control_plane=True))
            cluster.registry.create(NODES, None, node("worker"))

        simulator.call(add_nodes)
        yield simulator


def post(sim: Simulator, path: str, body: Any) -> tuple[int, Any]:
    return request(sim, "POST", path, json.dumps(body).encode())


def test_powering_a_node_off_shows_in_the_state(sim: Simulator) -> None:
    code, state = post(sim, "/sim/v1/nodes/worker/power", {"state": "off"})
    assert code == 200
    assert state["nodes"]["worker"] == {"power": "off", "network": "connected"}


def test_partitioning_a_node_shows_in_the_state(sim: Simulator) -> None:
    code, state = post(sim, "/sim/v1/nodes/worker/network", {"state": "partitioned"})
    assert code == 200
    assert state["nodes"]["worker"]["network"] == "partitioned"


def test_an_unknown_power_state_is_refused_and_changes_nothing(sim: Simulator) -> None:
    code, body = post(sim, "/sim/v1/nodes/worker/power", {"state": "sleepy"})
    assert code == 400 and body["kind"] == "Status"
    _, state = request(sim, "GET", "/sim/v1/state")
    assert state["nodes"]["worker"]["power"] == "on"


def test_an_unknown_node_is_a_404(sim: Simulator) -> None:
    code, body = post(sim, "/sim/v1/nodes/ghost/power", {"state": "off"})
    assert code == 404 and body["reason"] == "NotFound"


def test_the_api_answers_503_while_a_majority_of_control_planes_is_down(sim: Simulator) -> None:
    post(sim, "/sim/v1/nodes/cp1/power", {"state": "off"})
    assert request(sim, "GET", "/api/v1/namespaces")[0] == 200  # two of three still up
    post(sim, "/sim/v1/nodes/cp2/network", {"state": "partitioned"})
    code, body = request(sim, "GET", "/api/v1/namespaces")
    assert code == 503 and body["reason"] == "ServiceUnavailable"
    post(sim, "/sim/v1/nodes/cp2/network", {"state": "connected"})
    assert request(sim, "GET", "/api/v1/namespaces")[0] == 200


def test_the_clock_speed_can_change_but_not_to_zero(sim: Simulator) -> None:
    code, state = post(sim, "/sim/v1/clock", {"time_scale": 30})
    assert code == 200 and state["clock"]["timeScale"] == 30
    code, body = post(sim, "/sim/v1/clock", {"time_scale": 0})
    assert code == 400 and body["kind"] == "Status"
    assert request(sim, "GET", "/sim/v1/state")[1]["clock"]["timeScale"] == 30


def test_the_control_api_wants_the_right_method(sim: Simulator) -> None:
    code, body = request(sim, "GET", "/sim/v1/reset")
    assert code == 405 and body["reason"] == "MethodNotAllowed"
