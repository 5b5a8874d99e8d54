"""A zone's nodes lose power: what a kind cluster does, the simulator must do."""

from __future__ import annotations

from typing import Any

from kubernetes import client
from scenario_support import power, until, zone_of

from chaoszone import Simulator

ZONE_A = ("three-zones-fast-worker", "three-zones-fast-worker2")


def deployment(name: str, replicas: int, *, spread: str | None = None,
               toleration_seconds: int = 10, taints_policy: str | None = None) -> Any:
    labels = {"app": name}
    constraints = None
    if spread is not None:
        constraint: dict[str, Any] = {
            "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": spread, "labelSelector": {"matchLabels": labels}}
        if taints_policy:
            constraint["nodeTaintsPolicy"] = taints_policy
        constraints = [constraint]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {
                     "containers": [{"name": "web", "image": "nginx"}],
                     "topologySpreadConstraints": constraints,
                     "tolerations": [
                         {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                          "effect": "NoExecute", "tolerationSeconds": toleration_seconds},
                         {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                          "effect": "NoExecute", "tolerationSeconds": toleration_seconds}]}}},
    }


def running_ready(pods: list[Any]) -> list[Any]:
    return [p for p in pods if p.status.phase == "Running" and not p.metadata.deletion_timestamp
            and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])]


def test_pods_of_a_powered_off_zone_are_replaced_in_the_other_zones(
        cluster: tuple[Simulator, client.ApiClient]) -> None:
    sim, api = cluster
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment("web", 6))
    pods = until(core.list_namespaced_pod, lambda ps: len(running_ready(ps)) == 6, within=300,
                 what="6 ready web pods", namespace="default", label_selector="app=web")
    assert {zone_of(core, p.spec.node_name) for p in pods} == {"zone-a", "zone-b", "zone-c"}
    for node in ZONE_A:
        power(sim, node, "off")
    until(core.list_node, lambda nodes: all(
        any(c.type == "Ready" and c.status == "Unknown" for c in n.status.conditions)
        and any(t.key == "node.kubernetes.io/unreachable" and t.effect == "NoExecute"
                for t in n.spec.taints or [])
        for n in nodes if n.metadata.name in ZONE_A), within=300,
        what="zone-a Unknown with unreachable NoExecute taints")
    pods = until(core.list_namespaced_pod, lambda ps: len(running_ready(ps)) == 6 and all(
        p.spec.node_name not in ZONE_A for p in running_ready(ps)), within=600,
        what="6 ready web pods outside zone-a", namespace="default", label_selector="app=web")
    assert {zone_of(core, p.spec.node_name) for p in running_ready(pods)} <= {"zone-b", "zone-c"}


def test_a_hard_zone_spread_leaves_replacements_pending_with_the_spread_reason(
        cluster: tuple[Simulator, client.ApiClient]) -> None:
    sim, api = cluster
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment("hard", 3, spread="DoNotSchedule"))
    until(core.list_namespaced_pod, lambda ps: len(running_ready(ps)) == 3, within=300,
          what="3 ready pods", namespace="default", label_selector="app=hard")
    for node in ZONE_A:
        power(sim, node, "off")

    def pending_for_spread(pods: list[Any]) -> bool:
        return any(p.status.phase == "Pending" and any(
            c.type == "PodScheduled" and c.status == "False"
            and "didn't match pod topology spread constraints" in (c.message or "")
            for c in p.status.conditions or []) for p in pods)

    until(core.list_namespaced_pod, pending_for_spread, within=600,
          what="a replacement Pending for the spread constraint", namespace="default",
          label_selector="app=hard")
