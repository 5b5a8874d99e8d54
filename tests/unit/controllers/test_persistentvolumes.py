"""PersistentVolume binding and the dynamic provisioners
(chaoszone.sim.controllers.persistentvolumes, chaoszone.sim.controllers.provisioners).
Fidelity case ``ctl-006`` (shared/fidelity/controllers.yaml), docs/k8s-semantics.md §6.2;
the test plays the scheduler, which writes ``volume.kubernetes.io/selected-node``."""

from __future__ import annotations

from typing import Any

import pytest
from clusterkit import CLASSES, PVCS, PVS, Kubelets, add_node, add_pod, events, get

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.controllers.provisioners import choose_zone
from chaoszone.sim.registry import DeleteOptions

SELECTED_NODE = "volume.kubernetes.io/selected-node"


@pytest.fixture
def zones(cluster: Cluster, kubelets: Kubelets) -> list[str]:
    for zone in ("a", "b", "c"):
        add_node(cluster, f"{zone}1", zone)
        kubelets.start(f"{zone}1")
    return ["a1", "b1", "c1"]


def storage_class(cluster: Cluster, name: str, provisioner: str, *,
                  mode: str = "WaitForFirstConsumer", default: bool = False,
                  **extra: Any) -> None:
    meta: dict[str, Any] = {"name": name}
    if default:
        meta["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
    cluster.registry.create(CLASSES, None, {"metadata": meta, "provisioner": provisioner,
                                            "volumeBindingMode": mode, **extra})


def claim(cluster: Cluster, name: str, size: str = "1Gi", cls: str | None = "standard", *,
          modes: list[str] | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"accessModes": modes or ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": size}}, **spec}
    if cls is not None:
        body["storageClassName"] = cls
    stored = cluster.registry.create(PVCS, "default", {"metadata": {"name": name},
                                                       "spec": body})
    cluster.settle()
    return stored.obj


def volume(cluster: Cluster, name: str, size: str, cls: str = "manual", *,
           modes: list[str] | None = None, policy: str = "Retain",
           labels: dict[str, str] | None = None, claim_ref: dict[str, Any] | None = None
           ) -> None:
    spec: dict[str, Any] = {"capacity": {"storage": size},
                            "accessModes": modes or ["ReadWriteOnce"],
                            "persistentVolumeReclaimPolicy": policy, "storageClassName": cls,
                            "hostPath": {"path": f"/mnt/{name}"}}
    if claim_ref is not None:
        spec["claimRef"] = claim_ref
    cluster.registry.create(PVS, None, {"metadata": {"name": name, "labels": labels or {}},
                                        "spec": spec})
    cluster.settle()


def select_node(cluster: Cluster, name: str, node: str) -> None:
    """What the scheduler's VolumeBinding PreBind does for a claim to provision."""
    pvc = cluster.registry.get(PVCS, "default", name).copy()
    pvc["metadata"].setdefault("annotations", {})[SELECTED_NODE] = node
    cluster.registry.update(PVCS, "default", name, pvc)
    cluster.settle()


def pvc(cluster: Cluster, name: str) -> dict[str, Any]:
    found = get(cluster, PVCS, name)
    assert found is not None
    return found


def pv(cluster: Cluster, name: str) -> dict[str, Any]:
    found = get(cluster, PVS, name)
    assert found is not None
    return found


def reasons(cluster: Cluster, name: str) -> list[str]:
    return sorted(e["reason"] for e in events(cluster, name=name))


def test_a_wait_for_first_consumer_claim_waits_for_a_scheduled_pod(cluster: Cluster,
                                                                   zones: list[str]) -> None:
    """ctl-006: Pending with WaitForFirstConsumer; once the scheduler selects a node the
    claim is handed to its provisioner."""
    storage_class(cluster, "csi", "example.csi.k8s.io")
    claim(cluster, "data", cls="csi")
    assert pvc(cluster, "data")["status"]["phase"] == "Pending"
    [event] = events(cluster, "WaitForFirstConsumer", "data")
    assert (event["type"], event["message"]) == (
        "Normal", "waiting for first consumer to be created before binding")
    select_node(cluster, "data", "a1")
    annotations = pvc(cluster, "data")["metadata"]["annotations"]
    assert annotations["volume.kubernetes.io/storage-provisioner"] == "example.csi.k8s.io"
    assert annotations["volume.beta.kubernetes.io/storage-provisioner"] == "example.csi.k8s.io"
    [event] = events(cluster, "ExternalProvisioning", "data")
    assert "external provisioner 'example.csi.k8s.io'" in event["message"]
    assert pvc(cluster, "data")["status"]["phase"] == "Pending"


def test_a_claim_used_by_an_unscheduled_pod_waits_for_that_pod(cluster: Cluster,
                                                              zones: list[str]) -> None:
    storage_class(cluster, "standard", "rancher.io/local-path")
    # a pod no node fits: the scheduler leaves it unscheduled
    add_pod(cluster, "db-0", None, spec={
        "nodeSelector": {"disk": "none-has-this"},
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]})
    claim(cluster, "data")
    [event] = events(cluster, "WaitForPodScheduled", "data")
    assert event["message"] == "waiting for pod db-0 to be scheduled"


def test_local_path_provisions_a_volume_pinned_to_the_selected_node(cluster: Cluster,
                                                                   zones: list[str]) -> None:
    """kind's standard class: hostPath under /var/local-path-provisioner, hostname affinity."""
    storage_class(cluster, "standard", "rancher.io/local-path", default=True,
                  reclaimPolicy="Delete")
    created = claim(cluster, "data", "2Gi")
    select_node(cluster, "data", "b1")
    uid = created["metadata"]["uid"]
    volume_ = pv(cluster, f"pvc-{uid}")
    assert volume_["spec"]["hostPath"] == {
        "path": f"/var/local-path-provisioner/pvc-{uid}_default_data",
        "type": "DirectoryOrCreate"}
    assert volume_["spec"]["nodeAffinity"] == {"required": {"nodeSelectorTerms": [{
        "matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In",
                              "values": ["b1"]}]}]}}
    assert volume_["metadata"]["annotations"] == {
        "local.path.provisioner/selected-node": "b1",
        "pv.kubernetes.io/provisioned-by": "rancher.io/local-path"}
    assert volume_["spec"]["capacity"] == {"storage": "2Gi"}
    assert volume_["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    assert volume_["spec"]["claimRef"]["uid"] == uid
    assert volume_["status"]["phase"] == "Bound"
    bound = pvc(cluster, "data")
    assert bound["spec"]["volumeName"] == f"pvc-{uid}"
    assert bound["status"] == {"phase": "Bound", "accessModes": ["ReadWriteOnce"],
                               "capacity": {"storage": "2Gi"}}
    annotations = bound["metadata"]["annotations"]
    assert annotations["pv.kubernetes.io/bind-completed"] == "yes"
    assert annotations["pv.kubernetes.io/bound-by-controller"] == "yes"
    assert annotations["volume.kubernetes.io/storage-provisioner"] == "rancher.io/local-path"
    assert reasons(cluster, "data") == ["ExternalProvisioning", "Provisioning",
                                        "ProvisioningSucceeded", "WaitForFirstConsumer"]
    [done] = events(cluster, "ProvisioningSucceeded", "data")
    assert done["message"] == f"Successfully provisioned volume pvc-{uid}"


def test_local_path_refuses_a_claim_without_a_node(cluster: Cluster, zones: list[str]) -> None:
    storage_class(cluster, "fast", "rancher.io/local-path", mode="Immediate")
    claim(cluster, "data", cls="fast")
    [event] = events(cluster, "ProvisioningFailed", "data")
    assert event["message"] == ('failed to provision volume with StorageClass "fast": '
                                "configuration error, no node was specified")
    assert pvc(cluster, "data")["status"]["phase"] == "Pending"


def test_a_zonal_volume_is_made_in_the_selected_node_zone(cluster: Cluster,
                                                         zones: list[str]) -> None:
    storage_class(cluster, "zonal", "chaoszone.io/zonal")
    created = claim(cluster, "data", cls="zonal")
    select_node(cluster, "data", "c1")
    volume_ = pv(cluster, f"pvc-{created['metadata']['uid']}")
    assert volume_["metadata"]["labels"] == {"topology.kubernetes.io/zone": "c"}
    assert volume_["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"] == [{
        "matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In",
                              "values": ["c"]}]}]
    assert volume_["spec"]["csi"]["driver"] == "chaoszone.io/zonal"
    assert pvc(cluster, "data")["status"]["phase"] == "Bound"


