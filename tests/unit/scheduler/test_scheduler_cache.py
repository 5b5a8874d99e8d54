"""The scheduler's cache: node infos follow pod and node changes, completed pods leave,
terminating pods stay (but stop counting for spread), selector counts stay exact."""

from __future__ import annotations

import copy

from schedkit import node, pod

from chaoszone.sim.scheduler.cache import Cache
from chaoszone.sim.selectors import LabelSelector

WEB = LabelSelector.from_set({"app": "web"})


def test_requests_follow_pods_as_they_come_change_and_go() -> None:
    cache = Cache()
    cache.add_node(node("n", cpu="4"))
    cache.add_pod(pod("a", node="n", cpu="1"))
    cache.add_pod(pod("b", node="n", cpu="2"))
    info = cache.get("n")
    assert info is not None and info.requested.milli_cpu == 3000 and info.free[0] == 108
    done = pod("a", node="n", cpu="1", phase="Succeeded")
    cache.update_pod(done)
    assert info.requested.milli_cpu == 2000
    cache.remove_pod(("default", "b"))
    assert info.requested.milli_cpu == 0 and not info.pods


def test_a_status_update_keeps_the_pods_parse_and_a_new_spec_does_not() -> None:
    cache = Cache()
    cache.add_node(node("n"))
    first = cache.add_pod(pod("a", node="n", cpu="1"))
    running = copy.deepcopy(pod("a", node="n", cpu="1"))
    running["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    again = cache.update_pod(running)
    assert again is not None and first is not None
    assert again.requests is first.requests and again.pod is running
    resized = pod("a", node="n", cpu="2")
    assert cache.update_pod(resized).requests.milli_cpu == 2000  # type: ignore[union-attr]


def test_selector_counts_drop_terminating_pods_and_follow_label_changes() -> None:
    cache = Cache()
    cache.add_node(node("n1"))
    cache.add_node(node("n2"))
    cache.add_pod(pod("a", node="n1", labels={"app": "web"}))
    counts = cache.matching_counts("default", WEB)
    assert dict(counts) == {"n1": 1}
    cache.add_pod(pod("b", node="n2", labels={"app": "web"}))
    cache.update_pod(pod("a", node="n1", labels={"app": "web"}, terminating=True))
    assert dict(counts) == {"n2": 1}
    cache.update_pod(pod("b", node="n2", labels={"app": "db"}))
    assert dict(counts) == {}
    domains = {"n1": "a", "n2": "b"}
    sums = cache.domain_counts("default", WEB, domains)
    assert dict(sums) == {"a": 0, "b": 0}
    cache.add_pod(pod("c", node="n2", labels={"app": "web"}))
    assert dict(sums) == {"a": 0, "b": 1}


def test_a_deleted_node_keeps_its_pods_accounted_until_they_go() -> None:
    cache = Cache()
    cache.add_node(node("n"))
    cache.add_pod(pod("a", node="n"))
    cache.remove_node("n")
    assert cache.get("n") is None and not cache.node_infos()
    cache.add_node(node("n"))
    info = cache.get("n")
    assert info is not None and list(info.pods) == [("default", "a")]


def test_an_assumed_pod_counts_until_it_is_bound_or_forgotten() -> None:
    from chaoszone.sim.scheduler.types import PodInfo

    cache = Cache()
    cache.add_node(node("n", cpu="1"))
    pending = PodInfo(pod("p", cpu="1"))
    cache.assume(pending, "n")
    info = cache.get("n")
    assert info is not None and info.requested.milli_cpu == 1000
    cache.forget(pending.key)
    assert info.requested.milli_cpu == 0
    cache.assume(pending, "n")
    bound = cache.update_pod(pod("p", cpu="1", node="n"))
    assert bound is not None and bound.requests is pending.requests
    assert not cache.is_assumed(pending.key)
