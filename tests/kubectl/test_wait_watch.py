"""`kubectl wait` and `kubectl rollout status`, which list and then watch: the test
makes the awaited change only once kubectl's watch is open (seen in its ``-v=6``
request log), so the change must arrive as a watch event."""

from __future__ import annotations

from typing import Any

import pytest
from kubectl_support import (
    UNSCHEDULED,
    Objects,
    is_watch_request,
    pod_template,
    rt,
    running_status,
    streaming,
)

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.registry import DeleteOptions

pytestmark = pytest.mark.kubectl


def test_wait_returns_when_the_condition_becomes_true_while_waiting(
        kubectl, objects: Objects, namespace):
    node = objects.node("a")
    objects.pod("starting", node=node, running=False)
    with streaming(kubectl, "wait", "--for=condition=Ready", "pod/starting", "-n", namespace,
                   "--timeout=20s", "-v=6") as wait:
        wait.wait_for(is_watch_request, stderr=True)
        objects.set_status("pods", "starting", lambda p: running_status(
            ["app"], p["metadata"]["creationTimestamp"]))
        wait.wait_for_text("pod/starting condition met")
        assert wait.finish() == 0


def test_wait_returns_at_once_when_every_selected_pod_already_meets_it(
        kubectl, objects: Objects, namespace):
    node = objects.node("a")
    objects.pod("one", node=node, labels={"app": "web"})
    objects.pod("two", node=node, labels={"app": "web"})
    out = kubectl.run("wait", "--for=condition=Ready", "pods", "-l", "app=web",
                      "-n", namespace, "--timeout=10s").stdout
    assert sorted(out.splitlines()) == ["pod/one condition met", "pod/two condition met"]


def test_wait_matches_a_jsonpath_value_when_the_phase_changes(kubectl, objects, namespace):
    node = objects.node("a")
    objects.pod("job-like", node=node)
    with streaming(kubectl, "wait", "--for=jsonpath={.status.phase}=Succeeded",
                   "pod/job-like", "-n", namespace, "--timeout=20s", "-v=6") as wait:
        wait.wait_for(is_watch_request, stderr=True)

        def succeeded(pod: dict[str, Any]) -> dict[str, Any]:
            status = pod["status"]
            status["phase"] = "Succeeded"
            for container in status["containerStatuses"]:
                container["ready"] = False
                container["state"] = {"terminated": {
                    "exitCode": 0, "reason": "Completed",
                    "startedAt": container["state"]["running"]["startedAt"],
                    "finishedAt": pod["metadata"]["creationTimestamp"]}}
            return status

        objects.set_status("pods", "job-like", succeeded)
        wait.wait_for_text("pod/job-like condition met")
        assert wait.finish() == 0


def test_wait_for_delete_returns_when_the_object_is_deleted_while_waiting(
        kubectl, objects, namespace):
    objects.create("configmaps", {"metadata": {"name": "doomed"}, "data": {"a": "1"}})
    with streaming(kubectl, "wait", "--for=delete", "configmap/doomed", "-n", namespace,
                   "--timeout=20s", "-v=6") as wait:
        wait.wait_for(is_watch_request, stderr=True)
        kubectl.run("delete", "configmap", "doomed", "-n", namespace)
        wait.wait_for_text("configmap/doomed condition met")
        assert wait.finish() == 0


def test_wait_fails_with_a_timeout_when_the_condition_never_holds(kubectl, objects, namespace):
    objects.pod("stuck", running=False)
    proc = kubectl.run("wait", "--for=condition=Ready", "pod/stuck", "-n", namespace,
                       "--timeout=1s", check=False)
    assert proc.returncode == 1
    assert "timed out waiting for the condition on pods/stuck" in proc.stderr


def start_pods(objects: Objects, count: int | None = None) -> int:
    """Play the kubelet: make up to ``count`` Pending pods of the namespace Running and
    Ready, and remove the pods being deleted. Returns how many it started."""
    def act(cluster: Cluster) -> int:
        pods = rt("pods")
        started = 0
        for stored in list(cluster.store.items(pods, objects.namespace)):
            pod = stored.obj
            if pod["metadata"].get("deletionTimestamp"):
                cluster.registry.delete(pods, objects.namespace, stored.name,
                                        DeleteOptions(grace_period_seconds=0))
                continue
            if pod["status"].get("phase") != "Pending" or (count is not None
                                                           and started >= count):
                continue
            current = stored.copy()
            current["status"] = running_status(
                [c["name"] for c in pod["spec"]["containers"]], cluster.clock.timestamp())
            cluster.registry.update(pods, objects.namespace, stored.name, current,
                                    subresource="status")
            started += 1
        return started

    result: int = objects.call(act)
    return result


