"""API defaulting and the REST strategies' create/update preparation
(chaoszone.sim.admission.defaults, .strategy, .qos), checked against kube-apiserver 1.32
and against the official client's strict models."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from kubernetes import client as k8s

from chaoszone.sim import admission
from chaoszone.sim.resources import ResourceType, by_kind


def rt(group: str, kind: str) -> ResourceType:
    found = by_kind(group, "v1", kind)
    assert found is not None
    return found


POD, SVC, NS, NODE = rt("", "Pod"), rt("", "Service"), rt("", "Namespace"), rt("", "Node")
PV, PVC, SECRET = rt("", "PersistentVolume"), rt("", "PersistentVolumeClaim"), rt("", "Secret")
DEPLOY, RS = rt("apps", "Deployment"), rt("apps", "ReplicaSet")
STS, DS = rt("apps", "StatefulSet"), rt("apps", "DaemonSet")
JOB, PDB = rt("batch", "Job"), rt("policy", "PodDisruptionBudget")
SC = rt("storage.k8s.io", "StorageClass")
SLICE = rt("discovery.k8s.io", "EndpointSlice")
RB = rt("rbac.authorization.k8s.io", "RoleBinding")


def template(labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"labels": labels or {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}], **spec}}


def workload(kind: str, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web", "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template(),
                     **spec}}


def pod(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}], **spec}}


def created(resource: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    admission.default(resource, obj)
    if resource.kind == "Pod":
        admission.admit_pod(obj)
    admission.prepare_for_create(resource, obj, now="2026-01-01T00:00:00Z")
    return obj


# -- workloads ------------------------------------------------------------------------------------

def test_deployment_gets_rolling_update_25_percent_and_history_when_minimal() -> None:
    d = workload("Deployment")
    admission.default(DEPLOY, d)
    spec = d["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "RollingUpdate",
                                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600


def test_deployment_keeps_recreate_without_rolling_update_when_recreate_is_asked() -> None:
    d = workload("Deployment", strategy={"type": "Recreate"})
    admission.default(DEPLOY, d)
    assert d["spec"]["strategy"] == {"type": "Recreate"}


def test_deployment_round_trips_through_the_strict_client_model_when_defaulted() -> None:
    d = created(DEPLOY, {"apiVersion": "apps/v1", "kind": "Deployment", **workload("x")})
    model: Any = k8s.V1Deployment.from_dict(d)
    assert model.spec.template.spec.containers[0].termination_message_path == \
        "/dev/termination-log"
    assert model.metadata.generation == 1
    assert admission.validate_create(DEPLOY, d) == []


def test_pod_template_gets_pod_spec_defaults_but_not_pod_only_ones_when_in_a_deployment() -> None:
    d = workload("Deployment")
    admission.default(DEPLOY, d)
    spec = d["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["dnsPolicy"] == "ClusterFirst"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["securityContext"] == {}
    assert "enableServiceLinks" not in spec  # SetDefaults_Pod only
    assert "serviceAccountName" not in spec  # ServiceAccount admission only
    assert "priority" not in spec


def test_statefulset_gets_ordered_ready_partition_zero_and_retain_policy_when_minimal() -> None:
    s = workload("StatefulSet", volumeClaimTemplates=[{"metadata": {"name": "data"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}])
    admission.default(STS, s)
    spec = s["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain",
                                                             "whenScaled": "Retain"}
    assert spec["replicas"] == 1 and spec["revisionHistoryLimit"] == 10
    claim = spec["volumeClaimTemplates"][0]
    assert claim["apiVersion"] == "v1" and claim["kind"] == "PersistentVolumeClaim"
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["status"] == {"phase": "Pending"}


def test_statefulset_on_delete_gets_no_rolling_update_when_on_delete_is_asked() -> None:
    s = workload("StatefulSet", updateStrategy={"type": "OnDelete"})
    admission.default(STS, s)
    assert s["spec"]["updateStrategy"] == {"type": "OnDelete"}


def test_daemonset_gets_max_unavailable_one_and_surge_zero_when_minimal() -> None:
    d = workload("DaemonSet")
    admission.default(DS, d)
    assert d["spec"]["updateStrategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert d["spec"]["revisionHistoryLimit"] == 10


def test_replicaset_gets_one_replica_when_replicas_is_absent() -> None:
    r = workload("ReplicaSet")
    admission.default(RS, r)
    assert r["spec"]["replicas"] == 1


# -- Job ------------------------------------------------------------------------------------------

def job(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "repair", "namespace": "default"},
            "spec": {"template": {"spec": {"restartPolicy": "Never",
                                           "containers": [{"name": "c", "image": "busybox"}]}},
                     **spec}}


def test_job_gets_one_completion_backoff_six_and_non_indexed_when_minimal() -> None:
    j = job()
    admission.default(JOB, j)
    spec = j["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["completionMode"] == "NonIndexed"
    assert spec["suspend"] is False
    assert spec["manualSelector"] is False
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"


def test_job_keeps_completions_unset_when_only_parallelism_is_given() -> None:
    j = job(parallelism=3)
    admission.default(JOB, j)
    assert j["spec"]["parallelism"] == 3
    assert "completions" not in j["spec"]


def test_job_replacement_policy_is_failed_when_a_pod_failure_policy_is_set() -> None:
    j = job(podFailurePolicy={"rules": [{"action": "Ignore", "onPodConditions": [
        {"type": "DisruptionTarget"}]}]})
    admission.default(JOB, j)
    assert j["spec"]["podReplacementPolicy"] == "Failed"
    assert j["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["status"] == "True"


def test_job_selector_and_labels_are_generated_from_the_uid_when_created() -> None:
    j = job()
    j["metadata"]["uid"] = "u-1"
    admission.default(JOB, j)
    labels = j["spec"]["template"]["metadata"]["labels"]
    assert labels == {"batch.kubernetes.io/controller-uid": "u-1",
                      "batch.kubernetes.io/job-name": "repair",
                      "controller-uid": "u-1", "job-name": "repair"}
    assert j["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}}
    assert j["metadata"]["labels"] == labels  # SetDefaults_Job copies them on read
    assert admission.validate_create(JOB, j) == []


def test_job_gets_a_uid_for_its_selector_when_created_without_one() -> None:
    j = job()
    admission.default(JOB, j)
    uid = j["metadata"]["uid"]
    assert uid and j["spec"]["selector"]["matchLabels"] == {
        "batch.kubernetes.io/controller-uid": uid}


def test_job_selector_is_not_generated_when_manual_selector_is_true() -> None:
    j = job(manualSelector=True, selector={"matchLabels": {"app": "x"}})
    j["spec"]["template"]["metadata"] = {"labels": {"app": "x"}}
    admission.default(JOB, j)
    assert j["spec"]["selector"] == {"matchLabels": {"app": "x"}}
    assert j["spec"]["template"]["metadata"]["labels"] == {"app": "x"}


def test_job_selector_is_not_regenerated_when_the_job_is_already_stored() -> None:
    j = job(selector={"matchLabels": {"batch.kubernetes.io/controller-uid": "old"}})
    j["metadata"].update(uid="old", creationTimestamp="2026-01-01T00:00:00Z")
    admission.default(JOB, j)
    assert j["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "old"}}


# -- Pod ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("image", "policy"), [
    ("nginx", "Always"),
    ("nginx:latest", "Always"),
    ("nginx:1.25", "IfNotPresent"),
    ("registry.k8s.io/pause:3.10", "IfNotPresent"),
    ("localhost:5000/app", "Always"),
    ("localhost:5000/app:v1", "IfNotPresent"),
    ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
    ("nginx:latest@sha256:" + "a" * 64, "Always"),
])
def test_image_pull_policy_follows_the_tag_when_not_given(image: str, policy: str) -> None:
    p = pod()
    p["spec"]["containers"][0]["image"] = image
    admission.default(POD, p)
    assert p["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_container_gets_termination_message_defaults_and_empty_resources_when_minimal() -> None:
    p = pod()
    p["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    admission.default(POD, p)
    c = p["spec"]["containers"][0]
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["terminationMessagePolicy"] == "File"
    assert c["resources"] == {}
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}]


def test_pod_gets_service_links_when_created() -> None:
    p = pod()
    admission.default(POD, p)
    assert p["spec"]["enableServiceLinks"] is True


def test_requests_default_to_limits_when_a_pod_sets_only_limits() -> None:
    p = pod()
    p["spec"]["containers"][0]["resources"] = {"limits": {"cpu": 1, "memory": "1Gi"}}
    admission.default(POD, p)
    resources = p["spec"]["containers"][0]["resources"]
    assert resources["limits"] == {"cpu": "1", "memory": "1Gi"}  # numbers become strings
    assert resources["requests"] == {"cpu": "1", "memory": "1Gi"}


def test_requests_are_not_defaulted_when_the_limits_are_in_a_template() -> None:
    d = workload("Deployment")
    d["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"}}
    admission.default(DEPLOY, d)
    assert "requests" not in d["spec"]["template"]["spec"]["containers"][0]["resources"]


def test_host_ports_default_to_container_ports_when_the_pod_uses_the_host_network() -> None:
    p = pod(hostNetwork=True)
    p["spec"]["containers"][0]["ports"] = [{"containerPort": 8080}]
    admission.default(POD, p)
    assert p["spec"]["containers"][0]["ports"][0]["hostPort"] == 8080


def test_volumes_get_modes_and_types_when_their_sources_leave_them_out() -> None:
    p = pod(volumes=[
        {"name": "cm", "configMap": {"name": "x"}},
        {"name": "s", "secret": {"secretName": "x"}},
        {"name": "h", "hostPath": {"path": "/tmp"}},
        {"name": "e"},
        {"name": "d", "downwardAPI": {"items": [{"path": "n", "fieldRef": {
            "fieldPath": "metadata.name"}}]}},
    ])
    admission.default(POD, p)
    v: dict[str, Any] = {vol["name"]: vol for vol in p["spec"]["volumes"]}
    assert v["cm"]["configMap"]["defaultMode"] == 420
    assert v["s"]["secret"]["defaultMode"] == 420
    assert v["h"]["hostPath"]["type"] == ""
    assert v["e"]["emptyDir"] == {}
    assert v["d"]["downwardAPI"]["items"][0]["fieldRef"]["apiVersion"] == "v1"


def test_probes_get_periods_and_thresholds_when_only_the_handler_is_given() -> None:
    p = pod()
    p["spec"]["containers"][0]["readinessProbe"] = {"httpGet": {"port": 80}}
    admission.default(POD, p)
    probe = p["spec"]["containers"][0]["readinessProbe"]
    assert probe == {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                     "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                     "failureThreshold": 3}


def test_service_account_alias_mirrors_the_name_when_only_one_is_given() -> None:
    p = pod(serviceAccount="builder")
    admission.default(POD, p)
    assert p["spec"]["serviceAccountName"] == "builder" == p["spec"]["serviceAccount"]


def test_pod_admission_sets_default_service_account_and_zero_priority_when_created() -> None:
    p = pod()
    admission.default(POD, p)
    admission.admit_pod(p)
    spec = p["spec"]
    assert spec["serviceAccountName"] == "default" == spec["serviceAccount"]
    assert spec["priority"] == 0
    assert spec["preemptionPolicy"] == "PreemptLowerPriority"
    assert "volumes" not in spec  # the token volume is opt-in


def test_pod_admission_mounts_the_token_volume_when_asked() -> None:
    p = pod()
    admission.admit_pod(p, mount_service_account_token=True)
    (volume,) = p["spec"]["volumes"]
    assert volume["name"].startswith("kube-api-access-")
    assert p["spec"]["containers"][0]["volumeMounts"] == [{
        "name": volume["name"], "readOnly": True,
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]


def test_pod_admission_resolves_system_priority_classes_when_named() -> None:
    p = pod(priorityClassName="system-node-critical")
    admission.admit_pod(p)
    assert p["spec"]["priority"] == 2000001000


def test_pod_admission_refuses_an_unknown_priority_class_with_403() -> None:
    from chaoszone.sim.errors import ApiError

    with pytest.raises(ApiError) as info:
        admission.admit_pod(pod(priorityClassName="gold"))
    assert info.value.code == 403
    assert info.value.message == 'pods "p" is forbidden: no PriorityClass with name gold was found'


def test_pod_admission_keeps_the_old_priority_when_an_update_omits_it() -> None:
    old = pod(priority=0, preemptionPolicy="PreemptLowerPriority")
    new = pod()
    admission.admit_pod(new, operation="UPDATE", old=old)
    assert new["spec"]["priority"] == 0
    assert new["spec"]["preemptionPolicy"] == "PreemptLowerPriority"


def test_new_pod_is_pending_with_its_qos_class_when_prepared_for_create() -> None:
    p = created(POD, pod())
    assert p["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    model: Any = k8s.V1Pod.from_dict(p)
    assert model.status.qos_class == "BestEffort"


def test_gated_pod_gets_the_scheduling_gated_condition_when_created() -> None:
    p = created(POD, pod(schedulingGates=[{"name": "example.com/wait"}]))
    (cond,) = p["status"]["conditions"]
    assert (cond["type"], cond["status"], cond["reason"]) == (
        "PodScheduled", "False", "SchedulingGated")


def test_match_label_keys_are_merged_into_pod_affinity_when_created() -> None:
    p = pod(affinity={"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
        "topologyKey": "topology.kubernetes.io/zone",
        "labelSelector": {"matchLabels": {"app": "web"}},
        "matchLabelKeys": ["pod-template-hash"]}]}})
    p["metadata"]["labels"] = {"app": "web", "pod-template-hash": "abc"}
    created(POD, p)
    term = p["spec"]["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["labelSelector"]["matchExpressions"] == [
        {"key": "pod-template-hash", "operator": "In", "values": ["abc"]}]


# -- QoS ------------------------------------------------------------------------------------------

def qos_pod(*resources: dict[str, Any], init: dict[str, Any] | None = None) -> dict[str, Any]:
    p: dict[str, Any] = {"spec": {"containers": [
        {"name": f"c{i}", "image": "x", "resources": r} for i, r in enumerate(resources)]}}
    if init is not None:
        p["spec"]["initContainers"] = [{"name": "i", "image": "x", "resources": init}]
    admission.default(POD, p)
    return p


@pytest.mark.parametrize(("resources", "qos"), [
    ([{}], "BestEffort"),
    ([{"requests": {"cpu": "100m"}}], "Burstable"),
    ([{"limits": {"cpu": "1", "memory": "1Gi"}}], "Guaranteed"),
    ([{"limits": {"cpu": "1"}}], "Burstable"),
    ([{"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}], "Burstable"),
    ([{"limits": {"cpu": "1", "memory": "1Gi"}}, {}], "Burstable"),
    ([{"requests": {"cpu": "0"}}], "BestEffort"),
    ([{"limits": {"cpu": "1000m", "memory": "1Gi"}, "requests": {"cpu": "1",
                                                                 "memory": "1024Mi"}}],
     "Guaranteed"),
])
def test_qos_class_matches_upstream_when_resources_vary(resources: list[dict[str, Any]],
                                                          qos: str) -> None:
    assert admission.pod_qos_class(qos_pod(*resources)) == qos


def test_qos_class_counts_init_containers_when_they_request_resources() -> None:
    p = qos_pod({"limits": {"cpu": "1", "memory": "1Gi"}}, init={"requests": {"cpu": "1"}})
    assert admission.pod_qos_class(p) == "Burstable"


# -- core kinds -----------------------------------------------------------------------------------

def test_service_gets_cluster_ip_type_single_stack_and_target_port_when_minimal() -> None:
    s: dict[str, Any] = {"metadata": {"name": "web", "namespace": "default"},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    admission.default(SVC, s)
    spec = s["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert spec["ipFamilyPolicy"] == "SingleStack" and spec["ipFamilies"] == ["IPv4"]
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert "externalTrafficPolicy" not in spec
    assert admission.service_needs_cluster_ip(s)


def test_node_port_service_gets_cluster_external_traffic_policy_when_not_given() -> None:
    s: dict[str, Any] = {
        "spec": {"type": "NodePort", "ports": [{"port": 80, "targetPort": "http"}]}}
    admission.default(SVC, s)
    assert s["spec"]["externalTrafficPolicy"] == "Cluster"
    assert s["spec"]["ports"][0]["targetPort"] == "http"


def test_load_balancer_service_allocates_node_ports_when_not_told_otherwise() -> None:
    s: dict[str, Any] = {"spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}
    admission.default(SVC, s)
    assert s["spec"]["allocateLoadBalancerNodePorts"] is True
    assert admission.service_needs_node_ports(s)


def test_external_name_service_gets_no_ip_families_when_defaulted() -> None:
    s: dict[str, Any] = {"spec": {"type": "ExternalName", "externalName": "example.com"}}
    admission.default(SVC, s)
    assert "ipFamilies" not in s["spec"] and "internalTrafficPolicy" not in s["spec"]
    assert not admission.service_needs_cluster_ip(s)


def test_headless_service_without_selector_requires_dual_stack_when_defaulted() -> None:
    s: dict[str, Any] = {"spec": {"clusterIP": "None", "ports": [{"port": 80}]}}
    admission.default(SVC, s)
    assert s["spec"]["ipFamilyPolicy"] == "RequireDualStack"
    assert s["spec"]["clusterIPs"] == ["None"]


def test_client_ip_affinity_gets_three_hour_timeout_when_not_configured() -> None:
    s: dict[str, Any] = {"spec": {"sessionAffinity": "ClientIP", "ports": [{"port": 80}]}}
    admission.default(SVC, s)
    assert s["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def test_namespace_gets_its_name_label_and_active_phase_when_defaulted() -> None:
    n: dict[str, Any] = {"metadata": {"name": "team-a"}}
    admission.default(NS, n)
    assert n["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}
    assert n["status"] == {"phase": "Active"}


def test_node_gets_allocatable_and_zero_node_info_when_the_kubelet_sent_only_capacity() -> None:
    n: dict[str, Any] = {"metadata": {"name": "n1"}, "spec": {"podCIDR": "10.244.1.0/24"},
         "status": {"capacity": {"cpu": 4, "memory": "8Gi"}}}
    admission.default(NODE, n)
    status = n["status"]
    assert status["allocatable"] == {"cpu": "4", "memory": "8Gi"}
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 0}}
    assert n["spec"]["podCIDRs"] == ["10.244.1.0/24"]
    k8s.V1Node.from_dict(n)  # all ten nodeInfo fields are required by the client


def test_persistent_volume_gets_retain_filesystem_and_pending_when_minimal() -> None:
    pv: dict[str, Any] = {"metadata": {"name": "pv1"}, "spec": {"capacity": {"storage": "1Gi"},
                                                "accessModes": ["ReadWriteOnce"],
                                                "hostPath": {"path": "/data"}}}
    admission.default(PV, pv)
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["spec"]["volumeMode"] == "Filesystem"
    assert pv["status"] == {"phase": "Pending"}


def test_claim_gets_filesystem_volume_mode_when_minimal() -> None:
    c: dict[str, Any] = {
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": 1}}}}
    admission.default(PVC, c)
    assert c["spec"]["volumeMode"] == "Filesystem"
    assert c["spec"]["resources"]["requests"]["storage"] == "1"
    assert c["status"] == {"phase": "Pending"}


def test_secret_is_opaque_and_string_data_is_encoded_when_given() -> None:
    s: dict[str, Any] = {
        "metadata": {"name": "s"}, "stringData": {"password": "hunter2"}, "data": {"a": "Yg=="}}
    admission.default(SECRET, s)
    assert s["type"] == "Opaque"
    assert s["data"] == {"a": "Yg==", "password": "aHVudGVyMg=="}
    assert "stringData" not in s


def test_storage_class_deletes_and_binds_immediately_when_minimal() -> None:
    sc: dict[str, Any] = {"metadata": {"name": "standard"}, "provisioner": "rancher.io/local-path"}
    admission.default(SC, sc)
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")


def test_endpoint_slice_ports_get_empty_name_and_tcp_when_minimal() -> None:
    s: dict[str, Any] = {
        "addressType": "IPv4", "ports": [{"port": 80}], "endpoints": [{"addresses": ["1.2.3.4"]}]}
    admission.default(SLICE, s)
    assert s["ports"] == [{"port": 80, "name": "", "protocol": "TCP"}]


def test_role_binding_subjects_get_the_rbac_group_when_users_or_groups() -> None:
    b: dict[str, Any] = {"roleRef": {"kind": "Role", "name": "r"},
         "subjects": [{"kind": "User", "name": "u"}, {"kind": "ServiceAccount", "name": "sa"}]}
    admission.default(RB, b)
    assert b["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"
    assert b["subjects"][0]["apiGroup"] == "rbac.authorization.k8s.io"
    assert "apiGroup" not in b["subjects"][1]


# -- idempotence and strict models ----------------------------------------------------------------

_SAMPLES: list[tuple[ResourceType, dict[str, Any]]] = [
    (DEPLOY, workload("Deployment")),
    (STS, workload("StatefulSet")),
    (DS, workload("DaemonSet")),
    (RS, workload("ReplicaSet")),
    (JOB, job()),
    (POD, pod()),
    (SVC, {"metadata": {"name": "s", "namespace": "default"},
           "spec": {"type": "NodePort", "ports": [{"port": 80}]}}),
    (PVC, {"metadata": {"name": "c", "namespace": "default"},
           "spec": {"accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}}}}),
    (PV, {"metadata": {"name": "v"}, "spec": {"capacity": {"storage": "1Gi"},
                                               "accessModes": ["ReadWriteOnce"],
                                               "hostPath": {"path": "/d"}}}),
    (NS, {"metadata": {"name": "n"}}),
    (PDB, {"metadata": {"name": "b", "namespace": "default"},
           "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}}),
]
_MODELS: dict[str, Any] = {"Deployment": k8s.V1Deployment, "StatefulSet": k8s.V1StatefulSet,
           "DaemonSet": k8s.V1DaemonSet, "ReplicaSet": k8s.V1ReplicaSet, "Job": k8s.V1Job,
           "Pod": k8s.V1Pod, "Service": k8s.V1Service, "PersistentVolumeClaim":
           k8s.V1PersistentVolumeClaim, "PersistentVolume": k8s.V1PersistentVolume,
           "Namespace": k8s.V1Namespace, "PodDisruptionBudget": k8s.V1PodDisruptionBudget}


@pytest.mark.parametrize(("resource", "obj"), _SAMPLES, ids=[r.kind for r, _ in _SAMPLES])
def test_defaulting_changes_nothing_when_applied_a_second_time(resource: ResourceType,
                                                               obj: dict[str, Any]) -> None:
    once = copy.deepcopy(obj)
    admission.default(resource, once)
    twice = copy.deepcopy(once)
    admission.default(resource, twice)
    assert twice == once


@pytest.mark.parametrize(("resource", "obj"), _SAMPLES, ids=[r.kind for r, _ in _SAMPLES])
def test_new_object_satisfies_the_strict_client_model_and_validation_when_prepared(
        resource: ResourceType, obj: dict[str, Any]) -> None:
    o = created(resource, {"apiVersion": resource.api_version, "kind": resource.kind,
                           **copy.deepcopy(obj)})
    if resource.kind == "Service":
        o["spec"]["clusterIP"] = "10.96.0.10"
        o["spec"]["clusterIPs"] = ["10.96.0.10"]
    _MODELS[resource.kind].from_dict(o)
    assert admission.validate_create(resource, o) == []


def test_initial_status_carries_the_counters_the_client_requires_when_a_daemonset() -> None:
    assert admission.initial_status(DS) == {"currentNumberScheduled": 0, "numberMisscheduled": 0,
                                            "desiredNumberScheduled": 0, "numberReady": 0}
    assert admission.initial_status(NODE) is None
    assert admission.initial_status(rt("", "ConfigMap")) is None


# -- updates --------------------------------------------------------------------------------------

def test_generation_is_bumped_and_status_kept_when_a_deployment_spec_changes() -> None:
    old = created(DEPLOY, workload("Deployment"))
    old["status"] = {"replicas": 1}
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 3
    new["status"] = {}
    admission.prepare_for_update(DEPLOY, new, old)
    assert new["metadata"]["generation"] == 2
    assert new["status"] == {"replicas": 1}


def test_generation_is_kept_when_only_labels_change() -> None:
    old = created(STS, workload("StatefulSet"))
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"x": "y"}
    admission.prepare_for_update(STS, new, old)
    assert new["metadata"]["generation"] == 1


def test_daemonset_template_generation_follows_template_changes_when_updated() -> None:
    old = created(DS, workload("DaemonSet"))
    assert old["metadata"]["annotations"] == {"deprecated.daemonset.template.generation": "1"}
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    admission.prepare_for_update(DS, new, old)
    assert new["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
    assert new["metadata"]["generation"] == 2


def test_service_keeps_its_cluster_ip_and_node_ports_when_a_put_omits_them() -> None:
    old: dict[str, Any] = {"metadata": {"name": "s"}, "spec": {
        "type": "NodePort", "clusterIP": "10.96.0.7", "clusterIPs": ["10.96.0.7"],
        "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}]}}
    new: dict[str, Any] = {
        "metadata": {"name": "s"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    admission.prepare_for_update(SVC, new, old)
    assert new["spec"]["clusterIP"] == "10.96.0.7"
    assert new["spec"]["clusterIPs"] == ["10.96.0.7"]
    assert new["spec"]["ports"][0]["nodePort"] == 30080


def test_namespace_finalizers_are_added_and_kept_when_created_then_updated() -> None:
    n = created(NS, {"metadata": {"name": "team-a"}})
    assert n["spec"]["finalizers"] == ["kubernetes"]
    new: dict[str, Any] = {"metadata": {"name": "team-a"}, "spec": {}}
    admission.prepare_for_update(NS, new, n)
    assert new["spec"]["finalizers"] == ["kubernetes"]


def test_generated_name_keeps_the_prefix_and_adds_five_characters_when_asked() -> None:
    name = admission.generate_name("web-")
    assert name.startswith("web-") and len(name) == 9
    assert len(admission.generate_name("x" * 80)) == 63
