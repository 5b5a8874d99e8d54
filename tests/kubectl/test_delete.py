"""`kubectl delete`: each `--cascade` policy against a Deployment that owns a
ReplicaSet (made by the test, as the deployment controller would), pods with and
without a node, and deletion by label."""

from __future__ import annotations

import pytest
from kubectl_support import Objects, is_watch_request, owner, pod_template, streaming

pytestmark = pytest.mark.kubectl


def deployment_with_replicaset(objects: Objects, name: str) -> tuple[dict, dict]:
    labels = {"app": name}
    spec = {"replicas": 0, "selector": {"matchLabels": labels},
            "template": pod_template(labels)}
    deployment = objects.create("deployments", {"metadata": {"name": name}, "spec": spec})
    replicaset = objects.create("replicasets", {
        "metadata": {"name": f"{name}-5d4f8c7b9", "labels": labels,
                     "ownerReferences": [owner("Deployment", deployment)]},
        "spec": spec})
    return deployment, replicaset


@pytest.mark.parametrize("cascade", ["background", "foreground"])
def test_delete_removes_the_dependents_when_cascade_deletes_them(
        kubectl, objects, namespace, cascade):
    _, replicaset = deployment_with_replicaset(objects, "web")
    out = kubectl.run("delete", "deployment", "web", "-n", namespace, f"--cascade={cascade}")
    assert out.stdout.strip() == 'deployment.apps "web" deleted'
    assert objects.get("deployments", "web") is None
    # kubectl returns once the owner is gone; the collector has run by then for
    # foreground, and runs on the server's next turn for background
    objects.call(lambda cluster: cluster.settle())
    assert objects.get("replicasets", replicaset["metadata"]["name"]) is None


def test_delete_keeps_the_dependents_without_an_owner_when_cascade_is_orphan(
        kubectl, objects, namespace):
    _, replicaset = deployment_with_replicaset(objects, "web")
    kubectl.run("delete", "deployment", "web", "-n", namespace, "--cascade=orphan")
    assert objects.get("deployments", "web") is None
    objects.call(lambda cluster: cluster.settle())
    left = objects.get("replicasets", replicaset["metadata"]["name"])
    assert left is not None
    assert "ownerReferences" not in left["metadata"]
    assert left["metadata"]["uid"] == replicaset["metadata"]["uid"]


def test_delete_holds_the_owner_until_its_dependents_go_when_foreground_and_finalized(
        kubectl, objects, namespace):
    """A dependent with its own finalizer keeps a foreground-deleted owner around, with the
    ``foregroundDeletion`` finalizer, until the dependent goes."""
    labels = {"app": "held"}
    spec = {"replicas": 0, "selector": {"matchLabels": labels},
            "template": pod_template(labels)}
    deployment = objects.create("deployments", {"metadata": {"name": "held"}, "spec": spec})
    objects.create("replicasets", {
        "metadata": {"name": "held-1", "labels": labels, "finalizers": ["chaos.example/hold"],
                     "ownerReferences": [owner("Deployment", deployment)]},
        "spec": spec})
    kubectl.run("delete", "deployment", "held", "-n", namespace, "--cascade=foreground",
                "--wait=false")
    objects.call(lambda cluster: cluster.settle())
    held = objects.get("deployments", "held")
    assert held is not None
    assert held["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert held["metadata"].get("deletionTimestamp")

    with streaming(kubectl, "wait", "--for=delete", "deployment/held", "-n", namespace,
                   "--timeout=20s", "-v=6") as wait:
        wait.wait_for(is_watch_request, stderr=True)
        kubectl.run("patch", "rs", "held-1", "-n", namespace, "--type=json",
                    "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
        wait.wait_for_text("deployment.apps/held condition met")
        assert wait.finish() == 0
    assert objects.get("replicasets", "held-1") is None


def test_delete_removes_an_unscheduled_pod_at_once_when_waiting(kubectl, objects, namespace):
    objects.pod("idle", running=False)
    out = kubectl.run("delete", "pod", "idle", "-n", namespace, "--timeout=20s")
    assert out.stdout.strip() == 'pod "idle" deleted'
    assert objects.get("pods", "idle") is None


def test_delete_leaves_a_bound_pod_terminating_when_no_kubelet_confirms(
        kubectl, objects, namespace):
    node = objects.node("a")
    objects.pod("busy", node=node)
    kubectl.run("delete", "pod", "busy", "-n", namespace, "--wait=false")
    pod = objects.get("pods", "busy")
    assert pod is not None
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
    out = kubectl.run("get", "pod", "busy", "-n", namespace, "--no-headers").stdout
    assert out.split()[2] == "Terminating"

    forced = kubectl.run("delete", "pod", "busy", "-n", namespace, "--force",
                         "--grace-period=0")
    assert forced.stdout.strip() == 'pod "busy" force deleted'
    assert "Immediate deletion does not wait for confirmation" in forced.stderr
    assert objects.get("pods", "busy") is None


def test_delete_removes_only_the_selected_objects_when_given_a_label_selector(
        kubectl, objects, namespace):
    for name, app in (("a", "web"), ("b", "web"), ("c", "db")):
        objects.pod(name, labels={"app": app}, running=False)
    out = kubectl.run("delete", "pods", "-n", namespace, "-l", "app=web").stdout
    assert sorted(out.splitlines()) == ['pod "a" deleted', 'pod "b" deleted']
    assert objects.names("pods") == ["c"]


def test_delete_fails_with_not_found_unless_ignored_when_the_object_is_missing(
        kubectl, namespace):
    proc = kubectl.run("delete", "configmap", "ghost", "-n", namespace, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == 'Error from server (NotFound): configmaps "ghost" not found'
    quiet = kubectl.run("delete", "configmap", "ghost", "-n", namespace, "--ignore-not-found")
    assert quiet.stdout == quiet.stderr == ""
