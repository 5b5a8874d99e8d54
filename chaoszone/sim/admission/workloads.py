"""Validation of the workload kinds: apps/v1 Deployment, ReplicaSet, StatefulSet,
DaemonSet, ControllerRevision, batch/v1 Job and policy/v1 PodDisruptionBudget.

Create: replicas and other counts non-negative; a selector that is present, non-empty,
well formed and matches the template's labels (``spec.template.metadata.labels: Invalid
value: map[string]string{...}: `selector` does not match template `labels```); the pod
template (full PodSpec rules, except StatefulSet, whose template upstream only checks for
labels and annotations); restart policy ``Always`` for the long-running kinds and
``OnFailure``/``Never`` for Jobs; strategies (25% / 1 / partition), the Job's generated
selector and labels, PDB minAvailable xor maxUnavailable.

Update: the selector of Deployment, ReplicaSet, DaemonSet and Job is immutable
(``spec.selector: Invalid value: v1.LabelSelector{...}: field is immutable``); a
StatefulSet may change only replicas, ordinals, template, updateStrategy,
persistentVolumeClaimRetentionPolicy and minReadySeconds; a Job's template is immutable
(except the scheduling directives of a suspended Job that never started), so are
completionMode, podFailurePolicy, backoffLimitPerIndex, managedBy and successPolicy, and
completions may change only for Indexed Jobs, in step with parallelism.

Upstream (release-1.32): pkg/apis/apps/validation/validation.go,
pkg/registry/apps/{deployment,replicaset,daemonset}/strategy.go (selector immutability for
apps/v1), pkg/apis/batch/validation/validation.go, pkg/apis/policy/validation/validation.go.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from chaoszone.sim.admission import causes as c
from chaoszone.sim.admission.defaults import (
    JOB_CONTROLLER_UID_LABEL,
    JOB_NAME_LABEL,
    LEGACY_JOB_CONTROLLER_UID_LABEL,
    LEGACY_JOB_NAME_LABEL,
)
from chaoszone.sim.admission.meta import (
    FIELD_IMMUTABLE,
    selector_convertible,
    selector_is_empty,
    selector_matches,
    validate_annotations,
    validate_immutable,
    validate_label_selector,
    validate_labels,
    validate_nonnegative,
)
from chaoszone.sim.admission.names import is_dns1123_label, is_valid_percent
from chaoszone.sim.admission.podspec import semantic, validate_pod_template
from chaoszone.sim.errors import Cause

__all__ = [
    "validate_controller_revision",
    "validate_daemon_set",
    "validate_deployment",
    "validate_job",
    "validate_job_update",
    "validate_pdb",
    "validate_replica_set",
    "validate_selector_immutable",
    "validate_stateful_set",
    "validate_stateful_set_update",
]


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


# -- int-or-percent -------------------------------------------------------------------------------

def _percent(value: Any) -> int | None:
    if isinstance(value, str) and not is_valid_percent(value):
        return int(value[:-1])
    return None


def _int_or_percent_value(value: Any) -> int:
    pct = _percent(value)
    if pct is not None:
        return pct
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return 0
    return 0


def _int_or_str_repr(value: Any) -> c.GoRepr:
    """``IntOrString`` prints through its ``String()``: no quotes."""
    return c.GoRepr("null" if value is None else str(value))


def _positive_int_or_percent(value: Any, path: str) -> list[Cause]:
    if isinstance(value, str):
        return [c.invalid(path, _int_or_str_repr(value), m) for m in is_valid_percent(value)]
    if isinstance(value, int) and not isinstance(value, bool):
        return validate_nonnegative(value, path)
    return [c.invalid(path, _int_or_str_repr(value),
                      "must be an integer or percentage (e.g '5%%')")]


def _not_more_than_100_percent(value: Any, path: str) -> list[Cause]:
    pct = _percent(value)
    if pct is not None and pct > 100:
        return [c.invalid(path, _int_or_str_repr(value), "must not be greater than 100%")]
    return []


# -- selectors and templates ----------------------------------------------------------------------

def _selector(spec: Mapping[str, Any], path: str, kind: str) -> list[Cause]:
    selector = spec.get("selector")
    if selector is None:
        return [c.required(c.join(path, "selector"))]
    out = validate_label_selector(selector, c.join(path, "selector"))
    if selector_is_empty(selector):
        out.append(c.invalid(c.join(path, "selector"), c.label_selector_repr(selector),
                             f"empty selector is invalid for {kind}"))
    return out


def _template_labels_match(spec: Mapping[str, Any], path: str) -> list[Cause]:
    selector = spec.get("selector")
    labels = _m(_m(spec.get("template")).get("metadata")).get("labels")
    if selector is None or not selector_convertible(selector) or selector_is_empty(selector):
        return []
    if selector_matches(selector, labels):
        return []
    return [c.invalid(c.join(path, "template", "metadata", "labels"),
                      c.string_map_repr(labels if isinstance(labels, dict) else None),
                      "`selector` does not match template `labels`")]


def _replica_set_template(spec: Mapping[str, Any], path: str, kind: str) -> list[Cause]:
    """``ValidatePodTemplateSpecForReplicaSet`` (also used by Deployments)."""
    out = _template_labels_match(spec, path)
    template = spec.get("template")
    template_path = c.join(path, "template")
    out += validate_pod_template(template, template_path)
    pod_spec = _m(_m(template).get("spec"))
    restart = pod_spec.get("restartPolicy") or ""
    if restart != "Always":
        out.append(c.not_supported(c.join(template_path, "spec", "restartPolicy"), restart,
                                   ("Always",)))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        out.append(c.forbidden(c.join(template_path, "spec", "activeDeadlineSeconds"),
                               f"activeDeadlineSeconds in {kind} is not Supported"))
    return out


# -- Deployment, ReplicaSet, DaemonSet ------------------------------------------------------------

def validate_deployment(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateDeploymentSpec``."""
    spec = _m(obj.get("spec"))
    path = "spec"
    out = validate_nonnegative(spec.get("replicas"), c.join(path, "replicas"))
    out += _selector(spec, path, "deployment")
    out += _replica_set_template(spec, path, "ReplicaSet")
    strategy = _m(spec.get("strategy"))
    strategy_path = c.join(path, "strategy")
    kind = strategy.get("type") or ""
    if kind == "Recreate":
        if strategy.get("rollingUpdate") is not None:
            out.append(c.forbidden(c.join(strategy_path, "rollingUpdate"),
                                   "may not be specified when strategy `type` is 'Recreate'"))
    elif kind == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            out.append(c.required(c.join(strategy_path, "rollingUpdate"),
                                  "this should be defaulted and never be nil"))
        else:
            ru_path = c.join(strategy_path, "rollingUpdate")
            unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
            out += _positive_int_or_percent(unavailable, c.join(ru_path, "maxUnavailable"))
            out += _positive_int_or_percent(surge, c.join(ru_path, "maxSurge"))
            if _int_or_percent_value(unavailable) == 0 and _int_or_percent_value(surge) == 0:
                out.append(c.invalid(c.join(ru_path, "maxUnavailable"),
                                     _int_or_str_repr(unavailable),
                                     "may not be 0 when `maxSurge` is 0"))
            out += _not_more_than_100_percent(unavailable, c.join(ru_path, "maxUnavailable"))
    else:
        out.append(c.not_supported(strategy_path, c.GoRepr("apps.DeploymentStrategy{...}"),
                                   ("Recreate", "RollingUpdate")))
    min_ready = spec.get("minReadySeconds") or 0
    out += validate_nonnegative(min_ready, c.join(path, "minReadySeconds"))
    out += validate_nonnegative(spec.get("revisionHistoryLimit"),
                                c.join(path, "revisionHistoryLimit"))
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None:
        out += validate_nonnegative(deadline, c.join(path, "progressDeadlineSeconds"))
        if isinstance(deadline, int) and deadline <= min_ready:
            out.append(c.invalid(c.join(path, "progressDeadlineSeconds"), deadline,
                                 "must be greater than minReadySeconds"))
    return out


