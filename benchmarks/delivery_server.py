"""A fake provider that sends streams the way providers and gateways really deliver them.

The main fake provider (:mod:`benchmarks.fake_provider`) answers a stream as one body with a
``Content-Length``: the client reads it in a few large reads, so a hook's cost per event is then
the cost of events that arrive together. Real providers write each SSE event as its own
chunked-encoding chunk, spread over seconds, so the client does one read per event. This server
does both, chosen per request by headers:

- ``x-bench-format``: a format of :data:`benchmarks.stream_bodies.FORMATS`;
  ``x-bench-style``: ``compact`` or ``spaced`` JSON; ``x-bench-events``: output events;
- ``x-bench-delivery``:

  - ``per-event``: chunked transfer encoding, each event its own ``send`` followed by a gap
    (``x-bench-gap-us``, default 150 µs) so that the client reads it alone; with
    ``x-bench-lockstep: 1`` the server also waits until the client has read each event before it
    writes the next (what :mod:`benchmarks.instructions` asks: a client under callgrind is slower
    than any gap);
  - ``keepalive``: ``per-event`` after two ``: OPENROUTER PROCESSING`` comments, with a
    ``: keep-alive`` comment (its own write) before every tenth event;
  - ``coalesced``: the whole stream as one body with ``Content-Length``, written at once;
  - ``burst``: chunked, one chunk per event, written without gaps (what a fast local upstream
    does: the client reads many chunks at once, but httpx still hands them over one by one).

A thread per connection with blocking sockets and ``TCP_NODELAY``: the gap is a ``time.sleep``
(an asyncio timer cannot sleep less than a millisecond). It listens on one port per wire format
(``openai`` serves chat and responses), since the instrumentation maps host:port to a format.

``python -m benchmarks.delivery_server`` prints ``PORTS`` and one port per :data:`WIRE_PORTS` once it
listens and serves until stdin closes.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
from typing import Callable, Optional

from benchmarks.stream_bodies import CONTENT_TYPE, keepalive, processing, stream_events

WIRE_PORTS = ("openai", "anthropic", "gemini", "cohere", "ollama", "bedrock")


class Bodies:
    """Prepared events per (format, style, events), built on first use and kept."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, int], list[bytes]] = {}
        self._lock = threading.Lock()

    def get(self, fmt: str, style: str, events: int) -> list[bytes]:
        key = (fmt, style, events)
        with self._lock:
            found = self._cache.get(key)
            if found is None:
                found = self._cache[key] = stream_events(fmt, style, events)
            return found


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _head(fmt: str, extra: str) -> bytes:
    kind = CONTENT_TYPE.get(fmt, "text/event-stream; charset=utf-8")
    return (
        f"HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\n"
        f"x-request-id: req_bench\r\ncache-control: no-cache\r\n{extra}\r\n"
    ).encode()


def _rx_queue_reader(conn: socket.socket) -> Callable[[], int]:
    """A function returning how many bytes the client has received but not yet read from its
    socket (its receive queue, asked of the kernel over NETLINK_SOCK_DIAG, a few µs), or ``-1``
    where unknown.

    The server sends the next event only once this is 0, so every event is alone in the
    client's socket when it reads, however slowly the client runs (under callgrind it runs 30-50
    times slower than natively; with a fixed gap it would read several events at once and the
    instruction count would not be that of one read per event). ``/proc/net/tcp`` says the same
    but costs milliseconds per read on a busy machine."""
    client_host, client_port = conn.getpeername()[:2]
    server_host, server_port = conn.getsockname()[:2]
    try:
        diag = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 4)  # NETLINK_SOCK_DIAG
    except (AttributeError, OSError):
        return lambda: -1
    no_cookie = 0xFFFFFFFF
    sockid = (
        struct.pack("!HH", client_port, server_port)
        + socket.inet_aton(client_host)
        + bytes(12)
        + socket.inet_aton(server_host)
        + bytes(12)
        + struct.pack("=III", 0, no_cookie, no_cookie)
    )
    # inet_diag_req_v2: family, protocol, extensions, pad, states (all), the socket's id
    request = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF) + sockid
    by_family = 20  # SOCK_DIAG_BY_FAMILY; NLM_F_REQUEST = 1
    message = struct.pack("=IHHII", 16 + len(request), by_family, 1, 1, 0) + request

    def rx_queue() -> int:
        try:
            diag.send(message)
            reply = diag.recv(65536)
        except OSError:
            return -1
        if len(reply) < 80 or struct.unpack_from("=H", reply, 4)[0] != by_family:
            return -1
        # after the netlink header: inet_diag_msg's family/state/timer/retrans, id, expires
        return int(struct.unpack_from("=I", reply, 16 + 4 + 48 + 4)[0])

    return rx_queue


