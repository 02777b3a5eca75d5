"""``ForwardEvent`` <-> serde JSON, byte-compatible with the Rust router's output.

serde writes struct fields in declaration order, compactly, ``null`` for ``None``; chrono writes
``DateTime<Utc>`` as RFC 3339 with 0, 3, 6 or 9 fraction digits (the fewest that are exact) and
``Z``, a leap second as ``:60``, and years outside 0..9999 with a sign (``+10000``, ``-0001``).
Reading takes exactly what ``serde_json::from_slice`` takes for the real types (checked by
differential fuzzing against them, tests/test_rust_serde.py): unknown fields ignored whatever
they hold, absent ``Option`` fields ``None``, structs also as arrays of their fields, a unit
variant also as ``{"success": null}``, chrono's lenient timestamps; and it refuses what serde
refuses (a repeated known field, ``-0`` or a float for an integer, ``NaN``, a BOM, text that is
not UTF-8 where serde reads it). The few exceptions, each for a reason, are listed in
docs/bridge.md (the retired ``timeout`` status is still read). A rejection names the field.
A leap second keeps its ``:60`` (:attr:`EventMeta.leap_second`), so every line serde writes is
written back byte for byte. Writing is strict: a value the real
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
from typing import Any, Mapping, Optional

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
# Reading: serde_json + serde derive + chrono 0.4's accept set, case by case (docs/bridge.md).


def parse_forward_event(line: str | bytes) -> ForwardEvent:
    """Parse one JSON line: a bare ``{"RequestStarted": …}`` or bus-wrapped ``{"Forward": {…}}``.

    Accepts what ``serde_json::from_slice`` accepts for the real types and rejects what it
    rejects, with the exceptions listed in docs/bridge.md (the retired ``timeout`` status is
    read; ``Chat`` / ``System`` payloads are not looked at; nesting beyond Python's recursion
    limit inside an unknown field is refused). Bytes are UTF-8: a byte that is not is refused
    where serde would refuse it (a field it reads) and passed over where serde passes over it
    (the value of an unknown field), as is a lone surrogate escape.
    """
    if isinstance(line, (bytes, bytearray)):
        line = bytes(line).decode("utf-8", "surrogateescape")
    try:
        try:  # the careful decoder's Python hook on every integer is needed only now and then
            if _MINUS_ZERO.search(line):
                raise ValueError
            value = _FAST_DECODER.decode(line)
        except ValueError:  # also an integer too long for int(), which serde may pass over
            value = _DECODER.decode(line)
    except RecursionError:
        raise ForwardEventError("<line>", "nested too deeply to read") from None
    except ValueError as exc:  # a BOM, NaN, Infinity, bad syntax
        raise ForwardEventError("<line>", f"not valid JSON ({exc})") from None
    return forward_event_from_value(value)


class _Object:
    """A JSON object as serde sees it: its members in order, duplicates kept (a dict would drop
    them; serde rejects a repeated known field but not a repeated unknown one)."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _int(text: str) -> Any:
    # -0 is a float to serde_json (a u64 field refuses it); an integer too long for int() (and
    # for u64 anyway) stays a number without raising, as serde passes over it in unknown fields.
    if text == "-0":
        return -0.0
    return int(text) if len(text) <= 40 else float(text)


_DECODER = json.JSONDecoder(object_pairs_hook=_Object, parse_constant=_no_constant, parse_int=_int)
_FAST_DECODER = json.JSONDecoder(object_pairs_hook=_Object, parse_constant=_no_constant)
_MINUS_ZERO = re.compile(r"-0(?![0-9.eE])")
"""Where a ``-0`` integer may be (also inside strings: then the careful decoder is used for
nothing, which costs only time)."""


def forward_event_from_value(value: Any) -> ForwardEvent:
    """Build a ForwardEvent from an already-decoded JSON value (plain dicts and lists, or what
    :func:`parse_forward_event` decodes)."""
    tag, body = _variant(value, "<event>")
    path = ""
    if tag == "Forward":
        path = "Forward."
        tag, body = _variant(body, "Forward")
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


def _members(value: Any) -> Optional[list[tuple[Any, Any]]]:
    if isinstance(value, _Object):
        return value.pairs
    if isinstance(value, dict):
        return list(value.items())
    return None


def _variant(value: Any, field: str) -> tuple[str, Any]:
    """serde's externally tagged enum: an object with exactly one member, ``{"Variant": …}``."""
    members = _members(value)
    if members is None:
        raise ForwardEventError(field, f"expected an object, got {_kind(value)}")
    if len(members) != 1:
        raise ForwardEventError(
            field, f"expected an object with exactly one variant key, got {len(members)} keys"
        )
    tag, body = members[0]
    _check_text(tag, field)
    return tag, body


