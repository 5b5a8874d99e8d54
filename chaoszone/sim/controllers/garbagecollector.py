"""Garbage collection by ownerReferences, as kube-controller-manager's garbage collector.

- An object whose owners are all gone is deleted (Background), or Foreground when an
  owner is being deleted in the foreground.
- An object with an owner whose apiVersion and kind the API does not serve (say a
  ReplicationController, or a DaemonSet of ``apps/v1beta2``) is left as it is: upstream's
  isDangling cannot map the reference (a restMappingError) and the item is retried, never
  deleted or rewritten, until the kind is served.
- An owner carrying the ``orphan`` finalizer has its uid removed from its dependents'
  ownerReferences, then the finalizer removed.
- An owner carrying ``foregroundDeletion`` has its dependents deleted in the foreground,
  and the finalizer removed once no dependent with ``blockOwnerDeletion`` is left.

Upstream: pkg/controller/garbagecollector/garbagecollector.go (attemptToDeleteItem,
orphanDependents, processDeletingDependentsItem) at release-1.32.
"""

from __future__ import annotations

import contextlib
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.registry import DeleteOptions
from chaoszone.sim.resources import ResourceType, by_kind
from chaoszone.sim.runtime import Runtime
from chaoszone.sim.watch import ADDED, DELETED, MODIFIED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = ["GarbageCollector"]

Ref = tuple[ResourceType, str, str]  # resource, namespace, name


