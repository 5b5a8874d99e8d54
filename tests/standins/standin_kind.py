"""The stand-in ``kind``: kind v0.31.0's CLI, whose clusters are chaoszone simulators.

Output, error text and exit status follow kubernetes-sigs/kind at tag v0.31.0 (paths cited
at each command): status lines and errors on stderr (``ERROR: ...``, exit 1, with
``Command Output: ...`` when a docker command failed: cmd/kind/app/main.go logError),
program output on stdout. ``kind create cluster`` starts ``chaoszone sim serve`` for the
config, detached, and records a node container per node, named as kind's namer names
them (pkg/cluster/internal/providers/common/namer.go, via chaoszone.kindconfig).
"""

from __future__ import annotations

import ipaddress
import json
import os
import platform
import random
import re
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from standin_args import Flag, Parsed, parse, unsupported
from standin_docker import SERVER_VERSION, exec_refusal
from standin_kind_logs import collect_node_logs
from standin_server import (
    SimClient,
    kind_kubeconfig,
    process_alive,
    remove_from_kubeconfig,
    start_simulator,
    stop_simulator,
    write_merged_kubeconfig,
)
from standin_state import (
    CLUSTER_LABEL,
    DOCKER_DOWN_MESSAGE,
    TIME_SCALE_ENV,
    Container,
    StandinError,
    State,
    docker_is_down,
    normalize_image,
)

__all__ = ["DISPLAY_VERSION", "SUBSET", "main"]

#: pkg/cmd/kind/version/version.go DisplayVersion at v0.31.0, built with .go-version 1.25.5
VERSION = "0.31.0"
_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
DISPLAY_VERSION = f"kind v{VERSION} go1.25.5 linux/{_ARCH}"
DEFAULT_NAME = "kind"
#: pkg/cluster/internal/loadbalancer/const.go at v0.31.0
LOAD_BALANCER_IMAGE = "docker.io/kindest/haproxy:v20251211-v0.29.0-alpha-100-g82a92c5d"
#: pkg/apis/config/defaults/image.go at v0.31.0 (a 1.35 image; the simulator is 1.32)
KIND_DEFAULT_IMAGE = ("kindest/node:v1.35.0@sha256:"
                      "452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f")
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
_VALID_NAME = re.compile(r"^[a-z0-9.-]+$")
SUBSET = """\
  kind version
  kind create cluster [--name N] [--config FILE|-] [--kubeconfig FILE] [--image I] [--retain]
  kind get clusters
  kind get nodes [--name N] [--all-clusters]
  kind get kubeconfig [--name N]
  kind export kubeconfig [--name N] [--kubeconfig FILE]
  kind export logs [DIR] [--name N]
  kind delete cluster [--name N] [--kubeconfig FILE]
  kind load docker-image IMAGE... [--name N] [--nodes a,b]
  global flags: -q/--quiet, -v/--verbosity N"""


class KindError(StandinError):
    """An error as kind's main logs it: ``ERROR: <message>``, and the failed command's
    output if a command failed."""

    def __init__(self, message: str, output: str | None = None) -> None:
        text = f"ERROR: {message}"
        if output is not None:
            text += f"\n\nCommand Output: {output}"
        super().__init__(text)


def _docker_failed(command: list[str], wrap: str) -> KindError:
    """pkg/exec/types.go RunError for a docker command against a daemon that is down."""
    pretty = " ".join(shlex.quote(part) for part in command)
    return KindError(f'{wrap}: command "{pretty}" failed with error: exit status 1',
                     DOCKER_DOWN_MESSAGE)


def _list_nodes_check(name: str, wrap: str = "") -> None:
    """provider.ListNodes' docker ps (pkg/cluster/internal/providers/docker/provider.go)."""
    if docker_is_down():
        prefix = f"{wrap}: " if wrap else ""
        raise _docker_failed(["docker", "ps", "-a", "--filter", f"label={CLUSTER_LABEL}={name}",
                              "--format", "{{.Names}}"], f"{prefix}failed to list nodes")


