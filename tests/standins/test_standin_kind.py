"""The stand-in kind: kind v0.31.0's output, errors and exit codes, with a simulator behind
each cluster."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from standin_fixtures import StandinEnv, simulator_running, standin_env, standin_env_module

__all__ = ["standin_env", "standin_env_module"]

CLUSTER = "kt"
IMAGE = ("kindest/node:v1.32.11@sha256:"
         "5fc52d52a7b9574015299724bd68f183702956aa4a2116ae75a63cb574b35af8")
#: two control planes (so kind adds its load balancer) and a worker in each of two zones
CONFIG = f"""\
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
- role: control-plane
  image: {IMAGE}
- role: control-plane
  image: {IMAGE}
- role: worker
  image: {IMAGE}
  labels: {{topology.kubernetes.io/zone: zone-a}}
- role: worker
  image: {IMAGE}
  labels: {{topology.kubernetes.io/zone: zone-b}}
"""
NODES = [f"{CLUSTER}-control-plane", f"{CLUSTER}-control-plane2", f"{CLUSTER}-worker",
         f"{CLUSTER}-worker2"]
SOLO = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n"


def kind(env: StandinEnv, *args: str, input: str | None = None) -> tuple[int, str, str]:
    done = env.run("kind", *args, input=input)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def created(standin_env_module: StandinEnv) -> Iterator[tuple[StandinEnv, str]]:
    """The module's cluster, and what ``kind create cluster`` wrote on stderr."""
    env = standin_env_module
    code, out, err = kind(env, "create", "cluster", "--name", CLUSTER, "--config", "-",
                          "--kubeconfig", str(env.directory / "kubeconfig-kt"), input=CONFIG)
    assert (code, out) == (0, ""), err
    yield env, err


@pytest.fixture(scope="module")
def cluster(created: tuple[StandinEnv, str]) -> StandinEnv:
    return created[0]


# -- create, get ----------------------------------------------------------------------------------


def test_version_is_kind_v0_31_0s(standin_env: StandinEnv) -> None:
    code, out, _ = kind(standin_env, "version")
    assert code == 0
    assert re.fullmatch(r"kind v0\.31\.0 go1\.25\.5 linux/\w+\n", out)
    assert kind(standin_env, "version", "-q") == (0, "0.31.0\n", "")


def test_create_cluster_prints_kinds_status_lines_and_usage(
        created: tuple[StandinEnv, str]) -> None:
    env, err = created
    kubeconfig = env.directory / "kubeconfig-kt"
    lines = err.splitlines()
    assert lines[:3] == [f'Creating cluster "{CLUSTER}" ...',
                         " • Ensuring node image (kindest/node:v1.32.11) 🖼  ...",
                         " ✓ Ensuring node image (kindest/node:v1.32.11) 🖼"]
    done = [line[3:] for line in lines if line.startswith(" ✓ ")]
    assert done == ["Ensuring node image (kindest/node:v1.32.11) 🖼",
                    "Preparing nodes 📦 📦 📦 📦 ", "Configuring the external load balancer ⚖️",
                    "Writing configuration 📜", "Starting control-plane 🕹️", "Installing CNI 🔌",
                    "Installing StorageClass 💾", "Joining more control-plane nodes 🎮",
                    "Joining worker nodes 🚜"]
    assert lines[-6:-1] == [f'Set kubectl context to "kind-{CLUSTER}"',
                            "You can now use your cluster with:", "",
                            f"kubectl cluster-info --context kind-{CLUSTER} --kubeconfig "
                            f"{kubeconfig}", ""]


def test_the_kubeconfig_reaches_the_clusters_nodes_through_the_kind_context(
        cluster: StandinEnv) -> None:
    path = cluster.directory / "kubeconfig-kt"
    written = yaml.safe_load(path.read_text())
    assert written["current-context"] == f"kind-{CLUSTER}"
    assert [c["name"] for c in written["contexts"]] == [f"kind-{CLUSTER}"]
    api = config.new_client_from_config(config_file=str(path), context=f"kind-{CLUSTER}")
    try:
        names = sorted(n.metadata.name for n in client.CoreV1Api(api).list_node().items)
    finally:
        api.close()
    assert names == NODES


