"""Read and validate kind cluster configs (``kind.x-k8s.io/v1alpha4``), and the failure
timers their ``kubeadmConfigPatches`` set.

kind decodes its config strictly (yaml.v3 with ``KnownFields(true)``, kind
``pkg/internal/apis/config/encoding/load.go``) and then validates it
(``pkg/internal/apis/config/validate.go``). :func:`load` does the same, so a file that
passes here is one kind v0.31 accepts, and every error names the file, the field path and
the fix. It is stricter than kind in the places where kind (or kubeadm, or the kubelet)
would silently ignore what the file says, or fail minutes later while joining nodes:

* a patch without ``kind``, of an unknown kind, or with an ``apiVersion`` that the kubeadm
  1.32 documents do not have (kind then applies it to nothing, pitfall P5);
* a node-level ``KubeletConfiguration`` or ``ClusterConfiguration`` patch on any node but
  the first control plane (kubeadm ignores it, pitfall P4);
* node labels the kubelet refuses (``node-role.kubernetes.io/*``; kind hangs in "Joining
  worker nodes", pitfall P2), malformed timer values, ``--pod-eviction-timeout`` (not a
  kube-controller-manager flag any more: the component would not start).

Then the kubeadm documents kind renders for every node (``ClusterConfiguration``,
``InitConfiguration``, ``JoinConfiguration``, ``KubeletConfiguration``,
``KubeProxyConfiguration``, kind ``pkg/cluster/internal/kubeadm/config.go``) are built,
the cluster-level merge and JSON 6902 patches applied, then the node's own
(``pkg/cluster/internal/create/actions/config/config.go``), and the result read: the
:class:`Timers` from the first control plane's documents (the only ones kubeadm uses),
and each node's labels and taints from its Init/JoinConfiguration.

Timer defaults are Kubernetes 1.32's (``docs/topologies.md`` has the table and sources);
for a 1.30/1.31 node image the node-monitor grace period defaults to 40s instead of 50s.
"""

from __future__ import annotations

import copy
import difflib
import ipaddress
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from chaoszone.errors import InvalidExperiment

__all__ = [
    "API_VERSION",
    "CONTROL_PLANE",
    "DEFAULT_CLUSTER_NAME",
    "KIND_DEFAULT_IMAGE",
    "NODE_IMAGE_1_32",
    "WORKER",
    "KindConfig",
    "KindNode",
    "Networking",
    "Taint",
    "Timers",
    "default_timers",
    "image_version",
    "load",
    "node_names",
    "parse",
    "parse_duration",
    "validate_cluster_name",
]

API_VERSION = "kind.x-k8s.io/v1alpha4"
CONTROL_PLANE = "control-plane"
WORKER = "worker"
#: kind's default when neither --name, KIND_CLUSTER_NAME nor the file names the cluster
DEFAULT_CLUSTER_NAME = "kind"
#: kind v0.31.0's default node image (``pkg/apis/config/defaults/image.go``): 1.35, not 1.32
KIND_DEFAULT_IMAGE = ("kindest/node:v1.35.0@sha256:"
                      "452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f")
#: the 1.32 image from the kind v0.31.0 release notes; every file in kind-configs/ pins it
NODE_IMAGE_1_32 = ("kindest/node:v1.32.11@sha256:"
                   "5fc52d52a7b9574015299724bd68f183702956aa4a2116ae75a63cb574b35af8")

KUBEADM_API_VERSION = "kubeadm.k8s.io/v1beta3"  # kind uses v1beta3 for 1.23 to 1.35
KUBELET_API_VERSION = "kubelet.config.k8s.io/v1beta1"
KUBE_PROXY_API_VERSION = "kubeproxy.config.k8s.io/v1alpha1"
_PATCHABLE = {
    "ClusterConfiguration": KUBEADM_API_VERSION,
    "InitConfiguration": KUBEADM_API_VERSION,
    "JoinConfiguration": KUBEADM_API_VERSION,
    "KubeletConfiguration": KUBELET_API_VERSION,
    "KubeProxyConfiguration": KUBE_PROXY_API_VERSION,
}
_NAME_RE = re.compile(r"^[a-z0-9.-]+$")
_CRI_SOCKET = "unix:///run/containerd/containerd.sock"
CONTROL_PLANE_TAINT_KEY = "node-role.kubernetes.io/control-plane"


# -- public values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Taint:
    """A node taint (``key[=value]:effect``)."""

    key: str
    effect: str
    value: str = ""

    def to_dict(self) -> dict[str, str]:
        out = {"key": self.key, "effect": self.effect}
        if self.value:
            out["value"] = self.value
        return out

    def __str__(self) -> str:
        return f"{self.key}={self.value}:{self.effect}" if self.value else \
            f"{self.key}:{self.effect}"


@dataclass(frozen=True)
class Timers:
    """The failure-detection and eviction settings of one cluster, in seconds.

    Field defaults are Kubernetes 1.32's; :func:`default_timers` gives a version's.
    """

    #: kube-controller-manager --node-monitor-period
    node_monitor_period: float = 5.0
    #: kube-controller-manager --node-monitor-grace-period (40s before 1.32, PR #126287)
    node_monitor_grace_period: float = 50.0
    #: kube-controller-manager --node-startup-grace-period
    node_startup_grace_period: float = 60.0
    #: kube-controller-manager --node-eviction-rate (nodes per second per zone)
    node_eviction_rate: float = 0.1
    #: kube-controller-manager --secondary-node-eviction-rate
    secondary_node_eviction_rate: float = 0.01
    #: kube-controller-manager --unhealthy-zone-threshold
    unhealthy_zone_threshold: float = 0.55
    #: kube-controller-manager --large-cluster-size-threshold
    large_cluster_size_threshold: int = 50
    #: kube-apiserver --default-not-ready-toleration-seconds
    default_not_ready_toleration_seconds: int = 300
    #: kube-apiserver --default-unreachable-toleration-seconds
    default_unreachable_toleration_seconds: int = 300
    #: KubeletConfiguration nodeStatusUpdateFrequency
    node_status_update_frequency: float = 10.0
    #: KubeletConfiguration nodeStatusReportFrequency (5m, or the update frequency when
    #: that was set explicitly and this was not)
    node_status_report_frequency: float = 300.0
    #: KubeletConfiguration nodeLeaseDurationSeconds
    node_lease_duration_seconds: int = 40
    #: kube-controller-manager --terminated-pod-gc-threshold
    terminated_pod_gc_threshold: int = 12500
    #: kube-controller-manager --pvclaimbinder-sync-period
    pvclaimbinder_sync_period: float = 15.0

    @property
    def node_lease_renew_interval(self) -> float:
        """How often the kubelet renews its Lease: 0.25 x the lease duration
        (``nodeLeaseRenewIntervalFraction`` in pkg/kubelet/kubelet.go)."""
        return 0.25 * self.node_lease_duration_seconds


