"""The DaemonSet controller (chaoszone.sim.controllers.daemonset), with the test playing
scheduler and kubelet. DaemonSet pods are never evicted by node failure
(docs/k8s-semantics.md §12.6): their tolerations are checked here."""

from __future__ import annotations

from typing import Any

from podlife import (
    DAEMONSETS,
    NODES,
    PODS,
    REVISIONS,
    bind,
    events,
    finish,
    get,
    pods,
    remove_terminating,
    run,
    template,
)

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.controllers.daemonset import node_should_run_daemon_pod, target_node
from chaoszone.sim.registry import DeleteOptions

UPSTREAM_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def add_node(cluster: Cluster, name: str, labels: dict[str, str] | None = None,
             taints: list[dict[str, Any]] | None = None) -> None:
    spec: dict[str, Any] = {"taints": taints} if taints else {}
    cluster.registry.create(NODES, None, {
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": spec})
    node = cluster.registry.get(NODES, "", name).copy()
    now = cluster.clock.timestamp()
    node["status"]["conditions"] = [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                     "message": "", "lastHeartbeatTime": now,
                                     "lastTransitionTime": now}]
    cluster.registry.update(NODES, None, name, node, subresource="status")
    cluster.settle()


def set_node(cluster: Cluster, name: str, *, labels: dict[str, str] | None = None,
             taints: list[dict[str, Any]] | None = None) -> None:
    node = cluster.registry.get(NODES, "", name).copy()
    if labels is not None:
        node["metadata"]["labels"] = labels
    if taints is not None:
        node["spec"]["taints"] = taints
    cluster.registry.update(NODES, None, name, node)
    cluster.settle()


def make(cluster: Cluster, name: str = "agent", **pod_spec: Any) -> dict[str, Any]:
    stored = cluster.registry.create(DAEMONSETS, "default", {
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": name}},
                 "template": template({"app": name}, **pod_spec)}})
    cluster.settle()
    return stored.obj


def placed(cluster: Cluster) -> dict[str, str]:
    """Active daemon pods by target node."""
    out = {}
    for pod in pods(cluster, active_only=True):
        node = target_node(pod)
        assert node is not None
        out[node] = pod["metadata"]["name"]
    return out


def status(cluster: Cluster, name: str = "agent") -> dict[str, Any]:
    return dict(get(cluster, DAEMONSETS, name)["status"])


def start_all(cluster: Cluster) -> None:
    """Bind each pending daemon pod to its node and run it."""
    for pod in pods(cluster, active_only=True):
        if pod["status"].get("phase") == "Pending":
            run(cluster, pod, node=target_node(pod))
    cluster.settle()


