"""The JSONL bridge: ``llm-router-otel ingest`` reading ``ForwardEvent`` lines, in events per second.

A file of started/completed pairs is written first (in the package's own wire form, so the bridge
parses exactly what a Rust router would send). Two measurements:

- in process: the bridge's read loop (``ingest_lines``: parse each line, feed the recorder) with
  the same SDK set-up as every other measurement (discarding span exporter, in-memory metric
  reader), so its events/s compare with the recorder's;
- the command itself, ``llm-router-otel ingest FILE`` with ``OTEL_*_EXPORTER=none``, start-up
  subtracted (the time of an empty file); with no exporter the SDK skips part of its work, so this
  is an upper bound on what the command does with a real exporter.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

CLI_MODULE = "opentelemetry.instrumentation.llm_router._cli"


def write_events(path: Path, pairs: int) -> int:
    """``pairs`` RequestStarted/RequestCompleted pairs as JSON lines; returns the event count."""
    from opentelemetry.instrumentation.llm_router import (
        EventMeta,
        RequestCompleted,
        RequestStarted,
        TokenUsage,
        format_forward_event,
    )

    now = time.time_ns()

    def meta(ns: int) -> EventMeta:
        return EventMeta(
            event_id=str(uuid.uuid4()),
            occurred_at=datetime.fromtimestamp(ns / 1e9, tz=timezone.utc),
            occurred_at_ns=ns,
        )

    with path.open("w") as out:
        for index in range(pairs):
            request_id = f"req-{index}"
            started = RequestStarted(
                meta(now), request_id, "openai.chat_completions", "gpt-4o-mini", True
            )
            completed = RequestCompleted(
                meta(now + 120_000_000),
                request_id,
                200,
                "success",
                TokenUsage(12, 3, 15),
                120,
                None,
            )
            out.write(format_forward_event(started) + "\n")
            out.write(format_forward_event(completed) + "\n")
    return 2 * pairs


def _ingest_argv(python: str, path: Path) -> list[str]:
    code = f"import sys; from {CLI_MODULE} import main; sys.exit(main())"
    return [python, "-c", code, "ingest", str(path)]


def in_process(path: Path) -> dict[str, Any]:
    """What ``ingest`` does per line (parse, record), with the benchmark's SDK set-up.

    Written against the public API (``parse_forward_event`` and the recorder) rather than the
    command's private read loop, so that the harness does not break when that loop changes.
    """
    from benchmarks.otel_setup import install_sdk
    from opentelemetry.instrumentation.llm_router import ForwardEventRecorder, parse_forward_event

    sdk = install_sdk(set_global=False)
    recorder = ForwardEventRecorder(sdk.tracer_provider, sdk.meter_provider)
    events = 0
    with path.open("rb") as stream:
        start = time.perf_counter()
        for line in stream:
            recorder.record(parse_forward_event(line))
            events += 1
        seconds = time.perf_counter() - start
    if sdk.exporter.count * 2 != events:
        raise SystemExit(f"bridge: {sdk.exporter.count} spans for {events} events")
    return {"events": events, "seconds": seconds, "events_per_s": events / seconds}


def _command(python: str, env: dict[str, str], path: Path, root: Path) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run(
            _ingest_argv(python, path),
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0 or "lines rejected" not in done.stderr:
            raise SystemExit(f"ingest failed (exit {done.returncode}): {done.stderr[-2000:]}")
        best = min(best, elapsed)
    return best


def measure(python: str, env: dict[str, str], events: int, root: Path) -> dict[str, Any]:
    if importlib.util.find_spec(CLI_MODULE) is None:
        return {"skipped": "llm-router-otel (the _cli module) is not in this checkout yet"}
    command_env = dict(env)
    command_env.update(
        {
            "OTEL_TRACES_EXPORTER": "none",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
        }
    )
    with tempfile.TemporaryDirectory() as folder:
        events_file = Path(folder) / "events.jsonl"
        empty_file = Path(folder) / "empty.jsonl"
        empty_file.write_text("")
        count = write_events(events_file, max(events // 2, 1))
        code = (
            "import json, sys; from pathlib import Path; from benchmarks.bridge import in_process; "
            "print(json.dumps(in_process(Path(sys.argv[1]))))"
        )
        done = subprocess.run(
            [python, "-c", code, str(events_file)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"bridge (in process) failed: {done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        startup = _command(python, command_env, empty_file, root)
        total = _command(python, command_env, events_file, root)
    # Too few events to see past start-up noise (a smoke run): no number rather than a wild one.
    command_s = total - startup
    result["command_events_per_s"] = count / command_s if command_s > 0.1 * total else float("nan")
    result["command_startup_s"] = startup
    return result
