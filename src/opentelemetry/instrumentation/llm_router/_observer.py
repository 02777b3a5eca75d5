"""``OTelObserver``: the router's ``ObserveCallback`` turned into GenAI spans and metrics.

The router calls it after each request has finished, with the end-to-end latency, so the span is
started at ``now - latency_ms`` and ended now. It never raises: a telemetry problem must not turn
into a failed request.
"""

from __future__ import annotations

import logging
import time
from typing import Optional

from opentelemetry._logs import LoggerProvider
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import TracerProvider

from opentelemetry.instrumentation.llm_router._config import settings_from_env
from opentelemetry.instrumentation.llm_router._genai import (
    GenAICall,
    GenAITelemetry,
    TelemetrySettings,
    TokenCounts,
)
from opentelemetry.instrumentation.llm_router._observe import (
    LanguageModelUsage,
    RequestContext,
    RequestFailureEvent,
    RequestSuccessEvent,
)
from opentelemetry.instrumentation.llm_router._provider_names import provider_name
from opentelemetry.instrumentation.llm_router._router_error import ProviderError
from opentelemetry.instrumentation.llm_router._spend import SpendTracker, spend_tracker_from_env

_logger = logging.getLogger(__name__)


def usage_to_token_counts(usage: LanguageModelUsage) -> TokenCounts:
    """The router's usage breakdown with GenAI meanings (input includes cache, output reasoning).

    A total the router did not give is the sum of its parts when any part is known.
    """
    inp, out = usage.input_tokens, usage.output_tokens
    input_total = inp.total
    if input_total is None and (inp.no_cache, inp.cache_read, inp.cache_write) != (None,) * 3:
        input_total = (inp.no_cache or 0) + (inp.cache_read or 0) + (inp.cache_write or 0)
    output_total = out.total
    if output_total is None and (out.text, out.reasoning) != (None, None):
        output_total = (out.text or 0) + (out.reasoning or 0)
    return TokenCounts(
        input_tokens=input_total,
        output_tokens=output_total,
        cache_read_input_tokens=inp.cache_read,
        cache_creation_input_tokens=inp.cache_write,
        reasoning_output_tokens=out.reasoning,
    )


class OTelObserver:
    """An ``ObserveCallback`` that records each finished router request as one CLIENT span.

    Args:
        tracer_provider / meter_provider: where spans and metrics go (the global ones if omitted).
        settings: mapping choices (metric opt-ins, pricing); see :class:`TelemetrySettings`.
        operation: ``gen_ai.operation.name`` for the router's requests (the router's events do
            not say; chat is what routers mostly serve).
        spend_tracker: optional per-account spend tracking against budgets (see ``SpendTracker``);
            when omitted, one is made if ``OTEL_PYTHON_LLM_ROUTER_TRACK_SPEND=true``.
        logger_provider: where the ``gen_ai.client.operation.exception`` events of failed
            requests go (the global one if omitted; none configured, none sent).
    """

    def __init__(
        self,
        tracer_provider: Optional[TracerProvider] = None,
        meter_provider: Optional[MeterProvider] = None,
        settings: Optional[TelemetrySettings] = None,
        *,
        operation: str = "chat",
        spend_tracker: Optional[SpendTracker] = None,
        logger_provider: Optional[LoggerProvider] = None,
    ) -> None:
        if settings is None:  # the OTEL_PYTHON_LLM_ROUTER_* choices (metric opt-ins, pricing)
            settings = settings_from_env()
        self._telemetry = GenAITelemetry(
            tracer_provider, meter_provider, settings, logger_provider=logger_provider
        )
        self._operation = operation
        self._spend_tracker = (
            spend_tracker if spend_tracker is not None else spend_tracker_from_env()
        )

    async def on_request_success(self, event: RequestSuccessEvent) -> None:
        self.record_success(event)

    async def on_request_failure(self, event: RequestFailureEvent) -> None:
        self.record_failure(event)

    def record_success(self, event: RequestSuccessEvent) -> None:
        """The synchronous form, for routers without an event loop."""
        try:
            call = self._start(event.ctx)
            call.set_usage(usage_to_token_counts(event.usage))
            self._track_spend(call, event.ctx)
            call.end()
        except Exception:
            _logger.debug("OTelObserver failed to record a success event", exc_info=True)

    def record_failure(self, event: RequestFailureEvent) -> None:
        """The synchronous form, for routers without an event loop."""
        try:
            call = self._start(event.ctx)
            error = event.error
            if isinstance(error, ProviderError) and error.context.status_code is not None:
                call.set_status_code(error.context.status_code)
            call.fail(error.error_type(), str(error), error)
            call.end()
        except Exception:
            _logger.debug("OTelObserver failed to record a failure event", exc_info=True)

    def _start(self, ctx: RequestContext) -> GenAICall:
        now = time.time_ns()
        latency_ns = max(int(ctx.latency_ms), 0) * 1_000_000
        return self._telemetry.start_call(
            self._operation,
            provider_name(ctx.provider),
            ctx.model,
            route=ctx.route,
            caller=ctx.caller,
            start_time_ns=now - latency_ns,
        )

    def _track_spend(self, call: GenAICall, ctx: RequestContext) -> None:
        tracker = self._spend_tracker
        if tracker is None:
            return
        usd = call.price()
        tracker.record(call, ctx.caller, usd)
