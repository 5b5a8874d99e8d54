"""The scheduler inside a simulated cluster (manual clock): pods get bound to the right
nodes; a pod that fits nowhere gets upstream's condition and event, its diagnosis, and
is retried when the cluster changes."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from schedkit import ZONE, node, pod, spread

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.resources import ResourceType, by_path
from chaoszone.sim.scheduler import DIAGNOSIS_ANNOTATION, Scheduler


def rt(group: str, plural: str) -> ResourceType:
    found = by_path(group, "v1", plural)
    assert found is not None
    return found


PODS, NODES, EVENTS = rt("", "pods"), rt("", "nodes"), rt("", "events")
PVCS, CLASSES = rt("", "persistentvolumeclaims"), rt("storage.k8s.io", "storageclasses")
PVS = rt("", "persistentvolumes")
WEB = {"app": "web"}
CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def api_pod(name: str, **kwargs: Any) -> dict[str, Any]:
    """A pod as a client sends it (no uid, no status)."""
    obj = pod(name, **kwargs)
    obj["metadata"].pop("uid")
    obj.pop("status")
    return obj


@pytest.fixture
def cluster() -> Cluster:
    return Cluster(manual_clock=True)


def scheduler(cluster: Cluster) -> Scheduler:
    found = getattr(cluster, "scheduler", None)
    assert isinstance(found, Scheduler), "the cluster runs a scheduler"
    return found


def add_nodes(cluster: Cluster, *nodes: dict[str, Any]) -> None:
    for n in nodes:
        cluster.registry.create(NODES, None, n)
    cluster.settle()


def create(cluster: Cluster, *pods: dict[str, Any]) -> None:
    for p in pods:
        cluster.registry.create(PODS, p["metadata"].get("namespace", "default"), p)
    cluster.settle()


def stored(cluster: Cluster, name: str) -> dict[str, Any]:
    found = cluster.store.get(PODS, "default", name)
    assert found is not None
    return found.obj


def placed(cluster: Cluster, name: str) -> str | None:
    return stored(cluster, name)["spec"].get("nodeName")


def events(cluster: Cluster, reason: str) -> list[dict[str, Any]]:
    return [e.obj for e in cluster.store.items(EVENTS, "default") if e.obj["reason"] == reason]


def zones_of(cluster: Cluster, names: list[str]) -> Counter[str]:
    nodes = {n.name: n.obj["metadata"]["labels"].get(ZONE) for n in cluster.store.items(NODES)}
    return Counter(nodes[placed(cluster, n) or ""] for n in names)


SIX_NODES = [node(f"{z}{i}", zone=z) for z in "abc" for i in range(2)]


def test_a_bare_pod_with_zone_spread_lands_in_the_zone_it_needs(cluster: Cluster) -> None:
    add_nodes(cluster, *SIX_NODES)
    create(cluster, *[api_pod(f"web-{i}", labels=WEB,
                              topologySpreadConstraints=[spread(match=WEB)]) for i in range(6)])
    assert zones_of(cluster, [f"web-{i}" for i in range(6)]) == {"a": 2, "b": 2, "c": 2}
    # with zone c emptied, the next one must go there
    for name in [n for n in (f"web-{i}" for i in range(6)) if placed(cluster, n) in ("c0", "c1")]:
        cluster.registry.delete(PODS, "default", name, DeleteOptions(grace_period_seconds=0))
    create(cluster, api_pod("web-6", labels=WEB, topologySpreadConstraints=[spread(match=WEB)]))
    assert placed(cluster, "web-6") in ("c0", "c1")
    scheduled = [e for e in events(cluster, "Scheduled")
                 if e["involvedObject"]["name"] == "web-6"]
    assert [e["message"] for e in scheduled] == [
        f"Successfully assigned default/web-6 to {placed(cluster, 'web-6')}"]
    assert scheduled[0]["source"]["component"] == "default-scheduler"
    condition = next(c for c in stored(cluster, "web-6")["status"]["conditions"]
                     if c["type"] == "PodScheduled")
    assert condition["status"] == "True"


def test_an_unschedulable_pod_gets_the_condition_and_the_event_with_upstreams_message(
        cluster: Cluster) -> None:
    add_nodes(cluster, node("cp", taints=[CONTROL_PLANE]),
              *[node(f"{z}{i}", zone=z, taints=[{"key": "outage", "effect": "NoSchedule"}]
                     if z == "c" else []) for z in "abc" for i in range(2)])
    create(cluster, *[api_pod(f"web-{i}", labels=WEB, node=n)
                      for i, n in enumerate(["a0", "a1", "b0"])])
    create(cluster, api_pod("new", labels=WEB, topologySpreadConstraints=[spread(match=WEB)]))
    message = ("0/7 nodes are available: 1 node(s) had untolerated taint "
               "{node-role.kubernetes.io/control-plane: }, 2 node(s) had untolerated taint "
               "{outage: }, 4 node(s) didn't match pod topology spread constraints. "
               "preemption: 0/7 nodes are available: 3 Preemption is not helpful for "
               "scheduling, 4 No preemption victims found for incoming pod.")
    obj = stored(cluster, "new")
    assert "nodeName" not in obj["spec"]
    condition = next(c for c in obj["status"]["conditions"] if c["type"] == "PodScheduled")
    assert condition["status"] == "False"
    assert condition["reason"] == "Unschedulable"
    assert condition["message"] == message
    failed = events(cluster, "FailedScheduling")
    assert len(failed) == 1
    assert failed[0]["type"] == "Warning"
    assert failed[0]["message"] == message
    assert failed[0]["source"]["component"] == "default-scheduler"
    assert failed[0]["involvedObject"]["name"] == "new"
    diagnosis = scheduler(cluster).diagnosis("default", "new")
    assert diagnosis is not None
    assert diagnosis["cp"] == [("TaintToleration", "node(s) had untolerated taint "
                                                   "{node-role.kubernetes.io/control-plane: }")]
    assert diagnosis["a0"] == [("PodTopologySpread",
                                "node(s) didn't match pod topology spread constraints")]
    annotation = json.loads(obj["metadata"]["annotations"][DIAGNOSIS_ANNOTATION])
    assert annotation["c1"] == [["TaintToleration", "node(s) had untolerated taint {outage: }"]]


def test_a_pending_pod_is_retried_when_a_node_it_fits_arrives(cluster: Cluster) -> None:
    add_nodes(cluster, node("a0", zone="a", taints=[{"key": "outage", "effect": "NoSchedule"}]))
    create(cluster, api_pod("p"))
    assert placed(cluster, "p") is None
    cluster.runtime.advance(2)  # past the first backoff
    add_nodes(cluster, node("b0", zone="b"))
    assert placed(cluster, "p") == "b0"
    assert scheduler(cluster).diagnosis("default", "p") is None


def test_removing_a_taint_wakes_the_pods_it_kept_out(cluster: Cluster) -> None:
    add_nodes(cluster, node("a0", taints=[{"key": "outage", "effect": "NoSchedule"}]))
    create(cluster, api_pod("p"))
    cluster.runtime.advance(2)
    current = cluster.store.get(NODES, "", "a0")
    assert current is not None
    untainted = current.copy()
    untainted["spec"].pop("taints")
    cluster.registry.update(NODES, None, "a0", untainted)
    cluster.settle()
    assert placed(cluster, "p") == "a0"


def test_a_repeated_failure_counts_up_the_same_event(cluster: Cluster) -> None:
    add_nodes(cluster, node("a0", cpu="1"))
    create(cluster, api_pod("big", cpu="2"))
    cluster.runtime.advance(2)
    add_nodes(cluster, node("a1", cpu="1"))  # an event that wakes it, still no room
    failed = sorted(events(cluster, "FailedScheduling"), key=lambda e: e["firstTimestamp"])
    assert [e["message"] for e in failed] == [
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
        "1 No preemption victims found for incoming pod.",
        "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
        "2 No preemption victims found for incoming pod."]


def test_pods_for_other_schedulers_and_pods_with_a_node_are_left_alone(
        cluster: Cluster) -> None:
    add_nodes(cluster, node("a0"))
    create(cluster, api_pod("mine-not", schedulerName="other"), api_pod("pinned", node="a0"))
    assert placed(cluster, "mine-not") is None
    assert "conditions" not in stored(cluster, "mine-not").get("status", {}) or not any(
        c["type"] == "PodScheduled" for c in stored(cluster, "mine-not")["status"]["conditions"])
    assert events(cluster, "Scheduled") == []


def test_without_nodes_pods_wait_untouched_until_one_registers(cluster: Cluster) -> None:
    create(cluster, api_pod("p"))
    before = stored(cluster, "p")["metadata"]["resourceVersion"]
    cluster.runtime.advance(30)
    assert stored(cluster, "p")["metadata"]["resourceVersion"] == before
    assert events(cluster, "FailedScheduling") == []
    add_nodes(cluster, node("a0"))
    assert placed(cluster, "p") == "a0"


def test_a_higher_priority_pod_preempts_a_lower_one(cluster: Cluster) -> None:
    add_nodes(cluster, node("a0", cpu="1"))
    create(cluster, api_pod("low", cpu="1"))
    assert placed(cluster, "low") == "a0"
    create(cluster, api_pod("urgent", cpu="1", priorityClassName="system-cluster-critical"))
    victim = stored(cluster, "low")
    assert victim["metadata"].get("deletionTimestamp")
    disruption = next(c for c in victim["status"]["conditions"]
                      if c["type"] == "DisruptionTarget")
    assert disruption["reason"] == "PreemptionByScheduler"
    urgent = stored(cluster, "urgent")
    assert urgent["status"]["nominatedNodeName"] == "a0"
    assert [e["message"] for e in events(cluster, "Preempted")] == [
        f"Preempted by pod {urgent['metadata']['uid']} on node a0"]
    # while the victim terminates, the preemptor waits for it instead of preempting again
    cluster.runtime.advance(2)
    add_nodes(cluster, node("full", cpu="0"))  # an event that retries the pending pod
    condition = next(c for c in stored(cluster, "urgent")["status"]["conditions"]
                     if c["type"] == "PodScheduled")
    assert condition["message"] == (
        "0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to a "
        "terminating pod on the nominated node.")
    assert len(events(cluster, "Preempted")) == 1
    cluster.registry.delete(PODS, "default", "low", DeleteOptions(grace_period_seconds=0))
    cluster.runtime.advance(2)
    assert placed(cluster, "urgent") == "a0"


def test_a_claim_waiting_for_its_first_consumer_gets_the_chosen_node(cluster: Cluster) -> None:
    add_nodes(cluster, node("a0", zone="a"), node("b0", zone="b"))
    cluster.registry.create(CLASSES, None, {
        "metadata": {"name": "zonal"}, "provisioner": "example.com/nobody",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowedTopologies": [{"matchLabelExpressions": [{"key": ZONE, "values": ["b"]}]}]})
    cluster.registry.create(PVCS, "default", {
        "metadata": {"name": "data"},
        "spec": {"storageClassName": "zonal", "accessModes": ["ReadWriteOnce"],
                 "resources": {"requests": {"storage": "1Gi"}}}})
    create(cluster, api_pod("db", volumes=[{"name": "d",
                                            "persistentVolumeClaim": {"claimName": "data"}}]))
    claim = cluster.store.get(PVCS, "default", "data")
    assert claim is not None
    assert claim.meta["annotations"]["volume.kubernetes.io/selected-node"] == "b0"
    # binding waits until the claim is bound (by a provisioner, here by hand)
    assert placed(cluster, "db") is None
    cluster.registry.create(PVS, None, {
        "metadata": {"name": "pv-data"},
        "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                 "storageClassName": "zonal", "hostPath": {"path": "/data"},
                 "claimRef": {"namespace": "default", "name": "data", "uid": claim.meta["uid"]},
                 "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                     {"key": ZONE, "operator": "In", "values": ["b"]}]}]}}}})
    claim = cluster.store.get(PVCS, "default", "data")
    assert claim is not None
    bound = claim.copy()
    bound["spec"]["volumeName"] = "pv-data"
    bound["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] = "yes"
    cluster.registry.update(PVCS, "default", "data", bound)
    cluster.settle()
    assert placed(cluster, "db") == "b0"


def test_a_gated_pod_waits_until_its_gates_are_removed(cluster: Cluster) -> None:
    add_nodes(cluster, node("a0"))
    create(cluster, api_pod("gated", schedulingGates=[{"name": "example.com/wait"}]))
    assert placed(cluster, "gated") is None
    assert events(cluster, "FailedScheduling") == []
    current = cluster.store.get(PODS, "default", "gated")
    assert current is not None
    opened = current.copy()
    opened["spec"]["schedulingGates"] = []
    cluster.registry.update(PODS, "default", "gated", opened)
    cluster.settle()
    assert placed(cluster, "gated") == "a0"


SERVICES = rt("", "services")


def test_pods_of_a_service_spread_across_zones_without_constraints(cluster: Cluster) -> None:
    """Upstream e2e ``SpreadServiceOrFail`` (fidelity e2e-001): the system default
    constraints, with the Service's selector, keep zones within 2 pods of each other."""
    add_nodes(cluster, *[node(f"{z}{i}", zone=z) for z in "abc" for i in range(3)])
    cluster.registry.create(SERVICES, "default", {
        "metadata": {"name": "test-service"},
        "spec": {"selector": {"service": "test-service"}, "ports": [{"port": 80}]}})
    names = [f"svc-{i}" for i in range(15)]
    create(cluster, *[api_pod(n, labels={"service": "test-service"}) for n in names])
    spread_ = zones_of(cluster, names)
    assert sum(spread_.values()) == 15
    assert max(spread_.values()) - min(spread_.values()) <= 2


