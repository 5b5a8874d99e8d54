"""REST semantics on top of the store: what kube-apiserver's generic registry and the
per-kind strategies do between a decoded request body and etcd.

Create: namespace checks, generateName, defaulting, admission, status reset,
generation, validation. Update: the status split, resourceVersion preconditions,
generation bumps, no-op detection, finalizers of objects being deleted. Delete:
preconditions, graceful deletion of pods, finalizers and the propagation policy
finalizers (``orphan``, ``foregroundDeletion``) that the garbage collector acts on.

Upstream: staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go,
staging/src/k8s.io/apiserver/pkg/registry/rest/{create,update,delete}.go and
pkg/registry/*/strategy.go at release-1.32.
"""

from __future__ import annotations

import ipaddress
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chaoszone.sim import admission, errors
from chaoszone.sim.clock import Clock
from chaoszone.sim.resources import ResourceType, by_path
from chaoszone.sim.store import Store
from chaoszone.sim.watch import Stored

__all__ = ["RETURNS_DELETED_OBJECT", "DeleteOptions", "Registry"]

NAMESPACES = by_path("", "v1", "namespaces")
SERVICEACCOUNTS = by_path("", "v1", "serviceaccounts")
PODS = by_path("", "v1", "pods")
assert NAMESPACES is not None and SERVICEACCOUNTS is not None and PODS is not None

#: kinds whose PUT creates a missing object (AllowCreateOnUpdate in their strategy; an
#: EndpointSlice's is false)
_CREATE_ON_UPDATE = frozenset({
    ("", "Service"), ("", "Endpoints"), ("", "Event"), ("coordination.k8s.io", "Lease"),
    ("events.k8s.io", "Event"), ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"), ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding")})
#: kinds whose DELETE answers with the deleted object rather than a Status: upstream's
#: ``ReturnDeletedObject: true`` stores (pkg/registry/*/storage/storage.go), which is also
#: what makes the OpenAPI (and so the typed clients) declare the object as the reply
RETURNS_DELETED_OBJECT = frozenset({
    ("", "Pod"), ("", "Service"), ("", "ServiceAccount"), ("", "PersistentVolume"),
    ("", "PersistentVolumeClaim"), ("", "Namespace"), ("storage.k8s.io", "StorageClass")})

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apiserver/pkg/storage/names


@dataclass
class DeleteOptions:
    """The parts of ``meta/v1 DeleteOptions`` the registry honours."""

    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    precondition_uid: str | None = None
    precondition_rv: str | None = None
    dry_run: bool = False

    @classmethod
    def from_dict(cls, body: dict[str, Any] | None) -> DeleteOptions:
        body = body or {}
        pre = body.get("preconditions") or {}
        policy = body.get("propagationPolicy")
        orphan = body.get("orphanDependents")
        dry = body.get("dryRun") or []
        # apimachinery's ValidateDeleteOptions, in its order
        causes = []
        if policy is not None and orphan is not None:
            causes.append(errors.Cause(
                "FieldValueInvalid", f'Invalid value: "{policy}": orphanDependents and '
                "deletionPropagation cannot be both set", "propagationPolicy"))
        if policy is not None and policy not in ("Orphan", "Background", "Foreground"):
            causes.append(errors.Cause(
                "FieldValueNotSupported",
                f'Unsupported value: "{policy}": supported values: "Foreground", '
                f'"Background", "Orphan", "nil"', "propagationPolicy"))
        if any(value != "All" for value in dry):
            listed = ", ".join(f'"{value}"' for value in dry)
            causes.append(errors.Cause(
                "FieldValueNotSupported",
                f'Unsupported value: []string{{{listed}}}: supported values: "All"', "dryRun"))
        if causes:
            raise errors.Invalid("DeleteOptions", "", causes, "meta.k8s.io")
        if policy is None and orphan is not None:
            policy = "Orphan" if orphan else "Background"
        grace = body.get("gracePeriodSeconds")
        if grace is not None and not isinstance(grace, int):
            raise errors.BadRequest(f"gracePeriodSeconds must be an integer, got {grace!r}")
        return cls(grace, policy, pre.get("uid"), pre.get("resourceVersion"), "All" in dry)


