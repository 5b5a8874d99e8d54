"""Watch responses: how the events of the hub's feeds reach the clients' connections.

A watch response is a :class:`Stream`: its watcher, the connection, and a task (the
request's handler) that only sleeps until a bookmark is due, the watch times out, the
connection pushes back or the watcher is closed. Events do not wake it. One
:class:`Fanout` per server writes them instead: a feed that keeps an event marks itself
dirty, and a *round* soon after writes every dirty feed's streams everything they have
not sent, one HTTP chunk per stream, straight to the transport.

IMPLEMENTATION DETAIL: why rounds, and how far apart. Each write costs the server a TLS
record, a ``send`` on loopback (which does much of the receiver's TCP work too) and
Python around both: ≈ 30-40 µs before a single byte is counted. Writing each event to
each of 500 watchers as it happens is 500 writes per event, about 20 ms of one core,
and the event loop serves nothing else meanwhile. So a round starts at once (in the
next turn of the loop) only if the loop has been free of rounds for ``_ROUND_GAP`` (4)
times as long as the last round took, and at most ``_MAX_HOLD`` later; otherwise it
waits until then. Under a burst the rounds thus take about a fifth of the loop's time
whatever the machine's speed or load (a round slowed by a busy machine spaces the next
further), and each write carries every event of the time between: the busier the
server, the more events per write. A lone event to a quiet watch goes out in the next
turn of the loop. (In ``bench/watch_fanout.py``, gaps of 2 and 8 times the round cost
the server more CPU than 4 did; a task per stream writing as events came cost it 7-10 s
of CPU against 1.8 s; see docs/performance.md.)

Streams of one feed with nothing of their own to replay are at the same position in it
and receive the same bytes: a round encodes and frames them once per feed (the JSON of
each object is already shared, see :class:`~chaoszone.sim.watch.Stored`) and writes that
one buffer to each connection. TLS still encrypts it once per connection.

The chunk framing is written here, with the data, in one buffer (aiohttp's writer would
add its own framing as a separate join and copy); aiohttp has sent the headers when
``prepare`` returns and sends the last chunk at ``write_eof``, so the stream stays valid
HTTP/1.1. A connection that pushes back (the transport paused writing because the client
reads slower than events come) gets no more writes until its task has waited for it to
drain; a stream that falls more than ``_MAX_BEHIND`` events behind is ended, as
upstream's cacher terminates a watcher whose buffer stays full ("Forcing watcher close
due to unresponsiveness", staging/src/k8s.io/apiserver/pkg/storage/cacher/
cache_watcher.go); the client resumes from the last resourceVersion it saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter

from chaoszone.sim.watch import Feed, Item, Watcher

__all__ = ["Encode", "Fanout", "Stream", "chunk", "event_lines"]

log = logging.getLogger("chaoszone.sim")

#: a batch of events (and whether it is the stream's first) to the bytes of their lines
Encode = Callable[[list[Item], bool], bytes]

BOOKMARK_EVERY = 5.0  # wall seconds between bookmarks on a watch with nothing to send
#: after a round that took t seconds, the next one starts no sooner than t * _ROUND_GAP
#: later (so rounds take at most a fifth of the loop under a burst), but at most
#: ``_MAX_HOLD`` seconds later (a round stretched by a busy machine does not hold the
#: next events for seconds)
_ROUND_GAP = 4.0
_MAX_HOLD = 0.25
#: a stream whose connection pushes back and that is this many events behind is ended
_MAX_BEHIND = 10_000
_EVENT_PREFIX = {t: b'{"type":"' + t.encode() + b'","object":'
                 for t in ("ADDED", "MODIFIED", "DELETED")}


def event_lines(batch: list[Item]) -> list[bytes]:
    """The parts of the watch lines (``{"type":..,"object":..}``) of ``batch``."""
    parts: list[bytes] = []
    for t, s in batch:
        parts += (_EVENT_PREFIX.get(t) or b'{"type":"' + t.encode() + b'","object":',
                  s.raw, b"}\n")
    return parts


def chunk(data: bytes) -> bytes:
    """``data`` as one HTTP/1.1 chunk (RFC 9112 section 7.1)."""
    return b"%x\r\n%b\r\n" % (len(data), data)


def _chunk_of(parts: list[bytes]) -> bytes:
    size = sum(map(len, parts))
    return b"".join((b"%x\r\n" % size, *parts, b"\r\n"))


class Stream:
    """One watch response: a watcher and the connection its events go to.

    ``encode`` renders a batch for the forms other than plain objects (Table,
    PartialObjectMetadata); without it the events go as their objects' JSON, and the
    stream may share its bytes with the other streams of its feed.
    """

    def __init__(self, fanout: Fanout, watcher: Watcher, request: web.Request,
                 writer: AbstractStreamWriter, encode: Encode | None) -> None:
        self.fanout = fanout
        self.watcher = watcher
        # the connection's, for its lifetime (aiohttp drops its reference when it closes)
        self.transport = request.transport
        self.protocol = request.protocol
        self.writer = writer
        self.encode = encode
        #: nothing written yet (a Table's first event carries the column definitions)
        self.first = True
        #: the connection pushed back: the stream's task waits for it to drain
        self.paused = False

    def _writable(self) -> asyncio.Transport | None:
        transport = self.transport
        if transport is None or transport.is_closing():
            self.watcher.close()
            return None
        return transport

    def send(self, data: bytes) -> None:
        """Write ``data`` (whole watch lines) as one chunk now."""
        transport = self._writable()
        if transport is not None:
            transport.write(chunk(data))
            self.first = False

    def flush(self, shared: dict[int, bytes]) -> None:
        """Write everything the watcher has not sent, unless the connection pushes back.

        ``shared`` maps a position in the feed to the chunk of the feed's events from
        there on, for the streams of one feed in one round.
        """
        watcher = self.watcher
        if watcher.closed or not watcher.has_pending:
            return
        if self.paused:
            self._held_back()
            return
        transport = self._writable()
        if transport is None:
            return
        if self.protocol.writing_paused:
            self.paused = True
            watcher.wake.set()  # its task waits for the connection to drain
            self._held_back()
            return
        if self.encode is not None:
            data = chunk(self.encode(watcher.take(), self.first))
        elif watcher.backlog:
            data = _chunk_of(event_lines(watcher.take()))
        else:
            position = watcher.cursor
            cached = shared.get(position)
            batch = watcher.take()
            data = cached if cached is not None else _chunk_of(event_lines(batch))
            shared[position] = data
        transport.write(data)
        self.first = False

    def _held_back(self) -> None:
        """The connection pushes back: end the watch once it is too far behind."""
        if self.watcher.behind > _MAX_BEHIND:
            self.watcher.close()  # wakes the task, which ends the response

    async def serve(self, timeout: float | None, bookmark: Callable[[], bytes] | None
                    ) -> None:
        """Run until the watch times out (after ``timeout`` seconds, None: never), the
        connection goes or the watcher is closed; ``bookmark`` renders the bookmark sent
        after ``BOOKMARK_EVERY`` seconds with nothing pending (None: no bookmarks)."""
        watcher, fanout = self.watcher, self.fanout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout if timeout is not None else None
        fanout.add(self)
        try:
            while not watcher.closed:
                if self.paused:
                    # the watch still ends at its timeout if the client never drains it
                    async with asyncio.timeout_at(deadline):
                        await self.writer.drain()
                    self.paused = False
                    self.flush({})
                    continue
                wait = BOOKMARK_EVERY
                if deadline is not None:
                    wait = min(wait, deadline - loop.time())
                    if wait <= 0:
                        self.flush({})  # what is pending at the deadline still goes
                        break
                try:
                    # asyncio.timeout, not wait_for: no task per wait
                    async with asyncio.timeout(wait):
                        await watcher.wake.wait()
                except TimeoutError:
                    if self._writable() is None:
                        break
                    if bookmark is not None and not watcher.has_pending:
                        self.send(bookmark())
                else:
                    watcher.wake.clear()
        except TimeoutError:
            pass  # the deadline passed while the connection pushed back
        finally:
            fanout.remove(self)
            watcher.close()


class Fanout:
    """Writes the events of dirty feeds to their streams, in rounds (see the module)."""

    def __init__(self) -> None:
        self._streams: dict[Feed, list[Stream]] = {}
        self._dirty: dict[Feed, None] = {}
        self._round: asyncio.Handle | None = None
        #: loop time before which no round starts
        self._next_round = 0.0

    def add(self, stream: Stream) -> None:
        feed = stream.watcher.feed
        streams = self._streams.get(feed)
        if streams is None:
            streams = self._streams[feed] = []
            feed.listeners.append(self._changed)
        streams.append(stream)
        if stream.watcher.has_pending:
            self._changed(feed)

    def remove(self, stream: Stream) -> None:
        feed = stream.watcher.feed
        streams = self._streams.get(feed)
        if streams is None or stream not in streams:
            return
        streams.remove(stream)
        if not streams:
            del self._streams[feed]
            with contextlib.suppress(ValueError):
                feed.listeners.remove(self._changed)

    def _changed(self, feed: Feed) -> None:
        self._dirty[feed] = None
        if self._round is None:
            loop = asyncio.get_running_loop()
            if loop.time() >= self._next_round:
                self._round = loop.call_soon(self._write_round)
            else:
                self._round = loop.call_at(self._next_round, self._write_round)

    def _write_round(self) -> None:
        self._round = None
        loop = asyncio.get_running_loop()
        started = loop.time()
        dirty, self._dirty = self._dirty, {}
        for feed in dirty:
            shared: dict[int, bytes] = {}
            for stream in list(self._streams.get(feed, ())):
                try:
                    stream.flush(shared)
                except Exception:  # one stream's failure ends it, not the round
                    log.exception("watch of %s: writing its events failed; ending it",
                                  feed.resource.key)
                    stream.watcher.close()
        ended = loop.time()
        self._next_round = ended + min((ended - started) * _ROUND_GAP, _MAX_HOLD)