class Log:
    """kind's logger on stderr (pkg/internal/cli/logger.go: a newline ends every write),
    silenced by -q, with the status of pkg/internal/cli/status.go as it shows without a
    terminal: Start prints `` • <status>  ...`` after ending the status before it, End
    prints `` ✓ <status>`` (or ✗)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.current: str | None = None

    def info(self, message: str) -> None:
        if not self.quiet:
            sys.stderr.write(message if message.endswith("\n") else message + "\n")
            sys.stderr.flush()

    def start(self, status: str) -> None:
        self.end()
        self.current = status
        self.info(f" • {status}  ...\n")

    def end(self, ok: bool = True) -> None:
        if self.current is not None:
            self.info(f" {'✓' if ok else '✗'} {self.current}\n")
            self.current = None


def _cluster_name(parsed: Parsed) -> str:
    """--name, else KIND_CLUSTER_NAME (pkg/internal/cli/override.go), else kind."""
    return parsed.text("name") or os.environ.get("KIND_CLUSTER_NAME") or DEFAULT_NAME


def _parse(command: str, argv: list[str], flags: list[Flag]) -> Parsed:
    return parse("kind", command, argv, flags, SUBSET)


_NAME = Flag(("--name", "-n"))
_KUBECONFIG = Flag(("--kubeconfig",))


# -- kind create cluster --------------------------------------------------------------------------


def _read_config(parsed: Parsed) -> tuple[str, str]:
    """(text, source) of --config: a file, ``-`` for stdin (createcluster.go configOption),
    or kind's default of one control-plane node."""
    path = parsed.text("config")
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    if path:
        try:
            return Path(path).read_text(), path
        except OSError as exc:
            # encoding/load.go wraps Go's *PathError: "open PATH: no such file or directory"
            why = (exc.strerror or str(exc)).lower()
            raise KindError(f"failed to create cluster: error reading file: open {path}: "
                            f"{why}") from None
    return "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n", "<default>"


def _override_image(text: str, image: str) -> str:
    """--image replaces every node's image (pkg/cluster/internal/create/create.go
    fixupOptions), so the simulator reads the version from it too."""
    import yaml

    doc, nodes = _nodes_of(text)
    if not doc and not nodes:
        return text  # not a config: the simulator's decoding error says why
    for node in nodes:
        node["image"] = image
    doc["nodes"] = nodes
    return str(yaml.safe_dump(doc, sort_keys=False))


def _time_scale() -> float:
    raw = os.environ.get(TIME_SCALE_ENV, "1")
    try:
        scale = float(raw)
    except ValueError:
        scale = 0.0
    if not scale > 0:
        raise StandinError(f"chaoszone stand-in kind: {TIME_SCALE_ENV}={raw!r} must be a number "
                           f"greater than 0 (how many times faster than the wall clock the "
                           f"simulated cluster runs)")
    return scale


