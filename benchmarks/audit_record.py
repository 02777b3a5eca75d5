"""What an audit record costs per call (docs/fleet.md): the GenAI mapping with audit on and off.

One call = ``start_call`` + ``set_usage`` + ``end`` on a real SDK pipeline (tracer provider,
metric reader, and a logger provider whose batch processor takes the records). Instructions, for
a figure that does not move with the machine's load (valgrind's callgrind, run twice)::

    AUDIT=0 /work/shared/tools/instructions-per-unit --lo 50 --hi 250 -- \\
        .venv/bin/python -m benchmarks.audit_record
    AUDIT=1 ... (the same)

and wall time per call beside it: ``python -m benchmarks.audit_record --time``.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

try:  # the SDK renamed it; the old name warns
    from opentelemetry.sdk._logs.export import ConsoleLogRecordExporter as ConsoleExporter
except ImportError:  # older SDKs
    from opentelemetry.sdk._logs.export import ConsoleLogExporter as ConsoleExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from opentelemetry.instrumentation.llm_router._genai import (
    GenAITelemetry,
    TelemetrySettings,
    TokenCounts,
)


def telemetry(audit: bool) -> GenAITelemetry:
    logs = LoggerProvider()
    # A queue long enough that nothing is exported during the run: the record's own cost only.
    logs.add_log_record_processor(
        BatchLogRecordProcessor(
            ConsoleExporter(out=io.StringIO()),
            max_queue_size=1_000_000,
            schedule_delay_millis=600_000,
        )
    )
    return GenAITelemetry(
        TracerProvider(),
        MeterProvider(metric_readers=[InMemoryMetricReader()]),
        TelemetrySettings(audit=audit),
        logger_provider=logs,
    )


def calls(target: GenAITelemetry, n: int) -> None:
    usage = TokenCounts(1200, 300)
    for _ in range(n):
        call = target.start_call("chat", "openai", "gpt-4o", server_address="api.openai.com")
        call.set_usage(usage)
        call.end()


def main() -> None:
    if "--time" in sys.argv:
        rounds: dict[bool, list[float]] = {False: [], True: []}
        targets = {audit: telemetry(audit) for audit in rounds}
        for _ in range(7):
            for audit, target in targets.items():
                start = time.perf_counter()
                calls(target, 2000)
                rounds[audit].append((time.perf_counter() - start) / 2000 * 1e6)
        for audit, values in rounds.items():
            print(f"audit {'on ' if audit else 'off'}: {statistics.median(values):.1f} µs per call")
        return
    target = telemetry(os.environ.get("AUDIT") == "1")
    calls(target, 50)  # warm up
    calls(target, int(os.environ.get("N", "100")))


if __name__ == "__main__":
    main()
