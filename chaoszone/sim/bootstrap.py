"""A kind cluster from a :class:`~chaoszone.topology.Topology`: what ``kind create cluster``
leaves behind, written through the registry as the kubelets, kubeadm and kind would.

* one Node per node of the topology, as its kubelet registers it and the node-ipam
  controller completes it: labels, taints, ``providerID kind://docker/<cluster>/<node>``,
  ``podCIDR`` ``10.244.N.0/24``, and a Ready status (the three pressure conditions and
  Ready, addresses ``172.18.0.x`` + Hostname, capacity = allocatable, kubelet endpoint,
  all ten ``nodeInfo`` fields), and its Lease in ``kube-node-lease``;
* the control plane's static pods (etcd, kube-apiserver, kube-controller-manager,
  kube-scheduler on every control-plane node) as Running mirror pods, their commands
  carrying the kubeadm flags and the config's extraArgs (the timers among them);
* kube-system's addons: the kube-proxy and kindnet DaemonSets (both tolerate every
  taint), the CoreDNS Deployment (2 replicas, kubeadm's tolerations; kubeadm makes no
  PodDisruptionBudget for it), the ``kube-dns`` Service at ``10.96.0.10``, their
  ServiceAccounts, ConfigMaps and RBAC, the ``kubeadm-config`` and ``kubelet-config``
  ConfigMaps (where a real cluster keeps the timers), the controller-manager and scheduler
  leader leases;
* ``local-path-storage`` with kind's local-path-provisioner Deployment and the default
  ``standard`` StorageClass (``rancher.io/local-path``, WaitForFirstConsumer, Delete).

The pods of the DaemonSets and Deployments are the workload controllers' to create, the
scheduler's to place and the kubelets' to run. Manifests: kind v0.31.0
``pkg/build/nodeimage/const_{cni,storage}.go``; kubeadm 1.32
``cmd/kubeadm/app/phases/addons/{dns,proxy}/manifests.go`` and
``cmd/kubeadm/app/phases/controlplane``/``etcd`` (static pods). What differs from a real kind
node is listed in docs/topologies.md.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

import yaml

from chaoszone.errors import InvalidExperiment
from chaoszone.kindconfig import Timers
from chaoszone.sim import errors
from chaoszone.sim.clock import format_micro_time, format_time
from chaoszone.sim.registry import Registry
from chaoszone.sim.resources import ResourceType, by_path
from chaoszone.sim.store import Store
from chaoszone.topology import NodeSpec, Topology

__all__ = [
    "CONTAINERD_VERSION",
    "COREDNS_IMAGE",
    "ETCD_IMAGE",
    "KINDNETD_IMAGE",
    "KUBERNETES_VERSION",
    "LOCAL_PATH_PROVISIONER_IMAGE",
    "BootstrapTarget",
    "build",
    "node_ip",
    "pod_cidrs",
]

#: the Kubernetes the simulator is: kind v0.31.0's 1.32 node image
KUBERNETES_VERSION = "v1.32.11"
#: kind v0.31.0 images/base/Dockerfile CONTAINERD_VERSION
CONTAINERD_VERSION = "containerd://2.2.0"
OS_IMAGE = "Debian GNU/Linux 12 (bookworm)"  # kind's base image is debian:bookworm-slim
KERNEL_VERSION = "6.8.0-1017-azure"  # the host's kernel; a GitHub-hosted runner's, for one
#: kubeadm 1.32 (SupportedEtcdVersion after kubernetes PR #135019) and CoreDNS for 1.32
ETCD_IMAGE = "registry.k8s.io/etcd:3.5.24-0"
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3"
KINDNETD_IMAGE = "docker.io/kindest/kindnetd:v20251212-v0.29.0-alpha-105-g20ccfc88"
LOCAL_PATH_PROVISIONER_IMAGE = (
    "docker.io/kindest/local-path-provisioner:v20251212-v0.29.0-alpha-105-g20ccfc88")
LOCAL_PATH_HELPER_IMAGE = (
    "docker.io/kindest/local-path-helper:v20251211-v0.29.0-alpha-100-g82a92c5d")
#: the docker network ``kind`` (172.18.0.1 is its gateway)
NODE_NETWORK = ipaddress.ip_network("172.18.0.0/16")
CRI_SOCKET = "unix:///run/containerd/containerd.sock"
CLUSTER_DOMAIN = "cluster.local"

_R = {name: by_path(*path) for name, path in {
    "namespaces": ("", "v1", "namespaces"), "nodes": ("", "v1", "nodes"),
    "pods": ("", "v1", "pods"), "services": ("", "v1", "services"),
    "serviceaccounts": ("", "v1", "serviceaccounts"), "configmaps": ("", "v1", "configmaps"),
    "leases": ("coordination.k8s.io", "v1", "leases"),
    "deployments": ("apps", "v1", "deployments"), "daemonsets": ("apps", "v1", "daemonsets"),
    "storageclasses": ("storage.k8s.io", "v1", "storageclasses"),
    "clusterroles": ("rbac.authorization.k8s.io", "v1", "clusterroles"),
    "clusterrolebindings": ("rbac.authorization.k8s.io", "v1", "clusterrolebindings"),
    "roles": ("rbac.authorization.k8s.io", "v1", "roles"),
    "rolebindings": ("rbac.authorization.k8s.io", "v1", "rolebindings"),
}.items()}


def _rt(name: str) -> ResourceType:
    found = _R[name]
    assert found is not None, name
    return found


class BootstrapTarget(Protocol):
    """What :func:`build` needs of a cluster (``chaoszone.sim.cluster.Cluster``)."""

    registry: Registry
    store: Store
    timers: Timers
    topology: Topology | None

    def settle(self) -> None: ...


# -- addresses ------------------------------------------------------------------------------------


def node_ip(topology: Topology, node: NodeSpec) -> str:
    """The node's address on the ``kind`` docker network: 172.18.0.2 upwards in config order
    (docker hands them out as the containers are created, in parallel, so a real cluster's
    order may differ)."""
    return str(NODE_NETWORK[2 + node.index])


def pod_cidrs(topology: Topology, node_cidr_mask: int = 24) -> dict[str, str]:
    """Each node's ``podCIDR``: /24s of the pod subnet in the order the node-ipam controller
    sees the nodes register (the first control plane, the other control planes, then the
    workers)."""
    network = ipaddress.ip_network(topology.networking.pod_subnet.split(",")[0], strict=False)
    if network.version != 4 or network.prefixlen > node_cidr_mask:
        raise InvalidExperiment(
            f"{topology.source or topology.name}: networking.podSubnet "
            f"{topology.networking.pod_subnet} cannot be cut into /{node_cidr_mask} node "
            "ranges; use an IPv4 subnet of /24 or larger, such as 10.244.0.0/16")
    order = list(topology.control_planes) + list(topology.workers)
    subnets = network.subnets(new_prefix=node_cidr_mask)
    out = {}
    for node in order:
        try:
            out[node.name] = str(next(subnets))
        except StopIteration:
            raise InvalidExperiment(
                f"{topology.source or topology.name}: networking.podSubnet "
                f"{topology.networking.pod_subnet} has room for fewer than {len(order)} "
                f"/{node_cidr_mask} node ranges; use a larger subnet") from None
    return out


def _check_supported(topology: Topology) -> None:
    where = topology.source or topology.name
    if topology.networking.ip_family != "ipv4":
        raise InvalidExperiment(
            f"{where}: networking.ipFamily {topology.networking.ip_family!r} is valid for kind "
            "but the simulator models IPv4 clusters only; remove ipFamily to run it here")
    service = ipaddress.ip_network(topology.networking.service_subnet, strict=False)
    if service.network_address != ipaddress.ip_address("10.96.0.0"):
        raise InvalidExperiment(
            f"{where}: networking.serviceSubnet {topology.networking.service_subnet} is valid "
            "for kind, but the simulator allocates Service IPs from 10.96.0.0 (kubernetes at "
            "10.96.0.1, kube-dns at 10.96.0.10); use 10.96.0.0/16 (kind's default)")


# -- helpers ---------------------------------------------------------------------------------------


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "chaoszone-kind/" + "/".join(parts)))


def _hex(length: int, *parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _create(cluster: BootstrapTarget, kind: str, namespace: str | None,
            obj: dict[str, Any]) -> dict[str, Any]:
    rt = _rt(kind)
    name = obj["metadata"]["name"]
    existing = cluster.store.get(rt, namespace or "", name)
    if existing is not None:
        return existing.copy()
    return cluster.registry.create(rt, namespace, obj).copy()


def _write_status(cluster: BootstrapTarget, kind: str, obj: dict[str, Any],
                  status: dict[str, Any]) -> None:
    meta = obj["metadata"]
    new = dict(obj)
    new["status"] = status
    try:
        cluster.registry.update(_rt(kind), meta.get("namespace"), meta["name"], new,
                                subresource="status")
    except errors.ApiError as exc:  # a broken bootstrap is the simulator's bug: say which
        raise RuntimeError(f"bootstrap could not write the status of {kind} "
                           f"{meta['name']}: {exc}") from exc


# -- nodes ----------------------------------------------------------------------------------------


def _node(topology: Topology, node: NodeSpec, cidr: str, now: str,
          network_ready: bool) -> dict[str, Any]:
    cluster = topology.name
    taints = [t.to_dict() for t in node.taints]
    if not network_ready:
        taints.append({"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"})
    conditions = [
        {"type": kind, "status": "False", "reason": reason, "message": message,
         "lastHeartbeatTime": now, "lastTransitionTime": now}
        for kind, reason, message in (
            ("MemoryPressure", "KubeletHasSufficientMemory",
             "kubelet has sufficient memory available"),
            ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"))]
    if network_ready:
        conditions.append({"type": "Ready", "status": "True", "reason": "KubeletReady",
                           "message": "kubelet is posting ready status",
                           "lastHeartbeatTime": now, "lastTransitionTime": now})
    else:
        conditions.append({
            "type": "Ready", "status": "False", "reason": "KubeletNotReady",
            "message": "container runtime network not ready: NetworkReady=false "
                       "reason:NetworkPluginNotReady message:Network plugin returns error: "
                       "cni plugin not initialized",
            "lastHeartbeatTime": now, "lastTransitionTime": now})
    version = node.kubernetes_version
    kubelet_version = version if version and version.startswith("v1.32.") \
        else KUBERNETES_VERSION
    spec: dict[str, Any] = {"podCIDR": cidr, "podCIDRs": [cidr],
                            "providerID": f"kind://docker/{cluster}/{node.name}"}
    if taints:
        spec["taints"] = taints
    return {
        "metadata": {
            "name": node.name, "labels": dict(node.labels),
            "annotations": {
                "kubeadm.alpha.kubernetes.io/cri-socket": CRI_SOCKET,
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": spec,
        "status": {
            "conditions": conditions,
            "addresses": [{"type": "InternalIP", "address": node_ip(topology, node)},
                          {"type": "Hostname", "address": node.name}],
            "capacity": dict(node.capacity),
            "allocatable": dict(node.capacity),
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": _hex(32, cluster, node.name, "machine-id"),
                "systemUUID": _uid(cluster, node.name, "system-uuid"),
                "bootID": _uid(cluster, node.name, "boot-id"),
                "kernelVersion": KERNEL_VERSION,
                "osImage": OS_IMAGE,
                "containerRuntimeVersion": CONTAINERD_VERSION,
                "kubeletVersion": kubelet_version,
                # DisableNodeKubeProxyVersion is off by default in 1.32 (kubernetes #126720)
                "kubeProxyVersion": kubelet_version,
                "operatingSystem": "linux",
                "architecture": node.labels.get("kubernetes.io/arch", "amd64"),
            },
        },
    }


def _node_lease(node: dict[str, Any], duration: int, now_micro: str) -> dict[str, Any]:
    meta = node["metadata"]
    return {
        "metadata": {
            "name": meta["name"], "namespace": "kube-node-lease",
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": meta["name"],
                                 "uid": meta["uid"]}],
        },
        "spec": {"holderIdentity": meta["name"], "leaseDurationSeconds": duration,
                 "renewTime": now_micro},
    }


# -- static pods ----------------------------------------------------------------------------------

_CERT_VOLUMES = [
    ("ca-certs", "/etc/ssl/certs", "DirectoryOrCreate", True),
    ("etc-ca-certificates", "/etc/ca-certificates", "DirectoryOrCreate", True),
    ("k8s-certs", "/etc/kubernetes/pki", "DirectoryOrCreate", True),
    ("usr-local-share-ca-certificates", "/usr/local/share/ca-certificates",
     "DirectoryOrCreate", True),
    ("usr-share-ca-certificates", "/usr/share/ca-certificates", "DirectoryOrCreate", True),
]


def _flags(defaults: Mapping[str, str], extra: Mapping[str, str]) -> list[str]:
    """kubeadm's BuildArgumentListFromMap: extraArgs override, sorted by flag name."""
    merged = {**defaults, **extra}
    return [f"--{key}={merged[key]}" for key in sorted(merged)]


