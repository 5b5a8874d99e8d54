"""Manifest builders for the workloads experiments need: plain dicts, ready to apply.

    workloads.deployment("web", replicas=6, spread="zone", unreachable_toleration=10)
    workloads.statefulset("db", replicas=3, spread="zone", storage="1Gi")
    workloads.pdb("web", min_available=4)
    workloads.service("web", port=80)

Every builder returns a new dict the caller may change further. Names become the ``app``
label, which is also the selector. Nothing here talks to a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata
from typing import Any

from chaoszone.errors import InvalidExperiment
from chaoszone.topology import ZONE_LABEL

__all__ = ["DATA_IMAGE", "IMAGE", "REPAIR_IMAGE", "deployment", "pdb", "repair_job", "service",
           "statefulset", "storage_class"]

#: the image of the repair Job on real clusters, tagged with chaoszone's version: built from
#: chaoszone/images/repair/Dockerfile and loaded into kind clusters (never pulled: a fixed
#: tag, not ``latest``, so the kubelet's pull policy is IfNotPresent, kind.md P20)
REPAIR_IMAGE = f"chaoszone-repair:{metadata.version('chaoszone')}"

#: the container image of the builders' pods (kind can pull it; the simulator runs any)
IMAGE = "registry.k8s.io/pause:3.10"
#: the image of a StatefulSet's pods with claims: a shell that keeps an identity in the
#: volume (see :func:`statefulset`)
DATA_IMAGE = "busybox:1.37.0"
#: on first start, a random identity is written into the volume; every start prints it as
#: the container's first log line (expect.volume_data reads it), then marks itself ready
_KEEP_IDENTITY = ("trap 'exit 0' TERM; "
                  "[ -s /data/identity ] || cat /proc/sys/kernel/random/uuid > /data/identity"
                  " && cat /data/identity && touch /tmp/logged"
                  " && while true; do sleep 1; done")
SPREADS = {"zone": ZONE_LABEL, "node": "kubernetes.io/hostname"}
UNSATISFIABLE = ("ScheduleAnyway", "DoNotSchedule")


def _pod_spec(name: str, *, spread: str | None, when_unsatisfiable: str,
              node_taints_policy: str | None, unreachable_toleration: int | None,
              tolerations: list[Mapping[str, Any]] | None,
              node_selector: Mapping[str, str] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": name, "image": IMAGE}],
                            "terminationGracePeriodSeconds": 1}
    if spread is not None:
        if spread not in SPREADS:
            raise InvalidExperiment(f"{name}: spread must be one of {', '.join(SPREADS)} or "
                                    f"None; got {spread!r}")
        if when_unsatisfiable not in UNSATISFIABLE:
            raise InvalidExperiment(f"{name}: when_unsatisfiable must be one of "
                                    f"{', '.join(UNSATISFIABLE)}; got {when_unsatisfiable!r}")
        constraint: dict[str, Any] = {
            "maxSkew": 1, "topologyKey": SPREADS[spread],
            "whenUnsatisfiable": when_unsatisfiable,
            "labelSelector": {"matchLabels": {"app": name}}}
        if node_taints_policy is not None:
            constraint["nodeTaintsPolicy"] = node_taints_policy
        spec["topologySpreadConstraints"] = [constraint]
    all_tolerations = [dict(t) for t in tolerations or []]
    if unreachable_toleration is not None:
        if isinstance(unreachable_toleration, bool) or unreachable_toleration < 0:
            raise InvalidExperiment(f"{name}: unreachable_toleration is a number of seconds "
                                    f">= 0; got {unreachable_toleration!r}")
        for key in ("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready"):
            all_tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                    "tolerationSeconds": int(unreachable_toleration)})
    if all_tolerations:
        spec["tolerations"] = all_tolerations
    if node_selector:
        spec["nodeSelector"] = dict(node_selector)
    return spec


def _replicas(name: str, replicas: int) -> int:
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise InvalidExperiment(f"{name}: replicas must be an integer >= 0; got {replicas!r}")
    return replicas


def deployment(name: str, *, replicas: int = 3, spread: str | None = None,
               when_unsatisfiable: str = "ScheduleAnyway",
               node_taints_policy: str | None = None,
               unreachable_toleration: int | None = None,
               tolerations: list[Mapping[str, Any]] | None = None,
               node_selector: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A Deployment of ``replicas`` pods labelled ``app=<name>``.

    ``spread="zone"`` adds a zone topology spread constraint (maxSkew 1,
    ``when_unsatisfiable``); ``unreachable_toleration`` sets how many seconds the pods stay
    on an unreachable or not-ready node before eviction (the API server's default is 300).
    """
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name,
                                                                      "labels": labels},
            "spec": {"replicas": _replicas(name, replicas),
                     "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": _pod_spec(
                                      name, spread=spread,
                                      when_unsatisfiable=when_unsatisfiable,
                                      node_taints_policy=node_taints_policy,
                                      unreachable_toleration=unreachable_toleration,
                                      tolerations=tolerations,
                                      node_selector=node_selector)}}}


