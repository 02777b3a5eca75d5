"""The truth about the wire: the real Rust types, compiled, on both sides of our reader and writer.

``tests/rust/forward_serde`` declares ``bamboo_engine::metrics::events``'s ``ForwardEvent``,
``EventMeta``, ``TokenUsage``, ``ForwardStatus`` and the bus wrapper ``MetricsEvent`` with serde
derive and chrono, built offline against Debian's packaged crates (``librust-serde-dev``,
``librust-serde-derive-dev``, ``librust-serde-json-dev``, ``librust-chrono-dev``;
``scripts/system-packages.sh`` installs them; the crate's ``.cargo/config.toml`` points cargo
at ``/usr/share/cargo/registry``).
It is compiled once per session into ``build/rust-target`` (ignored by git, reused next time).

- Rust writes 3,000 lines (extreme counts and times across chrono's whole range, leap seconds,
  every status, control characters and unicode, bus-wrapped and bare, ``Chat`` and ``System``):
  every one is read; every forward event is written back byte for byte (a leap second, which a
  nanosecond count cannot hold, to the same instant); they go through the recorder and the real
  OTLP encoder.
- Hypothesis generates events with values in and beyond the Rust types' ranges: our writer
  refuses exactly those serde would reject, and Rust reads back every line it wrote, and writes
  it again byte for byte.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry.instrumentation.llm_router import (
    EventMeta,
    ForwardEventRecorder,
    RequestCompleted,
    RequestStarted,
    TokenUsage,
)
from opentelemetry.instrumentation.llm_router._cli import Counts, ingest_lines
from opentelemetry.instrumentation.llm_router._forward_json import (
    CHRONO_MAX_NS,
    CHRONO_MIN_NS,
    ForwardEventError,
    OtherBusEvent,
    format_forward_event,
    parse_forward_event,
)
from tests.support.export_check import assert_exportable
from tests.support.system import require_program

RUST_LINES = 3_000
WRITER_BATCHES = 40
ROOT = Path(__file__).resolve().parent.parent
CRATE = ROOT / "tests" / "rust" / "forward_serde"
TARGET = ROOT / "build" / "rust-target"
U64_MAX = 2**64 - 1


def _cargo() -> str:
    return require_program("cargo", "cargo", [Path.home() / ".cargo" / "bin"])


@pytest.fixture(scope="session")
def forward_serde() -> Path:
    """The compiled crate (built once per session, incrementally)."""
    cargo = _cargo()
    env = {**os.environ, "CARGO_TARGET_DIR": str(TARGET)}
    built = subprocess.run(
        [cargo, "build", "--quiet", "--offline"],
        cwd=CRATE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, (
        "the Rust crate did not build offline against /usr/share/cargo/registry "
        "(are librust-serde-dev, librust-serde-derive-dev, librust-serde-json-dev and "
        f"librust-chrono-dev installed? .ci/run installs them):\n{built.stderr[-3000:]}"
    )
    return TARGET / "debug" / "forward_serde"


def _run(binary: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(binary), *args], input=stdin, capture_output=True, timeout=120, check=False
    )


@pytest.fixture(scope="session")
def rust_lines(forward_serde: Path) -> list[bytes]:
    done = _run(forward_serde, "write", str(RUST_LINES))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == RUST_LINES
    return lines


def test_every_line_rust_writes_is_read_and_written_back(rust_lines: list[bytes]) -> None:
    other = leap = 0
    for line in rust_lines:
        try:
            event = parse_forward_event(line)
        except OtherBusEvent:
            other += 1
            continue
        wrapped = line.startswith(b'{"Forward":')
        written = format_forward_event(event, bus_wrapped=wrapped).encode()
        if b":60." in line or b":60Z" in line:  # a leap second: the same instant, 1 s later
            leap += 1
            assert parse_forward_event(written).meta.occurred_at_ns == event.meta.occurred_at_ns
        else:
            assert written == line
    assert other == RUST_LINES // 5  # Chat and System, one each in every ten lines
    assert leap > 0  # the generator did write leap seconds


def test_rust_lines_through_the_bridge_encode(rust_lines: list[bytes]) -> None:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    recorder = ForwardEventRecorder(tracer_provider, meter_provider)
    counts = Counts()
    errors: list[str] = []

    class Errors:
        def write(self, text: str) -> None:
            errors.append(text)

        def flush(self) -> None:
            pass

    ingest_lines(iter(rust_lines), recorder, Errors(), counts)  # type: ignore[arg-type]
    recorder.close()
    assert errors == [] and counts.rejected == 0
    assert counts.other == RUST_LINES // 5 and counts.events == RUST_LINES - counts.other
    assert assert_exportable(exporter, reader) == recorder.spans_ended > 0
    tracer_provider.shutdown()
    meter_provider.shutdown()


# -- what we write, read by serde -----------------------------------------------------------------

_any_int = st.one_of(
    st.integers(0, 100),
    st.integers(-(2**65), 2**65),
    st.sampled_from([-1, 0, 65535, 65536, U64_MAX, U64_MAX + 1]),
)
_texts = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x3F), max_size=10),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=2),
)
_instants = st.one_of(
    st.integers(CHRONO_MIN_NS - 10, CHRONO_MAX_NS + 10),
    st.sampled_from([CHRONO_MIN_NS, CHRONO_MAX_NS, CHRONO_MIN_NS - 1, CHRONO_MAX_NS + 1, 1]),
)


def _utf8(text: Any) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@st.composite
def events(draw: Any) -> tuple[Any, bool]:
    """An event and whether the real Rust types can hold every value of it."""
    ns = draw(_instants)
    strings = {name: draw(_texts) for name in ("event_id", "request_id", "a", "b")}
    trace_id = draw(st.one_of(st.none(), _texts))
    meta = EventMeta(
        strings["event_id"], datetime(2026, 1, 1, tzinfo=timezone.utc), trace_id, ns or 1
    )
    valid = CHRONO_MIN_NS <= meta.occurred_at_ns <= CHRONO_MAX_NS
    valid = valid and all(_utf8(s) for s in strings.values()) and _utf8(trace_id or "")
    if draw(st.booleans()):
        event: Any = RequestStarted(
            meta, strings["request_id"], strings["a"], strings["b"], draw(st.booleans())
        )
        return event, valid
    status_code, latency = draw(_any_int), draw(_any_int)
    status = draw(st.sampled_from(["pending", "success", "error", "timeout", "done"]))
    counts = [draw(_any_int) for _ in range(3)]
    usage = draw(st.one_of(st.none(), st.just(TokenUsage(*counts))))
    error = draw(st.one_of(st.none(), _texts))
    valid = (
        valid
        and 0 <= status_code <= 65535
        and 0 <= latency <= U64_MAX
        and status in ("pending", "success", "error")
        and (usage is None or all(0 <= c <= U64_MAX for c in counts))
        and _utf8(error or "")
    )
    event = RequestCompleted(
        meta, strings["request_id"], status_code, status, usage, latency, error
    )
    return event, valid


@settings(
    max_examples=WRITER_BATCHES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(st.tuples(events(), st.booleans()), min_size=1, max_size=60))
def test_we_never_write_a_line_serde_rejects(
    batch: list[tuple[tuple[Any, bool], bool]], forward_serde: Path
) -> None:
    lines = []
    for (event, valid), wrapped in batch:
        try:
            line = format_forward_event(event, bus_wrapped=wrapped)
        except ForwardEventError:
            assert not valid, event  # refused only what the Rust types cannot hold
            continue
        assert valid, event  # written only what they can
        lines.append(line.encode())
    if not lines:
        return
    done = _run(forward_serde, "echo", stdin=b"\n".join(lines) + b"\n")
    assert done.returncode == 0, done.stdout.decode(errors="replace")[-2000:]
    assert done.stdout.splitlines() == lines  # serde read each and writes it back the same
