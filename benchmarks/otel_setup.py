"""The one OpenTelemetry SDK setup every benchmark process uses, so configurations differ only in
the instrumentation.

Spans go through a ``SimpleSpanProcessor`` to an exporter that counts and discards them: export
cost is then the same tiny constant for every configuration, it runs on the caller's thread (a
batch processor's worker thread would compete for one of the machine's two cores at random moments),
and the count proves that a configuration produced spans at all. Metrics go to an
``InMemoryMetricReader``, which aggregates records exactly as a periodic exporter's reader would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from opentelemetry import metrics, trace


class CountingExporter(SpanExporter):
    """Discards spans, remembering how many there were and how many attributes the last one had."""

    def __init__(self) -> None:
        self.count = 0
        self.last_attribute_count = 0
        self.last_span_name = ""
        self.last_attributes: Any = {}

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.count += len(spans)
        if spans:
            last = spans[-1]
            self.last_attribute_count = len(last.attributes or {})
            self.last_span_name = last.name
            self.last_attributes = last.attributes or {}  # a reference: no copy per export
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


@dataclass
class OTelSDK:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    exporter: CountingExporter
    reader: InMemoryMetricReader

    def metric_points(self) -> dict[str, int]:
        """Metric name -> number of data points (series) recorded so far."""
        data = self.reader.get_metrics_data()
        found: dict[str, int] = {}
        if data is None:
            return found
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    points = list(getattr(metric.data, "data_points", ()))
                    found[metric.name] = found.get(metric.name, 0) + len(points)
        return found


def install_sdk(set_global: bool = True) -> OTelSDK:
    """Build the providers (and make them the global ones, which instrumentors use)."""
    resource = Resource.create({"service.name": "llm-router-benchmark"})
    exporter = CountingExporter()
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    if set_global:
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(meter_provider)
    return OTelSDK(tracer_provider, meter_provider, exporter, reader)
