"""What ``kind export logs`` collects from a stand-in node (kind v0.31.0
pkg/cluster/provider.go collectNodeLogs), built from what the simulator knows."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from standin_docker import exec_refusal, inspect_container
from standin_server import SimClient
from standin_state import Container, StandinError, State, familiar_image, image_id, normalize_image

__all__ = ["collect_node_logs"]




def _stamp(rfc3339: str) -> tuple[str, str]:
    """(journalctl's ``Nov 27 08:40:01``, klog's ``1127 08:40:01.000000``) of a timestamp."""
    from datetime import datetime

    when = datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    return (when.strftime("%b %d %H:%M:%S"),
            when.strftime("%m%d %H:%M:%S.") + f"{when.microsecond:06d}")


def _kubelet_lines(client: SimClient, node: str) -> list[tuple[str, str]]:
    """(time, klog line) of what the node's kubelet would have logged that the simulator
    knows: the pods bound to it (kubelet.go "SyncLoop ADD") and the events about the node
    and from its kubelet (the event recorder's "Event occurred")."""
    lines = []
    selector = f"spec.nodeName={node}"
    for pod in client.request("GET", f"/api/v1/pods?fieldSelector={selector}")["items"]:
        meta = pod["metadata"]
        lines.append((meta["creationTimestamp"],
                      f'kubelet.go:2450] "SyncLoop ADD" source="api" '
                      f'pods=["{meta["namespace"]}/{meta["name"]}"]'))
    for event in client.request("GET", "/api/v1/events")["items"]:
        involved = event.get("involvedObject") or {}
        host = (event.get("source") or {}).get("host")
        if host != node and not (involved.get("kind") == "Node" and involved.get("name") == node):
            continue
        when = (event.get("lastTimestamp") or event.get("eventTime")
                or event["metadata"]["creationTimestamp"])
        obj = "/".join(p for p in (involved.get("namespace"), involved.get("name")) if p)
        lines.append((when, f'event.go:389] "Event occurred" object="{obj}" '
                            f'kind="{involved.get("kind", "")}" '
                            f'apiVersion="{involved.get("apiVersion", "v1")}" '
                            f'type="{event.get("type", "Normal")}" '
                            f'reason="{event.get("reason", "")}" '
                            f"message={json.dumps(event.get('message', ''))}"))
    return sorted(lines)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def collect_node_logs(state: State, node: Container, directory: Path) -> list[str]:
    """pkg/cluster/provider.go collectNodeLogs: what docker exec into the node would give,
    or docker's error in each file (and in the returned errors) when it cannot run."""
    errors = []
    _write(directory / "inspect.json", json.dumps([inspect_container(node)], indent=4) + "\n")
    _write(directory / "serial.log",
           f"chaoszone stand-in: {node.name} is a node of the simulator behind kind cluster "
           f"{node.cluster!r}; it has no console output\n")
    execs = {
        "kubernetes-version.txt": ["cat", "/kind/version"],
        "journal.log": ["journalctl", "--no-pager"],
        "kubelet.log": ["journalctl", "--no-pager", "-u", "kubelet.service"],
        "containerd.log": ["journalctl", "--no-pager", "-u", "containerd.service"],
        "images.log": ["crictl", "images"],
    }
    for file, command in execs.items():
        docker = ["docker", "exec", "--privileged", node.name, *command]
        why = exec_refusal(node)
        if why is not None:
            _write(directory / file, why + "\n")
            errors.append(f'command "{" ".join(shlex.quote(p) for p in docker)}" failed with '
                          f"error: exit status 1")
    if errors:
        return errors
    version = next((p for p in node.image.replace("@", ":").split(":") if p.startswith("v1.")),
                   "v1.32.11")
    _write(directory / "kubernetes-version.txt", version)
    pid = int(node.id[:4], 16) % 900 + 100
    host = node.name
    try:
        klog = _kubelet_lines(SimClient(state.clusters[node.cluster]), node.name)
    except StandinError as exc:
        klog = [("", f'standin] "chaoszone stand-in: the simulator did not answer" '
                     f"err={json.dumps(exc.message)}")]
    journal = []
    for when, line in klog:
        day, stamp = _stamp(when) if when else ("", "")
        journal.append(f"{day} {host} kubelet[{pid}]: I{stamp} {pid:7d} {line}")
    text = "\n".join(journal) + "\n" if journal else "-- No entries --\n"
    _write(directory / "kubelet.log", text)
    _write(directory / "journal.log", text)
    _write(directory / "containerd.log", "-- No entries --\n")
    rows = [("IMAGE", "TAG", "IMAGE ID", "SIZE")]
    for ref in node.images or []:
        tag = familiar_image(ref).rpartition(":")[2]
        rows.append((normalize_image(ref).rsplit(":", 1)[0], tag or "<none>",
                     image_id(ref)[7:20], "0B"))
    widths = [max(len(r[i]) for r in rows) + 3 for i in range(3)]
    _write(directory / "images.log", "".join(
        f"{r[0]:<{widths[0]}}{r[1]:<{widths[1]}}{r[2]:<{widths[2]}}{r[3]}\n" for r in rows))
    return []