def unscheduled_template(labels: dict[str, str]) -> dict[str, Any]:
    """A pod template no scheduler serves: the test plays the kubelet for its pods."""
    template = pod_template(labels)
    template["spec"]["schedulerName"] = UNSCHEDULED
    return template


def test_rollout_status_follows_a_deployment_until_every_replica_is_available(
        kubectl, objects: Objects, namespace):
    """The deployment and replicaset controllers write the status; the test only starts
    the pods they create, one at a time, once kubectl's watch is open."""
    labels = {"app": "web"}
    objects.create("deployments", {"metadata": {"name": "web"}, "spec": {
        "replicas": 3, "selector": {"matchLabels": labels},
        "template": unscheduled_template(labels)}})
    with streaming(kubectl, "rollout", "status", "deployment/web", "-n", namespace,
                   "--timeout=20s", "-v=6") as rollout:
        rollout.wait_for_text('Waiting for deployment "web" rollout to finish: 0 of 3 updated '
                              "replicas are available...")
        rollout.wait_for(is_watch_request, stderr=True)
        assert start_pods(objects, 1) == 1
        rollout.wait_for_text('Waiting for deployment "web" rollout to finish: 1 of 3 updated '
                              "replicas are available...")
        assert start_pods(objects) == 2
        rollout.wait_for_text('deployment "web" successfully rolled out')
        assert rollout.finish() == 0


def test_rollout_status_follows_an_image_change_until_the_old_pods_are_gone(
        kubectl, objects: Objects, namespace):
    labels = {"app": "web"}
    objects.create("deployments", {"metadata": {"name": "web"}, "spec": {
        "replicas": 1, "selector": {"matchLabels": labels},
        "template": unscheduled_template(labels)}})
    assert start_pods(objects) == 1
    kubectl.run("rollout", "status", "deployment/web", "-n", namespace, "--timeout=10s")
    kubectl.run("set", "image", "deployment/web", "app=nginx:1.28", "-n", namespace)
    proc = kubectl.run("rollout", "status", "deployment/web", "-n", namespace, "--watch=false")
    # maxSurge 25% of 1 rounds up to 1: the new pod comes first, the old one goes after
    assert proc.stdout.strip() == ('Waiting for deployment "web" rollout to finish: 1 old '
                                   "replicas are pending termination...")
    with streaming(kubectl, "rollout", "status", "deployment/web", "-n", namespace,
                   "--timeout=20s", "-v=6") as rollout:
        rollout.wait_for(is_watch_request, stderr=True)
        assert start_pods(objects) == 1
        start_pods(objects)
        rollout.wait_for_text('deployment "web" successfully rolled out')
        assert rollout.finish() == 0
    history = kubectl.run("rollout", "history", "deployment/web", "-n", namespace).stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]


def test_rollout_status_follows_a_statefulset_until_its_pods_are_ready(
        kubectl, objects: Objects, namespace):
    """The statefulset controller makes db-0, then db-1 once db-0 is ready; the test
    starts each pod as its kubelet would."""
    labels = {"app": "db"}
    created = objects.create("statefulsets", {"metadata": {"name": "db"}, "spec": {
        "replicas": 2, "serviceName": "db", "selector": {"matchLabels": labels},
        "template": unscheduled_template(labels)}})
    # API defaulting gives RollingUpdate with partition 0, which rollout status requires
    assert created["spec"]["updateStrategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    with streaming(kubectl, "rollout", "status", "sts/db", "-n", namespace,
                   "--timeout=20s", "-v=6") as rollout:
        rollout.wait_for_text("Waiting for 2 pods to be ready...")
        rollout.wait_for(is_watch_request, stderr=True)
        assert start_pods(objects) == 1
        rollout.wait_for_text("Waiting for 1 pods to be ready...")
        assert start_pods(objects) == 1
        rollout.wait_for_text("partitioned roll out complete: 2 new pods have been updated...")
        assert rollout.finish() == 0
