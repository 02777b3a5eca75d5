"""The binary AWS event stream (``application/vnd.amazon.eventstream``), read incrementally.

Each message is a frame: total length (4 bytes, big-endian), headers length (4), a CRC32 of
those 8 bytes (4), the headers, the payload, and a CRC32 of everything before it (4). A header
is a name (1-byte length, then the name), a type byte and a value; string values (type 7, the
only kind Bedrock's ``:event-type``, ``:message-type`` and ``:exception-type`` use) have a 2-byte
length. Frames are split here as bytes arrive, without copying the stream: only the bytes of the
current incomplete frame are kept. The CRCs are not checked (the SDK does that; telemetry only
reads), but a frame whose lengths make no sense ends the reading, never the caller's stream.
"""

from __future__ import annotations

from typing import Callable, Optional

MAX_FRAME = 16 * 1024 * 1024
"""The longest frame read (AWS allows 16 MiB); a longer length is no event stream."""

_SIZES = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
"""Fixed value sizes by header type (bool true/false, byte, short, int, long, timestamp, uuid)."""


def headers_of(data: bytes) -> dict[str, str]:
    """The string headers of a frame's header block (other types are skipped)."""
    out: dict[str, str] = {}
    at, end = 0, len(data)
    while at < end:
        size = data[at]
        name = data[at + 1 : at + 1 + size].decode("utf-8", "replace")
        at += 1 + size
        if at >= end:
            break
        kind = data[at]
        at += 1
        if kind in (6, 7):  # byte array, string: 2-byte length
            length = int.from_bytes(data[at : at + 2], "big")
            if kind == 7:
                out[name] = data[at + 2 : at + 2 + length].decode("utf-8", "replace")
            at += 2 + length
        elif kind in _SIZES:
            at += _SIZES[kind]
        else:
            break
    return out


class FrameSplitter:
    """Calls ``on_frame(headers, payload)`` for every complete frame fed so far."""

    __slots__ = ("_broken", "_buffer", "_on_frame")

    def __init__(self, on_frame: Callable[[dict[str, str], bytes], None]) -> None:
        self._buffer = b""
        self._broken = False
        self._on_frame = on_frame

    def feed(self, chunk: bytes) -> None:
        if self._broken or not chunk:
            return
        data = self._buffer + chunk if self._buffer else bytes(chunk)
        at, end = 0, len(data)
        while end - at >= 12:
            total = int.from_bytes(data[at : at + 4], "big")
            header_size = int.from_bytes(data[at + 4 : at + 8], "big")
            if total < 16 or total > MAX_FRAME or header_size > total - 16:
                self._broken = True
                self._buffer = b""
                return
            if end - at < total:
                break
            headers = headers_of(data[at + 12 : at + 12 + header_size])
            payload = data[at + 12 + header_size : at + total - 4]
            self._on_frame(headers, payload)
            at += total
        self._buffer = data[at:] if at < end else b""

    @property
    def pending(self) -> Optional[bytes]:
        """Bytes of an incomplete frame (``None`` when none): a body that was no event stream."""
        return self._buffer or None