def guard(cluster: Cluster, name: str, labels: dict[str, str]) -> None:
    """A budget that allows no disruption of the pods with ``labels`` (none is Ready here,
    so its disruptionsAllowed is 0 whatever minAvailable says)."""
    budgets = by_path("policy", "v1", "poddisruptionbudgets")
    assert budgets is not None
    cluster.registry.create(budgets, "default", {
        "metadata": {"name": name}, "spec": {"minAvailable": 1, "selector": {
            "matchLabels": labels}}})
    cluster.settle()
    stored = cluster.store.get(budgets, "default", name)
    assert stored is not None and stored.obj["status"]["disruptionsAllowed"] == 0


def test_preemption_prefers_the_node_whose_victims_break_no_disruption_budget(
        cluster: Cluster) -> None:
    add_nodes(cluster, node("a0", cpu="1"), node("b0", cpu="1"))
    create(cluster, api_pod("guarded", cpu="1", nodeName="a0", labels={"app": "db"}),
           api_pod("free", cpu="1", nodeName="b0", labels={"app": "batch"}))
    guard(cluster, "db", {"app": "db"})
    create(cluster, api_pod("urgent", cpu="1", priorityClassName="system-cluster-critical"))
    # a0 comes first by name; its only victim would break the budget, b0's would not
    assert stored(cluster, "urgent")["status"]["nominatedNodeName"] == "b0"
    assert stored(cluster, "free")["metadata"].get("deletionTimestamp")
    assert not stored(cluster, "guarded")["metadata"].get("deletionTimestamp")


def test_preemption_gives_back_budget_guarded_pods_first_even_when_less_important(
        cluster: Cluster) -> None:
    add_nodes(cluster, node("a0", cpu="2"))
    create(cluster, api_pod("guarded", cpu="1", nodeName="a0", labels={"app": "db"}),
           api_pod("important", cpu="1", nodeName="a0", labels={"app": "batch"},
                   priorityClassName="system-cluster-critical"))
    guard(cluster, "db", {"app": "db"})
    create(cluster, api_pod("urgent", cpu="1", priorityClassName="system-node-critical"))
    # both are victims at first; the guarded one is given back first, so the more
    # important pod is the one that goes (upstream SelectVictimsOnNode)
    assert stored(cluster, "important")["metadata"].get("deletionTimestamp")
    assert not stored(cluster, "guarded")["metadata"].get("deletionTimestamp")
