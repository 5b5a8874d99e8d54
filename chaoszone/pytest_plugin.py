"""chaoszone's pytest plugin: options, the ``chaoszone`` marker, and the ``cluster`` and
``namespace`` fixtures.

Registered once, by the repository's top-level ``conftest.py``
(``pytest_plugins = ["chaoszone.pytest_plugin"]``).

Options (where to run)::

    --chaoszone-target=sim          the embedded simulator (the only target so far)
    --chaoszone-topology=NAME|FILE  the default topology: kind-configs/NAME.yaml
    --chaoszone-time-scale=N        cluster seconds per wall second on sim (default 20)
    --chaoszone-run-dir=DIR         journals go here (default runs/<time>-<pid>)

The marker says what a test needs: ``@pytest.mark.chaoszone(topology="three-zones-fast")``
(kwargs merged from module to function, the closest wins). ``cluster`` is one cluster per
topology for the whole session (per xdist worker); ``namespace`` is a namespace of the
test's own, deleted afterwards. After each test the plugin checks that no fault was left
in place (and reverts it, failing the test, if one was).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chaoszone.errors import InvalidExperiment, TargetError

if TYPE_CHECKING:
    from chaoszone.cluster import Cluster

__all__ = ["DEFAULT_TIME_SCALE"]

#: cluster seconds per wall second on the simulator unless --chaoszone-time-scale says
DEFAULT_TIME_SCALE = 20.0
_CLUSTERS = pytest.StashKey["_Clusters"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaoszone", "chaoszone: chaos experiments across zones")
    group.addoption("--chaoszone-target", default="sim", metavar="TARGET",
                    help="where experiments run: sim (the embedded simulator; kind and "
                         "context:NAME arrive later)")
    group.addoption("--chaoszone-topology", default="three-zones", metavar="NAME|FILE",
                    help="default topology for tests whose marker names none: a kind config "
                         "in kind-configs/ by name, or a path (default three-zones)")
    group.addoption("--chaoszone-time-scale", type=float, default=None, metavar="N",
                    help=f"cluster seconds per wall second on sim (default "
                         f"{DEFAULT_TIME_SCALE:g}); budgets are in cluster seconds")
    group.addoption("--chaoszone-run-dir", default=None, metavar="DIR",
                    help="where journals are written (default runs/<time>-<pid>)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "chaoszone(topology=NAME): the cluster topology an experiment needs")
    scale = config.getoption("chaoszone_time_scale")
    if scale is not None and not scale > 0:
        raise pytest.UsageError(f"--chaoszone-time-scale must be greater than 0, got {scale}")
    target = config.getoption("chaoszone_target")
    if target not in ("sim", "kind") and not str(target).startswith("context:"):
        raise pytest.UsageError(f"--chaoszone-target must be sim, kind or context:NAME; "
                                f"got {target!r}")
    config.stash[_CLUSTERS] = _Clusters(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    clusters = config.stash.get(_CLUSTERS, None)
    if clusters is not None:
        clusters.close()


class _Clusters:
    """The session's clusters, one per topology, started on first use."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.clusters: dict[Path, Cluster] = {}
        run_dir = config.getoption("chaoszone_run_dir")
        self.run_dir = Path(run_dir) if run_dir else (
            config.rootpath / "runs" / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")

    def kind_config(self, topology: str) -> Path:
        if topology.endswith((".yaml", ".yml")) or os.sep in topology:
            path = Path(topology)
            path = path if path.is_absolute() else self.config.rootpath / path
        else:
            path = self.config.rootpath / "kind-configs" / f"{topology}.yaml"
        if not path.exists():
            known = sorted(p.stem for p in (self.config.rootpath / "kind-configs").glob("*.yaml"))
            raise InvalidExperiment(f"no topology {topology!r} ({path} does not exist); known: "
                                    f"{', '.join(known) or 'none'}")
        return path.resolve()

    def get(self, topology: str) -> Cluster:
        path = self.kind_config(topology)
        if path not in self.clusters:
            self.clusters[path] = self._start(path)
        return self.clusters[path]

    def _start(self, path: Path) -> Cluster:
        target = self.config.getoption("chaoszone_target")
        if target != "sim":
            raise TargetError(
                f"--chaoszone-target={target}: this chaoszone runs experiments on the "
                f"simulator only (--chaoszone-target=sim); the kind and context:NAME "
                f"targets are not implemented yet (issue 4)")
        from chaoszone.cluster import Cluster
        from chaoszone.targets.sim import SimTarget

        scale = self.config.getoption("chaoszone_time_scale") or DEFAULT_TIME_SCALE
        return Cluster(SimTarget.start(path, time_scale=scale), self.run_dir)

    def close(self) -> None:
        clusters, self.clusters = list(self.clusters.values()), {}
        for cluster in clusters:
            cluster.close()


def _marker_kwargs(node: pytest.Item) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("chaoszone"))):  # farthest first
        if marker.args:
            raise InvalidExperiment(f"{node.nodeid}: the chaoszone marker takes keyword "
                                    f"arguments only (topology=...), got {marker.args!r}")
        merged.update(marker.kwargs)
    unknown = set(merged) - {"topology"}
    if unknown:
        raise InvalidExperiment(f"{node.nodeid}: unknown chaoszone marker argument(s) "
                                f"{', '.join(sorted(unknown))}; known: topology")
    return merged


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """The cluster of the topology this test's marker (or --chaoszone-topology) names,
    shared by the session; fails the test if a fault was left in place."""
    kwargs = _marker_kwargs(request.node)
    topology = kwargs.get("topology") or request.config.getoption("chaoszone_topology")
    handle = request.config.stash[_CLUSTERS].get(str(topology))
    first = len(handle.history)
    yield handle
    for n, fault in enumerate(handle.history[first:], 1):
        # JUnit XML <property> elements: how fast each fault bit and how long it lasted
        request.node.user_properties.append((
            f"chaoszone.fault.{n}", f"{fault.fault!r} on {', '.join(fault.nodes)}: "
            f"bit={fault.bit} after {_seconds(fault.bit_after)}, lasted "
            f"{_seconds(fault.lasted)}, reverted={fault.reverted}"))
    left = handle.journal.pending()
    if left:
        handle.journal.revert()
        pytest.fail(f"{len(left)} change(s) were still in place after the test and have been "
                    f"reverted: " + "; ".join(f"{r.fault}" for r in left), pytrace=False)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} cluster s"


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    """A namespace of this test's own on ``cluster``, deleted after the test."""
    name = cluster.create_namespace("cz")
    yield name
    cluster.delete_namespace(name)