def validate_replica_set(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateReplicaSetSpec`` (upstream's message says "deployment" here too)."""
    spec = _m(obj.get("spec"))
    out = validate_nonnegative(spec.get("replicas"), "spec.replicas")
    out += validate_nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    out += _selector(spec, "spec", "deployment")
    out += _replica_set_template(spec, "spec", "ReplicaSet")
    return out


def validate_daemon_set(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateDaemonSetSpec``."""
    spec = _m(obj.get("spec"))
    selector = spec.get("selector")
    out = validate_label_selector(selector, "spec.selector")
    labels = _m(_m(spec.get("template")).get("metadata")).get("labels")
    if selector_convertible(selector) and not selector_matches(selector, labels):
        out.append(c.invalid("spec.template.metadata.labels",
                             c.string_map_repr(labels if isinstance(labels, dict) else None),
                             "`selector` does not match template `labels`"))
    if selector is not None and selector_is_empty(selector):
        out.append(c.invalid("spec.selector", c.label_selector_repr(selector),
                             "empty selector is invalid for daemonset"))
    out += validate_pod_template(spec.get("template"), "spec.template")
    pod_spec = _m(_m(spec.get("template")).get("spec"))
    restart = pod_spec.get("restartPolicy") or ""
    if restart != "Always":
        out.append(c.not_supported("spec.template.spec.restartPolicy", restart, ("Always",)))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        out.append(c.forbidden("spec.template.spec.activeDeadlineSeconds",
                               "activeDeadlineSeconds in DaemonSet is not Supported"))
    out += validate_nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    strategy = _m(spec.get("updateStrategy"))
    kind = strategy.get("type") or ""
    if kind == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            out.append(c.required("spec.updateStrategy.rollingUpdate"))
        else:
            ru = "spec.updateStrategy.rollingUpdate"
            unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
            out += _positive_int_or_percent(unavailable, c.join(ru, "maxUnavailable"))
            out += _positive_int_or_percent(surge, c.join(ru, "maxSurge"))
            out += _not_more_than_100_percent(unavailable, c.join(ru, "maxUnavailable"))
            out += _not_more_than_100_percent(surge, c.join(ru, "maxSurge"))
            has_unavailable = _int_or_percent_value(unavailable) != 0
            has_surge = _int_or_percent_value(surge) != 0
            if has_unavailable and has_surge:
                out.append(c.invalid(c.join(ru, "maxSurge"), _int_or_str_repr(surge),
                                     "may not be set when maxUnavailable is non-zero"))
            elif not has_unavailable and not has_surge:
                out.append(c.required(c.join(ru, "maxUnavailable"),
                                      "cannot be 0 when maxSurge is 0"))
    elif kind != "OnDelete":
        out.append(c.not_supported("spec.updateStrategy",
                                   c.GoRepr("apps.DaemonSetUpdateStrategy{...}"),
                                   ("RollingUpdate", "OnDelete")))
    out += validate_nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    return out


def validate_selector_immutable(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    """apps/v1 strategies (and ``ValidateJobSpecUpdate``): ``spec.selector`` never changes."""
    new_sel = _m(new.get("spec")).get("selector")
    old_sel = _m(old.get("spec")).get("selector")
    if semantic(new_sel) == semantic(old_sel):
        return []
    return [c.invalid("spec.selector", c.label_selector_repr(new_sel), FIELD_IMMUTABLE)]


# -- StatefulSet ----------------------------------------------------------------------------------

def validate_stateful_set(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidateStatefulSetSpec``."""
    spec = _m(obj.get("spec"))
    out: list[Cause] = []
    policy = spec.get("podManagementPolicy") or ""
    if not policy:
        out.append(c.required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        out.append(c.invalid("spec.podManagementPolicy", policy,
                             "must be 'OrderedReady' or 'Parallel'"))
    strategy = _m(spec.get("updateStrategy"))
    kind = strategy.get("type") or ""
    rolling = strategy.get("rollingUpdate")
    if not kind:
        out.append(c.required("spec.updateStrategy"))
    elif kind == "OnDelete":
        if rolling is not None:
            out.append(c.invalid("spec.updateStrategy.rollingUpdate",
                                 c.GoRepr("apps.RollingUpdateStatefulSetStrategy{...}"),
                                 "only allowed for updateStrategy 'RollingUpdate'"))
    elif kind == "RollingUpdate":
        if isinstance(rolling, dict):
            out += validate_nonnegative(rolling.get("partition"),
                                        "spec.updateStrategy.rollingUpdate.partition")
    else:
        out.append(c.invalid("spec.updateStrategy", c.GoRepr("apps.StatefulSetUpdateStrategy{...}"),
                             "must be 'RollingUpdate' or 'OnDelete'"))
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    if isinstance(retention, dict):
        for name in ("whenDeleted", "whenScaled"):
            value = retention.get(name) or ""
            if value not in ("Retain", "Delete"):
                out.append(c.not_supported(
                    c.join("spec.persistentVolumeClaimRetentionPolicy", name), value,
                    ("Retain", "Delete")))
    out += validate_nonnegative(spec.get("replicas"), "spec.replicas")
    out += validate_nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        out += validate_nonnegative(ordinals.get("start"), "spec.ordinals.start")
    out += _selector(spec, "spec", "statefulset")
    out += _template_labels_match(spec, "spec")
    template_meta = _m(_m(spec.get("template")).get("metadata"))
    out += validate_labels(template_meta.get("labels"), "spec.template.labels")
    out += validate_annotations(template_meta.get("annotations"), "spec.template.annotations")
    pod_spec = _m(_m(spec.get("template")).get("spec"))
    restart = pod_spec.get("restartPolicy") or ""
    if restart != "Always":
        out.append(c.not_supported("spec.template.spec.restartPolicy", restart, ("Always",)))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        out.append(c.forbidden("spec.template.spec.activeDeadlineSeconds",
                               "activeDeadlineSeconds in StatefulSet is not Supported"))
    return out


_STS_MUTABLE = ("replicas", "template", "updateStrategy", "minReadySeconds", "ordinals",
                "persistentVolumeClaimRetentionPolicy")


def validate_stateful_set_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    """``ValidateStatefulSetUpdate``: the spec minus the mutable fields must not change."""
    new_spec = {k: v for k, v in _m(new.get("spec")).items() if k not in _STS_MUTABLE}
    old_spec = {k: v for k, v in _m(old.get("spec")).items() if k not in _STS_MUTABLE}
    if semantic(new_spec) == semantic(old_spec):
        return []
    return [c.forbidden("spec", "updates to statefulset spec for fields other than 'replicas', "
                                "'ordinals', 'template', 'updateStrategy', "
                                "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' "
                                "are forbidden")]


# -- ControllerRevision ---------------------------------------------------------------------------

def validate_controller_revision(obj: Mapping[str, Any]) -> list[Cause]:
    out: list[Cause] = []
    if obj.get("data") is None:
        out.append(c.required("data", "data is mandatory"))
    out += validate_nonnegative(obj.get("revision"), "revision")
    return out


# -- Job ------------------------------------------------------------------------------------------

_MAX_PARALLELISM_INDEXED = 100000


def _has_label(template_meta: Mapping[str, Any], key: str, expected: str) -> list[Cause]:
    labels = _m(template_meta.get("labels"))
    path = c.key("spec.template.metadata.labels", key)
    if key not in labels:
        return [c.required(path, f"must be '{expected}'")]
    if labels[key] != expected:
        return [c.invalid(path, c.string_map_repr(labels), f"must be '{expected}'")]
    return []


def _generated_selector(obj: Mapping[str, Any], require_prefixed: bool) -> list[Cause]:
    """``validateGeneratedSelector``."""
    spec = _m(obj.get("spec"))
    meta = _m(obj.get("metadata"))
    if spec.get("manualSelector") is True or spec.get("selector") is None:
        return []
    out: list[Cause] = []
    uid = str(meta.get("uid") or "")
    name = str(meta.get("name") or "")
    if not uid:
        out.append(c.required("metadata.uid"))
    template_meta = _m(_m(spec.get("template")).get("metadata"))
    out += _has_label(template_meta, LEGACY_JOB_CONTROLLER_UID_LABEL, uid)
    out += _has_label(template_meta, LEGACY_JOB_NAME_LABEL, name)
    expected = {LEGACY_JOB_CONTROLLER_UID_LABEL: uid, LEGACY_JOB_NAME_LABEL: name}
    if require_prefixed:
        out += _has_label(template_meta, JOB_CONTROLLER_UID_LABEL, uid)
        out += _has_label(template_meta, JOB_NAME_LABEL, name)
        expected[JOB_CONTROLLER_UID_LABEL] = uid
        expected[JOB_NAME_LABEL] = name
    selector = spec.get("selector")
    if selector_convertible(selector) and not selector_matches(selector, expected):
        out.append(c.invalid("spec.selector", c.label_selector_repr(selector),
                             "`selector` not auto-generated"))
    return out


def validate_job(obj: Mapping[str, Any], *, require_prefixed_labels: bool = True) -> list[Cause]:
    """``ValidateJob`` (metadata is validated by the caller)."""
    spec = _m(obj.get("spec"))
    meta = _m(obj.get("metadata"))
    out = _generated_selector(obj, require_prefixed_labels)
    mode = spec.get("completionMode")
    completions = spec.get("completions")
    if mode == "Indexed" and isinstance(completions, int) and completions > 0:
        hostname = f"{meta.get('name', '')}-{completions - 1}"
        if is_dns1123_label(hostname):
            out.append(c.invalid("metadata.name", str(meta.get("name", "")),
                                 f"will not able to create pod with invalid DNS label: "
                                 f"{hostname}"))
    for name in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                 "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"):
        out += validate_nonnegative(spec.get(name), c.join("spec", name))
    if spec.get("maxFailedIndexes") is not None and spec.get("backoffLimitPerIndex") is None:
        out.append(c.required("spec.backoffLimitPerIndex", "when maxFailedIndexes is specified"))
    if mode is not None:
        if mode not in ("NonIndexed", "Indexed"):
            out.append(c.not_supported("spec.completionMode", mode, ("NonIndexed", "Indexed")))
        if mode == "Indexed":
            if completions is None:
                out.append(c.required("spec.completions", "when completion mode is Indexed"))
            parallelism = spec.get("parallelism")
            if isinstance(parallelism, int) and parallelism > _MAX_PARALLELISM_INDEXED:
                out.append(c.invalid("spec.parallelism", parallelism,
                                     f"must be less than or equal to {_MAX_PARALLELISM_INDEXED} "
                                     "when completion mode is Indexed"))
    if mode in (None, "NonIndexed"):
        for name in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(name) is not None:
                out.append(c.invalid(c.join("spec", name), spec[name],
                                     "requires indexed completion mode"))
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None:
        if spec.get("podFailurePolicy") is not None:
            if replacement != "Failed":
                out.append(c.not_supported("spec.podReplacementPolicy", replacement, ("Failed",)))
        elif replacement not in ("Failed", "TerminatingOrFailed"):
            out.append(c.not_supported("spec.podReplacementPolicy", replacement,
                                       ("Failed", "TerminatingOrFailed")))
    out += validate_pod_template(spec.get("template"), "spec.template")
    restart = _m(_m(spec.get("template")).get("spec")).get("restartPolicy") or ""
    restart_path = "spec.template.spec.restartPolicy"
    if restart in ("Always", ""):
        out.append(c.required(restart_path, 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        out.append(c.not_supported(restart_path, restart, ("OnFailure", "Never")))
    elif spec.get("podFailurePolicy") is not None and restart != "Never":
        out.append(c.invalid(restart_path, restart,
                             'only "Never" is supported when podFailurePolicy is specified'))
    selector = spec.get("selector")
    if selector is None:
        out.append(c.required("spec.selector"))
    else:
        out += validate_label_selector(selector, "spec.selector")
    labels = _m(_m(spec.get("template")).get("metadata")).get("labels")
    if selector_convertible(selector) and not selector_matches(selector, labels):
        out.append(c.invalid("spec.template.metadata.labels",
                             c.string_map_repr(labels if isinstance(labels, dict) else None),
                             "`selector` does not match template `labels`"))
    return out


_JOB_IMMUTABLE = ("completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy",
                  "successPolicy")


def _json_repr(value: Any) -> c.GoRepr:
    return c.GoRepr(c.go_value(value) if not isinstance(value, str) else c.go_quote(value))


def validate_job_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    """``ValidateJobSpecUpdate`` (the new Job is also validated as on create)."""
    new_spec = _m(new.get("spec"))
    old_spec = _m(old.get("spec"))
    old_template_labels = _m(_m(_m(old_spec.get("template")).get("metadata")).get("labels"))
    require_prefixed = (JOB_NAME_LABEL in old_template_labels
                        and JOB_CONTROLLER_UID_LABEL in old_template_labels)
    out = validate_job(new, require_prefixed_labels=require_prefixed)
    completions, old_completions = new_spec.get("completions"), old_spec.get("completions")
    if new_spec.get("completionMode") == "Indexed":
        if completions != old_completions and completions is not None and \
                completions != new_spec.get("parallelism"):
            out.append(c.invalid("spec.completions", completions,
                                 "can only be modified in tandem with spec.parallelism"))
    else:
        out += validate_immutable(completions, old_completions, "spec.completions")
    out += validate_selector_immutable(new, old)
    template = copy.deepcopy(dict(_m(new_spec.get("template"))))
    old_template = copy.deepcopy(dict(_m(old_spec.get("template"))))
    suspended = old_spec.get("suspend") is True
    started = bool(_m(old.get("status")).get("startTime"))
    if suspended and not started:
        # scheduling directives of a suspended Job that never started may change
        t_spec, o_spec = dict(_m(template.get("spec"))), dict(_m(old_template.get("spec")))
        for name in ("nodeSelector", "tolerations", "schedulingGates"):
            o_spec.pop(name, None)
            t_spec.pop(name, None)
        for spec_ in (t_spec, o_spec):
            affinity = dict(_m(spec_.get("affinity")))
            affinity.pop("nodeAffinity", None)
            if affinity:
                spec_["affinity"] = affinity
            else:
                spec_.pop("affinity", None)
        template["spec"], old_template["spec"] = t_spec, o_spec
        for t in (template, old_template):
            meta = dict(_m(t.get("metadata")))
            meta.pop("labels", None)
            meta.pop("annotations", None)
            t["metadata"] = meta
    if semantic(template) != semantic(old_template):
        out.append(c.invalid("spec.template", c.GoRepr("core.PodTemplateSpec{...}"),
                             FIELD_IMMUTABLE))
    for name in _JOB_IMMUTABLE:
        if semantic(new_spec.get(name)) != semantic(old_spec.get(name)):
            out.append(c.invalid(c.join("spec", name), _json_repr(new_spec.get(name)),
                                 FIELD_IMMUTABLE))
    return out


# -- PodDisruptionBudget --------------------------------------------------------------------------

def validate_pdb(obj: Mapping[str, Any]) -> list[Cause]:
    """``ValidatePodDisruptionBudgetSpec``."""
    spec = _m(obj.get("spec"))
    out: list[Cause] = []
    min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
    if min_available is not None and max_unavailable is not None:
        out.append(c.invalid("spec", c.GoRepr("policy.PodDisruptionBudgetSpec{...}"),
                             "minAvailable and maxUnavailable cannot be both set"))
    for name, value in (("minAvailable", min_available), ("maxUnavailable", max_unavailable)):
        if value is not None:
            out += _positive_int_or_percent(value, c.join("spec", name))
            out += _not_more_than_100_percent(value, c.join("spec", name))
    out += validate_label_selector(spec.get("selector"), "spec.selector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in ("AlwaysAllow", "IfHealthyBudget"):
        out.append(c.not_supported("spec.unhealthyPodEvictionPolicy", policy,
                                   ("AlwaysAllow", "IfHealthyBudget")))
    return out
