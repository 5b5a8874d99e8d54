"""`kubectl get`: the server-side Table columns (plain, wide, extra label columns),
plain objects (-o yaml/json/name), selectors, all namespaces, and watching."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from kubectl_support import Objects, is_watch_request, running_status, streaming

pytestmark = pytest.mark.kubectl


def columns(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def table(text: str) -> list[dict[str, str]]:
    """Rows of kubectl's column output as dicts keyed by the header."""
    lines = [line for line in text.splitlines() if line.strip()]
    header = columns(lines[0])
    return [dict(zip(header, columns(line), strict=True)) for line in lines[1:]]


@pytest.fixture
def two_zones(objects: Objects) -> dict[str, str]:
    """Two nodes in two zones, a running pod on each, and a pending pod."""
    a = objects.node("a", zone="zone-a", labels={"node-role.kubernetes.io/worker": ""})
    b = objects.node("b", zone="zone-b")
    objects.pod("web-a", node=a, labels={"app": "web", "tier": "front"})
    objects.pod("web-b", node=b, labels={"app": "web"}, containers=("app", "sidecar"))
    objects.pod("queued", labels={"app": "batch"}, running=False)
    return {"a": a, "b": b}


def test_get_pods_prints_the_servers_table_columns_when_plain(kubectl, namespace, two_zones):
    out = kubectl.run("get", "pods", "-n", namespace).stdout
    rows = {r["NAME"]: r for r in table(out)}
    assert list(rows["web-a"]) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert (rows["web-a"]["READY"], rows["web-a"]["STATUS"]) == ("1/1", "Running")
    assert (rows["web-b"]["READY"], rows["web-b"]["STATUS"]) == ("2/2", "Running")
    assert (rows["queued"]["READY"], rows["queued"]["STATUS"]) == ("0/1", "Pending")
    assert rows["queued"]["RESTARTS"] == "0"


def test_get_pods_shows_ip_and_node_when_wide(kubectl, namespace, two_zones):
    out = kubectl.run("get", "pods", "-n", namespace, "-o", "wide").stdout
    rows = {r["NAME"]: r for r in table(out)}
    assert list(rows["web-a"]) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                                   "NOMINATED NODE", "READINESS GATES"]
    assert rows["web-a"]["IP"] == "10.244.1.5"
    assert rows["web-a"]["NODE"] == two_zones["a"]
    assert (rows["queued"]["IP"], rows["queued"]["NODE"]) == ("<none>", "<none>")


def test_get_nodes_shows_status_roles_and_system_info_when_wide(kubectl, two_zones):
    a = two_zones["a"]
    out = kubectl.run("get", "node", a, "-o", "wide").stdout
    [row] = table(out)
    assert row == {
        "NAME": a, "STATUS": "Ready", "ROLES": "worker", "AGE": row["AGE"],
        "VERSION": "v1.32.0", "INTERNAL-IP": "10.0.0.11", "EXTERNAL-IP": "<none>",
        "OS-IMAGE": "Debian GNU/Linux 12 (bookworm)", "KERNEL-VERSION": "6.1.0-28-amd64",
        "CONTAINER-RUNTIME": "containerd://1.7.24"}
    assert re.fullmatch(r"\d+s", row["AGE"])


def test_get_nodes_adds_a_zone_column_when_asked_with_label_columns(kubectl, two_zones):
    out = kubectl.run("get", "nodes", two_zones["a"], two_zones["b"],
                      "-L", "topology.kubernetes.io/zone").stdout
    rows = table(out)
    assert [(r["NAME"], r["ZONE"]) for r in rows] == [
        (two_zones["a"], "zone-a"), (two_zones["b"], "zone-b")]


