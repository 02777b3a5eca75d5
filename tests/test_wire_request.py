"""Request side of every format: endpoints, models, stream flags, parameters, large bodies."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest

from opentelemetry.instrumentation.llm_router._genai import RequestParameters
from opentelemetry.instrumentation.llm_router._wire import get_format
from opentelemetry.instrumentation.llm_router._wire._body import SMALL_BODY

OPENAI = get_format("openai")
ANTHROPIC = get_format("anthropic")
GEMINI = get_format("gemini")


def compact(body: dict[str, Any]) -> bytes:
    """How httpx / httpx2 serialise ``json=`` bodies."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("path", "operation", "kind"),
    [
        ("/v1/chat/completions", "chat", "chat_completions"),
        ("/openai/v1/chat/completions", "chat", "chat_completions"),  # Groq
        ("/api/v1/chat/completions", "chat", "chat_completions"),  # OpenRouter
        ("/compatibility/v1/chat/completions", "chat", "chat_completions"),  # Cohere
        ("/v1/completions", "text_completion", "completions"),
        ("/v1/embeddings", "embeddings", "embeddings"),
        ("/v1/responses", "chat", "responses"),
        ("/v1/chat/completions/", "chat", "chat_completions"),
        ("/v1/chat/completions?api-version=2024-10-21", "chat", "chat_completions"),
    ],
)
def test_openai_endpoints(path: str, operation: str, kind: str) -> None:
    info = OPENAI.request_info("POST", path, b'{"model":"m-1","stream":true}')
    assert (info.operation, info.kind, info.request_model, info.stream) == (
        operation,
        kind,
        "m-1",
        True,
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/models"),
        ("GET", "/v1/chat/completions"),
        ("POST", "/v1/files"),
        ("POST", "/v1/responses/resp_1/cancel"),
        ("POST", "/v1/audio/speech"),
    ],
)
def test_openai_not_genai(method: str, path: str) -> None:
    assert OPENAI.request_info(method, path, b'{"model":"m"}') is None


def test_azure_deployment() -> None:
    path = "/openai/deployments/my-gpt4o/chat/completions"
    info = OPENAI.request_info("POST", path, b'{"messages":[],"stream":false}')
    assert info.request_model == "my-gpt4o" and info.operation == "chat"
    info = OPENAI.request_info("POST", path, b'{"model":"gpt-4o","messages":[]}')
    assert info.request_model == "gpt-4o"
    info = OPENAI.request_info("POST", "/openai/deployments/emb/embeddings", None)
    assert (info.request_model, info.operation) == ("emb", "embeddings")


def test_openai_parameters() -> None:
    body = {
        "model": "m",
        "messages": [],
        "max_completion_tokens": 50,
        "max_tokens": 10,
        "temperature": 0,
        "top_p": 0.5,
        "frequency_penalty": 0.1,
        "presence_penalty": -0.2,
        "stop": "END",
        "seed": 42,
        "n": 3,
    }
    params = OPENAI.request_info("POST", "/v1/chat/completions", compact(body)).parameters
    assert params.max_tokens == 50
    assert params.temperature == 0.0 and type(params.temperature) is float
    assert (params.top_p, params.frequency_penalty, params.presence_penalty) == (0.5, 0.1, -0.2)
    assert params.stop_sequences == ["END"]
    assert (params.seed, params.choice_count) == (42, 3)
    body = {"model": "m", "n": 1, "max_tokens": 7, "stop": ["a", "b", 3], "temperature": True}
    params = OPENAI.request_info("POST", "/v1/completions", compact(body)).parameters
    assert params.choice_count is None and params.max_tokens == 7
    assert params.stop_sequences == ["a", "b"] and params.temperature is None
    body = {"model": "e", "input": "x", "encoding_format": "base64"}
    params = OPENAI.request_info("POST", "/v1/embeddings", compact(body)).parameters
    assert params.encoding_formats == ["base64"]
    body = {"model": "r", "input": "x", "max_output_tokens": 99, "temperature": 0.3}
    params = OPENAI.request_info("POST", "/v1/responses", compact(body)).parameters
    assert (params.max_tokens, params.temperature) == (99, 0.3)
    bare = OPENAI.request_info("POST", "/v1/chat/completions", b'{"model":"m"}').parameters
    assert bare.attributes() == {"openai.api.type": "chat_completions"}
    assert OPENAI.request_info("POST", "/v1/completions", b'{"model":"m"}').parameters is None


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/v1/chat/completions", {"response_format": {"type": "json_schema"}}, "json"),
        ("/v1/chat/completions", {"response_format": {"type": "json_object"}}, "json"),
        ("/v1/chat/completions", {"response_format": {"type": "text"}}, "text"),
        ("/v1/chat/completions", {"modalities": ["text", "audio"]}, "speech"),
        ("/v1/chat/completions", {"response_format": {"type": "mystery"}}, None),
        ("/v1/chat/completions", {}, None),
        ("/v1/responses", {"text": {"format": {"type": "json_schema"}}}, "json"),
        ("/v1/responses", {"text": {"format": {"type": "text"}}}, "text"),
        ("/v1/responses", {"text": {"verbosity": "low"}}, None),
    ],
)
def test_openai_output_type(path: str, body: dict[str, Any], expected: Optional[str]) -> None:
    params = OPENAI.request_info("POST", path, compact({"model": "m", **body})).parameters
    assert params.output_type == expected


