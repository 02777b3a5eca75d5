"""``llm-router-otel``: the bridge for routers that are not written in Python.

``llm-router-otel ingest [FILE|-]`` reads ``ForwardEvent`` JSON lines (bare or bus-wrapped), feeds
them to a :class:`ForwardEventRecorder` and exports the spans and metrics through an SDK set up
from the standard ``OTEL_*`` variables, the way ``opentelemetry-instrument`` would: exporters are
found through the ``opentelemetry_traces_exporter`` / ``opentelemetry_metrics_exporter`` entry
points, so ``otlp`` (gRPC or HTTP), ``console``, ``none`` and any installed exporter work, each
configured by its own environment variables.

A bad line is reported and skipped, never fatal: a router's event stream should not stop being
recorded because one line was garbled. A line longer than ``--max-line-bytes`` is a bad line too,
found without holding it: memory stays bounded whatever the input. Reports never cost data: when
stderr cannot be written (its reader is gone), reporting stops and ingesting goes on. The exit
status is non-zero only when the command could not run at all (unreadable input, exporters that
cannot be set up).
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import select
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import IO, Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from opentelemetry.instrumentation.llm_router._forward_json import (
    ForwardEventError,
    OtherBusEvent,
    parse_forward_event,
)
from opentelemetry.instrumentation.llm_router._forward_recorder import ForwardEventRecorder
from opentelemetry.instrumentation.llm_router.version import __version__

PROG = "llm-router-otel"
_OTLP_BY_PROTOCOL = {"grpc": "otlp_proto_grpc", "http/protobuf": "otlp_proto_http"}


class SetupError(Exception):
    """The command cannot run: reported on stderr, exit status 1."""


SHUTDOWN_TIMEOUT_S = 10.0
"""Default of ``--shutdown-timeout``: the most time spent flushing after the input ends or a
signal arrives, before the summary is printed and the process exits."""
_POLL_S = 0.2
"""How often a read waiting for input checks whether a signal asked it to stop."""
MAX_LINE_BYTES = 4 << 20
"""Default of ``--max-line-bytes`` (4 MiB): the longest line read, newline not counted. A serde
line of a ``ForwardEvent`` is a few hundred bytes; 4 MiB leaves room for a 1 MiB error text or
model name even written as ``\\uXXXX`` escapes."""
MAX_LINE_ENV = "OTEL_PYTHON_LLM_ROUTER_MAX_LINE_BYTES"
"""The environment variable that sets the default of ``--max-line-bytes``."""
_READ_BYTES = 1 << 16
"""How much one read of the input asks for."""


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


def _installed(group: str) -> str:
    """The exporter names installed in ``group`` (``--help`` lists what this venv really has,
    ``llm_router_console`` included, rather than a list that goes stale)."""
    return ", ".join(sorted({ep.name for ep in entry_points(group=group)})) or "none"


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


class EndedSpans(SpanProcessor):
    """Counts the spans handed to the batch processors (sampled spans that ended).

    ``BatchSpanProcessor`` drops a span when its queue is full, and says so only once in a log
    line; the spans ended minus the spans an exporter accepted or refused, once everything is
    flushed, is what its queue dropped. Registered before the batch processors."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.ended = 0

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None and span.context.trace_flags.sampled:
            with self._lock:
                self.ended += 1


class Telemetry:
    """The tracer and meter providers the bridge exports through, built from ``OTEL_*``."""

    def __init__(self) -> None:
        resource = Resource.create()
        self.span_exporters: list[CountingSpanExporter] = []
        # No atexit shutdown: the bridge shuts down itself, within --shutdown-timeout.
        self.tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        self.ended = EndedSpans()
        self.tracer_provider.add_span_processor(self.ended)
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
        self.meter_provider = MeterProvider(
            resource=resource, metric_readers=readers, shutdown_on_exit=False
        )

    @property
    def spans_exported(self) -> int:
        """Spans every configured exporter accepted (0 with no exporter)."""
        return min((e.exported for e in self.span_exporters), default=0)

    @property
    def spans_failed(self) -> int:
        return max((e.failed for e in self.span_exporters), default=0)

    @property
    def spans_lost(self) -> int:
        """Spans ended but neither accepted nor refused by an exporter: dropped by a full queue,
        or still queued when the shutdown timeout cut the flush short."""
        return max(
            (self.ended.ended - e.exported - e.failed for e in self.span_exporters), default=0
        )

    def shutdown(self) -> None:
        """Flush everything still queued, then stop (exports the last metric collection)."""
        self.tracer_provider.force_flush()
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()

    def shutdown_within(self, seconds: float, abandon: Callable[[], bool]) -> bool:
        """:meth:`shutdown` in a helper thread, waited for at most ``seconds`` (or until
        ``abandon()`` says so: a second signal). ``True`` if it finished in time. An exporter
        retrying against an unreachable collector can take longer than anyone wants to wait."""
        done = threading.Event()

        def run() -> None:
            try:
                self.shutdown()
            except Exception as exc:  # an exporter failing at shutdown: report, exit anyway
                report(sys.stderr, f"{PROG}: shutting down the exporters failed: {exc}\n")
            finally:
                done.set()

        threading.Thread(target=run, name="llm-router-otel-shutdown", daemon=True).start()
        deadline = time.monotonic() + seconds
        while not done.wait(min(_POLL_S, max(deadline - time.monotonic(), 0))):
            if time.monotonic() >= deadline or abandon():
                return False
        return True


