"""Events around each forwarded upstream call: Python versions of ``bamboo_engine::metrics::events``.

``ForwardEvent`` is ``RequestStarted | RequestCompleted``. The JSON form is serde's default for the
Rust enum (externally tagged, ``null`` for absent options); :mod:`._forward_json` reads and writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal, Optional, Union

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

ForwardStatus = Literal["pending", "success", "error"]
FORWARD_STATUSES: tuple[str, ...] = ("pending", "success", "error")
"""The real ``ForwardStatus`` enum (serde ``snake_case``): what a writer may write."""
READ_STATUSES: tuple[str, ...] = (*FORWARD_STATUSES, "timeout")
"""What the reader accepts: also ``timeout``, which earlier routers wrote (recorded as an error
with ``error.type`` ``timeout``)."""


@dataclass(frozen=True)
class EventMeta:
    """Identity and time of one event.

    ``occurred_at`` is timezone-aware UTC. ``occurred_at_ns`` keeps nanoseconds, which ``datetime``
    cannot hold, so that a nine-digit timestamp survives a round trip to the byte and spans get
    exact start and end times.
    """

    event_id: str
    occurred_at: datetime
    trace_id: Optional[str] = None
    occurred_at_ns: int = 0
    """Nanoseconds since the epoch (exact). Derived from ``occurred_at`` when not given."""
    leap_second: bool = False
    """The time was a leap second, ``…:59:60.5`` (chrono keeps them). ``occurred_at_ns`` is then
    the instant one second after the ``:59`` (the next second's ``.5``), which is when the span
    starts or ends; this flag writes it back as ``:60``, byte for byte as serde wrote it."""

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("EventMeta.occurred_at must be timezone-aware (UTC)")
        if not self.occurred_at_ns:
            delta = self.occurred_at - _EPOCH
            seconds = delta.days * 86_400 + delta.seconds
            ns = seconds * 1_000_000_000 + delta.microseconds * 1000
            object.__setattr__(self, "occurred_at_ns", ns)


@dataclass(frozen=True)
class TokenUsage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(frozen=True)
class RequestStarted:
    """The router is about to send a request upstream."""

    meta: EventMeta
    request_id: str
    endpoint: str
    model: str
    is_stream: bool


@dataclass(frozen=True)
class RequestCompleted:
    """The upstream call ended. ``status_code`` is 0 for a transport error."""

    meta: EventMeta
    request_id: str
    status_code: int
    status: ForwardStatus
    usage: Optional[TokenUsage]
    latency_ms: int
    error: Optional[str]


ForwardEvent = Union[RequestStarted, RequestCompleted]
