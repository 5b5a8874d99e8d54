"""``chaoszone``: the command line.

    chaoszone sim serve [--config FILE [--name NAME]] [--port N] [--kubeconfig PATH]
                        [--time-scale N]
    chaoszone recover [--journal PATH]
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

__all__ = ["main"]


def _serve(args: argparse.Namespace) -> int:
    from chaoszone.errors import InvalidExperiment
    from chaoszone.sim.server import Simulator

    try:
        sim = Simulator(port=args.port, kubeconfig=args.kubeconfig, time_scale=args.time_scale,
                        config=args.config, name=args.name)
    except InvalidExperiment as exc:
        print(f"chaoszone: {exc}", file=sys.stderr)
        return 2
    try:
        sim.start()
    except OSError as exc:
        print(f"chaoszone: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}; "
              f"pick another --port or 0 for any free port", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"chaoszone simulator serving Kubernetes 1.32 on {sim.url}", flush=True)
    if sim.topology is not None:
        zones = ", ".join(f"{z.name} ({len(z)})" for z in sim.topology.zones()) or "none"
        print(f"cluster {sim.topology.name}: {len(sim.topology.nodes)} nodes; zones: {zones}",
              flush=True)
    print(f"kubeconfig: {sim.kubeconfig}", flush=True)
    print(f"try: kubectl --kubeconfig {sim.kubeconfig} --cache-dir {sim.cache_dir} get ns",
          flush=True)
    try:
        stop.wait()
    finally:
        sim.stop()
    print("stopped", flush=True)
    return 0


def _recover(args: argparse.Namespace) -> int:
    from pathlib import Path

    from chaoszone.errors import ChaoszoneError
    from chaoszone.journal import clean_up, iter_pending, leftovers, read_records, recover

    if args.journal is not None:
        journals = [args.journal]
    else:
        journals = [str(p) for p in sorted(Path("runs").glob("*/journal-*.jsonl"))
                    if next(iter_pending(p), None) is not None or leftovers(read_records(p))]
        if not journals:
            print("chaoszone: no journal under runs/ has changes left to undo", flush=True)
            return 0
    code = 0
    for journal in journals:
        try:
            undone = recover(journal)
            deleted = clean_up(journal)
        except ChaoszoneError as exc:
            print(f"chaoszone: {exc}", file=sys.stderr)
            code = 1
            continue
        for record in undone:
            action = " ".join(f"{k}={v}" for k, v in sorted(record.action.items()))
            print(f"undone #{record.id} {record.fault}: {action}", flush=True)
        for entry in deleted:
            print(f"deleted namespace {entry.namespace} (#{entry.id}), created by the run",
                  flush=True)
        print(f"{journal}: {len(undone)} change(s) undone, {len(deleted)} namespace(s) "
              f"deleted; nothing is left to recover", flush=True)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chaoszone", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("sim", help="the embedded cluster simulator")
    sim_sub = sim.add_subparsers(dest="sim_command", required=True)
    serve = sim_sub.add_parser("serve", help="serve a simulated cluster until interrupted")
    serve.add_argument("--config", default=None, metavar="FILE",
                       help="a kind config (kind.x-k8s.io/v1alpha4): serve the cluster kind "
                            "would create from it (default: an empty cluster)")
    serve.add_argument("--name", default=None,
                       help="the cluster's name, as kind create cluster --name (default: the "
                            "config's name, else kind)")
    serve.add_argument("--port", type=int, default=0,
                       help="port on 127.0.0.1 (default: any free port)")
    serve.add_argument("--kubeconfig", default=None,
                       help="where to write a kubeconfig (default: a temporary file)")
    serve.add_argument("--time-scale", type=float, default=1.0,
                       help="how many times faster than the wall clock the cluster runs")
    serve.set_defaults(run=_serve)
    recover = sub.add_parser(
        "recover", help="undo what a crashed run left in place, from its journal")
    recover.add_argument("--journal", default=None, metavar="PATH",
                         help="the run's journal (default: every journal under runs/ "
                              "with changes left to undo)")
    recover.set_defaults(run=_recover)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "port", 0) and not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    if getattr(args, "name", None) is not None and getattr(args, "config", None) is None:
        parser.error("--name names the cluster of a kind config; pass --config FILE too")
    if getattr(args, "time_scale", 1.0) <= 0:
        parser.error(f"--time-scale must be greater than 0, got {args.time_scale}")
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
