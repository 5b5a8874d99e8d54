"""The watch hub: filtered fan-out, resume from a resourceVersion, 410 Gone."""

from __future__ import annotations

from typing import Any

import pytest

from chaoszone.sim import errors
from chaoszone.sim.clock import Clock
from chaoszone.sim.resources import by_path
from chaoszone.sim.store import Store
from chaoszone.sim.watch import Stored

CONFIGMAPS = by_path("", "v1", "configmaps")
assert CONFIGMAPS is not None


def cm(name: str, ns: str = "default", labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns, "labels": labels or {}}}


def has_app_web(stored: Stored) -> bool:
    return stored.labels.get("app") == "web"


def test_a_watcher_sees_only_its_namespace() -> None:
    store = Store(Clock())
    watcher = store.hub.subscribe(CONFIGMAPS, "one", None)
    store.create(CONFIGMAPS, cm("a", "one"))
    store.create(CONFIGMAPS, cm("b", "two"))
    assert [(t, s.name) for t, s in watcher.take()] == [("ADDED", "a")]


def test_an_update_that_makes_an_object_match_arrives_as_added() -> None:
    store = Store(Clock())
    store.create(CONFIGMAPS, cm("a"))
    watcher = store.hub.subscribe(CONFIGMAPS, None, has_app_web)
    store.replace(CONFIGMAPS, cm("a", labels={"app": "web"}))
    assert [t for t, _ in watcher.take()] == ["ADDED"]


def test_an_update_that_makes_an_object_stop_matching_arrives_as_deleted() -> None:
    store = Store(Clock())
    store.create(CONFIGMAPS, cm("a", labels={"app": "web"}))
    watcher = store.hub.subscribe(CONFIGMAPS, None, has_app_web)
    store.replace(CONFIGMAPS, cm("a"))
    [(kind, obj)] = watcher.take()
    assert kind == "DELETED"
    assert obj.labels == {"app": "web"}  # the last state that matched
    assert obj.resource_version == store.resource_version  # with the event's version


def test_objects_outside_the_selector_do_not_wake_the_watcher() -> None:
    # A wake with nothing pending made the watch handler spin, starving the event loop
    # until the watch timed out.
    store = Store(Clock())
    watcher = store.hub.subscribe(CONFIGMAPS, None, has_app_web)
    store.create(CONFIGMAPS, cm("a"))
    store.remove(CONFIGMAPS, "default", "a")
    assert not watcher.wake.is_set()
    assert watcher.pending == []
    assert watcher.last_rv == store.resource_version


def test_since_replays_only_later_events_of_the_resource() -> None:
    store = Store(Clock())
    store.create(CONFIGMAPS, cm("a"))
    rv = store.resource_version
    store.create(CONFIGMAPS, cm("b"))
    assert [e.new.name for e in store.hub.since(CONFIGMAPS, rv)] == ["b"]


def test_since_is_gone_when_the_resource_version_is_older_than_the_history() -> None:
    store = Store(Clock(), history=3)
    rv = store.resource_version
    for i in range(5):
        store.create(CONFIGMAPS, cm(f"c{i}"))
    with pytest.raises(errors.ApiError) as info:
        list(store.hub.since(CONFIGMAPS, rv))
    assert info.value.code == 410 and info.value.reason == "Expired"


def test_a_closed_watcher_receives_nothing_more() -> None:
    store = Store(Clock())
    watcher = store.hub.subscribe(CONFIGMAPS, None, None)
    watcher.close()
    store.create(CONFIGMAPS, cm("a"))
    assert watcher.take() == []
    assert store.hub.watcher_count() == 0
