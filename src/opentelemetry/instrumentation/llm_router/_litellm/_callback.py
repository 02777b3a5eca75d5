"""``OTelLiteLLMCallback``: LiteLLM's custom-logger interface turned into router spans and metrics.

One proxy request is one router span (``chat {model}``, kind CLIENT, scope ours):

- ``async_pre_call_hook`` (the proxy calls it after authentication, before routing) begins the span
  through :meth:`OTelObserver.begin_request` and makes its context current (a :class:`StandIn`
  that passes writes to the span before it, so no other callback can write on the router span),
  together with an attempt counter, for the rest of the request; so every upstream call the httpx
  hook traces is its child and carries ``llm_router.attempt`` = 1, 2, ...;
- ``log_pre_api_call`` (once per LiteLLM attempt) notes the provider and model LiteLLM chose;
- ``async_log_success_event`` (once, at the end of the response or stream) ends it as a
  ``RequestSuccessEvent``; ``async_post_call_failure_hook`` (once, when the proxy gives up) as a
  ``RequestFailureEvent``. LiteLLM's per-attempt failure events only note what was attempted.

Requests are matched by LiteLLM's call id. Open requests are bounded in number and age; one that
never gets an outcome is ended with ``error.type = incomplete``. Nothing here raises into LiteLLM.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections import OrderedDict
from typing import Any, Optional

from litellm.integrations.custom_logger import CustomLogger
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import TracerProvider

from opentelemetry import context, trace
from opentelemetry.instrumentation.llm_router._attempts import AttemptCounter  # public API
from opentelemetry.instrumentation.llm_router._config import (
    capture_content_from_env,
    settings_from_env,
)
from opentelemetry.instrumentation.llm_router._genai import GenAICall, TelemetrySettings
from opentelemetry.instrumentation.llm_router._litellm._coexist import (
    METRICS_SWITCH,
    litellm_records_genai_metrics,
)
from opentelemetry.instrumentation.llm_router._litellm._payload import (
    OPERATIONS,
    Caller,
    caller_from_metadata,
    deployment_of,
    finite,
    mapping,
    request_redactor,
    router_error,
    split_model,
    usage_of,
)
from opentelemetry.instrumentation.llm_router._litellm._standin import StandIn
from opentelemetry.instrumentation.llm_router._observe import (
    RequestContext,
    RequestFailureEvent,
    RequestSuccessEvent,
)
from opentelemetry.instrumentation.llm_router._observer import OTelObserver

_logger = logging.getLogger(__name__)

_PROXY_MODULE = "litellm.proxy.proxy_server"
"""Loaded when LiteLLM runs as the proxy (``import litellm`` alone does not load it)."""

_MAX_DETAILS = 8
"""Attempts whose credentials are remembered for the request's redaction step."""

_UNRESOLVED = "litellm"
"""Provider of a router span until LiteLLM has picked a deployment (or if it never does)."""


class _Open:
    """A proxy request whose span is open: what we know so far."""

    __slots__ = (
        "attempts",
        "call",
        "caller",
        "details",
        "model",
        "operation",
        "provider",
        "route",
        "start_ns",
        "task",
        "token",
    )

    def __init__(
        self,
        call: GenAICall,
        caller: Caller,
        operation: str,
        route: str,
        attempts: AttemptCounter,
        start_ns: int,
    ) -> None:
        self.call = call
        self.caller = caller
        self.operation = operation
        self.route = route
        self.attempts = attempts
        self.start_ns = start_ns
        self.provider: Optional[str] = None
        self.model: Optional[str] = None
        self.token: Optional[object] = None
        self.task: Optional[object] = None
        self.details: list[dict] = []  # LiteLLM's details of each attempt (for redaction)


