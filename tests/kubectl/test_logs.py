"""`kubectl logs`: whole logs, `--tail`, `-c`, `--timestamps`, all containers, by
label with prefixes, and the errors for containers that have not started."""

from __future__ import annotations

import re

import pytest
from kubectl_support import Objects, streaming

pytestmark = pytest.mark.kubectl


@pytest.fixture
def logged(objects: Objects) -> str:
    node = objects.node("a")
    objects.pod("web", node=node, labels={"app": "web"}, containers=("app", "sidecar"))
    objects.log("web", "app", "starting", "listening on :8080", "GET / 200")
    objects.log("web", "sidecar", "proxy up")
    objects.pod("api", node=node, labels={"app": "web"})
    objects.log("api", "app", "api ready")
    return node


def test_logs_prints_the_default_containers_lines_when_not_told_which(
        kubectl, namespace, logged):
    proc = kubectl.run("logs", "web", "-n", namespace)
    assert proc.stdout.splitlines() == ["starting", "listening on :8080", "GET / 200"]
    assert 'Defaulted container "app" out of: app, sidecar' in proc.stderr


def test_logs_prints_the_named_container_when_given_c(kubectl, namespace, logged):
    out = kubectl.run("logs", "web", "-n", namespace, "-c", "sidecar").stdout
    assert out.splitlines() == ["proxy up"]


def test_logs_prints_only_the_last_lines_when_given_tail(kubectl, namespace, logged):
    out = kubectl.run("logs", "web", "-n", namespace, "-c", "app", "--tail=2").stdout
    assert out.splitlines() == ["listening on :8080", "GET / 200"]


def test_logs_prefixes_each_line_with_its_time_when_given_timestamps(
        kubectl, namespace, logged):
    out = kubectl.run("logs", "web", "-n", namespace, "-c", "app", "--tail=1",
                      "--timestamps").stdout
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z GET / 200\n", out), out


def test_logs_prints_every_container_with_prefixes_when_selected_by_label(
        kubectl, namespace, logged):
    out = kubectl.run("logs", "-n", namespace, "-l", "app=web", "--all-containers",
                      "--prefix").stdout
    assert sorted(out.splitlines()) == sorted([
        "[pod/web/app] starting", "[pod/web/app] listening on :8080", "[pod/web/app] GET / 200",
        "[pod/web/sidecar] proxy up", "[pod/api/app] api ready"])


def test_logs_fails_when_the_container_is_still_creating(kubectl, objects, namespace):
    node = objects.node("a")
    objects.pod("fresh", node=node, running=False)
    proc = kubectl.run("logs", "fresh", "-n", namespace, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ('Error from server (BadRequest): container "app" in pod '
                                   '"fresh" is waiting to start: ContainerCreating')


def test_logs_fails_when_the_container_does_not_exist(kubectl, namespace, logged):
    proc = kubectl.run("logs", "web", "-n", namespace, "-c", "nope", check=False)
    assert proc.returncode == 1
    assert "container nope is not valid for pod web" in proc.stderr


def test_logs_fails_when_there_is_no_previous_container(kubectl, namespace, logged):
    proc = kubectl.run("logs", "api", "-n", namespace, "--previous", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ('Error from server (BadRequest): previous terminated '
                                   'container "app" in pod "api" not found')


def test_logs_follow_streams_new_lines_until_it_ends_when_the_container_stops(
        kubectl, objects: Objects, namespace, logged):
    with streaming(kubectl, "logs", "-f", "web", "-n", namespace, "-c", "app",
                   "--tail=1") as follow:
        follow.wait_for_text("GET / 200")
        objects.log("web", "app", "GET /healthz 200", "shutting down")
        follow.wait_for_text("shutting down")

        def stopped(pod: dict) -> dict:
            status = pod["status"]
            for container in status["containerStatuses"]:
                if container["name"] == "app":
                    container["ready"] = False
                    container["state"] = {"terminated": {
                        "exitCode": 0, "reason": "Completed",
                        "startedAt": container["state"]["running"]["startedAt"],
                        "finishedAt": pod["metadata"]["creationTimestamp"]}}
            return status

        objects.set_status("pods", "web", stopped)
        assert follow.finish() == 0
    assert follow.out == ["GET / 200", "GET /healthz 200", "shutting down"]


def test_logs_follow_ends_when_the_pod_is_deleted(kubectl, objects, namespace, logged):
    with streaming(kubectl, "logs", "-f", "api", "-n", namespace) as follow:
        follow.wait_for_text("api ready")
        kubectl.run("delete", "pod", "api", "-n", namespace, "--grace-period=0", "--force")
        assert follow.finish() == 0
    assert follow.out == ["api ready"]


def test_logs_prints_nothing_when_the_pod_has_no_node(kubectl, objects, namespace):
    """A pod no scheduler has placed has no kubelet to ask: the API answers 204."""
    objects.pod("unplaced", running=False)
    proc = kubectl.run("logs", "unplaced", "-n", namespace)
    assert proc.stdout == proc.stderr == ""
