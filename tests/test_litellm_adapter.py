"""The LiteLLM adapter, driven by LiteLLM's own code in process.

A real ``litellm.Router`` calls our loopback fake provider through the real SDK stack (hooked by
the instrumentor); LiteLLM itself invokes our callback's per-attempt and outcome hooks. The two
hooks only the proxy server calls (``async_pre_call_hook`` at arrival, the post-call hooks at the
end) are called here in the proxy's order with LiteLLM's real auth object; the proxy itself is
exercised end to end in ``test_litellm_proxy.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from typing import Any, Callable, Iterator

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
os.environ.setdefault("LITELLM_TELEMETRY", "False")

import litellm
from litellm.integrations.opentelemetry import OpenTelemetry, OpenTelemetryConfig
from litellm.proxy._types import ProxyException, UserAPIKeyAuth
from opentelemetry.sdk.trace import ReadableSpan

from examples.fake_provider import FakeProvider
from opentelemetry.instrumentation.llm_router import TelemetrySettings
from opentelemetry.instrumentation.llm_router._litellm import _payload
from opentelemetry.instrumentation.llm_router._litellm._callback import (
    OTelLiteLLMCallback,
)
from opentelemetry.instrumentation.llm_router._litellm._coexist import (
    litellm_records_genai_metrics,
)

CLIENT_KEY = "sk-client-secret-0123456789"
UPSTREAM_KEY = "sk-upstream-secret-abcdef"
DURATION = "gen_ai.client.operation.duration"


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def router(provider: FakeProvider) -> litellm.Router:
    def deployment(group: str, model: str) -> dict[str, Any]:
        return {
            "model_name": group,
            "litellm_params": {
                "model": f"openai/{model}",
                "api_base": provider.openai_base_url,
                "api_key": UPSTREAM_KEY,
            },
        }

    return litellm.Router(
        model_list=[deployment("gpt-fake", "gpt-4o-mini"), deployment("always-429", "error-429")],
        num_retries=2,
        retry_after=0,
    )


@pytest.fixture
def callback(
    tracer_provider: Any,
    meter_provider: Any,
    instrument: Callable[..., Any],
    provider: FakeProvider,
) -> Iterator[OTelLiteLLMCallback]:
    instrument(f"127.0.0.1:{provider.port}=openai")
    adapter = OTelLiteLLMCallback(tracer_provider, meter_provider)
    with registered(adapter):
        yield adapter


@contextlib.contextmanager
def registered(*callbacks: Any) -> Iterator[None]:
    """Exactly these LiteLLM callbacks for the test. LiteLLM keeps one logger per class in its
    internal lists (a new instance of a class already there is not added), so all are reset."""
    manager = litellm.logging_callback_manager
    manager._reset_all_callbacks()
    litellm.callbacks = list(callbacks)
    try:
        yield
    finally:
        manager._reset_all_callbacks()


def auth(**fields: Any) -> UserAPIKeyAuth:
    return UserAPIKeyAuth(api_key=CLIENT_KEY, **fields)


async def wait_for(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """LiteLLM reports outcomes from background tasks: wait for them, boundedly."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("LiteLLM did not report the outcome in time")
        await asyncio.sleep(0.02)


def router_spans(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in spans if s.attributes and "llm_router.route" in s.attributes]


def upstream_spans(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in spans if s.attributes and "server.address" in s.attributes]


def request(model: str, call_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": "say hello to the router"}],
        "litellm_call_id": call_id,
        **extra,
    }


def no_secret_anywhere(spans: list[ReadableSpan]) -> None:
    for span in spans:
        text = repr(dict(span.attributes or {})) + repr(span.status) + repr(span.events)
        assert CLIENT_KEY not in text and UPSTREAM_KEY not in text, span.name
        assert "0123456789" not in text


