"""``ForwardEventRecorder``: ``RequestStarted`` / ``RequestCompleted`` pairs -> GenAI spans.

A start opens a span at its ``occurred_at``; the completion with the same ``request_id`` ends it at
its own ``occurred_at``. The table of open requests is bounded in size and age, because a router
that drops events (or crashes) must not grow our memory: what falls out is ended with
``error.type = incomplete``. Completions are remembered for a while (also bounded) so that a
duplicate or late event is ignored rather than counted twice.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections import OrderedDict
from typing import Callable, Optional

from opentelemetry._logs import LoggerProvider
from opentelemetry.context import Context
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TracerProvider

from opentelemetry import trace
from opentelemetry.instrumentation.llm_router._config import settings_from_env
from opentelemetry.instrumentation.llm_router._forward import (
    ForwardEvent,
    RequestCompleted,
    RequestStarted,
    TokenUsage,
)
from opentelemetry.instrumentation.llm_router._genai import (
    GenAICall,
    GenAITelemetry,
    RequestParameters,
    TelemetrySettings,
    TokenCounts,
)
from opentelemetry.instrumentation.llm_router._genai._error_type import (
    OTHER,
    TIMEOUT,
    transport_error_type,
)
from opentelemetry.instrumentation.llm_router._misuse import misuse
from opentelemetry.instrumentation.llm_router._provider_names import provider_name
from opentelemetry.instrumentation.llm_router._wire._errors import body_error_type

_logger = logging.getLogger(__name__)

INCOMPLETE = "incomplete"
_TRACE_ID = re.compile("[0-9a-f]{32}")

# The part of an endpoint string after the provider -> gen_ai.operation.name.
_OPERATIONS: dict[str, str] = {
    "chat_completions": "chat",
    "chat": "chat",
    "messages": "chat",
    "responses": "chat",
    "converse": "chat",
    "completions": "text_completion",
    "text_completion": "text_completion",
    "embeddings": "embeddings",
    "embed": "embeddings",
    "generate_content": "generate_content",
    "stream_generate_content": "generate_content",
    "generatecontent": "generate_content",
    "streamgeneratecontent": "generate_content",
}


# OpenAI endpoints -> ``openai.api.type`` (the conventions name these two APIs).
_OPENAI_API_TYPES: dict[str, str] = {
    "openai.chat_completions": "chat_completions",
    "openai.responses": "responses",
}


def endpoint_parameters(endpoint: str) -> Optional[RequestParameters]:
    """What an endpoint string says about the request: ``openai.api.type`` for OpenAI's."""
    api_type = _OPENAI_API_TYPES.get(endpoint.lower()) if type(endpoint) is str else None
    return RequestParameters(openai_api_type=api_type) if api_type else None


def endpoint_provider_and_operation(endpoint: str) -> tuple[str, str]:
    """``"openai.chat_completions"`` -> ``("openai", "chat")``; unknown operations default to chat."""
    provider, _, rest = endpoint.partition(".")
    operation = _OPERATIONS.get(rest.lower().replace("-", "_"), "chat") if rest else "chat"
    return provider_name(provider or "unknown"), operation


