"""Expectations: wait, on watches, until the cluster reaches a state, or fail saying why.

    expect.ready(web, within=60)                               # every replica Ready
    expect.ready(web, within=90, outside_zones={"zone-a"})     # ... none counted in zone-a
    expect.spread(web, max_skew=1)                             # Ready pods evenly over zones
    expect.pending(pinned, reason="Unschedulable", within=30)  # stuck, for this reason
    expect.nodes_not_ready(cluster.zone("zone-a"), within=60)  # the fault bit

Budgets (``within``) are cluster seconds on every target; the target converts them to
wall seconds (the simulator runs faster than the wall clock). Each expectation lists the
objects once, then follows a watch from that list's resourceVersion and resolves on the
first event that makes it true: no polling, no sleeps. A transient API error (a dropped
connection, 429, 5xx) is retried with tenacity; a watch that expires (410) is listed
again. When the budget runs out, :class:`ExpectationFailed` (an ``AssertionError``, so a
test *failure*) shows every distinct state observed, in time order, in cluster seconds.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import tenacity
import urllib3
from kubernetes import client, watch

from chaoszone.errors import ExpectationFailed, TargetError
from chaoszone.targets import (
    CONTAINERS,
    PodRef,
    PodState,
    ServiceRef,
    Target,
    Workload,
    ZoneRef,
    capabilities,
    node_zones,
    pod_state,
)

__all__ = [
    "Resolved",
    "api_available",
    "api_unavailable",
    "endpoints",
    "no_evictions",
    "nodes_cordoned",
    "nodes_not_ready",
    "nodes_ready",
    "nodes_tainted",
    "pending",
    "ready",
    "ready_throughout",
    "replaced",
    "resolved",
    "spread",
    "volume_data",
    "volume_zones",
    "zone_bound",
]

__tracebackhide__ = True

#: the fault taints the node-lifecycle controller sets
FAULT_TAINT_KEYS = ("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready")

Judge = Callable[[list[Any]], tuple[bool, str]]


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, client.ApiException):
        return exc.status in (429, 500, 502, 503, 504) or exc.status == 0
    return isinstance(exc, urllib3.exceptions.HTTPError | ConnectionError)


_retry = tenacity.retry(retry=tenacity.retry_if_exception(_transient),
                        wait=tenacity.wait_exponential(multiplier=0.1, max=2),
                        stop=tenacity.stop_after_attempt(6), reraise=True)


def _key(obj: Any) -> tuple[str, str]:
    return (obj.metadata.namespace or "", obj.metadata.name)


@dataclass(frozen=True)
class Resolved:
    """An expectation that came true: what, and after how many cluster seconds of waiting."""

    what: str
    after: float


_RESOLVED: list[Resolved] = []
_RESOLVED_LOCK = threading.Lock()


def resolved() -> list[Resolved]:
    """Every expectation this process saw come true, oldest first (the pytest plugin records
    each test's as JUnit properties: how long the cluster took to recover)."""
    with _RESOLVED_LOCK:
        return list(_RESOLVED)


def _observe(target: Target, list_fn: Callable[..., Any], *, within: float, what: str,
             judge: Judge, **kwargs: Any) -> list[Any]:
    """Watch ``list_fn`` until ``judge(items)`` is true; ``within`` cluster seconds."""
    __tracebackhide__ = True
    start = time.monotonic()
    items = _watch_until(target, list_fn, within=within, what=what, judge=judge, **kwargs)
    with _RESOLVED_LOCK:
        _RESOLVED.append(Resolved(what, target.cluster_seconds(time.monotonic() - start)))
    return items


def _watch_until(target: Target, list_fn: Callable[..., Any], *, within: float, what: str,
                 judge: Judge, **kwargs: Any) -> list[Any]:
    __tracebackhide__ = True
    if isinstance(within, bool) or not isinstance(within, int | float) or within < 0:
        raise ValueError(f"within is a number of cluster seconds >= 0, got {within!r}")
    start = time.monotonic()
    deadline = start + target.wall_seconds(within)
    timeline: list[tuple[float, str]] = []

    def judged(items: dict[tuple[str, str], Any]) -> bool:
        ok, summary = judge(list(items.values()))
        if not timeline or timeline[-1][1] != summary:
            timeline.append((target.cluster_seconds(time.monotonic() - start), summary))
        return ok

    @_retry
    def relist() -> tuple[dict[tuple[str, str], Any], str]:
        listed = list_fn(**kwargs)
        return {_key(i): i for i in listed.items}, listed.metadata.resource_version

    try:
        items, rv = relist()
        if judged(items):
            return list(items.values())
        while (left := deadline - time.monotonic()) > 0:
            stream: Any = watch.Watch()  # type: ignore[no-untyped-call]
            try:
                for event in stream.stream(list_fn, resource_version=rv,
                                           timeout_seconds=max(1, math.ceil(left)),
                                           _request_timeout=left + 10, **kwargs):
                    obj = event["object"]
                    if event["type"] == "BOOKMARK":
                        rv = obj.metadata.resource_version if hasattr(obj, "metadata") \
                            else obj["metadata"]["resourceVersion"]
                        continue
                    rv = obj.metadata.resource_version
                    if event["type"] == "DELETED":
                        items.pop(_key(obj), None)
                    else:
                        items[_key(obj)] = obj
                    if judged(items):
                        return list(items.values())
                    if time.monotonic() >= deadline:
                        break
            except client.ApiException as exc:
                if exc.status != 410 and not _transient(exc):
                    raise
                items, rv = relist()
                if judged(items):
                    return list(items.values())
            except (urllib3.exceptions.HTTPError, ConnectionError):
                items, rv = relist()
                if judged(items):
                    return list(items.values())
            finally:
                stream.stop()
    except client.ApiException as exc:
        raise TargetError(f"while waiting for {what}: the API answered {exc.status} "
                          f"{exc.reason}: {exc.body}") from exc
    except (urllib3.exceptions.HTTPError, ConnectionError) as exc:
        raise TargetError(f"while waiting for {what}: the API is unreachable: {exc}") from exc
    lines = "\n".join(f"  t+{t:.1f}s  {s}" for t, s in timeline)
    raise ExpectationFailed(
        f"{what}: not within {within:g} cluster seconds. Observed (cluster seconds after the "
        f"expectation began):\n{lines}")


# -- pods ---------------------------------------------------------------------------------------

def _by_zone(pods: Collection[PodState]) -> str:
    counts: dict[str, int] = {}
    for p in pods:
        counts[p.zone or "-"] = counts.get(p.zone or "-", 0) + 1
    return ", ".join(f"{z} {n}" for z, n in sorted(counts.items())) or "none"


def _pod_states(pods: list[Any], zones: Mapping[str, str]) -> list[PodState]:
    return sorted((pod_state(p, zones) for p in pods), key=lambda p: p.name)


def ready(workload: Workload, *, within: float, outside_zones: Collection[str] = (),
          inside_zones: Collection[str] | None = None,
          min_ready: int | None = None) -> list[PodState]:
    """Wait until ``min_ready`` (default: the workload's replicas) of its pods are Running
    and Ready, counting only pods outside ``outside_zones`` and, when given, inside
    ``inside_zones``. Returns the pods counted."""
    __tracebackhide__ = True
    target = workload.target
    wanted = workload.replicas if min_ready is None else min_ready
    if wanted is None:
        raise ValueError(f"{workload} has no replica count; pass min_ready=")
    zones = node_zones(target)
    excluded, included = set(outside_zones), None if inside_zones is None else set(inside_zones)
    _check_zones(zones, excluded | (included or set()))
    counted: list[PodState] = []

    def judge(pods: list[Any]) -> tuple[bool, str]:
        states = _pod_states(pods, zones)
        good = [p for p in states if p.ready and not p.deleting and p.zone not in excluded
                and (included is None or p.zone in included)]
        counted[:] = good
        others = [p for p in states if p not in good]
        rest = "; ".join(f"{p.name} {p.phase}{' deleting' if p.deleting else ''}"
                         f"{' ready' if p.ready else ''} on {p.node or '-'} ({p.zone or '-'})"
                         for p in others)
        return len(good) >= wanted, (f"{len(good)}/{wanted} ready where counted "
                                     f"({_by_zone(good)})" + (f"; others: {rest}" if rest
                                                              else ""))

    where = (f" outside {', '.join(sorted(excluded))}" if excluded else "") + \
        (f" inside {', '.join(sorted(included))}" if included is not None else "")
    _observe(target, client.CoreV1Api(target.api_client()).list_namespaced_pod,
             within=within, what=f"{workload}: {wanted} pod(s) Ready{where}", judge=judge,
             namespace=workload.namespace, label_selector=workload.label_selector)
    return counted


@dataclass
class Monitor:
    """What :func:`ready_throughout` saw: the fewest Ready pods, and when counts changed."""

    workload: Workload
    min_ready: int
    lowest: int | None = None
    #: (cluster seconds since the block began, Ready pods, summary)
    timeline: list[tuple[float, int, str]] = field(default_factory=list)


@contextlib.contextmanager
def ready_throughout(workload: Workload, *, min_ready: int) -> Iterator[Monitor]:
    """For the whole ``with`` block, at least ``min_ready`` of the workload's pods must be
    Ready (a disruption budget never broken): a watch follows every change in a thread,
    and leaving the block raises :class:`ExpectationFailed` if the count ever fell below,
    with the timeline around it. Not a spot check: every watch event is counted."""
    __tracebackhide__ = True
    target = workload.target
    zones = node_zones(target)
    monitor = Monitor(workload, min_ready)
    stop = threading.Event()
    start = time.monotonic()
    core = client.CoreV1Api(target.api_client())
    failure: list[BaseException] = []

    def count(items: Mapping[tuple[str, str], Any]) -> None:
        good = [p for p in _pod_states(list(items.values()), zones) if p.ready and not p.deleting]
        summary = f"{len(good)} ready ({_by_zone(good)})"
        if not monitor.timeline or monitor.timeline[-1][2] != summary:
            monitor.timeline.append((target.cluster_seconds(time.monotonic() - start),
                                     len(good), summary))
        monitor.lowest = len(good) if monitor.lowest is None else min(monitor.lowest,
                                                                       len(good))

    def follow() -> None:
        try:
            listed: Any = _retry(core.list_namespaced_pod)(
                workload.namespace, label_selector=workload.label_selector)
            items = {_key(i): i for i in listed.items}
            rv = listed.metadata.resource_version
            count(items)
            ready_event.set()
            while not stop.is_set():
                stream: Any = watch.Watch()  # type: ignore[no-untyped-call]
                try:
                    for event in stream.stream(core.list_namespaced_pod, workload.namespace,
                                               label_selector=workload.label_selector,
                                               resource_version=rv, timeout_seconds=1,
                                               _request_timeout=15):
                        obj = event["object"]
                        if event["type"] == "BOOKMARK":
                            continue
                        rv = obj.metadata.resource_version
                        if event["type"] == "DELETED":
                            items.pop(_key(obj), None)
                        else:
                            items[_key(obj)] = obj
                        count(items)
                        if stop.is_set():
                            break
                finally:
                    stream.stop()
        except BaseException as exc:  # reported when the block ends
            failure.append(exc)
            ready_event.set()

    ready_event = threading.Event()
    thread = threading.Thread(target=follow, name=f"chaoszone-monitor-{workload.name}",
                              daemon=True)
    thread.start()
    ready_event.wait(30)
    try:
        yield monitor
    finally:
        stop.set()
        thread.join(30)
    if failure:
        raise TargetError(f"the monitor of {workload} stopped: {failure[0]}") from failure[0]
    if monitor.lowest is None or monitor.lowest < min_ready:
        lines = "\n".join(f"  t+{t:.1f}s  {s}" for t, _, s in monitor.timeline)
        raise ExpectationFailed(
            f"{workload}: fewer than {min_ready} pods Ready during the block (lowest "
            f"{monitor.lowest}). Observed (cluster seconds after the block began):\n{lines}")


def no_evictions(workload: Workload, *, during: float) -> None:
    """For ``during`` cluster seconds, watch that none of the workload's pods is deleted
    or marked for deletion (evicted); fail at the first one."""
    __tracebackhide__ = True
    target = workload.target
    zones = node_zones(target)
    first = {p.uid for p in workload.pods()}
    seen: list[str] = []

    def judge(pods: list[Any]) -> tuple[bool, str]:
        states = _pod_states(pods, zones)
        live = {p.uid for p in states if not p.deleting}
        gone = [p for p in states if p.uid in first and p.deleting]
        missing = first - {p.uid for p in states}
        summary = (f"{len(live & first)}/{len(first)} original pods live ({_by_zone(states)})"
                   + "".join(f"; {p.name} deleting on {p.node} ({p.zone})" for p in gone)
                   + (f"; {len(missing)} deleted" if missing else ""))
        seen[:] = [summary]
        return bool(gone or missing), summary

    try:
        _observe(target, client.CoreV1Api(target.api_client()).list_namespaced_pod,
                 within=during, what="an eviction", judge=judge,
                 namespace=workload.namespace, label_selector=workload.label_selector)
    except ExpectationFailed:
        return  # nothing was evicted for the whole time
    raise ExpectationFailed(f"{workload}: a pod was evicted within {during:g} cluster seconds: "
                            f"{seen[0] if seen else ''}")


def volume_zones(workload: Workload) -> dict[str, str]:
    """Pod name to the zone of its bound volume(s), from each claim's PersistentVolume
    node affinity (a zone label, or a hostname whose node has one)."""
    target = workload.target
    core: Any = client.CoreV1Api(target.api_client())
    zones = node_zones(target)
    out: dict[str, str] = {}
    for pod in core.list_namespaced_pod(workload.namespace,
                                        label_selector=workload.label_selector).items:
        for volume in pod.spec.volumes or []:
            if volume.persistent_volume_claim is None:
                continue
            claim = core.read_namespaced_persistent_volume_claim(
                volume.persistent_volume_claim.claim_name, workload.namespace)
            if not claim.spec.volume_name:
                continue
            pv = core.read_persistent_volume(claim.spec.volume_name)
            required = pv.spec.node_affinity.required if pv.spec.node_affinity else None
            for term in (required.node_selector_terms if required else None) or []:
                for req in term.match_expressions or []:
                    if req.key == "topology.kubernetes.io/zone" and req.values:
                        out[pod.metadata.name] = req.values[0]
                    elif req.key == "kubernetes.io/hostname" and req.values:
                        out[pod.metadata.name] = zones.get(req.values[0], "")
    return out


def volume_data(workload: Workload) -> dict[str, str] | None:
    """Pod name to the identity each Ready pod's container keeps in its volume: the first
    line of its log (:func:`chaoszone.workloads.statefulset` writes it into the volume on
    first start and prints it on every start). Compare the answers before a fault and after
    recovery: equal identities mean the replica came back to the same data.

    None on a target whose containers do not really run (the simulator: its volumes have no
    contents, so the same claim and PersistentVolume is what stays checkable there)."""
    __tracebackhide__ = True
    target = workload.target
    if CONTAINERS not in capabilities(target):
        return None
    core: Any = client.CoreV1Api(target.api_client())
    out: dict[str, str] = {}
    for pod in workload.pods():
        if not pod.ready:
            continue
        log = core.read_namespaced_pod_log(pod.name, workload.namespace, limit_bytes=4096)
        first = (log or "").split("\n", 1)[0].strip()
        if not first:
            raise ExpectationFailed(f"{workload}: Ready pod {pod.name} printed no identity "
                                    f"from its volume (its log is empty); its container must "
                                    f"print the identity kept in its volume first, as "
                                    f"workloads.statefulset's does")
        out[pod.name] = first
    return out


def zone_bound(workload: Workload, *, during: float) -> dict[str, str]:
    """For ``during`` cluster seconds, watch that every pod of the workload with a bound
    volume runs only in its volume's zone (a StatefulSet pod is never recreated in another
    zone); fail at the first that is not. Returns pod name to volume zone."""
    __tracebackhide__ = True
    target = workload.target
    zones = node_zones(target)
    bound = volume_zones(workload)
    if not bound:
        raise ExpectationFailed(f"{workload}: no pod has a bound volume; nothing is zone-bound")
    seen: list[str] = []

    def judge(pods: list[Any]) -> tuple[bool, str]:
        states = _pod_states(pods, zones)
        wrong = [p for p in states if p.name in bound and p.node and p.zone != bound[p.name]]
        summary = "; ".join(f"{p.name} {p.phase}{' deleting' if p.deleting else ''} on "
                            f"{p.node or '-'} ({p.zone or '-'}; volume in {bound.get(p.name)})"
                            for p in states)
        seen[:] = [summary]
        return bool(wrong), summary

    try:
        _observe(target, client.CoreV1Api(target.api_client()).list_namespaced_pod,
                 within=during, what="a pod outside its volume's zone", judge=judge,
                 namespace=workload.namespace, label_selector=workload.label_selector)
    except ExpectationFailed:
        return bound
    raise ExpectationFailed(f"{workload}: a pod ran outside its volume's zone: "
                            f"{seen[0] if seen else ''}")


def replaced(workload: Workload, pods: Collection[PodState], *, within: float) -> list[PodState]:
    """Wait until none of ``pods`` exists any more (not even terminating) and the
    workload again has its replicas Ready. Returns its Ready pods."""
    __tracebackhide__ = True
    target = workload.target
    zones = node_zones(target)
    gone = {p.uid for p in pods}
    wanted = workload.replicas or 0
    counted: list[PodState] = []

    def judge(items: list[Any]) -> tuple[bool, str]:
        states = _pod_states(items, zones)
        old = [p for p in states if p.uid in gone]
        counted[:] = [p for p in states if p.ready and not p.deleting and p.uid not in gone]
        return (not old and len(counted) >= wanted,
                f"{len(counted)}/{wanted} new pods ready ({_by_zone(counted)}); old pods left: "
                + (", ".join(f"{p.name}{' deleting' if p.deleting else ''} on {p.node}"
                             for p in old) or "none"))

    _observe(target, client.CoreV1Api(target.api_client()).list_namespaced_pod,
             within=within, what=f"{workload}: {len(gone)} pod(s) replaced", judge=judge,
             namespace=workload.namespace, label_selector=workload.label_selector)
    return counted


def spread(workload: Workload, *, max_skew: int = 1, within: float = 30,
           zones: Collection[str] | None = None) -> dict[str, int]:
    """Wait until the workload's Ready pods number its replicas and differ by at most
    ``max_skew`` between ``zones`` (default: every zone with nodes). Returns the counts."""
    __tracebackhide__ = True
    target = workload.target
    node_zone = node_zones(target)
    names = sorted(set(zones) if zones is not None else {z for z in node_zone.values() if z})
    _check_zones(node_zone, set(names))
    wanted = workload.replicas or 0
    result: dict[str, int] = {}

    def judge(pods: list[Any]) -> tuple[bool, str]:
        good = [p for p in _pod_states(pods, node_zone) if p.ready and not p.deleting]
        counts = {z: sum(1 for p in good if p.zone == z) for z in names}
        result.clear()
        result.update(counts)
        skew = max(counts.values()) - min(counts.values()) if counts else 0
        return (len(good) >= wanted and skew <= max_skew,
                f"{len(good)}/{wanted} ready; " + ", ".join(f"{z} {n}" for z, n in counts.items())
                + f" (skew {skew})")

    _observe(target, client.CoreV1Api(target.api_client()).list_namespaced_pod,
             within=within, what=f"{workload}: spread over {', '.join(names)} with skew at "
                                 f"most {max_skew}", judge=judge,
             namespace=workload.namespace, label_selector=workload.label_selector)
    return result


def pending(ref: Workload | PodRef, *, reason: str = "Unschedulable",
            message: str | None = None, within: float = 30, count: int = 1) -> list[str]:
    """Wait until ``count`` pods of ``ref`` are Pending, unscheduled with ``reason`` (the
    PodScheduled condition's) and, when given, a message containing ``message``.
    Returns their scheduling messages."""
    __tracebackhide__ = True
    target = ref.target
    found: list[str] = []

    def judge(pods: list[Any]) -> tuple[bool, str]:
        seen, match = [], []
        for p in sorted(pods, key=lambda p: p.metadata.name):
            cond = next((c for c in (p.status.conditions or []) if c.type == "PodScheduled"),
                        None)
            phase = p.status.phase or "Pending"
            why = f"{cond.reason}: {cond.message}" if cond is not None and cond.reason else ""
            on = f" on {p.spec.node_name}" if p.spec.node_name else ""
            seen.append(f"{p.metadata.name} {phase}{on}{' (' + why + ')' if why else ''}")
            if (phase == "Pending" and p.metadata.deletion_timestamp is None and cond is not None
                    and cond.status == "False" and cond.reason == reason
                    and (message is None or message in (cond.message or ""))):
                match.append(cond.message or "")
        found[:] = match
        return len(match) >= count, "; ".join(seen) or "no pods"

    if isinstance(ref, Workload):
        selector: dict[str, Any] = {"label_selector": ref.label_selector}
    else:
        selector = {"field_selector": f"metadata.name={ref.name}"}
    _observe(target, client.CoreV1Api(target.api_client()).list_namespaced_pod,
             within=within, what=f"{ref}: {count} pod(s) Pending ({reason}"
                                 f"{f': …{message}…' if message else ''})",
             judge=judge, namespace=ref.namespace, **selector)
    return found


# -- services ------------------------------------------------------------------------------------

def endpoints(service: ServiceRef, *, within: float, min_ready: int = 1,
              outside_zones: Collection[str] = (),
              inside_zones: Collection[str] | None = None) -> dict[str, int]:
    """Wait until the Service's ready endpoints (in its EndpointSlices) number at least
    ``min_ready`` and *all* lie outside ``outside_zones`` (and inside ``inside_zones`` when
    given): what clients of the Service can reach. Returns ready endpoints per zone."""
    __tracebackhide__ = True
    target = service.target
    excluded, included = set(outside_zones), None if inside_zones is None else set(inside_zones)
    _check_zones(node_zones(target), excluded | (included or set()))
    result: dict[str, int] = {}

    def judge(slices: list[Any]) -> tuple[bool, str]:
        counts: dict[str, int] = {}
        for s in slices:
            for e in s.endpoints or []:
                if e.conditions is not None and e.conditions.ready:
                    counts[e.zone or "-"] = counts.get(e.zone or "-", 0) + 1
        result.clear()
        result.update(counts)
        wrong = [z for z in counts if z in excluded or (included is not None
                                                         and z not in included)]
        return (sum(counts.values()) >= min_ready and not wrong,
                "ready endpoints: " + (", ".join(f"{z} {n}" for z, n in sorted(counts.items()))
                                       or "none"))

    where = (f" outside {', '.join(sorted(excluded))}" if excluded else "") + \
        (f" inside {', '.join(sorted(included))}" if included is not None else "")
    _observe(target,
             client.DiscoveryV1Api(target.api_client()).list_namespaced_endpoint_slice,
             within=within, what=f"{service}: at least {min_ready} ready endpoint(s), all{where}",
             judge=judge, namespace=service.namespace,
             label_selector=f"kubernetes.io/service-name={service.name}")
    return result


# -- the API itself -------------------------------------------------------------------------------

class HasTarget(Protocol):
    """Anything that names a cluster: the cluster handle, a workload, a zone..."""

    @property
    def target(self) -> Target: ...


def _probe(target: Target) -> str | None:
    """None when the API serves a read, else why not."""
    try:
        client.CoreV1Api(target.api_client()).read_namespace("default", _request_timeout=10)
        return None
    except client.ApiException as exc:
        return f"{exc.status} {exc.reason}"
    except (urllib3.exceptions.HTTPError, ConnectionError) as exc:
        return f"unreachable: {exc}"


def _api(on: HasTarget, *, within: float, available: bool) -> None:
    __tracebackhide__ = True
    target = on.target
    seen: list[tuple[float, str]] = []
    start = time.monotonic()

    def attempt() -> bool:
        why = _probe(target)
        state = "available" if why is None else f"unavailable ({why})"
        if not seen or seen[-1][1] != state:
            seen.append((target.cluster_seconds(time.monotonic() - start), state))
        return (why is None) == available

    # The API's own availability cannot be watched; tenacity retries the probe (a read of
    # the default namespace) with backoff until the budget ends.
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_result(lambda ok: not ok),
        wait=tenacity.wait_exponential(multiplier=0.05, max=1),
        stop=tenacity.stop_after_delay(target.wall_seconds(within)))
    try:
        retrying(attempt)
    except tenacity.RetryError:
        lines = "\n".join(f"  t+{t:.1f}s  {s}" for t, s in seen)
        raise ExpectationFailed(
            f"the API did not become {'available' if available else 'unavailable'} within "
            f"{within:g} cluster seconds. Observed:\n{lines}") from None


