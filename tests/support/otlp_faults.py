"""OTLP endpoints that misbehave: a gRPC collector that is slow or answers ``UNAVAILABLE``, an HTTP
collector that answers 500, and a port with nothing listening.

They accept real OTLP requests from the real exporters (the servicers are the generated
``opentelemetry-proto`` ones), then fail the way a collector under pressure or mid-restart does.
"""

from __future__ import annotations

import socket
import threading
import time
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

import grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


def free_port() -> int:
    """A loopback port nothing listens on (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FaultyGrpcCollector:
    """A gRPC OTLP collector that sleeps ``delay_s`` per export, then fails with ``code`` (or
    succeeds when ``code`` is ``None``). ``exports`` counts the requests that reached it."""

    def __init__(self, delay_s: float = 0.0, code: Optional[grpc.StatusCode] = None) -> None:
        self.delay_s = delay_s
        self.code = code
        self.exports = 0
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        collector = self

        class Traces(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request: Any, context: Any) -> Any:
                collector._answer(context)
                return trace_service_pb2.ExportTraceServiceResponse()

        class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
            def Export(self, request: Any, context: Any) -> Any:
                collector._answer(context)
                return metrics_service_pb2.ExportMetricsServiceResponse()

        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), self._server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")

    def _answer(self, context: Any) -> None:
        with self._lock:
            self.exports += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.code is not None:
            context.abort(self.code, "collector says no")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultyGrpcCollector:
        self._server.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.stop(grace=None)


class FailingHttpCollector:
    """An OTLP/HTTP endpoint that reads each request and answers ``status``."""

    def __init__(self, status: int = 500) -> None:
        collector = self
        self.status = status
        self.exports = 0

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                collector.exports += 1
                body = b"collector exploded"
                self.send_response(collector.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FailingHttpCollector:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