class Registry:
    """Create, read, update and delete with kube-apiserver's rules."""

    def __init__(self, store: Store, *, not_ready_toleration_seconds: int = 300,
                 unreachable_toleration_seconds: int = 300) -> None:
        self.store = store
        self.clock: Clock = store.clock
        self.not_ready_toleration_seconds = not_ready_toleration_seconds
        self.unreachable_toleration_seconds = unreachable_toleration_seconds
        self._random = random.Random()
        self._next_ip = 10

    # -- reads ---------------------------------------------------------------

    def get(self, rt: ResourceType, namespace: str, name: str) -> Stored:
        stored = self.store.get(rt, namespace if rt.namespaced else "", name)
        if stored is None:
            raise errors.NotFound(rt.plural, name, rt.group)
        return stored

    def items(self, rt: ResourceType, namespace: str | None) -> Iterator[Stored]:
        return self.store.items(rt, namespace if rt.namespaced else None)

    # -- create --------------------------------------------------------------

    def create(self, rt: ResourceType, namespace: str | None, obj: dict[str, Any], *,
               dry_run: bool = False) -> Stored:
        """Create ``obj`` (already decoded and type-checked) in ``namespace``."""
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        if rt.namespaced:
            ns = namespace or meta.get("namespace") or "default"
            if meta.get("namespace") and meta["namespace"] != ns:
                raise errors.BadRequest(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request")
            meta["namespace"] = ns
            self._check_namespace_open(rt, ns, meta.get("name") or meta.get("generateName", ""))
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            # Upstream answers 500 here (storage.ErrResourceVersionSetOnCreate); the input is
            # the client's mistake, so the simulator answers 400 with the same words.
            raise errors.BadRequest("resourceVersion should not be set on objects to be created")
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = self._generate_name(rt, meta.get("namespace", ""), meta["generateName"])
        for field in ("uid", "creationTimestamp", "deletionTimestamp",
                      "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(field, None)
        admission.default(rt, obj)
        self._prepare_create(rt, obj)
        causes = admission.validate_create(rt, obj)
        if causes:
            raise errors.Invalid(rt.kind, meta.get("name", ""), causes, rt.group)
        if dry_run:
            if self.store.get(rt, meta.get("namespace", ""), meta["name"]) is not None:
                raise errors.AlreadyExists(rt.plural, meta["name"], rt.group)
            meta.setdefault("creationTimestamp", self.clock.timestamp())
            return Stored(obj)
        return self.store.create(rt, obj)

    def _check_namespace_open(self, rt: ResourceType, namespace: str, name: str) -> None:
        if rt.kind == "Namespace":
            return
        assert NAMESPACES is not None
        ns = self.store.get(NAMESPACES, "", namespace)
        if ns is None:
            raise errors.NotFound("namespaces", namespace)
        phase = (ns.obj.get("status") or {}).get("phase")
        if ns.meta.get("deletionTimestamp") or phase == "Terminating":
            err = errors.Forbidden(
                f'{rt.qualified} "{name}" is forbidden: unable to create new content in '
                f"namespace {namespace} because it is being terminated", rt.plural, name, rt.group)
            err.causes.append(errors.Cause(
                "NamespaceTerminating",
                f"namespace {namespace} is being terminated", "metadata.namespace"))
            raise err

    def _generate_name(self, rt: ResourceType, namespace: str, prefix: str) -> str:
        # k8s.io/apiserver/pkg/storage/names: the prefix is cut so the name fits in 63
        # characters, then five random characters; 1.32 retries a taken name (RetryGenerateName).
        base = prefix[: 63 - 5]
        for _ in range(8):
            name = base + "".join(self._random.choice(_NAME_CHARS) for _ in range(5))
            if self.store.get(rt, namespace, name) is None:
                return name
        raise errors.AlreadyExists(rt.plural, base, rt.group)

    def _prepare_create(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        """Upstream's order: admission plugins, then the kind's PrepareForCreate."""
        if rt.kind == "Pod" and not rt.group:
            admission.admit_pod(obj, not_ready_seconds=self.not_ready_toleration_seconds,
                                unreachable_seconds=self.unreachable_toleration_seconds)
            self._check_service_account(obj)
        admission.prepare_for_create(rt, obj, now=self.clock.timestamp())
        if rt.kind == "Service" and not rt.group:
            self._allocate_cluster_ip(obj)

    def _check_service_account(self, pod: dict[str, Any]) -> None:
        # plugin/pkg/admission/serviceaccount: the pod's service account must exist.
        spec = pod.get("spec") or {}
        sa = spec.get("serviceAccountName") or "default"
        ns = pod["metadata"]["namespace"]
        assert SERVICEACCOUNTS is not None
        if self.store.get(SERVICEACCOUNTS, ns, sa) is None:
            name = pod["metadata"].get("name", "")
            raise errors.Forbidden(
                f'pods "{name}" is forbidden: error looking up service account {ns}/{sa}: '
                f'serviceaccount "{sa}" not found', "pods", name)

    def _allocate_cluster_ip(self, svc: dict[str, Any]) -> None:
        spec = svc.setdefault("spec", {})
        if spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None":
            if spec.get("clusterIP") == "None":
                spec["clusterIPs"] = ["None"]
            return
        if spec.get("clusterIP"):
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
            return
        # 10.96.0.0/12 is kind's (and kubeadm's) default service CIDR; .1 is `kubernetes`.
        used = {s.obj.get("spec", {}).get("clusterIP") for s in self.store.items(
            svc_rt(), None)}
        network = ipaddress.ip_network("10.96.0.0/12")
        while True:
            ip = str(network[self._next_ip])
            self._next_ip += 1
            if ip not in used:
                break
        spec["clusterIP"] = ip
        spec["clusterIPs"] = [ip]

    # -- update --------------------------------------------------------------

    def update(self, rt: ResourceType, namespace: str | None, name: str,
               obj: dict[str, Any], *, subresource: str | None = None,
               dry_run: bool = False) -> tuple[Stored, bool]:
        """Replace an object (PUT); returns the stored version and whether it was created."""
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if meta.get("name") and meta["name"] != name:
            raise errors.BadRequest(
                f"the name of the object ({meta['name']}) does not match the name on the URL "
                f"({name})")
        meta["name"] = name
        ns = (namespace or "") if rt.namespaced else ""
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != ns:
                raise errors.BadRequest(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request")
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        old = self.store.get(rt, ns, name)
        if old is None:
            if subresource is None and (rt.group, rt.kind) in _CREATE_ON_UPDATE:
                meta.pop("resourceVersion", None)
                return self.create(rt, namespace, obj, dry_run=dry_run), True
            raise errors.NotFound(rt.plural, name, rt.group)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        expect_rv = meta.get("resourceVersion") or None
        if expect_rv and expect_rv != old.meta["resourceVersion"]:
            raise errors.Conflict(
                rt.plural, name,
                "the object has been modified; please apply your changes to the latest "
                "version and try again", rt.group)
        if meta.get("uid") and meta["uid"] != old.meta["uid"]:
            raise errors.Conflict(
                rt.plural, name,
                f"Precondition failed: UID in precondition: {meta['uid']}, UID in object "
                f"meta: {old.meta['uid']}", rt.group)
        new = self._merge_for_update(rt, obj, old, subresource)
        if subresource is None:
            admission.default(rt, new)
            if rt.kind == "Pod" and not rt.group:
                admission.admit_pod(new, not_ready_seconds=self.not_ready_toleration_seconds,
                                    unreachable_seconds=self.unreachable_toleration_seconds,
                                    operation="UPDATE", old=old.obj)
            admission.prepare_for_update(rt, new, old.obj)
        causes = admission.validate_update(rt, new, old.obj, subresource=subresource)
        deleting = old.meta.get("deletionTimestamp")
        if deleting:
            added = set(new["metadata"].get("finalizers") or []) - set(
                old.meta.get("finalizers") or [])
            if added:
                causes.append(errors.Cause(
                    "FieldValueForbidden",
                    "Forbidden: no new finalizers can be added if the object is being deleted, "
                    f"found new finalizers {sorted(added)!r}".replace("'", '"'),
                    "metadata.finalizers"))
        if causes:
            raise errors.Invalid(rt.kind, name, causes, rt.group)
        if _same(new, old.obj):
            return old, False
        if dry_run:
            return Stored(new), False
        stored = self.store.replace(rt, new)
        if deleting and not new["metadata"].get("finalizers") and not self._grace_pending(stored):
            self.store.remove(rt, ns, name)
        return stored, False

    def _merge_for_update(self, rt: ResourceType, obj: dict[str, Any], old: Stored,
                          subresource: str | None) -> dict[str, Any]:
        if subresource == "status":
            new = _successor(old)
            new["status"] = obj.get("status") or {}
            new["metadata"]["resourceVersion"] = old.meta["resourceVersion"]
            if rt.group == "apps" and rt.kind == "Deployment":
                # deploymentStatusStrategy keeps only spec and labels of the stored object:
                # the controller records deployment.kubernetes.io/revision with its status
                annotations = (obj.get("metadata") or {}).get("annotations")
                if annotations:
                    new["metadata"]["annotations"] = annotations
                else:
                    new["metadata"].pop("annotations", None)
            if "managedFields" in (obj.get("metadata") or {}):
                new["metadata"]["managedFields"] = obj["metadata"]["managedFields"]
            return new
        new = obj
        meta = new["metadata"]
        for field in ("uid", "creationTimestamp", "deletionTimestamp",
                      "deletionGracePeriodSeconds", "generation"):
            if field in old.meta:
                meta[field] = old.meta[field]
            else:
                meta.pop(field, None)
        return new

    def finalize_namespace(self, name: str, obj: dict[str, Any]) -> Stored:
        """``PUT /api/v1/namespaces/{name}/finalize``: set spec.finalizers."""
        assert NAMESPACES is not None
        old = self.get(NAMESPACES, "", name)
        new = old.copy()
        new["spec"]["finalizers"] = list((obj.get("spec") or {}).get("finalizers") or [])
        stored = self.store.replace(NAMESPACES, new)
        if (new["metadata"].get("deletionTimestamp") and not new["spec"]["finalizers"]
                and not new["metadata"].get("finalizers")):
            self.store.remove(NAMESPACES, "", name)
        return stored

    # -- binding -------------------------------------------------------------

    def bind(self, namespace: str, name: str, binding: dict[str, Any]) -> None:
        """``pods/binding``: set the pod's node, as pkg/registry/core/pod/storage/storage.go."""
        assert PODS is not None
        target = binding.get("target") or {}
        node = target.get("name")
        if not node:
            raise errors.Invalid("Binding", name, [errors.Cause(
                "FieldValueRequired", "Required value", "target.name")])
        if target.get("kind") not in (None, "", "Node"):
            raise errors.Invalid("Binding", name, [errors.Cause(
                "FieldValueNotSupported", f'Unsupported value: "{target.get("kind")}": '
                'supported values: "Node", "<empty>"', "target.kind")])
        pod = self.get(PODS, namespace, name)
        if pod.meta.get("deletionTimestamp"):
            raise errors.Conflict("pods/binding", name,
                                  f"pod {name} is being deleted, cannot be assigned to a host")
        current = (pod.obj.get("spec") or {}).get("nodeName")
        if current:
            # assignPod: a plain error from the update becomes a Conflict on pods/binding
            raise errors.Conflict("pods/binding", name,
                                  f"pod {name} is already assigned to node \"{current}\"")
        new = _successor(pod)
        new["spec"] = {**new["spec"], "nodeName": node}
        new["status"] = dict(new.get("status", {}))
        conditions = [c for c in new["status"].get("conditions") or []
                      if c.get("type") != "PodScheduled"]
        conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                           "lastTransitionTime": self.clock.timestamp()})
        new["status"]["conditions"] = conditions
        self.store.replace(PODS, new)

    # -- delete --------------------------------------------------------------

    def delete(self, rt: ResourceType, namespace: str | None, name: str,
               options: DeleteOptions) -> tuple[Stored, bool]:
        """Delete with upstream's rules; returns the last state and whether it is gone."""
        ns = (namespace or "") if rt.namespaced else ""
        old = self.get(rt, ns, name)
        if options.precondition_uid and options.precondition_uid != old.meta["uid"]:
            raise errors.Conflict(
                rt.plural, name,
                f"Precondition failed: UID in precondition: {options.precondition_uid}, UID in "
                f"object meta: {old.meta['uid']}", rt.group)
        if options.precondition_rv and options.precondition_rv != old.meta["resourceVersion"]:
            raise errors.Conflict(
                rt.plural, name,
                f"Precondition failed: ResourceVersion in precondition: "
                f"{options.precondition_rv}, ResourceVersion in object meta: "
                f"{old.meta['resourceVersion']}", rt.group)
        new = old.copy()
        meta = new["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        policy = options.propagation_policy
        if policy == "Orphan":
            finalizers = [f for f in finalizers if f != "foregroundDeletion"]
            if "orphan" not in finalizers:
                finalizers.append("orphan")
        elif policy == "Foreground":
            finalizers = [f for f in finalizers if f != "orphan"]
            if "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
        elif policy == "Background":
            finalizers = [f for f in finalizers if f not in ("orphan", "foregroundDeletion")]
        grace = self._grace_period(rt, old, options)
        spec_finalizers = rt.kind == "Namespace" and (new.get("spec") or {}).get("finalizers")
        # Pods always delete gracefully (CheckGracefulDelete is true even for a grace period
        # of 0): the deletionTimestamp is written first (a MODIFIED event), then the pod goes.
        graceful = rt.kind == "Pod" and not rt.group and not meta.get("deletionTimestamp")
        if not finalizers and not grace and not spec_finalizers and not graceful:
            if options.dry_run:
                return old, True
            return self.store.remove(rt, ns, name, old.meta["uid"]), True
        now = self.clock.now()
        if meta.get("deletionTimestamp"):
            current = meta.get("deletionGracePeriodSeconds") or 0
            if grace < current:
                meta["deletionTimestamp"] = _ts(self.clock, now + grace)
                meta["deletionGracePeriodSeconds"] = grace
        else:
            meta["deletionTimestamp"] = _ts(self.clock, now + grace)
            meta["deletionGracePeriodSeconds"] = grace
            if "generation" in meta:
                meta["generation"] = int(meta["generation"]) + 1
        if finalizers:
            meta["finalizers"] = finalizers
        else:
            meta.pop("finalizers", None)
        if rt.kind == "Namespace" and not rt.group:
            new.setdefault("status", {})["phase"] = "Terminating"
            # namespace storage.go Delete sets the timestamp and phase only: no grace period
            meta.pop("deletionGracePeriodSeconds", None)
        if options.dry_run:
            return Stored(new), False
        if _same(new, old.obj):
            return old, False
        stored = self.store.replace(rt, new)
        if grace == 0 and not finalizers and not spec_finalizers:
            return self.store.remove(rt, ns, name), True
        return stored, False

    def _grace_period(self, rt: ResourceType, old: Stored, options: DeleteOptions) -> int:
        """pkg/registry/core/pod/strategy.go CheckGracefulDelete; other kinds delete at once."""
        if rt.kind != "Pod" or rt.group:
            return 0
        spec = old.obj.get("spec") or {}
        grace = options.grace_period_seconds
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", 30)
        if not spec.get("nodeName"):
            return 0
        if (old.obj.get("status") or {}).get("phase") in ("Failed", "Succeeded"):
            return 0
        return max(0, int(grace or 0))

    def _grace_pending(self, stored: Stored) -> bool:
        return bool(stored.meta.get("deletionGracePeriodSeconds"))


def svc_rt() -> ResourceType:
    rt = by_path("", "v1", "services")
    assert rt is not None
    return rt


def _ts(clock: Clock, epoch: float) -> str:
    from chaoszone.sim.clock import format_time

    return format_time(epoch)


def _successor(old: Stored) -> dict[str, Any]:
    """A next version of ``old`` for a write that replaces whole fields (status, spec):
    its own copy of the metadata, which every write stamps, and the stored version's other
    fields themselves, shared, not copied (stored versions are never changed in place;
    a field that changes is replaced). A JSON copy of a whole pod costs more than the
    rest of its status write."""
    new = dict(old.obj)
    new["metadata"] = json.loads(json.dumps(old.meta))
    return new


def _same(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """Whether an update changes nothing but bookkeeping (upstream skips such writes)."""
    if new.keys() != old.keys():
        return False
    for key, value in new.items():
        if key == "metadata":
            nm, om = value, old["metadata"]
            keys = (nm.keys() | om.keys()) - {"resourceVersion", "managedFields"}
            if any(nm.get(k) != om.get(k) for k in keys):
                return False
        elif value != old[key]:
            return False
    return True
