"""Create and update validation (chaoszone.sim.admission.validation and the rule modules),
with upstream's field paths and messages.

Cases ``pts-*`` and ``na-019`` re-express ../shared/fidelity/podtopologyspread.yaml and
nodeaffinity.yaml (scope: api, or api_valid: false)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chaoszone.sim import admission
from chaoszone.sim.errors import Cause, Invalid
from chaoszone.sim.resources import ResourceType, by_kind


def rt(group: str, kind: str) -> ResourceType:
    found = by_kind(group, "v1", kind)
    assert found is not None
    return found


POD, SVC, NS, NODE = rt("", "Pod"), rt("", "Service"), rt("", "Namespace"), rt("", "Node")
CM, SECRET, PVC, PV = rt("", "ConfigMap"), rt("", "Secret"), rt("", "PersistentVolumeClaim"), \
    rt("", "PersistentVolume")
DEPLOY, STS, DS, RS = rt("apps", "Deployment"), rt("apps", "StatefulSet"), \
    rt("apps", "DaemonSet"), rt("apps", "ReplicaSet")
JOB, PDB = rt("batch", "Job"), rt("policy", "PodDisruptionBudget")
ROLE, CRB = rt("rbac.authorization.k8s.io", "Role"), \
    rt("rbac.authorization.k8s.io", "ClusterRoleBinding")
SC = rt("storage.k8s.io", "StorageClass")
EVENT = rt("", "Event")


def lines(causes: list[Cause]) -> list[str]:
    return [f"{c.field}: {c.message}" if c.field else c.message for c in causes]


def ready(resource: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    admission.default(resource, obj)
    return obj


def pod(name: str = "p", **spec: Any) -> dict[str, Any]:
    return ready(POD, {"metadata": {"name": name, "namespace": "default"},
                       "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}], **spec}})


def deployment(name: str = "web", **spec: Any) -> dict[str, Any]:
    return ready(DEPLOY, {"metadata": {"name": name, "namespace": "default"}, "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, **spec}})


def statefulset(**spec: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"metadata": {"name": "db", "namespace": "default", "uid": "u",
                        "creationTimestamp": "2026-01-01T00:00:00Z"}, "spec": {
        "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
        "template": {"metadata": {"labels": {"app": "db"}},
                     "spec": {"containers": [{"name": "c", "image": "db"}]}}, **spec}}
    return ready(STS, obj)


def errors_of(resource: ResourceType, obj: dict[str, Any]) -> list[str]:
    return lines(admission.validate_create(resource, obj))


# -- names and metadata ---------------------------------------------------------------------------

SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                 "characters, '-' or '.', and must start and end with an alphanumeric character "
                 "(e.g. 'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def test_uppercase_pod_name_is_invalid_with_upstreams_message_when_created() -> None:
    causes = admission.validate_create(POD, pod("Bad_Name"))
    assert lines(causes) == [f'metadata.name: Invalid value: "Bad_Name": {SUBDOMAIN_MSG}']
    assert causes[0].reason == "FieldValueInvalid"
    err = Invalid("Pod", "Bad_Name", causes)
    assert err.message == f'Pod "Bad_Name" is invalid: metadata.name: Invalid value: ' \
                          f'"Bad_Name": {SUBDOMAIN_MSG}'


def test_name_is_required_when_neither_name_nor_generate_name_is_given() -> None:
    p = pod()
    del p["metadata"]["name"]
    assert errors_of(POD, p) == [
        "metadata.name: Required value: name or generateName is required"]


def test_generate_name_may_end_with_a_dash_when_it_is_a_prefix() -> None:
    p = pod()
    p["metadata"]["generateName"] = "web-"
    assert errors_of(POD, p) == []
    p["metadata"]["generateName"] = "Web-"
    assert errors_of(POD, p)[0].startswith('metadata.generateName: Invalid value: "Web-": ')


def test_namespace_name_must_be_a_dns_label_when_it_has_dots() -> None:
    ns = ready(NS, {"metadata": {"name": "a.b"}})
    assert errors_of(NS, ns) == ['metadata.name: Invalid value: "a.b": must not contain dots']


def test_service_name_must_be_a_dns_1035_label_when_it_starts_with_a_digit() -> None:
    svc = ready(SVC, {"metadata": {"name": "1web", "namespace": "default"},
                      "spec": {"ports": [{"port": 80}]}})
    assert errors_of(SVC, svc) == [
        'metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case '
        "alphanumeric characters or '-', start with an alphabetic character, and end with an "
        "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
        "'[a-z]([-a-z0-9]*[a-z0-9])?')"]


def test_statefulset_name_must_be_a_dns_label_when_it_has_dots() -> None:
    s = statefulset()
    s["metadata"]["name"] = "db.v1"
    assert errors_of(STS, s) == ['metadata.name: Invalid value: "db.v1": must not contain dots']


def test_rbac_names_are_path_segments_when_they_contain_colons_or_slashes() -> None:
    role: dict[str, Any] = {"metadata": {"name": "system:controller:x", "namespace": "default"},
            "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]}
    assert errors_of(ROLE, role) == []
    role["metadata"]["name"] = "a/b"
    assert errors_of(ROLE, role) == ["metadata.name: Invalid value: \"a/b\": may not contain '/'"]


def test_cluster_scoped_object_may_not_carry_a_namespace_when_validated() -> None:
    ns = ready(NS, {"metadata": {"name": "x", "namespace": "default"}})
    assert errors_of(NS, ns) == ["metadata.namespace: Forbidden: not allowed on this type"]


def test_label_errors_are_reported_at_the_map_path_when_a_key_or_value_is_bad() -> None:
    p = pod()
    p["metadata"]["labels"] = {"bad key": "ok", "ok": "bad value!"}
    got = errors_of(POD, p)
    assert got == [
        'metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric '
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
        "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        'metadata.labels: Invalid value: "bad value!": a valid label must be an empty string or '
        "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
        "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]


def test_label_value_longer_than_63_characters_is_invalid_when_given() -> None:
    p = pod()
    p["metadata"]["labels"] = {"k": "v" * 64}
    assert errors_of(POD, p) == [
        f'metadata.labels: Invalid value: "{"v" * 64}": must be no more than 63 characters']


def test_annotations_over_256_kib_are_too_long_when_created() -> None:
    p = pod()
    p["metadata"]["annotations"] = {"big": "x" * (256 * 1024)}
    causes = admission.validate_create(POD, p)
    assert lines(causes) == ["metadata.annotations: Too long: may not be more than 262144 bytes"]
    assert causes[0].reason == "FieldValueTooLong"


def test_prefixed_label_key_is_checked_as_a_subdomain_when_the_prefix_is_bad() -> None:
    p = pod()
    p["metadata"]["labels"] = {"Example.com/x": "y"}
    (line,) = errors_of(POD, p)
    assert line.startswith('metadata.labels: Invalid value: "Example.com/x": prefix part a '
                           "lowercase RFC 1123 subdomain")


def test_two_controller_owner_references_are_invalid_when_created() -> None:
    p = pod()
    p["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "a", "uid": "1",
         "controller": True},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "b", "uid": "2",
         "controller": True}]
    (line,) = errors_of(POD, p)
    assert line.endswith('Only one reference can have Controller set to true. Found "true" in '
                         "references for ReplicaSet/a and ReplicaSet/b")


def test_name_and_uid_are_immutable_when_updated() -> None:
    old = pod()
    old["metadata"]["uid"] = "u1"
    new = copy.deepcopy(old)
    new["metadata"]["uid"] = "u2"
    assert lines(admission.validate_update(POD, new, old)) == [
        'metadata.uid: Invalid value: "u2": field is immutable']


# -- pods -----------------------------------------------------------------------------------------

def test_pod_without_containers_is_refused_when_created() -> None:
    p = pod()
    p["spec"]["containers"] = []
    assert errors_of(POD, p) == ["spec.containers: Required value"]


def test_container_name_and_image_are_required_when_missing() -> None:
    p = pod()
    p["spec"]["containers"] = [{"image": ""}]
    admission.default(POD, p)
    assert errors_of(POD, p) == ["spec.containers[0].name: Required value",
                                 "spec.containers[0].image: Required value"]


def test_duplicate_container_names_are_refused_when_created() -> None:
    p = pod()
    p["spec"]["containers"].append({"name": "c", "image": "x"})
    admission.default(POD, p)
    assert errors_of(POD, p) == ['spec.containers[1].name: Duplicate value: "c"']


def test_unknown_port_protocol_is_unsupported_when_created() -> None:
    p = pod()
    p["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "protocol": "HTTP"}]
    assert errors_of(POD, p) == ['spec.containers[0].ports[0].protocol: Unsupported value: '
                                 '"HTTP": supported values: "SCTP", "TCP", "UDP"']


def test_mount_of_an_undeclared_volume_is_not_found_when_created() -> None:
    p = pod()
    p["spec"]["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    assert errors_of(POD, p) == ['spec.containers[0].volumeMounts[0].name: Not found: "data"']


def test_request_above_limit_is_invalid_when_created() -> None:
    p = pod()
    p["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}
    assert errors_of(POD, p) == ['spec.containers[0].resources.requests: Invalid value: "2": '
                                 "must be less than or equal to cpu limit of 1"]


def test_volume_without_a_source_is_refused_when_it_names_two() -> None:
    p = pod(volumes=[{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}}])
    assert errors_of(POD, p) == [
        "spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"]


def test_unknown_restart_policy_is_unsupported_when_created() -> None:
    p = pod(restartPolicy="Sometimes")
    assert errors_of(POD, p) == ['spec.restartPolicy: Unsupported value: "Sometimes": supported '
                                 'values: "Always", "OnFailure", "Never"']


def test_init_container_probe_is_forbidden_when_it_is_not_a_sidecar() -> None:
    p = pod(initContainers=[{"name": "i", "image": "x", "readinessProbe": {
        "exec": {"command": ["true"]}}}])
    admission.default(POD, p)
    assert errors_of(POD, p) == ["spec.initContainers[0].readinessProbe: Forbidden: may not be "
                                 "set for init containers without restartPolicy=Always"]


def test_liveness_probe_needs_a_handler_and_one_success_when_defined() -> None:
    p = pod()
    p["spec"]["containers"][0]["livenessProbe"] = {"successThreshold": 2}
    admission.default(POD, p)
    assert errors_of(POD, p) == [
        "spec.containers[0].livenessProbe: Required value: must specify a handler type",
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"]


def test_env_field_ref_to_an_unsupported_path_is_refused_when_created() -> None:
    p = pod()
    p["spec"]["containers"][0]["env"] = [{"name": "X", "valueFrom": {"fieldRef": {
        "fieldPath": "spec.restartPolicy"}}}]
    admission.default(POD, p)
    (line,) = errors_of(POD, p)
    assert line.startswith('spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported '
                           'value: "spec.restartPolicy": supported values: "metadata.name"')


def test_ephemeral_containers_are_forbidden_when_a_pod_is_created() -> None:
    p = pod(ephemeralContainers=[{"name": "debug", "image": "busybox"}])
    assert "spec.ephemeralContainers: Forbidden: cannot be set on create" in errors_of(POD, p)


def test_node_name_with_scheduling_gates_is_forbidden_when_created() -> None:
    p = pod(nodeName="n1", schedulingGates=[{"name": "example.com/gate"}])
    assert errors_of(POD, p) == [
        "spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared"]


def test_pod_image_change_is_allowed_when_it_is_the_only_change() -> None:
    old = pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.26"
    assert admission.validate_update(POD, new, old) == []


def test_pod_spec_change_is_forbidden_with_the_list_of_mutable_fields_when_updated() -> None:
    old = pod()
    new = copy.deepcopy(old)
    new["spec"]["nodeName"] = "n1"
    (cause,) = admission.validate_update(POD, new, old)
    assert cause.field == "spec" and cause.reason == "FieldValueForbidden"
    assert cause.message.startswith(
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
        "set to 1 if it was previously negative)\n")
    assert 'NodeName: "n1"' in cause.message


def test_adding_a_container_is_forbidden_when_a_pod_is_updated() -> None:
    old = pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"].append(dict(new["spec"]["containers"][0], name="d"))
    assert lines(admission.validate_update(POD, new, old)) == [
        "spec.containers: Forbidden: pod updates may not add or remove containers"]


def test_active_deadline_may_only_shrink_when_a_pod_is_updated() -> None:
    old = pod(activeDeadlineSeconds=30)
    shorter = copy.deepcopy(old)
    shorter["spec"]["activeDeadlineSeconds"] = 10
    assert admission.validate_update(POD, shorter, old) == []
    longer = copy.deepcopy(old)
    longer["spec"]["activeDeadlineSeconds"] = 60
    assert lines(admission.validate_update(POD, longer, old)) == [
        "spec.activeDeadlineSeconds: Invalid value: 60: must be less than or equal to previous "
        "value"]


def test_scheduling_gate_removal_is_allowed_when_a_gated_pod_is_updated() -> None:
    old = pod(schedulingGates=[{"name": "example.com/a"}, {"name": "example.com/b"}])
    new = copy.deepcopy(old)
    new["spec"]["schedulingGates"] = [{"name": "example.com/b"}]
    new["spec"]["nodeSelector"] = {"zone": "a"}
    assert admission.validate_update(POD, new, old) == []
    new["spec"]["schedulingGates"].append({"name": "example.com/c"})
    assert lines(admission.validate_update(POD, new, old)) == [
        "spec.schedulingGates: Forbidden: only deletion is allowed, but found new scheduling "
        "gate 'example.com/c'"]


# -- placement (fidelity pts-038..040, na-019) ----------------------------------------------------

def spread(**constraint: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"foo": "a"}}}
    base.update(constraint)
    return pod(topologySpreadConstraints=[{k: v for k, v in base.items() if v is not None}])


def test_match_label_keys_without_a_label_selector_are_forbidden_when_created() -> None:
    """pts-038"""
    p = spread(labelSelector=None, matchLabelKeys=["foo"])
    assert errors_of(POD, p) == [
        "spec.topologySpreadConstraints[0].matchLabelKeys: Forbidden: must not be specified "
        "when labelSelector is not set"]


def test_match_label_key_also_in_the_selector_is_invalid_when_created() -> None:
    """pts-038 notes"""
    p = spread(matchLabelKeys=["foo"])
    assert errors_of(POD, p) == [
        'spec.topologySpreadConstraints[0].matchLabelKeys[0]: Invalid value: "foo": exists in '
        "both matchLabelKeys and labelSelector"]


def test_duplicate_topology_key_and_action_is_refused_when_created() -> None:
    """pts-039"""
    one: dict[str, Any] = {
        "maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
           "labelSelector": {"matchExpressions": [{"key": "bar", "operator": "Exists"}]}}
    two = dict(one, labelSelector={"matchExpressions": [{"key": "foo", "operator": "Exists"}]})
    causes = admission.validate_create(POD, pod(topologySpreadConstraints=[one, two]))
    assert [c.field for c in causes] == [
        "spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}"]
    assert causes[0].message == 'Duplicate value: "{zone, DoNotSchedule}"'
    assert causes[0].reason == "FieldValueDuplicate"


def test_min_domains_needs_do_not_schedule_and_a_positive_value_when_set() -> None:
    """pts-040"""
    assert errors_of(POD, spread(whenUnsatisfiable="ScheduleAnyway", minDomains=2)) == [
        "spec.topologySpreadConstraints[0].minDomains: Invalid value: 2: can only use "
        "minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway"]
    assert errors_of(POD, spread(minDomains=0)) == [
        "spec.topologySpreadConstraints[0].minDomains: Invalid value: 0: must be greater than "
        "zero"]


def test_max_skew_zero_and_unknown_actions_are_refused_when_created() -> None:
    assert errors_of(POD, spread(maxSkew=0, whenUnsatisfiable="Maybe",
                                 nodeTaintsPolicy="Sometimes")) == [
        "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
        'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Maybe": '
        'supported values: "DoNotSchedule", "ScheduleAnyway"',
        'spec.topologySpreadConstraints[0].nodeTaintsPolicy: Unsupported value: "Sometimes": '
        'supported values: "Honor", "Ignore"']


def test_topology_spread_with_honor_policies_is_valid_when_well_formed() -> None:
    assert errors_of(POD, spread(nodeAffinityPolicy="Honor", nodeTaintsPolicy="Honor",
                                 minDomains=3, matchLabelKeys=["pod-template-hash"])) == []


def test_invalid_value_in_required_node_affinity_is_refused_when_created() -> None:
    """na-019 (api_valid: false)"""
    p = pod(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": "foo", "operator": "NotIn", "values": ["invalid value: ___@#$%^"]}]}]}}})
    (line,) = errors_of(POD, p)
    assert line.startswith(
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
        'nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: '
        '"invalid value: ___@#$%^": a valid label must be an empty string')


def test_node_affinity_needs_a_term_and_known_operators_when_created() -> None:
    p = pod(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": []}}})
    assert errors_of(POD, p) == [
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
        "nodeSelectorTerms: Required value: must have at least one node selector term"]


def test_pod_anti_affinity_needs_a_topology_key_and_weight_in_range_when_created() -> None:
    p = pod(affinity={"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 0, "podAffinityTerm": {"labelSelector": {"matchLabels": {"a": "b"}}}}]}})
    base = "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
    assert errors_of(POD, p)[:2] == [
        f"{base}.weight: Invalid value: 0: must be in the range 1-100",
        f"{base}.podAffinityTerm.topologyKey: Required value: can not be empty"]


# -- workloads ------------------------------------------------------------------------------------

def test_valid_deployment_has_no_errors_when_defaulted() -> None:
    assert errors_of(DEPLOY, deployment()) == []


def test_selector_that_does_not_match_the_template_is_refused_when_created() -> None:
    d = deployment()
    d["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    assert errors_of(DEPLOY, d) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: '
        "`selector` does not match template `labels`"]


def test_deployment_selector_and_template_are_required_when_missing() -> None:
    d = ready(DEPLOY, {"metadata": {"name": "web", "namespace": "default"}, "spec": {}})
    got = errors_of(DEPLOY, d)
    assert got[0] == "spec.selector: Required value"
    assert "spec.template.spec.containers: Required value" in got


def test_empty_selector_is_invalid_when_a_deployment_uses_it() -> None:
    d = deployment(selector={})
    assert errors_of(DEPLOY, d) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for "
        "deployment"]


def test_template_restart_policy_must_be_always_when_in_a_deployment() -> None:
    d = deployment()
    d["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert errors_of(DEPLOY, d) == ['spec.template.spec.restartPolicy: Unsupported value: '
                                    '"Never": supported values: "Always"']


def test_negative_replicas_and_zero_surge_and_unavailable_are_refused_when_created() -> None:
    d = deployment(replicas=-1, strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": 0, "maxUnavailable": "0%"}})
    assert errors_of(DEPLOY, d) == [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0%: may not be 0 when "
        "`maxSurge` is 0"]


def test_deployment_selector_is_immutable_with_upstreams_message_when_updated() -> None:
    old = deployment()
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "web2"}}
    new["spec"]["template"]["metadata"]["labels"] = {"app": "web2"}
    assert lines(admission.validate_update(DEPLOY, new, old)) == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":'
        '"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable']


def test_deployment_may_scale_and_change_template_when_updated() -> None:
    old = deployment()
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 5
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    assert admission.validate_update(DEPLOY, new, old) == []


@pytest.mark.parametrize("resource", [RS, DS], ids=["ReplicaSet", "DaemonSet"])
def test_selector_is_immutable_when_a_replicaset_or_daemonset_is_updated(
        resource: ResourceType) -> None:
    old = ready(resource, {"metadata": {"name": "x", "namespace": "default"}, "spec": {
        "selector": {"matchLabels": {"app": "x"}},
        "template": {"metadata": {"labels": {"app": "x", "v": "1"}},
                     "spec": {"containers": [{"name": "c", "image": "x"}]}}}})
    assert admission.validate_create(resource, old) == []
    new = copy.deepcopy(old)
    new["spec"]["selector"]["matchLabels"]["v"] = "1"
    assert [c.field for c in admission.validate_update(resource, new, old)] == ["spec.selector"]


def test_statefulset_accepts_a_template_without_pod_spec_checks_when_created() -> None:
    s = statefulset()
    s["spec"]["template"]["spec"]["containers"][0]["name"] = "Not_A_Label"
    assert errors_of(STS, s) == []  # upstream validates only its labels and annotations


def test_statefulset_fields_other_than_the_mutable_ones_are_forbidden_when_updated() -> None:
    old = statefulset()
    new = copy.deepcopy(old)
    new["spec"]["serviceName"] = "other"
    assert lines(admission.validate_update(STS, new, old)) == [
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', "
        "'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
        "'minReadySeconds' are forbidden"]


def test_statefulset_may_scale_and_roll_when_updated() -> None:
    old = statefulset()
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 3
    new["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "db:2"
    assert admission.validate_update(STS, new, old) == []


def test_statefulset_selector_change_is_forbidden_when_updated() -> None:
    old = statefulset()
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "db", "x": "y"}}
    new["spec"]["template"]["metadata"]["labels"]["x"] = "y"
    assert [c.field for c in admission.validate_update(STS, new, old)] == ["spec"]


def test_daemonset_rolling_update_with_both_surge_and_unavailable_is_refused_when_created() -> None:
    ds = ready(DS, {"metadata": {"name": "d", "namespace": "default"}, "spec": {
        "selector": {"matchLabels": {"app": "d"}},
        "updateStrategy": {"type": "RollingUpdate",
                           "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}},
        "template": {"metadata": {"labels": {"app": "d"}},
                     "spec": {"containers": [{"name": "c", "image": "x"}]}}}})
    assert errors_of(DS, ds) == ["spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: "
                                 "may not be set when maxUnavailable is non-zero"]


def job(restart: str | None = "Never", **spec: Any) -> dict[str, Any]:
    pod_spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox"}]}
    if restart is not None:
        pod_spec["restartPolicy"] = restart
    return ready(JOB, {"metadata": {"name": "repair", "namespace": "default"},
                       "spec": {"template": {"spec": pod_spec}, **spec}})


def test_job_needs_on_failure_or_never_restart_policy_when_created() -> None:
    assert errors_of(JOB, job(restart=None)) == [
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']
    assert errors_of(JOB, job()) == []


def test_job_with_a_foreign_selector_is_refused_when_the_selector_is_not_manual() -> None:
    j = job(selector={"matchLabels": {"app": "x"}})
    j["spec"]["template"]["metadata"]["labels"]["app"] = "x"
    assert errors_of(JOB, j) == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x",'
        f' "batch.kubernetes.io/controller-uid":"{j["metadata"]["uid"]}"}}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated"]


def test_job_template_and_selector_are_immutable_when_updated() -> None:
    old = job()
    old["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2"
    assert lines(admission.validate_update(JOB, new, old)) == [
        "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable"]


def test_job_scheduling_directives_may_change_when_suspended_and_never_started() -> None:
    old = job(suspend=True)
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["nodeSelector"] = {"zone": "a"}
    new["spec"]["template"]["spec"]["tolerations"] = [{"operator": "Exists"}]
    assert admission.validate_update(JOB, new, old) == []


def test_job_completions_are_immutable_when_the_job_is_not_indexed() -> None:
    old = job()
    new = copy.deepcopy(old)
    new["spec"]["completions"] = 3
    assert lines(admission.validate_update(JOB, new, old)) == [
        "spec.completions: Invalid value: 3: field is immutable"]


def test_pdb_with_both_min_available_and_max_unavailable_is_refused_when_created() -> None:
    pdb: dict[str, Any] = {"metadata": {"name": "b", "namespace": "default"},
           "spec": {"minAvailable": 1, "maxUnavailable": "150%",
                    "selector": {"matchLabels": {"app": "web"}}}}
    assert errors_of(PDB, pdb) == [
        "spec: Invalid value: policy.PodDisruptionBudgetSpec{...}: minAvailable and "
        "maxUnavailable cannot be both set",
        "spec.maxUnavailable: Invalid value: 150%: must not be greater than 100%"]


# -- services, storage, config --------------------------------------------------------------------

def service(**spec: Any) -> dict[str, Any]:
    return ready(SVC, {"metadata": {"name": "web", "namespace": "default"},
                       "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec}})


def test_service_with_two_unnamed_ports_is_refused_when_created() -> None:
    s = service(ports=[{"port": 80}, {"port": 443}])
    assert errors_of(SVC, s) == ["spec.ports[0].name: Required value",
                                 "spec.ports[1].name: Required value"]


def test_service_cluster_ip_may_not_change_when_updated() -> None:
    old = service(clusterIP="10.96.0.10")
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.96.0.11"
    new["spec"]["clusterIPs"] = ["10.96.0.11"]
    assert lines(admission.validate_update(SVC, new, old)) == [
        'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']


def test_node_port_is_forbidden_when_the_service_is_cluster_ip() -> None:
    s = service(ports=[{"port": 80, "nodePort": 30080}])
    assert errors_of(SVC, s) == [
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]


def test_claim_without_a_storage_request_is_refused_when_created() -> None:
    c = ready(PVC, {"metadata": {"name": "c", "namespace": "default"},
                    "spec": {"accessModes": ["ReadWriteOnce"]}})
    assert errors_of(PVC, c) == ["spec.resources[storage]: Required value"]


def test_claim_spec_is_immutable_except_requests_when_updated() -> None:
    old = ready(PVC, {"metadata": {"name": "c", "namespace": "default"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
        "resources": {"requests": {"storage": "1Gi"}}}})
    grown = copy.deepcopy(old)
    grown["spec"]["resources"]["requests"]["storage"] = "2Gi"
    grown["status"]["phase"] = "Bound"
    assert admission.validate_update(PVC, grown, old) == []
    other_class = copy.deepcopy(old)
    other_class["spec"]["storageClassName"] = "fast"
    assert lines(admission.validate_update(PVC, other_class, old)) == [
        "spec: Forbidden: spec is immutable after creation except resources.requests and "
        "volumeAttributesClassName for bound claims"]


def test_claim_may_not_shrink_below_its_capacity_when_updated() -> None:
    old = ready(PVC, {"metadata": {"name": "c", "namespace": "default"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}},
        "status": {"phase": "Bound", "capacity": {"storage": "2Gi"}}})
    new = copy.deepcopy(old)
    new["spec"]["resources"]["requests"]["storage"] = "1Gi"
    assert "spec.resources.requests.storage: Forbidden: field can not be less than " \
           "status.capacity" in lines(admission.validate_update(PVC, new, old))


def test_persistent_volume_source_is_immutable_when_updated() -> None:
    old = ready(PV, {"metadata": {"name": "v"}, "spec": {
        "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
        "hostPath": {"path": "/a"}}})
    assert errors_of(PV, old) == []
    new = copy.deepcopy(old)
    new["spec"]["hostPath"]["path"] = "/b"
    assert [c.field for c in admission.validate_update(PV, new, old)] == [
        "spec.persistentvolumesource"]


def test_storage_class_reclaim_policy_is_forbidden_to_change_when_updated() -> None:
    old = ready(SC, {"metadata": {"name": "standard"}, "provisioner": "rancher.io/local-path"})
    new = copy.deepcopy(old)
    new["reclaimPolicy"] = "Retain"
    assert lines(admission.validate_update(SC, new, old)) == [
        "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden."]


def test_immutable_configmap_data_is_forbidden_to_change_when_updated() -> None:
    old: dict[str, Any] = {"metadata": {"name": "c", "namespace": "default"}, "data": {"a": "1"},
           "immutable": True}
    new = copy.deepcopy(old)
    new["data"]["a"] = "2"
    assert lines(admission.validate_update(CM, new, old)) == [
        "data: Forbidden: field is immutable when `immutable` is set"]
    relaxed = copy.deepcopy(old)
    relaxed["immutable"] = False
    assert lines(admission.validate_update(CM, relaxed, old)) == [
        "immutable: Forbidden: field is immutable when `immutable` is set"]


def test_configmap_key_must_be_a_config_key_when_created() -> None:
    cm: dict[str, Any] = {"metadata": {"name": "c", "namespace": "default"}, "data": {"a b": "1"}}
    assert errors_of(CM, cm) == [
        "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric "
        "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex "
        "used for validation is '[-._a-zA-Z0-9]+')"]


def test_secret_type_is_immutable_when_updated() -> None:
    old = ready(SECRET, {"metadata": {"name": "s", "namespace": "default"}})
    new = copy.deepcopy(old)
    new["type"] = "kubernetes.io/tls"
    new["data"] = {"tls.crt": "", "tls.key": ""}
    assert lines(admission.validate_update(SECRET, new, old)) == [
        'type: Invalid value: "kubernetes.io/tls": field is immutable']


def test_node_pod_cidr_may_only_be_set_once_when_updated() -> None:
    old = ready(NODE, {"metadata": {"name": "n1"}, "spec": {}})
    assigned = copy.deepcopy(old)
    assigned["spec"]["podCIDR"] = "10.244.1.0/24"
    admission.default(NODE, assigned)
    assert admission.validate_update(NODE, assigned, old) == []
    moved = copy.deepcopy(assigned)
    moved["spec"]["podCIDR"], moved["spec"]["podCIDRs"] = "10.244.2.0/24", ["10.244.2.0/24"]
    assert lines(admission.validate_update(NODE, moved, assigned)) == [
        'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid']


def test_namespace_finalizer_must_be_qualified_when_not_standard() -> None:
    ns = ready(NS, {"metadata": {"name": "x"}, "spec": {"finalizers": ["custom"]}})
    assert errors_of(NS, ns) == ['spec.finalizers: Invalid value: "custom": name is neither a '
                                 "standard finalizer name nor is it fully qualified"]


def test_cluster_role_binding_service_account_needs_a_namespace_when_created() -> None:
    b = ready(CRB, {"metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "r"},
                    "subjects": [{"kind": "ServiceAccount", "name": "sa"}]})
    assert errors_of(CRB, b) == ["subjects[0].namespace: Required value"]
    new = copy.deepcopy(b)
    new["subjects"][0]["namespace"] = "default"
    new["roleRef"]["name"] = "other"
    assert lines(admission.validate_update(CRB, new, b)) == [
        "roleRef: Invalid value: rbac.RoleRef{...}: cannot change roleRef"]


def test_event_namespace_must_match_its_involved_object_when_created() -> None:
    ev: dict[str, Any] = {"metadata": {"name": "p.123", "namespace": "a"},
          "involvedObject": {"kind": "Pod", "name": "p", "namespace": "b"}}
    assert errors_of(EVENT, ev) == [
        'involvedObject.namespace: Invalid value: "b": does not match event.namespace']
