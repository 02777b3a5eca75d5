"""The per-event fast paths of the stream parsers never change what a stream says.

Once id and model are known and output is no longer counted (the per-chunk metric is off), a
parser answers the common read — one event that carries nothing we need — with a few byte
comparisons against what it learnt from an earlier such event. Each case here is a read that
looks like such an event to a careless check but is not (an error key before the choices or
after the usage, a second event in the same read, a ``\\r`` line end, a live usage, a finish
reason) and arrives after a run of dull events, in every JSON style and with OpenAI's varying
``obfuscation`` field or without it. The summary must be the one a byte-by-byte feed gives
(which never takes the fast path; output no longer counted either), and the fast path must have been on before the trap, so the
test cannot pass by never taking it.

Bedrock's ConverseStream is binary (AWS event-stream frames): there the traps are frames that
share bytes with a text delta (its header block then more headers, a header block of the same
length, a frame begun earlier that takes the delta's bytes as its own, lengths that end the
reading), exception, error, metadata and stop frames, and tool and reasoning deltas, read per
frame, two frames a read, all at once and cut at every byte around the trap.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Callable, Optional

import pytest

from opentelemetry.instrumentation.llm_router._wire import get_format
from opentelemetry.instrumentation.llm_router._wire._sse import MAX_EVENT_BYTES
from tests.support.aws_eventstream import exception as aws_exception
from tests.support.aws_eventstream import frame as aws_frame
from tests.support.aws_eventstream import header_block
from tests.support.aws_eventstream import message as aws_message

STYLES: dict[str, Callable[[Any], str]] = {
    "compact": lambda v: json.dumps(v, separators=(",", ":")),
    "spaced": json.dumps,
}
ERROR = {"message": "boom", "type": "server_error", "code": "overloaded"}


def _chunk(
    delta: dict[str, Any],
    finish: Any = None,
    usage: Any = None,
    *,
    with_usage: bool,
    obfuscation: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m"}
    value.update(before or {})
    value["choices"] = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
    if with_usage or usage is not None:
        value["usage"] = usage
    if obfuscation is not None:
        value["obfuscation"] = obfuscation
    value.update(after or {})
    return value


def _event(dump: Callable[[Any], str], value: Any, end: bytes = b"\n\n") -> bytes:
    return b"data: " + dump(value).encode() + end


TRAPS: dict[str, Callable[[Callable[[Any], str], dict[str, Any]], bytes]] = {
    "error-before-choices": lambda dump, kw: _event(
        dump, _chunk({"content": "x"}, before={"error": ERROR}, **kw)
    ),
    "error-after-usage": lambda dump, kw: _event(
        dump, _chunk({"content": "x"}, after={"error": ERROR}, **kw)
    ),
    "error-event-inside-the-read": lambda dump, kw: (
        _event(dump, _chunk({"content": "x"}, **kw))
        + _event(dump, {"error": ERROR})
        + _event(dump, _chunk({"content": "y"}, **kw))
    ),
    "error-event-after-a-cr-line-end": lambda dump, kw: (
        _event(dump, _chunk({"content": "x"}, **kw), b"\r\r")
        + _event(dump, {"error": ERROR}, b"\r\r")
        + _event(dump, _chunk({"content": "y"}, **kw))
    ),
    "live-usage": lambda dump, kw: _event(
        dump, _chunk({"content": "x"}, usage={"prompt_tokens": 3, "completion_tokens": 9}, **kw)
    ),
    "live-usage-last": lambda dump, kw: _event(
        dump,
        _chunk(
            {"content": "x"}, after={"usage": {"prompt_tokens": 3, "completion_tokens": 9}}, **kw
        ),
    ),
    "finish-reason": lambda dump, kw: _event(dump, _chunk({}, "length", **kw)),
}


def _cuts(size: int) -> Callable[[list[bytes]], list[bytes]]:
    def cut(pieces: list[bytes]) -> list[bytes]:
        body = b"".join(pieces)
        return [body[at : at + size] for at in range(0, len(body), size)]

    return cut


DELIVERIES: dict[str, Callable[[list[bytes]], list[bytes]]] = {
    "per-event": lambda pieces: pieces,
    "coalesced": lambda pieces: [b"".join(pieces)],
    "cuts-of-700": _cuts(700),
    "cuts-of-2000": _cuts(2000),
}


@pytest.mark.parametrize("delivery", sorted(DELIVERIES))
@pytest.mark.parametrize("trap", sorted(TRAPS))
@pytest.mark.parametrize("obfuscation", [None, "varying"])
@pytest.mark.parametrize("with_usage", [True, False], ids=["usage-null", "no-usage-key"])
@pytest.mark.parametrize("style", sorted(STYLES))
def test_chat_fast_path_never_changes_the_summary(
    style: str, with_usage: bool, obfuscation: str | None, trap: str, delivery: str
) -> None:
    """Per event: the hook turns the count off after the read with the first output event.
    Several events per read: the parser does, at that event (``count_first``, as the hook sets
    it when only the first output event is timed), and skims the rest of the read."""
    dump = STYLES[style]
    fmt = get_format("openai")
    info = fmt.request_info("POST", "/v1/chat/completions", b'{"model":"m","stream":true}')

    def kw(i: int) -> dict[str, Any]:
        return {
            "with_usage": with_usage,
            "obfuscation": None if obfuscation is None else "o" * (1 + i % 7),
        }

    pieces = [_event(dump, _chunk({"role": "assistant", "content": ""}, **kw(0)))]
    pieces += [_event(dump, _chunk({"content": f"w{i}"}, **kw(i))) for i in range(8)]
    pieces.append(TRAPS[trap](dump, kw(3)))
    pieces += [_event(dump, _chunk({"content": f"v{i}"}, **kw(i))) for i in range(12)]
    pieces.append(_event(dump, _chunk({}, "stop", **kw(5))))
    pieces.append(b"data: [DONE]\n\n")

    parser = fmt.stream_parser(info, False)
    parser.count_first = True
    fast_before_trap = False
    for number, piece in enumerate(DELIVERIES[delivery](pieces)):
        if number == 9:
            fast_before_trap = parser._fast
        parser.feed(piece)
        if parser.output_events:
            parser.counting = False
    reference = fmt.stream_parser(info, False)  # byte by byte: never the fast path
    for byte in b"".join(pieces):
        reference.feed(bytes([byte]))
        if reference.output_events:
            reference.counting = False
    expected = reference.summary()
    assert parser.summary() == expected
    assert parser._tail  # a tail was learnt: the reads after it met the fast path or the skim
    if delivery == "per-event":
        assert fast_before_trap  # the trap met the fast path
    if trap.startswith("error"):
        assert expected.error_type == "overloaded"
    if trap.startswith("live-usage"):
        assert expected.usage is not None and expected.usage.output_tokens == 9
    if trap == "finish-reason":
        assert expected.finish_reasons == ["stop"]  # the last one of the choice wins


def test_count_first_stops_counting_at_the_first_output_event() -> None:
    """``count_first``: a read of many events counts its first output event and no more."""
    dump = STYLES["compact"]
    fmt = get_format("openai")
    info = fmt.request_info("POST", "/v1/chat/completions", b'{"model":"m","stream":true}')
    kw: dict[str, Any] = {"with_usage": True, "obfuscation": None}
    pieces = [_event(dump, _chunk({"role": "assistant", "content": ""}, **kw))]
    pieces += [_event(dump, _chunk({"content": f"w{i}"}, **kw)) for i in range(30)]
    for count_first, expected in ((False, 30), (True, 1)):
        parser = fmt.stream_parser(info, False)
        parser.count_first = count_first
        parser.feed(b"".join(pieces))
        assert parser.output_events == expected


# Named events (Anthropic Messages, OpenAI Responses): a read that is one text delta ----------


def _sse(name: str, value: Any, end: bytes = b"\n\n") -> bytes:
    return b"event: " + name.encode() + b"\n" + b"data: " + json.dumps(value).encode() + end


_ANTHROPIC_DELTA = (
    "content_block_delta",
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"}},
)
_ANTHROPIC_ERROR = ("error", {"type": "error", "error": {"type": "overloaded_error"}})
_ANTHROPIC_FINAL = (
    "message_delta",
    {
        "type": "message_delta",
        "delta": {"stop_reason": "max_tokens"},
        "usage": {"output_tokens": 7},
    },
)
_RESPONSES_DELTA = (
    "response.output_text.delta",
    {"type": "response.output_text.delta", "delta": "x"},
)
_RESPONSES_ERROR = ("error", {"type": "error", "code": "server_error", "message": "boom"})
_RESPONSES_FINAL = (
    "response.completed",
    {
        "type": "response.completed",
        "response": {
            "id": "r1",
            "model": "m",
            "status": "completed",
            "usage": {"input_tokens": 2, "output_tokens": 7},
        },
    },
)
NAMED = {
    "anthropic": (
        "anthropic",
        "/v1/messages",
        [("message_start", {"type": "message_start", "message": {"id": "m1", "model": "m"}})],
        _ANTHROPIC_DELTA,
        _ANTHROPIC_ERROR,
        _ANTHROPIC_FINAL,
    ),
    "responses": (
        "openai",
        "/v1/responses",
        [
            (
                "response.created",
                {"type": "response.created", "response": {"id": "r1", "model": "m"}},
            )
        ],
        _RESPONSES_DELTA,
        _RESPONSES_ERROR,
        _RESPONSES_FINAL,
    ),
}


@pytest.mark.parametrize("trap", ["error-in-the-read", "final-in-the-read", "cr-line-ends"])
@pytest.mark.parametrize("delivery", sorted(DELIVERIES))
@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_event_fast_path_never_changes_the_summary(
    name: str, delivery: str, trap: str
) -> None:
    wire, path, start, delta, error, final = NAMED[name]
    fmt = get_format(wire)
    info = fmt.request_info("POST", path, b'{"model":"m","stream":true}')
    if trap == "error-in-the-read":
        odd = _sse(*delta) + _sse(*error)
    elif trap == "final-in-the-read":
        odd = _sse(*delta) + _sse(*final)
    else:
        # one LF-ended line, then CR line ends: two events, the second an error
        odd = _sse(*delta, end=b"\r\r") + _sse(*error, end=b"\n\n").replace(b"\n", b"\r", 1)
    pieces = [_sse(*event) for event in start] + [_sse(*delta)] * 8 + [odd]
    pieces += [_sse(*delta)] * 4 + ([] if trap == "final-in-the-read" else [_sse(*final)])
    parser = fmt.stream_parser(info, False)
    parser.count_first = True
    fast_before_trap = False
    for number, piece in enumerate(DELIVERIES[delivery](pieces)):
        if number == 9:
            fast_before_trap = parser._fast
        parser.feed(piece)
        if parser.output_events:
            parser.counting = False
    reference = fmt.stream_parser(info, False)  # byte by byte: never the fast path
    for byte in b"".join(pieces):
        reference.feed(bytes([byte]))
        if reference.output_events:
            reference.counting = False
    expected = reference.summary()
    assert parser.summary() == expected
    if delivery == "per-event":
        assert fast_before_trap
    if trap == "final-in-the-read":
        assert expected.usage is not None and expected.usage.output_tokens == 7
    else:
        assert expected.error_type


# Ollama NDJSON lines and Cohere v2 named events: a read that is one plain text delta ----------
#
# Shaped as the providers write them: Ollama one JSON object per line, ``done`` its last key
# (``false`` until the last line, which has the counts); Cohere ``event: <type>`` then the data
# with ``type`` as its first key (``message-start`` has the id first). Each trap is a list of
# reads (kept apart when delivered per event) and what the summary must show because of it;
# ``final`` says whether the stream's usual last event follows (it would hide the trap's usage).

_Trap = tuple[list[bytes], Callable[[Any], bool], bool]
_Start = Optional[tuple[bytes, bytes]]
"""Another first event and plain delta for the run before the trap (or ``None``)."""


def _ollama_line(dump: Callable[[Any], str], content: str = "x", **fields: Any) -> bytes:
    value: dict[str, Any] = {
        "model": "llama3.2",
        "created_at": "2026-01-01T00:00:00.000000Z",
        "message": {"role": "assistant", "content": content},
    }
    value.update(fields)
    value.setdefault("done", False)
    return dump(value).encode() + b"\n"


def _ollama(dump: Callable[[Any], str]) -> tuple[Any, ...]:
    def done(reason: str, outputs: int) -> dict[str, Any]:
        return {"done": True, "done_reason": reason, "prompt_eval_count": 3, "eval_count": outputs}

    delta = _ollama_line(dump)

    def no_model(content: str) -> bytes:
        value = {"message": {"role": "assistant", "content": content}, "done": False}
        return dump(value).encode() + b"\n"

    error_key = _ollama_line(dump, error="boom")
    nested = dump(
        {"model": "llama3.2", **done("length", 9), "message": {"content": "x", "done": False}}
    ).encode()
    cut = error_key.find(b"boom") + 5
    traps: dict[str, tuple[_Trap, _Start]] = {
        "error-key-in-a-text-line": (([error_key], _said_boom, True), None),
        "error-line": (([b'{"error":"boom"}\n'], _said_boom, True), None),
        "error-key-line-cut-in-two": (([error_key[:cut], error_key[cut:]], _said_boom, True), None),
        "last-line-then-a-text-line-in-one-read": (
            ([_ollama_line(dump, "", **done("length", 9)) + delta], _nine_out, False),
            None,
        ),
        "last-line-with-a-nested-done-false": (([nested + b"\n"], _nine_out, False), None),
        "cr-line-ends": (
            (
                [_ollama_line(dump, "", **done("length", 9))[:-1] + b"\r\n" + delta[:-1] + b"\r\n"],
                _nine_out,
                False,
            ),
            None,
        ),
        # a line too long to keep (1 MiB) is dropped up to its line end, even when that end
        # comes as a read of its own that looks like a plain line
        "oversized-line-then-its-end": (
            (
                [b'{"model":"llama3.2","pad":"' + b"p" * MAX_EVENT_BYTES, b'"' + delta[1:]],
                lambda s: s.usage is not None and s.usage.output_tokens == 20,
                True,
            ),
            None,
        ),
        # no line names the model before the trap, nor after it but plain text lines
        "model-named-late": (
            ([delta], lambda s: s.response_model == "llama3.2", False),
            (no_model(""), no_model("x")),
        ),
    }
    start = [_ollama_line(dump, "")]  # names the model; no output yet
    final = _ollama_line(dump, "", **done("stop", 20))
    return "ollama", "/api/chat", start, delta, final, traps


def _cohere_event(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


def _cohere(dump: Callable[[Any], str]) -> tuple[Any, ...]:
    def joined(first: dict[str, Any], second: dict[str, Any], glue: str) -> str:
        """Two objects' members as one object (duplicate keys, or across two ``data:`` lines)."""
        return dump(first)[:-1] + glue + dump(second)[1:]

    comma = dump([0, 0])[2:-2]  # "," or ", "
    usage = {"tokens": {"input_tokens": 3, "output_tokens": 9}}
    end = {"type": "message-end", "delta": {"finish_reason": "MAX_TOKENS", "usage": usage}}
    text = {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "x"}}}}
    delta = _cohere_event("content-delta", dump(text))
    error_object = b'data: {"id":"e1","message":"boom"}\n\n'
    held = dump({"type": "message-end", "delta": {"finish_reason": "ERROR", "error": "boom"}})
    head = {"type": "content-delta", "index": 0}
    traps: dict[str, tuple[_Trap, _Start]] = {
        "final-in-the-read": (
            ([delta + _cohere_event("message-end", dump(end))], _nine_out, False),
            None,
        ),
        "error-object-after-a-delta-in-the-read": (
            ([delta + error_object], _said_boom, True),
            None,
        ),
        "cr-line-ends": (([delta[:-2] + b"\r\r" + error_object], _said_boom, True), None),
        "duplicate-type-key": (
            ([_cohere_event("content-delta", joined(head, end, comma))], _nine_out, False),
            None,
        ),
        "end-named-as-a-delta": (
            ([_cohere_event("content-delta", dump(end))], _nine_out, False),
            None,
        ),
        "data-over-two-lines-cut": (
            (
                [
                    f"event: content-delta\ndata: {dump(head)[:-1]}{comma.rstrip()}\nd".encode(),
                    f"ata: {dump(end)[1:]}\n\n".encode(),
                ],
                _nine_out,
                False,
            ),
            None,
        ),
        "held-part-then-a-delta": (
            (
                [
                    f"event: message-end\ndata: {held[:-1]}{comma}{dump('x')}: [\n".encode(),
                    delta[:-2] + b"]}\n\n",
                ],
                _said_boom,
                True,
            ),
            None,
        ),
    }
    start = [
        _cohere_event(
            "message-start",
            dump(
                {"id": "c1", "type": "message-start", "delta": {"message": {"role": "assistant"}}}
            ),
        ),
        _cohere_event(
            "content-start",
            dump(
                {
                    "type": "content-start",
                    "index": 0,
                    "delta": {"message": {"content": {"type": "text", "text": ""}}},
                }
            ),
        ),
    ]
    final = _cohere_event(
        "message-end",
        dump({"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage}}),
    )
    return "cohere", "/v2/chat", start, delta, final, traps


def _said_boom(summary: Any) -> bool:
    return summary.error_message == "boom"


def _nine_out(summary: Any) -> bool:
    return summary.usage is not None and summary.usage.output_tokens == 9


NATIVE = {"ollama": _ollama, "cohere": _cohere}


@pytest.mark.parametrize("capture", [False, True], ids=["no-capture", "capture"])
@pytest.mark.parametrize("delivery", sorted(DELIVERIES))
@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("name", sorted(NATIVE))
def test_native_fast_path_never_changes_the_summary(
    name: str, style: str, delivery: str, capture: bool
) -> None:
    """Every trap, after a run of plain text deltas read with the output count off (the first
    output event stops it, ``count_first`` as the hook sets it): the summary and the output count
    a byte-by-byte feed gives, and the fast path was on when the trap came (per event)."""
    wire, path, start, delta, final, traps = NATIVE[name](STYLES[style])
    fmt = get_format(wire)
    info = fmt.request_info("POST", path, b'{"model":"m","stream":true}')
    for trap, ((reads, effect, then_final), other) in traps.items():
        first, dull = ([other[0]], other[1]) if other else (start, delta)
        pieces = first + [dull] * 8 + reads + [delta] * 4 + ([final] if then_final else [])
        parser = fmt.stream_parser(info, capture)
        parser.count_first = True
        fast_before_trap = False
        for number, piece in enumerate(DELIVERIES[delivery](pieces)):
            if number == len(first) + 8:
                fast_before_trap = parser._fast
            parser.feed(piece)
            if parser.output_events:
                parser.counting = False
        reference = fmt.stream_parser(info, capture)  # byte by byte: never the fast path
        for piece in pieces:
            if len(piece) > MAX_EVENT_BYTES:  # the general path, in one go
                type(reference).counting_feed(reference, piece)
                continue
            for byte in piece:
                reference.feed(bytes([byte]))
                if reference.output_events:
                    reference.counting = False
        expected = reference.summary()
        where = f"{name} {style} {delivery} {trap}"
        assert parser.summary() == expected, where
        assert parser.output_events == reference.output_events == 1, where
        assert effect(expected), where  # the trap says something the summary must keep
        if delivery == "per-event" and not capture and other is None:
            assert fast_before_trap, where


# Bedrock ConverseStream (binary AWS event-stream frames): a read that is one text delta ------

_BEDROCK_HEADERS = {
    ":event-type": "contentBlockDelta",
    ":content-type": "application/json",
    ":message-type": "event",
}


def _bedrock_event(dump: Callable[[Any], str], kind: str, value: Any) -> bytes:
    headers = {**_BEDROCK_HEADERS, ":event-type": kind}
    return aws_frame(headers, dump(value).encode())


def _bedrock_text(dump: Callable[[Any], str], word: str) -> bytes:
    return _bedrock_event(
        dump, "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": word}, "p": "ab"}
    )


