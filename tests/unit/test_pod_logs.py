"""Container logs: reading, and following with a cursor."""

from __future__ import annotations

from chaoszone.sim.clock import Clock
from chaoszone.sim.logs import Logs


def test_a_follower_reads_only_the_lines_written_after_its_cursor() -> None:
    logs = Logs(Clock())
    logs.write("ns", "pod", "app", "one")
    cursor = logs.cursor("ns", "pod", "app")
    assert logs.read_from("ns", "pod", "app", cursor) == ("", 1)
    logs.write("ns", "pod", "app", "two\nthree")
    assert logs.read_from("ns", "pod", "app", cursor) == ("two\nthree\n", 3)


def test_a_follower_that_fell_behind_the_kept_lines_gets_what_is_left() -> None:
    logs = Logs(Clock(), max_lines=2)
    for line in ("a", "b", "c", "d"):
        logs.write("ns", "pod", "app", line)
    assert logs.read_from("ns", "pod", "app", 0) == ("c\nd\n", 4)


def test_the_next_write_sets_the_changed_event_of_its_container_only() -> None:
    logs = Logs(Clock())
    mine, other = logs.changed("ns", "pod", "app"), logs.changed("ns", "pod", "sidecar")
    logs.write("ns", "pod", "app", "hello")
    assert mine.is_set() and not other.is_set()
    assert not logs.changed("ns", "pod", "app").is_set()  # a fresh event for the next write
