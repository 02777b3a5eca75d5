"""Hypothesis strategies that turn a valid provider body into the things providers really send.

Starting from a valid body (not from random bytes) keeps the examples close to the parsers' real
paths: the JSON still decodes, the right events are still there, but a count is a string, an id
is a number, a usage object is a list, a token count is -1 or 2**64; then the byte stream itself
is damaged (truncated, invalid UTF-8, comments and ``retry:`` fields inserted, blank lines
dropped, CRLF line ends, a line larger than the parser's event bound).
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import strategies as st

from opentelemetry.instrumentation.llm_router._wire._sse import MAX_EVENT_BYTES

# Values that are wrong in interesting ways wherever they land.
NASTY_SCALARS = st.sampled_from(
    [
        -1,
        -(10**12),
        0,
        2**31,
        2**63,
        2**64 + 1,
        10**30,
        1.5,
        -0.0,
        1e308,
        float("inf"),
        float("nan"),
        True,
        False,
        None,
        "",
        "12",
        "-5",
        "stop",
        "\u0000",
        "\ud7ff\ue000",
        "\ud800",
        "x" * 3000,
        [],
        {},
        ["stop", 3],
        {"prompt_tokens": "7"},
    ]
)
JSON_LEAVES = st.one_of(
    NASTY_SCALARS,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.booleans(),
    st.none(),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)

INVALID_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x82", b"\xf0\x28\x8c\xbc"]
SSE_NOISE = [
    b": keep-alive\n",
    b":\n",
    b"retry: 3000\n",
    b"retry: abc\n",
    b"id: 42\n",
    b"event: ping\n",
    b"event: error\n",
    b"data:\n",
    b"data: [DONE]\n",
    b"data: {}\n\n",
    b"data: null\n\n",
    b'data: {"error": 1}\n\n',
    b"\n",
    b"\r",
    b"\r\n\r\n",
    b"data",
]
HUGE_LINE = b"data: " + b"A" * (MAX_EVENT_BYTES + 100) + b"\n\n"
HUGE_UNTERMINATED = b"data: {" + b'"x":"' + b"y" * (MAX_EVENT_BYTES + 10)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any, delete: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if delete and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _replace(value[head], rest, new, delete)
        return copy
    copy_list = list(value)
    if delete and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _replace(value[head], rest, new, delete)
    return copy_list


@st.composite
def mutated_json(draw: Any, value: Any, max_changes: int = 4) -> Any:
    """``value`` with a few of its nodes replaced by wrong values or deleted."""
    for _ in range(draw(st.integers(min_value=1, max_value=max_changes))):
        paths = _paths(value)
        path = draw(st.sampled_from(paths))
        delete = bool(path) and draw(st.integers(0, 4)) == 0
        value = _replace(value, path, None if delete else draw(JSON_VALUES), delete)
    return value


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=True).encode("utf-8", "surrogatepass")


_DATA_LINE = re.compile(rb"^(data: ?)(.*)$", re.M)


@st.composite
def mutated_events(draw: Any, body: bytes) -> bytes:
    """Mutate the JSON inside some ``data:`` lines (an SSE body) or the whole JSON body."""
    stripped = body.strip()
    if stripped[:1] in (b"{", b"["):
        try:
            return _dumps(draw(mutated_json(json.loads(stripped))))
        except ValueError:
            return body
    lines = body.split(b"\n")
    candidates = [i for i, line in enumerate(lines) if line.startswith(b"data:")]
    if not candidates:
        return body
    for index in draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3, unique=True)):
        match = _DATA_LINE.match(lines[index])
        if match is None:
            continue
        raw = match.group(2).rstrip(b"\r")
        try:
            decoded = json.loads(raw)
        except ValueError:
            continue
        ending = b"\r" if lines[index].endswith(b"\r") else b""
        lines[index] = match.group(1) + _dumps(draw(mutated_json(decoded))) + ending
    return b"\n".join(lines)


OPERATIONS = (
    "truncate",
    "insert_bytes",
    "invalid_utf8",
    "noise",
    "drop_blank",
    "crlf",
    "cr",
    "flip",
    "duplicate",
    "random",
)


@st.composite
def damaged(draw: Any, body: bytes, allow_huge: bool = True) -> tuple[bytes, bool]:
    """``(body, huge)``: JSON-mutated and byte-damaged; ``huge`` if an oversized line went in."""
    if draw(st.integers(0, 3)) > 0:
        body = draw(mutated_events(body))
    huge = False
    for operation in draw(st.lists(st.sampled_from(OPERATIONS), max_size=4)):
        at = draw(st.integers(0, len(body)))
        if operation == "truncate":
            body = body[:at]
        elif operation == "insert_bytes":
            body = body[:at] + draw(st.binary(min_size=1, max_size=16)) + body[at:]
        elif operation == "invalid_utf8":
            body = body[:at] + draw(st.sampled_from(INVALID_UTF8)) + body[at:]
        elif operation == "noise":
            body = body[:at] + draw(st.sampled_from(SSE_NOISE)) + body[at:]
        elif operation == "drop_blank":
            body = body.replace(b"\n\n", b"\n", draw(st.integers(1, 3)))
        elif operation == "crlf":
            body = body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        elif operation == "cr":
            body = body.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
        elif operation == "flip" and body:
            at = min(at, len(body) - 1)
            body = body[:at] + bytes([body[at] ^ draw(st.integers(1, 255))]) + body[at + 1 :]
        elif operation == "duplicate":
            body = body[:at] + body[max(0, at - 200) : at] + body[at:]
        elif operation == "random":
            body = draw(st.binary(max_size=300))
    if allow_huge and draw(st.integers(0, 24)) == 0:
        huge = True
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.sampled_from([HUGE_LINE, HUGE_UNTERMINATED])) + body[at:]
    return body, huge


@st.composite
def pieces_of(draw: Any, body: bytes, max_cuts: int = 24) -> list[bytes]:
    """``body`` cut at random byte positions into non-empty pieces (their join is ``body``)."""
    if len(body) < 2:
        return [body] if body else []
    cuts = draw(st.lists(st.integers(1, len(body) - 1), max_size=max_cuts, unique=True))
    cuts = [0, *sorted(cuts), len(body)]
    return [body[a:b] for a, b in zip(cuts, cuts[1:])]
