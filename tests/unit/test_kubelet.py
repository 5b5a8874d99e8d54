"""The simulated kubelet: heartbeats, pod lifecycle, termination, power and partitions."""

from __future__ import annotations

from typing import Any

import pytest

from chaoszone.sim import programs
from chaoszone.sim.cluster import Cluster
from chaoszone.sim.kubelet import KubeletEnv, Kubelets, KubeletSettings
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.resources import by_path

PODS = by_path("", "v1", "pods")
NODES = by_path("", "v1", "nodes")
LEASES = by_path("coordination.k8s.io", "v1", "leases")
assert PODS is not None and NODES is not None and LEASES is not None


class Machine:
    """A cluster with one node and its kubelet, driven by a manual clock."""

    def __init__(self) -> None:
        self.cluster = Cluster(manual_clock=True)
        self.power: dict[str, str] = {}
        self.network: dict[str, str] = {}
        assert NODES is not None
        self.cluster.registry.create(NODES, None, {
            "metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "n1"}},
            "spec": {"podCIDR": "10.244.1.0/24"},
            "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.3"}]}})
        env = KubeletEnv(power=lambda n: self.power.get(n, "on"),
                         network=lambda n: self.network.get(n, "connected"),
                         logs=self.cluster.logs, issue_token=self.cluster.issue_token,
                         endpoint=lambda: None)
        self.kubelets = Kubelets(self.cluster.runtime, env, KubeletSettings())
        self.kubelets.start("n1")
        self.cluster.settle()

    def advance(self, seconds: float) -> None:
        self.cluster.runtime.advance(seconds)

    def pod(self, name: str) -> dict[str, Any] | None:
        assert PODS is not None
        stored = self.cluster.store.get(PODS, "default", name)
        return None if stored is None else stored.obj

    def create_pod(self, name: str, annotations: dict[str, str] | None = None,
                   restart: str = "Always", **spec: Any) -> None:
        assert PODS is not None
        self.cluster.registry.create(PODS, "default", {
            "metadata": {"name": name, "annotations": annotations or {}},
            "spec": {"nodeName": "n1", "restartPolicy": restart,
                     "containers": [{"name": "c", "image": "busybox"}], **spec}})
        self.cluster.settle()

    def switch(self, power: str | None = None, network: str | None = None) -> None:
        if power is not None:
            self.power["n1"] = power
        if network is not None:
            self.network["n1"] = network
        self.kubelets.on_switch("n1")
        self.cluster.settle()


def phase(pod: dict[str, Any] | None) -> str:
    assert pod is not None
    return str(pod["status"]["phase"])


def ready(pod: dict[str, Any] | None) -> bool:
    assert pod is not None
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in pod["status"].get("conditions", []))


def renew_time(m: Machine) -> str:
    assert LEASES is not None
    lease = m.cluster.store.get(LEASES, "kube-node-lease", "n1")
    assert lease is not None
    return str(lease.obj["spec"]["renewTime"])


def test_the_kubelet_renews_its_lease_every_quarter_of_its_duration() -> None:
    m = Machine()
    first = renew_time(m)
    m.advance(9)
    assert renew_time(m) == first
    m.advance(1)
    assert renew_time(m) > first


def test_the_kubelet_posts_its_node_ready() -> None:
    m = Machine()
    assert NODES is not None
    node = m.cluster.store.get(NODES, "", "n1")
    assert node is not None
    conditions = {c["type"]: c for c in node.obj["status"]["conditions"]}
    assert conditions["Ready"]["status"] == "True"
    assert conditions["Ready"]["reason"] == "KubeletReady"


def test_a_bound_pod_starts_after_its_start_delay_and_becomes_ready_after_its_ready_delay(
) -> None:
    m = Machine()
    m.create_pod("web", {"chaoszone.io/start-seconds": "3", "chaoszone.io/ready-seconds": "2"})
    pod = m.pod("web")
    assert phase(pod) == "Pending"
    assert pod is not None
    waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "ContainerCreating"
    m.advance(3)
    assert phase(m.pod("web")) == "Running" and not ready(m.pod("web"))
    m.advance(2)
    assert ready(m.pod("web"))
    pod = m.pod("web")
    assert pod is not None
    assert pod["status"]["podIP"].startswith("10.244.1.")
    assert pod["status"]["hostIP"] == "172.18.0.3"


