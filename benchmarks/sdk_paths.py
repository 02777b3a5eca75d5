"""One process measuring the in-process sources against their SDK floors, interleaved.

``OTelObserver.record_success`` (one router success event) and ``ForwardEventRecorder.record`` (a
``RequestStarted`` / ``RequestCompleted`` pair, which makes one span) are each timed per call,
alternating in small batches with the bare-SDK floor of the same telemetry, so that machine noise
hits both alike. The HTTP-call floor used for the client configurations is measured here too.

Prints one JSON object on stdout. Run by ``benchmarks.run``; ``python -m benchmarks.sdk_paths
--port N --batches B --batch-size S`` by hand.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
import uuid
from datetime import datetime, timezone
from typing import Callable

from benchmarks.floor import Floor, http_call_floor, observer_floor, recorder_floor
from benchmarks.otel_setup import OTelSDK, install_sdk
from opentelemetry.instrumentation.llm_router import (
    CallerContext,
    EventMeta,
    ForwardEventRecorder,
    InputTokens,
    LanguageModelUsage,
    OTelObserver,
    OutputTokens,
    RequestCompleted,
    RequestContext,
    RequestStarted,
    RequestSuccessEvent,
    TokenUsage,
)


def _meta(ns: int) -> EventMeta:
    return EventMeta(
        event_id=str(uuid.uuid4()),
        occurred_at=datetime.fromtimestamp(ns / 1e9, tz=timezone.utc),
        occurred_at_ns=ns,
    )


def forward_pairs(count: int) -> list[tuple[RequestStarted, RequestCompleted]]:
    """Distinct request ids (the recorder ignores repeats), prepared before any timing."""
    now = time.time_ns()
    pairs = []
    for index in range(count):
        request_id = f"req-{index}"
        started = RequestStarted(
            meta=_meta(now),
            request_id=request_id,
            endpoint="openai.chat_completions",
            model="gpt-4o-mini",
            is_stream=True,
        )
        completed = RequestCompleted(
            meta=_meta(now + 120_000_000),
            request_id=request_id,
            status_code=200,
            status="success",
            usage=TokenUsage(prompt_tokens=12, completion_tokens=3, total_tokens=15),
            latency_ms=120,
            error=None,
        )
        pairs.append((started, completed))
    return pairs


def success_event() -> RequestSuccessEvent:
    ctx = RequestContext(
        route="default",
        provider="openai",
        model="gpt-4o-mini",
        caller=CallerContext(account_id="acct-1"),
        latency_ms=120,
    )
    usage = LanguageModelUsage(InputTokens(total=12), OutputTokens(total=3))
    return RequestSuccessEvent(ctx, usage)


def time_each(operation: Callable[[], None], count: int, into: list[int]) -> None:
    # CPU time, as in the client processes: other processes' use of the core does not count.
    clock = time.process_time_ns
    for _ in range(count):
        start = clock()
        operation()
        into.append(clock() - start)


def median_us(samples: list[int]) -> float:
    return statistics.median(samples) / 1000 if samples else float("nan")


def measure(sdk: OTelSDK, port: int, batches: int, batch_size: int) -> dict[str, object]:
    floors = {
        "http": Floor(http_call_floor(port), sdk.tracer_provider, sdk.meter_provider),
        "observer": Floor(observer_floor(), sdk.tracer_provider, sdk.meter_provider),
        "recorder": Floor(recorder_floor(), sdk.tracer_provider, sdk.meter_provider),
    }
    observer = OTelObserver(sdk.tracer_provider, sdk.meter_provider)
    recorder = ForwardEventRecorder(sdk.tracer_provider, sdk.meter_provider)
    event = success_event()
    pairs = iter(forward_pairs((batches + 1) * batch_size))

    def record_pair() -> None:
        started, completed = next(pairs)
        recorder.record(started)
        recorder.record(completed)

    samples: dict[str, list[int]] = {
        "floor_http": [],
        "floor_observer": [],
        "floor_recorder": [],
        "observer": [],
        "recorder": [],
    }
    # Warm-up: first records create series, caches and code paths.
    for floor in floors.values():
        time_each(floor.record, batch_size, [])
    time_each(lambda: observer.record_success(event), batch_size, [])
    time_each(record_pair, batch_size, [])
    spans_before = sdk.exporter.count
    for _ in range(batches):
        time_each(floors["http"].record, batch_size, samples["floor_http"])
        time_each(floors["observer"].record, batch_size, samples["floor_observer"])
        time_each(lambda: observer.record_success(event), batch_size, samples["observer"])
        time_each(floors["recorder"].record, batch_size, samples["floor_recorder"])
        time_each(record_pair, batch_size, samples["recorder"])
    spans = sdk.exporter.count - spans_before
    expected = 5 * batches * batch_size
    if spans != expected or recorder.spans_ended < batches * batch_size:
        raise SystemExit(f"sdk paths: expected {expected} spans, the exporter saw {spans}")
    return {
        "floor_http_us": median_us(samples["floor_http"]),
        "floor_observer_us": median_us(samples["floor_observer"]),
        "floor_recorder_us": median_us(samples["floor_recorder"]),
        "observer_us": median_us(samples["observer"]),
        "recorder_pair_us": median_us(samples["recorder"]),
        "samples_per_path": batches * batch_size,
        "spans": spans,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    sdk = install_sdk()
    gc.collect()
    result = measure(sdk, args.port, args.batches, args.batch_size)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