def _read_request(conn: socket.socket, buffer: bytearray) -> Optional[dict[str, str]]:
    """Headers of the next request (body read and dropped); ``None`` when the peer closed."""
    while b"\r\n\r\n" not in buffer:
        data = conn.recv(65536)
        if not data:
            return None
        buffer += data
    end = buffer.index(b"\r\n\r\n")
    head = bytes(buffer[:end]).decode("latin-1")
    del buffer[: end + 4]
    headers: dict[str, str] = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(buffer) < length:
        data = conn.recv(65536)
        if not data:
            return None
        buffer += data
    del buffer[:length]
    return headers


def _send(
    conn: socket.socket, data: bytes, gap: float, unread: Optional[Callable[[], int]]
) -> None:
    """One event as its own chunk, then the gap, then (lockstep) until the client has read it."""
    conn.sendall(_chunk(data))
    time.sleep(gap)
    if unread is not None:
        wait = 0.00002
        while unread() > 0:
            time.sleep(wait)
            wait = min(wait * 2, 0.0005)


def _serve_connection(conn: socket.socket, bodies: Bodies) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = bytearray()
    try:
        while True:
            headers = _read_request(conn, buffer)
            if headers is None:
                return
            fmt = headers.get("x-bench-format", "chat")
            events = bodies.get(
                fmt,
                headers.get("x-bench-style", "compact"),
                int(headers.get("x-bench-events", "50")),
            )
            delivery = headers.get("x-bench-delivery", "per-event")
            if delivery == "coalesced":
                body = b"".join(events)
                conn.sendall(_head(fmt, f"content-length: {len(body)}\r\n") + body)
                continue
            conn.sendall(_head(fmt, "transfer-encoding: chunked\r\n"))
            if delivery == "burst":
                conn.sendall(b"".join(_chunk(e) for e in events) + b"0\r\n\r\n")
                continue
            gap = int(headers.get("x-bench-gap-us", "150")) / 1e6
            lockstep = headers.get("x-bench-lockstep") == "1"
            unread = _rx_queue_reader(conn) if lockstep else None

            if delivery == "keepalive" and keepalive(fmt):
                for _ in range(2):
                    _send(conn, processing(fmt), gap, unread)
            comment = keepalive(fmt)
            for number, event in enumerate(events):
                if delivery == "keepalive" and comment and number % 10 == 0:
                    _send(conn, comment, gap, unread)
                _send(conn, event, gap, unread)
            conn.sendall(b"0\r\n\r\n")
    except OSError:
        return
    finally:
        conn.close()


def _accept(listener: socket.socket, bodies: Bodies) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_serve_connection, args=(conn, bodies), daemon=True).start()


def main() -> None:
    bodies = Bodies()
    ports = []
    for _ in WIRE_PORTS:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        ports.append(listener.getsockname()[1])
        threading.Thread(target=_accept, args=(listener, bodies), daemon=True).start()
    sys.stdout.write("PORTS " + " ".join(str(p) for p in ports) + "\n")
    sys.stdout.flush()
    sys.stdin.read()


if __name__ == "__main__":
    main()
