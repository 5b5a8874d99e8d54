"""`kubectl create -f` (JSON bodies, validated against /openapi/v3) and the typed
`kubectl create <kind>` commands, which send protobuf bodies; each result is read
back through the API."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from kubectl_support import Objects

pytestmark = pytest.mark.kubectl


def test_create_from_a_file_creates_each_object_when_valid(kubectl, objects, namespace,
                                                           tmp_path):
    manifest = tmp_path / "objects.yaml"
    manifest.write_text(f"""\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: {namespace}
spec:
  selector: {{app: web}}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: {namespace}
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {{app: web}}
""")
    out = kubectl.run("create", "-f", str(manifest)).stdout
    assert out.splitlines() == ["service/web created",
                                "poddisruptionbudget.policy/web created"]
    service = objects.get("services", "web")
    assert service is not None
    assert service["spec"]["ports"] == [
        {"port": 80, "protocol": "TCP", "targetPort": 8080}]
    assert service["spec"]["clusterIP"].startswith("10.")
    row = kubectl.run("get", "svc", "web", "-n", namespace, "--no-headers").stdout.split()
    assert (row[0], row[1], row[4]) == ("web", "ClusterIP", "80/TCP")
    pdb = objects.get("poddisruptionbudgets", "web")
    assert pdb is not None
    assert pdb["spec"]["maxUnavailable"] == 1


def test_create_from_a_file_fails_when_the_object_exists(kubectl, namespace):
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "twice", "namespace": namespace}})
    kubectl.run("create", "-f", "-", input=body)
    proc = kubectl.run("create", "-f", "-", input=body, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        'Error from server (AlreadyExists): error when creating "STDIN": '
        'configmaps "twice" already exists')


def test_create_from_a_file_rejects_an_unknown_field_when_validating_strictly(
        kubectl, namespace):
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "typo", "namespace": namespace},
                       "dta": {"a": "1"}})
    proc = kubectl.run("create", "-f", "-", input=body, check=False)
    assert proc.returncode == 1
    assert 'strict decoding error: unknown field "dta"' in proc.stderr


def test_create_namespace_makes_an_active_namespace_when_named(kubectl, objects: Objects):
    name = f"t-{uuid.uuid4().hex[:10]}"
    try:
        out = kubectl.run("create", "namespace", name).stdout
        assert out.strip() == f"namespace/{name} created"
        created = objects.get("namespaces", name)
        assert created is not None
        assert created["status"]["phase"] == "Active"
        row = kubectl.run("get", "ns", name, "--no-headers").stdout.split()
        assert row[:2] == [name, "Active"]
    finally:
        kubectl.run("delete", "namespace", name, "--wait=false", check=False)


def test_create_deployment_makes_the_object_when_kubectl_sends_protobuf(kubectl, objects,
                                                                     namespace):
    out = kubectl.run("create", "deployment", "web", "-n", namespace, "--image=nginx:1.27",
                      "--replicas=3", "--port=8080").stdout
    assert out.strip() == "deployment.apps/web created"
    deployment = objects.get("deployments", "web")
    assert deployment is not None
    spec = deployment["spec"]
    assert spec["replicas"] == 3
    assert spec["selector"] == {"matchLabels": {"app": "web"}}
    [container] = spec["template"]["spec"]["containers"]
    assert (container["name"], container["image"]) == ("nginx", "nginx:1.27")
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": "25%"}
    fields = deployment["metadata"]["managedFields"]
    assert [(f["manager"], f["operation"]) for f in fields] == [("kubectl-create", "Update")]


def test_create_configmap_keeps_every_literal_when_given_several(kubectl, objects, namespace):
    kubectl.run("create", "configmap", "settings", "-n", namespace, "--from-literal=mode=calm",
                "--from-literal=level=3")
    config = objects.get("configmaps", "settings")
    assert config is not None
    assert config["data"] == {"mode": "calm", "level": "3"}


def test_create_secret_generic_stores_the_bytes_base64_when_given_literals(
        kubectl, objects, namespace):
    out = kubectl.run("create", "secret", "generic", "creds", "-n", namespace,
                      "--from-literal=user=admin", "--from-literal=pass=s3cr=t").stdout
    assert out.strip() == "secret/creds created"
    secret = objects.get("secrets", "creds")
    assert secret is not None
    assert secret["type"] == "Opaque"
    assert {k: base64.b64decode(v).decode() for k, v in secret["data"].items()} == {
        "user": "admin", "pass": "s3cr=t"}
    row = kubectl.run("get", "secret", "creds", "-n", namespace, "--no-headers").stdout.split()
    assert row[:3] == ["creds", "Opaque", "2"]


def test_create_job_makes_a_never_restarting_pod_template_when_given_a_command(
        kubectl, objects, namespace):
    out = kubectl.run("create", "job", "once", "-n", namespace, "--image=busybox:1.36",
                      "--", "sh", "-c", "echo done").stdout
    assert out.strip() == "job.batch/once created"
    job = objects.get("jobs", "once")
    assert job is not None
    template = job["spec"]["template"]
    assert template["spec"]["restartPolicy"] == "Never"
    [container] = template["spec"]["containers"]
    assert container["command"] == ["sh", "-c", "echo done"]
    # the job strategy's defaulting: a selector and labels for the pods
    assert job["spec"]["backoffLimit"] == 6
    assert "batch.kubernetes.io/controller-uid" in template["metadata"]["labels"]


def test_create_serviceaccount_makes_it_when_named(kubectl, objects, namespace):
    out = kubectl.run("create", "serviceaccount", "robot", "-n", namespace).stdout
    assert out.strip() == "serviceaccount/robot created"
    assert objects.names("serviceaccounts") == ["default", "robot"]


def test_create_typed_reports_already_exists_when_the_name_is_taken(kubectl, namespace):
    kubectl.run("create", "configmap", "dup", "-n", namespace)
    proc = kubectl.run("create", "configmap", "dup", "-n", namespace, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ('error: failed to create configmap: configmaps "dup" '
                                   'already exists')


def test_create_with_server_dry_run_stores_nothing_when_asked(kubectl, objects, namespace):
    out = kubectl.run("create", "deployment", "ghost", "-n", namespace, "--image=nginx",
                      "--dry-run=server").stdout
    assert out.strip() == "deployment.apps/ghost created (server dry run)"
    assert objects.get("deployments", "ghost") is None

