"""A session-wide conformance check of everything our instrumentation emits in the test suite.

The shared ``tracer_provider`` / ``meter_provider`` / ``logger_provider`` fixtures (conftest) hand
every finished span of our instrumentation scope, every metric point read before a meter provider
shuts down and every log record to :data:`COLLECTOR`, which checks it at once against the
conventions (:mod:`tests.support.semconv`) and keeps only counts and the distinct deviations, so a
long load test costs memory for neither. At the end of the session conftest prints the counts and
fails the run if any deviation was seen.

Without wire facts the collector checks what telemetry shows by itself: registry names, types and
well-known values, deprecations, Required attributes, error status against ``error.type``,
``server.port`` with ``server.address``, metric instruments, units, buckets and attribute sets.
``tests/test_semconv_conformance.py`` adds the wire-dependent checks for every source.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Optional

from opentelemetry.context import Context
from opentelemetry.sdk.metrics.export import HistogramDataPoint, MetricsData, NumberDataPoint
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import StatusCode

from tests.support import semconv

SCOPE = "opentelemetry.instrumentation.llm_router"


def span_deviations(
    span: ReadableSpan, wire: Optional[semconv.WireFacts] = None
) -> list[semconv.Deviation]:
    return semconv.check_span(
        span.name,
        span.kind.name,
        dict(span.attributes or {}),
        span.status.status_code is StatusCode.ERROR,
        wire,
        [event.name for event in span.events],
    )


def metric_kind(point: Any) -> str:
    if isinstance(point, HistogramDataPoint):
        return "histogram"
    if isinstance(point, NumberDataPoint):
        return "counter"
    return type(point).__name__


def metrics_deviations(
    data: Optional[MetricsData], wire: Optional[semconv.WireFacts] = None
) -> tuple[int, int, list[semconv.Deviation]]:
    """``(points, attributes, deviations)`` of every point of our scope in ``data``."""
    points = attributes = 0
    out: list[semconv.Deviation] = []
    if data is None:
        return 0, 0, out
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            if scope_metrics.scope.name != SCOPE:
                continue
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    points += 1
                    attributes += len(point.attributes or {})
                    out += semconv.check_metric(
                        metric.name,
                        metric.unit or "",
                        metric_kind(point),
                        getattr(point, "explicit_bounds", None),
                        dict(point.attributes or {}),
                        wire,
                    )
    return points, attributes, out


class ConformanceCollector(SpanProcessor):
    """Checks each finished span of our scope as it ends; metrics and logs are handed in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.spans = 0
        self.points = 0
        self.log_records = 0
        self.attributes = 0
        self.deviations: Counter[str] = Counter()
        self.first_seen: dict[str, str] = {}
        self.current_test = ""
        self.exempt_reason: Optional[str] = None
        """Set while a test marked ``semconv_exempt`` runs: its telemetry is counted, not checked."""
        self.exempted = 0

    def on_start(self, span: Span, parent_context: Optional[Context] = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        scope = span.instrumentation_scope
        if scope is None or scope.name != SCOPE:
            return
        if self.exempt_reason is not None:
            with self._lock:
                self.exempted += 1
            return
        found = span_deviations(span)
        with self._lock:
            self.spans += 1
            self.attributes += len(span.attributes or {})
            self._note(found)

    def add_metrics(self, data: Optional[MetricsData]) -> None:
        if self.exempt_reason is not None:
            return
        points, attributes, found = metrics_deviations(data)
        with self._lock:
            self.points += points
            self.attributes += attributes
            self._note(found)

    def add_log_record(self, record: Any, raised: bool) -> None:
        found = semconv.check_exception_event(
            record.event_name, record.severity_number.value, dict(record.attributes or {}), raised
        )
        with self._lock:
            self.log_records += 1
            self.attributes += len(record.attributes or {})
            self._note(found)

    def _note(self, found: list[semconv.Deviation]) -> None:
        for deviation in found:
            text = str(deviation)
            self.deviations[text] += 1
            self.first_seen.setdefault(text, self.current_test)

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def summary(self) -> str:
        return (
            f"GenAI semconv v1.41.0 conformance (whole session): {self.spans} spans, "
            f"{self.points} metric points, {self.log_records} log events, {self.attributes} "
            f"attributes checked, {len(self.deviations)} distinct deviations"
            f" ({self.exempted} spans of tests marked semconv_exempt not checked)"
        )


COLLECTOR = ConformanceCollector()
