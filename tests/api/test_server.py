"""The simulator as a process and as an in-process handle: start, serve, reset, stop."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaoszone import Simulator
from chaoszone.sim.resources import by_path

CONFIGMAPS = by_path("", "v1", "configmaps")
assert CONFIGMAPS is not None


def request(sim: Simulator, method: str, path: str, body: bytes | None = None,
            token: str | None = None) -> tuple[int, Any]:
    context = ssl.create_default_context(cafile=sim.ca_path)
    req = urllib.request.Request(sim.url + path, data=body, method=method, headers={
        "Authorization": f"Bearer {token if token is not None else sim.token}",
        "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, context=context, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def test_the_server_listens_only_on_loopback_with_a_random_token() -> None:
    with Simulator() as one, Simulator() as two:
        assert one.url.startswith("https://127.0.0.1:")
        assert one.token != two.token and len(one.token) >= 32
        assert one.port != two.port


def test_a_request_without_the_token_gets_a_401_status() -> None:
    with Simulator() as sim:
        code, body = request(sim, "GET", "/api/v1/namespaces", token="wrong")
        assert code == 401
        assert body["kind"] == "Status" and body["reason"] == "Unauthorized"


def test_the_kubeconfig_lets_the_official_client_in() -> None:
    from kubernetes import client, config

    with Simulator() as sim:
        api = config.new_client_from_config(config_file=sim.kubeconfig)
        names = [ns.metadata.name for ns in client.CoreV1Api(api).list_namespace().items]
        assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= set(names)
        api.close()


def test_reset_through_the_control_api_forgets_every_object() -> None:
    with Simulator() as sim:
        code, _ = request(sim, "POST", "/api/v1/namespaces/default/configmaps",
                          json.dumps({"metadata": {"name": "keep-me-not"}}).encode())
        assert code == 201
        code, body = request(sim, "POST", "/sim/v1/reset")
        assert code == 200 and body["status"] == "Success"
        assert sim.call(lambda c: c.store.get(CONFIGMAPS, "default", "keep-me-not")) is None
        code, _ = request(sim, "GET", "/api/v1/namespaces/default")
        assert code == 200  # the system namespaces come back


def test_the_control_api_reports_the_clock_and_resource_version() -> None:
    with Simulator(time_scale=60) as sim:
        code, body = request(sim, "GET", "/sim/v1/state")
        assert code == 200
        assert body["clock"]["timeScale"] == 60
        assert int(body["resourceVersion"]) == sim.call(lambda c: c.store.resource_version)


def test_an_unknown_control_endpoint_is_a_404_status() -> None:
    with Simulator() as sim:
        code, body = request(sim, "POST", "/sim/v1/nonsense")
        assert code == 404 and body["kind"] == "Status"


def test_a_simulator_refuses_a_port_outside_the_tcp_range() -> None:
    with pytest.raises(ValueError, match="port"):
        Simulator(port=70000)


def test_sim_serve_writes_a_kubeconfig_and_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaoszone.cli", "sim", "serve", "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "serving Kubernetes 1.32 on https://127.0.0.1:" in first, proc.stderr
        config = yaml.safe_load(kubeconfig.read_text())
        assert config["clusters"][0]["cluster"]["server"] in first
        assert os.stat(kubeconfig).st_mode & 0o077 == 0  # the token is not world-readable
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig)}
        out = subprocess.run(["kubectl", "--cache-dir", str(tmp_path / "cache"), "get", "ns",
                              "-o", "name"], capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "namespace/kube-system" in out.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_sim_serve_explains_a_port_that_is_taken(tmp_path: Path) -> None:
    with Simulator() as sim:
        out = subprocess.run(
            [sys.executable, "-m", "chaoszone.cli", "sim", "serve", "--port", str(sim.port),
             "--kubeconfig", str(tmp_path / "k")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "pick another --port" in out.stderr
