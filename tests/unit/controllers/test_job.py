"""The Job controller (chaoszone.sim.controllers.job), with the test playing kubelet.
Fidelity cases ``ctl-008`` and ``ctl-009`` (controller part) from
shared/fidelity/controllers.yaml, and docs/k8s-semantics.md §10 (Job)."""

from __future__ import annotations

from typing import Any

from podlife import JOBS, PODS, events, finish, get, pods, remove, run

from chaoszone.sim.cluster import Cluster
from chaoszone.sim.registry import DeleteOptions

TRACKING = "batch.kubernetes.io/job-tracking"


def make(cluster: Cluster, name: str = "pi", *, pod_spec: dict[str, Any] | None = None,
         **spec: Any) -> dict[str, Any]:
    stored = cluster.registry.create(JOBS, "default", {
        "metadata": {"name": name},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
                                       "containers": [{"name": "main", "image": "perl"}],
                                       **(pod_spec or {})}},
                 **spec}})
    cluster.settle()
    return stored.obj


def status(cluster: Cluster, name: str = "pi") -> dict[str, Any]:
    return dict(get(cluster, JOBS, name)["status"])


def conditions(cluster: Cluster, name: str = "pi") -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c.get("reason", ""))
            for c in status(cluster, name).get("conditions") or []}


def active(cluster: Cluster) -> list[dict[str, Any]]:
    return pods(cluster, active_only=True)


def evict(cluster: Cluster, pod: dict[str, Any], *, disruption: bool = False) -> None:
    """What the taint-eviction controller does: DisruptionTarget, then a graceful delete."""
    name = pod["metadata"]["name"]
    if disruption:
        current = cluster.registry.get(PODS, "default", name).copy()
        current["status"].setdefault("conditions", []).append({
            "type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
            "message": "Taint manager: deleting due to NoExecute taint",
            "lastTransitionTime": cluster.clock.timestamp()})
        cluster.registry.update(PODS, "default", name, current, subresource="status")
    cluster.registry.delete(PODS, "default", name, DeleteOptions())
    cluster.settle()


