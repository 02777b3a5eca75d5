"""``llm-router-otel``: the bridge for routers that are not written in Python.

``llm-router-otel ingest [FILE|-]`` reads ``ForwardEvent`` JSON lines (bare or bus-wrapped), feeds
them to a :class:`ForwardEventRecorder` and exports the spans and metrics through an SDK set up
from the standard ``OTEL_*`` variables, the way ``opentelemetry-instrument`` would: exporters are
found through the ``opentelemetry_traces_exporter`` / ``opentelemetry_metrics_exporter`` entry
points, so ``otlp`` (gRPC or HTTP), ``console``, ``none`` and any installed exporter work, each
configured by its own environment variables.

A bad line is reported and skipped, never fatal: a router's event stream should not stop being
recorded because one line was garbled. The exit status is non-zero only when the command could
not run at all (unreadable input, exporters that cannot be set up).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import IO, Any, Iterator, Optional, Sequence

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from opentelemetry.instrumentation.llm_router._forward_json import (
    ForwardEventError,
    parse_forward_event,
)
from opentelemetry.instrumentation.llm_router._forward_recorder import ForwardEventRecorder
from opentelemetry.instrumentation.llm_router.version import __version__

PROG = "llm-router-otel"
_OTLP_BY_PROTOCOL = {"grpc": "otlp_proto_grpc", "http/protobuf": "otlp_proto_http"}


class SetupError(Exception):
    """The command cannot run: reported on stderr, exit status 1."""


class _Interrupted(Exception):
    """SIGINT / SIGTERM while reading: finish as at the end of the input."""


# ---------------------------------------------------------------------------------------------
# SDK setup from the environment


def _exporter_names(signal_name: str) -> list[str]:
    """Entry-point names for ``traces`` or ``metrics``, resolving ``otlp`` by protocol.

    ``OTEL_{SIGNAL}_EXPORTER`` defaults to ``otlp``; ``otlp`` is gRPC unless
    ``OTEL_EXPORTER_OTLP_{SIGNAL}_PROTOCOL`` or ``OTEL_EXPORTER_OTLP_PROTOCOL`` says
    ``http/protobuf`` (the Python SDK's default and rule).
    """
    value = os.environ.get(f"OTEL_{signal_name.upper()}_EXPORTER", "otlp").strip() or "otlp"
    names = [name.strip() for name in value.split(",") if name.strip()]
    if names == ["none"]:
        return []
    resolved = []
    for name in names:
        if name == "otlp":
            protocol = (
                os.environ.get(f"OTEL_EXPORTER_OTLP_{signal_name.upper()}_PROTOCOL")
                or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
                or "grpc"
            ).strip()
            if protocol not in _OTLP_BY_PROTOCOL:
                raise SetupError(
                    f"unsupported OTLP protocol {protocol!r} for {signal_name} "
                    f"(expected one of {', '.join(_OTLP_BY_PROTOCOL)})"
                )
            name = _OTLP_BY_PROTOCOL[protocol]
        resolved.append(name)
    return resolved


def _load(group: str, name: str) -> Any:
    found = list(entry_points(group=group, name=name))
    if not found:
        available = sorted({ep.name for ep in entry_points(group=group)})
        raise SetupError(
            f"no exporter named {name!r} in {group} (installed: {', '.join(available) or 'none'})"
        )
    try:
        return found[0].load()
    except Exception as exc:
        raise SetupError(f"cannot load exporter {name!r}: {exc}") from exc


class CountingSpanExporter(SpanExporter):
    """Passes spans on and counts what the exporter accepted, for the summary line."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.exported = 0
        self.failed = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception:
            with self._lock:
                self.failed += len(spans)
            raise
        with self._lock:
            if result is SpanExportResult.SUCCESS:
                self.exported += len(spans)
            else:
                self.failed += len(spans)
        return result

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self) -> None:
        self._inner.shutdown()


class Telemetry:
    """The tracer and meter providers the bridge exports through, built from ``OTEL_*``."""

    def __init__(self) -> None:
        resource = Resource.create()
        self.span_exporters: list[CountingSpanExporter] = []
        self.tracer_provider = TracerProvider(resource=resource)
        readers: list[MetricReader] = []
        try:
            for name in _exporter_names("traces"):
                exporter = CountingSpanExporter(_load("opentelemetry_traces_exporter", name)())
                self.span_exporters.append(exporter)
                self.tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
            for name in _exporter_names("metrics"):
                made = _load("opentelemetry_metrics_exporter", name)()
                readers.append(
                    made if isinstance(made, MetricReader) else PeriodicExportingMetricReader(made)
                )
        except SetupError:
            raise
        except Exception as exc:
            raise SetupError(f"cannot set up the exporters: {exc}") from exc
        self.meter_provider = MeterProvider(resource=resource, metric_readers=readers)

    @property
    def spans_exported(self) -> int:
        """Spans every configured exporter accepted (0 with no exporter)."""
        return min((e.exported for e in self.span_exporters), default=0)

    @property
    def spans_failed(self) -> int:
        return max((e.failed for e in self.span_exporters), default=0)

    def shutdown(self) -> None:
        """Flush everything still queued, then stop (exports the last metric collection)."""
        self.tracer_provider.force_flush()
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


