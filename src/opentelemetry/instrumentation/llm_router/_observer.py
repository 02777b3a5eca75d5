"""``OTelObserver``: the router's ``ObserveCallback`` turned into GenAI spans and metrics.

The router calls it after each request has finished, with the end-to-end latency, so the span is
started at ``now - latency_ms`` and ended exactly ``latency_ms`` later: the span's length and the
duration metric are the router's latency, never that plus our own recording time (pricing, spend
tracking, the SDK). It never raises: a telemetry problem must not turn into a failed request.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any, Mapping, Optional

from opentelemetry._logs import LoggerProvider
from opentelemetry.context import Context
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import TracerProvider

from opentelemetry.instrumentation.llm_router._config import settings_from_env
from opentelemetry.instrumentation.llm_router._genai import (
    GenAICall,
    GenAITelemetry,
    TelemetrySettings,
    TokenCounts,
)
from opentelemetry.instrumentation.llm_router._genai._error_type import exception_error_type
from opentelemetry.instrumentation.llm_router._misuse import misuse
from opentelemetry.instrumentation.llm_router._observe import (
    BudgetRange,
    CallerContext,
    InputTokens,
    LanguageModelUsage,
    OutputTokens,
    RequestContext,
    RequestFailureEvent,
    RequestSuccessEvent,
)
from opentelemetry.instrumentation.llm_router._provider_names import provider_name
from opentelemetry.instrumentation.llm_router._router_error import ProviderError, RouterError
from opentelemetry.instrumentation.llm_router._spend import SpendTracker, spend_tracker_from_env

_logger = logging.getLogger(__name__)


def usage_to_token_counts(usage: LanguageModelUsage) -> TokenCounts:
    """The router's usage breakdown with GenAI meanings (input includes cache, output reasoning).

    A total the router did not give is the sum of its parts when any part is known.
    """
    inp, out = usage.input_tokens, usage.output_tokens
    no_cache, cache_read, cache_write = _n(inp.no_cache), _n(inp.cache_read), _n(inp.cache_write)
    text, reasoning = _n(out.text), _n(out.reasoning)
    input_total = _n(inp.total)
    if input_total is None and (no_cache, cache_read, cache_write) != (None,) * 3:
        input_total = (no_cache or 0) + (cache_read or 0) + (cache_write or 0)
    output_total = _n(out.total)
    if output_total is None and (text, reasoning) != (None, None):
        output_total = (text or 0) + (reasoning or 0)
    return TokenCounts(
        input_tokens=input_total,
        output_tokens=output_total,
        cache_read_input_tokens=cache_read,
        cache_creation_input_tokens=cache_write,
        reasoning_output_tokens=reasoning,
    )


def _n(value: Any) -> Optional[int]:
    """A count the router gave: an int >= 0 (integral floats accepted); else left out, once
    reported. Counts beyond int64 are clamped when the call is exported (``_bounds``)."""
    if value is None:
        return None
    kind = type(value)
    if kind is float and value.is_integer():
        value, kind = int(value), int
    if kind is int and value >= 0:
        return value
    misuse("token count", f"a token count is not an integer >= 0 but {value!r:.40}; left out")
    return None


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
        if spend_tracker is None:
            spend_tracker = spend_tracker_from_env()
            if spend_tracker is not None and self._telemetry.pricer is None:
                misuse(
                    "spend without prices",
                    "OTEL_PYTHON_LLM_ROUTER_TRACK_SPEND=true but nothing prices requests (no "
                    "OTEL_PYTHON_LLM_ROUTER_PRICING_FILE, and the genai-prices database of the "
                    "'prices' extra is not installed or OTEL_PYTHON_LLM_ROUTER_PRICING excludes "
                    "it): no request has a cost, so spend and budget use stay 0",
                )
        self._spend_tracker = spend_tracker

    async def on_request_success(self, event: RequestSuccessEvent) -> None:
        self.record_success(event)

    async def on_request_failure(self, event: RequestFailureEvent) -> None:
        self.record_failure(event)

    def begin_request(
        self,
        route: str,
        *,
        caller: Optional[CallerContext] = None,
        request_id: Optional[str] = None,
        provider: str = "unknown",
        parent: Optional[Context] = None,
        start_time_ns: Optional[int] = None,
    ) -> Optional[GenAICall]:
        """Open a request's span now, when the request arrives, instead of at completion.

        For a router that wants its upstream calls as children of its own span: make the returned
        call's span current while the request is served, then hand the call to
        :meth:`record_success` / :meth:`record_failure` as ``begun=``, which fill in the provider
        and model the router chose and end it. Until then the span is named after the route and
        its provider is ``provider``. ``start_time_ns`` backdates the start (default: now).
        ``None`` if the span could not be started (never raises).
        """
        try:
            return self._telemetry.start_call(
                self._operation,
                provider_name(provider),
                route,
                route=route,
                caller=caller,
                request_id=request_id,
                parent=parent,
                start_time_ns=start_time_ns,
            )
        except Exception as exc:
            misuse("begin request", f"a request could not be begun ({exc!r})")
            return None

    def record_success(
        self, event: RequestSuccessEvent, *, begun: Optional[GenAICall] = None
    ) -> None:
        """The synchronous form, for routers without an event loop.

        ``begun``: the call :meth:`begin_request` returned for this request, ended here.
        """
        call = begun
        end_ns: Optional[int] = None
        try:
            ctx = _context(event)
            caller = _caller(ctx.caller)
            call, end_ns = self._start(ctx, caller, begun)
            call.set_usage(usage_to_token_counts(_usage(getattr(event, "usage", None))))
            self._track_spend(call, caller)
        except Exception as exc:
            misuse("success event", f"a success event could not be fully recorded ({exc!r})")
        finally:
            if call is not None:  # every span started is ended, whatever went wrong
                call.end(end_ns)

    def record_failure(
        self, event: RequestFailureEvent, *, begun: Optional[GenAICall] = None
    ) -> None:
        """The synchronous form, for routers without an event loop.

        ``begun``: the call :meth:`begin_request` returned for this request, ended here.
        """
        call = begun
        end_ns: Optional[int] = None
        try:
            ctx = _context(event)
            call, end_ns = self._start(ctx, _caller(ctx.caller), begun)
            error = getattr(event, "error", None)
            if isinstance(error, RouterError):
                if isinstance(error, ProviderError) and error.context.status_code is not None:
                    call.set_status_code(error.context.status_code)
                call.fail(error.error_type(), str(error), error)
            elif isinstance(error, BaseException):
                misuse("error type", f"error is not a RouterError but {type(error).__name__}")
                name = type(error).__qualname__
                call.fail(exception_error_type(error), str(error) or name, error)
            else:
                misuse("error type", f"error is not a RouterError but {type(error).__name__}")
                call.fail("_OTHER", None if error is None else str(error))
        except Exception as exc:
            misuse("failure event", f"a failure event could not be fully recorded ({exc!r})")
        finally:
            if call is not None:
                call.end(end_ns)

    def _start(
        self,
        ctx: RequestContext,
        caller: Optional[CallerContext],
        begun: Optional[GenAICall] = None,
    ) -> tuple[GenAICall, int]:
        """The request's call, started (or, when ``begun``, resolved), and its end time: the
        start plus the router's latency, so the span and the duration metric are that latency
        exactly, whatever recording the event takes afterwards. A begun call whose event gives
        no latency (0, the default) ends now: the router did not measure, the span did."""
        latency_ns = _latency_ms(ctx.latency_ms) * 1_000_000
        if begun is not None:  # started at arrival: name what the router chose
            begun.resolve(
                provider_name(_string(ctx.provider, "provider") or "unknown"),
                _string(ctx.model, "model"),
                route=_string(ctx.route, "route"),
                caller=caller,
            )
            if latency_ns == 0:
                return begun, time.time_ns()
            return begun, begun.start_time_ns + latency_ns
        call = self._telemetry.start_call(
            self._operation,
            provider_name(_string(ctx.provider, "provider") or "unknown"),
            _string(ctx.model, "model"),
            route=_string(ctx.route, "route"),
            caller=caller,
            start_time_ns=time.time_ns() - latency_ns,
        )
        return call, call.start_time_ns + latency_ns

    def _track_spend(self, call: GenAICall, caller: Optional[CallerContext]) -> None:
        tracker = self._spend_tracker
        if tracker is None or caller is None:
            return
        usd = call.price()
        tracker.record(call, caller, usd)


# -- misuse: accepted where the meaning is clear, reported once per kind, never raised ----------


def _context(event: Any) -> RequestContext:
    ctx = getattr(event, "ctx", None)
    if isinstance(ctx, RequestContext):
        return ctx
    if isinstance(ctx, Mapping):
        try:
            return RequestContext.from_dict(ctx)
        except (TypeError, ValueError) as exc:
            misuse("ctx", f"ctx could not be read as a RequestContext ({exc})")
    else:
        misuse("ctx", f"ctx is not a RequestContext but {type(ctx).__name__}")
    return RequestContext(
        route=_field(ctx, "route"), provider=_field(ctx, "provider"), model=_field(ctx, "model")
    )


def _field(ctx: Any, name: str) -> Any:
    return ctx.get(name) if isinstance(ctx, Mapping) else getattr(ctx, name, None)


def _string(value: Any, name: str) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    misuse(f"{name} type", f"ctx.{name} is not a string but {type(value).__name__}")
    return str(value)


def _latency_ms(value: Any) -> int:
    if type(value) is int or (type(value) is float and value == value):
        return min(max(int(value), 0), _MAX_LATENCY_MS)
    misuse("latency_ms", f"ctx.latency_ms is not a number but {type(value).__name__}")
    return 0


_MAX_LATENCY_MS = 10 * 365 * 86_400_000
"""A latency beyond ten years is not one: the span is started at most that far back."""


def _usage(usage: Any) -> LanguageModelUsage:
    if isinstance(usage, LanguageModelUsage):
        if isinstance(usage.input_tokens, InputTokens) and isinstance(
            usage.output_tokens, OutputTokens
        ):
            return usage
    elif usage is None:
        return LanguageModelUsage()
    elif isinstance(usage, Mapping):
        try:
            return LanguageModelUsage.from_dict(usage)
        except (TypeError, ValueError) as exc:
            misuse("usage", f"usage could not be read ({exc})")
            return LanguageModelUsage()
    misuse("usage", f"usage is not a LanguageModelUsage but {type(usage).__name__}")
    return LanguageModelUsage()


def _caller(caller: Any) -> Optional[CallerContext]:
    if caller is None:
        return None
    if not isinstance(caller, CallerContext):
        if not isinstance(caller, Mapping):
            misuse("caller", f"ctx.caller is not a CallerContext but {type(caller).__name__}")
            return None
        try:
            caller = CallerContext(**{k: v for k, v in caller.items() if k in _CALLER_FIELDS})
        except (TypeError, ValueError) as exc:
            misuse("caller", f"ctx.caller could not be read ({exc})")
            return None
    budget_range = caller.budget_range
    if budget_range is not None and not isinstance(budget_range, BudgetRange):
        misuse(
            "budget_range",
            f"caller.budget_range {budget_range!r:.80} is not a BudgetRange or its serde form "
            '({"type": "rounds", "count": N} / {"type": "duration", "seconds": S}); ignored',
        )
        caller = dataclasses.replace(caller, budget_range=None)
    return caller


_CALLER_FIELDS = frozenset(f.name for f in dataclasses.fields(CallerContext))