def test_openai_service_tier_api_type_conversation_and_dimensions() -> None:
    def params(path: str, **body: Any) -> RequestParameters:
        return OPENAI.request_info("POST", path, compact({"model": "m", **body})).parameters

    assert params("/v1/chat/completions", service_tier="flex").openai_service_tier == "flex"
    assert params("/v1/chat/completions", service_tier="default").openai_service_tier == "default"
    assert params("/v1/chat/completions", service_tier="auto").openai_service_tier is None
    assert params("/v1/responses").openai_api_type == "responses"
    assert params("/openai/v1/chat/completions").openai_api_type == "chat_completions"
    assert params("/v1/responses", conversation="conv_1").conversation_id == "conv_1"
    assert params("/v1/responses", conversation={"id": "conv_2"}).conversation_id == "conv_2"
    assert params("/v1/chat/completions", conversation="conv_1").conversation_id is None
    embeddings = params("/v1/embeddings", input="x", dimensions=256)
    assert embeddings.embeddings_dimension_count == 256
    assert embeddings.openai_api_type is None
    assert params("/v1/embeddings", input="x", dimensions="256") is None


def test_output_type_of_anthropic_and_gemini() -> None:
    def anthropic(**body: Any) -> Optional[str]:
        info = ANTHROPIC.request_info("POST", "/v1/messages", compact({"model": "c", **body}))
        return info.parameters.output_type if info.parameters else None

    assert anthropic(output_format={"type": "json_schema", "schema": {}}) == "json"
    assert anthropic(output_config={"format": {"type": "json_schema"}}) == "json"
    assert anthropic(max_tokens=5) is None

    def gemini(config: dict[str, Any]) -> Optional[str]:
        body = compact({"contents": [], "generationConfig": config})
        info = GEMINI.request_info("POST", "/v1beta/models/g:generateContent", body)
        return info.parameters.output_type if info.parameters else None

    assert gemini({"responseMimeType": "application/json"}) == "json"
    assert gemini({"responseSchema": {"type": "OBJECT"}}) == "json"
    assert gemini({"response_json_schema": {"type": "object"}}) == "json"
    assert gemini({"responseMimeType": "text/plain"}) == "text"
    assert gemini({"responseModalities": ["TEXT", "IMAGE"]}) == "image"
    assert gemini({"responseModalities": ["AUDIO"]}) == "speech"
    assert gemini({"temperature": 0.5}) is None
    embed = GEMINI.request_info(
        "POST", "/v1beta/models/e:embedContent", compact({"outputDimensionality": 128})
    )
    assert embed.parameters.embeddings_dimension_count == 128
    batch = compact({"requests": [{"model": "models/e", "output_dimensionality": 64}]})
    embed = GEMINI.request_info("POST", "/v1beta/models/e:batchEmbedContents", batch)
    assert embed.parameters.embeddings_dimension_count == 64


def test_large_body_still_finds_the_output_parameters() -> None:
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "x" * 40_000}],
        "response_format": {"type": "json_object"},
        "service_tier": "priority",
    }
    params = OPENAI.request_info("POST", "/v1/chat/completions", compact(body)).parameters
    assert (params.output_type, params.openai_service_tier) == ("json", "priority")


