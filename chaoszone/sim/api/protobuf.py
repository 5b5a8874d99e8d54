"""Decode kubectl's protobuf request bodies into the JSON dicts the API layer works on.

kubectl's typed ``create`` commands (``create namespace``, ``configmap``, ``secret
generic|tls|docker-registry``, ``deployment``, ``job``, ``serviceaccount``, ``service
clusterip|nodeport|loadbalancer|externalname``, ``role``, ``rolebinding``, ``clusterrole``,
``clusterrolebinding``, ``poddisruptionbudget``) POST ``application/vnd.kubernetes.protobuf``
bodies and never retry with JSON; so do typed clients' DELETEs (``DeleteOptions``, sent by
``kubectl drain --disable-eviction``). This module owns turning such a body into exactly the dict
the JSON API would have received: the JSON encoding of the Go object that upstream's
protobuf decoder would build. Nothing here knows about HTTP or storage.

The body is the magic ``k8s\\x00`` and a ``runtime.Unknown`` message (``typeMeta``,
``raw``, ``contentEncoding``, ``contentType``), as read by
k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go ``Serializer.Decode``
(``contentEncoding`` and ``contentType`` are ignored there too). ``raw`` is the object's
message. The wire format is decoded by hand (varint, 64-bit, length-delimited, 32-bit,
skipped groups, packed and unpacked repeated scalars) with the checks of gogo-protobuf's
generated ``Unmarshal`` methods; unknown field numbers are skipped as upstream does.

The field tables below are transcribed from upstream at tag v0.32.9 (Kubernetes 1.32):
field numbers and wire types from the ``generated.proto`` files of k8s.io/api
(core/v1, apps/v1, batch/v1, rbac/v1, policy/v1) and k8s.io/apimachinery (pkg/apis/meta/v1,
pkg/runtime, pkg/util/intstr, pkg/api/resource); the Go shape of each field (pointer or value,
``omitempty`` or not, ``,inline``) from the ``types.go`` next to them, because that is what
decides how the decoded object looks as JSON. A throwaway script read both files and
checked that they agree field by field; its output was pasted in below. The tables cover every
message reachable from the decoded kinds (158 messages), not only the fields kubectl's
generators set, so nothing a client sends is silently dropped.

JSON rules, as ``encoding/json`` applies them to the decoded Go object:

* value scalars: omitted when zero if ``omitempty`` (spec without ``!``), else written;
* pointers, slices and maps: omitted when nil/empty if ``omitempty``, else ``null``
  (a protobuf decode never makes an empty non-nil slice or map);
* value structs are always written, however empty (``"strategy": {}``, ``"status": {}``);
  ``,inline`` structs (spec name ``""``) are flattened into their parent;
* ``[]byte`` (Secret ``data``, ConfigMap ``binaryData``) is base64; map keys are sorted;
* ``metav1.Time`` (time_proto.go): empty message -> zero -> ``null``, else
  ``time.Unix(seconds, 0)`` in RFC 3339 (``nanos`` is dropped, as upstream does);
* ``intstr.IntOrString``: ``type`` 0 -> ``intVal`` as a number, 1 -> ``strVal``;
* ``resource.Quantity`` (quantity_proto.go): its string, checked against
  ``ParseQuantity``'s grammar but not re-canonicalised (clients send the canonical form);
  the zero Quantity is ``"0"``;
* ``metav1.FieldsV1``: its raw bytes, which must be JSON.

Errors: malformed bytes give 400 ``BadRequest``; a well-formed body of a kind not
decoded here gives 415 ``UnsupportedMediaType`` telling the user to send a manifest with
``kubectl create -f``. Nothing else is ever raised.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any, Final

from chaoszone.sim.errors import ApiError, BadRequest
from chaoszone.sim.resources import group_versions

__all__ = ["CONTENT_TYPE", "KINDS", "decode"]

#: The media type kubectl's typed clients send.
CONTENT_TYPE: Final = "application/vnd.kubernetes.protobuf"

#: k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go ``protoEncodingPrefix``.
_MAGIC: Final = b"k8s\x00"

#: (apiVersion, kind) -> the message its ``raw`` bytes are.
_TOP_LEVEL: Final[dict[tuple[str, str], str]] = {
    ("v1", "Namespace"): "Namespace",
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret",
    ("v1", "ServiceAccount"): "ServiceAccount",
    ("v1", "Service"): "Service",
    ("apps/v1", "Deployment"): "Deployment",
    ("batch/v1", "Job"): "Job",
    ("rbac.authorization.k8s.io/v1", "Role"): "Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "ClusterRole",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "ClusterRoleBinding",
    ("policy/v1", "PodDisruptionBudget"): "PodDisruptionBudget",
}

#: Request options a typed client sends as a body. DeleteOptions is registered in every
#: group version (metav1.AddToGroupVersion): a client encodes it with its own, "v1" for pods.
_OPTIONS: Final[dict[tuple[str, str], str]] = {
    (gv, "DeleteOptions"): "DeleteOptions"
    for gv in ("meta.k8s.io/v1", *(f"{g}/{v}" if g else v for g, v in group_versions()))
}

#: The (apiVersion, kind) pairs of objects :func:`decode` understands (it also decodes
#: :data:`_OPTIONS`).
KINDS: Final[frozenset[tuple[str, str]]] = frozenset(_TOP_LEVEL)

# Field tables: message -> {field number: (JSON name, type spec)}, fields in Go declaration
# order (which is the order encoding/json writes them in).
#
# Type spec: an optional shape prefix, a type, an optional "!".
#   prefix  ""  a value (non-pointer) field      "*"  a pointer
#           "[]" a repeated field (Go slice)     "{str}" a map<string, type> (Go map)
#   type    str, i32, i64, bool, bytes, or a message name (a table below, or one of the
#           hand-decoded Time, IntOrString, Quantity, FieldsV1)
#   "!"     the Go field has no ``omitempty`` (zero scalars are written, nil pointers,
#           slices and maps are ``null``). Value structs are always written, so they never
#           carry it.
# JSON name "" marks an embedded ``json:",inline"`` struct.
_MESSAGES: Final[dict[str, dict[int, tuple[str, str]]]] = {
    # k8s.io/api/core/v1/generated.proto
    "ConfigMap": {1: ("metadata", "ObjectMeta"), 4: ("immutable", "*bool"),
        2: ("data", "{str}str"), 3: ("binaryData", "{str}bytes")},
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec"),
        3: ("status", "NamespaceStatus")},
    "Secret": {1: ("metadata", "ObjectMeta"), 5: ("immutable", "*bool"), 2: ("data", "{str}bytes"),
        4: ("stringData", "{str}str"), 3: ("type", "str")},
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec"),
        3: ("status", "ServiceStatus")},
    "ServiceAccount": {1: ("metadata", "ObjectMeta"), 2: ("secrets", "[]ObjectReference"),
        3: ("imagePullSecrets", "[]LocalObjectReference"),
        4: ("automountServiceAccountToken", "*bool")},
    "AWSElasticBlockStoreVolumeSource": {1: ("volumeID", "str!"), 2: ("fsType", "str"),
        3: ("partition", "i32"), 4: ("readOnly", "bool")},
    "Affinity": {1: ("nodeAffinity", "*NodeAffinity"), 2: ("podAffinity", "*PodAffinity"),
        3: ("podAntiAffinity", "*PodAntiAffinity")},
    "AppArmorProfile": {1: ("type", "str!"), 2: ("localhostProfile", "*str")},
    "AzureDiskVolumeSource": {1: ("diskName", "str!"), 2: ("diskURI", "str!"),
        3: ("cachingMode", "*str"), 4: ("fsType", "*str"), 5: ("readOnly", "*bool"),
        6: ("kind", "*str")},
    "AzureFileVolumeSource": {1: ("secretName", "str!"), 2: ("shareName", "str!"),
        3: ("readOnly", "bool")},
    "CSIVolumeSource": {1: ("driver", "str!"), 2: ("readOnly", "*bool"), 3: ("fsType", "*str"),
        4: ("volumeAttributes", "{str}str"), 5: ("nodePublishSecretRef", "*LocalObjectReference")},
    "Capabilities": {1: ("add", "[]str"), 2: ("drop", "[]str")},
    "CephFSVolumeSource": {1: ("monitors", "[]str!"), 2: ("path", "str"), 3: ("user", "str"),
        4: ("secretFile", "str"), 5: ("secretRef", "*LocalObjectReference"),
        6: ("readOnly", "bool")},
    "CinderVolumeSource": {1: ("volumeID", "str!"), 2: ("fsType", "str"), 3: ("readOnly", "bool"),
        4: ("secretRef", "*LocalObjectReference")},
    "ClientIPConfig": {1: ("timeoutSeconds", "*i32")},
    "ClusterTrustBundleProjection": {1: ("name", "*str"), 2: ("signerName", "*str"),
        3: ("labelSelector", "*LabelSelector"), 5: ("optional", "*bool"), 4: ("path", "str!")},
    "ConfigMapEnvSource": {1: ("", "LocalObjectReference"), 2: ("optional", "*bool")},
    "ConfigMapKeySelector": {1: ("", "LocalObjectReference"), 2: ("key", "str!"),
        3: ("optional", "*bool")},
    "ConfigMapProjection": {1: ("", "LocalObjectReference"), 2: ("items", "[]KeyToPath"),
        4: ("optional", "*bool")},
    "ConfigMapVolumeSource": {1: ("", "LocalObjectReference"), 2: ("items", "[]KeyToPath"),
        3: ("defaultMode", "*i32"), 4: ("optional", "*bool")},
    "Container": {1: ("name", "str!"), 2: ("image", "str"), 3: ("command", "[]str"),
        4: ("args", "[]str"), 5: ("workingDir", "str"), 6: ("ports", "[]ContainerPort"),
        19: ("envFrom", "[]EnvFromSource"), 7: ("env", "[]EnvVar"),
        8: ("resources", "ResourceRequirements"), 23: ("resizePolicy", "[]ContainerResizePolicy"),
        24: ("restartPolicy", "*str"), 9: ("volumeMounts", "[]VolumeMount"),
        21: ("volumeDevices", "[]VolumeDevice"), 10: ("livenessProbe", "*Probe"),
        11: ("readinessProbe", "*Probe"), 22: ("startupProbe", "*Probe"),
        12: ("lifecycle", "*Lifecycle"), 13: ("terminationMessagePath", "str"),
        20: ("terminationMessagePolicy", "str"), 14: ("imagePullPolicy", "str"),
        15: ("securityContext", "*SecurityContext"), 16: ("stdin", "bool"),
        17: ("stdinOnce", "bool"), 18: ("tty", "bool")},
    "ContainerPort": {1: ("name", "str"), 2: ("hostPort", "i32"), 3: ("containerPort", "i32!"),
        4: ("protocol", "str"), 5: ("hostIP", "str")},
    "ContainerResizePolicy": {1: ("resourceName", "str!"), 2: ("restartPolicy", "str!")},
    "DownwardAPIProjection": {1: ("items", "[]DownwardAPIVolumeFile")},
    "DownwardAPIVolumeFile": {1: ("path", "str!"), 2: ("fieldRef", "*ObjectFieldSelector"),
        3: ("resourceFieldRef", "*ResourceFieldSelector"), 4: ("mode", "*i32")},
    "DownwardAPIVolumeSource": {1: ("items", "[]DownwardAPIVolumeFile"),
        2: ("defaultMode", "*i32")},
    "EmptyDirVolumeSource": {1: ("medium", "str"), 2: ("sizeLimit", "*Quantity")},
    "EnvFromSource": {1: ("prefix", "str"), 2: ("configMapRef", "*ConfigMapEnvSource"),
        3: ("secretRef", "*SecretEnvSource")},
    "EnvVar": {1: ("name", "str!"), 2: ("value", "str"), 3: ("valueFrom", "*EnvVarSource")},
    "EnvVarSource": {1: ("fieldRef", "*ObjectFieldSelector"),
        2: ("resourceFieldRef", "*ResourceFieldSelector"),
        3: ("configMapKeyRef", "*ConfigMapKeySelector"),
        4: ("secretKeyRef", "*SecretKeySelector")},
    "EphemeralContainer": {1: ("", "EphemeralContainerCommon"), 2: ("targetContainerName", "str")},
    "EphemeralContainerCommon": {1: ("name", "str!"), 2: ("image", "str"), 3: ("command", "[]str"),
        4: ("args", "[]str"), 5: ("workingDir", "str"), 6: ("ports", "[]ContainerPort"),
        19: ("envFrom", "[]EnvFromSource"), 7: ("env", "[]EnvVar"),
        8: ("resources", "ResourceRequirements"), 23: ("resizePolicy", "[]ContainerResizePolicy"),
        24: ("restartPolicy", "*str"), 9: ("volumeMounts", "[]VolumeMount"),
        21: ("volumeDevices", "[]VolumeDevice"), 10: ("livenessProbe", "*Probe"),
        11: ("readinessProbe", "*Probe"), 22: ("startupProbe", "*Probe"),
        12: ("lifecycle", "*Lifecycle"), 13: ("terminationMessagePath", "str"),
        20: ("terminationMessagePolicy", "str"), 14: ("imagePullPolicy", "str"),
        15: ("securityContext", "*SecurityContext"), 16: ("stdin", "bool"),
        17: ("stdinOnce", "bool"), 18: ("tty", "bool")},
    "EphemeralVolumeSource": {1: ("volumeClaimTemplate", "*PersistentVolumeClaimTemplate")},
    "ExecAction": {1: ("command", "[]str")},
    "FCVolumeSource": {1: ("targetWWNs", "[]str"), 2: ("lun", "*i32"), 3: ("fsType", "str"),
        4: ("readOnly", "bool"), 5: ("wwids", "[]str")},
    "FlexVolumeSource": {1: ("driver", "str!"), 2: ("fsType", "str"),
        3: ("secretRef", "*LocalObjectReference"), 4: ("readOnly", "bool"),
        5: ("options", "{str}str")},
    "FlockerVolumeSource": {1: ("datasetName", "str"), 2: ("datasetUUID", "str")},
    "GCEPersistentDiskVolumeSource": {1: ("pdName", "str!"), 2: ("fsType", "str"),
        3: ("partition", "i32"), 4: ("readOnly", "bool")},
    "GRPCAction": {1: ("port", "i32!"), 2: ("service", "*str!")},
    "GitRepoVolumeSource": {1: ("repository", "str!"), 2: ("revision", "str"),
        3: ("directory", "str")},
    "GlusterfsVolumeSource": {1: ("endpoints", "str!"), 2: ("path", "str!"),
        3: ("readOnly", "bool")},
    "HTTPGetAction": {1: ("path", "str"), 2: ("port", "IntOrString"), 3: ("host", "str"),
        4: ("scheme", "str"), 5: ("httpHeaders", "[]HTTPHeader")},
    "HTTPHeader": {1: ("name", "str!"), 2: ("value", "str!")},
    "HostAlias": {1: ("ip", "str!"), 2: ("hostnames", "[]str")},
    "HostPathVolumeSource": {1: ("path", "str!"), 2: ("type", "*str")},
    "ISCSIVolumeSource": {1: ("targetPortal", "str!"), 2: ("iqn", "str!"), 3: ("lun", "i32!"),
        4: ("iscsiInterface", "str"), 5: ("fsType", "str"), 6: ("readOnly", "bool"),
        7: ("portals", "[]str"), 8: ("chapAuthDiscovery", "bool"), 11: ("chapAuthSession", "bool"),
        10: ("secretRef", "*LocalObjectReference"), 12: ("initiatorName", "*str")},
    "ImageVolumeSource": {1: ("reference", "str"), 2: ("pullPolicy", "str")},
    "KeyToPath": {1: ("key", "str!"), 2: ("path", "str!"), 3: ("mode", "*i32")},
    "Lifecycle": {1: ("postStart", "*LifecycleHandler"), 2: ("preStop", "*LifecycleHandler")},
    "LifecycleHandler": {1: ("exec", "*ExecAction"), 2: ("httpGet", "*HTTPGetAction"),
        3: ("tcpSocket", "*TCPSocketAction"), 4: ("sleep", "*SleepAction")},
    "LoadBalancerIngress": {1: ("ip", "str"), 2: ("hostname", "str"), 3: ("ipMode", "*str"),
        4: ("ports", "[]PortStatus")},
    "LoadBalancerStatus": {1: ("ingress", "[]LoadBalancerIngress")},
    "LocalObjectReference": {1: ("name", "str")},
    "NFSVolumeSource": {1: ("server", "str!"), 2: ("path", "str!"), 3: ("readOnly", "bool")},
    "NamespaceCondition": {1: ("type", "str!"), 2: ("status", "str!"),
        4: ("lastTransitionTime", "Time"), 5: ("reason", "str"), 6: ("message", "str")},
    "NamespaceSpec": {1: ("finalizers", "[]str")},
    "NamespaceStatus": {1: ("phase", "str"), 2: ("conditions", "[]NamespaceCondition")},
    "NodeAffinity": {1: ("requiredDuringSchedulingIgnoredDuringExecution", "*NodeSelector"),
        2: ("preferredDuringSchedulingIgnoredDuringExecution", "[]PreferredSchedulingTerm")},
    "NodeSelector": {1: ("nodeSelectorTerms", "[]NodeSelectorTerm!")},
    "NodeSelectorRequirement": {1: ("key", "str!"), 2: ("operator", "str!"),
        3: ("values", "[]str")},
    "NodeSelectorTerm": {1: ("matchExpressions", "[]NodeSelectorRequirement"),
        2: ("matchFields", "[]NodeSelectorRequirement")},
    "ObjectFieldSelector": {1: ("apiVersion", "str"), 2: ("fieldPath", "str!")},
    "ObjectReference": {1: ("kind", "str"), 2: ("namespace", "str"), 3: ("name", "str"),
        4: ("uid", "str"), 5: ("apiVersion", "str"), 6: ("resourceVersion", "str"),
        7: ("fieldPath", "str")},
    "PersistentVolumeClaimSpec": {1: ("accessModes", "[]str"), 4: ("selector", "*LabelSelector"),
        2: ("resources", "VolumeResourceRequirements"), 3: ("volumeName", "str"),
        5: ("storageClassName", "*str"), 6: ("volumeMode", "*str"),
        7: ("dataSource", "*TypedLocalObjectReference"),
        8: ("dataSourceRef", "*TypedObjectReference"), 9: ("volumeAttributesClassName", "*str")},
    "PersistentVolumeClaimTemplate": {1: ("metadata", "ObjectMeta"),
        2: ("spec", "PersistentVolumeClaimSpec")},
    "PersistentVolumeClaimVolumeSource": {1: ("claimName", "str!"), 2: ("readOnly", "bool")},
    "PhotonPersistentDiskVolumeSource": {1: ("pdID", "str!"), 2: ("fsType", "str")},
    "PodAffinity": {1: ("requiredDuringSchedulingIgnoredDuringExecution", "[]PodAffinityTerm"),
        2: ("preferredDuringSchedulingIgnoredDuringExecution", "[]WeightedPodAffinityTerm")},
    "PodAffinityTerm": {1: ("labelSelector", "*LabelSelector"), 2: ("namespaces", "[]str"),
        3: ("topologyKey", "str!"), 4: ("namespaceSelector", "*LabelSelector"),
        5: ("matchLabelKeys", "[]str"), 6: ("mismatchLabelKeys", "[]str")},
    "PodAntiAffinity": {
        1: ("requiredDuringSchedulingIgnoredDuringExecution", "[]PodAffinityTerm"),
        2: ("preferredDuringSchedulingIgnoredDuringExecution", "[]WeightedPodAffinityTerm")},
    "PodDNSConfig": {1: ("nameservers", "[]str"), 2: ("searches", "[]str"),
        3: ("options", "[]PodDNSConfigOption")},
    "PodDNSConfigOption": {1: ("name", "str"), 2: ("value", "*str")},
    "PodOS": {1: ("name", "str!")},
    "PodReadinessGate": {1: ("conditionType", "str!")},
    "PodResourceClaim": {1: ("name", "str!"), 3: ("resourceClaimName", "*str"),
        4: ("resourceClaimTemplateName", "*str")},
    "PodSchedulingGate": {1: ("name", "str!")},
    "PodSecurityContext": {1: ("seLinuxOptions", "*SELinuxOptions"),
        8: ("windowsOptions", "*WindowsSecurityContextOptions"), 2: ("runAsUser", "*i64"),
        6: ("runAsGroup", "*i64"), 3: ("runAsNonRoot", "*bool"),
        4: ("supplementalGroups", "[]i64"), 12: ("supplementalGroupsPolicy", "*str"),
        5: ("fsGroup", "*i64"), 7: ("sysctls", "[]Sysctl"), 9: ("fsGroupChangePolicy", "*str"),
        10: ("seccompProfile", "*SeccompProfile"), 11: ("appArmorProfile", "*AppArmorProfile"),
        13: ("seLinuxChangePolicy", "*str")},
    "PodSpec": {1: ("volumes", "[]Volume"), 20: ("initContainers", "[]Container"),
        2: ("containers", "[]Container!"), 34: ("ephemeralContainers", "[]EphemeralContainer"),
        3: ("restartPolicy", "str"), 4: ("terminationGracePeriodSeconds", "*i64"),
        5: ("activeDeadlineSeconds", "*i64"), 6: ("dnsPolicy", "str"),
        7: ("nodeSelector", "{str}str"), 8: ("serviceAccountName", "str"),
        9: ("serviceAccount", "str"), 21: ("automountServiceAccountToken", "*bool"),
        10: ("nodeName", "str"), 11: ("hostNetwork", "bool"), 12: ("hostPID", "bool"),
        13: ("hostIPC", "bool"), 27: ("shareProcessNamespace", "*bool"),
        14: ("securityContext", "*PodSecurityContext"),
        15: ("imagePullSecrets", "[]LocalObjectReference"), 16: ("hostname", "str"),
        17: ("subdomain", "str"), 18: ("affinity", "*Affinity"), 19: ("schedulerName", "str"),
        22: ("tolerations", "[]Toleration"), 23: ("hostAliases", "[]HostAlias"),
        24: ("priorityClassName", "str"), 25: ("priority", "*i32"),
        26: ("dnsConfig", "*PodDNSConfig"), 28: ("readinessGates", "[]PodReadinessGate"),
        29: ("runtimeClassName", "*str"), 30: ("enableServiceLinks", "*bool"),
        31: ("preemptionPolicy", "*str"), 32: ("overhead", "{str}Quantity"),
        33: ("topologySpreadConstraints", "[]TopologySpreadConstraint"),
        35: ("setHostnameAsFQDN", "*bool"), 36: ("os", "*PodOS"), 37: ("hostUsers", "*bool"),
        38: ("schedulingGates", "[]PodSchedulingGate"),
        39: ("resourceClaims", "[]PodResourceClaim"), 40: ("resources", "*ResourceRequirements")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PortStatus": {1: ("port", "i32!"), 2: ("protocol", "str!"), 3: ("error", "*str")},
    "PortworxVolumeSource": {1: ("volumeID", "str!"), 2: ("fsType", "str"),
        3: ("readOnly", "bool")},
    "PreferredSchedulingTerm": {1: ("weight", "i32!"), 2: ("preference", "NodeSelectorTerm")},
    "Probe": {1: ("", "ProbeHandler"), 2: ("initialDelaySeconds", "i32"),
        3: ("timeoutSeconds", "i32"), 4: ("periodSeconds", "i32"), 5: ("successThreshold", "i32"),
        6: ("failureThreshold", "i32"), 7: ("terminationGracePeriodSeconds", "*i64")},
    "ProbeHandler": {1: ("exec", "*ExecAction"), 2: ("httpGet", "*HTTPGetAction"),
        3: ("tcpSocket", "*TCPSocketAction"), 4: ("grpc", "*GRPCAction")},
    "ProjectedVolumeSource": {1: ("sources", "[]VolumeProjection!"), 2: ("defaultMode", "*i32")},
    "QuobyteVolumeSource": {1: ("registry", "str!"), 2: ("volume", "str!"),
        3: ("readOnly", "bool"), 4: ("user", "str"), 5: ("group", "str"), 6: ("tenant", "str")},
    "RBDVolumeSource": {1: ("monitors", "[]str!"), 2: ("image", "str!"), 3: ("fsType", "str"),
        4: ("pool", "str"), 5: ("user", "str"), 6: ("keyring", "str"),
        7: ("secretRef", "*LocalObjectReference"), 8: ("readOnly", "bool")},
    "ResourceClaim": {1: ("name", "str!"), 2: ("request", "str")},
    "ResourceFieldSelector": {1: ("containerName", "str"), 2: ("resource", "str!"),
        3: ("divisor", "Quantity")},
    "ResourceRequirements": {1: ("limits", "{str}Quantity"), 2: ("requests", "{str}Quantity"),
        3: ("claims", "[]ResourceClaim")},
    "SELinuxOptions": {1: ("user", "str"), 2: ("role", "str"), 3: ("type", "str"),
        4: ("level", "str")},
    "ScaleIOVolumeSource": {1: ("gateway", "str!"), 2: ("system", "str!"),
        3: ("secretRef", "*LocalObjectReference!"), 4: ("sslEnabled", "bool"),
        5: ("protectionDomain", "str"), 6: ("storagePool", "str"), 7: ("storageMode", "str"),
        8: ("volumeName", "str"), 9: ("fsType", "str"), 10: ("readOnly", "bool")},
    "SeccompProfile": {1: ("type", "str!"), 2: ("localhostProfile", "*str")},
    "SecretEnvSource": {1: ("", "LocalObjectReference"), 2: ("optional", "*bool")},
    "SecretKeySelector": {1: ("", "LocalObjectReference"), 2: ("key", "str!"),
        3: ("optional", "*bool")},
    "SecretProjection": {1: ("", "LocalObjectReference"), 2: ("items", "[]KeyToPath"),
        4: ("optional", "*bool")},
    "SecretVolumeSource": {1: ("secretName", "str"), 2: ("items", "[]KeyToPath"),
        3: ("defaultMode", "*i32"), 4: ("optional", "*bool")},
    "SecurityContext": {1: ("capabilities", "*Capabilities"), 2: ("privileged", "*bool"),
        3: ("seLinuxOptions", "*SELinuxOptions"),
        10: ("windowsOptions", "*WindowsSecurityContextOptions"), 4: ("runAsUser", "*i64"),
        8: ("runAsGroup", "*i64"), 5: ("runAsNonRoot", "*bool"),
        6: ("readOnlyRootFilesystem", "*bool"), 7: ("allowPrivilegeEscalation", "*bool"),
        9: ("procMount", "*str"), 11: ("seccompProfile", "*SeccompProfile"),
        12: ("appArmorProfile", "*AppArmorProfile")},
    "ServiceAccountTokenProjection": {1: ("audience", "str"), 2: ("expirationSeconds", "*i64"),
        3: ("path", "str!")},
    "ServicePort": {1: ("name", "str"), 2: ("protocol", "str"), 6: ("appProtocol", "*str"),
        3: ("port", "i32!"), 4: ("targetPort", "IntOrString"), 5: ("nodePort", "i32")},
    "ServiceSpec": {1: ("ports", "[]ServicePort"), 2: ("selector", "{str}str"),
        3: ("clusterIP", "str"), 18: ("clusterIPs", "[]str"), 4: ("type", "str"),
        5: ("externalIPs", "[]str"), 7: ("sessionAffinity", "str"), 8: ("loadBalancerIP", "str"),
        9: ("loadBalancerSourceRanges", "[]str"), 10: ("externalName", "str"),
        11: ("externalTrafficPolicy", "str"), 12: ("healthCheckNodePort", "i32"),
        13: ("publishNotReadyAddresses", "bool"),
        14: ("sessionAffinityConfig", "*SessionAffinityConfig"), 19: ("ipFamilies", "[]str"),
        17: ("ipFamilyPolicy", "*str"), 20: ("allocateLoadBalancerNodePorts", "*bool"),
        21: ("loadBalancerClass", "*str"), 22: ("internalTrafficPolicy", "*str"),
        23: ("trafficDistribution", "*str")},
    "ServiceStatus": {1: ("loadBalancer", "LoadBalancerStatus"), 2: ("conditions", "[]Condition")},
    "SessionAffinityConfig": {1: ("clientIP", "*ClientIPConfig")},
    "SleepAction": {1: ("seconds", "i64!")},
    "StorageOSVolumeSource": {1: ("volumeName", "str"), 2: ("volumeNamespace", "str"),
        3: ("fsType", "str"), 4: ("readOnly", "bool"), 5: ("secretRef", "*LocalObjectReference")},
    "Sysctl": {1: ("name", "str!"), 2: ("value", "str!")},
    "TCPSocketAction": {1: ("port", "IntOrString"), 2: ("host", "str")},
    "Toleration": {1: ("key", "str"), 2: ("operator", "str"), 3: ("value", "str"),
        4: ("effect", "str"), 5: ("tolerationSeconds", "*i64")},
    "TopologySpreadConstraint": {1: ("maxSkew", "i32!"), 2: ("topologyKey", "str!"),
        3: ("whenUnsatisfiable", "str!"), 4: ("labelSelector", "*LabelSelector"),
        5: ("minDomains", "*i32"), 6: ("nodeAffinityPolicy", "*str"),
        7: ("nodeTaintsPolicy", "*str"), 8: ("matchLabelKeys", "[]str")},
    "TypedLocalObjectReference": {1: ("apiGroup", "*str!"), 2: ("kind", "str!"),
        3: ("name", "str!")},
    "TypedObjectReference": {1: ("apiGroup", "*str!"), 2: ("kind", "str!"), 3: ("name", "str!"),
        4: ("namespace", "*str")},
    "Volume": {1: ("name", "str!"), 2: ("", "VolumeSource")},
    "VolumeDevice": {1: ("name", "str!"), 2: ("devicePath", "str!")},
    "VolumeMount": {1: ("name", "str!"), 2: ("readOnly", "bool"), 7: ("recursiveReadOnly", "*str"),
        3: ("mountPath", "str!"), 4: ("subPath", "str"), 5: ("mountPropagation", "*str"),
        6: ("subPathExpr", "str")},
    "VolumeProjection": {1: ("secret", "*SecretProjection"),
        2: ("downwardAPI", "*DownwardAPIProjection"), 3: ("configMap", "*ConfigMapProjection"),
        4: ("serviceAccountToken", "*ServiceAccountTokenProjection"),
        5: ("clusterTrustBundle", "*ClusterTrustBundleProjection")},
    "VolumeResourceRequirements": {1: ("limits", "{str}Quantity"),
        2: ("requests", "{str}Quantity")},
    "VolumeSource": {1: ("hostPath", "*HostPathVolumeSource"),
        2: ("emptyDir", "*EmptyDirVolumeSource"),
        3: ("gcePersistentDisk", "*GCEPersistentDiskVolumeSource"),
        4: ("awsElasticBlockStore", "*AWSElasticBlockStoreVolumeSource"),
        5: ("gitRepo", "*GitRepoVolumeSource"), 6: ("secret", "*SecretVolumeSource"),
        7: ("nfs", "*NFSVolumeSource"), 8: ("iscsi", "*ISCSIVolumeSource"),
        9: ("glusterfs", "*GlusterfsVolumeSource"),
        10: ("persistentVolumeClaim", "*PersistentVolumeClaimVolumeSource"),
        11: ("rbd", "*RBDVolumeSource"), 12: ("flexVolume", "*FlexVolumeSource"),
        13: ("cinder", "*CinderVolumeSource"), 14: ("cephfs", "*CephFSVolumeSource"),
        15: ("flocker", "*FlockerVolumeSource"), 16: ("downwardAPI", "*DownwardAPIVolumeSource"),
        17: ("fc", "*FCVolumeSource"), 18: ("azureFile", "*AzureFileVolumeSource"),
        19: ("configMap", "*ConfigMapVolumeSource"),
        20: ("vsphereVolume", "*VsphereVirtualDiskVolumeSource"),
        21: ("quobyte", "*QuobyteVolumeSource"), 22: ("azureDisk", "*AzureDiskVolumeSource"),
        23: ("photonPersistentDisk", "*PhotonPersistentDiskVolumeSource"),
        26: ("projected", "*ProjectedVolumeSource"),
        24: ("portworxVolume", "*PortworxVolumeSource"), 25: ("scaleIO", "*ScaleIOVolumeSource"),
        27: ("storageos", "*StorageOSVolumeSource"), 28: ("csi", "*CSIVolumeSource"),
        29: ("ephemeral", "*EphemeralVolumeSource"), 30: ("image", "*ImageVolumeSource")},
    "VsphereVirtualDiskVolumeSource": {1: ("volumePath", "str!"), 2: ("fsType", "str"),
        3: ("storagePolicyName", "str"), 4: ("storagePolicyID", "str")},
    "WeightedPodAffinityTerm": {1: ("weight", "i32!"), 2: ("podAffinityTerm", "PodAffinityTerm")},
    "WindowsSecurityContextOptions": {1: ("gmsaCredentialSpecName", "*str"),
        2: ("gmsaCredentialSpec", "*str"), 3: ("runAsUserName", "*str"),
        4: ("hostProcess", "*bool")},
    # k8s.io/api/apps/v1/generated.proto
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec"),
        3: ("status", "DeploymentStatus")},
    "DeploymentCondition": {1: ("type", "str!"), 2: ("status", "str!"),
        6: ("lastUpdateTime", "Time"), 7: ("lastTransitionTime", "Time"), 4: ("reason", "str"),
        5: ("message", "str")},
    "DeploymentSpec": {1: ("replicas", "*i32"), 2: ("selector", "*LabelSelector!"),
        3: ("template", "PodTemplateSpec"), 4: ("strategy", "DeploymentStrategy"),
        5: ("minReadySeconds", "i32"), 6: ("revisionHistoryLimit", "*i32"), 7: ("paused", "bool"),
        9: ("progressDeadlineSeconds", "*i32")},
    "DeploymentStatus": {1: ("observedGeneration", "i64"), 2: ("replicas", "i32"),
        3: ("updatedReplicas", "i32"), 7: ("readyReplicas", "i32"),
        4: ("availableReplicas", "i32"), 5: ("unavailableReplicas", "i32"),
        6: ("conditions", "[]DeploymentCondition"), 8: ("collisionCount", "*i32")},
    "DeploymentStrategy": {1: ("type", "str"), 2: ("rollingUpdate", "*RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "*IntOrString"),
        2: ("maxSurge", "*IntOrString")},
    # k8s.io/api/batch/v1/generated.proto
    "Job": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec"), 3: ("status", "JobStatus")},
    "JobCondition": {1: ("type", "str!"), 2: ("status", "str!"), 3: ("lastProbeTime", "Time"),
        4: ("lastTransitionTime", "Time"), 5: ("reason", "str"), 6: ("message", "str")},
    "JobSpec": {1: ("parallelism", "*i32"), 2: ("completions", "*i32"),
        3: ("activeDeadlineSeconds", "*i64"), 11: ("podFailurePolicy", "*PodFailurePolicy"),
        16: ("successPolicy", "*SuccessPolicy"), 7: ("backoffLimit", "*i32"),
        12: ("backoffLimitPerIndex", "*i32"), 13: ("maxFailedIndexes", "*i32"),
        4: ("selector", "*LabelSelector"), 5: ("manualSelector", "*bool"),
        6: ("template", "PodTemplateSpec"), 8: ("ttlSecondsAfterFinished", "*i32"),
        9: ("completionMode", "*str"), 10: ("suspend", "*bool"),
        14: ("podReplacementPolicy", "*str"), 15: ("managedBy", "*str")},
    "JobStatus": {1: ("conditions", "[]JobCondition"), 2: ("startTime", "*Time"),
        3: ("completionTime", "*Time"), 4: ("active", "i32"), 5: ("succeeded", "i32"),
        6: ("failed", "i32"), 11: ("terminating", "*i32"), 7: ("completedIndexes", "str"),
        10: ("failedIndexes", "*str"), 8: ("uncountedTerminatedPods", "*UncountedTerminatedPods"),
        9: ("ready", "*i32")},
    "PodFailurePolicy": {1: ("rules", "[]PodFailurePolicyRule!")},
    "PodFailurePolicyOnExitCodesRequirement": {1: ("containerName", "*str"),
        2: ("operator", "str!"), 3: ("values", "[]i32!")},
    "PodFailurePolicyOnPodConditionsPattern": {1: ("type", "str!"), 2: ("status", "str!")},
    "PodFailurePolicyRule": {1: ("action", "str!"),
        2: ("onExitCodes", "*PodFailurePolicyOnExitCodesRequirement"),
        3: ("onPodConditions", "[]PodFailurePolicyOnPodConditionsPattern")},
    "SuccessPolicy": {1: ("rules", "[]SuccessPolicyRule!")},
    "SuccessPolicyRule": {1: ("succeededIndexes", "*str"), 2: ("succeededCount", "*i32")},
    "UncountedTerminatedPods": {1: ("succeeded", "[]str"), 2: ("failed", "[]str")},
    # k8s.io/api/rbac/v1/generated.proto
    "ClusterRole": {1: ("metadata", "ObjectMeta"), 2: ("rules", "[]PolicyRule!"),
        3: ("aggregationRule", "*AggregationRule")},
    "ClusterRoleBinding": {1: ("metadata", "ObjectMeta"), 2: ("subjects", "[]Subject"),
        3: ("roleRef", "RoleRef")},
    "Role": {1: ("metadata", "ObjectMeta"), 2: ("rules", "[]PolicyRule!")},
    "RoleBinding": {1: ("metadata", "ObjectMeta"), 2: ("subjects", "[]Subject"),
        3: ("roleRef", "RoleRef")},
    "AggregationRule": {1: ("clusterRoleSelectors", "[]LabelSelector")},
    "PolicyRule": {1: ("verbs", "[]str!"), 2: ("apiGroups", "[]str"), 3: ("resources", "[]str"),
        4: ("resourceNames", "[]str"), 5: ("nonResourceURLs", "[]str")},
    "RoleRef": {1: ("apiGroup", "str!"), 2: ("kind", "str!"), 3: ("name", "str!")},
    "Subject": {1: ("kind", "str!"), 2: ("apiGroup", "str"), 3: ("name", "str!"),
        4: ("namespace", "str")},
    # k8s.io/api/policy/v1/generated.proto
    "PodDisruptionBudget": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodDisruptionBudgetSpec"),
        3: ("status", "PodDisruptionBudgetStatus")},
    "PodDisruptionBudgetSpec": {1: ("minAvailable", "*IntOrString"),
        2: ("selector", "*LabelSelector"), 3: ("maxUnavailable", "*IntOrString"),
        4: ("unhealthyPodEvictionPolicy", "*str")},
    "PodDisruptionBudgetStatus": {1: ("observedGeneration", "i64"),
        2: ("disruptedPods", "{str}Time"), 3: ("disruptionsAllowed", "i32!"),
        4: ("currentHealthy", "i32!"), 5: ("desiredHealthy", "i32!"), 6: ("expectedPods", "i32!"),
        7: ("conditions", "[]Condition")},
    # k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto
    "Condition": {1: ("type", "str!"), 2: ("status", "str!"), 3: ("observedGeneration", "i64"),
        4: ("lastTransitionTime", "Time"), 5: ("reason", "str!"), 6: ("message", "str!")},
    "LabelSelector": {1: ("matchLabels", "{str}str"),
        2: ("matchExpressions", "[]LabelSelectorRequirement")},
    "LabelSelectorRequirement": {1: ("key", "str!"), 2: ("operator", "str!"),
        3: ("values", "[]str")},
    "ManagedFieldsEntry": {1: ("manager", "str"), 2: ("operation", "str"),
        3: ("apiVersion", "str"), 4: ("time", "*Time"), 6: ("fieldsType", "str"),
        7: ("fieldsV1", "*FieldsV1"), 8: ("subresource", "str")},
    "ObjectMeta": {1: ("name", "str"), 2: ("generateName", "str"), 3: ("namespace", "str"),
        4: ("selfLink", "str"), 5: ("uid", "str"), 6: ("resourceVersion", "str"),
        7: ("generation", "i64"), 8: ("creationTimestamp", "Time"),
        9: ("deletionTimestamp", "*Time"), 10: ("deletionGracePeriodSeconds", "*i64"),
        11: ("labels", "{str}str"), 12: ("annotations", "{str}str"),
        13: ("ownerReferences", "[]OwnerReference"), 14: ("finalizers", "[]str"),
        17: ("managedFields", "[]ManagedFieldsEntry")},
    "OwnerReference": {5: ("apiVersion", "str!"), 1: ("kind", "str!"), 3: ("name", "str!"),
        4: ("uid", "str!"), 6: ("controller", "*bool"), 7: ("blockOwnerDeletion", "*bool")},
    # the body of a typed client's DELETE (kubectl drain --disable-eviction)
    "DeleteOptions": {1: ("gracePeriodSeconds", "*i64"), 2: ("preconditions", "*Preconditions"),
        3: ("orphanDependents", "*bool"), 4: ("propagationPolicy", "*str"),
        5: ("dryRun", "[]str"), 6: ("ignoreStoreReadErrorWithClusterBreakingPotential", "*bool")},
    "Preconditions": {1: ("uid", "*str"), 2: ("resourceVersion", "*str")},
}

# Messages with hand-written decoders (custom Go (un)marshalers or JSON forms).
_CUSTOM: Final = frozenset({"Time", "IntOrString", "Quantity", "FieldsV1"})
_SCALARS: Final = frozenset({"str", "i32", "i64", "bool", "bytes"})

# Wire types.
_VARINT: Final = 0
_FIXED64: Final = 1
_LEN: Final = 2
_START_GROUP: Final = 3
_END_GROUP: Final = 4
_FIXED32: Final = 5

_U64: Final = (1 << 64) - 1
_ZERO_TIME_UNIX: Final = -62135596800  # time.Time{} (0001-01-01T00:00:00Z) as Unix seconds

# ParseQuantity's grammar (k8s.io/apimachinery/pkg/api/resource/quantity.go).
_QUANTITY: Final = re.compile(r"[+-]?[0-9]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?")

_SPEC: Final = re.compile(r"(\*|\[\]|\{str\})?(\w+)(!?)")


@dataclass(frozen=True, slots=True)
class _Field:
    number: int
    name: str  # JSON name; "" for an inline struct
    shape: str  # "", "*", "[]" or "{str}"
    type: str
    omitempty: bool

    @property
    def is_message(self) -> bool:
        return self.type not in _SCALARS


def _compile(table: dict[str, dict[int, tuple[str, str]]]) -> dict[str, tuple[_Field, ...]]:
    out: dict[str, tuple[_Field, ...]] = {}
    for message, fields in table.items():
        compiled = []
        for number, (name, spec) in fields.items():
            m = _SPEC.fullmatch(spec)
            if m is None:
                raise AssertionError(f"bad type spec {spec!r} in {message}.{name}")
            shape, type_, bang = m.group(1) or "", m.group(2), m.group(3)
            if type_ not in _SCALARS and type_ not in table and type_ not in _CUSTOM:
                raise AssertionError(f"{message}.{name} refers to unknown message {type_}")
            compiled.append(_Field(number, name, shape, type_, omitempty=not bang))
        out[message] = tuple(compiled)
    return out


_SCHEMA: Final = _compile(_MESSAGES)

_Occurrence = tuple[int, int | bytes]  # (wire type, varint / fixed value or bytes)


def _bad(detail: str) -> ApiError:
    return BadRequest(f"unable to decode the protobuf request body: {detail}")


# --- wire format -------------------------------------------------------------------------


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """A varint at ``pos`` as gogo reads it: at most 10 bytes, truncated to 64 bits."""
    result = 0
    shift = 0
    end = len(data)
    while True:
        if shift >= 64:
            raise _bad("proto: integer overflow")
        if pos >= end:
            raise _bad("unexpected EOF")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & _U64, pos
        shift += 7


def _length(data: bytes, pos: int) -> tuple[int, int]:
    """A length prefix; returns (end of the payload, start of the payload)."""
    n, pos = _varint(data, pos)
    if n >= 1 << 63:
        raise _bad("proto: negative length found during unmarshaling")
    if pos + n > len(data):
        raise _bad("unexpected EOF")
    return pos + n, pos


def _skip_group(data: bytes, pos: int) -> int:
    """Skip to just past the end-group tag closing a group (gogo ``skipGenerated``)."""
    depth = 1
    while True:
        key, pos = _varint(data, pos)
        wire = key & 7
        if wire == _VARINT:
            _, pos = _varint(data, pos)
        elif wire == _FIXED64:
            pos += 8
        elif wire == _LEN:
            pos, _ = _length(data, pos)
        elif wire == _START_GROUP:
            depth += 1
        elif wire == _END_GROUP:
            depth -= 1
            if depth == 0:
                return pos
        elif wire == _FIXED32:
            pos += 4
        else:
            raise _bad(f"proto: illegal wireType {wire}")
        if pos > len(data):
            raise _bad("unexpected EOF")


def _fields(data: bytes, message: str) -> list[tuple[int, int, int | bytes]]:
    """Every field of one message as (number, wire type, value), in wire order."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        wire = key & 7
        number = (key >> 3) & 0xFFFFFFFF  # gogo: fieldNum := int32(wire >> 3)
        if number >= 1 << 31:
            number -= 1 << 32
        if wire == _END_GROUP:
            raise _bad(f"proto: {message}: wiretype end group for non-group")
        if number <= 0:
            raise _bad(f"proto: {message}: illegal tag {number} (wire type {wire})")
        value: int | bytes
        if wire == _VARINT:
            value, pos = _varint(data, pos)
        elif wire == _FIXED64:
            if pos + 8 > end:
                raise _bad("unexpected EOF")
            value, pos = int.from_bytes(data[pos : pos + 8], "little"), pos + 8
        elif wire == _FIXED32:
            if pos + 4 > end:
                raise _bad("unexpected EOF")
            value, pos = int.from_bytes(data[pos : pos + 4], "little"), pos + 4
        elif wire == _LEN:
            stop, start = _length(data, pos)
            value, pos = data[start:stop], stop
        elif wire == _START_GROUP:
            value, pos = b"", _skip_group(data, pos)
        else:
            raise _bad(f"proto: illegal wireType {wire}")
        out.append((number, wire, value))
    return out


