"""Incremental newline-delimited JSON (NDJSON) splitting, for Ollama's native streams.

Ollama streams one JSON object per line (``application/x-ndjson``), not SSE. As with SSE, most
lines carry nothing we need (a token of text); the format decides from a line's bytes whether to
decode it. Only the current incomplete line is held, and a line that grows beyond
:data:`~._sse.MAX_EVENT_BYTES` without ending is dropped (the rest of it is skipped).
"""

from __future__ import annotations

from opentelemetry.instrumentation.llm_router._wire._sse import MAX_EVENT_BYTES

_LF = b"\n"


class LineSplitter:
    """Splits a byte stream into lines; subclasses implement :meth:`_lines` (and ``summary``).

    The common case, a chunk that is exactly one complete line, is handed over without copying.
    """

    __slots__ = ("_held", "_size", "_skip")

    def __init__(self) -> None:
        self._held: list[bytes] = []
        self._size = 0
        self._skip = False

    def _lines(self, data: bytes) -> None:
        """One or more complete lines (``data`` ends at a line end, which is not included)."""
        raise NotImplementedError

    def feed(self, chunk: bytes) -> None:
        cut = chunk.rfind(_LF)
        if cut < 0:
            self._hold(chunk)
            return
        if self._held or self._skip:
            self._held.append(chunk[:cut])
            data = b"".join(self._held)
            self._held = []
            self._size = 0
            if self._skip:
                self._skip = False
                data = data[data.find(_LF) + 1 :] if _LF in data else b""
        else:
            data = chunk[:cut] if cut < len(chunk) - 1 else chunk[:-1]
        if data:
            self._lines(data)
        if cut < len(chunk) - 1:
            self._hold(chunk[cut + 1 :])

    def flush_lines(self) -> None:
        """The last line, if the stream ended without a line end."""
        if not self._held:
            return
        data = b"".join(self._held)
        self._held = []
        self._size = 0
        if self._skip:
            self._skip = False
            return
        if data.strip():
            self._lines(data)

    def _hold(self, piece: bytes) -> None:
        if not piece:
            return
        self._held.append(piece)
        self._size += len(piece)
        if self._size > MAX_EVENT_BYTES:
            self._held = []
            self._size = 0
            self._skip = True
