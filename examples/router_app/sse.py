"""An incremental server-sent-events decoder: bytes in as they arrive, complete events out.

The router passes upstream bytes to its client unchanged and only *looks* at them (for usage and
finish reasons), so the decoder must accept arbitrary byte boundaries and never hold bytes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional


@dataclass(frozen=True)
class SSEEvent:
    event: Optional[str]
    data: str


class SSEDecoder:
    def __init__(self) -> None:
        self._buffer = b""
        self._event: Optional[str] = None
        self._data: List[str] = []

    def feed(self, chunk: bytes) -> List[SSEEvent]:
        """Every event completed by ``chunk`` (CRLF, CR and LF line ends all accepted)."""
        self._buffer += chunk
        events: List[SSEEvent] = []
        while True:
            cut = self._next_line_end()
            if cut is None:
                return events
            end, width = cut
            line = self._buffer[:end].decode("utf-8", errors="replace")
            self._buffer = self._buffer[end + width :]
            if not line:
                if self._data or self._event is not None:
                    events.append(SSEEvent(self._event, "\n".join(self._data)))
                self._event, self._data = None, []
            elif line.startswith(":"):
                continue
            else:
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "data":
                    self._data.append(value)
                elif name == "event":
                    self._event = value

    def _next_line_end(self) -> Optional[tuple[int, int]]:
        for index, byte in enumerate(self._buffer):
            if byte == 0x0A:
                return index, 1
            if byte == 0x0D:
                if index + 1 == len(self._buffer):
                    return None  # a CR at the end may be the first half of CRLF
                return index, 2 if self._buffer[index + 1] == 0x0A else 1
        return None