def test_get_nodes_lists_kinds_names_newest_first_with_the_load_balancer(
        cluster: StandinEnv) -> None:
    code, out, _ = kind(cluster, "get", "nodes", "--name", CLUSTER)
    assert code == 0
    assert out.splitlines() == [f"{CLUSTER}-external-load-balancer", *reversed(NODES)]


def test_creating_a_cluster_that_exists_fails_with_kinds_message(cluster: StandinEnv) -> None:
    assert kind(cluster, "create", "cluster", "--name", CLUSTER, "--config", "-",
                input=CONFIG) == (
        1, "", f'ERROR: failed to create cluster: node(s) already exist for a cluster with the '
               f'name "{CLUSTER}"\n')


def test_get_clusters_lists_names_and_says_when_there_are_none(
        cluster: StandinEnv, tmp_path: Path) -> None:
    assert kind(cluster, "get", "clusters") == (0, f"{CLUSTER}\n", "")
    empty = cluster.run("kind", "get", "clusters",
                        extra_env={"CHAOSZONE_STANDIN_STATE": str(tmp_path)})
    assert (empty.returncode, empty.stdout, empty.stderr) == (
        0, "", "No kind clusters found.\n")


def test_get_nodes_of_an_unknown_cluster_says_there_are_none(cluster: StandinEnv) -> None:
    assert kind(cluster, "get", "nodes", "--name", "nope") == (
        0, "", 'No kind nodes found for cluster "nope".\n')


def test_export_kubeconfig_merges_the_kind_context_into_an_existing_file(
        cluster: StandinEnv, tmp_path: Path) -> None:
    path = tmp_path / "config"
    other = {"name": "other", "context": {"cluster": "other", "user": "other"}}
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "contexts": [other],
                                    "clusters": [], "users": [], "current-context": "other"}))
    assert kind(cluster, "export", "kubeconfig", "--name", CLUSTER, "--kubeconfig",
                str(path)) == (0, "", f'Set kubectl context to "kind-{CLUSTER}"\n')
    merged = yaml.safe_load(path.read_text())
    assert [c["name"] for c in merged["contexts"]] == ["other", f"kind-{CLUSTER}"]
    assert merged["current-context"] == f"kind-{CLUSTER}"
    assert not (tmp_path / "config.lock").exists()


def test_export_kubeconfig_of_an_unknown_cluster_fails(cluster: StandinEnv) -> None:
    assert kind(cluster, "export", "kubeconfig", "--name", "nope") == (
        1, "", "ERROR: could not locate any control plane nodes for cluster named 'nope'. "
               "Use the --name option to select a different cluster\n")


# -- logs and images ------------------------------------------------------------------------------


