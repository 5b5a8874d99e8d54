"""Zone-bound volumes, a drain under a disruption budget, and a repair Job."""

from __future__ import annotations

import subprocess
from typing import Any

from kubernetes import client
from scenario_support import power, until, zone_of

from chaoszone import Simulator
from chaoszone.sim import programs

ZONAL_CLASS = {
    "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
    "metadata": {"name": "zonal"}, "provisioner": "chaoszone.io/zonal",
    "volumeBindingMode": "WaitForFirstConsumer", "reclaimPolicy": "Delete",
}


def ready(pod: Any) -> bool:
    return bool(pod.status.phase == "Running" and not pod.metadata.deletion_timestamp and any(
        c.type == "Ready" and c.status == "True" for c in pod.status.conditions or []))


def test_a_statefulset_pod_whose_volume_is_in_the_lost_zone_is_not_recreated_elsewhere(
        cluster: tuple[Simulator, client.ApiClient]) -> None:
    sim, api = cluster
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    client.StorageV1Api(api).create_storage_class(ZONAL_CLASS)
    labels = {"app": "db"}
    apps.create_namespaced_stateful_set("default", {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {
                     "containers": [{"name": "db", "image": "postgres"}],
                     "topologySpreadConstraints": [{
                         "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                         "whenUnsatisfiable": "DoNotSchedule",
                         "labelSelector": {"matchLabels": labels}}],
                     "tolerations": [{"key": "node.kubernetes.io/unreachable",
                                      "operator": "Exists", "effect": "NoExecute",
                                      "tolerationSeconds": 10}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                     "accessModes": ["ReadWriteOnce"], "storageClassName": "zonal",
                     "resources": {"requests": {"storage": "1Gi"}}}}]}})
    pods = until(core.list_namespaced_pod, lambda ps: sum(map(ready, ps)) == 3, within=600,
                 what="3 ready db pods", namespace="default", label_selector="app=db")
    lost = next(p for p in pods if zone_of(core, p.spec.node_name) == "zone-a")
    claim = core.read_namespaced_persistent_volume_claim(f"data-{lost.metadata.name}", "default")
    volume = claim.spec.volume_name
    assert (core.read_persistent_volume(volume).metadata.labels or {}).get(
        "topology.kubernetes.io/zone") == "zone-a"
    for node in ("three-zones-fast-worker", "three-zones-fast-worker2"):
        power(sim, node, "off")

    def stuck(pods: list[Any]) -> bool:
        mine = [p for p in pods if p.metadata.name == lost.metadata.name]
        # Terminating on the dead node (the at-most-one rule), or recreated and Pending:
        # never running outside zone-a.
        return bool(mine) and (mine[0].metadata.deletion_timestamp is not None
                               or mine[0].status.phase == "Pending")

    pods = until(core.list_namespaced_pod, stuck, within=600,
                 what=f"{lost.metadata.name} evicted and not running elsewhere",
                 namespace="default", label_selector="app=db")
    mine = next(p for p in pods if p.metadata.name == lost.metadata.name)
    assert not ready(mine)
    assert mine.spec.node_name is None or zone_of(core, mine.spec.node_name) == "zone-a"
    assert core.read_namespaced_persistent_volume_claim(
        f"data-{lost.metadata.name}", "default").spec.volume_name == volume


def test_a_drain_under_a_disruption_budget_never_breaks_the_budget(
        cluster: tuple[Simulator, client.ApiClient], tmp_path: Any) -> None:
    sim, api = cluster
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    labels = {"app": "web"}
    apps.create_namespaced_deployment("default", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 4, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {
                     "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "web", "image": "nginx"}]}}}})
    client.PolicyV1Api(api).create_namespaced_pod_disruption_budget("default", {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
        "spec": {"minAvailable": 3, "selector": {"matchLabels": labels}}})
    pods = until(core.list_namespaced_pod, lambda ps: sum(map(ready, ps)) == 4, within=300,
                 what="4 ready web pods", namespace="default", label_selector="app=web")
    node = pods[0].spec.node_name
    healthy_counts: list[int] = []

    def watch_budget(cluster: Any) -> None:
        from chaoszone.sim.resources import by_path

        pods_rt = by_path("", "v1", "pods")

        def count(event: Any) -> None:
            if event.resource is pods_rt:
                healthy = [s for s in cluster.store.items(pods_rt, "default")
                           if s.labels.get("app") == "web" and not s.meta.get("deletionTimestamp")
                           and any(c.get("type") == "Ready" and c.get("status") == "True"
                                   for c in (s.obj.get("status") or {}).get("conditions") or [])]
                healthy_counts.append(len(healthy))

        cluster.runtime.listen(count)

    sim.call(watch_budget)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KUBECONFIG": sim.kubeconfig}
    out = subprocess.run(["kubectl", "--cache-dir", str(tmp_path / "cache"), "drain", node,
                          "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=120s"],
                         capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0, out.stderr
    assert healthy_counts and min(healthy_counts) >= 3
    until(core.list_namespaced_pod, lambda ps: sum(map(ready, ps)) == 4 and all(
        p.spec.node_name != node for p in ps if ready(p)), within=600,
        what="4 ready web pods off the drained node", namespace="default",
        label_selector="app=web")


FAULT_TAINT = {"key": "chaoszone.io/fault", "value": "bad-rollout", "effect": "NoExecute"}


def repair(ctx: programs.Context) -> int:
    node = ctx.args[0]
    core = client.CoreV1Api(ctx.api)
    taints = [t for t in core.read_node(node).spec.taints or []
              if t.key != FAULT_TAINT["key"]]
    core.patch_node(node, {"spec": {"unschedulable": None,
                                    "taints": [t.to_dict() for t in taints] or None}})
    ctx.log(f"repaired {node}")
    return 0


def test_a_repair_job_tolerating_the_fault_taints_restores_its_node(
        cluster: tuple[Simulator, client.ApiClient]) -> None:
    _, api = cluster
    core, batch = client.CoreV1Api(api), client.BatchV1Api(api)
    rbac = client.RbacAuthorizationV1Api(api)
    programs.register("test-repair", repair)
    workers = [n.metadata.name for n in core.list_node().items
               if "node-role.kubernetes.io/control-plane" not in (n.metadata.labels or {})]
    for node in workers:
        core.patch_node(node, {"spec": {"unschedulable": True, "taints": [FAULT_TAINT]}})
    core.create_namespaced_service_account("default", {"metadata": {"name": "repair"}})
    rbac.create_cluster_role({"metadata": {"name": "repair"}, "rules": [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]}]})
    rbac.create_cluster_role_binding({
        "metadata": {"name": "repair"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "repair"},
        "subjects": [{"kind": "ServiceAccount", "name": "repair", "namespace": "default"}]})
    target = workers[0]
    batch.create_namespaced_job("default", {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "repair"},
        "spec": {"backoffLimit": 0, "template": {"spec": {
            "serviceAccountName": "repair", "restartPolicy": "Never",
            "nodeSelector": {"kubernetes.io/hostname": target},
            "tolerations": [{"operator": "Exists"}],
            "containers": [{"name": "repair", "image": "chaoszone/repair",
                            "command": ["chaoszone-program:test-repair", target]}]}}}})
    until(core.list_node, lambda nodes: any(
        n.metadata.name == target and not n.spec.unschedulable and not any(
            t.key == FAULT_TAINT["key"] for t in n.spec.taints or []) for n in nodes),
        within=300, what=f"{target} uncordoned and untainted")
    programs.unregister("test-repair")
