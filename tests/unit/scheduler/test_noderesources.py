"""NodeResourcesFit, NodePorts and the resource scores: requests against allocatable,
the pod count, host port conflicts, LeastAllocated and BalancedAllocation."""

from __future__ import annotations

from schedkit import World, node, pod

from chaoszone.sim.scheduler.types import pod_requests


def test_requests_must_fit_what_is_left_and_every_shortage_is_a_reason() -> None:
    world = World([node("small", cpu="1", memory="1Gi")],
                  [pod("big", node="small", cpu="800m", memory="900Mi")])
    status = world.verdicts("NodeResourcesFit", pod("p", cpu="300m", memory="200Mi"))["small"]
    assert status is not None and status.code.name == "Unschedulable"
    assert status.reasons == ["Insufficient cpu", "Insufficient memory"]


def test_a_full_node_has_too_many_pods_even_for_a_best_effort_pod() -> None:
    world = World([node("n", pods="1")], [pod("there", node="n")])
    status = world.verdicts("NodeResourcesFit", pod("p"))["n"]
    assert status is not None and status.reasons == ["Too many pods"]


def test_completed_pods_free_their_resources() -> None:
    world = World([node("n", cpu="1")], [pod("done", node="n", cpu="1", phase="Succeeded")])
    assert world.codes("NodeResourcesFit", pod("p", cpu="1")) == {"n": "Success"}


def test_init_containers_and_sidecars_count_as_upstream_computes_them() -> None:
    spec = {"containers": [{"name": "a", "resources": {"requests": {"cpu": "100m"}}}],
            "initContainers": [
                {"name": "side", "restartPolicy": "Always",
                 "resources": {"requests": {"cpu": "200m"}}},
                {"name": "init", "resources": {"requests": {"cpu": "500m"}}}],
            "overhead": {"cpu": "10m"}}
    # max(containers + sidecars = 300m, init peak = 500m + 200m) + overhead
    assert pod_requests(spec).milli_cpu == 710


def test_least_allocated_prefers_the_emptier_node() -> None:
    world = World([node("busy", cpu="4", memory="8Gi"), node("idle", cpu="4", memory="8Gi")],
                  [pod("x", node="busy", cpu="2", memory="4Gi")])
    scores = world.scores("NodeResourcesFit", pod("p", cpu="1", memory="1Gi"))
    assert scores["idle"] > scores["busy"]
    assert scores["idle"] == ((4000 - 1000) * 100 // 4000 + (8 - 1) * 100 // 8) // 2


def test_a_pod_without_requests_counts_the_defaults_for_least_allocated() -> None:
    world = World([node("n", cpu="1", memory="1000Mi")])
    # 100m of 1000m and 200Mi of 1000Mi used: (90 + 80) / 2
    assert world.scores("NodeResourcesFit", pod("p")) == {"n": 85}


def test_balanced_allocation_prefers_equal_cpu_and_memory_fractions() -> None:
    world = World([node("n", cpu="4", memory="4Gi")])
    assert world.scores("NodeResourcesBalancedAllocation",
                        pod("p", cpu="2", memory="1Gi")) == {"n": 87}


def test_host_ports_conflict_on_the_same_protocol_and_port() -> None:
    ports = [{"containerPort": 80, "hostPort": 8080}]
    world = World([node("n1"), node("n2")],
                  [pod("web", node="n1", containers=[{"name": "c", "ports": ports}])])
    incoming = pod("p", containers=[{"name": "c", "ports": ports}])
    assert world.codes("NodePorts", incoming) == {"n1": "Unschedulable", "n2": "Success"}
    udp = pod("q", containers=[{"name": "c", "ports": [
        {"containerPort": 80, "hostPort": 8080, "protocol": "UDP"}]}])
    assert world.codes("NodePorts", udp) == {"n1": "Success", "n2": "Success"}
    status = world.verdicts("NodePorts", incoming)["n1"]
    assert status is not None
    assert status.message() == "node(s) didn't have free ports for the requested pod ports"
