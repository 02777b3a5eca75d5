"""Lines for differential fuzzing of the ForwardEvent reader against real serde.

:func:`fuzz_lines` takes lines the Rust types wrote and damages them, seeded, in the ways that sit
at the edge of serde's accept set: JSON values swapped for others (``-0``, ``1e400``, ``NaN``,
huge integers, floats for integers, a unit variant as ``{"success": null}``), structs turned
into arrays of their fields, fields dropped, repeated or added (unknown ones holding deep nesting,
lone surrogates, invalid UTF-8), the bus wrapper added or removed, keys renamed, chrono's lenient
timestamps (spaces, one-digit fields, ``+0530``, ``UTC``, leap seconds, out-of-range fields),
whitespace where JSON allows it and where it does not, and plain byte damage (a BOM, a byte
inserted, removed, flipped, the line cut short). The verdict on each line is serde's to give.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any, Callable, Optional


class Raw(str):
    """A token written as it is (``-0``, ``NaN``, ``1e400``, an escape JSON allows)."""


class Members:
    """A JSON object's members in order (duplicates allowed)."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


def decode(line: bytes) -> Any:
    return json.loads(line, object_pairs_hook=Members)


def emit(value: Any, rng: random.Random, spaced: float = 0.0) -> str:
    """JSON text of ``value``, with whitespace between tokens at the rate ``spaced``."""

    def ws() -> str:
        return rng.choice([" ", "\t", "\r", "  "]) if spaced and rng.random() < spaced else ""

    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, Members):
        items = [
            f"{ws()}{json.dumps(k, ensure_ascii=False)}{ws()}:{ws()}{emit(v, rng, spaced)}{ws()}"
            for k, v in value.pairs
        ]
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(ws() + emit(v, rng, spaced) + ws() for v in value) + "]"
    return json.dumps(value, ensure_ascii=rng.random() < 0.3)


VALUES: list[Any] = [
    Raw("-0"),
    Raw("-0.0"),
    0,
    1,
    -1,
    200,
    65535,
    65536,
    2**63 - 1,
    2**64 - 1,
    2**64,
    Raw("1" + "0" * 60),
    Raw("1" + "0" * 5000),
    1.0,
    Raw("1e2"),
    Raw("1E400"),
    Raw("-1e-400"),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    "1",
    "",
    True,
    False,
    None,
    "timeout",
    "success",
    "pending",
    "error",
    "Success",
    Members([("success", None)]),
    Members([("error", None), ("x", 1)]),
    Members([("pending", 1)]),
    Members([]),
    [],
    [1, 2, 3],
    Raw('"\\ud800"'),
    Raw('"\\udc00x"'),
    Raw('"\\ud83d\\ude00"'),
    Raw('"\\ud800\\u0041"'),
    Raw('"a\\u0000b"'),
    "é 中文 🦀 \u202e",
    "2026-05-04T10:15:30Z",
]


def _pick(rng: random.Random) -> Any:
    """A value from :data:`VALUES`, a copy of its own (mutations must not reach the pool)."""
    return copy.deepcopy(rng.choice(VALUES))


def _deep(depth: int, rng: random.Random) -> Raw:
    opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
    return Raw(opener * depth + "1" + closer * depth)


def unknown_values(rng: random.Random) -> Any:
    choice = rng.random()
    if choice < 0.15:
        return _deep(rng.choice([2, 50, 127, 128, 129, 200, 900, 5000, 50_000]), rng)
    if choice < 0.25:
        return Raw('"' + rng.choice(["\\ud800", "\\udfff", "\\ud800\\ud800", "\\/"]) + '"')
    if choice < 0.35:
        return Members([("k", _pick(rng)), ("k", _pick(rng))])
    return _pick(rng)


