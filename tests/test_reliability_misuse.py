"""Misuse by the router: the plain-dict (serde) forms users write, missing usage, foreign errors.

Each case goes through a real ``OTelObserver`` (or ``ForwardEventRecorder``) five times: every
request still gives exactly one span, every span started is ended, nothing raises into the caller,
and what was wrong is said once at WARNING (later times at DEBUG only).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Callable, Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from opentelemetry.instrumentation.llm_router import (
    CallerContext,
    ForwardEventRecorder,
    OTelObserver,
    RequestContext,
    RequestFailureEvent,
    RequestSuccessEvent,
    SpendTracker,
    TelemetrySettings,
    Transport,
    _misuse,
)
from opentelemetry.instrumentation.llm_router._pricing import PricingTable
from tests.support.span_audit import CountingSpanProcessor

REPEAT = 5
PRICES = PricingTable.from_dict(
    {"prices": {"openai": {"unit": {"input": 1.0, "output": 0.0}}}}, strict=True
)


@pytest.fixture(autouse=True)
def fresh_reports() -> Iterator[None]:
    """Each test sees its own first report of a kind."""
    _misuse._reported.clear()
    yield
    _misuse._reported.clear()


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter, CountingSpanProcessor]]:
    exporter = InMemorySpanExporter()
    counting = CountingSpanProcessor()
    provider = TracerProvider()
    provider.add_span_processor(counting)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter, counting
    provider.shutdown()


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def _ctx(**caller: Any) -> RequestContext:
    return RequestContext("fast", "openai", "unit", CallerContext(**caller), latency_ms=5)


SUCCESSES: dict[str, Callable[[], Any]] = {
    # The README's own literal: budget_range as the serde dict.
    "budget_range dict": lambda: RequestSuccessEvent(
        _ctx(account_id="a", budget=10, budget_range={"type": "duration", "seconds": 3600}),
        {"input_tokens": {"total": 7}, "output_tokens": {"total": 3}},  # type: ignore[arg-type]
    ),
    "usage dict": lambda: RequestSuccessEvent(
        _ctx(account_id="a"),
        {"input_tokens": {"total": 7}, "output_tokens": {"total": 3}},  # type: ignore[arg-type]
    ),
    "usage None": lambda: RequestSuccessEvent(_ctx(), None),  # type: ignore[arg-type]
    "ctx dict": lambda: RequestSuccessEvent(
        {"route": "fast", "provider": "openai", "model": "unit", "latency_ms": 5}  # type: ignore[arg-type]
    ),
}


@pytest.mark.parametrize("case", list(SUCCESSES))
def test_plain_dict_forms_are_recorded(
    case: str, spans: Any, caplog: pytest.LogCaptureFixture
) -> None:
    provider, exporter, counting = spans
    tracker = SpendTracker()
    observer = OTelObserver(
        provider, settings=TelemetrySettings(cost=PRICES.cost), spend_tracker=tracker
    )
    caplog.set_level(logging.DEBUG)
    for _ in range(REPEAT):
        observer.record_success(SUCCESSES[case]())
    recorded = exporter.get_finished_spans()
    assert len(recorded) == REPEAT and counting.open_spans == []
    attributes = dict(recorded[-1].attributes)
    assert recorded[-1].status.status_code is StatusCode.UNSET
    if case == "budget_range dict":
        assert attributes["llm_router.budget.range.type"] == "duration"
        assert attributes["llm_router.budget.range.seconds"] == 3600
        assert attributes["llm_router.budget.spent.micro_usd"] == 7 * REPEAT
    if case in ("budget_range dict", "usage dict"):
        assert attributes["gen_ai.usage.input_tokens"] == 7
        assert attributes["gen_ai.usage.output_tokens"] == 3
    if case == "usage None":
        assert "gen_ai.usage.input_tokens" not in attributes
    assert _warnings(caplog) == []  # accepted forms are no misuse


@pytest.mark.parametrize(
    "error",
    [ValueError("upstream said no"), "a plain message", None, Transport("openai", "reset")],
    ids=["ValueError", "str", "None", "RouterError(control)"],
)
def test_failures_with_foreign_errors_are_recorded(
    error: Any, spans: Any, caplog: pytest.LogCaptureFixture
) -> None:
    provider, exporter, counting = spans
    observer = OTelObserver(provider)
    caplog.set_level(logging.DEBUG)
    for _ in range(REPEAT):
        observer.record_failure(RequestFailureEvent(_ctx(), error))
    recorded = exporter.get_finished_spans()
    assert len(recorded) == REPEAT and counting.open_spans == []
    span = recorded[-1]
    assert span.status.status_code is StatusCode.ERROR
    expected = {ValueError: "ValueError", Transport: "transport"}.get(type(error), "_OTHER")
    assert span.attributes["error.type"] == expected
    warnings = _warnings(caplog)
    if isinstance(error, Transport):
        assert warnings == []
    else:
        assert len(warnings) == 1 and "not a RouterError" in warnings[0]


BAD: dict[str, Callable[[], Any]] = {
    "budget_range of unknown type": lambda: RequestSuccessEvent(
        _ctx(account_id="a", budget_range={"type": "weeks", "count": 2})
    ),
    "token count as a string": lambda: RequestSuccessEvent(
        _ctx(),
        {"input_tokens": {"total": "12"}, "output_tokens": {"total": 3}},  # type: ignore[arg-type]
    ),
    "latency as a string": lambda: RequestSuccessEvent(
        RequestContext("fast", "openai", "unit", latency_ms="5")  # type: ignore[arg-type]
    ),
    "usage of a wrong type": lambda: RequestSuccessEvent(_ctx(), usage=42),  # type: ignore[arg-type]
    "ctx of a wrong type": lambda: RequestSuccessEvent(ctx=None),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", list(BAD))
def test_wrong_values_give_a_span_and_one_warning(
    case: str, spans: Any, caplog: pytest.LogCaptureFixture
) -> None:
    provider, exporter, counting = spans
    observer = OTelObserver(provider)
    caplog.set_level(logging.DEBUG)
    for _ in range(REPEAT):
        observer.record_success(BAD[case]())  # never raises
    assert len(exporter.get_finished_spans()) == REPEAT
    assert counting.open_spans == []
    assert len(_warnings(caplog)) == 1


def test_track_spend_without_prices_warns_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_TRACK_SPEND", "true")
    monkeypatch.delenv("OTEL_PYTHON_LLM_ROUTER_PRICING_FILE", raising=False)
    # No file, and the price database (installed with the test extras) left out: nothing prices.
    monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_PRICING", "file")
    caplog.set_level(logging.DEBUG)
    for _ in range(REPEAT):
        OTelObserver(TracerProvider())
    (warning,) = _warnings(caplog)
    assert "OTEL_PYTHON_LLM_ROUTER_TRACK_SPEND" in warning and "PRICING" in warning


def test_track_spend_with_the_price_database_does_not_warn(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if sys.version_info < (3, 11):
        pytest.skip("genai-prices (the 'prices' extra) needs Python >= 3.11")
    monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_TRACK_SPEND", "true")
    monkeypatch.delenv("OTEL_PYTHON_LLM_ROUTER_PRICING_FILE", raising=False)
    monkeypatch.delenv("OTEL_PYTHON_LLM_ROUTER_PRICING", raising=False)
    caplog.set_level(logging.DEBUG)
    OTelObserver(TracerProvider())
    assert _warnings(caplog) == []


def test_recorder_reports_foreign_events_once(spans: Any, caplog: pytest.LogCaptureFixture) -> None:
    provider, _, counting = spans
    recorder = ForwardEventRecorder(provider)
    caplog.set_level(logging.DEBUG)
    for _ in range(REPEAT):
        recorder.record({"RequestStarted": {}})  # type: ignore[arg-type]
    assert recorder.ignored_events == REPEAT
    assert len(_warnings(caplog)) == 1
    assert counting.started == 0
