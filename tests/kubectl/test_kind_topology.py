"""The real kubectl against a simulator started from kind-configs/three-zones.yaml: the
nodes, their zones and the system pods look as they do on the kind cluster."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chaoszone.sim.server import Simulator

pytestmark = pytest.mark.kubectl

CONFIG = Path(__file__).resolve().parents[2] / "kind-configs" / "three-zones.yaml"


def table(text: str) -> list[dict[str, str]]:
    """Rows of kubectl's column output, cut at the header's column starts (a cell may be
    empty, as the ZONE of a node without the label)."""
    lines = [line for line in text.splitlines() if line.strip()]
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", lines[0])]
    names = [lines[0][a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
    return [{name: line[a:b].strip() for name, a, b in
             zip(names, starts, [*starts[1:], None], strict=True)} for line in lines[1:]]


@pytest.fixture(scope="module")
def three_zones() -> Iterator[Simulator]:
    with Simulator(config=CONFIG) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def kubectl3(kubectl: Any, three_zones: Simulator,
             tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The suite's kubectl runner, pointed at the three-zone simulator."""
    return dataclasses.replace(kubectl, sim=three_zones,
                               home=str(tmp_path_factory.mktemp("kubectl-three-zones")))


def test_get_nodes_shows_each_workers_zone_and_none_for_the_control_plane(kubectl3):
    rows = table(kubectl3.run("get", "nodes", "-L", "topology.kubernetes.io/zone").stdout)
    zones = {r["NAME"]: r.get("ZONE", "") for r in rows}
    assert zones == {
        "three-zones-control-plane": "", "three-zones-worker": "zone-a",
        "three-zones-worker2": "zone-a", "three-zones-worker3": "zone-b",
        "three-zones-worker4": "zone-b", "three-zones-worker5": "zone-c",
        "three-zones-worker6": "zone-c"}
    assert {r["STATUS"] for r in rows} == {"Ready"}
    roles = {r["NAME"]: r["ROLES"] for r in rows}
    assert roles["three-zones-control-plane"] == "control-plane"
    assert roles["three-zones-worker"] == "<none>"
    assert {r["VERSION"] for r in rows} == {"v1.32.11"}


def test_get_nodes_wide_shows_kind_addresses_os_and_runtime(kubectl3):
    rows = table(kubectl3.run("get", "nodes", "-o", "wide").stdout)
    worker = next(r for r in rows if r["NAME"] == "three-zones-worker")
    assert worker["INTERNAL-IP"] == "172.18.0.3"
    assert worker["OS-IMAGE"] == "Debian GNU/Linux 12 (bookworm)"
    assert worker["CONTAINER-RUNTIME"] == "containerd://2.2.0"


def test_get_pods_all_namespaces_shows_the_running_control_plane(kubectl3):
    kubectl3.run("wait", "--for=condition=Ready", "pod", "-n", "kube-system",
                 "-l", "tier=control-plane", "--timeout=30s")
    rows = table(kubectl3.run("get", "pods", "-A").stdout)
    pods = {(r["NAMESPACE"], r["NAME"]): r for r in rows}
    for component in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        row = pods[("kube-system", f"{component}-three-zones-control-plane")]
        assert (row["READY"], row["STATUS"]) == ("1/1", "Running")


def test_describe_node_shows_the_control_plane_taint_and_the_pod_cidr(kubectl3):
    out = kubectl3.run("describe", "node", "three-zones-control-plane").stdout
    assert re.search(r"Taints:\s+node-role.kubernetes.io/control-plane:NoSchedule", out)
    assert re.search(r"PodCIDR:\s+10\.244\.0\.0/24", out)
    assert "kind://docker/three-zones/three-zones-control-plane" in out


def test_the_system_workloads_and_default_storage_class_are_listed(kubectl3):
    out = kubectl3.run("get", "daemonsets,deployments", "-A", "-o", "name").stdout.split()
    assert {"daemonset.apps/kindnet", "daemonset.apps/kube-proxy", "deployment.apps/coredns",
            "deployment.apps/local-path-provisioner"} <= set(out)
    storage = table(kubectl3.run("get", "storageclass").stdout)
    assert [r["NAME"] for r in storage] == ["standard (default)"]
    assert storage[0]["PROVISIONER"] == "rancher.io/local-path"
    services = table(kubectl3.run("get", "svc", "-n", "kube-system").stdout)
    assert next(r for r in services if r["NAME"] == "kube-dns")["CLUSTER-IP"] == "10.96.0.10"
