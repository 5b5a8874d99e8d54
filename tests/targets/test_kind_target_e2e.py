"""KindTarget end to end: a cluster made, faulted, restored, reused, kept, deleted; the
plugin's kind options; ``chaoszone recover`` after a killed run.

By default ``kind`` and ``docker`` are the stand-ins of tests/standins (backed by the
simulator, at 20 times wall speed, so the fault timers pass quickly). With
``CHAOSZONE_REAL_KIND=1`` the tests marked ``kind_e2e`` use the real ones on PATH instead
(the nightly workflow); the few that need a broken host (no kind, the daemon down) always
use the stand-ins.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chaoszone import Cluster, expect, faults
from chaoszone.cli import main as chaoszone_main
from chaoszone.errors import TargetError
from chaoszone.journal import read_records
from chaoszone.targets import readiness
from chaoszone.targets.kind import REPAIR_IMAGE, KindTarget, find_tools
from tests.standins.standin_fixtures import (
    StandinEnv,
    standin_env,  # noqa: F401  (a fixture the broken-host tests use)
    standin_environment,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "kind-configs" / "three-zones-fast.yaml"
REAL = os.environ.get("CHAOSZONE_REAL_KIND", "") not in ("", "0")
#: the stand-in clusters run this many times faster than the wall clock
STANDIN_SCALE = 20.0
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
#: the cluster this module shares, by xdist worker (several may run at once on real kind)
SHARED = f"cz-e2e-{WORKER}"


def kind_clusters() -> list[str]:
    return subprocess.run(["kind", "get", "clusters"], capture_output=True, text=True,
                          check=True, timeout=60).stdout.split()


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandinEnv | None]:
    """The stand-ins on PATH for this module (None: the real kind and docker)."""
    if REAL:
        yield None
        return
    with pytest.MonkeyPatch.context() as monkeypatch, standin_environment(
            tmp_path_factory.mktemp("standins"), monkeypatch) as env:
        env.time_scale = STANDIN_SCALE
        yield env


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("run")


@pytest.fixture(scope="module")
def made(host: StandinEnv | None, run_dir: Path) -> Iterator[tuple[KindTarget, list[str]]]:
    """The module's cluster, created once, and the progress lines creating it printed."""
    lines: list[str] = []
    target = KindTarget.start(CONFIG, cluster=SHARED, run_dir=run_dir, progress=lines.append)
    handle = Cluster(target, run_dir)
    yield target, lines
    handle.close()


@pytest.fixture
def kind_cluster(made: tuple[KindTarget, list[str]], run_dir: Path) -> Iterator[Cluster]:
    """A cluster handle (and journal) of the test's own on the module's cluster."""
    handle = Cluster(made[0], run_dir)
    yield handle
    left = handle.journal.pending()
    handle.journal.revert()
    assert not left, f"the test left changes in place: {left}"


# -- tools missing or broken (stand-ins only: a real host cannot be broken on purpose) ------

def only(tmp_path: Path, *tools: str) -> str:
    """A PATH with only ``tools`` of the stand-ins, and the venv's python for them."""
    directory = tmp_path / "bin"
    directory.mkdir()
    for tool in tools:
        (directory / tool).symlink_to(ROOT / "tests" / "standins" / "bin" / tool)
    return os.pathsep.join([str(directory), str(Path(sys.executable).parent)])


@pytest.mark.usefixtures("standin_env")
def test_without_kind_on_path_the_error_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", only(tmp_path, "docker"))
    with pytest.raises(TargetError, match=r"needs the `kind` command, and it is not on PATH; "
                                          r"install kind v0\.31\.0: `go install "
                                          r"sigs\.k8s\.io/kind@v0\.31\.0`"):
        find_tools()


@pytest.mark.usefixtures("standin_env")
def test_without_docker_on_path_the_error_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", only(tmp_path, "kind"))
    with pytest.raises(TargetError, match=r"needs the `docker` command .* not on PATH; "
                                          r"install Docker Engine: "
                                          r"https://docs\.docker\.com/engine/install/"):
        find_tools()