def default_timers(kubernetes_version: str | None = None) -> Timers:
    """The defaults of a Kubernetes version (``v1.31.14``, ``1.32``; ``None``: 1.32)."""
    minor = _minor(kubernetes_version)
    if minor is not None and minor < 32:
        return Timers(node_monitor_grace_period=40.0)
    return Timers()


@dataclass(frozen=True)
class Networking:
    """``networking`` after kind's defaulting (``pkg/apis/config/v1alpha4/default.go``)."""

    ip_family: str = "ipv4"
    api_server_address: str = "127.0.0.1"
    api_server_port: int = 0
    pod_subnet: str = "10.244.0.0/16"
    service_subnet: str = "10.96.0.0/16"
    disable_default_cni: bool = False
    kube_proxy_mode: str = "iptables"
    dns_search: tuple[str, ...] | None = None


@dataclass(frozen=True)
class KindNode:
    """One entry of ``nodes``, with what its kubelet will register: the labels (kind's
    ``labels`` or a patched ``node-labels``) and the taints kubeadm and the kubelet set
    (before kind removes the control-plane taint of a one-node cluster)."""

    index: int
    role: str
    image: str
    labels: Mapping[str, str]
    taints: tuple[Taint, ...] = ()
    #: whether the file named the image (otherwise kind's default, :data:`KIND_DEFAULT_IMAGE`)
    image_pinned: bool = True
    extra_mounts: tuple[Mapping[str, Any], ...] = ()
    extra_port_mappings: tuple[Mapping[str, Any], ...] = ()

    @property
    def control_plane(self) -> bool:
        return self.role == CONTROL_PLANE

    @property
    def kubernetes_version(self) -> str | None:
        """``v1.32.11`` for a ``kindest/node:v1.32.11@sha256:...`` image, else ``None``."""
        return image_version(self.image)


@dataclass(frozen=True)
class KindConfig:
    """A validated kind config and what kind and kubeadm will make of it."""

    source: str
    name: str | None
    nodes: tuple[KindNode, ...]
    networking: Networking
    timers: Timers
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    runtime_config: Mapping[str, str] = field(default_factory=dict)
    #: effective extraArgs of the first control plane's ClusterConfiguration
    api_server_args: Mapping[str, str] = field(default_factory=dict)
    controller_manager_args: Mapping[str, str] = field(default_factory=dict)
    scheduler_args: Mapping[str, str] = field(default_factory=dict)
    #: the first control plane's KubeletConfiguration after patches (what kubeadm uploads)
    kubelet_configuration: Mapping[str, Any] = field(default_factory=dict)

    def cluster_name(self, override: str | None = None) -> str:
        """The name kind would use: ``--name``, else the file's ``name``, else ``kind``."""
        name = override or self.name or DEFAULT_CLUSTER_NAME
        validate_cluster_name(name, self.source if not override else "--name")
        return name

    @property
    def control_planes(self) -> tuple[KindNode, ...]:
        return tuple(n for n in self.nodes if n.control_plane)

    @property
    def workers(self) -> tuple[KindNode, ...]:
        return tuple(n for n in self.nodes if not n.control_plane)

    @property
    def kubernetes_version(self) -> str | None:
        """The version of the first control plane's image (the cluster's version)."""
        return self.control_planes[0].kubernetes_version


def validate_cluster_name(name: str, where: str = "--name") -> None:
    if not _NAME_RE.match(name):
        raise InvalidExperiment(
            f"{where}: {name!r} is not a valid cluster name, cluster names must match "
            f"`^[a-z0-9.-]+$` (kind validate.go); use lower-case letters, digits, '.' and '-'")


def image_version(image: str) -> str | None:
    match = re.match(r"^(?:[\w.-]+/)*node:(v\d+\.\d+\.\d+)(?:[@-]|$)", image)
    return match.group(1) if match else None


def _minor(version: str | None) -> int | None:
    if not version:
        return None
    match = re.match(r"^v?1\.(\d+)", version)
    return int(match.group(1)) if match else None


# -- entry points ---------------------------------------------------------------------------------


