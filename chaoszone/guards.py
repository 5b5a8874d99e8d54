"""Safety guards: what chaoszone may do to a cluster that it did not create.

The ``sim`` and ``kind`` targets are clusters chaoszone made and throws away; they carry
no guards. An existing cluster (the ``context:NAME`` target) carries :class:`Guards`, and
every check below runs *before* anything on the cluster changes:

- :func:`refuse_unlisted_context`: chaoszone connects to a kubeconfig context only when
  the operator allow-listed it (``--chaoszone-allow-context=NAME``, repeatable, or
  ``CHAOSZONE_ALLOWED_CONTEXTS=a,b``): a mistyped or current context is never a target.
- :func:`check_apply` and :func:`check_delete_namespace`: objects go only into the
  namespaces this run created (``Cluster.create_namespace``, the ``namespace`` fixture);
  cluster-scoped objects (Namespaces, StorageClasses, ClusterRoles...) are never applied,
  and no other namespace is deleted. Faults need no applied object: they patch nodes and
  evict pods through the API.
- :func:`check_fault`, called by ``Cluster.fault`` (the one door every fault passes):
  the target must be able to make the fault at all (an existing cluster has no power or
  network switch chaoszone could use); the faults in place together touch at most one
  zone and no control-plane node unless the fault call says so (``allow_zones=2``,
  ``allow_control_plane=True``); and they affect at most ``max_node_share`` of the
  cluster's nodes, a cap only the operator can raise (``--chaoszone-max-node-share``).

This module must not import anything above :mod:`chaoszone.topology`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from chaoszone.errors import InvalidExperiment, UnsafeTarget
from chaoszone.topology import Topology

__all__ = [
    "ALLOWED_CONTEXTS_ENV",
    "DEFAULT_MAX_NODE_SHARE",
    "Guards",
    "allowed_contexts",
    "check_apply",
    "check_capability",
    "check_delete_namespace",
    "check_fault",
    "of",
    "refuse_unlisted_context",
]

#: the environment variable that allow-lists contexts, comma-separated
ALLOWED_CONTEXTS_ENV = "CHAOSZONE_ALLOWED_CONTEXTS"
#: the share of a cluster's nodes the faults in place may affect together, by default
DEFAULT_MAX_NODE_SHARE = 0.5
#: the pseudo-zone of the nodes without a zone label, for counting zones
_NO_ZONE = "(nodes without a zone label)"


@dataclass(frozen=True)
class Guards:
    """The limits of an existing cluster: see the module docstring."""

    #: the kubeconfig context the guards protect, for the messages
    context: str
    #: at most this share (0 < share <= 1) of all nodes may be affected at once
    max_node_share: float = DEFAULT_MAX_NODE_SHARE

    def __post_init__(self) -> None:
        share = self.max_node_share
        if isinstance(share, bool) or not isinstance(share, int | float) \
                or not 0 < share <= 1:
            raise InvalidExperiment(f"the maximum node share must be a number greater than 0 "
                                    f"and at most 1 (0.5 is half the nodes); got {share!r}")


def of(target: object) -> Guards | None:
    """A target's guards: its ``guards`` attribute; None (unguarded) when it has none."""
    found = getattr(target, "guards", None)
    if found is not None and not isinstance(found, Guards):
        raise TypeError(f"{target!r}.guards must be a chaoszone.guards.Guards, got {found!r}")
    return found


# -- the allow-list ------------------------------------------------------------------------------