def _nodes_of(text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The config document and its nodes, as far as they can be read here; the simulator
    decodes and validates the whole file strictly when it starts (kind's encoding/load.go
    and validate.go rules, chaoszone.kindconfig), and its error is kind's then."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        doc = None
    if not isinstance(doc, dict):
        return {}, []
    nodes = doc.get("nodes")
    if nodes is None:
        nodes = [{"role": "control-plane"}]  # v1alpha4 default.go: one control plane
    if not isinstance(nodes, list):
        return doc, []
    return doc, [n for n in nodes if isinstance(n, dict)]


def cmd_create_cluster(argv: list[str], log: Log) -> int:
    """pkg/cluster/internal/create/create.go Cluster at v0.31.0."""
    parsed = _parse("create cluster", argv, [
        _NAME, Flag(("--config",)), _KUBECONFIG, Flag(("--image",)),
        Flag(("--retain",), value=False)])
    if parsed.args:
        raise KindError(f'unknown command "{parsed.args[0]}" for "kind create cluster"')
    if docker_is_down():
        raise _docker_failed(["docker", "info", "--format", "{{json .}}"],
                             "failed to create cluster: failed to get docker info")
    text, _ = _read_config(parsed)
    if parsed.text("image"):
        text = _override_image(text, parsed.text("image") or "")
    doc, nodes = _nodes_of(text)
    configured = doc.get("name") if isinstance(doc.get("name"), str) else None
    name = parsed.text("name") or os.environ.get("KIND_CLUSTER_NAME") or configured or "kind"
    scale = _time_scale()
    with State.open() as state:
        if state.nodes_of(name) or name in state.clusters:
            raise KindError(f"failed to create cluster: node(s) already exist for a cluster "
                            f'with the name "{name}"')
        if len(name) > 50:
            # create.go Warnf: the CLI logger prints warnings without a prefix
            log.info(f"cluster name {json.dumps(name)} is probably too long, this might not "
                     "work properly on some systems")
        if not _VALID_NAME.match(name):
            # pkg/internal/apis/config/validate.go
            raise KindError(f"failed to create cluster: '{name}' is not a valid cluster name, "
                            "cluster names must match `^[a-z0-9.-]+$`")
        networking = doc.get("networking") if isinstance(doc.get("networking"), dict) else {}
        failure = _create(state, text, name, scale, parsed, log, images=sorted(
            {str(n.get("image") or KIND_DEFAULT_IMAGE) for n in nodes}), nodes=len(nodes),
            cni=not (networking or {}).get("disableDefaultCNI"))
    if failure is not None:
        raise failure
    return 0


def _create(state: State, text: str, name: str, scale: float, parsed: Parsed, log: Log, *,
            images: list[str], nodes: int, cni: bool) -> KindError | None:
    """Make the cluster. A failure to write the kubeconfig leaves it made, as in kind, and is
    returned, to be raised once the state is saved."""
    log.info(f'Creating cluster "{name}" ...')
    for image in images:
        friendly = image.split("@sha256:")[0]  # providers/docker/images.go sanitizeImage
        log.start(f"Ensuring node image ({friendly}) 🖼")
        state.add_image(image)
    directory = state.cluster_dir(name)
    config_path = directory / "kind-config.yaml"
    config_path.write_text(text)
    log.start(f"Preparing nodes {'📦 ' * nodes}")
    try:
        record = start_simulator(directory, config_path, name, scale)
    except StandinError as exc:
        log.end(ok=False)
        if not parsed.flag("retain"):  # create.go deletes what it made unless --retain
            shutil.rmtree(directory, ignore_errors=True)
        raise KindError(f"failed to create cluster: {exc.message}") from None
    record["config"] = str(config_path)
    try:
        # The nodes as the simulator built them from the config: kind's names (namer.go),
        # addresses 172.18.0.2 upwards in config order (chaoszone.sim.bootstrap node_ip).
        built = sorted(SimClient(record).request("GET", "/api/v1/nodes")["items"],
                       key=lambda n: ipaddress.ip_address(_internal_ip(n)))
    except BaseException:
        stop_simulator(record)  # never leave a server the state does not record
        shutil.rmtree(directory, ignore_errors=True)
        raise
    state.clusters[name] = record
    planes = 0
    for node in built:
        labels = node["metadata"].get("labels") or {}
        role = "control-plane" if CONTROL_PLANE_LABEL in labels else "worker"
        planes += role == "control-plane"
        node_name = node["metadata"]["name"]
        state.containers[node_name] = Container.new(
            node_name, name, role, _image_of(images, node), _internal_ip(node))
    if planes > 1:
        last = max(ipaddress.ip_address(_internal_ip(n)) for n in built)
        balancer = f"{name}-external-load-balancer"
        state.containers[balancer] = Container.new(
            balancer, name, "external-load-balancer", LOAD_BALANCER_IMAGE, str(last + 1))
        log.start("Configuring the external load balancer ⚖️")
    for step in ("Writing configuration 📜", "Starting control-plane 🕹️"):
        log.start(step)
    if cni:
        log.start("Installing CNI 🔌")
    log.start("Installing StorageClass 💾")
    if planes > 1:
        log.start("Joining more control-plane nodes 🎮")
    if len(built) > planes:
        log.start("Joining worker nodes 🚜")
    log.end()
    try:
        _export_kubeconfig(state, name, parsed.text("kubeconfig"))
    except StandinError as exc:
        return KindError(f"failed to create cluster: {exc.message.removeprefix('ERROR: ')}")
    explicit = parsed.text("kubeconfig")
    sample = f"kubectl cluster-info --context kind-{name}"
    if explicit:
        sample += " --kubeconfig " + shlex.quote(explicit)
    log.info(f'Set kubectl context to "kind-{name}"')
    log.info(f"You can now use your cluster with:\n\n{sample}")
    log.info("")
    log.info(random.choice([
        "Have a nice day! 👋", "Thanks for using kind! 😊",
        "Not sure what to do next? 😅  Check out https://kind.sigs.k8s.io/docs/user/quick-start/",
        "Have a question, bug, or feature request? Let us know! "
        "https://kind.sigs.k8s.io/#community 🙂"]))
    return None


def _internal_ip(node: dict[str, Any]) -> str:
    return str(next(a["address"] for a in node["status"]["addresses"]
                    if a["type"] == "InternalIP"))


def _image_of(images: list[str], node: dict[str, Any]) -> str:
    """The node's image: the one whose Kubernetes version the kubelet reports."""
    version = node["status"]["nodeInfo"]["kubeletVersion"]
    return next((i for i in images if f":{version}" in i), images[0] if images else "")


def _export_kubeconfig(state: State, name: str, explicit: str | None) -> None:
    record = state.clusters.get(name)
    if record is None or not process_alive(record):
        raise KindError(f"could not locate any control plane nodes for cluster named '{name}'."
                        " Use the --name option to select a different cluster")
    write_merged_kubeconfig(kind_kubeconfig(name, SimClient(record)), explicit)


# -- kind get / export kubeconfig -----------------------------------------------------------------


def cmd_get_clusters(argv: list[str], log: Log) -> int:
    """pkg/cmd/kind/get/clusters/clusters.go; the names come sorted from the containers'
    labels (providers/docker/provider.go ListClusters)."""
    parsed = _parse("get clusters", argv, [])
    if parsed.args:
        raise KindError(f'unknown command "{parsed.args[0]}" for "kind get clusters"')
    if docker_is_down():
        raise _docker_failed(
            ["docker", "ps", "-a", "--filter", f"label={CLUSTER_LABEL}",
             "--format", f'{{{{.Label "{CLUSTER_LABEL}"}}}}'], "failed to list clusters")
    with State.open() as state:
        clusters = sorted({c.cluster for c in state.containers.values()})
    if not clusters:
        log.info("No kind clusters found.")
    for name in clusters:
        print(name)
    return 0


def cmd_get_nodes(argv: list[str], log: Log) -> int:
    """pkg/cmd/kind/get/nodes/nodes.go: in ``docker ps`` order (newest first)."""
    parsed = _parse("get nodes", argv, [_NAME, Flag(("--all-clusters", "-A"), value=False)])
    name = _cluster_name(parsed)
    _list_nodes_check(name)
    with State.open() as state:
        if parsed.flag("all_clusters"):
            clusters = sorted({c.cluster for c in state.containers.values()})
            nodes = [n for cluster in clusters for n in state.nodes_of(cluster)]
            if not nodes:
                log.info("No kind nodes for any cluster.")
        else:
            nodes = state.nodes_of(name)
            if not nodes:
                log.info(f'No kind nodes found for cluster "{name}".')
    for node in nodes:
        print(node.name)
    return 0


def cmd_get_kubeconfig(argv: list[str], log: Log) -> int:
    parsed = _parse("get kubeconfig", argv, [_NAME])
    name = _cluster_name(parsed)
    _list_nodes_check(name)
    with State.open() as state:
        record = state.clusters.get(name)
        if record is None or not process_alive(record):
            raise KindError(f"could not locate any control plane nodes for cluster named "
                            f"'{name}'. Use the --name option to select a different cluster")
        import yaml

        print(yaml.safe_dump(kind_kubeconfig(name, SimClient(record)), sort_keys=False), end="")
    return 0


def cmd_export_kubeconfig(argv: list[str], log: Log) -> int:
    """pkg/cmd/kind/export/kubeconfig/kubeconfig.go."""
    parsed = _parse("export kubeconfig", argv, [_NAME, _KUBECONFIG])
    name = _cluster_name(parsed)
    _list_nodes_check(name)
    with State.open() as state:
        _export_kubeconfig(state, name, parsed.text("kubeconfig"))
    log.info(f'Set kubectl context to "kind-{name}"')
    return 0


# -- kind delete cluster --------------------------------------------------------------------------


def cmd_delete_cluster(argv: list[str], log: Log) -> int:
    """pkg/cmd/kind/delete/cluster/deletecluster.go and pkg/cluster/internal/delete/delete.go:
    idempotent; the kubeconfig entries go first, then the nodes (``docker rm -f -v``)."""
    parsed = _parse("delete cluster", argv, [_NAME, _KUBECONFIG])
    name = _cluster_name(parsed)
    log.info(f'Deleting cluster "{name}" ...')
    _list_nodes_check(name, f'failed to delete cluster "{name}": error listing nodes')
    with State.open() as state:
        nodes = state.nodes_of(name)
        try:
            remove_from_kubeconfig(name, parsed.text("kubeconfig"))
            kubeconfig_error = None
        except StandinError as exc:
            kubeconfig_error = exc.message
            log.info(f"ERROR: failed to update kubeconfig: {exc.message}")
        record = state.clusters.pop(name, None)
        if record is not None:
            stop_simulator(record)
        for node in nodes:
            del state.containers[node.name]
        if nodes:
            log.info("Deleted nodes: [" + " ".join(json.dumps(n.name) for n in nodes) + "]")
    if kubeconfig_error is not None:
        raise KindError(f'failed to delete cluster "{name}": {kubeconfig_error}')
    return 0


# -- kind load docker-image -----------------------------------------------------------------------


def cmd_load_docker_image(argv: list[str], log: Log) -> int:
    """pkg/cmd/kind/load/docker-image/docker-image.go at v0.31.0."""
    parsed = _parse("load docker-image", argv, [_NAME, Flag(("--nodes",), repeated=True)])
    if not parsed.args:
        raise KindError("a list of image names is required")
    images = list(dict.fromkeys(parsed.args))
    name = _cluster_name(parsed)
    wanted = [n for spec in parsed.texts("nodes") for n in spec.split(",") if n]
    with State.open() as state:
        ids = []
        for image in images:
            found = None if docker_is_down() else state.find_image(image)
            if found is None:
                raise KindError(f'image: "{image}" not present locally')
            ids.append(found["id"])
        _list_nodes_check(name)
        nodes = [n for n in state.nodes_of(name) if n.role != "external-load-balancer"]
        if not nodes:
            raise KindError(f'no nodes found for cluster "{name}"')
        by_name = {n.name: n for n in nodes}
        candidates = nodes
        if wanted:
            unknown = next((w for w in wanted if w not in by_name), None)
            if unknown is not None:
                raise KindError(f'unknown node: "{unknown}"')
            candidates = [by_name[w] for w in wanted]
        selected: dict[str, Container] = {}
        for image, id_ in zip(images, ids, strict=True):
            for node in candidates:
                if normalize_image(image) in (node.images or []):
                    continue
                selected[node.name] = node
                log.info(f'Image: "{image}" with ID "{id_}" not yet present on node '
                         f'"{node.name}", loading...')
            if not selected:
                log.info(f'Image: "{image}" with ID "{id_}" found to be already present on '
                         f"all nodes.")
        for node in selected.values():
            command = ["docker", "exec", "--privileged", "-i", node.name, "ctr",
                       "--namespace=k8s.io", "images", "import", "--all-platforms", "--digests",
                       "--snapshotter=overlayfs", "-"]
            why = exec_refusal(node)
            if why is not None:
                pretty = " ".join(shlex.quote(p) for p in command)
                raise KindError(f'command "{pretty}" failed with error: exit status 1', why)
            node.images = list(dict.fromkeys((node.images or []) +
                                             [normalize_image(i) for i in images]))
    return 0


# -- kind export logs -----------------------------------------------------------------------------


def cmd_export_logs(argv: list[str], log: Log) -> int:
    """pkg/cmd/kind/export/logs/logs.go and pkg/cluster/provider.go CollectLogs at v0.31.0:
    the directory on stdout, ``Exporting logs for cluster "N" to:`` on stderr."""
    parsed = _parse("export logs", argv, [_NAME])
    if len(parsed.args) > 1:
        raise KindError(f'accepts at most 1 arg(s), received {len(parsed.args)}')
    name = _cluster_name(parsed)
    _list_nodes_check(name)
    with State.open() as state:
        nodes = state.nodes_of(name)
        if not nodes:
            raise KindError(f'unknown cluster "{name}"')
        directory = Path(parsed.args[0] if parsed.args else tempfile.mkdtemp())
        log.info(f'Exporting logs for cluster "{name}" to:')
        print(directory, flush=True)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "kind-version.txt").write_text(DISPLAY_VERSION)
        info = [f"Server Version: {SERVER_VERSION}",
                f"Containers: {len(state.containers)}", f"Images: {len(state.images)}"]
        (directory / "docker-info.txt").write_text("\n".join(info) + "\n")
        errors = []
        for node in nodes:
            if node.role != "external-load-balancer":
                errors += collect_node_logs(state, node, directory / node.name)
    if errors:
        # pkg/errors aggregate: one error as itself, several as [a, b]
        raise KindError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    return 0


