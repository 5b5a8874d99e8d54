"""chaoszone's pytest plugin: options, the ``chaoszone`` marker, and the ``cluster`` and
``namespace`` fixtures.

Registered once, by the repository's top-level ``conftest.py``
(``pytest_plugins = ["chaoszone.pytest_plugin"]``).

Options (where to run)::

    --chaoszone-target=TARGET       sim (the embedded simulator, the default), kind, or
                                    context:NAME (an existing cluster, guarded: below)
    --chaoszone-topology=NAME|FILE  the default topology: kind-configs/NAME.yaml
    --chaoszone-time-scale=N        cluster seconds per wall second on sim (default 20)
    --chaoszone-run-dir=DIR         journals go here (default runs/<time>-<pid>)
    --chaoszone-reuse               kind: take an existing cluster of the session's name
    --chaoszone-keep                kind: keep the clusters the session made

On kind each topology gets a cluster named ``cz-<topology>-<xdist worker or main>``,
created on first use (its kubeconfig in the run directory) and deleted after the session
unless kept; a cluster taken with ``--chaoszone-reuse`` (checked against the topology)
is left as it was found. When a test that used a kind cluster failed, the cluster's logs
are exported to ``<run dir>/kind-logs-<cluster>`` before it is deleted. The marker's
``images=[...]`` names local docker images the test's pods need; kind loads them into
the cluster (``kind load docker-image``); sim runs pods of any image. ``--chaoszone-reuse``
and ``--chaoszone-keep`` are usage errors on other targets: the simulator lives in the
session's process, so there is nothing to keep or take over.

An existing cluster (``--chaoszone-target=context:NAME``) is guarded (chaoszone.guards)::

    --chaoszone-allow-context=NAME  allow-list a context (repeatable; or the environment's
                                    CHAOSZONE_ALLOWED_CONTEXTS=a,b); others are refused
    --chaoszone-kubeconfig=PATH     its kubeconfig (default $KUBECONFIG, else ~/.kube/config)
    --chaoszone-max-node-share=F    the share of its nodes faults may affect (default 0.5)

The marker says what a test needs: ``@pytest.mark.chaoszone(topology="three-zones-fast")``
(kwargs merged from module to function, the closest wins). ``cluster`` is one cluster per
topology for the whole session (per xdist worker); ``namespace`` is a namespace of the
test's own, deleted afterwards. After each test the plugin checks that no fault was left
in place (and reverts it, failing the test, if one was).
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chaoszone.errors import InvalidExperiment, TargetError, UnsafeTarget

if TYPE_CHECKING:
    from chaoszone.cluster import Cluster

__all__ = ["DEFAULT_TIME_SCALE"]

#: cluster seconds per wall second on the simulator unless --chaoszone-time-scale says
DEFAULT_TIME_SCALE = 20.0
_CLUSTERS = pytest.StashKey["_Clusters"]()
#: the topology whose cluster a test used, for the failure hook
_TOPOLOGY = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaoszone", "chaoszone: chaos experiments across zones")
    group.addoption("--chaoszone-target", default="sim", metavar="TARGET",
                    help="where experiments run: sim (the embedded simulator, the default), "
                         "kind (kind clusters), or context:NAME (an existing cluster behind "
                         "kubeconfig context NAME, guarded)")
    group.addoption("--chaoszone-topology", default="three-zones", metavar="NAME|FILE",
                    help="default topology for tests whose marker names none: a kind config "
                         "in kind-configs/ by name, or a path (default three-zones)")
    group.addoption("--chaoszone-time-scale", type=float, default=None, metavar="N",
                    help=f"cluster seconds per wall second on sim (default "
                         f"{DEFAULT_TIME_SCALE:g}); budgets are in cluster seconds")
    group.addoption("--chaoszone-run-dir", default=None, metavar="DIR",
                    help="where journals are written (default runs/<time>-<pid>)")
    group.addoption("--chaoszone-reuse", action="store_true", default=False,
                    help="kind: use an existing cluster of the session's name "
                         "(cz-<topology>-<worker>) instead of creating one, and leave it")
    group.addoption("--chaoszone-keep", action="store_true", default=False,
                    help="kind: keep the clusters this session creates (default: delete "
                         "them at the end, after exporting logs of failed tests)")
    _add_context_options(group)


def _add_context_options(group: pytest.OptionGroup) -> None:
    """The options of the context:NAME target (an existing cluster)."""
    group.addoption("--chaoszone-allow-context", action="append", default=[], metavar="NAME",
                    help="allow the context:NAME target to touch kubeconfig context NAME "
                         "(repeatable; also CHAOSZONE_ALLOWED_CONTEXTS, comma-separated)")
    group.addoption("--chaoszone-kubeconfig", default=None, metavar="PATH",
                    help="the kubeconfig of context:NAME (default $KUBECONFIG, else "
                         "~/.kube/config)")
    group.addoption("--chaoszone-max-node-share", type=float, default=None, metavar="F",
                    help="on context:NAME, the largest share of the cluster's nodes the faults "
                         "in place may affect together (0 < F <= 1; default 0.5)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "chaoszone(topology=NAME, needs={'power', 'network'}, images=[IMAGE]): "
                   "the cluster topology an experiment needs, the target switches it needs "
                   "beyond the Kubernetes API (skipped on a target without them), and the "
                   "local images its pods run (loaded into kind clusters)")
    scale = config.getoption("chaoszone_time_scale")
    if scale is not None and not scale > 0:
        raise pytest.UsageError(f"--chaoszone-time-scale must be greater than 0, got {scale}")
    target = config.getoption("chaoszone_target")
    if target not in ("sim", "kind") and not str(target).startswith("context:"):
        raise pytest.UsageError(f"--chaoszone-target must be sim, kind or context:NAME; "
                                f"got {target!r}")
    share = config.getoption("chaoszone_max_node_share")
    if share is not None and not 0 < share <= 1:
        raise pytest.UsageError(f"--chaoszone-max-node-share must be greater than 0 and at "
                                f"most 1 (0.5 is half the nodes); got {share}")
    _check_kind_options(config, str(target), scale)
    config.stash[_CLUSTERS] = _Clusters(config)


def _check_kind_options(config: pytest.Config, target: str, scale: float | None) -> None:
    if target != "kind":
        for flag in ("reuse", "keep"):
            if config.getoption(f"chaoszone_{flag}"):
                raise pytest.UsageError(
                    f"--chaoszone-{flag} applies to --chaoszone-target=kind (a kind cluster "
                    f"outlives the session); the {target} target has no cluster to "
                    f"{'keep' if flag == 'keep' else 'take over'}")
    elif scale is not None:
        raise pytest.UsageError("--chaoszone-time-scale applies to the simulator; a kind "
                                "cluster runs at wall-clock time (budgets are its seconds)")


def pytest_unconfigure(config: pytest.Config) -> None:
    clusters = config.stash.get(_CLUSTERS, None)
    if clusters is not None:
        clusters.close()


class _Clusters:
    """The session's clusters, one per topology, started on first use."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.clusters: dict[Path, Cluster] = {}
        #: topologies whose cluster could not be started, and why
        self.broken: dict[Path, TargetError] = {}
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
        if path in self.broken:  # a kind cluster takes minutes to fail: once per session
            raise TargetError(f"the cluster of topology {topology!r} could not be started "
                              f"earlier in this session: {self.broken[path]}")
        if path not in self.clusters:
            try:
                self.clusters[path] = self._start(path)
            except TargetError as exc:
                self.broken[path] = exc
                raise
        return self.clusters[path]

    def _start(self, path: Path) -> Cluster:
        target = self.config.getoption("chaoszone_target")
        if target == "kind":
            return self._start_kind(path)
        if str(target).startswith("context:"):
            return self._start_context(str(target).removeprefix("context:"))
        # pytest_configure refused any other target as a usage error
        assert target == "sim", target
        from chaoszone.cluster import Cluster
        from chaoszone.targets.sim import SimTarget

        scale = self.config.getoption("chaoszone_time_scale") or DEFAULT_TIME_SCALE
        return Cluster(SimTarget.start(path, time_scale=scale), self.run_dir)

    def _start_context(self, context: str) -> Cluster:
        """The existing cluster behind ``context``, guards first; one per topology asked
        for, as on the other targets (the live nodes are its topology, whatever the
        marker names)."""
        from chaoszone.cluster import Cluster
        from chaoszone.guards import DEFAULT_MAX_NODE_SHARE, allowed_contexts
        from chaoszone.targets.context import ContextTarget

        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        if workers > 1:
            raise UnsafeTarget(
                f"--chaoszone-target=context:{context} under pytest-xdist with {workers} "
                f"workers: each worker would inject its faults without seeing the others', "
                f"so the one-zone and node-share guards could not hold. Run game-days "
                f"without -n")
        allowed = allowed_contexts(self.config.getoption("chaoszone_allow_context"),
                                   os.environ)
        share = self.config.getoption("chaoszone_max_node_share") or DEFAULT_MAX_NODE_SHARE
        target = ContextTarget.connect(context, allowed=allowed, max_node_share=share,
                                       kubeconfig=self.config.getoption("chaoszone_kubeconfig"))
        try:
            return Cluster(target, self.run_dir)
        except BaseException:
            target.close()
            raise

    def _start_kind(self, path: Path) -> Cluster:
        from chaoszone.cluster import Cluster
        from chaoszone.targets.kind import KindTarget

        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        name = re.sub(r"[^a-z0-9.-]+", "-", f"cz-{path.stem}-{worker}".lower())[:50]
        target = KindTarget.start(path, cluster=name, run_dir=self.run_dir,
                                  reuse=self.config.getoption("chaoszone_reuse"),
                                  keep=self.config.getoption("chaoszone_keep"),
                                  progress=self.say)
        try:
            return Cluster(target, self.run_dir)
        except BaseException:
            target.close()
            raise

    def say(self, line: str) -> None:
        """A progress line on the terminal, past pytest's capture (kind takes minutes)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None or capture is None:  # an xdist worker: its stderr reaches us
            print(f"chaoszone: {line}", file=sys.stderr, flush=True)
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"chaoszone: {line}")

    def load_images(self, cluster: Cluster, images: object) -> None:
        """The marker's ``images=[...]`` into a kind cluster (nothing to do elsewhere)."""
        if not isinstance(images, list | tuple) or not all(
                isinstance(i, str) and i for i in images):
            raise InvalidExperiment(f"the chaoszone marker's images= is a list of image "
                                    f"references, got {images!r}")
        from chaoszone.targets.kind import KindTarget

        if isinstance(cluster.target, KindTarget):
            cluster.target.load_images(images)

    def failed(self, topology: str) -> None:
        """A test on ``topology``'s cluster failed: a kind cluster's logs are exported
        before it is deleted (or kept)."""
        from chaoszone.targets.kind import KindTarget

        cluster = self.clusters.get(self.kind_config(topology))
        if cluster is not None and isinstance(cluster.target, KindTarget) \
                and cluster.target.logs_dir is None:
            cluster.target.logs_dir = self.run_dir / f"kind-logs-{cluster.target.cluster}"

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
    unknown = set(merged) - {"images", "needs", "topology"}
    if unknown:
        raise InvalidExperiment(f"{node.nodeid}: unknown chaoszone marker argument(s) "
                                f"{', '.join(sorted(unknown))}; known: images, needs, topology")
    return merged


