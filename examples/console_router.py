"""A tiny Python "router" whose requests become GenAI spans, shown readably in the terminal.

It routes five requests to made-up providers (no network, no API key) and reports each request the
two ways a router can:

- to :class:`OTelObserver` (through a :class:`CompositeObserver`), the router's ``ObserveCallback``,
  after the request has finished: success with usage, or failure with a router error. Its span is
  the request as the router saw it: route, caller, tokens, cost and the caller's budget use.
- to :class:`ForwardEventRecorder`, as ``RequestStarted`` / ``RequestCompleted`` events around
  the upstream call ("forward events"). Its span is the upstream call itself.

Both spans are children of the router's own span for the incoming request (``POST
/v1/chat/completions``, what an ASGI server instrumentation would make), so one request is one
trace. Only the observer records metrics (the recorder has ``record_metrics=False``), so each
request counts once. Prices come from a small price table (``PRICES``); the callers' budgets are tracked
by a :class:`SpendTracker`.

Spans are printed by :class:`LLMRouterConsoleSpanExporter` (one line per LLM call, each request a
tree); the metrics are summed up at the end. No collector needed::

    bash scripts/example.sh

(Set ``OTEL_TRACES_EXPORTER=console`` to see the SDK's raw JSON instead.)
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import SpanKind, Tracer

from opentelemetry.instrumentation.llm_router import (
    AccessDenied,
    BudgetRange,
    CallerContext,
    CompositeObserver,
    EventMeta,
    ForwardEventRecorder,
    InputTokens,
    LanguageModelUsage,
    LLMRouterConsoleSpanExporter,
    OTelObserver,
    OutputTokens,
    PricingTable,
    ProviderError,
    ProviderErrorContext,
    RequestCompleted,
    RequestContext,
    RequestFailureEvent,
    RequestStarted,
    RequestSuccessEvent,
    RouterError,
    SpendTracker,
    TelemetrySettings,
    TokenUsage,
)

# USD per million tokens: list prices (2026-11) of the example's models, in a table of its own so
# that its figures stay fixed. The package can also price from the genai-prices database and your
# price file (docs/pricing.md).
PRICES = PricingTable.from_dict(
    {
        "prices": {
            "anthropic": {
                "claude-sonnet-4-5": {
                    "input": 3.0,
                    "cache_write_input": 3.75,
                    "cache_read_input": 0.3,
                    "output": 15.0,
                }
            },
            "gemini": {"gemini-2.5-flash-lite": {"input": 0.1, "output": 0.4}},
            "openai": {"gpt-4o-mini": {"input": 0.15, "cache_read_input": 0.075, "output": 0.6}},
        }
    }
)

# route -> (provider, model). The calls are made up; "flaky" always rate-limits. The first three
# models have prices in PRICES.
ROUTES: dict[str, tuple[str, str]] = {
    "fast": ("openai", "gpt-4o-mini"),
    "smart": ("anthropic", "claude-sonnet-4-5"),
    "cheap": ("gemini", "gemini-2.5-flash-lite"),
    "flaky": ("acme-llm", "acme-1"),
}


@dataclass
class Reply:
    text: str
    usage: LanguageModelUsage


async def fake_provider(provider: str, model: str, prompt: str) -> Reply:
    """Stands in for the HTTP call to ``provider``: waits a little, answers or fails."""
    await asyncio.sleep(0.02 + (len(prompt) % 5) / 100)
    if provider == "acme-llm":  # OpenAI's 429 body, read as a router reads it
        body = {
            "error": {
                "message": "rate limit reached for requests",
                "type": "requests",
                "code": "rate_limit_exceeded",
            }
        }
        raise ProviderError(
            provider,
            body["error"]["message"],
            ProviderErrorContext(
                status_code=429, error_type="requests", code="rate_limit_exceeded", body=body
            ),
        )
    words = len(prompt.split())
    cached = 1024 if provider == "anthropic" else 0
    reasoning = 16 if provider == "gemini" else None
    return Reply(
        text=f"({model} answers {words} words)",
        usage=LanguageModelUsage(
            InputTokens(total=cached + 12 * words, no_cache=12 * words, cache_read=cached),
            OutputTokens(total=40 + words + (reasoning or 0), reasoning=reasoning),
        ),
    )


def _meta() -> EventMeta:
    ns = time.time_ns()
    return EventMeta(str(uuid.uuid4()), datetime.now(timezone.utc), None, occurred_at_ns=ns)


class TinyRouter:
    """Resolves a route, checks the caller may use it, calls the provider, reports everything."""

    def __init__(
        self, tracer: Tracer, observer: CompositeObserver, recorder: ForwardEventRecorder
    ) -> None:
        self.tracer = tracer
        self.observer = observer
        self.recorder = recorder

    async def handle(self, route: str, caller: CallerContext, prompt: str) -> str:
        """One incoming request: the router's own span, with the GenAI spans inside it."""
        with self.tracer.start_as_current_span(
            "POST /v1/chat/completions",
            kind=SpanKind.SERVER,
            attributes={"http.request.method": "POST", "url.path": "/v1/chat/completions"},
        ):
            return await self._route(route, caller, prompt)

    async def _route(self, route: str, caller: CallerContext, prompt: str) -> str:
        provider, model = ROUTES[route]
        began = time.monotonic()
        try:
            if caller.models is not None and model not in caller.models:
                raise AccessDenied(f"account {caller.account_id} may not use {model}")
            reply = await self._forward(provider, model, prompt)
        except RouterError as error:
            ctx = self._ctx(route, provider, model, caller, began)
            await self.observer.on_request_failure(RequestFailureEvent(ctx, error))
            return f"error: {error}"
        ctx = self._ctx(route, provider, model, caller, began)
        await self.observer.on_request_success(RequestSuccessEvent(ctx, reply.usage))
        return reply.text

    async def _forward(self, provider: str, model: str, prompt: str) -> Reply:
        """The upstream call, with the forward events around it."""
        request_id = f"req-{uuid.uuid4().hex[:8]}"
        self.recorder.record(
            RequestStarted(_meta(), request_id, f"{provider}.chat_completions", model, False)
        )
        began = time.monotonic()
        try:
            reply = await fake_provider(provider, model, prompt)
        except ProviderError as error:
            # A forward event has no field for the provider's code: the error text carries the
            # provider's body, so the upstream span reads `429 rate_limit_exceeded` as well.
            self.recorder.record(
                RequestCompleted(
                    _meta(),
                    request_id,
                    error.context.status_code or 0,
                    "error",
                    None,
                    int((time.monotonic() - began) * 1000),
                    json.dumps(error.context.body) if error.context.body else str(error),
                )
            )
            raise
        usage = reply.usage
        prompt_tokens = usage.input_tokens.total or 0
        completion_tokens = usage.output_tokens.total or 0
        self.recorder.record(
            RequestCompleted(
                _meta(),
                request_id,
                200,
                "success",
                TokenUsage(prompt_tokens, completion_tokens, prompt_tokens + completion_tokens),
                int((time.monotonic() - began) * 1000),
                None,
            )
        )
        return reply

    @staticmethod
    def _ctx(
        route: str, provider: str, model: str, caller: CallerContext, began: float
    ) -> RequestContext:
        latency_ms = int((time.monotonic() - began) * 1000)
        return RequestContext(route, provider, model, caller, latency_ms)


