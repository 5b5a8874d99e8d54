"""A recording stand-in for the ``docker`` and ``kind`` processes a KindTarget runs, for
unit tests of the command lines it chooses (no simulator behind it: the end-to-end tests
in test_kind_target_e2e.py use tests/standins/ for that).

It keeps what the real daemon would (container states, addresses, iptables rules, images)
and answers with the real tools' exit codes and error texts for the cases the target
must tell apart: moby's "No such object", iptables' "Bad rule" on ``-D``, and docker's
refusal to exec into a container that is not running.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes import client

from chaoszone.targets.commands import Completed
from chaoszone.targets.kind import KindTarget, Tools

__all__ = ["KIND_CONFIGS", "FakeHost", "fake_target"]

KIND_CONFIGS = Path(__file__).resolve().parents[2] / "kind-configs"
#: iptables' answer to -D of a rule that is not there (iptables-legacy and -nft alike)
BAD_RULE = "iptables: Bad rule (does a matching rule exist in that chain?).\n"


@dataclass
class FakeHost:
    """A Docker host with one kind cluster's node containers."""

    cluster: str
    status: dict[str, str]
    address: dict[str, str] = field(default_factory=dict)
    rules: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    images: set[str] = field(default_factory=set)
    loaded: list[str] = field(default_factory=list)
    clusters: set[str] = field(default_factory=set)
    #: every command line run, the tool's base name first
    calls: list[list[str]] = field(default_factory=list)

    @classmethod
    def of(cls, cluster: str, containers: Sequence[str]) -> FakeHost:
        return cls(cluster, {c: "running" for c in containers},
                   {c: f"172.18.0.{i}" for i, c in enumerate(containers, 2)},
                   {c: [] for c in containers}, clusters={cluster})

    def __call__(self, args: Sequence[str], *, input: str | None = None,
                 timeout: float = 120.0, cwd: str | None = None,
                 on_line: Callable[[str], None] | None = None) -> Completed:
        argv = [os.path.basename(args[0]), *args[1:]]
        self.calls.append(argv)
        code, out, err = self._answer(argv)
        return Completed(tuple(args), code, out, err)

    def commands(self, *tools: str) -> list[str]:
        """The command lines run, as text, of the given tools (all by default)."""
        return [" ".join(c) for c in self.calls if not tools or c[0] in tools]

    def _answer(self, argv: list[str]) -> tuple[int, str, str]:
        tool, *rest = argv
        if tool == "kind":
            return self._kind(rest)
        verb, *args = rest
        if verb == "inspect":
            fmt, name = args[1], args[2]
            if name not in self.status:
                return 1, "", f"Error: No such object: {name}\n"
            if fmt == "{{.State.Status}}":
                return 0, self.status[name] + "\n", ""
            return 0, self.address[name] + "\n", ""
        if verb == "ps":
            return 0, "".join(f"{c}\n" for c in self.status), ""
        if verb == "image":
            return ((0, "[]\n", "") if args[1] in self.images else
                    (1, "[]\n", f"Error response from daemon: No such image: {args[1]}\n"))
        if verb == "exec":
            name, _, op, *rule = args
            if self.status[name] == "paused":
                return 1, "", (f"Error response from daemon: Container {name} is paused, "
                               f"unpause the container before exec\n")
            if self.status[name] != "running":
                return 1, "", (f"Error response from daemon: container {name} is not "
                               f"running\n")
            if op == "-I":
                self.rules[name].insert(0, tuple(rule))
            elif tuple(rule) in self.rules[name]:
                self.rules[name].remove(tuple(rule))
            else:
                return 1, "", BAD_RULE
            return 0, "", ""
        name = args[-1]
        before = self.status[name]
        after = {"stop": "exited", "kill": "exited", "start": "running", "pause": "paused",
                 "unpause": "running"}[verb]
        if before == "paused" and verb in ("stop", "kill", "start"):
            return 1, "", (f"Error response from daemon: cannot {verb} container: {name}: "
                           f"Container is paused, unpause the container before stopping "
                           f"or killing\n")
        if verb == "pause" and before != "running":
            return 1, "", f"Error response from daemon: container {name} is not running\n"
        if verb == "start" and before == "exited":
            self.rules[name] = []  # a new network namespace: the old rules died with it
        self.status[name] = after
        return 0, f"{name}\n", ""

    def _kind(self, args: list[str]) -> tuple[int, str, str]:
        if args[:2] == ["get", "clusters"]:
            if not self.clusters:
                return 0, "", "No kind clusters found.\n"
            return 0, "".join(f"{c}\n" for c in sorted(self.clusters)), ""
        if args[:2] == ["load", "docker-image"]:
            self.loaded.append(args[2])
            return 0, "", ""
        if args[:2] == ["delete", "cluster"]:
            self.clusters.discard(args[3])
            return 0, "", f"Deleting cluster \"{args[3]}\" ...\n"
        raise AssertionError(f"the fake host does not know `kind {' '.join(args)}`")


def fake_target(config: str = "three-zones-fast.yaml", cluster: str = "cz-t",
                balancer: bool = False) -> tuple[KindTarget, FakeHost]:
    """A KindTarget for ``cluster`` on a fake host (its API client is never used)."""
    from chaoszone.topology import Topology

    topology = Topology.load(KIND_CONFIGS / config, name=cluster)
    containers = [n.name for n in topology.nodes]
    if balancer:
        containers.append(f"{cluster}-external-load-balancer")
    host = FakeHost.of(cluster, containers)
    target = KindTarget(cluster=cluster, kind_config=str(KIND_CONFIGS / config),
                        kubeconfig="/nonexistent/kubeconfig", tools=Tools("kind", "docker", host),
                        api=client.ApiClient())
    return target, host
