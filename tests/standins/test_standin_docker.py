"""The stand-in docker: docker 28.5.2's output, errors and exit codes for kind's node
containers, and the simulator's nodes following what is done to them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config, watch
from standin_fixtures import StandinEnv, standin_env_module

__all__ = ["standin_env_module"]

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "dt"
CONTROL_PLANE = f"{CLUSTER}-control-plane"
WORKER, WORKER2, WORKER3 = f"{CLUSTER}-worker", f"{CLUSTER}-worker2", f"{CLUSTER}-worker3"
NODES = [CONTROL_PLANE, WORKER, WORKER2, WORKER3, f"{CLUSTER}-worker4",
         f"{CLUSTER}-worker5", f"{CLUSTER}-worker6"]
#: three-zones-fast: a node is Unknown 20 cluster seconds after its last heartbeat; at 20x
#: that is about a wall second
TIME_SCALE = 20.0
WATCH_SECONDS = 30


@pytest.fixture(scope="module")
def cluster(standin_env_module: StandinEnv) -> Iterator[StandinEnv]:
    env = standin_env_module
    env.time_scale = TIME_SCALE
    created = env.run("kind", "create", "cluster", "--name", CLUSTER, "--config", "-",
                      "--kubeconfig", str(env.directory / "kubeconfig-dt"),
                      input=(ROOT / "kind-configs" / "three-zones-fast.yaml").read_text())
    assert created.returncode == 0, created.stderr
    yield env


@pytest.fixture(scope="module")
def api(cluster: StandinEnv) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(
        config_file=str(cluster.directory / "kubeconfig-dt"), context=f"kind-{CLUSTER}")
    yield api_client
    api_client.close()


def docker(env: StandinEnv, *args: str) -> tuple[int, str, str]:
    done = env.run("docker", *args)
    return done.returncode, done.stdout, done.stderr


def status(env: StandinEnv, name: str) -> str:
    code, out, err = docker(env, "inspect", "--format", "{{.State.Status}}", name)
    assert code == 0, err
    return out.strip()


def container_id(env: StandinEnv, name: str) -> str:
    return docker(env, "inspect", "--format", "{{.Id}}", name)[1].strip()


def control_state(env: StandinEnv) -> dict[str, Any]:
    return env.simulator_state(CLUSTER)


def ready_status(node: Any) -> str:
    return next((c.status for c in node.status.conditions or [] if c.type == "Ready"), "")


def wait_for_ready_status(api: client.ApiClient, name: str, wanted: str) -> None:
    """Watch the node until its Ready condition is ``wanted``; fail after WATCH_SECONDS."""
    core = client.CoreV1Api(api)
    seen = []
    stream = watch.Watch().stream(core.list_node, field_selector=f"metadata.name={name}",
                                  timeout_seconds=WATCH_SECONDS)
    for event in stream:
        seen.append(ready_status(event["object"]))
        if seen[-1] == wanted:
            return
    pytest.fail(f"node {name} never became Ready={wanted} in {WATCH_SECONDS}s: saw {seen}")


# -- info, ps, inspect ----------------------------------------------------------------------------


def test_info_formats_the_server_version(cluster: StandinEnv) -> None:
    assert docker(cluster, "info", "--format", "{{.ServerVersion}}") == (0, "28.5.2\n", "")


def test_a_daemon_that_is_down_fails_every_command_with_dockers_message(
        cluster: StandinEnv) -> None:
    message = ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
               "Is the docker daemon running?\n")
    down = {"CHAOSZONE_STANDIN_DOCKER_DOWN": "1"}
    info = cluster.run("docker", "info", "--format", "{{.ServerVersion}}", extra_env=down)
    assert (info.returncode, info.stdout, info.stderr) == (1, "\n", message)
    stop = cluster.run("docker", "stop", WORKER, extra_env=down)
    assert (stop.returncode, stop.stdout, stop.stderr) == (1, "", message)
    assert status(cluster, WORKER) == "running"


def test_ps_lists_the_clusters_node_containers_newest_first(cluster: StandinEnv) -> None:
    code, out, _ = docker(cluster, "ps", "-a", "--filter",
                          f"label=io.x-k8s.kind.cluster={CLUSTER}", "--format", "{{.Names}}")
    assert code == 0
    assert out.splitlines() == list(reversed(NODES))
    assert docker(cluster, "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster=other",
                  "--format", "{{.Names}}") == (0, "", "")


def test_ps_formats_a_label_as_kind_lists_clusters(cluster: StandinEnv) -> None:
    code, out, _ = docker(cluster, "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster",
                          "--format", '{{.Label "io.x-k8s.kind.role"}}')
    assert code == 0
    assert sorted(set(out.splitlines())) == ["control-plane", "worker"]


def test_inspect_of_an_unknown_name_is_no_such_object(cluster: StandinEnv) -> None:
    assert docker(cluster, "inspect", "--format", "{{.State.Status}}", "nope") == (
        1, "", "Error: No such object: nope\n")
    code, out, _ = docker(cluster, "inspect", "nope")
    assert (code, out) == (1, "[]\n")


def test_nodes_have_stable_addresses_on_the_kind_network_control_plane_first(
        cluster: StandinEnv, api: client.ApiClient) -> None:
    fmt = "{{.NetworkSettings.Networks.kind.IPAddress}}"
    code, out, _ = docker(cluster, "inspect", "--format", fmt, *NODES)
    addresses = out.splitlines()
    assert code == 0
    assert addresses == [f"172.18.0.{i}" for i in range(2, 2 + len(NODES))]
    internal = {n.metadata.name: next(a.address for a in n.status.addresses
                                      if a.type == "InternalIP")
                for n in client.CoreV1Api(api).list_node().items}
    assert internal == dict(zip(NODES, addresses, strict=True))


# -- power ----------------------------------------------------------------------------------------


def test_a_stopped_node_container_reports_exited_and_its_node_goes_not_ready(
        cluster: StandinEnv, api: client.ApiClient) -> None:
    assert docker(cluster, "stop", "-t", "0", WORKER3) == (0, f"{WORKER3}\n", "")
    assert status(cluster, WORKER3) == "exited"
    assert control_state(cluster)["nodes"][WORKER3]["power"] == "off"
    wait_for_ready_status(api, WORKER3, "Unknown")
    assert docker(cluster, "start", WORKER3) == (0, f"{WORKER3}\n", "")
    assert status(cluster, WORKER3) == "running"
    wait_for_ready_status(api, WORKER3, "True")


def test_ps_without_all_leaves_out_stopped_containers(cluster: StandinEnv) -> None:
    assert docker(cluster, "kill", WORKER2) == (0, f"{WORKER2}\n", "")
    try:
        running = docker(cluster, "ps", "--format", "{{.Names}}")[1].splitlines()
        everything = docker(cluster, "ps", "-a", "--format", "{{.Names}}")[1].splitlines()
        assert WORKER2 not in running
        assert WORKER2 in everything
    finally:
        docker(cluster, "start", WORKER2)


def test_power_commands_fail_with_the_daemons_words_and_change_nothing(
        cluster: StandinEnv) -> None:
    worker_id = container_id(cluster, WORKER2)
    assert docker(cluster, "stop", WORKER2)[0] == 0
    try:
        assert docker(cluster, "pause", WORKER2) == (
            1, "", f"Error response from daemon: container {worker_id} is not running\n")
        assert docker(cluster, "kill", WORKER2) == (
            1, "", f"Error response from daemon: cannot kill container: {WORKER2}: "
                   f"container {worker_id} is not running\n")
        assert docker(cluster, "unpause", WORKER2) == (
            1, "", f"Error response from daemon: Container {worker_id} is not paused\n")
        assert docker(cluster, "stop", WORKER2) == (0, f"{WORKER2}\n", "")
        assert status(cluster, WORKER2) == "exited"
        assert docker(cluster, "stop", "nope", WORKER2) == (
            1, f"{WORKER2}\n", "Error response from daemon: No such container: nope\n")
    finally:
        assert docker(cluster, "start", WORKER2) == (0, f"{WORKER2}\n", "")
    assert docker(cluster, "start", WORKER2) == (0, f"{WORKER2}\n", "")
    assert control_state(cluster)["nodes"][WORKER2]["power"] == "on"


def test_a_paused_node_container_is_paused_in_the_simulator_until_unpaused(
        cluster: StandinEnv) -> None:
    worker_id = container_id(cluster, WORKER)
    assert docker(cluster, "pause", WORKER) == (0, f"{WORKER}\n", "")
    try:
        assert status(cluster, WORKER) == "paused"
        assert control_state(cluster)["nodes"][WORKER]["power"] == "paused"
        assert docker(cluster, "pause", WORKER) == (
            1, "", f"Error response from daemon: Container {worker_id} is already paused\n")
        assert docker(cluster, "start", WORKER) == (
            1, "", "Error response from daemon: cannot start a paused container, try unpause "
                   f"instead\nError: failed to start containers: {WORKER}\n")
        assert docker(cluster, "exec", WORKER, "iptables", "-I", "INPUT", "-s", "172.18.0.2",
                      "-j", "DROP") == (
            1, "", f"Error response from daemon: Container {WORKER} is paused, unpause the "
                   "container before exec\n")
    finally:
        assert docker(cluster, "unpause", WORKER) == (0, f"{WORKER}\n", "")
    assert status(cluster, WORKER) == "running"
    assert control_state(cluster)["nodes"][WORKER]["power"] == "on"


# -- partitions -----------------------------------------------------------------------------------


def iptables(env: StandinEnv, node: str, *rule: str) -> tuple[int, str, str]:
    return docker(env, "exec", "--privileged", node, "iptables", *rule)


def test_drop_rules_against_the_control_plane_partition_the_node_until_all_are_deleted(
        cluster: StandinEnv) -> None:
    cp = "172.18.0.2"
    assert iptables(cluster, WORKER, "-I", "INPUT", "-s", cp, "-j", "DROP") == (0, "", "")
    assert iptables(cluster, WORKER, "-I", "OUTPUT", "-d", cp, "-j", "DROP") == (0, "", "")
    assert control_state(cluster)["nodes"][WORKER]["network"] == "partitioned"
    assert iptables(cluster, WORKER, "-D", "INPUT", "-s", cp, "-j", "DROP") == (0, "", "")
    assert control_state(cluster)["nodes"][WORKER]["network"] == "partitioned"
    assert iptables(cluster, WORKER, "-D", "OUTPUT", "-d", f"{cp}/32", "-j", "DROP") == (
        0, "", "")
    assert control_state(cluster)["nodes"][WORKER]["network"] == "connected"


def test_a_rule_without_an_address_drops_the_control_plane_too(cluster: StandinEnv) -> None:
    assert iptables(cluster, WORKER, "-A", "OUTPUT", "-j", "DROP") == (0, "", "")
    assert control_state(cluster)["nodes"][WORKER]["network"] == "partitioned"
    assert iptables(cluster, WORKER, "-D", "OUTPUT", "-j", "DROP") == (0, "", "")
    assert control_state(cluster)["nodes"][WORKER]["network"] == "connected"


def test_deleting_a_rule_that_is_not_there_fails_as_iptables_does(cluster: StandinEnv) -> None:
    assert iptables(cluster, WORKER, "-D", "INPUT", "-s", "172.18.0.2", "-j", "DROP") == (
        1, "", "iptables: Bad rule (does a matching rule exist in that chain?).\n")


def test_rules_against_other_nodes_leave_the_node_connected(cluster: StandinEnv) -> None:
    assert iptables(cluster, WORKER, "-I", "INPUT", "-s", "172.18.0.4", "-j", "DROP")[0] == 0
    try:
        assert control_state(cluster)["nodes"][WORKER]["network"] == "connected"
    finally:
        assert iptables(cluster, WORKER, "-D", "INPUT", "-s", "172.18.0.4", "-j", "DROP")[0] == 0


def test_a_restart_drops_the_rules_with_the_containers_network_namespace(
        cluster: StandinEnv) -> None:
    assert iptables(cluster, WORKER2, "-I", "INPUT", "-s", "172.18.0.2", "-j", "DROP")[0] == 0
    assert control_state(cluster)["nodes"][WORKER2]["network"] == "partitioned"
    assert docker(cluster, "stop", WORKER2)[0] == 0
    assert docker(cluster, "start", WORKER2)[0] == 0
    assert control_state(cluster)["nodes"][WORKER2]["network"] == "connected"
    assert iptables(cluster, WORKER2, "-D", "INPUT", "-s", "172.18.0.2", "-j", "DROP")[0] == 1


def test_exec_into_a_stopped_container_fails_with_the_daemons_words(cluster: StandinEnv) -> None:
    worker_id = container_id(cluster, WORKER2)
    assert docker(cluster, "stop", WORKER2)[0] == 0
    try:
        assert iptables(cluster, WORKER2, "-I", "INPUT", "-s", "172.18.0.2", "-j", "DROP") == (
            1, "", f"Error response from daemon: container {worker_id} is not running\n")
    finally:
        assert docker(cluster, "start", WORKER2)[0] == 0


# -- images and the rest --------------------------------------------------------------------------


def test_an_image_is_inspectable_once_pulled(cluster: StandinEnv) -> None:
    image = "registry.example/repair:1.0"
    assert docker(cluster, "image", "inspect", "--format", "{{.Id}}", image) == (
        1, "", f"Error response from daemon: No such image: {image}\n")
    code, out, _ = docker(cluster, "pull", image)
    assert code == 0
    assert out.splitlines()[-1] == image
    code, out, _ = docker(cluster, "image", "inspect", "--format", "{{ .Id }}", image)
    assert code == 0
    assert out.startswith("sha256:") and len(out.strip()) == 71


def test_commands_outside_the_subset_fail_naming_the_subset(cluster: StandinEnv) -> None:
    for args in (["network", "disconnect", "kind", WORKER], ["exec", WORKER, "systemctl",
                                                             "stop", "kubelet"],
                 ["ps", "-a"], ["stop", "--frobnicate", WORKER]):
        code, _, err = docker(cluster, *args)
        assert code == 1, args
        assert "chaoszone stand-in docker" in err and "docker pause NAME" in err, args
    assert status(cluster, WORKER) == "running"
