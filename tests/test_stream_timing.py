"""Stream timing is measured on output events, and the fast path does not depend on formatting.

For every stream format we parse, the same stream is fed as providers and gateways really send
it: one event per read, coalesced into one read, byte by byte, with keep-alive comments between
events, and with its JSON written compact, spaced (``json.dumps`` defaults), with odd whitespace,
with keys in another order, and with or without ``\\u`` escapes. The parser must count the same
output events, decode the same number of events and report the same summary every time. Then,
through the hook against a real local server: time to first chunk is taken at the first event
with output (not at a keep-alive comment), per-chunk intervals are one per output event whatever
the split, and error bodies or non-stream bodies read through a stream get no chunk timing.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Optional

import httpx2
import pytest

from opentelemetry.instrumentation.llm_router._wire import _stream as event_stream
from opentelemetry.instrumentation.llm_router._wire import (
    _values,
    anthropic,
    gemini,
    get_format,
    openai,
)
from opentelemetry.instrumentation.llm_router._wire._base import ResponseSummary
from opentelemetry.instrumentation.llm_router._wire._stream import EventStreamParser
from tests.support.scripted_server import CORPUS, Reply, ScriptedServer, corpus_reply, json_reply
from tests.support.wire_corpus import FORMAT_OF, entry_paths
from tests.support.wire_samples import FORMAT_OF_FAMILY, STREAMING_FAMILIES, exchange

# Content that looks like the keys the fast path searches for: inside a JSON string every quote
# is escaped, so none of it may be taken for a finish reason, usage or an error.
COMPLETION = 'Thïs "finish_reason":"stop" is "usage":{"x":1} ä "error" test'
WORDS = len(COMPLETION.split(" "))


def _reverse_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reverse_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse_keys(v) for v in value]
    return value


STYLES: dict[str, Callable[[Any], str]] = {
    "compact": lambda v: json.dumps(v, separators=(",", ":")),
    "compact-utf8": lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False),
    "spaced": lambda v: json.dumps(v),
    "odd-whitespace": lambda v: json.dumps(v, separators=(" ,\t", " \t:  ")),
    "sorted-keys": lambda v: json.dumps(v, sort_keys=True),
    "reversed-keys": lambda v: json.dumps(_reverse_keys(v), separators=(",", ":")),
}

_DATA_LINE = re.compile(rb"^data: ?(\{.*)$", re.MULTILINE)


def restyle(pieces: list[bytes], style: str) -> list[bytes]:
    """The same events with each ``data:`` JSON re-written in ``style``."""
    dump = STYLES[style]

    def one(match: re.Match[bytes]) -> bytes:
        line = match.group(1)
        ending = b"\r" if line.endswith(b"\r") else b""
        value = json.loads(line.rstrip(b"\r"))
        return b"data: " + dump(value).encode() + ending

    return [_DATA_LINE.sub(one, piece) for piece in pieces]


def with_keepalives(pieces: list[bytes]) -> list[bytes]:
    """A processing comment first (as OpenRouter sends) and a keep-alive before every event."""
    ending = b"\r\n" if pieces[0].endswith(b"\r\n\r\n") else b"\n"
    out = [b": OPENROUTER PROCESSING" + ending + ending]
    for piece in pieces:
        out += [b": keep-alive" + ending + ending, piece]
    return out


DELIVERIES: dict[str, Callable[[list[bytes]], list[bytes]]] = {
    "per-event": lambda pieces: pieces,
    "coalesced": lambda pieces: [b"".join(pieces)],
    "byte-by-byte": lambda pieces: [bytes([b]) for b in b"".join(pieces)],
    "odd-cuts": lambda pieces: (lambda body: [body[i : i + 7] for i in range(0, len(body), 7)])(
        b"".join(pieces)
    ),
    "keep-alives": with_keepalives,
    "keep-alives-coalesced": lambda pieces: [b"".join(with_keepalives(pieces))],
}

FORMAT_MODULES = {"openai": openai, "anthropic": anthropic, "gemini": gemini}


def _parse(
    family: str, pieces: list[bytes], monkeypatch: Any, stop_counting: bool = False
) -> tuple[Any, int, int]:
    """Feed ``pieces`` to the family's stream parser: (summary, output events, JSON decodes).

    ``stop_counting``: turn the output count off after the first output event, as the hook does
    when the per-chunk metric is off (the parsers then take a shorter path per event)."""
    sample = exchange(family, True, completion=COMPLETION)
    fmt = get_format(FORMAT_OF_FAMILY[family])
    info = fmt.request_info("POST", sample.path, sample.request_body)
    decodes = []
    real_loads = _values.loads

    def counted(data: bytes) -> Any:
        decodes.append(1)
        return real_loads(data)

    # Decodes happen in the format's module and in the shared event step (_stream).
    modules = (FORMAT_MODULES[fmt.name], event_stream)
    for module in modules:
        monkeypatch.setattr(module, "loads", counted)
    parser = fmt.stream_parser(info, False)
    for piece in pieces:
        parser.feed(piece)
        if stop_counting and parser.output_events:
            parser.counting = False
    summary = parser.summary()
    for module in modules:
        monkeypatch.setattr(module, "loads", real_loads)
    return summary, parser.output_events, len(decodes)


@pytest.mark.parametrize("family", STREAMING_FAMILIES)
def test_output_events_and_decodes_do_not_depend_on_split_or_formatting(
    family: str, monkeypatch: Any
) -> None:
    pieces = exchange(family, True, completion=COMPLETION).pieces
    reference, outputs, decodes = _parse(family, pieces, monkeypatch)
    expect = exchange(family, True, completion=COMPLETION).expect
    assert reference.response_id == expect["response_id"]
    assert reference.finish_reasons == expect["finish"]
    assert reference.usage.output_tokens == expect["output_tokens"]
    assert outputs == WORDS  # one output event per word; role-only, finish, usage: none
    assert decodes <= 4  # a stream costs a handful of decodes, not one per event
    for style in STYLES:
        styled = restyle(pieces, style)
        for delivery, cut in DELIVERIES.items():
            summary, got_outputs, got_decodes = _parse(family, cut(styled), monkeypatch)
            where = f"{family} {style} {delivery}"
            assert summary == reference, where
            assert got_outputs == outputs, where
            assert got_decodes == decodes, where
            # Without the output count, the summary and the decodes are the same.
            summary, got_outputs, got_decodes = _parse(family, cut(styled), monkeypatch, True)
            assert summary == reference, f"{where}, not counting"
            assert 1 <= got_outputs <= outputs, f"{where}, not counting"
            assert got_decodes == decodes, f"{where}, not counting"


def _chat_event(choices: list[dict[str, Any]], spaced: bool) -> bytes:
    value = {"id": "c1", "model": "m", "choices": choices}
    text = json.dumps(value) if spaced else json.dumps(value, separators=(",", ":"))
    return b"data: " + text.encode() + b"\n\n"


@pytest.mark.parametrize("spaced", [False, True], ids=["compact", "spaced"])
def test_every_choice_keeps_its_finish_reason(spaced: bool) -> None:
    """n>1: one event carries a null finish reason for one choice and "stop" for another."""
    fmt = get_format("openai")
    info = fmt.request_info("POST", "/v1/chat/completions", b'{"model":"m","stream":true,"n":3}')
    parser = fmt.stream_parser(info, False)
    events = [
        _chat_event([{"index": i, "delta": {"content": "a"}} for i in range(3)], spaced),
        _chat_event(
            [
                {"index": 0, "delta": {"content": "b"}, "finish_reason": None},
                {"index": 1, "delta": {}, "finish_reason": "stop"},
                {"index": 2, "delta": {"content": "c"}, "finish_reason": None},
            ],
            spaced,
        ),
        _chat_event(
            [
                {"index": 0, "delta": {}, "finish_reason": "length"},
                {"index": 2, "delta": {}, "finish_reason": None},
            ],
            spaced,
        ),
        _chat_event([{"index": 2, "delta": {}, "finish_reason": "content_filter"}], spaced),
    ]
    for event in events:
        parser.feed(event)
    assert parser.summary().finish_reasons == ["length", "stop", "content_filter"]
    assert parser.output_events == 2


@pytest.mark.parametrize(
    ("delta", "output"),
    [
        ({"role": "assistant", "content": ""}, False),
        ({"role": "assistant", "content": None, "refusal": None}, False),
        ({}, False),
        ({"content": "x"}, True),
        ({"content": None, "reasoning_content": "thinking"}, True),
        ({"reasoning": "thinking"}, True),
        ({"refusal": "no"}, True),
        ({"tool_calls": [{"index": 0, "function": {"arguments": "{"}}]}, True),
        ({"tool_calls": []}, False),
        ({"function_call": {"name": "f"}}, True),
    ],
)
def test_which_chat_chunks_are_output(delta: dict[str, Any], output: bool) -> None:
    fmt = get_format("openai")
    info = fmt.request_info("POST", "/v1/chat/completions", b'{"model":"m","stream":true}')
    for spaced in (False, True):
        parser = fmt.stream_parser(info, False)
        parser.feed(_chat_event([{"index": 0, "delta": delta, "finish_reason": None}], spaced))
        assert parser.output_events == int(output), (delta, spaced)


# Through the hook, against a real server ---------------------------------------------------

CHAT = "openai_chat"


def _stream(server: Any, family: str = CHAT) -> None:
    sample = exchange(family, True, completion=COMPLETION)
    with (
        httpx2.Client() as client,
        client.stream("POST", server.url + sample.path, content=sample.request_body) as response,
    ):
        for _ in response.iter_bytes():
            pass


@pytest.mark.parametrize("family", STREAMING_FAMILIES)
def test_per_chunk_points_are_one_per_output_event_however_the_bytes_arrive(
    family: str, instrument: Any, metric_points: Any, span_exporter: Any
) -> None:
    pieces = exchange(family, True, completion=COMPLETION).pieces
    sample = exchange(family, True, completion=COMPLETION)
    with ScriptedServer(sample.reply()) as server:
        instrument(
            f"{server.host_port}={FORMAT_OF_FAMILY[family]}",
            OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK="true",
        )
        counts = {}
        for delivery, cut in DELIVERIES.items():
            server.responder = sample.reply(cut(restyle(pieces, "spaced")))
            before = sum(p.count for p in metric_points(_PER_CHUNK))
            _stream(server, family)
            counts[delivery] = sum(p.count for p in metric_points(_PER_CHUNK)) - before
    assert set(counts.values()) == {WORDS - 1}, counts
    spans = span_exporter.get_finished_spans()
    assert len(spans) == len(DELIVERIES)
    assert all(s.attributes["gen_ai.response.time_to_first_chunk"] > 0 for s in spans)
    ttfc = metric_points("gen_ai.client.operation.time_to_first_chunk")
    assert sum(p.count for p in ttfc) == len(DELIVERIES)


_PER_CHUNK = "gen_ai.client.operation.time_per_output_chunk"


@pytest.mark.parametrize("family", STREAMING_FAMILIES)
def test_time_to_first_chunk_waits_for_output_not_for_a_keepalive(
    family: str, instrument: Any, span_exporter: Any
) -> None:
    """The processing comment comes at once; the first event with output 0.3 s later."""
    sample = exchange(family, True, completion=COMPLETION)
    pieces = with_keepalives(sample.pieces)
    # comment, keep-alive, (role-only or start events), pause, then content
    reply = sample.reply(pieces)
    reply.pause_s = 0.0
    first_output = 1 + next(i for i, piece in enumerate(pieces) if _carries_output(family, piece))
    slow = _PausedReply(reply, pause_before=first_output - 1, pause_s=0.3)
    with ScriptedServer(slow.reply) as server:
        instrument(f"{server.host_port}={FORMAT_OF_FAMILY[family]}")
        _stream(server, family)
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["gen_ai.response.time_to_first_chunk"] >= 0.3


def _carries_output(family: str, piece: bytes) -> bool:
    fmt = get_format(FORMAT_OF_FAMILY[family])
    sample = exchange(family, True, completion=COMPLETION)
    parser = fmt.stream_parser(fmt.request_info("POST", sample.path, sample.request_body), False)
    parser.feed(piece)
    return parser.output_events > 0


class _PausedReply:
    """A reply whose pieces come at once, except for one pause before piece ``pause_before``."""

    def __init__(self, reply: Reply, pause_before: int, pause_s: float) -> None:
        head = b"".join(reply.pieces[:pause_before])
        tail = reply.pieces[pause_before:]
        self._reply = Reply(
            status=reply.status,
            content_type=reply.content_type,
            pieces=[head, b"".join(tail)],
            chunked=True,
            pause_s=pause_s,
        )

    def reply(self, received: Any) -> Reply:
        return self._reply


def test_no_chunk_timing_for_an_error_status(instrument: Any, span_exporter: Any) -> None:
    """A 429 answering a stream request is no first chunk."""
    sample = exchange(CHAT, True, completion=COMPLETION)
    error = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit"}}
    with ScriptedServer(json_reply(error, status=429)) as server:
        instrument(f"{server.host_port}=openai")
        with (
            httpx2.Client() as client,
            client.stream("POST", server.url + sample.path, content=sample.request_body) as r,
        ):
            r.read()
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["error.type"] == "rate_limit"
    assert "gen_ai.response.time_to_first_chunk" not in span.attributes


def test_no_chunk_timing_for_a_non_stream_call_read_through_a_stream(
    instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    """huggingface_hub reads every answer through client.stream(): not a streamed response."""
    sample = exchange(CHAT, False, completion=COMPLETION)
    with ScriptedServer(sample.reply()) as server:
        instrument(f"{server.host_port}=openai")
        with (
            httpx2.Client() as client,
            client.stream("POST", server.url + sample.path, content=sample.request_body) as r,
        ):
            for _ in r.iter_bytes():
                pass
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["gen_ai.usage.output_tokens"] == sample.expect["output_tokens"]
    assert "gen_ai.response.time_to_first_chunk" not in span.attributes
    assert metric_points("gen_ai.client.operation.time_to_first_chunk") == []


def test_a_stream_with_no_output_has_no_time_to_first_chunk(
    instrument: Any, span_exporter: Any
) -> None:
    """A stream that only says it failed (an error event, no content) has no first chunk."""
    error = (
        b'data: {"error":{"message":"overloaded","type":"server_error","code":"overloaded"}}\n\n'
    )
    reply = Reply(content_type="text/event-stream", pieces=[b": hi\n\n", error], chunked=True)
    sample = exchange(CHAT, True)
    with ScriptedServer(reply) as server:
        instrument(f"{server.host_port}=openai")
        _stream(server)
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["error.type"] == "overloaded"
    assert "gen_ai.response.time_to_first_chunk" not in span.attributes
    assert sample.path == "/v1/chat/completions"


class _UncountedStream(EventStreamParser):
    """A format's stream parser that does not (yet) say which events carry output."""

    def _event(self, raw: bytes) -> None:
        pass

    def _summary(self) -> Any:
        return ResponseSummary()


