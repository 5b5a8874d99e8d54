"""Server-side printing (``chaoszone.sim.api.tables``) against kube-apiserver 1.32's printers.

Expected cells come from upstream ``pkg/printers/internalversion/printers.go`` (and its
tests) at release-1.32; objects are plain JSON dicts as the store holds them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chaoszone.sim import errors
from chaoszone.sim.api import tables
from chaoszone.sim.resources import RESOURCES, ResourceType, by_kind

NOW = datetime(2025, 3, 10, 12, 0, 0, tzinfo=UTC)


def ts(ago: timedelta) -> str:
    return (NOW - ago).strftime("%Y-%m-%dT%H:%M:%SZ")


def res(group: str, kind: str) -> ResourceType:
    found = by_kind(group, "v1", kind)
    assert found is not None
    return found


POD = res("", "Pod")
NODE = res("", "Node")


def columns(resource: ResourceType) -> list[str]:
    return [c["name"] for c in tables.column_definitions(resource)]


def cells(resource: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """The row as {column name: cell}."""
    values = tables.row_cells(resource, obj, NOW)
    names = columns(resource)
    assert len(values) == len(names)
    return dict(zip(names, values, strict=True))


def meta(name: str = "x", **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": "default", "uid": f"uid-{name}",
            "resourceVersion": "7", "creationTimestamp": ts(timedelta(minutes=5)), **extra}


# --- pods --------------------------------------------------------------------------


def running(name: str = "app", ready: bool = True, restarts: int = 0,
            last_exit: str | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"name": name, "ready": ready, "restartCount": restarts,
                              "started": True, "image": "nginx", "imageID": "",
                              "state": {"running": {"startedAt": ts(timedelta(minutes=4))}}}
    if last_exit is not None:
        status["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                              "finishedAt": last_exit}}
    return status


def waiting(reason: str, name: str = "app", restarts: int = 0) -> dict[str, Any]:
    return {"name": name, "ready": False, "restartCount": restarts, "image": "nginx",
            "imageID": "", "state": {"waiting": {"reason": reason}}}


def terminated(name: str = "app", exit_code: int = 0, reason: str = "",
               signal: int = 0) -> dict[str, Any]:
    state: dict[str, Any] = {"exitCode": exit_code}
    if reason:
        state["reason"] = reason
    if signal:
        state["signal"] = signal
    return {"name": name, "ready": False, "restartCount": 0, "image": "nginx", "imageID": "",
            "state": {"terminated": state}}


def pod(phase: str = "Running", containers: int = 1, statuses: list[dict[str, Any]] | None = None,
        init: list[dict[str, Any]] | None = None,
        init_statuses: list[dict[str, Any]] | None = None,
        conditions: list[dict[str, Any]] | None = None, **status_extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "app" if i == 0 else f"c{i}", "image": "nginx"}
                                           for i in range(containers)]}
    if init is not None:
        spec["initContainers"] = init
    status: dict[str, Any] = {"phase": phase, **status_extra}
    if statuses is not None:
        status["containerStatuses"] = statuses
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    if conditions is not None:
        status["conditions"] = conditions
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta("web-0"), "spec": spec,
            "status": status}


def pod_status(obj: dict[str, Any]) -> str:
    return str(cells(POD, obj)["Status"])


def test_pod_columns_are_upstreams_with_four_wide_ones() -> None:
    defs = tables.column_definitions(POD)
    assert [(c["name"], c["type"], c["priority"]) for c in defs] == [
        ("Name", "string", 0), ("Ready", "string", 0), ("Status", "string", 0),
        ("Restarts", "string", 0), ("Age", "string", 0), ("IP", "string", 1),
        ("Node", "string", 1), ("Nominated Node", "string", 1),
        ("Readiness Gates", "string", 1)]
    assert defs[0]["format"] == "name"
    assert all(set(c) == {"name", "type", "format", "description", "priority"} for c in defs)


def test_pod_is_pending_when_nothing_has_started() -> None:
    row = cells(POD, pod("Pending"))
    assert (row["Ready"], row["Status"], row["Restarts"]) == ("0/1", "Pending", "0")


def test_pod_shows_container_creating_when_container_waits_with_that_reason() -> None:
    assert pod_status(pod("Pending", statuses=[waiting("ContainerCreating")])) == \
        "ContainerCreating"


def test_pod_is_running_with_ready_count_when_containers_run() -> None:
    row = cells(POD, pod(containers=2, statuses=[running(), running("c1", ready=False)]))
    assert (row["Ready"], row["Status"]) == ("1/2", "Running")


def test_pod_is_terminating_when_deletion_timestamp_set_and_phase_not_terminal() -> None:
    obj = pod(statuses=[running()])
    obj["metadata"]["deletionTimestamp"] = ts(timedelta(seconds=3))
    assert pod_status(obj) == "Terminating"


def test_pod_keeps_terminal_status_when_deleted_after_it_finished() -> None:
    obj = pod("Failed", statuses=[terminated(exit_code=1, reason="Error")])
    obj["metadata"]["deletionTimestamp"] = ts(timedelta(seconds=3))
    assert pod_status(obj) == "Error"


def test_pod_is_completed_and_row_marked_completed_when_it_succeeded() -> None:
    obj = pod("Succeeded", statuses=[terminated(reason="Completed")])
    assert pod_status(obj) == "Completed"
    row = tables.table(POD, [obj], resource_version="9", now=NOW)["rows"][0]
    assert row["conditions"] == [{"type": "Completed", "status": "True", "reason": "Succeeded",
                                  "message": "The pod has completed successfully."}]


def test_pod_row_has_no_conditions_when_pod_still_runs() -> None:
    row = tables.table(POD, [pod(statuses=[running()])], resource_version="9", now=NOW)["rows"][0]
    assert "conditions" not in row


def test_pod_shows_error_when_container_terminated_with_error() -> None:
    assert pod_status(pod("Failed", statuses=[terminated(exit_code=2, reason="Error")])) == "Error"


def test_pod_shows_exit_code_when_termination_has_no_reason() -> None:
    assert pod_status(pod("Failed", statuses=[terminated(exit_code=137)])) == "ExitCode:137"


def test_pod_shows_signal_when_termination_has_signal_and_no_reason() -> None:
    assert pod_status(pod("Failed", statuses=[terminated(exit_code=1, signal=15)])) == \
        "Signal:15"


def test_pod_shows_crash_loop_with_restart_age_when_container_backs_off() -> None:
    status = waiting("CrashLoopBackOff", restarts=4)
    status["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                          "finishedAt": ts(timedelta(minutes=3))}}
    row = cells(POD, pod(statuses=[status]))
    assert (row["Ready"], row["Status"], row["Restarts"]) == ("0/1", "CrashLoopBackOff",
                                                               "4 (3m ago)")


def test_pod_restarts_are_a_bare_number_when_no_termination_was_recorded() -> None:
    assert cells(POD, pod(statuses=[running(restarts=2)]))["Restarts"] == "2"


def test_pod_restarts_take_the_latest_termination_when_containers_restarted() -> None:
    obj = pod(containers=2, statuses=[
        running(restarts=1, last_exit=ts(timedelta(hours=3))),
        running("c1", restarts=2, last_exit=ts(timedelta(seconds=40)))])
    assert cells(POD, obj)["Restarts"] == "3 (40s ago)"


def test_pod_shows_init_progress_when_init_container_runs() -> None:
    init = [{"name": "setup", "image": "busybox"}]
    obj = pod("Pending", init=init, init_statuses=[waiting("PodInitializing", "setup")],
              statuses=[waiting("PodInitializing")])
    assert pod_status(obj) == "Init:0/1"


def test_pod_counts_finished_init_containers_when_second_one_runs() -> None:
    init = [{"name": "a", "image": "busybox"}, {"name": "b", "image": "busybox"}]
    obj = pod("Pending", init=init,
              init_statuses=[terminated("a", reason="Completed"), running("b", ready=False)])
    assert pod_status(obj) == "Init:1/2"


def test_pod_shows_init_waiting_reason_when_init_container_crash_loops() -> None:
    init = [{"name": "setup", "image": "busybox"}]
    obj = pod("Pending", init=init, init_statuses=[waiting("CrashLoopBackOff", "setup")])
    assert pod_status(obj) == "Init:CrashLoopBackOff"


@pytest.mark.parametrize(("status", "expected"), [
    (terminated("setup", exit_code=1, reason="Error"), "Init:Error"),
    (terminated("setup", exit_code=3), "Init:ExitCode:3"),
    (terminated("setup", exit_code=1, signal=9), "Init:Signal:9"),
])
def test_pod_shows_init_failure_when_init_container_failed(status: dict[str, Any],
                                                           expected: str) -> None:
    obj = pod("Pending", init=[{"name": "setup", "image": "busybox"}], init_statuses=[status])
    assert pod_status(obj) == expected


def test_pod_counts_sidecars_as_containers_when_init_container_restarts_always() -> None:
    init = [{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}]
    obj = pod(init=init, init_statuses=[running("proxy", restarts=1)],
              statuses=[running(restarts=2)],
              conditions=[{"type": "Initialized", "status": "True"},
                          {"type": "Ready", "status": "True"}])
    row = cells(POD, obj)
    assert (row["Ready"], row["Status"], row["Restarts"]) == ("2/2", "Running", "3")


def test_pod_is_evicted_when_status_reason_says_so() -> None:
    obj = pod("Failed", reason="Evicted", message="The node was low on resource: memory.")
    assert pod_status(obj) == "Evicted"


def test_pod_is_unknown_when_deleted_with_node_lost_reason() -> None:
    obj = pod(statuses=[running()], reason="NodeLost")
    obj["metadata"]["deletionTimestamp"] = ts(timedelta(seconds=1))
    assert pod_status(obj) == "Unknown"


def test_pod_is_scheduling_gated_when_scheduled_condition_has_that_reason() -> None:
    obj = pod("Pending", conditions=[{"type": "PodScheduled", "status": "False",
                                      "reason": "SchedulingGated"}])
    assert pod_status(obj) == "SchedulingGated"


def test_pod_stays_running_when_one_container_completed_and_another_runs() -> None:
    obj = pod(containers=2, statuses=[terminated(reason="Completed"), running("c1")],
              conditions=[{"type": "Ready", "status": "True"}])
    assert pod_status(obj) == "Running"


def test_pod_is_not_ready_when_one_container_completed_and_pod_not_ready() -> None:
    obj = pod(containers=2, statuses=[terminated(reason="Completed"), running("c1")],
              conditions=[{"type": "Ready", "status": "False"}])
    assert pod_status(obj) == "NotReady"


def test_pod_wide_cells_are_placeholders_when_unscheduled() -> None:
    row = cells(POD, pod("Pending"))
    assert (row["IP"], row["Node"], row["Nominated Node"], row["Readiness Gates"]) == \
        ("<none>", "<none>", "<none>", "<none>")


def test_pod_wide_cells_show_placement_when_scheduled() -> None:
    obj = pod(statuses=[running()], podIP="10.1.0.5",
              podIPs=[{"ip": "10.1.0.5"}, {"ip": "fd00::5"}], nominatedNodeName="node-b",
              conditions=[{"type": "example.com/lb", "status": "True"},
                          {"type": "example.com/dns", "status": "False"}])
    obj["spec"]["nodeName"] = "node-a"
    obj["spec"]["readinessGates"] = [{"conditionType": "example.com/lb"},
                                     {"conditionType": "example.com/dns"}]
    row = cells(POD, obj)
    assert (row["IP"], row["Node"], row["Nominated Node"], row["Readiness Gates"]) == \
        ("10.1.0.5", "node-a", "node-b", "1/2")


# --- ages ---------------------------------------------------------------------------


@pytest.mark.parametrize(("elapsed", "expected"), [
    (timedelta(0), "0s"),
    (timedelta(seconds=59), "59s"),
    (timedelta(seconds=119), "119s"),
    (timedelta(minutes=2), "2m"),
    (timedelta(minutes=7, seconds=30), "7m30s"),
    (timedelta(minutes=10, seconds=59), "10m"),
    (timedelta(minutes=179), "179m"),
    (timedelta(hours=3), "3h"),
    (timedelta(hours=3, minutes=5), "3h5m"),
    (timedelta(hours=8, minutes=5), "8h"),
    (timedelta(hours=47, minutes=59), "47h"),
    (timedelta(days=2), "2d"),
    (timedelta(days=2, hours=3), "2d3h"),
    (timedelta(days=7, hours=23), "7d23h"),
    (timedelta(days=8, hours=5), "8d"),
    (timedelta(days=729), "729d"),
    (timedelta(days=730), "2y"),
    (timedelta(days=735), "2y5d"),
    (timedelta(days=365 * 9), "9y"),
    (timedelta(milliseconds=-1500), "0s"),
    (timedelta(seconds=-2), "<invalid>"),
])
def test_human_duration_follows_upstream_when_elapsed_time_varies(elapsed: timedelta,
                                                                  expected: str) -> None:
    assert tables.human_duration(elapsed) == expected


@pytest.mark.parametrize(("elapsed", "expected"), [
    (timedelta(seconds=59), "59s"),
    (timedelta(minutes=59, seconds=59), "59m"),
    (timedelta(hours=23), "23h"),
    (timedelta(days=364), "364d"),
    (timedelta(days=800), "2y"),
    (timedelta(seconds=-5), "<invalid>"),
])
def test_short_human_duration_uses_one_unit_when_elapsed_time_varies(elapsed: timedelta,
                                                                     expected: str) -> None:
    assert tables.short_human_duration(elapsed) == expected


def test_age_is_unknown_when_creation_timestamp_missing() -> None:
    obj = pod()
    del obj["metadata"]["creationTimestamp"]
    assert cells(POD, obj)["Age"] == "<unknown>"


def test_age_is_invalid_when_creation_timestamp_is_in_the_future() -> None:
    obj = pod()
    obj["metadata"]["creationTimestamp"] = ts(timedelta(minutes=-10))
    assert cells(POD, obj)["Age"] == "<invalid>"


def test_age_reads_days_and_hours_when_object_is_two_days_old() -> None:
    obj = pod()
    obj["metadata"]["creationTimestamp"] = ts(timedelta(days=2, hours=3, minutes=10))
    assert cells(POD, obj)["Age"] == "2d3h"


# --- nodes --------------------------------------------------------------------------


def node(ready: str | None = "True", unschedulable: bool = False,
         labels: dict[str, str] | None = None) -> dict[str, Any]:
    conditions = [{"type": "MemoryPressure", "status": "False"}]
    if ready is not None:
        conditions.append({"type": "Ready", "status": ready})
    obj: dict[str, Any] = {
        "kind": "Node", "apiVersion": "v1",
        "metadata": {**meta("node-a"), "labels": labels or {}},
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {"conditions": conditions,
                   "addresses": [{"type": "Hostname", "address": "node-a"},
                                 {"type": "InternalIP", "address": "172.18.0.3"}],
                   "nodeInfo": {"kubeletVersion": "v1.32.2", "osImage": "Debian GNU/Linux 12",
                                "kernelVersion": "6.1.0", "containerRuntimeVersion": ""}},
    }
    del obj["metadata"]["namespace"]
    return obj


@pytest.mark.parametrize(("ready", "unschedulable", "expected"), [
    ("True", False, "Ready"),
    ("False", False, "NotReady"),
    ("Unknown", False, "NotReady"),
    (None, False, "Unknown"),
    ("True", True, "Ready,SchedulingDisabled"),
    ("Unknown", True, "NotReady,SchedulingDisabled"),
])
def test_node_status_follows_ready_condition_and_cordon(ready: str | None, unschedulable: bool,
                                                        expected: str) -> None:
    assert cells(NODE, node(ready, unschedulable))["Status"] == expected


def test_node_roles_are_sorted_and_deduplicated_when_labels_name_them() -> None:
    labels = {"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/": "",
              "kubernetes.io/role": "worker", "node-role.kubernetes.io/worker": "",
              "topology.kubernetes.io/zone": "zone-a"}
    assert cells(NODE, node(labels=labels))["Roles"] == "control-plane,worker"


def test_node_roles_are_none_when_no_role_label() -> None:
    assert cells(NODE, node(labels={"kubernetes.io/role": ""}))["Roles"] == "<none>"


def test_node_wide_cells_fill_placeholders_when_fields_missing() -> None:
    row = cells(NODE, node())
    assert list(row.values())[3:] == ["5m", "v1.32.2", "172.18.0.3", "<none>",
                                      "Debian GNU/Linux 12", "6.1.0", "<unknown>"]


# --- services and endpoints ------------------------------------------------------------

SERVICE = res("", "Service")


def service(spec: dict[str, Any], status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": "Service", "apiVersion": "v1", "metadata": meta("web"), "spec": spec,
            "status": status or {}}


def test_service_shows_cluster_ip_and_ports_when_type_is_cluster_ip() -> None:
    obj = service({"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                   "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                   "selector": {"k8s-app": "kube-dns", "app": "dns"}})
    assert list(cells(SERVICE, obj).values()) == [
        "web", "ClusterIP", "10.96.0.10", "<none>", "53/UDP,53/TCP", "5m",
        "app=dns,k8s-app=kube-dns"]


def test_service_shows_node_port_in_ports_when_type_is_node_port() -> None:
    obj = service({"type": "NodePort", "clusterIPs": ["10.96.1.1"],
                   "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]})
    assert cells(SERVICE, obj)["Port(s)"] == "80:30080/TCP"


def test_service_external_ip_is_pending_when_load_balancer_not_provisioned() -> None:
    obj = service({"type": "LoadBalancer", "clusterIPs": ["10.96.1.2"], "ports": []})
    row = cells(SERVICE, obj)
    assert (row["External-IP"], row["Port(s)"], row["Selector"]) == ("<pending>", "<none>",
                                                                     "<none>")


def test_service_external_ip_lists_sorted_ingress_when_load_balancer_ready() -> None:
    obj = service({"type": "LoadBalancer", "clusterIPs": ["10.96.1.2"],
                   "externalIPs": ["192.0.2.9"]},
                  {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}, {"hostname": "lb.example"},
                                                {"ip": "198.51.100.1"}]}})
    assert cells(SERVICE, obj)["External-IP"] == \
        "198.51.100.1,203.0.113.7,lb.example,192.0.2.9"


def test_service_shows_external_name_when_type_is_external_name() -> None:
    obj = service({"type": "ExternalName", "externalName": "db.example.com"})
    row = cells(SERVICE, obj)
    assert (row["Cluster-IP"], row["External-IP"]) == ("<none>", "db.example.com")


ENDPOINTS = res("", "Endpoints")


def test_endpoints_are_none_when_no_subsets() -> None:
    assert cells(ENDPOINTS, {"metadata": meta("web")})["Endpoints"] == "<none>"


def test_endpoints_show_three_and_count_the_rest_when_many_addresses() -> None:
    obj = {"metadata": meta("web"), "subsets": [
        {"addresses": [{"ip": f"10.0.0.{i}"} for i in range(1, 4)],
         "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}]},
        {"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}]}
    assert cells(ENDPOINTS, obj)["Endpoints"] == \
        "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 4 more..."


def test_endpoints_show_bare_addresses_when_subset_has_no_ports() -> None:
    obj = {"metadata": meta("web"), "subsets": [{"addresses": [{"ip": "fd00::1"}]}]}
    assert cells(ENDPOINTS, obj)["Endpoints"] == "fd00::1"


def test_endpoints_bracket_ipv6_when_ports_are_present() -> None:
    obj = {"metadata": meta("web"), "subsets": [{"addresses": [{"ip": "fd00::1"}],
                                                 "ports": [{"port": 8080}]}]}
    assert cells(ENDPOINTS, obj)["Endpoints"] == "[fd00::1]:8080"


ENDPOINTSLICE = res("discovery.k8s.io", "EndpointSlice")


def test_endpoint_slice_shows_unset_when_no_ports_or_endpoints() -> None:
    row = cells(ENDPOINTSLICE, {"metadata": meta("web-abc"), "addressType": "IPv4"})
    assert list(row.values()) == ["web-abc", "IPv4", "<unset>", "<unset>", "5m"]


def test_endpoint_slice_lists_ports_and_addresses_when_present() -> None:
    obj = {"metadata": meta("web-abc"), "addressType": "IPv4",
           "ports": [{"port": 80}, {"name": "metrics"}, {}, {"port": 9090}],
           "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}]}
    row = cells(ENDPOINTSLICE, obj)
    assert (row["Ports"], row["Endpoints"]) == ("80,metrics,* + 1 more...", "10.0.0.1,10.0.0.2")


# --- configuration kinds -------------------------------------------------------------


def test_config_map_counts_text_and_binary_keys_when_both_present() -> None:
    obj = {"metadata": meta("cfg"), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}
    assert list(cells(res("", "ConfigMap"), obj).values()) == ["cfg", 3, "5m"]


def test_secret_shows_type_and_key_count_when_listed() -> None:
    obj = {"metadata": meta("tls"), "type": "kubernetes.io/tls",
           "data": {"tls.crt": "", "tls.key": ""}}
    assert list(cells(res("", "Secret"), obj).values()) == ["tls", "kubernetes.io/tls", 2, "5m"]


def test_service_account_counts_secrets_when_listed() -> None:
    obj = {"metadata": meta("default")}
    assert list(cells(res("", "ServiceAccount"), obj).values()) == ["default", 0, "5m"]


def test_namespace_shows_phase_when_listed() -> None:
    obj = {"metadata": meta("team-a"), "status": {"phase": "Terminating"}}
    assert list(cells(res("", "Namespace"), obj).values()) == ["team-a", "Terminating", "5m"]


# --- events ---------------------------------------------------------------------------

EVENT = res("", "Event")
EVENT_V1 = res("events.k8s.io", "Event")


def test_event_columns_put_last_seen_first_and_name_last() -> None:
    assert [(c["name"], c["priority"]) for c in tables.column_definitions(EVENT)] == [
        ("Last Seen", 0), ("Type", 0), ("Reason", 0), ("Object", 0), ("Subobject", 1),
        ("Source", 1), ("Message", 0), ("First Seen", 1), ("Count", 1), ("Name", 1)]


def test_core_event_shows_object_and_counts_when_event_repeats() -> None:
    obj = {"metadata": meta("web-0.17f"), "type": "Warning", "reason": "BackOff",
           "involvedObject": {"kind": "Pod", "name": "web-0", "namespace": "default",
                              "fieldPath": "spec.containers{app}"},
           "message": " Back-off restarting failed container\n",
           "source": {"component": "kubelet", "host": "node-a"},
           "firstTimestamp": ts(timedelta(hours=1)), "lastTimestamp": ts(timedelta(seconds=30)),
           "count": 12}
    assert list(cells(EVENT, obj).values()) == [
        "30s", "Warning", "BackOff", "pod/web-0", "spec.containers{app}", "kubelet, node-a",
        "Back-off restarting failed container", "60m", 12, "web-0.17f"]


def test_core_event_falls_back_to_event_time_when_timestamps_missing() -> None:
    obj = {"metadata": meta("n.1"), "type": "Normal", "reason": "Scheduled",
           "involvedObject": {"kind": "Node"}, "message": "ok",
           "eventTime": "2025-03-10T11:58:00.000000Z", "reportingComponent": "scheduler",
           "reportingInstance": ""}
    row = cells(EVENT, obj)
    assert (row["Last Seen"], row["First Seen"], row["Object"], row["Source"], row["Count"]) == \
        ("2m", "2m", "node", "scheduler", 1)


def test_core_event_uses_series_when_event_is_a_series() -> None:
    obj = {"metadata": meta("e"), "involvedObject": {"kind": "Pod", "name": "p"},
           "eventTime": ts(timedelta(minutes=30)),
           "series": {"count": 5, "lastObservedTime": "2025-03-10T11:59:00.000000Z"}}
    row = cells(EVENT, obj)
    assert (row["Last Seen"], row["First Seen"], row["Count"]) == ("60s", "30m", 5)


def test_events_v1_event_prints_as_the_core_event_it_converts_to() -> None:
    obj = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": meta("web-0.1"),
           "type": "Normal", "reason": "Pulled", "note": "Image pulled",
           "regarding": {"kind": "Pod", "name": "web-0", "fieldPath": "spec.containers{app}"},
           "reportingController": "kubelet", "reportingInstance": "node-a",
           "eventTime": "2025-03-10T11:59:50.000000Z",
           "deprecatedFirstTimestamp": ts(timedelta(minutes=3)),
           "deprecatedLastTimestamp": ts(timedelta(minutes=1)), "deprecatedCount": 2}
    assert list(cells(EVENT_V1, obj).values()) == [
        "60s", "Normal", "Pulled", "pod/web-0", "spec.containers{app}", "kubelet, node-a",
        "Image pulled", "3m", 2, "web-0.1"]


# --- storage ----------------------------------------------------------------------------

PV = res("", "PersistentVolume")
PVC = res("", "PersistentVolumeClaim")


def test_persistent_volume_shows_claim_and_ordered_modes_when_bound() -> None:
    obj = {"metadata": meta("pv-1"),
           "spec": {"capacity": {"storage": "10Gi"},
                    "accessModes": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"],
                    "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "standard",
                    "claimRef": {"namespace": "db", "name": "data-db-0"},
                    "volumeMode": "Filesystem"},
           "status": {"phase": "Bound"}}
    assert list(cells(PV, obj).values()) == [
        "pv-1", "10Gi", "RWO,RWX", "Delete", "Bound", "db/data-db-0", "standard", "<unset>", "",
        "5m", "Filesystem"]


def test_persistent_volume_is_terminating_and_class_from_beta_annotation_when_deleted() -> None:
    obj = {"metadata": meta("pv-2", deletionTimestamp=ts(timedelta(0)),
                            annotations={"volume.beta.kubernetes.io/storage-class": "old"}),
           "spec": {"storageClassName": "new"}, "status": {"phase": "Released"}}
    row = cells(PV, obj)
    assert (row["Status"], row["StorageClass"], row["Capacity"], row["Claim"]) == \
        ("Terminating", "old", "0", "")


def test_claim_shows_volume_capacity_and_modes_when_bound() -> None:
    obj = {"metadata": meta("data-db-0"),
           "spec": {"volumeName": "pv-1", "storageClassName": "standard",
                    "resources": {"requests": {"storage": "5Gi"}}, "volumeMode": "Filesystem"},
           "status": {"phase": "Bound", "capacity": {"storage": "10Gi"},
                      "accessModes": ["ReadWriteOnce"]}}
    assert list(cells(PVC, obj).values()) == [
        "data-db-0", "Bound", "pv-1", "10Gi", "RWO", "standard", "<unset>", "5m", "Filesystem"]


def test_claim_leaves_capacity_empty_when_pending() -> None:
    obj = {"metadata": meta("data"), "spec": {"resources": {"requests": {"storage": "5Gi"}}},
           "status": {"phase": "Pending"}}
    row = cells(PVC, obj)
    assert (row["Status"], row["Volume"], row["Capacity"], row["Access Modes"],
            row["StorageClass"], row["VolumeMode"]) == ("Pending", "", "", "", "", "<unset>")


STORAGECLASS = res("storage.k8s.io", "StorageClass")


def test_storage_class_is_marked_default_and_defaults_filled_when_annotated() -> None:
    obj = {"metadata": meta("standard", annotations={
        "storageclass.kubernetes.io/is-default-class": "true"}),
        "provisioner": "rancher.io/local-path"}
    assert list(cells(STORAGECLASS, obj).values()) == [
        "standard (default)", "rancher.io/local-path", "Delete", "Immediate", False, "5m"]


def test_storage_class_shows_its_settings_when_set() -> None:
    obj = {"metadata": meta("fast"), "provisioner": "csi.example", "reclaimPolicy": "Retain",
           "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True}
    assert list(cells(STORAGECLASS, obj).values()) == [
        "fast", "csi.example", "Retain", "WaitForFirstConsumer", True, "5m"]


# --- workloads ---------------------------------------------------------------------------


def template(*containers: tuple[str, str]) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": n, "image": i} for n, i in containers]}}


def test_deployment_shows_ready_of_desired_and_selector_when_rolled_out() -> None:
    obj = {"metadata": meta("web"),
           "spec": {"replicas": 3,
                    "selector": {"matchLabels": {"app": "web", "tier": "fe"},
                                 "matchExpressions": [
                                     {"key": "env", "operator": "In",
                                      "values": ["prod", "canary"]},
                                     {"key": "legacy", "operator": "DoesNotExist"}]},
                    "template": template(("nginx", "nginx:1.27"), ("log", "fluent-bit"))},
           "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}}
    assert list(cells(res("apps", "Deployment"), obj).values()) == [
        "web", "2/3", 3, 2, "5m", "nginx,log", "nginx:1.27,fluent-bit",
        "app=web,env in (canary,prod),!legacy,tier=fe"]


def test_deployment_selector_is_invalid_when_operator_is_unknown() -> None:
    obj = {"metadata": meta("web"),
           "spec": {"selector": {"matchExpressions": [{"key": "a", "operator": "Near"}]}}}
    row = cells(res("apps", "Deployment"), obj)
    assert (row["Ready"], row["Selector"]) == ("0/1", "<invalid>")


def test_replica_set_defaults_desired_and_shows_none_selector_when_fields_missing() -> None:
    obj = {"metadata": meta("web-abc"), "spec": {"selector": {}}, "status": {"replicas": 0}}
    assert list(cells(res("apps", "ReplicaSet"), obj).values()) == [
        "web-abc", 1, 0, 0, "5m", "", "", "<none>"]


def test_stateful_set_shows_ready_of_desired_when_listed() -> None:
    obj = {"metadata": meta("db"),
           "spec": {"replicas": 3, "template": template(("pg", "postgres:16"))},
           "status": {"readyReplicas": 1}}
    assert list(cells(res("apps", "StatefulSet"), obj).values()) == [
        "db", "1/3", "5m", "pg", "postgres:16"]


def test_daemon_set_shows_counts_and_node_selector_when_listed() -> None:
    tpl = template(("agent", "agent:1"))
    tpl["spec"]["nodeSelector"] = {"kubernetes.io/os": "linux"}
    obj = {"metadata": meta("agent"),
           "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": tpl},
           "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3,
                      "numberReady": 2, "updatedNumberScheduled": 3, "numberAvailable": 2}}
    assert list(cells(res("apps", "DaemonSet"), obj).values()) == [
        "agent", 3, 3, 2, 3, 2, "kubernetes.io/os=linux", "5m", "agent", "agent:1", "app=agent"]


def test_controller_revision_names_its_controller_when_owned() -> None:
    obj = {"metadata": meta("db-7c9", ownerReferences=[
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "uid": "u",
         "controller": True}]), "revision": 2}
    assert list(cells(res("apps", "ControllerRevision"), obj).values()) == [
        "db-7c9", "statefulset.apps/db", 2, "5m"]


def test_controller_revision_shows_none_when_not_controlled() -> None:
    obj = {"metadata": meta("r"), "revision": 1}
    assert cells(res("apps", "ControllerRevision"), obj)["Controller"] == "<none>"


JOB = res("batch", "Job")


def job(status: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {"metadata": meta("repair"),
            "spec": {"template": template(("fix", "repair:1")),
                     "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}},
                     **spec},
            "status": status}


def test_job_is_complete_with_duration_when_it_finished() -> None:
    obj = job({"succeeded": 1, "startTime": ts(timedelta(minutes=4)),
               "completionTime": ts(timedelta(minutes=2, seconds=30)),
               "conditions": [{"type": "Complete", "status": "True"}]}, completions=1)
    assert list(cells(JOB, obj).values()) == [
        "repair", "Complete", "1/1", "90s", "5m", "fix", "repair:1",
        "batch.kubernetes.io/controller-uid=u"]


def test_job_is_running_with_elapsed_duration_when_still_active() -> None:
    obj = job({"startTime": ts(timedelta(minutes=4)), "active": 1}, parallelism=3)
    row = cells(JOB, obj)
    assert (row["Status"], row["Completions"], row["Duration"]) == ("Running", "0/1 of 3", "4m")


@pytest.mark.parametrize(("conditions", "deleting", "expected"), [
    ([{"type": "Failed", "status": "True"}], False, "Failed"),
    ([{"type": "Suspended", "status": "True"}], False, "Suspended"),
    ([{"type": "FailureTarget", "status": "True"}], False, "FailureTarget"),
    ([{"type": "Suspended", "status": "True"}], True, "Terminating"),
    ([{"type": "Complete", "status": "False"}], False, "Running"),
])
def test_job_status_follows_conditions_when_not_complete(conditions: list[dict[str, str]],
                                                         deleting: bool, expected: str) -> None:
    obj = job({"conditions": conditions})
    if deleting:
        obj["metadata"]["deletionTimestamp"] = ts(timedelta(0))
    row = cells(JOB, obj)
    assert (row["Status"], row["Duration"]) == (expected, "")


PDB = res("policy", "PodDisruptionBudget")


def test_disruption_budget_shows_not_applicable_when_field_unset() -> None:
    obj = {"metadata": meta("web"), "spec": {"minAvailable": 2},
           "status": {"disruptionsAllowed": 1}}
    assert list(cells(PDB, obj).values()) == ["web", "2", "N/A", 1, "5m"]


def test_disruption_budget_shows_percentages_when_given_as_strings() -> None:
    obj = {"metadata": meta("web"), "spec": {"maxUnavailable": "25%"}, "status": {}}
    assert list(cells(PDB, obj).values()) == ["web", "N/A", "25%", 0, "5m"]


def test_lease_shows_holder_when_held() -> None:
    obj = {"metadata": meta("node-a"), "spec": {"holderIdentity": "node-a"}}
    assert list(cells(res("coordination.k8s.io", "Lease"), obj).values()) == [
        "node-a", "node-a", "5m"]


# --- rbac -----------------------------------------------------------------------------------

RBAC = "rbac.authorization.k8s.io"


def test_role_binding_lists_subjects_by_kind_when_wide() -> None:
    obj = {"metadata": meta("ops"), "roleRef": {"kind": "ClusterRole", "name": "admin"},
           "subjects": [{"kind": "User", "name": "alice"}, {"kind": "Group", "name": "sre"},
                        {"kind": "ServiceAccount", "name": "bot", "namespace": "ci"},
                        {"kind": "User", "name": "bob"}]}
    assert list(cells(res(RBAC, "RoleBinding"), obj).values()) == [
        "ops", "ClusterRole/admin", "5m", "alice, bob", "sre", "ci/bot"]


def test_cluster_role_binding_has_binding_columns_when_listed() -> None:
    assert columns(res(RBAC, "ClusterRoleBinding")) == [
        "Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"]


@pytest.mark.parametrize("kind", ["Role", "ClusterRole"])
def test_roles_get_the_default_table_when_upstream_has_no_printer(kind: str) -> None:
    resource = res(RBAC, kind)
    defs = tables.column_definitions(resource)
    assert [(c["name"], c["type"], c["format"]) for c in defs] == [
        ("Name", "string", "name"), ("Created At", "date", "")]
    obj = {"metadata": {"name": "view", "creationTimestamp": "2024-02-29T23:59:58Z"}}
    assert tables.row_cells(resource, obj, NOW) == ["view", "2024-02-29T23:59:58Z"]


# --- the Table ---------------------------------------------------------------------------


def test_every_served_kind_has_one_cell_per_column_when_object_is_bare() -> None:
    for resource in RESOURCES:
        assert len(tables.row_cells(resource, {}, NOW)) == \
            len(tables.column_definitions(resource)), resource.kind


def test_column_definitions_are_a_copy_when_caller_changes_them() -> None:
    tables.column_definitions(POD)[0]["name"] = "changed"
    tables.column_definitions(POD).clear()
    assert columns(POD)[0] == "Name"


def test_table_carries_resource_version_and_partial_metadata_when_include_object_default() -> None:
    obj = pod(statuses=[running()])
    obj["metadata"]["labels"] = {"app": "web"}
    result = tables.table(POD, [obj], resource_version="42", now=NOW, continue_token="tok")
    assert (result["kind"], result["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert result["metadata"] == {"resourceVersion": "42", "continue": "tok"}
    assert result["columnDefinitions"] == tables.column_definitions(POD)
    assert result["rows"][0]["object"] == {"kind": "PartialObjectMetadata",
                                           "apiVersion": "meta.k8s.io/v1",
                                           "metadata": obj["metadata"]}


def test_table_rows_carry_the_full_object_when_include_object_is_object() -> None:
    obj = pod()
    row = tables.table(POD, [obj], resource_version="1", include_object="Object",
                       now=NOW)["rows"][0]
    assert row["object"] == obj


def test_table_rows_carry_no_object_when_include_object_is_none() -> None:
    row = tables.table(POD, [pod()], resource_version="1", include_object="None",
                       now=NOW)["rows"][0]
    assert set(row) == {"cells"}


def test_table_treats_empty_include_object_as_metadata() -> None:
    row = tables.table(POD, [pod()], resource_version="1", include_object="", now=NOW)["rows"][0]
    assert row["object"]["kind"] == "PartialObjectMetadata"


def test_table_is_a_bad_request_when_include_object_is_unknown() -> None:
    with pytest.raises(errors.ApiError) as caught:
        tables.table(POD, [], resource_version="1", include_object="Everything", now=NOW)
    assert (caught.value.code, caught.value.reason) == (400, "BadRequest")
    assert caught.value.message == 'unrecognized includeObject value: "Everything"'


def test_table_has_empty_rows_and_metadata_when_list_is_empty() -> None:
    result = tables.table(NODE, [], resource_version="", now=NOW)
    assert (result["metadata"], result["rows"]) == ({}, [])


def test_table_follows_negotiated_meta_version_when_v1beta1_requested() -> None:
    result = tables.table(POD, [pod()], resource_version="1", now=NOW, meta_version="v1beta1")
    assert result["apiVersion"] == "meta.k8s.io/v1beta1"
    assert result["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"


def test_table_is_json_with_upstream_cell_types_when_encoded() -> None:
    objs = [pod(statuses=[running(restarts=1)]),
            {"metadata": meta("cfg"), "data": {"a": "b"}}]
    encoded = json.loads(json.dumps(tables.table(POD, objs[:1], resource_version="3", now=NOW)))
    assert encoded["rows"][0]["cells"][3] == "1"
    cm = json.loads(json.dumps(tables.table(res("", "ConfigMap"), objs[1:],
                                            resource_version="3", now=NOW)))
    assert cm["rows"][0]["cells"][1] == 1


def test_first_watch_event_carries_columns_and_later_ones_null() -> None:
    obj = pod(statuses=[running()])
    first = tables.watch_event_table(POD, obj, now=NOW, include_column_definitions=True)
    later = tables.watch_event_table(POD, obj, now=NOW, include_column_definitions=False)
    assert first["columnDefinitions"] == tables.column_definitions(POD)
    assert later["columnDefinitions"] is None
    assert first["metadata"] == later["metadata"] == {"resourceVersion": "7"}
    assert len(later["rows"]) == 1
    assert later["rows"][0]["cells"][:3] == ["web-0", "1/1", "Running"]



def test_a_scale_subresource_prints_desired_and_available_replicas() -> None:
    scale = {"kind": "Scale", "apiVersion": "autoscaling/v1",
             "metadata": {"name": "web", "namespace": "ns", "resourceVersion": "7",
                          "creationTimestamp": ts(timedelta(minutes=5))},
             "spec": {"replicas": 3}, "status": {"replicas": 2, "selector": "app=web"}}
    table = tables.scale_table(scale, now=NOW)
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Desired", "Available", "Age"]
    assert table["metadata"] == {"resourceVersion": "7"}
    [row] = table["rows"]
    assert row["cells"] == ["web", 3, 2, "5m"]
    assert row["object"]["kind"] == "PartialObjectMetadata"
