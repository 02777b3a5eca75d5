"""The real ``openai`` (3.x) and ``anthropic`` (2.x) SDKs, on httpx2, against a local provider.

Covers the SDKs' own ways of reading a body (parsed models, ``Stream`` that stops at ``[DONE]``,
``with_raw_response`` and ``.parse()``, streaming helpers) and the anthropic SDK's built-in tracing
in both coexistence modes.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import openai
import pytest

from opentelemetry import trace
from tests.support.openai_wire import MODEL, RESPONSE_ID, chat_reply, chat_stream_reply
from tests.support.scripted_server import Reply, ScriptedServer, corpus_entry, corpus_reply

KEY = "sk-test-canary-4c1b"


def _genai_spans(span_exporter: Any) -> list[Any]:
    return [
        s
        for s in span_exporter.get_finished_spans()
        if s.instrumentation_scope.name == "opentelemetry.instrumentation.llm_router"
    ]


def _openai_client(server: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0)


def test_openai_chat(instrument: Any, span_exporter: Any, metric_points: Any) -> None:
    with ScriptedServer(chat_reply()) as server:
        instrument(f"{server.host_port}=openai")
        result = _openai_client(server).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], temperature=0.5
        )
    assert result.choices[0].message.content == "This is a test."
    (span,) = _genai_spans(span_exporter)
    assert span.kind == trace.SpanKind.CLIENT
    assert span.attributes["gen_ai.request.temperature"] == 0.5
    assert span.attributes["gen_ai.usage.input_tokens"] == 12
    assert span.attributes["server.address"] == "127.0.0.1"
    assert span.attributes["server.port"] == server.port
    assert KEY not in json.dumps(dict(span.attributes))
    tokens = metric_points("gen_ai.client.token.usage")
    assert sorted((p.attributes["gen_ai.token.type"], p.sum) for p in tokens) == [
        ("input", 12),
        ("output", 5),
    ]
    (duration,) = metric_points("gen_ai.client.operation.duration")
    assert duration.count == 1
    assert duration.attributes["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"


def test_openai_stream_stops_at_done(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(chat_stream_reply(words=7)) as server:
        instrument(f"{server.host_port}=openai")
        stream = _openai_client(server).chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        text = "".join((chunk.choices[0].delta.content or "") for chunk in stream if chunk.choices)
    assert text.count("w") == 7
    (span,) = _genai_spans(span_exporter)
    assert span.attributes["gen_ai.usage.output_tokens"] == 7
    assert span.attributes["gen_ai.response.id"] == RESPONSE_ID


def test_openai_stream_closed_early_by_caller(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(chat_stream_reply(words=50)) as server:
        instrument(f"{server.host_port}=openai")
        stream = _openai_client(server).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
        )
        for _ in stream:
            break
        stream.close()
    (span,) = _genai_spans(span_exporter)
    assert span.end_time is not None


def test_openai_with_raw_response_parse(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(chat_reply()) as server:
        instrument(f"{server.host_port}=openai")
        raw = _openai_client(server).chat.completions.with_raw_response.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}]
        )
        parsed = raw.parse()
    assert parsed.id == RESPONSE_ID
    (span,) = _genai_spans(span_exporter)
    assert span.attributes["gen_ai.response.id"] == RESPONSE_ID


def test_openai_streaming_response_helper(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(chat_stream_reply(words=3)) as server:
        instrument(f"{server.host_port}=openai")
        client = _openai_client(server)
        with client.chat.completions.with_streaming_response.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
        ) as response:
            lines = list(response.iter_lines())
    assert lines[-1] == "data: [DONE]" or "data: [DONE]" in lines
    (span,) = _genai_spans(span_exporter)
    assert span.attributes["gen_ai.usage.output_tokens"] == 3


def test_openai_async_stream(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(chat_stream_reply(words=4)) as server:
        instrument(f"{server.host_port}=openai")

        async def run() -> str:
            client = openai.AsyncOpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0)
            stream = await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
            )
            parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
            await client.close()
            return "".join(parts)

        assert asyncio.run(run()).count("w") == 4
    (span,) = _genai_spans(span_exporter)
    assert span.attributes["gen_ai.usage.output_tokens"] == 4


def test_openai_error_is_raised_unchanged(instrument: Any, span_exporter: Any) -> None:
    entry = corpus_entry("openai_chat__error-404-model-not-found.json")
    with ScriptedServer(corpus_reply(entry)) as server:
        instrument(f"{server.host_port}=openai")
        with pytest.raises(openai.NotFoundError) as raised:
            _openai_client(server).chat.completions.create(
                model="gpt-nope", messages=[{"role": "user", "content": "hi"}]
            )
    assert raised.value.status_code == 404
    (span,) = _genai_spans(span_exporter)
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["error.type"] == "model_not_found"
    assert span.attributes["http.response.status_code"] == 404


def test_openai_embeddings(instrument: Any, span_exporter: Any) -> None:
    entry = corpus_entry("openai_embeddings__text-embedding-3-small-base64.json")
    with ScriptedServer(corpus_reply(entry)) as server:
        instrument(f"{server.host_port}=openai")
        result = _openai_client(server).embeddings.create(
            model="text-embedding-3-small", input="hello", encoding_format="base64"
        )
    assert result.usage.prompt_tokens > 0
    (span,) = _genai_spans(span_exporter)
    assert span.name == "embeddings text-embedding-3-small"
    assert span.attributes["gen_ai.usage.input_tokens"] == result.usage.prompt_tokens


# -- anthropic --------------------------------------------------------------------------------


def _anthropic_client(server: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0)


def _with_global_tracer(tracer_provider: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The anthropic SDK traces itself only when a global tracer provider exists."""
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", tracer_provider)