async def test_a_request_is_one_router_span_over_its_upstream_call(
    callback: OTelLiteLLMCallback, router: litellm.Router, span_exporter: Any, metric_points: Any
) -> None:
    caller = auth(
        key_alias="team-a-key",
        team_id="team-a",
        user_id="user-1",
        org_id="org-1",
        max_budget=10.0,
        spend=2.5,
        budget_duration="30d",
        models=["gpt-fake"],
    )
    data = request("gpt-fake", "call-success-1")
    await callback.async_pre_call_hook(caller, None, data, "acompletion")
    response = await router.acompletion(**data)
    await callback.async_post_call_success_hook(data, caller, response)
    await wait_for(lambda: bool(router_spans(span_exporter.get_finished_spans())))

    spans = list(span_exporter.get_finished_spans())
    (routed,) = router_spans(spans)
    (upstream,) = upstream_spans(spans)
    attributes = dict(routed.attributes or {})
    assert routed.name == "chat gpt-4o-mini"
    assert attributes["llm_router.route"] == "gpt-fake"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert attributes["llm_router.request.id"] == "call-success-1"
    assert attributes["llm_router.account.id"] == hashlib.sha256(CLIENT_KEY.encode()).hexdigest()
    assert attributes["llm_router.account.name"] == "team-a-key"
    assert attributes["llm_router.account.team.id"] == "team-a"
    assert attributes["llm_router.account.user.id"] == "user-1"
    assert attributes["llm_router.account.org.id"] == "org-1"
    assert attributes["llm_router.account.models"] == ("gpt-fake",)
    assert attributes["llm_router.budget.micro_usd"] == 10_000_000
    assert attributes["llm_router.budget.owner"] == "key"
    assert attributes["llm_router.budget.range.type"] == "duration"
    assert attributes["llm_router.budget.range.seconds"] == 30 * 86_400
    cost = attributes["llm_router.cost.usd"]
    assert cost > 0
    assert attributes["llm_router.budget.spent.micro_usd"] == round((2.5 + cost) * 1e6)
    assert attributes["llm_router.attempts"] == 1
    assert (
        attributes["gen_ai.usage.input_tokens"] == upstream.attributes["gen_ai.usage.input_tokens"]
    )
    assert attributes["gen_ai.usage.output_tokens"] == 8
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    # the upstream call is the router span's child, attempt 1
    assert upstream.parent is not None and upstream.parent.span_id == routed.context.span_id
    assert upstream.attributes["llm_router.attempt"] == 1
    assert routed.start_time <= upstream.start_time and upstream.end_time <= routed.end_time
    no_secret_anywhere(spans)

    durations = metric_points(DURATION)
    layers = sorted("server.address" in p.attributes for p in durations)
    assert layers == [False, True]  # one router request, one upstream call
    assert all(p.count == 1 for p in durations)


async def test_a_retried_failure_is_one_failed_request_over_three_attempts(
    callback: OTelLiteLLMCallback, router: litellm.Router, span_exporter: Any, metric_points: Any
) -> None:
    caller = auth(team_id="team-b")
    data = request("always-429", "call-retried-1")
    await callback.async_pre_call_hook(caller, None, data, "acompletion")
    with pytest.raises(litellm.RateLimitError) as raised:
        await router.acompletion(**data)
    await callback.async_post_call_failure_hook(data, raised.value, caller)

    spans = list(span_exporter.get_finished_spans())
    (routed,) = router_spans(spans)
    attempts = sorted(upstream_spans(spans), key=lambda s: s.start_time)
    assert [s.attributes["llm_router.attempt"] for s in attempts] == [1, 2, 3]
    assert all(s.parent.span_id == routed.context.span_id for s in attempts)
    assert routed.name == "chat error-429"
    assert routed.status.status_code.name == "ERROR"
    assert routed.attributes["error.type"] == "rate_limit_exceeded"  # the provider's code
    assert routed.attributes["http.response.status_code"] == 429
    assert routed.attributes["llm_router.attempts"] == 3
    assert routed.attributes["llm_router.route"] == "always-429"
    no_secret_anywhere(spans)

    # one failed request at the router layer, three failed calls at the upstream layer
    durations = metric_points(DURATION)
    router_layer = [p for p in durations if "server.address" not in p.attributes]
    upstream_layer = [p for p in durations if "server.address" in p.attributes]
    assert sum(p.count for p in router_layer) == 1
    assert router_layer[0].attributes["error.type"] == "rate_limit_exceeded"
    assert all(p.attributes["error.type"] == "rate_limit_exceeded" for p in upstream_layer)
    assert sum(p.count for p in upstream_layer) == 3


