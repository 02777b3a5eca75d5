"""Tolerant readers for values taken from provider JSON.

Providers (and proxies in front of them) send surprising things: token counts as strings, floats,
booleans or negatives; ``null`` where an object belongs; ids thousands of characters long. Every
value a wire format puts in a :class:`~._base.ResponseSummary` or request parameter passes through
one of these functions, so the telemetry always gets the type it expects or nothing at all, and no
malformed body can raise.
"""

from __future__ import annotations

import json
from typing import Any, Optional

# The string rule is the project's one rule (``_bounds``), re-exported for the wire formats.
from opentelemetry.instrumentation.llm_router._bounds import MAX_MESSAGE as MAX_MESSAGE
from opentelemetry.instrumentation.llm_router._bounds import MAX_TEXT as MAX_TEXT
from opentelemetry.instrumentation.llm_router._bounds import exportable as exportable
from opentelemetry.instrumentation.llm_router._bounds import text as text

MAX_TOKEN_COUNT = 1 << 40
"""Counts at or above this are absurd (a trillion tokens in one call) and are dropped."""

MAX_RAW_MESSAGE = 16 * 1024
"""Longest provider error message read from a body. It is cut to its telemetry bound
(:data:`MAX_MESSAGE`) only after the redaction step, so a key at the cut is still found."""


def count(value: Any) -> Optional[int]:
    """A token count: a non-negative int below :data:`MAX_TOKEN_COUNT`, else ``None``.

    ``bool`` is excluded on purpose (``True`` is an ``int`` in Python, but never a count); an
    integral float (``12.0``, as some proxies re-serialise) is accepted.
    """
    kind = type(value)
    if kind is int:
        return value if 0 <= value < MAX_TOKEN_COUNT else None
    if kind is float and value.is_integer() and 0 <= value < MAX_TOKEN_COUNT:
        return int(value)
    return None


def number(value: Any) -> Optional[float]:
    """A float request parameter (temperature, top_p, ...); ``bool`` and non-numbers are ``None``."""
    kind = type(value)
    if kind is float:
        return value if value == value else None  # NaN is no parameter value
    if kind is int:
        return float(value)
    return None


def integer(value: Any) -> Optional[int]:
    """An int request parameter (max tokens, seed, n); integral floats accepted, ``bool`` not."""
    kind = type(value)
    if kind is int:
        return value
    if kind is float and value.is_integer():
        return int(value)
    return None


def strings(value: Any, limit: int = 32) -> Optional[list[str]]:
    """A stop-sequence style parameter: one string or a list of strings -> list, else ``None``."""
    if type(value) is str:
        return [exportable(value)]
    if isinstance(value, list):
        out = [exportable(item) for item in value[:limit] if type(item) is str]
        return out or None
    return None


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty dict (so ``.get`` chains never fail)."""
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


try:  # several times faster than the json module on the small bodies and events we decode
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - a platform without orjson wheels: the json module alone
    _fast_loads = None

_DECODER = json.JSONDecoder()
_raw_decode = _DECODER.raw_decode
_BLANK = " \t\r\n"


def loads(data: bytes) -> Any:
    """Decode one JSON value from UTF-8 bytes; ``None`` instead of raising on malformed input.

    ``json.loads`` spends ~2.5 µs of Python-level overhead per call (encoding detection, a
    trailing-whitespace regex); on a stream that is paid per decoded event, so this goes straight
    to the C scanner. Trailing bytes after the value are ignored (tolerance, not validation).
    orjson, when installed, answers first; what it rejects (trailing bytes, NaN, invalid UTF-8)
    falls back to the json module. The one difference left: integers beyond 64 bits come back as
    floats, which no count, id or parameter reader here takes at face value.
    """
    if _fast_loads is not None:
        try:
            return _fast_loads(data)
        except (ValueError, RecursionError):
            pass
    try:
        text = data.decode("utf-8")
        if text[:1] in _BLANK:
            text = text.lstrip(_BLANK)
        return _raw_decode(text)[0]
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        return None


def loads_exact(data: bytes) -> Any:
    """Like :func:`loads`, but the value must span all of ``data`` (trailing blanks allowed):
    used where a successful decode is the proof that a guessed boundary was right."""
    if _fast_loads is not None:
        try:
            return _fast_loads(data)  # orjson decodes exactly one value with blanks around it
        except (ValueError, RecursionError):
            pass
    try:
        text = data.decode("utf-8").strip(_BLANK)
        value, end = _raw_decode(text)
    except (ValueError, RecursionError):
        return None
    return value if end == len(text) else None


def scrub(message: Any) -> Optional[str]:
    """A provider error message as read from a body: a non-empty string up to
    :data:`MAX_RAW_MESSAGE` characters. Redaction (keys, and prompt text with capture off) and the
    final cut to :data:`MAX_MESSAGE` happen in one place, when the call is failed
    (:mod:`.._redact`)."""
    return text(message, MAX_RAW_MESSAGE)
