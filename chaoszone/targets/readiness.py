"""Waiting for a new cluster to be usable: every node Ready, kube-system's pods Ready.

``kind create cluster --wait`` is not enough: it waits for the control-plane nodes only
and exits 0 when it times out (kind #2654,
``pkg/cluster/internal/create/actions/waitforready/waitforready.go``). So a target waits
itself, with a watch (list, then watch from the list's resourceVersion, as client-go's
reflector does), within a budget of wall seconds, and fails with what it last saw.

Connection errors and 5xx answers while the API server settles are retried (tenacity,
bounded by the budget); anything else is a :class:`TargetError` at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection
from typing import Any

import tenacity
import urllib3
from kubernetes import client, watch

from chaoszone.errors import TargetError

__all__ = ["wait_for_nodes", "wait_for_system_pods"]

#: a judgement of the objects seen so far: (done, what it looks like now)
Judge = Callable[[dict[str, Any]], tuple[bool, str]]


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, client.ApiException):
        return exc.status in (0, 429, 500, 502, 503, 504)
    return isinstance(exc, urllib3.exceptions.HTTPError | ConnectionError)


def _ready(obj: Any) -> bool:
    conditions = (obj.status.conditions if obj.status else None) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def wait_for_nodes(api: client.ApiClient, names: Collection[str], *, within: float,
                   cluster: str, progress: Callable[[str], None]) -> None:
    """Until every node in ``names`` is registered and Ready."""
    wanted = sorted(names)

    def judge(nodes: dict[str, Any]) -> tuple[bool, str]:
        states = []
        for name in wanted:
            node = nodes.get(name)
            if node is None:
                states.append(f"{name} not registered")
            elif not _ready(node):
                reason = next((f"{c.reason}: {c.message}" for c in node.status.conditions or []
                               if c.type == "Ready"), "no Ready condition yet")
                states.append(f"{name} NotReady ({reason})")
        extra = sorted(set(nodes) - set(wanted))
        if extra:
            states.append(f"unexpected node(s) {', '.join(extra)}")
        ready = len(wanted) - sum(1 for s in states if not s.startswith("unexpected"))
        summary = f"{ready}/{len(wanted)} nodes Ready" + (f"; {'; '.join(states)}"
                                                          if states else "")
        return not states, summary

    core = client.CoreV1Api(api)
    _watch(core.list_node, judge, within=within,
           what=f"every node of kind cluster {cluster} to be Ready", progress=progress)


def wait_for_system_pods(api: client.ApiClient, *, within: float, cluster: str,
                         progress: Callable[[str], None]) -> None:
    """Until kube-system has CoreDNS (``k8s-app=kube-dns``) and every one of its pods is
    Ready: DNS and the CNI (kindnet) are what the experiments' pods need."""

    def judge(pods: dict[str, Any]) -> tuple[bool, str]:
        waiting = sorted(f"{p.metadata.name} {(p.status.phase if p.status else None) or '?'}"
                         for p in pods.values()
                         if p.metadata.deletion_timestamp is None and not _ready(p))
        dns = [p for p in pods.values() if (p.metadata.labels or {}).get("k8s-app") == "kube-dns"]
        done = not waiting and bool(dns)
        summary = (f"{len(pods) - len(waiting)}/{len(pods)} kube-system pods Ready"
                   + (f"; waiting for {', '.join(waiting)}" if waiting else "")
                   + ("" if dns else "; no CoreDNS pod yet"))
        return done, summary

    _watch(client.CoreV1Api(api).list_namespaced_pod, judge, within=within,
           what=f"kube-system's pods of kind cluster {cluster} to be Ready", progress=progress,
           namespace="kube-system")


def _watch(list_fn: Callable[..., Any], judge: Judge, *, within: float, what: str,
           progress: Callable[[str], None], **kwargs: Any) -> None:
    """List, then watch from the list's resourceVersion, until ``judge`` is satisfied.
    ``list_fn`` is an official-client list method (the watch reads its return type to
    build model objects), called with ``kwargs``."""
    deadline = time.monotonic() + within
    seen: list[str] = []

    def judged(items: dict[str, Any]) -> bool:
        done, summary = judge(items)
        if not seen or seen[-1] != summary:
            seen.append(summary)
            progress(summary)
        return done

    def left() -> float:
        return deadline - time.monotonic()

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_transient),
        wait=tenacity.wait_exponential(multiplier=0.2, max=5),
        stop=tenacity.stop_before_delay(max(within, 0.001)), reraise=True)

    def relist() -> tuple[dict[str, Any], str]:
        listed = list_fn(_request_timeout=max(1.0, min(30.0, left())), **kwargs)
        return {i.metadata.name: i for i in listed.items}, listed.metadata.resource_version

    try:
        items, rv = retrying(relist)
        if judged(items):
            return
        while left() > 0:
            stream: Any = watch.Watch()  # type: ignore[no-untyped-call]
            try:
                for event in stream.stream(list_fn, resource_version=rv,
                                           timeout_seconds=max(1, math.ceil(left())),
                                           _request_timeout=left() + 10, **kwargs):
                    obj = event["object"]
                    if event["type"] == "BOOKMARK":
                        continue
                    rv = obj.metadata.resource_version
                    if event["type"] == "DELETED":
                        items.pop(obj.metadata.name, None)
                    else:
                        items[obj.metadata.name] = obj
                    if judged(items):
                        return
                    if left() <= 0:
                        break
            except client.ApiException as exc:
                if exc.status != 410 and not _transient(exc):
                    raise
                items, rv = retrying(relist)
                if judged(items):
                    return
            except (urllib3.exceptions.HTTPError, ConnectionError):
                items, rv = retrying(relist)
                if judged(items):
                    return
            finally:
                stream.stop()
    except client.ApiException as exc:
        raise TargetError(f"while waiting for {what}: the API answered {exc.status} "
                          f"{exc.reason}: {exc.body}") from exc
    except (urllib3.exceptions.HTTPError, ConnectionError) as exc:
        raise TargetError(f"while waiting for {what}: the API server is unreachable: "
                          f"{exc}") from exc
    raise TargetError(
        f"waited {within:g} s for {what}; it never was. Seen, oldest first:\n"
        + "\n".join(f"  {s}" for s in seen[-12:])
        + "\nA slow machine may need a longer budget; otherwise look at the cluster's logs "
          "(the run directory holds them when the run failed)")