def api_available(on: HasTarget, *, within: float = 10) -> None:
    """Wait until the cluster's API serves requests."""
    __tracebackhide__ = True
    _api(on, within=within, available=True)


def api_unavailable(on: HasTarget, *, within: float = 10) -> None:
    """Wait until the cluster's API refuses or fails requests (quorum lost)."""
    __tracebackhide__ = True
    _api(on, within=within, available=False)


# -- nodes --------------------------------------------------------------------------------------

def _node_summary(node: Any) -> str:
    ready_cond = next((c.status for c in node.status.conditions or [] if c.type == "Ready"), "?")
    taints = ",".join(f"{t.key}:{t.effect}" for t in node.spec.taints or [])
    cordoned = " cordoned" if node.spec.unschedulable else ""
    return f"{node.metadata.name} Ready={ready_cond}{cordoned}" + (f" [{taints}]" if taints else "")


def _nodes(zone: ZoneRef, *, within: float, what: str,
           holds: Callable[[Any], bool]) -> None:
    __tracebackhide__ = True
    members = set(zone.node_names)

    def judge(nodes: list[Any]) -> tuple[bool, str]:
        mine = sorted((n for n in nodes if n.metadata.name in members),
                      key=lambda n: n.metadata.name)
        return (len(mine) == len(members) and all(holds(n) for n in mine),
                "; ".join(_node_summary(n) for n in mine))

    _observe(zone.target, client.CoreV1Api(zone.target.api_client()).list_node,
             within=within, what=f"{zone}: {what}", judge=judge)


