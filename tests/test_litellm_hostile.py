"""The LiteLLM adapter given hostile values: every span it begins ends, whatever LiteLLM reports.

LiteLLM's logging payload is a loosely typed dict built by many code paths (and by other
callbacks and custom loggers that may rewrite it): a cost can be NaN or infinite, the payload or
its metadata can be something other than a dict. Generated payloads go through the hooks in the
proxy's order (pre-call hook at arrival, then an outcome hook); after each request no span is
left open, nothing raises into LiteLLM, and no exported number is NaN or infinite.
"""

from __future__ import annotations

import asyncio
import math
import os
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
os.environ.setdefault("LITELLM_TELEMETRY", "False")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litellm.proxy._types import UserAPIKeyAuth
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry import trace
from opentelemetry.instrumentation.llm_router._litellm._callback import OTelLiteLLMCallback

EXAMPLES = 150

# Numbers as LiteLLM (or a custom logger before ours) might leave them.
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 10**400, -1]),
    st.integers(),
    st.booleans(),
    st.none(),
    st.text(max_size=4),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=8), st.binary(max_size=4))
ANYTHING = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner),
        st.dictionaries(st.text(max_size=6), inner, max_size=3),
    ),
    max_leaves=6,
)
USAGE = st.one_of(
    ANYTHING,
    st.fixed_dictionaries(
        {},
        optional={
            "prompt_tokens": NUMBERS,
            "completion_tokens": NUMBERS,
            "prompt_tokens_details": ANYTHING,
            "completion_tokens_details": ANYTHING,
            "cache_creation_input_tokens": NUMBERS,
        },
    ),
)
METADATA = st.one_of(
    ANYTHING,
    st.fixed_dictionaries(
        {},
        optional={
            "usage_object": USAGE,
            "user_api_key_hash": ANYTHING,
            "user_api_key_max_budget": NUMBERS,
            "user_api_key_spend": NUMBERS,
            "user_api_key_team_max_budget": NUMBERS,
            "deployment": ANYTHING,
        },
    ),
)
PAYLOAD = st.one_of(
    ANYTHING,
    st.fixed_dictionaries(
        {},
        optional={
            "response_cost": NUMBERS,
            "metadata": METADATA,
            "custom_llm_provider": ANYTHING,
            "model": ANYTHING,
            "model_group": ANYTHING,
            "id": ANYTHING,
        },
    ),
)
# Budgets of every owner, with spend and limits as hostile as the payload's numbers.
AUTH = st.fixed_dictionaries(
    {"max_budget": st.floats(allow_nan=True, allow_infinity=True)},
    optional={
        "spend": st.floats(allow_nan=True, allow_infinity=True),
        "team_max_budget": st.floats(allow_nan=True, allow_infinity=True),
        "team_spend": st.floats(allow_nan=True, allow_infinity=True),
    },
)


class _Response:
    """A response object whose fields are whatever was generated."""

    def __init__(self, usage: Any, choices: Any) -> None:
        self.usage = usage
        self.choices = choices


RESPONSES = st.one_of(ANYTHING, st.builds(_Response, USAGE, ANYTHING))


def _finite_everywhere(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (tuple, list)):
        return all(_finite_everywhere(v) for v in value)
    return True


def _auth(fields: dict[str, Any]) -> UserAPIKeyAuth:
    return UserAPIKeyAuth(api_key="sk-hostile-0123456789abcdef", **fields)


async def _serve(
    adapter: OTelLiteLLMCallback,
    call_id: str,
    auth_fields: dict[str, Any],
    outcome: str,
    kwargs_extra: dict[str, Any],
    response: Any,
) -> None:
    """One request in its own task, as the proxy serves each: arrival, then one outcome."""
    data = {"model": "gpt-fake", "messages": [], "litellm_call_id": call_id}
    before = trace.get_current_span()
    await adapter.async_pre_call_hook(_auth(auth_fields), None, data, "acompletion")
    kwargs = {"litellm_call_id": call_id, "call_type": "acompletion", **kwargs_extra}
    if outcome == "success":
        await adapter.async_post_call_success_hook(data, _auth(auth_fields), response)
        await adapter.async_log_success_event(kwargs, response, None, None)
    elif outcome == "attempt-then-success":
        kwargs["exception"] = RuntimeError("attempt failed")
        await adapter.async_log_failure_event(kwargs, response, None, None)
        await adapter.async_log_success_event(kwargs, response, None, None)
    else:
        data["metadata"] = kwargs_extra.get("standard_logging_object")
        await adapter.async_post_call_failure_hook(data, RuntimeError("failed"), _auth(auth_fields))
    assert trace.get_current_span() is before or outcome == "attempt-then-success"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    auth_fields=AUTH,
    outcome=st.sampled_from(["success", "attempt-then-success", "failure"]),
    payload=PAYLOAD,
    model=ANYTHING,
    provider=ANYTHING,
    response=RESPONSES,
)
def test_every_span_ends_whatever_the_payload(
    auth_fields: dict[str, Any],
    outcome: str,
    payload: Any,
    model: Any,
    provider: Any,
    response: Any,
) -> None:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    adapter = OTelLiteLLMCallback(tracer_provider, meter_provider)
    extra = {"standard_logging_object": payload, "model": model, "custom_llm_provider": provider}

    async def run() -> None:
        await asyncio.create_task(
            _serve(adapter, "call-hostile", auth_fields, outcome, extra, response)
        )

    asyncio.run(run())
    assert adapter._open == {}, "a request's span was left open"
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    (span,) = spans
    for key, value in (span.attributes or {}).items():
        assert _finite_everywhere(value), (key, value)
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    assert _finite_everywhere(getattr(point, "sum", 0.0)), metric.name
    tracer_provider.shutdown()
    meter_provider.shutdown()