async def test_a_stream_ends_its_router_span_with_the_stream(
    callback: OTelLiteLLMCallback, router: litellm.Router, span_exporter: Any
) -> None:
    caller = auth(user_id="streamer")
    data = request("gpt-fake", "call-stream-1", stream=True, stream_options={"include_usage": True})

    async def serve() -> list[Any]:  # in its own task, as the proxy serves each request
        await callback.async_pre_call_hook(caller, None, data, "acompletion")
        stream = await router.acompletion(**data)
        return [chunk async for chunk in stream]

    pieces = await asyncio.create_task(serve())
    assert len(pieces) > 3
    await wait_for(lambda: bool(router_spans(span_exporter.get_finished_spans())))
    spans = list(span_exporter.get_finished_spans())
    (routed,) = router_spans(spans)
    (upstream,) = upstream_spans(spans)
    assert upstream.parent.span_id == routed.context.span_id
    assert upstream.attributes["gen_ai.request.stream"] is True
    assert routed.attributes["gen_ai.usage.output_tokens"] == 8
    assert routed.end_time >= upstream.end_time


async def test_a_refused_key_is_access_denied_and_its_key_stays_out(
    callback: OTelLiteLLMCallback, span_exporter: Any
) -> None:
    refused = ProxyException(
        message=f"Authentication Error, Invalid proxy server token passed. Received API Key = {CLIENT_KEY}",
        type="auth_error",
        param="None",
        code=401,
    )
    data = {"model": "gpt-fake", "messages": [], "litellm_call_id": "call-refused-1"}
    await callback.async_post_call_failure_hook(data, refused, auth())
    spans = list(span_exporter.get_finished_spans())
    (routed,) = router_spans(spans)
    assert routed.attributes["error.type"] == "access_denied"
    assert routed.status.description == "access denied: ProxyException (401)"
    no_secret_anywhere(spans)


async def test_without_the_proxy_each_litellm_call_is_a_router_span(
    callback: OTelLiteLLMCallback, provider: FakeProvider, span_exporter: Any
) -> None:
    await litellm.acompletion(
        model="openai/gpt-4o-mini",
        api_base=provider.openai_base_url,
        api_key=UPSTREAM_KEY,
        messages=[{"role": "user", "content": "hello as a library"}],
    )
    await wait_for(lambda: bool(router_spans(span_exporter.get_finished_spans())))
    (routed,) = router_spans(span_exporter.get_finished_spans())
    assert routed.name == "chat gpt-4o-mini"
    assert routed.attributes["gen_ai.provider.name"] == "openai"
    assert routed.attributes["gen_ai.usage.output_tokens"] == 8
    assert "llm_router.attempts" not in routed.attributes  # no arrival seen, nothing counted


async def test_with_litellms_own_otel_metrics_our_router_spans_step_aside(
    tracer_provider: Any,
    meter_provider: Any,
    instrument: Callable[..., Any],
    provider: FakeProvider,
    router: litellm.Router,
    span_exporter: Any,
    metric_points: Any,
) -> None:
    instrument(f"127.0.0.1:{provider.port}=openai")
    theirs = OpenTelemetry(
        config=OpenTelemetryConfig(exporter="console", enable_metrics=True),
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
    )
    ours = OTelLiteLLMCallback(tracer_provider, meter_provider)
    with registered(theirs, ours):
        assert litellm_records_genai_metrics()
        caller = auth()
        for index in range(3):
            data = request("gpt-fake", f"call-coexist-{index}")
            await ours.async_pre_call_hook(caller, None, data, "acompletion")
            response = await router.acompletion(**data)
            await ours.async_post_call_success_hook(data, caller, response)
        await wait_for(lambda: len(router_spans(span_exporter.get_finished_spans())) == 3)
        await wait_for(
            lambda: (
                sum(
                    p.count for p in metric_points(DURATION) if "server.address" not in p.attributes
                )
                == 3
            )
        )
    durations = metric_points(DURATION)
    router_layer = [p for p in durations if "server.address" not in p.attributes]
    upstream_layer = [p for p in durations if "server.address" in p.attributes]
    # exactly one point per request at each layer: LiteLLM's for the request, ours upstream
    assert sum(p.count for p in router_layer) == 3
    assert all(p.attributes.get("gen_ai.framework") == "litellm" for p in router_layer)
    assert sum(p.count for p in upstream_layer) == 3
    # our router spans are still there, with everything but metrics
    assert len(router_spans(span_exporter.get_finished_spans())) == 3


async def test_requests_that_never_finish_are_ended_as_incomplete(
    tracer_provider: Any, meter_provider: Any, span_exporter: Any
) -> None:
    adapter = OTelLiteLLMCallback(tracer_provider, meter_provider, max_open=2)

    async def arrive(call_id: str) -> None:  # each in its own task, as the proxy's requests are
        await adapter.async_pre_call_hook(auth(), None, request("gpt-fake", call_id), "acompletion")

    for index in range(3):
        await asyncio.create_task(arrive(f"call-open-{index}"))
    (expired,) = span_exporter.get_finished_spans()
    assert expired.attributes["llm_router.request.id"] == "call-open-0"
    assert expired.attributes["error.type"] == "incomplete"


