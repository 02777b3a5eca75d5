"""OTelObserver: span timing from ``latency_ms``, caller and budget attributes, never raising."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from opentelemetry.instrumentation.llm_router import (
    BudgetRange,
    CallerContext,
    InputTokens,
    LanguageModelUsage,
    ObserveCallback,
    OTelObserver,
    OutputTokens,
    ProviderError,
    ProviderErrorContext,
    RequestContext,
    RequestFailureEvent,
    RequestSuccessEvent,
)
from tests.conftest import points_by_name

MS = 1_000_000
TOLERANCE_NS = 50 * MS  # scheduling slack on a busy 2-core machine


def _ctx(latency_ms: int = 1500, **kw: Any) -> RequestContext:
    fields: dict[str, Any] = {
        "route": "fast",
        "provider": "anthropic",
        "model": "claude-haiku-4-5",
        "caller": CallerContext(),
        "latency_ms": latency_ms,
    }
    fields.update(kw)
    return RequestContext(**fields)


def test_observer_is_an_observe_callback() -> None:
    assert isinstance(OTelObserver(), ObserveCallback)


@pytest.mark.parametrize("latency_ms", [0, 7, 1500, 120_000])
async def test_span_starts_latency_ms_before_completion(
    latency_ms: int,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    observer = OTelObserver(tracer_provider, meter_provider)
    before = time.time_ns()
    await observer.on_request_success(RequestSuccessEvent(_ctx(latency_ms)))
    after = time.time_ns()

    (span,) = span_exporter.get_finished_spans()
    assert before <= span.end_time <= after
    assert before - latency_ms * MS <= span.start_time <= after - latency_ms * MS
    assert abs((span.end_time - span.start_time) - latency_ms * MS) < TOLERANCE_NS
    (duration,) = metric_points("gen_ai.client.operation.duration")
    assert duration.sum == pytest.approx(latency_ms / 1000, abs=TOLERANCE_NS / 1e9)


async def test_success_span_carries_route_caller_and_budget(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    caller = CallerContext(
        account_id="acct-42",
        models=["claude-*", "gpt-5*"],  # type: ignore[arg-type]  # a list is accepted and frozen
        budget=2_500_000,
        budget_scope="account",
        budget_range=BudgetRange.rounds(100),
        chain="solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp",
    )
    usage = LanguageModelUsage(InputTokens(total=12), OutputTokens(total=34))
    await OTelObserver(tracer_provider, meter_provider).on_request_success(
        RequestSuccessEvent(_ctx(caller=caller), usage)
    )
    (span,) = span_exporter.get_finished_spans()
    assert span.name == "chat claude-haiku-4-5"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert span.instrumentation_scope.name == "opentelemetry.instrumentation.llm_router"
    attrs = dict(span.attributes)
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["gen_ai.request.model"] == "claude-haiku-4-5"
    assert attrs["llm_router.route"] == "fast"
    assert attrs["llm_router.account.id"] == "acct-42"
    assert tuple(attrs["llm_router.account.models"]) == ("claude-*", "gpt-5*")
    assert attrs["llm_router.budget.micro_usd"] == 2_500_000
    assert attrs["llm_router.budget.scope"] == "account"
    assert attrs["llm_router.budget.range.type"] == "rounds"
    assert attrs["llm_router.budget.range.count"] == 100
    assert "llm_router.budget.range.seconds" not in attrs
    assert attrs["llm_router.chain"] == "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 34


async def test_duration_budget_range_and_no_caller_details(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    observer = OTelObserver(tracer_provider, meter_provider)
    caller = CallerContext(
        budget=10, budget_scope="session", budget_range=BudgetRange.duration(3600)
    )
    await observer.on_request_success(RequestSuccessEvent(_ctx(caller=caller)))
    await observer.on_request_success(RequestSuccessEvent(_ctx()))
    with_budget, bare = span_exporter.get_finished_spans()
    assert with_budget.attributes["llm_router.budget.range.type"] == "duration"
    assert with_budget.attributes["llm_router.budget.range.seconds"] == 3600
    assert with_budget.attributes["llm_router.budget.scope"] == "session"
    assert "llm_router.account.id" not in with_budget.attributes
    assert not any(k.startswith("llm_router.") and k != "llm_router.route" for k in bare.attributes)


@pytest.mark.parametrize(
    ("router_name", "convention_name"),
    [("gemini", "gcp.gemini"), ("Bedrock", "aws.bedrock"), ("xai", "x_ai"), ("my-llm", "my-llm")],
)
async def test_provider_names_follow_the_conventions(
    router_name: str,
    convention_name: str,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    await OTelObserver(tracer_provider, meter_provider).on_request_success(
        RequestSuccessEvent(_ctx(provider=router_name))
    )
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["gen_ai.provider.name"] == convention_name


async def test_operation_can_be_chosen(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    observer = OTelObserver(tracer_provider, meter_provider, operation="embeddings")
    await observer.on_request_success(RequestSuccessEvent(_ctx(model="text-embedding-3-small")))
    (span,) = span_exporter.get_finished_spans()
    assert span.name == "embeddings text-embedding-3-small"


def test_sync_forms_work_without_an_event_loop(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    observer = OTelObserver(tracer_provider, meter_provider)
    observer.record_success(RequestSuccessEvent(_ctx()))
    failure = ProviderError("anthropic", "overloaded", ProviderErrorContext(status_code=529))
    observer.record_failure(RequestFailureEvent(_ctx(), failure))
    ok, failed = span_exporter.get_finished_spans()
    assert ok.status.status_code is StatusCode.UNSET
    assert failed.attributes["error.type"] == "529"


class _ExplodingProcessor(SpanProcessor):
    """A broken span processor: the observer must survive it."""

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        raise RuntimeError("processor on_start exploded")

    def on_end(self, span: ReadableSpan) -> None:
        raise RuntimeError("processor on_end exploded")


async def test_observer_never_raises(meter_provider: MeterProvider) -> None:
    provider = TracerProvider()
    provider.add_span_processor(_ExplodingProcessor())
    observer = OTelObserver(provider, meter_provider)
    # A broken telemetry pipeline ...
    await observer.on_request_success(RequestSuccessEvent(_ctx()))
    await observer.on_request_failure(
        RequestFailureEvent(_ctx(), ProviderError("openai", "x", ProviderErrorContext()))
    )
    # ... and events that are not what the type says.
    await observer.on_request_success(RequestSuccessEvent(None))  # type: ignore[arg-type]
    await observer.on_request_failure(RequestFailureEvent(_ctx(), "not an error"))  # type: ignore[arg-type]
    await observer.on_request_success(
        RequestSuccessEvent(_ctx(latency_ms="soon"))  # type: ignore[arg-type]
    )
    provider.shutdown()


async def test_concurrent_events_each_get_a_span(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    observer = OTelObserver(tracer_provider, meter_provider)
    await asyncio.gather(
        *(observer.on_request_success(RequestSuccessEvent(_ctx(route=f"r{i}"))) for i in range(50))
    )
    spans = span_exporter.get_finished_spans()
    assert sorted(s.attributes["llm_router.route"] for s in spans) == sorted(
        f"r{i}" for i in range(50)
    )
    assert metric_points("gen_ai.client.operation.duration")[0].count == 50


@pytest.mark.parametrize("spend", [False, True], ids=["plain", "pricing-and-spend"])
def test_duration_is_the_routers_latency_exactly(
    spend: bool,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The span's length and the duration metric are ``latency_ms`` to the nanosecond, read
    through the real SDK (delta temporality: one point per request), for generated latencies;
    pricing and spend tracking (which run between start and end) add nothing to them."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from opentelemetry.sdk.metrics import Histogram as HistogramInstrument
    from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader

    from opentelemetry.instrumentation.llm_router import (
        PricingTable,
        SpendTracker,
        TelemetrySettings,
    )

    reader = InMemoryMetricReader(
        preferred_temporality={HistogramInstrument: AggregationTemporality.DELTA}
    )
    meter_provider = MeterProvider(metric_readers=[reader])
    prices = PricingTable.from_dict(
        {"prices": {"anthropic": {"claude-haiku-4-5": {"input": 1.0, "output": 2.0}}}}
    )
    observer = OTelObserver(
        tracer_provider,
        meter_provider,
        TelemetrySettings(cost=prices.cost) if spend else TelemetrySettings(),
        spend_tracker=SpendTracker() if spend else None,
    )
    caller = CallerContext(account_id="acct-1", budget=1_000_000) if spend else CallerContext()
    usage = LanguageModelUsage(InputTokens(total=1000), OutputTokens(total=10))

    @settings(max_examples=150, deadline=None)
    @given(
        latency_ms=st.one_of(
            st.sampled_from([0, 1, 500, 840, 842, 999, 1001, 60_000]),
            st.integers(0, 86_400_000),
        ),
        failed=st.booleans(),
    )
    def check(latency_ms: int, failed: bool) -> None:
        span_exporter.clear()
        ctx = _ctx(latency_ms, caller=caller)
        if failed:
            observer.record_failure(RequestFailureEvent(ctx, ProviderError("anthropic", "x")))
        else:
            observer.record_success(RequestSuccessEvent(ctx, usage))
        (span,) = span_exporter.get_finished_spans()
        assert span.end_time - span.start_time == latency_ms * MS
        (point,) = points_by_name(reader.get_metrics_data(), "gen_ai.client.operation.duration")
        assert point.count == 1
        assert point.sum == latency_ms / 1000  # exact, not approximately
        if spend and not failed:
            assert span.attributes["llm_router.cost.usd"] > 0

    try:
        check()
    finally:
        meter_provider.shutdown()


def test_begun_request_ends_at_its_start_plus_latency(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    """A request begun at arrival ends ``latency_ms`` after its start; one whose event gives no
    latency (0) ends when it is recorded."""
    observer = OTelObserver(tracer_provider, meter_provider)
    call = observer.begin_request("smart", start_time_ns=time.time_ns() - 5_000 * MS)
    assert call is not None
    observer.record_success(RequestSuccessEvent(_ctx(840)), begun=call)
    call = observer.begin_request("smart", start_time_ns=time.time_ns() - 5_000 * MS)
    assert call is not None
    before = time.time_ns()
    observer.record_success(RequestSuccessEvent(_ctx(0)), begun=call)
    timed, untimed = span_exporter.get_finished_spans()
    assert timed.end_time - timed.start_time == 840 * MS
    assert untimed.end_time >= before
    (point,) = metric_points("gen_ai.client.operation.duration")
    assert point.min == 0.84