def load(path: str | os.PathLike[str]) -> KindConfig:
    """Read, decode strictly and validate the kind config at ``path``."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidExperiment(
            f"{source}: no such kind config file; pass the path of a kind v1alpha4 YAML file "
            f"(see kind-configs/ for examples)") from None
    except IsADirectoryError:
        raise InvalidExperiment(f"{source}: is a directory, not a kind config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidExperiment(f"{source}: cannot read the kind config: {exc}") from None
    return parse(text, source=source)


def parse(text: str, *, source: str = "<kind config>") -> KindConfig:
    """Decode and validate kind config ``text``; ``source`` names it in errors."""
    raw = _Decoder(source).decode_document(text)
    return _build(raw, source)


# -- strict decoding (kind's yaml.v3 KnownFields(true)) --------------------------------------------


@dataclass(frozen=True)
class _Scalar:
    go: str  # "string", "bool", "int32"


@dataclass(frozen=True)
class _Map:
    value: _Type


@dataclass(frozen=True)
class _List:
    item: _Type


@dataclass(frozen=True)
class _Struct:
    go: str
    fields: Mapping[str, _Type]


_Type = _Scalar | _Map | _List | _Struct
_S, _B, _I = _Scalar("string"), _Scalar("bool"), _Scalar("int32")
_PATCH_6902 = _Struct("v1alpha4.PatchJSON6902",
                      {"group": _S, "version": _S, "kind": _S, "patch": _S})
_NODE = _Struct("v1alpha4.Node", {
    "role": _S, "image": _S, "labels": _Map(_S),
    "extraMounts": _List(_Struct("v1alpha4.Mount", {
        "containerPath": _S, "hostPath": _S, "readOnly": _B, "selinuxRelabel": _B,
        "propagation": _S})),
    "extraPortMappings": _List(_Struct("v1alpha4.PortMapping", {
        "containerPort": _I, "hostPort": _I, "listenAddress": _S, "protocol": _S})),
    "kubeadmConfigPatches": _List(_S),
    "kubeadmConfigPatchesJSON6902": _List(_PATCH_6902),
})
_CLUSTER = _Struct("v1alpha4.Cluster", {
    "kind": _S, "apiVersion": _S, "name": _S, "nodes": _List(_NODE),
    "networking": _Struct("v1alpha4.Networking", {
        "ipFamily": _S, "apiServerPort": _I, "apiServerAddress": _S, "podSubnet": _S,
        "serviceSubnet": _S, "disableDefaultCNI": _B, "kubeProxyMode": _S,
        "dnsSearch": _List(_S)}),
    "featureGates": _Map(_B), "runtimeConfig": _Map(_S),
    "kubeadmConfigPatches": _List(_S),
    "kubeadmConfigPatchesJSON6902": _List(_PATCH_6902),
    "containerdConfigPatches": _List(_S),
    "containerdConfigPatchesJSON6902": _List(_S),
})
_YAML_KIND = {"tag:yaml.org,2002:map": "a mapping", "tag:yaml.org,2002:seq": "a list",
              "tag:yaml.org,2002:str": "a string", "tag:yaml.org,2002:int": "a number",
              "tag:yaml.org,2002:float": "a number", "tag:yaml.org,2002:bool": "a boolean"}
_TRUE = {"true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON"}
_FALSE = {"false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF"}


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).replace("\n", " ")
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(problem)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Decoder:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, node: yaml.Node | None, message: str) -> InvalidExperiment:
        line = f" (line {node.start_mark.line + 1})" if node is not None else ""
        where = f"{self.source}: {path}{line}" if path else f"{self.source}{line}"
        return InvalidExperiment(f"{where}: {message}")

    def decode_document(self, text: str) -> dict[str, Any]:
        try:
            documents = [d for d in yaml.compose_all(text, Loader=yaml.SafeLoader)
                         if d is not None]
        except yaml.YAMLError as exc:
            detail = _yaml_problem(exc)
            raise InvalidExperiment(
                f"{self.source}: is not valid YAML ({detail}); kind could not decode it "
                "either") from None
        if not documents:
            raise InvalidExperiment(
                f"{self.source}: is empty; a kind config starts with `kind: Cluster` and "
                f"`apiVersion: {API_VERSION}`")
        if len(documents) > 1:
            raise self.fail("", documents[1], f"holds {len(documents)} YAML documents; kind "
                            "reads only the first, so the rest would be ignored. Keep one "
                            "document per file")
        root = documents[0]
        if not isinstance(root, yaml.MappingNode):
            raise self.fail("", root, "must be a mapping with `kind: Cluster` and "
                            f"`apiVersion: {API_VERSION}`")
        meta = {self.scalar_text(k): v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        api_version = self.scalar_text(meta["apiVersion"]) if "apiVersion" in meta else ""
        kind = self.scalar_text(meta["kind"]) if "kind" in meta else ""
        if api_version != API_VERSION:
            raise self.fail("apiVersion", meta.get("apiVersion"),
                            f"unknown apiVersion: {api_version!r}; kind v0.31 reads "
                            f"`apiVersion: {API_VERSION}` only")
        if kind != "Cluster":
            raise self.fail("kind", meta.get("kind"),
                            f"unknown kind {kind!r} for apiVersion {API_VERSION}; "
                            "write `kind: Cluster`")
        value = self.decode(root, _CLUSTER, "")
        assert isinstance(value, dict)
        return value

    @staticmethod
    def scalar_text(node: yaml.Node) -> str:
        return str(node.value) if isinstance(node, yaml.ScalarNode) else ""

    def decode(self, node: yaml.Node, typ: _Type, path: str) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return None
        if isinstance(typ, _Struct):
            return self.decode_struct(node, typ, path)
        if isinstance(typ, _Map):
            if not isinstance(node, yaml.MappingNode):
                raise self.fail(path, node, f"expected a mapping, found {self.what(node)}")
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.key(key_node, path, out)
                out[key] = self.decode(value_node, typ.value, f"{path}[{key!r}]")
            return out
        if isinstance(typ, _List):
            if not isinstance(node, yaml.SequenceNode):
                hint = ""
                if typ.item == _S and isinstance(node, yaml.ScalarNode):
                    hint = "; write it as a list item (`- ...`)"
                raise self.fail(path, node, f"expected a list, found {self.what(node)}{hint}")
            return [self.decode(item, typ.item, f"{path}[{i}]")
                    for i, item in enumerate(node.value)]
        return self.decode_scalar(node, typ, path)

    def decode_struct(self, node: yaml.Node, typ: _Struct, path: str) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(path, node, f"expected a mapping ({typ.go}), found "
                            f"{self.what(node)}")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node, path, out)
            if key not in typ.fields:
                close = difflib.get_close_matches(key, list(typ.fields), n=1, cutoff=0.6)
                hint = f"Did you mean `{close[0]}`? " if close else ""
                raise self.fail(
                    _join(path, key), key_node,
                    f"unknown field {key!r}: kind decodes its config strictly and refuses it "
                    f"(\"field {key} not found in type {typ.go}\"). {hint}The fields of "
                    f"{path or 'a Cluster'} are: {', '.join(typ.fields)}")
            out[key] = self.decode(value_node, typ.fields[key], _join(path, key))
        return out

    def key(self, node: yaml.Node, path: str, seen: Mapping[str, Any]) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(path, node, "mapping keys must be plain strings")
        key = str(node.value)
        if key in seen:
            raise self.fail(_join(path, key), node,
                            f"mapping key {key!r} is defined twice; kind's YAML decoder "
                            "refuses duplicate keys. Keep one")
        return key

    def decode_scalar(self, node: yaml.Node, typ: _Scalar, path: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            hint = ""
            if typ.go == "string" and isinstance(node, yaml.MappingNode) and \
                    "kubeadmConfigPatches" in path:
                hint = ("; a patch is a string holding a YAML document: write `- |` and "
                        "indent the patch below it")
            raise self.fail(path, node, f"expected {self.go_what(typ)}, found "
                            f"{self.what(node)}{hint}")
        text = str(node.value)
        if typ.go == "string":
            return text
        if typ.go == "bool":
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise self.fail(path, node, f"expected true or false, found {text!r}")
        if re.fullmatch(r"[-+]?\d+", text) and node.tag == "tag:yaml.org,2002:int":
            number = int(text)
            if -(2 ** 31) <= number < 2 ** 31:
                return number
            raise self.fail(path, node, f"{text} does not fit in an int32")
        raise self.fail(path, node, f"expected an integer, found {text!r}")

    @staticmethod
    def what(node: yaml.Node) -> str:
        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list"
        return f"{_YAML_KIND.get(node.tag, 'a value')} {node.value!r}"

    @staticmethod
    def go_what(typ: _Scalar) -> str:
        return {"string": "a string", "bool": "true or false", "int32": "an integer"}[typ.go]


# -- validation and the kubeadm documents ----------------------------------------------------------


def _build(raw: Mapping[str, Any], source: str) -> KindConfig:
    def fail(path: str, message: str) -> InvalidExperiment:
        return InvalidExperiment(f"{source}: {path}: {message}" if path else
                                 f"{source}: {message}")

    name = raw.get("name") or None
    if name is not None:
        validate_cluster_name(name, f"{source}: name")
    networking = _networking(raw.get("networking") or {}, fail)
    feature_gates = dict(raw.get("featureGates") or {})
    runtime_config = dict(raw.get("runtimeConfig") or {})

    raw_nodes = raw.get("nodes")
    if raw_nodes is None or len(raw_nodes) == 0:
        raw_nodes = [{"role": CONTROL_PLANE}]  # kind's default: one control plane
    nodes_in: list[dict[str, Any]] = [dict(n or {}) for n in raw_nodes]
    for i, node in enumerate(nodes_in):
        role = node.get("role") or CONTROL_PLANE
        if role not in (CONTROL_PLANE, WORKER):
            raise fail(f"nodes[{i}].role", f"{role!r} is not a valid node role; use "
                       f"`{CONTROL_PLANE}` or `{WORKER}`")
        node["role"] = role
        for j, mapping in enumerate(node.get("extraPortMappings") or []):
            for port_field in ("hostPort", "containerPort"):
                port = (mapping or {}).get(port_field) or 0
                if port < -1 or port > 65535:
                    raise fail(f"nodes[{i}].extraPortMappings[{j}].{port_field}",
                               f"invalid port number: {port}; use 0-65535 (or -1: "
                               "let the provider choose)")
        _check_port_mappings(node.get("extraPortMappings") or [], i, fail)
    if not any(n["role"] == CONTROL_PLANE for n in nodes_in):
        raise fail("nodes", f"must have at least one {CONTROL_PLANE} node (kind "
                   "validate.go); add `- role: control-plane` first")

    cluster_patches = _merge_patches(raw.get("kubeadmConfigPatches") or [],
                                     "kubeadmConfigPatches", fail)
    cluster_json = _json_patches(raw.get("kubeadmConfigPatchesJSON6902") or [],
                                 "kubeadmConfigPatchesJSON6902", fail)
    bootstrap_index = next(i for i, n in enumerate(nodes_in) if n["role"] == CONTROL_PLANE)
    single_node = len(nodes_in) == 1
    names = _node_suffixes([n["role"] for n in nodes_in])

    result_nodes: list[KindNode] = []
    bootstrap_docs: dict[str, dict[str, Any]] = {}
    for i, node in enumerate(nodes_in):
        path = f"nodes[{i}]"
        image = node.get("image") or ""
        pinned = bool(image)
        image = image or KIND_DEFAULT_IMAGE
        labels = {str(k): str(v) for k, v in (node.get("labels") or {}).items()}
        node_patches = _merge_patches(node.get("kubeadmConfigPatches") or [],
                                      f"{path}.kubeadmConfigPatches", fail)
        node_json = _json_patches(node.get("kubeadmConfigPatchesJSON6902") or [],
                                  f"{path}.kubeadmConfigPatchesJSON6902", fail)
        is_bootstrap = i == bootstrap_index
        if not is_bootstrap:
            for patch_path, kind in [(p, d["kind"]) for p, d in node_patches] + \
                    [(p, d["kind"]) for p, d, _ in node_json]:
                if kind in ("KubeletConfiguration", "ClusterConfiguration"):
                    raise fail(patch_path, f"a node-level {kind} patch on {path} is ignored: "
                               "kubeadm uses the first control plane's copy for the whole "
                               "cluster (kind #3849, pitfall P4). Move the patch to the "
                               "cluster-level kubeadmConfigPatches")
        documents = _kubeadm_documents(
            role=node["role"], suffix=names[i], networking=networking,
            feature_gates=feature_gates, runtime_config=runtime_config, labels=labels,
            version=image_version(image))
        for _where, patch in cluster_patches + node_patches:
            _apply_merge(documents, patch)
        for patch_path, patch, ops in cluster_json + node_json:
            _apply_json(documents, patch, ops, patch_path, fail)
        if is_bootstrap:
            bootstrap_docs = documents
        registration_kind = "InitConfiguration" if is_bootstrap else "JoinConfiguration"
        registration = _registration(documents, registration_kind, path, fail)
        node_labels, taints = _kubelet_view(
            registration, labels, path, node["role"], single_node, registration_kind, fail)
        result_nodes.append(KindNode(
            index=i, role=node["role"], image=image, labels=node_labels, taints=taints,
            image_pinned=pinned,
            extra_mounts=tuple(dict(m or {}) for m in node.get("extraMounts") or []),
            extra_port_mappings=tuple(dict(m or {}) for m in
                                      node.get("extraPortMappings") or [])))

    version = result_nodes[bootstrap_index].kubernetes_version
    cluster_cfg = bootstrap_docs["ClusterConfiguration"]
    kubelet_cfg = bootstrap_docs["KubeletConfiguration"]
    api_args = _extra_args(cluster_cfg, "apiServer", fail)
    kcm_args = _extra_args(cluster_cfg, "controllerManager", fail)
    scheduler_args = _extra_args(cluster_cfg, "scheduler", fail)
    timers = _timers(default_timers(version), api_args, kcm_args, kubelet_cfg, fail)
    return KindConfig(
        source=source, name=name, nodes=tuple(result_nodes), networking=networking,
        timers=timers, feature_gates=feature_gates, runtime_config=runtime_config,
        api_server_args=api_args, controller_manager_args=kcm_args,
        scheduler_args=scheduler_args,
        kubelet_configuration={k: v for k, v in kubelet_cfg.items() if k != "metadata"})


_Fail = Callable[[str, str], InvalidExperiment]


def _networking(raw: Mapping[str, Any], fail: _Fail) -> Networking:
    family = raw.get("ipFamily") or "ipv4"
    if family not in ("ipv4", "ipv6", "dual"):
        raise fail("networking.ipFamily", f"invalid ipFamily: {family}; use ipv4, ipv6 or dual")
    port = raw.get("apiServerPort") or 0
    if port < -1 or port > 65535:
        raise fail("networking.apiServerPort", f"invalid apiServerPort: invalid port number: "
                   f"{port}")
    defaults = {"ipv4": ("10.244.0.0/16", "10.96.0.0/16", "127.0.0.1"),
                "ipv6": ("fd00:10:244::/56", "fd00:10:96::/112", "::1"),
                "dual": ("10.244.0.0/16,fd00:10:244::/56", "10.96.0.0/16,fd00:10:96::/112",
                         "127.0.0.1")}[family]
    pod_subnet = raw.get("podSubnet") or defaults[0]
    service_subnet = raw.get("serviceSubnet") or defaults[1]
    for key, value in (("podSubnet", pod_subnet), ("serviceSubnet", service_subnet)):
        problem = _subnet_problem(value, family)
        if problem:
            raise fail(f"networking.{key}", f"invalid {key[:-6]} subnet {problem}")
    mode = raw.get("kubeProxyMode") or "iptables"
    if mode not in ("iptables", "ipvs", "nftables", "none"):
        raise fail("networking.kubeProxyMode", f"invalid kubeProxyMode: {mode}; use iptables, "
                   "ipvs, nftables or none")
    search = raw.get("dnsSearch")
    return Networking(
        ip_family=family, api_server_address=raw.get("apiServerAddress") or defaults[2],
        api_server_port=port, pod_subnet=pod_subnet, service_subnet=service_subnet,
        disable_default_cni=bool(raw.get("disableDefaultCNI")), kube_proxy_mode=mode,
        dns_search=tuple(search) if search is not None else None)


def _subnet_problem(value: str, family: str) -> str | None:
    nets = []
    for text in value.split(","):
        try:
            nets.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError as exc:
            return f'failed to parse cidr value:"{text}" with error: {exc}'
    versions = {n.version for n in nets}
    if family == "dual":
        if len(nets) > 2 or (len(nets) == 2 and versions != {4, 6}):
            return ("expected one (IPv4 or IPv6) CIDR or two CIDRs from each family for "
                    "dual-stack networking")
    elif len(nets) > 1:
        return "only one CIDR allowed for single-stack networking"
    elif family == "ipv4" and nets[0].version != 4:
        return "expected IPv4 CIDR for IPv4 family"
    elif family == "ipv6" and nets[0].version != 6:
        return "expected IPv6 CIDR for IPv6 family"
    return None


def _check_port_mappings(mappings: list[Any], index: int, fail: _Fail) -> None:
    bound: dict[str, set[str]] = {}
    for j, mapping in enumerate(mappings):
        mapping = mapping or {}
        host_port = mapping.get("hostPort") or 0
        if host_port in (-1, 0):
            continue
        address = mapping.get("listenAddress") or "0.0.0.0"
        if address == "::":
            address = "0.0.0.0"
        key = f"{host_port}/{mapping.get('protocol') or ''}"
        taken = bound.setdefault(key, set())
        if address in taken or "0.0.0.0" in taken or (address == "0.0.0.0" and taken):
            raise fail(f"nodes[{index}].extraPortMappings[{j}]",
                       "invalid portMapping: port mapping with same listen address, port and "
                       f"protocol already configured: {address}:{key}")
        taken.add(address)


def _node_suffixes(roles: list[str]) -> list[str]:
    """kind's namer (providers/common/namer.go), without the cluster prefix."""
    counts: dict[str, int] = {}
    out = []
    for role in roles:
        counts[role] = counts.get(role, 0) + 1
        out.append(role if counts[role] == 1 else f"{role}{counts[role]}")
    return out


