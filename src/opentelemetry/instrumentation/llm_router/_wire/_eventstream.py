"""The binary AWS event stream (``application/vnd.amazon.eventstream``), read incrementally.

Each message is a frame: total length (4 bytes, big-endian), headers length (4), a CRC32 of
those 8 bytes (4), the headers, the payload, and a CRC32 of everything before it (4). A header
is a name (1-byte length, then the name), a type byte and a value; string values (type 7, the
only kind Bedrock's ``:event-type``, ``:message-type`` and ``:exception-type`` use) have a 2-byte
length. Frames are split here as bytes arrive, without copying the stream: only the bytes of the
current incomplete frame are kept. The CRCs are not checked (the SDK does that; telemetry only
reads), but a frame whose lengths make no sense ends the reading, never the caller's stream.

Why it is cheap per frame: a stream repeats a handful of header blocks byte for byte (every
``contentBlockDelta`` of a ConverseStream has the same three headers), so a block is parsed once
and its headers are then found by the block's bytes; and once the reader says that frames with a
given header block need nothing more (:meth:`FrameSplitter.feed`'s callback returns ``True``),
such frames are passed over on those bytes alone, and a read that is exactly one of them costs
three comparisons.
"""

from __future__ import annotations

import struct
from typing import Callable, Optional

MAX_FRAME = 16 * 1024 * 1024
"""The longest frame read (AWS allows 16 MiB); a longer length is no event stream."""

_SIZES = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
"""Fixed value sizes by header type (bool true/false, byte, short, int, long, timestamp, uuid)."""

_PRELUDE = struct.Struct(">II")
"""A frame's total length and its header block's length."""

_KNOWN = 32
"""How many distinct header blocks are remembered (a stream has a handful; more are parsed)."""


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
    """Calls ``on_frame(headers, payload)`` for every complete frame fed so far.

    ``on_frame`` returns ``True`` when no frame with the same header block will ever need
    anything more (the reader's state only moves that way: it stops counting, it never starts
    again); such frames are then skipped on their header bytes. The headers dict handed over is
    shared between frames with the same header block: it must not be changed."""

    __slots__ = (
        "_broken",
        "_buffer",
        "_fast",
        "_fast_end",
        "_fast_size",
        "_known",
        "_on_frame",
        "_skip",
    )

    def __init__(self, on_frame: Callable[[dict[str, str], bytes], Optional[bool]]) -> None:
        self._buffer = b""
        self._broken = False
        self._on_frame = on_frame
        self._known: dict[bytes, dict[str, str]] = {}
        self._skip: Optional[bytes] = None  # the header block of frames that need nothing
        self._fast: Optional[bytes] = None  # the same, armed while no partial frame is kept
        self._fast_size = 0  # its length
        self._fast_end = 0  # where it ends in a frame

    def feed(self, chunk: bytes) -> None:
        """A read. The common one, once frames of a kind need nothing (a text delta with output
        no longer counted), is exactly one such frame: known by its header block at byte 12,
        its two lengths (the whole read, that block's size) and the total's bounds (room for the
        message CRC, at most :data:`MAX_FRAME`), without
        splitting it; anything else (another frame, a cut, several frames, a length that
        makes no sense, which ends the reading) takes the general path."""
        fast = self._fast
        if (
            fast is not None
            and chunk[12 : self._fast_end] == fast
            and _PRELUDE.unpack_from(chunk) == (len(chunk), self._fast_size)
            and self._fast_end + 4 <= len(chunk) <= MAX_FRAME
        ):
            return
        self._split(chunk)

    def _split(self, chunk: bytes) -> None:
        if self._broken or not chunk:
            return
        data = self._buffer + chunk if self._buffer else bytes(chunk)
        at, end = 0, len(data)
        known = self._known
        skip = self._skip
        while end - at >= 12:
            total, header_size = _PRELUDE.unpack_from(data, at)
            if total < 16 or total > MAX_FRAME or header_size > total - 16:
                self._broken = True
                self._buffer = b""
                self._fast = None
                return
            if end - at < total:
                break
            start = at + 12
            payload_at = start + header_size
            if skip is not None and header_size == len(skip) and data.startswith(skip, start):
                at += total
                continue
            block = data[start:payload_at]
            headers = known.get(block)
            if headers is None:
                headers = headers_of(block)
                if len(known) < _KNOWN:
                    known[block] = headers
            if self._on_frame(headers, data[payload_at : at + total - 4]) and skip is None:
                skip = self._skip = block
                self._fast_size = header_size
                self._fast_end = payload_at - at
            at += total
        self._buffer = data[at:] if at < end else b""
        self._fast = None if self._buffer else skip

    @property
    def pending(self) -> Optional[bytes]:
        """Bytes of an incomplete frame (``None`` when none): a body that was no event stream."""
        return self._buffer or None
