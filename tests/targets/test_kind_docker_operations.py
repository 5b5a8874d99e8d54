"""The docker and kind command lines a KindTarget runs for each fault and its restore, on
a recording fake host (kind_fake_host.py): which command, for which container, and that
restoring twice, or restoring what never happened, is harmless."""

from __future__ import annotations

from pathlib import Path

import pytest
from kind_fake_host import fake_target

from chaoszone import faults
from chaoszone.errors import TargetError
from chaoszone.journal import Journal
from chaoszone.targets.kind import REPAIR_IMAGE

WORKER = "cz-t-worker"


@pytest.mark.parametrize(("state", "command", "status"), [
    ("off", "docker stop cz-t-worker", "exited"),
    ("killed", "docker kill cz-t-worker", "exited"),
    ("paused", "docker pause cz-t-worker", "paused"),
])
def test_each_power_mode_is_its_docker_command(state: str, command: str, status: str) -> None:
    target, host = fake_target()
    target.set_power(WORKER, state)
    assert host.commands("docker")[-1] == command
    assert host.status[WORKER] == status


@pytest.mark.parametrize(("state", "restore"), [
    ("off", "docker start cz-t-worker"),
    ("killed", "docker start cz-t-worker"),
    ("paused", "docker unpause cz-t-worker"),
])
def test_powering_on_undoes_each_mode(state: str, restore: str) -> None:
    target, host = fake_target()
    target.set_power(WORKER, state)
    target.set_power(WORKER, "on")
    assert host.commands("docker")[-1] == restore
    assert target.power_state(WORKER) == "on"


def test_a_stopped_node_container_reports_off_and_a_paused_one_paused() -> None:
    target, host = fake_target()
    host.status[WORKER] = "exited"
    host.status["cz-t-worker2"] = "paused"
    host.status["cz-t-worker3"] = "created"
    assert [target.power_state(n) for n in (WORKER, "cz-t-worker2", "cz-t-worker3",
                                            "cz-t-worker4")] == ["off", "paused", "off", "on"]


def test_a_node_already_in_the_asked_state_is_left_alone() -> None:
    target, host = fake_target()
    target.set_power(WORKER, "on")
    host.status[WORKER] = "exited"
    target.set_power(WORKER, "killed")
    assert [c for c in host.commands("docker") if "inspect" not in c] == []


def test_a_paused_node_is_unpaused_before_it_is_stopped() -> None:
    target, host = fake_target()
    target.set_power(WORKER, "paused")
    target.set_power(WORKER, "off")
    assert host.commands("docker")[-2:] == ["docker unpause cz-t-worker",
                                            "docker stop cz-t-worker"]
    assert target.power_state(WORKER) == "off"


def test_pausing_a_stopped_node_starts_it_first() -> None:
    target, host = fake_target()
    host.status[WORKER] = "exited"
    target.set_power(WORKER, "paused")
    assert host.commands("docker")[-2:] == ["docker start cz-t-worker",
                                            "docker pause cz-t-worker"]


def test_an_unknown_node_or_power_state_is_refused_before_docker_runs() -> None:
    target, host = fake_target()
    with pytest.raises(TargetError, match="has no node 'cz-t-worker9'; its nodes are"):
        target.set_power("cz-t-worker9", "off")
    with pytest.raises(TargetError, match='"on", "off", "killed" or "paused"'):
        target.set_power(WORKER, "asleep")
    assert host.calls == []


def test_a_vanished_container_says_the_cluster_may_be_gone() -> None:
    target, host = fake_target()
    del host.status[WORKER]
    with pytest.raises(TargetError, match=r"No such object: cz-t-worker.*was the cluster"):
        target.power_state(WORKER)


def test_a_partition_drops_the_nodes_and_its_pods_traffic_with_the_control_plane() -> None:
    target, host = fake_target()
    target.set_network(WORKER, "partitioned")
    plane = host.address["cz-t-control-plane"]
    assert host.commands("docker")[-4:] == [
        f"docker exec cz-t-worker iptables -I INPUT -s {plane} -j DROP",
        f"docker exec cz-t-worker iptables -I OUTPUT -d {plane} -j DROP",
        f"docker exec cz-t-worker iptables -I FORWARD -d {plane} -j DROP",
        f"docker exec cz-t-worker iptables -I FORWARD -s {plane} -j DROP"]
    assert sorted(host.rules[WORKER]) == [("FORWARD", "-d", plane, "-j", "DROP"),
                                          ("FORWARD", "-s", plane, "-j", "DROP"),
                                          ("INPUT", "-s", plane, "-j", "DROP"),
                                          ("OUTPUT", "-d", plane, "-j", "DROP")]
    assert all(host.rules[n] == [] for n in host.rules if n != WORKER)


def test_reconnecting_removes_exactly_the_partition_rules() -> None:
    target, host = fake_target()
    host.rules[WORKER].append(("FORWARD", "-s", "10.0.0.1", "-j", "ACCEPT"))  # not ours
    target.set_network(WORKER, "partitioned")
    target.set_network(WORKER, "connected")
    assert host.rules[WORKER] == [("FORWARD", "-s", "10.0.0.1", "-j", "ACCEPT")]