def test_a_job_runs_its_pods_to_completion_and_counts_them(cluster: Cluster) -> None:
    job = make(cluster, completions=3, parallelism=2)
    created = pods(cluster)
    assert len(created) == 2
    uid = job["metadata"]["uid"]
    for pod in created:
        assert pod["metadata"]["generateName"] == "pi-"
        assert pod["metadata"]["finalizers"] == [TRACKING]
        assert pod["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "pi"
        assert pod["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] == uid
        assert pod["metadata"]["ownerReferences"][0]["uid"] == uid
    st = status(cluster)
    assert (st["active"], st["ready"], st["terminating"]) == (2, 0, 0)
    assert st["uncountedTerminatedPods"] == {}
    assert "startTime" in st
    for pod in created:
        run(cluster, pod)
    cluster.settle()
    assert status(cluster)["ready"] == 2
    for _ in range(3):
        for pod in active(cluster):
            finish(cluster, pod)
        cluster.settle()
    st = status(cluster)
    assert st["succeeded"] == 3 and "active" not in st
    assert conditions(cluster) == {"SuccessCriteriaMet": ("True", "CompletionsReached"),
                                   "Complete": ("True", "CompletionsReached")}
    assert st["completionTime"]
    assert all(TRACKING not in (p["metadata"].get("finalizers") or []) for p in pods(cluster))
    assert ("Completed", "Job completed") in events(cluster, "pi")


def test_failures_up_to_the_backoff_limit_are_replaced_after_a_growing_delay(
        cluster: Cluster) -> None:
    make(cluster, backoffLimit=2)
    finish(cluster, active(cluster)[0], succeeded=False)
    cluster.settle()
    assert status(cluster)["failed"] == 1
    assert active(cluster) == [], "the replacement waits 10 s"
    cluster.runtime.advance(10)
    assert len(active(cluster)) == 1
    finish(cluster, active(cluster)[0], succeeded=False)
    cluster.runtime.advance(19)
    assert active(cluster) == [], "then 20 s"
    cluster.runtime.advance(1)
    assert len(active(cluster)) == 1
    finish(cluster, active(cluster)[0], succeeded=False)
    cluster.settle()
    st = status(cluster)
    assert st["failed"] == 3
    assert conditions(cluster) == {"FailureTarget": ("True", "BackoffLimitExceeded"),
                                   "Failed": ("True", "BackoffLimitExceeded")}
    assert ("BackoffLimitExceeded", "Job has reached the specified backoff limit") in events(
        cluster, "pi")


def test_an_evicted_pod_counts_as_failed_and_is_replaced_at_once(cluster: Cluster) -> None:
    """TerminatingOrFailed (the default): a deleted pod that did not succeed is a failure,
    and its replacement does not wait for it to be gone (k8s-semantics §10)."""
    make(cluster, backoffLimit=6)
    old = active(cluster)[0]
    run(cluster, old, node="c1")
    evict(cluster, old)
    assert get(cluster, PODS, old["metadata"]["name"])["metadata"].get("deletionTimestamp")
    st = status(cluster)
    assert st["failed"] == 1 and st["terminating"] == 1
    assert len(active(cluster)) == 0, "the pod-failure backoff still applies"
    cluster.runtime.advance(10)
    assert len(active(cluster)) == 1
    assert TRACKING not in (get(cluster, PODS, old["metadata"]["name"])["metadata"]
                            .get("finalizers") or [])


def test_pod_replacement_policy_failed_waits_for_the_terminating_pod(cluster: Cluster) -> None:
    make(cluster, podReplacementPolicy="Failed")
    old = active(cluster)[0]
    run(cluster, old, node="c1")
    evict(cluster, old)
    cluster.runtime.advance(20)
    st = status(cluster)
    assert st["terminating"] == 1 and "failed" not in st
    assert len(pods(cluster)) == 1, "no replacement while the old pod is terminating"
    # the kubelet stops the containers: a deleted running pod ends Failed (1.27+)
    finish(cluster, get(cluster, PODS, old["metadata"]["name"]), succeeded=False)
    cluster.settle()
    assert status(cluster)["failed"] == 1
    remove(cluster, get(cluster, PODS, old["metadata"]["name"]))
    assert pods(cluster) == [], "counted, its finalizer is gone and so is the pod"
    cluster.runtime.advance(10)
    assert len(active(cluster)) == 1


def test_an_ignored_disruption_is_not_a_failure_and_is_replaced_once_failed(
        cluster: Cluster) -> None:
    """ctl-008: backoffLimit 0 with an Ignore rule for DisruptionTarget; the evicted pod
    is replaced only when it reaches phase Failed (podReplacementPolicy=Failed)."""
    job = make(cluster, backoffLimit=0, podFailurePolicy={"rules": [
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]})
    assert job["spec"]["podReplacementPolicy"] == "Failed"
    old = active(cluster)[0]
    run(cluster, old, node="c1")
    evict(cluster, old, disruption=True)
    cluster.runtime.advance(20)
    assert len(pods(cluster)) == 1, "still Terminating: no replacement"
    assert status(cluster)["terminating"] == 1
    finish(cluster, get(cluster, PODS, old["metadata"]["name"]), succeeded=False,
           conditions=[])
    cluster.settle()
    st = status(cluster)
    assert "failed" not in st, "an ignored failure is not counted"
    assert "Failed" not in conditions(cluster)
    cluster.runtime.advance(10)      # the pod-failure backoff counts ignored failures too
    assert len(active(cluster)) == 1


def test_a_fail_job_rule_on_an_exit_code_fails_the_job_at_once(cluster: Cluster) -> None:
    make(cluster, backoffLimit=6, podFailurePolicy={"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}}]})
    pod = active(cluster)[0]
    finish(cluster, pod, succeeded=False, exit_code=42)
    cluster.settle()
    assert conditions(cluster)["Failed"] == ("True", "PodFailurePolicy")
    failed = next(c for c in status(cluster)["conditions"] if c["type"] == "Failed")
    assert failed["message"] == (f"Container main for pod default/{pod['metadata']['name']} "
                                 "failed with exit code 42 matching FailJob rule at index 0")


def test_pods_pinned_by_node_name_are_replaced_on_the_same_node_until_the_limit(
        cluster: Cluster) -> None:
    """ctl-009 (kubelet rejects for an untolerated NoExecute taint): each rejection is a
    failure; the Job fails after backoffLimit+1 of them, every replacement on c1."""
    make(cluster, backoffLimit=2, pod_spec={"nodeName": "c1"})
    for round_ in range(3):
        (pod,) = active(cluster)
        assert pod["spec"]["nodeName"] == "c1"
        finish(cluster, pod, succeeded=False, reason="TaintToleration")
        cluster.runtime.advance(10 * 2 ** round_)
    assert status(cluster)["failed"] == 3
    assert conditions(cluster)["Failed"] == ("True", "BackoffLimitExceeded")
    assert active(cluster) == []


def test_the_active_deadline_deletes_the_pods_and_fails_once_they_are_gone(
        cluster: Cluster) -> None:
    make(cluster, activeDeadlineSeconds=30, parallelism=2, completions=4)
    for pod in active(cluster):
        run(cluster, pod, node="n1")
    cluster.runtime.advance(31)
    assert conditions(cluster) == {"FailureTarget": ("True", "DeadlineExceeded")}
    assert all(p["metadata"].get("deletionTimestamp") for p in pods(cluster))
    st = status(cluster)
    assert st["terminating"] == 2 and st["failed"] == 2
    for pod in pods(cluster):
        remove(cluster, pod)
    cluster.settle()
    assert conditions(cluster)["Failed"] == ("True", "DeadlineExceeded")
    assert ("DeadlineExceeded", "Job was active longer than specified deadline") in events(
        cluster, "pi")


def test_suspending_deletes_the_active_pods_and_resuming_starts_again(
        cluster: Cluster) -> None:
    make(cluster, parallelism=2, completions=2)
    job = cluster.registry.get(JOBS, "default", "pi").copy()
    job["spec"]["suspend"] = True
    cluster.registry.update(JOBS, "default", "pi", job)
    cluster.settle()
    assert active(cluster) == []
    assert conditions(cluster) == {"Suspended": ("True", "JobSuspended")}
    job = cluster.registry.get(JOBS, "default", "pi").copy()
    job["spec"]["suspend"] = False
    cluster.registry.update(JOBS, "default", "pi", job)
    cluster.settle()
    assert len(active(cluster)) == 2
    assert conditions(cluster) == {"Suspended": ("False", "JobResumed")}


def test_an_indexed_job_gives_each_pod_its_index(cluster: Cluster) -> None:
    make(cluster, completions=3, parallelism=3, completionMode="Indexed")
    by_index = {p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]: p
                for p in active(cluster)}
    assert sorted(by_index) == ["0", "1", "2"]
    pod = by_index["1"]
    assert pod["metadata"]["generateName"] == "pi-1-"
    assert pod["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == "1"
    assert pod["spec"]["hostname"] == "pi-1"
    assert {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
        "apiVersion": "v1",
        "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}} \
        in pod["spec"]["containers"][0]["env"]
    finish(cluster, by_index["0"])
    finish(cluster, by_index["2"])
    cluster.settle()
    assert status(cluster)["completedIndexes"] == "0,2"
    finish(cluster, by_index["1"])
    cluster.settle()
    st = status(cluster)
    assert st["completedIndexes"] == "0-2" and st["succeeded"] == 3
    assert conditions(cluster)["Complete"] == ("True", "CompletionsReached")


def test_a_success_policy_completes_an_indexed_job_early(cluster: Cluster) -> None:
    make(cluster, completions=3, parallelism=3, completionMode="Indexed",
         successPolicy={"rules": [{"succeededIndexes": "0"}]})
    for pod in active(cluster):
        run(cluster, pod, node="n1")
    leader = next(p for p in active(cluster) if p["metadata"]["annotations"][
        "batch.kubernetes.io/job-completion-index"] == "0")
    finish(cluster, leader)
    cluster.settle()
    assert conditions(cluster) == {"SuccessCriteriaMet": ("True", "SuccessPolicy")}
    assert active(cluster) == [], "the other indexes are deleted"
    for pod in pods(cluster):
        if pod["metadata"].get("deletionTimestamp"):
            remove(cluster, pod)
    cluster.settle()
    assert conditions(cluster)["Complete"] == ("True", "SuccessPolicy")


def test_pods_of_a_deleted_job_lose_their_tracking_finalizer_and_go(cluster: Cluster) -> None:
    make(cluster, parallelism=2, completions=2)
    for pod in active(cluster):
        run(cluster, pod, node="n1")
    cluster.registry.delete(JOBS, "default", "pi", DeleteOptions())
    cluster.settle()
    assert cluster.store.get(JOBS, "default", "pi") is None
    left = pods(cluster)
    assert left and all(p["metadata"].get("deletionTimestamp") for p in left)
    assert all(TRACKING not in (p["metadata"].get("finalizers") or []) for p in left)
    for pod in left:
        remove(cluster, pod)
    cluster.settle()
    assert pods(cluster) == []