async def test_non_model_calls_get_no_router_span(
    callback: OTelLiteLLMCallback, span_exporter: Any
) -> None:
    data = {"model": "gpt-fake", "litellm_call_id": "call-image-1"}
    await callback.async_pre_call_hook(auth(), None, data, "aimage_generation")
    assert not span_exporter.get_finished_spans()
    assert callback._open == {}


# -- reading LiteLLM's values (no LiteLLM call needed) -----------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("litellm_proxy_master_key", "litellm_proxy_master_key"),
        ("a" * 64, "a" * 64),
        (CLIENT_KEY, hashlib.sha256(CLIENT_KEY.encode()).hexdigest()),  # a raw key is hashed
        ("A" * 64, hashlib.sha256(b"A" * 64).hexdigest()),  # not LiteLLM's lower-case hex
        ("", None),
        (None, None),
    ],
)
def test_the_account_id_is_never_a_raw_key(value: Any, expected: Any) -> None:
    assert _payload.key_id(value) == expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30s", 30),
        ("10m", 600),
        ("24h", 86_400),
        ("30d", 2_592_000),
        ("2w", 1_209_600),
        ("1mo", 2_592_000),
        (" 7D ", 604_800),
        ("30", None),
        ("d", None),
        (30, None),
        (None, None),
    ],
)
def test_budget_durations(value: Any, seconds: Any) -> None:
    assert _payload.duration_seconds(value) == seconds


def test_the_most_specific_budget_is_reported() -> None:
    both = auth(max_budget=5.0, spend=1.0, budget_duration="1d", team_max_budget=100.0)
    budget = _payload.budget_of(both)
    assert (budget.owner, budget.max_usd, budget.duration_s) == ("key", 5.0, 86_400)
    team = _payload.budget_of(auth(team_max_budget=100.0, team_spend=25.0))
    assert (team.owner, team.used_fraction()) == ("team", 0.25)
    assert _payload.budget_of(auth()) is None


def test_usage_with_cached_and_reasoning_tokens() -> None:
    usage = _payload.usage_of(
        {
            "prompt_tokens": 1200,
            "completion_tokens": 310,
            "prompt_tokens_details": {"cached_tokens": 1024},
            "completion_tokens_details": {"reasoning_tokens": 120},
            "cache_creation_input_tokens": 64,
        }
    )
    assert usage.input_tokens.total == 1200
    assert usage.input_tokens.cache_read == 1024
    assert usage.input_tokens.cache_write == 64
    assert usage.output_tokens.total == 310
    assert usage.output_tokens.reasoning == 120
    anthropic_style = _payload.usage_of({"prompt_tokens": 10, "cache_read_input_tokens": 7})
    assert anthropic_style.input_tokens.cache_read == 7
    assert _payload.usage_of(None).input_tokens.total is None


@pytest.mark.parametrize(
    ("exception", "attempts", "kind", "error_type"),
    [
        (litellm.RateLimitError("slow down", "openai", "gpt"), 3, "provider", "429"),  # no body
        (
            litellm.InternalServerError("boom", "openai", "gpt"),
            1,
            "provider",
            "500",
        ),
        (
            litellm.BadRequestError("Invalid model name", "gpt", "openai"),
            0,
            "invalid_request",
            "invalid_request",
        ),
        (litellm.Timeout("timed out", "gpt", "openai"), 1, "transport", "timeout"),
        (litellm.APIConnectionError("refused", "openai", "gpt"), 1, "transport", "transport"),
        (litellm.BudgetExceededError(10.5, 10.0), 0, "access_denied", "access_denied"),
        (
            litellm.RateLimitError("key over its rpm", "openai", "gpt"),
            0,
            "access_denied",
            "access_denied",
        ),
        (asyncio.CancelledError(), 1, "cancelled", "cancelled"),
    ],
)
def test_litellm_exceptions_map_onto_error_kinds(
    exception: BaseException, attempts: int, kind: str, error_type: str
) -> None:
    error = _payload.router_error(exception, "openai", attempts)
    assert error.kind == kind
    assert error.error_type() == error_type


