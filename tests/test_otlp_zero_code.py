"""Zero-code path, end to end: apps run under ``opentelemetry-instrument`` as subprocesses,
configured only through environment variables, export over real OTLP (gRPC and HTTP/protobuf) to an
in-process receiver; the test decodes what arrived.

(a) the router example (observer + forward recorder, and the httpx hook under it);
(b) a plain openai-SDK script with no OpenTelemetry code (the httpx hook alone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Tuple

import openai
import pytest

from examples.fake_provider import REPLY_WORDS, FakeProvider, response_model
from opentelemetry.instrumentation.llm_router._genai._instruments import (
    DURATION_BUCKETS,
    TOKEN_BUCKETS,
)
from tests.support.apps import RouterProcess, clean_env, otlp_env, run_instrumented

if TYPE_CHECKING:
    from tests.support.otlp_receiver import OTLPReceiver, ReceivedMetric, ReceivedSpan

pytest_plugins = ["tests.support.otlp_receiver"]

PROTOCOLS = ["grpc", "http/protobuf"]
SCOPE = "opentelemetry.instrumentation.llm_router"
OUTPUT_TOKENS = len(REPLY_WORDS)


@pytest.fixture(scope="module")
def providers() -> Iterator[Tuple[FakeProvider, FakeProvider]]:
    """Two fake providers: one speaks for OpenAI, one for Anthropic (hosts are told apart by port)."""
    with FakeProvider() as openai_side, FakeProvider(first_chunk_delay_s=0.02) as anthropic_side:
        yield openai_side, anthropic_side


def _hook_spans(spans: List[ReceivedSpan]) -> List[ReceivedSpan]:
    """Spans of the httpx hook: our scope, with the upstream's address (router sources have none)."""
    return [s for s in spans if s.scope_name == SCOPE and "server.address" in s.attributes]


def _require_hook(spans: List[ReceivedSpan]) -> None:
    # The entry point must load the hook under opentelemetry-instrument with no code change.
    assert _hook_spans(spans), (
        "LLMRouterInstrumentor produced no spans under opentelemetry-instrument"
    )


def _histogram(latest: Dict[str, ReceivedMetric], name: str, unit: str) -> ReceivedMetric:
    metric = latest.get(name)
    assert metric is not None, f"{name} not exported; got {sorted(latest)}"
    assert (metric.kind, metric.unit, metric.temporality) == ("histogram", unit, "CUMULATIVE")
    return metric


def _points(metric: ReceivedMetric, **attributes: Any) -> List[Any]:
    return [
        p
        for p in metric.points
        if all(p.attributes.get(k.replace("__", ".")) == v for k, v in attributes.items())
    ]


def _one(spans: List[ReceivedSpan], **attributes: Any) -> ReceivedSpan:
    found = [s for s in spans if all(s.attributes.get(k) == v for k, v in attributes.items())]
    assert len(found) == 1, f"expected one span with {attributes}, got {found}"
    return found[0]


