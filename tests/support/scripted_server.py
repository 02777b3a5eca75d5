"""A real HTTP server on 127.0.0.1 that answers with scripted bytes: the tests' fake provider.

Each reply says exactly what goes on the wire (status, headers, body pieces, pauses, a reset in
the middle), so tests can replay recorded provider exchanges byte for byte and inject the faults
the network makes. Requests are recorded (method, path, headers, body) for assertions.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional, Union

from tests.support.wire_corpus import CORPUS_DIR as CORPUS


@dataclass
class Reply:
    status: int = 200
    content_type: str = "application/json"
    pieces: list[bytes] = field(default_factory=list)
    """Body pieces; an event stream is sent chunked, one piece per chunk."""
    chunked: bool = False
    pause_s: float = 0.0
    """Pause before each piece after the first."""
    headers: dict[str, str] = field(default_factory=dict)
    reset_after: Optional[int] = None
    """Close the connection abruptly after this many pieces (no final chunk)."""
    reset_before_headers: bool = False
    delay_headers_s: float = 0.0

    @property
    def body(self) -> bytes:
        return b"".join(self.pieces)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Responder = Callable[[Received], Reply]


def json_reply(value: Any, status: int = 200) -> Reply:
    return Reply(status=status, pieces=[json.dumps(value).encode()])


def sse_reply(events: list[Union[str, bytes]], pause_s: float = 0.0) -> Reply:
    pieces = [e.encode() if isinstance(e, str) else e for e in events]
    return Reply(content_type="text/event-stream", pieces=pieces, chunked=True, pause_s=pause_s)


def split_events(body: bytes) -> list[bytes]:
    """Cut an event stream after each blank line (LF or CRLF), keeping every byte."""
    return [p for p in re.split(rb"(?<=\n\n)|(?<=\r\n\r\n)", body) if p]


def corpus_entry(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / name).read_text())


def corpus_reply(entry: dict[str, Any]) -> Reply:
    """The recorded response of a wire-corpus entry, streamed at event boundaries if SSE."""
    response = entry["response"]
    body = response["body"].encode()
    if response["content_type"].startswith("text/event-stream"):
        return Reply(
            status=response["status"],
            content_type=response["content_type"],
            pieces=split_events(body),
            chunked=True,
        )
    return Reply(status=response["status"], content_type=response["content_type"], pieces=[body])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body pieces go out as separate writes: without this, Nagle's algorithm
        # and the client's delayed ACK add ~40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        received = Received(self.command, self.path, dict(self.headers.items()), body)
        self.server.received.append(received)
        reply = self.server.responder(received)
        if reply.reset_before_headers:
            self._reset()
            return
        if reply.delay_headers_s:
            time.sleep(reply.delay_headers_s)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        for index, piece in enumerate(reply.pieces):
            if reply.reset_after is not None and index >= reply.reset_after:
                self._reset()
                return
            if index and reply.pause_s:
                time.sleep(reply.pause_s)
            try:
                if reply.chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                else:
                    self.wfile.write(piece)
                self.wfile.flush()
            except OSError:
                return
        if reply.reset_after is not None and reply.reset_after >= len(reply.pieces):
            self._reset()
            return
        if reply.chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    def _reset(self) -> None:
        """Close with RST (SO_LINGER 0), as a crashed upstream or a middlebox would."""
        try:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    do_POST = _handle
    do_GET = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    responder: Responder
    received: list[Received]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up early are part of the tests, not errors worth a traceback."""


class ScriptedServer:
    """``with ScriptedServer(responder) as server: ... server.url ...``"""

    def __init__(self, responder: Union[Responder, Reply]) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self.responder = responder
        self._server.received = []
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def responder(self) -> Responder:
        return self._server.responder

    @responder.setter
    def responder(self, value: Union[Responder, Reply]) -> None:
        if isinstance(value, Reply):
            reply = value
            self._server.responder = lambda received: reply
        else:
            self._server.responder = value

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self._server.received

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