def test_error_text_is_redacted_of_keys_and_of_the_prompt() -> None:
    prompt = "my secret plan is to route everything through the cheapest model"
    data = {"model": "gpt-fake", "messages": [{"role": "user", "content": prompt}]}
    echo = litellm.BadRequestError(
        f"bad request {CLIENT_KEY}: could not process '{prompt}'", "gpt-4o-mini", "openai"
    )
    error = _payload.router_error(echo, "openai", 1, _payload.request_redactor(data, False))
    assert CLIENT_KEY not in str(error) and "secret plan" not in str(error)
    kept = _payload.router_error(echo, "openai", 1, _payload.request_redactor(data, True))
    assert "secret plan" in str(kept) and CLIENT_KEY not in str(kept)


async def test_teams_can_be_put_on_metrics(
    tracer_provider: Any,
    meter_provider: Any,
    instrument: Callable[..., Any],
    provider: FakeProvider,
    router: litellm.Router,
    metric_points: Any,
) -> None:
    instrument(f"127.0.0.1:{provider.port}=openai")
    adapter = OTelLiteLLMCallback(
        tracer_provider, meter_provider, TelemetrySettings(metric_opt_in=frozenset({"team"}))
    )
    with registered(adapter):
        caller = auth(team_id="team-c")
        data = request("gpt-fake", "call-team-1")
        await adapter.async_pre_call_hook(caller, None, data, "acompletion")
        response = await router.acompletion(**data)
        await adapter.async_post_call_success_hook(data, caller, response)
        await wait_for(
            lambda: any("server.address" not in p.attributes for p in metric_points(DURATION))
        )
    (routed,) = [p for p in metric_points(DURATION) if "server.address" not in p.attributes]
    assert routed.attributes["llm_router.account.team.id"] == "team-c"
    assert "llm_router.account.id" not in routed.attributes  # keys stay off unless asked for


async def test_a_call_id_reused_by_the_client_is_a_new_request(
    callback: OTelLiteLLMCallback, router: litellm.Router, span_exporter: Any
) -> None:
    for expected in (1, 2):  # x-litellm-call-id is the client's to choose, and may repeat

        async def serve() -> None:
            data = request("gpt-fake", "call-reused")
            await callback.async_pre_call_hook(auth(), None, data, "acompletion")
            response = await router.acompletion(**data)
            await callback.async_post_call_success_hook(data, auth(), response)

        await asyncio.create_task(serve())
        await wait_for(
            lambda n=expected: len(router_spans(span_exporter.get_finished_spans())) == n
        )
    assert all(s.status.is_ok for s in router_spans(span_exporter.get_finished_spans()))
    assert callback._open == {}


async def test_registered_twice_a_request_is_still_one_span(
    tracer_provider: Any,
    meter_provider: Any,
    instrument: Callable[..., Any],
    provider: FakeProvider,
    router: litellm.Router,
    span_exporter: Any,
) -> None:
    """The config line and OTEL_PYTHON_LLM_ROUTER_LITELLM both: LiteLLM calls every hook twice."""
    instrument(f"127.0.0.1:{provider.port}=openai")
    adapter = OTelLiteLLMCallback(tracer_provider, meter_provider)
    with registered(adapter, adapter):

        async def serve() -> None:
            data = request("gpt-fake", "call-twice-1")
            for _ in range(2):  # the proxy runs each registered callback's pre-call hook
                await adapter.async_pre_call_hook(auth(), None, data, "acompletion")
            response = await router.acompletion(**data)
            for _ in range(2):
                await adapter.async_post_call_success_hook(data, auth(), response)

        await asyncio.create_task(serve())
        await wait_for(lambda: bool(router_spans(span_exporter.get_finished_spans())))
        await asyncio.sleep(0.2)  # a second success report would land now
    (routed,) = router_spans(span_exporter.get_finished_spans())
    assert routed.status.is_ok and routed.attributes["llm_router.attempts"] == 1


def test_the_environment_variable_registers_the_adapter_without_a_config_line(
    tracer_provider: Any, meter_provider: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor
    from opentelemetry.instrumentation.llm_router.litellm import callback as module_callback

    monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_LITELLM", "true")
    with registered():
        instrumentor = LLMRouterInstrumentor()
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        try:
            assert [c for c in litellm.callbacks if c is module_callback] == [module_callback]
            instrumentor.uninstrument()
            instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
            assert [c for c in litellm.callbacks if c is module_callback] == [module_callback]
        finally:
            instrumentor.uninstrument()
        assert module_callback not in litellm.callbacks
