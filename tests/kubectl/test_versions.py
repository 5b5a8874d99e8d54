"""The versioned kubectl binaries beside the dispatcher (1.29 to 1.33), run directly:
the dispatcher picks 1.32 for this server, but users may call any of them. 1.29 reads
aggregated discovery v2beta1 only; the others ask for v2 first."""

from __future__ import annotations

import json

import pytest
from kubectl_support import Objects, streaming

pytestmark = pytest.mark.kubectl


def test_versioned_kubectl_gets_applies_and_watches_when_run_directly(
        versioned_kubectl, objects: Objects, namespace):
    kubectl = versioned_kubectl
    node = objects.node("a", zone="zone-c")
    objects.pod("web", node=node, labels={"app": "web"})

    out = kubectl.run("get", "pods", "-n", namespace, "-o", "wide").stdout.splitlines()
    assert out[0].split()[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert out[1].split()[:3] == ["web", "1/1", "Running"]
    assert node in out[1].split()
    zone = kubectl.run("get", "node", node, "-L", "topology.kubernetes.io/zone",
                       "--no-headers").stdout.split()
    assert zone[-1] == "zone-c"

    manifest = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "cfg", "namespace": namespace},
                           "data": {"a": "1"}})
    assert kubectl.run("apply", "-f", "-", input=manifest).stdout.strip() == (
        "configmap/cfg created")
    assert kubectl.run("apply", "-f", "-", input=manifest).stdout.strip() == (
        "configmap/cfg unchanged")
    changed = manifest.replace('"1"', '"2"')
    assert kubectl.run("apply", "--server-side", "-f", "-", input=changed).stdout.strip() == (
        "configmap/cfg serverside-applied")
    config = objects.get("configmaps", "cfg")
    assert config is not None
    assert config["data"] == {"a": "2"}

    kubectl.run("label", "node", node, "chaos=on")
    labelled = objects.get("nodes", node)
    assert labelled is not None
    assert labelled["metadata"]["labels"]["chaos"] == "on"

    with streaming(kubectl, "get", "node", node, "-w") as watch:
        watch.wait_for(lambda line: line.startswith(node) and " Ready " in line)
        kubectl.run("cordon", node)
        line = watch.wait_for(lambda line: "SchedulingDisabled" in line)
    assert line.split()[:2] == [node, "Ready,SchedulingDisabled"]
