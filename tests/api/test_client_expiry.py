"""What the client meets once a resourceVersion has left the server's history: a watch
from it ends with 410 Expired (which ``Watch.stream`` raises when given a timeout), and
so do lists at it and continue tokens taken before it. A simulator of its own, with a
short history, gets there in a few writes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from client_kinds import BY_ID, Ops
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from chaoszone.sim.server import Simulator

HISTORY = 20


@pytest.fixture(scope="module")
def short_memory() -> Iterator[k8s.ApiClient]:
    with Simulator(history=HISTORY) as sim, sim.api_client() as client:
        yield client


@pytest.fixture
def configmaps(short_memory: k8s.ApiClient) -> Ops:
    return Ops(BY_ID["configmaps"], short_memory, "default")


def _churn(ops: Ops) -> None:
    """Write more than the history holds (to an object of another run label)."""
    other = Ops(ops.kind, ops.client, ops.namespace)
    name = other.create().metadata.name
    for i in range(HISTORY + 5):
        other.patch(name, {"data": {"key": str(i)}})


def test_a_watch_from_a_forgotten_resource_version_is_expired(configmaps: Ops) -> None:
    old = configmaps.list().metadata.resource_version
    _churn(configmaps)
    with pytest.raises(ApiException) as info:
        list(configmaps.events(resource_version=old))
    assert info.value.status == 410
    assert "too old resource version" in str(info.value)


def test_a_list_at_a_forgotten_exact_resource_version_is_gone(configmaps: Ops) -> None:
    old = configmaps.list().metadata.resource_version
    _churn(configmaps)
    with pytest.raises(ApiException) as info:
        configmaps.list(resource_version=old, resource_version_match="Exact")
    assert info.value.status == 410
    status = json.loads(info.value.body)
    assert (status["reason"], status["code"]) == ("Expired", 410)


def test_a_continue_token_older_than_the_history_is_gone(configmaps: Ops) -> None:
    names = sorted(configmaps.create().metadata.name for _ in range(3))
    page = configmaps.list(label_selector=configmaps.selector, limit=1)
    _churn(configmaps)
    with pytest.raises(ApiException) as info:
        configmaps.list(label_selector=configmaps.selector, limit=1,
                        _continue=page.metadata._continue)
    assert info.value.status == 410
    status = json.loads(info.value.body)
    assert (status["reason"], status["code"]) == ("Expired", 410)
    assert status["message"].startswith("The provided continue parameter is too old")
    # The 410 offers a token that goes on from the same place at the newest version.
    rest = configmaps.list(label_selector=configmaps.selector,
                           _continue=status["metadata"]["continue"])
    assert [i.metadata.name for i in rest.items] == names[1:]
    assert int(rest.metadata.resource_version) > int(page.metadata.resource_version)