class GarbageCollector:
    def __init__(self, runtime: Runtime) -> None:
        self.registry = runtime.registry
        self._by_uid: dict[str, Ref] = {}
        self._dependents: dict[str, set[Ref]] = {}
        self._owners_of: dict[tuple[str, str, str, str], tuple[str, ...]] = {}
        #: uids of the objects being deleted with the orphan or foregroundDeletion finalizer
        self._deleting: set[str] = set()
        self.queue: WorkQueue[tuple[str, Ref]] = runtime.queue("garbage collector", self._handle)
        runtime.listen(self._on_event)

    def reset(self) -> None:
        self._by_uid.clear()
        self._dependents.clear()
        self._owners_of.clear()
        self._deleting.clear()

    def _on_event(self, event: Event) -> None:
        rt, meta = event.resource, event.new.meta
        if (event.type == MODIFIED and event.old is not None and not self._deleting
                and not meta.get("deletionTimestamp")
                and event.old.meta.get("ownerReferences") == meta.get("ownerReferences")):
            return  # a status or spec change: the graph and the owners' work stay as they are
        ref: Ref = (rt, meta.get("namespace", ""), meta["name"])
        key = (rt.group, rt.plural, ref[1], ref[2])
        uid = meta["uid"]
        if event.type == DELETED:
            self._by_uid.pop(uid, None)
            self._deleting.discard(uid)
            for owner in self._owners_of.pop(key, ()):
                self._dependents.get(owner, set()).discard(ref)
            for dep in list(self._dependents.get(uid, ())):
                self.queue.add(("dependent", dep))
            return
        self._by_uid[uid] = ref
        owners = tuple(o.get("uid", "") for o in meta.get("ownerReferences") or ())
        before = self._owners_of.get(key, ())
        if owners != before:
            for owner in before:
                self._dependents.get(owner, set()).discard(ref)
            for owner in owners:
                self._dependents.setdefault(owner, set()).add(ref)
            if owners:
                self._owners_of[key] = owners
            else:
                self._owners_of.pop(key, None)
        if owners and event.type == ADDED and not all(o in self._by_uid for o in owners):
            # as upstream's graph builder: a new dependent is looked at only when an owner
            # is not in the graph (a virtual node); owners that go later queue it then
            self.queue.add(("dependent", ref))
        finalizers = meta.get("finalizers") or ()
        if meta.get("deletionTimestamp") and (
                "orphan" in finalizers or "foregroundDeletion" in finalizers):
            self._deleting.add(uid)
            self.queue.add(("owner", ref))
        else:
            self._deleting.discard(uid)
        for owner in owners:
            # only an owner waiting for its dependents (orphan or foreground) has work
            # when one of them changes; for any other owner _process_owner does nothing
            if owner in self._deleting:
                owner_ref = self._by_uid.get(owner)
                if owner_ref is not None:
                    self.queue.add(("owner", owner_ref))

    def _handle(self, item: tuple[str, Ref]) -> None:
        what, (rt, ns, name) = item
        stored = self.registry.store.get(rt, ns, name)
        if stored is None:
            return
        if what == "dependent":
            self._attempt_to_delete(rt, stored.obj)
        else:
            self._process_owner(rt, stored.obj)

    def _owner_alive(self, owner: dict[str, Any]) -> dict[str, Any] | None:
        ref = self._by_uid.get(owner.get("uid", ""))
        if ref is None:
            return None
        stored = self.registry.store.get(*ref)
        return stored.obj if stored is not None else None

    def _attempt_to_delete(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        refs = meta.get("ownerReferences") or []
        if not refs or meta.get("deletionTimestamp"):
            return
        if not all(_served(owner_ref) for owner_ref in refs):
            return
        alive = []
        foreground = False
        for owner_ref in refs:
            owner = self._owner_alive(owner_ref)
            if owner is None:
                continue
            owner_meta = owner["metadata"]
            if owner_meta.get("deletionTimestamp") and "foregroundDeletion" in (
                    owner_meta.get("finalizers") or ()):
                foreground = True
                continue
            alive.append(owner_ref)
        if len(alive) == len(refs):
            return
        if alive:
            # some owners remain: drop only the references to the gone ones
            new = dict(obj)
            new["metadata"] = dict(meta, ownerReferences=alive)
            self._put(rt, new)
            return
        policy = "Foreground" if foreground else "Background"
        with contextlib.suppress(errors.ApiError):
            self.registry.delete(rt, meta.get("namespace"), meta["name"],
                                 DeleteOptions(propagation_policy=policy))

    def _process_owner(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        if not meta.get("deletionTimestamp"):
            return
        finalizers = list(meta.get("finalizers") or [])
        uid = meta["uid"]
        deps = [d for d in self._dependents.get(uid, set())
                if self.registry.store.get(*d) is not None]
        if "orphan" in finalizers:
            for dep_rt, dep_ns, dep_name in deps:
                dep = self.registry.store.get(dep_rt, dep_ns, dep_name)
                if dep is None:
                    continue
                new = dep.copy()
                refs = [r for r in new["metadata"].get("ownerReferences") or []
                        if r.get("uid") != uid]
                if refs:
                    new["metadata"]["ownerReferences"] = refs
                else:
                    new["metadata"].pop("ownerReferences", None)
                self._put(dep_rt, new)
            self._remove_finalizer(rt, obj, "orphan")
            return
        if "foregroundDeletion" in finalizers:
            blocking = False
            for dep_rt, dep_ns, dep_name in deps:
                dep = self.registry.store.get(dep_rt, dep_ns, dep_name)
                if dep is None:
                    continue
                ref: dict[str, Any] = next((r for r in dep.meta.get("ownerReferences") or []
                            if r.get("uid") == uid), {})
                if ref.get("blockOwnerDeletion"):
                    blocking = True
                if not dep.meta.get("deletionTimestamp"):
                    self._attempt_to_delete(dep_rt, dep.obj)
            if not blocking:
                self._remove_finalizer(rt, obj, "foregroundDeletion")

    def _remove_finalizer(self, rt: ResourceType, obj: dict[str, Any], finalizer: str) -> None:
        stored = self.registry.store.get(rt, obj["metadata"].get("namespace", ""),
                                         obj["metadata"]["name"])
        if stored is None:
            return
        new = stored.copy()
        new["metadata"]["finalizers"] = [
            f for f in new["metadata"].get("finalizers") or [] if f != finalizer]
        if not new["metadata"]["finalizers"]:
            del new["metadata"]["finalizers"]
        self._put(rt, new)

    def _put(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        with contextlib.suppress(errors.ApiError):
            self.registry.update(rt, meta.get("namespace"), meta["name"], obj)


def _served(owner_ref: dict[str, Any]) -> bool:
    """Whether the API serves the reference's apiVersion and kind (the REST mapping)."""
    group, _, version = str(owner_ref.get("apiVersion") or "").rpartition("/")
    return by_kind(group, version, str(owner_ref.get("kind") or "")) is not None