def test_a_parser_without_output_events_is_timed_per_read(
    tracer_provider: Any, meter_provider: Any, span_exporter: Any, metric_points: Any
) -> None:
    """A new format whose parser does not count output events still gets chunk timing (per
    read, the behaviour before output events), rather than none at all."""
    from opentelemetry.instrumentation.llm_router._clients._observation import (
        ResponseObservation,
    )
    from opentelemetry.instrumentation.llm_router._genai import GenAITelemetry
    from opentelemetry.instrumentation.llm_router._genai._telemetry import TelemetrySettings

    telemetry = GenAITelemetry(
        tracer_provider, meter_provider, TelemetrySettings(record_time_per_output_chunk=True)
    )
    call = telemetry.start_call("chat", "openai", "m", stream=True)
    observation = ResponseObservation(call, _UncountedStream(), 200, False, 100, None, True)
    for piece in (b": hi\n\n", b"data: 1\n\n", b"data: 2\n\n"):
        observation.feed_chunk(piece)
    observation.finish()
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["gen_ai.response.time_to_first_chunk"] >= 0
    assert sum(p.count for p in metric_points(_PER_CHUNK)) == 2


_MID_STREAM_ERRORS: dict[str, tuple[str, list[tuple[Optional[str], dict[str, Any]]]]] = {
    "chat": (
        "/v1/chat/completions",
        [(None, {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": "a"}}]})]
        * 3
        + [(None, {"error": {"message": "boom", "type": "server_error", "code": "overloaded"}})],
    ),
    "responses": (
        "/v1/responses",
        [("response.created", {"type": "response.created", "response": {"id": "r", "model": "m"}})]
        + [("response.output_text.delta", {"type": "response.output_text.delta", "delta": "a"})] * 3
        + [("error", {"type": "error", "code": "server_error", "message": "boom"})],
    ),
    "anthropic": (
        "/v1/messages",
        [("message_start", {"type": "message_start", "message": {"id": "m1", "model": "m"}})]
        + [
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": "a"},
                },
            )
        ]
        * 3
        + [("error", {"type": "error", "error": {"type": "overloaded_error", "message": "boom"}})],
    ),
    "gemini": (
        "/v1beta/models/m:streamGenerateContent?alt=sse",
        [
            (
                None,
                {
                    "candidates": [{"content": {"parts": [{"text": "a"}]}}],
                    "modelVersion": "m",
                    "responseId": "r1",
                },
            )
        ]
        * 3
        + [(None, {"error": {"code": 503, "message": "boom", "status": "UNAVAILABLE"}})],
    ),
}


@pytest.mark.parametrize("name", sorted(_MID_STREAM_ERRORS))
def test_an_error_event_mid_stream_is_seen_with_or_without_the_output_count(name: str) -> None:
    """Without the output count (per-chunk metric off) the parsers skip their output test; an
    error event after the output must still be decoded, in any formatting and delivery."""
    path, events = _MID_STREAM_ERRORS[name]
    fmt = get_format({"gemini": "gemini", "anthropic": "anthropic"}.get(name, "openai"))
    info = fmt.request_info("POST", path, b'{"model":"m","stream":true}')
    for style, dump in STYLES.items():
        pieces = [
            (b"event: " + event.encode() + b"\n" if event else b"")
            + b"data: "
            + dump(value).encode()
            + b"\n\n"
            for event, value in events
        ]
        for delivery, cut in DELIVERIES.items():
            summaries = []
            for stop_counting in (False, True):
                parser = fmt.stream_parser(info, False)
                for piece in cut(pieces):
                    parser.feed(piece)
                    if stop_counting and parser.output_events:
                        parser.counting = False
                summaries.append(parser.summary())
            where = f"{name} {style} {delivery}"
            assert summaries[0].error_type, where
            assert summaries[1] == summaries[0], where


# The recorded corpus: one per-chunk point per output event after the first ----------------


def _data_objects(body: str) -> list[Any]:
    """Every JSON value of a recorded stream: SSE ``data:`` lines, or a JSON array's elements."""
    stripped = body.lstrip()
    if stripped.startswith("["):
        return list(json.loads(stripped))
    out = []
    for line in body.splitlines():
        if line.startswith("data:") and line[5:].strip().startswith("{"):
            out.append(json.loads(line[5:]))
    return out


def _is_output(family: str, obj: dict[str, Any]) -> bool:
    """Whether one recorded event carries generated output (plain JSON; no parser code)."""
    if family == "openai_chat":
        for choice in obj.get("choices") or []:
            delta = choice.get("delta") or {}
            keys = ("content", "reasoning_content", "reasoning", "refusal", "function_call")
            if any(delta.get(k) for k in keys) or delta.get("tool_calls"):
                return True
        return False
    if family == "openai_completions":
        return any(choice.get("text") for choice in obj.get("choices") or [])
    if family == "openai_responses":
        delta = obj.get("delta")
        return (
            str(obj.get("type", "")).endswith(".delta") and isinstance(delta, str) and delta != ""
        )
    if family == "anthropic_messages":
        delta = obj.get("delta") or {}
        return obj.get("type") == "content_block_delta" and any(
            delta.get(k) for k in ("text", "thinking", "partial_json")
        )
    if family == "gemini_generate_content":
        kinds = ("functionCall", "inlineData", "fileData", "executableCode", "codeExecutionResult")
        for candidate in obj.get("candidates") or []:
            for part in (candidate.get("content") or {}).get("parts") or []:
                if part.get("text") or any(k in part for k in kinds):
                    return True
        return False
    raise AssertionError(f"no output rule for {family}")


STREAM_ENTRIES = [
    p.name
    for p in entry_paths()
    if (lambda e: e["stream"] and e["response"]["status"] < 400)(json.loads(p.read_text()))
]


@pytest.mark.parametrize("name", STREAM_ENTRIES)
def test_every_recorded_stream_gets_a_point_per_output_event_after_the_first(
    name: str, instrument: Any, metric_points: Any
) -> None:
    """Every successful recorded stream, per-chunk metric on: exactly one point per output event
    after the first (none when it has one: the two recorded claude-sonnet-4 streams
    ``stream-delta-repeats-input-usage`` and ``stream-ping-padded`` carry a single text delta,
    "Hello!", between their bookkeeping events)."""
    entry = json.loads((CORPUS / name).read_text())
    outputs = sum(_is_output(entry["format"], o) for o in _data_objects(entry["response"]["body"]))
    request = entry["request"]
    with ScriptedServer(corpus_reply(entry)) as server:
        instrument(
            f"{server.host_port}={entry['provider']}/{FORMAT_OF[entry['format']]}",
            OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK="true",
        )
        with (
            httpx2.Client() as client,
            client.stream(
                "POST", server.url + request["path"], content=json.dumps(request["body"])
            ) as response,
        ):
            for _ in response.iter_bytes():
                pass
    points = sum(p.count for p in metric_points(_PER_CHUNK))
    assert points == max(outputs - 1, 0), (outputs, points)
    ttfc = sum(p.count for p in metric_points("gen_ai.client.operation.time_to_first_chunk"))
    assert ttfc == (1 if outputs else 0)


# Never a delivery delay ---------------------------------------------------------------------


@pytest.mark.parametrize("coalesced", [True, False], ids=["coalesced", "one-event-per-read"])
@pytest.mark.parametrize("family", STREAMING_FAMILIES)
def test_no_chunk_waits_for_a_per_chunk_record(
    family: str, coalesced: bool, instrument: Any, metric_points: Any
) -> None:
    """When the caller holds a chunk, no point of that chunk's events has been recorded yet:
    the records come after the bytes are handed on (the first chunk of a coalesced stream used to
    wait for every point of the stream). At the end: exactly one point per output event after
    the first."""
    sample = exchange(family, True, completion=COMPLETION)
    pieces = sample.pieces
    with ScriptedServer(sample.reply([b"".join(pieces)] if coalesced else pieces)) as server:
        instrument(
            f"{server.host_port}={FORMAT_OF_FAMILY[family]}",
            OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK="true",
        )
        seen_at_delivery = []  # (points recorded, output events in the bytes before this chunk)
        received = b""
        with (
            httpx2.Client() as client,
            client.stream("POST", server.url + sample.path, content=sample.request_body) as r,
        ):
            for chunk in r.iter_raw():
                before = _outputs_in(family, received)
                seen_at_delivery.append((sum(p.count for p in metric_points(_PER_CHUNK)), before))
                received += chunk
    assert seen_at_delivery[0][0] == 0, seen_at_delivery  # nothing before the first bytes
    for points, before in seen_at_delivery:  # never a point of the chunk the caller now holds
        assert points <= max(before - 1, 0), seen_at_delivery
    assert sum(p.count for p in metric_points(_PER_CHUNK)) == WORDS - 1


@pytest.mark.parametrize("coalesced", [True, False], ids=["coalesced", "one-event-per-read"])
@pytest.mark.parametrize("family", ["openai_chat", "anthropic_messages"])
def test_no_async_chunk_waits_for_a_per_chunk_record(
    family: str, coalesced: bool, instrument: Any, metric_points: Any
) -> None:
    """The same through httpx2's async client (the async stream wrapper records after its
    ``yield`` too)."""
    import asyncio

    sample = exchange(family, True, completion=COMPLETION)
    pieces = sample.pieces

    async def read(url: str) -> list[tuple[int, int]]:
        seen, received = [], b""
        async with (
            httpx2.AsyncClient() as client,
            client.stream("POST", url + sample.path, content=sample.request_body) as r,
        ):
            async for chunk in r.aiter_raw():
                before = _outputs_in(family, received)
                seen.append((sum(p.count for p in metric_points(_PER_CHUNK)), before))
                received += chunk
        return seen

    with ScriptedServer(sample.reply([b"".join(pieces)] if coalesced else pieces)) as server:
        instrument(
            f"{server.host_port}={FORMAT_OF_FAMILY[family]}",
            OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK="true",
        )
        seen = asyncio.run(read(server.url))
    assert seen[0][0] == 0, seen
    for points, before in seen:
        assert points <= max(before - 1, 0), seen
    assert sum(p.count for p in metric_points(_PER_CHUNK)) == WORDS - 1


def _outputs_in(family: str, received: bytes) -> int:
    """Output events among the complete SSE events of ``received``."""
    received = received.replace(b"\r\n", b"\n")
    complete = received[: received.rfind(b"\n\n") + 1].decode()
    return sum(_is_output(family, o) for o in _data_objects(complete))


@pytest.mark.parametrize("coalesced", [True, False], ids=["coalesced", "one-event-per-read"])
@pytest.mark.parametrize("family", ["openai_chat", "anthropic_messages"])
def test_no_aiohttp_read_waits_for_a_per_chunk_record(
    family: str, coalesced: bool, instrument: Any, metric_points: Any
) -> None:
    """The same through aiohttp, whose reads return the bytes: the points are left to the event
    loop, after the read has returned."""
    import asyncio

    import aiohttp

    sample = exchange(family, True, completion=COMPLETION)
    pieces = sample.pieces

    async def read(url: str) -> list[tuple[int, int]]:
        seen, received = [], b""
        async with (
            aiohttp.ClientSession() as session,
            session.post(url + sample.path, data=sample.request_body) as response,
        ):
            async for chunk in response.content.iter_any():
                before = _outputs_in(family, received)
                seen.append((sum(p.count for p in metric_points(_PER_CHUNK)), before))
                received += chunk
        return seen

    with ScriptedServer(sample.reply([b"".join(pieces)] if coalesced else pieces)) as server:
        instrument(
            f"{server.host_port}={FORMAT_OF_FAMILY[family]}",
            OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK="true",
        )
        seen = asyncio.run(read(server.url))
    assert seen[0][0] == 0, seen
    for points, before in seen:
        assert points <= max(before - 1, 0), seen
    assert sum(p.count for p in metric_points(_PER_CHUNK)) == WORDS - 1