@pytest.mark.usefixtures("standin_env")
def test_a_docker_daemon_that_is_down_is_named_with_how_to_start_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHAOSZONE_STANDIN_DOCKER_DOWN", "1")
    with pytest.raises(TargetError) as caught:
        KindTarget.start(CONFIG, cluster="cz-down", run_dir=tmp_path)
    message = str(caught.value)
    assert "the Docker daemon is not answering" in message
    assert "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" in message
    assert "sudo systemctl start docker" in message
    assert not (tmp_path / "kubeconfig-cz-down").exists()


# -- creating, reusing, keeping, deleting --------------------------------------------------

@pytest.mark.kind_e2e
def test_a_new_cluster_has_every_node_ready_and_a_kubeconfig_of_its_own(
        made: tuple[KindTarget, list[str]], run_dir: Path) -> None:
    target, lines = made
    from kubernetes import client

    nodes = client.CoreV1Api(target.api_client()).list_node().items
    assert sorted(n.metadata.name for n in nodes) == sorted(n.name for n in target.topology.nodes)
    assert all(any(c.type == "Ready" and c.status == "True" for c in n.status.conditions)
               for n in nodes)
    assert target.kubeconfig == str((run_dir / f"kubeconfig-{SHARED}").resolve())
    assert f"kind-{SHARED}" in Path(target.kubeconfig).read_text()
    assert lines[0].startswith(f"creating kind cluster {SHARED} from {CONFIG} (7 nodes)")
    assert "7/7 nodes Ready" in lines
    assert lines[-1].startswith(f"kind cluster {SHARED} is Ready")
    assert SHARED in kind_clusters()


@pytest.mark.kind_e2e
def test_a_cluster_name_already_taken_is_refused_without_reuse(
        made: tuple[KindTarget, list[str]], tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=f"a kind cluster named {SHARED} already exists.*"
                                          f"--chaoszone-reuse.*kind delete cluster --name "
                                          f"{SHARED}"):
        KindTarget.start(CONFIG, cluster=SHARED, run_dir=tmp_path)


@pytest.mark.kind_e2e
def test_reuse_refuses_a_cluster_made_from_another_topology(
        made: tuple[KindTarget, list[str]], tmp_path: Path) -> None:
    other = ROOT / "kind-configs" / "four-node-zone.yaml"
    with pytest.raises(TargetError, match=f"kind cluster {SHARED} has other nodes than "
                                          f"{other}.*run without --chaoszone-reuse"):
        KindTarget.start(other, cluster=SHARED, run_dir=tmp_path, reuse=True)


@pytest.mark.kind_e2e
def test_a_kept_cluster_outlives_its_session_a_reused_one_is_left_and_delete_removes_it(
        host: StandinEnv | None, tmp_path: Path) -> None:
    name = f"cz-e2e-keep-{WORKER}"
    kept = KindTarget.start(CONFIG, cluster=name, run_dir=tmp_path / "first", keep=True)
    kept.close()
    assert name in kind_clusters()
    lines: list[str] = []
    again = KindTarget.start(CONFIG, cluster=name, run_dir=tmp_path / "second", reuse=True,
                             progress=lines.append)
    try:
        assert lines[0] == f"reusing kind cluster {name}"
        assert not any(line.startswith("creating") for line in lines)
        assert again.power_state(f"{name}-worker") == "on"
    finally:
        again.close()
    assert name in kind_clusters()
    again.delete()
    assert name not in kind_clusters()


@pytest.mark.kind_e2e
def test_attaching_again_rewrites_a_lost_kubeconfig_and_refuses_a_deleted_cluster(
        made: tuple[KindTarget, list[str]], tmp_path: Path) -> None:
    description = {**made[0].describe(), "kubeconfig": str(tmp_path / "gone" / "kubeconfig")}
    again = KindTarget.attach(description)
    try:
        assert Path(description["kubeconfig"]).exists()
        assert again.power_state(f"{SHARED}-worker") == "on"
        assert not again.delete_on_close
    finally:
        again.close()
    assert SHARED in kind_clusters()
    with pytest.raises(TargetError, match="kind cluster cz-e2e-nowhere no longer exists"):
        KindTarget.attach({**description, "cluster": "cz-e2e-nowhere"})


# -- faults and their restore --------------------------------------------------------------

@pytest.mark.kind_e2e
@pytest.mark.parametrize(("mode", "down"), [("stop", "off"), ("kill", "off"),
                                            ("pause", "paused")])
