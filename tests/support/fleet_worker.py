"""One router replica of the fleet tests: ``python -m tests.support.fleet_worker SPEC OUT``.

It reports requests through a real ``OTelObserver`` (real SDK tracer and meter providers, a
price table where one input token costs one micro-USD) whose ``SpendTracker`` uses the Redis
store named in the spec, from several threads at once, and writes what it saw as JSON: per
request the account, the tokens it sent (its price, computed here, independently of the
tracker), the span's budget attributes, when it started and how long the record took; and the
process's ``llm_router.budget.exceeded`` and fallback counters, outages and WARNINGs.

Spec (JSON): ``url``, ``threads``, ``accounts`` (``[{"id", "scope", "budget", "range"}]``),
``seed``, and either ``per_thread`` (requests per thread) or ``stop_file`` (run until it exists),
``pause`` (seconds between a thread's requests).
"""

from __future__ import annotations

import json
import logging
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry.instrumentation.llm_router import (
    BudgetRange,
    CallerContext,
    InputTokens,
    LanguageModelUsage,
    OTelObserver,
    OutputTokens,
    RequestContext,
    RequestSuccessEvent,
    SpendTracker,
)
from opentelemetry.instrumentation.llm_router._genai import TelemetrySettings
from opentelemetry.instrumentation.llm_router._pricing import PricingTable

PRICES = PricingTable.from_dict(
    {"prices": {"openai": {"unit": {"input": 1.0, "output": 0.0}}}}, strict=True
)


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _metric_sum(reader: InMemoryMetricReader, name: str) -> int:
    total = 0
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    total += sum(int(point.value) for point in metric.data.data_points)
    return total


def main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    warnings = _Count()
    logging.getLogger("opentelemetry.instrumentation.llm_router._spend").addHandler(warnings)
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    tracker = SpendTracker(store=spec["url"], retry_after=spec.get("retry_after", 0.1))
    observer = OTelObserver(
        tracer_provider,
        MeterProvider(metric_readers=[reader]),
        TelemetrySettings(cost=PRICES.cost),
        spend_tracker=tracker,
    )
    callers = [
        CallerContext(
            account_id=account["id"],
            budget=account["budget"],
            budget_scope=account["scope"],
            budget_range=BudgetRange.from_dict(account["range"]) if account["range"] else None,
        )
        for account in spec["accounts"]
    ]
    stop_file = Path(spec["stop_file"]) if spec.get("stop_file") else None
    records: list[dict[str, Any]] = []
    lock = threading.Lock()

    def work(thread: int) -> None:
        rng = random.Random(f"{spec['seed']}/{thread}")
        done = 0
        while True:
            if stop_file is None and done >= spec["per_thread"]:
                return
            if stop_file is not None and stop_file.exists():
                return
            index = rng.randrange(len(callers))
            tokens = rng.randint(1, 2000)
            event = RequestSuccessEvent(
                RequestContext("route", "openai", "unit", callers[index], latency_ms=5),
                LanguageModelUsage(InputTokens(total=tokens), OutputTokens(total=0)),
            )
            clock = time.perf_counter()
            observer.record_success(event)
            took = time.perf_counter() - clock
            with lock:
                records.append(
                    {"account": spec["accounts"][index]["id"], "tokens": tokens, "took": took}
                )
            done += 1
            if spec.get("pause"):
                time.sleep(spec["pause"])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(spec["threads"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spans = exporter.get_finished_spans()
    assert len(spans) == len(records), (len(spans), len(records))
    out = []
    for span in spans:
        attributes = dict(span.attributes or {})
        out.append(
            {
                "account_id": attributes.get("llm_router.account.id"),
                "tokens": attributes.get("gen_ai.usage.input_tokens"),
                "spent": attributes.get("llm_router.budget.spent.micro_usd"),
                "exceeded": attributes.get("llm_router.budget.exceeded", False),
                "store": attributes.get("llm_router.budget.store"),
                # record_success starts the span latency_ms (5) before it is called
                "start": span.start_time / 1e9 + 0.005,
            }
        )
    result = {
        "records": records,
        "spans": out,
        "exceeded": _metric_sum(reader, "llm_router.budget.exceeded"),
        "fallbacks_counted": _metric_sum(reader, "llm_router.budget.store.fallbacks"),
        "fallbacks": tracker.fallbacks,
        "outages": tracker.outages,
        "warnings": warnings.count,
    }
    Path(out_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
