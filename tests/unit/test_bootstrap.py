"""The simulated kind cluster: what `kind create cluster` leaves behind, built from a
kind config into a Cluster, and the CLI and Simulator that take the config."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaoszone import cli
from chaoszone.errors import InvalidExperiment
from chaoszone.kindconfig import Timers, load, parse
from chaoszone.sim.bootstrap import CONTAINERD_VERSION, KUBERNETES_VERSION, build
from chaoszone.sim.cluster import Cluster
from chaoszone.sim.resources import by_path
from chaoszone.sim.server import Simulator
from chaoszone.topology import Topology

CONFIGS = Path(__file__).resolve().parents[2] / "kind-configs"
HEAD = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"


def rt(group: str, plural: str) -> Any:
    found = by_path(group, "v1", plural)
    assert found is not None
    return found


NODES, PODS, LEASES = rt("", "nodes"), rt("", "pods"), rt("coordination.k8s.io", "leases")
DAEMONSETS, DEPLOYMENTS = rt("apps", "daemonsets"), rt("apps", "deployments")
SERVICES, CONFIGMAPS = rt("", "services"), rt("", "configmaps")
STORAGECLASSES, PDBS = rt("storage.k8s.io", "storageclasses"), rt("policy",
                                                                    "poddisruptionbudgets")


def objects(cluster: Cluster, resource: Any, namespace: str | None = None) -> list[dict[str, Any]]:
    return [s.obj for s in cluster.store.items(resource, namespace)]


def get(cluster: Cluster, resource: Any, namespace: str, name: str) -> dict[str, Any]:
    stored = cluster.store.get(resource, namespace, name)
    assert stored is not None, f"{resource.plural} {namespace}/{name} missing"
    return stored.obj


@pytest.fixture(scope="module")
def three_zones() -> Cluster:
    return Cluster.from_kind_config(CONFIGS / "three-zones.yaml", manual_clock=True)


@pytest.fixture(scope="module")
def fast_ha() -> Cluster:
    return Cluster.from_kind_config(CONFIGS / "three-zones-ha-fast.yaml", manual_clock=True)


@pytest.fixture(scope="module")
def built() -> Cluster:
    """What bootstrap alone writes: an empty cluster (so no kubelets) built from
    three-zones.yaml."""
    cluster = Cluster(manual_clock=True)
    config = load(CONFIGS / "three-zones.yaml")
    build(cluster, Topology.from_kind_config(config), config.timers,
          controller_manager_args=config.controller_manager_args)
    return cluster


def small(body: str = "", *, workers: int = 1) -> Cluster:
    nodes = "- role: control-plane\n" + "- role: worker\n" * workers
    return Cluster(kind_config=parse(HEAD + body + "nodes:\n" + nodes), manual_clock=True)


# -- nodes ---------------------------------------------------------------------------------------


def test_every_node_of_the_topology_is_registered_under_its_kind_name(three_zones):
    assert three_zones.topology is not None
    assert [n["metadata"]["name"] for n in objects(three_zones, NODES)] == [
        n.name for n in three_zones.topology.nodes]


def test_a_node_carries_the_topologys_labels_and_taints(three_zones):
    control_plane = get(three_zones, NODES, "", "three-zones-control-plane")
    worker = get(three_zones, NODES, "", "three-zones-worker5")
    assert control_plane["spec"]["taints"] == [
        {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    assert "taints" not in worker["spec"]
    assert worker["metadata"]["labels"]["topology.kubernetes.io/zone"] == "zone-c"
    assert worker["metadata"]["labels"]["kubernetes.io/hostname"] == "three-zones-worker5"


def test_a_node_reports_ready_with_the_three_pressure_conditions_as_a_kubelet_does(three_zones):
    status = get(three_zones, NODES, "", "three-zones-worker")["status"]
    conditions = {c["type"]: c for c in status["conditions"]}
    assert list(conditions) == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
    assert conditions["Ready"]["status"] == "True"
    assert conditions["Ready"]["reason"] == "KubeletReady"
    assert conditions["Ready"]["message"] == "kubelet is posting ready status"
    assert {c["status"] for t, c in conditions.items() if t != "Ready"} == {"False"}
    assert conditions["MemoryPressure"]["reason"] == "KubeletHasSufficientMemory"
    assert all(c["lastHeartbeatTime"] and c["lastTransitionTime"] for c in conditions.values())


def test_a_node_has_its_kind_address_endpoint_and_all_ten_node_info_fields(three_zones):
    node = get(three_zones, NODES, "", "three-zones-worker")
    status = node["status"]
    assert status["addresses"] == [{"type": "InternalIP", "address": "172.18.0.3"},
                                   {"type": "Hostname", "address": "three-zones-worker"}]
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 10250}}
    info = status["nodeInfo"]
    assert len(info) == 10 and all(info.values())
    assert info["kubeletVersion"] == info["kubeProxyVersion"] == KUBERNETES_VERSION
    assert info["containerRuntimeVersion"] == CONTAINERD_VERSION
    assert info["osImage"] == "Debian GNU/Linux 12 (bookworm)"
    assert (info["operatingSystem"], info["architecture"]) == ("linux", "amd64")
    assert node["spec"]["providerID"] == "kind://docker/three-zones/three-zones-worker"


def test_capacity_equals_allocatable_as_on_kind(three_zones):
    status = get(three_zones, NODES, "", "three-zones-worker2")["status"]
    assert status["capacity"] == status["allocatable"]
    assert status["capacity"]["cpu"] == "8" and status["capacity"]["pods"] == "110"


def test_every_node_gets_its_own_pod_cidr_the_control_plane_first(three_zones):
    nodes = objects(three_zones, NODES)
    cidrs = [n["spec"]["podCIDR"] for n in nodes]
    assert cidrs[0] == "10.244.0.0/24"
    assert len(set(cidrs)) == len(nodes)
    assert all(ipaddress.ip_network(c).subnet_of(ipaddress.ip_network("10.244.0.0/16"))
               for c in cidrs)
    assert all(n["spec"]["podCIDRs"] == [n["spec"]["podCIDR"]] for n in nodes)


def test_every_node_has_a_lease_owned_by_it_with_the_configs_duration(fast_ha):
    for node in objects(fast_ha, NODES):
        name = node["metadata"]["name"]
        lease = get(fast_ha, LEASES, "kube-node-lease", name)
        assert lease["spec"]["holderIdentity"] == name
        assert lease["spec"]["leaseDurationSeconds"] == 20
        assert lease["metadata"]["ownerReferences"][0]["uid"] == node["metadata"]["uid"]


# -- the control plane ---------------------------------------------------------------------------


def test_each_control_plane_runs_the_four_static_pods_as_mirror_pods(fast_ha):
    names = {p["metadata"]["name"] for p in objects(fast_ha, PODS, "kube-system")
             if (p["metadata"].get("labels") or {}).get("tier") == "control-plane"}
    assert names == {f"{c}-three-zones-ha-fast-control-plane{s}"
                     for c in ("etcd", "kube-apiserver", "kube-controller-manager",
                               "kube-scheduler") for s in ("", "2", "3")}


def test_a_static_pod_is_written_bound_running_ready_and_owned_by_its_node(built):
    pod = get(built, PODS, "kube-system", "etcd-three-zones-control-plane")
    node = get(built, NODES, "", "three-zones-control-plane")
    assert pod["spec"]["nodeName"] == "three-zones-control-plane"
    assert pod["spec"]["hostNetwork"] is True
    assert pod["spec"]["priority"] == 2000001000
    assert pod["metadata"]["annotations"]["kubernetes.io/config.source"] == "file"
    assert "kubernetes.io/config.mirror" in pod["metadata"]["annotations"]
    assert pod["metadata"]["ownerReferences"][0]["uid"] == node["metadata"]["uid"]
    status = pod["status"]
    assert status["phase"] == "Running"
    assert status["podIP"] == status["hostIP"] == "172.18.0.2"
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
    assert status["containerStatuses"][0]["state"]["running"]["startedAt"]


def test_the_controller_manager_command_carries_the_configs_timer_flags(fast_ha):
    pod = get(fast_ha, PODS, "kube-system",
              "kube-controller-manager-three-zones-ha-fast-control-plane")
    command = pod["spec"]["containers"][0]["command"]
    assert command[0] == "kube-controller-manager"
    assert {"--node-monitor-grace-period=20s", "--node-monitor-period=2s",
            "--node-eviction-rate=1", "--cluster-name=three-zones-ha-fast"} <= set(command)
    assert command[1:] == sorted(command[1:])
    apiserver = get(fast_ha, PODS, "kube-system",
                    "kube-apiserver-three-zones-ha-fast-control-plane3")
    assert "--default-unreachable-toleration-seconds=10" in (
        apiserver["spec"]["containers"][0]["command"])


def test_the_kubeadm_config_map_holds_the_timers_as_a_real_cluster_does(fast_ha):
    data = get(fast_ha, CONFIGMAPS, "kube-system", "kubeadm-config")["data"]
    config = yaml.safe_load(data["ClusterConfiguration"])
    assert config["controllerManager"]["extraArgs"]["node-monitor-grace-period"] == "20s"
    assert config["controlPlaneEndpoint"] == "three-zones-ha-fast-external-load-balancer:6443"
    kubelet = yaml.safe_load(get(fast_ha, CONFIGMAPS, "kube-system", "kubelet-config")
                             ["data"]["kubelet"])
    assert (kubelet["nodeStatusUpdateFrequency"], kubelet["nodeLeaseDurationSeconds"]) == (
        "4s", 20)


# -- addons --------------------------------------------------------------------------------------


def test_kindnet_and_kube_proxy_are_daemon_sets_that_tolerate_every_taint(three_zones):
    for name in ("kindnet", "kube-proxy"):
        spec = get(three_zones, DAEMONSETS, "kube-system", name)["spec"]["template"]["spec"]
        assert {"operator": "Exists"} in spec["tolerations"]
        assert spec["priorityClassName"] == "system-node-critical"


def test_coredns_is_kubeadms_two_replica_deployment_without_a_disruption_budget(three_zones):
    coredns = get(three_zones, DEPLOYMENTS, "kube-system", "coredns")
    assert coredns["spec"]["replicas"] == 2
    tolerations = coredns["spec"]["template"]["spec"]["tolerations"]
    assert {"key": "CriticalAddonsOnly", "operator": "Exists"} in tolerations
    assert {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"} in [
        {k: v for k, v in t.items() if k in ("key", "effect")} for t in tolerations]
    assert objects(three_zones, PDBS, "kube-system") == []


def test_kube_dns_answers_on_the_tenth_service_address(three_zones):
    service = get(three_zones, SERVICES, "kube-system", "kube-dns")
    assert service["spec"]["clusterIP"] == "10.96.0.10"
    assert service["spec"]["selector"] == {"k8s-app": "kube-dns"}
    assert get(three_zones, SERVICES, "default", "kubernetes")["spec"]["clusterIP"] == "10.96.0.1"


def test_local_path_storage_is_the_default_storage_class(three_zones):
    (storage_class,) = objects(three_zones, STORAGECLASSES)
    assert storage_class["metadata"]["name"] == "standard"
    assert storage_class["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "true"}
    assert (storage_class["provisioner"], storage_class["volumeBindingMode"],
            storage_class["reclaimPolicy"]) == ("rancher.io/local-path", "WaitForFirstConsumer",
                                                "Delete")
    provisioner = get(three_zones, DEPLOYMENTS, "local-path-storage", "local-path-provisioner")
    assert provisioner["spec"]["replicas"] == 1


# -- the cluster ---------------------------------------------------------------------------------


def test_the_timers_live_on_the_cluster_and_reach_the_registrys_admission(fast_ha):
    assert fast_ha.timers.node_monitor_grace_period == 20.0
    assert fast_ha.registry.not_ready_toleration_seconds == 10
    assert fast_ha.registry.unreachable_toleration_seconds == 10


def test_explicit_toleration_seconds_override_the_configs():
    cluster = Cluster.from_kind_config(CONFIGS / "three-zones-fast.yaml", manual_clock=True,
                                       unreachable_toleration_seconds=42)
    assert cluster.timers.default_unreachable_toleration_seconds == 42
    assert cluster.timers.default_not_ready_toleration_seconds == 10


def test_a_name_renames_every_node():
    cluster = Cluster.from_kind_config(CONFIGS / "three-zones.yaml", name="game-day",
                                       manual_clock=True)
    assert get(cluster, NODES, "", "game-day-worker6")["metadata"]["name"] == "game-day-worker6"


def test_reset_builds_the_same_cluster_again():
    cluster = small(workers=2)
    before = [n["metadata"]["name"] for n in objects(cluster, NODES)]
    cluster.reset()
    assert [n["metadata"]["name"] for n in objects(cluster, NODES)] == before
    assert cluster.store.get(DEPLOYMENTS, "kube-system", "coredns") is not None


def test_building_twice_changes_nothing(built):
    built.settle()
    version = built.store.resource_version
    nodes = objects(built, NODES)
    assert built.topology is not None
    build(built, built.topology, built.timers)
    assert objects(built, NODES) == nodes
    assert built.store.resource_version == version


def test_the_kind_cluster_comes_up_every_system_pod_running_within_seconds():
    cluster = Cluster.from_kind_config(CONFIGS / "three-zones.yaml", manual_clock=True)
    cluster.runtime.advance(10)
    pods = objects(cluster, PODS)
    assert {p["status"].get("phase") for p in pods} == {"Running"}

    def count(prefix: str) -> int:
        return sum(p["metadata"]["name"].startswith(prefix) for p in pods)

    assert (count("kindnet-"), count("kube-proxy-"), count("coredns-"),
            count("local-path-provisioner-"), count("etcd-")) == (7, 7, 2, 1, 1)


def test_a_cluster_without_a_config_stays_empty_with_default_timers():
    cluster = Cluster(manual_clock=True)
    assert objects(cluster, NODES) == []
    assert cluster.topology is None and cluster.timers == Timers()
    assert cluster.store.get(DEPLOYMENTS, "kube-system", "coredns") is None


def test_a_topology_and_timers_can_be_given_without_a_file():
    topology = Topology.from_kind_config(parse(HEAD + "nodes:\n- role: control-plane\n"))
    cluster = Cluster(topology=topology, timers=Timers(node_lease_duration_seconds=8),
                      manual_clock=True)
    (node,) = objects(cluster, NODES)
    assert "taints" not in node["spec"]  # kind untaints a one-node cluster
    assert get(cluster, LEASES, "kube-node-lease", "kind-control-plane")["spec"][
        "leaseDurationSeconds"] == 8


def test_without_the_default_cni_nodes_register_not_ready_and_kindnet_is_absent():
    cluster = Cluster(manual_clock=True)
    config = parse(HEAD + "networking:\n  disableDefaultCNI: true\n"
                   "nodes:\n- role: control-plane\n- role: worker\n")
    build(cluster, Topology.from_kind_config(config), config.timers)
    node = get(cluster, NODES, "", "kind-worker")
    ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "KubeletNotReady")
    assert "cni plugin not initialized" in ready["message"]
    assert {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"} in node["spec"][
        "taints"]
    assert cluster.store.get(DAEMONSETS, "kube-system", "kindnet") is None


def test_without_kube_proxy_there_is_no_kube_proxy_daemon_set():
    cluster = small("networking:\n  kubeProxyMode: none\n")
    assert cluster.store.get(DAEMONSETS, "kube-system", "kube-proxy") is None
    assert cluster.store.get(DAEMONSETS, "kube-system", "kindnet") is not None


def test_a_custom_pod_subnet_feeds_the_node_ranges():
    cluster = small("networking:\n  podSubnet: 10.100.0.0/16\n")
    assert [n["spec"]["podCIDR"] for n in objects(cluster, NODES)] == [
        "10.100.0.0/24", "10.100.1.0/24"]


@pytest.mark.parametrize(("networking", "words"), [
    ("ipFamily: ipv6", "IPv4 clusters only"),
    ("serviceSubnet: 10.200.0.0/16", "10.96.0.0"),
    ("podSubnet: 10.244.0.0/25", "/24"),
])
def test_networks_the_simulator_cannot_model_are_refused_before_anything_is_built(
        networking, words):
    with pytest.raises(InvalidExperiment, match=words):
        small(f"networking:\n  {networking}\n")


# -- Simulator and CLI ---------------------------------------------------------------------------


def test_the_simulator_reads_the_config_before_it_starts(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + "nodes:\n- role: worker\n")
    with pytest.raises(InvalidExperiment, match=r"bad\.yaml: nodes: must have at least one"):
        Simulator(config=bad)
    sim = Simulator(config=CONFIGS / "three-zones.yaml", name="sim-x")
    assert sim.topology is not None and sim.topology.name == "sim-x"
    assert not sim.running


def test_a_name_without_a_config_is_a_mistake():
    with pytest.raises(ValueError, match="config"):
        Simulator(name="lonely")


def test_sim_serve_with_a_missing_config_exits_2_with_the_reason_and_no_traceback(capsys):
    code = cli.main(["sim", "serve", "--config", "no/such/file.yaml"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no/such/file.yaml: no such kind config file" in err
    assert "Traceback" not in err


def test_sim_serve_with_an_invalid_config_names_the_field(tmp_path, capsys):
    bad = tmp_path / "typo.yaml"
    bad.write_text(HEAD + "nodes:\n- role: control-plane\n  lables: {}\n")
    assert cli.main(["sim", "serve", "--config", str(bad)]) == 2
    assert "nodes[0].lables" in capsys.readouterr().err


def test_sim_serve_refuses_a_name_without_a_config(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["sim", "serve", "--name", "x"])
    assert stopped.value.code == 2
    assert "--config" in capsys.readouterr().err