def test_each_power_mode_takes_a_node_down_and_its_restore_brings_it_back(
        kind_cluster: Cluster, mode: str, down: str) -> None:
    target = kind_cluster.target
    node = f"{SHARED}-worker3"
    with kind_cluster.fault(faults.node_outage(node, mode=mode)) as outage:
        assert outage.bit
        assert target.power_state(node) == down
    assert outage.reverted
    assert target.power_state(node) == "on"
    expect.nodes_ready(kind_cluster.zone("zone-b"), within=60)


@pytest.mark.kind_e2e
def test_a_partition_cuts_a_zone_off_while_its_machines_run_and_is_undone(
        kind_cluster: Cluster) -> None:
    target = kind_cluster.target
    zone = kind_cluster.zone("zone-c")
    with kind_cluster.fault(faults.partition("zone-c")) as cut:
        assert cut.bit
        assert [target.power_state(n) for n in zone.node_names] == ["on", "on"]
    expect.nodes_ready(zone, within=60)
    target.set_network(zone.node_names[0], "connected")  # restoring again is harmless


@pytest.mark.kind_e2e
def test_waiting_for_ready_fails_with_the_nodes_it_saw_not_ready(
        kind_cluster: Cluster) -> None:
    target = kind_cluster.target
    assert isinstance(target, KindTarget)
    node = f"{SHARED}-worker5"
    with kind_cluster.fault(faults.node_outage(node)), pytest.raises(TargetError) as caught:
        target.wait_ready(within=2, progress=lambda line: None)
    message = str(caught.value)
    assert f"waited 2 s for every node of kind cluster {SHARED} to be Ready" in message
    assert f"6/7 nodes Ready; {node} NotReady" in message


@pytest.mark.kind_e2e
def test_waiting_for_kube_system_follows_its_pods_until_a_powered_off_nodes_are_back(
        kind_cluster: Cluster) -> None:
    target = kind_cluster.target
    node = f"{SHARED}-worker6"
    seen: list[str] = []
    first = threading.Event()
    failed: list[BaseException] = []

    def note(line: str) -> None:
        seen.append(line)
        first.set()

    def wait() -> None:
        try:
            readiness.wait_for_system_pods(target.api_client(), within=300, cluster=SHARED,
                                           progress=note)
        except BaseException as exc:
            failed.append(exc)
            first.set()

    waiter = threading.Thread(target=wait)
    with kind_cluster.fault(faults.node_outage(node)):
        # the node-lifecycle controller marks its kindnet and kube-proxy pods not Ready
        # once the node is (MarkPodsNotReady), and they stay so while it is off
        system_pods_not_ready(target.api_client(), node)
        waiter.start()
        assert first.wait(60), "the waiter never listed kube-system"
    waiter.join(320)
    assert not failed, failed
    assert "waiting for kindnet-" in seen[0], seen
    assert re.fullmatch(r"(\d+)/\1 kube-system pods Ready", seen[-1]), seen


def system_pods_not_ready(api: Any, node: str) -> None:
    """Watch until every kube-system pod on ``node`` has Ready=False."""
    from kubernetes import client, watch

    core = client.CoreV1Api(api)
    selector = f"spec.nodeName={node}"
    listed = core.list_namespaced_pod("kube-system", field_selector=selector)
    pods = {p.metadata.name: p for p in listed.items}

    def done() -> bool:
        return bool(pods) and not any(
            c.type == "Ready" and c.status == "True"
            for p in pods.values() for c in (p.status.conditions or []))

    if done():
        return
    stream = watch.Watch()
    for event in stream.stream(core.list_namespaced_pod, "kube-system",
                               field_selector=selector, timeout_seconds=120,
                               resource_version=listed.metadata.resource_version):
        pods[event["object"].metadata.name] = event["object"]
        if done():
            stream.stop()
            return
    raise AssertionError(f"the kube-system pods on {node} stayed Ready: {sorted(pods)}")


@pytest.mark.kind_e2e
def test_an_image_is_loaded_into_every_node(
        made: tuple[KindTarget, list[str]], host: StandinEnv | None, tmp_path: Path) -> None:
    target = made[0]
    if host is not None:  # the stand-in docker's image store starts empty: pull it there
        host.run("docker", "pull", "-q", REPAIR_IMAGE).check_returncode()
    assert target.repair_command() == ["python", "-m", "chaoszone.repair"]
    logs = target.export_logs(tmp_path / "logs")
    name, tag = REPAIR_IMAGE.split(":")
    for node in target.topology.nodes:
        listed = (logs / node.name / "images.log").read_text()
        assert any(line.split()[:2] == [f"docker.io/library/{name}", tag]
                   for line in listed.splitlines()), f"{node.name}: {listed}"