def test_an_immediate_zonal_volume_honours_allowed_topologies(cluster: Cluster,
                                                             zones: list[str]) -> None:
    storage_class(cluster, "zonal-b", "chaoszone.io/zonal", mode="Immediate",
                  allowedTopologies=[{"matchLabelExpressions": [
                      {"key": "topology.kubernetes.io/zone", "values": ["b"]}]}])
    created = claim(cluster, "data", cls="zonal-b")
    volume_ = pv(cluster, f"pvc-{created['metadata']['uid']}")
    assert volume_["metadata"]["labels"] == {"topology.kubernetes.io/zone": "b"}
    assert pvc(cluster, "data")["status"]["phase"] == "Bound"


def test_a_statefulsets_immediate_zonal_claims_spread_over_the_zones(
        cluster: Cluster, zones: list[str]) -> None:
    storage_class(cluster, "zonal", "chaoszone.io/zonal", mode="Immediate")
    uids = [claim(cluster, f"data-db-{i}", cls="zonal")["metadata"]["uid"] for i in range(3)]
    placed = {pv(cluster, f"pvc-{u}")["metadata"]["labels"]["topology.kubernetes.io/zone"]
              for u in uids}
    assert placed == {"a", "b", "c"}
    assert choose_zone(["a", "b"], "data-db-0") != choose_zone(["a", "b"], "data-db-1")


