"""The export-safety check shared by the reliability tests: encode with the real OTLP encoder.

:func:`assert_exportable` takes what an in-memory exporter and reader got, encodes every span
(one at a time, to measure each) and all metrics with ``opentelemetry-exporter-otlp-proto-common``
(what the OTLP exporters use), and checks what the encoder must keep: no attribute dropped, times
within 0 .. 2**63 ns with start <= end, ints within int64, strings UTF-8 clean and bounded, no
span larger than 64 KiB.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry.instrumentation.llm_router._bounds import INT64_MAX, MAX_MESSAGE, MAX_TEXT
from opentelemetry.instrumentation.llm_router._redact import MAX_STACKTRACE

MAX_ENCODED_SPAN = 64 * 1024


def _check_value(where: str, value: Any, limit: int) -> None:
    if isinstance(value, str):
        value.encode("utf-8")  # raises for a lone surrogate
        assert len(value) <= limit, (where, len(value))
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        assert -(2**63) <= value <= INT64_MAX, (where, value)
    elif isinstance(value, (tuple, list)):
        for item in value:
            _check_value(where, item, limit)


_EVENT_LIMITS = {"exception.stacktrace": MAX_STACKTRACE, "exception.message": MAX_MESSAGE}


def assert_exportable(exporter: InMemorySpanExporter, reader: InMemoryMetricReader) -> int:
    """Encode every span and metric with the real OTLP encoder; check what it must keep."""
    spans = exporter.get_finished_spans()
    for span in spans:
        assert 0 <= span.start_time <= span.end_time <= INT64_MAX, span.name
        _check_value("name", span.name, 2 * MAX_TEXT + 1)
        if span.status.description is not None:
            _check_value("status", span.status.description, MAX_MESSAGE)
        for key, value in span.attributes.items():
            _check_value(key, value, MAX_TEXT)
        for event in span.events:
            assert 0 <= event.timestamp <= INT64_MAX
            for key, value in event.attributes.items():
                _check_value(key, value, _EVENT_LIMITS.get(key, MAX_TEXT))
        encoded = encode_spans([span])
        size = len(encoded.SerializeToString())
        assert size <= MAX_ENCODED_SPAN, (span.name[:40], size)
        (decoded,) = encoded.resource_spans[0].scope_spans[0].spans
        assert {kv.key for kv in decoded.attributes} == set(span.attributes)  # none dropped
    metrics = reader.get_metrics_data()
    if metrics is not None:
        request = encode_metrics(metrics)
        request.SerializeToString()
        for resource_metrics in metrics.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    for point in metric.data.data_points:
                        for key, value in point.attributes.items():
                            _check_value(key, value, MAX_TEXT)
    return len(spans)
