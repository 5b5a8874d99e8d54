"""The stand-in ``docker``: Docker Engine 28.5.2's CLI for kind's node containers, each of
which is a node of the simulator serving its cluster.

Output, error text and exit status follow docker/cli v28.5.2 and moby v28.5.2 (cited at
each command). A container's power maps to the simulator's control API: stop and kill
power the node off, pause pauses it, start and unpause power it on; iptables DROP rules
inserted with ``docker exec`` partition it from the control plane.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable
from typing import Any

import standin_iptables as iptables
from standin_args import Flag, parse, unsupported
from standin_server import SimClient, process_alive
from standin_state import (
    DOCKER_DOWN_MESSAGE,
    Container,
    StandinError,
    State,
    docker_is_down,
    familiar_image,
    image_id,
    normalize_image,
    now_rfc3339,
)
from standin_templates import TemplateError, render

__all__ = ["SERVER_VERSION", "SUBSET", "exec_refusal", "inspect_container", "main"]

#: the Docker Engine the stand-in claims to be
SERVER_VERSION = "28.5.2"
#: the ``kind`` network's gateway (the network is 172.18.0.0/16, as chaoszone.sim.bootstrap)
GATEWAY = "172.18.0.1"
#: docker kill's SIGKILL: 128 + 9
KILLED = 137
SUBSET = """\
  docker info [--format TEMPLATE]
  docker ps [-a] [-q] [--filter label=KEY[=VALUE]|name=NAME]... [--format TEMPLATE]
  docker inspect [--type container|image] [--format TEMPLATE] NAME...
  docker image inspect [--format TEMPLATE] IMAGE...
  docker pull IMAGE
  docker stop [-t SECONDS] NAME...   docker kill NAME...   docker start NAME...
  docker pause NAME...   docker unpause NAME...
  docker exec [--privileged] [-i] NAME iptables -I|-A|-D|-C INPUT|OUTPUT|FORWARD
                                       [-s ADDRESS] [-d ADDRESS] -j DROP|REJECT|ACCEPT
TEMPLATE: literal text with {{.Path.To.Field}}, {{json .Path}} and (ps) {{.Label "key"}}"""


def _unsupported(what: str) -> StandinError:
    return unsupported("docker", what, SUBSET)


def _daemon(message: str) -> StandinError:
    """An error the daemon answered (moby client/request.go wraps them so)."""
    return StandinError(f"Error response from daemon: {message}")


# -- lookups --------------------------------------------------------------------------------------


def _find(state: State, ref: str) -> Container | None:
    """A container by name or by (a unique prefix of) its ID, as the daemon resolves them."""
    if ref in state.containers:
        return state.containers[ref]
    matches = [c for c in state.containers.values() if ref and c.id.startswith(ref)]
    return matches[0] if len(matches) == 1 else None


def _require(state: State, ref: str) -> Container:
    found = _find(state, ref)
    if found is None:
        raise _daemon(f"No such container: {ref}")  # moby daemon/errors.go containerNotFound
    return found


def _client(state: State, container: Container) -> SimClient:
    record = state.clusters.get(container.cluster)
    if record is None or not process_alive(record):
        raise StandinError(
            f"chaoszone stand-in docker: the simulator behind kind cluster "
            f"{container.cluster!r} is not running (killed?); delete the cluster with "
            f"`kind delete cluster --name {container.cluster}` and create it again")
    return SimClient(record)


def _is_load_balancer(container: Container) -> bool:
    return container.role == "external-load-balancer"


def exec_refusal(container: Container, ref: str | None = None) -> str | None:
    """Why the daemon refuses ``docker exec`` into the container (moby v28.5.2
    daemon/exec.go getActiveContainer), or None if it runs the command."""
    if container.status == "exited":
        return f"Error response from daemon: container {container.id} is not running"
    if container.status == "paused":
        return (f"Error response from daemon: Container {ref or container.name} is paused, "
                f"unpause the container before exec")
    return None


# -- what inspect shows ---------------------------------------------------------------------------


def inspect_container(container: Container) -> dict[str, Any]:
    """The fields of moby's ``ContainerJSON`` that callers read, for a kind node container
    (kind pkg/cluster/internal/providers/docker/provision.go). An exited container has no
    address on its network, as docker clears it."""
    running = container.status in ("running", "paused")
    return {
        "Id": container.id,
        "Created": container.created,
        "Path": "/usr/local/bin/entrypoint",
        "Args": ["/sbin/init"],
        "State": {
            "Status": container.status, "Running": running,
            "Paused": container.status == "paused", "Restarting": False, "OOMKilled": False,
            "Dead": False, "Pid": (int(container.id[:4], 16) + 1000) if running else 0,
            "ExitCode": container.exit_code, "Error": "", "StartedAt": container.started_at,
            "FinishedAt": container.finished_at,
        },
        "Image": image_id(container.image),
        "Name": "/" + container.name,
        "RestartCount": 0,
        "HostConfig": {"Privileged": True,
                       "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 1}},
        "Config": {"Hostname": container.name, "Image": container.image,
                   "Labels": container.labels},
        "NetworkSettings": {"Networks": {"kind": {
            "IPAddress": container.ip if running else "",
            "IPPrefixLen": 16 if running else 0,
            "Gateway": GATEWAY if running else "",
            "Aliases": [container.name],
        }}},
    }


def _inspect_image(state: State, image: dict[str, Any]) -> dict[str, Any]:
    return {"Id": image["id"], "RepoTags": [familiar_image(r) for r in state.refs_of(image)],
            "RepoDigests": [], "Created": image["created"], "Os": "linux",
            "Architecture": "amd64"}


def _ps_row(container: Container) -> dict[str, Any]:
    """docker/cli cli/command/formatter/container.go's fields."""
    return {"ID": container.id[:12], "Names": container.name, "Image": container.image,
            "Labels": container.labels, "State": container.status,
            "Networks": "kind", "Command": '"/usr/local/bin/entrypoint /sbin/init"'}


