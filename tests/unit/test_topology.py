"""Topology: nodes named, labelled and tainted as kind makes them, grouped into zones."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoszone.errors import InvalidExperiment
from chaoszone.kindconfig import NODE_IMAGE_1_32, Taint, parse
from chaoszone.topology import DEFAULT_CAPACITY, Topology

CONFIGS = Path(__file__).resolve().parents[2] / "kind-configs"
HEAD = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
CONTROL_PLANE_TAINT = Taint("node-role.kubernetes.io/control-plane", "NoSchedule")


def node(role: str, zone: str | None = None, **labels: str) -> str:
    if zone:
        labels["topology.kubernetes.io/zone"] = zone
    text = f"- role: {role}\n  image: {NODE_IMAGE_1_32}\n"
    if labels:
        text += "  labels:\n" + "".join(f"    {k}: \"{v}\"\n" for k, v in labels.items())
    return text


def topology(*nodes: str, name: str | None = None, header: str = "") -> Topology:
    return Topology.from_kind_config(parse(HEAD + header + "nodes:\n" + "".join(nodes)),
                                     name=name)


@pytest.fixture(scope="module")
def three_zones() -> Topology:
    return Topology.load(CONFIGS / "three-zones.yaml")


def test_nodes_are_named_per_role_in_config_order_as_kinds_namer_does():
    nodes = topology(node("worker"), node("control-plane"), node("worker"),
                     node("control-plane"), node("worker"), name="c").nodes
    assert [n.name for n in nodes] == ["c-worker", "c-control-plane", "c-worker2",
                                       "c-control-plane2", "c-worker3"]
    assert [n.index for n in nodes] == [0, 1, 2, 3, 4]


def test_the_name_is_the_override_then_the_files_then_kind():
    assert topology(node("control-plane")).name == "kind"
    assert topology(node("control-plane"), header="name: chaos\n").name == "chaos"
    named = topology(node("control-plane"), header="name: chaos\n", name="mine")
    assert named.name == "mine" and named.nodes[0].name == "mine-control-plane"


def test_an_override_name_kind_refuses_is_refused():
    with pytest.raises(InvalidExperiment, match="--name: 'Mine' is not a valid cluster name"):
        topology(node("control-plane"), name="Mine")


def test_a_name_too_long_for_the_hostname_label_is_refused():
    with pytest.raises(InvalidExperiment, match="hostname label"):
        topology(node("control-plane"), node("control-plane"), name="a" * 50)


def test_three_zones_names_its_nodes_from_the_file(three_zones):
    assert three_zones.name == "three-zones"
    assert [n.name for n in three_zones.nodes] == [
        "three-zones-control-plane", "three-zones-worker", "three-zones-worker2",
        "three-zones-worker3", "three-zones-worker4", "three-zones-worker5",
        "three-zones-worker6"]


def test_a_worker_carries_the_kubelets_labels_and_the_files(three_zones):
    worker = three_zones.node("three-zones-worker3")
    assert worker.labels == {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "three-zones-worker3",
        "kubernetes.io/os": "linux", "topology.kubernetes.io/region": "region-1",
        "topology.kubernetes.io/zone": "zone-b"}
    assert (worker.zone, worker.region, worker.role) == ("zone-b", "region-1", "worker")
    assert worker.taints == ()


def test_a_control_plane_carries_kubeadms_labels_and_taint_in_a_multi_node_cluster(three_zones):
    (control_plane,) = three_zones.control_planes
    assert control_plane.labels["node-role.kubernetes.io/control-plane"] == ""
    assert control_plane.labels["node.kubernetes.io/exclude-from-external-load-balancers"] == ""
    assert control_plane.taints == (CONTROL_PLANE_TAINT,)
    assert control_plane.zone is None and control_plane.region == "region-1"


def test_a_single_node_cluster_has_neither_the_taint_nor_the_load_balancer_label():
    (only,) = topology(node("control-plane")).nodes
    assert only.taints == ()
    assert "node.kubernetes.io/exclude-from-external-load-balancers" not in only.labels
    assert only.labels["node-role.kubernetes.io/control-plane"] == ""


def test_the_files_labels_win_over_the_kubelets_defaults():
    (only,) = topology(node("control-plane", **{"kubernetes.io/arch": "arm64"})).nodes
    assert only.labels["kubernetes.io/arch"] == "arm64"


def test_zones_group_the_workers_and_leave_the_control_plane_out(three_zones):
    zones = three_zones.zones()
    assert [(z.name, z.region, z.node_names) for z in zones] == [
        ("zone-a", "region-1", ("three-zones-worker", "three-zones-worker2")),
        ("zone-b", "region-1", ("three-zones-worker3", "three-zones-worker4")),
        ("zone-c", "region-1", ("three-zones-worker5", "three-zones-worker6"))]
    assert three_zones.zone_names() == ("zone-a", "zone-b", "zone-c")
    assert [n.name for n in three_zones.unzoned] == ["three-zones-control-plane"]
    assert len(three_zones.workers) == 6


def test_nodes_by_zone_maps_each_zone_to_its_nodes(three_zones):
    by_zone = three_zones.nodes_by_zone()
    assert {z: len(nodes) for z, nodes in by_zone.items()} == {
        "zone-a": 2, "zone-b": 2, "zone-c": 2}
    assert three_zones.nodes_in_zone("zone-c") == by_zone["zone-c"]


def test_an_unknown_zone_is_refused_naming_the_known_ones(three_zones):
    with pytest.raises(InvalidExperiment, match=r"unknown zone 'zone-d'.*zone-a, zone-b, zone-c"):
        three_zones.zone("zone-d")


def test_an_unknown_node_is_refused_naming_the_known_ones(three_zones):
    with pytest.raises(InvalidExperiment, match=r"unknown node 'x'.*three-zones-worker"):
        three_zones.node("x")


def test_ha_control_planes_each_belong_to_a_zone():
    ha = Topology.load(CONFIGS / "three-zones-ha.yaml")
    assert [n.name for n in ha.control_planes] == [
        "three-zones-ha-control-plane", "three-zones-ha-control-plane2",
        "three-zones-ha-control-plane3"]
    assert [len(z) for z in ha.zones()] == [3, 3, 3]
    assert ha.unzoned == ()
    assert all(n.taints == (CONTROL_PLANE_TAINT,) for n in ha.control_planes)


def test_the_four_node_zone_config_has_a_zone_of_four():
    four = Topology.load(CONFIGS / "four-node-zone.yaml")
    assert [len(z) for z in four.zones()] == [4, 2, 2]
    assert four.nodes_in_zone("zone-a")[-1].name == "four-node-zone-worker4"


def test_the_deprecated_zone_label_still_places_a_node_in_a_zone():
    (only,) = topology(node("control-plane", **{
        "failure-domain.beta.kubernetes.io/zone": "old-zone"})).nodes
    assert only.zone == "old-zone"


def test_zones_of_the_same_name_in_two_regions_are_two_zones():
    two = topology(node("control-plane"),
                   node("worker", "zone-a", **{"topology.kubernetes.io/region": "r1"}),
                   node("worker", "zone-a", **{"topology.kubernetes.io/region": "r2"}))
    assert [(z.region, z.name) for z in two.zones()] == [("r1", "zone-a"), ("r2", "zone-a")]
    with pytest.raises(InvalidExperiment, match="several regions"):
        two.zone("zone-a")


def test_capacity_defaults_to_an_8_cpu_16_gib_host_and_can_be_replaced(three_zones):
    assert three_zones.nodes[0].capacity == DEFAULT_CAPACITY
    assert DEFAULT_CAPACITY["cpu"] == "8" and DEFAULT_CAPACITY["pods"] == "110"
    assert DEFAULT_CAPACITY["memory"].endswith("Ki")
    small = Topology.load(CONFIGS / "three-zones.yaml", capacity={"cpu": "2", "pods": "10"})
    assert small.nodes[1].capacity == {"cpu": "2", "pods": "10"}


def test_the_kubernetes_version_is_the_control_planes_image_version(three_zones):
    assert three_zones.kubernetes_version == "v1.32.11"
    assert three_zones.source is not None and three_zones.source.endswith("three-zones.yaml")
