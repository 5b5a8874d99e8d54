"""Experiment 6, a hard zone spread blocks failover unless it honours taints.

With ``whenUnsatisfiable: DoNotSchedule`` and the default ``nodeTaintsPolicy: Ignore``,
the PodTopologySpread filter still counts the lost zone's tainted, unreachable nodes as
an eligible domain with zero matching pods (their pods were evicted), so placing a
replacement in a surviving zone would exceed ``maxSkew``: the replacements stay Pending
with the spread reason. With ``nodeTaintsPolicy: Honor`` the tainted nodes are not
counted, the lost zone drops out of the calculation and the replacements schedule.
(kube-scheduler ``pkg/scheduler/framework/plugins/podtopologyspread``, KEP-3094.)
"""

from __future__ import annotations

import pytest

from chaoszone import Cluster, expect, faults, workloads

pytestmark = pytest.mark.chaoszone(topology="three-zones-fast", needs={"power"})

SPREAD_REASON = "didn't match pod topology spread constraints"


def test_a_hard_zone_spread_leaves_replacements_pending_and_honouring_taints_lets_them_run(
        cluster: Cluster, namespace: str) -> None:
    ignoring = cluster.apply(workloads.deployment(
        "ignoring", replicas=6, spread="zone", when_unsatisfiable="DoNotSchedule",
        unreachable_toleration=10), namespace=namespace)
    honouring = cluster.apply(workloads.deployment(
        "honouring", replicas=6, spread="zone", when_unsatisfiable="DoNotSchedule",
        node_taints_policy="Honor", unreachable_toleration=10), namespace=namespace)
    expect.ready(ignoring, within=60)
    expect.ready(honouring, within=60)

    with cluster.fault(faults.zone_outage("zone-a")):
        messages = expect.pending(ignoring, reason="Unschedulable", message=SPREAD_REASON,
                                  within=90)
        assert messages
        moved = expect.ready(honouring, within=90, outside_zones={"zone-a"})
        assert {p.zone for p in moved} == {"zone-b", "zone-c"}
