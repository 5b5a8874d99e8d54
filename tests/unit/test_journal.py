"""The journal: undo records on disk before each change, replayed newest first, once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chaoszone import RevertFailed, faults
from chaoszone.journal import Journal, read_records, recover
from chaoszone.kindconfig import Timers
from chaoszone.topology import Topology

TOPOLOGY = Topology.load(Path(__file__).resolve().parents[2] / "kind-configs" /
                         "three-zones-fast.yaml")


class PowerSwitches:
    """A stand-in target with only power and network switches (what the power faults
    use), recording each change together with what the journal held at that moment."""

    name = "sim"
    topology = TOPOLOGY
    timers = Timers()

    def __init__(self, journal_path: Path, *, fail_on: str | None = None) -> None:
        self.journal_path = journal_path
        self.power: dict[str, str] = {}
        self.changes: list[tuple[str, str, list[dict[str, Any]]]] = []
        self.fail_on = fail_on

    def api_client(self) -> Any:
        raise AssertionError("Must not be called: power faults need no Kubernetes API")

    def wall_seconds(self, cluster_seconds: float) -> float:
        return cluster_seconds

    def cluster_seconds(self, wall_seconds: float) -> float:
        return wall_seconds

    def power_state(self, node: str) -> str:
        return self.power.get(node, "on")

    def set_power(self, node: str, state: str) -> None:
        if node == self.fail_on and state == "on":
            raise OSError("the switch is stuck")
        journal = read_records(self.journal_path) if self.journal_path.exists() else []
        self.changes.append((node, state, journal))
        self.power[node] = state

    def set_network(self, node: str, state: str) -> None:
        self.changes.append((node, state, read_records(self.journal_path)))

    def describe(self) -> dict[str, Any]:
        return {"target": "stand-in"}

    def close(self) -> None:
        pass


def outage(tmp_path: Path, **kwargs: Any) -> tuple[Journal, PowerSwitches]:
    path = tmp_path / "journal.jsonl"
    target = PowerSwitches(path, **kwargs)
    journal = Journal.create(path, target)
    fault = faults.zone_outage("zone-a")
    fault.inject(target, journal, fault.nodes(TOPOLOGY))
    return journal, target


def test_each_undo_record_is_on_disk_before_its_change_is_made(tmp_path: Path) -> None:
    _, target = outage(tmp_path)
    for node, state, journal_then in target.changes:
        assert state == "off"
        assert {"op": "power", "node": node, "state": "on"} in [
            r.get("action") for r in journal_then]


def test_revert_undoes_newest_first_and_marks_each_record_done(tmp_path: Path) -> None:
    journal, target = outage(tmp_path)
    target.changes.clear()
    undone = journal.revert()
    assert [r.id for r in undone] == [2, 1]
    assert [(n, s) for n, s, _ in target.changes] == [
        ("three-zones-fast-worker2", "on"), ("three-zones-fast-worker", "on")]
    assert [r for r in read_records(journal.path) if r["type"] == "done"] == [
        {"type": "done", "id": 2}, {"type": "done", "id": 1}]
    assert journal.pending() == []


def test_reverting_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    journal, target = outage(tmp_path)
    journal.revert()
    target.changes.clear()
    assert recover(journal.path, target) == []
    assert target.changes == []


def test_a_torn_last_line_from_a_crash_is_ignored(tmp_path: Path) -> None:
    journal, target = outage(tmp_path)
    with open(journal.path, "a") as fh:
        fh.write(json.dumps({"type": "done", "id": 2})[:7])
    assert [r.id for r in recover(journal.path, target)] == [2, 1]
    assert target.power == {"three-zones-fast-worker": "on", "three-zones-fast-worker2": "on"}


def test_a_change_that_cannot_be_undone_is_reported_and_stays_pending(tmp_path: Path) -> None:
    journal, _ = outage(tmp_path, fail_on="three-zones-fast-worker")
    with pytest.raises(RevertFailed, match="chaoszone recover --journal") as caught:
        journal.revert()
    assert "the switch is stuck" in str(caught.value)
    assert [r.action["node"] for r in journal.pending()] == ["three-zones-fast-worker"]


def test_a_journal_is_never_overwritten(tmp_path: Path) -> None:
    journal, target = outage(tmp_path)
    with pytest.raises(FileExistsError):
        Journal.create(journal.path, target)


def test_a_namespace_is_a_leftover_from_its_created_record_until_its_deleted_record(
        tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal.create(path, PowerSwitches(path))
    kept = journal.created("cz-kept")
    gone = journal.created("cz-gone")
    journal.deleted(gone)
    assert [(c.id, c.namespace) for c in journal.leftovers()] == [(kept.id, "cz-kept")]
    assert gone.id == kept.id + 1
    # undo records and namespaces share one sequence of ids
    record = journal.record("cordon('zone-a')", {"op": "unschedulable", "node": "n",
                                                 "value": False})
    assert record.id == gone.id + 1
    assert Journal.open(path, journal.target).leftovers() == journal.leftovers()