def test_one_pod_per_node_pinned_by_node_affinity_not_by_node_name(cluster: Cluster) -> None:
    add_node(cluster, "n1")
    add_node(cluster, "n2")
    ds = make(cluster)
    assert sorted(placed(cluster)) == ["n1", "n2"]
    pod = get(cluster, PODS, placed(cluster)["n1"])
    assert pod["metadata"]["name"].startswith("agent-")
    assert "nodeName" not in pod["spec"]
    assert pod["spec"]["affinity"] == {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
            "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}}}
    assert pod["spec"]["tolerations"] == UPSTREAM_TOLERATIONS
    (revision,) = [s.obj for s in cluster.store.items(REVISIONS, "default")]
    pod_hash = revision["metadata"]["labels"]["controller-revision-hash"]
    assert revision["metadata"]["name"] == f"agent-{pod_hash}"
    assert pod["metadata"]["labels"] == {"app": "agent", "controller-revision-hash": pod_hash,
                                         "pod-template-generation": "1"}
    assert pod["metadata"]["ownerReferences"][0]["uid"] == ds["metadata"]["uid"]
    assert ("SuccessfulCreate", f"Created pod: {pod['metadata']['name']}") in events(
        cluster, "agent")


def test_host_network_pods_also_tolerate_network_unavailable(cluster: Cluster) -> None:
    add_node(cluster, "n1")
    make(cluster, hostNetwork=True)
    pod = get(cluster, PODS, placed(cluster)["n1"])
    assert pod["spec"]["tolerations"][-1] == {
        "key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
        "effect": "NoSchedule"}


def test_the_node_selector_picks_the_nodes_and_a_label_change_moves_the_pods(
        cluster: Cluster) -> None:
    add_node(cluster, "n1", {"disk": "ssd"})
    add_node(cluster, "n2")
    make(cluster, nodeSelector={"disk": "ssd"})
    assert list(placed(cluster)) == ["n1"]
    set_node(cluster, "n2", labels={"kubernetes.io/hostname": "n2", "disk": "ssd"})
    assert sorted(placed(cluster)) == ["n1", "n2"]
    set_node(cluster, "n1", labels={"kubernetes.io/hostname": "n1"})
    assert list(placed(cluster)) == ["n2"]


def test_an_untolerated_no_schedule_taint_keeps_new_pods_off_but_running_ones_on(
        cluster: Cluster) -> None:
    add_node(cluster, "n1", taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
    add_node(cluster, "n2")
    make(cluster)
    assert list(placed(cluster)) == ["n2"]
    set_node(cluster, "n2", taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
    assert list(placed(cluster)) == ["n2"], "should continue running"
    set_node(cluster, "n2", taints=[{"key": "dedicated", "value": "db", "effect": "NoExecute"}])
    assert placed(cluster) == {}


def test_node_failure_taints_and_cordons_are_tolerated(cluster: Cluster) -> None:
    ds = make(cluster)

    def node(*taints: tuple[str, str]) -> dict[str, Any]:
        return {"metadata": {"name": "n1", "labels": {}},
                "spec": {"taints": [{"key": k, "effect": e} for k, e in taints]}}

    unreachable = "node.kubernetes.io/unreachable"
    unschedulable = "node.kubernetes.io/unschedulable"
    assert node_should_run_daemon_pod(
        node((unreachable, "NoExecute"), (unschedulable, "NoSchedule")), ds) == (True, True)
    # the NoSchedule half of the unreachable taint is not tolerated: no new pod, but the
    # running one stays
    assert node_should_run_daemon_pod(
        node((unreachable, "NoExecute"), (unreachable, "NoSchedule")), ds) == (False, True)
    add_node(cluster, "n1")
    before = placed(cluster)
    set_node(cluster, "n1", taints=[{"key": unreachable, "effect": "NoExecute"},
                                    {"key": unschedulable, "effect": "NoSchedule"}])
    assert placed(cluster) == before


def test_status_counts_desired_current_ready_available_and_updated(cluster: Cluster) -> None:
    add_node(cluster, "n1")
    add_node(cluster, "n2")
    make(cluster)
    st = status(cluster)
    assert st == {"desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 0,
                  "numberMisscheduled": 0, "updatedNumberScheduled": 2,
                  "numberUnavailable": 2, "observedGeneration": 1}
    start_all(cluster)
    st = status(cluster)
    assert st["numberReady"] == st["numberAvailable"] == 2
    assert "numberUnavailable" not in st


def test_a_pod_bound_to_a_node_that_should_not_run_it_is_misscheduled_then_deleted(
        cluster: Cluster) -> None:
    add_node(cluster, "n1", {"role": "agent"})
    make(cluster, nodeSelector={"role": "agent"})
    start_all(cluster)
    set_node(cluster, "n1", labels={"kubernetes.io/hostname": "n1"})
    assert placed(cluster) == {}
    assert status(cluster)["desiredNumberScheduled"] == 0


def test_an_unscheduled_pod_for_a_deleted_node_is_deleted(cluster: Cluster) -> None:
    add_node(cluster, "n1")
    add_node(cluster, "n2")
    make(cluster)
    cluster.registry.delete(NODES, None, "n2", DeleteOptions())
    cluster.settle()
    assert list(placed(cluster)) == ["n1"]


def test_a_failed_daemon_pod_is_deleted_and_replaced(cluster: Cluster) -> None:
    add_node(cluster, "n1")
    make(cluster)
    start_all(cluster)
    failed = get(cluster, PODS, placed(cluster)["n1"])
    finish(cluster, failed, succeeded=False)
    cluster.settle()
    assert placed(cluster)["n1"] != failed["metadata"]["name"]
    assert ("FailedDaemonPod", f"Found failed daemon pod default/{failed['metadata']['name']} "
            "on node n1, will try to kill it") in events(cluster, "agent")


def test_a_rolling_update_replaces_one_unavailable_pod_at_a_time(cluster: Cluster) -> None:
    for i in range(3):
        add_node(cluster, f"n{i}")
    make(cluster)
    start_all(cluster)
    ds = cluster.registry.get(DAEMONSETS, "default", "agent").copy()
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    cluster.registry.update(DAEMONSETS, "default", "agent", ds)
    cluster.settle()
    revisions = sorted((s.obj["revision"], s.obj["metadata"]["labels"]["controller-revision-hash"])
                       for s in cluster.store.items(REVISIONS, "default"))
    new_hash = revisions[-1][1]
    for _ in range(6):
        terminating = [p for p in pods(cluster) if p["metadata"].get("deletionTimestamp")]
        unavailable = [p for p in pods(cluster, active_only=True)
                       if p["status"].get("phase") != "Running"]
        assert len(terminating) + len(unavailable) <= 1
        remove_terminating(cluster)
        start_all(cluster)
    hashes = {p["metadata"]["labels"]["controller-revision-hash"]
              for p in pods(cluster, active_only=True)}
    assert hashes == {new_hash}
    assert len(placed(cluster)) == 3
    st = status(cluster)
    assert st["updatedNumberScheduled"] == 3 and st["observedGeneration"] == 2
    assert get(cluster, PODS, placed(cluster)["n0"])["metadata"]["labels"][
        "pod-template-generation"] == "2"


def test_an_adopted_orphan_is_replaced_by_the_rolling_update_as_out_of_date(
        cluster: Cluster) -> None:
    add_node(cluster, "n1")
    orphan = cluster.registry.create(PODS, "default", {
        "metadata": {"name": "agent-manual", "labels": {"app": "agent"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}).obj
    bind(cluster, orphan, "n1")
    make(cluster)
    adopted = get(cluster, PODS, "agent-manual")
    assert adopted["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"
    assert adopted["metadata"].get("deletionTimestamp"), "no revision hash: an old pod"
    assert placed(cluster) == {}, "the node's one pod is still terminating"
    remove_terminating(cluster)
    assert list(placed(cluster)) == ["n1"]


def test_a_surging_update_starts_the_new_pod_before_deleting_the_old(cluster: Cluster) -> None:
    add_node(cluster, "n1")
    ds = cluster.registry.create(DAEMONSETS, "default", {
        "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {
                     "maxSurge": 1, "maxUnavailable": 0}},
                 "template": template({"app": "agent"})}}).obj
    cluster.settle()
    start_all(cluster)
    old = placed(cluster)["n1"]
    ds = cluster.registry.get(DAEMONSETS, "default", "agent").copy()
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    cluster.registry.update(DAEMONSETS, "default", "agent", ds)
    cluster.settle()
    on_node = [p["metadata"]["name"] for p in pods(cluster, active_only=True)]
    assert len(on_node) == 2 and old in on_node, "the new pod surges beside the old one"
    start_all(cluster)
    assert [p["metadata"]["name"] for p in pods(cluster, active_only=True)] == [
        n for n in on_node if n != old]