def _info(state: State) -> dict[str, Any]:
    containers = list(state.containers.values())
    return {
        "ServerVersion": SERVER_VERSION, "Containers": len(containers),
        "ContainersRunning": sum(c.status == "running" for c in containers),
        "ContainersPaused": sum(c.status == "paused" for c in containers),
        "ContainersStopped": sum(c.status == "exited" for c in containers),
        "Images": len(state.images), "Driver": "overlay2", "CgroupDriver": "systemd",
        "CgroupVersion": "2", "MemoryLimit": True, "PidsLimit": True, "CPUShares": True,
        "SecurityOptions": ["name=seccomp,profile=builtin", "name=cgroupns"],
        "OperatingSystem": "chaoszone stand-in (no Docker engine)", "OSType": "linux",
        "Architecture": "x86_64", "NCPU": os.cpu_count() or 1, "Name": socket.gethostname(),
    }


# -- commands -------------------------------------------------------------------------------------


def _format(parsed_format: str | None, obj: dict[str, Any]) -> str:
    assert parsed_format is not None
    try:
        return render(parsed_format, obj)
    except TemplateError as exc:
        raise _unsupported(f"the template {parsed_format!r} ({exc})") from None


def cmd_info(argv: list[str]) -> int:
    """docker/cli cli/command/system/info.go runInfo/formatInfo: with --format the template
    is printed even when the daemon is down (empty fields), then the connection error."""
    parsed = parse("docker", "info", argv, [Flag(("--format", "-f"))], SUBSET)
    if parsed.args:
        raise _unsupported(f"arguments {parsed.args} to `docker info`")
    fmt = parsed.text("format")
    if docker_is_down():
        if fmt is not None:
            print(_format(fmt, {"ServerVersion": ""}))
        raise StandinError(DOCKER_DOWN_MESSAGE)
    with State.open() as state:
        info = _info(state)
    if fmt is not None:
        print(_format(fmt, info))
        return 0
    print("Server:")
    for key in ("Containers", "ContainersRunning", "ContainersPaused", "ContainersStopped",
                "Images", "ServerVersion", "Driver", "CgroupDriver", "CgroupVersion",
                "OperatingSystem", "OSType", "Architecture", "NCPU", "Name"):
        print(f" {key}: {info[key]}")
    return 0


def cmd_ps(argv: list[str]) -> int:
    parsed = parse("docker", "ps", argv, [
        Flag(("--all", "-a"), value=False), Flag(("--quiet", "-q"), value=False),
        Flag(("--filter", "-f"), repeated=True), Flag(("--format",)),
        Flag(("--no-trunc",), value=False)], SUBSET)
    if parsed.args:
        raise _unsupported(f"arguments {parsed.args} to `docker ps`")
    fmt = parsed.text("format")
    if fmt is None and not parsed.flag("quiet"):
        raise _unsupported("`docker ps` without --format or -q (the table)")
    labels: list[tuple[str, str | None]] = []
    names: list[str] = []
    for spec in parsed.texts("filter"):
        kind, _, value = spec.partition("=")
        if kind == "label":
            key, eq, wanted = value.partition("=")
            labels.append((key, wanted if eq else None))
        elif kind == "name":
            names.append(value)
        else:
            raise _unsupported(f"the filter {spec!r}")

    def matches(c: Container) -> bool:
        return all(k in c.labels and (w is None or c.labels[k] == w) for k, w in labels) and \
            all(n in c.name for n in names)

    with State.open() as state:
        rows = [c for c in reversed(state.containers.values())
                if (parsed.flag("all") or c.status != "exited") and matches(c)]
    for container in rows:
        if fmt is not None:
            print(_format(fmt, _ps_row(container)))
        else:
            print(container.id if parsed.flag("no_trunc") else container.id[:12])
    return 0