def _by_number(data: bytes, message: str, known: set[int]) -> dict[int, list[_Occurrence]]:
    grouped: dict[int, list[_Occurrence]] = {}
    for number, wire, value in _fields(data, message):
        if number in known:
            grouped.setdefault(number, []).append((wire, value))
    return grouped


def _wrong_wire(wire: int, where: str) -> ApiError:
    return _bad(f"proto: wrong wireType = {wire} for field {where}")


def _as_bytes(occ: _Occurrence, where: str) -> bytes:
    wire, value = occ
    if wire != _LEN or not isinstance(value, bytes):
        raise _wrong_wire(wire, where)
    return value


def _as_int(occ: _Occurrence, where: str) -> int:
    wire, value = occ
    if wire != _VARINT or not isinstance(value, int):
        raise _wrong_wire(wire, where)
    return value


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _scalar(type_: str, occ: _Occurrence, where: str) -> Any:
    if type_ == "str":
        return _as_bytes(occ, where).decode("utf-8", "replace")
    if type_ == "bytes":
        return base64.b64encode(_as_bytes(occ, where)).decode("ascii")
    raw = _as_int(occ, where)
    if type_ == "bool":
        return raw != 0
    return _signed(raw, 32 if type_ == "i32" else 64)


def _repeated_scalars(type_: str, occ: _Occurrence, where: str) -> list[Any]:
    """One wire occurrence of a repeated scalar: a single value, or a packed run."""
    wire, value = occ
    if type_ in ("str", "bytes") or wire != _LEN or not isinstance(value, bytes):
        return [_scalar(type_, occ, where)]
    items = []
    pos = 0
    while pos < len(value):
        raw, pos = _varint(value, pos)
        items.append(_scalar(type_, (_VARINT, raw), where))
    return items


