"""``ForwardEvent`` <-> serde JSON, byte-compatible with the Rust router's output.

serde writes struct fields in declaration order, compactly, ``null`` for ``None``; chrono writes
``DateTime<Utc>`` as RFC 3339 with 0, 3, 6 or 9 fraction digits (the fewest that are exact) and
``Z``. Reading is strict where it matters (types, ranges, enum values: the error names the field)
and lenient where serde is (unknown fields are ignored, absent ``Option`` fields are ``None``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from opentelemetry.instrumentation.llm_router._forward import (
    FORWARD_STATUSES,
    EventMeta,
    ForwardEvent,
    RequestCompleted,
    RequestStarted,
    TokenUsage,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# ASCII digits only and no trailing newline (``\d`` and ``$`` would allow both), as chrono.
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_U16_MAX = 0xFFFF
_U64_MAX = 0xFFFF_FFFF_FFFF_FFFF


class ForwardEventError(ValueError):
    """A ForwardEvent JSON value that does not match the Rust type. ``field`` is a dotted path."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


# ---------------------------------------------------------------------------------------------
# Reading


def parse_forward_event(line: str | bytes) -> ForwardEvent:
    """Parse one JSON line: a bare ``{"RequestStarted": …}`` or bus-wrapped ``{"Forward": {…}}``."""
    try:
        value = json.loads(line, object_pairs_hook=_object_from_pairs)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ForwardEventError("<line>", f"not valid JSON ({exc})") from None
    return forward_event_from_value(value)


class _DuplicateKey(dict):  # type: ignore[type-arg]
    """A JSON object that had a key twice: ``json`` keeps the last one, serde rejects it."""

    duplicate: str


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj = _DuplicateKey(obj)
        obj.duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return obj


def forward_event_from_value(value: Any) -> ForwardEvent:
    """Build a ForwardEvent from an already-decoded JSON value."""
    path = ""
    value = _single_key(value, "<event>")
    tag, body = value
    if tag == "Forward":
        path = "Forward."
        tag, body = _single_key(body, "Forward")
    if tag == "RequestStarted":
        return _request_started(body, path + tag)
    if tag == "RequestCompleted":
        return _request_completed(body, path + tag)
    raise ForwardEventError(
        (path + "<event>").rstrip("."),
        f"unknown variant {tag!r}, expected 'RequestStarted' or 'RequestCompleted'",
    )


def _single_key(value: Any, field: str) -> tuple[str, Any]:
    value = _object(value, field)
    if len(value) != 1:
        raise ForwardEventError(
            field, f"expected an object with exactly one variant key, got {len(value)} keys"
        )
    return next(iter(value.items()))


def _request_started(body: Any, path: str) -> RequestStarted:
    obj = _object(body, path)
    return RequestStarted(
        meta=_meta(obj, path),
        request_id=_str(obj, "request_id", path),
        endpoint=_str(obj, "endpoint", path),
        model=_str(obj, "model", path),
        is_stream=_bool(obj, "is_stream", path),
    )


def _request_completed(body: Any, path: str) -> RequestCompleted:
    obj = _object(body, path)
    status = _str(obj, "status", path)
    if status not in FORWARD_STATUSES:
        raise ForwardEventError(
            f"{path}.status", f"unknown status {status!r}, expected one of {list(FORWARD_STATUSES)}"
        )
    usage_value = obj.get("usage")
    usage = None if usage_value is None else _usage(usage_value, f"{path}.usage")
    error = obj.get("error")
    if error is not None and not isinstance(error, str):
        raise ForwardEventError(f"{path}.error", f"expected a string or null, got {_kind(error)}")
    return RequestCompleted(
        meta=_meta(obj, path),
        request_id=_str(obj, "request_id", path),
        status_code=_uint(obj, "status_code", path, _U16_MAX),
        status=status,  # type: ignore[arg-type]
        usage=usage,
        latency_ms=_uint(obj, "latency_ms", path, _U64_MAX),
        error=error,
    )


def _meta(obj: Mapping[str, Any], path: str) -> EventMeta:
    meta = _object(_required(obj, "meta", path), f"{path}.meta")
    mpath = f"{path}.meta"
    trace_id = meta.get("trace_id")
    if trace_id is not None and not isinstance(trace_id, str):
        raise ForwardEventError(
            f"{mpath}.trace_id", f"expected a string or null, got {_kind(trace_id)}"
        )
    stamp = _str(meta, "occurred_at", mpath)
    occurred_at, occurred_at_ns = parse_rfc3339(stamp, f"{mpath}.occurred_at")
    return EventMeta(
        event_id=_str(meta, "event_id", mpath),
        occurred_at=occurred_at,
        trace_id=trace_id,
        occurred_at_ns=occurred_at_ns,
    )