def _print_inspected(found: list[dict[str, Any]], errors: list[str], fmt: str | None) -> int:
    """docker/cli cli/command/inspect/inspector.go Inspect: each element through the
    template, or a JSON array indented by four spaces (``[]`` when nothing was found),
    then every error; exit 1 if any."""
    if fmt is not None:
        for element in found:
            print(_format(fmt, element))
    else:
        print(json.dumps(found, indent=4))
    if errors:
        raise StandinError("\n".join(errors))
    return 0


def cmd_inspect(argv: list[str]) -> int:
    """docker/cli v28.5.2 cli/command/system/inspect.go inspectAll: a container, else an
    image; neither is ``Error: No such object: REF``."""
    parsed = parse("docker", "inspect", argv, [
        Flag(("--format", "-f")), Flag(("--type",))], SUBSET)
    kind = parsed.text("type")
    if kind not in (None, "container", "image"):
        raise _unsupported(f"--type {kind}")
    if not parsed.args:
        raise StandinError('"docker inspect" requires at least 1 argument.')
    found: list[dict[str, Any]] = []
    errors: list[str] = []
    with State.open() as state:
        for ref in parsed.args:
            container = _find(state, ref) if kind in (None, "container") else None
            image = state.find_image(ref) if kind in (None, "image") and not container else None
            if container is not None:
                found.append(inspect_container(container))
            elif image is not None:
                found.append(_inspect_image(state, image))
            elif kind == "container":
                errors.append(f"Error response from daemon: No such container: {ref}")
            elif kind == "image":
                errors.append(f"Error response from daemon: No such image: {familiar_image(ref)}")
            else:
                errors.append(f"Error: No such object: {ref}")
    return _print_inspected(found, errors, parsed.text("format"))


def cmd_image(argv: list[str]) -> int:
    if not argv or argv[0] != "inspect":
        raise _unsupported(f"`docker image {' '.join(argv[:1])}`")
    parsed = parse("docker", "image inspect", argv[1:], [Flag(("--format", "-f"))], SUBSET)
    if not parsed.args:
        raise StandinError('"docker image inspect" requires at least 1 argument.')
    found: list[dict[str, Any]] = []
    errors: list[str] = []
    with State.open() as state:
        for ref in parsed.args:
            image = state.find_image(ref)
            if image is None:
                # moby v28.5.2 daemon/images/image.go ErrImageDoesNotExist (tag defaulted)
                errors.append(f"Error response from daemon: No such image: {familiar_image(ref)}")
            else:
                found.append(_inspect_image(state, image))
    return _print_inspected(found, errors, parsed.text("format"))


def cmd_pull(argv: list[str]) -> int:
    """Put an image into the stand-in's store (no registry is contacted), printing what a
    non-terminal ``docker pull`` prints, without the per-layer lines."""
    parsed = parse("docker", "pull", argv, [Flag(("--quiet", "-q"), value=False)], SUBSET)
    if len(parsed.args) != 1:
        raise StandinError('"docker pull" requires exactly 1 argument.')
    ref = parsed.args[0]
    full = normalize_image(ref)
    with State.open() as state:
        new = state.add_image(ref)
    if not parsed.flag("quiet"):
        name, sep, tag = full.rpartition("@") if "@" in full else full.rpartition(":")
        path = name.split("/", 1)[1] if "/" in name else name
        print(f"{tag if sep == ':' else full}: Pulling from {path}")
        print(f"Digest: {image_id(full)}")
        status = "Downloaded newer image for" if new else "Image is up to date for"
        print(f"Status: {status} {familiar_image(full)}")
    print(full)
    return 0


def _set_power(state: State, container: Container, power: str) -> None:
    if _is_load_balancer(container):
        raise _unsupported(
            f"powering the external load balancer {container.name} (the simulator has no "
            "load balancer to stop)")
    _client(state, container).set_power(container.name, power)


def _stop(state: State, container: Container, kill: bool) -> None:
    if container.status == "exited":
        if kill:
            # moby v28.5.2 daemon/kill.go Kill + api/.../container_routes.go postContainersKill
            raise _daemon(f"cannot kill container: {container.name}: "
                          f"container {container.id} is not running")
        return  # moby daemon/stop.go: 304 Not Modified, which the CLI reports as success
    _set_power(state, container, "off")
    if container.iptables:
        # the node's network namespace, and the rules in it, end with the container
        container.iptables = []
        _client(state, container).set_network(container.name, "connected")
    container.status = "exited"
    container.exit_code = KILLED
    container.finished_at = now_rfc3339()


