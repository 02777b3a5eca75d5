"""The one GenAI mapping, checked through all of its entry points.

Attribute names are spelled out here on purpose (not imported from ``_attributes``): the tests
check the names against the conventions, not against themselves.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import SpanKind, StatusCode

from opentelemetry.instrumentation.llm_router import (
    AccessDenied,
    CallerContext,
    Cancelled,
    EventMeta,
    ForwardEventRecorder,
    GenAITelemetry,
    InputTokens,
    InvalidRequest,
    InvalidResponse,
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
    ResponseDecode,
    RouterError,
    StreamProtocol,
    TelemetrySettings,
    TokenCounts,
    TokenUsage,
    Transport,
    UnsupportedFeature,
)
from opentelemetry.instrumentation.llm_router._config import settings_from_env
from opentelemetry.instrumentation.llm_router._forward import ForwardStatus
from tests.conftest import exception_events

DURATION = "gen_ai.client.operation.duration"
TOKENS = "gen_ai.client.token.usage"
TTFC = "gen_ai.client.operation.time_to_first_chunk"
TPOC = "gen_ai.client.operation.time_per_output_chunk"

# The spec's advisory boundaries, written out independently of the package's constants.
DURATION_BOUNDS = [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
]  # fmt: skip
TOKEN_BOUNDS = [
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
]  # fmt: skip

LOW_CARDINALITY = {
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "server.address",
    "server.port",
    "error.type",
    "gen_ai.token.type",
}

T0 = 1_777_889_730_000_000_000


def _meta(ns: int, trace_id: str | None = None) -> EventMeta:
    from datetime import datetime, timedelta, timezone

    when = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=ns // 1000)
    return EventMeta("e-" + str(ns), when, trace_id, occurred_at_ns=ns)


def _ctx(**caller: Any) -> RequestContext:
    return RequestContext(
        route="smart-route",
        provider="openai",
        model="gpt-5-mini",
        caller=CallerContext(**caller),
        latency_ms=250,
    )


# --------------------------------------------------------------------------------------------
# Errors through the observer: message, error.type, status code.

ERROR_TABLE: list[tuple[RouterError, str, str, int | None]] = [
    # (error, span status description, error.type, http.response.status_code)
    (
        UnsupportedFeature("openai", "tools"),
        "openai does not support tools",
        "unsupported_feature",
        None,
    ),
    (Cancelled("openai", "client gone"), "request cancelled: client gone", "cancelled", None),
    (InvalidRequest("openai", "bad json"), "invalid request: bad json", "invalid_request", None),
    (Transport("openai", "reset"), "transport failure: reset", "transport", None),
    (ResponseDecode("openai", "eof"), "response decode failure: eof", "response_decode", None),
    (
        InvalidResponse("openai", "no choices"),
        "invalid response: no choices",
        "invalid_response",
        None,
    ),
    (
        StreamProtocol("openai", "bad sse"),
        "stream protocol failure: bad sse",
        "stream_protocol",
        None,
    ),
    (AccessDenied("no budget"), "access denied: no budget", "access_denied", None),
    (ProviderError("openai", "who knows"), "provider error: who knows", "provider", None),
    (
        ProviderError("openai", "slow down", ProviderErrorContext(status_code=429)),
        "provider error: slow down",
        "429",
        429,
    ),
    (
        ProviderError(
            "openai",
            "rate limited",
            ProviderErrorContext(status_code=429, code="rate_limit_exceeded"),
        ),
        "provider error: rate limited",
        "rate_limit_exceeded",
        429,
    ),
    (
        ProviderError(
            "anthropic",
            "overloaded",
            # Anthropic's error body has a type and no code (a code would win: _error_type)
            ProviderErrorContext(status_code=529, error_type="overloaded_error"),
        ),
        "provider error: overloaded",
        "overloaded_error",
        529,
    ),
]


@pytest.mark.parametrize(("error", "description", "error_type", "status_code"), ERROR_TABLE)
async def test_observer_failure_mapping(
    error: RouterError,
    description: str,
    error_type: str,
    status_code: int | None,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
    logger_provider: Any,
    log_exporter: Any,
) -> None:
    observer = OTelObserver(tracer_provider, meter_provider, logger_provider=logger_provider)
    await observer.on_request_failure(RequestFailureEvent(_ctx(), error))

    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == description
    assert span.attributes["error.type"] == error_type
    assert span.attributes.get("http.response.status_code") == status_code
    assert not span.events  # the log event, not an exception span event
    (exception_event,) = exception_events(log_exporter)
    assert exception_event.attributes["exception.message"] == description
    assert exception_event.attributes["exception.type"].endswith(f".{type(error).__name__}")
    assert not any(k.startswith("gen_ai.usage.") for k in span.attributes)

    (point,) = metric_points(DURATION)
    assert point.attributes["error.type"] == error_type
    assert point.count == 1
    assert metric_points(TOKENS) == []


def test_error_table_covers_every_kind() -> None:
    from opentelemetry.instrumentation.llm_router._router_error import ERROR_KINDS

    assert {type(e) for e, *_ in ERROR_TABLE} == set(ERROR_KINDS)


# --------------------------------------------------------------------------------------------
# Forward statuses through the recorder.

STATUS_TABLE: list[tuple[ForwardStatus, int, str | None, StatusCode, str | None]] = [
    # (status, status_code, error, span status, error.type)
    ("success", 200, None, StatusCode.UNSET, None),
    ("pending", 200, None, StatusCode.UNSET, None),
    ("success", 429, None, StatusCode.ERROR, "429"),
    # No code, no error status, no exception: the conventions' fallback (_genai/_error_type)
    ("success", 200, "partial stream", StatusCode.ERROR, "_OTHER"),
    ("error", 500, "internal error", StatusCode.ERROR, "500"),
    ("error", 200, None, StatusCode.ERROR, "_OTHER"),
    ("error", 0, "connection refused", StatusCode.ERROR, "transport"),
    ("timeout", 0, None, StatusCode.ERROR, "timeout"),
    ("timeout", 504, "gateway timeout", StatusCode.ERROR, "timeout"),
]


@pytest.mark.parametrize(("status", "code", "error", "span_status", "error_type"), STATUS_TABLE)
def test_recorder_status_mapping(
    status: ForwardStatus,
    code: int,
    error: str | None,
    span_status: StatusCode,
    error_type: str | None,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    recorder = ForwardEventRecorder(tracer_provider, meter_provider)
    recorder.record(RequestStarted(_meta(T0), "r1", "openai.chat_completions", "gpt-5", False))
    recorder.record(RequestCompleted(_meta(T0 + 10**9), "r1", code, status, None, 1000, error))

    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code is span_status
    assert span.attributes.get("error.type") == error_type
    assert span.attributes["llm_router.forward.status"] == status
    assert span.attributes.get("http.response.status_code") == (code or None)
    if span_status is StatusCode.ERROR:
        assert span.status.description == (error or f"upstream call ended with status {status}")
    (point,) = metric_points(DURATION)
    assert point.attributes.get("error.type") == error_type


# --------------------------------------------------------------------------------------------
# Usage: missing, zero, cache and reasoning tokens.

USAGE_TABLE: list[tuple[LanguageModelUsage, dict[str, int]]] = [
    (LanguageModelUsage(), {}),
    (
        LanguageModelUsage(InputTokens(total=0), OutputTokens(total=0)),
        {"gen_ai.usage.input_tokens": 0, "gen_ai.usage.output_tokens": 0},
    ),
    (
        # No totals: input is the sum including cache read and write; output includes reasoning.
        LanguageModelUsage(
            InputTokens(no_cache=10, cache_read=90, cache_write=5),
            OutputTokens(text=20, reasoning=30),
        ),
        {
            "gen_ai.usage.input_tokens": 105,
            "gen_ai.usage.cache_read.input_tokens": 90,
            "gen_ai.usage.cache_creation.input_tokens": 5,
            "gen_ai.usage.output_tokens": 50,
            "gen_ai.usage.reasoning.output_tokens": 30,
        },
    ),
    (
        # Totals given win over the parts.
        LanguageModelUsage(
            InputTokens(total=1000, no_cache=200, cache_read=800),
            OutputTokens(total=70, reasoning=0),
            raw={"prompt_tokens": 1000},
        ),
        {
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.cache_read.input_tokens": 800,
            "gen_ai.usage.output_tokens": 70,
            "gen_ai.usage.reasoning.output_tokens": 0,
        },
    ),
    (
        LanguageModelUsage(InputTokens(), OutputTokens(total=5)),
        {"gen_ai.usage.output_tokens": 5},
    ),
]


@pytest.mark.parametrize(("usage", "expected"), USAGE_TABLE)
async def test_observer_usage_mapping(
    usage: LanguageModelUsage,
    expected: dict[str, int],
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    observer = OTelObserver(tracer_provider, meter_provider)
    await observer.on_request_success(RequestSuccessEvent(_ctx(), usage))

    (span,) = span_exporter.get_finished_spans()
    usage_attributes = {k: v for k, v in span.attributes.items() if k.startswith("gen_ai.usage.")}
    assert usage_attributes == expected
    assert span.status.status_code is StatusCode.UNSET
    tokens = {p.attributes["gen_ai.token.type"]: p for p in metric_points(TOKENS)}
    want = {
        kind: expected[f"gen_ai.usage.{kind}_tokens"]
        for kind in ("input", "output")
        if f"gen_ai.usage.{kind}_tokens" in expected
    }
    assert {kind: (p.count, p.sum) for kind, p in tokens.items()} == {
        kind: (1, value) for kind, value in want.items()
    }


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (None, {}),
        (TokenUsage(0, 0, 0), {"gen_ai.usage.input_tokens": 0, "gen_ai.usage.output_tokens": 0}),
        (
            TokenUsage(50, 100, 150),
            {"gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 100},
        ),
    ],
)
def test_recorder_usage_mapping(
    usage: TokenUsage | None,
    expected: dict[str, int],
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    recorder = ForwardEventRecorder(tracer_provider, meter_provider)
    recorder.record(RequestStarted(_meta(T0), "r1", "openai.chat_completions", "gpt-5", False))
    recorder.record(RequestCompleted(_meta(T0 + 10**9), "r1", 200, "success", usage, 1000, None))
    (span,) = span_exporter.get_finished_spans()
    assert {k: v for k, v in span.attributes.items() if k.startswith("gen_ai.usage.")} == expected
    points = {p.attributes["gen_ai.token.type"]: (p.count, p.sum) for p in metric_points(TOKENS)}
    assert points == {
        kind: (1, expected[f"gen_ai.usage.{kind}_tokens"])
        for kind in ("input", "output")
        if expected
    }


def test_telemetry_usage_is_left_out_when_unknown_and_kept_when_zero(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    telemetry = GenAITelemetry(tracer_provider, meter_provider)
    unknown = telemetry.start_call("chat", "openai", "m")
    unknown.set_usage(TokenCounts())
    unknown.end()
    zero = telemetry.start_call("chat", "openai", "m")
    zero.set_usage(TokenCounts(input_tokens=0))
    zero.end()
    first, second = span_exporter.get_finished_spans()
    assert "gen_ai.usage.input_tokens" not in first.attributes
    assert second.attributes["gen_ai.usage.input_tokens"] == 0
    assert "gen_ai.usage.output_tokens" not in second.attributes
    (point,) = metric_points(TOKENS)
    assert (point.attributes["gen_ai.token.type"], point.count, point.sum) == ("input", 1, 0)


# --------------------------------------------------------------------------------------------
# Metric attributes: low cardinality unless opted in.


async def _one_of_each(
    tracer_provider: TracerProvider, meter_provider: MeterProvider, settings: TelemetrySettings
) -> None:
    observer = OTelObserver(tracer_provider, meter_provider, settings)
    usage = LanguageModelUsage(InputTokens(total=10), OutputTokens(total=5))
    await observer.on_request_success(
        RequestSuccessEvent(_ctx(account_id="acct-1", budget=5_000_000), usage)
    )
    await observer.on_request_failure(
        RequestFailureEvent(_ctx(account_id="acct-2"), Transport("openai", "reset"))
    )
    recorder = ForwardEventRecorder(tracer_provider, meter_provider, settings)
    recorder.record(RequestStarted(_meta(T0), "req-1", "anthropic.messages", "claude", True))
    recorder.record(
        RequestCompleted(
            _meta(T0 + 10**9), "req-1", 200, "success", TokenUsage(1, 2, 3), 1000, None
        )
    )


async def test_metric_attributes_are_low_cardinality_by_default(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    await _one_of_each(tracer_provider, meter_provider, TelemetrySettings())
    points = metric_points(DURATION) + metric_points(TOKENS)
    assert len(points) == 3 + 4
    for point in points:
        assert set(point.attributes) <= LOW_CARDINALITY, point.attributes
    # ... while the spans carry the router's ids.
    spans = span_exporter.get_finished_spans()
    assert {s.attributes.get("llm_router.account.id") for s in spans} == {"acct-1", "acct-2", None}
    assert spans[0].attributes["llm_router.route"] == "smart-route"
    assert spans[2].attributes["llm_router.request.id"] == "req-1"
    assert spans[2].attributes["llm_router.endpoint"] == "anthropic.messages"


async def test_metric_opt_in_adds_only_the_chosen_router_attributes(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    metric_points: Callable[[str], list[Any]],
) -> None:
    settings = TelemetrySettings(metric_opt_in=frozenset({"account", "endpoint"}))
    await _one_of_each(tracer_provider, meter_provider, settings)
    extra = LOW_CARDINALITY | {"llm_router.account.id", "llm_router.endpoint"}
    accounts, endpoints = set(), set()
    for point in metric_points(DURATION) + metric_points(TOKENS):
        assert set(point.attributes) <= extra, point.attributes
        accounts.add(point.attributes.get("llm_router.account.id"))
        endpoints.add(point.attributes.get("llm_router.endpoint"))
    assert accounts == {"acct-1", "acct-2", None}
    assert endpoints == {"anthropic.messages", None}


# --------------------------------------------------------------------------------------------
# Instruments: boundaries, once per meter.


def test_histogram_bucket_boundaries_are_the_specs(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    metric_points: Callable[[str], list[Any]],
) -> None:
    settings = TelemetrySettings(record_time_per_output_chunk=True)
    telemetry = GenAITelemetry(tracer_provider, meter_provider, settings)
    call = telemetry.start_call("chat", "openai", "m", stream=True, start_time_ns=T0)
    call.chunk_received(T0 + 300_000_000)
    call.chunk_received(T0 + 350_000_000)
    call.chunk_received(T0 + 450_000_000)
    call.set_usage(TokenCounts(input_tokens=3, output_tokens=70_000_000))
    call.end(T0 + 10**9)

    (duration,) = metric_points(DURATION)
    assert list(duration.explicit_bounds) == DURATION_BOUNDS
    assert duration.sum == pytest.approx(1.0)
    for point in metric_points(TOKENS):
        assert list(point.explicit_bounds) == TOKEN_BOUNDS
    output = next(p for p in metric_points(TOKENS) if p.attributes["gen_ai.token.type"] == "output")
    assert output.bucket_counts[-1] == 1  # above 67108864: the overflow bucket
    (ttfc,) = metric_points(TTFC)
    assert list(ttfc.explicit_bounds) == DURATION_BOUNDS
    assert ttfc.sum == pytest.approx(0.3)
    (tpoc,) = metric_points(TPOC)
    assert list(tpoc.explicit_bounds) == DURATION_BOUNDS
    assert (tpoc.count, tpoc.sum) == (2, pytest.approx(0.15))


def test_time_per_output_chunk_is_off_by_default(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    metric_points: Callable[[str], list[Any]],
) -> None:
    assert settings_from_env({}).record_time_per_output_chunk is False
    call = GenAITelemetry(tracer_provider, meter_provider).start_call(
        "chat", "openai", "m", stream=True, start_time_ns=T0
    )
    call.chunk_received(T0 + 200_000_000)
    call.chunk_received(T0 + 300_000_000)
    call.end(T0 + 10**9)
    assert metric_points(TPOC) == []
    assert len(metric_points("gen_ai.client.operation.time_to_first_chunk")) == 1


def test_time_per_output_chunk_opted_in_carries_the_response_model(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    settings = settings_from_env({"OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK": "true"})
    call = GenAITelemetry(tracer_provider, meter_provider, settings).start_call(
        "chat", "openai", "m", stream=True, start_time_ns=T0
    )
    call.chunk_received(T0 + 200_000_000)
    call.set_response("m-2026-01-01")  # a stream names its model in its first event
    call.chunk_received(T0 + 300_000_000)
    call.chunk_received(T0 + 450_000_000)
    call.end(T0 + 10**9)
    (tpoc,) = metric_points(TPOC)
    assert (tpoc.count, tpoc.sum) == (2, pytest.approx(0.25))
    assert tpoc.attributes["gen_ai.response.model"] == "m-2026-01-01"
    assert "error.type" not in tpoc.attributes
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["gen_ai.response.time_to_first_chunk"] == pytest.approx(0.2)
    assert span.attributes["gen_ai.request.stream"] is True


def test_time_per_output_chunk_can_be_turned_off(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    metric_points: Callable[[str], list[Any]],
) -> None:
    settings = settings_from_env({"OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK": "false"})
    call = GenAITelemetry(tracer_provider, meter_provider, settings).start_call(
        "chat", "openai", "m", stream=True, start_time_ns=T0
    )
    call.chunk_received(T0 + 200_000_000)
    call.chunk_received(T0 + 300_000_000)
    call.end(T0 + 10**9)
    assert metric_points(TPOC) == []
    assert len(metric_points(TTFC)) == 1


async def test_instruments_are_created_once_per_meter(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    metric_reader: InMemoryMetricReader,
    metric_points: Callable[[str], list[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    first = GenAITelemetry(tracer_provider, meter_provider)
    second = GenAITelemetry(tracer_provider, meter_provider)
    observer = OTelObserver(tracer_provider, meter_provider)
    recorder = ForwardEventRecorder(tracer_provider, meter_provider)
    assert first.instruments is second.instruments

    first.start_call("chat", "openai", "m").end()
    second.start_call("chat", "openai", "m").end()
    await observer.on_request_success(RequestSuccessEvent(_ctx()))
    recorder.record(RequestCompleted(_meta(T0), "x", 200, "success", None, 5, None))

    data = metric_reader.get_metrics_data()
    names = [m.name for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics]
    assert names.count(DURATION) == 1
    assert sum(p.count for p in metric_points(DURATION)) == 4
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_new_meter_provider_gets_its_own_instruments(
    tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> None:
    other = MeterProvider()
    try:
        assert (
            GenAITelemetry(tracer_provider, meter_provider).instruments
            is not GenAITelemetry(tracer_provider, other).instruments
        )
    finally:
        other.shutdown()


# --------------------------------------------------------------------------------------------
# Span name, kind and the attributes a sampler sees.


class RecordingSampler(Sampler):
    """Samples everything and remembers what it was asked about."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any, dict[str, Any]]] = []

    def should_sample(
        self,
        parent_context: Any,
        trace_id: int,
        name: str,
        kind: Any = None,
        attributes: Any = None,
        links: Any = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        self.seen.append((name, kind, dict(attributes or {})))
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "RecordingSampler"


SAMPLING_KEYS = {"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model"}


async def test_samplers_see_the_genai_attributes_from_every_source(
    meter_provider: MeterProvider,
) -> None:
    sampler = RecordingSampler()
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    telemetry = GenAITelemetry(provider, meter_provider)
    telemetry.start_call(
        "embeddings", "openai", "text-embedding-3", server_address="api.openai.com", server_port=443
    ).end()
    await OTelObserver(provider, meter_provider).on_request_success(
        RequestSuccessEvent(
            RequestContext("r", "gemini", "gemini-2.5-pro", CallerContext(), latency_ms=3)
        )
    )
    ForwardEventRecorder(provider, meter_provider).record(
        RequestStarted(_meta(T0), "r1", "anthropic.messages", "claude-sonnet-4-5", True)
    )

    expected = [
        ("embeddings text-embedding-3", "embeddings", "openai", "text-embedding-3"),
        ("chat gemini-2.5-pro", "chat", "gcp.gemini", "gemini-2.5-pro"),
        ("chat claude-sonnet-4-5", "chat", "anthropic", "claude-sonnet-4-5"),
    ]
    assert len(sampler.seen) == 3
    for (name, kind, attributes), (want_name, operation, provider_name, model) in zip(
        sampler.seen, expected
    ):
        assert name == want_name
        assert kind is SpanKind.CLIENT
        assert set(attributes) >= SAMPLING_KEYS
        assert attributes["gen_ai.operation.name"] == operation
        assert attributes["gen_ai.provider.name"] == provider_name
        assert attributes["gen_ai.request.model"] == model
    assert sampler.seen[0][2]["server.address"] == "api.openai.com"
    assert sampler.seen[0][2]["server.port"] == 443
    for span in exporter.get_finished_spans():
        assert span.kind is SpanKind.CLIENT
    provider.shutdown()


def test_span_name_without_a_model_is_the_operation(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    GenAITelemetry(tracer_provider, meter_provider).start_call("chat", "openai", None).end()
    (span,) = span_exporter.get_finished_spans()
    assert span.name == "chat"
    assert "gen_ai.request.model" not in span.attributes


def test_response_model_goes_on_span_and_metrics(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    call = GenAITelemetry(tracer_provider, meter_provider).start_call("chat", "openai", "gpt-5")
    call.set_response("gpt-5-2025-08-07", "chatcmpl-1", ["stop"])
    call.set_status_code(200)
    call.end()
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["gen_ai.response.model"] == "gpt-5-2025-08-07"
    assert span.attributes["gen_ai.response.id"] == "chatcmpl-1"
    assert tuple(span.attributes["gen_ai.response.finish_reasons"]) == ("stop",)
    assert span.attributes["http.response.status_code"] == 200
    (point,) = metric_points(DURATION)
    assert point.attributes["gen_ai.response.model"] == "gpt-5-2025-08-07"
    assert "gen_ai.response.id" not in point.attributes


def test_end_twice_records_once(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    call = GenAITelemetry(tracer_provider, meter_provider).start_call("chat", "openai", "m")
    call.end()
    call.end()
    assert call.ended
    assert len(span_exporter.get_finished_spans()) == 1
    assert metric_points(DURATION)[0].count == 1


def test_fail_without_a_type_is_other(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    call = GenAITelemetry(tracer_provider, meter_provider).start_call("chat", "openai", "m")
    call.fail("")
    call.end()
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["error.type"] == "_OTHER"
    assert span.status.status_code is StatusCode.ERROR