def _bedrock_broken(dump: Callable[[Any], str], total: int) -> bytes:
    """A frame with the text delta's very header block whose total length makes no sense
    (``total``: too short for its headers and CRC, or longer than any frame): the reading
    ends there, and nothing after it (the usage, the stop reason) is read."""
    whole = _bedrock_text(dump, "x")
    size = int.from_bytes(whole[4:8], "big")
    head = total.to_bytes(4, "big") + whole[4:8] + b"\0\0\0\0" + whole[12 : 12 + size]
    return head + b"\0" * (total - len(head))


def _bedrock_header_size() -> int:
    return int.from_bytes(_bedrock_text(json.dumps, "x")[4:8], "big")


_EXCEPTION_HEADERS = [
    (":exception-type", "validationException"),
    (":message-type", "exception"),
]


def _bedrock_override(dump: Callable[[Any], str]) -> bytes:
    """The text delta's header block followed by a second ``:event-type`` (the last one wins)
    and an exception's headers: an exception frame whose first bytes after the prelude are a
    text delta's, its header block longer."""
    headers = [*_BEDROCK_HEADERS.items(), (":event-type", "x"), *_EXCEPTION_HEADERS]
    return aws_message(header_block(headers), dump({"message": "bad"}).encode())


def _bedrock_same_size(dump: Callable[[Any], str]) -> bytes:
    """An exception frame whose header block has exactly the text delta's length (its
    content type padded or cut to fit)."""
    size = _bedrock_header_size()
    headers = [*_EXCEPTION_HEADERS, (":content-type", "")]
    room = size - len(header_block(headers))
    headers[-1] = (":content-type", ("application/json" + "x" * room)[:room])
    block = header_block(headers)
    assert len(block) == size
    return aws_message(block, dump({"message": "bad"}).encode())


