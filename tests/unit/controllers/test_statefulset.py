"""The StatefulSet controller (chaoszone.sim.controllers.statefulset), with the test
playing kubelet. Fidelity cases ``ctl-003`` and the controller part of ``ctl-005``
(shared/fidelity/controllers.yaml)."""

from __future__ import annotations

from typing import Any

from podlife import (
    PODS,
    PVCS,
    REVISIONS,
    STATEFULSETS,
    events,
    finish,
    get,
    names,
    pods,
    remove,
    remove_terminating,
    run,
    template,
)

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.controller_utils import template_patch
from chaoszone.sim.controllers.statefulset import hash_revision
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.watch import ADDED, Event


def claim(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "1Gi"}}}}


def make(cluster: Cluster, name: str = "db", replicas: int = 3,
         claims: tuple[str, ...] = ("data",), **spec: Any) -> dict[str, Any]:
    stored = cluster.registry.create(STATEFULSETS, "default", {
        "metadata": {"name": name},
        "spec": {"serviceName": name, "replicas": replicas,
                 "selector": {"matchLabels": {"app": name}},
                 "template": template({"app": name}),
                 "volumeClaimTemplates": [claim(c) for c in claims], **spec}})
    cluster.settle()
    return stored.obj


def change(cluster: Cluster, name: str = "db", *, image: str | None = None,
           **spec: Any) -> None:
    sts = cluster.registry.get(STATEFULSETS, "default", name).copy()
    if image is not None:
        sts["spec"]["template"]["spec"]["containers"][0]["image"] = image
    sts["spec"].update(spec)
    cluster.registry.update(STATEFULSETS, "default", name, sts)
    cluster.settle()


def status(cluster: Cluster, name: str = "db") -> dict[str, Any]:
    return dict(get(cluster, STATEFULSETS, name)["status"])


def claims(cluster: Cluster) -> list[str]:
    return sorted(s.name for s in cluster.store.items(PVCS, "default"))


def start_in_order(cluster: Cluster, node: str | None = None) -> None:
    """Start pods until the set has nothing more to create (OrderedReady: one by one)."""
    for _ in range(10):
        pending = [p for p in pods(cluster, active_only=True) if p["status"]["phase"] == "Pending"]
        if not pending:
            return
        for pod in pending:
            run(cluster, pod, node=node)
        cluster.settle()


def test_pods_and_claims_have_stable_names_labels_and_hostnames(cluster: Cluster) -> None:
    """ctl-003: <set>-<ordinal> pods; <template>-<set>-<ordinal> claims, made before
    their pod; pod-name and pod-index labels; hostname and subdomain."""
    order: list[tuple[str, str]] = []

    def watch(event: Event) -> None:
        if event.type == ADDED and event.resource in (PODS, PVCS):
            order.append((event.resource.kind, event.new.name))

    cluster.runtime.listen(watch)
    make(cluster, claims=("data", "wal"))
    start_in_order(cluster)
    assert names(pods(cluster)) == ["db-0", "db-1", "db-2"]
    assert claims(cluster) == ["data-db-0", "data-db-1", "data-db-2",
                               "wal-db-0", "wal-db-1", "wal-db-2"]
    for i in range(3):
        assert order.index(("PersistentVolumeClaim", f"data-db-{i}")) < order.index(
            ("Pod", f"db-{i}"))
        assert order.index(("PersistentVolumeClaim", f"wal-db-{i}")) < order.index(
            ("Pod", f"db-{i}"))
    pod = get(cluster, PODS, "db-1")
    assert pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "db-1"
    assert pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "1"
    assert pod["spec"]["hostname"] == "db-1"
    assert pod["spec"]["subdomain"] == "db"
    assert pod["spec"]["volumes"][:2] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data-db-1"}},
        {"name": "wal", "persistentVolumeClaim": {"claimName": "wal-db-1"}}]
    pvc = get(cluster, PVCS, "data-db-1")
    assert pvc["metadata"]["labels"] == {"app": "db"}
    assert "ownerReferences" not in pvc["metadata"], "Retain/Retain: no owners"
    assert ("SuccessfulCreate", "create Pod db-0 in StatefulSet db successful") in events(
        cluster, "db")
    assert ("SuccessfulCreate", "create Claim data-db-0 Pod db-0 in StatefulSet db success") \
        in events(cluster, "db")


