"""A real OTLP receiver (gRPC and HTTP/protobuf) for tests, started in-process on loopback ports.

Why a receiver of our own instead of an in-memory exporter: the zero-code path is configured only
through ``OTEL_EXPORTER_OTLP_*`` environment variables in a *subprocess*, so the only honest check is
to receive what the real OTLP exporters put on the wire, decode it with ``opentelemetry-proto`` and
look at it. Both protocols are served at once so one receiver covers ``grpc`` and ``http/protobuf``.

Usage::

    with OTLPReceiver() as receiver:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.grpc_endpoint   # or receiver.http_endpoint
        ...
        spans = receiver.wait_for_spans(lambda s: any(x.name == "chat gpt-4o" for x in s))

or, as a fixture: put ``pytest_plugins = ["tests.support.otlp_receiver"]`` in the test module
and take the ``otlp_receiver`` argument (importing the fixture by name trips ruff's F811).
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

import grpc
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

AttributeValue = Any
Attributes = Dict[str, AttributeValue]

_SPAN_KINDS = {
    trace_pb2.Span.SPAN_KIND_UNSPECIFIED: "UNSPECIFIED",
    trace_pb2.Span.SPAN_KIND_INTERNAL: "INTERNAL",
    trace_pb2.Span.SPAN_KIND_SERVER: "SERVER",
    trace_pb2.Span.SPAN_KIND_CLIENT: "CLIENT",
    trace_pb2.Span.SPAN_KIND_PRODUCER: "PRODUCER",
    trace_pb2.Span.SPAN_KIND_CONSUMER: "CONSUMER",
}
_STATUS_CODES = {
    trace_pb2.Status.STATUS_CODE_UNSET: "UNSET",
    trace_pb2.Status.STATUS_CODE_OK: "OK",
    trace_pb2.Status.STATUS_CODE_ERROR: "ERROR",
}
_TEMPORALITIES = {
    metrics_pb2.AGGREGATION_TEMPORALITY_UNSPECIFIED: "UNSPECIFIED",
    metrics_pb2.AGGREGATION_TEMPORALITY_DELTA: "DELTA",
    metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE: "CUMULATIVE",
}


def decode_any_value(value: common_pb2.AnyValue) -> AttributeValue:
    """An OTLP ``AnyValue`` as the Python value the SDK was given (arrays become tuples)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return tuple(decode_any_value(item) for item in value.array_value.values)
    if kind == "kvlist_value":
        return decode_attributes(value.kvlist_value.values)
    return getattr(value, kind)


def decode_attributes(key_values: Any) -> Attributes:
    """A repeated ``KeyValue`` field as a plain dict."""
    return {kv.key: decode_any_value(kv.value) for kv in key_values}


