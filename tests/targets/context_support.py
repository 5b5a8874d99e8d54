"""Helpers of the context:NAME target's tests: a simulator of the three-zone cluster, and
a kubeconfig whose contexts all lead to it under names a real game-day would use."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from kubernetes import client, config

if TYPE_CHECKING:
    from chaoszone.sim.server import Simulator

ROOT = Path(__file__).resolve().parents[2]
KIND_CONFIGS = ROOT / "kind-configs"
THREE_ZONES = KIND_CONFIGS / "three-zones-fast.yaml"
#: the simulator's cluster runs this many times faster than the wall clock (the context
#: target counts wall seconds, so its budgets are only more generous)
TIME_SCALE = 20.0
#: the nodes of three-zones-fast, as kind names them
CONTROL_PLANE = "three-zones-fast-control-plane"
ZONE_A = ("three-zones-fast-worker", "three-zones-fast-worker2")
ZONE_B = ("three-zones-fast-worker3", "three-zones-fast-worker4")


def write_contexts(sim_kubeconfig: str, path: Path, names: Iterable[str]) -> Path:
    """A kubeconfig at ``path`` with one context per name, each the simulator's cluster
    and user (the simulator's own kubeconfig has one context, ``chaoszone-sim``)."""
    source = yaml.safe_load(Path(sim_kubeconfig).read_text())
    cluster, user = source["clusters"][0], source["users"][0]
    config = {"apiVersion": "v1", "kind": "Config", "clusters": [cluster], "users": [user],
              "contexts": [{"name": n, "context": {"cluster": cluster["name"],
                                                   "user": user["name"]}} for n in names],
              "current-context": next(iter(names)), "preferences": {}}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def namespaces(api: client.ApiClient) -> set[str]:
    return {n.metadata.name for n in client.CoreV1Api(api).list_namespace().items}


def node(api: client.ApiClient, name: str) -> Any:
    return client.CoreV1Api(api).read_node(name)


def cordoned(api: client.ApiClient, names: Iterable[str]) -> list[bool]:
    return [bool(node(api, n).spec.unschedulable) for n in names]


def taint_keys(api: client.ApiClient, name: str) -> set[str]:
    return {t.key for t in node(api, name).spec.taints or []}


@contextlib.contextmanager
def simulated_contexts(directory: Path, *names: str) -> Iterator[tuple[Simulator, Path]]:
    """A simulator of three-zones-fast and a kubeconfig in ``directory`` whose contexts
    ``names`` all reach it."""
    from chaoszone.sim.server import Simulator

    with Simulator(config=THREE_ZONES, time_scale=TIME_SCALE,
                   kubeconfig=directory / "sim-kubeconfig") as sim:
        yield sim, write_contexts(sim.kubeconfig, directory / "kubeconfig", names)


def admin_client(sim: Simulator) -> client.ApiClient:
    """A client of the simulator's own, to look at the cluster without the guards."""
    api: client.ApiClient = config.new_client_from_config(config_file=sim.kubeconfig)
    return api
