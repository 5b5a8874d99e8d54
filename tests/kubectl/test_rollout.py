"""`kubectl rollout` against the workload controllers: restart, history, undo, pause and
resume, and `scale`. The controllers write every status; the test plays the kubelet
for pods no scheduler serves."""

from __future__ import annotations

from typing import Any

import pytest
from kubectl_support import UNSCHEDULED, Objects, pod_template, rt, running_status

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.registry import DeleteOptions

pytestmark = pytest.mark.kubectl


def kubelet(objects: Objects) -> int:
    """Start every Pending pod of the namespace and remove the ones being deleted;
    returns how many pods changed."""
    def act(cluster: Cluster) -> int:
        pods = rt("pods")
        changed = 0
        for stored in list(cluster.store.items(pods, objects.namespace)):
            pod = stored.obj
            if pod["metadata"].get("deletionTimestamp"):
                cluster.registry.delete(pods, objects.namespace, stored.name,
                                        DeleteOptions(grace_period_seconds=0))
                changed += 1
            elif pod["status"].get("phase") == "Pending":
                current = stored.copy()
                current["status"] = running_status(
                    [c["name"] for c in pod["spec"]["containers"]], cluster.clock.timestamp())
                cluster.registry.update(pods, objects.namespace, stored.name, current,
                                        subresource="status")
                changed += 1
        return changed

    result: int = objects.call(act)
    return result


def settle(objects: Objects) -> None:
    """Play the kubelet until the controllers make no more pods to start or remove."""
    for _ in range(50):
        if not kubelet(objects):
            # the controllers run on the simulator's loop: give them one more turn
            objects.call(lambda cluster: None)
            if not kubelet(objects):
                return


def deployment(objects: Objects, replicas: int = 2) -> dict[str, Any]:
    template = pod_template({"app": "web"})
    template["spec"]["schedulerName"] = UNSCHEDULED
    made = objects.create("deployments", {"metadata": {"name": "web"}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
        "template": template}})
    settle(objects)
    return made


def images(objects: Objects) -> set[str]:
    def read(cluster: Cluster) -> set[str]:
        return {s.obj["spec"]["containers"][0]["image"]
                for s in cluster.store.items(rt("pods"), objects.namespace)}
    result: set[str] = objects.call(read)
    return result


def test_history_and_undo_go_back_to_the_previous_template(kubectl, objects: Objects,
                                                         namespace):
    deployment(objects)
    first = images(objects)
    kubectl.run("set", "image", "deployment/web", "app=nginx:1.28", "-n", namespace)
    settle(objects)
    kubectl.run("rollout", "status", "deployment/web", "-n", namespace, "--timeout=10s")
    assert images(objects) == {"nginx:1.28"}
    history = kubectl.run("rollout", "history", "deployment/web", "-n", namespace).stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]
    kubectl.run("rollout", "undo", "deployment/web", "-n", namespace)
    settle(objects)
    kubectl.run("rollout", "status", "deployment/web", "-n", namespace, "--timeout=10s")
    assert images(objects) == first
    history = kubectl.run("rollout", "history", "deployment/web", "-n", namespace).stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["2", "3"]
    assert len(objects.names("replicasets")) == 2, "undo reuses the first ReplicaSet"


def test_restart_replaces_every_pod(kubectl, objects: Objects, namespace):
    deployment(objects)
    before = set(objects.names("pods"))
    kubectl.run("rollout", "restart", "deployment/web", "-n", namespace)
    settle(objects)
    kubectl.run("rollout", "status", "deployment/web", "-n", namespace, "--timeout=10s")
    after = set(objects.names("pods"))
    assert len(after) == 2 and not after & before


def test_a_paused_rollout_waits_for_resume(kubectl, objects: Objects, namespace):
    deployment(objects)
    kubectl.run("rollout", "pause", "deployment/web", "-n", namespace)
    kubectl.run("set", "image", "deployment/web", "app=nginx:1.28", "-n", namespace)
    settle(objects)
    assert images(objects) != {"nginx:1.28"}
    described = kubectl.run("describe", "deployment", "web", "-n", namespace).stdout
    assert "DeploymentPaused" in described
    kubectl.run("rollout", "resume", "deployment/web", "-n", namespace)
    settle(objects)
    kubectl.run("rollout", "status", "deployment/web", "-n", namespace, "--timeout=10s")
    assert images(objects) == {"nginx:1.28"}


def test_scale_through_the_scale_subresource(kubectl, objects: Objects, namespace):
    deployment(objects)
    kubectl.run("scale", "deployment/web", "--replicas=4", "-n", namespace)
    settle(objects)
    out = kubectl.run("get", "deployment", "web", "-n", namespace, "--no-headers").stdout
    assert out.split()[1] == "4/4"
    kubectl.run("scale", "deployment/web", "--replicas=1", "-n", namespace)
    settle(objects)
    assert len(objects.names("pods")) == 1