# ---------------------------------------------------------------------------------------------
# ingest


@dataclass
class Counts:
    """What the summary line reports about the input; kept up to date line by line, so an
    interrupted read still reports what it did."""

    events: int = 0
    rejected: int = 0


def ingest_lines(
    stream: IO[bytes], recorder: ForwardEventRecorder, errors: IO[str], counts: Counts
) -> None:
    """Feed every line of ``stream`` to ``recorder``, reporting bad lines on ``errors``."""
    for number, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        try:
            event = parse_forward_event(raw)
        except ForwardEventError as exc:
            counts.rejected += 1
            errors.write(f"line {number}: {exc}\n")
            errors.flush()
            continue
        counts.events += 1
        recorder.record(event)


def _expire_periodically(
    recorder: ForwardEventRecorder, stop: threading.Event, every: float
) -> None:
    """On a quiet stream no event arrives to trigger expiry: do it on a timer."""
    while not stop.wait(every):
        recorder.expire()


def _open_input(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise SetupError(f"cannot open {path}: {exc.strerror or exc}") from exc


class _Stop:
    """SIGINT / SIGTERM end the input. Only a blocked read needs interrupting (by raising);
    during setup and shutdown the signal is just noted, so flushing is never cut short."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)
    reading = False
    requested = False

    @classmethod
    def handle(cls, signum: int, frame: Any) -> None:
        cls.requested = True
        if cls.reading:
            cls.reading = False
            raise _Interrupted

    @classmethod
    @contextmanager
    def deferred(cls) -> Iterator[None]:
        """Block the signals while the SDK starts its threads: threads inherit the mask, so
        every signal then reaches the main thread, the one blocked reading the input (a signal
        taken by another thread would not interrupt that read)."""
        if not hasattr(signal, "pthread_sigmask"):  # not on Windows
            yield
            return
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, cls.SIGNALS)
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def run_ingest(args: argparse.Namespace) -> int:
    stream = _open_input(args.file)
    try:
        with _Stop.deferred():
            telemetry = Telemetry()
            recorder = ForwardEventRecorder(
                telemetry.tracer_provider,
                telemetry.meter_provider,
                max_open=args.max_open,
                max_age_s=args.max_age,
            )
            stop = threading.Event()
            expirer = threading.Thread(
                target=_expire_periodically,
                args=(recorder, stop, min(args.max_age / 2, 1.0)),
                name="llm-router-otel-expiry",
                daemon=True,
            )
            expirer.start()
        counts = Counts()
        try:
            if not _Stop.requested:
                _Stop.reading = True
                ingest_lines(stream, recorder, sys.stderr, counts)
        except _Interrupted:
            pass
        finally:
            _Stop.reading = False
            if _Stop.requested:
                sys.stderr.write(f"{PROG}: interrupted; finishing what was read\n")
            stop.set()
            recorder.close()
            telemetry.shutdown()
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    failed = telemetry.spans_failed
    sys.stderr.write(
        f"{PROG}: {counts.events} events read, {telemetry.spans_exported} spans exported, "
        f"{counts.rejected} lines rejected"
        + (f", {failed} spans failed to export" if failed else "")
        + "\n"
    )
    return 0


# ---------------------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="OpenTelemetry GenAI spans and metrics from an LLM router's events.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    ingest = commands.add_parser(
        "ingest",
        help="record ForwardEvent JSON lines as spans and metrics",
        description=(
            "Read ForwardEvent JSON lines (RequestStarted / RequestCompleted, bare or wrapped in "
            '{"Forward": ...}) and export them as GenAI spans and metrics. Exporters come from '
            "OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER (otlp by default; console; none), OTLP "
            "from OTEL_EXPORTER_OTLP_PROTOCOL (grpc or http/protobuf) and the exporters' own "
            "OTEL_EXPORTER_OTLP_* variables, the resource from OTEL_SERVICE_NAME and "
            "OTEL_RESOURCE_ATTRIBUTES. Bad lines are reported on stderr and skipped; a summary "
            "line is printed on stderr at the end."
        ),
    )
    ingest.add_argument(
        "file", nargs="?", default="-", metavar="FILE|-", help="input file (default: stdin)"
    )
    ingest.add_argument(
        "--max-open",
        type=_positive_int,
        default=10_000,
        metavar="N",
        help="most requests kept open; the oldest beyond it ends as incomplete (default 10000)",
    )
    ingest.add_argument(
        "--max-age",
        type=_positive_float,
        default=600.0,
        metavar="SECONDS",
        help="a request open longer than this ends as incomplete (default 600)",
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "ingest":
        parser.print_help(sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.WARNING, format=f"{PROG}: %(levelname)s %(name)s: %(message)s"
    )
    if threading.current_thread() is threading.main_thread():
        for signum in _Stop.SIGNALS:
            signal.signal(signum, _Stop.handle)
    try:
        return run_ingest(args)
    except SetupError as exc:
        sys.stderr.write(f"{PROG}: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
