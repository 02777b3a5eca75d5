"""Bad input for the ForwardEvent JSON reader and the ``llm-router-otel ingest`` bridge.

- The reader, property-based: good serde lines damaged (wrong types, negative and absurd numbers,
  missing and extra fields, truncation, invalid UTF-8, random bytes). It returns an event or
  raises :class:`ForwardEventError` naming the field — never any other exception.
- ``ingest_lines``, property-based: a random mix of good and damaged lines; every rejected line is
  reported with its own line number and skipped, every good line around it is recorded (one span
  per request id, all of them ended).
- The real bridge process, once, exporting over OTLP to a real receiver: 2,000 lines of which
  about one in eight is garbage (including a 2 MiB line, NUL bytes and invalid UTF-8). Exit
  status 0, one report per bad line with its number, the summary line, and every good request's
  span at the receiver.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import TracerProvider

from opentelemetry.instrumentation.llm_router import ForwardEventRecorder
from opentelemetry.instrumentation.llm_router._cli import (
    MAX_LINE_ENV,
    Counts,
    LineTooLong,
    ingest_lines,
    split_lines,
)
from opentelemetry.instrumentation.llm_router._forward_json import (
    ForwardEventError,
    parse_forward_event,
)
from tests.support.mutations import damaged, mutated_json
from tests.support.otlp_receiver import OTLPReceiver
from tests.support.span_audit import CountingSpanProcessor

READER_EXAMPLES = 400
INGEST_EXAMPLES = 60
BRIDGE_LINES = 2_000

_SCRIPT = Path(sys.executable).parent / "llm-router-otel"
COMMAND = (
    [str(_SCRIPT)]
    if _SCRIPT.exists()
    else [sys.executable, "-m", "opentelemetry.instrumentation.llm_router._cli"]
)


def _meta(number: int) -> dict[str, Any]:
    return {
        "event_id": f"6f1e0000-0000-4000-8000-{number:012d}",
        "occurred_at": f"2026-05-04T10:15:{number % 60:02d}.123456789Z",
        "trace_id": None if number % 2 else "4bf92f3577b34da6a3ce929d0e0e4736",
    }


def started(number: int, request_id: str) -> dict[str, Any]:
    return {
        "RequestStarted": {
            "meta": _meta(number),
            "request_id": request_id,
            "endpoint": "openai.chat_completions",
            "model": "gpt-5-mini",
            "is_stream": True,
        }
    }


def completed(number: int, request_id: str) -> dict[str, Any]:
    return {
        "RequestCompleted": {
            "meta": _meta(number),
            "request_id": request_id,
            "status_code": 200,
            "status": "success",
            "usage": {"prompt_tokens": 50, "completion_tokens": 100, "total_tokens": 150},
            "latency_ms": 500,
            "error": None,
        }
    }


def _line(value: Any, wrapped: bool = False) -> bytes:
    if wrapped:
        value = {"Forward": value}
    return json.dumps(value, separators=(",", ":")).encode()


@st.composite
def bad_or_good_line(draw: Any, number: int) -> bytes:
    base = (started if draw(st.booleans()) else completed)(number, f"req-{number}")
    wrapped = draw(st.booleans())
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return _line(base, wrapped)
    if kind == 1:
        return _line(draw(mutated_json(base)), wrapped)
    body, _ = draw(damaged(_line(base, wrapped), allow_huge=False))
    return body


@settings(max_examples=READER_EXAMPLES, deadline=None, derandomize=True)
@given(data=st.data())
def test_reader_raises_only_forward_event_errors(data: Any) -> None:
    line = data.draw(bad_or_good_line(7))
    as_text = data.draw(st.booleans())
    try:
        source: Any = line.decode("utf-8") if as_text else line
    except UnicodeDecodeError:
        source = line
    try:
        event = parse_forward_event(source)
    except ForwardEventError as exc:
        assert exc.field and str(exc)
        return
    assert type(event.request_id) is str  # an event it accepts is fully typed
    assert type(event.meta.occurred_at_ns) is int


@settings(max_examples=INGEST_EXAMPLES, deadline=None, derandomize=True)
@given(data=st.data())
def test_ingest_reports_each_bad_line_and_keeps_the_good_ones(data: Any) -> None:
    count = data.draw(st.integers(1, 30))
    text = b"\n".join(data.draw(bad_or_good_line(n)) for n in range(count)) + b"\n"
    # What a correct ingest must do, worked out line by line as the file iterator splits them.
    bad_numbers = []
    request_ids = set()
    for number, raw in enumerate(io.BytesIO(text), 1):
        if not raw.strip():
            continue
        try:
            request_ids.add(parse_forward_event(raw).request_id)
        except ForwardEventError:
            bad_numbers.append(number)

    tracer_provider = TracerProvider()
    counter = CountingSpanProcessor()
    tracer_provider.add_span_processor(counter)
    recorder = ForwardEventRecorder(tracer_provider, None, max_open=100)
    errors = io.StringIO()
    counts = Counts()
    ingest_lines(io.BytesIO(text), recorder, errors, counts)
    recorder.close()

    reported = [int(line.split(":")[0][5:]) for line in errors.getvalue().splitlines()]
    assert reported == bad_numbers
    assert all(line.startswith("line ") for line in errors.getvalue().splitlines())
    assert counts.rejected == len(bad_numbers)
    assert counter.started == counter.ended == len(request_ids)
    assert counter.open_spans == []
    tracer_provider.shutdown()


def _bridge_input() -> tuple[bytes, int, list[int], set[str]]:
    rng = random.Random(20261122)
    lines: list[bytes] = []
    bad: list[int] = []
    good_ids: set[str] = set()
    garbage = [
        b"this is not json",
        b'{"RequestStarted":',
        b"\xff\xfe\x00\x00",
        b'{"RequestStarted":{"meta":null}}',
        b"\x00" * 40,
        b'{"RequestCompleted":{"request_id":"x","status_code":-1}}',
        b'{"Forward":{"Forward":{}}}',
        b"[1,2,3]",
        b'"just a string"',
        b'{"RequestStarted":{}} trailing',
        b'{"x":' + b"9" * (2 * 1024 * 1024) + b"}",
    ]
    number = 0
    while len(lines) < BRIDGE_LINES:
        number += 1
        if rng.random() < 0.125:
            lines.append(rng.choice(garbage))
            bad.append(len(lines))
            continue
        request_id = f"bridge-{number}"
        good_ids.add(request_id)
        lines.append(_line(started(number, request_id), wrapped=rng.random() < 0.5))
        lines.append(_line(completed(number, request_id)))
    return b"\n".join(lines) + b"\n", len(lines), bad, good_ids


def test_bridge_process_skips_bad_lines_and_exports_the_rest(tmp_path: Path) -> None:
    text, total, bad, good_ids = _bridge_input()
    path = tmp_path / "events.jsonl"
    path.write_bytes(text)
    with OTLPReceiver() as receiver:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint("grpc")
        done = subprocess.run(
            [*COMMAND, "ingest", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        spans = receiver.wait_for_spans(lambda s: len(s) >= len(good_ids), timeout=30)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    reports = [line for line in done.stderr.splitlines() if line.startswith("line ")]
    assert [int(line.split(":")[0][5:]) for line in reports] == bad
    assert all(len(line) < 1000 for line in reports)  # a 2 MiB line is not echoed back whole
    events = total - len(bad)
    summary = done.stderr.splitlines()[-1]
    assert summary == (
        f"llm-router-otel: {events} events read, {len(good_ids)} spans exported, "
        f"{len(bad)} lines rejected"
    )
    received = {s.attributes["llm_router.request.id"] for s in spans}
    assert received == good_ids


# -- a broken stderr never costs data ------------------------------------------------------------

STDERR_REQUESTS = 10


def _console_spans(stdout: str) -> set[str]:
    """Request ids of the spans the SDK's console exporter printed (one JSON object per span)."""
    decoder = json.JSONDecoder()
    ids: set[str] = set()
    position = 0
    text = stdout.strip()
    while position < len(text):
        span, end = decoder.raw_decode(text, position)
        ids.add(span["attributes"]["llm_router.request.id"])
        position = end
        while position < len(text) and text[position].isspace():
            position += 1
    return ids


