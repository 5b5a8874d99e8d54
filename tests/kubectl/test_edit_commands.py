"""Commands that edit one field of a live object: `label`, `annotate`, `cordon`,
`uncordon` and `taint`. Each is checked through the API afterwards, not only by what
kubectl prints."""

from __future__ import annotations

import pytest
from kubectl_support import Objects, streaming

pytestmark = pytest.mark.kubectl


def labels_of(objects: Objects, plural: str, name: str) -> dict[str, str]:
    obj = objects.get(plural, name)
    assert obj is not None
    return dict(obj["metadata"].get("labels") or {})


def taints_of(objects: Objects, node: str) -> list[dict[str, str]] | None:
    obj = objects.get("nodes", node)
    assert obj is not None
    taints: list[dict[str, str]] | None = obj["spec"].get("taints")
    return taints


def test_label_sets_overwrites_and_removes_a_node_label_when_asked(kubectl, objects):
    node = objects.node("a")
    assert kubectl.run("label", "node", node, "chaos=armed").stdout.strip() == (
        f"node/{node} labeled")
    assert labels_of(objects, "nodes", node)["chaos"] == "armed"

    refused = kubectl.run("label", "node", node, "chaos=off", check=False)
    assert refused.returncode == 1
    assert "'chaos' already has a value (armed), and --overwrite is false" in refused.stderr
    assert labels_of(objects, "nodes", node)["chaos"] == "armed"

    kubectl.run("label", "node", node, "chaos=off", "--overwrite")
    assert labels_of(objects, "nodes", node)["chaos"] == "off"

    assert kubectl.run("label", "node", node, "chaos-").stdout.strip() == (
        f"node/{node} unlabeled")
    assert "chaos" not in labels_of(objects, "nodes", node)
    assert labels_of(objects, "nodes", node)["topology.kubernetes.io/zone"] == "zone-a"


def test_label_changes_every_selected_pod_when_given_a_selector(kubectl, objects, namespace):
    for name in ("one", "two"):
        objects.pod(name, labels={"app": "web"}, running=False)
    objects.pod("other", labels={"app": "db"}, running=False)
    out = kubectl.run("label", "pods", "-n", namespace, "-l", "app=web", "zone=b").stdout
    assert sorted(out.splitlines()) == ["pod/one labeled", "pod/two labeled"]
    assert labels_of(objects, "pods", "one") == {"app": "web", "zone": "b"}
    assert labels_of(objects, "pods", "other") == {"app": "db"}


def test_annotate_adds_and_removes_an_annotation_when_asked(kubectl, objects):
    node = objects.node("a")
    out = kubectl.run("annotate", "node", node, "chaos.example/reason=drill 1").stdout
    assert out.strip() == f"node/{node} annotated"
    obj = objects.get("nodes", node)
    assert obj is not None
    assert obj["metadata"]["annotations"] == {"chaos.example/reason": "drill 1"}

    kubectl.run("annotate", "node", node, "chaos.example/reason-")
    obj = objects.get("nodes", node)
    assert obj is not None
    assert not obj["metadata"].get("annotations")


def test_cordon_and_uncordon_flip_unschedulable_when_run_in_turn(kubectl, objects):
    node = objects.node("a")
    assert kubectl.run("cordon", node).stdout.strip() == f"node/{node} cordoned"
    obj = objects.get("nodes", node)
    assert obj is not None
    assert obj["spec"]["unschedulable"] is True
    assert kubectl.run("cordon", node).stdout.strip() == f"node/{node} already cordoned"

    assert kubectl.run("uncordon", node).stdout.strip() == f"node/{node} uncordoned"
    obj = objects.get("nodes", node)
    assert obj is not None
    assert "unschedulable" not in obj["spec"]
    out = kubectl.run("get", "node", node, "--no-headers").stdout
    assert out.split()[1] == "Ready"


def test_taint_removal_really_removes_when_the_taint_list_is_replaced(kubectl, objects):
    node = objects.node("a")
    assert kubectl.run("taint", "nodes", node, "zone=down:NoExecute").stdout.strip() == (
        f"node/{node} tainted")
    kubectl.run("taint", "nodes", node, "maintenance=true:NoSchedule")
    assert sorted((t["key"], t.get("value"), t["effect"]) for t in taints_of(objects, node)
                  or []) == [("maintenance", "true", "NoSchedule"),
                             ("zone", "down", "NoExecute")]

    # kubectl sends the whole remaining list; spec.taints is atomic, so the other goes
    assert kubectl.run("taint", "nodes", node, "zone:NoExecute-").stdout.strip() == (
        f"node/{node} untainted")
    assert taints_of(objects, node) == [
        {"key": "maintenance", "value": "true", "effect": "NoSchedule"}]

    kubectl.run("taint", "nodes", node, "maintenance-")
    assert taints_of(objects, node) is None
    out = kubectl.run("get", "node", node, "-o", "jsonpath={.spec.taints}").stdout
    assert out == ""


def test_taint_refuses_an_existing_key_unless_overwrite_when_added_again(kubectl, objects):
    node = objects.node("a")
    kubectl.run("taint", "nodes", node, "zone=down:NoExecute")
    refused = kubectl.run("taint", "nodes", node, "zone=up:NoExecute", check=False)
    assert refused.returncode == 1
    assert "already has zone taint(s) with same effect(s) and --overwrite is false" in (
        refused.stderr)
    kubectl.run("taint", "nodes", node, "zone=up:NoExecute", "--overwrite")
    assert taints_of(objects, node) == [{"key": "zone", "value": "up", "effect": "NoExecute"}]


def test_taint_fails_when_removing_a_taint_the_node_does_not_have(kubectl, objects):
    node = objects.node("a")
    proc = kubectl.run("taint", "nodes", node, "ghost:NoSchedule-", check=False)
    assert proc.returncode == 1
    assert "taint \"ghost:NoSchedule\" not found" in proc.stderr


def test_taint_no_execute_evicts_pods_that_do_not_tolerate_it_when_added(
        kubectl, objects, namespace):
    """The taint eviction controller deletes pods without a matching toleration at once."""
    node = objects.node("a")
    objects.pod("doomed", node=node, grace=0)
    with streaming(kubectl, "get", "pods", "-n", namespace, "-w",
                   "--output-watch-events") as watch:
        watch.wait_for(lambda line: "doomed" in line and "Running" in line)
        kubectl.run("taint", "nodes", node, "chaos=zone-down:NoExecute")
        watch.wait_for(lambda line: line.startswith("DELETED") and "doomed" in line)
    assert objects.get("pods", "doomed") is None
