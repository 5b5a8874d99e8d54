"""``kubernetes.watch.Watch().stream`` against every served kind: live ADDED, MODIFIED and
DELETED events for the test's own changes, and resuming from a resourceVersion. Every
event's object passes the strict models, as the client reads it and as raw JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from client_kinds import KINDS, Kind, Ops, bound, deserializes
from kubernetes import client as k8s

by_kind = pytest.mark.parametrize("kind", KINDS, ids=str)


@pytest.fixture
def ops(kind: Kind, api_client: k8s.ApiClient, namespace: str) -> Iterator[Ops]:
    yield from bound(kind, api_client, namespace)


def _check(ops: Ops, event: dict[str, Any]) -> None:
    assert isinstance(event["object"], ops.kind.model_class()), event["type"]
    deserializes(ops.client, event["raw_object"], ops.kind.model)


@by_kind
def test_watch_sees_added_modified_and_deleted_live_when_kind_is(ops: Ops) -> None:
    name = ops.create().metadata.name
    seen: list[str] = []
    # No resourceVersion: the current state first (as ADDED), then changes as they happen.
    for event in ops.events(timeout=10):
        _check(ops, event)
        if event["object"].metadata.name != name:
            continue
        labels = event["object"].metadata.labels or {}
        if event["type"] == "ADDED":
            seen.append("ADDED")
            ops.patch(name, {"metadata": {"labels": {"watched": "yes"}}})
        elif event["type"] == "MODIFIED" and "watched" in labels and "DELETE" not in seen:
            seen += ["MODIFIED", "DELETE"]  # controllers may send other MODIFIED events
            ops.delete(name)
        elif event["type"] == "DELETED":
            seen.append("DELETED")
            break
    assert seen == ["ADDED", "MODIFIED", "DELETE", "DELETED"], seen


@by_kind
def test_watch_from_a_resource_version_replays_only_later_changes_when_kind_is(
        ops: Ops) -> None:
    before = ops.create().metadata.name
    start = ops.list(label_selector=ops.selector).metadata.resource_version
    name = ops.create().metadata.name
    ops.patch(name, {"metadata": {"labels": {"step": "one"}}})
    ops.patch(name, {"metadata": {"labels": {"step": "two"}}})
    ops.delete(name)

    events = []
    for event in ops.events(resource_version=start):
        _check(ops, event)
        assert event["object"].metadata.name != before  # it was there before `start`
        events.append(event)
        if event["type"] == "DELETED":
            break
    mine = [(e["type"], (e["object"].metadata.labels or {}).get("step")) for e in events
            if e["object"].metadata.name == name]
    assert mine[0] == ("ADDED", None)
    assert ("MODIFIED", "one") in mine and ("MODIFIED", "two") in mine
    assert mine[-1][0] == "DELETED"
    versions = [int(e["object"].metadata.resource_version) for e in events]
    assert versions == sorted(versions) and versions[0] > int(start)

    # Resuming from the first event's version skips it and replays the rest.
    resumed = []
    for event in ops.events(resource_version=events[0]["object"].metadata.resource_version):
        resumed.append(event["object"].metadata.resource_version)
        if event["type"] == "DELETED":
            break
    assert resumed == [e["object"].metadata.resource_version for e in events[1:]]


def test_watch_with_a_field_selector_sees_only_the_named_object(
        api_client: k8s.ApiClient, namespace: str) -> None:
    from client_kinds import BY_ID

    ops = Ops(BY_ID["configmaps"], api_client, namespace)
    start = ops.list().metadata.resource_version
    names = [ops.create().metadata.name for _ in range(3)]
    for name in names:
        ops.patch(name, {"data": {"key": "changed"}})
    seen = []
    for event in ops.events(resource_version=start, field_selector=f"metadata.name={names[1]}"):
        seen.append((event["type"], event["object"].metadata.name))
        if event["type"] == "MODIFIED":
            break
    assert seen == [("ADDED", names[1]), ("MODIFIED", names[1])]


def test_watch_ends_when_its_timeout_runs_out(api_client: k8s.ApiClient, namespace: str) -> None:
    from client_kinds import BY_ID

    ops = Ops(BY_ID["configmaps"], api_client, namespace)
    rv = ops.list().metadata.resource_version
    assert list(ops.events(timeout=1, resource_version=rv)) == []


def test_a_selective_watch_keeps_delivering_while_unselected_objects_come_and_go(
        api_client: k8s.ApiClient, namespace: str) -> None:
    from client_kinds import BY_ID

    ops = Ops(BY_ID["configmaps"], api_client, namespace)
    other = Ops(BY_ID["configmaps"], api_client, namespace)  # another run label
    name = ops.create().metadata.name
    seen = []
    for event in ops.events(timeout=5):
        seen.append(event["type"])
        if event["type"] == "ADDED":
            # Unselected events once woke the watch with nothing to send: it spun, and the
            # server answered nothing else until the watch timed out.
            other.delete(other.create().metadata.name)
            ops.patch(name, {"data": {"key": "changed"}})
        elif event["type"] == "MODIFIED":
            break
    assert seen == ["ADDED", "MODIFIED"]


def test_a_watch_list_sends_the_current_objects_then_an_initial_events_end_bookmark(
        api_client: k8s.ApiClient, namespace: str) -> None:
    from client_kinds import BY_ID

    ops = Ops(BY_ID["configmaps"], api_client, namespace)
    names = sorted(ops.create().metadata.name for _ in range(3))
    seen: list[str] = []
    for event in ops.events(send_initial_events=True, resource_version_match="NotOlderThan",
                            allow_watch_bookmarks=True):
        if event["type"] == "BOOKMARK":
            meta = event["raw_object"]["metadata"]
            assert meta["annotations"] == {"k8s.io/initial-events-end": "true"}
            assert int(meta["resourceVersion"]) >= max(
                int(ops.read(n).metadata.resource_version) for n in names)
            break
        assert event["type"] == "ADDED"
        _check(ops, event)
        seen.append(event["object"].metadata.name)
    assert sorted(seen) == names
