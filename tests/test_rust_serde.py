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
  every one is read; every forward event is written back byte for byte (a leap second too,
  ``:60`` and all); they go through the recorder and the real OTLP encoder.
- Hypothesis generates events with values in and beyond the Rust types' ranges: our writer
  refuses exactly those serde would reject, and Rust reads back every line it wrote, and writes
  it again byte for byte.
- Differential fuzzing: 4,000 lines mutated from Rust's (tests/support/serde_fuzz.py) and the
  issue's hand-written edge lines, judged by one run of ``forward_serde judge``
  (``serde_json::from_slice`` on each line's bytes): we accept exactly what serde accepts and read
  every value as it does, except the differences docs/bridge.md lists and explains.
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
from tests.support.serde_fuzz import fuzz_lines, stamp_lines
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
        leap += event.meta.leap_second
        assert written == line  # a leap second too, with its ":60"
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


# -- differential fuzzing: serde's verdict on every line is ours --------------------------------

FUZZ_LINES = 4_000
FUZZ_SEED = 20261207

_META = '{"event_id":"e","occurred_at":"2026-05-04T10:15:30Z","trace_id":null}'
_STARTED = (
    '{"RequestStarted":{"meta":' + _META + ',"request_id":"r","endpoint":"openai.chat_completions",'
    '"model":"m","is_stream":true}}'
)
_COMPLETED = (
    '{"RequestCompleted":{"meta":' + _META + ',"request_id":"r","status_code":200,'
    '"status":"success","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},'
    '"latency_ms":5,"error":null}}'
)


def _at(stamp: str) -> bytes:
    return _STARTED.replace("2026-05-04T10:15:30Z", stamp).encode()


# The issue's hand-written lines, each at the edge of the accept set: (name, line, serde's
# verdict). The first group serde accepts and the reader used to reject; the second serde rejects
# and the reader used to accept (or, for the leap second, not write back byte for byte).
HAND_CASES: list[tuple[str, bytes, bool]] = [
    (
        "struct variant as an array",
        b'{"RequestStarted":[' + _META.encode() + b',"r","e","m",true]}',
        True,
    ),
    (
        "meta as an array",
        _STARTED.replace(_META, '["e","2026-05-04T10:15:30Z",null]').encode(),
        True,
    ),
    (
        "usage as an array",
        _COMPLETED.replace(
            '{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}', "[1,2,3]"
        ).encode(),
        True,
    ),
    (
        "completion as an array",
        b'{"Forward":{"RequestCompleted":[' + _META.encode() + b',"r",200,"success",null,5,null]}}',
        True,
    ),
    (
        "a repeated unknown field",
        _STARTED.replace('"model"', '"x":1,"x":[2],"model"').encode(),
        True,
    ),
    ("space for the T", _at("2026-05-04 10:15:30Z"), True),
    ("offset without a colon", _at("2026-05-04T10:15:30+0530"), True),
    ("offset with a space", _at("2026-05-04T10:15:30+05 30"), True),
    ("one-digit fields", _at("2026-5-4T1:2:3Z"), True),
    ("more than 9 fraction digits", _at("2026-05-04T10:15:30.1234567891234Z"), True),
    ("surrounding spaces", _at(" 2026-05-04T10:15:30Z "), True),
    ("spaces between fields", _at("2026 - 05 - 04T10 : 15 : 30 Z"), True),
    ("UTC for Z", _at("2026-05-04T10:15:30UTC"), True),
    ("lower-case z", _at("2026-05-04T10:15:30z"), True),
    ("a leap second at any minute", _at("2026-05-04T10:15:60Z"), True),
    ("a leap second under an offset", _at("2026-05-04T05:29:60.5+05:30"), True),
    ("a unit variant as a map", _COMPLETED.replace('"success"', '{"success":null}').encode(), True),
    (
        "a 5,000-digit integer in an unknown field",
        _STARTED.replace('"model"', '"x":1' + "0" * 5000 + ',"model"').encode(),
        True,
    ),
    (
        "a lone surrogate in an unknown field",
        _STARTED.replace('"model"', '"x":"\\ud800","model"').encode(),
        True,
    ),
    (
        "invalid UTF-8 in an unknown field",
        _STARTED.replace('"model"', '"x":"\xff","model"').encode("latin-1"),
        True,
    ),
    ("1e400 in an unknown field", _STARTED.replace('"model"', '"x":1e400,"model"').encode(), True),
    (
        "nesting deeper than 128 in an unknown field",
        _STARTED.replace('"model"', '"x":' + "[" * 300 + "]" * 300 + ',"model"').encode(),
        True,
    ),
    (
        "-0 for an unsigned field",
        _COMPLETED.replace('"latency_ms":5', '"latency_ms":-0').encode(),
        False,
    ),
    ("timeout as a status", _COMPLETED.replace('"success"', '"timeout"').encode(), False),
    ("NaN in an unknown field", _STARTED.replace('"model"', '"x":NaN,"model"').encode(), False),
    (
        "Infinity in an unknown field",
        _STARTED.replace('"model"', '"x":-Infinity,"model"').encode(),
        False,
    ),
    ("a UTF-8 BOM", b"\xef\xbb\xbf" + _STARTED.encode(), False),
    ("a lone surrogate in a string field", _STARTED.replace('"r"', '"\\ud800"').encode(), False),
    ("invalid UTF-8 in a string field", _STARTED.replace('"r"', '"\xff"').encode("latin-1"), False),
    ("a lower-case t", _at("2026-05-04t10:15:30Z"), False),
    (
        "a repeated known field",
        _STARTED.replace('"model"', '"request_id":"r","model"').encode(),
        False,
    ),
    (
        "an array one field short",
        b'{"RequestStarted":[' + _META.encode() + b',"r","e","m"]}',
        False,
    ),
    ("a UTF-16 line", _STARTED.encode("utf-16-le"), False),
    ("24:00", _at("2026-05-04T24:00:00Z"), False),
    ("offset +24:00", _at("2026-05-04T10:15:30+24:00"), False),
    ("a tab for the T", _at("2026-05-04\t10:15:30Z"), False),
]
DOCUMENTED = {"timeout as a status"}  # docs/bridge.md: read on purpose, written never


def _judge(binary: Path, lines: list[bytes]) -> list[tuple[bool, bytes]]:
    """serde's verdict on each line, from one run of ``forward_serde judge``."""
    assert all(b"\n" not in line for line in lines)
    done = _run(binary, "judge", stdin=b"".join(line + b"\n" for line in lines))
    assert done.returncode == 0, done.stderr[-2000:]
    verdicts = done.stdout.split(b"\n")[:-1]
    assert len(verdicts) == len(lines)
    return [(v.startswith(b"ok "), v[3:] if v.startswith(b"ok ") else v[4:]) for v in verdicts]


def _disagreement(line: bytes, serde_ok: bool, serde_out: bytes) -> str | None:
    """Why our reading of ``line`` differs from serde's, or ``None`` when it does not. A
    documented difference (docs/bridge.md) is returned with a ``documented:`` prefix."""
    try:
        event = parse_forward_event(line)
    except OtherBusEvent:
        if serde_ok and serde_out.startswith((b'{"Chat":', b'{"System":')):
            return None
        if not serde_ok:
            return "documented: a Chat/System payload is not looked at"
        return f"we skip a bus event serde reads as {serde_out[:60]!r}"
    except ForwardEventError as exc:
        if not serde_ok:
            return None
        if exc.problem == "nested too deeply to read":
            return "documented: an unknown field nested beyond Python's recursion limit"
        return f"we reject ({exc}) what serde reads"
    if not serde_ok:
        if getattr(event, "status", None) == "timeout":
            return "documented: the retired timeout status is read"
        return f"we read what serde rejects ({serde_out[:120]!r})"
    wrapped = serde_out.startswith(b'{"Forward":')
    written = format_forward_event(event, bus_wrapped=wrapped).encode()
    if written != serde_out:
        return f"we read it as {written[:300]!r}, serde as {serde_out[:300]!r}"
    return None


@pytest.fixture(scope="session")
def hand_verdicts(forward_serde: Path) -> dict[str, tuple[bool, bytes]]:
    """serde's verdict on every hand-written line, from one run of the crate."""
    verdicts = _judge(forward_serde, [line for _, line, _ in HAND_CASES])
    return {name: verdict for (name, _, _), verdict in zip(HAND_CASES, verdicts)}


@pytest.mark.parametrize(
    ("name", "line", "accepted"), HAND_CASES, ids=[name for name, _, _ in HAND_CASES]
)
def test_the_issues_hand_written_lines_are_judged_as_serde_judges_them(
    name: str, line: bytes, accepted: bool, hand_verdicts: dict[str, tuple[bool, bytes]]
) -> None:
    serde_ok, serde_out = hand_verdicts[name]
    assert serde_ok == accepted, serde_out  # the case is what it says it is
    why = _disagreement(line, serde_ok, serde_out)
    if name in DOCUMENTED:
        assert why is not None and why.startswith("documented:"), why
    else:
        assert why is None


def test_a_leap_second_round_trips_byte_for_byte(forward_serde: Path) -> None:
    line = _at("2016-12-31T23:59:60.5Z")
    event = parse_forward_event(line)
    assert event.meta.leap_second
    assert event.meta.occurred_at_ns == 1_483_228_800_500_000_000  # 2017-01-01T00:00:00.5Z
    written = format_forward_event(event).encode()
    assert written == line.replace(b"60.5Z", b"60.500Z")
    assert _judge(forward_serde, [written]) == [(True, written)]


def test_differential_fuzzing_against_serde(forward_serde: Path, rust_lines: list[bytes]) -> None:
    """4,000 lines made from Rust's own by structured and byte mutations (tests/support/
    serde_fuzz.py), judged by one run of the real types: every verdict and every value read is
    serde's, except the differences docs/bridge.md lists."""
    bases = [line for line in rust_lines if not line.startswith((b'{"Chat"', b'{"System"'))]
    lines = fuzz_lines(bases, FUZZ_LINES, FUZZ_SEED)
    verdicts = _judge(forward_serde, lines)
    accepted = sum(ok for ok, _ in verdicts)
    undocumented: list[tuple[bytes, str]] = []
    documented: dict[str, int] = {}
    for line, (serde_ok, serde_out) in zip(lines, verdicts):
        why = _disagreement(line, serde_ok, serde_out)
        if why is None:
            continue
        if why.startswith("documented:"):
            documented[why] = documented.get(why, 0) + 1
        else:
            undocumented.append((line[:400], why))
    assert undocumented == [], f"{len(undocumented)} disagreements, first: {undocumented[:5]}"
    # The mutations reach both sides of the edge: many lines accepted, many rejected.
    assert FUZZ_LINES * 0.2 < accepted < FUZZ_LINES * 0.8, accepted
    assert sum(documented.values()) < FUZZ_LINES * 0.02, documented


STAMP_LINES = 3_000


def test_timestamps_differentially_against_chrono(forward_serde: Path) -> None:
    """3,000 timestamps at and past the edges of chrono's parser (and edited a character at a
    time) in otherwise good lines, one Rust run: every verdict, and every instant read (written
    back as chrono writes it), is chrono's."""
    template = _STARTED.replace("2026-05-04T10:15:30Z", "{stamp}")
    lines = stamp_lines(template, STAMP_LINES, FUZZ_SEED)
    verdicts = _judge(forward_serde, lines)
    accepted = sum(ok for ok, _ in verdicts)
    wrong = [
        (line[40:120], why)
        for line, (ok, out) in zip(lines, verdicts)
        if (why := _disagreement(line, ok, out)) is not None
    ]
    assert wrong == [], f"{len(wrong)} disagreements, first: {wrong[:5]}"
    assert STAMP_LINES * 0.15 < accepted < STAMP_LINES * 0.85, accepted