def test_get_pod_prints_the_stored_object_when_output_is_yaml(kubectl, namespace, two_zones):
    out = kubectl.run("get", "pod", "web-a", "-n", namespace, "-o", "yaml").stdout
    pod = yaml.safe_load(out)
    assert (pod["apiVersion"], pod["kind"]) == ("v1", "Pod")
    assert pod["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert pod["spec"]["nodeName"] == two_zones["a"]
    # API defaulting and admission, as kube-apiserver 1.32 does them
    assert pod["spec"]["schedulerName"] == "default-scheduler"
    assert pod["spec"]["containers"][0]["terminationMessagePolicy"] == "File"
    assert {t["key"] for t in pod["spec"]["tolerations"]} == {
        "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}
    assert pod["status"]["phase"] == "Running"


def test_get_pods_lists_items_when_output_is_json_or_name(kubectl, namespace, two_zones):
    doc = json.loads(kubectl.run("get", "pods", "-n", namespace, "-o", "json").stdout)
    assert doc["kind"] == "List"
    assert sorted(p["metadata"]["name"] for p in doc["items"]) == ["queued", "web-a", "web-b"]
    names = kubectl.run("get", "pods", "-n", namespace, "-o", "name").stdout.split()
    assert names == ["pod/queued", "pod/web-a", "pod/web-b"]


def test_get_pods_filters_by_label_when_given_a_selector(kubectl, namespace, two_zones):
    out = kubectl.run("get", "pods", "-n", namespace, "-l", "app=web,tier!=front",
                      "-o", "name").stdout
    assert out.split() == ["pod/web-b"]
    out = kubectl.run("get", "pods", "-n", namespace, "-l", "app in (web,batch),!tier",
                      "-o", "name").stdout
    assert out.split() == ["pod/queued", "pod/web-b"]


def test_get_pods_filters_by_field_when_given_a_field_selector(kubectl, namespace, two_zones):
    out = kubectl.run("get", "pods", "-n", namespace,
                      "--field-selector", f"spec.nodeName={two_zones['b']}").stdout
    assert [r["NAME"] for r in table(out)] == ["web-b"]
    out = kubectl.run("get", "pods", "-n", namespace, "-o", "name",
                      "--field-selector", "status.phase!=Running").stdout
    assert out.split() == ["pod/queued"]


def test_get_rejects_a_field_the_kind_cannot_select_when_given_one(kubectl, namespace):
    proc = kubectl.run("get", "pods", "-n", namespace, "--field-selector", "spec.foo=bar",
                       check=False)
    assert proc.returncode == 1
    assert 'field label not supported: spec.foo' in proc.stderr


def test_get_pods_shows_a_namespace_column_when_all_namespaces(kubectl, namespace, two_zones):
    out = kubectl.run("get", "pods", "-A", "--field-selector",
                      f"metadata.namespace={namespace}").stdout
    rows = table(out)
    assert list(rows[0])[:2] == ["NAMESPACE", "NAME"]
    assert {(r["NAMESPACE"], r["NAME"]) for r in rows} == {
        (namespace, "web-a"), (namespace, "web-b"), (namespace, "queued")}


def test_get_says_no_resources_when_the_namespace_is_empty(kubectl, namespace):
    proc = kubectl.run("get", "pods", "-n", namespace)
    assert proc.stdout == ""
    assert proc.stderr.strip() == f"No resources found in {namespace} namespace."


def test_get_fails_with_not_found_when_the_object_does_not_exist(kubectl, namespace):
    proc = kubectl.run("get", "pod", "nope", "-n", namespace, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'


def test_get_sorts_by_a_field_when_asked(kubectl, objects, namespace):
    for name, rank in (("x", "2"), ("y", "1"), ("z", "3")):
        objects.pod(name, labels={"rank": rank}, running=False)
    out = kubectl.run("get", "pods", "-n", namespace, "--sort-by=.metadata.labels.rank",
                      "-o", "custom-columns=NAME:.metadata.name,RANK:.metadata.labels.rank"
                      ).stdout
    assert [(r["NAME"], r["RANK"]) for r in table(out)] == [("y", "1"), ("x", "2"), ("z", "3")]


def test_get_watch_prints_a_later_change_when_a_pod_starts(kubectl, objects, namespace):
    node = objects.node("a")
    objects.pod("late", node=node, running=False)
    with streaming(kubectl, "get", "pods", "-n", namespace, "-w") as watch:
        watch.wait_for(lambda line: line.startswith("late") and "Pending" in line)
        objects.set_status("pods", "late", lambda p: running_status(
            ["app"], p["metadata"]["creationTimestamp"]))
        line = watch.wait_for(lambda line: line.startswith("late") and "Running" in line)
    assert columns(line)[:3] == ["late", "1/1", "Running"]


def test_get_watch_prints_a_new_object_when_it_is_created_later(kubectl, objects, namespace):
    with streaming(kubectl, "get", "pods", "-n", namespace, "-w",
                   "--output-watch-events", "-v=6") as watch:
        watch.wait_for(is_watch_request, stderr=True)
        objects.pod("newcomer", running=False)
        line = watch.wait_for(lambda line: "newcomer" in line)
    assert columns(line)[:4] == ["ADDED", "newcomer", "0/1", "Pending"]


def test_get_watch_shows_scheduling_disabled_when_the_node_is_cordoned(kubectl, objects):
    node = objects.node("a")
    with streaming(kubectl, "get", "node", node, "-w") as watch:
        watch.wait_for(lambda line: line.startswith(node) and " Ready " in line)
        kubectl.run("cordon", node)
        line = watch.wait_for(lambda line: "SchedulingDisabled" in line)
    assert columns(line)[:2] == [node, "Ready,SchedulingDisabled"]


def test_get_watch_shows_terminating_when_a_pending_pod_is_deleted(kubectl, objects, namespace):
    objects.pod("gone", running=False)
    with streaming(kubectl, "get", "pods", "-n", namespace, "-w",
                   "--output-watch-events") as watch:
        watch.wait_for(lambda line: "gone" in line and "Pending" in line)
        kubectl.run("delete", "pod", "gone", "-n", namespace)
        modified = watch.wait_for(lambda line: line.startswith("MODIFIED") and "gone" in line)
        deleted = watch.wait_for(lambda line: line.startswith("DELETED") and "gone" in line)
    assert columns(modified)[3] == columns(deleted)[3] == "Terminating"