def _fields(value: Any, path: str, names: tuple[str, ...]) -> dict[str, Any]:
    """The fields of a serde struct: from an object (unknown members ignored, a known one given
    twice refused, absent ones left out) or from an array of exactly ``len(names)`` values in
    declaration order, which serde derive accepts too."""
    if type(value) is list:
        if len(value) != len(names):
            raise ForwardEventError(
                path, f"an array of {len(value)} values, expected the {len(names)} fields"
            )
        return dict(zip(names, value))
    members = _members(value)
    if members is None:
        raise ForwardEventError(path, f"expected an object, got {_kind(value)}")
    found: dict[str, Any] = {}
    for key, item in members:
        if key in names:
            if key in found:
                raise ForwardEventError(f"{path}.{key}", "duplicate field")
            found[key] = item
        else:  # serde reads an unknown key too (to compare it), so it must be UTF-8
            _check_text(key, f"{path}.<key>")
    return found


_STARTED_FIELDS = ("meta", "request_id", "endpoint", "model", "is_stream")
_COMPLETED_FIELDS = (
    "meta",
    "request_id",
    "status_code",
    "status",
    "usage",
    "latency_ms",
    "error",
)
_META_FIELDS = ("event_id", "occurred_at", "trace_id")
_USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")


def _request_started(body: Any, path: str) -> RequestStarted:
    obj = _fields(body, path, _STARTED_FIELDS)
    return RequestStarted(
        meta=_meta(obj, path),
        request_id=_str(obj, "request_id", path),
        endpoint=_str(obj, "endpoint", path),
        model=_str(obj, "model", path),
        is_stream=_bool(obj, "is_stream", path),
    )


def _request_completed(body: Any, path: str) -> RequestCompleted:
    obj = _fields(body, path, _COMPLETED_FIELDS)
    status = _status(_required(obj, "status", path), f"{path}.status")
    usage_value = obj.get("usage")
    usage = None if usage_value is None else _usage(usage_value, f"{path}.usage")
    return RequestCompleted(
        meta=_meta(obj, path),
        request_id=_str(obj, "request_id", path),
        status_code=_uint(obj, "status_code", path, _U16_MAX),
        status=status,  # type: ignore[arg-type]
        usage=usage,
        latency_ms=_uint(obj, "latency_ms", path, _U64_MAX),
        error=_optional_str(obj, "error", path),
    )


def _status(value: Any, field: str) -> str:
    """A unit variant: ``"success"``, or in serde_json's map form ``{"success": null}``."""
    if isinstance(value, str):
        status = value
        _check_text(status, field)
    else:
        members = _members(value)
        if members is None:
            raise ForwardEventError(field, f"expected a string, got {_kind(value)}")
        status, unit = _variant(value, field)
        if unit is not None:
            raise ForwardEventError(field, f"expected null for the unit variant {status!r}")
    if status not in READ_STATUSES:
        raise ForwardEventError(
            field, f"unknown status {status!r}, expected one of {list(FORWARD_STATUSES)}"
        )
    return status


def _meta(obj: Mapping[str, Any], path: str) -> EventMeta:
    mpath = f"{path}.meta"
    meta = _fields(_required(obj, "meta", path), mpath, _META_FIELDS)
    stamp = _str(meta, "occurred_at", mpath)
    occurred_ns, leap = parse_chrono(stamp, f"{mpath}.occurred_at")
    return EventMeta(
        event_id=_str(meta, "event_id", mpath),
        occurred_at=_datetime_of(occurred_ns),
        trace_id=_optional_str(meta, "trace_id", mpath),
        occurred_at_ns=occurred_ns,
        leap_second=leap,
    )


def _usage(value: Any, path: str) -> TokenUsage:
    obj = _fields(value, path, _USAGE_FIELDS)
    return TokenUsage(
        prompt_tokens=_uint(obj, "prompt_tokens", path, _U64_MAX),
        completion_tokens=_uint(obj, "completion_tokens", path, _U64_MAX),
        total_tokens=_uint(obj, "total_tokens", path, _U64_MAX),
    )


# -- timestamps: chrono 0.4's ``DateTime<FixedOffset>::from_str``, then to UTC ---------------