@pytest.mark.parametrize("mode", ["nest", "exclusive"])
def test_anthropic_message_coexistence(
    mode: str,
    instrument: Any,
    tracer_provider: Any,
    span_exporter: Any,
    metric_points: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _with_global_tracer(tracer_provider, monkeypatch)
    # setenv then delenv: the variable is absent now and restored to absent afterwards.
    monkeypatch.setenv("ANTHROPIC_OPEN_TELEMETRY", "unset")
    monkeypatch.delenv("ANTHROPIC_OPEN_TELEMETRY")
    entry = corpus_entry("anthropic_messages__claude-sonnet-4-basic.json")
    with ScriptedServer(corpus_reply(entry)) as server:
        instrument(f"{server.host_port}=anthropic", OTEL_PYTHON_LLM_ROUTER_SDK_SPANS=mode)
        message = _anthropic_client(server).messages.create(**entry["request"]["body"])
    assert message.usage.output_tokens > 0
    spans = span_exporter.get_finished_spans()
    ours = _genai_spans(span_exporter)
    assert len(ours) == 1
    sdk_spans = [
        s for s in spans if s.instrumentation_scope.name != ours[0].instrumentation_scope.name
    ]
    if mode == "nest":
        assert len(sdk_spans) == 1
        assert ours[0].parent.span_id == sdk_spans[0].context.span_id
        assert ours[0].attributes["llm_router.inside_sdk_span"] == sdk_spans[0].name
    else:
        assert sdk_spans == []
        assert "llm_router.inside_sdk_span" not in ours[0].attributes
    # Only we record metrics: one duration point with count 1, whatever the SDK does.
    assert sum(p.count for p in metric_points("gen_ai.client.operation.duration")) == 1


def test_anthropic_stream(instrument: Any, span_exporter: Any) -> None:
    entry = corpus_entry("anthropic_messages__claude-sonnet-4-stream-ping-padded.json")
    with ScriptedServer(corpus_reply(entry)) as server:
        instrument(f"{server.host_port}=anthropic")
        with _anthropic_client(server).messages.stream(
            **{k: v for k, v in entry["request"]["body"].items() if k != "stream"}
        ) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
    assert text
    (span,) = _genai_spans(span_exporter)
    assert span.attributes["gen_ai.usage.output_tokens"] == final.usage.output_tokens
    assert span.attributes["gen_ai.response.id"] == final.id


def test_anthropic_error(instrument: Any, span_exporter: Any) -> None:
    entry = corpus_entry("anthropic_messages__error-401-authentication.json")
    with ScriptedServer(corpus_reply(entry)) as server:
        instrument(f"{server.host_port}=anthropic")
        with pytest.raises(anthropic.AuthenticationError):
            _anthropic_client(server).messages.create(**entry["request"]["body"])
    (span,) = _genai_spans(span_exporter)
    assert span.attributes["error.type"] == "authentication_error"
    assert KEY not in json.dumps(dict(span.attributes))


def test_unknown_host_gets_no_span(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(Reply(pieces=[b"{}"])) as server:
        instrument("")  # nothing configured: 127.0.0.1:<port> is no provider
        _openai_client(server).with_raw_response.models.list()
    assert _genai_spans(span_exporter) == []