def _probe(path: str, port: int, scheme: str, host: str, failure: int,
           period: int = 10, delay: int | None = 10) -> dict[str, Any]:
    probe: dict[str, Any] = {
        "httpGet": {"host": host, "path": path, "port": port, "scheme": scheme},
        "failureThreshold": failure, "periodSeconds": period, "timeoutSeconds": 15}
    if delay is not None:
        probe["initialDelaySeconds"] = delay
    return probe


def _static_pods(topology: Topology, node: NodeSpec, ip: str,
                 args: Mapping[str, Mapping[str, str]]) -> list[tuple[str, dict[str, Any]]]:
    cluster = topology.name
    net = topology.networking
    version = KUBERNETES_VERSION
    control_planes = topology.control_planes
    position = control_planes.index(node)
    members = ",".join(f"{cp.name}=https://{node_ip(topology, cp)}:2380"
                       for cp in control_planes[:position + 1])
    etcd_flags = {
        "advertise-client-urls": f"https://{ip}:2379",
        "cert-file": "/etc/kubernetes/pki/etcd/server.crt", "client-cert-auth": "true",
        "data-dir": "/var/lib/etcd", "experimental-initial-corrupt-check": "true",
        "experimental-watch-progress-notify-interval": "5s",
        "initial-advertise-peer-urls": f"https://{ip}:2380", "initial-cluster": members,
        "key-file": "/etc/kubernetes/pki/etcd/server.key",
        "listen-client-urls": f"https://127.0.0.1:2379,https://{ip}:2379",
        "listen-metrics-urls": "http://127.0.0.1:2381",
        "listen-peer-urls": f"https://{ip}:2380", "name": node.name,
        "peer-cert-file": "/etc/kubernetes/pki/etcd/peer.crt", "peer-client-cert-auth": "true",
        "peer-key-file": "/etc/kubernetes/pki/etcd/peer.key",
        "peer-trusted-ca-file": "/etc/kubernetes/pki/etcd/ca.crt", "snapshot-count": "10000",
        "trusted-ca-file": "/etc/kubernetes/pki/etcd/ca.crt"}
    if position > 0:
        etcd_flags["initial-cluster-state"] = "existing"
    apiserver_flags = {
        "advertise-address": ip, "allow-privileged": "true",
        "authorization-mode": "Node,RBAC", "client-ca-file": "/etc/kubernetes/pki/ca.crt",
        "enable-admission-plugins": "NodeRestriction", "enable-bootstrap-token-auth": "true",
        "etcd-cafile": "/etc/kubernetes/pki/etcd/ca.crt",
        "etcd-certfile": "/etc/kubernetes/pki/apiserver-etcd-client.crt",
        "etcd-keyfile": "/etc/kubernetes/pki/apiserver-etcd-client.key",
        "etcd-servers": "https://127.0.0.1:2379",
        "kubelet-client-certificate": "/etc/kubernetes/pki/apiserver-kubelet-client.crt",
        "kubelet-client-key": "/etc/kubernetes/pki/apiserver-kubelet-client.key",
        "kubelet-preferred-address-types": "InternalIP,ExternalIP,Hostname",
        "proxy-client-cert-file": "/etc/kubernetes/pki/front-proxy-client.crt",
        "proxy-client-key-file": "/etc/kubernetes/pki/front-proxy-client.key",
        "requestheader-allowed-names": "front-proxy-client",
        "requestheader-client-ca-file": "/etc/kubernetes/pki/front-proxy-ca.crt",
        "requestheader-extra-headers-prefix": "X-Remote-Extra-",
        "requestheader-group-headers": "X-Remote-Group",
        "requestheader-username-headers": "X-Remote-User", "secure-port": "6443",
        "service-account-issuer": f"https://kubernetes.default.svc.{CLUSTER_DOMAIN}",
        "service-account-key-file": "/etc/kubernetes/pki/sa.pub",
        "service-account-signing-key-file": "/etc/kubernetes/pki/sa.key",
        "service-cluster-ip-range": net.service_subnet,
        "tls-cert-file": "/etc/kubernetes/pki/apiserver.crt",
        "tls-private-key-file": "/etc/kubernetes/pki/apiserver.key"}
    kcm_flags = {
        "allocate-node-cidrs": "true",
        "authentication-kubeconfig": "/etc/kubernetes/controller-manager.conf",
        "authorization-kubeconfig": "/etc/kubernetes/controller-manager.conf",
        "bind-address": "127.0.0.1", "client-ca-file": "/etc/kubernetes/pki/ca.crt",
        "cluster-cidr": net.pod_subnet, "cluster-name": cluster,
        "cluster-signing-cert-file": "/etc/kubernetes/pki/ca.crt",
        "cluster-signing-key-file": "/etc/kubernetes/pki/ca.key",
        "controllers": "*,bootstrapsigner,tokencleaner",
        "kubeconfig": "/etc/kubernetes/controller-manager.conf", "leader-elect": "true",
        "requestheader-client-ca-file": "/etc/kubernetes/pki/front-proxy-ca.crt",
        "root-ca-file": "/etc/kubernetes/pki/ca.crt",
        "service-account-private-key-file": "/etc/kubernetes/pki/sa.key",
        "service-cluster-ip-range": net.service_subnet,
        "use-service-account-credentials": "true"}
    scheduler_flags = {
        "authentication-kubeconfig": "/etc/kubernetes/scheduler.conf",
        "authorization-kubeconfig": "/etc/kubernetes/scheduler.conf",
        "bind-address": "127.0.0.1", "kubeconfig": "/etc/kubernetes/scheduler.conf",
        "leader-elect": "true"}
    kcm_volumes = [*_CERT_VOLUMES,
                   ("flexvolume-dir", "/usr/libexec/kubernetes/kubelet-plugins/volume/exec",
                    "DirectoryOrCreate", False),
                   ("kubeconfig", "/etc/kubernetes/controller-manager.conf", "FileOrCreate",
                    True)]
    components = [
        ("etcd", ETCD_IMAGE, ["etcd", *_flags(etcd_flags, {})], {"cpu": "100m",
                                                                  "memory": "100Mi"},
         {"livenessProbe": _probe("/livez", 2381, "HTTP", "127.0.0.1", 8),
          "readinessProbe": _probe("/readyz", 2381, "HTTP", "127.0.0.1", 3, 1, None),
          "startupProbe": _probe("/readyz", 2381, "HTTP", "127.0.0.1", 24)},
         [("etcd-certs", "/etc/kubernetes/pki/etcd", "DirectoryOrCreate", False),
          ("etcd-data", "/var/lib/etcd", "DirectoryOrCreate", False)],
         {"kubeadm.kubernetes.io/etcd.advertise-client-urls": f"https://{ip}:2379"}),
        ("kube-apiserver", f"registry.k8s.io/kube-apiserver:{version}",
         ["kube-apiserver", *_flags(apiserver_flags, args["apiServer"])], {"cpu": "250m"},
         {"livenessProbe": _probe("/livez", 6443, "HTTPS", ip, 8),
          "readinessProbe": _probe("/readyz", 6443, "HTTPS", ip, 3, 1, None),
          "startupProbe": _probe("/livez", 6443, "HTTPS", ip, 24)},
         _CERT_VOLUMES,
         {"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": f"{ip}:6443"}),
        ("kube-controller-manager", f"registry.k8s.io/kube-controller-manager:{version}",
         ["kube-controller-manager", *_flags(kcm_flags, args["controllerManager"])],
         {"cpu": "200m"},
         {"livenessProbe": _probe("/healthz", 10257, "HTTPS", "127.0.0.1", 8),
          "startupProbe": _probe("/healthz", 10257, "HTTPS", "127.0.0.1", 24)},
         kcm_volumes, {}),
        ("kube-scheduler", f"registry.k8s.io/kube-scheduler:{version}",
         ["kube-scheduler", *_flags(scheduler_flags, args["scheduler"])], {"cpu": "100m"},
         {"livenessProbe": _probe("/healthz", 10259, "HTTPS", "127.0.0.1", 8),
          "startupProbe": _probe("/healthz", 10259, "HTTPS", "127.0.0.1", 24)},
         [("kubeconfig", "/etc/kubernetes/scheduler.conf", "FileOrCreate", True)], {}),
    ]
    pods = []
    for component, image, command, requests, probes, volumes, extra_notes in components:
        container: dict[str, Any] = {
            "name": component, "image": image, "imagePullPolicy": "IfNotPresent",
            "command": command, "resources": {"requests": dict(requests)},
            "volumeMounts": [{"name": v[0], "mountPath": v[1], **({"readOnly": True}
                                                                   if v[3] else {})}
                             for v in volumes],
            **probes}
        spec = {
            "nodeName": node.name, "hostNetwork": True,
            "priorityClassName": "system-node-critical",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "tolerations": [{"operator": "Exists", "effect": "NoExecute"}],
            "containers": [container],
            "volumes": [{"name": v[0], "hostPath": {"path": v[1], "type": v[2]}}
                        for v in volumes],
        }
        config_hash = _hex(32, cluster, node.name, component, repr(command))
        pods.append((component, {
            "metadata": {
                "name": f"{component}-{node.name}", "namespace": "kube-system",
                "labels": {"component": component, "tier": "control-plane"},
                "annotations": {**extra_notes,
                                "kubernetes.io/config.hash": config_hash,
                                "kubernetes.io/config.mirror": config_hash,
                                "kubernetes.io/config.source": "file"},
            },
            "spec": spec}))
    return pods


