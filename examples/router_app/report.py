"""How the router reports: ``OTelObserver`` once per client request, ``ForwardEventRecorder`` around
each upstream call. This file is the part a real router would copy.

Both record into the global tracer and meter providers, which ``opentelemetry-instrument`` sets up
from ``OTEL_*`` variables. The recorder is given a no-op meter provider: the observer already counts
each request in the GenAI metrics, and counting the upstream call again would double every number
on the dashboard. (A router that only has forward events would give the recorder the real one.)
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Optional

from opentelemetry.metrics import NoOpMeterProvider

from opentelemetry.instrumentation.llm_router import (
    CallerContext,
    EventMeta,
    ForwardEventRecorder,
    ForwardStatus,
    LanguageModelUsage,
    OTelObserver,
    RequestCompleted,
    RequestContext,
    RequestFailureEvent,
    RequestStarted,
    RequestSuccessEvent,
    RouterError,
    TokenUsage,
    settings_from_env,
)


def _meta() -> EventMeta:
    now_ns = time.time_ns()
    return EventMeta(
        event_id=str(uuid.uuid4()),
        occurred_at=datetime.fromtimestamp(now_ns / 1e9, tz=timezone.utc),
        trace_id=None,  # in process: the recorder's span joins the current trace by itself
        occurred_at_ns=now_ns,
    )


def _token_usage(usage: Optional[LanguageModelUsage]) -> Optional[TokenUsage]:
    if usage is None:
        return None
    prompt = usage.input_tokens.total or 0
    completion = usage.output_tokens.total or 0
    return TokenUsage(prompt, completion, prompt + completion)


@dataclass
class Attempt:
    """One client request in flight: one forwarded upstream call and one final report."""

    reporter: Reporter
    route: str
    provider: str
    model: str
    caller: CallerContext
    request_id: str = field(default_factory=lambda: f"req-{uuid.uuid4().hex[:16]}")
    started: float = field(default_factory=time.monotonic)
    upstream_started: Optional[float] = None
    finished: bool = False

    def upstream_start(self, endpoint: str, stream: bool) -> None:
        self.upstream_started = time.monotonic()
        self.reporter.recorder.record(
            RequestStarted(_meta(), self.request_id, endpoint, self.model, stream)
        )

    def upstream_done(
        self,
        status_code: int,
        status: ForwardStatus,
        usage: Optional[LanguageModelUsage] = None,
        error: Optional[str] = None,
    ) -> None:
        started = self.upstream_started if self.upstream_started is not None else self.started
        latency_ms = int((time.monotonic() - started) * 1000)
        self.reporter.recorder.record(
            RequestCompleted(
                _meta(),
                self.request_id,
                status_code,
                status,
                _token_usage(usage),
                latency_ms,
                error,
            )
        )

    def _context(self) -> RequestContext:
        latency_ms = int((time.monotonic() - self.started) * 1000)
        return RequestContext(self.route, self.provider, self.model, self.caller, latency_ms)

    def succeeded(self, usage: Optional[LanguageModelUsage]) -> None:
        """Report success (synchronous form: safe in a ``finally`` of a cancelled stream)."""
        if not self.finished:
            self.finished = True
            event = RequestSuccessEvent(self._context(), usage or LanguageModelUsage())
            self.reporter.observer.record_success(event)

    def failed(self, error: RouterError) -> None:
        if not self.finished:
            self.finished = True
            self.reporter.observer.record_failure(RequestFailureEvent(self._context(), error))


class Reporter:
    """The observer and the recorder of one router process."""

    def __init__(
        self,
        observer: Optional[OTelObserver] = None,
        recorder: Optional[ForwardEventRecorder] = None,
    ) -> None:
        settings = settings_from_env()
        self.observer = observer or OTelObserver(settings=settings)
        self.recorder = recorder or ForwardEventRecorder(
            meter_provider=NoOpMeterProvider(), settings=settings
        )

    def attempt(self, route: str, provider: str, model: str, caller: CallerContext) -> Attempt:
        return Attempt(self, route, provider, model, caller)