def node_names(cluster: str, roles: list[str]) -> list[str]:
    """``<cluster>-control-plane``, ``<cluster>-control-plane2``, ``<cluster>-worker``, ..."""
    return [f"{cluster}-{suffix}" for suffix in _node_suffixes(roles)]


# -- patches ---------------------------------------------------------------------------------------


def _merge_patches(raw: list[str], path: str, fail: _Fail
                   ) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for i, text in enumerate(raw):
        where = f"{path}[{i}]"
        try:
            documents = [d for d in yaml.safe_load_all(text or "") if d is not None]
        except yaml.YAMLError as exc:
            raise fail(where, f"the patch is not valid YAML ({_yaml_problem(exc)})") from None
        for document in documents:
            if not isinstance(document, dict):
                raise fail(where, "a patch must be a YAML mapping with a `kind`")
            _check_target(document.get("kind"), document.get("apiVersion"), where, fail)
            out.append((where, document))
    return out


def _check_target(kind: Any, api_version: Any, where: str, fail: _Fail) -> None:
    if not kind:
        raise fail(where, "the patch has no `kind`, so kind would apply it to nothing; add "
                   f"one of: {', '.join(_PATCHABLE)}")
    if kind not in _PATCHABLE:
        raise fail(where, f"`kind: {kind}` matches no document kind renders, so the patch "
                   f"would apply to nothing; use one of: {', '.join(_PATCHABLE)}")
    if api_version and api_version != _PATCHABLE[kind]:
        raise fail(where, f"`apiVersion: {api_version}` does not match the {kind} kind "
                   f"renders for Kubernetes 1.32 ({_PATCHABLE[kind]}), so the patch would "
                   "silently apply to nothing (pitfall P5). Remove `apiVersion` from the patch")


