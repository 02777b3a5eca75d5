"""The JSONL bridge: ``llm-router-otel ingest`` reading ``ForwardEvent`` lines, in events per second.

A file of started/completed pairs is written first (in the package's own wire form, so the bridge
parses exactly what a Rust router would send), then the bridge reads it in a fresh process with
the same discarding exporter set-up; the time of an empty file is subtracted so that interpreter
start-up is not counted as ingest time.
"""

from __future__ import annotations

import importlib.util
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


def measure(python: str, env: dict[str, str], events: int, root: Path) -> dict[str, Any]:
    if importlib.util.find_spec(CLI_MODULE) is None:
        return {"skipped": "llm-router-otel (the _cli module) is not in this checkout yet"}
    bridge_env = dict(env)
    # Spans and metrics are produced but go nowhere: the bridge's own cost is what is measured.
    bridge_env.update(
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
        timings = {}
        for name, path in (("empty", empty_file), ("events", events_file)):
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                done = subprocess.run(
                    _ingest_argv(python, path),
                    cwd=root,
                    env=bridge_env,
                    capture_output=True,
                    text=True,
                    timeout=600,
                    check=False,
                )
                elapsed = time.perf_counter() - start
                if done.returncode != 0:
                    return {
                        "error": f"ingest failed (exit {done.returncode}): {done.stderr[-2000:]}"
                    }
                best = min(best, elapsed)
            timings[name] = best
    seconds = max(timings["events"] - timings["empty"], 1e-9)
    return {
        "events": count,
        "seconds": seconds,
        "events_per_s": count / seconds,
        "startup_s": timings["empty"],
    }