# --- messages ----------------------------------------------------------------------------


def _rfc3339(seconds: int) -> str:
    """``time.Unix(seconds, 0).UTC().Format(time.RFC3339)`` for any year (proleptic
    Gregorian, days-from-civil inverse after H. Hinnant)."""
    days, secs = divmod(seconds, 86400)
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    hour, rest = divmod(secs, 3600)
    minute, second = divmod(rest, 60)
    y = f"-{-year:04d}" if year < 0 else f"{year:04d}"
    return f"{y}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"


def _time(data: bytes) -> str | None:
    if not data:
        return None
    fields = _by_number(data, "Timestamp", {1, 2})
    seconds = 0
    for occ in fields.get(1, []):
        seconds = _signed(_as_int(occ, "Timestamp.seconds"), 64)
    for occ in fields.get(2, []):
        _as_int(occ, "Timestamp.nanos")  # checked, then dropped as upstream does
    return None if seconds == _ZERO_TIME_UNIX else _rfc3339(seconds)


def _int_or_string(data: bytes) -> int | str:
    fields = _by_number(data, "IntOrString", {1, 2, 3})
    kind = int_val = 0
    str_val = ""
    for occ in fields.get(1, []):
        kind = _signed(_as_int(occ, "IntOrString.type"), 64)
    for occ in fields.get(2, []):
        int_val = _signed(_as_int(occ, "IntOrString.intVal"), 32)
    for occ in fields.get(3, []):
        str_val = _as_bytes(occ, "IntOrString.strVal").decode("utf-8", "replace")
    if kind == 0:
        return int_val
    if kind == 1:
        return str_val
    raise _bad(f"impossible IntOrString.Type {kind}")