BEDROCK_TRAPS: dict[str, Callable[[Callable[[Any], str]], bytes]] = {
    "exception": lambda dump: aws_exception("throttlingException", "slow down"),
    "stream-error": lambda dump: aws_frame(
        {":message-type": "error", ":error-code": "InternalFailure", ":error-message": "boom"},
        b"",
    ),
    "metadata": lambda dump: _bedrock_event(
        dump, "metadata", {"usage": {"inputTokens": 3, "outputTokens": 9}, "metrics": {}}
    ),
    "message-stop": lambda dump: _bedrock_event(dump, "messageStop", {"stopReason": "max_tokens"}),
    "delta-headers-then-another-event-type": lambda dump: _bedrock_override(dump),
    "delta-then-exception-in-one-read": lambda dump: (
        _bedrock_text(dump, "x") + aws_exception("modelStreamErrorException", "gone")
    ),
    "delta-then-metadata-in-one-read": lambda dump: (
        _bedrock_text(dump, "x")
        + _bedrock_event(dump, "metadata", {"usage": {"inputTokens": 3, "outputTokens": 9}})
    ),
    "tool-and-reasoning-deltas-then-stop": lambda dump: (
        _bedrock_event(
            dump,
            "contentBlockDelta",
            {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"a": 1}'}}},
        )
        + _bedrock_event(
            dump,
            "contentBlockDelta",
            {"contentBlockIndex": 2, "delta": {"reasoningContent": {"text": "hm"}}},
        )
        + _bedrock_event(dump, "messageStop", {"stopReason": "tool_use"})
    ),
    "reordered-headers-then-error": lambda dump: (
        aws_frame(dict(reversed(list(_BEDROCK_HEADERS.items()))), b'{"delta":{"text":"y"}}')
        + aws_exception("throttlingException", "slow down")
    ),
    "too-short-for-its-crc": lambda dump: _bedrock_broken(dump, 12 + _bedrock_header_size() + 2),
    "same-header-size-exception": _bedrock_same_size,
    "a-frame-cut-short": lambda dump: aws_exception("throttlingException", "slow down")[:30],
    "a-frame-that-takes-the-next-delta": lambda dump: _bedrock_swallowing(dump),
}


