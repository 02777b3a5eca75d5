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
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import TracerProvider

from opentelemetry.instrumentation.llm_router import ForwardEventRecorder
from opentelemetry.instrumentation.llm_router._cli import Counts, ingest_lines
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
