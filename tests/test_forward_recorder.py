"""ForwardEventRecorder: exact timing, trace ids, duplicates and the bounded table of open requests."""

from __future__ import annotations

import gc
import os
import threading
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from opentelemetry.instrumentation.llm_router import (
    EventMeta,
    ForwardEventRecorder,
    RequestCompleted,
    RequestStarted,
    TokenUsage,
)
from opentelemetry.instrumentation.llm_router._forward_recorder import (
    endpoint_provider_and_operation,
)

DURATION = "gen_ai.client.operation.duration"
TOKENS = "gen_ai.client.token.usage"
T0 = 1_777_889_730_123_456_789  # 2026-05-04T10:15:30.123456789Z
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _meta(ns: int, trace_id: str | None = None) -> EventMeta:
    return EventMeta(
        f"evt-{ns}", _EPOCH + timedelta(microseconds=ns // 1000), trace_id, occurred_at_ns=ns
    )


def _started(
    request_id: str = "r1",
    at: int = T0,
    endpoint: str = "openai.chat_completions",
    model: str = "gpt-5-mini",
    stream: bool = True,
    trace_id: str | None = None,
) -> RequestStarted:
    return RequestStarted(_meta(at, trace_id), request_id, endpoint, model, stream)


def _completed(
    request_id: str = "r1",
    at: int = T0 + 500_000_000,
    latency_ms: int = 500,
    usage: TokenUsage | None = TokenUsage(50, 100, 150),  # noqa: B008
    trace_id: str | None = None,
) -> RequestCompleted:
    return RequestCompleted(
        _meta(at, trace_id), request_id, 200, "success", usage, latency_ms, None
    )


@pytest.fixture
def recorder(
    tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> ForwardEventRecorder:
    return ForwardEventRecorder(tracer_provider, meter_provider)


def test_span_times_are_the_occurred_at_of_both_events(
    recorder: ForwardEventRecorder,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    recorder.record(_started())
    assert recorder.open_count == 1
    assert span_exporter.get_finished_spans() == ()
    recorder.record(_completed(at=T0 + 523_000_001))
    assert recorder.open_count == 0

    (span,) = span_exporter.get_finished_spans()
    assert span.start_time == T0
    assert span.end_time == T0 + 523_000_001
    assert span.name == "chat gpt-5-mini"
    assert span.attributes["gen_ai.provider.name"] == "openai"
    assert span.attributes["gen_ai.request.stream"] is True
    assert span.attributes["llm_router.endpoint"] == "openai.chat_completions"
    assert span.attributes["llm_router.request.id"] == "r1"
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes["gen_ai.usage.input_tokens"] == 50
    assert span.attributes["gen_ai.usage.output_tokens"] == 100
    (duration,) = metric_points(DURATION)
    assert duration.sum == pytest.approx(0.523000001)


def test_non_streaming_request_has_no_stream_attribute(
    recorder: ForwardEventRecorder, span_exporter: InMemorySpanExporter
) -> None:
    recorder.record(_started(stream=False))
    recorder.record(_completed())
    (span,) = span_exporter.get_finished_spans()
    assert "gen_ai.request.stream" not in span.attributes


def test_completion_without_start_spans_its_latency(
    recorder: ForwardEventRecorder,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    recorder.record(_completed("orphan", at=T0, latency_ms=1234))
    (span,) = span_exporter.get_finished_spans()
    assert span.end_time == T0
    assert span.start_time == T0 - 1_234_000_000
    assert span.attributes["llm_router.request.id"] == "orphan"
    assert span.attributes["gen_ai.usage.input_tokens"] == 50
    (duration,) = metric_points(DURATION)
    assert duration.sum == pytest.approx(1.234)


def test_completion_before_its_start_time_gives_an_empty_not_negative_span(
    recorder: ForwardEventRecorder, span_exporter: InMemorySpanExporter
) -> None:
    recorder.record(_started(at=T0))
    recorder.record(_completed(at=T0 - 5_000_000))  # clocks of two hosts disagree
    (span,) = span_exporter.get_finished_spans()
    assert span.end_time == span.start_time == T0


def test_trace_id_from_meta_puts_the_span_in_that_trace(
    recorder: ForwardEventRecorder, span_exporter: InMemorySpanExporter
) -> None:
    recorder.record(_started("a", trace_id=TRACE_ID))
    recorder.record(_completed("a"))
    recorder.record(_completed("b", trace_id=TRACE_ID))  # orphan completions too
    for span in span_exporter.get_finished_spans():
        assert span.context.trace_id == int(TRACE_ID, 16)
        assert span.parent is not None and span.parent.is_remote
        assert span.context.trace_flags.sampled


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "0" * 32,
        TRACE_ID[:-1],
        TRACE_ID + "0",
        "0x" + TRACE_ID[2:],
        "+" + TRACE_ID[1:],
        " " + TRACE_ID[1:],
        TRACE_ID[:4] + "_" + TRACE_ID[5:],
        TRACE_ID.upper(),
        "g" * 32,
        "4bf92f35-77b3-4da6-a3ce-929d0e0e4736",
    ],
)
def test_invalid_trace_ids_are_ignored(
    bad: str, recorder: ForwardEventRecorder, span_exporter: InMemorySpanExporter
) -> None:
    recorder.record(_started(trace_id=bad))
    recorder.record(_completed())
    (span,) = span_exporter.get_finished_spans()
    assert span.parent is None
    assert span.context.trace_id != int(TRACE_ID, 16)
    assert span.context.trace_id != 0


def test_duplicates_and_late_events_are_not_counted_twice(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    clock = [0.0]
    recorder = ForwardEventRecorder(
        tracer_provider, meter_provider, max_age_s=60, clock=lambda: clock[0]
    )
    # Duplicate start, then duplicate completion.
    recorder.record(_started("dup"))
    recorder.record(_started("dup"))
    assert recorder.open_count == 1
    recorder.record(_completed("dup"))
    recorder.record(_completed("dup"))
    recorder.record(_started("dup"))  # a start after its completion
    # A start that expires, then its late completion.
    recorder.record(_started("late"))
    clock[0] = 61.0
    assert recorder.expire() == 1
    recorder.record(_completed("late"))

    spans = span_exporter.get_finished_spans()
    assert [s.attributes["llm_router.request.id"] for s in spans] == ["dup", "late"]
    assert spans[1].attributes["error.type"] == "incomplete"
    assert recorder.ignored_events == 4
    assert recorder.open_count == 0
    points = metric_points(DURATION)
    assert sum(p.count for p in points) == 2
    assert {p.attributes.get("error.type"): p.count for p in points} == {None: 1, "incomplete": 1}
    tokens = metric_points(TOKENS)
    assert sorted((p.attributes["gen_ai.token.type"], p.count, p.sum) for p in tokens) == [
        ("input", 1, 50),
        ("output", 1, 100),
    ]


def test_age_expiry_with_a_controlled_clock(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    clock = [1000.0]
    recorder = ForwardEventRecorder(
        tracer_provider, meter_provider, max_age_s=30, clock=lambda: clock[0]
    )
    recorder.record(_started("old-1"))
    recorder.record(_started("old-2"))
    clock[0] += 20
    recorder.record(_started("young"))
    clock[0] += 10.5  # old-* are 30.5 s old, young 10.5 s
    # Any event triggers expiry; no explicit call needed.
    recorder.record(_completed("young"))
    assert recorder.open_count == 0
    spans = {s.attributes["llm_router.request.id"]: s for s in span_exporter.get_finished_spans()}
    assert set(spans) == {"old-1", "old-2", "young"}
    for name in ("old-1", "old-2"):
        assert spans[name].attributes["error.type"] == "incomplete"
        assert spans[name].status.status_code is StatusCode.ERROR
        assert "30" in spans[name].status.description
    assert "error.type" not in spans["young"].attributes
    assert recorder.expired == 2


def test_incomplete_span_never_ends_before_it_started(
    recorder: ForwardEventRecorder, span_exporter: InMemorySpanExporter
) -> None:
    future = time.time_ns() + 3600 * 10**9  # the router's clock runs an hour ahead
    recorder.record(_started("ahead", at=future))
    recorder.close()
    (span,) = span_exporter.get_finished_spans()
    assert span.end_time == span.start_time == future


def test_close_ends_open_requests_as_incomplete(
    recorder: ForwardEventRecorder, span_exporter: InMemorySpanExporter
) -> None:
    for i in range(3):
        recorder.record(_started(f"open-{i}"))
    assert recorder.close() == 3
    assert recorder.open_count == 0
    spans = span_exporter.get_finished_spans()
    assert [s.attributes["error.type"] for s in spans] == ["incomplete"] * 3
    assert recorder.close() == 0


@pytest.mark.parametrize(
    ("endpoint", "provider", "operation"),
    [
        ("openai.chat_completions", "openai", "chat"),
        ("openai.responses", "openai", "chat"),
        ("openai.completions", "openai", "text_completion"),
        ("openai.embeddings", "openai", "embeddings"),
        ("anthropic.messages", "anthropic", "chat"),
        ("gemini.generate_content", "gcp.gemini", "generate_content"),
        ("gemini.streamGenerateContent", "gcp.gemini", "generate_content"),
        ("bedrock.converse", "aws.bedrock", "chat"),
        ("mistral.chat", "mistral_ai", "chat"),
        ("acme", "acme", "chat"),
        ("", "unknown", "chat"),
    ],
)
def test_endpoint_names_provider_and_operation(
    endpoint: str, provider: str, operation: str
) -> None:
    assert endpoint_provider_and_operation(endpoint) == (provider, operation)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_open"):
        ForwardEventRecorder(max_open=0)
    with pytest.raises(ValueError, match="max_age_s"):
        ForwardEventRecorder(max_age_s=0)


def test_record_never_raises(recorder: ForwardEventRecorder) -> None:
    recorder.record("not an event")  # type: ignore[arg-type]
    recorder.record(None)  # type: ignore[arg-type]
    recorder.record(RequestStarted(None, "x", "openai.chat", "m", False))  # type: ignore[arg-type]
    assert recorder.ignored_events == 2


def test_recorder_can_be_fed_from_several_threads(
    recorder: ForwardEventRecorder,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    def feed(worker: int) -> None:
        for i in range(200):
            recorder.record(_started(f"{worker}-{i}"))
            recorder.record(_completed(f"{worker}-{i}"))

    threads = [threading.Thread(target=feed, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(span_exporter.get_finished_spans()) == 800
    assert metric_points(DURATION)[0].count == 800
    assert recorder.open_count == 0


# --------------------------------------------------------------------------------------------
# The bounded table under a router that never completes anything.


class _CountingProcessor(SpanProcessor):
    """Counts ended spans by ``error.type`` and keeps none of them (memory stays ours to measure)."""

    def __init__(self) -> None:
        self.ended = 0
        self.by_error_type: dict[Any, int] = {}

    def on_end(self, span: ReadableSpan) -> None:
        self.ended += 1
        key = span.attributes.get("error.type")
        self.by_error_type[key] = self.by_error_type.get(key, 0) + 1


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_100k_started_never_completed_stays_bounded(
    meter_provider: MeterProvider, metric_points: Callable[[str], list[Any]]
) -> None:
    """Precise allocation tracing over 17k events (tracemalloc triples the cost of each), then
    resident memory over the whole 100k: keeping every span would cost ~2 KB each (200 MB)."""
    total, bound, traced = 100_000, 1000, 20_000
    counter = _CountingProcessor()
    provider = TracerProvider()
    provider.add_span_processor(counter)
    recorder = ForwardEventRecorder(provider, meter_provider, max_open=bound)
    events = iter([_started(f"req-{i:06d}", at=T0 + i * 1000) for i in range(total)])
    peak_open = 0

    def feed(count: int) -> None:
        nonlocal peak_open
        for _ in range(count):
            recorder.record(next(events))
            peak_open = max(peak_open, recorder.open_count)

    # CPU time, not wall time: a guard against quadratic work that a loaded machine cannot trip
    # (wall time was 86.8 s with ten processes on two cores).
    began = time.process_time()
    feed(3 * bound)  # table full, bookkeeping warmed up
    gc.collect()
    rss_before = _rss_bytes()
    tracemalloc.start()
    try:
        # Replace the whole table under tracing first, so both readings count the open spans.
        feed(3 * bound)
        gc.collect()
        baseline, _ = tracemalloc.get_traced_memory()
        feed(traced - 3 * bound)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    feed(total - 3 * bound - traced)
    gc.collect()
    rss_growth = _rss_bytes() - rss_before
    elapsed = time.process_time() - began

    assert peak_open == recorder.open_count == bound
    assert counter.ended == total - bound
    assert counter.by_error_type == {"incomplete": total - bound}
    assert recorder.expired == total - bound
    traced_growth = after - baseline
    assert traced_growth < 500_000, f"17k events kept {traced_growth} bytes"
    assert rss_growth < 20_000_000, f"resident memory grew by {rss_growth} bytes"
    (duration,) = metric_points(DURATION)
    assert duration.count == total - bound
    assert duration.attributes["error.type"] == "incomplete"
    assert recorder.close() == bound
    assert counter.ended == total
    assert elapsed < 60, f"took {elapsed:.1f} s of CPU"
    provider.shutdown()
    print(
        f"100k events: {elapsed:.1f}s, traced growth {traced_growth} B, RSS growth {rss_growth} B"
    )
