"""A tiny Python "router" whose events become GenAI spans and metrics on the console.

It routes a handful of requests to made-up providers (no network), and reports each request the
two ways a router can:

- to :class:`OTelObserver` (through a :class:`CompositeObserver`), the router's ``ObserveCallback``,
  after the request has finished: success with usage, or failure with a router error;
- to :class:`ForwardEventRecorder`, as ``RequestStarted`` / ``RequestCompleted`` events around
  each upstream call.

Spans are printed as they end (``ConsoleSpanExporter``); the metrics once, at exit, when the meter
provider shuts down and its reader exports a last time. No collector needed::

    bash scripts/example.sh
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

from opentelemetry.instrumentation.llm_router import (
    AccessDenied,
    BudgetRange,
    CallerContext,
    CompositeObserver,
    EventMeta,
    ForwardEventRecorder,
    InputTokens,
    LanguageModelUsage,
    OTelObserver,
    OutputTokens,
    ProviderError,
    ProviderErrorContext,
    RequestCompleted,
    RequestContext,
    RequestFailureEvent,
    RequestStarted,
    RequestSuccessEvent,
    RouterError,
    TokenUsage,
)

# route -> (provider, model). The providers are made up; "flaky" always rate-limits.
ROUTES: dict[str, tuple[str, str]] = {
    "fast": ("groq", "llama-3.3-70b-versatile"),
    "smart": ("anthropic", "claude-sonnet-4-5"),
    "cheap": ("deepseek", "deepseek-chat"),
    "flaky": ("acme-llm", "acme-1"),
}


@dataclass
class Reply:
    text: str
    usage: LanguageModelUsage


async def fake_provider(provider: str, model: str, prompt: str) -> Reply:
    """Stands in for the HTTP call to ``provider``: waits a little, answers or fails."""
    await asyncio.sleep(0.02 + (len(prompt) % 5) / 100)
    if provider == "acme-llm":
        raise ProviderError(
            provider,
            "rate limit reached for requests",
            ProviderErrorContext(status_code=429, code="rate_limit_exceeded"),
        )
    words = len(prompt.split())
    cached = 1024 if provider == "anthropic" else 0
    return Reply(
        text=f"({model} answers {words} words)",
        usage=LanguageModelUsage(
            InputTokens(total=cached + 12 * words, no_cache=12 * words, cache_read=cached),
            OutputTokens(total=40 + words, reasoning=16 if provider == "deepseek" else None),
        ),
    )


def _meta() -> EventMeta:
    ns = time.time_ns()
    return EventMeta(str(uuid.uuid4()), datetime.now(timezone.utc), None, occurred_at_ns=ns)


class TinyRouter:
    """Resolves a route, checks the caller may use it, calls the provider, reports everything."""

    def __init__(self, observer: CompositeObserver, recorder: ForwardEventRecorder) -> None:
        self.observer = observer
        self.recorder = recorder

    async def handle(self, route: str, caller: CallerContext, prompt: str) -> str:
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
            self.recorder.record(
                RequestCompleted(
                    _meta(),
                    request_id,
                    error.context.status_code or 0,
                    "error",
                    None,
                    int((time.monotonic() - began) * 1000),
                    str(error),
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


async def main() -> None:
    resource = Resource.create({"service.name": "console-router-example"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    # One export at shutdown is all we want: a long interval, then shutdown() flushes.
    reader = PeriodicExportingMetricReader(
        ConsoleMetricExporter(), export_interval_millis=3_600_000
    )
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])

    observer = CompositeObserver([OTelObserver(tracer_provider, meter_provider)], timeout=1.0)
    recorder = ForwardEventRecorder(tracer_provider, meter_provider)
    router = TinyRouter(observer, recorder)

    alice = CallerContext(
        account_id="acct-alice",
        models=("claude-sonnet-4-5", "deepseek-chat", "acme-1"),
        budget=5_000_000,  # micro-USD: $5
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
    try:
        for route, caller, prompt in requests:
            answer = await router.handle(route, caller, prompt)
            print(f"# {caller.account_id} -> {route}: {answer}", file=sys.stderr)
    finally:
        recorder.close()
        tracer_provider.shutdown()
        meter_provider.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