_RUST_SPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Unicode ``White_Space``: what Rust's ``char::is_whitespace`` and ``str::trim_start`` skip
(``str.isspace`` differs: it also takes U+001C..U+001F)."""
_DIGITS = frozenset("0123456789")
_I64_MAX = 2**63 - 1


class _Bad(Exception):
    """A timestamp chrono refuses (the reason is not needed: the caller names the field)."""


class _Scan:
    """chrono's scanner over one string: each step consumes a prefix or raises :class:`_Bad`."""

    __slots__ = ("at", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def peek(self, offset: int = 0) -> str:
        index = self.at + offset
        return self.text[index] if index < len(self.text) else ""

    def spaces(self) -> None:
        text, at = self.text, self.at
        while at < len(text) and text[at] in _RUST_SPACE:
            at += 1
        self.at = at

    def literal(self, char: str) -> None:
        if self.peek() != char:
            raise _Bad
        self.at += 1

    def number(self, most: int) -> int:
        """``scan::number(s, 1, most)``: one to ``most`` ASCII digits, within i64."""
        text, start = self.text, self.at
        end = start
        while end < len(text) and end - start < most and text[end] in _DIGITS:
            end += 1
        if end == start:
            raise _Bad
        self.at = end
        value = int(text[start:end]) if end - start < 400 else _I64_MAX + 1
        if value > _I64_MAX:
            raise _Bad
        return value

    def field(self, most: int) -> int:
        """``Item::Numeric``: leading spaces, then :meth:`number`."""
        self.spaces()
        return self.number(most)


_CHRONO_WRITTEN = re.compile(
    r"([0-9]{4}|[+-][0-9]{4,9})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?Z"
)
"""What chrono writes (a subset of what it reads, read the same way): the fast path."""


def _chrono_fields(text: str) -> tuple[int, int, int, int, int, int, int, int]:
    """(year, month, day, hour, minute, second, nanosecond, offset seconds) as chrono 0.4.23
    scans them, before any range check but the ones its scanner makes."""
    written = _CHRONO_WRITTEN.fullmatch(text)
    if written is not None:
        year_s, month_s, day_s, hour_s, minute_s, second_s, fraction = written.groups()
        nanos = int(fraction.ljust(9, "0")) if fraction else 0
        return (
            int(year_s),
            int(month_s),
            int(day_s),
            int(hour_s),
            int(minute_s),
            int(second_s),
            nanos,
            0,
        )
    scan = _Scan(text)
    scan.spaces()
    sign = scan.peek()
    if sign in ("-", "+"):
        scan.at += 1
        year = scan.number(1 << 30)
        year = -year if sign == "-" else year
    else:
        year = scan.number(4)
    scan.spaces()
    scan.literal("-")
    month = scan.field(2)
    scan.spaces()
    scan.literal("-")
    day = scan.field(2)
    if scan.peek() not in ("T", " ") or scan.at == len(text):
        raise _Bad  # only a date (chrono: not enough), or no 'T'/' ' after it
    scan.at += 1
    hour = scan.field(2)
    scan.spaces()
    scan.literal(":")
    minute = scan.field(2)
    scan.spaces()
    scan.literal(":")
    second = scan.field(2)
    nanos = 0
    if scan.peek() == ".":
        scan.at += 1
        start = scan.at
        digits = scan.number(9)
        nanos = digits * 10 ** (9 - (scan.at - start))
        while scan.peek() in _DIGITS:
            scan.at += 1  # digits beyond the ninth are read and dropped
    scan.spaces()
    offset = _chrono_offset(scan)
    scan.spaces()
    if scan.at != len(text):
        raise _Bad
    return year, month, day, hour, minute, second, nanos, offset


def _chrono_offset(scan: _Scan) -> int:
    """``scan::timezone_offset_zulu`` with ``colon_or_space``: ``Z``/``z``, ``UTC`` in any case,
    or ``±HH`` then any run of colons and spaces then ``MM``."""
    first = scan.peek()
    if first in ("Z", "z"):
        scan.at += 1
        return 0
    if first in ("U", "u"):
        if scan.peek(1) in ("T", "t") and scan.peek(2) in ("C", "c"):
            scan.at += 3
            return 0
        raise _Bad
    if first not in ("+", "-"):
        raise _Bad
    hours = scan.peek(1) + scan.peek(2)
    if len(hours) != 2 or not set(hours) <= _DIGITS:
        raise _Bad
    scan.at += 3
    while scan.peek() and (scan.peek() == ":" or scan.peek() in _RUST_SPACE):
        scan.at += 1
    minutes = scan.peek() + scan.peek(1)
    if len(minutes) != 2 or not set(minutes) <= _DIGITS or minutes[0] > "5":
        raise _Bad
    scan.at += 2
    seconds = int(hours) * 3600 + int(minutes) * 60
    return -seconds if first == "-" else seconds


def parse_chrono(text: str, field: str = "occurred_at") -> tuple[int, bool]:
    """(nanoseconds since the epoch, leap second) of a timestamp, exactly as chrono 0.4 reads a
    ``DateTime<Utc>`` from serde: RFC 3339 and what its parser also takes (a space for the
    ``T``, spaces around fields and the whole, one-digit fields, any number of fraction digits
    of which nine count, ``+0530``, ``UTC``, signed years, a leap second ``:60`` at any minute
    and any offset). A leap second is the next second's instant, with ``True``, so that it is
    written back as ``:60``.
    """
    try:
        year, month, day, hour, minute, second, nanos, offset = _chrono_fields(text)
    except _Bad:
        raise ForwardEventError(field, f"not an RFC 3339 timestamp: {text!r}") from None
    if not (
        _CHRONO_MIN_YEAR <= year <= _CHRONO_MAX_YEAR
        and 1 <= month <= 12
        and 1 <= day <= _days_in_month(year, month)
    ):
        raise ForwardEventError(field, f"not a valid date and time: {text!r} (no such day)")
    if hour > 23 or minute > 59 or second > 60:
        raise ForwardEventError(field, f"not a valid date and time: {text!r} (no such time)")
    if not -86_400 < offset < 86_400:
        raise ForwardEventError(field, f"not a valid UTC offset: {text!r}")
    leap = second == 60
    local = _days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    base_ns = (local - leap - offset) * _NS + nanos  # a leap second: its :59 base
    if not CHRONO_MIN_NS <= base_ns <= CHRONO_MAX_NS:
        raise ForwardEventError(field, f"{text!r} is outside chrono's range")
    return base_ns + leap * _NS, leap


def parse_rfc3339(text: str, field: str = "occurred_at") -> tuple[datetime, int]:
    """(UTC datetime, exact nanoseconds since the epoch) of a timestamp (see
    :func:`parse_chrono`); the ``datetime`` (years 1..9999 only) is clamped to its own range."""
    total_ns, _ = parse_chrono(text, field)
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


def format_rfc3339(total_ns: int, leap_second: bool = False) -> str:
    """chrono's ``AutoSi``: no fraction, or 3, 6 or 9 digits, whichever is exact; always ``Z``.
    Years 0..9999 have four digits, others a sign (``+10000``, ``-0001``), as chrono writes them.
    With ``leap_second``, ``total_ns`` is an instant of the second after a ``:59`` and is written
    as that minute's ``:60`` (as :func:`parse_chrono` read it)."""
    seconds, nanos = divmod(total_ns - leap_second * _NS, _NS)
    days, seconds = divmod(seconds, 86_400)
    year, month, day = _civil_from_days(days)
    hour, rest = divmod(seconds, 3600)
    minute, second = divmod(rest, 60)
    second += leap_second
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
        "occurred_at": format_rfc3339(event.meta.occurred_at_ns, event.meta.leap_second),
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
    leap = meta.leap_second
    if type(ns) is not int or type(leap) is not bool:
        raise ForwardEventError(f"{path}.meta.occurred_at", f"{ns!r} ns is not a whole number")
    if not CHRONO_MIN_NS <= ns - leap * _NS <= CHRONO_MAX_NS:
        raise ForwardEventError(f"{path}.meta.occurred_at", f"{ns!r} ns is outside chrono's range")
    if leap and (ns // _NS - 1) % 60 != 59:
        raise ForwardEventError(
            f"{path}.meta.occurred_at", "a leap second must follow a minute's :59 second"
        )


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


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_text(value: str, field: str) -> None:
    """serde reads a string field only if it is UTF-8: no lone surrogate (from a ``\\ud800``
    escape, or from a byte that is not UTF-8, which the line's decoding turned into one)."""
    if not value.isascii() and _SURROGATE.search(value):
        raise ForwardEventError(field, "not UTF-8 (a lone surrogate or an invalid byte)")


def _required(obj: Mapping[str, Any], name: str, path: str) -> Any:
    if name not in obj:
        raise ForwardEventError(f"{path}.{name}", "missing field")
    return obj[name]


def _str(obj: Mapping[str, Any], name: str, path: str) -> str:
    value = _required(obj, name, path)
    if not isinstance(value, str):
        raise ForwardEventError(f"{path}.{name}", f"expected a string, got {_kind(value)}")
    _check_text(value, f"{path}.{name}")
    return value


def _optional_str(obj: Mapping[str, Any], name: str, path: str) -> Optional[str]:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ForwardEventError(f"{path}.{name}", f"expected a string or null, got {_kind(value)}")
    _check_text(value, f"{path}.{name}")
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
    if isinstance(value, (dict, _Object)):
        return "an object"
    return type(value).__name__
