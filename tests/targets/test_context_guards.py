"""The context:NAME target's guards, against a simulator reached through kubeconfig
contexts: the allow-list, its own namespaces only, one zone and no control plane unless the
fault call opts in, the node-share cap, and faults the target cannot make."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from context_support import (
    CONTROL_PLANE,
    ZONE_A,
    ZONE_B,
    admin_client,
    cordoned,
    namespaces,
    simulated_contexts,
)
from kubernetes import client

from chaoszone import Cluster, faults, workloads
from chaoszone.errors import InvalidExperiment, TargetError, UnsafeTarget
from chaoszone.guards import ALLOWED_CONTEXTS_ENV, Guards, allowed_contexts
from chaoszone.journal import read_records
from chaoszone.sim.server import Simulator
from chaoszone.targets.context import ContextTarget, kubeconfig_path


@pytest.fixture(scope="module")
def contexts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Path]]:
    with simulated_contexts(tmp_path_factory.mktemp("contexts"), "staging", "prod") as made:
        yield made


@pytest.fixture(scope="module")
def admin(contexts: tuple[Simulator, Path]) -> Iterator[client.ApiClient]:
    with admin_client(contexts[0]) as api:
        yield api


@pytest.fixture(scope="module")
def cluster(contexts: tuple[Simulator, Path],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    target = ContextTarget.connect("staging", allowed=["staging"], kubeconfig=contexts[1])
    handle = Cluster(target, tmp_path_factory.mktemp("run"))
    yield handle
    handle.close()


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    name = cluster.create_namespace("t")
    yield name
    cluster.delete_namespace(name)


def journal_lines(cluster: Cluster) -> int:
    return len(read_records(cluster.journal.path))


# -- the allow-list -------------------------------------------------------------------------------

def test_a_context_not_allow_listed_is_refused_before_its_kubeconfig_is_read(
        tmp_path: Path) -> None:
    with pytest.raises(UnsafeTarget) as refused:
        ContextTarget.connect("prod", allowed=["staging"], kubeconfig=tmp_path / "missing")
    message = str(refused.value)
    assert "'prod'" in message and "not allow-listed (allowed now: staging)" in message
    assert "--chaoszone-allow-context=prod" in message
    assert f"{ALLOWED_CONTEXTS_ENV}=prod" in message


def test_a_context_not_allow_listed_creates_no_namespace(
        contexts: tuple[Simulator, Path], admin: client.ApiClient) -> None:
    before = namespaces(admin)
    with pytest.raises(UnsafeTarget):
        ContextTarget.connect("prod", allowed=[], kubeconfig=contexts[1])
    assert namespaces(admin) == before


def test_allowed_contexts_are_the_options_then_the_environments_without_repeats() -> None:
    environ = {ALLOWED_CONTEXTS_ENV: "gke-staging, ,eks-dev"}
    assert allowed_contexts(["eks-dev", " kind-a "], environ) == ("eks-dev", "kind-a",
                                                                  "gke-staging")
    assert allowed_contexts([], {}) == ()


def test_a_context_allowed_through_the_environment_connects(
        contexts: tuple[Simulator, Path]) -> None:
    allowed = allowed_contexts([], {ALLOWED_CONTEXTS_ENV: "other,prod"})
    target = ContextTarget.connect("prod", allowed=allowed, kubeconfig=contexts[1])
    try:
        assert target.name == "context:prod"
    finally:
        target.close()


def test_a_context_the_kubeconfig_lacks_is_a_target_error_naming_its_contexts(
        contexts: tuple[Simulator, Path]) -> None:
    with pytest.raises(TargetError, match="has no context 'dev'; its contexts are: staging, "
                                          "prod"):
        ContextTarget.connect("dev", allowed=["dev"], kubeconfig=contexts[1])


def test_the_kubeconfig_is_the_option_then_KUBECONFIG_then_the_home_file() -> None:
    assert kubeconfig_path("/a/config", {"KUBECONFIG": "/b/config"}) == "/a/config"
    assert kubeconfig_path(None, {"KUBECONFIG": "/b/config:/c/config"}) == "/b/config:/c/config"
    assert kubeconfig_path(None, {}) == str(Path("~/.kube/config").expanduser())


def test_a_node_share_outside_zero_to_one_is_invalid() -> None:
    for share in (0, 1.5, True):
        with pytest.raises(InvalidExperiment, match="greater than 0 and at most 1"):
            Guards(context="staging", max_node_share=share)


# -- what the target reads ------------------------------------------------------------------------

def test_the_topology_comes_from_the_live_nodes_labels(cluster: Cluster) -> None:
    topology = cluster.target.topology
    assert topology.zone_names() == ("zone-a", "zone-b", "zone-c")
    assert topology.zone("zone-a").node_names == ZONE_A
    assert topology.zone("zone-b").region == "region-1"
    assert [n.name for n in topology.control_planes] == [CONTROL_PLANE]
    assert [n.name for n in topology.unzoned] == [CONTROL_PLANE]
    assert topology.node(ZONE_A[0]).capacity["cpu"] == "8"


def test_the_timers_are_the_versions_defaults_and_the_lease_duration_the_leases_show(
        cluster: Cluster) -> None:
    timers = cluster.target.timers
    # three-zones-fast sets a 20 s grace period, but no API shows the controller manager's
    # flags: the target keeps 1.32's default
    assert timers.node_monitor_grace_period == 50.0
    # ...while its kubelets' Leases do show their 20 s duration
    assert timers.node_lease_duration_seconds == 20


def test_cluster_time_is_wall_time(cluster: Cluster) -> None:
    assert cluster.target.wall_seconds(90.0) == 90.0
    assert cluster.target.cluster_seconds(2.5) == 2.5


def test_the_journal_header_names_the_context_and_kubeconfig(
        cluster: Cluster, contexts: tuple[Simulator, Path]) -> None:
    header = read_records(cluster.journal.path)[0]["target"]
    assert header == {"target": "context", "context": "staging",
                      "kubeconfig": str(contexts[1]), "max_node_share": 0.5}


# -- namespaces and objects -----------------------------------------------------------------------

def config_map(name: str, namespace: str | None = None) -> dict[str, object]:
    meta: dict[str, str] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}}


def config_maps(admin: client.ApiClient, namespace: str) -> set[str]:
    return {c.metadata.name for c in
            client.CoreV1Api(admin).list_namespaced_config_map(namespace).items}


def test_apply_into_its_own_namespace_works(cluster: Cluster, namespace: str,
                                            admin: client.ApiClient) -> None:
    cluster.apply(config_map("settings"), namespace=namespace)
    assert "settings" in config_maps(admin, namespace)


def test_apply_into_a_namespace_it_did_not_create_is_refused_and_changes_nothing(
        cluster: Cluster, admin: client.ApiClient) -> None:
    with pytest.raises(UnsafeTarget, match="refusing to apply ConfigMap 'intruder' into "
                                           "namespace 'default'"):
        cluster.apply(config_map("intruder"), namespace="default")
    with pytest.raises(UnsafeTarget, match="into namespace 'kube-system'"):
        cluster.apply(config_map("intruder", "kube-system"))
    assert "intruder" not in config_maps(admin, "default") | config_maps(admin, "kube-system")


def test_a_cluster_scoped_object_is_refused_and_changes_nothing(
        cluster: Cluster, namespace: str, admin: client.ApiClient) -> None:
    before = namespaces(admin)
    with pytest.raises(UnsafeTarget, match="refusing to apply cluster-scoped Namespace"):
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mine"}})
    with pytest.raises(UnsafeTarget, match="cluster-scoped StorageClass 'zonal'"):
        cluster.apply(workloads.storage_class("zonal"), namespace=namespace)
    assert namespaces(admin) == before
    classes = client.StorageV1Api(admin).list_storage_class().items
    assert "zonal" not in {c.metadata.name for c in classes}


def test_a_file_with_one_foreign_document_applies_none_of_them(
        cluster: Cluster, namespace: str, admin: client.ApiClient, tmp_path: Path) -> None:
    import yaml

    manifest = tmp_path / "two.yaml"
    manifest.write_text(yaml.safe_dump_all([config_map("first"),
                                            config_map("second", "default")]))
    with pytest.raises(UnsafeTarget, match="'second' into namespace 'default'"):
        cluster.apply(manifest, namespace=namespace)
    assert "first" not in config_maps(admin, namespace)


def test_deleting_a_namespace_it_did_not_create_is_refused(
        cluster: Cluster, admin: client.ApiClient) -> None:
    with pytest.raises(UnsafeTarget, match="refusing to delete namespace 'kube-system'"):
        cluster.delete_namespace("kube-system")
    assert "kube-system" in namespaces(admin)


def test_the_repair_job_is_refused_before_anything_is_applied(
        cluster: Cluster, namespace: str, admin: client.ApiClient) -> None:
    with pytest.raises(UnsafeTarget, match="refusing to run a repair Job"):
        cluster.repair(ZONE_A[0], taint_keys=["chaos"], namespace=namespace)
    accounts = client.CoreV1Api(admin).list_namespaced_service_account(namespace).items
    assert "repair" not in {a.metadata.name for a in accounts}


# -- faults ----------------------------------------------------------------------------------------

def test_a_fault_reaching_a_second_zone_is_refused_unless_the_call_allows_two_zones(
        cluster: Cluster, admin: client.ApiClient) -> None:
    with cluster.fault(faults.cordon("zone-a")):
        lines = journal_lines(cluster)
        with pytest.raises(UnsafeTarget) as refused, \
                cluster.fault(faults.cordon(ZONE_B[0])):
            pass
        assert "it would affect 2 zones (zone-a, zone-b)" in str(refused.value)
        assert "cluster.fault(..., allow_zones=2)" in str(refused.value)
        assert cordoned(admin, ZONE_B) == [False, False]
        assert journal_lines(cluster) == lines

        with cluster.fault(faults.cordon(ZONE_B[0]), allow_zones=2) as second:
            assert second.bit
            assert cordoned(admin, ZONE_B) == [True, False]
    assert cordoned(admin, ZONE_A + ZONE_B) == [False] * 4


def test_a_second_fault_in_the_same_zone_needs_no_opt_in(
        cluster: Cluster, admin: client.ApiClient) -> None:
    with cluster.fault(faults.cordon(ZONE_A[0])), cluster.fault(faults.cordon(ZONE_A[1])):
        assert cordoned(admin, ZONE_A) == [True, True]
    assert cordoned(admin, ZONE_A) == [False, False]


def test_a_control_plane_node_is_refused_unless_the_call_allows_it(
        cluster: Cluster, admin: client.ApiClient) -> None:
    with pytest.raises(UnsafeTarget) as refused, \
            cluster.fault(faults.taint(CONTROL_PLANE, "chaos", "true", "NoSchedule")):
        pass
    assert f"touches control-plane node(s) {CONTROL_PLANE}. If the experiment really means " \
           f"to, say so: cluster.fault(..., allow_control_plane=True)" in str(refused.value)
    assert cordoned(admin, [CONTROL_PLANE]) == [False]
    with cluster.fault(faults.cordon(CONTROL_PLANE), allow_control_plane=True) as fault:
        assert fault.bit and cordoned(admin, [CONTROL_PLANE]) == [True]
    assert cordoned(admin, [CONTROL_PLANE]) == [False]


def test_faults_affecting_more_than_the_node_share_are_refused(
        contexts: tuple[Simulator, Path], admin: client.ApiClient, tmp_path: Path) -> None:
    target = ContextTarget.connect("staging", allowed=["staging"], kubeconfig=contexts[1],
                                   max_node_share=0.25)
    cluster = Cluster(target, tmp_path)
    try:
        with pytest.raises(UnsafeTarget) as refused, cluster.fault(faults.cordon("zone-a")):
            pass
        assert "leave 2 of the cluster's 7 nodes (29%) out of service, more than the cap " \
               "of 25%" in str(refused.value)
        assert "--chaoszone-max-node-share=0.29" in str(refused.value)
        assert cordoned(admin, ZONE_A) == [False, False]
        with cluster.fault(faults.cordon(ZONE_A[0])) as one:
            assert one.bit
    finally:
        cluster.close()
    assert cordoned(admin, ZONE_A) == [False, False]


def test_a_bad_opt_in_is_an_invalid_experiment(cluster: Cluster) -> None:
    with pytest.raises(InvalidExperiment, match="allow_zones must be a whole number"), \
            cluster.fault(faults.cordon("zone-a"), allow_zones=0):
        pass
    with pytest.raises(InvalidExperiment, match="allow_control_plane must be True or False"), \
            cluster.fault(faults.cordon("zone-a"),
                          allow_control_plane="yes"):  # type: ignore[arg-type]
        pass


@pytest.mark.parametrize("fault", [
    faults.zone_outage("zone-a"),
    faults.zone_outage("zone-a", mode="pause"),
    faults.node_outage(ZONE_A[0]),
    faults.partition("zone-a"),
    faults.control_plane_loss("zone-a"),
], ids=repr)
def test_faults_needing_power_or_network_are_refused_before_anything_changes(
        cluster: Cluster, admin: client.ApiClient, fault: faults.Fault) -> None:
    lines, history = journal_lines(cluster), len(cluster.history)
    with pytest.raises(InvalidExperiment) as refused, cluster.fault(fault):
        pass
    message = str(refused.value)
    assert f"{fault!r} needs " in message
    assert "which target 'context:staging' does not have" in message
    assert "can only cordon, drain and taint" in message
    assert "--chaoszone-target=sim|kind" in message
    assert journal_lines(cluster) == lines and len(cluster.history) == history
    ready = [c.status for n in client.CoreV1Api(admin).list_node().items
             for c in n.status.conditions if c.type == "Ready"]
    assert ready == ["True"] * 7


def test_the_target_itself_has_no_power_or_network_switch(cluster: Cluster) -> None:
    with pytest.raises(UnsafeTarget, match="has no power switch"):
        cluster.target.set_power(ZONE_A[0], "off")
    with pytest.raises(UnsafeTarget, match="has no network switch"):
        cluster.target.set_network(ZONE_A[0], "partitioned")


def test_a_kubeconfig_list_is_merged_as_kubectl_merges_it(
        contexts: tuple[Simulator, Path], tmp_path: Path) -> None:
    listed = os.pathsep.join([str(tmp_path / "absent"), str(contexts[1])])
    target = ContextTarget.connect("staging", allowed=["staging"], kubeconfig=listed)
    try:
        assert target.kubeconfig == listed
        assert target.topology.zone_names() == ("zone-a", "zone-b", "zone-c")
    finally:
        target.close()


def test_a_missing_kubeconfig_is_a_target_error_saying_how_to_name_one(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"no kubeconfig at .*; pass "
                                          r"--chaoszone-kubeconfig=PATH or set KUBECONFIG"):
        ContextTarget.connect("staging", allowed=["staging"], kubeconfig=tmp_path / "none")


def test_nodes_the_cluster_already_shows_cordoned_count_against_the_node_share(
        cluster: Cluster, admin: client.ApiClient) -> None:
    zone_c = cluster.target.topology.zone("zone-c").node_names
    core = client.CoreV1Api(admin)
    for name in zone_c:  # an SRE's maintenance, not chaoszone's doing
        core.patch_node(name, {"spec": {"unschedulable": True}})
    try:
        with pytest.raises(UnsafeTarget) as refused, cluster.fault(faults.cordon("zone-a")):
            pass
        assert f"leave 4 of the cluster's 7 nodes (57%) out of service, counting 2 the " \
               f"cluster already shows cordoned or not Ready ({', '.join(zone_c)})" \
               in str(refused.value)
        assert cordoned(admin, ZONE_A) == [False, False]
        with cluster.fault(faults.cordon(ZONE_A[0])) as one:  # 3 of 7 stay within half
            assert one.bit
    finally:
        for name in zone_c:
            core.patch_node(name, {"spec": {"unschedulable": False}})


def test_an_unreachable_api_server_is_a_target_error_naming_it(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on once the socket closes
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: gone, context: {cluster: c, user: u}}]\n")
    with pytest.raises(TargetError, match=f"the API server of context gone of {kubeconfig} "
                                          f"\\(https://127.0.0.1:{port}\\) is unreachable"):
        ContextTarget.connect("gone", allowed=["gone"], kubeconfig=kubeconfig)