def span_exporter() -> SpanExporter:
    """Ours unless ``OTEL_TRACES_EXPORTER=console`` asks for the SDK's JSON printer."""
    if os.environ.get("OTEL_TRACES_EXPORTER") == "console":
        return ConsoleSpanExporter()
    return LLMRouterConsoleSpanExporter()


def metric_summary(reader: InMemoryMetricReader) -> list[str]:
    """The example's metrics, summed up in a few lines (what a dashboard would show)."""
    sums: dict[str, float] = {}
    requests: dict[str, int] = {}
    data = reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    attrs: Any = point.attributes or {}
                    if metric.name == "gen_ai.client.operation.duration":
                        outcome = str(attrs.get("error.type", "ok"))
                        requests[outcome] = requests.get(outcome, 0) + point.count
                    elif metric.name == "gen_ai.client.token.usage":
                        key = f"{attrs['gen_ai.token.type']} tokens"
                        sums[key] = sums.get(key, 0) + point.sum
                    elif metric.name in ("llm_router.cost", "llm_router.budget.exceeded"):
                        sums[metric.name] = sums.get(metric.name, 0) + point.value
    ok = requests.pop("ok", 0)
    return [
        f"gen_ai.client.operation.duration  {ok + sum(requests.values())} requests "
        f"({ok} ok, {sum(requests.values())} failed)",
        f"gen_ai.client.token.usage         {sums.get('input tokens', 0):,.0f} input, "
        f"{sums.get('output tokens', 0):,.0f} output",
        f"llm_router.cost                   ${sums.get('llm_router.cost', 0):.6f}",
        f"llm_router.budget.exceeded        {sums.get('llm_router.budget.exceeded', 0):.0f}",
    ]


async def main() -> None:
    resource = Resource.create({"service.name": "console-router-example"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter()))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])

    observer = CompositeObserver(
        [
            OTelObserver(
                tracer_provider,
                meter_provider,
                TelemetrySettings(cost=PRICES.cost),
                spend_tracker=SpendTracker(),
            )
        ],
        timeout=1.0,
    )
    # Spans only: the observer already counts (and prices) each request in the metrics. Its
    # token counts (prompt/completion) lack the cached part, so pricing them would overstate.
    recorder = ForwardEventRecorder(
        tracer_provider, meter_provider, TelemetrySettings(record_metrics=False)
    )
    router = TinyRouter(tracer_provider.get_tracer("tiny-router"), observer, recorder)

    alice = CallerContext(
        account_id="acct-alice",
        models=("claude-sonnet-4-5", "gemini-2.5-flash-lite", "acme-1"),
        budget=5_000,  # micro-USD: half a cent a day
        budget_scope="account",
        budget_range=BudgetRange.duration(86_400),
    )
    bob = CallerContext(account_id="acct-bob")
    requests = [
        ("smart", alice, "Summarise the design document in three sentences."),
        ("cheap", alice, "Translate 'hello' to French."),
        ("fast", alice, "Is this route allowed?"),  # not in alice's models: access denied
        ("flaky", bob, "Anyone there?"),  # the provider rate-limits
        ("fast", bob, "Write a haiku about latency."),
    ]
    print(
        "Five requests, one trace each: the router's span, under it the upstream call\n"
        "(forward events) and the request as the router reports it (OTelObserver).\n"
    )
    try:
        for route, caller, prompt in requests:
            await router.handle(route, caller, prompt)
    finally:
        recorder.close()
        tracer_provider.shutdown()
    print("\nMetrics (each request counted once, by the observer):")
    for line in metric_summary(reader):
        print(f"  {line}")
    meter_provider.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
