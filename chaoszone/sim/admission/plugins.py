"""The mutating admission plugins a pod passes through, in kube-apiserver's order:
ServiceAccount, Priority, DefaultTolerationSeconds.

Owns :func:`admit_pod`. On ``CREATE``:

* ServiceAccount sets ``spec.serviceAccountName`` (and the deprecated ``serviceAccount``)
  to ``default`` when empty. Mounting the projected ``kube-api-access-*`` token volume is
  optional here (``mount_service_account_token``); whether the service account exists is
  the registry's check, as it needs the store.
* Priority resolves ``priorityClassName``: no name gives priority 0 and
  ``preemptionPolicy: PreemptLowerPriority`` (no global default class in a kind cluster);
  the two built-in system classes resolve to their values; any other name, and a
  ``spec.priority`` that disagrees, is refused with 403 as upstream refuses it.
* DefaultTolerationSeconds (:mod:`.tolerations`).

On ``UPDATE`` Priority keeps the old priority and preemption policy when the new object
omits them, and DefaultTolerationSeconds runs again, so a PUT of the original manifest
still passes the "only additions to tolerations" rule.

Upstream (release-1.32): plugin/pkg/admission/serviceaccount/admission.go,
plugin/pkg/admission/priority/admission.go, pkg/apis/scheduling/types.go (system
classes), plugin/pkg/admission/defaulttolerationseconds/admission.go.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, MutableMapping
from typing import Any, Literal

from chaoszone.sim import errors
from chaoszone.sim.admission.causes import TYPE_ERRORS, wrong_type
from chaoszone.sim.admission.names import generate_name
from chaoszone.sim.admission.tolerations import default_toleration_seconds

__all__ = ["SYSTEM_PRIORITY_CLASSES", "admit_pod", "service_account_token_volume"]

#: pkg/apis/scheduling: built into every cluster, preemptionPolicy PreemptLowerPriority
SYSTEM_PRIORITY_CLASSES: dict[str, int] = {
    "system-node-critical": 2000001000,
    "system-cluster-critical": 2000000000,
}

TOKEN_VOLUME_PREFIX = "kube-api-access-"
TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


def service_account_token_volume(name: str) -> dict[str, Any]:
    """The projected volume the ServiceAccount plugin adds (``TokenVolumeSource``)."""
    return {"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt",
                       "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}}


def _mount_token(spec: MutableMapping[str, Any], rng: random.Random | None) -> None:
    volumes = list(spec.get("volumes") or [])
    existing = next((v.get("name") for v in volumes if isinstance(v, dict)
                     and str(v.get("name", "")).startswith(TOKEN_VOLUME_PREFIX)), None)
    name = existing or generate_name(TOKEN_VOLUME_PREFIX, rng)
    needs = False
    for group in ("initContainers", "containers"):
        for container in spec.get(group) or []:
            if not isinstance(container, dict):
                continue
            mounts = list(container.get("volumeMounts") or [])
            if any(isinstance(m, dict) and m.get("mountPath") == TOKEN_MOUNT_PATH
                   for m in mounts):
                continue
            mounts.append({"name": name, "readOnly": True, "mountPath": TOKEN_MOUNT_PATH})
            container["volumeMounts"] = mounts
            needs = True
    if needs and existing is None:
        volumes.append(service_account_token_volume(name))
        spec["volumes"] = volumes


def _forbidden(pod: Mapping[str, Any], why: str) -> errors.ApiError:
    name = str((pod.get("metadata") or {}).get("name") or "")
    return errors.Forbidden(f'pods "{name}" is forbidden: {why}', "pods", name)


def _priority_on_create(pod: MutableMapping[str, Any], spec: MutableMapping[str, Any],
                        classes: Mapping[str, Mapping[str, Any]]) -> None:
    class_name = spec.get("priorityClassName") or ""
    policy: str | None
    if not class_name:
        priority, policy = 0, "PreemptLowerPriority"
    elif class_name in classes:
        pc = classes[class_name]
        priority = int(pc.get("value", 0))
        policy = pc.get("preemptionPolicy") or "PreemptLowerPriority"
    elif class_name in SYSTEM_PRIORITY_CLASSES:
        priority, policy = SYSTEM_PRIORITY_CLASSES[class_name], "PreemptLowerPriority"
    else:
        raise _forbidden(pod, f"no PriorityClass with name {class_name} was found")
    given = spec.get("priority")
    if given is not None and given != priority:
        raise _forbidden(pod, f"the integer value of priority ({given}) must not be provided in "
                              f"pod spec; priority admission controller computed {priority} "
                              f"from the given PriorityClass name")
    spec["priority"] = priority
    given_policy = spec.get("preemptionPolicy")
    if given_policy is not None and given_policy != policy:
        raise _forbidden(pod, f"the string value of PreemptionPolicy ({given_policy}) must not "
                              f"be provided in pod spec; priority admission controller computed "
                              f"{policy} from the given PriorityClass name")
    spec["preemptionPolicy"] = policy


def admit_pod(pod: dict[str, Any], *, not_ready_seconds: int = 300,
              unreachable_seconds: int = 300,
              operation: Literal["CREATE", "UPDATE"] = "CREATE",
              old: Mapping[str, Any] | None = None,
              priority_classes: Mapping[str, Mapping[str, Any]] | None = None,
              mount_service_account_token: bool = False,
              rng: random.Random | None = None) -> None:
    """Run the pod admission chain on ``pod`` in place.

    ``priority_classes`` maps extra PriorityClass names to their objects (``value``,
    ``preemptionPolicy``); ``old`` is the stored pod on ``UPDATE``. Raises
    :class:`~chaoszone.sim.errors.ApiError` (403) when Priority refuses the pod.
    """
    try:
        _admit(pod, not_ready_seconds, unreachable_seconds, operation, old,
               priority_classes or {}, mount_service_account_token, rng)
    except TYPE_ERRORS as exc:
        raise wrong_type("Pod", "v1", exc) from exc


def _admit(pod: dict[str, Any], not_ready_seconds: int, unreachable_seconds: int,
           operation: str, old: Mapping[str, Any] | None,
           priority_classes: Mapping[str, Mapping[str, Any]],
           mount_service_account_token: bool, rng: random.Random | None) -> None:
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        spec = pod["spec"] = {}
    if operation == "CREATE":
        if not spec.get("serviceAccountName"):
            spec["serviceAccountName"] = "default"
        spec["serviceAccount"] = spec["serviceAccountName"]
        automount = spec.get("automountServiceAccountToken")
        if mount_service_account_token and automount is not False:
            _mount_token(spec, rng)
        _priority_on_create(pod, spec, priority_classes)
    elif old is not None:
        old_spec = old.get("spec") or {}
        for name in ("priority", "preemptionPolicy"):
            if spec.get(name) is None and old_spec.get(name) is not None:
                spec[name] = old_spec[name]
    default_toleration_seconds(pod, not_ready_seconds=not_ready_seconds,
                               unreachable_seconds=unreachable_seconds)