# -- entry point ----------------------------------------------------------------------------------


def cmd_version(argv: list[str], log: Log) -> int:
    """pkg/cmd/kind/version/version.go: the semver alone with -q."""
    _parse("version", argv, [])
    print(VERSION if log.quiet else DISPLAY_VERSION)
    return 0


COMMANDS = {
    ("version",): cmd_version,
    ("create", "cluster"): cmd_create_cluster,
    ("get", "clusters"): cmd_get_clusters,
    ("get", "nodes"): cmd_get_nodes,
    ("get", "kubeconfig"): cmd_get_kubeconfig,
    ("export", "kubeconfig"): cmd_export_kubeconfig,
    ("export", "logs"): cmd_export_logs,
    ("delete", "cluster"): cmd_delete_cluster,
    ("load", "docker-image"): cmd_load_docker_image,
}


def _global_flags(argv: list[str]) -> tuple[list[str], bool]:
    """Strip kind's persistent flags (-q/--quiet, -v/--verbosity N) wherever they are."""
    rest: list[str] = []
    quiet = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-q", "--quiet"):
            quiet = True
        elif arg in ("-v", "--verbosity"):
            i += 1
        elif not arg.startswith("--verbosity="):
            rest.append(arg)
        i += 1
    return rest, quiet


def main(argv: list[str]) -> int:
    argv, quiet = _global_flags(argv)
    log = Log(quiet)
    words = [a for a in argv[:2] if not a.startswith("-")]
    command = next((key for key in COMMANDS if tuple(words[:len(key)]) == key), None)
    try:
        if command is None:
            raise unsupported("kind", f"`kind {' '.join(words)}`", SUBSET)
        return COMMANDS[command](argv[len(command):], log)
    except StandinError as exc:
        if not quiet:
            print(exc.message, file=sys.stderr)
        return exc.code