def test_an_existing_claim_is_reused_as_it_is(cluster: Cluster) -> None:
    existing = cluster.registry.create(PVCS, "default", {
        **claim("data-db-0"), "metadata": {"name": "data-db-0", "labels": {"mine": "yes"}}}).obj
    make(cluster, replicas=1)
    pvc = get(cluster, PVCS, "data-db-0")
    assert pvc["metadata"]["uid"] == existing["metadata"]["uid"]
    assert pvc["metadata"]["labels"] == {"mine": "yes"}
    assert names(pods(cluster)) == ["db-0"]


def test_ordered_ready_creates_each_pod_once_its_predecessor_is_running_and_ready(
        cluster: Cluster) -> None:
    make(cluster)
    assert names(pods(cluster)) == ["db-0"]
    run(cluster, get(cluster, PODS, "db-0"), ready=False)
    cluster.settle()
    assert names(pods(cluster)) == ["db-0"]
    run(cluster, get(cluster, PODS, "db-0"))
    cluster.settle()
    assert names(pods(cluster)) == ["db-0", "db-1"]
    assert status(cluster)["readyReplicas"] == 1


def test_parallel_creates_every_pod_at_once(cluster: Cluster) -> None:
    make(cluster, podManagementPolicy="Parallel")
    assert names(pods(cluster)) == ["db-0", "db-1", "db-2"]


def test_a_terminating_pod_is_not_replaced_until_it_is_gone(cluster: Cluster) -> None:
    """The at-most-one rule: db-1 stuck Terminating on a dead node keeps its name taken;
    once it is gone the new db-1 reuses its claim (ctl-005's first half)."""
    make(cluster)
    start_in_order(cluster, node="c1")
    data = get(cluster, PVCS, "data-db-1")
    cluster.registry.delete(PODS, "default", "db-1", DeleteOptions())
    cluster.settle()
    cluster.runtime.advance(20)
    assert get(cluster, PODS, "db-1")["metadata"].get("deletionTimestamp")
    assert len(pods(cluster)) == 3
    assert status(cluster)["currentReplicas"] == 2, "a terminating pod is not current"
    remove(cluster, get(cluster, PODS, "db-1"))
    cluster.settle()
    fresh = get(cluster, PODS, "db-1")
    assert not fresh["metadata"].get("deletionTimestamp")
    assert fresh["status"]["phase"] == "Pending"
    assert get(cluster, PVCS, "data-db-1")["metadata"]["uid"] == data["metadata"]["uid"]


def test_ordered_ready_scale_down_goes_from_the_highest_ordinal_and_keeps_claims(
        cluster: Cluster) -> None:
    make(cluster)
    start_in_order(cluster, node="n1")
    change(cluster, replicas=1)
    assert get(cluster, PODS, "db-2")["metadata"].get("deletionTimestamp")
    assert not get(cluster, PODS, "db-1")["metadata"].get("deletionTimestamp"), \
        "db-1 waits until db-2 is gone"
    remove_terminating(cluster)
    assert get(cluster, PODS, "db-1")["metadata"].get("deletionTimestamp")
    remove_terminating(cluster)
    assert names(pods(cluster)) == ["db-0"]
    assert claims(cluster) == ["data-db-0", "data-db-1", "data-db-2"]
    assert status(cluster)["replicas"] == 1


def test_retention_when_scaled_delete_gives_the_claim_to_the_condemned_pod(
        cluster: Cluster) -> None:
    make(cluster, replicas=2, persistentVolumeClaimRetentionPolicy={
        "whenScaled": "Delete", "whenDeleted": "Retain"})
    start_in_order(cluster, node="n1")
    assert "ownerReferences" not in get(cluster, PVCS, "data-db-1")["metadata"]
    change(cluster, replicas=1)
    pod = get(cluster, PODS, "db-1")
    refs = get(cluster, PVCS, "data-db-1")["metadata"]["ownerReferences"]
    assert [(r["kind"], r["uid"]) for r in refs] == [("Pod", pod["metadata"]["uid"])]
    remove_terminating(cluster)
    assert claims(cluster) == ["data-db-0"]


def test_retention_when_deleted_delete_lets_the_claims_go_with_the_set(
        cluster: Cluster) -> None:
    sts = make(cluster, replicas=2, persistentVolumeClaimRetentionPolicy={
        "whenScaled": "Retain", "whenDeleted": "Delete"})
    start_in_order(cluster)
    refs = get(cluster, PVCS, "data-db-0")["metadata"]["ownerReferences"]
    assert [(r["kind"], r["uid"], r["controller"]) for r in refs] == [
        ("StatefulSet", sts["metadata"]["uid"], True)]
    cluster.registry.delete(STATEFULSETS, "default", "db", DeleteOptions())
    cluster.settle()
    assert claims(cluster) == []
    assert pods(cluster) == []