def _running_status(pod: dict[str, Any], ip: str, now: str) -> dict[str, Any]:
    """A kubelet's status of a pod whose containers all started and are ready."""
    conditions = [{"type": kind, "status": "True", "lastProbeTime": None,
                   "lastTransitionTime": now}
                  for kind in ("PodReadyToStartContainers", "Initialized", "Ready",
                               "ContainersReady", "PodScheduled")]
    statuses = []
    for container in pod["spec"]["containers"]:
        statuses.append({
            "name": container["name"], "image": container["image"],
            "imageID": "sha256:" + _hex(64, container["image"]),
            "containerID": "containerd://" + _hex(64, pod["metadata"]["uid"],
                                                  container["name"]),
            "ready": True, "started": True, "restartCount": 0, "lastState": {},
            "state": {"running": {"startedAt": now}},
            "volumeMounts": [
                {"name": m["name"], "mountPath": m["mountPath"],
                 **({"readOnly": True, "recursiveReadOnly": "Disabled"}
                    if m.get("readOnly") else {})}
                for m in container.get("volumeMounts") or []],
        })
    return {
        "phase": "Running", "conditions": conditions, "hostIP": ip, "hostIPs": [{"ip": ip}],
        "podIP": ip, "podIPs": [{"ip": ip}], "startTime": now,
        "containerStatuses": statuses,
        "qosClass": (pod.get("status") or {}).get("qosClass", "Burstable"),
    }


