"""managedFields of a write name the fields the request decoder defaulted, as upstream's
field manager sees the decoded, defaulted object (handlers/create.go, update.go, patch.go:
UpdateNoErrors); what REST storage and admission add afterwards is nobody's."""

from __future__ import annotations

import uuid
from typing import Any

from kubernetes import client as k8s


def _fields(obj: Any, manager: str) -> dict[str, Any]:
    entries = [e for e in obj.metadata.managed_fields if e.manager == manager]
    assert len(entries) == 1, [e.manager for e in obj.metadata.managed_fields]
    fields: dict[str, Any] = entries[0].fields_v1
    return fields


def test_a_created_pod_s_creator_owns_the_defaulted_fields_but_not_admission_s(
        api_client: k8s.ApiClient, namespace: str) -> None:
    core = k8s.CoreV1Api(api_client)
    pod = core.create_namespaced_pod(namespace, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}},
        field_manager="creator")
    spec = _fields(pod, "creator")["f:spec"]
    for defaulted in ("f:dnsPolicy", "f:enableServiceLinks", "f:restartPolicy",
                      "f:schedulerName", "f:securityContext",
                      "f:terminationGracePeriodSeconds"):
        assert defaulted in spec, sorted(spec)
    container = spec["f:containers"]['k:{"name":"c"}']
    for defaulted in ("f:imagePullPolicy", "f:resources", "f:terminationMessagePath",
                      "f:terminationMessagePolicy"):
        assert defaulted in container, sorted(container)
    # the DefaultTolerationSeconds and ServiceAccount admission plugins run after
    assert pod.spec.tolerations and pod.spec.service_account_name == "default"
    assert "f:tolerations" not in spec and "f:serviceAccountName" not in spec


def test_a_created_service_s_creator_owns_its_defaults_but_not_its_cluster_ip(
        api_client: k8s.ApiClient, namespace: str) -> None:
    service = k8s.CoreV1Api(api_client).create_namespaced_service(namespace, {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
        field_manager="creator")
    assert service.spec.cluster_ip and service.spec.ip_families == ["IPv4"]
    spec = _fields(service, "creator")["f:spec"]
    assert {"f:sessionAffinity", "f:type", "f:internalTrafficPolicy"} <= set(spec)
    assert not {"f:clusterIP", "f:clusterIPs", "f:ipFamilies", "f:ipFamilyPolicy"} & set(spec)


def test_a_created_job_s_creator_owns_its_defaults_but_not_its_generated_selector(
        api_client: k8s.ApiClient, namespace: str) -> None:
    job = k8s.BatchV1Api(api_client).create_namespaced_job(namespace, {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
                                       "containers": [{"name": "c", "image": "busybox"}]}}}},
        field_manager="creator")
    assert job.spec.selector.match_labels
    spec = _fields(job, "creator")["f:spec"]
    assert {"f:backoffLimit", "f:completions", "f:parallelism"} <= set(spec)
    assert "f:selector" not in spec


def test_a_created_namespace_s_creator_owns_its_name_label(api_client: k8s.ApiClient) -> None:
    name = f"t-{uuid.uuid4().hex[:10]}"
    core = k8s.CoreV1Api(api_client)
    created = core.create_namespace({"apiVersion": "v1", "kind": "Namespace",
                                     "metadata": {"name": name}}, field_manager="creator")
    try:
        labels = _fields(created, "creator")["f:metadata"]["f:labels"]
        assert "f:kubernetes.io/metadata.name" in labels
    finally:
        core.delete_namespace(name)


def test_a_replace_that_leaves_out_a_defaulted_field_keeps_its_owner(
        api_client: k8s.ApiClient, namespace: str) -> None:
    core = k8s.CoreV1Api(api_client)
    service = core.create_namespaced_service(namespace, {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}],
                 "sessionAffinity": "None"}}, field_manager="creator")
    body = service.to_dict()
    replaced = core.replace_namespaced_service("web", namespace, {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "resourceVersion": body["metadata"]["resource_version"],
                     "labels": {"tier": "front"}},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}],
                 "clusterIP": service.spec.cluster_ip}}, field_manager="editor")
    # sessionAffinity was left out and defaulted back to the same value: still the creator's
    assert "f:sessionAffinity" in _fields(replaced, "creator")["f:spec"]
    assert "f:labels" in _fields(replaced, "editor")["f:metadata"]