def parent_from_trace_id(trace_id: Optional[str]) -> Optional[Context]:
    """A context that puts a new span into the W3C trace ``trace_id`` (32 hex digits, not zero)."""
    # W3C: exactly 32 lower-case hex digits (``int(x, 16)`` alone would also take "0x", "_",
    # signs and spaces).
    if not trace_id or _TRACE_ID.fullmatch(trace_id) is None:
        return None
    value = int(trace_id, 16)
    if value == 0:
        return None
    parent = SpanContext(
        trace_id=value,
        span_id=random.getrandbits(64) or 1,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(NonRecordingSpan(parent))


class ForwardEventRecorder:
    """Turns a stream of ``ForwardEvent`` values into spans and metrics.

    Args:
        max_open: most requests kept open at once; the oldest is ended as incomplete beyond it.
        max_age_s: seconds a request may stay open before it is ended as incomplete.
        clock: ``time.monotonic``-like, for tests.

    Thread-safe: one recorder may be fed from several threads.
    """

    def __init__(
        self,
        tracer_provider: Optional[TracerProvider] = None,
        meter_provider: Optional[MeterProvider] = None,
        settings: Optional[TelemetrySettings] = None,
        *,
        max_open: int = 10_000,
        max_age_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        logger_provider: Optional[LoggerProvider] = None,
    ) -> None:
        if max_open < 1:
            raise ValueError(f"max_open must be at least 1, got {max_open!r}")
        if max_age_s <= 0:
            raise ValueError(f"max_age_s must be positive, got {max_age_s!r}")
        if settings is None:  # the OTEL_PYTHON_LLM_ROUTER_* choices (metric opt-ins, pricing)
            settings = settings_from_env()
        self._telemetry = GenAITelemetry(
            tracer_provider, meter_provider, settings, logger_provider=logger_provider
        )
        self._max_open = max_open
        self._max_age_s = max_age_s
        self._clock = clock
        self._open: OrderedDict[str, tuple[GenAICall, float]] = OrderedDict()
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self.spans_started = 0
        self.spans_ended = 0
        self.ignored_events = 0
        self.expired = 0

    @property
    def open_count(self) -> int:
        return len(self._open)

    def record(self, event: ForwardEvent) -> None:
        """Record one event. Never raises."""
        try:
            with self._lock:
                self._expire(self._clock())
                if isinstance(event, RequestStarted):
                    self._started(event)
                elif isinstance(event, RequestCompleted):
                    self._completed(event)
                else:
                    self.ignored_events += 1
                    misuse("forward event type", f"not a ForwardEvent: {type(event).__name__}")
        except Exception as exc:  # never into the router (an interrupt is no Exception)
            misuse("forward event", f"a ForwardEvent could not be fully recorded ({exc!r})")

    def expire(self) -> int:
        """End the requests that are older than ``max_age_s``; returns how many were ended."""
        with self._lock:
            return self._expire(self._clock())

    def close(self) -> int:
        """End every open request as incomplete (e.g. at the end of the input); returns how many."""
        with self._lock:
            count = 0
            while self._open:
                request_id, (call, _) = self._open.popitem(last=False)
                self._end_incomplete(request_id, call, "still open when the recorder closed")
                count += 1
            return count

    # -----------------------------------------------------------------------------------------

    def _started(self, event: RequestStarted) -> None:
        request_id = event.request_id
        if request_id in self._open or request_id in self._finished:
            self.ignored_events += 1
            return
        provider, operation = endpoint_provider_and_operation(event.endpoint)
        call = self._telemetry.start_call(
            operation,
            provider,
            event.model,
            stream=event.is_stream,
            parameters=endpoint_parameters(event.endpoint),
            request_id=request_id,
            endpoint=event.endpoint,
            start_time_ns=event.meta.occurred_at_ns,
            parent=parent_from_trace_id(event.meta.trace_id),
        )
        self.spans_started += 1
        self._open[request_id] = (call, self._clock())
        while len(self._open) > self._max_open:
            old_id, (old_call, _) = self._open.popitem(last=False)
            self._end_incomplete(old_id, old_call, "evicted: too many open requests")

    def _completed(self, event: RequestCompleted) -> None:
        request_id = event.request_id
        entry = self._open.pop(request_id, None)
        if entry is None:
            if request_id in self._finished:
                self.ignored_events += 1
                return
            call = self._orphan_call(event)
        else:
            call = entry[0]
        end_ns = None
        try:
            usage = event.usage
            if usage is not None:
                if isinstance(usage, dict):  # the serde form, from in-process callers
                    usage = TokenUsage(**usage)
                call.set_usage(
                    TokenCounts(
                        input_tokens=usage.prompt_tokens, output_tokens=usage.completion_tokens
                    )
                )
            call.set_forward_status(event.status)
            if event.status_code:
                call.set_status_code(event.status_code)
            error_type = _error_type(event)
            if error_type is not None:
                call.fail(
                    error_type, event.error or f"upstream call ended with status {event.status}"
                )
            end_ns = event.meta.occurred_at_ns  # clamped to the start (and to OTLP) by end()
        finally:  # every span started is ended, whatever the event held
            call.end(end_ns)
            self.spans_ended += 1
            self._remember_finished(request_id)

    def _orphan_call(self, event: RequestCompleted) -> GenAICall:
        """A completion whose start we never saw: a span over its ``latency_ms``."""
        end_ns = event.meta.occurred_at_ns
        self.spans_started += 1
        return self._telemetry.start_call(
            "chat",
            "unknown",
            None,
            request_id=event.request_id,
            start_time_ns=end_ns - event.latency_ms * 1_000_000,  # clamped by start_call
            parent=parent_from_trace_id(event.meta.trace_id),
        )

    def _expire(self, now: float) -> int:
        count = 0
        deadline = now - self._max_age_s
        while self._open:
            request_id, (call, opened) = next(iter(self._open.items()))
            if opened > deadline:
                break
            del self._open[request_id]
            self._end_incomplete(request_id, call, f"no RequestCompleted within {self._max_age_s}s")
            count += 1
        return count

    def _end_incomplete(self, request_id: str, call: GenAICall, why: str) -> None:
        call.fail(INCOMPLETE, why)
        # Now, but never before the start (events may carry a router clock ahead of ours).
        call.end(max(time.time_ns(), call.start_time_ns))
        self.spans_ended += 1
        self.expired += 1
        self._remember_finished(request_id)

    def _remember_finished(self, request_id: str) -> None:
        self._finished[request_id] = None
        while len(self._finished) > self._max_open:
            self._finished.popitem(last=False)


def _error_type(event: RequestCompleted) -> Optional[str]:
    """``error.type`` of a completion, or ``None`` when it succeeded.

    By the rule every source follows (``_genai._error_type``), from what a forward event holds: a
    status code and an error text. The text decides only when it is (or quotes) the provider's
    JSON error body, read as the hook reads it (``rate_limit_exceeded``); otherwise an HTTP status
    from 400 up is the type (``429``: the router did not pass the provider's code on). Status code
    0 (no answer) is ``timeout`` when the text says so, else ``transport``. A failure with neither
    (an error status beside a 2xx) is ``_OTHER``.
    """
    if event.status == "timeout":
        return TIMEOUT
    status_code = event.status_code
    if status_code >= 400:
        return body_error_type(event.error) or str(status_code)
    if event.status == "error" or event.error:
        if status_code == 0:
            return transport_error_type(event.error)
        return body_error_type(event.error) or OTHER
    return None