def _bedrock_swallowing(dump: Callable[[Any], str]) -> bytes:
    """The head of an exception frame (prelude, headers, a little payload) whose length says
    its payload goes on through the whole of the text delta that follows it: a read that is a
    complete text delta by itself, yet read as the rest of a frame already begun."""
    block = header_block([*_EXCEPTION_HEADERS, (":content-type", "application/json")])
    head = b'{"m'
    total = 12 + len(block) + len(head) + len(_bedrock_text(dump, "v0"))
    prelude = total.to_bytes(4, "big") + len(block).to_bytes(4, "big")
    return prelude + zlib.crc32(prelude).to_bytes(4, "big") + block + head


def _bedrock_pieces(dump: Callable[[Any], str], trap: bytes) -> tuple[list[bytes], int]:
    """A ConverseStream with ``trap`` (one read) after a run of text deltas; the trap's index."""
    pieces = [_bedrock_event(dump, "messageStart", {"role": "assistant"})]
    pieces += [_bedrock_text(dump, f"w{i}") for i in range(8)]
    at = len(pieces)
    pieces.append(trap)
    pieces += [_bedrock_text(dump, f"v{i}") for i in range(4)]
    pieces.append(_bedrock_event(dump, "contentBlockStop", {"contentBlockIndex": 0}))
    pieces.append(_bedrock_event(dump, "messageStop", {"stopReason": "end_turn"}))
    pieces.append(
        _bedrock_event(dump, "metadata", {"usage": {"inputTokens": 12, "outputTokens": 20}})
    )
    return pieces, at


