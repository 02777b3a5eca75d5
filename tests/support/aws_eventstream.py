"""Frames of the binary AWS event stream, for a local server speaking Bedrock's wire format.

Encoded from the format's definition (prelude, CRC32 of the prelude, string headers, payload,
CRC32 of the message); tests check every frame with botocore's own parser, CRCs included."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any, Iterable


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    return message(header_block(headers.items()), payload)


def header_block(headers: Iterable[tuple[str, str]]) -> bytes:
    """String headers (type 7), in order; a name may come twice (the last one wins)."""
    block = b""
    for name, value in headers:
        raw = value.encode()
        block += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(raw)) + raw
    return block


def message(block: bytes, payload: bytes) -> bytes:
    """A frame of an encoded header block (any headers, a name twice included) and a payload."""
    total = 12 + len(block) + len(payload) + 4
    prelude = struct.pack(">II", total, len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    whole = prelude + block + payload
    return whole + struct.pack(">I", zlib.crc32(whole))


def event(kind: str, body: dict[str, Any]) -> bytes:
    headers = {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
    return frame(headers, json.dumps(body).encode())


def chunk(inner: dict[str, Any]) -> bytes:
    """An InvokeModelWithResponseStream ``chunk``: the family's event, base64 in ``bytes``."""
    return event(
        "chunk", {"bytes": base64.b64encode(json.dumps(inner).encode()).decode(), "p": "ab"}
    )


def exception(kind: str, message: str) -> bytes:
    headers = {
        ":exception-type": kind,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return frame(headers, json.dumps({"message": message}).encode())