def test_a_job_container_completes_with_its_exit_code() -> None:
    m = Machine()
    m.create_pod("ok", {"chaoszone.io/run-seconds": "5"}, restart="Never")
    m.create_pod("bad", {"chaoszone.io/run-seconds": "5", "chaoszone.io/exit-code": "3"},
                 restart="Never")
    m.advance(7)
    assert phase(m.pod("ok")) == "Succeeded"
    assert phase(m.pod("bad")) == "Failed"
    bad = m.pod("bad")
    assert bad is not None
    assert bad["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3


def test_a_deleted_pod_is_removed_by_its_kubelet_after_it_stops() -> None:
    m = Machine()
    m.create_pod("web", {"chaoszone.io/stop-seconds": "4"})
    m.advance(2)
    assert PODS is not None
    m.cluster.registry.delete(PODS, "default", "web", DeleteOptions())
    m.cluster.settle()
    pod = m.pod("web")
    assert pod is not None and pod["metadata"]["deletionTimestamp"]
    m.advance(4)
    assert m.pod("web") is None


def test_a_pod_not_tolerating_a_noexecute_taint_is_rejected_at_admission() -> None:
    # fidelity nu-007; the taint eviction controller may delete the pod right after, as
    # upstream's does, so the kubelet's verdict is read from the pod's history.
    m = Machine()
    assert NODES is not None
    node = m.cluster.store.get(NODES, "", "n1")
    assert node is not None
    new = node.copy()
    new["spec"]["taints"] = [{"key": "maintenance", "effect": "NoExecute"}]
    m.cluster.registry.update(NODES, None, "n1", new)
    statuses: list[dict[str, Any]] = []
    m.cluster.runtime.listen(lambda e: statuses.append(e.new.obj.get("status") or {})
                             if e.resource is PODS else None)
    m.create_pod("p")
    assert {"phase": "Failed", "reason": "TaintToleration"}.items() <= statuses[-1].items()
    assert not any(s.get("phase") == "Running" for s in statuses)


def test_a_powered_off_node_stops_heartbeats_and_restarts_containers_when_back() -> None:
    m = Machine()
    m.create_pod("web")
    m.advance(2)
    assert ready(m.pod("web"))
    m.switch(power="off")
    before = renew_time(m)
    m.advance(60)
    assert renew_time(m) == before
    m.switch(power="on")
    assert renew_time(m) > before
    m.advance(2)
    pod = m.pod("web")
    assert ready(pod)
    assert pod is not None and pod["status"]["containerStatuses"][0]["restartCount"] == 1


def test_a_pod_deleted_while_its_node_was_partitioned_is_killed_on_reconnect() -> None:
    m = Machine()
    m.create_pod("web")
    m.advance(2)
    m.switch(network="partitioned")
    assert PODS is not None
    m.cluster.registry.delete(PODS, "default", "web", DeleteOptions())
    m.advance(30)
    assert m.pod("web") is not None  # Terminating: nobody to finish it
    m.switch(network="connected")
    m.advance(1)
    assert m.pod("web") is None


def test_a_paused_node_carries_on_where_it_stopped() -> None:
    m = Machine()
    m.create_pod("web")
    m.advance(2)
    m.switch(power="paused")
    before = renew_time(m)
    m.advance(30)
    assert renew_time(m) == before
    m.switch(power="on")
    assert renew_time(m) > before
    pod = m.pod("web")
    assert pod is not None and pod["status"]["containerStatuses"][0]["restartCount"] == 0


def mark_not_ready(m: Machine, name: str) -> None:
    """What the node lifecycle controller's MarkPodsNotReady writes."""
    assert PODS is not None
    stored = m.cluster.store.get(PODS, "default", name)
    assert stored is not None
    status = dict(stored.obj["status"])
    status["conditions"] = [dict(c, status="False") if c["type"] == "Ready" else c
                            for c in status["conditions"]]
    m.cluster.registry.update(PODS, "default", name, {
        "metadata": {"resourceVersion": stored.meta["resourceVersion"],
                     "uid": stored.meta["uid"]}, "status": status}, subresource="status")


def test_a_healed_node_puts_back_the_ready_condition_marked_false_while_it_was_away() -> None:
    m = Machine()
    m.create_pod("web")
    m.advance(2)
    m.switch(network="partitioned")
    mark_not_ready(m, "web")
    m.advance(30)
    assert not ready(m.pod("web"))
    m.switch(network="connected")
    assert ready(m.pod("web"))


def test_the_status_sync_rewrites_a_ready_condition_someone_else_changed_within_its_period(
) -> None:
    m = Machine()
    m.create_pod("web")
    m.advance(2)
    mark_not_ready(m, "web")
    assert not ready(m.pod("web"))
    m.advance(10)
    assert ready(m.pod("web"))


def test_a_container_naming_an_unregistered_program_exits_127() -> None:
    m = Machine()
    m.create_pod("job", restart="Never",
                 containers=[{"name": "c", "image": "chaoszone",
                              "command": ["chaoszone-program:nothing-here"]}])
    m.advance(2)
    pod = m.pod("job")
    assert phase(pod) == "Failed"
    assert pod is not None
    assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 127


def test_a_program_name_must_be_one_word() -> None:
    with pytest.raises(ValueError, match="one word"):
        programs.register("two words", lambda ctx: 0)