def _json_patches(raw: list[Any], path: str, fail: _Fail
                  ) -> list[tuple[str, dict[str, Any], list[Any]]]:
    out = []
    for i, entry in enumerate(raw):
        where = f"{path}[{i}]"
        entry = entry or {}
        group, version = entry.get("group") or "", entry.get("version") or ""
        api_version = f"{group}/{version}" if group else version
        _check_target(entry.get("kind"), api_version if group or version else None,
                      where, fail)
        try:
            ops = yaml.safe_load(entry.get("patch") or "")
        except yaml.YAMLError as exc:
            raise fail(f"{where}.patch", f"not valid YAML ({_yaml_problem(exc)})") from None
        if not isinstance(ops, list) or not all(isinstance(o, dict) for o in ops):
            raise fail(f"{where}.patch", "a JSON 6902 patch is a list of operations "
                       "(`- op: add`, `path: /...`, `value: ...`)")
        out.append((where, {"kind": entry["kind"]}, ops))
    return out


def _merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


def _apply_merge(documents: dict[str, dict[str, Any]], patch: Mapping[str, Any]) -> None:
    kind = patch["kind"]
    if kind in documents:
        documents[kind] = _merge(documents[kind], dict(patch))


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError(f"JSON pointer {path!r} must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            raise ValueError(f"path /{'/'.join(parts)} does not exist")
    return doc


def _json_add(doc: Any, parts: list[str], value: Any, replace_only: bool = False) -> Any:
    if not parts:
        return copy.deepcopy(value)
    parent = _resolve(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        if replace_only and last not in parent:
            raise ValueError(f"replace: /{'/'.join(parts)} does not exist")
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        if last == "-" and not replace_only:
            parent.append(copy.deepcopy(value))
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace_only else 0):
            if replace_only:
                parent[int(last)] = copy.deepcopy(value)
            else:
                parent.insert(int(last), copy.deepcopy(value))
        else:
            raise ValueError(f"index {last} is out of range")
    else:
        raise ValueError(f"/{'/'.join(parts[:-1])} is not an object or a list")
    return doc


def _json_remove(doc: Any, parts: list[str]) -> Any:
    if not parts:
        raise ValueError("cannot remove the whole document")
    parent = _resolve(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise ValueError(f"remove: /{'/'.join(parts)} does not exist")


def _apply_json(documents: dict[str, dict[str, Any]], target: Mapping[str, Any],
                ops: list[dict[str, Any]], where: str, fail: _Fail) -> None:
    """RFC 6902, as evanphx/json-patch applies it for kind."""
    kind = target["kind"]
    if kind not in documents:
        return
    doc: Any = copy.deepcopy(documents[kind])
    for j, op in enumerate(ops):
        name = op.get("op")
        try:
            parts = _pointer(str(op.get("path", "")))
            if name == "add":
                doc = _json_add(doc, parts, op.get("value"))
            elif name == "replace":
                doc = _json_add(doc, parts, op.get("value"), replace_only=True)
            elif name == "remove":
                _json_remove(doc, parts)
            elif name in ("move", "copy"):
                source = _pointer(str(op.get("from", "")))
                value = _resolve(doc, source)
                if name == "move":
                    _json_remove(doc, source)
                doc = _json_add(doc, parts, value)
            elif name == "test":
                if _resolve(doc, parts) != op.get("value"):
                    raise ValueError(f"test failed at {op.get('path')}")
            else:
                raise ValueError(f"unknown op {name!r}; use add, remove, replace, move, "
                                 "copy or test")
        except ValueError as exc:
            raise fail(f"{where}.patch[{j}]", f"failed to apply JSON 6902 patch to {kind}: "
                       f"{exc}") from None
    documents[kind] = doc


def _kubeadm_documents(*, role: str, suffix: str, networking: Networking,
                       feature_gates: Mapping[str, bool], runtime_config: Mapping[str, str],
                       labels: Mapping[str, str], version: str | None
                       ) -> dict[str, dict[str, Any]]:
    """What kind's ConfigTemplateBetaV3 renders for one node (values that only matter on a
    real machine, addresses and tokens, are placeholders)."""
    gates = ",".join(f"{k}={str(v).lower()}" for k, v in sorted(feature_gates.items()))
    runtime = ",".join(f"{k}={v}" for k, v in sorted(runtime_config.items()))
    meta = {"name": "config"}
    registration = {"criSocket": _CRI_SOCKET, "kubeletExtraArgs": {
        "node-ip": "<node-ip>", "provider-id": f"kind://docker/<cluster>/<cluster>-{suffix}",
        "node-labels": ",".join(f"{k}={v}" for k, v in labels.items())}}
    cluster: dict[str, Any] = {
        "apiVersion": KUBEADM_API_VERSION, "kind": "ClusterConfiguration", "metadata": meta,
        "kubernetesVersion": version or "v1.32.11", "clusterName": "<cluster>",
        "controlPlaneEndpoint": "<cluster>-control-plane:6443",
        "apiServer": {"certSANs": ["localhost", networking.api_server_address],
                      "extraArgs": {"runtime-config": runtime,
                                    **({"feature-gates": gates} if gates else {})}},
        "controllerManager": {"extraArgs": {**({"feature-gates": gates} if gates else {}),
                                            "enable-hostpath-provisioner": "true"}},
        "scheduler": {"extraArgs": {"feature-gates": gates} if gates else None},
        "networking": {"podSubnet": networking.pod_subnet,
                       "serviceSubnet": networking.service_subnet},
    }
    join: dict[str, Any] = {
        "apiVersion": KUBEADM_API_VERSION, "kind": "JoinConfiguration", "metadata": meta,
        "nodeRegistration": copy.deepcopy(registration),
        "discovery": {"bootstrapToken": {"apiServerEndpoint": "<cluster>-control-plane:6443",
                                         "token": "abcdef.0123456789abcdef",
                                         "unsafeSkipCAVerification": True}}}
    if role == CONTROL_PLANE:
        join["controlPlane"] = {"localAPIEndpoint": {"advertiseAddress": "<node-ip>",
                                                     "bindPort": 6443}}
    documents: dict[str, dict[str, Any]] = {
        "ClusterConfiguration": cluster,
        "InitConfiguration": {
            "apiVersion": KUBEADM_API_VERSION, "kind": "InitConfiguration", "metadata": meta,
            "bootstrapTokens": [{"token": "abcdef.0123456789abcdef"}],
            "localAPIEndpoint": {"advertiseAddress": "<node-ip>", "bindPort": 6443},
            "nodeRegistration": copy.deepcopy(registration)},
        "JoinConfiguration": join,
        "KubeletConfiguration": {
            "apiVersion": KUBELET_API_VERSION, "kind": "KubeletConfiguration", "metadata": meta,
            "cgroupDriver": "systemd", "cgroupRoot": "/kubelet", "failSwapOn": False,
            "imageGCHighThresholdPercent": 100,
            "evictionHard": {"nodefs.available": "0%", "nodefs.inodesFree": "0%",
                             "imagefs.available": "0%"},
            **({"featureGates": dict(sorted(feature_gates.items()))} if gates else {})},
    }
    if networking.kube_proxy_mode != "none":
        documents["KubeProxyConfiguration"] = {
            "apiVersion": KUBE_PROXY_API_VERSION, "kind": "KubeProxyConfiguration",
            "metadata": meta, "mode": networking.kube_proxy_mode,
            "iptables": {"minSyncPeriod": "1s"}, "conntrack": {"maxPerCore": 0}}
    return copy.deepcopy(documents)


# -- what the kubelet registers --------------------------------------------------------------------

#: staging/src/k8s.io/kubelet/pkg/apis/well_known_labels.go (kubelet --node-labels)
_KUBELET_LABELS = frozenset({
    "kubernetes.io/hostname", "kubernetes.io/arch", "kubernetes.io/os",
    "beta.kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type", "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone"})
_KUBELET_LABEL_PREFIXES = ("kubelet.kubernetes.io", "node.kubernetes.io")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _label_key_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if "/" in name or key.count("/") > 1:
        return "a label key is an optional DNS subdomain prefix and a name, split by one '/'"
    if prefix and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix)):
        return f"the prefix {prefix!r} must be a lower-case DNS subdomain"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return (f"the name {name!r} must be 1-63 characters of letters, digits, '-', '_' or "
                "'.', starting and ending with a letter or digit")
    return None