# -- (a) the router example ---------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_router_example_under_opentelemetry_instrument(
    otlp_receiver: OTLPReceiver, providers: Tuple[FakeProvider, FakeProvider], protocol: str
) -> None:
    openai_side, anthropic_side = providers
    env = clean_env(
        {
            **otlp_env("llm-router-example", otlp_receiver.endpoint(protocol), protocol),
            "ROUTER_OPENAI_BASE_URL": openai_side.openai_base_url,
            "ROUTER_ANTHROPIC_BASE_URL": anthropic_side.base_url,
            "OTEL_PYTHON_LLM_ROUTER_PROVIDERS": (
                f"127.0.0.1:{openai_side.port}=openai,127.0.0.1:{anthropic_side.port}=anthropic"
            ),
        }
    )
    with RouterProcess(env) as router:
        client = openai.OpenAI(
            base_url=f"{router.url}/v1",
            api_key="client-key",
            max_retries=0,
            default_headers={"x-account-id": "acct-42"},
        )
        reply = client.chat.completions.create(
            model="fast", messages=[{"role": "user", "content": "one two three"}]
        )
        assert reply.usage is not None and reply.usage.prompt_tokens == 3
        chunks = list(
            client.chat.completions.create(
                model="fast", messages=[{"role": "user", "content": "one two"}], stream=True
            )
        )
        assert all(c.choices for c in chunks)  # the router's usage chunk is not leaked
        reply = client.chat.completions.create(
            model="smart", messages=[{"role": "user", "content": "a b c d"}]
        )
        assert reply.model == response_model("claude-sonnet-4-5")
        text = "".join(
            c.choices[0].delta.content or ""
            for c in client.chat.completions.create(
                model="smart", messages=[{"role": "user", "content": "a b"}], stream=True
            )
            if c.choices
        )
        assert text == " ".join(REPLY_WORDS)
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(
                model="error-429", messages=[{"role": "user", "content": "x"}]
            )
    # The router has exited (SIGTERM): the SDK flushed spans and metrics at shutdown.

    spans = otlp_receiver.spans()
    assert {s.protocol for s in spans} == {protocol}
    assert {s.resource.get("service.name") for s in spans} == {"llm-router-example"}
    servers = [s for s in spans if s.kind == "SERVER" and s.name == "POST /v1/chat/completions"]
    assert len(servers) == 5, [s.name for s in spans]
    server_ids = {s.span_id: s for s in servers}

    ours = [s for s in spans if s.scope_name == SCOPE]
    observed = [s for s in ours if "llm_router.route" in s.attributes]
    forwarded = [s for s in ours if "llm_router.request.id" in s.attributes]
    assert len(observed) == 5 and len(forwarded) == 5
    for span in observed + forwarded:
        assert span.kind == "CLIENT"
        parent = server_ids.get(span.parent_span_id or "")
        assert parent is not None, f"{span.name} is not a child of a server span"
        assert span.trace_id == parent.trace_id
    # One observer span and one forward span under each server span.
    assert sorted(s.parent_span_id for s in observed) == sorted(server_ids)
    assert sorted(s.parent_span_id for s in forwarded) == sorted(server_ids)

    fast = _one(observed, **{"llm_router.route": "fast", "gen_ai.usage.input_tokens": 3})
    assert fast.name == "chat gpt-4o-mini"
    assert fast.status_code == "UNSET"
    assert fast.attributes["gen_ai.operation.name"] == "chat"
    assert fast.attributes["gen_ai.provider.name"] == "openai"
    assert fast.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert fast.attributes["gen_ai.usage.output_tokens"] == OUTPUT_TOKENS
    assert fast.attributes["llm_router.account.id"] == "acct-42"
    assert fast.duration_s > 0

    smart_stream = _one(observed, **{"llm_router.route": "smart", "gen_ai.usage.input_tokens": 2})
    assert smart_stream.name == "chat claude-sonnet-4-5"
    assert smart_stream.attributes["gen_ai.provider.name"] == "anthropic"
    assert smart_stream.status_code == "UNSET"

    failed = _one(observed, **{"llm_router.route": "error-429"})
    assert failed.status_code == "ERROR" and "injected error 429" in failed.status_message
    assert (
        failed.attributes["error.type"] == "rate_limit_exceeded"
    )  # the provider's code (_error_type)
    assert failed.attributes["http.response.status_code"] == 429

    streamed = _one(
        forwarded, **{"llm_router.endpoint": "anthropic.messages", "gen_ai.request.stream": True}
    )
    assert streamed.attributes["llm_router.forward.status"] == "success"
    assert streamed.attributes["gen_ai.usage.output_tokens"] == OUTPUT_TOKENS
    forwarded_429 = _one(forwarded, **{"http.response.status_code": 429})
    assert forwarded_429.status_code == "ERROR"
    assert forwarded_429.attributes["llm_router.forward.status"] == "error"

    latest = otlp_receiver.latest_metrics()
    duration = _histogram(latest, "gen_ai.client.operation.duration", "s")
    # The observer's points (no server.address); the forward recorder does not count again.
    router_points = [p for p in duration.points if "server.address" not in p.attributes]
    for point in router_points:
        assert point.explicit_bounds == DURATION_BUCKETS
        assert len(point.bucket_counts) == len(DURATION_BUCKETS) + 1
        assert sum(point.bucket_counts) == point.count
        assert not {"llm_router.route", "llm_router.account.id"} & set(point.attributes)
    by_model = {
        (
            p.attributes["gen_ai.provider.name"],
            p.attributes["gen_ai.request.model"],
            p.attributes.get("error.type"),
        ): p.count
        for p in router_points
    }
    assert by_model == {
        ("openai", "gpt-4o-mini", None): 2,
        ("anthropic", "claude-sonnet-4-5", None): 2,
        ("openai", "error-429", "rate_limit_exceeded"): 1,
    }
    tokens = _histogram(latest, "gen_ai.client.token.usage", "{token}")
    router_tokens = {
        (p.attributes["gen_ai.request.model"], p.attributes["gen_ai.token.type"]): (p.count, p.sum)
        for p in tokens.points
        if "server.address" not in p.attributes
    }
    assert router_tokens == {
        ("gpt-4o-mini", "input"): (2, 5),
        ("gpt-4o-mini", "output"): (2, 2 * OUTPUT_TOKENS),
        ("claude-sonnet-4-5", "input"): (2, 6),
        ("claude-sonnet-4-5", "output"): (2, 2 * OUTPUT_TOKENS),
    }
    assert all(p.explicit_bounds == TOKEN_BUCKETS for p in tokens.points)

    # -- the httpx hook under opentelemetry-instrument: one span per upstream call ------------
    _require_hook(spans)
    hooked = _hook_spans(spans)
    assert len(hooked) == 5
    for span in hooked:
        assert span.kind == "CLIENT"
        assert span.parent_span_id in server_ids, "hook span must nest under the server span"
    ports = {s.attributes["server.port"] for s in hooked}
    assert ports == {openai_side.port, anthropic_side.port}
    anthropic_stream = _one(
        hooked, **{"gen_ai.provider.name": "anthropic", "gen_ai.request.stream": True}
    )
    assert anthropic_stream.attributes["gen_ai.usage.input_tokens"] == 2
    assert anthropic_stream.attributes["gen_ai.usage.output_tokens"] == OUTPUT_TOKENS
    assert anthropic_stream.attributes["gen_ai.response.time_to_first_chunk"] >= 0.02
    # The router asks for include_usage upstream, so the hook sees usage on the OpenAI stream too.
    openai_stream = _one(
        hooked, **{"gen_ai.provider.name": "openai", "gen_ai.request.stream": True}
    )
    assert openai_stream.attributes["gen_ai.usage.output_tokens"] == OUTPUT_TOKENS
    hooked_429 = _one(hooked, **{"http.response.status_code": 429})
    assert hooked_429.status_code == "ERROR"
    ttfc = _histogram(latest, "gen_ai.client.operation.time_to_first_chunk", "s")
    assert sum(p.count for p in ttfc.points) == 2
    assert all(p.explicit_bounds == DURATION_BUCKETS for p in ttfc.points)


