"""One router replica scraped by a real Prometheus: ``python -m tests.support.prometheus_replica SPEC``.

It reports the spec's requests through a real ``OTelObserver`` (prices: one input token costs
one micro-USD; the account on metrics; a ``SpendTracker`` on the shared Redis of the spec) and
serves its metrics with the OpenTelemetry Prometheus exporter on the spec's port. The requests go
in two halves with a pause between, so that Prometheus sees the counters grow; then it touches
``done_file`` and keeps serving until ``stop_file`` exists.

Spec (JSON): ``port``, ``redis``, ``accounts`` (``[{"id", "budget"}]``), ``requests``
(``[[account index, input tokens, error type or null], ...]``), ``pause``, ``done_file``,
``stop_file``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import start_http_server

from opentelemetry.instrumentation.llm_router import (
    CallerContext,
    InputTokens,
    LanguageModelUsage,
    OTelObserver,
    OutputTokens,
    ProviderError,
    ProviderErrorContext,
    RequestContext,
    RequestFailureEvent,
    RequestSuccessEvent,
    SpendTracker,
)
from opentelemetry.instrumentation.llm_router._genai import TelemetrySettings
from opentelemetry.instrumentation.llm_router._pricing import PricingTable

PRICES = PricingTable.from_dict(
    {"prices": {"openai": {"unit": {"input": 1.0, "output": 0.0}}}}, strict=True
)


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    meter_provider = MeterProvider(metric_readers=[PrometheusMetricReader()])
    start_http_server(spec["port"], addr="127.0.0.1")
    observer = OTelObserver(
        TracerProvider(),
        meter_provider,
        TelemetrySettings(cost=PRICES.cost, metric_opt_in=frozenset({"account"})),
        spend_tracker=SpendTracker(store=spec["redis"]),
    )
    callers = [CallerContext(a["id"], budget=a["budget"]) for a in spec["accounts"]]
    requests = spec["requests"]
    half = len(requests) // 2
    # Start only once Prometheus scrapes every replica: a first scrape that came after both halves
    # would see each counter at its final value, so rate() would read no increase at all.
    go = Path(spec["go_file"])
    while not go.exists():
        time.sleep(0.05)
    for number, (account, tokens, error) in enumerate(requests):
        if number == half:
            time.sleep(spec["pause"])
        ctx = RequestContext("route", "openai", "unit", callers[account], latency_ms=40)
        if error is None:
            usage = LanguageModelUsage(InputTokens(total=tokens), OutputTokens(total=0))
            observer.record_success(RequestSuccessEvent(ctx, usage))
        else:
            failure = ProviderError(
                "openai", "rate limited", ProviderErrorContext(error_type=error)
            )
            observer.record_failure(RequestFailureEvent(ctx, failure))
    Path(spec["done_file"]).touch()
    stop = Path(spec["stop_file"])
    while not stop.exists():
        time.sleep(0.1)


if __name__ == "__main__":
    main(sys.argv[1])