# -- addons ----------------------------------------------------------------------------------------


def _coredns(replicas: int = 2) -> dict[str, Any]:
    """kubeadm's CoreDNS Deployment (cmd/kubeadm/app/phases/addons/dns/manifests.go)."""
    return {
        "metadata": {"name": "coredns", "namespace": "kube-system",
                     "labels": {"k8s-app": "kube-dns"}},
        "spec": {
            "replicas": replicas,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
            "template": {
                "metadata": {"labels": {"k8s-app": "kube-dns"}},
                "spec": {
                    "priorityClassName": "system-cluster-critical",
                    "serviceAccountName": "coredns",
                    "affinity": {"podAntiAffinity": {
                        "preferredDuringSchedulingIgnoredDuringExecution": [{
                            "weight": 100, "podAffinityTerm": {
                                "labelSelector": {"matchExpressions": [{
                                    "key": "k8s-app", "operator": "In",
                                    "values": ["kube-dns"]}]},
                                "topologyKey": "kubernetes.io/hostname"}}]}},
                    "tolerations": [
                        {"key": "CriticalAddonsOnly", "operator": "Exists"},
                        {"key": "node-role.kubernetes.io/control-plane",
                         "effect": "NoSchedule"}],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [{
                        "name": "coredns", "image": COREDNS_IMAGE,
                        "imagePullPolicy": "IfNotPresent",
                        "resources": {"limits": {"memory": "170Mi"},
                                      "requests": {"cpu": "100m", "memory": "70Mi"}},
                        "args": ["-conf", "/etc/coredns/Corefile"],
                        "volumeMounts": [{"name": "config-volume",
                                          "mountPath": "/etc/coredns", "readOnly": True}],
                        "ports": [
                            {"containerPort": 53, "name": "dns", "protocol": "UDP"},
                            {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                            {"containerPort": 9153, "name": "metrics", "protocol": "TCP"},
                            {"containerPort": 8080, "name": "liveness-probe",
                             "protocol": "TCP"},
                            {"containerPort": 8181, "name": "readiness-probe",
                             "protocol": "TCP"}],
                        "livenessProbe": {
                            "httpGet": {"path": "/health", "port": "liveness-probe",
                                        "scheme": "HTTP"},
                            "initialDelaySeconds": 60, "timeoutSeconds": 5,
                            "successThreshold": 1, "failureThreshold": 5},
                        "readinessProbe": {"httpGet": {"path": "/ready",
                                                       "port": "readiness-probe",
                                                       "scheme": "HTTP"}},
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                            "readOnlyRootFilesystem": True},
                    }],
                    "dnsPolicy": "Default",
                    "volumes": [{"name": "config-volume", "configMap": {
                        "name": "coredns", "items": [{"key": "Corefile",
                                                      "path": "Corefile"}]}}],
                },
            },
        },
    }


