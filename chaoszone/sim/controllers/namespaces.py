"""Namespace lifecycle: a deleted namespace's contents are deleted, then its
``kubernetes`` finalizer is removed and the namespace goes; every new namespace gets
its ``default`` ServiceAccount (the serviceaccounts controller's job upstream).

Upstream: pkg/controller/namespace/deletion/namespaced_resources_deleter.go and
pkg/controller/serviceaccount/serviceaccounts_controller.go at release-1.32.
"""

from __future__ import annotations

import contextlib

from chaoszone.sim import errors
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.resources import RESOURCES, by_path
from chaoszone.sim.runtime import Runtime
from chaoszone.sim.watch import ADDED, DELETED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = ["NamespaceController"]

_NAMESPACES = by_path("", "v1", "namespaces")
_SERVICEACCOUNTS = by_path("", "v1", "serviceaccounts")


class NamespaceController:
    def __init__(self, runtime: Runtime) -> None:
        self.registry = runtime.registry
        self.queue: WorkQueue[str] = runtime.queue("namespace controller", self._handle)
        runtime.listen(self._on_event)

    def _on_event(self, event: Event) -> None:
        rt = event.resource
        if rt is _NAMESPACES:
            if event.type != DELETED:
                self.queue.add(event.new.name)
            return
        if rt is _SERVICEACCOUNTS and event.type == DELETED:
            self.queue.add(event.new.namespace)
            return
        if rt.namespaced and event.type == DELETED:
            ns = self.registry.store.get(_NAMESPACES, "", event.new.namespace)  # type: ignore[arg-type]
            if ns is not None and ns.meta.get("deletionTimestamp"):
                self.queue.add(event.new.namespace)
        elif event.type == ADDED:
            return

    def _handle(self, name: str) -> None:
        assert _NAMESPACES is not None and _SERVICEACCOUNTS is not None
        ns = self.registry.store.get(_NAMESPACES, "", name)
        if ns is None:
            return
        if not ns.meta.get("deletionTimestamp"):
            if self.registry.store.get(_SERVICEACCOUNTS, name, "default") is None:
                with contextlib.suppress(errors.ApiError):
                    self.registry.create(_SERVICEACCOUNTS, name,
                                         {"metadata": {"name": "default"}})
            return
        if "kubernetes" not in (ns.obj.get("spec") or {}).get("finalizers", []):
            return
        remaining = 0
        for rt in RESOURCES:
            if not rt.namespaced:
                continue
            for stored in list(self.registry.store.items(rt, name)):
                remaining += 1
                if stored.meta.get("deletionTimestamp"):
                    continue
                with contextlib.suppress(errors.ApiError):
                    self.registry.delete(rt, name, stored.name,
                                         DeleteOptions(propagation_policy="Background"))
        if remaining and any(self.registry.store.count(rt, name) for rt in RESOURCES
                             if rt.namespaced):
            return
        spec = dict(ns.obj.get("spec") or {})
        spec["finalizers"] = [f for f in spec.get("finalizers", []) if f != "kubernetes"]
        self.registry.finalize_namespace(name, {"spec": spec})
