"""The ``sim`` target: chaoszone's embedded cluster simulator.

:meth:`SimTarget.start` runs a simulator in this process, built from a kind config, with
its clock ``time_scale`` times faster than the wall clock; :meth:`SimTarget.attach`
reaches one that runs elsewhere (``chaoszone sim serve``, or a crashed run's) through its
kubeconfig. Either way, power and network faults go through the simulator's control API
(``POST /sim/v1/nodes/{name}/power|network``) over the same HTTPS connection the
Kubernetes API uses, so the two cases behave the same.

This is the only chaoszone module above the simulator that imports it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client, config

from chaoszone import repair
from chaoszone.errors import InvalidExperiment, TargetError
from chaoszone.kindconfig import Timers
from chaoszone.kindconfig import load as load_kind_config
from chaoszone.sim import programs
from chaoszone.sim.server import Simulator
from chaoszone.topology import Topology

__all__ = ["SimTarget"]

programs.register(repair.PROGRAM, repair.program)


class SimTarget:
    """A simulated cluster, in this process or attached by kubeconfig."""

    name = "sim"

    def __init__(self, *, kind_config: str, kubeconfig: str, api: client.ApiClient,
                 simulator: Simulator | None = None) -> None:
        loaded = load_kind_config(kind_config)
        self.topology: Topology = Topology.from_kind_config(loaded)
        self.timers: Timers = loaded.timers
        self.kind_config = str(kind_config)
        self.kubeconfig = str(kubeconfig)
        self._api = api
        self._simulator = simulator
        self.time_scale = float(self._state()["clock"]["timeScale"])

    @classmethod
    def start(cls, kind_config: str | os.PathLike[str], *, time_scale: float = 1.0,
              kubeconfig: str | os.PathLike[str] | None = None) -> SimTarget:
        """Start a simulator of the cluster kind would make from ``kind_config``."""
        if not time_scale > 0:
            raise InvalidExperiment(f"time scale must be greater than 0, got {time_scale}")
        simulator = Simulator(config=kind_config, time_scale=time_scale, kubeconfig=kubeconfig)
        simulator.start()
        try:
            return cls(kind_config=str(Path(kind_config).resolve()),
                       kubeconfig=simulator.kubeconfig, api=simulator.api_client(),
                       simulator=simulator)
        except BaseException:
            simulator.stop()
            raise

    @classmethod
    def attach(cls, description: Mapping[str, Any]) -> SimTarget:
        """The simulator a journal header (:meth:`describe`) names, reached again."""
        kubeconfig, kind_config = description.get("kubeconfig"), description.get("kind_config")
        if not isinstance(kubeconfig, str) or not isinstance(kind_config, str):
            raise TargetError(f"a sim target is described by its kubeconfig and kind config; "
                              f"got {dict(description)!r}")
        if not Path(kubeconfig).exists():
            raise TargetError(
                f"the simulator's kubeconfig {kubeconfig} is gone"
                + (": that simulator ran inside the crashed process and ended with it, so "
                   "nothing of its cluster remains to restore" if description.get("in_process")
                   else ""))
        try:
            api = config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig)
        except Exception as exc:
            raise TargetError(f"cannot read kubeconfig {kubeconfig}: {exc}") from exc
        try:
            return cls(kind_config=kind_config, kubeconfig=kubeconfig, api=api)
        except TargetError as exc:
            if description.get("in_process"):
                raise TargetError(f"{exc}; that simulator ran inside the crashed process and "
                                  f"ended with it, so nothing of its cluster remains to "
                                  f"restore") from exc
            raise

    # -- Target --------------------------------------------------------------------------------

    def api_client(self) -> client.ApiClient:
        return self._api

    def wall_seconds(self, cluster_seconds: float) -> float:
        return cluster_seconds / self.time_scale

    def cluster_seconds(self, wall_seconds: float) -> float:
        return wall_seconds * self.time_scale

    def power_state(self, node: str) -> str:
        nodes = self._state()["nodes"]
        if node not in nodes:
            raise TargetError(f"the simulator has no node {node!r}")
        return str(nodes[node]["power"])

    def set_power(self, node: str, state: str) -> None:
        # a simulated machine has no shutdown sequence: pulling its power is switching it off
        self._control(f"/sim/v1/nodes/{node}/power",
                      {"state": "off" if state == "killed" else state})

    def set_network(self, node: str, state: str) -> None:
        self._control(f"/sim/v1/nodes/{node}/network", {"state": state})

    def repair_command(self) -> list[str]:
        """The simulator's kubelets run registered programs; the repair program is
        registered when this module is imported."""
        return [f"{programs.PREFIX}{repair.PROGRAM}"]

    def describe(self) -> dict[str, Any]:
        return {"target": "sim", "kubeconfig": self.kubeconfig, "kind_config": self.kind_config,
                "in_process": self._simulator is not None}

    def close(self) -> None:
        self._api.close()  # type: ignore[no-untyped-call]
        if self._simulator is not None:
            self._simulator.stop()
            self._simulator = None

    # -- the control API -----------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        return self._call("/sim/v1/state", "GET", None)

    def _control(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._call(path, "POST", dict(body))

    def _call(self, path: str, method: str, body: dict[str, Any] | None) -> dict[str, Any]:
        try:
            method_, url, headers, payload, _ = self._api.param_serialize(
                method, path, body=body, auth_settings=["BearerToken"],
                header_params={"Accept": "application/json",
                               "Content-Type": "application/json"})
            response = self._api.call_api(method_, url, header_params=headers, body=payload,
                                          _request_timeout=30)
            response.read()  # type: ignore[no-untyped-call]
            data: bytes = response.data or b""
            if not 200 <= response.status < 300:
                raise TargetError(f"simulator control {method} {path} failed: "
                                  f"{response.status}: {data.decode(errors='replace')}")
            result = json.loads(data)
        except client.ApiException as exc:
            raise TargetError(f"simulator control {method} {path} failed: "
                              f"{exc.status} {exc.reason}: {exc.body}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise TargetError(f"simulator at {self._api.configuration.host} unreachable "
                              f"({method} {path}): {exc}") from exc
        if not isinstance(result, dict):
            raise TargetError(f"simulator control {method} {path} answered {result!r}")
        return result
