"""Bad input, property-based: whatever a provider sends, the caller gets it intact and we stay sane.

Every wire format (OpenAI chat, completions, embeddings, Responses; Anthropic Messages; Gemini),
streamed and not, starting from a valid exchange (:mod:`tests.support.wire_samples`) and damaged
by :mod:`tests.support.mutations`: JSON values of the wrong type, negative and absurd token counts,
truncation, invalid UTF-8, inserted comments and ``retry:`` fields, ``data:`` lines without their
blank line, CR / CRLF line ends, lines beyond the parser's event bound, random bytes; then cut
into pieces at random byte positions (and at every byte).

Two levels:

- the parsers directly: no exception, a summary of the right types, and the same summary however
  the body was cut into pieces;
- end to end through the instrumented httpx2 client against a real local server: the caller
  receives exactly the bytes the server sent, nothing raises, the span ends exactly once (a span
  processor counts starts and ends), and every attribute has the type the conventions give it.

Hypothesis runs derandomized (a fixed sequence of examples), so CI sees the same inputs each time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Iterator

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opentelemetry.instrumentation.llm_router._genai import TokenCounts
from opentelemetry.instrumentation.llm_router._genai import _attributes as A
from opentelemetry.instrumentation.llm_router._wire import ResponseSummary, get_format
from tests.support.mutations import damaged, mutated_json, pieces_of
from tests.support.scripted_server import Reply, ScriptedServer
from tests.support.span_audit import CountingSpanProcessor, span_problems
from tests.support.wire_samples import FORMAT_OF_FAMILY, Exchange, all_exchanges

EXCHANGES = all_exchanges(completion="one two three four five six")
IDS = [f"{x.family}-{'stream' if x.stream else 'json'}" for x in EXCHANGES]
PER_EXCHANGE = pytest.mark.parametrize("exchange", EXCHANGES, ids=IDS)

PARSER_EXAMPLES = 150
HOOK_EXAMPLES = 40
ASYNC_HOOK_EXAMPLES = 12
REQUEST_EXAMPLES = 25

PARSER_SETTINGS = settings(max_examples=PARSER_EXAMPLES, deadline=None, derandomize=True)
HOOK_SETTINGS = dict(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# ---------------------------------------------------------------------------------------------
# The parsers on their own


def _fmt(exchange: Exchange) -> Any:
    return get_format(FORMAT_OF_FAMILY[exchange.family])


def _info(exchange: Exchange, capture: bool) -> Any:
    path = exchange.path.split("?", 1)[0]
    info = _fmt(exchange).request_info("POST", path, exchange.request_body, capture)
    assert info is not None
    return info


def summary_problems(summary: Any) -> list[str]:
    problems = []
    if not isinstance(summary, ResponseSummary):
        return [f"not a ResponseSummary: {summary!r}"]
    for name in ("response_model", "response_id", "error_type", "error_message"):
        value = getattr(summary, name)
        if value is not None and (type(value) is not str or not value):
            problems.append(f"{name}={value!r}")
    if not isinstance(summary.finish_reasons, list) or not all(
        type(r) is str and r for r in summary.finish_reasons
    ):
        problems.append(f"finish_reasons={summary.finish_reasons!r}")
    usage = summary.usage
    if usage is not None:
        if not isinstance(usage, TokenCounts):
            problems.append(f"usage={usage!r}")
        else:
            for name in TokenCounts.__slots__:
                value = getattr(usage, name)
                if value is not None and (type(value) is not int or value < 0):
                    problems.append(f"usage.{name}={value!r}")
    return problems


def _parse_stream(exchange: Exchange, pieces: list[bytes], capture: bool) -> ResponseSummary:
    parser = _fmt(exchange).stream_parser(_info(exchange, capture), capture)
    for piece in pieces:
        parser.feed(piece)
    return parser.summary()


def test_samples_parse_to_what_they_say() -> None:
    """The undamaged starting points are right, so a damaged one really is damaged."""
    for exchange in EXCHANGES:
        fmt = _fmt(exchange)
        info = _info(exchange, False)
        if exchange.stream:
            summary = _parse_stream(exchange, exchange.pieces, False)
        else:
            summary = fmt.parse_response(info, exchange.body, False)
        exp = exchange.expect
        assert summary.usage is not None, exchange.family
        assert summary.usage.input_tokens == exp["input_tokens"], exchange.family
        assert summary.usage.output_tokens == exp["output_tokens"], exchange.family
        assert summary.response_id == exp["response_id"], exchange.family
        assert summary.response_model == exp["response_model"], exchange.family
        assert (summary.finish_reasons or None) == exp["finish"], exchange.family


@PER_EXCHANGE
def test_every_two_piece_split_gives_the_same_summary(exchange: Exchange) -> None:
    """Each event cut at every byte boundary across two chunks, and byte by byte."""
    whole = _parse_stream(exchange, [exchange.body], True)
    body = exchange.body
    for cut in range(1, len(body)):
        assert _parse_stream(exchange, [body[:cut], body[cut:]], True) == whole, cut
    assert _parse_stream(exchange, [bytes([b]) for b in body], True) == whole


@PER_EXCHANGE
@PARSER_SETTINGS
@given(data=st.data())
def test_parsers_survive_damaged_bodies(exchange: Exchange, data: Any) -> None:
    body, huge = data.draw(damaged(exchange.body))
    pieces = data.draw(pieces_of(body))
    capture = data.draw(st.booleans())
    fmt = _fmt(exchange)
    info = _info(exchange, capture)

    streamed = _parse_stream(exchange, pieces, capture)
    assert not summary_problems(streamed), summary_problems(streamed)
    whole = fmt.parse_response(info, body, capture)
    assert not summary_problems(whole), summary_problems(whole)
    if not huge:
        # How the body was cut into chunks never changes what the stream parser concludes
        # (an oversized event is dropped when it arrives in pieces, decoded when whole: exempt).
        assert _parse_stream(exchange, [body], capture) == streamed
        if len(body) <= 4096:
            assert _parse_stream(exchange, [bytes([b]) for b in body], capture) == streamed


@pytest.mark.parametrize("family", sorted(FORMAT_OF_FAMILY))
@PARSER_SETTINGS
@given(data=st.data())
def test_request_side_survives_damaged_bodies(family: str, data: Any) -> None:
    exchange = next(x for x in EXCHANGES if x.family == family)
    if data.draw(st.booleans()):
        body = json.dumps(data.draw(mutated_json(exchange.request)), allow_nan=True).encode()
    else:
        body, _ = data.draw(damaged(exchange.request_body, allow_huge=False))
    capture = data.draw(st.booleans())
    fmt = _fmt(exchange)
    info = fmt.request_info("POST", exchange.path.split("?", 1)[0], body, capture)
    if info is None:
        return
    assert info.request_model is None or (type(info.request_model) is str and info.request_model)
    assert type(info.stream) is bool
    if info.parameters is not None:
        problems = []
        for key, value in info.parameters.attributes().items():
            if key in (
                A.GEN_AI_REQUEST_MAX_TOKENS,
                A.GEN_AI_REQUEST_SEED,
                A.GEN_AI_REQUEST_CHOICE_COUNT,
                A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
            ):
                ok = type(value) is int
            elif key in (
                A.GEN_AI_OUTPUT_TYPE,
                A.GEN_AI_CONVERSATION_ID,
                A.OPENAI_API_TYPE,
                A.OPENAI_REQUEST_SERVICE_TIER,
            ):
                ok = type(value) is str and bool(value)
            elif key in (A.GEN_AI_REQUEST_STOP_SEQUENCES, A.GEN_AI_REQUEST_ENCODING_FORMATS):
                ok = isinstance(value, list) and all(type(v) is str for v in value)
            else:
                ok = type(value) is float
            if not ok:
                problems.append(f"{key}={value!r}")
        assert not problems, problems
    if capture:
        messages, system = fmt.input_messages(info)
        assert messages is None or isinstance(messages, list)
        assert system is None or isinstance(system, list)
        json.dumps([messages, system])  # content capture must always serialise


# ---------------------------------------------------------------------------------------------
# End to end through the hook


class _Warnings(logging.Handler):
    """Warnings the OpenTelemetry SDK logs about bad attribute values or double ends."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def audit(tracer_provider: Any) -> Iterator[tuple[CountingSpanProcessor, _Warnings]]:
    counter = CountingSpanProcessor()
    tracer_provider.add_span_processor(counter)
    handler = _Warnings()
    sdk_logger = logging.getLogger("opentelemetry")
    sdk_logger.addHandler(handler)
    try:
        yield counter, handler
    finally:
        sdk_logger.removeHandler(handler)


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(Reply()) as server:
        yield server


