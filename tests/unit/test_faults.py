"""Fault values: checked when built and against the topology, before anything changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoszone import InvalidExperiment, faults
from chaoszone.topology import Topology

TOPOLOGY = Topology.load(Path(__file__).resolve().parents[2] / "kind-configs" / "three-zones.yaml")


def test_a_fault_on_an_unknown_zone_names_the_zone_and_the_known_zones() -> None:
    with pytest.raises(InvalidExperiment) as caught:
        faults.zone_outage("zone-d").nodes(TOPOLOGY)
    assert "'zone-d'" in str(caught.value)
    assert "zone-a, zone-b, zone-c" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_zone_fault_touches_every_node_of_the_zone() -> None:
    assert faults.partition("zone-b").nodes(TOPOLOGY) == TOPOLOGY.zone("zone-b").node_names


def test_a_cordon_takes_one_node_by_name_when_given_a_node() -> None:
    assert faults.cordon("three-zones-worker3").nodes(TOPOLOGY) == ("three-zones-worker3",)


def test_a_zone_outage_refuses_a_node_name_when_given_one_instead_of_a_zone() -> None:
    with pytest.raises(InvalidExperiment, match="three-zones-worker3"):
        faults.zone_outage("three-zones-worker3").nodes(TOPOLOGY)


@pytest.mark.parametrize("build", [
    lambda: faults.zone_outage("zone-a", mode="explode"),
    lambda: faults.zone_outage(""),
    lambda: faults.taint("zone-a", "chaos", "x", "NoWay"),
    lambda: faults.taint("zone-a", "not a key!", "x", "NoExecute"),
    lambda: faults.drain("zone-a", timeout=0),
    lambda: faults.drain("zone-a", timeout=True),
    lambda: faults.cordon(""),
    lambda: faults.node_outage(),
    lambda: faults.node_outage("n1", "n1"),
], ids=["mode", "empty-zone", "effect", "key", "timeout-zero", "timeout-bool", "cordon-empty",
        "no-nodes", "node-twice"])
def test_bad_fault_parameters_are_refused_when_the_fault_is_built(build: object) -> None:
    with pytest.raises(InvalidExperiment):
        build()  # type: ignore[operator]


def test_faults_are_frozen_values_whose_repr_reads_as_they_were_built() -> None:
    outage = faults.zone_outage("zone-a", mode="pause")
    assert repr(outage) == "zone_outage('zone-a', mode='pause')"
    assert repr(faults.taint("zone-a", "chaos", "on", "NoExecute")) == \
        "taint('zone-a', 'chaos', 'on', 'NoExecute')"
    assert outage == faults.zone_outage("zone-a", mode="pause")
    with pytest.raises(AttributeError):
        outage.zone = "zone-b"  # type: ignore[misc]


def test_a_node_outage_names_the_unknown_node_and_the_known_ones() -> None:
    with pytest.raises(InvalidExperiment, match=r"'kind-worker9'.*three-zones-worker"):
        faults.node_outage("three-zones-worker", "kind-worker9").nodes(TOPOLOGY)


def test_control_plane_loss_in_a_zone_without_a_control_plane_node_says_to_use_ha() -> None:
    with pytest.raises(InvalidExperiment, match="no control-plane node; use an HA topology"):
        faults.control_plane_loss("zone-a").nodes(TOPOLOGY)