def _kubelet_refuses(key: str) -> bool:
    """kubelet's ValidateKubeletFlags for --node-labels (cmd/kubelet/app/options)."""
    prefix = key.rpartition("/")[0]
    if not prefix:
        return False
    namespace = prefix.lower()
    if not (namespace == "kubernetes.io" or namespace.endswith(".kubernetes.io") or
            namespace == "k8s.io" or namespace.endswith(".k8s.io")):
        return False
    if key in _KUBELET_LABELS:
        return False
    return not any(namespace == p or namespace.endswith("." + p)
                   for p in _KUBELET_LABEL_PREFIXES)


def _registration(documents: Mapping[str, Any], kind: str, path: str, fail: _Fail
                  ) -> dict[str, Any]:
    registration = (documents.get(kind) or {}).get("nodeRegistration") or {}
    if not isinstance(registration, dict):
        raise fail(path, f"{kind}.nodeRegistration must be a mapping after the patches")
    extra = registration.get("kubeletExtraArgs")
    if extra is not None and not isinstance(extra, dict):
        raise fail(path, f"{kind}.nodeRegistration.kubeletExtraArgs must be a map "
                   "(`key: \"value\"`) for kubeadm v1beta3 (Kubernetes 1.32); the "
                   "`- name: ... value: ...` list form is v1beta4 (Kubernetes 1.36+)")
    for key in ("node-status-update-frequency", "node-lease-duration-seconds"):
        if extra and key in extra:
            raise fail(path, f"{kind}.nodeRegistration.kubeletExtraArgs.{key}: per-node "
                       "kubelet timers are not supported: chaoszone (and the node-lifecycle "
                       "controller's budget) assume one value for the cluster. Set it in a "
                       "cluster-level KubeletConfiguration patch instead")
    return registration


