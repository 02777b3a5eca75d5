"""``llm-router-otel ingest`` always stops on SIGTERM / SIGINT, and counts what the SDK dropped.

- A busy input, many times: a writer thread pours good lines (requests started, half of them
  completed) into the bridge's stdin as fast as the pipe takes them; after a random delay the
  bridge gets SIGTERM or SIGINT. Every trial: the process exits by itself within the documented
  bound (the shutdown timeout plus a margin), with status 0, says it was interrupted, prints the
  summary last, and the receiver has one span per request read (open ones as ``incomplete``).
- The same with the collector unreachable: the flush cannot finish, the process still exits
  within ``--shutdown-timeout`` and says how many spans were not exported; a second signal ends
  the flush at once.
- A queue too small for the input: the summary counts the spans the SDK's queue dropped, and
  exported + dropped is every span.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from tests.support.otlp_receiver import OTLPReceiver

TRIALS = 30
STARTED_BYTES = 512 * 1024
SHUTDOWN_TIMEOUT_S = 5.0
EXIT_MARGIN_S = 5.0
"""Interpreter start-up is not part of the bound; scheduling on a busy 2-core machine is."""

_SCRIPT = Path(sys.executable).parent / "llm-router-otel"
COMMAND = (
    [str(_SCRIPT)]
    if _SCRIPT.exists()
    else [sys.executable, "-m", "opentelemetry.instrumentation.llm_router._cli"]
)


def _meta(number: int) -> str:
    return (
        f'{{"event_id":"e-{number}","occurred_at":"2026-05-04T10:15:30.{number % 1000:03d}Z",'
        '"trace_id":null}'
    )


def _started(number: int) -> bytes:
    return (
        f'{{"RequestStarted":{{"meta":{_meta(number)},"request_id":"r-{number}",'
        '"endpoint":"openai.chat_completions","model":"gpt-5-mini","is_stream":true}}\n'
    ).encode()


def _completed(number: int) -> bytes:
    return (
        f'{{"RequestCompleted":{{"meta":{_meta(number)},"request_id":"r-{number}",'
        '"status_code":200,"status":"success","usage":null,"latency_ms":5,"error":null}}\n'
    ).encode()


class _Poured:
    bytes = 0


def _pour(pipe: IO[bytes], stop: threading.Event, poured: _Poured) -> None:
    """Write good lines until the bridge stops reading (broken pipe) or the test says stop."""
    number = 0
    try:
        while not stop.is_set():
            batch = []
            for _ in range(50):
                number += 1
                batch.append(_started(number))
                if number % 2:
                    batch.append(_completed(number))
            data = b"".join(batch)
            pipe.write(data)
            pipe.flush()
            poured.bytes += len(data)
    except (BrokenPipeError, OSError, ValueError):
        pass


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(OTEL_METRICS_EXPORTER="none", **extra)
    return env


def _interrupt_busy_bridge(
    env: dict[str, str], delay_s: float, signum: int, extra_signal_after_s: float = 0.0
) -> tuple[int, str, float]:
    """Start the bridge, pour lines into it, signal it after ``delay_s``; (status, stderr,
    seconds from the signal to the exit)."""
    process = subprocess.Popen(
        [*COMMAND, "ingest", "-", "--shutdown-timeout", str(SHUTDOWN_TIMEOUT_S)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdin is not None and process.stderr is not None
    stop = threading.Event()
    poured = _Poured()
    writer = threading.Thread(target=_pour, args=(process.stdin, stop, poured), daemon=True)
    writer.start()
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True)
    reader.start()
    # The bridge is reading once far more than a pipe buffer (64 KiB) went in: from then on it
    # handles signals (before, during interpreter start-up, the default action applies).
    deadline = time.monotonic() + 60
    while poured.bytes < STARTED_BYTES and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay_s)
    process.send_signal(signum)
    signalled = time.monotonic()
    if extra_signal_after_s:
        time.sleep(extra_signal_after_s)
        if process.poll() is None:
            process.send_signal(signum)
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S + EXIT_MARGIN_S + 30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"the bridge ignored {signal.Signals(signum).name}: killed after 40 s")
    elapsed = time.monotonic() - signalled
    stop.set()
    try:
        process.stdin.close()
    except OSError:
        pass
    reader.join(10)
    writer.join(10)
    return process.returncode, b"".join(errors).decode("utf-8", "replace"), elapsed


def _requests_in(events: int) -> int:
    """How many requests the first ``events`` lines of :func:`_pour`'s input started."""
    requests, lines, number = 0, 0, 0
    while lines < events:
        number += 1
        requests += 1
        lines += 2 if number % 2 else 1
    return requests