def test_reconnecting_twice_or_without_a_partition_is_harmless() -> None:
    target, host = fake_target()
    target.set_network(WORKER, "connected")
    target.set_network(WORKER, "partitioned")
    target.set_network(WORKER, "connected")
    target.set_network(WORKER, "connected")
    assert host.rules[WORKER] == []


def test_a_partition_made_twice_is_undone_by_one_reconnect() -> None:
    target, host = fake_target()
    target.set_network(WORKER, "partitioned")
    target.set_network(WORKER, "partitioned")
    target.set_network(WORKER, "connected")
    assert host.rules[WORKER] == []


def test_reconnecting_a_stopped_node_needs_no_command_its_rules_died_with_it() -> None:
    target, host = fake_target()
    target.set_network(WORKER, "partitioned")
    target.set_power(WORKER, "off")
    target.set_network(WORKER, "connected")
    target.set_power(WORKER, "on")
    assert not any("-D" in c for c in host.commands("docker"))
    assert host.rules[WORKER] == []


def test_a_reconnect_that_docker_refuses_is_an_error_not_a_missing_rule() -> None:
    target, host = fake_target()
    target.set_network(WORKER, "partitioned")
    host.status[WORKER] = "paused"
    with pytest.raises(TargetError, match=r"cannot reconnect node cz-t-worker:.*paused"):
        target.set_network(WORKER, "connected")


def test_on_an_ha_cluster_a_partition_cuts_every_control_plane_and_the_load_balancer(
        ) -> None:
    target, host = fake_target("three-zones-ha-fast.yaml", balancer=True)
    node = next(n.name for n in target.topology.workers)
    target.set_network(node, "partitioned")
    cut = {rule[2] for rule in host.rules[node]}
    expected = {host.address[c] for c in host.status
                if "control-plane" in c or "load-balancer" in c}
    assert len(expected) == 4
    assert cut == expected


def test_a_control_plane_node_is_cut_off_from_the_others_not_from_itself() -> None:
    target, host = fake_target("three-zones-ha-fast.yaml", balancer=True)
    plane = target.topology.control_planes[0].name
    target.set_network(plane, "partitioned")
    assert host.address[plane] not in {rule[2] for rule in host.rules[plane]}
    assert len(host.rules[plane]) == 4 * 3  # two other control planes and the balancer


def test_the_repair_command_loads_the_repair_image_once() -> None:
    target, host = fake_target()
    host.images.add(REPAIR_IMAGE)
    assert target.repair_command() == ["python", "-m", "chaoszone.repair"]
    target.repair_command()
    assert host.commands("kind") == [f"kind load docker-image {REPAIR_IMAGE} --name cz-t"]


def test_a_repair_image_not_built_says_how_to_build_it() -> None:
    target, host = fake_target()
    with pytest.raises(TargetError, match=f"docker build -t {REPAIR_IMAGE} -f "
                                          f"chaoszone/images/repair/Dockerfile"):
        target.repair_command()
    assert host.commands("kind") == []


def test_deleting_checks_that_kind_really_deleted_the_cluster() -> None:
    target, host = fake_target()
    target.delete()
    assert host.commands("kind") == [
        "kind delete cluster --name cz-t --kubeconfig /nonexistent/kubeconfig",
        "kind get clusters"]


def test_a_delete_that_left_the_cluster_behind_is_an_error() -> None:
    target, host = fake_target()
    original = host._kind

    def stubborn(args: list[str]) -> tuple[int, str, str]:
        if args[:2] == ["delete", "cluster"]:
            return 0, "", ""  # kind exits 0 when it could not find the nodes (P19)
        return original(args)

    host._kind = stubborn  # type: ignore[method-assign]
    with pytest.raises(TargetError, match="still lists it"):
        target.delete()


def test_cluster_time_is_wall_time_on_kind() -> None:
    target, _ = fake_target()
    assert target.wall_seconds(90) == 90
    assert target.cluster_seconds(12.5) == 12.5


def test_the_description_names_the_cluster_its_kubeconfig_and_kind_config() -> None:
    target, _ = fake_target()
    assert target.describe() == {"target": "kind", "cluster": "cz-t",
                                 "kubeconfig": "/nonexistent/kubeconfig",
                                 "kind_config": target.kind_config}


def test_a_zone_outage_in_kill_mode_kills_the_zone_and_its_journal_starts_it_again(
        tmp_path: Path) -> None:
    target, host = fake_target()
    journal = Journal.create(tmp_path / "journal.jsonl", target)
    outage = faults.zone_outage("zone-a", mode="kill")
    outage.inject(target, journal, outage.nodes(target.topology))
    assert [c for c in host.commands("docker") if "inspect" not in c] == [
        "docker kill cz-t-worker", "docker kill cz-t-worker2"]
    assert [r.action for r in journal.pending()] == [
        {"op": "power", "node": "cz-t-worker2", "state": "on"},
        {"op": "power", "node": "cz-t-worker", "state": "on"}]
    journal.revert()
    assert host.commands("docker")[-1] == "docker start cz-t-worker"
    assert target.power_state("cz-t-worker") == target.power_state("cz-t-worker2") == "on"