def test_a_claim_binds_the_smallest_available_volume_that_fits(cluster: Cluster) -> None:
    for name, size in (("small", "1Gi"), ("medium", "5Gi"), ("large", "10Gi")):
        volume(cluster, name, size)
    claim(cluster, "data", "3Gi", cls="manual")
    bound = pvc(cluster, "data")
    assert bound["spec"]["volumeName"] == "medium"
    assert bound["status"]["capacity"] == {"storage": "5Gi"}
    medium = pv(cluster, "medium")
    assert medium["metadata"]["annotations"] == {"pv.kubernetes.io/bound-by-controller": "yes"}
    ref = medium["spec"]["claimRef"]
    assert (ref["kind"], ref["namespace"], ref["name"], ref["uid"]) == (
        "PersistentVolumeClaim", "default", "data", bound["metadata"]["uid"])
    assert medium["status"]["phase"] == "Bound"
    assert pv(cluster, "small")["status"]["phase"] == "Available"


def test_the_fewest_access_modes_that_cover_the_claim_are_preferred(cluster: Cluster) -> None:
    volume(cluster, "both", "1Gi", modes=["ReadWriteOnce", "ReadOnlyMany"])
    volume(cluster, "rwo", "10Gi")
    volume(cluster, "rwx", "1Gi", modes=["ReadWriteMany"])
    claim(cluster, "data", cls="manual")
    assert pvc(cluster, "data")["spec"]["volumeName"] == "rwo"


def test_a_volume_created_after_its_claim_binds_at_the_next_resync(cluster: Cluster) -> None:
    claim(cluster, "data", cls="manual")
    volume(cluster, "later", "1Gi")
    assert pvc(cluster, "data")["status"]["phase"] == "Pending"
    cluster.runtime.advance(15)
    assert pvc(cluster, "data")["status"]["phase"] == "Bound"


def test_a_claim_selector_and_class_filter_volumes(cluster: Cluster) -> None:
    volume(cluster, "other-class", "1Gi", cls="slow", labels={"tier": "gold"})
    volume(cluster, "silver", "1Gi", labels={"tier": "silver"})
    volume(cluster, "gold", "2Gi", labels={"tier": "gold"})
    claim(cluster, "data", cls="manual", selector={"matchLabels": {"tier": "gold"}})
    assert pvc(cluster, "data")["spec"]["volumeName"] == "gold"