def _kubelet_view(registration: Mapping[str, Any], kind_labels: Mapping[str, str],
                  path: str, role: str, single_node: bool, kind: str, fail: _Fail
                  ) -> tuple[dict[str, str], tuple[Taint, ...]]:
    extra = registration.get("kubeletExtraArgs") or {}
    generated = ",".join(f"{k}={v}" for k, v in kind_labels.items())
    labels_text = extra.get("node-labels", generated)
    from_patch = labels_text != generated
    where = (f"{path}: {kind}.nodeRegistration.kubeletExtraArgs.node-labels" if from_patch
             else f"{path}.labels")
    labels: dict[str, str] = {}
    for pair in str(labels_text or "").split(","):
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        if not sep:
            raise fail(where, f"malformed label {pair!r}: the kubelet expects key=value")
        labels[key.strip()] = value.strip()
    for key, value in labels.items():
        problem = _label_key_problem(key)
        label_path = where if from_patch else f"{where}[{key!r}]"
        if problem:
            raise fail(label_path, f"invalid label key {key!r}: {problem}")
        if len(value) > 63 or not _LABEL_VALUE.match(value):
            raise fail(label_path, f"invalid label value {value!r}: at most 63 letters, digits, "
                       "'-', '_' or '.', starting and ending with a letter or digit")
        if _kubelet_refuses(key):
            raise fail(label_path, f"the kubelet refuses to start with label {key!r}: "
                       "--node-labels may only use kubernetes.io/k8s.io keys in the "
                       "kubelet-allowed set (topology.kubernetes.io/zone, "
                       "topology.kubernetes.io/region, kubernetes.io/hostname, ...) or under "
                       "kubelet.kubernetes.io/ or node.kubernetes.io/; kind then hangs in "
                       "\"Joining worker nodes\" (kind #3536, pitfall P2). Label the node "
                       "through the API after creation instead")
    taints: list[Taint] = []
    kubeadm_taints = registration.get("taints")
    if kubeadm_taints is None:
        if role == CONTROL_PLANE:
            taints.append(Taint(CONTROL_PLANE_TAINT_KEY, "NoSchedule"))
    else:
        if not isinstance(kubeadm_taints, list):
            raise fail(path, f"{kind}.nodeRegistration.taints must be a list of taints")
        for j, item in enumerate(kubeadm_taints):
            item = item if isinstance(item, dict) else {}
            taints.append(_taint(str(item.get("key") or ""), str(item.get("value") or ""),
                                 str(item.get("effect") or ""),
                                 f"{path}: {kind}.nodeRegistration.taints[{j}]", fail))
    for spec in str(extra.get("register-with-taints") or "").split(","):
        if not spec:
            continue
        head, sep, effect = spec.rpartition(":")
        if not sep:
            raise fail(f"{path}: {kind}.nodeRegistration.kubeletExtraArgs.register-with-taints",
                       f"invalid taint spec {spec!r}: use key=value:Effect or key:Effect")
        key, _, value = head.partition("=")
        taints.append(_taint(key, value, effect, f"{path}: {kind}.nodeRegistration."
                             "kubeletExtraArgs.register-with-taints", fail))
    if single_node:
        # kind removes the control-plane taint when the cluster has exactly one node
        taints = [t for t in taints if t.key != CONTROL_PLANE_TAINT_KEY]
    unique: dict[tuple[str, str], Taint] = {}
    for taint in taints:
        unique.setdefault((taint.key, taint.effect), taint)
    return labels, tuple(unique.values())


def _taint(key: str, value: str, effect: str, where: str, fail: _Fail) -> Taint:
    problem = _label_key_problem(key) if key else "the key is empty"
    if problem:
        raise fail(where, f"invalid taint key {key!r}: {problem}")
    if value and (len(value) > 63 or not _LABEL_VALUE.match(value)):
        raise fail(where, f"invalid taint value {value!r}")
    if effect not in _TAINT_EFFECTS:
        raise fail(where, f"invalid taint effect {effect!r}: use one of "
                   f"{', '.join(_TAINT_EFFECTS)}")
    return Taint(key, effect, value)


# -- timers ----------------------------------------------------------------------------------------

_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0,
                   "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` in seconds (``"20s"``, ``"1m30s"``, ``"500ms"``, ``"0"``)."""
    value = text.strip()
    sign = -1.0 if value.startswith("-") else 1.0
    body = value.lstrip("+-")
    if body == "0":
        return 0.0
    if not body:
        raise ValueError(f"invalid duration {text!r}")
    total, pos = 0.0, 0
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        if match is None:
            if re.fullmatch(r"\d+(\.\d*)?", body[pos:]):
                raise ValueError(f"missing unit in duration {text!r}")
            raise ValueError(f"invalid duration {text!r}")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    return sign * total


