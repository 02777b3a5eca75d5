"""Upstream faults a real local server inflicts on a call: shared by the per-library fault tests.

HTTP errors with and without JSON bodies, an error event in the middle of a 200 stream,
connection refused, a reset before the headers and in the middle of a stream, read timeouts before
the headers and between chunks, a stream that stops without its final event, corrupt gzip.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from tests.support.scripted_server import Reply
from tests.support.wire_samples import Exchange, exchange

CHAT = exchange("openai_chat", True, completion="a b c d e f g h")
ANTHROPIC = exchange("anthropic_messages", True, completion="a b c d")
TIMEOUT_S = 0.3
SLOW_S = 1.0


class Fault(NamedTuple):
    """A fault the server (or the absence of one) inflicts on a call to ``exchange``."""

    reply: Optional[Reply]
    """What the server does; ``None``: nothing listens on the port (connection refused)."""
    exchange: Exchange = CHAT
    error_type: Optional[str] = None
    """``error.type`` for a response that arrives (HTTP error, error event); for an exception it
    is the exception's class, checked against what the caller got."""


def stream_reply(x: Exchange, **changes: Any) -> Reply:
    reply = x.reply()
    for name, value in changes.items():
        setattr(reply, name, value)
    return reply


_ANTHROPIC_OVERLOADED = (
    b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",'
    b'"message":"Overloaded"}}\n\n'
)

FAULTS: dict[str, Fault] = {
    "400-json": Fault(
        Reply(
            status=400,
            pieces=[
                b'{"error":{"message":"bad value","type":"invalid_request_error",'
                b'"param":"temperature","code":"invalid_value"}}'
            ],
        ),
        error_type="invalid_value",
    ),
    "401-no-body": Fault(Reply(status=401, pieces=[]), error_type="401"),
    "429-text": Fault(
        Reply(status=429, content_type="text/plain", pieces=[b"slow down"]), error_type="429"
    ),
    "500-json": Fault(
        Reply(
            status=500,
            pieces=[b'{"error":{"message":"boom","type":"server_error","code":null}}'],
        ),
        error_type="server_error",
    ),
    "502-html": Fault(
        Reply(status=502, content_type="text/html", pieces=[b"<html>bad gateway</html>"]),
        error_type="502",
    ),
    "529-anthropic-json": Fault(
        Reply(
            status=529,
            pieces=[b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'],
        ),
        exchange=ANTHROPIC,
        error_type="overloaded_error",
    ),
    "error-event-mid-stream": Fault(
        Reply(
            content_type="text/event-stream",
            pieces=[*ANTHROPIC.pieces[:3], _ANTHROPIC_OVERLOADED],
            chunked=True,
        ),
        exchange=ANTHROPIC,
        error_type="overloaded_error",
    ),
    "connection-refused": Fault(None),
    "reset-before-headers": Fault(Reply(reset_before_headers=True)),
    "reset-mid-stream": Fault(stream_reply(CHAT, reset_after=3)),
    "read-timeout-before-headers": Fault(stream_reply(CHAT, delay_headers_s=SLOW_S)),
    "read-timeout-mid-stream": Fault(stream_reply(CHAT, pause_s=SLOW_S)),
    "stream-without-final-event": Fault(stream_reply(CHAT, pieces=CHAT.pieces[:-2])),
    "corrupt-gzip-body": Fault(
        Reply(headers={"Content-Encoding": "gzip"}, pieces=[b"this is not gzip at all"])
    ),
    "corrupt-gzip-stream": Fault(
        stream_reply(CHAT, headers={"Content-Encoding": "gzip"}, pieces=[b"\x1f\x8b\x08garbage"])
    ),
}