# -- (b) a plain openai-SDK script --------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_plain_openai_script_under_opentelemetry_instrument(
    otlp_receiver: OTLPReceiver, providers: Tuple[FakeProvider, FakeProvider], protocol: str
) -> None:
    openai_side, _ = providers
    env = clean_env(
        {
            **otlp_env("openai-app", otlp_receiver.endpoint(protocol), protocol),
            "OPENAI_BASE_URL": openai_side.openai_base_url,
            "OPENAI_API_KEY": "sk-test-not-a-secret",
            "OTEL_PYTHON_LLM_ROUTER_PROVIDERS": f"127.0.0.1:{openai_side.port}=openai",
        }
    )
    output = run_instrumented(["examples/openai_app.py"], env)
    assert "chat: Hello!" in output and "embedding dimensions: 8" in output

    spans = otlp_receiver.spans()
    assert spans, "nothing was exported over OTLP"
    assert {s.resource.get("service.name") for s in spans} == {"openai-app"}
    assert {s.protocol for s in spans} == {protocol}

    _require_hook(spans)
    hooked = _hook_spans(spans)
    assert sorted(s.name for s in hooked) == [
        "chat gpt-4o-mini",
        "chat gpt-4o-mini",
        "embeddings text-embedding-3-small",
    ]
    for span in hooked:
        assert span.kind == "CLIENT" and span.status_code == "UNSET"
        assert span.attributes["gen_ai.provider.name"] == "openai"
        assert span.attributes["server.address"] == "127.0.0.1"
        assert span.attributes["server.port"] == openai_side.port
        assert span.parent_span_id is None  # a script: the GenAI span is the root
        assert all("sk-test" not in str(v) for v in span.attributes.values())
    chat = _one(hooked, **{"gen_ai.operation.name": "chat", "gen_ai.request.max_tokens": 50})
    assert chat.attributes["gen_ai.request.temperature"] == 0.2
    assert chat.attributes["gen_ai.usage.input_tokens"] == 5
    assert chat.attributes["gen_ai.usage.output_tokens"] == OUTPUT_TOKENS
    assert chat.attributes["gen_ai.response.model"] == response_model("gpt-4o-mini")
    assert chat.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert str(chat.attributes["gen_ai.response.id"]).startswith("chatcmpl-fake")
    stream = _one(hooked, **{"gen_ai.request.stream": True})
    assert stream.attributes["gen_ai.usage.input_tokens"] == 3
    assert stream.attributes["gen_ai.usage.output_tokens"] == OUTPUT_TOKENS
    assert stream.attributes["gen_ai.response.time_to_first_chunk"] > 0
    embeddings = _one(hooked, **{"gen_ai.operation.name": "embeddings"})
    assert embeddings.attributes["gen_ai.usage.input_tokens"] == 2
    # opentelemetry-instrumentation-httpx is loaded too: its HTTP span nests under ours.
    http_spans = [s for s in spans if s.scope_name == "opentelemetry.instrumentation.httpx"]
    assert len(http_spans) == 3
    assert {s.parent_span_id for s in http_spans} == {s.span_id for s in hooked}

    latest = otlp_receiver.latest_metrics()
    duration = _histogram(latest, "gen_ai.client.operation.duration", "s")
    counts = {
        p.attributes["gen_ai.operation.name"]: p.count
        for p in duration.points
        if p.attributes.get("server.port") == openai_side.port
    }
    assert counts == {"chat": 2, "embeddings": 1}
    for point in duration.points:
        assert point.explicit_bounds == DURATION_BUCKETS
        assert point.attributes["gen_ai.provider.name"] == "openai"
        assert point.attributes["gen_ai.response.model"].endswith("-2025-01-01")
    tokens = _histogram(latest, "gen_ai.client.token.usage", "{token}")
    sums: Dict[Tuple[str, Optional[str]], float] = {}
    for point in tokens.points:
        assert point.explicit_bounds == TOKEN_BUCKETS
        key = (point.attributes["gen_ai.operation.name"], point.attributes["gen_ai.token.type"])
        sums[key] = sums.get(key, 0) + (point.sum or 0)
    assert sums[("chat", "input")] == 5 + 3
    assert sums[("chat", "output")] == 2 * OUTPUT_TOKENS
    assert sums[("embeddings", "input")] == 2
    ttfc = _histogram(latest, "gen_ai.client.operation.time_to_first_chunk", "s")
    assert sum(p.count for p in ttfc.points) == 1


def test_disabled_instrumentations_turns_the_hook_off(
    otlp_receiver: OTLPReceiver, providers: Tuple[FakeProvider, FakeProvider]
) -> None:
    openai_side, _ = providers
    env = clean_env(
        {
            **otlp_env("openai-app", otlp_receiver.http_endpoint, "http/protobuf"),
            "OPENAI_BASE_URL": openai_side.openai_base_url,
            "OPENAI_API_KEY": "sk-test-not-a-secret",
            "OTEL_PYTHON_LLM_ROUTER_PROVIDERS": f"127.0.0.1:{openai_side.port}=openai",
            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "llm_router",
        }
    )
    run_instrumented(["examples/openai_app.py"], env)
    spans = otlp_receiver.spans()
    assert len([s for s in spans if s.scope_name == "opentelemetry.instrumentation.httpx"]) == 3
    assert not [s for s in spans if s.scope_name == SCOPE]
    assert not [m for m in otlp_receiver.metrics() if m.name.startswith("gen_ai.")]