def stamp(rng: random.Random) -> str:
    """A timestamp at or past the edge of what chrono reads."""
    year = rng.choice([2026, 2016, 1970, 1969, 0, 1, 5, 9999, 10000, -1, 262143, -262144, 262144])
    if rng.random() < 0.7:
        year_s = f"{year:04d}" if 0 <= year <= 9999 else f"{year:+05d}"
    else:
        year_s = rng.choice([str(year), f"{year:+d}", f"{year:+07d}", f"{abs(year):05d}"])

    def part(value: int) -> str:
        return rng.choice([f"{value:02d}"] * 6 + [str(value), f"{value:03d}", f" {value:02d}"])

    month = rng.choice([1, 2, 5, 12, 13, 0])
    day = rng.choice([1, 4, 28, 29, 30, 31, 0, 32])
    hour = rng.choice([0, 10, 23, 24, 5])
    minute = rng.choice([0, 15, 59, 60])
    second = rng.choice([0, 30, 59, 60, 60, 61])
    sep = rng.choice(["T"] * 6 + ["t", " ", "  ", "T ", "_", "\t"])
    frac = rng.choice(
        ["", "", "", ".5", ".123456789", ".1234567891234", ".000000001", ".", ",5", " .5"]
    )
    offset = rng.choice(
        ["Z"] * 6
        + ["z", "UTC", "utc", "+00:00", "-00:00", "+05:30", "+0530", "+05 30", "+05::30"]
        + ["-23:59", "+23:59", "+24:00", "+99:00", "+05:60", "+5:30", "", "GMT", " Z", "Ut"]
    )
    around = rng.choice(["", "", "", " ", "\t", "\u00a0", "\u3000", "\x1c", "\n"])
    text = (
        f"{year_s}-{part(month)}-{part(day)}{sep}{part(hour)}:{part(minute)}:{part(second)}"
        f"{frac}{offset}"
    )
    return around + text + around if rng.random() < 0.5 else text + around


# -- structured mutations ------------------------------------------------------------------------


