"""The journal: a durable record, on disk, of every change chaoszone makes to a cluster.

A journal is a JSON-lines file in the run directory. Its first line says how to reach the
cluster again (:meth:`Target.describe`); then each fault, *before* it acts, appends the
records that undo it, each flushed and fsynced::

    {"type": "run", "version": 1, "target": {...}, "pid": 4242, "started": 1764225600.0}
    {"type": "undo", "id": 1, "fault": "zone_outage('zone-a')", "action": {"op": "power", ...}}
    {"type": "done", "id": 1}
    {"type": "created", "id": 2, "namespace": "cz-1a2b3c4d"}
    {"type": "deleted", "id": 2}

:meth:`Journal.revert` replays the undo records not yet done, newest first, and appends a
``done`` record after each; every undo action is idempotent (power a node on, remove a
taint if present), so replaying a record twice, or one whose fault never acted because the
run died between the record and the act, is harmless. :func:`recover` does the same for
a journal a crashed run left behind, on the cluster its header names.

The file is only ever appended to, so a crash leaves at worst a torn last line, which
:func:`read_records` ignores.

The namespaces a run creates are journalled the same way (``created`` before the namespace
is made, ``deleted`` once it is gone), so that :func:`clean_up` can delete what a crashed
run left running in them after :func:`recover` has undone its faults.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaoszone.errors import RevertFailed, TargetError
from chaoszone.targets import Target, attach

__all__ = ["Created", "Journal", "UndoRecord", "clean_up", "leftovers", "read_records",
           "recover", "undo"]

VERSION = 1


@dataclass(frozen=True)
class UndoRecord:
    """One change to take back: ``action`` is data, so another process can replay it."""

    id: int
    fault: str
    action: Mapping[str, Any]


@dataclass(frozen=True)
class Created:
    """A namespace the run created, to delete if the run cannot."""

    id: int
    namespace: str


class Journal:
    """An open journal file; :meth:`create` starts one, :meth:`open` continues one."""

    def __init__(self, path: Path, target: Target | None) -> None:
        self.path = path
        self.target = target
        records = read_records(path)
        self._next_id = 1 + max((r["id"] for r in records
                                 if r.get("type") in ("undo", "created")), default=0)

    @classmethod
    def create(cls, path: str | os.PathLike[str], target: Target) -> Journal:
        """A new journal at ``path`` (refused if one exists) for ``target``."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        header = {"type": "run", "version": VERSION, "target": target.describe(),
                  "pid": os.getpid(), "started": time.time()}
        with open(p, "x", encoding="utf-8") as fh:
            _append(fh, header)
        return cls(p, target)

    @classmethod
    def open(cls, path: str | os.PathLike[str], target: Target | None = None) -> Journal:
        """An existing journal; without ``target``, the cluster its header names."""
        p = Path(path)
        if not p.exists():
            raise TargetError(f"no journal at {p}")
        if target is None:
            target = attach(header(p)["target"])
        return cls(p, target)

    # -- writing -------------------------------------------------------------------------------

    def record(self, fault: str, action: Mapping[str, Any]) -> UndoRecord:
        """Write (and fsync) how to undo one change, before making it."""
        rec = UndoRecord(self._next_id, fault, dict(action))
        self._next_id += 1
        self._write({"type": "undo", "id": rec.id, "fault": fault, "action": rec.action})
        return rec

    def mark_done(self, record: UndoRecord) -> None:
        self._write({"type": "done", "id": record.id})

    def created(self, namespace: str) -> Created:
        """Write (and fsync) that the run is about to create ``namespace``."""
        entry = Created(self._next_id, namespace)
        self._next_id += 1
        self._write({"type": "created", "id": entry.id, "namespace": namespace})
        return entry

    def deleted(self, entry: Created) -> None:
        self._write({"type": "deleted", "id": entry.id})

    def leftovers(self) -> list[Created]:
        """Namespaces created and not yet deleted, newest first."""
        return leftovers(read_records(self.path))

    def _write(self, entry: Mapping[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            _append(fh, entry)

    # -- reading and reverting -----------------------------------------------------------------

    def pending(self) -> list[UndoRecord]:
        """Undo records not yet done, newest first."""
        return pending(read_records(self.path))

    def revert(self, records: Iterable[UndoRecord] | None = None) -> list[UndoRecord]:
        """Replay ``records`` (default: every pending one), newest first, marking each done.

        Every record is tried even when one fails; then :class:`RevertFailed` names the
        ones that could not be undone (they stay pending for ``chaoszone recover``).
        """
        if self.target is None:
            raise TargetError(f"journal {self.path} has no target to revert on")
        still_pending = {r.id for r in self.pending()}
        todo = sorted((r for r in (self.pending() if records is None else records)
                       if r.id in still_pending), key=lambda r: r.id, reverse=True)
        failed: list[tuple[UndoRecord, BaseException]] = []
        for rec in todo:
            try:
                undo(rec.action, self.target)
            except Exception as exc:
                failed.append((rec, exc))
                continue
            self.mark_done(rec)
        if failed:
            lines = "; ".join(f"#{r.id} {r.fault}: {_describe(r.action)}: {exc}"
                              for r, exc in failed)
            raise RevertFailed(f"could not undo {len(failed)} change(s) recorded in "
                               f"{self.path}: {lines}; run `chaoszone recover --journal "
                               f"{self.path}` once the cluster is reachable") from failed[0][1]
        return todo


def recover(path: str | os.PathLike[str], target: Target | None = None) -> list[UndoRecord]:
    """Undo what the run that wrote the journal at ``path`` left in place; idempotent."""
    return Journal.open(path, target).revert()


def clean_up(path: str | os.PathLike[str], target: Target | None = None) -> list[Created]:
    """Delete the namespaces the run that wrote the journal at ``path`` created and left
    behind (and so what runs in them); idempotent. Run it after :func:`recover`."""
    from kubernetes import client

    journal = Journal.open(path, target)
    if journal.target is None:
        raise TargetError(f"journal {path} has no target to clean up on")
    left = journal.leftovers()
    for entry in left:
        try:
            _core(journal.target).delete_namespace(entry.namespace)
        except client.ApiException as exc:
            if exc.status != 404:
                raise RevertFailed(f"could not delete namespace {entry.namespace} recorded "
                                   f"in {path}: {exc.status} {exc.reason}; run `chaoszone "
                                   f"recover --journal {path}` again once the cluster "
                                   f"answers") from exc
        journal.deleted(entry)
    return left


# -- file format --------------------------------------------------------------------------------

def _append(fh: Any, entry: Mapping[str, Any]) -> None:
    fh.write(json.dumps(entry, sort_keys=True) + "\n")
    fh.flush()
    os.fsync(fh.fileno())


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every whole record of the journal at ``path`` (a torn last line is skipped)."""
    out: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict):
                out.append(entry)
    return out


def header(path: str | os.PathLike[str]) -> dict[str, Any]:
    records = read_records(path)
    if not records or records[0].get("type") != "run":
        raise TargetError(f"{path} is not a chaoszone journal (no run header)")
    return records[0]


def pending(records: Iterable[Mapping[str, Any]]) -> list[UndoRecord]:
    undos: dict[int, UndoRecord] = {}
    done: set[int] = set()
    for r in records:
        if r.get("type") == "undo":
            undos[r["id"]] = UndoRecord(r["id"], r.get("fault", ""), r["action"])
        elif r.get("type") == "done":
            done.add(r["id"])
    return [undos[i] for i in sorted(undos, reverse=True) if i not in done]


def iter_pending(path: str | os.PathLike[str]) -> Iterator[UndoRecord]:
    yield from pending(read_records(path))


def leftovers(records: Iterable[Mapping[str, Any]]) -> list[Created]:
    """The namespaces ``records`` say were created and not deleted, newest first."""
    made: dict[int, Created] = {}
    gone: set[int] = set()
    for r in records:
        if r.get("type") == "created":
            made[r["id"]] = Created(r["id"], str(r.get("namespace", "")))
        elif r.get("type") == "deleted":
            gone.add(r["id"])
    return [made[i] for i in sorted(made, reverse=True) if i not in gone]


# -- undo actions -------------------------------------------------------------------------------

def _describe(action: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(action.items()))


def undo(action: Mapping[str, Any], target: Target) -> None:
    """Carry out one undo action on ``target``; each is idempotent."""
    op = action.get("op")
    node = str(action.get("node"))
    if op == "power":
        target.set_power(node, str(action["state"]))
    elif op == "network":
        target.set_network(node, str(action["state"]))
    elif op == "unschedulable":
        _core(target).patch_node(node, {"spec": {"unschedulable": bool(action["value"])}})
    elif op == "remove_taint":
        update_taints(target, node, lambda taints: [
            t for t in taints if not (t["key"] == action["key"]
                                      and t["effect"] == action["effect"])])
    else:
        raise RevertFailed(f"unknown undo action {dict(action)!r}")


def update_taints(target: Target, node: str,
                  change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    """Replace a node's taints with ``change(taints)``, under optimistic concurrency: the
    kubelet and the node-lifecycle controller update nodes all the time, so a conflict
    (409) reads the node again and retries."""
    from kubernetes import client

    core = _core(target)
    for attempt in range(10):
        live = core.read_node(node)
        taints = [{"key": t.key, "value": t.value, "effect": t.effect,
                   **({"timeAdded": t.time_added} if t.time_added else {})}
                  for t in live.spec.taints or []]
        wanted = change([dict(t) for t in taints])
        if wanted == taints:
            return
        try:
            core.patch_node(node, {"metadata": {"resourceVersion": live.metadata.resource_version},
                                   "spec": {"taints": wanted}})
            return
        except client.ApiException as exc:
            if exc.status != 409 or attempt == 9:
                raise


def _core(target: Target) -> Any:
    from kubernetes import client

    return client.CoreV1Api(target.api_client())
