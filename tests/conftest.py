"""Shared fixtures: a real SDK tracer provider and meter provider that keep what they record.

Spans go to an ``InMemorySpanExporter`` through a ``SimpleSpanProcessor`` (exported as each span
ends, so a test can look right after the call); metrics are read on demand by an
``InMemoryMetricReader`` (cumulative, so each read shows everything recorded so far).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.support.semconv_collector import COLLECTOR

try:  # the SDK renamed it; the old name warns
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter as InMemoryLogExporter
except ImportError:  # pragma: no cover - older SDKs
    from opentelemetry.sdk._logs.export import InMemoryLogExporter  # type: ignore[no-redef]

pytest_plugins = [
    "tests.support.fixtures",
    "tests.support.redis_server",
    "tests.support.tested_versions",
]


@pytest.fixture
def span_exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer_provider(span_exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    provider.add_span_processor(COLLECTOR)  # every span of ours is checked against the semconv
    yield provider
    provider.shutdown()


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def meter_provider(metric_reader: InMemoryMetricReader) -> Iterator[MeterProvider]:
    provider = MeterProvider(metric_readers=[metric_reader])
    yield provider
    try:
        COLLECTOR.add_metrics(metric_reader.get_metrics_data())
    except Exception as exc:  # a test that shut its provider down itself
        if "shutdown" not in str(exc).lower():
            raise
    provider.shutdown()


@pytest.fixture
def log_exporter() -> InMemoryLogExporter:
    return InMemoryLogExporter()


@pytest.fixture
def logger_provider(log_exporter: InMemoryLogExporter) -> Iterator[Any]:
    """Log records (the ``gen_ai.client.operation.exception`` events) kept in ``log_exporter``."""
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
    yield provider
    provider.shutdown()


def log_records(log_exporter: InMemoryLogExporter) -> list[Any]:
    """The SDK's log records exported so far (unwrapped from the SDK's export wrapper)."""
    return [
        r.log_record if hasattr(r, "log_record") else r for r in log_exporter.get_finished_logs()
    ]


def exception_events(log_exporter: InMemoryLogExporter) -> list[Any]:
    """The ``gen_ai.client.operation.exception`` records exported so far."""
    return [
        r for r in log_records(log_exporter) if r.event_name == "gen_ai.client.operation.exception"
    ]


def points_by_name(data: MetricsData | None, name: str) -> list[Any]:
    """Every data point of the metric called ``name`` in ``data`` (any resource, any scope)."""
    points: list[Any] = []
    if data is None:
        return points
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name == name:
                    points.extend(metric.data.data_points)
    return points


@pytest.fixture
def metric_points(metric_reader: InMemoryMetricReader) -> Callable[[str], list[Any]]:
    """``metric_points("gen_ai.client.token.usage")`` -> the points recorded so far under it.

    Each call collects afresh from the reader; points carry ``attributes`` (and, for histograms,
    ``count``, ``sum``, ``bucket_counts``, ``explicit_bounds``).
    """

    def read(name: str) -> list[Any]:
        return points_by_name(metric_reader.get_metrics_data(), name)

    return read


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Counts of the session-wide semconv conformance check, and any deviation it saw."""
    terminalreporter.write_line(COLLECTOR.summary())
    for deviation, times in sorted(COLLECTOR.deviations.items()):
        first = COLLECTOR.first_seen.get(deviation, "")
        terminalreporter.write_line(f"  {deviation}  (x{times}, first in {first})", red=True)


def pytest_runtest_setup(item: pytest.Item) -> None:
    COLLECTOR.current_test = item.nodeid
    marker = item.get_closest_marker("semconv_exempt")
    COLLECTOR.exempt_reason = str(marker.args[0]) if marker is not None else None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A deviation from the conventions anywhere in the suite fails the run."""
    if COLLECTOR.deviations and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
