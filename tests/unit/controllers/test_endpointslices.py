"""Services to EndpointSlices and Endpoints (chaoszone.sim.controllers.endpointslices)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from clusterkit import (
    ENDPOINTS,
    PODS,
    SERVICES,
    SLICES,
    Kubelets,
    add_node,
    add_pod,
    events,
    get,
    set_ready,
)

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.registry import DeleteOptions

NAMED_PORT = {"containers": [{"name": "c", "image": "nginx",
                              "ports": [{"name": "http", "containerPort": 8080}]}]}


@pytest.fixture
def zones(cluster: Cluster, kubelets: Kubelets) -> list[str]:
    names = []
    for zone in ("a", "b", "c"):
        add_node(cluster, f"{zone}1", zone)
        kubelets.start(f"{zone}1")
        names.append(f"{zone}1")
    return names


def service(cluster: Cluster, name: str = "web", **spec: Any) -> dict[str, Any]:
    annotations = spec.pop("annotations", None)
    meta: dict[str, Any] = {"name": name, "labels": {"team": "blue"}}
    if annotations:
        meta["annotations"] = annotations
    body = {"metadata": meta,
            "spec": {"selector": {"app": name},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http"}], **spec}}
    stored = cluster.registry.create(SERVICES, "default", body)
    cluster.settle()
    return stored.obj


def slices(cluster: Cluster, name: str = "web") -> list[dict[str, Any]]:
    return [s.obj for s in cluster.store.items(SLICES, "default")
            if s.labels.get("kubernetes.io/service-name") == name]


def endpoints_by_pod(cluster: Cluster, name: str = "web") -> dict[str, dict[str, Any]]:
    return {e["targetRef"]["name"]: e for s in slices(cluster, name) for e in s["endpoints"]}


def test_a_service_gets_a_slice_with_one_endpoint_per_pod(cluster: Cluster,
                                                         zones: list[str]) -> None:
    svc = service(cluster)
    for i, node in enumerate(zones):
        add_pod(cluster, f"web-{i}", node, labels={"app": "web"}, spec=NAMED_PORT)
    cluster.settle()
    [slice_] = slices(cluster)
    assert slice_["metadata"]["name"].startswith("web-")
    assert slice_["metadata"]["labels"] == {
        "team": "blue", "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    [owner] = slice_["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "Service", "web", svc["metadata"]["uid"], True)
    assert slice_["addressType"] == "IPv4"
    assert slice_["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    web0 = endpoints_by_pod(cluster)["web-0"]
    pod0 = get(cluster, PODS, "web-0")
    assert pod0 is not None
    assert web0 == {
        "addresses": [pod0["status"]["podIP"]],
        "conditions": {"ready": True, "serving": True, "terminating": False},
        "targetRef": {"kind": "Pod", "namespace": "default", "name": "web-0",
                      "uid": pod0["metadata"]["uid"]},
        "nodeName": "a1", "zone": "a"}
    assert "hints" not in web0


def test_endpoints_lists_ready_and_not_ready_addresses(cluster: Cluster,
                                                      zones: list[str]) -> None:
    service(cluster)
    add_pod(cluster, "web-0", "a1", labels={"app": "web"}, spec=NAMED_PORT)
    add_pod(cluster, "web-1", "b1", labels={"app": "web"}, spec=NAMED_PORT, ready=False)
    cluster.settle()
    ep = get(cluster, ENDPOINTS, "web")
    assert ep is not None
    assert ep["metadata"]["labels"] == {"team": "blue"}
    [subset] = ep["subsets"]
    assert [a["targetRef"]["name"] for a in subset["addresses"]] == ["web-0"]
    assert [a["targetRef"]["name"] for a in subset["notReadyAddresses"]] == ["web-1"]
    assert subset["addresses"][0]["nodeName"] == "a1"
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    e1 = endpoints_by_pod(cluster)["web-1"]
    assert e1["conditions"] == {"ready": False, "serving": False, "terminating": False}


def test_a_terminating_pod_stays_in_the_slice_as_terminating_and_leaves_endpoints(
        cluster: Cluster, zones: list[str]) -> None:
    service(cluster)
    add_pod(cluster, "web-0", "a1", labels={"app": "web"}, spec=NAMED_PORT)
    add_pod(cluster, "web-1", "b1", labels={"app": "web"}, spec=NAMED_PORT)
    cluster.registry.delete(PODS, "default", "web-1", DeleteOptions())
    cluster.settle()
    assert endpoints_by_pod(cluster)["web-1"]["conditions"] == {
        "ready": False, "serving": True, "terminating": True}
    ep = get(cluster, ENDPOINTS, "web")
    assert ep is not None
    assert [a["targetRef"]["name"] for s in ep["subsets"] for a in s.get("addresses", [])] == [
        "web-0"]


def test_publish_not_ready_addresses_makes_every_endpoint_ready(cluster: Cluster,
                                                               zones: list[str]) -> None:
    service(cluster, publishNotReadyAddresses=True, clusterIP="None")
    add_pod(cluster, "web-0", "a1", labels={"app": "web"}, spec=NAMED_PORT, ready=False)
    cluster.settle()
    assert endpoints_by_pod(cluster)["web-0"]["conditions"]["ready"] is True
    [slice_] = slices(cluster)
    assert slice_["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
    ep = get(cluster, ENDPOINTS, "web")
    assert ep is not None
    assert [a["targetRef"]["name"] for a in ep["subsets"][0]["addresses"]] == ["web-0"]


def test_a_service_without_pods_keeps_an_empty_placeholder_slice(cluster: Cluster) -> None:
    service(cluster)
    [slice_] = slices(cluster)
    assert slice_["endpoints"] == []
    assert "ports" not in slice_
    ep = get(cluster, ENDPOINTS, "web")
    assert ep is not None and "subsets" not in ep


def test_pods_without_an_ip_or_on_a_missing_node_are_left_out(cluster: Cluster,
                                                             zones: list[str]) -> None:
    service(cluster)
    add_pod(cluster, "pending", None, labels={"app": "web"})
    add_pod(cluster, "lost", "gone", labels={"app": "web"}, spec=NAMED_PORT)
    add_pod(cluster, "web-0", "a1", labels={"app": "web"}, spec=NAMED_PORT)
    cluster.settle()
    assert sorted(endpoints_by_pod(cluster)) == ["web-0"]


def test_a_selector_less_service_is_left_to_its_owner(cluster: Cluster) -> None:
    cluster.registry.create(SERVICES, "default", {
        "metadata": {"name": "external"}, "spec": {"ports": [{"port": 80}]}})
    cluster.settle()
    assert slices(cluster, "external") == []
    assert get(cluster, ENDPOINTS, "external") is None


def test_more_than_a_hundred_endpoints_are_split_over_slices(cluster: Cluster,
                                                            zones: list[str]) -> None:
    service(cluster)
    for i in range(101):
        add_pod(cluster, f"web-{i:03}", zones[i % 3], labels={"app": "web"}, spec=NAMED_PORT)
    cluster.settle()
    assert sorted(len(s["endpoints"]) for s in slices(cluster)) == [1, 100]


def test_topology_mode_auto_hints_each_endpoint_to_its_zone(cluster: Cluster,
                                                           zones: list[str]) -> None:
    service(cluster, annotations={"service.kubernetes.io/topology-mode": "Auto"})
    for i in range(6):
        add_pod(cluster, f"web-{i}", zones[i % 3], labels={"app": "web"}, spec=NAMED_PORT)
    cluster.settle()
    for endpoint in endpoints_by_pod(cluster).values():
        assert endpoint["hints"] == {"forZones": [{"name": endpoint["zone"]}]}
    [event] = events(cluster, "TopologyAwareHintsEnabled", "web")
    assert event["message"] == "Topology Aware Hints has been enabled, addressType: IPv4"


def test_topology_hints_move_surplus_endpoints_to_zones_that_lack_them(
        cluster: Cluster, zones: list[str]) -> None:
    service(cluster, annotations={"service.kubernetes.io/topology-mode": "Auto"})
    for i, node in enumerate(["a1", "a1", "a1", "a1", "b1", "c1"]):
        add_pod(cluster, f"web-{i}", node, labels={"app": "web"}, spec=NAMED_PORT)
    cluster.settle()
    hinted = Counter(e["hints"]["forZones"][0]["name"]
                     for e in endpoints_by_pod(cluster).values())
    assert hinted == {"a": 2, "b": 2, "c": 2}


def test_too_few_endpoints_for_the_zones_disable_hints(cluster: Cluster,
                                                      zones: list[str]) -> None:
    service(cluster, annotations={"service.kubernetes.io/topology-mode": "Auto"})
    add_pod(cluster, "web-0", "a1", labels={"app": "web"}, spec=NAMED_PORT)
    add_pod(cluster, "web-1", "b1", labels={"app": "web"}, spec=NAMED_PORT)
    cluster.settle()
    assert all("hints" not in e for e in endpoints_by_pod(cluster).values())
    assert "Insufficient number of endpoints (2 endpoints, 3 zones), addressType: IPv4" in [
        e["message"] for e in events(cluster, "TopologyAwareHintsDisabled", "web")]


def test_prefer_close_traffic_distribution_hints_the_endpoint_zone(
        cluster: Cluster, zones: list[str]) -> None:
    service(cluster, trafficDistribution="PreferClose")
    add_pod(cluster, "web-0", "a1", labels={"app": "web"}, spec=NAMED_PORT)
    add_pod(cluster, "web-1", "b1", labels={"app": "web"}, spec=NAMED_PORT, ready=False)
    cluster.settle()
    eps = endpoints_by_pod(cluster)
    assert eps["web-0"]["hints"] == {"forZones": [{"name": "a"}]}
    assert "hints" not in eps["web-1"]


def test_readiness_changes_flow_into_slices_and_endpoints(cluster: Cluster,
                                                         zones: list[str]) -> None:
    service(cluster)
    add_pod(cluster, "web-0", "a1", labels={"app": "web"}, spec=NAMED_PORT)
    cluster.settle()
    set_ready(cluster, "web-0", False)
    cluster.settle()
    assert endpoints_by_pod(cluster)["web-0"]["conditions"]["ready"] is False
    ep = get(cluster, ENDPOINTS, "web")
    assert ep is not None and "addresses" not in ep["subsets"][0]


def test_deleting_the_service_removes_its_endpoints_and_slices(cluster: Cluster,
                                                              zones: list[str]) -> None:
    service(cluster)
    add_pod(cluster, "web-0", "a1", labels={"app": "web"}, spec=NAMED_PORT)
    cluster.settle()
    cluster.registry.delete(SERVICES, "default", "web", DeleteOptions())
    cluster.settle()
    assert get(cluster, ENDPOINTS, "web") is None
    assert slices(cluster) == []


def test_a_slice_deleted_by_someone_else_is_recreated(cluster: Cluster,
                                                     zones: list[str]) -> None:
    service(cluster)
    add_pod(cluster, "web-0", "a1", labels={"app": "web"}, spec=NAMED_PORT)
    cluster.settle()
    [slice_] = slices(cluster)
    cluster.registry.delete(SLICES, "default", slice_["metadata"]["name"], DeleteOptions())
    cluster.settle()
    assert sorted(endpoints_by_pod(cluster)) == ["web-0"]