def _summary_numbers(summary: str) -> dict[str, int]:
    """``"llm-router-otel: 3 events read, 2 spans exported, ..."`` -> {"events read": 3, ...}."""
    numbers = {}
    for part in summary.split(": ", 1)[1].split(", "):
        count, _, what = part.partition(" ")
        numbers[what.split(" (")[0]] = int(count)
    return numbers


def test_signals_always_stop_a_busy_bridge() -> None:
    rng = random.Random(20261129)
    slowest = 0.0
    drops = 0
    with OTLPReceiver() as receiver:
        env = _env(OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint("grpc"))
        for trial in range(TRIALS):
            receiver.clear()
            signum = signal.SIGTERM if trial % 2 else signal.SIGINT
            status, stderr, elapsed = _interrupt_busy_bridge(env, rng.uniform(0.0, 0.5), signum)
            slowest = max(slowest, elapsed)
            assert status == 0, stderr[-2000:]
            assert "Traceback" not in stderr, stderr[-3000:]
            lines = stderr.splitlines()
            assert "interrupted; finishing what was read" in stderr
            summary = lines[-1]
            assert summary.startswith("llm-router-otel: "), summary
            numbers = _summary_numbers(summary)
            assert elapsed < SHUTDOWN_TIMEOUT_S + EXIT_MARGIN_S, (trial, elapsed, summary)
            spans = receiver.wait_for_spans(
                lambda s, n=numbers: len(s) >= n["spans exported"], timeout=10
            )
            assert len(spans) == numbers["spans exported"]
            assert "not exported" not in summary, summary
            # Every request read has its span, exported or counted as dropped by a full queue.
            dropped = numbers.get("spans dropped", 0)
            assert numbers["spans exported"] + dropped == _requests_in(numbers["events read"])
            drops += dropped
            # The completed ones (odd numbers) as they ended, the open ones (even numbers never
            # complete) ended as incomplete when the signal came.
            ids = [int(s.attributes["llm_router.request.id"][2:]) for s in spans]
            assert len(set(ids)) == len(ids) and ids
            for number, span in zip(ids, spans):
                if number % 2 == 0:
                    assert span.attributes.get("error.type") == "incomplete"
    print(f"{TRIALS} trials, slowest exit {slowest:.2f} s after the signal, {drops} spans dropped")


def test_unreachable_collector_still_exits_within_the_shutdown_timeout() -> None:
    with OTLPReceiver() as receiver:
        port = receiver.grpc_port  # free now that the receiver is stopped
    env = _env(OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}")
    status, stderr, elapsed = _interrupt_busy_bridge(env, 1.0, signal.SIGTERM)
    assert status == 0, stderr[-2000:]
    assert elapsed < SHUTDOWN_TIMEOUT_S + EXIT_MARGIN_S
    summary = stderr.splitlines()[-1]
    numbers = _summary_numbers(summary)
    assert numbers["spans exported"] == 0
    assert numbers.get("spans not exported", 0) + numbers.get("spans failed to export", 0) > 0

    # A second signal ends the flush at once.
    status, stderr, elapsed = _interrupt_busy_bridge(env, 1.0, signal.SIGINT, 0.5)
    assert status == 0, stderr[-2000:]
    assert elapsed < 0.5 + EXIT_MARGIN_S / 2
    assert "not exported" in stderr.splitlines()[-1]


def test_spans_dropped_by_a_full_queue_are_counted(tmp_path: Path) -> None:
    count = 3000
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(_started(n) + _completed(n) for n in range(count)))
    with OTLPReceiver() as receiver:
        env = _env(
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint("grpc"),
            OTEL_BSP_MAX_QUEUE_SIZE="16",
            OTEL_BSP_MAX_EXPORT_BATCH_SIZE="16",
            OTEL_BSP_SCHEDULE_DELAY="5000",
        )
        done = subprocess.run(
            [*COMMAND, "ingest", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        numbers = _summary_numbers(done.stderr.splitlines()[-1])
        spans = receiver.wait_for_spans(lambda s: len(s) >= numbers["spans exported"], timeout=10)
    assert numbers["events read"] == 2 * count
    assert numbers["spans dropped"] > 0, done.stderr[-500:]
    assert len(spans) == numbers["spans exported"]
    assert numbers["spans exported"] + numbers["spans dropped"] == count
