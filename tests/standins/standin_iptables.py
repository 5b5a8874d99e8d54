"""iptables in a stand-in node: the rules ``docker exec NODE iptables ...`` inserts, and
whether they cut the node off from the API server.

Messages are iptables v1.8.9's (kind v0.31.0's base image is Debian bookworm); ``-D`` of a
missing rule reads the same with the legacy and the nf_tables backend.
"""

from __future__ import annotations

import ipaddress

from standin_state import Container, StandinError, State

__all__ = ["BAD_RULE", "UnsupportedRule", "apply", "partitioned"]

BAD_RULE = "iptables: Bad rule (does a matching rule exist in that chain?)."


class UnsupportedRule(Exception):
    """A command line outside the stand-in's iptables subset (docker names the subset)."""


_IPTABLES_HELP = "Try `iptables -h' or 'iptables --help' for more information."


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise StandinError(f"iptables v1.8.9 (nf_tables): host/network `{text}' not found\n"
                           f"{_IPTABLES_HELP}", code=2) from None


def partitioned(state: State, container: Container) -> bool:
    """Whether the node's DROP/REJECT rules cut it off from the API server: packets from
    a control plane's address (INPUT, by source) or to it (OUTPUT, by destination); in an
    HA cluster, those of its load balancer or of every control-plane node."""
    nodes = state.nodes_of(container.cluster)
    balancer = [n.ip for n in nodes if n.role == "external-load-balancer"]
    planes = [n.ip for n in nodes if n.role == "control-plane" and n.name != container.name]
    blocked: set[str] = set()
    for chain, source, destination, target in container.iptables or []:
        if target not in ("DROP", "REJECT") or chain not in ("INPUT", "OUTPUT"):
            continue
        network = ipaddress.ip_network(source if chain == "INPUT" else destination)
        blocked.update(ip for ip in balancer + planes if ipaddress.ip_address(ip) in network)
    if balancer:
        return balancer[0] in blocked or (bool(planes) and set(planes) <= blocked)
    return bool(blocked)


def apply(state: State, container: Container, argv: list[str]) -> bool | None:
    """Run ``iptables ARGV`` in the node: -I/-A/-D/-C CHAIN with -s/-d and -j, silent on
    success as iptables is. Returns whether the node is now partitioned if that changed,
    else None."""
    op = chain = None
    source = destination = "0.0.0.0/0"
    target = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        value = argv[i + 1] if i + 1 < len(argv) else None
        if arg in ("-I", "--insert", "-A", "--append", "-D", "--delete", "-C", "--check"):
            if op is not None or value is None:
                raise UnsupportedRule(f"the iptables command line {argv}")
            op, chain = arg.lstrip("-")[0].upper(), value
            i += 2
            if op == "I" and i < len(argv) and argv[i].isdigit():
                raise UnsupportedRule("an iptables rule number")
        elif arg in ("-s", "--source", "-d", "--destination", "-j", "--jump") and value:
            if arg in ("-s", "--source"):
                source = _address(value)
            elif arg in ("-d", "--destination"):
                destination = _address(value)
            else:
                target = value
            i += 2
        elif arg in ("-w", "--wait"):
            i += 1
        else:
            raise UnsupportedRule(f"the iptables argument {arg!r} in {argv}")
    if op is None or chain not in ("INPUT", "OUTPUT", "FORWARD") or target not in (
            "DROP", "REJECT", "ACCEPT"):
        raise UnsupportedRule(f"the iptables command line {argv}")
    rule = [chain, source, destination, target]
    rules = container.iptables if container.iptables is not None else []
    was = partitioned(state, container)
    if op == "I":
        rules.insert(0, rule)
    elif op == "A":
        rules.append(rule)
    elif rule not in rules:
        raise StandinError(BAD_RULE)
    elif op == "D":
        rules.remove(rule)
    container.iptables = rules
    now = partitioned(state, container)
    return now if now != was else None