def _bedrock_read(pieces: list[bytes], capture: bool) -> tuple[Any, Any, list[bool]]:
    """Read as the hook does: the counting feed until an output event is counted (only the
    first is timed: ``count_first``), then the steady feed. Also: whether the fast path was
    armed before each read."""
    info = _bedrock_info(capture)
    parser = get_format("bedrock").stream_parser(info, capture)
    parser.count_first = True
    feed = parser.counting_feed
    armed = []
    for piece in pieces:
        armed.append(parser._splitter._fast is not None)
        feed(piece)
        if parser.output_events and parser.counting:
            parser.counting = False
            feed = parser.steady_feed
    return parser, parser.summary(), armed


def _bedrock_reference(pieces: list[bytes], capture: bool) -> Any:
    """Byte by byte, every output event counted: the general path, no frame ever skipped."""
    parser = get_format("bedrock").stream_parser(_bedrock_info(capture), capture)
    for byte in b"".join(pieces):
        parser.feed(bytes([byte]))
    assert parser.counting
    return parser.summary()


def _bedrock_info(capture: bool) -> Any:
    return get_format("bedrock").request_info(
        "POST", "/model/amazon.nova-pro-v1%3A0/converse-stream", b'{"messages":[]}', capture
    )


def _cut_at(pieces: list[bytes], position: int) -> list[bytes]:
    """The reads of ``pieces`` with the read holding byte ``position`` cut there, its second
    part sent together with the next read (a cut frame, and several frames in one read)."""
    out, start = [], 0
    for number, piece in enumerate(pieces):
        end = start + len(piece)
        if start < position < end:
            cut = position - start
            rest = piece[cut:] + (pieces[number + 1] if number + 1 < len(pieces) else b"")
            return [*out, piece[:cut], rest, *pieces[number + 2 :]]
        out.append(piece)
        start = end
    return out


