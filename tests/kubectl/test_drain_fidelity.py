"""The `kubectl drain` fidelity cases (/work/shared/fidelity/drain.yaml, upstream
kubectl pkg/cmd/drain TestDrain and pkg/drain): one pod on the node, kubectl's verdict
(exit code, message) and the pod's fate.

kubectl decides a pod's fate from its controller ownerReference (kind, and for a
DaemonSet a GET of that name) and from its phase, volumes and annotations. Where a case
names an owner the simulator cannot hold as in a real cluster, the pod carries the
ownerReference alone:

* ReplicationController is not served: the garbage collector cannot map the kind, so it
  leaves the pod alone (as kube-controller-manager's does with an unmappable owner).
* A DaemonSet pod whose DaemonSet is gone would be collected at once by the garbage
  collector, and a finished pod of a live DaemonSet deleted by the DaemonSet controller;
  these pods' reference says ``apps/v1beta2`` (no longer served), which kubectl ignores
  (it reads only Kind and Name) and which keeps both controllers away.

Pods have ``terminationGracePeriodSeconds: 0`` so that, with no kubelet, an eviction
deletes them at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from kubectl_support import (
    Objects,
    daemon_pod,
    owner,
    pod_template,
    replica_on,
    running_status,
    streaming,
)

pytestmark = pytest.mark.kubectl

#: a DaemonSet group version the API no longer serves (see the module docstring)
GONE_DAEMONSET_VERSION = "apps/v1beta2"


def controller_ref(api_version: str, kind: str, name: str) -> dict[str, Any]:
    """A controller ownerReference to an object the cluster does not hold."""
    return {"apiVersion": api_version, "kind": kind, "name": name,
            "uid": str(uuid.uuid4()), "controller": True, "blockOwnerDeletion": True}


def finished_status(phase: str, now: str) -> dict[str, Any]:
    """What a kubelet writes once the pod's only container has exited."""
    code = 0 if phase == "Succeeded" else 1
    return {"phase": phase, "startTime": now, "hostIP": "10.0.0.11",
            "containerStatuses": [{
                "name": "app", "image": "registry.k8s.io/nginx:1.27", "imageID": "",
                "containerID": f"containerd://app{'0' * 20}", "ready": False,
                "started": False, "restartCount": 0,
                "state": {"terminated": {"exitCode": code, "startedAt": now,
                                         "finishedAt": now,
                                         "reason": "Completed" if code == 0 else "Error"}}}]}


def put_pod(objects: Objects, name: str, node: str, *,
            owners: list[dict[str, Any]] | None = None, phase: str = "Running",
            empty_dir: bool = False, annotations: dict[str, str] | None = None
            ) -> dict[str, Any]:
    """A pod bound to ``node``, in ``phase`` as its kubelet would report it."""
    spec: dict[str, Any] = {"nodeName": node, "terminationGracePeriodSeconds": 0,
                            "restartPolicy": "Never" if phase != "Running" else "Always",
                            "containers": [{"name": "app", "image": "registry.k8s.io/nginx:1.27"}]}
    if empty_dir:
        spec["volumes"] = [{"name": "scratch", "emptyDir": {}}]
        spec["containers"][0]["volumeMounts"] = [{"name": "scratch", "mountPath": "/scratch"}]
    meta: dict[str, Any] = {"name": name}
    if owners:
        meta["ownerReferences"] = owners
    if annotations:
        meta["annotations"] = annotations
    objects.create("pods", {"metadata": meta, "spec": spec})
    return objects.set_status("pods", name, lambda p: (
        running_status(["app"], p["metadata"]["creationTimestamp"]) if phase == "Running"
        else finished_status(phase, p["metadata"]["creationTimestamp"])))


def drained(proc: Any, node: str) -> None:
    """kubectl succeeded, cordoned the node first and reported it drained last."""
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[0] == f"node/{node} cordoned"
    assert out[-1] == f"node/{node} drained"


def test_dr_001_a_pod_of_a_replication_controller_is_evicted_without_flags(
        kubectl, objects: Objects, namespace):
    """dr-001: an RC-managed pod is evicted with no flags (ReplicationController is not
    served: the pod carries the controller ownerReference kubectl decides from)."""
    node = objects.node("a")
    put_pod(objects, "frontend-x7k2p", node,
            owners=[controller_ref("v1", "ReplicationController", "frontend")])
    assert objects.names("pods") == ["frontend-x7k2p"]
    proc = kubectl.run("drain", node, "--timeout=30s", check=False)
    drained(proc, node)
    assert "pod/frontend-x7k2p evicted" in proc.stdout.splitlines()
    assert objects.names("pods") == []