def _nodes(value: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """(container, key-or-index) of every member and element, depth first."""
    if isinstance(value, Members):
        for index, (_, item) in enumerate(value.pairs):
            found.append((value, index))
            _nodes(item, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((value, index))
            _nodes(item, found)
    return found


def _get(container: Any, index: int) -> Any:
    return container.pairs[index][1] if isinstance(container, Members) else container[index]


def _set(container: Any, index: int, value: Any) -> None:
    if isinstance(container, Members):
        container.pairs[index] = (container.pairs[index][0], value)
    else:
        container[index] = value


def _objects(value: Any) -> list[Members]:
    found = [value] if isinstance(value, Members) else []
    for container, index in _nodes(value, []):
        item = _get(container, index)
        if isinstance(item, Members):
            found.append(item)
    return found


def _replace_value(value: Any, rng: random.Random) -> Any:
    nodes = _nodes(value, [])
    if nodes:
        container, index = rng.choice(nodes)
        _set(container, index, _pick(rng))
    return value


def _replace_stamp(value: Any, rng: random.Random) -> Any:
    for obj in _objects(value):
        for index, (key, _) in enumerate(obj.pairs):
            if key == "occurred_at":
                obj.pairs[index] = (key, stamp(rng))
    return value


def _to_array(value: Any, rng: random.Random) -> Any:
    objects = [o for o in _objects(value) if len(o.pairs) > 1]
    if not objects:
        return value
    target = rng.choice(objects)
    array = [item for _, item in target.pairs]
    if rng.random() < 0.2 and array:
        array.pop(rng.randrange(len(array)))
    elif rng.random() < 0.2:
        array.append(_pick(rng))
    for container, index in _nodes(value, []):
        if _get(container, index) is target:
            _set(container, index, array)
    return value


def _drop_field(value: Any, rng: random.Random) -> Any:
    objects = [o for o in _objects(value) if o.pairs]
    if objects:
        target = rng.choice(objects)
        target.pairs.pop(rng.randrange(len(target.pairs)))
    return value


def _repeat_field(value: Any, rng: random.Random) -> Any:
    objects = [o for o in _objects(value) if o.pairs]
    if objects:
        target = rng.choice(objects)
        key, item = rng.choice(target.pairs)
        again = copy.deepcopy(item) if rng.random() < 0.5 else _pick(rng)
        target.pairs.insert(rng.randrange(len(target.pairs) + 1), (key, again))
    return value


def _add_unknown(value: Any, rng: random.Random) -> Any:
    objects = _objects(value)
    if objects:
        target = rng.choice(objects)
        key = rng.choice(["x", "extra", "", "Meta", "request_Id", "\u00e9", "x"])
        target.pairs.insert(rng.randrange(len(target.pairs) + 1), (key, unknown_values(rng)))
        if rng.random() < 0.3:
            target.pairs.insert(rng.randrange(len(target.pairs) + 1), (key, unknown_values(rng)))
    return value


def _rename_key(value: Any, rng: random.Random) -> Any:
    objects = [o for o in _objects(value) if o.pairs]
    if objects:
        target = rng.choice(objects)
        index = rng.randrange(len(target.pairs))
        key, item = target.pairs[index]
        key = rng.choice(
            [key.upper(), key.lower(), key + " ", "Forward", "Chat", "RequestStarted", key[:-1]]
        )
        target.pairs[index] = (key, item)
    return value


def _wrap(value: Any, rng: random.Random) -> Any:
    if isinstance(value, Members) and len(value.pairs) == 1 and value.pairs[0][0] == "Forward":
        return value.pairs[0][1] if rng.random() < 0.5 else Members([("Chat", value)])
    return Members([(rng.choice(["Forward"] * 4 + ["System", "Chat", "forward"]), value)])


STRUCTURED: list[Callable[[Any, random.Random], Any]] = [
    _replace_value,
    _replace_value,
    _replace_stamp,
    _replace_stamp,
    _replace_stamp,
    _to_array,
    _to_array,
    _drop_field,
    _repeat_field,
    _add_unknown,
    _add_unknown,
    _rename_key,
    _wrap,
]


# -- byte mutations ------------------------------------------------------------------------------


def _damage(line: bytes, rng: random.Random) -> bytes:
    kind = rng.randrange(9)
    at = rng.randrange(len(line) + 1)
    if kind == 0:
        return b"\xef\xbb\xbf" + line
    if kind == 1:
        return line[:at] + bytes([rng.randrange(256)]) + line[at:]
    if kind == 2:
        return line[:at] + line[at + 1 :]
    if kind == 3 and line:
        at = min(at, len(line) - 1)
        return line[:at] + bytes([line[at] ^ (1 << rng.randrange(8))]) + line[at + 1 :]
    if kind == 4:
        return line[:at]
    if kind == 5:
        space = rng.choice([b" ", b"\t", b"\r", b"\x0b", b"\x0c", b"\xc2\xa0", b"\xef\xbb\xbf"])
        return line[:at] + space + line[at:]
    if kind == 6:  # a character as a \u escape (inside strings this is the same text)
        quote = line.find(b'"', at)
        if 0 <= quote < len(line) - 2 and line[quote + 1 : quote + 2].isalpha():
            char = line[quote + 1]
            return line[: quote + 1] + b"\\u%04x" % char + line[quote + 2 :]
        return line
    if kind == 7:  # an invalid UTF-8 sequence inside a string
        quote = line.find(b'"', at)
        if quote >= 0:
            bad = rng.choice([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"])
            return line[: quote + 1] + bad + line[quote + 1 :]
        return line
    return line + rng.choice([b" ", b"\r", b"x", b",", b"}", b"\x00", b" \t"])


def fuzz_lines(bases: list[bytes], count: int, seed: int) -> list[bytes]:
    """``count`` lines made from ``bases``: 70 % by structured mutations (one to three), 20 % by
    byte damage, 10 % by both; none contains a newline byte."""
    rng = random.Random(seed)
    out: list[bytes] = []
    while len(out) < count:
        base = rng.choice(bases)
        line: Optional[bytes] = base
        roll = rng.random()
        if roll < 0.8:
            value = decode(base)
            for _ in range(rng.choice([1, 1, 1, 2, 3])):
                value = rng.choice(STRUCTURED)(value, rng)
            text = emit(value, rng, spaced=rng.choice([0.0, 0.0, 0.05, 0.3]))
            line = text.encode("utf-8", "surrogatepass")
        if roll >= 0.7:
            line = _damage(line, rng)
        if b"\n" in line:
            line = line.replace(b"\n", b" ")
        out.append(line)
    return out


_STAMP_CHARS = "0123456789 -:+.TtZzUuCc\t\u00a0\u3000\x1c,_"


def lenient_stamp(rng: random.Random) -> str:
    """A valid instant in one of the many spellings chrono reads (or nearly: a leap second can
    fall past the range's end, a spelling can be one chrono refuses)."""
    year = rng.choice([rng.randint(0, 9999), rng.randint(-262144, 262143), 2016, 1970])
    month = rng.randint(1, 12)
    day = rng.randint(1, 28 if month == 2 else 30)
    hour, minute, second = rng.randint(0, 23), rng.randint(0, 59), rng.choice([0, 59, 60, 30])

    def num(value: int, width: int = 2) -> str:
        return rng.choice([f"{value:0{width}d}"] * 4 + [str(value), f" {value:0{width}d}"])

    if 0 <= year <= 9999 and rng.random() < 0.7:
        year_s = rng.choice([f"{year:04d}", str(year)])
    else:
        year_s = f"{year:+05d}" if rng.random() < 0.8 else f"{year:+d}"
    digits = rng.choice([0, 0, 1, 3, 6, 9, 10, 14])
    frac = "." + "".join(rng.choice("0123456789") for _ in range(digits)) if digits else ""
    hours_off, minutes_off = rng.randint(0, 23), rng.randint(0, 59)
    sign = rng.choice("+-")
    offset = rng.choice(
        [
            "Z",
            "z",
            "UTC",
            "uTc",
            f"{sign}{hours_off:02d}:{minutes_off:02d}",
            f"{sign}{hours_off:02d}{minutes_off:02d}",
            f"{sign}{hours_off:02d} :{minutes_off:02d}",
            f"{sign}00:00",
        ]
    )
    sep = rng.choice(["T", "T", "T", " ", "T ", "  "])
    inner = rng.choice(["", "", "", " "])
    text = (
        f"{year_s}{inner}-{inner}{num(month)}-{num(day)}{sep}{num(hour)}{inner}:{num(minute)}"
        f":{inner}{num(second)}{frac}{rng.choice(['', '', ' '])}{offset}"
    )
    return rng.choice(["", "", " ", "\u00a0"]) + text + rng.choice(["", "", " ", "\t"])


def stamp_lines(template: str, count: int, seed: int) -> list[bytes]:
    """``count`` copies of ``template`` (a line with ``{stamp}`` in a JSON string) with a
    timestamp from :func:`lenient_stamp` or :func:`stamp`, a third of them then edited a
    character at a time (one to three inserted, removed or replaced from the ones timestamps are
    made of)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = (lenient_stamp if rng.random() < 0.6 else stamp)(rng).replace("\n", " ")
        if rng.random() < 0.33:
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(text) + 1)
                kind = rng.randrange(3)
                if kind == 0:
                    text = text[:at] + rng.choice(_STAMP_CHARS) + text[at:]
                elif kind == 1:
                    text = text[:at] + text[at + 1 :]
                else:
                    text = text[:at] + rng.choice(_STAMP_CHARS) + text[at + 1 :]
        out.append(template.replace("{stamp}", json.dumps(text)[1:-1]).encode())
    return out