def _needs(node: pytest.Item, kwargs: dict[str, Any]) -> frozenset[str]:
    """The marker's ``needs``: a set of target switches (targets.INFRASTRUCTURE)."""
    from chaoszone.targets import INFRASTRUCTURE

    needs = kwargs.get("needs", ())
    if isinstance(needs, str) or not isinstance(needs, set | frozenset | list | tuple) \
            or not all(isinstance(n, str) for n in needs) or set(needs) - INFRASTRUCTURE:
        raise InvalidExperiment(
            f"{node.nodeid}: the chaoszone marker's needs must be a set of "
            f"{', '.join(repr(n) for n in sorted(INFRASTRUCTURE))}, e.g. "
            f"needs={{'power'}}; got {needs!r}")
    return frozenset(needs)


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """The cluster of the topology this test's marker (or --chaoszone-topology) names,
    shared by the session; fails the test if a fault was left in place."""
    from chaoszone.targets import capabilities

    kwargs = _marker_kwargs(request.node)
    needs = _needs(request.node, kwargs)
    topology = kwargs.get("topology") or request.config.getoption("chaoszone_topology")
    clusters = request.config.stash[_CLUSTERS]
    handle = clusters.get(str(topology))
    request.node.stash[_TOPOLOGY] = str(topology)
    if "images" in kwargs:
        clusters.load_images(handle, kwargs["images"])
    missing = needs - capabilities(handle.target)
    if missing:
        pytest.skip(f"needs {' and '.join(sorted(missing))} control of the machines, which "
                    f"target {handle.target.name} does not have (it can cordon, drain and "
                    f"taint); run it on sim or kind")
    first = len(handle.history)
    from chaoszone import expect

    resolved_before = len(expect.resolved())
    yield handle
    for n, came_true in enumerate(expect.resolved()[resolved_before:], 1):
        # and each expectation that came true, with how long the cluster took to get there
        request.node.user_properties.append((
            f"chaoszone.expect.{n}", f"{came_true.what} after {came_true.after:.1f} cluster s"))
    for n, fault in enumerate(handle.history[first:], 1):
        # JUnit XML <property> elements: how fast each fault bit, how long it lasted and how
        # long its nodes took to recover once it was undone
        request.node.user_properties.append((
            f"chaoszone.fault.{n}", f"{fault.fault!r} on {', '.join(fault.nodes)}: "
            f"bit={fault.bit} after {_seconds(fault.bit_after)}, lasted "
            f"{_seconds(fault.lasted)}, reverted={fault.reverted}, restored after "
            f"{_seconds(fault.restored_after)}"))
    left = handle.journal.pending()
    if left:
        handle.journal.revert()
        pytest.fail(f"{len(left)} change(s) were still in place after the test and have been "
                    f"reverted: " + "; ".join(f"{r.fault}" for r in left), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Note a failed test's cluster, so that a kind cluster's logs are kept."""
    report = yield
    topology = item.stash.get(_TOPOLOGY, None)
    if report.failed and topology is not None:
        item.config.stash[_CLUSTERS].failed(topology)
    return report


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} cluster s"


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    """A namespace of this test's own on ``cluster``, deleted after the test."""
    name = cluster.create_namespace("cz")
    yield name
    cluster.delete_namespace(name)