def statefulset(name: str, *, replicas: int = 3, spread: str | None = "zone",
                when_unsatisfiable: str = "DoNotSchedule", storage: str | None = "1Gi",
                storage_class: str | None = None,
                unreachable_toleration: int | None = None) -> dict[str, Any]:
    """A StatefulSet of ``replicas`` pods, each with its own claim of ``storage`` (zonal:
    the default class binds when the pod is scheduled, in that pod's zone), spread one per
    zone by default. Its headless Service is :func:`service` with ``headless=True``.

    With a claim, each pod's container (:data:`DATA_IMAGE`) writes a random identity into
    its volume on first start and prints it as its first log line on every start, so that
    :func:`chaoszone.expect.volume_data` can tell on a real cluster that a replica came
    back to the same data, not only to the same PersistentVolume."""
    labels = {"app": name}
    spec: dict[str, Any] = {
        "replicas": _replicas(name, replicas), "serviceName": name,
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels},
                     "spec": _pod_spec(name, spread=spread,
                                       when_unsatisfiable=when_unsatisfiable,
                                       node_taints_policy=None,
                                       unreachable_toleration=unreachable_toleration,
                                       tolerations=None, node_selector=None)}}
    if storage is not None:
        claim: dict[str, Any] = {"accessModes": ["ReadWriteOnce"],
                                 "resources": {"requests": {"storage": storage}}}
        if storage_class is not None:
            claim["storageClassName"] = storage_class
        spec["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": claim}]
        spec["template"]["spec"]["containers"][0].update({
            "image": DATA_IMAGE, "command": ["sh", "-c", _KEEP_IDENTITY],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            "readinessProbe": {"exec": {"command": ["test", "-f", "/tmp/logged"]},
                               "periodSeconds": 1}})
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "labels": labels}, "spec": spec}


def pdb(name: str, *, min_available: int | str | None = None,
        max_unavailable: int | str | None = None) -> dict[str, Any]:
    """A PodDisruptionBudget for the pods labelled ``app=<name>`` (exactly one of
    ``min_available`` and ``max_unavailable``)."""
    if (min_available is None) == (max_unavailable is None):
        raise InvalidExperiment(f"pdb({name!r}): give exactly one of min_available and "
                                f"max_unavailable")
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": name}}}
    if min_available is not None:
        spec["minAvailable"] = min_available
    else:
        spec["maxUnavailable"] = max_unavailable
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name}, "spec": spec}


def service(name: str, *, port: int = 80, headless: bool = False) -> dict[str, Any]:
    """A Service in front of the pods labelled ``app=<name>``."""
    spec: dict[str, Any] = {"selector": {"app": name},
                            "ports": [{"name": "main", "port": port, "targetPort": port}]}
    if headless:
        spec["clusterIP"] = "None"
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def storage_class(name: str, *, zones: list[str] | None = None,
                  provisioner: str = "rancher.io/local-path") -> dict[str, Any]:
    """A StorageClass binding when the pod is scheduled (WaitForFirstConsumer), whose
    volumes may be made only in ``zones`` when given (``allowedTopologies``). The default
    provisioner is kind's."""
    body: dict[str, Any] = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                            "metadata": {"name": name}, "provisioner": provisioner,
                            "reclaimPolicy": "Delete",
                            "volumeBindingMode": "WaitForFirstConsumer"}
    if zones is not None:
        if not zones:
            raise InvalidExperiment(f"storage_class({name!r}): zones must name at least one "
                                    f"zone, or be None for every zone")
        body["allowedTopologies"] = [{"matchLabelExpressions": [
            {"key": ZONE_LABEL, "values": list(zones)}]}]
    return body


def repair_job(name: str, node: str, *, namespace: str, taint_keys: list[str],
               command: list[str], image: str = REPAIR_IMAGE) -> list[dict[str, Any]]:
    """A Job that repairs ``node`` (:mod:`chaoszone.repair`), with its ServiceAccount and
    the cluster role and binding that let it read and patch nodes. Its pod tolerates
    every taint and is pinned to the node, so it runs there even when the node is
    cordoned and tainted. ``command`` is the target's way to start the program (the
    cluster handle supplies it)."""
    args = [node, *(w for k in taint_keys for w in ("--taint-key", k))]
    role = f"chaoszone-repair-{name}"
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": role},
         "rules": [{"apiGroups": [""], "resources": ["nodes"],
                    "verbs": ["get", "list", "patch", "update"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": role},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": role},
         "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
         "spec": {"backoffLimit": 3, "template": {
             "metadata": {"labels": {"app": name}},
             "spec": {"serviceAccountName": name, "restartPolicy": "Never",
                      "nodeSelector": {"kubernetes.io/hostname": node},
                      "tolerations": [{"operator": "Exists"}],
                      "containers": [{"name": "repair", "image": image,
                                      "imagePullPolicy": "IfNotPresent",
                                      "command": [*command, *args]}]}}}},
    ]
