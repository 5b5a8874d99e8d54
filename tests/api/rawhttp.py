"""A raw HTTPS client for the simulator's wire-level tests, and checks that a rejected
request changed nothing and left the server answering."""

from __future__ import annotations

import contextlib
import http.client
import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaoszone.sim.server import Simulator

#: stands for "the simulator's own token" in :meth:`Raw.request`
OWN_TOKEN = object()


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def error(self, code: int, reason: str) -> dict[str, Any]:
        """Assert that this is a failure ``Status`` with ``code`` and ``reason``; return it."""
        assert self.status == code, (self.status, self.body[:2000])
        assert self.headers.get_content_type() == "application/json", self.headers
        doc = self.json()
        assert doc["kind"] == "Status", doc
        assert doc["apiVersion"] == "v1", doc
        assert doc["status"] == "Failure", doc
        assert doc["code"] == code, doc
        assert doc["reason"] == reason, doc
        assert isinstance(doc.get("message"), str) and doc["message"], doc
        return doc  # type: ignore[no-any-return]


class Raw:
    """One keep-alive HTTPS connection to a simulator, trusting only its CA."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.context = ssl.create_default_context(cafile=sim.ca_path)
        self._conn: http.client.HTTPSConnection | None = None

    def _connection(self) -> http.client.HTTPSConnection:
        if self._conn is None:
            self._conn = http.client.HTTPSConnection(
                "127.0.0.1", self.sim.port, context=self.context, timeout=30)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, body: bytes | str | Any = None, *,
                content_type: str | None = "application/json",
                headers: dict[str, str] | None = None, token: object = OWN_TOKEN) -> Reply:
        """Send one request; ``body`` may be bytes, text, or an object sent as JSON."""
        if body is not None and not isinstance(body, bytes | str):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        sent: dict[str, str] = {}
        if token is OWN_TOKEN:
            sent["Authorization"] = f"Bearer {self.sim.token}"
        elif token is not None:
            sent["Authorization"] = str(token)
        if body is not None and content_type is not None:
            sent["Content-Type"] = content_type
        sent.update(headers or {})
        for attempt in range(2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return Reply(response.status, response.msg, data)
        raise AssertionError("unreachable")

    def watch_events(self, path: str, count: int) -> tuple[int, list[dict[str, Any]]]:
        """Open a watch on a connection of its own, read ``count`` events, and hang up
        (no waiting for the watch's timeout)."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.sim.port, context=self.context,
                                           timeout=30)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {self.sim.token}"})
            response = conn.getresponse()
            if response.status != 200:
                return response.status, [json.loads(response.read())]
            events = []
            while len(events) < count:
                line = response.readline()
                if not line:
                    break
                events.append(json.loads(line))
            return response.status, events
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> Reply:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> Reply:
        return self.request("PUT", path, body, **kw)

    def patch(self, path: str, body: Any, patch_type: str, **kw: Any) -> Reply:
        return self.request("PATCH", path, body, content_type=patch_type, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.request("DELETE", path, **kw)


def settled_rv(sim: Simulator) -> int:
    """The store's resourceVersion once every controller's queued work has run."""

    def read(cluster: Any) -> int:
        cluster.settle()
        return int(cluster.store.resource_version)

    return sim.call(read)


class Unchanged:
    """Asserts (on leaving a ``with``) that the store's resourceVersion did not move and
    that the server still answers an ordinary request."""

    def __init__(self, sim: Simulator, raw: Raw) -> None:
        self.sim, self.raw = sim, raw

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        before = settled_rv(self.sim)
        yield
        after = settled_rv(self.sim)
        assert after == before, f"the store changed: resourceVersion {before} -> {after}"
        alive = self.raw.get("/api/v1/namespaces/default")
        assert alive.status == 200, alive.body[:500]




def stored_object(sim: Simulator, plural: str, namespace: str, name: str,
                  group: str = "", version: str = "v1") -> dict[str, Any] | None:
    """The object as the store holds it (a copy), or None."""

    def read(cluster: Any) -> dict[str, Any] | None:
        from chaoszone.sim.resources import by_path

        rt = by_path(group, version, plural)
        assert rt is not None
        found = cluster.store.get(rt, namespace if rt.namespaced else "", name)
        return None if found is None else found.copy()  # type: ignore[no-any-return]

    return sim.call(read)