class OTelLiteLLMCallback(CustomLogger):  # type: ignore[misc]
    """Records each LiteLLM proxy request as one router span; see the module docstring.

    Args:
        tracer_provider / meter_provider: where spans and metrics go (the global ones if omitted).
        settings: mapping choices; from ``OTEL_PYTHON_LLM_ROUTER_*`` if omitted.
        max_open / max_age_s: bounds on requests waiting for their outcome.
    """

    def __init__(
        self,
        tracer_provider: Optional[TracerProvider] = None,
        meter_provider: Optional[MeterProvider] = None,
        settings: Optional[TelemetrySettings] = None,
        *,
        max_open: int = 10_000,
        max_age_s: float = 3_600.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._tracer_provider = tracer_provider
        self._meter_provider = meter_provider
        self._settings = settings
        self._observers: dict[str, OTelObserver] = {}
        self._open: OrderedDict[str, _Open] = OrderedDict()
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._max_open = max_open
        self._max_age_ns = int(max_age_s * 1e9)
        self._proxy_seen = False
        self._litellm_metrics: Optional[bool] = None

    # -- LiteLLM's hooks --------------------------------------------------------------------------

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any
    ) -> None:
        try:
            self._begin(user_api_key_dict, data, call_type)
        except Exception:
            _logger.debug("llm_router: LiteLLM pre-call hook failed", exc_info=True)
        return None

    def log_pre_api_call(self, model: Any, messages: Any, kwargs: dict) -> None:
        try:
            entry = self._open.get(kwargs.get("litellm_call_id"))  # type: ignore[arg-type]
            if entry is not None:
                entry.provider = kwargs.get("custom_llm_provider") or entry.provider
                entry.model = model if isinstance(model, str) else entry.model
                if len(entry.details) < _MAX_DETAILS:  # a reference: read only on failure
                    entry.details.append(kwargs)
        except Exception:
            _logger.debug("llm_router: LiteLLM pre-API hook failed", exc_info=True)

    async def async_log_success_event(
        self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        try:
            self._success(kwargs, response_obj, start_time)
        except Exception:
            _logger.debug("llm_router: LiteLLM success hook failed", exc_info=True)

    async def async_log_failure_event(
        self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        try:
            self._attempt_failed(kwargs, start_time)
        except Exception:
            _logger.debug("llm_router: LiteLLM failure hook failed", exc_info=True)

    async def async_post_call_success_hook(
        self, data: dict, user_api_key_dict: Any, response: Any
    ) -> None:
        # The response is built; the request's task goes on to serialise it. Our span stops
        # being the current one here (it ends with the success event, which may come later).
        try:
            entry = self._open.get(data.get("litellm_call_id"))  # type: ignore[arg-type]
            if entry is not None:
                _detach(entry)
        except Exception:
            _logger.debug("llm_router: LiteLLM post-call hook failed", exc_info=True)
        return None

    async def async_post_call_failure_hook(
        self,
        request_data: dict,
        original_exception: Exception,
        user_api_key_dict: Any,
        traceback_str: Optional[str] = None,
    ) -> None:
        try:
            self._failure(request_data, original_exception, user_api_key_dict)
        except Exception:
            _logger.debug("llm_router: LiteLLM failure hook failed", exc_info=True)
        return None

    # -- the work ---------------------------------------------------------------------------------

    def _observer(self, operation: str) -> OTelObserver:
        observer = self._observers.get(operation)
        if observer is None:
            if self._settings is None:
                self._settings = settings_from_env()
            observer = self._observers[operation] = OTelObserver(
                self._tracer_provider, self._meter_provider, self._settings, operation=operation
            )
        return observer

    def _litellm_counts_successes(self) -> bool:
        """Whether LiteLLM's own callback records the GenAI metrics of successful requests (then
        ours record only the failures, which LiteLLM does not count: each request once)."""
        if self._litellm_metrics is None:
            self._litellm_metrics = litellm_records_genai_metrics()
            if self._litellm_metrics:
                _logger.info(
                    "llm_router: LiteLLM's OpenTelemetry callback records GenAI metrics for "
                    "successful requests (%s=true); the LiteLLM router spans record metrics for "
                    "failed requests only, so each request is counted once",
                    METRICS_SWITCH,
                )
        return self._litellm_metrics

    def _begin(self, auth: Any, data: dict, call_type: Any) -> None:
        self._proxy_seen = True
        operation = OPERATIONS.get(call_type if isinstance(call_type, str) else "")
        call_id = data.get("litellm_call_id")
        route = data.get("model")
        if operation is None or not isinstance(call_id, str) or not isinstance(route, str):
            return
        existing = self._open.get(call_id)
        if existing is not None and existing.task is not None and existing.task is _current_task():
            return  # the same request again: registered twice (config line and the env variable)
        caller = Caller(auth)
        start_ns = time.time_ns()
        outer = trace.get_current_span()  # the router span's parent
        call = self._observer(operation).begin_request(
            route,
            caller=caller.context,
            request_id=call_id,
            provider=_UNRESOLVED,
            start_time_ns=start_ns,
        )
        if call is None:
            return
        _identify(call, caller)
        attempts = AttemptCounter()
        entry = _Open(call, caller, operation, route, attempts, start_ns)
        # Current from now on: the router span's context, not the router span (see _standin).
        standin = StandIn(call.span.get_span_context(), outer)
        entry.token = context.attach(attempts.context(trace.set_span_in_context(standin)))
        entry.task = _current_task()
        with self._lock:
            self._expire(start_ns)
            previous = self._open.pop(call_id, None)
            self._open[call_id] = entry
            self._finished.pop(call_id, None)  # a client may reuse its x-litellm-call-id
        if previous is not None:  # a client reused its x-litellm-call-id while one was open
            _end_incomplete(previous)

    def _expire(self, now_ns: int) -> None:
        """End the oldest open requests beyond the bounds (lock held)."""
        while self._open:
            call_id, oldest = next(iter(self._open.items()))
            if len(self._open) < self._max_open and now_ns - oldest.start_ns < self._max_age_ns:
                return
            del self._open[call_id]
            _end_incomplete(oldest)

    def _take(self, call_id: Any) -> Optional[_Open]:
        """The open request of ``call_id``, removed and remembered as finished."""
        if not isinstance(call_id, str):
            return None
        with self._lock:
            entry = self._open.pop(call_id, None)
            self._finished[call_id] = None
            while len(self._finished) > self._max_open:
                self._finished.popitem(last=False)
        return entry

    def _success(self, kwargs: dict, response: Any, start_time: Any) -> None:
        call_id = kwargs.get("litellm_call_id")
        if isinstance(call_id, str) and call_id in self._finished:
            return  # LiteLLM reported this request already (sync and async handlers both ran)
        entry = self._take(call_id)
        call = entry.call if entry is not None else None
        try:
            call = self._record_success(entry, kwargs, response, start_time)
        finally:
            # Whatever LiteLLM's payload held, a span taken out of the open table ends here
            # (ending twice is harmless: the first end counts).
            if call is not None:
                call.end()

    def _record_success(
        self, entry: Optional[_Open], kwargs: dict, response: Any, start_time: Any
    ) -> Optional[GenAICall]:
        payload = mapping(kwargs.get("standard_logging_object"))
        metadata = mapping(payload.get("metadata"))
        operation = (
            entry.operation if entry else OPERATIONS.get(_text(kwargs.get("call_type")) or "")
        )
        if operation is None:
            return None
        provider = (
            _text(payload.get("custom_llm_provider"))
            or _text(kwargs.get("custom_llm_provider"))
            or (entry.provider if entry else None)
            or _UNRESOLVED
        )
        model = (
            split_model(kwargs.get("model"), provider)
            or split_model(payload.get("model"), provider)
            or (entry.model if entry else None)
        )
        # What the client asked for; after a fallback LiteLLM's model_group names the group that
        # served the request instead.
        route = (entry.route if entry else None) or _text(payload.get("model_group")) or model or ""
        caller = entry.caller if entry else caller_from_metadata(metadata)
        call_id = kwargs.get("litellm_call_id")
        call, start_ns = self._call_for(entry, operation, route, caller, call_id, start_time)
        if call is None:
            return None
        cost = finite(payload.get("response_cost"))
        call.set_cost(cost)
        _budget_use(call, caller, cost or 0.0)
        call.set_response(
            response_id=_text(payload.get("id")), finish_reasons=_finish_reasons(response)
        )
        if entry is not None:
            call.set_attempts(entry.attempts.count)
        if self._litellm_counts_successes():
            call.count_elsewhere()
        usage = getattr(response, "usage", None) or metadata.get("usage_object")
        ctx = RequestContext(route, provider, model or route, caller.context, _latency_ms(start_ns))
        self._observer(operation).record_success(
            RequestSuccessEvent(ctx, usage_of(usage)), begun=call
        )
        return call

    def _attempt_failed(self, kwargs: dict, start_time: Any) -> None:
        """One LiteLLM attempt failed. In the proxy the request may still succeed (retry,
        fallback): note what was tried. Used as a library, the failure is the call's outcome."""
        call_id = kwargs.get("litellm_call_id")
        entry = self._open.get(call_id)  # type: ignore[arg-type]
        if entry is not None:
            entry.provider = _text(kwargs.get("custom_llm_provider")) or entry.provider
            entry.model = _text(kwargs.get("model")) or entry.model
            return
        if self._in_proxy() or (isinstance(call_id, str) and call_id in self._finished):
            return  # the proxy's failure hook reports the request
        operation = OPERATIONS.get(_text(kwargs.get("call_type")) or "")
        exception = kwargs.get("exception")
        if operation is None or not isinstance(exception, BaseException):
            return
        payload = mapping(kwargs.get("standard_logging_object"))
        provider = _text(kwargs.get("custom_llm_provider")) or _UNRESOLVED
        model = split_model(kwargs.get("model"), provider)
        route = _text(payload.get("model_group")) or model or ""
        caller = caller_from_metadata(mapping(payload.get("metadata")))
        call, start_ns = self._call_for(None, operation, route, caller, call_id, start_time)
        if call is None:
            return
        try:
            redactor = request_redactor(kwargs, capture_content_from_env())
            call.use_redactor(redactor)  # also for error.type, the provider's code
            error = router_error(exception, provider, 1, redactor)
            ctx = RequestContext(
                route, provider, model or route, caller.context, _latency_ms(start_ns)
            )
            self._observer(operation).record_failure(RequestFailureEvent(ctx, error), begun=call)
        finally:
            call.end()  # a no-op after record_failure; the end when something before it raised

    def _in_proxy(self) -> bool:
        """Whether LiteLLM runs as the proxy (whose failure hook reports each request).

        Not only "a request arrived through the pre-call hook": a request refused before it (a
        bad key) is logged as a failure event *and* reported by the failure hook, in either
        order; the proxy's first request can be such a one, and counting it from both would give
        it two router spans."""
        if not self._proxy_seen and _PROXY_MODULE in sys.modules:
            self._proxy_seen = True
        return self._proxy_seen

    def _failure(self, data: dict, exception: BaseException, auth: Any) -> None:
        self._proxy_seen = True
        call_id = data.get("litellm_call_id")
        if isinstance(call_id, str) and call_id in self._finished:
            return  # already reported (e.g. a post-call guardrail refused a finished response)
        entry = self._take(call_id)
        if entry is None:
            self._record_failure(None, data, exception, auth)
            return
        _detach(entry)
        try:
            self._record_failure(entry, data, exception, auth)
        finally:
            entry.call.end()  # a no-op after record_failure; the end when something raised

    def _record_failure(
        self, entry: Optional[_Open], data: dict, exception: BaseException, auth: Any
    ) -> None:
        call_id = data.get("litellm_call_id")
        route = entry.route if entry else data.get("model")
        if not isinstance(route, str):
            return  # not a model call we know (and no span was begun)
        operation = entry.operation if entry else "chat"
        caller = entry.caller if entry else Caller(auth)
        dep_provider, dep_model = deployment_of(data.get("metadata"))
        provider = (entry.provider if entry else None) or dep_provider or _UNRESOLVED
        model = (entry.model if entry else None) or dep_model or route
        attempts = entry.attempts.count if entry else 0
        call, start_ns = self._call_for(entry, operation, route, caller, call_id, None)
        if call is None:
            return
        try:
            if entry is not None:
                call.set_attempts(attempts)
            details = entry.details if entry else ()
            redactor = request_redactor(data, capture_content_from_env(), *details)
            call.use_redactor(redactor)  # also for error.type, the provider's code
            error = router_error(exception, provider, attempts, redactor)
            ctx = RequestContext(route, provider, model, caller.context, _latency_ms(start_ns))
            self._observer(operation).record_failure(RequestFailureEvent(ctx, error), begun=call)
        finally:
            call.end()

    def _call_for(
        self,
        entry: Optional[_Open],
        operation: str,
        route: str,
        caller: Caller,
        call_id: Any,
        start_time: Any,
    ) -> tuple[Optional[GenAICall], int]:
        """The request's span: the one begun at arrival, or one begun now, backdated to LiteLLM's
        start time, for a request we did not see arrive."""
        if entry is not None:
            return entry.call, entry.start_ns
        start_ns = _time_ns(start_time)
        call = self._observer(operation).begin_request(
            route,
            caller=caller.context,
            request_id=call_id if isinstance(call_id, str) else None,
            provider=_UNRESOLVED,
            start_time_ns=start_ns,
        )
        if call is not None:
            _identify(call, caller)
        return call, start_ns


def _identify(call: GenAICall, caller: Caller) -> None:
    budget = caller.budget
    call.set_caller_identities(
        name=caller.name,
        team_id=caller.team_id,
        user_id=caller.user_id,
        org_id=caller.org_id,
        end_user_id=caller.end_user_id,
        budget_owner=budget.owner if budget is not None else None,
    )


def _budget_use(call: GenAICall, caller: Caller, cost_usd: float) -> None:
    """Spend in the budget's window after this request (LiteLLM's spend before it + its cost)."""
    budget = caller.budget
    if budget is None:
        return
    spent = budget.spent_micro_usd(cost_usd)
    if spent is not None:
        call.set_budget_use(spent, budget.used_fraction(cost_usd))


def _end_incomplete(entry: _Open) -> None:
    try:
        entry.call.fail("incomplete", "LiteLLM reported no outcome for this request")
        entry.call.end()
    except Exception:
        _logger.debug("llm_router: could not end an abandoned LiteLLM request", exc_info=True)


def _current_task() -> Optional[object]:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running event loop
        return None


def _detach(entry: _Open) -> None:
    """Stop our span being current, only in the task that made it current (a context token
    cannot be reset from another one)."""
    token = entry.token
    if token is None or entry.task is None or _current_task() is not entry.task:
        return
    entry.token = None
    context.detach(token)  # type: ignore[arg-type]


def _time_ns(value: Any) -> int:
    """LiteLLM's start time (a ``datetime`` or epoch seconds) in ns; now if it gives none."""
    try:
        if hasattr(value, "timestamp"):
            return int(value.timestamp() * 1e9)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value * 1e9)
    except Exception:
        pass
    return time.time_ns()


def _latency_ms(start_ns: int) -> int:
    return max((time.time_ns() - start_ns) // 1_000_000, 0)


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _finish_reasons(response: Any) -> Optional[list[str]]:
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list):
        return None
    reasons = [getattr(c, "finish_reason", None) for c in choices]
    found = [r for r in reasons if isinstance(r, str) and r]
    return found or None