def _quantity(data: bytes) -> str:
    fields = _by_number(data, "Quantity", {1})
    text = "0"
    for occ in fields.get(1, []):
        text = _as_bytes(occ, "Quantity.String_").decode("utf-8", "replace")
        if not text or _QUANTITY.fullmatch(text) is None:
            raise _bad(f"quantities must match the regular expression "
                       f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (got {text!r})")
    return text


def _fields_v1(data: bytes) -> Any:
    fields = _by_number(data, "FieldsV1", {1})
    raw: bytes | None = None
    for occ in fields.get(1, []):
        raw = _as_bytes(occ, "FieldsV1.Raw")
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise _bad("metadata.managedFields[].fieldsV1 is not valid JSON") from None


def _message(name: str, chunks: list[bytes]) -> Any:
    """The JSON form of message ``name`` decoded from its occurrences.

    Several occurrences of one non-repeated message field merge (gogo's generated
    ``Unmarshal`` does not reset), which is the same as decoding them concatenated; the
    custom ``Unmarshal`` methods of Time, Quantity and FieldsV1 replace instead.
    """
    if name in _CUSTOM:
        last = chunks[-1] if chunks else b""
        if name == "Time":
            return _time(last)
        if name == "Quantity":
            return _quantity(last)
        if name == "FieldsV1":
            return _fields_v1(last)
        return _int_or_string(b"".join(chunks))
    schema = _SCHEMA[name]
    data = b"".join(chunks)
    found = _by_number(data, name, {f.number for f in schema})
    out: dict[str, Any] = {}
    for field in schema:
        occs = found.get(field.number, [])
        where = f"{name}.{field.name or field.type}"
        if field.shape == "[]":
            items: list[Any] = []
            for occ in occs:
                if field.is_message:
                    items.append(_message(field.type, [_as_bytes(occ, where)]))
                else:
                    items.extend(_repeated_scalars(field.type, occ, where))
            _put(out, field, items if items else None)
        elif field.shape == "{str}":
            _put(out, field, _map(field, occs, where) or None)
        elif field.is_message:
            present = [_as_bytes(occ, where) for occ in occs]
            if field.shape == "*" and not present:
                _put(out, field, None)
                continue
            value = _message(field.type, present)
            if field.name:
                out[field.name] = value
            else:
                out.update(value)  # json:",inline"
        elif occs:
            _put(out, field, _scalar(field.type, occs[-1], where))
        elif field.shape == "*":
            _put(out, field, None)
        elif field.omitempty:
            continue
        else:
            out[field.name] = _ZERO[field.type]
    return out


_ZERO: Final[dict[str, Any]] = {"str": "", "i32": 0, "i64": 0, "bool": False, "bytes": None}


def _put(out: dict[str, Any], field: _Field, value: Any) -> None:
    """Write a decoded value, or leave it out the way ``omitempty`` would."""
    if value is None:
        if not field.omitempty:
            out[field.name] = None
        return
    if field.shape == "" and field.omitempty and not field.is_message and value in ("", 0, False):
        return
    out[field.name] = value


def _map(field: _Field, occs: list[_Occurrence], where: str) -> dict[str, Any]:
    """A ``map<string, T>`` field: one entry message per occurrence, last key wins."""
    entries: dict[str, Any] = {}
    for occ in occs:
        entry = _by_number(_as_bytes(occ, where), where, {1, 2})
        key = ""
        for k in entry.get(1, []):
            key = _as_bytes(k, where + ".key").decode("utf-8", "replace")
        values = entry.get(2, [])
        if field.is_message:
            value = _message(field.type, [_as_bytes(v, where + ".value") for v in values])
        elif values:
            value = _scalar(field.type, values[-1], where + ".value")
        else:
            value = "" if field.type == "bytes" else _ZERO[field.type]
        entries[key] = value
    return dict(sorted(entries.items()))


# --- the envelope ------------------------------------------------------------------------


def decode(body: bytes) -> dict[str, Any]:
    """The JSON object a ``application/vnd.kubernetes.protobuf`` request body stands for.

    Raises :class:`~chaoszone.sim.errors.ApiError` only: 400 for a body that is not a
    well-formed ``k8s\\x00`` + ``runtime.Unknown`` message, 415 for a kind not decoded here.
    """
    data = bytes(body)
    if not data:
        raise _bad("empty data")
    if not data.startswith(_MAGIC):
        raise _bad("provided data does not appear to be a protobuf message, "
                   "expected prefix [107 56 115 0]")
    if len(data) == len(_MAGIC):
        raise _bad("empty body")
    envelope = _by_number(data[len(_MAGIC) :], "Unknown", {1, 2, 3, 4})
    api_version = kind = ""
    type_meta = b"".join(_as_bytes(o, "Unknown.typeMeta") for o in envelope.get(1, []))
    meta = _by_number(type_meta, "TypeMeta", {1, 2})
    for occ in meta.get(1, []):
        api_version = _as_bytes(occ, "TypeMeta.apiVersion").decode("utf-8", "replace")
    for occ in meta.get(2, []):
        kind = _as_bytes(occ, "TypeMeta.kind").decode("utf-8", "replace")
    raw = b""
    for occ in envelope.get(2, []):
        raw = _as_bytes(occ, "Unknown.raw")
    for number, what in ((3, "contentEncoding"), (4, "contentType")):
        for occ in envelope.get(number, []):
            _as_bytes(occ, f"Unknown.{what}")  # checked; upstream ignores both
    if not kind:
        raise _bad(f"Object 'Kind' is missing in apiVersion {api_version!r}")
    if not api_version:
        raise _bad(f"Object 'apiVersion' is missing in kind {kind!r}")
    message = _TOP_LEVEL.get((api_version, kind)) or _OPTIONS.get((api_version, kind))
    if message is None:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f'the simulator does not decode protobuf bodies of kind "{kind}" in '
            f'"{api_version}": send it as JSON instead, for example by writing the object '
            f'to a manifest and running "kubectl create -f <file>" '
            f"(kubectl's typed create commands always send protobuf)",
        )
    obj: dict[str, Any] = {"kind": kind, "apiVersion": api_version}
    obj.update(_message(message, [raw]))
    return obj
