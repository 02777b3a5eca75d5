"""``ForwardEvent`` <-> serde JSON, byte-compatible with the Rust router's output.

serde writes struct fields in declaration order, compactly, ``null`` for ``None``; chrono writes
``DateTime<Utc>`` as RFC 3339 with 0, 3, 6 or 9 fraction digits (the fewest that are exact) and
``Z``, a leap second as ``:60``, and years outside 0..9999 with a sign (``+10000``, ``-0001``).
Reading is strict where it matters (types, ranges, enum values: the error names the field) and
lenient where serde is (unknown fields are ignored, absent ``Option`` fields are ``None``), and a
little more: the retired ``timeout`` status is still read. Writing is strict: a value the real
types cannot hold (a status code above 65535, a negative latency, a count beyond u64, a status the
enum lacks, a string UTF-8 cannot encode, a time outside chrono's range) raises
:class:`ForwardEventError` instead of producing a line serde would reject. The bus wrapper
``MetricsEvent {Chat, Forward, System}`` is read: ``Forward`` is unwrapped, ``Chat`` and ``System``
raise :class:`OtherBusEvent` (not an error in the stream: not ours to record).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from opentelemetry.instrumentation.llm_router._forward import (
    FORWARD_STATUSES,
    READ_STATUSES,
    EventMeta,
    ForwardEvent,
    RequestCompleted,
    RequestStarted,
    TokenUsage,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# ASCII digits only and no trailing newline (``\d`` and ``$`` would allow both), as chrono.
# chrono writes years outside 0..=9999 with a sign and at least four digits.
_RFC3339 = re.compile(
    r"([0-9]{4}|[+-][0-9]{4,6})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_NS = 1_000_000_000
# chrono's DateTime<Utc> range: -262144-01-01T00:00:00Z ..= +262143-12-31T23:59:59.999999999Z
_CHRONO_MIN_YEAR, _CHRONO_MAX_YEAR = -262_144, 262_143
_U16_MAX = 0xFFFF
_U64_MAX = 0xFFFF_FFFF_FFFF_FFFF


class ForwardEventError(ValueError):
    """A ForwardEvent JSON value that does not match the Rust type. ``field`` is a dotted path."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class OtherBusEvent(ForwardEventError):
    """A ``MetricsEvent`` of another kind (``Chat``, ``System``) on the same bus: well-formed, but
    not a forward event. The bridge skips and counts these; it does not report them as errors."""