def test_a_rolling_update_replaces_pods_from_the_highest_ordinal_down_to_the_partition(
        cluster: Cluster) -> None:
    make(cluster)
    start_in_order(cluster, node="n1")
    first = status(cluster)["currentRevision"]
    change(cluster, image="nginx:1.28",
           updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}})
    second = status(cluster)["updateRevision"]
    assert second != first
    assert status(cluster)["currentRevision"] == first
    assert get(cluster, PODS, "db-2")["metadata"].get("deletionTimestamp")
    remove_terminating(cluster)
    start_in_order(cluster, node="n1")
    remove_terminating(cluster)
    start_in_order(cluster, node="n1")
    revisions = {p["metadata"]["name"]: p["metadata"]["labels"]["controller-revision-hash"]
                 for p in pods(cluster)}
    assert revisions == {"db-0": first, "db-1": second, "db-2": second}
    st = status(cluster)
    assert (st["currentRevision"], st["updateRevision"]) == (first, second)
    assert st["updatedReplicas"] == 2 and st["currentReplicas"] == 1
    change(cluster, updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    remove_terminating(cluster)
    start_in_order(cluster, node="n1")
    st = status(cluster)
    assert st["currentRevision"] == st["updateRevision"] == second
    assert st["currentReplicas"] == st["updatedReplicas"] == 3


def test_controller_revisions_are_named_by_upstreams_hash_and_reused_on_rollback(
        cluster: Cluster) -> None:
    sts = make(cluster, replicas=1)
    (revision,) = [s.obj for s in cluster.store.items(REVISIONS, "default")]
    data = template_patch(sts["spec"]["template"])
    assert revision["data"] == data
    assert revision["metadata"]["name"] == f"db-{hash_revision(data, 0)}"
    assert revision["revision"] == 1
    assert revision["metadata"]["ownerReferences"][0]["uid"] == sts["metadata"]["uid"]
    start_in_order(cluster)
    change(cluster, image="nginx:1.28")
    change(cluster, image="nginx:1.27")
    numbers = {s.name: s.obj["revision"] for s in cluster.store.items(REVISIONS, "default")}
    assert numbers[revision["metadata"]["name"]] == 3
    assert len(numbers) == 2


def test_a_failed_pod_is_deleted_and_made_again(cluster: Cluster) -> None:
    make(cluster, replicas=1)
    run(cluster, get(cluster, PODS, "db-0"), node="n1")
    old_uid = get(cluster, PODS, "db-0")["metadata"]["uid"]
    finish(cluster, get(cluster, PODS, "db-0"), succeeded=False)
    cluster.settle()
    fresh = get(cluster, PODS, "db-0")
    assert fresh["metadata"]["uid"] != old_uid
    assert ("RecreatingFailedPod", "StatefulSet default/db is recreating failed Pod db-0") in \
        events(cluster, "db")


def test_status_reports_what_rollout_status_reads(cluster: Cluster) -> None:
    make(cluster, replicas=2)
    start_in_order(cluster)
    sts = get(cluster, STATEFULSETS, "db")
    st = sts["status"]
    assert st["observedGeneration"] == sts["metadata"]["generation"]
    assert st["readyReplicas"] == st["replicas"] == st["availableReplicas"] == 2
    assert st["currentRevision"] == st["updateRevision"]
    assert st["collisionCount"] == 0


def test_parallel_also_waits_for_a_terminating_pod_but_not_for_its_neighbours(
        cluster: Cluster) -> None:
    make(cluster, podManagementPolicy="Parallel")
    start_in_order(cluster, node="c1")
    cluster.registry.delete(PODS, "default", "db-0", DeleteOptions())
    change(cluster, replicas=4)
    assert get(cluster, PODS, "db-0")["metadata"].get("deletionTimestamp")
    assert names(pods(cluster)) == ["db-0", "db-1", "db-2", "db-3"], \
        "db-3 comes at once; db-0 is not made twice"
    remove(cluster, get(cluster, PODS, "db-0"))
    cluster.settle()
    assert not get(cluster, PODS, "db-0")["metadata"].get("deletionTimestamp")
