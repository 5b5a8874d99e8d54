"""Registry deletes: what a watcher sees when a pod goes."""

from __future__ import annotations

from typing import Any

from chaoszone.sim.clock import Clock
from chaoszone.sim.registry import DeleteOptions, Registry
from chaoszone.sim.resources import by_path
from chaoszone.sim.store import Store

PODS = by_path("", "v1", "pods")
NAMESPACES = by_path("", "v1", "namespaces")
SERVICEACCOUNTS = by_path("", "v1", "serviceaccounts")
CONFIGMAPS = by_path("", "v1", "configmaps")
assert PODS and NAMESPACES and SERVICEACCOUNTS and CONFIGMAPS


def registry() -> Registry:
    reg = Registry(Store(Clock()))
    reg.create(NAMESPACES, None, {"metadata": {"name": "ns"}})
    reg.create(SERVICEACCOUNTS, "ns", {"metadata": {"name": "default"}})
    return reg


def pod(name: str, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}


def events_of(reg: Registry, fn: Any) -> list[tuple[str, str | None]]:
    watcher = reg.store.hub.subscribe(PODS, "ns", None)
    fn()
    return [(t, s.meta.get("deletionTimestamp") and "deleting") for t, s in watcher.take()]


def test_an_unscheduled_pod_is_marked_deleting_before_it_goes() -> None:
    """pod strategy CheckGracefulDelete is true with a period of 0: the store writes the
    deletionTimestamp, then deletes (a MODIFIED, then a DELETED event)."""
    reg = registry()
    reg.create(PODS, "ns", pod("idle"))
    seen = events_of(reg, lambda: reg.delete(PODS, "ns", "idle", DeleteOptions()))
    assert seen == [("MODIFIED", "deleting"), ("DELETED", "deleting")]
    assert reg.store.get(PODS, "ns", "idle") is None


def test_a_scheduled_pod_deleted_with_grace_zero_is_marked_then_gone() -> None:
    reg = registry()
    reg.create(PODS, "ns", pod("busy", nodeName="node-a"))
    seen = events_of(reg, lambda: reg.delete(PODS, "ns", "busy",
                                             DeleteOptions(grace_period_seconds=0)))
    assert seen == [("MODIFIED", "deleting"), ("DELETED", "deleting")]


def test_other_kinds_go_at_once() -> None:
    reg = registry()
    reg.create(CONFIGMAPS, "ns", {"metadata": {"name": "cfg"}})
    watcher = reg.store.hub.subscribe(CONFIGMAPS, "ns", None)
    reg.delete(CONFIGMAPS, "ns", "cfg", DeleteOptions())
    assert [t for t, _ in watcher.take()] == ["DELETED"]