def _is_ready(node: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])


def nodes_not_ready(zone: ZoneRef, *, within: float) -> None:
    """Wait until every node of ``zone`` has a Ready condition other than True."""
    __tracebackhide__ = True
    _nodes(zone, within=within, what="every node NotReady or Unknown",
           holds=lambda n: not _is_ready(n))


def nodes_ready(zone: ZoneRef, *, within: float) -> None:
    """Wait until every node of ``zone`` is Ready and free of the not-ready and
    unreachable taints (a node restored)."""
    __tracebackhide__ = True
    _nodes(zone, within=within, what="every node Ready without fault taints",
           holds=lambda n: _is_ready(n) and not any(
               t.key in FAULT_TAINT_KEYS for t in n.spec.taints or []))


def nodes_tainted(zone: ZoneRef, key: str, *, effect: str, within: float) -> None:
    """Wait until every node of ``zone`` carries a taint ``key`` with ``effect``."""
    __tracebackhide__ = True
    _nodes(zone, within=within, what=f"every node tainted {key}:{effect}",
           holds=lambda n: any(t.key == key and t.effect == effect
                               for t in n.spec.taints or []))


def nodes_cordoned(zone: ZoneRef, *, within: float) -> None:
    """Wait until every node of ``zone`` is unschedulable."""
    __tracebackhide__ = True
    _nodes(zone, within=within, what="every node cordoned",
           holds=lambda n: bool(n.spec.unschedulable))


def _check_zones(node_zone: Mapping[str, str], names: set[str]) -> None:
    known = {z for z in node_zone.values() if z}
    unknown = names - known
    if unknown:
        from chaoszone.errors import InvalidExperiment

        raise InvalidExperiment(f"unknown zone(s) {', '.join(sorted(unknown))}; the cluster's "
                                f"zones are: {', '.join(sorted(known)) or 'none'}")
