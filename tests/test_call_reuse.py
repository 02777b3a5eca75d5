"""What one call leaves behind for the next must never show on the next call's telemetry.

The non-streaming path works out once what recurs on every call of a process, and shares it:
the meaning of a request path, the parameters of a body that sets none, the start of a span for an
(operation, provider, model, server), the metric attribute dicts of calls that ended alike. These
tests make calls that differ in exactly one thing after calls that set it up, and check each call's
own span and metric points, through the public mapping and through the httpx hook.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry.instrumentation.llm_router import GenAITelemetry, TelemetrySettings, TokenCounts
from opentelemetry.instrumentation.llm_router._wire.openai import OPENAI
from tests.support.openai_wire import chat_completion, chat_request
from tests.support.scripted_server import Reply, ScriptedServer, json_reply

DURATION = "gen_ai.client.operation.duration"
TOKENS = "gen_ai.client.token.usage"
T0 = 1_700_000_000_000_000_000


def _end(call: Any, **response: Any) -> None:
    call.set_response("resp-model", "resp-1", ["stop"], **response)
    call.set_usage(TokenCounts(input_tokens=5, output_tokens=7))
    call.end(T0 + 10**9)


def _durations(metric_points: Callable[[str], list[Any]]) -> list[dict[str, Any]]:
    return [dict(point.attributes) for point in metric_points(DURATION)]


def test_a_resolved_call_leaves_the_next_calls_attributes_alone(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    telemetry = GenAITelemetry(tracer_provider, meter_provider)
    start = {"server_address": "api.example.com", "server_port": 443, "start_time_ns": T0}
    first = telemetry.start_call("chat", "openai", "alias", **start)
    first.resolve("anthropic", "claude-x")  # the router chose another provider and model
    _end(first)
    second = telemetry.start_call("chat", "openai", "alias", **start)
    _end(second)

    spans = span_exporter.get_finished_spans()
    assert [s.name for s in spans] == ["chat claude-x", "chat alias"]
    assert spans[1].attributes["gen_ai.provider.name"] == "openai"
    assert spans[1].attributes["gen_ai.request.model"] == "alias"
    series = {
        (d["gen_ai.provider.name"], d["gen_ai.request.model"]) for d in _durations(metric_points)
    }
    assert series == {("anthropic", "claude-x"), ("openai", "alias")}
    for point in metric_points(TOKENS):
        expected = (
            "claude-x" if point.attributes["gen_ai.provider.name"] == "anthropic" else "alias"
        )
        assert point.attributes["gen_ai.request.model"] == expected


def test_opted_in_router_attributes_stay_on_their_own_call(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    metric_points: Callable[[str], list[Any]],
) -> None:
    settings = TelemetrySettings(metric_opt_in=frozenset({"route"}))
    telemetry = GenAITelemetry(tracer_provider, meter_provider, settings)
    _end(telemetry.start_call("chat", "openai", "m", route="fast", start_time_ns=T0))
    _end(telemetry.start_call("chat", "openai", "m", start_time_ns=T0))
    _end(telemetry.start_call("chat", "openai", "m", route="slow", start_time_ns=T0))

    routes = sorted(str(d.get("llm_router.route")) for d in _durations(metric_points))
    assert routes == ["None", "fast", "slow"]


def test_calls_that_end_differently_get_their_own_metric_attributes(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    metric_points: Callable[[str], list[Any]],
) -> None:
    telemetry = GenAITelemetry(tracer_provider, meter_provider)
    endings: list[dict[str, Any]] = [
        {},
        {"service_tier": "x"},
        {"system_fingerprint": "x"},  # the same value under the other attribute
        {"service_tier": "x", "system_fingerprint": "x"},
        {},
    ]
    for ending in endings:
        _end(telemetry.start_call("chat", "openai", "m", start_time_ns=T0), **ending)
    failed = telemetry.start_call("chat", "openai", "m", start_time_ns=T0)
    failed.fail("rate_limit_exceeded", "slow down")
    _end(failed)

    tier, fingerprint = "openai.response.service_tier", "openai.response.system_fingerprint"
    seen = {
        (d.get(tier), d.get(fingerprint), d.get("error.type")): d for d in _durations(metric_points)
    }
    assert set(seen) == {
        (None, None, None),
        ("x", None, None),
        (None, "x", None),
        ("x", "x", None),
        (None, None, "rate_limit_exceeded"),
    }
    counts = {
        (d.get(tier), d.get(fingerprint), d.get("error.type")): p.count
        for p in metric_points(DURATION)
        for d in [dict(p.attributes)]
    }
    assert counts[(None, None, None)] == 2
    tokens = metric_points(TOKENS)
    assert all("error.type" not in p.attributes for p in tokens)  # duration only
    assert {p.attributes["gen_ai.token.type"] for p in tokens} == {"input", "output"}
    assert all(p.attributes["gen_ai.response.model"] == "resp-model" for p in tokens)


def test_long_models_are_not_kept_and_the_start_cache_stays_bounded(
    tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> None:
    telemetry = GenAITelemetry(tracer_provider, meter_provider)
    long_model = "m" * 10_000
    call = telemetry.start_call("chat", "openai", long_model, start_time_ns=T0)
    _end(call)
    assert call.request_model == "m" * 512
    assert not any(long_model in key for key in telemetry._starts)
    long_provider = "p" * 10_000
    _end(telemetry.start_call("chat", long_provider, "m", start_time_ns=T0))
    assert not any(long_provider in key for key in telemetry._starts)
    for number in range(600):
        _end(telemetry.start_call("chat", "openai", f"model-{number}", start_time_ns=T0))
    assert 0 < len(telemetry._starts) <= 256
    assert 0 < len(telemetry._metric_sets) <= 256


def test_parameters_are_shared_only_by_bodies_that_set_none() -> None:
    path = "/v1/chat/completions"
    bare = [json.dumps({"model": "m", "messages": []}).encode() for _ in range(2)]
    first, second = (OPENAI.request_info("POST", path, body) for body in bare)
    assert first is not None and second is not None
    assert first.parameters is second.parameters  # one shared instance
    assert first.parameters is not None
    assert first.parameters.span_attributes() == {"openai.api.type": "chat_completions"}

    body = json.dumps({"model": "m", "messages": [], "temperature": 0.5, "n": 2}).encode()
    own = OPENAI.request_info("POST", path, body)
    assert own is not None and own.parameters is not first.parameters
    assert own.parameters is not None
    assert own.parameters.span_attributes() == {
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.choice.count": 2,
        "openai.api.type": "chat_completions",
    }
    assert first.parameters.span_attributes() == {"openai.api.type": "chat_completions"}
    assert OPENAI.request_info("POST", "/v1/embeddings", bare[0]).parameters is None  # type: ignore[union-attr]


def test_paths_are_read_the_same_the_second_time() -> None:
    body = json.dumps({"messages": []}).encode()
    azure = "/openai/deployments/my-gpt/chat/completions"
    for _ in range(2):
        info = OPENAI.request_info("POST", azure, body)
        assert info is not None and (info.operation, info.request_model) == ("chat", "my-gpt")
        assert OPENAI.request_info("POST", "/v1/models", body) is None
        assert OPENAI.request_info("GET", azure, body) is None
        embeddings = OPENAI.request_info("POST", "/v1/embeddings?api-version=1", body)
        assert embeddings is not None and embeddings.operation == "embeddings"


def test_hook_calls_in_a_row_each_report_their_own_response(
    instrument: Callable[..., Any],
    span_exporter: InMemorySpanExporter,
    metric_points: Callable[[str], list[Any]],
) -> None:
    import httpx2

    def reply(model: str, fingerprint: Any) -> Reply:
        body = chat_completion()
        body["model"] = model
        body["system_fingerprint"] = fingerprint
        return json_reply(body)

    replies = [
        reply("gpt-a", "fp_1"),
        reply("gpt-a", "fp_2"),
        reply("gpt-b", None),
        reply("gpt-a", "fp_1"),
    ]
    queue = iter(replies)
    with ScriptedServer(lambda received: next(queue)) as server:
        instrument(f"127.0.0.1:{server.port}=openai")
        with httpx2.Client() as client:
            for _ in replies:
                response = client.post(
                    server.url + "/v1/chat/completions", content=json.dumps(chat_request())
                )
                assert response.status_code == 200

    spans = [s for s in span_exporter.get_finished_spans() if s.name.startswith("chat")]
    assert [s.attributes["gen_ai.response.model"] for s in spans] == [
        "gpt-a",
        "gpt-a",
        "gpt-b",
        "gpt-a",
    ]
    assert [s.attributes.get("openai.response.system_fingerprint") for s in spans] == [
        "fp_1",
        "fp_2",
        None,
        "fp_1",
    ]
    fingerprint = "openai.response.system_fingerprint"
    series = {
        (p.attributes["gen_ai.response.model"], p.attributes.get(fingerprint)): p.count
        for p in metric_points(DURATION)
    }
    assert series == {("gpt-a", "fp_1"): 2, ("gpt-a", "fp_2"): 1, ("gpt-b", None): 1}
