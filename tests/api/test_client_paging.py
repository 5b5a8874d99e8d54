"""Lists in pages (limit and continue) over a consistent snapshot, and lists at an older
resourceVersion (resourceVersionMatch=Exact), through the typed client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from client_kinds import BY_ID, Ops, bound, deserializes
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException


@pytest.fixture
def configmaps(api_client: k8s.ApiClient, namespace: str) -> Iterator[Ops]:
    yield from bound(BY_ID["configmaps"], api_client, namespace)


def _make(ops: Ops, count: int) -> list[str]:
    names = [f"cm-{i:03d}" for i in range(count)]
    for name in names:
        ops.create(ops.manifest(name))
    return names


def _names(result: Any) -> list[str]:
    return [item.metadata.name for item in result.items]


def test_limit_and_continue_page_through_a_snapshot_taken_at_the_first_page(
        configmaps: Ops) -> None:
    names = _make(configmaps, 25)
    first = configmaps.list(label_selector=configmaps.selector, limit=10)
    assert _names(first) == names[:10]
    assert first.metadata._continue
    snapshot = first.metadata.resource_version

    # Changes after the first page do not show on the later ones.
    configmaps.create(configmaps.manifest("cm-020a"))
    configmaps.delete(names[15])
    configmaps.patch(names[22], {"data": {"key": "changed"}})

    pages = [first]
    while pages[-1].metadata._continue:
        raw = configmaps.raw(configmaps.list, label_selector=configmaps.selector, limit=10,
                             _continue=pages[-1].metadata._continue)
        pages.append(deserializes(configmaps.client, raw, "V1ConfigMapList"))
    assert [len(p.items) for p in pages] == [10, 10, 5]
    assert [n for p in pages for n in _names(p)] == names
    assert {p.metadata.resource_version for p in pages} == {snapshot}
    assert pages[-1].items[2].data == {"key": "value"}  # as it was at the snapshot
    assert pages[-1].metadata._continue is None

    now = configmaps.list(label_selector=configmaps.selector)
    assert len(now.items) == 25 and "cm-020a" in _names(now) and names[15] not in _names(now)


def test_an_unfiltered_page_tells_how_many_items_remain(configmaps: Ops) -> None:
    _make(configmaps, 7)
    present = len(configmaps.list().items)  # the namespace may hold others' configmaps too
    page = configmaps.list(limit=3)
    assert len(page.items) == 3
    assert page.metadata.remaining_item_count == present - 3


def test_paging_across_all_namespaces_visits_every_object_once(
        configmaps: Ops, api_client: k8s.ApiClient) -> None:
    names = _make(configmaps, 7)
    seen: list[str] = []
    token = None
    while True:
        page = configmaps.list_all_namespaces(label_selector=configmaps.selector, limit=3,
                                              _continue=token)
        seen += _names(page)
        token = page.metadata._continue
        if not token:
            break
    assert seen == names


def test_a_list_at_an_exact_older_resource_version_shows_the_objects_as_they_were(
        configmaps: Ops) -> None:
    kept, doomed = _make(configmaps, 2)
    then = configmaps.list(label_selector=configmaps.selector).metadata.resource_version
    configmaps.patch(kept, {"data": {"key": "new"}})
    configmaps.delete(doomed)
    configmaps.create(configmaps.manifest("cm-late"))

    past = configmaps.list(label_selector=configmaps.selector, resource_version=then,
                           resource_version_match="Exact")
    assert past.metadata.resource_version == then
    assert _names(past) == [kept, doomed]
    assert past.items[0].data == {"key": "value"}

    paged = configmaps.list(label_selector=configmaps.selector, resource_version=then,
                            resource_version_match="Exact", limit=1)
    assert _names(paged) == [kept]
    rest = configmaps.list(label_selector=configmaps.selector, limit=1,
                           _continue=paged.metadata._continue)
    assert _names(rest) == [doomed] and rest.metadata.resource_version == then

    current = configmaps.list(label_selector=configmaps.selector, resource_version=then,
                              resource_version_match="NotOlderThan")
    assert _names(current) == [kept, "cm-late"]
    assert current.items[0].data == {"key": "new"}


def test_a_list_at_a_future_resource_version_times_out(configmaps: Ops) -> None:
    now = int(configmaps.list().metadata.resource_version)
    with pytest.raises(ApiException) as info:
        configmaps.list(resource_version=str(now + 1000), resource_version_match="NotOlderThan")
    assert info.value.status == 504
