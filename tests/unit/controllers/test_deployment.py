"""The Deployment controller (chaoszone.sim.controllers.deployment) over the ReplicaSet
controller, with the test playing kubelet. Fidelity cases ``ctl-001``/``ctl-002``
(controller part) in shared/fidelity/controllers.yaml."""

from __future__ import annotations

import re
from typing import Any

from podlife import (
    DEPLOYMENTS,
    PODS,
    REPLICASETS,
    events,
    get,
    names,
    pods,
    remove_terminating,
    run,
    run_all,
    template,
)

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.controller_utils import compute_hash
from chaoszone.sim.registry import DeleteOptions

HASH = re.compile(r"[bcdfghjklmnpqrstvwxz2456789]{1,10}")


def make(cluster: Cluster, name: str = "web", replicas: int = 4, image: str = "nginx:1.27",
         **spec: Any) -> dict[str, Any]:
    stored = cluster.registry.create(DEPLOYMENTS, "default", {
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": template({"app": name}, image), **spec}})
    cluster.settle()
    return stored.obj


def change(cluster: Cluster, name: str = "web", *, image: str | None = None,
           replicas: int | None = None, **spec: Any) -> None:
    d = cluster.registry.get(DEPLOYMENTS, "default", name).copy()
    if image is not None:
        d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    if replicas is not None:
        d["spec"]["replicas"] = replicas
    d["spec"].update(spec)
    cluster.registry.update(DEPLOYMENTS, "default", name, d)
    cluster.settle()


def replica_sets(cluster: Cluster) -> dict[str, dict[str, Any]]:
    return {s.name: s.obj for s in cluster.store.items(REPLICASETS, "default")}


def status(cluster: Cluster, name: str = "web") -> dict[str, Any]:
    return dict(get(cluster, DEPLOYMENTS, name)["status"])


def condition(cluster: Cluster, type_: str, name: str = "web") -> dict[str, Any]:
    return next(c for c in status(cluster, name)["conditions"] if c["type"] == type_)


def rollout_done(cluster: Cluster, name: str = "web") -> bool:
    """What ``kubectl rollout status`` checks (sim-wire.md §3.2)."""
    d = get(cluster, DEPLOYMENTS, name)
    st = d["status"]
    want = d["spec"]["replicas"]
    return (st.get("observedGeneration", 0) >= d["metadata"]["generation"]
            and st.get("updatedReplicas", 0) == want and st.get("replicas", 0) == want
            and st.get("availableReplicas", 0) == want)


def test_a_deployment_creates_a_replicaset_named_by_its_pod_template_hash(
        cluster: Cluster) -> None:
    d = make(cluster)
    (rs,) = replica_sets(cluster).values()
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert HASH.fullmatch(pod_hash)
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] == pod_hash
    assert rs["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
    assert rs["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "1",
        "deployment.kubernetes.io/desired-replicas": "4",
        "deployment.kubernetes.io/max-replicas": "5"}
    for pod in pods(cluster):
        assert pod["metadata"]["name"].startswith(f"web-{pod_hash}-")
        assert pod["metadata"]["labels"]["pod-template-hash"] == pod_hash
    stored = get(cluster, DEPLOYMENTS, "web")
    assert stored["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}
    assert stored["metadata"]["generation"] == 1
    assert ("ScalingReplicaSet", f"Scaled up replica set web-{pod_hash} from 0 to 4") in events(
        cluster, "web")


def test_the_hash_is_stable_for_a_template_and_changes_with_the_collision_count() -> None:
    tpl = template({"app": "web"})
    assert compute_hash(tpl, None) == compute_hash(dict(tpl), None)
    assert compute_hash(tpl, None) != compute_hash(tpl, 1)
    assert compute_hash(tpl, 1) != compute_hash(template({"app": "web"}, "nginx:1.28"), 1)


def test_status_and_conditions_once_the_pods_are_ready(cluster: Cluster) -> None:
    make(cluster)
    st = status(cluster)
    assert st["replicas"] == 4 and st["updatedReplicas"] == 4
    assert st["unavailableReplicas"] == 4
    assert condition(cluster, "Available")["status"] == "False"
    progressing = condition(cluster, "Progressing")
    assert progressing["reason"] == "ReplicaSetUpdated"
    run_all(cluster)
    st = status(cluster)
    assert st["availableReplicas"] == 4 and st["readyReplicas"] == 4
    assert "unavailableReplicas" not in st
    assert condition(cluster, "Available")["reason"] == "MinimumReplicasAvailable"
    done = condition(cluster, "Progressing")
    assert done["reason"] == "NewReplicaSetAvailable"
    assert done["message"] == f'ReplicaSet "{next(iter(replica_sets(cluster)))}" has ' \
        "successfully progressed."
    assert rollout_done(cluster)


def test_a_rolling_update_stays_within_max_surge_and_max_unavailable(cluster: Cluster) -> None:
    make(cluster, replicas=4)
    run_all(cluster)
    change(cluster, image="nginx:1.28")          # 25%/25%: surge 1, unavailable 1
    assert not rollout_done(cluster)
    for _ in range(20):
        active = pods(cluster, active_only=True)
        ready = [p for p in active
                 if any(c["type"] == "Ready" and c["status"] == "True"
                        for c in p["status"].get("conditions") or [])]
        assert len(active) <= 5
        assert len(ready) >= 3
        if rollout_done(cluster):
            break
        # the kubelet starts one new pod per round, and removes the deleted ones
        pending = [p for p in active if p["status"]["phase"] == "Pending"]
        if pending:
            run(cluster, pending[0])
        remove_terminating(cluster)
        cluster.settle()
    assert rollout_done(cluster)
    rss = replica_sets(cluster)
    assert len(rss) == 2
    new = next(rs for rs in rss.values() if rs["spec"]["replicas"] == 4)
    old = next(rs for rs in rss.values() if rs["spec"]["replicas"] == 0)
    assert new["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert old["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    d = get(cluster, DEPLOYMENTS, "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert d["metadata"]["generation"] == 2


def test_recreate_waits_until_every_old_pod_is_gone_even_a_terminating_one(
        cluster: Cluster) -> None:
    make(cluster, replicas=2, strategy={"type": "Recreate"})
    for pod in pods(cluster):
        run(cluster, pod, node="n1")
    cluster.settle()
    change(cluster, image="nginx:1.28")
    assert len(replica_sets(cluster)) == 1, "no new ReplicaSet while old pods exist"
    (old,) = replica_sets(cluster).values()
    assert old["spec"]["replicas"] == 0
    assert all(p["metadata"].get("deletionTimestamp") for p in pods(cluster))
    remove_terminating(cluster)
    rss = replica_sets(cluster)
    assert len(rss) == 2
    new = next(rs for name, rs in rss.items() if name != old["metadata"]["name"])
    assert new["spec"]["replicas"] == 2
    assert len(pods(cluster)) == 2


def test_rolling_back_reuses_the_old_replicaset_with_the_next_revision(
        cluster: Cluster) -> None:
    make(cluster, replicas=1)
    run_all(cluster)
    first = next(iter(replica_sets(cluster)))
    change(cluster, image="nginx:1.28")
    run_all(cluster)
    change(cluster, image="nginx:1.27")
    run_all(cluster)
    rss = replica_sets(cluster)
    assert len(rss) == 2
    back = rss[first]
    assert back["spec"]["replicas"] == 1
    assert back["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert back["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert get(cluster, DEPLOYMENTS, "web")["metadata"]["annotations"][
        "deployment.kubernetes.io/revision"] == "3"


def test_old_replicasets_beyond_the_revision_history_limit_are_deleted(
        cluster: Cluster) -> None:
    make(cluster, replicas=1, revisionHistoryLimit=1)
    for image in ("nginx:1.28", "nginx:1.29", "nginx:1.30"):
        change(cluster, image=image)
        for _ in range(4):
            run_all(cluster)
    revisions = sorted(int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
                       for rs in replica_sets(cluster).values())
    assert revisions == [3, 4]


def test_scaling_mid_rollout_resizes_the_replicasets_in_proportion(cluster: Cluster) -> None:
    make(cluster, replicas=10, strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": 3, "maxUnavailable": 2}})
    run_all(cluster)
    change(cluster, image="nginx:1.28")
    sizes = sorted(rs["spec"]["replicas"] for rs in replica_sets(cluster).values())
    assert sizes == [5, 8]               # old 10 -> 8, new 0 -> 5: 13 = 10 + maxSurge
    change(cluster, replicas=20)
    sizes = sorted(rs["spec"]["replicas"] for rs in replica_sets(cluster).values())
    assert sum(sizes) == 23              # 20 + maxSurge, shared out by size
    assert sizes == [9, 14]
    for rs in replica_sets(cluster).values():
        assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "20"
        assert rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == "23"


def test_a_rollout_that_makes_no_progress_exceeds_its_deadline(cluster: Cluster) -> None:
    make(cluster, replicas=2, progressDeadlineSeconds=60)
    cluster.runtime.advance(59)
    assert condition(cluster, "Progressing")["status"] == "True"
    cluster.runtime.advance(5)
    cond = condition(cluster, "Progressing")
    assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded")
    rs = next(iter(replica_sets(cluster)))
    assert cond["message"] == f'ReplicaSet "{rs}" has timed out progressing.'
    run_all(cluster)
    cond = condition(cluster, "Progressing")
    assert (cond["status"], cond["reason"]) == ("True", "NewReplicaSetAvailable")


def test_a_paused_deployment_is_scaled_but_not_rolled_out(cluster: Cluster) -> None:
    make(cluster, replicas=2)
    run_all(cluster)
    change(cluster, paused=True)
    assert condition(cluster, "Progressing")["reason"] == "DeploymentPaused"
    change(cluster, image="nginx:1.28")
    assert len(replica_sets(cluster)) == 1
    change(cluster, replicas=3)
    assert next(iter(replica_sets(cluster).values()))["spec"]["replicas"] == 3
    change(cluster, paused=False)
    assert len(replica_sets(cluster)) == 2


def test_an_evicted_pod_is_replaced_by_its_replicaset_at_once(cluster: Cluster) -> None:
    """ctl-001/ctl-002: the Deployment's ReplicaSet replaces a pod the taint manager
    deleted while it still hangs Terminating on the unreachable node."""
    make(cluster, replicas=3)
    for i, pod in enumerate(pods(cluster)):
        run(cluster, pod, node=f"{'abc'[i]}1")
    cluster.settle()
    on_c1 = next(p for p in pods(cluster) if p["spec"]["nodeName"] == "c1")
    cluster.registry.delete(PODS, "default", on_c1["metadata"]["name"], DeleteOptions())
    cluster.settle()
    assert len(pods(cluster)) == 4
    assert len(pods(cluster, active_only=True)) == 3
    st = status(cluster)
    assert st["replicas"] == 3 and st["availableReplicas"] == 2
    assert st["unavailableReplicas"] == 1
    # 25% of 3 rounds maxUnavailable down to 0: one missing pod breaks minimum availability
    assert condition(cluster, "Available")["reason"] == "MinimumReplicasUnavailable"


def test_deleting_a_deployment_deletes_its_replicasets_and_pods(cluster: Cluster) -> None:
    make(cluster, replicas=2)
    cluster.registry.delete(DEPLOYMENTS, "default", "web",
                            DeleteOptions(propagation_policy="Foreground"))
    cluster.settle()
    assert replica_sets(cluster) == {}
    assert names(pods(cluster)) == []
    assert cluster.store.get(DEPLOYMENTS, "default", "web") is None