@pytest.fixture
def once() -> Any:
    """``once(f)`` calls ``f`` on the first hypothesis example of a test only (function-scoped
    fixtures live across all the examples of one test)."""
    done: list[bool] = []

    def call(function: Any) -> None:
        if not done:
            done.append(True)
            function()

    return call


CONSUMERS = ("send", "iter_bytes", "iter_raw", "read", "close_early")


def _check_call(
    exchange: Exchange,
    received: bytes,
    expected: bytes,
    status: int,
    consumer: str,
    span_exporter: Any,
    audit: tuple[CountingSpanProcessor, _Warnings],
) -> None:
    counter, warnings = audit
    if consumer != "close_early":
        assert received == expected
    spans = span_exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    assert counter.started == counter.ended == 1
    assert counter.open_spans == [] and counter.double_ends == 0
    span = spans[0]
    assert not span_problems(span), span_problems(span)
    if status >= 400:
        assert span.status.status_code.name == "ERROR"
        assert span.attributes[A.ERROR_TYPE]
    assert span.attributes[A.HTTP_RESPONSE_STATUS_CODE] == status
    assert warnings.messages == []


def _reset(span_exporter: Any, audit: tuple[CountingSpanProcessor, _Warnings]) -> None:
    span_exporter.clear()
    counter, warnings = audit
    counter.started = counter.ended = 0
    warnings.messages.clear()