@pytest.mark.parametrize("capture", [False, True], ids=["no-capture", "capture"])
@pytest.mark.parametrize("trap", sorted(BEDROCK_TRAPS))
@pytest.mark.parametrize("style", sorted(STYLES))
def test_bedrock_fast_path_never_changes_the_summary(style: str, trap: str, capture: bool) -> None:
    """Per frame, coalesced, two frames a read, and cut at every byte of the trap and of the
    frames on either side of it: always the general path's summary, and (no capture, one frame
    a read) the fast path armed when the trap arrives."""
    dump = STYLES[style]
    pieces, at = _bedrock_pieces(dump, BEDROCK_TRAPS[trap](dump))
    expected = _bedrock_reference(pieces, capture)
    deliveries = {
        "per-frame": pieces,
        "coalesced": [b"".join(pieces)],
        "pairs": [b"".join(pieces[i : i + 2]) for i in range(0, len(pieces), 2)],
    }
    first = sum(map(len, pieces[: at - 1]))
    last = sum(map(len, pieces[: at + 2]))
    for position in range(first + 1, last):
        deliveries[f"cut-at-{position}"] = _cut_at(pieces, position)
    for name, reads in deliveries.items():
        parser, summary, armed = _bedrock_read(reads, capture)
        assert summary == expected, name
        assert parser.output_events >= 1
        if name == "per-frame":
            assert armed[at] is not capture  # the trap met the fast path (never with capture)
    if trap in ("exception", "delta-then-exception-in-one-read", "reordered-headers-then-error"):
        assert expected.error_type in ("throttlingException", "modelStreamErrorException")
    elif trap == "stream-error":
        assert expected.error_type == "InternalFailure"
    elif trap in (
        "delta-headers-then-another-event-type",
        "same-header-size-exception",
        "a-frame-that-takes-the-next-delta",
    ):
        assert expected.error_type == "validationException"
    elif trap in ("too-short-for-its-crc", "a-frame-cut-short"):
        assert expected.usage is None and not expected.finish_reasons  # nothing after it read
    else:
        assert expected.usage is not None
    if capture:
        assert expected.output_messages


