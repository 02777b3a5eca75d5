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
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from opentelemetry.instrumentation.llm_router._wire import get_format

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


@pytest.mark.parametrize("trap", sorted(TRAPS))
@pytest.mark.parametrize("obfuscation", [None, "varying"])
@pytest.mark.parametrize("with_usage", [True, False], ids=["usage-null", "no-usage-key"])
@pytest.mark.parametrize("style", sorted(STYLES))
def test_chat_fast_path_never_changes_the_summary(
    style: str, with_usage: bool, obfuscation: str | None, trap: str
) -> None:
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
    pieces += [_event(dump, _chunk({"content": f"v{i}"}, **kw(i))) for i in range(4)]
    pieces.append(_event(dump, _chunk({}, "stop", **kw(5))))
    pieces.append(b"data: [DONE]\n\n")

    parser = fmt.stream_parser(info, False)
    fast_before_trap = False
    for number, piece in enumerate(pieces):
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
    assert fast_before_trap  # the trap met the fast path
    if trap.startswith("error"):
        assert expected.error_type == "overloaded"
    if trap.startswith("live-usage"):
        assert expected.usage is not None and expected.usage.output_tokens == 9
    if trap == "finish-reason":
        assert expected.finish_reasons == ["stop"]  # the last one of the choice wins
