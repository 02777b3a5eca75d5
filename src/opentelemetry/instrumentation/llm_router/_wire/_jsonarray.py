"""Incremental splitting of a streamed JSON array into its elements.

Gemini's ``:streamGenerateContent`` without ``alt=sse`` sends one JSON array, written element by
element over the connection. We find where each top-level element ends by tracking nesting depth
and string state over the structural characters only (found with a regex, so text between them
is skipped in C), keep only the bytes of the element in progress, and hand each complete element
to a callback. An element larger than :data:`~._sse.MAX_EVENT_BYTES` is dropped.
"""

from __future__ import annotations

import re
from typing import Callable

from opentelemetry.instrumentation.llm_router._wire._sse import MAX_EVENT_BYTES

_OUTSIDE = re.compile(rb'[{}\[\]"]')
_INSIDE = re.compile(rb'["\\]')


class JSONArraySplitter:
    """Calls ``on_element(bytes)`` for each complete top-level element of a streamed array."""

    __slots__ = ("_depth", "_escape", "_in_string", "_on_element", "_parts", "_size", "_started")

    def __init__(self, on_element: Callable[[bytes], None]) -> None:
        self._on_element = on_element
        self._started = False  # the array's own "[" has been seen
        self._depth = 0  # nesting depth inside the current element
        self._in_string = False
        self._escape = False
        self._parts: list[bytes] | None = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        pos = 0
        end = len(chunk)
        start = 0  # where the current element's bytes in this chunk begin
        while pos < end:
            if self._in_string:
                if self._escape:
                    self._escape = False
                    pos += 1
                    continue
                match = _INSIDE.search(chunk, pos)
                if match is None:
                    break
                pos = match.end()
                if chunk[pos - 1 : pos] == b"\\":
                    self._escape = True
                else:
                    self._in_string = False
                continue
            match = _OUTSIDE.search(chunk, pos)
            if match is None:
                break
            char = chunk[match.start() : match.end()]
            pos = match.end()
            if not self._started:
                if char == b"[":
                    self._started = True
                continue
            if char == b'"':
                self._in_string = True
                if self._depth == 0:
                    start = match.start()  # a bare string element: keep it for completeness
            elif char in b"{[":
                if self._depth == 0:
                    start = match.start()
                    self._parts = []
                    self._size = 0
                self._depth += 1
            elif self._depth > 0:
                self._depth -= 1
                if self._depth == 0:
                    self._emit(chunk[start:pos])
                    start = pos
            # a "]" at depth 0 closes the array itself: nothing to do
        if self._depth > 0:
            self._keep(chunk[start:])

    def _keep(self, piece: bytes) -> None:
        parts = self._parts
        if parts is None:
            return
        self._size += len(piece)
        if self._size > MAX_EVENT_BYTES:
            self._parts = None  # oversized element: drop it, keep tracking structure
        else:
            parts.append(piece)

    def _emit(self, last: bytes) -> None:
        parts = self._parts
        self._parts = []
        self._size = 0
        if parts is None:
            return
        if parts:
            parts.append(last)
            last = b"".join(parts)
        self._on_element(last)