def _sync_call(client: Any, url: str, exchange: Exchange, body: bytes, consumer: str) -> bytes:
    if consumer == "send":
        return client.post(url + exchange.path, content=body).content
    request = client.build_request("POST", url + exchange.path, content=body)
    response = client.send(request, stream=True)
    try:
        if consumer == "iter_bytes":
            return b"".join(response.iter_bytes())
        if consumer == "iter_raw":
            return b"".join(response.iter_raw())
        if consumer == "read":
            return response.read()
        for chunk in response.iter_raw():
            return chunk
        return b""
    finally:
        response.close()


@PER_EXCHANGE
@settings(max_examples=HOOK_EXAMPLES, **HOOK_SETTINGS)
@given(data=st.data())
def test_hook_survives_damaged_responses(
    exchange: Exchange,
    data: Any,
    server: ScriptedServer,
    instrument: Any,
    span_exporter: Any,
    audit: Any,
    once: Any,
) -> None:
    once(lambda: instrument(f"{server.host_port}={exchange.provider}"))
    _reset(span_exporter, audit)
    body, _ = data.draw(damaged(exchange.body))
    pieces = data.draw(pieces_of(body, max_cuts=12)) or [b""]
    status = data.draw(st.sampled_from([200, 200, 200, 400, 429, 500, 503]))
    consumer = data.draw(st.sampled_from(CONSUMERS))
    server.responder = exchange.reply(pieces, status)
    with httpx2.Client() as client:
        received = _sync_call(client, server.url, exchange, exchange.request_body, consumer)
    _check_call(exchange, received, body, status, consumer, span_exporter, audit)


@PER_EXCHANGE
@settings(max_examples=ASYNC_HOOK_EXAMPLES, **HOOK_SETTINGS)
@given(data=st.data())
def test_async_hook_survives_damaged_responses(
    exchange: Exchange,
    data: Any,
    server: ScriptedServer,
    instrument: Any,
    span_exporter: Any,
    audit: Any,
    once: Any,
) -> None:
    once(lambda: instrument(f"{server.host_port}={exchange.provider}"))
    _reset(span_exporter, audit)
    body, _ = data.draw(damaged(exchange.body))
    pieces = data.draw(pieces_of(body, max_cuts=12)) or [b""]
    status = data.draw(st.sampled_from([200, 200, 400, 500]))
    server.responder = exchange.reply(pieces, status)

    async def call() -> bytes:
        async with (
            httpx2.AsyncClient() as client,
            client.stream(
                "POST", server.url + exchange.path, content=exchange.request_body
            ) as response,
        ):
            return b"".join([chunk async for chunk in response.aiter_raw()])

    received = asyncio.run(call())
    _check_call(exchange, received, body, status, "aiter_raw", span_exporter, audit)


