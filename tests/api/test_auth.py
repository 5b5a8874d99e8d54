"""Who may talk to the simulator: only a client on this machine with this instance's token.

Every path, the API, discovery, /version, /openapi, the health checks and the control
API alike, answers a request without the right bearer token with upstream's 401
``Status`` and does nothing else.
"""

from __future__ import annotations

import errno
import socket
import ssl
from pathlib import Path

import pytest
import yaml
from rawhttp import Raw, Unchanged

from chaoszone.sim.server import Simulator


@pytest.fixture(scope="module")
def sim(still_sim: Simulator) -> Simulator:
    """This module's requests go to the still simulator (see conftest)."""
    return still_sim


PATHS = [
    "/api/v1/namespaces/default/configmaps",
    "/api/v1/namespaces/default",
    "/apis/apps/v1/deployments",
    "/api",
    "/api/v1",
    "/apis",
    "/apis/apps/v1",
    "/version",
    "/openapi/v3",
    "/openapi/v3/api/v1",
    "/openapi/v2",
    "/healthz",
    "/readyz",
    "/sim/v1/state",
    "/sim/v1/reset",
    "/no/such/path",
    "/",
]

WRONG_TOKENS = [
    None,  # no Authorization header at all
    "Bearer not-the-token",
    "Bearer ",
    "Basic YWRtaW46YWRtaW4=",
]


def assert_unauthorized(reply_status: int, doc: dict[str, object]) -> None:
    assert reply_status == 401
    assert doc == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": "Unauthorized", "reason": "Unauthorized", "code": 401}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("token", WRONG_TOKENS, ids=["none", "wrong", "empty", "basic"])
def test_every_path_answers_a_missing_or_wrong_token_with_a_401_status(
        raw: Raw, unchanged: Unchanged, path: str, token: str | None) -> None:
    with unchanged():
        reply = raw.get(path, token=token)
        assert_unauthorized(reply.status, reply.error(401, "Unauthorized"))


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_without_the_token_is_refused_before_anything_happens(
        raw: Raw, unchanged: Unchanged, method: str) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "intruder"}}
    with unchanged():
        for path in ("/api/v1/namespaces/default/configmaps",
                     "/api/v1/namespaces/default/configmaps/kube-root-ca.crt",
                     "/sim/v1/reset"):
            reply = raw.request(method, path, body, token="Bearer guess",
                                content_type="application/merge-patch+json"
                                if method == "PATCH" else "application/json")
            reply.error(401, "Unauthorized")


def test_the_token_of_another_simulator_does_not_open_this_one(sim: Simulator,
                                                                raw: Raw) -> None:
    with Simulator() as other:
        assert other.token != sim.token
        reply = raw.get("/api/v1/namespaces", token=f"Bearer {other.token}")
        reply.error(401, "Unauthorized")
        assert raw.get("/api/v1/namespaces").status == 200


def test_the_token_is_random_and_long_for_each_instance() -> None:
    tokens = set()
    for _ in range(3):
        with Simulator() as sim:
            tokens.add(sim.token)
            assert len(sim.token) >= 32
            config = yaml.safe_load(Path(sim.kubeconfig).read_text())
            assert config["users"][0]["user"]["token"] == sim.token
    assert len(tokens) == 3


def _listeners(port: int) -> list[tuple[str, str]]:
    """(local address, table) of every listening TCP socket on ``port``, from /proc."""
    found = []
    for table in ("tcp", "tcp6"):
        path = Path("/proc/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.append((address, table))
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_the_server_listens_on_127_0_0_1_only(sim: Simulator) -> None:
    assert sim.url == f"https://127.0.0.1:{sim.port}"
    # 0100007F is 127.0.0.1 in /proc's little-endian hex; no IPv6 or wildcard socket
    assert _listeners(sim.port) == [("0100007F", "tcp")]


def test_other_loopback_addresses_cannot_reach_it(sim: Simulator) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        code = sock.connect_ex(("127.0.0.2", sim.port))
    assert code in (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EADDRNOTAVAIL)


def test_a_simulator_cannot_be_asked_to_bind_elsewhere() -> None:
    with pytest.raises(TypeError):
        Simulator(host="0.0.0.0")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Simulator(address="0.0.0.0")  # type: ignore[call-arg]


def test_sim_serve_has_no_option_to_listen_elsewhere(
        capsys: pytest.CaptureFixture[str]) -> None:
    from chaoszone.cli import main

    for option in ("--host", "--address", "--bind"):
        with pytest.raises(SystemExit) as exited:
            main(["sim", "serve", option, "0.0.0.0"])
        assert exited.value.code == 2
        assert "unrecognized arguments" in capsys.readouterr().err


def test_plain_http_on_the_https_port_gets_no_api_answer(sim: Simulator) -> None:
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as sock:
        sock.sendall(b"GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + sim.token.encode() + b"\r\n\r\n")
        data = b""
        try:
            while chunk := sock.recv(4096):
                data += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    assert b"NamespaceList" not in data


def test_the_server_certificate_is_trusted_only_through_its_own_ca(sim: Simulator) -> None:
    context = ssl.create_default_context()  # the system's CAs, not the simulator's
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as sock, \
            pytest.raises(ssl.SSLCertVerificationError):
        context.wrap_socket(sock, server_hostname="127.0.0.1")
