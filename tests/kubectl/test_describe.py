"""`kubectl describe node` and `describe pod`: the objects, their Lease, the pods on a
node and the Events about them, as the describers find them through field selectors."""

from __future__ import annotations

import re

import pytest
from kubectl_support import Objects

pytestmark = pytest.mark.kubectl


def field(text: str, name: str) -> str:
    """The value of a top-level ``Name:  value`` line of describe output."""
    match = re.search(rf"^{re.escape(name)}:\s+(.*)$", text, re.MULTILINE)
    assert match, f"no {name!r} line in:\n{text}"
    return match.group(1).strip()


def section(text: str, name: str) -> str:
    """The indented lines below a top-level ``Name:`` header."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}:"))
    body = []
    for line in lines[start + 1:]:
        if line and not line.startswith(" "):
            break
        body.append(line)
    return "\n".join(body)


def test_describe_node_shows_labels_taints_lease_conditions_and_pods_when_the_kubelet_reported(
        kubectl, objects: Objects, namespace):
    node = objects.node("a", zone="zone-b")
    objects.pod("on-node", node=node)
    objects.pod("elsewhere", running=False)
    kubectl.run("taint", "node", node, "zone=down:NoSchedule")
    kubectl.run("cordon", node)
    node_obj = objects.get("nodes", node)
    assert node_obj is not None
    objects.event(node_obj, "NodeNotSchedulable",
                  f"Node {node} status is now: NodeNotSchedulable", kind="Node",
                  source="kubelet")

    out = kubectl.run("describe", "node", node).stdout

    assert field(out, "Name") == node
    assert "topology.kubernetes.io/zone=zone-b" in section(out, "Labels") + field(out, "Labels")
    # (the node lifecycle controller may add node.kubernetes.io/unschedulable as well)
    assert "zone=down:NoSchedule" in [field(out, "Taints"), *section(out, "Taints").split()]
    assert field(out, "Unschedulable") == "true"
    lease = section(out, "Lease")
    assert re.search(rf"HolderIdentity:\s+{node}$", lease, re.MULTILINE), lease
    conditions = section(out, "Conditions")
    assert re.search(r"^\s+Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status$",
                     conditions, re.MULTILINE), conditions
    assert re.search(r"^\s+MemoryPressure\s+False\s", conditions, re.MULTILINE)
    assert "InternalIP:  10.0.0.11" in section(out, "Addresses")
    info = section(out, "System Info")
    assert re.search(r"Kubelet Version:\s+v1\.32\.0", info)
    assert re.search(r"Container Runtime Version:\s+containerd://1\.7\.24", info)
    assert re.fullmatch(r"\(\d+ in total\)", field(out, "Non-terminated Pods"))
    pods = section(out, "Non-terminated Pods")
    assert re.search(rf"^\s+{namespace}\s+on-node\s+0 \(0%\)", pods, re.MULTILINE), pods
    assert "elsewhere" not in out
    events = section(out, "Events")
    assert re.search(rf"Normal\s+NodeNotSchedulable\s+\S+\s+kubelet\s+Node {node} status is "
                     "now: NodeNotSchedulable", events), events


def test_describe_node_says_the_lease_is_missing_when_no_kubelet_renews_one(
        kubectl, objects: Objects):
    node = objects.node("a", lease=False)
    out = kubectl.run("describe", "node", node).stdout
    assert field(out, "Lease") == (
        f'Failed to get lease: leases.coordination.k8s.io "{node}" not found')


def test_describe_pod_shows_node_containers_conditions_and_events_when_running(
        kubectl, objects: Objects, namespace):
    node = objects.node("a")
    pod = objects.pod("web", node=node, labels={"app": "web"}, containers=("app", "sidecar"))
    objects.event(pod, "Scheduled", f"Successfully assigned {namespace}/web to {node}",
                  kind="Pod")
    objects.event(pod, "BackOff", "Back-off pulling image", kind="Pod", source="kubelet",
                  type_="Warning")

    out = kubectl.run("describe", "pod", "web", "-n", namespace).stdout

    assert field(out, "Name") == "web"
    assert field(out, "Namespace") == namespace
    assert field(out, "Node") == f"{node}/10.0.0.11"
    assert field(out, "Status") == "Running"
    assert field(out, "IP") == "10.244.1.5"
    assert field(out, "Labels") == "app=web"
    assert field(out, "QoS Class") == "BestEffort"
    containers = section(out, "Containers")
    assert re.search(r"^  app:$", containers, re.MULTILINE)
    assert re.search(r"^  sidecar:$", containers, re.MULTILINE)
    assert len(re.findall(r"State:\s+Running", containers)) == 2
    assert len(re.findall(r"Ready:\s+True", containers)) == 2
    conditions = section(out, "Conditions")
    assert re.search(r"^\s+Ready\s+True", conditions, re.MULTILINE), conditions
    assert "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s" in out
    events = section(out, "Events")
    assert re.search(rf"Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned "
                     rf"{namespace}/web to {node}", events), events
    assert re.search(r"Warning\s+BackOff\s+\S+\s+kubelet\s+Back-off pulling image", events)


def test_describe_pod_shows_no_node_when_the_pod_is_pending(kubectl, objects: Objects, namespace):
    objects.pod("waiting", running=False)
    out = kubectl.run("describe", "pod", "waiting", "-n", namespace).stdout
    assert field(out, "Node") == "<none>"
    assert field(out, "Status") == "Pending"
    assert field(out, "Events") == "<none>"


def test_describe_fails_with_not_found_when_the_pod_does_not_exist(kubectl, namespace):
    proc = kubectl.run("describe", "pod", "nope", "-n", namespace, check=False)
    assert proc.returncode == 1
    assert 'pods "nope" not found' in proc.stderr
