"""`kubectl apply` client-side (create, unchanged, configured, pruned fields) and
server-side (upsert, re-apply, conflicts between field managers, forcing), and
`kubectl scale` through the scale subresource."""

from __future__ import annotations

import json

import pytest
from kubectl_support import UNSCHEDULED, Objects

pytestmark = pytest.mark.kubectl


def manifests(namespace: str, *, replicas: int = 2, image: str = "nginx:1.26",
              data: dict[str, str] | None = None) -> str:
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace, "labels": {"app": "web"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "nginx", "image": image}],
                                       "schedulerName": UNSCHEDULED}}}}
    config = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "settings", "namespace": namespace},
              "data": data if data is not None else {"mode": "calm", "level": "1"}}
    return json.dumps(deployment) + "\n" + json.dumps(config)


def deployment_spec(objects: Objects) -> dict:
    obj = objects.get("deployments", "web")
    assert obj is not None
    return obj["spec"]


def managers(objects: Objects, plural: str, name: str) -> dict[str, str]:
    obj = objects.get(plural, name)
    assert obj is not None
    return {e["manager"]: e["operation"] for e in obj["metadata"].get("managedFields") or []}


def test_apply_creates_then_reports_unchanged_when_applied_twice(kubectl, objects, namespace):
    first = kubectl.run("apply", "-f", "-", input=manifests(namespace))
    assert first.stdout.splitlines() == ["deployment.apps/web created",
                                         "configmap/settings created"]
    second = kubectl.run("apply", "-f", "-", input=manifests(namespace))
    assert second.stdout.splitlines() == ["deployment.apps/web unchanged",
                                          "configmap/settings unchanged"]
    obj = objects.get("deployments", "web")
    assert obj is not None
    last = json.loads(obj["metadata"]["annotations"][
        "kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["replicas"] == 2
    assert managers(objects, "deployments", "web") == {
        "kubectl-client-side-apply": "Update"}


def test_apply_configures_the_changed_fields_and_prunes_removed_ones_when_edited(
        kubectl, objects, namespace):
    kubectl.run("apply", "-f", "-", input=manifests(namespace))
    out = kubectl.run("apply", "-f", "-", input=manifests(
        namespace, replicas=3, image="nginx:1.27", data={"mode": "storm"})).stdout
    assert out.splitlines() == ["deployment.apps/web configured",
                                "configmap/settings configured"]
    spec = deployment_spec(objects)
    assert spec["replicas"] == 3
    assert spec["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    # defaulted fields survive the three-way merge
    assert spec["strategy"]["type"] == "RollingUpdate"
    config = objects.get("configmaps", "settings")
    assert config is not None
    assert config["data"] == {"mode": "storm"}


def test_apply_warns_and_configures_when_the_object_was_made_by_create(
        kubectl, objects, namespace):
    kubectl.run("create", "-f", "-", input=manifests(namespace))
    proc = kubectl.run("apply", "-f", "-", input=manifests(namespace))
    assert proc.stdout.splitlines() == ["deployment.apps/web configured",
                                        "configmap/settings configured"]
    assert ("resource deployments/web is missing the "
            "kubectl.kubernetes.io/last-applied-configuration annotation") in proc.stderr
    assert kubectl.run("apply", "-f", "-", input=manifests(namespace)).stdout.splitlines() == [
        "deployment.apps/web unchanged", "configmap/settings unchanged"]


def test_server_side_apply_creates_and_reapplies_when_run_twice(kubectl, objects, namespace):
    for _ in range(2):
        out = kubectl.run("apply", "--server-side", "-f", "-", input=manifests(namespace))
        assert out.stdout.splitlines() == ["deployment.apps/web serverside-applied",
                                           "configmap/settings serverside-applied"]
    assert managers(objects, "deployments", "web") == {"kubectl": "Apply"}
    assert deployment_spec(objects)["replicas"] == 2


def test_server_side_apply_reports_a_conflict_when_another_manager_owns_the_field(
        kubectl, objects, namespace):
    kubectl.run("apply", "--server-side", "-f", "-", input=manifests(namespace))
    proc = kubectl.run("apply", "--server-side", "--field-manager=chaos", "-f", "-",
                       input=manifests(namespace, replicas=5), check=False)
    assert proc.returncode == 1
    assert 'error: Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas' in (
        proc.stderr)
    assert "--force-conflicts" in proc.stderr
    assert deployment_spec(objects)["replicas"] == 2

    # applying the same value shares the field, without a conflict
    kubectl.run("apply", "--server-side", "--field-manager=chaos", "-f", "-",
                input=manifests(namespace))

    kubectl.run("apply", "--server-side", "--field-manager=chaos", "--force-conflicts",
                "-f", "-", input=manifests(namespace, replicas=5))
    assert deployment_spec(objects)["replicas"] == 5
    assert managers(objects, "deployments", "web") == {"kubectl": "Apply", "chaos": "Apply"}


def test_server_side_apply_removes_a_field_when_its_only_manager_stops_applying_it(
        kubectl, objects, namespace):
    kubectl.run("apply", "--server-side", "-f", "-", input=manifests(namespace))
    kubectl.run("apply", "--server-side", "-f", "-",
                input=manifests(namespace, data={"mode": "calm"}))
    config = objects.get("configmaps", "settings")
    assert config is not None
    assert config["data"] == {"mode": "calm"}


def test_scale_sets_the_replicas_when_given_a_count(kubectl, objects, namespace):
    kubectl.run("apply", "-f", "-", input=manifests(namespace))
    out = kubectl.run("scale", "deployment/web", "-n", namespace, "--replicas=5").stdout
    assert out.strip() == "deployment.apps/web scaled"
    assert deployment_spec(objects)["replicas"] == 5
    obj = objects.get("deployments", "web")
    assert obj is not None
    assert obj["metadata"]["generation"] == 2

    out = kubectl.run("get", "deployment", "web", "-n", namespace, "--subresource=scale"
                      ).stdout.splitlines()
    assert out[0].split() == ["NAME", "DESIRED", "AVAILABLE", "AGE"]
    assert out[1].split()[:2] == ["web", "5"]

    refused = kubectl.run("scale", "deployment/web", "-n", namespace, "--replicas=1",
                          "--current-replicas=3", check=False)
    assert refused.returncode == 1
    assert "Expected replicas to be 3, was 5" in refused.stderr
    assert deployment_spec(objects)["replicas"] == 5


def test_scale_sets_the_replicas_of_a_statefulset_when_asked(kubectl, objects, namespace):
    objects.create("statefulsets", {
        "metadata": {"name": "db"},
        "spec": {"replicas": 1, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}},
                              "spec": {"containers": [{"name": "db", "image": "postgres"}]}}}})
    out = kubectl.run("scale", "sts", "db", "-n", namespace, "--replicas=3").stdout
    assert out.strip() == "statefulset.apps/db scaled"
    sts = objects.get("statefulsets", "db")
    assert sts is not None
    assert sts["spec"]["replicas"] == 3