@pytest.mark.parametrize("family", sorted(FORMAT_OF_FAMILY))
@settings(max_examples=REQUEST_EXAMPLES, **HOOK_SETTINGS)
@given(data=st.data())
def test_hook_survives_damaged_requests(
    family: str,
    data: Any,
    server: ScriptedServer,
    instrument: Any,
    span_exporter: Any,
    audit: Any,
    once: Any,
) -> None:
    """Whatever the caller sends goes out byte for byte; the span's request attributes are typed."""
    exchange = next(x for x in EXCHANGES if x.family == family and not x.stream)
    once(lambda: instrument(f"{server.host_port}={exchange.provider}"))
    _reset(span_exporter, audit)
    if data.draw(st.booleans()):
        body = json.dumps(data.draw(mutated_json(exchange.request)), allow_nan=True).encode()
    else:
        body, _ = data.draw(damaged(exchange.request_body, allow_huge=False))
    server.responder = exchange.reply()
    before = len(server.received)
    with httpx2.Client() as client:
        received = client.post(server.url + exchange.path, content=body).content
    assert server.received[before].body == body
    assert received == exchange.body
    counter, warnings = audit
    assert counter.started == counter.ended
    assert counter.open_spans == []
    for span in span_exporter.get_finished_spans():
        assert not span_problems(span), span_problems(span)
    assert warnings.messages == []


# ---------------------------------------------------------------------------------------------
# Bad configuration

BAD_SETTINGS = [
    ("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", "gateway.internal"),
    ("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", "h:99999=openai"),
    ("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", "h.example=openai/klingon"),
    ("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", "https://h.example=openai"),
    ("OTEL_PYTHON_LLM_ROUTER_METRIC_ATTRIBUTES", "route,tenant_id"),
    ("OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK", "sometimes"),
    ("OTEL_PYTHON_LLM_ROUTER_STREAM_INCLUDE_USAGE", "2"),
    ("OTEL_PYTHON_LLM_ROUTER_SDK_SPANS", "both"),
    ("OTEL_PYTHON_LLM_ROUTER_CONTENT_MAX_LENGTH", "-5"),
    ("OTEL_PYTHON_LLM_ROUTER_CONTENT_MAX_LENGTH", "lots"),
    ("OTEL_PYTHON_LLM_ROUTER_RECORD_METRICS", "kinda"),
    ("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "perhaps"),
    pytest.param("OTEL_PYTHON_LLM_ROUTER_PRICING_FILE", "{broken_json}"),
    pytest.param("OTEL_PYTHON_LLM_ROUTER_PRICING_FILE", "{missing_file}"),
    pytest.param("OTEL_PYTHON_LLM_ROUTER_PRICING_FILE", "{wrong_shape}"),
]


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS)
def test_bad_setting_warns_once_and_the_rest_works(
    name: str,
    value: str,
    tmp_path: Any,
    server: ScriptedServer,
    instrument: Any,
    span_exporter: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (tmp_path / "broken.json").write_text('{"prices": {"openai": {')
    (tmp_path / "shape.json").write_text('["not", "a", "table"]')
    value = value.format(
        broken_json=tmp_path / "broken.json",
        missing_file=tmp_path / "absent.json",
        wrong_shape=tmp_path / "shape.json",
    )
    exchange = next(x for x in EXCHANGES if x.family == "openai_chat" and x.stream)
    server.responder = exchange.reply()
    good = f"{server.host_port}=openai"
    providers = f"{value},{good}" if name == "OTEL_PYTHON_LLM_ROUTER_PROVIDERS" else good
    env = {} if name == "OTEL_PYTHON_LLM_ROUTER_PROVIDERS" else {name: value}
    with caplog.at_level(logging.DEBUG, logger="opentelemetry.instrumentation.llm_router"):
        instrument(providers, **env)
        with (
            httpx2.Client() as client,
            client.stream(
                "POST", server.url + exchange.path, content=exchange.request_body
            ) as response,
        ):
            assert response.read() == exchange.body
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("opentelemetry.instrumentation")
    ]
    assert len(warnings) == 1, warnings
    assert name in warnings[0], warnings[0]
    shown = value.split(",")[0] if name.endswith("PROVIDERS") else value
    assert shown in warnings[0], warnings[0]
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes[A.GEN_AI_USAGE_OUTPUT_TOKENS] == exchange.expect["output_tokens"]
