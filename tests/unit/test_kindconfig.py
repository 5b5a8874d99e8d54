"""kind configs: strict decoding and validation like kind's, the kubeadm patches, and the
failure timers they set."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoszone.errors import InvalidExperiment
from chaoszone.kindconfig import (
    KIND_DEFAULT_IMAGE,
    NODE_IMAGE_1_32,
    Taint,
    Timers,
    default_timers,
    load,
    parse,
    parse_duration,
)

CONFIGS = Path(__file__).resolve().parents[2] / "kind-configs"
IMAGE = NODE_IMAGE_1_32
HEAD = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"


def config(body: str = "", nodes: str | None = None) -> str:
    """A config: ``body`` at cluster level and ``nodes`` (default: a control plane and a
    worker with the pinned image)."""
    if nodes is None:
        nodes = (f"- role: control-plane\n  image: {IMAGE}\n"
                 f"- role: worker\n  image: {IMAGE}\n")
    return HEAD + body + "nodes:\n" + nodes


def refused(text: str) -> str:
    with pytest.raises(InvalidExperiment) as caught:
        parse(text, source="bad.yaml")
    return str(caught.value)


# -- the shipped configs ------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_loads_with_the_pinned_1_32_image_on_every_node(path):
    parsed = load(path)
    assert all(n.image == IMAGE and n.image_pinned for n in parsed.nodes)
    assert parsed.kubernetes_version == "v1.32.11"
    assert parsed.name == path.stem


def test_three_zones_has_one_unzoned_control_plane_and_two_workers_per_zone():
    parsed = load(CONFIGS / "three-zones.yaml")
    (control_plane,) = parsed.control_planes
    assert "topology.kubernetes.io/zone" not in control_plane.labels
    zones = [n.labels["topology.kubernetes.io/zone"] for n in parsed.workers]
    assert zones == ["zone-a", "zone-a", "zone-b", "zone-b", "zone-c", "zone-c"]
    assert {n.labels["topology.kubernetes.io/region"] for n in parsed.nodes} == {"region-1"}


def test_three_zones_ha_has_a_control_plane_in_each_zone():
    parsed = load(CONFIGS / "three-zones-ha.yaml")
    assert [n.labels["topology.kubernetes.io/zone"] for n in parsed.control_planes] == [
        "zone-a", "zone-b", "zone-c"]
    assert len(parsed.workers) == 6


def test_four_node_zone_has_a_zone_of_four_workers_beside_two_of_two():
    parsed = load(CONFIGS / "four-node-zone.yaml")
    zones = [n.labels["topology.kubernetes.io/zone"] for n in parsed.workers]
    assert [zones.count(z) for z in ("zone-a", "zone-b", "zone-c")] == [4, 2, 2]


def test_the_default_configs_run_with_kubernetes_1_32_default_timers():
    for name in ("three-zones.yaml", "three-zones-ha.yaml"):
        assert load(CONFIGS / name).timers == Timers()
    timers = Timers()
    assert (timers.node_monitor_period, timers.node_monitor_grace_period) == (5.0, 50.0)
    assert timers.node_startup_grace_period == 60.0
    assert (timers.node_eviction_rate, timers.secondary_node_eviction_rate) == (0.1, 0.01)
    assert (timers.unhealthy_zone_threshold, timers.large_cluster_size_threshold) == (0.55, 50)
    assert timers.default_not_ready_toleration_seconds == 300
    assert timers.default_unreachable_toleration_seconds == 300
    assert (timers.node_status_update_frequency, timers.node_status_report_frequency) == (
        10.0, 300.0)
    assert (timers.node_lease_duration_seconds, timers.node_lease_renew_interval) == (40, 10.0)


@pytest.mark.parametrize("name", ["three-zones-fast.yaml", "three-zones-ha-fast.yaml",
                                  "four-node-zone.yaml"])
def test_the_fast_configs_shorten_detection_eviction_and_heartbeats(name):
    timers = load(CONFIGS / name).timers
    assert timers.node_monitor_period == 2.0
    assert timers.node_monitor_grace_period == 20.0
    assert timers.node_eviction_rate == 1.0
    assert timers.default_not_ready_toleration_seconds == 10
    assert timers.default_unreachable_toleration_seconds == 10
    assert timers.node_status_update_frequency == 4.0
    assert timers.node_lease_duration_seconds == 20
    assert timers.node_lease_renew_interval == 5.0


def test_an_explicit_status_update_frequency_also_sets_the_report_frequency_as_kubelet_does():
    parsed = load(CONFIGS / "three-zones-fast.yaml")
    assert parsed.timers.node_status_report_frequency == 4.0


def test_a_1_31_image_defaults_the_grace_period_to_40s():
    image = ("kindest/node:v1.31.14@sha256:"
             "6f86cf509dbb42767b6e79debc3f2c32e4ee01386f0489b3b2be24b0a55aac2b")
    parsed = parse(config(nodes=f"- role: control-plane\n  image: {image}\n"))
    assert parsed.timers.node_monitor_grace_period == 40.0
    assert default_timers("v1.32.0").node_monitor_grace_period == 50.0


# -- kind's defaults -----------------------------------------------------------------------------


def test_a_config_without_nodes_is_one_control_plane_with_kinds_default_image():
    parsed = parse(HEAD)
    (node,) = parsed.nodes
    assert node.role == "control-plane"
    assert node.image == KIND_DEFAULT_IMAGE and not node.image_pinned
    assert node.taints == ()  # kind removes the control-plane taint of a one-node cluster


def test_a_node_without_a_role_is_a_control_plane():
    parsed = parse(config(nodes=f"- image: {IMAGE}\n"))
    assert parsed.nodes[0].role == "control-plane"


def test_control_planes_of_a_multi_node_cluster_keep_their_taint():
    parsed = parse(config())
    assert parsed.nodes[0].taints == (Taint("node-role.kubernetes.io/control-plane",
                                            "NoSchedule"),)
    assert parsed.nodes[1].taints == ()


def test_the_cluster_name_is_the_override_then_the_files_then_kind():
    assert parse(HEAD).cluster_name() == "kind"
    named = parse(HEAD + "name: chaos\n")
    assert named.cluster_name() == "chaos"
    assert named.cluster_name("other") == "other"


def test_networking_defaults_are_kinds():
    net = parse(HEAD).networking
    assert (net.ip_family, net.pod_subnet, net.service_subnet) == (
        "ipv4", "10.244.0.0/16", "10.96.0.0/16")
    assert (net.api_server_address, net.kube_proxy_mode) == ("127.0.0.1", "iptables")


# -- patches -------------------------------------------------------------------------------------


def test_the_first_control_planes_own_patch_wins_over_the_cluster_level_one():
    text = config(
        "kubeadmConfigPatches:\n- |\n  kind: ClusterConfiguration\n  controllerManager:\n"
        "    extraArgs:\n      node-monitor-grace-period: \"30s\"\n",
        nodes=(f"- role: control-plane\n  image: {IMAGE}\n  kubeadmConfigPatches:\n  - |\n"
               "    kind: ClusterConfiguration\n    controllerManager:\n      extraArgs:\n"
               "        node-monitor-grace-period: \"25s\"\n"))
    parsed = parse(text)
    assert parsed.timers.node_monitor_grace_period == 25.0
    assert parsed.controller_manager_args["node-monitor-grace-period"] == "25s"
    assert parsed.controller_manager_args["enable-hostpath-provisioner"] == "true"


def test_a_patch_stream_of_several_documents_patches_each_kind():
    parsed = parse(config(
        "kubeadmConfigPatches:\n- |\n  kind: KubeletConfiguration\n  nodeLeaseDurationSeconds: 12\n"
        "  ---\n  kind: ClusterConfiguration\n  apiServer:\n    extraArgs:\n"
        "      default-unreachable-toleration-seconds: \"7\"\n"))
    assert parsed.timers.node_lease_duration_seconds == 12
    assert parsed.timers.default_unreachable_toleration_seconds == 7


def test_a_json_6902_patch_sets_a_timer_as_kind_applies_it_after_the_merge_patches():
    parsed = parse(config(
        "kubeadmConfigPatchesJSON6902:\n- group: kubeadm.k8s.io\n  version: v1beta3\n"
        "  kind: ClusterConfiguration\n  patch: |\n    - op: add\n"
        "      path: /controllerManager/extraArgs/node-monitor-period\n      value: \"3s\"\n"))
    assert parsed.timers.node_monitor_period == 3.0


def test_a_join_patch_can_register_a_worker_with_a_taint():
    nodes = (f"- role: control-plane\n  image: {IMAGE}\n"
             f"- role: worker\n  image: {IMAGE}\n  kubeadmConfigPatches:\n  - |\n"
             "    kind: JoinConfiguration\n    nodeRegistration:\n      kubeletExtraArgs:\n"
             "        register-with-taints: \"chaos.example.com/repair=only:NoSchedule\"\n")
    worker = parse(config(nodes=nodes)).nodes[1]
    assert worker.taints == (Taint("chaos.example.com/repair", "NoSchedule", "only"),)


def test_a_node_labels_patch_replaces_the_labels_kind_generated():
    nodes = (f"- role: control-plane\n  image: {IMAGE}\n"
             f"- role: worker\n  image: {IMAGE}\n  labels:\n    tier: old\n"
             "  kubeadmConfigPatches:\n  - |\n    kind: JoinConfiguration\n"
             "    nodeRegistration:\n      kubeletExtraArgs:\n"
             "        node-labels: \"topology.kubernetes.io/zone=zone-c\"\n")
    assert parse(config(nodes=nodes)).nodes[1].labels == {"topology.kubernetes.io/zone": "zone-c"}


def test_numbers_and_booleans_in_labels_are_kept_as_written():
    nodes = f"- role: control-plane\n  image: {IMAGE}\n  labels:\n    rack: 1.10\n    ssd: yes\n"
    assert parse(config(nodes=nodes)).nodes[0].labels == {"rack": "1.10", "ssd": "yes"}


@pytest.mark.parametrize(("text", "seconds"), [
    ("20s", 20.0), ("1m30s", 90.0), ("500ms", 0.5), ("1.5h", 5400.0), ("0", 0.0),
])
def test_durations_parse_as_go_does(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["20", "s", "20 s", "", "1d"])
def test_durations_without_a_go_unit_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


# -- refused, naming the field -------------------------------------------------------------------


def test_an_unknown_cluster_field_is_refused_like_kinds_strict_decoding():
    message = refused(config("nodez: []\n"))
    assert "bad.yaml: nodez" in message
    assert "field nodez not found in type v1alpha4.Cluster" in message
    assert "Did you mean `nodes`" in message


def test_an_unknown_node_field_names_its_path_and_line():
    message = refused(config(nodes=f"- role: worker\n  image: {IMAGE}\n  lables: {{}}\n"))
    assert "nodes[0].lables (line 6)" in message
    assert "v1alpha4.Node" in message and "Did you mean `labels`" in message


def test_an_unknown_networking_field_is_refused():
    assert "networking.podSubnets" in refused(config("networking:\n  podSubnets: x\n"))


def test_a_wrong_api_version_is_refused():
    message = refused("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha3\n")
    assert "apiVersion" in message and "kind.x-k8s.io/v1alpha4" in message


def test_a_wrong_kind_is_refused():
    assert "write `kind: Cluster`" in refused(
        "kind: Config\napiVersion: kind.x-k8s.io/v1alpha4\n")


def test_an_empty_file_is_refused():
    assert "is empty" in refused("")


def test_invalid_yaml_is_refused():
    assert "not valid YAML" in refused(HEAD + "nodes: [\n")


def test_several_documents_are_refused_because_kind_reads_the_first_only():
    assert "2 YAML documents" in refused(HEAD + "---\n" + HEAD)


def test_a_duplicate_key_is_refused():
    assert "defined twice" in refused(HEAD + "name: a\nname: b\n")


def test_an_unknown_role_is_refused():
    message = refused(config(nodes=f"- role: master\n  image: {IMAGE}\n"))
    assert "nodes[0].role" in message and "'master' is not a valid node role" in message


def test_a_cluster_without_a_control_plane_is_refused():
    message = refused(config(nodes=f"- role: worker\n  image: {IMAGE}\n"))
    assert "must have at least one control-plane node" in message


@pytest.mark.parametrize("name", ["Chaos", "chaos_mz", "zone a"])
def test_a_cluster_name_kind_refuses_is_refused(name):
    assert "is not a valid cluster name" in refused(HEAD + f"name: {name}\n")


def test_a_list_where_a_mapping_belongs_is_refused():
    message = refused(config(nodes=f"- role: worker\n  image: {IMAGE}\n  labels: [a]\n"))
    assert "nodes[0].labels" in message and "expected a mapping" in message


def test_a_patch_written_as_a_mapping_rather_than_a_string_explains_the_block_string():
    message = refused(config("kubeadmConfigPatches:\n- kind: ClusterConfiguration\n"))
    assert "kubeadmConfigPatches[0]" in message and "`- |`" in message


def test_a_patch_without_kind_is_refused_because_it_would_patch_nothing():
    message = refused(config("kubeadmConfigPatches:\n- |\n  controllerManager: {}\n"))
    assert "kubeadmConfigPatches[0]" in message and "no `kind`" in message


def test_a_patch_of_an_unknown_kind_is_refused():
    message = refused(config("kubeadmConfigPatches:\n- |\n  kind: KubeletConfig\n"))
    assert "`kind: KubeletConfig` matches no document" in message


def test_a_patch_pinned_to_another_kubeadm_api_is_refused_because_it_would_match_nothing():
    message = refused(config(
        "kubeadmConfigPatches:\n- |\n  apiVersion: kubeadm.k8s.io/v1beta4\n"
        "  kind: ClusterConfiguration\n"))
    assert "kubeadm.k8s.io/v1beta3" in message and "Remove `apiVersion`" in message


def test_a_kubelet_patch_on_a_worker_is_refused_because_kubeadm_ignores_it():
    nodes = (f"- role: control-plane\n  image: {IMAGE}\n"
             f"- role: worker\n  image: {IMAGE}\n  kubeadmConfigPatches:\n  - |\n"
             "    kind: KubeletConfiguration\n    nodeStatusUpdateFrequency: \"4s\"\n")
    message = refused(config(nodes=nodes))
    assert "nodes[1].kubeadmConfigPatches[0]" in message and "cluster-level" in message


def test_a_label_the_kubelet_refuses_is_refused_before_kind_hangs_on_it():
    nodes = (f"- role: control-plane\n  image: {IMAGE}\n"
             f"- role: worker\n  image: {IMAGE}\n  labels:\n"
             "    node-role.kubernetes.io/worker: \"\"\n")
    message = refused(config(nodes=nodes))
    assert "nodes[1].labels['node-role.kubernetes.io/worker']" in message
    assert "kubelet refuses" in message


def test_a_malformed_label_value_is_refused():
    nodes = f"- role: control-plane\n  image: {IMAGE}\n  labels:\n    zone: \"a b\"\n"
    assert "invalid label value 'a b'" in refused(config(nodes=nodes))


def test_an_unquoted_number_in_extra_args_is_refused_with_the_quoted_form():
    message = refused(config(
        "kubeadmConfigPatches:\n- |\n  kind: ClusterConfiguration\n  controllerManager:\n"
        "    extraArgs:\n      node-eviction-rate: 1\n"))
    assert "controllerManager.extraArgs.node-eviction-rate" in message
    assert 'node-eviction-rate: "1"' in message


def test_extra_args_in_the_v1beta4_list_form_are_refused():
    message = refused(config(
        "kubeadmConfigPatches:\n- |\n  kind: ClusterConfiguration\n  controllerManager:\n"
        "    extraArgs:\n    - name: node-monitor-period\n      value: \"2s\"\n"))
    assert "v1beta3" in message and "map" in message


def test_a_grace_period_without_a_unit_is_refused():
    message = refused(config(
        "kubeadmConfigPatches:\n- |\n  kind: ClusterConfiguration\n  controllerManager:\n"
        "    extraArgs:\n      node-monitor-grace-period: \"20\"\n"))
    assert "node-monitor-grace-period" in message and "missing unit" in message


def test_pod_eviction_timeout_is_refused_because_kube_controller_manager_would_not_start():
    message = refused(config(
        "kubeadmConfigPatches:\n- |\n  kind: ClusterConfiguration\n  controllerManager:\n"
        "    extraArgs:\n      pod-eviction-timeout: \"30s\"\n"))
    assert "pod-eviction-timeout" in message and "taint-based eviction" in message


def test_a_misspelt_timer_is_refused_rather_than_left_at_its_default():
    message = refused(config(
        "kubeadmConfigPatches:\n- |\n  kind: ClusterConfiguration\n  controllerManager:\n"
        "    extraArgs:\n      node-monitor-grace-periods: \"20s\"\n"))
    assert "did you mean `node-monitor-grace-period`" in message


def test_a_lease_duration_written_as_a_duration_is_refused():
    message = refused(config(
        "kubeadmConfigPatches:\n- |\n  kind: KubeletConfiguration\n"
        "  nodeLeaseDurationSeconds: \"20s\"\n"))
    assert "nodeLeaseDurationSeconds" in message and "whole number" in message


def test_a_negative_toleration_is_refused():
    message = refused(config(
        "kubeadmConfigPatches:\n- |\n  kind: ClusterConfiguration\n  apiServer:\n"
        "    extraArgs:\n      default-unreachable-toleration-seconds: \"-1\"\n"))
    assert "default-unreachable-toleration-seconds" in message


def test_an_invalid_port_is_refused():
    message = refused(config(nodes=(
        f"- role: control-plane\n  image: {IMAGE}\n  extraPortMappings:\n"
        "  - containerPort: 80\n    hostPort: 70000\n")))
    assert "nodes[0].extraPortMappings[0].hostPort" in message


def test_duplicate_host_ports_are_refused():
    message = refused(config(nodes=(
        f"- role: control-plane\n  image: {IMAGE}\n  extraPortMappings:\n"
        "  - {containerPort: 80, hostPort: 8080}\n  - {containerPort: 81, hostPort: 8080}\n")))
    assert "already configured" in message


def test_a_pod_subnet_of_the_wrong_family_is_refused():
    message = refused(config("networking:\n  podSubnet: fd00::/56\n"))
    assert "networking.podSubnet" in message and "IPv4" in message


def test_an_unknown_proxy_mode_is_refused():
    assert "networking.kubeProxyMode" in refused(config("networking:\n  kubeProxyMode: ebpf\n"))


def test_a_missing_file_is_refused_with_its_path(tmp_path):
    with pytest.raises(InvalidExperiment, match=r"no-such\.yaml: no such kind config file"):
        load(tmp_path / "no-such.yaml")


def test_errors_are_value_errors_too():
    with pytest.raises(ValueError):
        parse("kind: Cluster\n")