def _extra_args(cluster_cfg: Mapping[str, Any], component: str, fail: _Fail) -> dict[str, str]:
    section = cluster_cfg.get(component) or {}
    where = f"kubeadmConfigPatches: ClusterConfiguration.{component}.extraArgs"
    if not isinstance(section, dict):
        raise fail(where, f"ClusterConfiguration.{component} must be a mapping")
    args = section.get("extraArgs") or {}
    if not isinstance(args, dict):
        raise fail(where, "must be a map (`flag-name: \"value\"`) for kubeadm v1beta3 "
                   "(Kubernetes 1.32); the `- name: ... value: ...` list form is v1beta4 "
                   "(Kubernetes 1.36+)")
    out = {}
    for key, value in args.items():
        if str(key).startswith("-"):
            raise fail(f"{where}.{key}", "write the flag name without leading dashes "
                       f"(`{str(key).lstrip('-')}`): kubeadm adds `--` itself")
        if not isinstance(value, str):
            raise fail(f"{where}.{key}", f"the value {value!r} must be a quoted string "
                       f"(`{key}: \"{json.dumps(value).strip(chr(34))}\"`); kubeadm's "
                       "extraArgs is a map of strings and refuses anything else")
        out[str(key)] = value
    return out


def _timers(base: Timers, api_args: Mapping[str, str], kcm_args: Mapping[str, str],
            kubelet: Mapping[str, Any], fail: _Fail) -> Timers:
    changes: dict[str, Any] = {}
    kcm = "kubeadmConfigPatches: ClusterConfiguration.controllerManager.extraArgs"
    api = "kubeadmConfigPatches: ClusterConfiguration.apiServer.extraArgs"
    if "pod-eviction-timeout" in kcm_args:
        raise fail(f"{kcm}.pod-eviction-timeout",
                   "kube-controller-manager 1.32 has no --pod-eviction-timeout flag and would "
                   "not start; taint-based eviction replaced it. Shorten "
                   "node-monitor-grace-period and the apiserver's "
                   "default-unreachable-toleration-seconds instead (docs/topologies.md)")
    durations = {"node-monitor-period": "node_monitor_period",
                 "node-monitor-grace-period": "node_monitor_grace_period",
                 "node-startup-grace-period": "node_startup_grace_period",
                 "pvclaimbinder-sync-period": "pvclaimbinder_sync_period"}
    for flag, attr in durations.items():
        if flag in kcm_args:
            try:
                seconds = parse_duration(kcm_args[flag])
            except ValueError as exc:
                raise fail(f"{kcm}.{flag}", f"{exc}; kube-controller-manager expects a Go "
                           "duration such as \"20s\" or \"1m\"") from None
            if seconds <= 0:
                raise fail(f"{kcm}.{flag}", f"{kcm_args[flag]!r} must be greater than 0")
            changes[attr] = seconds
    floats = {"node-eviction-rate": "node_eviction_rate",
              "secondary-node-eviction-rate": "secondary_node_eviction_rate",
              "unhealthy-zone-threshold": "unhealthy_zone_threshold"}
    for flag, attr in floats.items():
        if flag in kcm_args:
            try:
                number = float(kcm_args[flag])
            except ValueError:
                raise fail(f"{kcm}.{flag}", f"{kcm_args[flag]!r} is not a number") from None
            if number < 0 or number != number:
                raise fail(f"{kcm}.{flag}", f"{kcm_args[flag]!r} must not be negative")
            if flag == "unhealthy-zone-threshold" and not 0 < number <= 1:
                raise fail(f"{kcm}.{flag}", f"{kcm_args[flag]!r} is a share of a zone's "
                           "nodes: use a number above 0 and at most 1, such as \"0.55\"")
            changes[attr] = number
    ints = [(kcm, kcm_args, "large-cluster-size-threshold", "large_cluster_size_threshold"),
            (kcm, kcm_args, "terminated-pod-gc-threshold", "terminated_pod_gc_threshold"),
            (api, api_args, "default-not-ready-toleration-seconds",
             "default_not_ready_toleration_seconds"),
            (api, api_args, "default-unreachable-toleration-seconds",
             "default_unreachable_toleration_seconds")]
    for where, args, flag, attr in ints:
        if flag in args:
            if not re.fullmatch(r"[-+]?\d+", args[flag].strip()):
                raise fail(f"{where}.{flag}", f"{args[flag]!r} is not a whole number")
            number = int(args[flag])
            if number < 0:
                raise fail(f"{where}.{flag}", f"{args[flag]!r} must not be negative")
            changes[attr] = number
    kubelet_where = "kubeadmConfigPatches: KubeletConfiguration"
    update_set = False
    for key, attr in (("nodeStatusUpdateFrequency", "node_status_update_frequency"),
                      ("nodeStatusReportFrequency", "node_status_report_frequency")):
        value = kubelet.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise fail(f"{kubelet_where}.{key}", f"{value!r} must be a quoted Go duration "
                       "such as \"4s\"")
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            raise fail(f"{kubelet_where}.{key}", f"{exc}; use a Go duration such as \"4s\""
                       ) from None
        if seconds < 0:
            raise fail(f"{kubelet_where}.{key}", f"{value!r} must be > 0")
        if seconds > 0:  # zero means "unset": the kubelet defaults it
            changes[attr] = seconds
            update_set = update_set or key == "nodeStatusUpdateFrequency"
    if update_set and "node_status_report_frequency" not in changes:
        # kubelet defaults.go: an explicit update frequency also sets the report frequency
        changes["node_status_report_frequency"] = changes["node_status_update_frequency"]
    lease = kubelet.get("nodeLeaseDurationSeconds")
    if lease is not None:
        if not isinstance(lease, int) or isinstance(lease, bool):
            raise fail(f"{kubelet_where}.nodeLeaseDurationSeconds",
                       f"{lease!r} must be a whole number of seconds (no quotes, no unit)")
        if lease < 0:
            raise fail(f"{kubelet_where}.nodeLeaseDurationSeconds",
                       "nodeLeaseDurationSeconds must be greater than 0 (kubelet validation)")
        if lease > 0:
            changes["node_lease_duration_seconds"] = lease
    _near_misses(kcm_args, set(durations) | set(floats) | {
        "large-cluster-size-threshold", "terminated-pod-gc-threshold"}, kcm, fail)
    _near_misses(api_args, {"default-not-ready-toleration-seconds",
                            "default-unreachable-toleration-seconds"}, api, fail)
    _near_misses(kubelet, {"nodeStatusUpdateFrequency", "nodeStatusReportFrequency",
                           "nodeLeaseDurationSeconds"}, kubelet_where, fail)
    return replace(base, **changes)


def _near_misses(given: Mapping[str, Any], known: set[str], where: str, fail: _Fail) -> None:
    """A misspelt timer is ignored (or refused minutes later) by the real components; say so
    now rather than run an experiment with the default."""
    for key in given:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.85)
        if close:
            raise fail(f"{where}.{key}", f"unknown setting; did you mean `{close[0]}`? The "
                       "component would not use it, and the timer would keep its default")
