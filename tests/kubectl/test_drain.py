"""`kubectl drain`: cordon, then evict every pod on the node through ``pods/eviction``.
Pods have ``terminationGracePeriodSeconds: 0`` so that, with no kubelet, an eviction
deletes them at once."""

from __future__ import annotations

import pytest
from kubectl_support import Objects, daemon_pod, owner, pod_template, streaming

pytestmark = pytest.mark.kubectl


def test_drain_evicts_the_pods_and_cordons_the_node_when_forced(
        kubectl, objects: Objects, namespace):
    node = objects.node("a")
    other = objects.node("b")
    labels = {"app": "web"}
    replicaset = objects.create("replicasets", {"metadata": {"name": "web-7f9c"}, "spec": {
        "replicas": 1, "selector": {"matchLabels": labels}, "template": pod_template(labels)}})
    agent_template = pod_template({"app": "agent"})
    # this test's node only
    agent_template["spec"]["nodeSelector"] = {"kubernetes.io/hostname": node}
    objects.create("daemonsets", {"metadata": {"name": "agent"}, "spec": {
        "selector": {"matchLabels": {"app": "agent"}}, "template": agent_template}})
    agent = daemon_pod(kubectl, objects, node)
    objects.pod("web-7f9c-x2x4q", node=node, labels=labels, grace=0,
                owners=[owner("ReplicaSet", replicaset)])
    objects.pod("bare", node=node, grace=0)
    objects.pod("elsewhere", node=other, grace=0)

    proc = kubectl.run("drain", node, "--ignore-daemonsets", "--force", "--timeout=30s")

    out = proc.stdout.splitlines()
    assert out[0] == f"node/{node} cordoned"
    assert out[-1] == f"node/{node} drained"
    assert {f"evicting pod {namespace}/web-7f9c-x2x4q", f"evicting pod {namespace}/bare",
            "pod/web-7f9c-x2x4q evicted", "pod/bare evicted"} <= set(out)
    assert f"ignoring DaemonSet-managed Pods: {namespace}/{agent}" in proc.stderr
    assert f"deleting Pods that declare no controller: {namespace}/bare" in proc.stderr
    left = objects.names("pods")
    assert {agent, "elsewhere"} <= set(left)
    assert "bare" not in left and "web-7f9c-x2x4q" not in left
    # the ReplicaSet replaces its evicted pod at once (fidelity ctl-001)
    assert len([name for name in left if name.startswith("web-7f9c-")]) == 1
    drained = objects.get("nodes", node)
    assert drained is not None
    assert drained["spec"]["unschedulable"] is True
    out_nodes = kubectl.run("get", "node", node, "--no-headers").stdout
    assert out_nodes.split()[1] == "Ready,SchedulingDisabled"


def test_drain_refuses_pods_without_a_controller_when_not_forced(
        kubectl, objects: Objects, namespace):
    node = objects.node("a")
    objects.pod("bare", node=node, grace=0)
    proc = kubectl.run("drain", node, "--timeout=10s", check=False)
    assert proc.returncode == 1
    assert "cannot delete Pods that declare no controller (use --force to override): " \
           f"{namespace}/bare" in proc.stderr
    assert objects.names("pods") == ["bare"]
    cordoned = objects.get("nodes", node)
    assert cordoned is not None
    assert cordoned["spec"]["unschedulable"] is True


def test_drain_retries_an_eviction_when_a_disruption_budget_forbids_it(
        kubectl, objects: Objects, namespace):
    node = objects.node("a")
    labels = {"app": "quorum"}
    objects.pod("member", node=node, labels=labels, grace=0)
    objects.create("poddisruptionbudgets", {"metadata": {"name": "quorum"}, "spec": {
        "minAvailable": 1, "selector": {"matchLabels": labels}}})
    objects.set_status("poddisruptionbudgets", "quorum", lambda pdb: {
        "observedGeneration": pdb["metadata"]["generation"], "disruptionsAllowed": 0,
        "currentHealthy": 1, "desiredHealthy": 1, "expectedPods": 1})
    with streaming(kubectl, "drain", node, "--force", "--timeout=60s") as drain:
        line = drain.wait_for_text("error when evicting pods", stderr=True)
        assert line == (
            f'error when evicting pods/"member" -n "{namespace}" (will retry after 5s): '
            "Cannot evict pod as it would violate the pod's disruption budget.")
    assert objects.names("pods") == ["member"]


def test_drain_deletes_the_pods_when_eviction_is_disabled(kubectl, objects: Objects, namespace):
    """--disable-eviction DELETEs through the typed client: a protobuf DeleteOptions body."""
    node = objects.node("a")
    objects.pod("web", node=node, labels={"app": "web"}, grace=0)
    objects.pod("db", node=node, labels={"app": "db"}, grace=0)
    proc = kubectl.run("drain", node, "--force", "--disable-eviction",
                       "--pod-selector=app=web", "--timeout=30s")
    out = proc.stdout.splitlines()
    assert out[0] == f"node/{node} cordoned"
    assert "pod/web deleted" in out
    assert out[-1] == f"node/{node} drained"
    assert objects.names("pods") == ["db"]


def test_drain_empties_every_node_of_a_zone_when_selected_by_label(
        kubectl, objects: Objects, namespace):
    zone = f"{namespace}-zone"  # a zone of this test's own: other tests' nodes stay out
    a1, a2 = objects.node("a1", zone=zone), objects.node("a2", zone=zone)
    b1 = objects.node("b1", zone=f"{namespace}-other")
    for name, node in (("on-a1", a1), ("on-a2", a2), ("on-b1", b1)):
        objects.pod(name, node=node, grace=0)
    proc = kubectl.run("drain", "-l", f"topology.kubernetes.io/zone={zone}", "--force",
                       "--timeout=30s")
    out = proc.stdout.splitlines()
    assert {f"node/{a1} cordoned", f"node/{a2} cordoned", f"node/{a1} drained",
            f"node/{a2} drained", "pod/on-a1 evicted", "pod/on-a2 evicted"} <= set(out)
    assert objects.names("pods") == ["on-b1"]
    rows = kubectl.run("get", "nodes", a1, a2, b1, "--no-headers").stdout.splitlines()
    assert [row.split()[1] for row in rows] == [
        "Ready,SchedulingDisabled", "Ready,SchedulingDisabled", "Ready"]
