"""Commands that need what the simulator does not serve (ephemeral containers, the
metrics API, component statuses) fail with kubectl's own clean errors, not crashes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kubectl


def test_debug_reports_ephemeral_containers_unavailable_when_the_server_lacks_them(
        kubectl, objects, namespace):
    """pods/ephemeralcontainers is not served: kubectl must say so rather than crash on a
    404 Status without details."""
    node = objects.node("a")
    objects.pod("web", node=node)
    proc = kubectl.run("debug", "web", "-n", namespace, "--image=busybox",
                       "--profile=general", check=False)
    assert proc.returncode == 1
    assert "panic" not in proc.stderr
    assert "ephemeral containers are disabled for this cluster" in proc.stderr


def test_top_reports_the_metrics_api_missing_when_no_metrics_server_runs(kubectl):
    proc = kubectl.run("top", "nodes", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: Metrics API not available"


def test_get_reports_an_unknown_resource_type_when_the_kind_is_not_served(kubectl):
    proc = kubectl.run("get", "componentstatuses", check=False)
    assert proc.returncode == 1
    assert 'the server doesn\'t have a resource type "componentstatuses"' in proc.stderr
