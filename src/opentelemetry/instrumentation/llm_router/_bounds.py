"""Export-safe values: the one rule for every string, integer and time the project hands the SDK.

The OTLP encoder is strict where Python is not: a span whose start time is negative, or an
integer attribute beyond int64, makes it raise for the whole batch (up to 512 spans lost for one
value), a string with a lone surrogate cannot be encoded as UTF-8, and an unbounded string (a
1 MiB route name) makes a span larger than a Collector's 4 MiB gRPC message limit. Every source
(httpx hook, router callbacks, forward events) passes its values through these functions, via the
one GenAI mapping, so no value from any source can break an export:

- strings: lone surrogates become U+FFFD; names and ids (span name parts, models, routes,
  accounts, request ids, error types) are cut to :data:`MAX_TEXT` characters, messages to
  :data:`MAX_MESSAGE`;
- integers: within int64; larger values are clamped to :data:`INT64_MAX` (a ``u64`` token count
  of 2**64 - 1 is reported as 2**63 - 1: "more than can be said"), smaller to :data:`INT64_MIN`;
- times: nanoseconds since the epoch within ``0 .. INT64_MAX`` (before 1970 becomes 1970, after
  2262 becomes 2262), and an end never before its start.
"""

from __future__ import annotations

from typing import Any, Optional

MAX_TEXT = 512
"""Longest name, id, model, route, account or error type kept; longer ones are cut."""

MAX_MESSAGE = 1024
"""Longest status description / error message kept (after redaction)."""

INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)
MAX_TIME_NS = INT64_MAX
"""Latest representable time (year 2262); OTLP times are unsigned, the SDK's are int64."""


def exportable(value: str) -> str:
    """``value`` with lone surrogates replaced by U+FFFD.

    JSON may escape a lone surrogate (``"\\ud800"``), and Python strings may hold one; such a
    ``str`` cannot be encoded as UTF-8, and the OTLP exporter then drops the attribute (or the
    whole batch). ASCII text, nearly every value, is returned as is.
    """
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value


def bounded(value: str, limit: int = MAX_TEXT) -> str:
    """``value`` cut to ``limit`` characters and made UTF-8 clean (see :func:`exportable`)."""
    if len(value) > limit:
        value = value[:limit]
    elif value.isascii():  # nearly every value: no second call (this runs several times a call)
        return value
    return exportable(value)


def text(value: Any, limit: int = MAX_TEXT) -> Optional[str]:
    """A non-empty string, cut to ``limit`` characters; anything else is ``None``."""
    if type(value) is str and value:
        if len(value) <= limit and value.isascii():
            return value  # the common case answered here: one call, not three
        return bounded(value, limit)
    return None


def clamp_int(value: int) -> int:
    """``value`` within int64 (see the module docstring for the rule)."""
    if value > INT64_MAX:
        return INT64_MAX
    if value < INT64_MIN:
        return INT64_MIN
    return value


def clamp_time_ns(value: int) -> int:
    """A time in nanoseconds since the epoch, within ``0 .. MAX_TIME_NS``."""
    if value < 0:
        return 0
    if value > MAX_TIME_NS:
        return MAX_TIME_NS
    return value


def safe_attribute(value: Any) -> Any:
    """An attribute value the OTLP encoder accepts: strings cleaned and bounded to
    :data:`MAX_TEXT`, ints clamped, sequences item by item; other values (bool, float) as is."""
    kind = type(value)
    if kind is str:
        return bounded(value)
    if kind is int:
        return clamp_int(value)
    if kind in (list, tuple):
        return [safe_attribute(item) for item in value]
    return value
