"""Self-test of the OTLP receiver: real SDK exporters, both protocols, decoded back to values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

if TYPE_CHECKING:
    from tests.support.otlp_receiver import OTLPReceiver

pytest_plugins = ["tests.support.otlp_receiver"]


def _exporters(protocol: str, endpoint: str) -> tuple[Any, Any]:
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return (
            OTLPSpanExporter(endpoint=endpoint, insecure=True),
            OTLPMetricExporter(endpoint=endpoint, insecure=True),
        )
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return (
        OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"),
        OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics"),
    )


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_receiver_decodes_spans_and_metrics(otlp_receiver: OTLPReceiver, protocol: str) -> None:
    span_exporter, metric_exporter = _exporters(protocol, otlp_receiver.endpoint(protocol))
    resource = Resource.create({"service.name": "receiver-self-test"})

    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    tracer = tracer_provider.get_tracer("self-test-scope", "1.2.3")
    attributes = {"s": "x", "i": 3, "f": 0.5, "b": True}
    with tracer.start_as_current_span("parent", kind=SpanKind.SERVER):
        child = tracer.start_span("chat m", kind=SpanKind.CLIENT, attributes=attributes)
        child.set_attribute("arr", ["stop", "length"])
        child.add_event("evt", {"k": 1})
        child.set_status(Status(StatusCode.ERROR, "boom"))
        child.end()

    reader = PeriodicExportingMetricReader(metric_exporter, export_interval_millis=60_000)
    meter_provider = MeterProvider(
        resource=resource,
        metric_readers=[reader],
        views=[
            View(
                instrument_name="h",
                aggregation=ExplicitBucketHistogramAggregation((0.1, 1.0)),
            )
        ],
    )
    meter = meter_provider.get_meter("self-test-scope")
    meter.create_histogram("h", unit="s").record(0.5, {"a": "b"})
    meter.create_counter("c", unit="{token}").add(7, {"t": "input"})
    meter_provider.force_flush()

    spans = otlp_receiver.wait_for_spans(lambda s: len(s) == 2)
    child_span = next(s for s in spans if s.name == "chat m")
    parent_span = next(s for s in spans if s.name == "parent")
    assert child_span.protocol == protocol
    assert child_span.kind == "CLIENT" and parent_span.kind == "SERVER"
    assert child_span.parent_span_id == parent_span.span_id
    assert parent_span.parent_span_id is None
    assert child_span.trace_id == parent_span.trace_id and len(child_span.trace_id) == 32
    assert child_span.attributes == {
        "s": "x",
        "i": 3,
        "f": 0.5,
        "b": True,
        "arr": ("stop", "length"),
    }
    assert child_span.events[0].name == "evt" and child_span.events[0].attributes == {"k": 1}
    assert (child_span.status_code, child_span.status_message) == ("ERROR", "boom")
    assert child_span.resource["service.name"] == "receiver-self-test"
    assert (child_span.scope_name, child_span.scope_version) == ("self-test-scope", "1.2.3")

    otlp_receiver.wait_for_metrics(lambda m: {"h", "c"} <= {x.name for x in m})
    latest = otlp_receiver.latest_metrics()
    histogram, counter = latest["h"], latest["c"]
    assert (histogram.kind, histogram.unit, histogram.temporality) == (
        "histogram",
        "s",
        "CUMULATIVE",
    )
    (point,) = histogram.points
    assert point.explicit_bounds == (0.1, 1.0)
    assert point.bucket_counts == (0, 1, 0)
    assert (point.count, point.sum, point.attributes) == (1, 0.5, {"a": "b"})
    assert (counter.kind, counter.unit, counter.is_monotonic) == ("sum", "{token}", True)
    assert counter.points[0].value == 7 and counter.points[0].attributes == {"t": "input"}

    tracer_provider.shutdown()
    meter_provider.shutdown()


def test_wait_for_spans_times_out_with_what_arrived(otlp_receiver: OTLPReceiver) -> None:
    with pytest.raises(TimeoutError, match="not met"):
        otlp_receiver.wait_for_spans(lambda s: len(s) > 0, timeout=0.3)