@pytest.mark.kind_e2e
def test_recover_restores_a_zone_a_killed_run_left_powered_off(
        kind_cluster: Cluster, run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = kind_cluster.target
    run = textwrap.dedent("""
        import json, sys, time
        from chaoszone import Cluster, faults
        from chaoszone.targets.kind import KindTarget

        cluster = Cluster(KindTarget.attach(json.loads(sys.argv[1])), sys.argv[2])
        with cluster.fault(faults.zone_outage("zone-a", mode="kill")):
            print(cluster.journal.path, flush=True)
            time.sleep(600)
    """)
    with subprocess.Popen([sys.executable, "-c", run, json.dumps(target.describe()),
                           str(run_dir / "crashed")], stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            journal = proc.stdout.readline().strip()
        finally:
            os.kill(proc.pid, signal.SIGKILL)
    assert journal, "the run never got inside the fault block"
    assert read_records(journal)[0]["target"]["cluster"] == SHARED
    zone_a = kind_cluster.zone("zone-a")
    assert [target.power_state(n) for n in zone_a.node_names] == ["off", "off"]

    assert chaoszone_main(["recover", "--journal", journal]) == 0
    out = capsys.readouterr().out
    assert "2 change(s) undone" in out
    assert [target.power_state(n) for n in zone_a.node_names] == ["on", "on"]
    expect.nodes_ready(zone_a, within=120)
    assert chaoszone_main(["recover", "--journal", journal]) == 0
    assert "0 change(s) undone" in capsys.readouterr().out


# -- the plugin ------------------------------------------------------------------------------

FAILS = """
    import pytest

    pytestmark = pytest.mark.chaoszone(topology="three-zones-fast")

    def test_that_fails(cluster, namespace):
        assert cluster.target.name == "kind"
        assert False, "on purpose: the cluster's logs must be exported"
"""


@pytest.mark.kind_e2e
def test_an_experiment_runs_on_kind_and_a_failed_test_gets_the_clusters_logs_exported(
        host: StandinEnv | None, tmp_path: Path) -> None:
    (tmp_path / "test_fails.py").write_text(textwrap.dedent(FAILS))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    run = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "chaoszone.pytest_plugin", "--rootdir", str(ROOT),
         str(ROOT / "experiments" / "test_cordon_zone.py"), str(tmp_path / "test_fails.py"),
         "--chaoszone-target=kind", f"--chaoszone-run-dir={run}"],
        capture_output=True, text=True, cwd=ROOT, timeout=1800, env=env)
    assert "1 failed, 1 passed" in result.stdout, result.stdout + result.stderr
    name = "cz-three-zones-fast-main"
    logs = run / f"kind-logs-{name}"
    assert sorted(p.name for p in logs.iterdir() if p.is_dir()) == sorted(
        [f"{name}-control-plane", f"{name}-worker",
         *(f"{name}-worker{i}" for i in range(2, 7))])
    assert (logs / f"{name}-worker" / "kubelet.log").stat().st_size > 0
    assert name not in kind_clusters()
    assert list(run.glob("journal-*.jsonl"))
    assert not any(line.startswith("cz-three-zones-fast") for line in kind_clusters())


@pytest.mark.kind_e2e
def test_a_passing_session_deletes_its_cluster_and_exports_no_logs(
        host: StandinEnv | None, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTEST_XDIST_WORKER"] = "gw7"  # a worker's cluster name
    run = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
         str(ROOT), str(ROOT / "experiments" / "test_cordon_zone.py"),
         "--chaoszone-target=kind", f"--chaoszone-run-dir={run}"],
        capture_output=True, text=True, cwd=ROOT, timeout=1800, env=env)
    assert "1 passed" in result.stdout, result.stdout + result.stderr
    assert (run / "kubeconfig-cz-three-zones-fast-gw7").exists()
    assert not list(run.glob("kind-logs-*"))
    assert "cz-three-zones-fast-gw7" not in kind_clusters()
