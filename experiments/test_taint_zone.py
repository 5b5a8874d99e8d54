"""Experiment 4, taint a zone NoExecute: pods that do not tolerate the taint leave the
zone at once, pods that tolerate it stay, and a toleration with ``tolerationSeconds`` keeps
its pods only that long.

The taint manager (``pkg/controller/tainteviction``) evicts a pod from a node with a
NoExecute taint it does not tolerate; a toleration with ``tolerationSeconds`` delays the
eviction by that many seconds, one without keeps the pod for good. A toleration also lets
the scheduler place pods on the tainted nodes, whatever its ``tolerationSeconds``: the
``brief`` pods' replacements may land in the tainted zone again, to be evicted in turn.
"""

from __future__ import annotations

import pytest

from chaoszone import Cluster, expect, faults, workloads

pytestmark = pytest.mark.chaoszone(topology="three-zones-fast")

KEY = "chaoszone.io/fault"


def tolerating(seconds: int | None = None) -> list[dict[str, object]]:
    toleration: dict[str, object] = {"key": KEY, "operator": "Exists", "effect": "NoExecute"}
    if seconds is not None:
        toleration["tolerationSeconds"] = seconds
    return [toleration]


def test_a_noexecute_taint_evicts_only_pods_that_do_not_tolerate_it(
        cluster: Cluster, namespace: str) -> None:
    plain = cluster.apply(workloads.deployment("plain", replicas=3, spread="zone"),
                          namespace=namespace)
    tolerant = cluster.apply(workloads.deployment("tolerant", replicas=3, spread="zone",
                                                  tolerations=tolerating()),
                             namespace=namespace)
    brief = cluster.apply(workloads.deployment("brief", replicas=3, spread="zone",
                                               tolerations=tolerating(30)),
                          namespace=namespace)
    for workload in (plain, tolerant, brief):
        expect.ready(workload, within=60)
    tolerant_in_a = {p.uid for p in tolerant.pods() if p.zone == "zone-a"}
    brief_in_a = {p.uid for p in brief.pods() if p.zone == "zone-a"}
    assert tolerant_in_a and brief_in_a

    with cluster.fault(faults.taint("zone-a", KEY, "true", "NoExecute")) as tainted:
        assert tainted.bit
        expect.ready(plain, within=30, outside_zones={"zone-a"})
        assert not [p for p in plain.pods() if p.zone == "zone-a" and not p.deleting]
        # 30 cluster seconds of grace: the brief pods are still there when plain has moved
        assert brief_in_a <= {p.uid for p in brief.pods() if not p.deleting}
        expect.replaced(brief, [p for p in brief.pods() if p.uid in brief_in_a], within=60)
        assert {p.uid for p in tolerant.pods() if p.zone == "zone-a"} == tolerant_in_a