def test_a_claim_naming_its_volume_binds_it_without_bound_by_controller(
        cluster: Cluster) -> None:
    volume(cluster, "mine", "1Gi")
    volume(cluster, "smaller", "1Gi")
    claim(cluster, "data", cls="manual", volumeName="mine")
    bound = pvc(cluster, "data")
    assert bound["status"]["phase"] == "Bound"
    assert "pv.kubernetes.io/bound-by-controller" not in bound["metadata"]["annotations"]
    assert pv(cluster, "mine")["metadata"]["annotations"] == {
        "pv.kubernetes.io/bound-by-controller": "yes"}


def test_a_volume_pre_bound_to_a_claim_wins(cluster: Cluster) -> None:
    volume(cluster, "exact", "1Gi")
    volume(cluster, "reserved", "8Gi", claim_ref={"namespace": "default", "name": "data"})
    claim(cluster, "data", cls="manual")
    bound = pvc(cluster, "data")
    assert bound["spec"]["volumeName"] == "reserved"
    assert "annotations" not in pv(cluster, "reserved")["metadata"] or \
        "pv.kubernetes.io/bound-by-controller" not in pv(cluster, "reserved")["metadata"][
            "annotations"]


def test_deleting_the_claim_releases_and_deletes_a_provisioned_volume(
        cluster: Cluster, zones: list[str]) -> None:
    storage_class(cluster, "standard", "rancher.io/local-path", reclaimPolicy="Delete")
    created = claim(cluster, "data")
    select_node(cluster, "data", "a1")
    cluster.registry.delete(PVCS, "default", "data", DeleteOptions())
    cluster.settle()
    assert get(cluster, PVS, f"pvc-{created['metadata']['uid']}") is None


def test_deleting_the_claim_of_a_retained_volume_leaves_it_released(cluster: Cluster) -> None:
    volume(cluster, "keep", "1Gi")
    claim(cluster, "data", cls="manual")
    cluster.registry.delete(PVCS, "default", "data", DeleteOptions())
    cluster.settle()
    assert pv(cluster, "keep")["status"]["phase"] == "Released"
    assert pv(cluster, "keep")["status"]["lastPhaseTransitionTime"]


def test_a_static_volume_with_delete_policy_and_no_deleter_fails(cluster: Cluster) -> None:
    volume(cluster, "disk", "1Gi", policy="Delete")
    claim(cluster, "data", cls="manual")
    cluster.registry.delete(PVCS, "default", "data", DeleteOptions())
    cluster.settle()
    assert pv(cluster, "disk")["status"]["phase"] == "Failed"
    assert [e["reason"] for e in events(cluster, name="disk")] == ["VolumeFailedDelete"]


def test_a_claim_without_a_class_gets_the_default_class(cluster: Cluster,
                                                       zones: list[str]) -> None:
    storage_class(cluster, "standard", "rancher.io/local-path", default=True)
    claim(cluster, "data", cls=None)
    assert pvc(cluster, "data")["spec"]["storageClassName"] == "standard"
    assert events(cluster, "WaitForFirstConsumer", "data")


def test_a_claim_without_class_or_volume_reports_failed_binding(cluster: Cluster) -> None:
    claim(cluster, "data", cls=None)
    [event] = events(cluster, "FailedBinding", "data")
    assert event["message"] == ("no persistent volumes available for this claim and no "
                                "storage class is set")


def test_the_no_provisioner_class_cannot_provision(cluster: Cluster) -> None:
    storage_class(cluster, "local", "kubernetes.io/no-provisioner", mode="Immediate")
    claim(cluster, "data", cls="local")
    [event] = events(cluster, "ProvisioningFailed", "data")
    assert event["message"] == "no volume plugin matched name: kubernetes.io/no-provisioner"


def test_a_bound_claim_whose_volume_vanished_is_lost(cluster: Cluster) -> None:
    volume(cluster, "gone", "1Gi")
    claim(cluster, "data", cls="manual")
    cluster.registry.delete(PVS, None, "gone", DeleteOptions())
    cluster.settle()
    assert pvc(cluster, "data")["status"]["phase"] == "Lost"
    [event] = events(cluster, "ClaimLost", "data")
    assert event["message"] == ("Bound claim has lost its PersistentVolume. Data on the "
                                "volume is lost!")
