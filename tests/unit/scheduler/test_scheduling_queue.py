"""The scheduling queue: priority order, backoff, and which events wake which pods."""

from __future__ import annotations

from schedkit import pod

from chaoszone.sim.scheduler import events as ev
from chaoszone.sim.scheduler.queue import SchedulingQueue
from chaoszone.sim.scheduler.types import PodInfo


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_higher_priority_pods_come_first_then_the_earlier_ones() -> None:
    clock = FakeClock()
    queue = SchedulingQueue(clock)
    queue.add(PodInfo(pod("low")))
    clock.now = 1
    queue.add(PodInfo(pod("high", priority=10)))
    queue.add(PodInfo(pod("later")))
    names = []
    while (qp := queue.pop()) is not None:
        names.append(qp.info.name)
    assert names == ["high", "low", "later"]


def test_backoff_starts_at_one_second_and_doubles_up_to_ten() -> None:
    clock = FakeClock()
    queue = SchedulingQueue(clock)
    queue.add(PodInfo(pod("p")))
    waits = []
    for _ in range(6):
        qp = queue.pop()
        assert qp is not None
        queue.error_failure(qp)
        deadline = queue.next_backoff_deadline()
        assert deadline is not None
        waits.append(deadline - clock.now)
        clock.now = deadline
        assert queue.flush_backoff() == 1
    assert waits == [1, 2, 4, 8, 10, 10]


def test_an_event_wakes_only_pods_rejected_by_a_plugin_that_cares() -> None:
    clock = FakeClock()
    queue = SchedulingQueue(clock)
    for name, plugin in (("tainted", "TaintToleration"), ("spread", "PodTopologySpread")):
        queue.add(PodInfo(pod(name)))
        qp = queue.pop()
        assert qp is not None
        queue.unschedulable_failure(qp, frozenset({plugin}))
    clock.now = 30
    events = {"TaintToleration": frozenset({ev.NODE_TAINT}),
              "PodTopologySpread": frozenset({ev.ASSIGNED_POD_DELETE})}
    assert queue.move_for_event(ev.ASSIGNED_POD_DELETE, events) == 1
    qp = queue.pop()
    assert qp is not None and qp.info.name == "spread"
    assert queue.pop() is None


def test_a_recent_failure_waits_out_its_backoff_before_retrying() -> None:
    clock = FakeClock()
    queue = SchedulingQueue(clock)
    queue.add(PodInfo(pod("p")))
    qp = queue.pop()
    assert qp is not None
    queue.unschedulable_failure(qp, frozenset())
    clock.now = 0.5
    assert queue.move_for_event(ev.NODE_ADD, {}) == 0
    assert queue.pop() is None
    clock.now = 1.0
    assert queue.flush_backoff() == 1


def test_unschedulable_pods_are_retried_after_five_minutes_anyway() -> None:
    clock = FakeClock()
    queue = SchedulingQueue(clock)
    queue.add(PodInfo(pod("p")))
    qp = queue.pop()
    assert qp is not None
    queue.unschedulable_failure(qp, frozenset({"NodeAffinity"}))
    clock.now = 299
    assert queue.flush_unschedulable_leftover() == 0
    clock.now = 301
    assert queue.flush_unschedulable_leftover() == 1