def test_bedrock_fast_path_ends_the_reading_at_an_oversized_frame() -> None:
    """A read that is one frame with the text delta's headers, its total length its own, but
    longer than any frame may be (16 MiB): the reading ends there, as the general path says."""
    dump = STYLES["compact"]
    huge = _bedrock_broken(dump, 16 * 1024 * 1024 + 64)
    pieces, at = _bedrock_pieces(dump, huge)
    reference = get_format("bedrock").stream_parser(_bedrock_info(False), False)
    for piece in pieces:  # every output counted: no frame skipped, the general path
        for start in range(0, len(piece), 1 << 20):
            reference.feed(piece[start : start + (1 << 20)])
    expected = reference.summary()
    assert expected.usage is None
    _, summary, armed = _bedrock_read(pieces, False)
    assert armed[at]
    assert summary == expected


# Gemini (SSE with CRLF, and the streamed JSON array): a read that is one text chunk ----------


def _gemini_chunk(
    text: str,
    total: int,
    *,
    finish: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}}
    if finish is not None:
        candidate["finishReason"] = finish
    candidate["index"] = 0
    value: dict[str, Any] = dict(before or {})
    value["candidates"] = [candidate]
    value["usageMetadata"] = (
        usage if usage is not None else {"promptTokenCount": 12, "totalTokenCount": total}
    )
    value["modelVersion"] = "gemini-x"
    value["responseId"] = "r1"
    value.update(after or {})
    return value


def _dull_usage(i: int, prompt: int = 12) -> dict[str, Any]:
    return {"promptTokenCount": prompt, "candidatesTokenCount": i, "totalTokenCount": 9}


def _trap_chunk(dump: Callable[[Any], str], text: str = "x", **fields: Any) -> bytes:
    """A chunk with the dull chunks' keys (so their tail but for digits) and a prompt count of
    its own (13): keeping it pending and later replacing it, rather than decoding it, shows."""
    value = _gemini_chunk(text, 30, usage=_dull_usage(9, 13))
    value.update(fields)
    return _gemini_sse(dump, [value])


def _gemini_raw(dump: Callable[[Any], str], change: Callable[[bytes], bytes]) -> bytes:
    return change(_trap_chunk(dump))


def _text_region(raw: bytes, text: bytes) -> bytes:
    return raw.replace(b'"x"', b'"' + text + b'"', 1)


def _error_in_the_head(dump: Callable[[Any], str]) -> bytes:
    """Valid JSON whose bytes up to the text have the dull head's size but an error in them."""
    dull = _trap_chunk(dump)
    size = dull.index(b'"x"')
    for pad in range(1, 200):
        value = {"error": 1, "c" * pad: [{"d": {"p": [{"text": "x"}]}}]}
        raw = _gemini_sse(dump, [value])
        if raw.index(b'"x"') == size:
            return raw[:size] + dull[size:]
    raise AssertionError("no padding fits")


