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


def test_watchers_subscribed_with_one_key_share_a_feed_and_each_takes_every_event() -> None:
    store = Store(Clock())
    first = store.hub.subscribe(CONFIGMAPS, "default", None, key="all")
    second = store.hub.subscribe(CONFIGMAPS, "default", None, key="all")
    assert first.feed is second.feed
    store.create(CONFIGMAPS, cm("a"))
    assert [s.name for _, s in first.take()] == ["a"]
    store.create(CONFIGMAPS, cm("b"))
    assert [s.name for _, s in second.take()] == ["a", "b"]
    assert [s.name for _, s in first.take()] == ["b"]
    assert first.take() == second.take() == []


def test_watchers_with_other_keys_or_namespaces_have_feeds_of_their_own() -> None:
    store = Store(Clock())
    everything = store.hub.subscribe(CONFIGMAPS, "default", None, key="all")
    selective = store.hub.subscribe(CONFIGMAPS, "default", has_app_web, key="app=web")
    elsewhere = store.hub.subscribe(CONFIGMAPS, "other", None, key="all")
    private = store.hub.subscribe(CONFIGMAPS, "default", None)
    assert len({w.feed for w in (everything, selective, elsewhere, private)}) == 4
    store.create(CONFIGMAPS, cm("a", labels={"app": "web"}))
    store.create(CONFIGMAPS, cm("b"))
    assert [s.name for _, s in everything.take()] == ["a", "b"]
    assert [s.name for _, s in selective.take()] == ["a"]
    assert elsewhere.take() == []
    assert [s.name for _, s in private.take()] == ["a", "b"]


def test_a_feed_lets_go_of_events_once_every_watcher_has_taken_them() -> None:
    store = Store(Clock())
    first = store.hub.subscribe(CONFIGMAPS, None, None, key="all")
    second = store.hub.subscribe(CONFIGMAPS, None, None, key="all")
    store.create(CONFIGMAPS, cm("a"))
    store.create(CONFIGMAPS, cm("b"))
    first.take()
    assert len(first.feed.events) == 2  # the second watcher has not taken them yet
    second.take()
    assert first.feed.events == []
    store.create(CONFIGMAPS, cm("c"))
    assert [s.name for _, s in first.take()] == ["c"]
    assert [s.name for _, s in second.take()] == ["c"]


def test_a_watcher_that_leaves_behind_does_not_hold_the_feed_s_events() -> None:
    store = Store(Clock())
    staying = store.hub.subscribe(CONFIGMAPS, None, None, key="all")
    leaving = store.hub.subscribe(CONFIGMAPS, None, None, key="all")
    store.create(CONFIGMAPS, cm("a"))
    staying.take()
    leaving.close()
    assert staying.feed.events == []
    assert store.hub.watcher_count() == 1


def test_a_late_subscriber_to_a_shared_feed_sees_only_later_events() -> None:
    store = Store(Clock())
    early = store.hub.subscribe(CONFIGMAPS, None, None, key="all")
    store.create(CONFIGMAPS, cm("a"))
    late = store.hub.subscribe(CONFIGMAPS, None, None, key="all")
    store.create(CONFIGMAPS, cm("b"))
    assert [s.name for _, s in late.take()] == ["b"]
    assert [s.name for _, s in early.take()] == ["a", "b"]


def test_a_backlog_comes_before_the_events_that_follow_the_subscription() -> None:
    store = Store(Clock())
    replayed = Stored(cm("old"))
    watcher = store.hub.subscribe(CONFIGMAPS, None, None, key="all",
                                  backlog=[("ADDED", replayed)])
    assert watcher.has_pending
    store.create(CONFIGMAPS, cm("new"))
    assert [s.name for _, s in watcher.take()] == ["old", "new"]
    assert not watcher.has_pending


def test_a_watcher_without_notify_is_woken_only_by_its_close() -> None:
    store = Store(Clock())
    watcher = store.hub.subscribe(CONFIGMAPS, None, None, key="all", notify=False)
    store.create(CONFIGMAPS, cm("a"))
    assert not watcher.wake.is_set()
    assert watcher.has_pending
    watcher.close()
    assert watcher.wake.is_set()


def test_a_feed_filters_and_converts_each_event_once_for_all_its_watchers() -> None:
    store = Store(Clock())
    calls: list[str] = []

    def counting(stored: Stored) -> bool:
        calls.append(stored.name)
        return has_app_web(stored)

    watchers = [store.hub.subscribe(CONFIGMAPS, None, counting, key="app=web")
                for _ in range(50)]
    store.create(CONFIGMAPS, cm("a", labels={"app": "web"}))
    store.replace(CONFIGMAPS, cm("a"))  # stops matching: DELETED for every watcher
    assert calls == ["a", "a", "a"]  # ADDED: new; MODIFIED: new and old
    deleted = {id(w.take()[-1][1]) for w in watchers}
    assert len(deleted) == 1  # one DELETED object, shared
