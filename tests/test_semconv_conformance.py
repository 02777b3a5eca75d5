"""Every source's telemetry checked against the GenAI semantic conventions v1.41.0.

The conventions come from ``tests/data/semconv-1.41.0/conventions.json``, generated from their
YAML model (see its README). Each test drives one source over real traffic and checks its
spans, metric points and log events with the wire facts of that traffic, so a Conditionally
Required or Recommended attribute is demanded exactly when the request or response carried what
it needs: the hook over the recorded corpus (every entry) and over sample exchanges of every wire
format that ask for output formats, service tiers, seeds, several choices, dimensions and
conversations; the router callbacks; forward events; failures with the exception log event.
(The session-wide collector in conftest checks everything else the suite emits, without wire
facts.) The first tests show the checker fails on seeded deviations.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable, Optional

import httpx2
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry.instrumentation.llm_router import (
    CallerContext,
    EventMeta,
    ForwardEventRecorder,
    GenAITelemetry,
    InputTokens,
    LanguageModelUsage,
    OTelObserver,
    OutputTokens,
    ProviderError,
    ProviderErrorContext,
    RequestCompleted,
    RequestContext,
    RequestFailureEvent,
    RequestStarted,
    RequestSuccessEvent,
    TokenUsage,
)
from tests.conftest import InMemoryLogExporter, log_records
from tests.support import semconv
from tests.support.scripted_server import CORPUS, Reply, ScriptedServer, corpus_reply
from tests.support.semconv_collector import COLLECTOR, metrics_deviations, span_deviations
from tests.support.wire_corpus import FORMAT_OF, entry_paths
from tests.support.wire_samples import FAMILIES, FORMAT_OF_FAMILY, STREAMING_FAMILIES, exchange

ENTRIES = [p.name for p in entry_paths()]


def _send(url: str, path: str, body: dict[str, Any], stream: bool) -> tuple[int, bytes]:
    content = json.dumps(body).encode()
    with httpx2.Client() as client:
        if stream:
            with client.stream("POST", url + path, content=content) as response:
                return response.status_code, b"".join(response.iter_bytes())
        response = client.post(url + path, content=content)
        return response.status_code, response.content


def _problems(
    span_exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
    wire: Optional[semconv.WireFacts],
) -> list[str]:
    spans = span_exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    found = span_deviations(spans[0], wire)
    points, _, metric_found = metrics_deviations(metric_reader.get_metrics_data(), wire)
    assert points > 0
    return [str(d) for d in found + metric_found]


# The checker fails ------------------------------------------------------------------------


def test_registry_is_the_v1_41_0_one() -> None:
    reg = semconv.registry()
    assert {"gen_ai.output.type", "openai.api.type", "gen_ai.conversation.id"} <= reg.names
    assert reg.enums["gen_ai.output.type"] == {"text", "json", "image", "speech"}
    assert reg.enums["openai.api.type"] == {"chat_completions", "responses"}
    assert reg.instruments["gen_ai.client.token.usage"] == ("histogram", "{token}")
    assert "gen_ai.system" in reg.deprecated
    current = {
        a
        for a in reg.names
        if a.startswith(("gen_ai.usage", "openai.")) and a not in reg.deprecated
    }
    assert set(reg.types) >= current


GOOD_SPAN = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "m",
    "server.address": "h",
    "server.port": 443,
}


@pytest.mark.parametrize(
    ("change", "wire", "error", "expected"),
    [
        ({}, set(), False, None),
        ({"gen_ai.request.nonsense": 1}, set(), False, "not in the v1.41.0 registry"),
        ({"gen_ai.usage.input_tokens": "12"}, set(), False, "is not of type int"),
        ({"gen_ai.operation.name": "Chat"}, set(), False, "not a well-known value"),
        ({"gen_ai.provider.name": "gcp_gemini"}, set(), False, "misspells a known value"),
        ({"gen_ai.system": "openai"}, set(), False, "is deprecated"),
        ({"gen_ai.provider.name": None}, set(), False, "Required gen_ai.provider.name"),
        ({"server.port": None}, set(), False, "Conditionally Required server.port"),
        ({}, set(), True, "Conditionally Required error.type"),
        ({"error.type": "x"}, set(), False, "error.type on a span that did not fail"),
        ({}, {"request_output_format"}, False, "Conditionally Required gen_ai.output.type"),
        ({}, {"request_service_tier_not_auto"}, False, "openai.request.service_tier missing"),
        ({}, {"response_service_tier"}, False, "openai.response.service_tier missing"),
        ({}, {"request_stream"}, False, "gen_ai.request.stream missing"),
        ({}, {"response_system_fingerprint"}, False, "system_fingerprint missing"),
        ({}, {"openai_api_type"}, False, "Recommended openai.api.type"),
        ({"openai.request.service_tier": "auto"}, set(), False, "is 'auto'"),
        ({"gen_ai.request.model": None}, {"request_model"}, False, "Required gen_ai.request"),
        ({"gen_ai.request.top_k": 2.0}, set(), False, "not an attribute of this span"),
        ({"gen_ai.token.type": "input"}, set(), False, "not an attribute of this span"),
    ],
)
def test_span_checker_catches_seeded_deviations(
    change: dict[str, Any], wire: set[str], error: bool, expected: Optional[str]
) -> None:
    attributes = {k: v for k, v in {**GOOD_SPAN, **change}.items() if v is not None}
    if error and "error.type" in change:
        attributes["error.type"] = change["error.type"]
    name = f"chat {attributes.get('gen_ai.request.model', '')}".strip()
    found = semconv.check_span(name, "CLIENT", attributes, error, semconv.WireFacts(wire))
    if expected is None:
        assert found == []
    else:
        assert any(expected in str(d) for d in found), found


METRIC = "gen_ai.client.operation.duration"
GOOD_POINT = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai"}
DURATION_BUCKETS = semconv.registry().table["metrics"][METRIC]["buckets"]


@pytest.mark.parametrize(
    ("name", "unit", "kind", "bounds", "change", "expected"),
    [
        (METRIC, "s", "histogram", DURATION_BUCKETS, {}, None),
        (METRIC, "ms", "histogram", DURATION_BUCKETS, {}, "unit 'ms'"),
        (METRIC, "s", "counter", DURATION_BUCKETS, {}, "instrument counter"),
        (METRIC, "s", "histogram", [1.0, 2.0], {}, "buckets"),
        (METRIC, "s", "histogram", DURATION_BUCKETS, {"gen_ai.response.id": "r"}, "not an attr"),
        (
            "gen_ai.client.operation.time_to_first_chunk",
            "s",
            "histogram",
            DURATION_BUCKETS,
            {"error.type": "x"},
            "not an attribute of this metric",
        ),
        ("gen_ai.client.token.usage", "{token}", "histogram", None, {}, "gen_ai.token.type"),
        (METRIC, "s", "histogram", None, {"gen_ai.provider.name": None}, "Required"),
        ("gen_ai.client.made_up", "s", "histogram", None, {}, "not a metric of"),
    ],
)
def test_metric_checker_catches_seeded_deviations(
    name: str,
    unit: str,
    kind: str,
    bounds: Optional[list[float]],
    change: dict[str, Any],
    expected: Optional[str],
) -> None:
    attributes = {k: v for k, v in {**GOOD_POINT, **change}.items() if v is not None}
    found = semconv.check_metric(name, unit, kind, bounds, attributes)
    if expected is None:
        assert found == []
    else:
        assert any(expected in str(d) for d in found), found


def test_span_checker_catches_an_exception_span_event() -> None:
    attributes = {**GOOD_SPAN, "error.type": "x"}
    assert semconv.check_span("chat m", "CLIENT", attributes, True) == []
    found = semconv.check_span("chat m", "CLIENT", attributes, True, events=["exception"])
    assert any("exception span event" in str(d) for d in found), found


def test_event_checker_catches_seeded_deviations() -> None:
    good = {"exception.type": "RateLimit", "exception.message": "slow down"}
    assert semconv.check_exception_event("gen_ai.client.operation.exception", 13, good, False) == []
    found = semconv.check_exception_event("gen_ai.client.operation.exception", 9, {}, True)
    assert {d.what.split(" ")[0] for d in found} >= {"severity", "neither", "Recommended"}


# The hook, over the recorded corpus and over every wire format ----------------------------


@pytest.mark.parametrize("name", ENTRIES)
def test_hook_over_the_corpus_conforms(
    name: str,
    instrument: Any,
    span_exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    entry = json.loads((CORPUS / name).read_text())
    request = entry["request"]
    with ScriptedServer(corpus_reply(entry)) as server:
        instrument(f"{server.host_port}={entry['provider']}/{FORMAT_OF[entry['format']]}")
        status, _ = _send(server.url, request["path"], request["body"], entry["stream"])
    wire = semconv.facts_from_exchange(
        entry["format"], request["path"], request["body"], status, entry["response"]["body"]
    )
    assert _problems(span_exporter, metric_reader, wire) == []


# (family, stream, what the request adds) — each asks for something a conditional attribute
# depends on.
SAMPLES: list[tuple[str, str, bool, dict[str, Any]]] = [
    (
        "chat-json-schema-flex-seed-n2",
        "openai_chat",
        False,
        {
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
            "service_tier": "flex",
            "seed": 7,
            "n": 2,
            "top_p": 0.9,
            "stop": ["END"],
            "frequency_penalty": 0.1,
            "presence_penalty": 0.2,
        },
    ),
    (
        "chat-stream-json-object-tier-auto",
        "openai_chat",
        True,
        {"response_format": {"type": "json_object"}, "service_tier": "auto"},
    ),
    ("chat-audio-output", "openai_chat", False, {"modalities": ["text", "audio"]}),
    ("chat-text-format", "openai_chat", False, {"response_format": {"type": "text"}}),
    ("completions-seed", "openai_completions", False, {"seed": 3, "n": 1}),
    ("completions-stream", "openai_completions", True, {}),
    (
        "responses-json-conversation-priority",
        "openai_responses",
        False,
        {
            "text": {"format": {"type": "json_schema", "name": "x", "schema": {}}},
            "conversation": "conv_0123",
            "service_tier": "priority",
        },
    ),
    (
        "responses-stream-conversation-object",
        "openai_responses",
        True,
        {"text": {"format": {"type": "text"}}, "conversation": {"id": "conv_4567"}},
    ),
    (
        "embeddings-dimensions",
        "openai_embeddings",
        False,
        {"dimensions": 256, "encoding_format": "float"},
    ),
    (
        "anthropic-output-format",
        "anthropic_messages",
        False,
        {"output_format": {"type": "json_schema", "schema": {}}, "top_k": 5},
    ),
    ("anthropic-stream", "anthropic_messages", True, {"stop_sequences": ["END"]}),
    (
        "gemini-json-two-candidates",
        "gemini_generate_content",
        False,
        {
            "generationConfig": {
                "responseMimeType": "application/json",
                "responseSchema": {"type": "OBJECT"},
                "candidateCount": 2,
                "seed": 1,
                "topK": 3,
            }
        },
    ),
    (
        "gemini-stream-text",
        "gemini_generate_content",
        True,
        {"generationConfig": {"responseMimeType": "text/plain"}},
    ),
]


@pytest.mark.parametrize(
    ("family", "stream", "extra"), [s[1:] for s in SAMPLES], ids=[s[0] for s in SAMPLES]
)
def test_hook_over_every_wire_format_conforms(
    family: str,
    stream: bool,
    extra: dict[str, Any],
    instrument: Any,
    span_exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    sample = exchange(family, stream)
    request = {**sample.request, **extra}
    if "generationConfig" in extra:
        request["generationConfig"] = {
            **sample.request.get("generationConfig", {}),
            **extra["generationConfig"],
        }
    with ScriptedServer(sample.reply()) as server:
        instrument(f"{server.host_port}={sample.provider}/{FORMAT_OF_FAMILY[family]}")
        status, body = _send(server.url, sample.path, request, stream)
    wire = semconv.facts_from_exchange(family, sample.path, request, status, body.decode())
    assert _problems(span_exporter, metric_reader, wire) == []


@pytest.mark.parametrize(
    ("family", "stream"),
    [(f, False) for f in FAMILIES] + [(f, True) for f in STREAMING_FAMILIES],
)
def test_hook_over_every_sample_family_conforms(
    family: str,
    stream: bool,
    instrument: Any,
    span_exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    """Every family of ``tests/support/wire_samples`` as it is (a format added there is covered)."""
    sample = exchange(family, stream)
    with ScriptedServer(sample.reply()) as server:
        instrument(f"{server.host_port}={sample.provider}/{FORMAT_OF_FAMILY[family]}")
        status, body = _send(server.url, sample.path, sample.request, stream)
    wire = semconv.facts_from_exchange(family, sample.path, sample.request, status, body.decode())
    assert _problems(span_exporter, metric_reader, wire) == []


# Router callbacks and forward events ------------------------------------------------------


def _ctx(provider: str = "openai") -> RequestContext:
    return RequestContext(
        route="r", provider=provider, model="gpt-5-mini", caller=CallerContext(), latency_ms=250
    )


async def test_router_callbacks_and_forward_events_conform(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    observer = OTelObserver(tracer_provider, meter_provider)
    usage = LanguageModelUsage(InputTokens(total=10, cache_read=4), OutputTokens(total=5))
    await observer.on_request_success(RequestSuccessEvent(_ctx(), usage))
    await observer.on_request_success(RequestSuccessEvent(_ctx("gemini"), usage))
    failure = ProviderError("anthropic", "busy", ProviderErrorContext(status_code=529))
    await observer.on_request_failure(RequestFailureEvent(_ctx("anthropic"), failure))
    recorder = ForwardEventRecorder(tracer_provider, meter_provider)
    meta = EventMeta("e-1", datetime(2026, 5, 4, 10, 15, 30, tzinfo=timezone.utc), None)
    recorder.record(RequestStarted(meta, "req-1", "openai.chat_completions", "gpt-5", True))
    recorder.record(RequestCompleted(meta, "req-1", 200, "success", TokenUsage(1, 2, 3), 500, None))
    recorder.record(RequestStarted(meta, "req-2", "anthropic.messages", "claude", False))
    recorder.record(RequestCompleted(meta, "req-2", 429, "error", None, 20, "rate limited"))
    spans = span_exporter.get_finished_spans()
    assert len(spans) == 5
    # The forward event's endpoint names the OpenAI API: openai.api.type (Recommended).
    forwarded = next(s for s in spans if s.attributes.get("llm_router.request.id") == "req-1")
    assert forwarded.attributes["openai.api.type"] == "chat_completions"
    problems = [str(d) for s in spans for d in span_deviations(s)]
    points, _, found = metrics_deviations(metric_reader.get_metrics_data())
    assert points >= 5
    assert problems + [str(d) for d in found] == []


# Failures: span status and error.type, and the exception log event -----------------------


def _records(log_exporter: InMemoryLogExporter) -> list[Any]:
    return log_records(log_exporter)


def _check_records(records: list[Any], raised: bool) -> list[str]:
    out = []
    for record in records:
        COLLECTOR.add_log_record(record, raised)
        out += [
            str(d)
            for d in semconv.check_exception_event(
                record.event_name,
                record.severity_number.value,
                dict(record.attributes or {}),
                raised,
            )
        ]
    return out


def test_provider_error_emits_the_exception_event(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    logger_provider: Any,
    log_exporter: InMemoryLogExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor

    key = "sk-canary-0123456789abcdef"
    error = {
        "error": {
            "message": f"Incorrect API key provided: {key}.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }
    reply = Reply(status=401, pieces=[json.dumps(error).encode()])
    with ScriptedServer(reply) as server:
        monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", f"{server.host_port}=openai")
        instrumentor = LLMRouterInstrumentor()
        instrumentor.instrument(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            logger_provider=logger_provider,
        )
        try:
            status, _ = _send(server.url, "/v1/chat/completions", {"model": "m"}, False)
        finally:
            instrumentor.uninstrument()
    assert status == 401
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["error.type"] == "invalid_api_key"
    assert span.status.status_code.name == "ERROR"
    (record,) = _records(log_exporter)
    assert record.event_name == "gen_ai.client.operation.exception"
    assert record.severity_number.value == 13 and record.severity_text == "WARN"
    assert record.attributes["exception.type"] == "invalid_api_key"
    assert "Incorrect API key" in record.attributes["exception.message"]
    assert key not in str(dict(record.attributes))
    assert (record.trace_id, record.span_id) == (span.context.trace_id, span.context.span_id)
    assert _check_records([record], raised=False) == []


def test_transport_exception_emits_the_exception_event_with_its_stack(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    logger_provider: Any,
    log_exporter: InMemoryLogExporter,
) -> None:
    telemetry = GenAITelemetry(tracer_provider, meter_provider, logger_provider=logger_provider)
    call = telemetry.start_call("chat", "openai", "m")
    try:
        raise ConnectionError("connect failed; key sk-abcdefghijklmnop")
    except ConnectionError as exc:
        call.fail(type(exc).__qualname__, str(exc), exc)
    call.end()
    (record,) = _records(log_exporter)
    assert record.attributes["exception.type"] == "ConnectionError"
    assert "connect failed" in record.attributes["exception.message"]
    assert "test_transport_exception" in record.attributes["exception.stacktrace"]
    assert "sk-abcdefghijklmnop" not in str(dict(record.attributes))
    assert _check_records([record], raised=True) == []


def test_no_logger_provider_no_event_and_no_error(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    # The global logger provider is the API's proxy: the event goes nowhere, the span is intact.
    call = GenAITelemetry(tracer_provider, meter_provider).start_call("chat", "openai", "m")
    call.fail("rate_limit_exceeded", "slow down")
    call.end()
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["error.type"] == "rate_limit_exceeded"


def test_conformance_collector_counts(request: pytest.FixtureRequest) -> None:
    """The session collector has seen this module's telemetry (and reports it at the end)."""
    assert COLLECTOR.spans > 0 and COLLECTOR.points > 0
    summary: Callable[[], str] = COLLECTOR.summary
    assert "spans" in summary()