def test_malformed_or_missing_body() -> None:
    for body in (None, b"", b"not json", b"[1,2]", b'{"model": 5}', b"\xff\xfe"):
        info = OPENAI.request_info("POST", "/v1/chat/completions", body)
        assert info.operation == "chat" and info.request_model is None and info.stream is False
        info = ANTHROPIC.request_info("POST", "/v1/messages", body)
        assert info.request_model is None


def test_anthropic_request() -> None:
    body = {
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "hi"}],
        "model": "claude-x",
        "stop_sequences": ["\n\nHuman:"],
        "stream": True,
        "temperature": 0.7,
        "top_k": 5,
        "top_p": 0.9,
    }
    info = ANTHROPIC.request_info("POST", "/v1/messages", compact(body))
    assert (info.operation, info.request_model, info.stream) == ("chat", "claude-x", True)
    params = info.parameters
    assert (params.max_tokens, params.temperature, params.top_k, params.top_p) == (
        1024,
        0.7,
        5.0,
        0.9,
    )
    assert params.stop_sequences == ["\n\nHuman:"]
    assert ANTHROPIC.request_info("POST", "/v1/messages/count_tokens", b"{}") is None
    assert ANTHROPIC.request_info("POST", "/v1/messages/batches", b"{}") is None
    assert ANTHROPIC.request_info("GET", "/v1/messages", b"{}") is None


@pytest.mark.parametrize(
    ("path", "model", "operation", "stream"),
    [
        ("/v1beta/models/gemini-2.0-flash:generateContent", "gemini-2.0-flash", "generate_content", False),
        ("/v1beta/models/gemini-2.5-pro:streamGenerateContent", "gemini-2.5-pro", "generate_content", True),
        ("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", "gemini-2.5-pro", "generate_content", True),
        ("/v1/projects/p/locations/us-central1/publishers/google/models/gemini-1.5-flash-002:generateContent",
         "gemini-1.5-flash-002", "generate_content", False),
        ("/v1beta1/projects/p/locations/global/publishers/google/models/gemini-2.5-flash:streamGenerateContent",
         "gemini-2.5-flash", "generate_content", True),
        ("/v1beta/models/text-embedding-004:embedContent", "text-embedding-004", "embeddings", False),
    ],
)  # fmt: skip
def test_gemini_paths(path: str, model: str, operation: str, stream: bool) -> None:
    info = GEMINI.request_info("POST", path, b'{"contents":[]}')
    assert (info.request_model, info.operation, info.stream) == (model, operation, stream)


def test_gemini_not_genai() -> None:
    assert GEMINI.request_info("POST", "/v1beta/models/gemini-x:countTokens", b"{}") is None
    assert GEMINI.request_info("GET", "/v1beta/models", None) is None
    assert GEMINI.request_info("GET", "/v1beta/models/gemini-x:generateContent", None) is None


def test_gemini_parameters() -> None:
    body = {
        "contents": [],
        "generationConfig": {
            "maxOutputTokens": 100,
            "temperature": 0.2,
            "topP": 0.8,
            "topK": 40,
            "stopSequences": ["x"],
            "seed": 7,
            "candidateCount": 2,
            "presencePenalty": 0.5,
            "frequencyPenalty": 0.25,
        },
    }
    params = GEMINI.request_info(
        "POST", "/v1beta/models/g:generateContent", compact(body)
    ).parameters
    assert (params.max_tokens, params.temperature, params.top_p, params.top_k) == (
        100,
        0.2,
        0.8,
        40.0,
    )
    assert (params.stop_sequences, params.seed, params.choice_count) == (["x"], 7, 2)
    assert (params.presence_penalty, params.frequency_penalty) == (0.5, 0.25)
    snake = {"contents": [], "generation_config": {"max_output_tokens": 9, "top_p": 0.1}}
    params = GEMINI.request_info("POST", "/v1/models/g:generateContent", compact(snake)).parameters
    assert (params.max_tokens, params.top_p) == (9, 0.1)


# Large bodies --------------------------------------------------------------------------------

BIG_TEXT = 'He said "{[(hello)]}", then left. ' * 30000  # ~1 MB, brackets and quotes in prose