OTHER_BUS_VARIANTS = ("Chat", "System")
"""The ``MetricsEvent`` variants besides ``Forward``."""


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
    elif tag in OTHER_BUS_VARIANTS:
        raise OtherBusEvent("<event>", f"a {tag} bus event, not a ForwardEvent")
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
    if status not in READ_STATUSES:
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
    """Parse an RFC 3339 timestamp into (UTC datetime, exact nanoseconds since the epoch).

    Everything chrono writes is read: a leap second (``23:59:60.5`` is half a second after
    ``23:59:59.999…``, i.e. the next second's ``.5``) and signed years outside 0..9999. The
    nanoseconds are exact for every instant; the ``datetime`` (which only covers years 1..9999)
    is clamped to its own range.
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ForwardEventError(field, f"not an RFC 3339 timestamp: {text!r}")
    year_s, month_s, day_s, hour_s, minute_s, second_s, fraction, offset = match.groups()
    year, month, day = int(year_s), int(month_s), int(day_s)
    hour, minute, second = int(hour_s), int(minute_s), int(second_s)
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)):
        raise ForwardEventError(field, f"not a valid date and time: {text!r} (no such day)")
    if hour > 23 or minute > 59 or second > 60:
        raise ForwardEventError(field, f"not a valid date and time: {text!r} (no such time)")
    offset_s = 0
    if offset not in ("Z", "z"):
        if int(offset[1:3]) > 23 or int(offset[4:6]) > 59:
            raise ForwardEventError(field, f"not a valid UTC offset: {text!r}")
        offset_s = (1 if offset[0] == "+" else -1) * (
            int(offset[1:3]) * 3600 + int(offset[4:6]) * 60
        )
    seconds = _days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    total_ns = (seconds - offset_s) * _NS + int((fraction or "").ljust(9, "0"))
    return _datetime_of(total_ns), total_ns


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year; H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """The proleptic Gregorian (year, month, day) of a day count since 1970-01-01."""
    days += 719_468
    era = days // 146_097
    doe = days - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


_DATETIME_MIN_NS = (
    (datetime.min.replace(tzinfo=timezone.utc) - _EPOCH) // timedelta(microseconds=1) * 1000
)
_DATETIME_MAX_NS = (
    (datetime.max.replace(tzinfo=timezone.utc) - _EPOCH) // timedelta(microseconds=1) * 1000
)
CHRONO_MIN_NS = _days_from_civil(_CHRONO_MIN_YEAR, 1, 1) * 86_400 * _NS
CHRONO_MAX_NS = (_days_from_civil(_CHRONO_MAX_YEAR + 1, 1, 1) * 86_400) * _NS - 1
"""The instants a chrono ``DateTime<Utc>`` can hold (what a writer may write)."""


def _datetime_of(total_ns: int) -> datetime:
    clamped = min(max(total_ns, _DATETIME_MIN_NS), _DATETIME_MAX_NS)
    return _EPOCH + timedelta(microseconds=clamped // 1000)


# ---------------------------------------------------------------------------------------------
# Writing


def format_rfc3339(total_ns: int) -> str:
    """chrono's ``AutoSi``: no fraction, or 3, 6 or 9 digits, whichever is exact; always ``Z``.
    Years 0..9999 have four digits, others a sign (``+10000``, ``-0001``), as chrono writes them."""
    seconds, nanos = divmod(total_ns, _NS)
    days, seconds = divmod(seconds, 86_400)
    year, month, day = _civil_from_days(days)
    hour, rest = divmod(seconds, 3600)
    minute, second = divmod(rest, 60)
    # Not strftime: glibc writes year 5 as "5", chrono as "0005".
    year_s = f"{year:04d}" if 0 <= year <= 9999 else f"{year:+05d}"
    stamp = f"{year_s}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    if nanos == 0:
        return stamp + "Z"
    if nanos % 1_000_000 == 0:
        return f"{stamp}.{nanos // 1_000_000:03d}Z"
    if nanos % 1_000 == 0:
        return f"{stamp}.{nanos // 1_000:06d}Z"
    return f"{stamp}.{nanos:09d}Z"


def forward_event_to_value(event: ForwardEvent, *, bus_wrapped: bool = False) -> dict[str, Any]:
    """The serde value of an event (an ordered dict, fields in the Rust declaration order).

    Raises :class:`ForwardEventError` (naming the field) for a value the Rust types cannot hold,
    so that no line serde would reject is ever written.
    """
    _check_writable(event)
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


def _check_writable(event: ForwardEvent) -> None:
    """Refuse what serde would reject on reading the line back (see the module docstring)."""
    if isinstance(event, RequestStarted):
        path = "RequestStarted"
        _writable_str(event.request_id, f"{path}.request_id")
        _writable_str(event.endpoint, f"{path}.endpoint")
        _writable_str(event.model, f"{path}.model")
        if type(event.is_stream) is not bool:
            raise ForwardEventError(
                f"{path}.is_stream", f"expected a bool, got {_kind(event.is_stream)}"
            )
    elif isinstance(event, RequestCompleted):
        path = "RequestCompleted"
        _writable_str(event.request_id, f"{path}.request_id")
        _writable_uint(event.status_code, f"{path}.status_code", _U16_MAX)
        if event.status not in FORWARD_STATUSES:
            raise ForwardEventError(
                f"{path}.status",
                f"{event.status!r} is no ForwardStatus (one of {list(FORWARD_STATUSES)})",
            )
        if event.usage is not None:
            for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
                _writable_uint(getattr(event.usage, name), f"{path}.usage.{name}", _U64_MAX)
        _writable_uint(event.latency_ms, f"{path}.latency_ms", _U64_MAX)
        if event.error is not None:
            _writable_str(event.error, f"{path}.error")
    else:
        raise ForwardEventError("<event>", f"not a ForwardEvent: {type(event).__name__}")
    meta = event.meta
    _writable_str(meta.event_id, f"{path}.meta.event_id")
    if meta.trace_id is not None:
        _writable_str(meta.trace_id, f"{path}.meta.trace_id")
    ns = meta.occurred_at_ns
    if type(ns) is not int or not CHRONO_MIN_NS <= ns <= CHRONO_MAX_NS:
        raise ForwardEventError(f"{path}.meta.occurred_at", f"{ns!r} ns is outside chrono's range")


def _writable_str(value: Any, field: str) -> None:
    if not isinstance(value, str):
        raise ForwardEventError(field, f"expected a string, got {_kind(value)}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ForwardEventError(
                field, "a lone surrogate: not UTF-8, serde rejects it"
            ) from None


def _writable_uint(value: Any, field: str, maximum: int) -> None:
    if type(value) is not int:
        raise ForwardEventError(field, f"expected a non-negative integer, got {_kind(value)}")
    if not 0 <= value <= maximum:
        raise ForwardEventError(field, f"{value} is out of range 0..={maximum}")


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
