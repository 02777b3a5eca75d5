"""The SDK floor: what one GenAI call costs when written straight against the OpenTelemetry SDK.

One span with the attributes the path records (some at start, for samplers, the rest at the end),
plus the metric records it makes (operation duration and two token-usage records), with nothing
else around it: no parsing, no wrapping, no bookkeeping. No instrumentation can record the same
telemetry for less, so overheads are reported as multiples of this.

Attribute names come from the package's one table (``_genai._attributes``); the values are what a
real call would carry.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind

from opentelemetry.instrumentation.llm_router._genai import _attributes as A
from opentelemetry.instrumentation.llm_router._genai import _instruments


@dataclass(frozen=True)
class FloorSpec:
    """The telemetry of one call: span name, start and end attributes, metric attributes."""

    span_name: str
    start: dict[str, Any]
    end: dict[str, Any]
    metric: dict[str, Any]
    extra_histograms: tuple[str, ...] = field(default=())


def http_call_floor(port: int) -> FloorSpec:
    """A non-streaming chat completion through the httpx hook (what the conventions ask for)."""
    start = {
        A.GEN_AI_OPERATION_NAME: "chat",
        A.GEN_AI_PROVIDER_NAME: "openai",
        A.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        A.SERVER_ADDRESS: "127.0.0.1",
        A.SERVER_PORT: port,
    }
    end = {
        A.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
        A.GEN_AI_RESPONSE_ID: "chatcmpl-bench0001",
        A.GEN_AI_RESPONSE_FINISH_REASONS: ["stop"],
        A.GEN_AI_USAGE_INPUT_TOKENS: 12,
        A.GEN_AI_USAGE_OUTPUT_TOKENS: 3,
        A.HTTP_RESPONSE_STATUS_CODE: 200,
    }
    metric = {**start, A.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18"}
    return FloorSpec("chat gpt-4o-mini", start, end, metric)


def observer_floor() -> FloorSpec:
    """A router success event: route and account on the span, usage at the end."""
    start = {
        A.GEN_AI_OPERATION_NAME: "chat",
        A.GEN_AI_PROVIDER_NAME: "openai",
        A.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        A.LLM_ROUTER_ROUTE: "default",
        A.LLM_ROUTER_ACCOUNT_ID: "acct-1",
    }
    end = {A.GEN_AI_USAGE_INPUT_TOKENS: 12, A.GEN_AI_USAGE_OUTPUT_TOKENS: 3}
    metric = {
        A.GEN_AI_OPERATION_NAME: "chat",
        A.GEN_AI_PROVIDER_NAME: "openai",
        A.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
    }
    return FloorSpec("chat gpt-4o-mini", start, end, metric)


def recorder_floor() -> FloorSpec:
    """A RequestStarted / RequestCompleted pair: one span, request id and endpoint on it."""
    start = {
        A.GEN_AI_OPERATION_NAME: "chat",
        A.GEN_AI_PROVIDER_NAME: "openai",
        A.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        A.GEN_AI_REQUEST_STREAM: True,
        A.LLM_ROUTER_REQUEST_ID: "req-1",
        A.LLM_ROUTER_ENDPOINT: "openai.chat_completions",
    }
    end = {
        A.GEN_AI_USAGE_INPUT_TOKENS: 12,
        A.GEN_AI_USAGE_OUTPUT_TOKENS: 3,
        A.LLM_ROUTER_FORWARD_STATUS: "success",
        A.HTTP_RESPONSE_STATUS_CODE: 200,
    }
    metric = {
        A.GEN_AI_OPERATION_NAME: "chat",
        A.GEN_AI_PROVIDER_NAME: "openai",
        A.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
    }
    return FloorSpec("chat gpt-4o-mini", start, end, metric)


class Floor:
    """Records one call's worth of telemetry with the bare SDK (on its own tracer and meter)."""

    def __init__(
        self, spec: FloorSpec, tracer_provider: TracerProvider, meter_provider: MeterProvider
    ) -> None:
        self.spec = spec
        self._tracer = tracer_provider.get_tracer("llm-router-benchmark.floor")
        meter = meter_provider.get_meter("llm-router-benchmark.floor")
        self._duration = _instruments.operation_duration(meter)
        self._tokens = _instruments.token_usage(meter)
        self._input_attributes = {**spec.metric, A.GEN_AI_TOKEN_TYPE: "input"}
        self._output_attributes = {**spec.metric, A.GEN_AI_TOKEN_TYPE: "output"}

    def record(self) -> None:
        spec = self.spec
        start = time.time_ns()
        span = self._tracer.start_span(spec.span_name, kind=SpanKind.CLIENT, attributes=spec.start)
        span.set_attributes(spec.end)
        end = time.time_ns()
        span.end(end)
        self._duration.record((end - start) / 1e9, spec.metric)
        self._tokens.record(12, self._input_attributes)
        self._tokens.record(3, self._output_attributes)
