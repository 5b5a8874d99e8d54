"""The Job controller: run pods to completion, count failures, finish.

- Pods ``<job>-<5 random>`` (Indexed: ``<job>-<index>-<5 random>`` with the completion
  index annotation and label, hostname and ``JOB_COMPLETION_INDEX``) carry the template's
  ``job-name``/``controller-uid`` labels and the ``batch.kubernetes.io/job-tracking``
  finalizer, which is removed once the pod is counted: its uid goes first into
  ``status.uncountedTerminatedPods``, then into ``succeeded``/``failed``.
- At most ``parallelism`` active pods, and no more than the completions still missing.
  A failed pod's replacement waits out the pod-failure backoff (10 s doubling to 6 min).
- ``podReplacementPolicy``: TerminatingOrFailed (default) replaces a pod as soon as it is
  being deleted and counts a deleted pod that did not succeed as failed; Failed (the
  default with a ``podFailurePolicy``) waits until the pod's phase is Failed.
- ``podFailurePolicy`` rules (Ignore, Count, FailJob on exit codes or pod conditions,
  fidelity ``ctl-008``); ``backoffLimit`` (and restart counts under OnFailure);
  ``activeDeadlineSeconds``; ``suspend``; Indexed ``successPolicy``.
- Terminal conditions as 1.32 sets them: first SuccessCriteriaMet or FailureTarget,
  then Complete or Failed once no pod is terminating and every pod is counted; active
  pods of a failed Job are deleted. Status: ``active``, ``ready``, ``terminating``,
  ``succeeded``, ``failed``, ``startTime``, ``completionTime``, ``completedIndexes``.

Upstream: pkg/controller/job/{job_controller,tracking_utils,backoff_utils,
pod_failure_policy,success_policy,indexed_job_utils}.go at release-1.32
(JobPodReplacementPolicy, JobSuccessPolicy and JobManagedBy on; backoffLimitPerIndex
is not simulated).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

from chaoszone.sim import errors
from chaoszone.sim.controller_utils import (
    Expectations,
    PodControl,
    Retry,
    active_pods_key,
    claim,
    is_pod_active,
    is_pod_terminating,
    new_controller_ref,
    pod_from_template,
    update_status,
)
from chaoszone.sim.objects import (
    controller_ref_of,
    get_condition,
    is_pod_ready,
    parse_time,
    resource_type,
)
from chaoszone.sim.runtime import Runtime
from chaoszone.sim.selectors import LabelSelector, label_selector_from_dict
from chaoszone.sim.watch import ADDED, DELETED, Event
from chaoszone.sim.workqueue import WorkQueue

__all__ = ["JobController"]

COMPONENT = "job-controller"
TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
INDEX_KEY = "batch.kubernetes.io/job-completion-index"
MANAGED_BY = "kubernetes.io/job-controller"
BACKOFF_DEFAULT = 10.0
BACKOFF_MAX = 360.0
MAX_UNCOUNTED = 500
MAX_PER_SYNC = 500

JOBS = resource_type("batch", "v1", "jobs")
PODS = resource_type("", "v1", "pods")

Key = tuple[str, str]
Obj = dict[str, Any]


def _spec(job: Obj) -> Obj:
    spec: Obj = job.get("spec") or {}
    return spec


def _phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def _uid(pod: Obj) -> str:
    return str(pod["metadata"].get("uid", ""))


def _has_finalizer(pod: Obj) -> bool:
    return TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or [])


def is_finished(job: Obj) -> bool:
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or [])


def _suspended(job: Obj) -> bool:
    return bool(_spec(job).get("suspend"))


def _indexed(job: Obj) -> bool:
    return _spec(job).get("completionMode") == "Indexed"


def only_replace_failed(job: Obj) -> bool:
    return (_spec(job).get("podReplacementPolicy") == "Failed"
            or _spec(job).get("podFailurePolicy") is not None)


def is_pod_failed(pod: Obj, job: Obj) -> bool:
    """``isPodFailed``: phase Failed, or (TerminatingOrFailed without a failure policy)
    deleted before it succeeded."""
    if _spec(job).get("podFailurePolicy") is not None:
        return _phase(pod) == "Failed"
    if _phase(pod) == "Failed":
        return True
    if only_replace_failed(job):
        return False
    return bool(pod["metadata"].get("deletionTimestamp")) and _phase(pod) != "Succeeded"


def completion_index(pod: Obj) -> int:
    raw = (pod["metadata"].get("annotations") or {}).get(INDEX_KEY)
    try:
        return int(raw) if raw is not None else -1
    except ValueError:
        return -1


# -- pod failure policy ------------------------------------------------------------------------

def _exit_code_match(pod: Obj, requirement: Obj) -> Obj | None:
    status = pod.get("status") or {}
    for statuses in (status.get("containerStatuses"), status.get("initContainerStatuses")):
        for container in statuses or []:
            terminated = (container.get("state") or {}).get("terminated")
            if not terminated:
                continue
            name = requirement.get("containerName")
            if name is not None and name != container.get("name"):
                continue
            code = int(terminated.get("exitCode") or 0)
            if code == 0:
                continue
            values = requirement.get("values") or []
            inside = code in values
            if (requirement.get("operator") == "In") == inside:
                return dict(container)
    return None


def _condition_match(pod: Obj, patterns: list[Obj]) -> Obj | None:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        for pattern in patterns:
            if cond.get("type") == pattern.get("type") and \
                    cond.get("status") == (pattern.get("status") or "True"):
                return dict(cond)
    return None


def match_pod_failure_policy(job: Obj, pod: Obj) -> tuple[str | None, bool, str | None]:
    """``matchPodFailurePolicy``: (FailJob message, count as failed, action)."""
    policy = _spec(job).get("podFailurePolicy")
    if policy is None:
        return None, True, None
    meta = pod["metadata"]
    for index, rule in enumerate(policy.get("rules") or []):
        action = rule.get("action")
        if rule.get("onExitCodes") is not None:
            container = _exit_code_match(pod, rule["onExitCodes"])
            if container is None:
                continue
            if action == "FailJob":
                code = container["state"]["terminated"].get("exitCode")
                return (f"Container {container.get('name')} for pod {meta.get('namespace')}/"
                        f"{meta['name']} failed with exit code {code} matching FailJob rule "
                        f"at index {index}"), True, action
        elif rule.get("onPodConditions") is not None:
            cond = _condition_match(pod, rule["onPodConditions"])
            if cond is None:
                continue
            if action == "FailJob":
                return (f"Pod {meta.get('namespace')}/{meta['name']} has condition "
                        f"{cond.get('type')} matching FailJob rule at index {index}"), True, action
        else:
            continue
        if action == "Ignore":
            return None, False, action
        if action == "Count":
            return None, True, action
    return None, True, None


# -- indexes -----------------------------------------------------------------------------------

def parse_indexes(text: str, completions: int) -> set[int]:
    out: set[int] = set()
    for part in (text or "").split(","):
        if not part:
            continue
        try:
            if "-" in part:
                first, last = part.split("-", 1)
                out.update(range(int(first), min(int(last), completions - 1) + 1))
            elif int(part) < completions:
                out.add(int(part))
        except ValueError:
            return set()
    return out


def format_indexes(indexes: set[int]) -> str:
    """Intervals as ``completedIndexes`` writes them: ``1,3-5,7``."""
    parts: list[str] = []
    ordered = sorted(indexes)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


# -- the controller ----------------------------------------------------------------------------

@dataclass
class _Ctx:
    job: Obj
    pods: list[Obj]
    active_pods: list[Obj]
    ready: int
    terminating: int
    uncounted_succeeded: set[str]
    uncounted_failed: set[str]
    expected_rm: set[str]
    succeeded: int = 0
    failed: int = 0
    finished: Obj | None = None
    succeeded_indexes: set[int] = field(default_factory=set)
    previous_indexes: set[int] = field(default_factory=set)
    backoff: tuple[int, float | None] = (0, None)


class JobController:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.store = runtime.store
        self.clock = runtime.clock
        self.expectations = Expectations(self.clock)
        self.pods = PodControl(runtime, COMPONENT)
        self.queue: WorkQueue[Key] = runtime.queue("job controller", self.sync)
        self.orphans: WorkQueue[Key] = runtime.queue("job controller orphans",
                                                     self._handle_orphan)
        self.retry = Retry(runtime, self.queue.add)
        #: finalizer removals in flight, by job: pod uids
        self._rm_expected: dict[Key, set[str]] = {}
        #: the pod-failure backoff per job: (failures after the last success, last failure)
        self._backoff: dict[Key, tuple[int, float | None]] = {}
        runtime.listen(self._on_event)

    # -- events ----------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        rt = event.resource
        if rt is JOBS:
            key = (event.new.namespace, event.new.name)
            if event.type == DELETED:
                self.expectations.delete(key)
                self._rm_expected.pop(key, None)
                self._backoff.pop(key, None)
            self.queue.add(key)
        elif rt is PODS:
            pod = event.new.obj
            if event.type != DELETED and _has_finalizer(pod) and self._orphaned(pod):
                self.orphans.add((pod["metadata"]["namespace"], pod["metadata"]["name"]))
            owner = self._job_key(pod)
            if owner is None and event.old is not None:
                owner = self._job_key(event.old.obj)
            if owner is None:
                return
            key = owner
            name = pod["metadata"]["name"]
            if event.type == ADDED:
                self.expectations.creation_observed(key)
            if event.type == DELETED or pod["metadata"].get("deletionTimestamp"):
                self.expectations.deletion_observed(key, name)
            if event.type == DELETED or not _has_finalizer(pod):
                self._rm_expected.get(key, set()).discard(_uid(pod))
            self.queue.add(key)

    def _orphaned(self, pod: Obj) -> bool:
        """Whether a pod with the tracking finalizer has no unfinished Job to count it
        (its Job is gone or finished, or it has no controller at all)."""
        ref = controller_ref_of(pod)
        if ref is None:
            return True
        if ref.get("kind") != "Job" or ref.get("apiVersion") != "batch/v1":
            return False
        job = self.store.get(JOBS, pod["metadata"]["namespace"], ref["name"])
        if job is None or job.meta["uid"] != ref.get("uid"):
            return True
        managed_by = _spec(job.obj).get("managedBy")
        if managed_by and managed_by != MANAGED_BY:
            return False
        return is_finished(job.obj)

    def _handle_orphan(self, key: Key) -> None:
        """``handleOrphanPod``: drop the tracking finalizer nobody will remove."""
        stored = self.store.get(PODS, *key)
        if stored is None or not _has_finalizer(stored.obj) or not self._orphaned(stored.obj):
            return
        self._remove_finalizer(stored.obj)

    def _job_key(self, pod: Obj) -> Key | None:
        ref = controller_ref_of(pod)
        if ref is None or ref.get("kind") != "Job":
            return None
        return (pod["metadata"]["namespace"], ref["name"])

    # -- sync ------------------------------------------------------------------

    def sync(self, key: Key) -> None:
        stored = self.store.get(JOBS, *key)
        if stored is None:
            self.expectations.delete(key)
            return
        job = stored.copy()
        managed_by = _spec(job).get("managedBy")
        if managed_by and managed_by != MANAGED_BY:
            return
        if is_finished(job):
            self._backoff.pop(key, None)
            return
        try:
            self._sync(key, job)
        except errors.ApiError:
            self.retry.again(key)
            return
        self.retry.forget(key)

    def _sync(self, key: Key, job: Obj) -> None:
        spec = _spec(job)
        status = job.setdefault("status", {})
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        satisfied = self.expectations.satisfied(key)
        pods = self._pods_for_job(job)
        active_pods = [p for p in pods if is_pod_active(p)]
        ctx = _Ctx(job=job, pods=pods, active_pods=active_pods,
                   ready=sum(1 for p in active_pods if is_pod_ready(p)),
                   terminating=sum(1 for p in pods if is_pod_terminating(p)),
                   uncounted_succeeded=set(uncounted.get("succeeded") or []),
                   uncounted_failed=set(uncounted.get("failed") or []),
                   expected_rm=set(self._rm_expected.get(key, set())))
        active = len(active_pods)
        new_succeeded, new_failed = self._new_finished(ctx)
        ctx.succeeded = (int(status.get("succeeded") or 0) + len(new_succeeded)
                         + len(ctx.uncounted_succeeded))
        ignored = sum(1 for p in new_failed if not match_pod_failure_policy(job, p)[1])
        ctx.failed = (int(status.get("failed") or 0) + len(new_failed) - ignored
                      + len(ctx.uncounted_failed))
        if not status.get("startTime") and not _suspended(job):
            status["startTime"] = self.clock.timestamp()
        ctx.backoff = self._new_backoff(key, new_succeeded, new_failed)
        now = self.clock.timestamp()
        ctx.finished = self._success_criteria(job)
        if ctx.finished is None:
            target = get_condition(job, "FailureTarget")
            if target is not None and target.get("status") == "True":
                ctx.finished = self._cond("Failed", target.get("reason", ""),
                                          target.get("message", ""))
            else:
                message = self._fail_job_message(job, pods)
                if message is not None:
                    ctx.finished = self._cond("FailureTarget", "PodFailurePolicy", message)
        if ctx.finished is None:
            if ctx.failed > int(spec.get("backoffLimit", 6)) or \
                    self._past_backoff_limit_on_failure(job, pods):
                ctx.finished = self._cond("FailureTarget", "BackoffLimitExceeded",
                                          "Job has reached the specified backoff limit")
            elif self._past_deadline(job):
                ctx.finished = self._cond("FailureTarget", "DeadlineExceeded",
                                          "Job was active longer than specified deadline")
            elif spec.get("activeDeadlineSeconds") is not None and not _suspended(job):
                started = parse_time(status.get("startTime")) or self.clock.now()
                remaining = started + int(spec["activeDeadlineSeconds"]) - self.clock.now()
                self.runtime.after(max(0.0, remaining), lambda: self.queue.add(key))
        if _indexed(job):
            completions = int(spec.get("completions") or 0)
            ctx.previous_indexes = parse_indexes(status.get("completedIndexes", ""), completions)
            ctx.succeeded_indexes = set(ctx.previous_indexes)
            for pod in pods:
                index = completion_index(pod)
                if _phase(pod) == "Succeeded" and 0 <= index < completions:
                    ctx.succeeded_indexes.add(index)
            ctx.succeeded = len(ctx.succeeded_indexes)
            if ctx.finished is None and self._success_criteria(job) is None:
                message = self._match_success_policy(job, ctx.succeeded_indexes)
                if message is not None:
                    ctx.finished = self._cond("SuccessCriteriaMet", "SuccessPolicy", message)
        suspend_changed = False
        if ctx.finished is not None:
            deleted_ready, deleted = self._delete_active(job, ctx.active_pods)
            if deleted != active or not satisfied:
                ctx.finished = None
            active -= deleted
            ctx.terminating += deleted
            ctx.ready -= deleted_ready
        else:
            manage_called = False
            if satisfied and not job["metadata"].get("deletionTimestamp"):
                active = self._manage(key, job, ctx)
                manage_called = True
            wanted = spec.get("completions")
            if wanted is None:
                complete = ctx.succeeded > 0 and active == 0
            else:
                complete = ctx.succeeded >= int(wanted) and active == 0
            if complete:
                ctx.finished = self._cond("SuccessCriteriaMet", "CompletionsReached",
                                          "Reached expected number of succeeded pods")
            elif manage_called:
                if _suspended(job):
                    if self._ensure_condition(job, "Suspended", "True", "JobSuspended",
                                              "Job suspended", now):
                        suspend_changed = True
                        self._event(job, "Normal", "Suspended", "Job suspended")
                elif self._ensure_condition(job, "Suspended", "False", "JobResumed",
                                            "Job resumed", now):
                    suspend_changed = True
                    self._event(job, "Normal", "Resumed", "Job resumed")
                    status["startTime"] = now
        needs = (suspend_changed or active != int(status.get("active") or 0)
                 or ctx.ready != status.get("ready")
                 or ctx.terminating != status.get("terminating"))
        status["active"] = active
        status["ready"] = ctx.ready
        status["terminating"] = ctx.terminating
        self._track(key, ctx, needs)

    # -- pods ------------------------------------------------------------------

    def _pods_for_job(self, job: Obj) -> list[Obj]:
        ns, name, uid = job["metadata"]["namespace"], job["metadata"]["name"], \
            job["metadata"]["uid"]
        try:
            selector = label_selector_from_dict(_spec(job).get("selector"))
        except errors.ApiError:
            selector = LabelSelector.nothing()

        def alive() -> bool:
            fresh = self.store.get(JOBS, ns, name)
            return (fresh is not None and fresh.meta["uid"] == uid
                    and not fresh.meta.get("deletionTimestamp"))

        return claim(self.registry, PODS, job, selector,
                     [s.obj for s in self.store.items(PODS, ns)], owner_alive=alive,
                     release_finalizer=TRACKING_FINALIZER)

    def _new_finished(self, ctx: _Ctx) -> tuple[list[Obj], list[Obj]]:
        """``getNewFinishedPods``: finished pods not counted yet (they have the finalizer)."""
        succeeded: list[Obj] = []
        failed: list[Obj] = []
        completions = int(_spec(ctx.job).get("completions") or 0)
        for pod in ctx.pods:
            uid = _uid(pod)
            if not _has_finalizer(pod) or uid in ctx.expected_rm:
                continue
            if _indexed(ctx.job) and not 0 <= completion_index(pod) < completions:
                continue
            if _phase(pod) == "Succeeded" and uid not in ctx.uncounted_succeeded:
                succeeded.append(pod)
            elif is_pod_failed(pod, ctx.job) and uid not in ctx.uncounted_failed:
                failed.append(pod)
        return succeeded, failed

    def _manage(self, key: Key, job: Obj, ctx: _Ctx) -> int:
        """``manageJob``: delete surplus pods, or create missing ones."""
        spec = _spec(job)
        active = len(ctx.active_pods)
        parallelism = int(spec.get("parallelism", 1))
        if _suspended(job):
            victims = sorted(ctx.active_pods, key=active_pods_key())
            ready, removed = self._delete_pods(key, job, victims)
            ctx.terminating += removed
            ctx.ready -= ready
            return active - removed
        completions = spec.get("completions")
        if completions is None:
            want = active if ctx.succeeded > 0 else parallelism
        else:
            want = max(0, min(int(completions) - ctx.succeeded, parallelism))
        victims = self._for_removal(job, ctx, max(0, active - want))[:MAX_PER_SYNC]
        if victims:
            ready, removed = self._delete_pods(key, job, victims)
            ctx.terminating += removed
            ctx.ready -= ready
            return active - removed
        terminating = ctx.terminating if only_replace_failed(job) else 0
        diff = want - terminating - active
        if diff <= 0:
            return active
        remaining = self._backoff_remaining(ctx.backoff)
        if remaining > 0:
            self.runtime.after(remaining, lambda: self.queue.add(key))
            return 0
        diff = min(diff, MAX_PER_SYNC)
        indexes: list[int] = []
        if _indexed(job):
            indexes = self._pending_indexes(job, ctx, diff)
            diff = len(indexes)
        self.expectations.expect(key, adds=diff)
        template = copy.deepcopy(spec.get("template") or {})
        if _indexed(job):
            _add_index_env(template)
        meta = template.setdefault("metadata", {})
        finalizers = list(meta.get("finalizers") or [])
        if TRACKING_FINALIZER not in finalizers:
            finalizers.append(TRACKING_FINALIZER)
        meta["finalizers"] = finalizers
        ref = new_controller_ref(job, JOBS)
        created, batch = 0, min(diff, 1)
        while batch > 0:
            failed = False
            for _ in range(batch):
                pod = pod_from_template(template, job, ref)
                if indexes:
                    index = indexes.pop(0)
                    pod["metadata"].setdefault("annotations", {})[INDEX_KEY] = str(index)
                    pod["metadata"].setdefault("labels", {})[INDEX_KEY] = str(index)
                    pod["metadata"]["generateName"] = f"{job['metadata']['name']}-{index}-"
                    pod["spec"]["hostname"] = f"{job['metadata']['name']}-{index}"
                try:
                    self.pods.create(job, JOBS, pod)
                except errors.ApiError as exc:
                    self.expectations.creation_observed(key)
                    if not any(c.reason == "NamespaceTerminating" for c in exc.causes):
                        failed = True
            created += batch
            if failed:
                self.expectations.lower(key, diff - created)
                return active + created - 1
            batch = min(2 * batch, diff - created)
        return active + diff

    def _for_removal(self, job: Obj, ctx: _Ctx, at_least: int) -> list[Obj]:
        """``activePodsForRemoval``: Indexed first drops duplicate and out-of-range
        indexes, then the ActivePods order picks the rest."""
        remove: list[Obj] = []
        left = list(ctx.active_pods)
        if _indexed(job):
            completions = int(_spec(job).get("completions") or 0)
            seen: set[int] = set()
            left = []
            for pod in sorted(ctx.active_pods, key=completion_index):
                index = completion_index(pod)
                if index < 0 or index >= completions or index in ctx.succeeded_indexes or \
                        index in seen:
                    remove.append(pod)
                else:
                    seen.add(index)
                    left.append(pod)
        if len(remove) < at_least:
            left.sort(key=active_pods_key())
            remove.extend(left[:at_least - len(remove)])
        return remove

    def _pending_indexes(self, job: Obj, ctx: _Ctx, count: int) -> list[int]:
        completions = int(_spec(job).get("completions") or 0)
        busy = {completion_index(p) for p in ctx.active_pods}
        if only_replace_failed(job):
            busy |= {completion_index(p) for p in ctx.pods if is_pod_terminating(p)}
        out = []
        for index in range(completions):
            if index in ctx.succeeded_indexes or index in busy:
                continue
            out.append(index)
            if len(out) == count:
                break
        return out

    def _delete_pods(self, key: Key, job: Obj, victims: list[Obj]) -> tuple[int, int]:
        """``deleteJobPods``: drop the finalizer, then delete; (ready, deleted)."""
        self.expectations.expect(key, deletes=[p["metadata"]["name"] for p in victims])
        ready = removed = 0
        for pod in victims:
            ok = True
            if _has_finalizer(pod):
                ok = self._remove_finalizer(pod)
            if ok:
                try:
                    self.pods.delete(job, JOBS, pod["metadata"]["name"])
                except errors.ApiError as exc:
                    self.expectations.deletion_observed(key, pod["metadata"]["name"])
                    ok = exc.code == 404
            else:
                self.expectations.deletion_observed(key, pod["metadata"]["name"])
            if ok:
                removed += 1
                ready += 1 if is_pod_ready(pod) else 0
        return ready, removed

    def _delete_active(self, job: Obj, pods: list[Obj]) -> tuple[int, int]:
        """``deleteActivePods`` (the Job failed or met its success criteria)."""
        ready = removed = 0
        for pod in pods:
            try:
                self.pods.delete(job, JOBS, pod["metadata"]["name"])
                removed += 1
            except errors.ApiError as exc:
                if exc.code == 404:
                    removed += 1
            if is_pod_ready(pod):
                ready += 1
        return ready, removed

    def _remove_finalizer(self, pod: Obj) -> bool:
        stored = self.store.get(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
        if stored is None or stored.meta["uid"] != _uid(pod):
            return True
        new = stored.copy()
        finalizers = [f for f in new["metadata"].get("finalizers") or []
                      if f != TRACKING_FINALIZER]
        if finalizers:
            new["metadata"]["finalizers"] = finalizers
        else:
            new["metadata"].pop("finalizers", None)
        try:
            self.registry.update(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"],
                                 new)
        except errors.ApiError as exc:
            return exc.code == 404
        return True

    # -- counting and finishing -------------------------------------------------

    def _track(self, key: Key, ctx: _Ctx, needs_flush: bool) -> None:
        """``trackJobStatusAndRemoveFinalizers``."""
        job = ctx.job
        status = job["status"]
        uncounted = status["uncountedTerminatedPods"]
        with_finalizer = {_uid(p) for p in ctx.pods
                          if _has_finalizer(p) and _uid(p) not in ctx.expected_rm}
        if _clean_uncounted(status, with_finalizer):
            needs_flush = True
        to_remove: list[Obj] = []
        new_indexes: set[int] = set()
        completions = int(_spec(job).get("completions") or 0)
        reached_max = False
        for pod in sorted(ctx.pods, key=completion_index) if _indexed(job) else ctx.pods:
            uid = _uid(pod)
            if not _has_finalizer(pod) or uid in ctx.expected_rm:
                continue
            failed = is_pod_failed(pod, job)
            if not (job["metadata"].get("deletionTimestamp") or ctx.finished is not None
                    or _phase(pod) == "Succeeded" or failed):
                continue
            to_remove.append(pod)
            if _phase(pod) == "Succeeded" and uid not in ctx.uncounted_failed:
                if _indexed(job):
                    index = completion_index(pod)
                    if 0 <= index < completions and index not in ctx.previous_indexes:
                        new_indexes.add(index)
                elif uid not in ctx.uncounted_succeeded:
                    needs_flush = True
                    uncounted.setdefault("succeeded", []).append(uid)
                    ctx.uncounted_succeeded.add(uid)
            elif failed or (ctx.finished is not None
                            and ctx.finished["type"] != "SuccessCriteriaMet"):
                index = completion_index(pod)
                if uid not in ctx.uncounted_failed and (
                        not _indexed(job) or 0 <= index < completions) and \
                        match_pod_failure_policy(job, pod)[1]:
                    needs_flush = True
                    uncounted.setdefault("failed", []).append(uid)
                    ctx.uncounted_failed.add(uid)
            if len(new_indexes) + len(uncounted.get("succeeded") or []) + \
                    len(uncounted.get("failed") or []) >= MAX_UNCOUNTED:
                reached_max = True
                break
        if _indexed(job):
            ctx.succeeded_indexes |= new_indexes
            text = format_indexes(ctx.succeeded_indexes)
            if text != status.get("completedIndexes", ""):
                needs_flush = True
            status["succeeded"] = len(ctx.succeeded_indexes)
            status["completedIndexes"] = text
        if ctx.finished is not None and ctx.finished["type"] == "FailureTarget":
            status.setdefault("conditions", []).append(ctx.finished)
            needs_flush = True
            ctx.finished = self._cond("Failed", ctx.finished["reason"], ctx.finished["message"])
        if ctx.finished is not None and ctx.finished["type"] == "SuccessCriteriaMet":
            if self._success_criteria(job) is None:
                status.setdefault("conditions", []).append(ctx.finished)
                needs_flush = True
            ctx.finished = self._cond("Complete", ctx.finished["reason"],
                                      ctx.finished["message"])
        # flush: the uids first, then the finalizers, then the counters
        if needs_flush:
            self._write(job)
            self._backoff[key] = ctx.backoff
            needs_flush = False
        if to_remove:
            expected = self._rm_expected.setdefault(key, set())
            for pod in to_remove:
                expected.add(_uid(pod))
                if self._remove_finalizer(pod):
                    with_finalizer.discard(_uid(pod))
                expected.discard(_uid(pod))
        if _clean_uncounted(status, with_finalizer):
            needs_flush = True
        finished = not reached_max and self._enact_finished(ctx)
        if finished:
            needs_flush = True
        if needs_flush:
            self._write(job)
            if finished and ctx.finished is not None:
                if ctx.finished["type"] == "Complete":
                    self._event(job, "Normal", "Completed", "Job completed")
                else:
                    self._event(job, "Warning", ctx.finished["reason"], ctx.finished["message"])

    def _enact_finished(self, ctx: _Ctx) -> bool:
        if ctx.finished is None:
            return False
        uncounted = ctx.job["status"].get("uncountedTerminatedPods") or {}
        if uncounted.get("succeeded") or uncounted.get("failed"):
            return False
        if ctx.terminating > 0:
            return False
        now = self.clock.timestamp()
        self._ensure_condition(ctx.job, ctx.finished["type"], "True", ctx.finished["reason"],
                               ctx.finished["message"], now)
        if ctx.finished["type"] == "Complete":
            ctx.job["status"]["completionTime"] = now
        return True

    def _write(self, job: Obj) -> None:
        ns, name = job["metadata"]["namespace"], job["metadata"]["name"]
        status = copy.deepcopy(job["status"])
        for field_name in ("active", "succeeded", "failed"):
            if not status.get(field_name):
                status.pop(field_name, None)
        if not status.get("completedIndexes"):
            status.pop("completedIndexes", None)
        uncounted = status.get("uncountedTerminatedPods") or {}
        status["uncountedTerminatedPods"] = {k: v for k, v in uncounted.items() if v}
        if not status.get("conditions"):
            status.pop("conditions", None)
        stored = update_status(self.registry, JOBS, ns, name, status)
        if stored is None:
            raise errors.Conflict("jobs", name, "the job status could not be written", "batch")

    def _cond(self, type_: str, reason: str, message: str) -> Obj:
        now = self.clock.timestamp()
        return {"type": type_, "status": "True", "lastProbeTime": now,
                "lastTransitionTime": now, "reason": reason, "message": message}

    def _ensure_condition(self, job: Obj, type_: str, status: str, reason: str, message: str,
                          now: str) -> bool:
        """``ensureJobConditionStatus``."""
        conditions = job["status"].setdefault("conditions", [])
        for i, cond in enumerate(conditions):
            if cond.get("type") == type_:
                if cond.get("status") != status or cond.get("reason") != reason or \
                        cond.get("message") != message:
                    conditions[i] = {"type": type_, "status": status, "lastProbeTime": now,
                                     "lastTransitionTime": now, "reason": reason,
                                     "message": message}
                    return True
                return False
        if status != "False":
            conditions.append({"type": type_, "status": status, "lastProbeTime": now,
                               "lastTransitionTime": now, "reason": reason,
                               "message": message})
            return True
        return False

    def _success_criteria(self, job: Obj) -> Obj | None:
        cond = get_condition(job, "SuccessCriteriaMet")
        return dict(cond) if cond is not None and cond.get("status") == "True" else None

    def _fail_job_message(self, job: Obj, pods: list[Obj]) -> str | None:
        if _spec(job).get("podFailurePolicy") is None:
            return None
        for pod in pods:
            if is_pod_failed(pod, job):
                message, _, _ = match_pod_failure_policy(job, pod)
                if message is not None:
                    return message
        return None

    def _past_backoff_limit_on_failure(self, job: Obj, pods: list[Obj]) -> bool:
        template = _spec(job).get("template") or {}
        if (template.get("spec") or {}).get("restartPolicy") != "OnFailure":
            return False
        restarts = 0
        for pod in pods:
            if _phase(pod) in ("Running", "Pending"):
                status = pod.get("status") or {}
                for container in [*(status.get("initContainerStatuses") or []),
                                  *(status.get("containerStatuses") or [])]:
                    restarts += int(container.get("restartCount") or 0)
        limit = int(_spec(job).get("backoffLimit", 6))
        return restarts > 0 if limit == 0 else restarts >= limit

    def _past_deadline(self, job: Obj) -> bool:
        seconds = _spec(job).get("activeDeadlineSeconds")
        started = parse_time((job.get("status") or {}).get("startTime"))
        if seconds is None or started is None or _suspended(job):
            return False
        return self.clock.now() - started >= int(seconds)

    def _match_success_policy(self, job: Obj, succeeded: set[int]) -> str | None:
        policy = _spec(job).get("successPolicy")
        if policy is None or not succeeded:
            return None
        completions = int(_spec(job).get("completions") or 0)
        for index, rule in enumerate(policy.get("rules") or []):
            count = rule.get("succeededCount")
            if rule.get("succeededIndexes") is not None:
                required = parse_indexes(rule["succeededIndexes"], completions)
                if not required:
                    continue
                done = len(required & succeeded)
                if (count is None and done == len(required)) or \
                        (count is not None and done >= int(count)):
                    return f"Matched rules at index {index}"
            elif count is not None and len(succeeded) >= int(count):
                return f"Matched rules at index {index}"
        return None

    # -- backoff -------------------------------------------------------------------------

    def _new_backoff(self, key: Key, succeeded: list[Obj], failed: list[Obj]
                     ) -> tuple[int, float | None]:
        """``newBackoffRecord``: failures since the last success, and the last failure."""
        count, last = self._backoff.get(key, (0, None))
        finished = functools.partial(_finished_time, now=self.clock.now())
        if not succeeded:
            if not failed:
                return count, last
            return count + len(failed), max(finished(p) for p in failed)
        last_success = max(finished(p) for p in succeeded)
        later = [finished(p) for p in failed if finished(p) > last_success]
        return len(later), (max(later) if later else None)

    def _backoff_remaining(self, record: tuple[int, float | None]) -> float:
        count, last = record
        if count == 0 or last is None:
            return 0.0
        delay = BACKOFF_DEFAULT
        for _ in range(1, count):
            delay *= 2
            if delay >= BACKOFF_MAX:
                delay = BACKOFF_MAX
                break
        elapsed = self.clock.now() - last
        return 0.0 if delay < elapsed else delay - elapsed

    def _event(self, job: Obj, type_: str, reason: str, message: str) -> None:
        self.runtime.record_event(job, JOBS, type_, reason, message, COMPONENT)


def _finished_time(pod: Obj, now: float) -> float:
    """``getFinishedTime``: the last container's finishedAt, else when the pod stopped
    being ready, else its deletion time."""
    status = pod.get("status") or {}
    times = [parse_time(((c.get("state") or {}).get("terminated") or {}).get("finishedAt"))
             for c in [*(status.get("containerStatuses") or []),
                       *(status.get("initContainerStatuses") or [])]]
    known = [t for t in times if t is not None]
    if known:
        return max(known)
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready" and cond.get("status") == "False":
            at = parse_time(cond.get("lastTransitionTime"))
            if at is not None:
                return at
    deleted = parse_time(pod["metadata"].get("deletionTimestamp"))
    if deleted is not None:
        return deleted - int(pod["metadata"].get("deletionGracePeriodSeconds") or 0)
    return now


def _clean_uncounted(status: Obj, with_finalizer: set[str]) -> bool:
    """``cleanUncountedPodsWithoutFinalizers``: uids whose finalizer is gone move into
    the counters."""
    uncounted = status["uncountedTerminatedPods"]
    changed = False
    for kind, counter in (("succeeded", "succeeded"), ("failed", "failed")):
        uids = list(uncounted.get(kind) or [])
        keep = [u for u in uids if u in with_finalizer]
        if len(keep) != len(uids):
            changed = True
            status[counter] = int(status.get(counter) or 0) + len(uids) - len(keep)
            uncounted[kind] = keep
    return changed


def _add_index_env(template: Obj) -> None:
    """``addCompletionIndexEnvVariables``."""
    env = {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
        "fieldPath": f"metadata.annotations['{INDEX_KEY}']"}}}
    spec = template.setdefault("spec", {})
    for kind in ("initContainers", "containers"):
        for container in spec.get(kind) or []:
            variables = container.setdefault("env", [])
            if not any(v.get("name") == "JOB_COMPLETION_INDEX" for v in variables):
                variables.append(copy.deepcopy(env))