def _kube_proxy() -> dict[str, Any]:
    """kubeadm's kube-proxy DaemonSet (cmd/kubeadm/app/phases/addons/proxy/manifests.go)."""
    return {
        "metadata": {"name": "kube-proxy", "namespace": "kube-system",
                     "labels": {"k8s-app": "kube-proxy"}},
        "spec": {
            "selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": {"k8s-app": "kube-proxy"}},
                "spec": {
                    "priorityClassName": "system-node-critical",
                    "containers": [{
                        "name": "kube-proxy",
                        "image": f"registry.k8s.io/kube-proxy:{KUBERNETES_VERSION}",
                        "imagePullPolicy": "IfNotPresent",
                        "command": ["/usr/local/bin/kube-proxy",
                                    "--config=/var/lib/kube-proxy/config.conf",
                                    "--hostname-override=$(NODE_NAME)"],
                        "securityContext": {"privileged": True},
                        "volumeMounts": [
                            {"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"},
                            {"mountPath": "/run/xtables.lock", "name": "xtables-lock"},
                            {"mountPath": "/lib/modules", "name": "lib-modules",
                             "readOnly": True}],
                        "env": [{"name": "NODE_NAME", "valueFrom": {
                            "fieldRef": {"fieldPath": "spec.nodeName"}}}],
                    }],
                    "hostNetwork": True,
                    "serviceAccountName": "kube-proxy",
                    "volumes": [
                        {"name": "kube-proxy", "configMap": {"name": "kube-proxy"}},
                        {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock",
                                                              "type": "FileOrCreate"}},
                        {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}}],
                    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                    {"operator": "Exists"}],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                },
            },
        },
    }


def _kindnet(pod_subnet: str) -> dict[str, Any]:
    """kind's CNI DaemonSet (kind v0.31.0 pkg/build/nodeimage/const_cni.go)."""
    labels = {"tier": "node", "app": "kindnet", "k8s-app": "kindnet"}
    return {
        "metadata": {"name": "kindnet", "namespace": "kube-system", "labels": dict(labels)},
        "spec": {
            "selector": {"matchLabels": {"app": "kindnet"}},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "hostNetwork": True,
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [{"operator": "Exists"}],
                    "priorityClassName": "system-node-critical",
                    "serviceAccountName": "kindnet",
                    "containers": [{
                        "name": "kindnet-cni", "image": KINDNETD_IMAGE,
                        "env": [
                            {"name": "HOST_IP", "valueFrom": {
                                "fieldRef": {"fieldPath": "status.hostIP"}}},
                            {"name": "POD_IP", "valueFrom": {
                                "fieldRef": {"fieldPath": "status.podIP"}}},
                            {"name": "POD_SUBNET", "value": pod_subnet}],
                        "volumeMounts": [
                            {"name": "cni-cfg", "mountPath": "/etc/cni/net.d"},
                            {"name": "xtables-lock", "mountPath": "/run/xtables.lock"},
                            {"name": "lib-modules", "mountPath": "/lib/modules",
                             "readOnly": True},
                            {"name": "nri-plugin", "mountPath": "/var/run/nri"}],
                        "resources": {"requests": {"cpu": "100m", "memory": "50Mi"},
                                      "limits": {"cpu": "100m", "memory": "50Mi"}},
                        "securityContext": {"privileged": False, "capabilities": {
                            "add": ["NET_RAW", "NET_ADMIN"]}},
                    }],
                    "volumes": [
                        {"name": "cni-cfg", "hostPath": {"path": "/etc/cni/net.d"}},
                        {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock",
                                                              "type": "FileOrCreate"}},
                        {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}},
                        {"name": "nri-plugin", "hostPath": {"path": "/var/run/nri"}}],
                },
            },
        },
    }