# ---------------------------------------------------------------------------------------------
# ingest


@dataclass
class Counts:
    """What the summary line reports about the input; kept up to date line by line, so an
    interrupted read still reports what it did."""

    events: int = 0
    rejected: int = 0
    other: int = 0
    """Well-formed bus events of other kinds (``{"Chat": ...}``, ``{"System": ...}``): skipped."""


class LineTooLong:
    """Stands for a line longer than the bound: its bytes were dropped as they arrived, only its
    length was kept. :func:`ingest_lines` reports and counts it as a bad line."""

    __slots__ = ("length", "limit")

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit

    def __repr__(self) -> str:
        return f"LineTooLong({self.length}, {self.limit})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LineTooLong) and (other.length, other.limit) == (
            self.length,
            self.limit,
        )


Line = Union[bytes, LineTooLong]


def report(errors: IO[str], text: str) -> bool:
    """Write one diagnostic line; ``False`` if ``errors`` cannot be written.

    A report must never cost data: with stderr's reader gone, ``write`` raises
    ``BrokenPipeError`` (Python ignores SIGPIPE). The first failure points the stream's
    descriptor at ``/dev/null`` (:func:`_silence`), so that later writes from anywhere (the
    summary, logging, the SDK, the interpreter's flush at exit) succeed quietly instead of
    failing again or turning the exit status into 120."""
    try:
        errors.write(text)
        errors.flush()
    except (OSError, ValueError):  # ValueError: the stream was closed
        _silence(errors)
        return False
    return True


def _silence(stream: Any) -> None:
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, fd)
    except OSError:
        pass
    finally:
        os.close(devnull)


_JSON_SPACE = b" \t\n\r"