def _messages() -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": BIG_TEXT},
        {"role": "assistant", "content": '{"model": "nested-not-top-level", "stream": true}'},
        {"role": "user", "content": [{"type": "text", "text": "and then?"}]},
    ]


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "pick",
            "parameters": {
                "type": "object",
                "properties": {"model": {"type": "string"}, "n": {"type": "integer"}},
            },
        },
    }
]


def test_large_openai_sdk_order() -> None:
    """openai 3.x writes model, stream first, then messages, then the sampling parameters."""
    body = {
        "model": "gpt-big",
        "stream": True,
        "messages": _messages(),
        "max_completion_tokens": 64,
        "stop": ["###"],
        "stream_options": {"include_usage": True},
        "temperature": 0.25,
        "tools": TOOLS,
        "top_p": 0.75,
    }
    raw = compact(body)
    assert len(raw) > 1_000_000
    info = OPENAI.request_info("POST", "/v1/chat/completions", raw)
    assert (info.request_model, info.stream) == ("gpt-big", True)
    params = info.parameters
    assert (params.max_tokens, params.temperature, params.top_p) == (64, 0.25, 0.75)
    assert params.stop_sequences == ["###"]
    assert info.body is None


def test_large_anthropic_sdk_order() -> None:
    """anthropic 2.x writes max_tokens, messages, model, ..., stream, system, ..."""
    body = {
        "max_tokens": 512,
        "messages": _messages(),
        "model": "claude-big",
        "stop_sequences": ["END"],
        "stream": True,
        "system": "You are terse.",
        "temperature": 0.5,
        "tools": TOOLS,
        "top_k": 3,
    }
    info = ANTHROPIC.request_info("POST", "/v1/messages", json.dumps(body).encode())
    assert (info.request_model, info.stream) == ("claude-big", True)
    params = info.parameters
    assert (params.max_tokens, params.temperature, params.top_k) == (512, 0.5, 3.0)
    assert params.stop_sequences == ["END"]


def test_large_body_model_in_the_middle_falls_back_to_full_decode() -> None:
    body = {
        "messages": _messages()[:2],
        "model": "middle-model",
        "stream": True,
        "tools": [{"type": "function", "function": {"name": "x", "description": BIG_TEXT}}],
    }
    info = OPENAI.request_info("POST", "/v1/chat/completions", compact(body))
    assert (info.request_model, info.stream) == ("middle-model", True)


def test_large_body_nested_model_keys_are_not_taken() -> None:
    body = {"messages": _messages(), "tools": TOOLS}  # no top-level model at all
    info = OPENAI.request_info("POST", "/v1/chat/completions", compact(body))
    assert info.request_model is None and info.stream is False


def test_large_gemini_body() -> None:
    body = {
        "contents": [{"role": "user", "parts": [{"text": BIG_TEXT}]}],
        "systemInstruction": {"parts": [{"text": "x"}]},
        "generationConfig": {"temperature": 0.4, "maxOutputTokens": 77},
    }
    info = GEMINI.request_info("POST", "/v1beta/models/g:generateContent", compact(body))
    assert (info.parameters.temperature, info.parameters.max_tokens) == (0.4, 77)
    body = {"generationConfig": {"topK": 2}, **body}
    del body["generationConfig"]
    body = {"generationConfig": {"topK": 2}, **body}
    info = GEMINI.request_info("POST", "/v1beta/models/g:generateContent", compact(body))
    assert info.parameters.top_k == 2.0


@pytest.mark.parametrize("size", [SMALL_BODY - 200, SMALL_BODY + 200, 50_000])
def test_threshold_sides_agree(size: int) -> None:
    filler = "z" * size
    body = {
        "model": "m",
        "stream": True,
        "messages": [{"role": "user", "content": filler}],
        "seed": 3,
    }
    info = OPENAI.request_info("POST", "/v1/chat/completions", compact(body))
    assert (info.request_model, info.stream, info.parameters.seed) == ("m", True, 3)


def test_capture_keeps_body_only_when_asked() -> None:
    raw = compact({"model": "m", "messages": [{"role": "user", "content": BIG_TEXT}]})
    assert OPENAI.request_info("POST", "/v1/chat/completions", raw).body is None
    info = OPENAI.request_info("POST", "/v1/chat/completions", raw, capture_content=True)
    assert info.body["messages"][0]["content"] == BIG_TEXT
