"""The store: resourceVersions, optimistic concurrency, history and snapshots."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaoszone.sim import errors
from chaoszone.sim.clock import Clock
from chaoszone.sim.resources import by_path
from chaoszone.sim.store import Store
from chaoszone.sim.watch import ADDED, DELETED, MODIFIED, Event

PODS = by_path("", "v1", "pods")
CONFIGMAPS = by_path("", "v1", "configmaps")
assert PODS is not None and CONFIGMAPS is not None


def cm(name: str, ns: str = "default", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": ns}, "data": dict(data)}


def test_create_stamps_uid_timestamp_and_a_newer_resource_version() -> None:
    store = Store(Clock())
    before = store.resource_version
    stored = store.create(CONFIGMAPS, cm("a"))
    assert stored.meta["uid"]
    assert stored.meta["creationTimestamp"].endswith("Z")
    assert int(stored.meta["resourceVersion"]) == store.resource_version > before


def test_created_objects_get_distinct_random_rfc_4122_version_4_uids() -> None:
    store = Store(Clock())
    uids = [store.create(CONFIGMAPS, cm(f"c{i}")).meta["uid"] for i in range(600)]
    assert len(set(uids)) == len(uids)
    for text in uids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_create_is_refused_when_the_name_is_taken() -> None:
    store = Store(Clock())
    store.create(CONFIGMAPS, cm("a"))
    with pytest.raises(errors.ApiError) as info:
        store.create(CONFIGMAPS, cm("a"))
    assert info.value.code == 409 and info.value.reason == "AlreadyExists"


def test_replace_is_a_conflict_when_the_resource_version_is_stale() -> None:
    store = Store(Clock())
    first = store.create(CONFIGMAPS, cm("a"))
    store.replace(CONFIGMAPS, cm("a", x="1"))
    stale = cm("a", x="2")
    with pytest.raises(errors.ApiError) as info:
        store.replace(CONFIGMAPS, stale, expect_rv=first.meta["resourceVersion"])
    assert info.value.code == 409 and info.value.reason == "Conflict"
    assert store.get(CONFIGMAPS, "default", "a").obj["data"] == {"x": "1"}  # type: ignore[union-attr]


def test_replace_keeps_uid_and_creation_timestamp() -> None:
    store = Store(Clock())
    first = store.create(CONFIGMAPS, cm("a"))
    second = store.replace(CONFIGMAPS, cm("a", x="1"))
    assert second.meta["uid"] == first.meta["uid"]
    assert second.meta["creationTimestamp"] == first.meta["creationTimestamp"]


def test_every_write_publishes_one_event_in_resource_version_order() -> None:
    store = Store(Clock())
    seen: list[Event] = []
    store.hub.listen(seen.append)
    store.create(CONFIGMAPS, cm("a"))
    store.replace(CONFIGMAPS, cm("a", x="1"))
    store.remove(CONFIGMAPS, "default", "a")
    assert [e.type for e in seen] == [ADDED, MODIFIED, DELETED]
    assert [e.rv for e in seen] == sorted(e.rv for e in seen)
    assert seen[2].new.resource_version == seen[2].rv


def test_snapshot_rewinds_to_the_state_at_an_older_resource_version() -> None:
    store = Store(Clock())
    store.create(CONFIGMAPS, cm("a", v="1"))
    at = store.resource_version
    store.replace(CONFIGMAPS, cm("a", v="2"))
    store.create(CONFIGMAPS, cm("b"))
    store.remove(CONFIGMAPS, "default", "a")
    past = store.snapshot(CONFIGMAPS, None, at)
    assert [(s.name, s.obj["data"]) for s in past] == [("a", {"v": "1"})]


def test_snapshot_is_gone_when_the_history_no_longer_reaches_back() -> None:
    store = Store(Clock(), history=2)
    store.create(CONFIGMAPS, cm("a"))
    at = store.resource_version
    for i in range(3):
        store.replace(CONFIGMAPS, cm("a", i=str(i)))
    with pytest.raises(errors.ApiError) as info:
        store.snapshot(CONFIGMAPS, None, at)
    assert info.value.code == 410


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["create", "replace", "remove"]),
                          st.sampled_from(["a", "b", "c"])), max_size=30))
def test_resource_versions_only_grow_and_snapshots_replay_history(
        ops: list[tuple[str, str]]) -> None:
    store = Store(Clock(), history=1000)
    states: list[tuple[int, dict[str, dict[str, str]]]] = []
    last = store.resource_version
    for op, name in ops:
        try:
            if op == "create":
                store.create(CONFIGMAPS, cm(name, n=str(len(states))))
            elif op == "replace":
                store.replace(CONFIGMAPS, cm(name, n=str(len(states))))
            else:
                store.remove(CONFIGMAPS, "default", name)
        except errors.ApiError:
            continue
        assert store.resource_version > last
        last = store.resource_version
        states.append((last, {s.name: s.obj["data"] for s in store.items(CONFIGMAPS)}))
    for rv, state in states:
        assert {s.name: s.obj["data"] for s in store.snapshot(CONFIGMAPS, None, rv)} == state