def ingest_lines(
    stream: Iterable[Line],
    recorder: ForwardEventRecorder,
    errors: IO[str],
    counts: Counts,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Feed every line of ``stream`` to ``recorder``, reporting bad lines on ``errors``.

    ``stop()`` is asked before each line: a signal handler sets a flag, it never raises here (an
    exception raised from a handler could land anywhere, e.g. inside the recorder's own error
    handling, and be swallowed there). Reports stop, and lines keep being read, once ``errors``
    cannot be written (see :func:`report`)."""
    reporting = True
    for number, raw in enumerate(stream, 1):
        if stop():
            return
        if isinstance(raw, LineTooLong):
            counts.rejected += 1
            problem = (
                f"<line>: {raw.length} bytes, longer than the {raw.limit}-byte limit "
                f"(--max-line-bytes, {MAX_LINE_ENV})"
            )
        elif not raw.strip(_JSON_SPACE):
            continue
        else:
            try:
                event = parse_forward_event(raw)
            except OtherBusEvent:
                counts.other += 1
                continue
            except ForwardEventError as exc:
                counts.rejected += 1
                problem = str(exc)
            else:
                counts.events += 1
                recorder.record(event)
                continue
        if reporting:
            reporting = report(errors, f"line {number}: {problem}\n")


def split_lines(
    chunks: Iterable[bytes], max_line: int, stop: Callable[[], bool] = lambda: False
) -> Iterator[Line]:
    """The lines of a byte stream given in chunks of any size, each at most ``max_line`` bytes
    (newline not counted) or else a :class:`LineTooLong`.

    Each byte is looked at once (a newline is searched for in the new chunk only, never in what
    is kept from before), and at most ``max_line`` bytes plus one chunk are held: a longer line
    is dropped as it arrives, so time is linear and memory constant whatever the input."""
    pending = bytearray()
    skipped = -1  # >= 0: bytes of an overlong line dropped so far
    for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                break
            size = end - start
            if skipped >= 0:
                yield LineTooLong(skipped + size, max_line)
                skipped = -1
            elif len(pending) + size > max_line:
                yield LineTooLong(len(pending) + size, max_line)
                pending = bytearray()
            elif pending:
                pending += chunk[start : end + 1]
                yield bytes(pending)
                pending = bytearray()
            else:
                yield chunk[start : end + 1]
            start = end + 1
            if stop():
                return
        rest = len(chunk) - start
        if skipped >= 0:
            skipped += rest
        elif len(pending) + rest > max_line:
            skipped = len(pending) + rest
            pending = bytearray()
        elif rest:
            pending += chunk[start:]
    if stop():
        return
    if skipped >= 0:
        yield LineTooLong(skipped, max_line)
    elif pending:
        yield bytes(pending)


def read_chunks(stream: IO[bytes], stop: Callable[[], bool]) -> Iterator[bytes]:
    """The bytes of ``stream`` as they arrive, ending early once ``stop()`` is true, even while
    no input comes.

    A plain blocking read waits until input arrives, and a signal handler that only sets a flag
    cannot end that wait (Python retries the interrupted read). Here the descriptor is polled
    every :data:`_POLL_S` seconds; where that is not possible (no descriptor, no ``select`` on
    it) the stream is read plainly."""
    try:
        fd = stream.fileno()
        select.select([fd], [], [], 0)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        read = getattr(stream, "read1", None) or stream.read
        while not stop():
            chunk = read(_READ_BYTES)
            if not chunk:
                return
            yield chunk
        return
    # Nothing was read through ``stream`` itself: its buffer is empty, the descriptor is all.
    while not stop():
        ready, _, _ = select.select([fd], [], [], _POLL_S)
        if not ready:
            continue
        chunk = os.read(fd, _READ_BYTES)
        if not chunk:
            return
        yield chunk


def read_lines(
    stream: IO[bytes], stop: Callable[[], bool], max_line: int = MAX_LINE_BYTES
) -> Iterator[Line]:
    """The lines of ``stream`` (:func:`split_lines` of :func:`read_chunks`)."""
    return split_lines(read_chunks(stream, stop), max_line, stop)


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
    """SIGINT / SIGTERM end the input: the handler only counts the signal, and the reading loop
    looks at the count (:func:`read_lines` polls, so it notices even with no input arriving).
    A second signal also cuts the flush short."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)
    received = 0

    @classmethod
    def handle(cls, signum: int, frame: Any) -> None:
        cls.received += 1

    @classmethod
    def requested(cls) -> bool:
        return cls.received > 0

    @classmethod
    def again(cls) -> bool:
        return cls.received > 1

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
            ingest_lines(
                read_lines(stream, _Stop.requested, args.max_line_bytes),
                recorder,
                sys.stderr,
                counts,
                _Stop.requested,
            )
        finally:
            if _Stop.requested():
                report(sys.stderr, f"{PROG}: interrupted; finishing what was read\n")
            stop.set()
            recorder.close()
            finished = telemetry.shutdown_within(args.shutdown_timeout, _Stop.again)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    report(sys.stderr, _summary(counts, telemetry, finished, args.shutdown_timeout) + "\n")
    if not finished:  # an exporter thread is still busy: do not wait for it at exit
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
        os._exit(0)
    return 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _summary(counts: Counts, telemetry: Telemetry, finished: bool, timeout: float) -> str:
    parts = [
        f"{_plural(counts.events, 'event')} read",
        f"{_plural(telemetry.spans_exported, 'span')} exported",
        f"{_plural(counts.rejected, 'line')} rejected",
    ]
    if counts.other:
        parts.append(f"{_plural(counts.other, 'other bus event')} skipped")
    if telemetry.spans_failed:
        parts.append(f"{_plural(telemetry.spans_failed, 'span')} failed to export")
    lost = telemetry.spans_lost
    if lost and finished:
        parts.append(f"{_plural(lost, 'span')} dropped (the export queue was full)")
    elif lost:
        parts.append(
            f"{_plural(lost, 'span')} not exported (dropped or still queued when the "
            f"{timeout:g} s shutdown timeout ended the flush)"
        )
    return f"{PROG}: " + ", ".join(parts)


# ---------------------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _max_line_default(env: Mapping[str, str]) -> int:
    """``--max-line-bytes``'s default: :data:`MAX_LINE_ENV` if it holds a usable value."""
    text = env.get(MAX_LINE_ENV, "").strip()
    if not text:
        return MAX_LINE_BYTES
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError as exc:
        raise SetupError(f"{MAX_LINE_ENV}: {exc}") from None


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
            "OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER (otlp by default; none; for traces, "
            f"installed here: {_installed('opentelemetry_traces_exporter')}), OTLP "
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
    ingest.add_argument(
        "--max-line-bytes",
        type=_positive_int,
        default=None,
        metavar="N",
        help=(
            "longest line read, newline not counted; a longer line is rejected without being "
            f"held in memory (default {MAX_LINE_ENV} or {MAX_LINE_BYTES})"
        ),
    )
    ingest.add_argument(
        "--shutdown-timeout",
        type=_positive_float,
        default=SHUTDOWN_TIMEOUT_S,
        metavar="SECONDS",
        help=(
            "at the end of the input or on SIGINT/SIGTERM, flush for at most this long before "
            f"printing the summary and exiting; a second signal stops at once (default {SHUTDOWN_TIMEOUT_S:g})"
        ),
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # reported by the parser of the command they were given to, with its usage
        command = parser._subparsers._group_actions[0].choices.get(args.command)  # type: ignore[union-attr]
        (command or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command != "ingest":
        parser.print_help(sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.WARNING, format=f"{PROG}: %(levelname)s %(name)s: %(message)s"
    )
    if threading.current_thread() is threading.main_thread():
        _Stop.received = 0
        for signum in _Stop.SIGNALS:
            signal.signal(signum, _Stop.handle)
    try:
        if args.max_line_bytes is None:
            args.max_line_bytes = _max_line_default(os.environ)
        return run_ingest(args)
    except SetupError as exc:
        report(sys.stderr, f"{PROG}: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
