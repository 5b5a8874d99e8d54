"""Watch streams at the wire: many watches of one feed each receive every event in order,
a burst goes out in one chunk, a client that stops reading gets everything once it reads
again, and one that falls too far behind is ended as upstream's cacher ends it."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from rawhttp import Raw

if TYPE_CHECKING:
    from chaoszone.sim.server import Simulator


class ChunkedWatch:
    """A watch over a raw TLS socket that keeps the HTTP chunks apart, as they were sent."""

    def __init__(self, sim: Simulator, path: str) -> None:
        context = ssl.create_default_context(cafile=sim.ca_path)
        raw = socket.socket()
        # a small receive buffer: a client that does not read soon pushes back
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 15)
        raw.settimeout(30)
        raw.connect(("127.0.0.1", sim.port))
        self.sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                          f"{sim.token}\r\n\r\n".encode())
        self.data = b""
        head = self._until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 "), head
        assert b"transfer-encoding: chunked" in head.lower(), head

    def _fill(self) -> None:
        got = self.sock.recv(1 << 16)
        if not got:
            raise EOFError("the server closed the connection")
        self.data += got

    def _until(self, mark: bytes) -> bytes:
        while mark not in self.data:
            self._fill()
        found, _, self.data = self.data.partition(mark)
        return found

    def chunk(self) -> bytes:
        """The next chunk's data; b"" for the last chunk, which ends the response."""
        size = int(self._until(b"\r\n").split(b";")[0], 16)
        while len(self.data) < size + 2:
            self._fill()
        data, rest = self.data[:size], self.data[size:]
        assert rest.startswith(b"\r\n"), rest[:20]
        self.data = rest[2:]
        return data

    def events(self, count: int) -> list[dict[str, Any]]:
        """The next ``count`` events (fewer if the response ends)."""
        events: list[dict[str, Any]] = []
        while len(events) < count:
            data = self.chunk()
            if not data:
                break
            events += [json.loads(line) for line in data.splitlines()]
        return events

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def watches(sim: Simulator) -> Iterator[list[ChunkedWatch]]:
    opened: list[ChunkedWatch] = []
    yield opened
    for watch in opened:
        watch.close()


def _rt(plural: str) -> Any:
    from chaoszone.sim.resources import by_path

    rt = by_path("", "v1", plural)
    assert rt is not None
    return rt


def _configmaps(namespace: str) -> str:
    return f"/api/v1/namespaces/{namespace}/configmaps"


def _current_rv(raw: Raw, namespace: str) -> str:
    rv: str = raw.get(_configmaps(namespace)).json()["metadata"]["resourceVersion"]
    return rv


def test_every_one_of_many_watches_receives_every_event_in_order(
        sim: Simulator, raw: Raw, namespace: str, watches: list[ChunkedWatch]) -> None:
    raw.post(_configmaps(namespace), {"metadata": {"name": "cm", "labels": {"app": "web"}}})
    rv = _current_rv(raw, namespace)
    path = f"{_configmaps(namespace)}?watch=1&resourceVersion={rv}"
    watches += [ChunkedWatch(sim, path) for _ in range(20)]  # one shared feed
    watches += [ChunkedWatch(sim, f"{path}&labelSelector=app%3Dweb") for _ in range(5)]
    versions = []
    for i in range(30):
        reply = raw.patch(f"{_configmaps(namespace)}/cm", {"data": {"n": str(i)}},
                          "application/merge-patch+json")
        assert reply.status == 200, reply.body
        versions.append(reply.json()["metadata"]["resourceVersion"])
    for watch in watches:
        events = watch.events(30)
        assert [e["type"] for e in events] == ["MODIFIED"] * 30
        assert [e["object"]["metadata"]["resourceVersion"] for e in events] == versions
        assert [e["object"]["data"]["n"] for e in events] == [str(i) for i in range(30)]


def test_a_burst_of_events_in_one_turn_of_the_loop_reaches_a_watch_as_one_chunk(
        sim: Simulator, raw: Raw, namespace: str, watches: list[ChunkedWatch]) -> None:
    rv = _current_rv(raw, namespace)
    watch = ChunkedWatch(sim, f"{_configmaps(namespace)}?watch=1&resourceVersion={rv}")
    watches.append(watch)

    def burst(cluster: Any) -> None:
        for i in range(20):
            cluster.registry.create(_rt("configmaps"), namespace, {"metadata": {"name": f"c{i}"}})

    sim.call(burst)
    lines = watch.chunk().splitlines()
    assert [json.loads(line)["object"]["metadata"]["name"] for line in lines] == [
        f"c{i}" for i in range(20)]