def test_a_closed_stderr_loses_no_request() -> None:
    """The reader of stderr is gone before the bridge writes anything: every bad line's report
    fails with EPIPE, and still every request is exported and the exit status is 0."""
    lines = []
    for number in range(STDERR_REQUESTS):
        lines.append(_line(started(number, f"req-{number}"), wrapped=number % 2 == 0))
        lines.append(b"not json %d" % number)  # a report on stderr after every start
        lines.append(_line(completed(number, f"req-{number}")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="none")
    process = subprocess.Popen(
        [*COMMAND, "ingest", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stderr is not None
    process.stderr.close()  # nobody reads stderr any more: writes to it fail with EPIPE
    stdout, _ = process.communicate(b"\n".join(lines) + b"\n", timeout=60)
    assert process.returncode == 0
    assert _console_spans(stdout.decode()) == {f"req-{n}" for n in range(STDERR_REQUESTS)}


class _BrokenStderr(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_ingest_lines_keeps_reading_when_reports_fail() -> None:
    tracer_provider = TracerProvider()
    counter = CountingSpanProcessor()
    tracer_provider.add_span_processor(counter)
    recorder = ForwardEventRecorder(tracer_provider, None)
    lines = [b"bad\n", _line(started(1, "a")), b"bad\n", _line(completed(2, "a")), b"{\n"]
    counts = Counts()
    ingest_lines(iter(lines), recorder, _BrokenStderr(), counts)
    recorder.close()
    assert (counts.events, counts.rejected) == (2, 3)
    assert counter.started == counter.ended == 1
    tracer_provider.shutdown()


# -- a line-length bound: linear time, constant memory -------------------------------------------

LONG_LINE_BYTES = 256 << 20
SPLIT_EXAMPLES = 300


@settings(max_examples=SPLIT_EXAMPLES, deadline=None, derandomize=True)
@given(
    text=st.lists(
        st.one_of(st.binary(max_size=40), st.sampled_from([b"\n", b"\n\n", b"x" * 70])),
        max_size=30,
    ).map(b"".join),
    cuts=st.lists(st.integers(0, 2000), max_size=12),
    max_line=st.integers(1, 60),
)
def test_split_lines_is_splitting_on_newlines_with_a_bound(
    text: bytes, cuts: list[int], max_line: int
) -> None:
    """Any input cut into chunks anywhere gives the lines a plain split gives, a line longer
    than the bound standing as its length."""
    bounds = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    chunks = [text[a:b] for a, b in zip(bounds, bounds[1:])]
    # A split at \n alone (bytes.splitlines would also cut at \r, \x0b, ...).
    expected: list[Any] = [part + b"\n" for part in text.split(b"\n")[:-1]]
    if text and not text.endswith(b"\n"):
        expected.append(text.rsplit(b"\n", 1)[-1])
    expected = [
        LineTooLong(len(line.rstrip(b"\n")) if line.endswith(b"\n") else len(line), max_line)
        if len(line) - line.endswith(b"\n") > max_line
        else line
        for line in expected
    ]
    assert list(split_lines(chunks, max_line)) == expected


def _generator_command(size: int) -> list[str]:
    """A process writing a started line, a ``size``-byte line, and two requests' good lines."""
    head = _line(started(1, "before"))
    tail = b"\n".join(
        [_line(completed(2, "before")), _line(started(3, "after")), _line(completed(4, "after"))]
    )
    code = (
        "import sys\n"
        "out = sys.stdout.buffer\n"
        f"out.write({head!r} + b'\\n' + b'{{\"x\":\"')\n"
        f"left = {size} - 8\n"
        "block = b'y' * (1 << 20)\n"
        "while left > 0:\n"
        "    out.write(block[:left]); left -= len(block)\n"
        f"out.write(b'\"}}\\n' + {tail!r} + b'\\n')\n"
    )
    return [sys.executable, "-c", code]


def _bridge_with_generator(size: int, tmp_path: Path) -> tuple[int, int, str, set[str]]:
    """(exit status, peak RSS in KiB, stderr, exported request ids) of the bridge reading the
    generator's output through a pipe."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="none")
    out_path, err_path = tmp_path / f"out-{size}", tmp_path / f"err-{size}"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        generator = subprocess.Popen(_generator_command(size), stdout=subprocess.PIPE)
        bridge = subprocess.Popen(
            [*COMMAND, "ingest", "-"], stdin=generator.stdout, stdout=out, stderr=err, env=env
        )
        assert generator.stdout is not None
        generator.stdout.close()
        timer = threading.Timer(120, bridge.kill)  # not a timing check: a hang must end
        timer.start()
        try:
            _, status, usage = os.wait4(bridge.pid, 0)
        finally:
            timer.cancel()
        bridge.returncode = os.waitstatus_to_exitcode(status)
        generator.wait(timeout=30)
    return (
        bridge.returncode,
        usage.ru_maxrss,
        err_path.read_text(),
        _console_spans(out_path.read_text()),
    )


def test_a_256_mib_line_is_rejected_in_constant_memory(tmp_path: Path) -> None:
    """A 256 MiB line streamed from another process: the bridge's peak RSS is its peak on a
    10-byte line plus at most 16 MiB (four times the 4 MiB bound), the line is one rejected
    line, and the requests before and after it are exported."""
    status, small_peak, _, small_ids = _bridge_with_generator(10, tmp_path)
    assert status == 0 and small_ids == {"before", "after"}
    status, peak, stderr, ids = _bridge_with_generator(LONG_LINE_BYTES, tmp_path)
    assert status == 0, stderr
    assert ids == {"before", "after"}
    assert f"line 2: <line>: {LONG_LINE_BYTES} bytes, longer than the 4194304-byte limit" in stderr
    assert stderr.splitlines()[-1] == (
        "llm-router-otel: 4 events read, 2 spans exported, 1 line rejected"
    )
    assert peak - small_peak < 16 * 1024, (peak, small_peak)  # KiB


def test_max_line_bytes_from_the_flag_and_the_environment(tmp_path: Path) -> None:
    good = _line(started(1, "a"))
    path = tmp_path / "events.jsonl"
    path.write_bytes(good + b"\n" + good.replace(b'"a"', b'"b"') + b"\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none")

    def rejected(*args: str, **extra: str) -> tuple[int, str]:
        done = subprocess.run(
            [*COMMAND, "ingest", str(path), *args],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return done.returncode, done.stderr

    size = len(good)
    assert rejected() == (0, "llm-router-otel: 2 events read, 0 spans exported, 0 lines rejected\n")
    status, stderr = rejected(f"--max-line-bytes={size - 1}")
    assert status == 0 and stderr.count("longer than the") == 2, stderr
    assert "1 line rejected" not in stderr and "2 lines rejected" in stderr
    status, stderr = rejected(**{MAX_LINE_ENV: str(size - 1)})
    assert status == 0 and "2 lines rejected" in stderr
    status, stderr = rejected(f"--max-line-bytes={size}", **{MAX_LINE_ENV: str(size - 1)})
    assert status == 0 and "0 lines rejected" in stderr  # the flag wins
    status, stderr = rejected(**{MAX_LINE_ENV: "lots"})
    assert status == 1 and MAX_LINE_ENV in stderr