def test_export_logs_writes_what_the_simulator_knows_of_each_node(
        cluster: StandinEnv, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    assert kind(cluster, "export", "logs", str(logs), "--name", CLUSTER) == (
        0, f"{logs}\n", f'Exporting logs for cluster "{CLUSTER}" to:\n')
    assert sorted(p.name for p in logs.iterdir()) == sorted(
        [*NODES, "docker-info.txt", "kind-version.txt"])
    worker = logs / f"{CLUSTER}-worker"
    assert {p.name for p in worker.iterdir()} >= {
        "kubelet.log", "journal.log", "inspect.json", "images.log", "kubernetes-version.txt"}
    kubelet = (worker / "kubelet.log").read_text()
    assert re.search(rf'^\w{{3}} \d\d [\d:]{{8}} {CLUSTER}-worker kubelet\[\d+\]: I\d{{4}} '
                     rf'.*"SyncLoop ADD" source="api" pods=\["kube-system/kindnet-', kubelet,
                     re.MULTILINE)
    assert f"{CLUSTER}-worker2" not in kubelet
    assert (worker / "kubernetes-version.txt").read_text() == "v1.32.11"


def test_export_logs_of_a_stopped_node_fails_as_docker_exec_does(
        cluster: StandinEnv, tmp_path: Path) -> None:
    node = f"{CLUSTER}-worker2"
    assert cluster.run("docker", "stop", node).returncode == 0
    try:
        code, _, err = kind(cluster, "export", "logs", str(tmp_path), "--name", CLUSTER)
    finally:
        assert cluster.run("docker", "start", node).returncode == 0
    assert code == 1
    assert err.splitlines()[1].startswith(
        f'ERROR: [command "docker exec --privileged {node} cat /kind/version" failed with '
        "error: exit status 1, ")
    assert "is not running" in (tmp_path / node / "kubelet.log").read_text()
    assert "SyncLoop ADD" in (tmp_path / f"{CLUSTER}-worker" / "kubelet.log").read_text()


def test_load_docker_image_fails_for_an_image_docker_does_not_have(
        cluster: StandinEnv) -> None:
    assert kind(cluster, "load", "docker-image", "example.com/absent:1", "--name", CLUSTER) == (
        1, "", 'ERROR: image: "example.com/absent:1" not present locally\n')


def test_load_docker_image_puts_the_image_on_the_chosen_nodes_once(cluster: StandinEnv) -> None:
    image = "example.com/app:1.0"
    assert cluster.run("docker", "pull", image).returncode == 0
    image_id = cluster.run("docker", "image", "inspect", "-f", "{{.Id}}", image).stdout.strip()
    worker, worker2 = f"{CLUSTER}-worker", f"{CLUSTER}-worker2"
    assert kind(cluster, "load", "docker-image", image, "--name", CLUSTER, "--nodes",
                worker) == (0, "", f'Image: "{image}" with ID "{image_id}" not yet present on '
                                   f'node "{worker}", loading...\n')
    assert kind(cluster, "load", "docker-image", image, "--name", CLUSTER, "--nodes",
                f"{worker},{worker2}") == (
        0, "", f'Image: "{image}" with ID "{image_id}" not yet present on node "{worker2}", '
               "loading...\n")
    assert kind(cluster, "load", "docker-image", image, "--name", CLUSTER, "--nodes",
                worker) == (0, "", f'Image: "{image}" with ID "{image_id}" found to be already '
                                   "present on all nodes.\n")


def test_load_docker_image_onto_an_unknown_node_fails(cluster: StandinEnv) -> None:
    assert cluster.run("docker", "pull", "busybox:1.36").returncode == 0
    assert kind(cluster, "load", "docker-image", "busybox:1.36", "--name", CLUSTER,
                "--nodes", "nope") == (1, "", 'ERROR: unknown node: "nope"\n')


def test_with_several_control_planes_only_losing_the_load_balancer_or_all_partitions(
        cluster: StandinEnv) -> None:
    worker = f"{CLUSTER}-worker"
    fmt = "{{.NetworkSettings.Networks.kind.IPAddress}}"
    addresses = cluster.run("docker", "inspect", "--format", fmt, f"{CLUSTER}-control-plane",
                            f"{CLUSTER}-control-plane2", f"{CLUSTER}-external-load-balancer",
                            ).stdout.split()

    def drop(op: str, address: str) -> None:
        done = cluster.run("docker", "exec", worker, "iptables", op, "INPUT", "-s", address,
                           "-j", "DROP")
        assert done.returncode == 0, done.stderr

    def network() -> str:
        return str(cluster.simulator_state(CLUSTER)["nodes"][worker]["network"])

    drop("-I", addresses[0])
    assert network() == "connected"
    drop("-I", addresses[1])
    assert network() == "partitioned"
    drop("-D", addresses[0])
    drop("-D", addresses[1])
    drop("-I", addresses[2])
    assert network() == "partitioned"
    drop("-D", addresses[2])
    assert network() == "connected"


# -- errors and deletion --------------------------------------------------------------------------


def test_a_docker_daemon_that_is_down_fails_kind_with_the_command_and_its_output(
        cluster: StandinEnv) -> None:
    done = cluster.run("kind", "get", "clusters",
                       extra_env={"CHAOSZONE_STANDIN_DOCKER_DOWN": "1"})
    assert (done.returncode, done.stdout, done.stderr) == (
        1, "", "ERROR: failed to list clusters: command \"docker ps -a --filter "
               "label=io.x-k8s.kind.cluster --format '{{.Label \"io.x-k8s.kind.cluster\"}}'\" "
               "failed with error: exit status 1\n\nCommand Output: Cannot connect to the "
               "Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n")


def test_an_invalid_cluster_name_fails_with_kinds_message(standin_env: StandinEnv) -> None:
    assert kind(standin_env, "create", "cluster", "--name", "Bad_Name", "--config", "-",
                input=SOLO) == (
        1, "", "ERROR: failed to create cluster: 'Bad_Name' is not a valid cluster name, "
               "cluster names must match `^[a-z0-9.-]+$`\n")


def test_a_config_the_simulator_refuses_fails_creation_and_leaves_nothing(
        standin_env: StandinEnv) -> None:
    code, _, err = kind(standin_env, "create", "cluster", "--name", "bad", "--config", "-",
                        input=SOLO + "  frobnicate: true\n")
    assert code == 1
    assert err.startswith('Creating cluster "bad" ...\n')
    assert "ERROR: failed to create cluster: " in err and "frobnicate" in err
    assert kind(standin_env, "get", "clusters") == (0, "", "No kind clusters found.\n")
    assert standin_env.simulators() == {}


def test_commands_outside_the_subset_fail_naming_the_subset(standin_env: StandinEnv) -> None:
    for args in (["delete", "clusters", "--all"], ["create", "cluster", "--wait", "1m"],
                 ["build", "node-image"]):
        code, _, err = kind(standin_env, *args)
        assert code == 1, args
        assert "chaoszone stand-in kind" in err and "kind load docker-image" in err, args


def test_an_unset_state_directory_is_a_clear_error(standin_env: StandinEnv) -> None:
    done = standin_env.run("kind", "get", "clusters",
                           extra_env={"CHAOSZONE_STANDIN_STATE": ""})
    assert done.returncode == 1
    assert "CHAOSZONE_STANDIN_STATE is not set" in done.stderr


def test_delete_cluster_ends_the_simulator_and_removes_nodes_and_kubeconfig_entries(
        standin_env: StandinEnv) -> None:
    kubeconfig = str(standin_env.directory / "solo-kubeconfig")
    assert kind(standin_env, "create", "cluster", "--name", "solo", "--config", "-",
                "--kubeconfig", kubeconfig, input=SOLO)[0] == 0
    (pid, start), = standin_env.simulators().values()
    assert kind(standin_env, "delete", "cluster", "--name", "solo", "--kubeconfig",
                kubeconfig) == (0, "", 'Deleting cluster "solo" ...\n'
                                       'Deleted nodes: ["solo-control-plane"]\n')
    assert not simulator_running(pid, start)
    assert yaml.safe_load(Path(kubeconfig).read_text())["contexts"] == []
    assert kind(standin_env, "get", "nodes", "--name", "solo")[2] == (
        'No kind nodes found for cluster "solo".\n')
    assert kind(standin_env, "delete", "cluster", "--name", "solo") == (
        0, "", 'Deleting cluster "solo" ...\n')


def test_a_stale_kubeconfig_lock_fails_creation_but_leaves_the_cluster_as_kind_does(
        standin_env: StandinEnv) -> None:
    kubeconfig = standin_env.directory / "locked-kubeconfig"
    Path(f"{kubeconfig}.lock").touch()
    code, _, err = kind(standin_env, "create", "cluster", "--name", "locked", "--config", "-",
                        "--kubeconfig", str(kubeconfig), input=SOLO)
    assert code == 1
    assert err.splitlines()[-1] == (f"ERROR: failed to create cluster: failed to lock config "
                                    f"file: open {kubeconfig}.lock: file exists")
    assert kind(standin_env, "get", "clusters") == (0, "locked\n", "")
