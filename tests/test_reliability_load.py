"""Load and leaks: many calls at once keep their own spans, and nothing is left behind.

- 1,000 concurrent async streaming calls (OpenAI chat format) and 200 threads of sync streaming
  calls (Anthropic Messages format) against a real provider process
  (:mod:`tests.support.async_provider`) that holds every stream open until all of them are:
  each span's parent is the caller's own span in its own task or thread, its usage and response
  id are the ones the server derived from *that* request's number (cross-talk would show), its
  timing is inside its own lifetime, no span is left open (a processor counts starts and ends),
  and the caller's context is the same object after the call as before.
- 10,000 abandoned streams (dropped unread, dropped mid-way, broken out of): every span ends,
  none of our objects stays alive, and the process memory is back to its level after warm-up
  within a small bound.
- ``ForwardEventRecorder`` under a flood of starts that never complete keeps its open-request
  table within its configured bound (from one thread and from several).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Iterator

import httpx2
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from opentelemetry import context, trace
from opentelemetry.instrumentation.llm_router import (
    EventMeta,
    ForwardEventRecorder,
    LLMRouterInstrumentor,
    RequestStarted,
)
from opentelemetry.instrumentation.llm_router._clients._observation import ResponseObservation
from opentelemetry.instrumentation.llm_router._genai import _attributes as A
from opentelemetry.instrumentation.llm_router._genai._telemetry import SCOPE_NAME, GenAICall
from tests.support.async_provider import AsyncProvider, response_id_for, usage_for
from tests.support.span_audit import CountingSpanProcessor

ASYNC_CALLS = 1000
THREADS = 200
ABANDONED = 10_000
WARM_UP = 1_000
RSS_BOUND_BYTES = 8 * 1024 * 1024
FLOOD = 20_000
MAX_OPEN = 500


@pytest.fixture(scope="module")
def provider() -> Iterator[AsyncProvider]:
    with AsyncProvider() as provider:
        yield provider


@pytest.fixture
def counter(tracer_provider: TracerProvider) -> CountingSpanProcessor:
    processor = CountingSpanProcessor()
    tracer_provider.add_span_processor(processor)
    return processor


def _chat_body(number: int) -> bytes:
    return json.dumps(
        {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": f"hello from caller-{number}"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    ).encode()


def _messages_body(number: int) -> bytes:
    return json.dumps(
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": f"hello from caller-{number}"}],
            "stream": True,
        }
    ).encode()


def _check_spans(span_exporter: Any, callers: dict[int, Any], family: str, calls: int) -> None:
    ours = [
        s for s in span_exporter.get_finished_spans() if s.instrumentation_scope.name == SCOPE_NAME
    ]
    assert len(ours) == calls
    by_id = {response_id_for(family, n): n for n in range(calls)}
    seen = set()
    for span in ours:
        number = by_id[span.attributes[A.GEN_AI_RESPONSE_ID]]
        seen.add(number)
        parent = callers[number]
        assert span.parent is not None and span.parent.span_id == parent.span_id, number
        assert span.context.trace_id == parent.trace_id, number
        n_in, n_out = usage_for(number)
        assert span.attributes[A.GEN_AI_USAGE_INPUT_TOKENS] == n_in, number
        assert span.attributes[A.GEN_AI_USAGE_OUTPUT_TOKENS] == n_out, number
        ttfc = span.attributes[A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]
        assert 0 < ttfc <= (span.end_time - span.start_time) / 1e9, number
        assert span.status.status_code.name == "UNSET"
    assert seen == set(range(calls))


def test_1000_concurrent_async_streams(
    provider: AsyncProvider,
    instrument: Any,
    tracer_provider: TracerProvider,
    span_exporter: Any,
    counter: CountingSpanProcessor,
) -> None:
    instrument(f"{provider.host_port}=openai")
    provider.reset()
    tracer = tracer_provider.get_tracer("caller")
    callers: dict[int, Any] = {}
    url = provider.url + "/v1/chat/completions"
    hold = {"x-hold": str(ASYNC_CALLS)}

    async def one(client: httpx2.AsyncClient, number: int) -> int:
        with tracer.start_as_current_span(f"caller-{number}") as parent:
            before = context.get_current()
            async with client.stream("POST", url, content=_chat_body(number), headers=hold) as r:
                data = b"".join([chunk async for chunk in r.aiter_bytes()])
            assert context.get_current() is before
            assert trace.get_current_span() is parent
            callers[number] = parent.get_span_context()
            return len(data)

    async def run() -> list[int]:
        limits = httpx2.Limits(max_connections=None, max_keepalive_connections=ASYNC_CALLS)
        async with httpx2.AsyncClient(limits=limits, timeout=60) as client:
            outside = context.get_current()
            sizes = await asyncio.gather(*(one(client, n) for n in range(ASYNC_CALLS)))
            assert context.get_current() is outside
            return sizes

    sizes = asyncio.run(run())
    assert all(sizes)
    stats = provider.stats()
    assert stats["served"] == ASYNC_CALLS
    assert stats["peak"] == ASYNC_CALLS, stats  # all of them were open at the same time
    _check_spans(span_exporter, callers, "openai_chat", ASYNC_CALLS)
    assert counter.started == counter.ended == 2 * ASYNC_CALLS
    assert counter.open_spans == [] and counter.double_ends == 0


def test_200_threads_of_sync_streams(
    provider: AsyncProvider,
    instrument: Any,
    tracer_provider: TracerProvider,
    span_exporter: Any,
    counter: CountingSpanProcessor,
) -> None:
    instrument(f"{provider.host_port}=anthropic")
    provider.reset()
    tracer = tracer_provider.get_tracer("caller")
    callers: dict[int, Any] = {}
    url = provider.url + "/v1/messages"
    hold = {"x-hold": str(THREADS)}
    client = httpx2.Client(limits=httpx2.Limits(max_connections=None), timeout=60)

    def one(number: int) -> int:
        outside = context.get_current()
        with tracer.start_as_current_span(f"caller-{number}") as parent:
            before = context.get_current()
            with client.stream("POST", url, content=_messages_body(number), headers=hold) as r:
                size = sum(len(line) for line in r.iter_lines())
            assert context.get_current() is before
            assert trace.get_current_span() is parent
            callers[number] = parent.get_span_context()
        assert context.get_current() is outside
        return size

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        sizes = list(pool.map(one, range(THREADS)))
    client.close()
    assert all(sizes)
    stats = provider.stats()
    assert stats["served"] == THREADS
    assert stats["peak"] == THREADS, stats
    _check_spans(span_exporter, callers, "anthropic_messages", THREADS)
    assert counter.started == counter.ended == 2 * THREADS
    assert counter.open_spans == [] and counter.double_ends == 0


# ---------------------------------------------------------------------------------------------
# Abandoned streams


def _rss() -> int:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _live(*kinds: type) -> int:
    return sum(1 for obj in gc.get_objects() if isinstance(obj, kinds))


def _abandon(client: httpx2.Client, url: str, number: int) -> None:
    request = client.build_request("POST", url, content=_chat_body(number))
    response = client.send(request, stream=True)
    way = number % 3
    if way == 1:  # read one chunk, then drop the iterator and the response
        iterator = response.iter_raw()
        next(iterator)
        del iterator
    elif way == 2:  # break out of a loop over lines
        for _ in response.iter_lines():
            break
    # way == 0: never read at all


def _abandon_many(url: str, count: int, start: int) -> None:
    # An unread, unclosed response keeps its pool connection (plain httpx does this too), so
    # each client abandons a batch and is then closed.
    batch = 100
    for first in range(start, start + count, batch):
        client = httpx2.Client(timeout=30)
        for number in range(first, min(first + batch, start + count)):
            _abandon(client, url, number)
        client.close()


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="RSS read from /proc")
def test_10000_abandoned_streams(provider: AsyncProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only a counting processor: an in-memory exporter would itself grow with every span.
    tracer_provider = TracerProvider()
    counter = CountingSpanProcessor(track_double_ends=False)
    tracer_provider.add_span_processor(counter)
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", f"{provider.host_port}=openai")
    instrumentor = LLMRouterInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    url = provider.url + "/v1/chat/completions"
    try:
        _abandon_many(url, WARM_UP, 0)
        gc.collect()
        assert counter.started == counter.ended == WARM_UP
        baseline = _rss()
        _abandon_many(url, ABANDONED, WARM_UP)
        gc.collect()
        grown = _rss() - baseline
    finally:
        instrumentor.uninstrument()
    assert counter.started == counter.ended == WARM_UP + ABANDONED
    assert counter.open_spans == []
    assert _live(ResponseObservation, GenAICall) == 0
    assert grown < RSS_BOUND_BYTES, f"RSS grew by {grown / 1e6:.1f} MB over {ABANDONED} streams"
    print(f"abandoned {ABANDONED} streams: RSS {grown / 1e6:+.2f} MB after warm-up")
    tracer_provider.shutdown()
    meter_provider.shutdown()


# ---------------------------------------------------------------------------------------------
# ForwardEventRecorder under a flood of starts


def _started(request_id: str) -> RequestStarted:
    return RequestStarted(
        meta=EventMeta(str(uuid.uuid4()), datetime.now(timezone.utc)),
        request_id=request_id,
        endpoint="openai.chat_completions",
        model="gpt-5-mini",
        is_stream=True,
    )


def test_recorder_open_table_stays_bounded(
    tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> None:
    counter = CountingSpanProcessor(track_double_ends=False)
    tracer_provider.add_span_processor(counter)
    recorder = ForwardEventRecorder(tracer_provider, meter_provider, max_open=MAX_OPEN)
    peak = 0
    for number in range(FLOOD):
        recorder.record(_started(f"req-{number}"))
        peak = max(peak, recorder.open_count)
    assert peak == MAX_OPEN
    assert recorder.spans_started == FLOOD
    assert recorder.spans_ended == FLOOD - MAX_OPEN == counter.ended
    assert recorder.close() == MAX_OPEN
    assert counter.started == counter.ended == FLOOD and counter.open_spans == []


def test_recorder_open_table_bounded_across_threads(
    tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> None:
    counter = CountingSpanProcessor(track_double_ends=False)
    tracer_provider.add_span_processor(counter)
    recorder = ForwardEventRecorder(tracer_provider, meter_provider, max_open=MAX_OPEN)
    peaks: list[int] = []
    per_thread = FLOOD // 5

    def flood(thread: int) -> None:
        peak = 0
        for number in range(per_thread):
            recorder.record(_started(f"t{thread}-{number}"))
            peak = max(peak, recorder.open_count)
        peaks.append(peak)

    threads = [threading.Thread(target=flood, args=(t,)) for t in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(peaks) <= MAX_OPEN
    assert recorder.open_count == MAX_OPEN
    assert recorder.spans_started == 5 * per_thread
    recorder.close()
    assert counter.started == counter.ended == 5 * per_thread
