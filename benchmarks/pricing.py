"""What pricing costs per call, in process: the GenAI mapping with and without a pricer.

One call = ``start_call`` + ``set_response`` + ``set_usage`` + ``end`` on a real SDK tracer and
meter provider (spans to a no-op exporter through a ``SimpleSpanProcessor``), the work every
source does per call. Four variants, interleaved in rounds so a busy machine slows them alike:

- ``off``: no pricer (the baseline);
- ``database``: every call priced from genai-prices (the compiled price of ``gpt-4o-mini``);
- ``file``: every call priced from a price file entry;
- ``database_raw``: the database's own look-up alone (``PricesDatabase.usd``), no telemetry.

Reports CPU µs per call (median and range over rounds) and the ratio to ``off`` of the same round.
``python -m benchmarks.pricing [--rounds N] [--calls N]``. The end-to-end figure (the hook through
the openai SDK and plain httpx2, pricing on vs off) is configuration (f) of ``scripts/bench.sh``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable, Optional, Sequence

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from opentelemetry.instrumentation.llm_router._genai import (
    GenAITelemetry,
    TelemetrySettings,
    TokenCounts,
)
from opentelemetry.instrumentation.llm_router._pricer import Pricing
from opentelemetry.instrumentation.llm_router._pricing import PricingTable

clock = time.process_time_ns


class _Discard(SpanExporter):
    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def _telemetry(pricer: Optional[Any]) -> GenAITelemetry:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(_Discard()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return GenAITelemetry(tracer_provider, meter_provider, TelemetrySettings(pricer=pricer))


def _calls(telemetry: GenAITelemetry) -> Callable[[int], int]:
    usage = TokenCounts(1200, 300, 1000, None, 100)

    def run(n: int) -> int:
        start = clock()
        for _ in range(n):
            call = telemetry.start_call(
                "chat", "openai", "gpt-4o-mini", server_address="api.openai.com", server_port=443
            )
            call.set_response("gpt-4o-mini-2024-07-18", "chatcmpl-1", ["stop"])
            call.set_usage(usage)
            call.end()
        return clock() - start

    return run


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args(argv)

    from opentelemetry.instrumentation.llm_router._pricer import shared_database

    database = shared_database()
    if database is None:
        raise SystemExit("genai-prices is not installed (pip install '.[prices]', Python >= 3.11)")
    table = PricingTable.from_dict(
        {"prices": {"openai": {"gpt-4o-mini": {"input": 0.15, "output": 0.6}}}}, strict=True
    )
    usage = TokenCounts(1200, 300, 1000, None, 100)
    now = time.time_ns()

    def raw(n: int) -> int:
        start = clock()
        for _ in range(n):
            database.usd("openai", "gpt-4o-mini-2024-07-18", usage, None, now)
        return clock() - start

    variants: dict[str, Callable[[int], int]] = {
        "off": _calls(_telemetry(None)),
        "database": _calls(_telemetry(Pricing(None, database))),
        "file": _calls(_telemetry(Pricing(table, None))),
        "database_raw": raw,
    }
    for run in variants.values():  # warm up: compile the price, create the instruments
        run(200)
    per_call: dict[str, list[float]] = {key: [] for key in variants}
    for _ in range(args.rounds):
        for key, run in variants.items():
            per_call[key].append(run(args.calls) / args.calls / 1000)
    print(f"CPU µs per call, median (min to max) over {args.rounds} rounds of {args.calls} calls")
    for key, values in per_call.items():
        line = (
            f"  {key:13} {statistics.median(values):7.2f} ({min(values):.2f} to {max(values):.2f})"
        )
        if key in ("database", "file"):
            ratios = [v / b for v, b in zip(values, per_call["off"])]
            added = [v - b for v, b in zip(values, per_call["off"])]
            line += (
                f"   x off: {statistics.median(ratios):.3f}"
                f"   added: {statistics.median(added):+.2f} µs"
            )
        print(line)


if __name__ == "__main__":
    main()