@dataclass(frozen=True)
class ReceivedEvent:
    name: str
    attributes: Attributes


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as received, flattened with its resource and instrumentation scope."""

    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_span_id: Optional[str]
    status_code: str
    status_message: str
    attributes: Attributes
    events: Tuple[ReceivedEvent, ...]
    start_time_unix_nano: int
    end_time_unix_nano: int
    resource: Attributes
    scope_name: str
    scope_version: str
    protocol: str

    @property
    def duration_s(self) -> float:
        return (self.end_time_unix_nano - self.start_time_unix_nano) / 1e9


@dataclass(frozen=True)
class ReceivedPoint:
    """One data point; histogram fields are empty/None for sums and gauges and vice versa."""

    attributes: Attributes
    value: Optional[Union[int, float]] = None
    count: Optional[int] = None
    sum: Optional[float] = None
    bucket_counts: Tuple[int, ...] = ()
    explicit_bounds: Tuple[float, ...] = ()
    min: Optional[float] = None
    max: Optional[float] = None
    time_unix_nano: int = 0


@dataclass(frozen=True)
class ReceivedMetric:
    """One metric from one export request (periodic readers send the same metric repeatedly)."""

    name: str
    unit: str
    description: str
    kind: str  # "sum" | "gauge" | "histogram" | "exponential_histogram" | "summary"
    temporality: Optional[str]
    is_monotonic: Optional[bool]
    points: Tuple[ReceivedPoint, ...]
    resource: Attributes
    scope_name: str
    scope_version: str
    protocol: str


@dataclass
class _Store:
    trace_requests: List[Tuple[str, trace_service_pb2.ExportTraceServiceRequest]] = field(
        default_factory=list
    )
    metric_requests: List[Tuple[str, metrics_service_pb2.ExportMetricsServiceRequest]] = field(
        default_factory=list
    )
    log_requests: List[Tuple[str, logs_service_pb2.ExportLogsServiceRequest]] = field(
        default_factory=list
    )


@dataclass
class ReceivedLogRecord:
    """One log record as received: what a log backend would store."""

    protocol: str
    event_name: str
    attributes: Attributes
    trace_id: str
    span_id: str
    time_unix_nano: int
    severity_number: int
    body: AttributeValue
    resource: Attributes
    scope: str


def _flatten_logs(
    protocol: str, request: logs_service_pb2.ExportLogsServiceRequest
) -> Iterator[ReceivedLogRecord]:
    for resource_logs in request.resource_logs:
        resource = decode_attributes(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                yield ReceivedLogRecord(
                    protocol=protocol,
                    event_name=record.event_name,
                    attributes=decode_attributes(record.attributes),
                    trace_id=record.trace_id.hex(),
                    span_id=record.span_id.hex(),
                    time_unix_nano=record.time_unix_nano,
                    severity_number=record.severity_number,
                    body=decode_any_value(record.body) if record.HasField("body") else None,
                    resource=resource,
                    scope=scope_logs.scope.name,
                )


def _hex(raw: bytes) -> str:
    return raw.hex()


def _flatten_spans(
    protocol: str, request: trace_service_pb2.ExportTraceServiceRequest
) -> Iterator[ReceivedSpan]:
    for resource_spans in request.resource_spans:
        resource = decode_attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield ReceivedSpan(
                    name=span.name,
                    kind=_SPAN_KINDS.get(span.kind, str(span.kind)),
                    trace_id=_hex(span.trace_id),
                    span_id=_hex(span.span_id),
                    parent_span_id=_hex(span.parent_span_id) if span.parent_span_id else None,
                    status_code=_STATUS_CODES.get(span.status.code, str(span.status.code)),
                    status_message=span.status.message,
                    attributes=decode_attributes(span.attributes),
                    events=tuple(
                        ReceivedEvent(event.name, decode_attributes(event.attributes))
                        for event in span.events
                    ),
                    start_time_unix_nano=span.start_time_unix_nano,
                    end_time_unix_nano=span.end_time_unix_nano,
                    resource=resource,
                    scope_name=scope_spans.scope.name,
                    scope_version=scope_spans.scope.version,
                    protocol=protocol,
                )


def _number(point: metrics_pb2.NumberDataPoint) -> Union[int, float]:
    return point.as_int if point.WhichOneof("value") == "as_int" else point.as_double


def _decode_metric(
    protocol: str,
    metric: metrics_pb2.Metric,
    resource: Attributes,
    scope: common_pb2.InstrumentationScope,
) -> ReceivedMetric:
    kind = metric.WhichOneof("data") or ""
    temporality: Optional[str] = None
    monotonic: Optional[bool] = None
    points: List[ReceivedPoint] = []
    if kind in ("sum", "gauge"):
        data = getattr(metric, kind)
        if kind == "sum":
            temporality = _TEMPORALITIES.get(data.aggregation_temporality)
            monotonic = data.is_monotonic
        points = [
            ReceivedPoint(
                attributes=decode_attributes(p.attributes),
                value=_number(p),
                time_unix_nano=p.time_unix_nano,
            )
            for p in data.data_points
        ]
    elif kind == "histogram":
        temporality = _TEMPORALITIES.get(metric.histogram.aggregation_temporality)
        points = [
            ReceivedPoint(
                attributes=decode_attributes(p.attributes),
                count=p.count,
                sum=p.sum,
                bucket_counts=tuple(p.bucket_counts),
                explicit_bounds=tuple(p.explicit_bounds),
                min=p.min if p.HasField("min") else None,
                max=p.max if p.HasField("max") else None,
                time_unix_nano=p.time_unix_nano,
            )
            for p in metric.histogram.data_points
        ]
    elif kind == "exponential_histogram":
        temporality = _TEMPORALITIES.get(metric.exponential_histogram.aggregation_temporality)
        points = [
            ReceivedPoint(
                attributes=decode_attributes(p.attributes),
                count=p.count,
                sum=p.sum,
                time_unix_nano=p.time_unix_nano,
            )
            for p in metric.exponential_histogram.data_points
        ]
    return ReceivedMetric(
        name=metric.name,
        unit=metric.unit,
        description=metric.description,
        kind=kind,
        temporality=temporality,
        is_monotonic=monotonic,
        points=tuple(points),
        resource=resource,
        scope_name=scope.name,
        scope_version=scope.version,
        protocol=protocol,
    )


def _flatten_metrics(
    protocol: str, request: metrics_service_pb2.ExportMetricsServiceRequest
) -> Iterator[ReceivedMetric]:
    for resource_metrics in request.resource_metrics:
        resource = decode_attributes(resource_metrics.resource.attributes)
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                yield _decode_metric(protocol, metric, resource, scope_metrics.scope)


class _TraceServicer(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, receiver: OTLPReceiver) -> None:
        self._receiver = receiver

    def Export(self, request: Any, context: Any) -> Any:
        self._receiver._add_traces("grpc", request)
        return trace_service_pb2.ExportTraceServiceResponse()


class _MetricsServicer(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, receiver: OTLPReceiver) -> None:
        self._receiver = receiver

    def Export(self, request: Any, context: Any) -> Any:
        self._receiver._add_metrics("grpc", request)
        return metrics_service_pb2.ExportMetricsServiceResponse()


class _LogsServicer(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, receiver: OTLPReceiver) -> None:
        self._receiver = receiver

    def Export(self, request: Any, context: Any) -> Any:
        self._receiver._add_logs("grpc", request)
        return logs_service_pb2.ExportLogsServiceResponse()


def _make_http_handler(receiver: OTLPReceiver) -> type:
    """An OTLP/HTTP handler bound to ``receiver`` (protobuf, and JSON for completeness)."""

    routes: Dict[str, Tuple[type, type, Callable[[str, Any], None]]] = {
        "/v1/traces": (
            trace_service_pb2.ExportTraceServiceRequest,
            trace_service_pb2.ExportTraceServiceResponse,
            receiver._add_traces,
        ),
        "/v1/metrics": (
            metrics_service_pb2.ExportMetricsServiceRequest,
            metrics_service_pb2.ExportMetricsServiceResponse,
            receiver._add_metrics,
        ),
        "/v1/logs": (
            logs_service_pb2.ExportLogsServiceRequest,
            logs_service_pb2.ExportLogsServiceResponse,
            receiver._add_logs,
        ),
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            route = routes.get(self.path.split("?", 1)[0])
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if route is None:
                self._reply(404, b"not found", "text/plain")
                return
            request_type, response_type, add = route
            encoding = (self.headers.get("Content-Encoding") or "").lower()
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            message = request_type()
            try:
                if content_type == "application/json":
                    json_format.Parse(body.decode("utf-8"), message)
                else:
                    message.ParseFromString(body)
            except Exception as exc:  # a malformed export is a test failure, shown as a 400
                self._reply(400, str(exc).encode(), "text/plain")
                return
            add("http/protobuf" if content_type != "application/json" else "http/json", message)
            self._reply(200, response_type().SerializeToString(), "application/x-protobuf")

    return Handler


class OTLPReceiver:
    """OTLP gRPC + HTTP receiver on free 127.0.0.1 ports that keeps every decoded export request."""

    def __init__(self) -> None:
        self._store = _Store()
        self._changed = threading.Condition()
        self._grpc_server: Optional[grpc.Server] = None
        self._http_server: Optional[ThreadingHTTPServer] = None
        self._http_thread: Optional[threading.Thread] = None
        self.grpc_port = 0
        self.http_port = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> OTLPReceiver:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceServicer(self), server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(
            _MetricsServicer(self), server
        )
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(_LogsServicer(self), server)
        self.grpc_port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._grpc_server = server

        http_server = ThreadingHTTPServer(("127.0.0.1", 0), _make_http_handler(self))
        http_server.daemon_threads = True
        self.http_port = http_server.server_address[1]
        self._http_thread = threading.Thread(
            target=http_server.serve_forever, name="otlp-http-receiver", daemon=True
        )
        self._http_thread.start()
        self._http_server = http_server
        return self

    def stop(self) -> None:
        if self._grpc_server is not None:
            self._grpc_server.stop(grace=None)
            self._grpc_server = None
        if self._http_server is not None:
            self._http_server.shutdown()
            self._http_server.server_close()
            self._http_server = None

    def __enter__(self) -> OTLPReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- endpoints -------------------------------------------------------------------------
    @property
    def grpc_endpoint(self) -> str:
        """Value for ``OTEL_EXPORTER_OTLP_ENDPOINT`` with protocol ``grpc``."""
        return f"http://127.0.0.1:{self.grpc_port}"

    @property
    def http_endpoint(self) -> str:
        """Value for ``OTEL_EXPORTER_OTLP_ENDPOINT`` with ``http/protobuf`` (paths are appended)."""
        return f"http://127.0.0.1:{self.http_port}"

    def endpoint(self, protocol: str) -> str:
        return self.grpc_endpoint if protocol == "grpc" else self.http_endpoint

    # -- storage ---------------------------------------------------------------------------
    def _add_traces(self, protocol: str, request: Any) -> None:
        with self._changed:
            self._store.trace_requests.append((protocol, request))
            self._changed.notify_all()

    def _add_metrics(self, protocol: str, request: Any) -> None:
        with self._changed:
            self._store.metric_requests.append((protocol, request))
            self._changed.notify_all()

    def _add_logs(self, protocol: str, request: Any) -> None:
        with self._changed:
            self._store.log_requests.append((protocol, request))
            self._changed.notify_all()

    def clear(self) -> None:
        with self._changed:
            self._store = _Store()

    @property
    def trace_requests(self) -> List[trace_service_pb2.ExportTraceServiceRequest]:
        with self._changed:
            return [request for _, request in self._store.trace_requests]

    @property
    def metric_requests(self) -> List[metrics_service_pb2.ExportMetricsServiceRequest]:
        with self._changed:
            return [request for _, request in self._store.metric_requests]

    # -- decoded views ---------------------------------------------------------------------
    def spans(self) -> List[ReceivedSpan]:
        """Every span received so far, in arrival order."""
        with self._changed:
            requests = list(self._store.trace_requests)
        return [span for protocol, req in requests for span in _flatten_spans(protocol, req)]

    def log_records(self) -> List[ReceivedLogRecord]:
        """Every log record received so far, in arrival order."""
        with self._changed:
            requests = list(self._store.log_requests)
        return [r for protocol, req in requests for r in _flatten_logs(protocol, req)]

    def metrics(self) -> List[ReceivedMetric]:
        """Every metric of every export request, in arrival order (repeats included)."""
        with self._changed:
            requests = list(self._store.metric_requests)
        return [m for protocol, req in requests for m in _flatten_metrics(protocol, req)]

    def latest_metrics(self) -> Dict[str, ReceivedMetric]:
        """The last received version of each metric by name: with cumulative temporality this is
        the running total, which is what most assertions want."""
        latest: Dict[str, ReceivedMetric] = {}
        for metric in self.metrics():
            latest[metric.name] = metric
        return latest

    # -- waiting ---------------------------------------------------------------------------
    def _wait(
        self, read: Callable[[], Any], predicate: Callable[[Any], bool], timeout: float
    ) -> Any:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = read()
                if predicate(value):
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"OTLP receiver: condition not met within {timeout}s; got {value!r}"
                    )
                self._changed.wait(min(remaining, 0.2))

    def wait_for_spans(
        self,
        predicate: Callable[[List[ReceivedSpan]], bool] = bool,
        timeout: float = 10.0,
    ) -> List[ReceivedSpan]:
        """Block until ``predicate(all spans so far)`` holds; returns the spans or raises
        ``TimeoutError`` listing what did arrive."""
        return self._wait(self.spans, predicate, timeout)

    def wait_for_metrics(
        self,
        predicate: Callable[[List[ReceivedMetric]], bool] = bool,
        timeout: float = 10.0,
    ) -> List[ReceivedMetric]:
        """Block until ``predicate(all metrics so far)`` holds."""
        return self._wait(self.metrics, predicate, timeout)

    def wait_for_logs(
        self,
        predicate: Callable[[List[ReceivedLogRecord]], bool] = bool,
        timeout: float = 10.0,
    ) -> List[ReceivedLogRecord]:
        """Block until ``predicate(all log records so far)`` holds."""
        return self._wait(self.log_records, predicate, timeout)


@pytest.fixture
def otlp_receiver() -> Iterator[OTLPReceiver]:
    """A started :class:`OTLPReceiver`, stopped after the test."""
    with OTLPReceiver() as receiver:
        yield receiver