def _local_path_provisioner() -> dict[str, Any]:
    """kind's storage provisioner (kind v0.31.0 pkg/build/nodeimage/const_storage.go)."""
    return {
        "metadata": {"name": "local-path-provisioner", "namespace": "local-path-storage"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "local-path-provisioner"}},
            "template": {
                "metadata": {"labels": {"app": "local-path-provisioner"}},
                "spec": {
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [
                        {"key": "node-role.kubernetes.io/control-plane", "operator": "Equal",
                         "effect": "NoSchedule"},
                        {"key": "node-role.kubernetes.io/master", "operator": "Equal",
                         "effect": "NoSchedule"}],
                    "serviceAccountName": "local-path-provisioner-service-account",
                    "containers": [{
                        "name": "local-path-provisioner",
                        "image": LOCAL_PATH_PROVISIONER_IMAGE,
                        "imagePullPolicy": "IfNotPresent",
                        "command": ["local-path-provisioner", "--debug", "start",
                                    "--helper-image", LOCAL_PATH_HELPER_IMAGE,
                                    "--config", "/etc/config/config.json"],
                        "volumeMounts": [{"name": "config-volume",
                                          "mountPath": "/etc/config/"}],
                        "env": [
                            {"name": "POD_NAMESPACE", "valueFrom": {
                                "fieldRef": {"fieldPath": "metadata.namespace"}}},
                            {"name": "CONFIG_MOUNT_PATH", "value": "/etc/config/"}],
                    }],
                    "volumes": [{"name": "config-volume",
                                 "configMap": {"name": "local-path-config"}}],
                },
            },
        },
    }


_COREFILE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""

_LOCAL_PATH_CONFIG = {
    "config.json": '{\n        "nodePathMap":[\n        {\n                "node":'
                   '"DEFAULT_PATH_FOR_NON_LISTED_NODES",\n                "paths":'
                   '["/var/local-path-provisioner"]\n        }\n        ]\n}',
    "setup": '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"',
    "teardown": '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"',
    "helperPod.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: helper-pod\nspec:\n"
        "  priorityClassName: system-node-critical\n  tolerations:\n"
        "    - key: node.kubernetes.io/disk-pressure\n      operator: Exists\n"
        "      effect: NoSchedule\n  containers:\n  - name: helper-pod\n"
        f"    image: {LOCAL_PATH_HELPER_IMAGE}\n    imagePullPolicy: IfNotPresent"),
}