def _start(state: State, container: Container) -> None:
    if container.status == "paused":
        # moby v28.5.2 daemon/start.go
        raise _daemon("cannot start a paused container, try unpause instead")
    if container.status == "running":
        return  # already started: 304 Not Modified
    _set_power(state, container, "on")
    container.status = "running"
    container.exit_code = 0
    container.started_at = now_rfc3339()


def _pause(state: State, container: Container) -> None:
    # moby v28.5.2 daemon/pause.go and container/container.go GetRunningTask
    if container.status == "exited":
        raise _daemon(f"container {container.id} is not running")
    if container.status == "paused":
        raise _daemon(f"Container {container.id} is already paused")
    _set_power(state, container, "paused")
    container.status = "paused"


def _unpause(state: State, container: Container) -> None:
    if container.status != "paused":
        raise _daemon(f"Container {container.id} is not paused")  # moby daemon/unpause.go
    _set_power(state, container, "on")
    container.status = "running"


def _each(command: str, argv: list[str], flags: list[Flag],
          action: Callable[[State, Container], None], *, start: bool = False) -> int:
    """docker/cli cli/command/container/{stop,kill,pause,unpause}.go: the name of each
    container that succeeded on stdout, every error on stderr, exit 1 if any failed;
    start.go prints errors as they come and ends with ``Error: failed to start
    containers: a, b``."""
    parsed = parse("docker", command, argv, flags, SUBSET)
    if not parsed.args:
        raise StandinError(f'"docker {command}" requires at least 1 argument.')
    errors: list[str] = []
    failed: list[str] = []
    for ref in parsed.args:
        try:
            with State.open() as state:
                action(state, _require(state, ref))
        except StandinError as exc:
            if start:
                print(exc.message, file=sys.stderr)
            errors.append(exc.message)
            failed.append(ref)
            continue
        print(ref, flush=True)
    if start and failed:
        raise StandinError(f"Error: failed to start containers: {', '.join(failed)}")
    if errors:
        raise StandinError("\n".join(errors))
    return 0


# -- docker exec NAME iptables ... ----------------------------------------------------------------


def cmd_exec(argv: list[str]) -> int:
    """docker/cli cli/command/container/exec.go RunExec; moby v28.5.2 daemon/exec.go
    getActiveContainer for a stopped or paused container; the command's own exit status."""
    parsed = parse("docker", "exec", argv, [
        Flag(("--privileged",), value=False), Flag(("--interactive", "-i"), value=False)],
        SUBSET, interspersed=False)
    if len(parsed.args) < 2:
        raise StandinError('"docker exec" requires at least 2 arguments.')
    ref, command = parsed.args[0], parsed.args[1:]
    with State.open() as state:
        container = _require(state, ref)
        refusal = exec_refusal(container, ref)
        if refusal is not None:
            raise StandinError(refusal)
        if command[0] != "iptables" or _is_load_balancer(container):
            raise _unsupported(f"`docker exec {ref} {' '.join(command)}`")
        try:
            now = iptables.apply(state, container, command[1:])
        except iptables.UnsupportedRule as exc:
            raise _unsupported(str(exc)) from None
        if now is not None:
            _client(state, container).set_network(
                container.name, "partitioned" if now else "connected")
    return 0


# -- entry point ----------------------------------------------------------------------------------

_STOP_FLAGS = [Flag(("--time", "-t", "--timeout")), Flag(("--signal", "-s"))]

COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "info": cmd_info,
    "ps": cmd_ps,
    "inspect": cmd_inspect,
    "image": cmd_image,
    "pull": cmd_pull,
    "exec": cmd_exec,
    "stop": lambda argv: _each("stop", argv, _STOP_FLAGS,
                               lambda s, c: _stop(s, c, kill=False)),
    "kill": lambda argv: _each("kill", argv, [], lambda s, c: _stop(s, c, kill=True)),
    "start": lambda argv: _each("start", argv, [], _start, start=True),
    "pause": lambda argv: _each("pause", argv, [], _pause),
    "unpause": lambda argv: _each("unpause", argv, [], _unpause),
}


def main(argv: list[str]) -> int:
    try:
        if not argv or argv[0] not in COMMANDS:
            raise _unsupported(f"`docker {' '.join(argv[:1])}`" if argv else "`docker`")
        if docker_is_down() and argv[0] != "info":
            raise StandinError(DOCKER_DOWN_MESSAGE)
        return COMMANDS[argv[0]](argv[1:])
    except StandinError as exc:
        print(exc.message, file=sys.stderr)
        return exc.code
