"""The ``context:NAME`` target: an existing cluster, reached through a kubeconfig context.

    target = ContextTarget.connect("staging", allowed=["staging"])

This is the game-day target: EKS, GKE or an on-prem cluster that chaoszone did not create
and must not harm beyond what an experiment asks. So it carries :class:`Guards` (see
:mod:`chaoszone.guards`), and :meth:`ContextTarget.connect` checks the allow-list *before*
it reads the kubeconfig or opens a connection.

- **Kubeconfig**: the ``kubeconfig`` argument (``--chaoszone-kubeconfig``), else
  ``$KUBECONFIG`` (a list of files separated by ``os.pathsep``, merged as kubectl merges
  them), else ``~/.kube/config``; the same order kubectl uses. chaoszone never writes to
  it (``persist_config=False``: refreshed auth-provider tokens stay in memory).
- **Topology**: from the live nodes' labels, read once at connect: the zone is
  ``topology.kubernetes.io/zone`` (or the deprecated ``failure-domain.beta`` label), the
  region likewise, and a node is a control plane when it carries
  ``node-role.kubernetes.io/control-plane`` (or the pre-1.24 ``.../master``). Managed
  clusters (EKS, GKE) show no control-plane nodes at all.
- **Timers**: a cluster's controller-manager and API-server flags cannot be read through
  the API, so :attr:`timers` are the upstream defaults of the server's version
  (:func:`chaoszone.kindconfig.default_timers`: 1.32's node-monitor grace period is 50 s,
  40 s before), with the one timer the API shows, the node lease duration, read from the
  nodes' Leases in ``kube-node-lease`` when the credentials may read them.
- **Time**: cluster time is wall time (scale 1).
- **Faults**: only Kubernetes-API ones (cordon, drain, taint). The target has no power
  or network switch (:attr:`capabilities` names neither), so ``Cluster.fault`` refuses
  outages, partitions and control-plane loss before anything changes.
- **Recovery**: :meth:`describe` names the context and kubeconfig; :meth:`attach`
  reaches them again for ``chaoszone recover``, which only replays journalled undo records
  (uncordon, remove a taint), so it needs no allow-listing.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import urllib3
import yaml
from kubernetes import client, config
from kubernetes.config import kube_config

from chaoszone.errors import TargetError, UnsafeTarget
from chaoszone.guards import DEFAULT_MAX_NODE_SHARE, Guards, refuse_unlisted_context
from chaoszone.kindconfig import CONTROL_PLANE, WORKER, Taint, Timers, default_timers
from chaoszone.targets import CONTAINERS
from chaoszone.topology import (
    CONTROL_PLANE_LABEL,
    LEGACY_REGION_LABEL,
    LEGACY_ZONE_LABEL,
    REGION_LABEL,
    ZONE_LABEL,
    NodeSpec,
    Topology,
)

__all__ = ["LEGACY_CONTROL_PLANE_LABEL", "ContextTarget", "kubeconfig_path",
           "topology_from_nodes"]

#: the control-plane role label before Kubernetes 1.24 (kubeadm set both for a while)
LEGACY_CONTROL_PLANE_LABEL = "node-role.kubernetes.io/master"
#: the namespace of the kubelets' heartbeat Leases
NODE_LEASE_NAMESPACE = "kube-node-lease"
#: how long one API request may take before the cluster counts as unreachable (seconds)
REQUEST_TIMEOUT = 30


def kubeconfig_path(explicit: str | os.PathLike[str] | None = None,
                    environ: Mapping[str, str] | None = None) -> str:
    """The kubeconfig chaoszone reads: ``explicit``, else ``$KUBECONFIG``, else
    ``~/.kube/config`` (kubectl's order). ``$KUBECONFIG`` may list several files."""
    env = os.environ if environ is None else environ
    if explicit:
        return str(explicit)
    if env.get("KUBECONFIG"):
        return env["KUBECONFIG"]
    return str(Path("~/.kube/config").expanduser())


def topology_from_nodes(name: str, nodes: Sequence[Any], *, source: str) -> Topology:
    """The :class:`Topology` of live nodes (official-client V1Node objects), by name."""
    specs = []
    for index, node in enumerate(sorted(nodes, key=lambda n: n.metadata.name)):
        labels = dict(node.metadata.labels or {})
        plane = CONTROL_PLANE_LABEL in labels or LEGACY_CONTROL_PLANE_LABEL in labels
        taints = tuple(Taint(key=t.key, effect=t.effect, value=t.value or "")
                       for t in (node.spec.taints if node.spec else None) or [])
        info = node.status.node_info if node.status else None
        specs.append(NodeSpec(
            name=node.metadata.name, role=CONTROL_PLANE if plane else WORKER,
            labels=dict(sorted(labels.items())), taints=taints,
            zone=labels.get(ZONE_LABEL) or labels.get(LEGACY_ZONE_LABEL) or None,
            region=labels.get(REGION_LABEL) or labels.get(LEGACY_REGION_LABEL) or None,
            capacity=dict((node.status.capacity if node.status else None) or {}),
            image=f"kubelet {info.kubelet_version}" if info else "", index=index))
    return Topology(name=name, nodes=tuple(specs), source=source)


class ContextTarget:
    """An existing cluster behind a kubeconfig context, with safety guards."""

    #: no power or network switch: only Kubernetes-API faults (cordon, drain, taint); its
    #: containers really run
    capabilities: frozenset[str] = frozenset({CONTAINERS})

    def __init__(self, *, context: str, kubeconfig: str, api: client.ApiClient,
                 guards: Guards) -> None:
        self.context = context
        self.kubeconfig = kubeconfig
        self.name = f"context:{context}"
        self.guards = guards
        self._api = api
        where = f"context {context} of {kubeconfig}"
        try:
            nodes = client.CoreV1Api(api).list_node(_request_timeout=REQUEST_TIMEOUT).items
            version = client.VersionApi(api).get_code(_request_timeout=REQUEST_TIMEOUT)
        except client.ApiException as exc:
            raise TargetError(f"cannot read the nodes of {where}: {exc.status} {exc.reason}; "
                              f"chaoszone needs to list and patch nodes (and evict pods) "
                              f"with these credentials") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise TargetError(f"the API server of {where} "
                              f"({api.configuration.host}) is unreachable: {exc}") from exc
        if not nodes:
            raise TargetError(f"{where} has no nodes; there is nothing to run experiments on")
        self.topology: Topology = topology_from_nodes(context, nodes,
                                                      source=f"live nodes of {where}")
        #: the server's version, e.g. ``v1.32.2``
        self.server_version: str = str(version.git_version)
        self.timers: Timers = self._read_timers()

    @classmethod
    def connect(cls, context: str, *, allowed: Collection[str],
                kubeconfig: str | os.PathLike[str] | None = None,
                max_node_share: float = DEFAULT_MAX_NODE_SHARE) -> ContextTarget:
        """Reach ``context``, refused (:class:`UnsafeTarget`) unless it is in ``allowed``;
        nothing is read or changed before that check."""
        if not context:
            raise UnsafeTarget("name the kubeconfig context: --chaoszone-target=context:NAME")
        refuse_unlisted_context(context, allowed)
        guards = Guards(context=context, max_node_share=max_node_share)
        path = kubeconfig_path(kubeconfig)
        api = _client(path, context, hint="pass --chaoszone-kubeconfig=PATH or set KUBECONFIG")
        return cls._reach(context=context, kubeconfig=path, api=api, guards=guards)

    @classmethod
    def attach(cls, description: Mapping[str, Any]) -> ContextTarget:
        """The cluster a journal header (:meth:`describe`) names, for ``chaoszone recover``:
        it only undoes what the journal recorded, so the allow-list is not asked again."""
        context, kubeconfig = description.get("context"), description.get("kubeconfig")
        if not isinstance(context, str) or not isinstance(kubeconfig, str):
            raise TargetError(f"a context target is described by its context and kubeconfig; "
                              f"got {dict(description)!r}")
        share = description.get("max_node_share", DEFAULT_MAX_NODE_SHARE)
        api = _client(kubeconfig, context, hint="the run recorded this kubeconfig in its "
                                                "journal; restore it to recover")
        return cls._reach(context=context, kubeconfig=kubeconfig, api=api,
                          guards=Guards(context=context, max_node_share=share))

    @classmethod
    def _reach(cls, *, context: str, kubeconfig: str, api: client.ApiClient,
               guards: Guards) -> ContextTarget:
        """The target, or the client closed again when the cluster cannot be read."""
        try:
            return cls(context=context, kubeconfig=kubeconfig, api=api, guards=guards)
        except BaseException:
            api.close()  # type: ignore[no-untyped-call]
            raise

    # -- Target --------------------------------------------------------------------------------

    def api_client(self) -> client.ApiClient:
        return self._api

    def wall_seconds(self, cluster_seconds: float) -> float:
        return cluster_seconds

    def cluster_seconds(self, wall_seconds: float) -> float:
        return wall_seconds

    def power_state(self, node: str) -> str:
        raise self._no_switch("power")

    def set_power(self, node: str, state: str) -> None:
        raise self._no_switch("power")

    def set_network(self, node: str, state: str) -> None:
        raise self._no_switch("network")

    def repair_command(self) -> list[str]:
        raise UnsafeTarget(
            f"refusing to run a repair Job on context {self.context!r}: it needs a "
            f"ClusterRole that may patch every node and the chaoszone-repair image, and "
            f"chaoszone creates no cluster-scoped objects on an existing cluster. Run the "
            f"repair experiment on sim or kind")

    def describe(self) -> dict[str, Any]:
        return {"target": "context", "context": self.context, "kubeconfig": self.kubeconfig,
                "max_node_share": self.guards.max_node_share}

    def close(self) -> None:
        self._api.close()  # type: ignore[no-untyped-call]

    # -- helpers -------------------------------------------------------------------------------

    def _no_switch(self, what: str) -> UnsafeTarget:
        return UnsafeTarget(
            f"context {self.context!r} has no {what} switch: on an existing cluster chaoszone "
            f"can only cordon, drain and taint; run power and network faults on sim or kind")

    def _read_timers(self) -> Timers:
        """The server version's defaults, with the node lease duration the Leases show."""
        timers = default_timers(self.server_version)
        try:
            leases = client.CoordinationV1Api(self._api).list_namespaced_lease(
                NODE_LEASE_NAMESPACE, limit=1, _request_timeout=REQUEST_TIMEOUT).items
        except (client.ApiException, urllib3.exceptions.HTTPError, OSError):
            return timers  # no right to read Leases (or a blip): keep the default
        duration = leases[0].spec.lease_duration_seconds if leases and leases[0].spec else None
        if not duration:
            return timers
        return replace(timers, node_lease_duration_seconds=int(duration))


def _client(kubeconfig: str, context: str, *, hint: str) -> client.ApiClient:
    """An ApiClient for ``context`` of ``kubeconfig``, never writing the file back;
    ``hint`` says how to point chaoszone at another kubeconfig."""
    try:
        merged = kube_config.KubeConfigMerger(  # type: ignore[no-untyped-call]
            kubeconfig).config
    except (config.ConfigException, OSError, yaml.YAMLError) as exc:
        raise TargetError(f"cannot read kubeconfig {kubeconfig}: {exc}; {hint}") from exc
    if merged is None:
        raise TargetError(f"no kubeconfig at {kubeconfig}; {hint}")
    # the merger wraps each context in a ConfigNode whose value is the context's dict
    entries = [getattr(c, "value", c) for c in merged.value.get("contexts") or []]
    names = [str(e.get("name")) for e in entries if isinstance(e, Mapping)]
    if context not in names:
        raise TargetError(f"kubeconfig {kubeconfig} has no context {context!r}; its contexts "
                          f"are: {', '.join(names) or 'none'} (kubectl config get-contexts)")
    try:
        api: client.ApiClient = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=kubeconfig, context=context, persist_config=False)
    except Exception as exc:
        raise TargetError(f"cannot use context {context!r} of kubeconfig {kubeconfig}: "
                          f"{exc}") from exc
    return api