GEMINI_TRAPS: dict[str, Callable[[Callable[[Any], str]], bytes]] = {
    "error-before-candidates": lambda d: _gemini_sse(
        d, [_gemini_chunk("x", 30, before={"error": ERROR})]
    ),
    "error-after-the-id": lambda d: _gemini_sse(
        d, [_gemini_chunk("x", 30, after={"error": ERROR})]
    ),
    "error-chunk-in-the-read": lambda d: _gemini_sse(d, [_gemini_chunk("x", 30), {"error": ERROR}]),
    "error-in-a-head-of-the-same-size": _error_in_the_head,
    "finish-reason-between-quotes-in-the-text": lambda d: _gemini_raw(
        d,
        lambda raw: _text_region(
            raw,
            d({"finishReason": "SAFETY", "index": 1})[1:-1]
            .encode()
            .join([b'a"}]},', b',{"content":{"parts":[{"text":"b']),
        ),
    ),
    "blank-lf-line-in-the-text": lambda d: _gemini_raw(d, lambda raw: _text_region(raw, b"a\n\nb")),
    "blank-cr-line-in-the-text": lambda d: _gemini_raw(d, lambda raw: _text_region(raw, b"a\r\rb")),
    "finish-reason": lambda d: _gemini_sse(d, [_gemini_chunk("x", 30, finish="MAX_TOKENS")]),
    "finish-reason-in-the-read": lambda d: _gemini_sse(
        d, [_gemini_chunk("x", 30), _gemini_chunk("", 31, finish="SAFETY")]
    ),
    "text-named-error": lambda d: _trap_chunk(d, "error"),
    "text-named-finishReason": lambda d: _trap_chunk(d, "finishReason"),
    "counts-gone": lambda d: _gemini_sse(d, [_gemini_chunk("x", 30, usage={})]),
    "digits-grow": lambda d: _gemini_sse(d, [_gemini_chunk("x", 100000)]),
    "text-with-quote-and-escapes": lambda d: _trap_chunk(d, 'say "hi"\n\\'),
    "cr-line-ends": lambda d: (
        _gemini_sse(d, [_gemini_chunk("x", 30)], b"\r\r")
        + _gemini_sse(d, [{"error": ERROR}], b"\r\r")
    ),
    "lf-line-ends": lambda d: (
        _gemini_sse(d, [_gemini_chunk("x", 30)], b"\n\n")
        + _gemini_sse(d, [_gemini_chunk("y", 31, usage={"candidatesTokenCount": 7})], b"\n\n")
    ),
}


def _gemini_sse(dump: Callable[[Any], str], values: list[Any], end: bytes = b"\r\n\r\n") -> bytes:
    return b"".join(b"data: " + dump(v).encode() + end for v in values)


@pytest.mark.parametrize("then", ["the-last-chunk", "a-counts-only-chunk"])
@pytest.mark.parametrize("delivery", sorted(DELIVERIES))
@pytest.mark.parametrize("trap", sorted(GEMINI_TRAPS))
@pytest.mark.parametrize("style", sorted(STYLES))
def test_gemini_fast_path_never_changes_the_summary(
    style: str, trap: str, delivery: str, then: str
) -> None:
    """Dull chunks with growing cumulative counts (``candidatesTokenCount`` among them), the
    trap, then the last chunk (without ``candidatesTokenCount``): the summary is the
    byte-by-byte one. A trap the fast path wrongly took would keep the trap as the pending
    chunk instead of decoding (or keeping) the one before it, and lose its output count."""
    dump = STYLES[style]
    fmt = get_format("gemini")
    info = fmt.request_info("POST", "/v1beta/models/gemini-x:streamGenerateContent", b"{}")
    pieces = [
        _gemini_sse(
            dump,
            [
                _gemini_chunk(
                    f"w{i}",
                    12 + i,
                    usage=_dull_usage(i),
                )
            ],
        )
        for i in range(1, 9)
    ]
    pieces.append(GEMINI_TRAPS[trap](dump))
    if then == "a-counts-only-chunk":  # replaces a pending chunk, never decoded itself
        pieces.append(
            _gemini_sse(dump, [_gemini_chunk("z", 40, usage={"candidatesTokenCount": 5})])
        )
    last = _gemini_chunk("", 50, finish="STOP", usage={"totalTokenCount": 50})
    pieces.append(_gemini_sse(dump, [last]))
    parser = fmt.stream_parser(info, False)
    parser.count_first = True
    fast_before_trap = False
    for number, piece in enumerate(DELIVERIES[delivery](pieces)):
        if number == 8:
            fast_before_trap = parser._fast
        feed = parser.steady_feed if not parser.counting else parser.counting_feed
        feed(piece)
        if parser.output_events:
            parser.counting = False
    reference = fmt.stream_parser(info, False)  # byte by byte: never the fast path
    for byte in b"".join(pieces):
        reference.feed(bytes([byte]))
        if reference.output_events:
            reference.counting = False
    expected = reference.summary()
    assert parser.summary() == expected
    if delivery == "per-event":
        assert fast_before_trap  # the trap met the fast path
    if trap.startswith("error-") and "head" not in trap:
        assert expected.error_type == "overloaded"
    if trap.startswith("finish"):
        assert expected.finish_reasons == ["STOP"]
