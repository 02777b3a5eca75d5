"""CompositeObserver: one bad observer (raising, hanging, cancelling) never stops the others."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry.instrumentation.llm_router import (
    CallerContext,
    CompositeObserver,
    ObserveCallback,
    OTelObserver,
    RequestContext,
    RequestFailureEvent,
    RequestSuccessEvent,
    Transport,
)

TIMEOUT = 0.2
MARGIN = 0.25  # event-loop and scheduling slack


def _success(i: int = 0) -> RequestSuccessEvent:
    return RequestSuccessEvent(
        RequestContext(f"route-{i}", "openai", "gpt-5-mini", CallerContext(), latency_ms=10)
    )


def _failure(i: int = 0) -> RequestFailureEvent:
    return RequestFailureEvent(
        RequestContext(f"route-{i}", "openai", "gpt-5-mini", CallerContext(), latency_ms=10),
        Transport("openai", "reset"),
    )


class Normal:
    def __init__(self) -> None:
        self.events: list[Any] = []

    async def on_request_success(self, event: RequestSuccessEvent) -> None:
        self.events.append(event)

    async def on_request_failure(self, event: RequestFailureEvent) -> None:
        self.events.append(event)

    def __repr__(self) -> str:
        return "<Normal>"


class Slow(Normal):
    """Slow but within the timeout: must not be cut off."""

    async def on_request_success(self, event: RequestSuccessEvent) -> None:
        await asyncio.sleep(TIMEOUT / 4)
        self.events.append(event)

    async def on_request_failure(self, event: RequestFailureEvent) -> None:
        await asyncio.sleep(TIMEOUT / 4)
        self.events.append(event)


class Raising:
    async def on_request_success(self, event: RequestSuccessEvent) -> None:
        raise RuntimeError("async observer exploded")

    async def on_request_failure(self, event: RequestFailureEvent) -> None:
        await asyncio.sleep(0)
        raise KeyError("late async failure")

    def __repr__(self) -> str:
        return "<Raising>"


class SyncRaising:
    """Not even a coroutine: raises as soon as it is called."""

    def on_request_success(self, event: RequestSuccessEvent) -> None:
        raise ValueError("sync observer exploded")

    def on_request_failure(self, event: RequestFailureEvent) -> None:
        raise ValueError("sync observer exploded")

    def __repr__(self) -> str:
        return "<SyncRaising>"


class Hanging:
    def __init__(self) -> None:
        self.cancelled = 0

    async def on_request_success(self, event: RequestSuccessEvent) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise

    on_request_failure = on_request_success  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "<Hanging>"


class SelfCancelling:
    async def on_request_success(self, event: RequestSuccessEvent) -> None:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        await asyncio.sleep(0)

    async def on_request_failure(self, event: RequestFailureEvent) -> None:
        raise asyncio.CancelledError

    def __repr__(self) -> str:
        return "<SelfCancelling>"


def _warnings_about(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.WARNING and name in r.getMessage()]


async def test_bad_observers_do_not_stop_or_delay_the_good_ones(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="opentelemetry.instrumentation.llm_router._composite")
    normal, slow, hanging = Normal(), Slow(), Hanging()
    composite = CompositeObserver(
        [Raising(), hanging, SyncRaising(), SelfCancelling(), normal, slow], timeout=TIMEOUT
    )
    assert isinstance(composite, ObserveCallback)

    sent: list[Any] = []
    for i in range(3):
        for event in (_success(i), _failure(i)):
            began = time.monotonic()
            if isinstance(event, RequestSuccessEvent):
                await composite.on_request_success(event)
            else:
                await composite.on_request_failure(event)
            elapsed = time.monotonic() - began
            sent.append(event)
            # The hanging one holds each event up to the timeout, never longer.
            assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + MARGIN, elapsed

    assert normal.events == sent
    assert slow.events == sent
    await asyncio.sleep(0)  # let the cancellations land
    assert hanging.cancelled == 6
    assert len(_warnings_about(caplog, "<Raising> failed in on_request_success")) == 3
    assert len(_warnings_about(caplog, "<Raising> failed in on_request_failure")) == 3
    assert len(_warnings_about(caplog, "<SyncRaising> failed")) == 6
    assert len(_warnings_about(caplog, "<SelfCancelling> was cancelled")) == 6
    assert len(_warnings_about(caplog, "<Hanging> did not finish")) == 6
    # One line per failure, naming the error; its traceback only at DEBUG (a router's log is not
    # flooded by an observer it can do nothing about).
    warned = _warnings_about(caplog, "<Raising>")
    assert all(r.exc_info is None for r in warned)
    assert {r.getMessage().rsplit(": ", 2)[1] for r in warned} == {"RuntimeError", "KeyError"}
    traced = [
        r for r in caplog.records if r.levelno == logging.DEBUG and "<Raising>" in r.getMessage()
    ]
    assert {type(r.exc_info[1]) for r in traced} == {RuntimeError, KeyError}  # type: ignore[index]
    assert _warnings_about(caplog, "<Normal>") == []


async def test_without_a_bad_observer_nothing_waits_for_the_timeout() -> None:
    normal = Normal()
    composite = CompositeObserver([normal, Raising(), SyncRaising()], timeout=30)
    began = time.monotonic()
    await composite.on_request_success(_success())
    assert time.monotonic() - began < 1
    assert len(normal.events) == 1


async def test_otel_observer_inside_a_composite_still_records(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    composite = CompositeObserver(
        [Hanging(), OTelObserver(tracer_provider, meter_provider), Raising()], timeout=TIMEOUT
    )
    await composite.on_request_success(_success())
    await composite.on_request_failure(_failure())
    ok, failed = span_exporter.get_finished_spans()
    assert "error.type" not in ok.attributes
    assert failed.attributes["error.type"] == "transport"


async def test_composites_nest() -> None:
    inner_normal = Normal()
    inner = CompositeObserver([inner_normal, Raising()], timeout=TIMEOUT)
    outer = CompositeObserver([inner, SyncRaising()], timeout=TIMEOUT)
    await outer.on_request_success(_success())
    assert len(inner_normal.events) == 1


class Stubborn:
    """Ignores its cancellation, then fails: the failure is still retrieved and logged."""

    def __init__(self) -> None:
        self.done = asyncio.Event()

    async def on_request_success(self, event: RequestSuccessEvent) -> None:
        try:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                await asyncio.sleep(0.05)
            raise RuntimeError("failed after the timeout")
        finally:
            self.done.set()

    def __repr__(self) -> str:
        return "<Stubborn>"


async def test_an_observer_that_ignores_cancellation_is_logged_not_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    stubborn = Stubborn()
    began = time.monotonic()
    await CompositeObserver([stubborn], timeout=TIMEOUT).on_request_success(_success())
    assert time.monotonic() - began < TIMEOUT + MARGIN
    await asyncio.wait_for(stubborn.done.wait(), 5)
    await asyncio.sleep(0.01)
    gc.collect()
    assert len(_warnings_about(caplog, "<Stubborn> failed in on_request_success after")) == 1
    assert not any("never retrieved" in r.getMessage() for r in caplog.records)


async def test_timeout_none_waits_for_slow_observers() -> None:
    slow = Slow()
    await CompositeObserver([slow], timeout=None).on_request_failure(_failure())
    assert len(slow.events) == 1


async def test_cancelling_the_composite_cancels_its_observers() -> None:
    hanging = Hanging()
    task = asyncio.ensure_future(CompositeObserver([hanging]).on_request_success(_success()))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert hanging.cancelled == 1


@pytest.mark.parametrize("timeout", [0, -1.0])
def test_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        CompositeObserver([], timeout=timeout)


async def test_no_observers_is_fine() -> None:
    await CompositeObserver([]).on_request_success(_success())