def _big_updates(sim: Simulator, namespace: str, count: int, size: int) -> list[str]:
    """Create a config map, then replace its data ``count`` times with ``size`` bytes, each
    write in a turn of the server's loop of its own; returns the resourceVersions of the
    replacements."""
    rt = _rt("configmaps")
    sim.call(lambda cluster: cluster.registry.create(rt, namespace, {"metadata": {"name": "big"}}))

    def write(i: int) -> str:
        def replace(cluster: Any) -> str:
            stored, _ = cluster.registry.update(rt, namespace, "big", {
                "metadata": {"name": "big", "namespace": namespace},
                "data": {"blob": f"{i:06d}" + "x" * size}})
            return str(stored.meta["resourceVersion"])

        return sim.call(replace)

    return [write(i) for i in range(count)]


@pytest.fixture
def round_per_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """No pause between the fan-out's rounds: each write below goes out in a round of its
    own, right after it, and so meets a connection that already pushes back."""
    from chaoszone.sim.api import watch_stream

    monkeypatch.setattr(watch_stream, "_ROUND_GAP", 0.0)


@pytest.mark.usefixtures("round_per_write")
def test_a_watch_whose_client_stops_reading_gets_every_event_once_it_reads_again(
        sim: Simulator, raw: Raw, namespace: str, watches: list[ChunkedWatch]) -> None:
    rv = _current_rv(raw, namespace)
    watch = ChunkedWatch(sim, f"{_configmaps(namespace)}?watch=1&resourceVersion={rv}")
    watches.append(watch)
    # 12 MB the client does not read: more than the sockets' buffers hold, so the
    # connection pushes back and the server holds the rest until it drains
    versions = _big_updates(sim, namespace, 120, 100_000)
    assert raw.get("/version").status == 200  # the server goes on answering meanwhile
    events = watch.events(121)
    assert [e["type"] for e in events] == ["ADDED"] + ["MODIFIED"] * 120
    assert [e["object"]["metadata"]["resourceVersion"] for e in events[1:]] == versions


@pytest.mark.usefixtures("round_per_write")
def test_a_watch_too_far_behind_its_stalled_client_is_ended_and_can_resume(
        sim: Simulator, raw: Raw, namespace: str, watches: list[ChunkedWatch],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from chaoszone.sim.api import watch_stream

    monkeypatch.setattr(watch_stream, "_MAX_BEHIND", 5)
    rv = _current_rv(raw, namespace)
    path = f"{_configmaps(namespace)}?watch=1"
    watch = ChunkedWatch(sim, f"{path}&resourceVersion={rv}")
    watches.append(watch)
    versions = _big_updates(sim, namespace, 120, 100_000)
    # The server stopped writing once the connection pushed back and ended the watch once
    # it was more than five events behind: what it had written arrives, then the end.
    received = watch.events(121)
    assert 0 < len(received) < 121
    assert [e["type"] for e in received] == ["ADDED"] + ["MODIFIED"] * (len(received) - 1)
    last = received[-1]["object"]["metadata"]["resourceVersion"]
    resumed = ChunkedWatch(sim, f"{path}&resourceVersion={last}")
    watches.append(resumed)
    rest = resumed.events(121 - len(received))
    assert [e["object"]["metadata"]["resourceVersion"] for e in received[1:] + rest] == versions


def test_an_idle_watch_with_bookmarks_gets_one_at_the_current_resource_version(
        sim: Simulator, raw: Raw, namespace: str, watches: list[ChunkedWatch],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from chaoszone.sim.api import watch_stream

    monkeypatch.setattr(watch_stream, "BOOKMARK_EVERY", 0.05)
    rv = _current_rv(raw, namespace)
    path = f"{_configmaps(namespace)}?watch=1&resourceVersion={rv}&allowWatchBookmarks=true"
    watch = ChunkedWatch(sim, path)
    watches.append(watch)
    created = raw.post(_configmaps(namespace), {"metadata": {"name": "cm"}}).json()
    added, bookmark = watch.events(2)
    assert added["type"] == "ADDED"
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["kind"] == "ConfigMap"
    assert int(bookmark["object"]["metadata"]["resourceVersion"]) >= int(
        created["metadata"]["resourceVersion"])


@pytest.mark.usefixtures("round_per_write")
def test_a_watch_whose_client_stops_reading_still_ends_at_its_timeout(
        sim: Simulator, raw: Raw, namespace: str, watches: list[ChunkedWatch]) -> None:
    rv = _current_rv(raw, namespace)
    path = f"{_configmaps(namespace)}?watch=1&resourceVersion={rv}&timeoutSeconds=1"
    stalled = ChunkedWatch(sim, path)
    watches.append(stalled)
    _big_updates(sim, namespace, 120, 100_000)  # more than the sockets hold
    # a watch of nothing, opened later with the same timeout: once it has ended, the
    # stalled watch's deadline has passed too
    clock = ChunkedWatch(sim, f"/api/v1/namespaces/{namespace}/secrets?watch=1"
                              f"&resourceVersion={rv}&timeoutSeconds=1")
    watches.append(clock)
    assert clock.chunk() == b""
    received = stalled.events(121)  # what was written before the deadline, then the end
    assert 0 < len(received) < 121