def allowed_contexts(options: Iterable[str] = (),
                     environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The allow-listed contexts: the options' names, then ``CHAOSZONE_ALLOWED_CONTEXTS``'s."""
    names = [o.strip() for o in options]
    if environ is not None:
        names += environ.get(ALLOWED_CONTEXTS_ENV, "").split(",")
    return tuple(dict.fromkeys(n.strip() for n in names if n.strip()))


def refuse_unlisted_context(context: str, allowed: Collection[str]) -> None:
    """:class:`UnsafeTarget` unless ``context`` is allow-listed (checked before connecting)."""
    if context in allowed:
        return
    listed = f" (allowed now: {', '.join(sorted(allowed))})" if allowed else ""
    raise UnsafeTarget(
        f"refusing to touch kubeconfig context {context!r}: it is not allow-listed{listed}. "
        f"chaoszone cordons, drains and taints the nodes of the clusters it is pointed at, so "
        f"it only touches a context you name explicitly. If {context!r} is a cluster you may "
        f"disrupt, pass --chaoszone-allow-context={context} (repeatable) or set "
        f"{ALLOWED_CONTEXTS_ENV}={context} (comma-separated)")


# -- objects and namespaces ----------------------------------------------------------------------

def check_apply(guards: Guards | None, *, kind: str, name: str, namespace: str | None,
                own_namespaces: Collection[str]) -> None:
    """:class:`UnsafeTarget` for an object outside the run's own namespaces.

    ``namespace`` is None for a cluster-scoped object.
    """
    if guards is None:
        return
    what = f"{kind} {name!r}"
    if namespace is None:
        raise UnsafeTarget(
            f"refusing to apply cluster-scoped {what} to context {guards.context!r}: on an "
            f"existing cluster chaoszone creates objects only in the namespaces it creates "
            f"itself, and a cluster-scoped object would outlive them and affect every "
            f"tenant. Use the `namespace` fixture (Cluster.create_namespace) for namespaced "
            f"objects, and run experiments that need cluster-scoped ones on sim or kind")
    if namespace not in own_namespaces:
        mine = ", ".join(sorted(own_namespaces)) or "none yet"
        raise UnsafeTarget(
            f"refusing to apply {what} into namespace {namespace!r} of context "
            f"{guards.context!r}: chaoszone works only in the namespaces it created in this "
            f"run ({mine}). Apply into the `namespace` fixture's namespace (or one from "
            f"Cluster.create_namespace) and drop metadata.namespace from the manifest")


def check_delete_namespace(guards: Guards | None, name: str,
                           own_namespaces: Collection[str]) -> None:
    """:class:`UnsafeTarget` for deleting a namespace this run did not create."""
    if guards is not None and name not in own_namespaces:
        raise UnsafeTarget(
            f"refusing to delete namespace {name!r} of context {guards.context!r}: chaoszone "
            f"deletes only the namespaces it created in this run "
            f"({', '.join(sorted(own_namespaces)) or 'none'})")


# -- faults ----------------------------------------------------------------------------------------

def check_capability(*, fault: str, needs: Collection[str], can: Collection[str],
                     target: str) -> None:
    """:class:`InvalidExperiment` when the target cannot make ``fault`` at all: it needs a
    switch (``needs``) the target lacks (``can``). Checked before the fault's nodes are."""
    missing = sorted(set(needs) - set(can))
    if missing:
        raise InvalidExperiment(
            f"{fault} needs {' and '.join(missing)} control of the machines, which target "
            f"{target!r} does not have: on it chaoszone can only cordon, drain and taint "
            f"(faults.cordon, faults.drain, faults.taint). Run this experiment on sim or kind "
            f"(--chaoszone-target=sim|kind), or mark it "
            f"@pytest.mark.chaoszone(needs={set(missing)!r}) so it is skipped where the "
            f"target cannot do it")


def check_fault(guards: Guards | None, topology: Topology, *, fault: str,
                nodes: Collection[str], active: Collection[str],
                impaired: Collection[str] = (), allow_zones: int = 1,
                allow_control_plane: bool = False) -> None:
    """:class:`UnsafeTarget` when a guard refuses ``fault`` on ``nodes``.

    ``active`` are the nodes the faults already in place affect; ``impaired`` the nodes
    the live cluster shows cordoned or not Ready for reasons of its own. Both count
    against the node share (a node down for maintenance serves no more than one chaoszone
    cordoned); only chaoszone's own faults count as zones touched.
    """
    if isinstance(allow_zones, bool) or not isinstance(allow_zones, int) or allow_zones < 1:
        raise InvalidExperiment(f"{fault}: allow_zones must be a whole number of zones, at "
                                f"least 1; got {allow_zones!r}")
    if not isinstance(allow_control_plane, bool):
        raise InvalidExperiment(f"{fault}: allow_control_plane must be True or False; got "
                                f"{allow_control_plane!r}")
    if guards is None:
        return
    specs = {n.name: n for n in topology.nodes}
    affected = set(active) | set(nodes)
    planes = sorted(n for n in nodes if n in specs and specs[n].control_plane)
    if planes and not allow_control_plane:
        raise UnsafeTarget(
            f"refusing {fault} on context {guards.context!r}: it touches control-plane "
            f"node(s) {', '.join(planes)}. If the experiment really means to, say so: "
            f"cluster.fault(..., allow_control_plane=True)")
    zones = sorted({(specs[n].zone if n in specs else None) or _NO_ZONE for n in affected})
    if len(zones) > allow_zones:
        raise UnsafeTarget(
            f"refusing {fault} on context {guards.context!r}: with the faults already in "
            f"place it would affect {len(zones)} zones ({', '.join(zones)}), and this fault "
            f"allows {allow_zones}. If the experiment really means to take down several "
            f"zones, say so: cluster.fault(..., allow_zones={len(zones)})")
    total = len(topology.nodes)
    others = sorted(set(impaired) - affected)
    down = len(affected) + len(others)
    if total and down > guards.max_node_share * total:
        already = (f", counting {len(others)} the cluster already shows cordoned or not "
                   f"Ready ({', '.join(others)})") if others else ""
        raise UnsafeTarget(
            f"refusing {fault} on context {guards.context!r}: with the faults already in "
            f"place it would leave {down} of the cluster's {total} nodes "
            f"({down / total:.0%}) out of service{already}, more than the cap of "
            f"{guards.max_node_share:.0%}. The cap is the operator's: raise it with "
            f"--chaoszone-max-node-share={_share_needed(down, total)} if this cluster may "
            f"lose that many")


def _share_needed(affected: int, total: int) -> str:
    """The smallest two-decimal share that admits ``affected`` of ``total`` nodes."""
    hundredths = -(-affected * 100 // total)
    return f"{hundredths / 100:g}"