def test_dr_003_a_finished_daemonset_pod_is_evicted_without_flags(
        kubectl, objects: Objects, namespace):
    """dr-003: a Succeeded DaemonSet pod is deletable with no flags: kubectl does not even
    look its DaemonSet up."""
    node = objects.node("a")
    put_pod(objects, "agent-done", node, phase="Succeeded",
            owners=[controller_ref(GONE_DAEMONSET_VERSION, "DaemonSet", "agent")])
    proc = kubectl.run("drain", node, "--timeout=30s", check=False)
    drained(proc, node)
    assert "DaemonSet" not in proc.stderr
    assert objects.names("pods") == []


def test_dr_004_a_pod_of_a_missing_daemonset_is_fatal_without_force(
        kubectl, objects: Objects, namespace):
    """dr-004: a running DaemonSet pod whose DaemonSet does not exist stops the drain
    (without --force), and the pod stays."""
    node = objects.node("a")
    put_pod(objects, "agent-orphan", node,
            owners=[controller_ref(GONE_DAEMONSET_VERSION, "DaemonSet", "agent")])
    proc = kubectl.run("drain", node, "--timeout=30s", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f'cannot delete daemonsets.apps "agent" not found: {namespace}/agent-orphan' \
        in proc.stderr
    assert f"node/{node} drained" not in proc.stdout
    assert objects.names("pods") == ["agent-orphan"]


def test_dr_006_a_daemonset_pod_is_left_in_place_with_ignore_daemonsets(
        kubectl, objects: Objects, namespace):
    """dr-006: with --ignore-daemonsets a pod of a live DaemonSet is warned about and
    left, and the node is drained."""
    node = objects.node("a")
    template = pod_template({"app": "agent"})
    template["spec"]["nodeSelector"] = {"kubernetes.io/hostname": node}
    objects.create("daemonsets", {"metadata": {"name": "agent"}, "spec": {
        "selector": {"matchLabels": {"app": "agent"}}, "template": template}})
    agent = daemon_pod(kubectl, objects, node)
    proc = kubectl.run("drain", node, "--ignore-daemonsets", "--timeout=30s", check=False)
    drained(proc, node)
    assert f"Warning: ignoring DaemonSet-managed Pods: {namespace}/{agent}" in proc.stderr
    assert objects.names("pods") == [agent]


def job_pod(objects: Objects, node: str) -> str:
    """The pod the Job controller makes for a one-pod Job with an emptyDir volume, bound
    and started by the test as the scheduler and the kubelet would."""
    template = pod_template({"app": "batch"})
    template["spec"].update(restartPolicy="Never", terminationGracePeriodSeconds=0,
                            volumes=[{"name": "scratch", "emptyDir": {}}])
    job = objects.create("jobs", {"metadata": {"name": "batch"}, "spec": {
        "template": template, "backoffLimit": 0}})
    pods = [name for name in objects.names("pods") if name.startswith("batch-")]
    assert len(pods) == 1, pods
    name = pods[0]
    pod = objects.get("pods", name)
    assert pod is not None
    assert pod["metadata"]["ownerReferences"][0]["uid"] == job["metadata"]["uid"]
    objects.call(lambda cluster: cluster.registry.bind(
        objects.namespace, name, {"target": {"name": node}}))
    objects.set_status("pods", name, lambda p: running_status(
        ["app"], p["metadata"]["creationTimestamp"]))
    return name


def test_dr_008_a_job_pod_with_an_empty_dir_is_evicted_with_both_flags(
        kubectl, objects: Objects, namespace):
    """dr-008: a running Job pod with an emptyDir volume is evicted with --force
    --delete-emptydir-data=true."""
    node = objects.node("a")
    name = job_pod(objects, node)
    proc = kubectl.run("drain", node, "--force", "--delete-emptydir-data=true",
                       "--timeout=30s", check=False)
    drained(proc, node)
    assert f"pod/{name} evicted" in proc.stdout.splitlines()
    assert name not in objects.names("pods")


def test_dr_009_a_finished_job_pod_with_an_empty_dir_needs_no_flags(
        kubectl, objects: Objects, namespace):
    """dr-009: a Succeeded Job pod with an emptyDir volume is evicted with no flags."""
    node = objects.node("a")
    name = job_pod(objects, node)
    objects.set_status("pods", name, lambda p: finished_status(
        "Succeeded", p["metadata"]["creationTimestamp"]))
    proc = kubectl.run("drain", node, "--timeout=30s", check=False)
    drained(proc, node)
    assert f"pod/{name} evicted" in proc.stdout.splitlines()
    assert name not in objects.names("pods")


def test_dr_010_a_replicaset_pod_is_evicted_without_flags(
        kubectl, objects: Objects, namespace):
    """dr-010: a ReplicaSet's pod is evicted with no flags (and replaced elsewhere)."""
    node = objects.node("a")
    name = replica_on(objects, "web-7f9c", {"app": "web"}, node)
    proc = kubectl.run("drain", node, "--timeout=30s", check=False)
    drained(proc, node)
    assert f"pod/{name} evicted" in proc.stdout.splitlines()
    left = objects.names("pods")
    assert name not in left
    assert len(left) == 1  # the ReplicaSet's replacement, not on the node


def test_dr_012_a_naked_pod_is_deleted_with_force(kubectl, objects: Objects, namespace):
    """dr-012: a pod without a controller is evicted with --force, with a warning."""
    node = objects.node("a")
    put_pod(objects, "bare", node)
    proc = kubectl.run("drain", node, "--force", "--timeout=30s", check=False)
    drained(proc, node)
    assert f"Warning: deleting Pods that declare no controller: {namespace}/bare" \
        in proc.stderr
    assert objects.names("pods") == []


def test_dr_014_a_failed_naked_pod_with_an_empty_dir_needs_no_flags(
        kubectl, objects: Objects, namespace):
    """dr-014: a Failed pod without a controller, with an emptyDir volume, is evicted
    with no flags."""
    node = objects.node("a")
    put_pod(objects, "crashed", node, phase="Failed", empty_dir=True)
    proc = kubectl.run("drain", node, "--timeout=30s", check=False)
    drained(proc, node)
    assert objects.names("pods") == []


def test_dr_015_a_naked_pod_with_an_empty_dir_is_evicted_with_both_flags(
        kubectl, objects: Objects, namespace):
    """dr-015: a running pod without a controller, with an emptyDir volume, is evicted
    with --force --delete-emptydir-data=true."""
    node = objects.node("a")
    put_pod(objects, "scratchy", node, empty_dir=True)
    proc = kubectl.run("drain", node, "--force", "--delete-emptydir-data=true",
                       "--timeout=30s", check=False)
    drained(proc, node)
    # kubectl keeps only the last filter's verdict: the local-storage warning is not shown
    assert f"Warning: deleting Pods that declare no controller: {namespace}/scratchy" \
        in proc.stderr
    assert objects.names("pods") == []


def test_dr_016_an_empty_node_is_drained(kubectl, objects: Objects, namespace):
    """dr-016: draining a node without pods cordons it and reports it drained."""
    node = objects.node("a")
    proc = kubectl.run("drain", node, "--timeout=30s", check=False)
    drained(proc, node)
    assert proc.stdout.splitlines() == [f"node/{node} cordoned", f"node/{node} drained"]
    cordoned = objects.get("nodes", node)
    assert cordoned is not None
    assert cordoned["spec"]["unschedulable"] is True


def test_dr_017_a_mirror_pod_is_skipped_silently(kubectl, objects: Objects, namespace):
    """dr-017: a mirror (static) pod is neither evicted nor warned about."""
    node = objects.node("a")
    node_obj = objects.get("nodes", node)
    assert node_obj is not None
    put_pod(objects, f"etcd-{node}", node,
            owners=[owner("Node", node_obj, block=False) | {"controller": True}],
            annotations={"kubernetes.io/config.mirror": "abc",
                         "kubernetes.io/config.source": "file"})
    proc = kubectl.run("drain", node, "--timeout=30s", check=False)
    drained(proc, node)
    assert proc.stdout.splitlines() == [f"node/{node} cordoned", f"node/{node} drained"]
    assert "Warning" not in proc.stderr
    assert "error" not in proc.stderr
    assert objects.names("pods") == [f"etcd-{node}"]


def test_dr_018_a_disruption_budget_makes_drain_retry_every_5s_until_the_timeout(
        kubectl, objects: Objects, namespace):
    """dr-018: an eviction refused by a PodDisruptionBudget (disruptionsAllowed 0) is
    retried every 5s until --timeout, then kubectl fails with "global timeout reached";
    the node stays cordoned and the pod stays. (--timeout=6s instead of the case's 30s:
    the same first attempt, one retry, then the timeout.)"""
    node = objects.node("a")
    labels = {"app": "quorum"}
    name = replica_on(objects, "quorum-5d8b", labels, node)
    objects.create("poddisruptionbudgets", {"metadata": {"name": "quorum"}, "spec": {
        "minAvailable": 1, "selector": {"matchLabels": labels}}})
    pdb = objects.get("poddisruptionbudgets", "quorum")
    assert pdb is not None
    assert pdb["status"]["disruptionsAllowed"] == 0

    refused = (f'error when evicting pods/"{name}" -n "{namespace}" (will retry after 5s): '
               "Cannot evict pod as it would violate the pod's disruption budget.")
    with streaming(kubectl, "drain", node, "--timeout=6s") as drain:
        code = drain.finish(timeout=30)
        assert drain.err.count(refused) == 2, "\n".join(drain.err)
        assert code == 1
        assert any("global timeout reached: 6s" in line for line in drain.err), drain.err
        assert f"node/{node} drained" not in drain.out
    assert objects.names("pods") == [name]
    cordoned = objects.get("nodes", node)
    assert cordoned is not None
    assert cordoned["spec"]["unschedulable"] is True