def _rbac(cluster: BootstrapTarget) -> None:
    def rule(groups: list[str], resources: list[str], verbs: list[str],
             names: list[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"apiGroups": groups, "resources": resources, "verbs": verbs}
        if names:
            out["resourceNames"] = names
        return out

    def binding(name: str, role_kind: str, role: str, sa: str, ns: str,
                namespace: str | None = None) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": name}
        if namespace:
            meta["namespace"] = namespace
        return {"metadata": meta,
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind,
                            "name": role},
                "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]}

    _create(cluster, "clusterroles", None, {"metadata": {"name": "system:coredns"}, "rules": [
        rule([""], ["endpoints", "services", "pods", "namespaces"], ["list", "watch"]),
        rule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch"])]})
    _create(cluster, "clusterrolebindings", None, binding(
        "system:coredns", "ClusterRole", "system:coredns", "coredns", "kube-system"))
    _create(cluster, "clusterrolebindings", None, binding(
        "kubeadm:node-proxier", "ClusterRole", "system:node-proxier", "kube-proxy",
        "kube-system"))
    _create(cluster, "clusterroles", None, {"metadata": {"name": "kindnet"}, "rules": [
        rule(["policy"], ["podsecuritypolicies"], ["use"], ["kindnet"]),
        rule([""], ["nodes", "pods", "namespaces"], ["list", "watch"]),
        rule(["networking.k8s.io"], ["networkpolicies"], ["list", "watch"])]})
    _create(cluster, "clusterrolebindings", None, binding(
        "kindnet", "ClusterRole", "kindnet", "kindnet", "kube-system"))
    sa = "local-path-provisioner-service-account"
    _create(cluster, "roles", "local-path-storage", {
        "metadata": {"name": "local-path-provisioner-role", "namespace": "local-path-storage"},
        "rules": [rule([""], ["pods"], ["get", "list", "watch", "create", "patch", "update",
                                        "delete"])]})
    _create(cluster, "rolebindings", "local-path-storage", binding(
        "local-path-provisioner-bind", "Role", "local-path-provisioner-role", sa,
        "local-path-storage", "local-path-storage"))
    _create(cluster, "clusterroles", None, {
        "metadata": {"name": "local-path-provisioner-role"}, "rules": [
            rule([""], ["nodes", "persistentvolumeclaims", "configmaps", "pods", "pods/log"],
                 ["get", "list", "watch"]),
            rule([""], ["persistentvolumes"], ["get", "list", "watch", "create", "patch",
                                               "update", "delete"]),
            rule([""], ["events"], ["create", "patch"]),
            rule(["storage.k8s.io"], ["storageclasses"], ["get", "list", "watch"])]})
    _create(cluster, "clusterrolebindings", None, binding(
        "local-path-provisioner-bind", "ClusterRole", "local-path-provisioner-role", sa,
        "local-path-storage"))


def _kubeadm_config(topology: Topology, args: Mapping[str, Mapping[str, str]]) -> str:
    def section(component: str) -> dict[str, Any]:
        extra = dict(sorted(args[component].items()))
        return {"extraArgs": extra} if extra else {}

    api = section("apiServer")
    api["certSANs"] = ["localhost", topology.networking.api_server_address]
    config = {
        "apiServer": api,
        "apiVersion": "kubeadm.k8s.io/v1beta3",
        "certificatesDir": "/etc/kubernetes/pki",
        "clusterName": topology.name,
        "controlPlaneEndpoint": (f"{topology.name}-external-load-balancer:6443"
                                 if len(topology.control_planes) > 1 else
                                 f"{topology.name}-control-plane:6443"),
        "controllerManager": section("controllerManager"),
        "dns": {},
        "etcd": {"local": {"dataDir": "/var/lib/etcd"}},
        "imageRepository": "registry.k8s.io",
        "kind": "ClusterConfiguration",
        "kubernetesVersion": KUBERNETES_VERSION,
        "networking": {"dnsDomain": CLUSTER_DOMAIN,
                       "podSubnet": topology.networking.pod_subnet,
                       "serviceSubnet": topology.networking.service_subnet},
        "scheduler": section("scheduler"),
    }
    return yaml.safe_dump(config, sort_keys=False)


def _kubelet_config(kubelet: Mapping[str, Any], timers: Timers) -> str:
    def duration(seconds: float) -> str:
        return f"{seconds:g}s"

    config: dict[str, Any] = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
        "authentication": {"anonymous": {"enabled": False},
                           "webhook": {"cacheTTL": "0s", "enabled": True},
                           "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
        "authorization": {"mode": "Webhook"},
        "cgroupDriver": "systemd", "cgroupRoot": "/kubelet",
        "clusterDNS": ["10.96.0.10"], "clusterDomain": CLUSTER_DOMAIN,
        "evictionHard": {"imagefs.available": "0%", "nodefs.available": "0%",
                         "nodefs.inodesFree": "0%"},
        "failSwapOn": False, "imageGCHighThresholdPercent": 100,
        "nodeLeaseDurationSeconds": timers.node_lease_duration_seconds,
        "nodeStatusReportFrequency": duration(timers.node_status_report_frequency),
        "nodeStatusUpdateFrequency": duration(timers.node_status_update_frequency),
        "rotateCertificates": True, "staticPodPath": "/etc/kubernetes/manifests",
    }
    for key, value in kubelet.items():
        if key not in ("apiVersion", "kind") and key not in config:
            config[key] = value
    return yaml.safe_dump(dict(sorted(config.items())), sort_keys=False)


def _kube_proxy_config(topology: Topology) -> dict[str, str]:
    mode = topology.networking.kube_proxy_mode
    config = (
        "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
        f"clusterCIDR: {topology.networking.pod_subnet}\n"
        "conntrack:\n  maxPerCore: 0\n"
        "iptables:\n  minSyncPeriod: 1s\n"
        "kind: KubeProxyConfiguration\n"
        f"mode: {mode}\n")
    endpoint = (f"{topology.name}-external-load-balancer" if len(topology.control_planes) > 1
                else f"{topology.name}-control-plane")
    kubeconfig = (
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
        "    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n"
        f"    server: https://{endpoint}:6443\n  name: default\ncontexts:\n- context:\n"
        "    cluster: default\n    namespace: default\n    user: default\n  name: default\n"
        "current-context: default\nusers:\n- name: default\n  user:\n"
        "    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token")
    return {"config.conf": config, "kubeconfig.conf": kubeconfig}


def _leader_lease(name: str, holder: str, now_micro: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "kube-system"},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15,
                     "acquireTime": now_micro, "renewTime": now_micro,
                     "leaseTransitions": 0}}


# -- the whole cluster ----------------------------------------------------------------------------


def build(cluster: BootstrapTarget, topology: Topology, timers: Timers, *,
          controller_manager_args: Mapping[str, str] | None = None,
          api_server_args: Mapping[str, str] | None = None,
          scheduler_args: Mapping[str, str] | None = None,
          kubelet_configuration: Mapping[str, Any] | None = None) -> None:
    """Write what a kind cluster of ``topology`` holds after ``kind create cluster`` into
    ``cluster``, and keep ``topology`` and ``timers`` on it for the controllers and kubelets.

    The ``*_args`` are the config's extraArgs (:class:`~chaoszone.kindconfig.KindConfig`),
    shown in the static pods' commands and the ``kubeadm-config`` ConfigMap; the timers
    themselves come from ``timers``. Idempotent: objects that exist are left alone.
    """
    _check_supported(topology)
    if not topology.control_planes:
        raise InvalidExperiment(f"{topology.source or topology.name}: a cluster needs at "
                                "least one control-plane node")
    cluster.topology = topology
    cluster.timers = timers
    args = {"apiServer": dict(api_server_args or {}),
            "controllerManager": dict(controller_manager_args or {}),
            "scheduler": dict(scheduler_args or {})}
    _api_timer_flags(args["apiServer"], timers)
    _kcm_timer_flags(args["controllerManager"], timers)
    mask = int(args["controllerManager"].get(
        "node-cidr-mask-size-ipv4", args["controllerManager"].get("node-cidr-mask-size", "24")))
    cidrs = pod_cidrs(topology, mask)
    network_ready = not topology.networking.disable_default_cni

    clock = cluster.store.clock
    now, now_micro = format_time(clock.now()), format_micro_time(clock.now())
    _create(cluster, "namespaces", None, {"metadata": {"name": "local-path-storage"}})
    cluster.settle()  # the namespaces' default ServiceAccounts

    nodes: dict[str, dict[str, Any]] = {}
    for spec in topology.nodes:
        node = _create(cluster, "nodes", None,
                       _node(topology, spec, cidrs[spec.name], now, network_ready))
        nodes[spec.name] = node
        _create(cluster, "leases", "kube-node-lease",
                _node_lease(node, timers.node_lease_duration_seconds, now_micro))

    first = topology.control_planes[0]
    for spec in topology.control_planes:
        ip = node_ip(topology, spec)
        node_meta = nodes[spec.name]["metadata"]
        for _component, pod in _static_pods(topology, spec, ip, args):
            pod["metadata"]["ownerReferences"] = [{
                "apiVersion": "v1", "kind": "Node", "name": spec.name,
                "uid": node_meta["uid"], "controller": True}]
            pod["metadata"]["annotations"]["kubernetes.io/config.seen"] = (
                now_micro[:-1] + "000Z")
            if cluster.store.get(_rt("pods"), "kube-system", pod["metadata"]["name"]):
                continue
            created = _create(cluster, "pods", "kube-system", pod)
            _write_status(cluster, "pods", created, _running_status(created, ip, now))
        _create(cluster, "leases", "kube-system", {
            "metadata": {"name": f"apiserver-{_hex(26, topology.name, spec.name)}",
                         "namespace": "kube-system",
                         "labels": {"apiserver.kubernetes.io/identity": "kube-apiserver",
                                    "kubernetes.io/hostname": spec.name}},
            "spec": {"holderIdentity": f"apiserver-{_uid(topology.name, spec.name, 'api')}"
                                       f"_{_uid(topology.name, spec.name, 'apiserver')}",
                     "leaseDurationSeconds": 3600, "acquireTime": now_micro,
                     "renewTime": now_micro}})
    for component in ("kube-controller-manager", "kube-scheduler"):
        holder = f"{first.name}_{_uid(topology.name, first.name, component)}"
        _create(cluster, "leases", "kube-system", _leader_lease(component, holder, now_micro))

    for namespace, name in (("kube-system", "coredns"), ("kube-system", "kube-proxy"),
                            ("kube-system", "kindnet"),
                            ("local-path-storage", "local-path-provisioner-service-account")):
        _create(cluster, "serviceaccounts", namespace,
                {"metadata": {"name": name, "namespace": namespace}})
    _rbac(cluster)
    _create(cluster, "configmaps", "kube-system", {
        "metadata": {"name": "coredns", "namespace": "kube-system"},
        "data": {"Corefile": _COREFILE}})
    _create(cluster, "configmaps", "kube-system", {
        "metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
        "data": {"ClusterConfiguration": _kubeadm_config(topology, args)}})
    _create(cluster, "configmaps", "kube-system", {
        "metadata": {"name": "kubelet-config", "namespace": "kube-system"},
        "data": {"kubelet": _kubelet_config(kubelet_configuration or {}, timers)}})
    _create(cluster, "configmaps", "local-path-storage", {
        "metadata": {"name": "local-path-config", "namespace": "local-path-storage"},
        "data": dict(_LOCAL_PATH_CONFIG)})
    _create(cluster, "services", "kube-system", {
        "metadata": {"name": "kube-dns", "namespace": "kube-system",
                     "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                "kubernetes.io/name": "CoreDNS"},
                     "annotations": {"prometheus.io/port": "9153",
                                     "prometheus.io/scrape": "true"}},
        "spec": {"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"},
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                           {"name": "dns-tcp", "port": 53, "protocol": "TCP",
                            "targetPort": 53},
                           {"name": "metrics", "port": 9153, "protocol": "TCP",
                            "targetPort": 9153}]}})
    _create(cluster, "deployments", "kube-system", _coredns())
    if topology.networking.kube_proxy_mode != "none":
        _create(cluster, "configmaps", "kube-system", {
            "metadata": {"name": "kube-proxy", "namespace": "kube-system",
                         "labels": {"app": "kube-proxy"}},
            "data": _kube_proxy_config(topology)})
        _create(cluster, "daemonsets", "kube-system", _kube_proxy())
    if network_ready:
        _create(cluster, "daemonsets", "kube-system",
                _kindnet(topology.networking.pod_subnet))
    _create(cluster, "deployments", "local-path-storage", _local_path_provisioner())
    _create(cluster, "storageclasses", None, {
        "metadata": {"name": "standard",
                     "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer",
        "reclaimPolicy": "Delete"})
    cluster.settle()


def _api_timer_flags(api: dict[str, str], timers: Timers) -> None:
    for flag, value in (("default-not-ready-toleration-seconds",
                         timers.default_not_ready_toleration_seconds),
                        ("default-unreachable-toleration-seconds",
                         timers.default_unreachable_toleration_seconds)):
        if flag not in api and value != 300:
            api[flag] = str(value)


def _kcm_timer_flags(kcm: dict[str, str], timers: Timers) -> None:
    """Show non-default timers on kube-controller-manager's command line, as the config's
    extraArgs would put them there (a Timers built in code has no extraArgs)."""
    defaults = Timers()

    def duration(seconds: float) -> str:
        return f"{seconds:g}s"

    for flag, value, default, render in (
            ("node-monitor-period", timers.node_monitor_period,
             defaults.node_monitor_period, duration),
            ("node-monitor-grace-period", timers.node_monitor_grace_period,
             defaults.node_monitor_grace_period, duration),
            ("node-startup-grace-period", timers.node_startup_grace_period,
             defaults.node_startup_grace_period, duration),
            ("node-eviction-rate", timers.node_eviction_rate,
             defaults.node_eviction_rate, lambda v: f"{v:g}"),
            ("secondary-node-eviction-rate", timers.secondary_node_eviction_rate,
             defaults.secondary_node_eviction_rate, lambda v: f"{v:g}"),
            ("unhealthy-zone-threshold", timers.unhealthy_zone_threshold,
             defaults.unhealthy_zone_threshold, lambda v: f"{v:g}"),
            ("large-cluster-size-threshold", timers.large_cluster_size_threshold,
             defaults.large_cluster_size_threshold, lambda v: f"{v:g}"),
            ("terminated-pod-gc-threshold", timers.terminated_pod_gc_threshold,
             defaults.terminated_pod_gc_threshold, lambda v: f"{v:g}"),
            ("pvclaimbinder-sync-period", timers.pvclaimbinder_sync_period,
             defaults.pvclaimbinder_sync_period, duration)):
        if flag not in kcm and value != default:
            kcm[flag] = render(value)