def _usage(value: Any, path: str) -> TokenUsage:
    obj = _object(value, path)
    return TokenUsage(
        prompt_tokens=_uint(obj, "prompt_tokens", path, _U64_MAX),
        completion_tokens=_uint(obj, "completion_tokens", path, _U64_MAX),
        total_tokens=_uint(obj, "total_tokens", path, _U64_MAX),
    )


def parse_rfc3339(text: str, field: str = "occurred_at") -> tuple[datetime, int]:
    """Parse an RFC 3339 timestamp into (UTC datetime, exact nanoseconds since the epoch)."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ForwardEventError(field, f"not an RFC 3339 timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if offset not in ("Z", "z") and (int(offset[1:3]) > 23 or int(offset[4:6]) > 59):
        raise ForwardEventError(field, f"not a valid UTC offset: {text!r}")
    try:
        whole = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second),
            tzinfo=timezone.utc,
        )  # fmt: skip
        if offset not in ("Z", "z"):
            sign = 1 if offset[0] == "+" else -1
            whole -= sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
    except (ValueError, OverflowError) as exc:
        raise ForwardEventError(field, f"not a valid date and time: {text!r} ({exc})") from None
    nanos = int((fraction or "").ljust(9, "0"))
    delta = whole - _EPOCH
    total_ns = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + nanos
    return whole + timedelta(microseconds=nanos // 1000), total_ns


# ---------------------------------------------------------------------------------------------
# Writing


def format_rfc3339(total_ns: int) -> str:
    """chrono's ``AutoSi``: no fraction, or 3, 6 or 9 digits, whichever is exact; always ``Z``."""
    seconds, nanos = divmod(total_ns, 1_000_000_000)
    t = _EPOCH + timedelta(seconds=seconds)
    # Not strftime: glibc writes year 5 as "5", chrono as "0005".
    stamp = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if nanos == 0:
        return stamp + "Z"
    if nanos % 1_000_000 == 0:
        return f"{stamp}.{nanos // 1_000_000:03d}Z"
    if nanos % 1_000 == 0:
        return f"{stamp}.{nanos // 1_000:06d}Z"
    return f"{stamp}.{nanos:09d}Z"


def forward_event_to_value(event: ForwardEvent, *, bus_wrapped: bool = False) -> dict[str, Any]:
    """The serde value of an event (an ordered dict, fields in the Rust declaration order)."""
    meta = {
        "event_id": event.meta.event_id,
        "occurred_at": format_rfc3339(event.meta.occurred_at_ns),
        "trace_id": event.meta.trace_id,
    }
    if isinstance(event, RequestStarted):
        value: dict[str, Any] = {
            "RequestStarted": {
                "meta": meta,
                "request_id": event.request_id,
                "endpoint": event.endpoint,
                "model": event.model,
                "is_stream": event.is_stream,
            }
        }
    else:
        usage = event.usage
        value = {
            "RequestCompleted": {
                "meta": meta,
                "request_id": event.request_id,
                "status_code": event.status_code,
                "status": event.status,
                "usage": None
                if usage is None
                else {
                    "prompt_tokens": usage.prompt_tokens,
                    "completion_tokens": usage.completion_tokens,
                    "total_tokens": usage.total_tokens,
                },
                "latency_ms": event.latency_ms,
                "error": event.error,
            }
        }
    return {"Forward": value} if bus_wrapped else value


def format_forward_event(event: ForwardEvent, *, bus_wrapped: bool = False) -> str:
    """One JSON line exactly as ``serde_json::to_string`` writes it (no trailing newline)."""
    return json.dumps(
        forward_event_to_value(event, bus_wrapped=bus_wrapped),
        separators=(",", ":"),
        ensure_ascii=False,
    )


# ---------------------------------------------------------------------------------------------
# Field readers: each names the field it rejects.


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ForwardEventError(path, f"expected an object, got {_kind(value)}")
    if isinstance(value, _DuplicateKey):
        raise ForwardEventError(f"{path}.{value.duplicate}", "duplicate field")
    return value


def _required(obj: Mapping[str, Any], name: str, path: str) -> Any:
    if name not in obj:
        raise ForwardEventError(f"{path}.{name}", "missing field")
    return obj[name]


def _str(obj: Mapping[str, Any], name: str, path: str) -> str:
    value = _required(obj, name, path)
    if not isinstance(value, str):
        raise ForwardEventError(f"{path}.{name}", f"expected a string, got {_kind(value)}")
    return value


def _bool(obj: Mapping[str, Any], name: str, path: str) -> bool:
    value = _required(obj, name, path)
    if not isinstance(value, bool):
        raise ForwardEventError(f"{path}.{name}", f"expected true or false, got {_kind(value)}")
    return value


def _uint(obj: Mapping[str, Any], name: str, path: str, maximum: int) -> int:
    value = _required(obj, name, path)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ForwardEventError(
            f"{path}.{name}", f"expected a non-negative integer, got {_kind(value)}"
        )
    if value < 0 or value > maximum:
        raise ForwardEventError(f"{path}.{name}", f"{value} is out of range 0..={maximum}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
