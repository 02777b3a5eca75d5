"""The SSE splitter, the JSON-array splitter and stream-parser mode detection, on their own."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentelemetry.instrumentation.llm_router._redact import DEFAULT as DEFAULT_REDACTOR
from opentelemetry.instrumentation.llm_router._wire import get_format
from opentelemetry.instrumentation.llm_router._wire._jsonarray import JSONArraySplitter
from opentelemetry.instrumentation.llm_router._wire._sse import (
    MAX_EVENT_BYTES,
    SSESplitter,
    event_data,
    event_name,
)


class Collect(SSESplitter):
    __slots__ = ("events",)

    def __init__(self) -> None:
        SSESplitter.__init__(self)
        self.events: list[tuple[bytes | None, bytes | None]] = []

    def _event(self, raw: bytes) -> None:
        self.events.append((event_name(raw), event_data(raw)))


def split(pieces: list[bytes]) -> list[tuple[bytes | None, bytes | None]]:
    collector = Collect()
    for piece in pieces:
        collector.feed(piece)
    collector.flush_sse()
    return collector.events


STREAM = (
    b": this is a comment\n"
    b"retry: 3000\n"
    b"id: 1\n"
    b"event: first\n"
    b"data: one\n\n"
    b"data:no-space\n\n"
    b"data: line a\n"
    b"data: line b\n\n"
    b"event: empty\n"
    b"data\n\n"
    b": only a comment\n\n"
    b"data:  two spaces\n\n"
    b"data: last without blank line"
)
EXPECTED = [
    (b"first", b"one"),
    (None, b"no-space"),
    (None, b"line a\nline b"),
    (b"empty", b""),
    (None, None),
    (None, b" two spaces"),
    (None, b"last without blank line"),
]


def test_sse_fields() -> None:
    assert split([STREAM]) == EXPECTED


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_sse_line_endings_split_anywhere(ending: bytes) -> None:
    body = STREAM.replace(b"\n", ending)
    for cut in range(len(body) + 1):
        assert split([body[:cut], body[cut:]]) == EXPECTED, cut
    assert split([bytes([b]) for b in body]) == EXPECTED


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(STREAM)), max_size=30))
def test_sse_any_cuts(cuts: list[int]) -> None:
    body = STREAM.replace(b"\n", b"\r\n")
    points = sorted(set(cuts))
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)])]
    assert split(pieces) == EXPECTED


def test_event_data_ignores_lookalike_fields() -> None:
    assert event_data(b"database: x\ndata: y") == b"y"
    assert event_data(b"event: x") is None
    assert event_name(b"\nevent: ping\ndata: {}") == b"ping"
    assert event_name(b"data: {}\nevent: late") == b"late"
    assert event_name(b"data: {}") is None


def test_oversized_event_is_dropped_and_the_stream_goes_on() -> None:
    collector = Collect()
    collector.feed(b"data: start\n\ndata: ")
    block = b"x" * 65536
    for _ in range(MAX_EVENT_BYTES // len(block) + 4):
        collector.feed(block)
        assert collector._size <= MAX_EVENT_BYTES
    collector.feed(b"\n")
    collector.feed(b"\ndata: after\n\n")
    collector.flush_sse()
    assert collector.events == [(None, b"start"), (None, b"after")]


def test_oversized_event_dropped_at_end() -> None:
    collector = Collect()
    collector.feed(b"data: " + b"y" * (MAX_EVENT_BYTES + 10))
    collector.flush_sse()
    assert collector.events == []


def _chat_chunk(index: int) -> bytes:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "gpt-x",
        "choices": [{"index": 0, "delta": {"content": f" w{index}"}, "finish_reason": None}],
        "usage": None,
    }
    return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"


def test_long_stream_keeps_memory_flat() -> None:
    fmt = get_format("openai")
    info = fmt.request_info("POST", "/v1/chat/completions", b'{"model":"gpt-x","stream":true}')
    parser = fmt.stream_parser(info, False)
    chunks = [_chat_chunk(i) for i in range(200)]
    for chunk in chunks:  # warm up
        parser.feed(chunk)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(100_000):
            chunk = chunks[i % 200]
            parser.feed(chunk[:50])  # arbitrary cuts, so the splitter really buffers
            parser.feed(chunk[50:])
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 16 * 1024
    final = (
        b'data: {"id":"chatcmpl-1","model":"gpt-x","choices":[{"index":0,"delta":{},'
        b'"finish_reason":"stop"}],"usage":null}\n\n'
        b'data: {"id":"chatcmpl-1","model":"gpt-x","choices":[],"usage":{"prompt_tokens":3,'
        b'"completion_tokens":100200}}\n\ndata: [DONE]\n\n'
    )
    parser.feed(final)
    summary = parser.summary()
    assert summary.finish_reasons == ["stop"]
    assert summary.usage.output_tokens == 100200


def test_batched_events_with_a_finish_reason_among_them() -> None:
    """Several events in one read: the batch filter must not dismiss the one that matters."""
    fmt = get_format("openai")
    info = fmt.request_info("POST", "/v1/chat/completions", b'{"model":"m","stream":true}')
    parser = fmt.stream_parser(info, False)
    final = (
        b'data: {"id":"c","model":"m","choices":[{"index":0,"delta":{},'
        b'"finish_reason":"length"}]}\n\n'
    )
    parser.feed(b"".join(_chat_chunk(i) for i in range(5)) + final + b"data: [DONE]\n\n")
    assert parser.summary().finish_reasons == ["length"]


def test_spaced_json_provider() -> None:
    """A server that writes `"key": value` (Python json defaults): nothing is missed."""
    fmt = get_format("openai")
    info = fmt.request_info("POST", "/v1/chat/completions", b'{"model":"m","stream":true}')
    events = [
        {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": "a"}}]},
        {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {
            "id": "c",
            "model": "m",
            "choices": [],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2},
        },
    ]
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    for pieces in ([body], [body[:1], body[1:]], [bytes([b]) for b in body]):
        parser = fmt.stream_parser(info, False)
        for piece in pieces:
            parser.feed(piece)
        summary = parser.summary()
        assert summary.finish_reasons == ["stop"]
        assert (summary.usage.input_tokens, summary.usage.output_tokens) == (1, 2)


def test_stream_error_event() -> None:
    fmt = get_format("openai")
    info = fmt.request_info("POST", "/v1/chat/completions", b'{"model":"m","stream":true}')
    parser = fmt.stream_parser(info, False)
    parser.feed(_chat_chunk(0))
    parser.feed(
        b'data: {"error":{"message":"Incorrect API key provided: sk-abc123456789","type":'
        b'"invalid_request_error","code":"server_overloaded"}}\n\n'
    )
    summary = parser.summary()
    assert summary.error_type == "server_overloaded"
    assert "sk-abc" not in DEFAULT_REDACTOR(summary.error_message)  # the one redaction step
    assert summary.usage is None


def test_json_array_splitter() -> None:
    elements = [{"a": 'x]}\\"{['}, [1, {"b": []}], {"c": {"d": "\\"}}]
    body = json.dumps(elements, indent=1).encode()
    for size in (1, 2, 3, 7, len(body)):
        got: list[bytes] = []
        splitter = JSONArraySplitter(got.append)
        for at in range(0, len(body), size):
            splitter.feed(body[at : at + size])
        assert [json.loads(item) for item in got] == elements


# Streamed JSON arrays: generated values, every way of writing and cutting them ----------------

_HOSTILE = st.sampled_from(
    ['"', "\\", '\\"', '"\\', "]", "[", "}", "{", "},{", '"]', "\\\\", "\n", "\r\n", " ",
     ",", ":", "\u00e9", "\U0001f600", "\\u0022", "x"]
)  # fmt: skip
_SCALARS = (
    st.lists(_HOSTILE, max_size=8).map("".join)
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.none()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.lists(_HOSTILE, max_size=4).map("".join), inner, max_size=4)
    ),
    max_leaves=12,
)
_DUMPS = {
    "compact": lambda v: json.dumps(v, separators=(",", ":")),
    "spaced": json.dumps,
    "indented": lambda v: json.dumps(v, indent=2),
    "ascii-off": lambda v: json.dumps(v, ensure_ascii=False),
}


def _array(values: list, dump, separator: str, lead: str) -> bytes:
    return (lead + "[" + separator.join(dump(v) for v in values) + "]").encode()


def _split(body: bytes, cuts: list[int]) -> list[bytes]:
    got: list[bytes] = []
    splitter = JSONArraySplitter(got.append)
    for start, end in zip([0, *cuts], [*cuts, len(body)]):
        splitter.feed(body[start:end])
    return got


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(_VALUES, max_size=6),
    style=st.sampled_from(sorted(_DUMPS)),
    separator=st.sampled_from([",", ", ", ",\r\n", "\n,\n", " , "]),
    lead=st.sampled_from(["", " \r\n", "\ufeff"]),
    cuts=st.lists(st.integers(0, 10**6), max_size=12),
)
def test_json_array_splitter_generated(
    values: list, style: str, separator: str, lead: str, cuts: list[int]
) -> None:
    """Every element of any valid JSON array, however it is written and cut into reads, comes
    out once, whole, in order: exactly what ``json.loads`` of the whole array gives."""
    body = _array(values, _DUMPS[style], separator, lead)
    positions = sorted({cut % (len(body) + 1) for cut in cuts})
    got = _split(body, positions)
    assert [json.loads(item) for item in got] == json.loads(body.decode().lstrip("\ufeff"))
    assert all(item == item.strip() for item in got)


def test_json_array_splitter_every_cut_point() -> None:
    """Escapes, brackets in strings and bare values cut at every byte (two reads, and one
    byte a read)."""
    values = [
        {"a": 'x]}\\"{[', "b": ["\\", "\\\\", '"', "}{"], "c": {"d": [[], {}, [1, [2]]]}},
        "a string ] with } brackets \\",
        -12.5e3,
        True,
        None,
        [{"e": '\\"'}, "]"],
        0,
        {},
    ]
    for style in sorted(_DUMPS):
        body = _array(values, _DUMPS[style], ",\r\n", "")
        for cut in range(len(body) + 1):
            assert [json.loads(item) for item in _split(body, [cut])] == values, (style, cut)
        assert [json.loads(item) for item in _split(body, list(range(1, len(body))))] == values


def test_json_array_splitter_drops_an_oversized_element() -> None:
    big = {"text": "x" * (MAX_EVENT_BYTES + 10), "b": ["]", "}"]}
    body = _array([{"a": 1}, big, "s", {"z": "}"}], json.dumps, ",\r\n", "")
    for size in (1000, 65536, len(body)):
        got = _split(body, list(range(size, len(body), size)))
        assert [json.loads(item) for item in got] == [{"a": 1}, "s", {"z": "}"}]


def test_gemini_json_array_stream() -> None:
    chunks = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}}],
         "usageMetadata": {}, "modelVersion": "gemini-x", "responseId": "r1"},
        {"candidates": [{"content": {"role": "model", "parts": [{"text": " there"}]}}],
         "usageMetadata": {"trafficType": "ON_DEMAND"}, "modelVersion": "gemini-x", "responseId": "r1"},
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "!"}]}, "finishReason": "STOP"}],
         "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 3, "thoughtsTokenCount": 5,
                           "cachedContentTokenCount": 2, "totalTokenCount": 12},
         "modelVersion": "gemini-x", "responseId": "r1"},
    ]  # fmt: skip
    body = ("[" + ",\r\n".join(json.dumps(c, indent=2) for c in chunks) + "]").encode()
    fmt = get_format("gemini")
    info = fmt.request_info("POST", "/v1beta/models/gemini-x:streamGenerateContent", b"{}")
    for size in (1, 5, 64, len(body)):
        parser = fmt.stream_parser(info, True)
        for at in range(0, len(body), size):
            parser.feed(body[at : at + size])
        summary = parser.summary()
        assert (summary.response_id, summary.response_model) == ("r1", "gemini-x")
        assert summary.finish_reasons == ["STOP"]
        usage = summary.usage
        assert (usage.input_tokens, usage.output_tokens) == (4, 8)
        assert (usage.cache_read_input_tokens, usage.reasoning_output_tokens) == (2, 5)
        assert summary.output_messages == [
            {"role": "assistant", "parts": [{"type": "text", "content": "Hi there!"}],
             "finish_reason": "STOP"}
        ]  # fmt: skip


def test_parser_never_raises_on_garbage() -> None:
    junk = [b"\x00\xff\xfe", b"data: {not json\n\n", b"data: [1,2]\n\n", b"event: error\ndata: 5\n\n",
            b"data: {\"choices\": 7, \"usage\": \"x\"}\n\n", b"{\"a\":", b"[{]"]  # fmt: skip
    for name, path in (
        ("openai", "/v1/chat/completions"),
        ("openai", "/v1/responses"),
        ("anthropic", "/v1/messages"),
        ("gemini", "/v1beta/models/m:streamGenerateContent"),
    ):
        fmt = get_format(name)
        info = fmt.request_info("POST", path, b'{"model":"m"}')
        for start in range(len(junk)):
            parser = fmt.stream_parser(info, True)
            for piece in junk[start:] + junk[:start]:
                parser.feed(piece)
            summary = parser.summary()
            assert summary.usage is None or not summary.usage.is_empty()
            fmt.parse_response(info, b"".join(junk), True)
