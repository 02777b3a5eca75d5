"""The loopback providers of the SDK matrix: each answers in its provider's wire format.

Bytes follow each provider's API reference and the recorded exchanges in tests/data/wire-corpus
(field names, nesting, stream framing, error bodies). One responder per wire format answers every
call type by path and body: chat, stream (when the request asks for one), embeddings, and a 429 with
that provider's real error body when the request names the model (or input) ``rate-limited``. Each
format also says what the span must carry for each call type (:class:`Expect`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from tests.support.scripted_server import Received, Reply

ERROR_MODEL = "rate-limited"


@dataclass(frozen=True)
class Expect:
    """What the span says about one call (``None``: the wire does not carry it, so it's unset)."""

    response_model: Optional[str] = None
    response_id: Optional[str] = None
    finish_reasons: Optional[tuple[str, ...]] = None
    input_tokens: Optional[int] = None
    output_tokens: Optional[int] = None
    cache_read: Optional[int] = None
    cache_creation: Optional[int] = None
    reasoning: Optional[int] = None
    error_type: Optional[str] = None


def _json(value: Any, status: int = 200, content_type: str = "application/json") -> Reply:
    return Reply(status=status, content_type=content_type, pieces=[_dumps(value)])


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _sse(events: list[bytes]) -> Reply:
    return Reply(content_type="text/event-stream", pieces=events, chunked=True)


def _data(value: Any) -> bytes:
    return b"data: " + _dumps(value) + b"\n\n"


def _named(name: str, value: Any) -> bytes:
    return b"event: " + name.encode() + b"\n" + _data(value)


def _request_json(received: Received) -> dict[str, Any]:
    try:
        body = json.loads(received.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"inputs": body}


@dataclass
class Wire:
    """One provider's wire format: ``respond`` answers requests, ``expect`` the span per call."""

    name: str
    respond: Callable[[Received], Reply]
    expect: dict[str, Expect]
    error_status: int = 429
    extra: dict[str, Any] = field(default_factory=dict)


# OpenAI and OpenAI-compatible -------------------------------------------------------------------

OPENAI_USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 9,
    "total_tokens": 21,
    "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 3, "audio_tokens": 0},
}


def openai_wire(
    name: str,
    response_model: str,
    error_body: dict[str, Any],
    error_type: Optional[str],
    usage: Optional[dict[str, Any]] = None,
    embedding_model: str = "text-embedding-3-small",
    x_groq: bool = False,
    embedding_id: Optional[str] = None,
) -> Wire:
    """An OpenAI-compatible provider: same shapes, its own model names and 429 body."""
    usage = usage or OPENAI_USAGE
    chat_id = f"chatcmpl-{name}-0001"
    details = usage.get("prompt_tokens_details") or {}
    out_details = usage.get("completion_tokens_details") or {}

    def chat(body: dict[str, Any]) -> Reply:
        return _json(
            {
                "id": chat_id,
                "object": "chat.completion",
                "created": 1735689600,
                "model": response_model,
                "system_fingerprint": "fp_0001",
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": "Hello there.",
                            "refusal": None,
                        },
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            }
        )

    def stream(body: dict[str, Any]) -> Reply:
        def chunk(delta: dict[str, Any], reason: Optional[str] = None) -> dict[str, Any]:
            return {
                "id": chat_id,
                "object": "chat.completion.chunk",
                "created": 1735689600,
                "model": response_model,
                "system_fingerprint": "fp_0001",
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}
                ],
            }

        if x_groq:  # Groq: usage rides on the last chunk, under x_groq
            last = {**chunk({}, "stop"), "x_groq": {"id": "req_01sdkmatrix", "usage": usage}}
            tail = [_data(last)]
        else:
            tail = [_data(chunk({}, "stop")), _data({**chunk({}), "choices": [], "usage": usage})]
        events = [
            _data(chunk({"role": "assistant", "content": ""})),
            _data(chunk({"content": "Hello"})),
            _data(chunk({"content": " there."})),
            *tail,
            b"data: [DONE]\n\n",
        ]
        return _sse(events)

    def embeddings(body: dict[str, Any]) -> Reply:
        return _json(
            {
                **({"id": embedding_id} if embedding_id else {}),
                "object": "list",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.25, -0.5, 0.125]}],
                "model": embedding_model,
                "usage": {"prompt_tokens": 5, "total_tokens": 5},
            }
        )

    def respond(received: Received) -> Reply:
        body = _request_json(received)
        path = received.path.split("?", 1)[0]
        if body.get("model") == ERROR_MODEL:
            return _json(error_body, status=429)
        if path.endswith("/embeddings"):
            return embeddings(body)
        if path.endswith("/chat/completions"):
            return stream(body) if body.get("stream") else chat(body)
        return _json({"error": {"message": f"no route {path}", "type": "not_found"}}, 404)

    chat_expect = Expect(
        response_model=response_model,
        response_id=chat_id,
        finish_reasons=("stop",),
        input_tokens=usage.get("prompt_tokens"),
        output_tokens=usage.get("completion_tokens"),
        cache_read=details.get("cached_tokens"),
        reasoning=out_details.get("reasoning_tokens"),
    )
    return Wire(
        name,
        respond,
        {
            "chat": chat_expect,
            "stream": chat_expect,
            "embeddings": Expect(
                response_model=embedding_model, response_id=embedding_id, input_tokens=5
            ),
            "error": Expect(error_type=error_type),
        },
    )


# Anthropic Messages ----------------------------------------------------------------------------

ANTHROPIC_MODEL = "claude-sonnet-4-5-20250929"
ANTHROPIC_ID = "msg_01SdkMatrixAnthropic0001"


def _anthropic_respond(received: Received) -> Reply:
    body = _request_json(received)
    if body.get("model") == ERROR_MODEL:
        return _json(
            {
                "type": "error",
                "error": {
                    "type": "rate_limit_error",
                    "message": "Number of request tokens has exceeded your per-minute rate limit",
                },
                "request_id": "req_011CSdkMatrix",
            },
            status=429,
        )
    usage = {
        "input_tokens": 10,
        "cache_creation_input_tokens": 3,
        "cache_read_input_tokens": 5,
        "output_tokens": 7,
        "service_tier": "standard",
    }
    if not body.get("stream"):
        return _json(
            {
                "id": ANTHROPIC_ID,
                "type": "message",
                "role": "assistant",
                "model": ANTHROPIC_MODEL,
                "content": [{"type": "text", "text": "Hello there."}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": usage,
            }
        )
    start = {
        "type": "message_start",
        "message": {
            "id": ANTHROPIC_ID,
            "type": "message",
            "role": "assistant",
            "model": ANTHROPIC_MODEL,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": 1},
        },
    }
    return _sse(
        [
            _named("message_start", start),
            _named(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            _named("ping", {"type": "ping"}),
            _named(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": "Hello"},
                },
            ),
            _named(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": " there."},
                },
            ),
            _named("content_block_stop", {"type": "content_block_stop", "index": 0}),
            _named(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": 7},
                },
            ),
            _named("message_stop", {"type": "message_stop"}),
        ]
    )


_ANTHROPIC_CHAT = Expect(
    response_model=ANTHROPIC_MODEL,
    response_id=ANTHROPIC_ID,
    finish_reasons=("end_turn",),
    input_tokens=18,
    output_tokens=7,
    cache_read=5,
    cache_creation=3,
)
ANTHROPIC = Wire(
    "anthropic",
    _anthropic_respond,
    {
        "chat": _ANTHROPIC_CHAT,
        "stream": _ANTHROPIC_CHAT,
        "error": Expect(error_type="rate_limit_error"),
    },
)


# Gemini ----------------------------------------------------------------------------------------

GEMINI_MODEL_VERSION = "gemini-2.5-flash"
GEMINI_ID = "9ZsmaOzuGdWnz7IPkZ2SkQk"
_GEMINI_USAGE = {
    "promptTokenCount": 8,
    "candidatesTokenCount": 2,
    "totalTokenCount": 30,
    "cachedContentTokenCount": 4,
    "thoughtsTokenCount": 20,
    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}],
}


def _gemini_respond(received: Received) -> Reply:
    path = received.path.split("?", 1)[0]
    if ERROR_MODEL in path:
        return _json(
            {
                "error": {
                    "code": 429,
                    "message": "Resource has been exhausted (e.g. check quota).",
                    "status": "RESOURCE_EXHAUSTED",
                }
            },
            status=429,
        )
    if path.endswith(":batchEmbedContents") or path.endswith(":embedContent"):
        vector = {"values": [0.25, -0.5, 0.125]}
        if path.endswith(":embedContent"):
            return _json({"embedding": vector})
        return _json({"embeddings": [vector]})

    def candidate(text: str, reason: Optional[str]) -> dict[str, Any]:
        value: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}}
        if reason:
            value["finishReason"] = reason
        value["index"] = 0
        return value

    if path.endswith(":streamGenerateContent"):
        chunks = [
            {
                "candidates": [candidate("Hello", None)],
                "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
                "modelVersion": GEMINI_MODEL_VERSION,
                "responseId": GEMINI_ID,
            },
            {
                "candidates": [candidate(" there.", "STOP")],
                "usageMetadata": _GEMINI_USAGE,
                "modelVersion": GEMINI_MODEL_VERSION,
                "responseId": GEMINI_ID,
            },
        ]
        return _sse([b"data: " + _dumps(c) + b"\r\n\r\n" for c in chunks])
    return _json(
        {
            "candidates": [candidate("Hello there.", "STOP")],
            "usageMetadata": _GEMINI_USAGE,
            "modelVersion": GEMINI_MODEL_VERSION,
            "responseId": GEMINI_ID,
        }
    )


_GEMINI_CHAT = Expect(
    response_model=GEMINI_MODEL_VERSION,
    response_id=GEMINI_ID,
    finish_reasons=("STOP",),
    input_tokens=8,
    output_tokens=22,
    cache_read=4,
    reasoning=20,
)
GEMINI = Wire(
    "gemini",
    _gemini_respond,
    {
        "chat": _GEMINI_CHAT,
        "stream": _GEMINI_CHAT,
        "embeddings": Expect(),
        "error": Expect(error_type="RESOURCE_EXHAUSTED"),
    },
)


# Cohere v2 -------------------------------------------------------------------------------------

COHERE_ID = "c14c80c3-18eb-4519-9460-6c92edd8cfb4"
_COHERE_USAGE = {
    "billed_units": {"input_tokens": 5, "output_tokens": 3},
    "tokens": {"input_tokens": 71, "output_tokens": 3},
    "cached_tokens": 64,
}


def _cohere_respond(received: Received) -> Reply:
    body = _request_json(received)
    path = received.path.split("?", 1)[0]
    if body.get("model") == ERROR_MODEL:
        return _json(
            {
                "id": "6b2a8a0e-55c3-4a6b-9d3e-6a1e1f0f0001",
                "message": "You are using a Trial key, which is limited to 10 API calls / minute. "
                "You can continue to use the Trial key for free or upgrade to a Production key "
                "with higher rate limits.",
            },
            status=429,
        )
    if path.endswith("/embed"):
        return _json(
            {
                "id": "e5a1c1c2-4e1b-4c52-8d4f-5d2c0f0e0002",
                "texts": body.get("texts") or [],
                "embeddings": {"float": [[0.25, -0.5, 0.125]]},
                "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 2}},
                "response_type": "embeddings_by_type",
            }
        )
    if not body.get("stream"):
        return _json(
            {
                "id": COHERE_ID,
                "message": {
                    "role": "assistant",
                    "content": [{"type": "text", "text": "Hello there."}],
                },
                "finish_reason": "COMPLETE",
                "usage": _COHERE_USAGE,
            }
        )
    events = [
        {
            "id": COHERE_ID,
            "type": "message-start",
            "delta": {
                "message": {
                    "role": "assistant",
                    "content": [],
                    "tool_plan": "",
                    "tool_calls": [],
                    "citations": [],
                }
            },
        },
        {
            "type": "content-start",
            "index": 0,
            "delta": {"message": {"content": {"type": "text", "text": ""}}},
        },
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Hello"}}}},
        {
            "type": "content-delta",
            "index": 0,
            "delta": {"message": {"content": {"text": " there."}}},
        },
        {"type": "content-end", "index": 0},
        {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": _COHERE_USAGE}},
    ]
    return _sse([_named(e["type"], e) for e in events])


_COHERE_CHAT = Expect(
    response_id=COHERE_ID,
    finish_reasons=("COMPLETE",),
    input_tokens=71,
    output_tokens=3,
    cache_read=64,
)
COHERE = Wire(
    "cohere",
    _cohere_respond,
    {
        "chat": _COHERE_CHAT,
        "stream": _COHERE_CHAT,
        "embeddings": Expect(response_id="e5a1c1c2-4e1b-4c52-8d4f-5d2c0f0e0002", input_tokens=2),
        "error": Expect(error_type="429"),
    },
)


# Ollama native ---------------------------------------------------------------------------------

OLLAMA_MODEL = "llama3.2"


def _ollama_respond(received: Received) -> Reply:
    body = _request_json(received)
    path = received.path.split("?", 1)[0]
    if body.get("model") == ERROR_MODEL:
        # What Ollama answers when its queue is full (it has no 429 of its own).
        return _json(
            {"error": "server busy, please try again.  maximum pending requests exceeded"},
            status=503,
        )
    if path in ("/api/embed", "/api/embeddings"):
        return _json(
            {
                "model": OLLAMA_MODEL,
                "embeddings": [[0.25, -0.5, 0.125]],
                "total_duration": 14143917,
                "load_duration": 1019500,
                "prompt_eval_count": 8,
            }
        )
    when = "2026-01-01T00:00:00.000000Z"

    def line(content: str, done: bool) -> dict[str, Any]:
        value: dict[str, Any] = {
            "model": OLLAMA_MODEL,
            "created_at": when,
            "message": {"role": "assistant", "content": content},
            "done": done,
        }
        if done:
            value.update(
                done_reason="stop",
                total_duration=5191566416,
                load_duration=2154458,
                prompt_eval_count=26,
                prompt_eval_duration=383809000,
                eval_count=298,
                eval_duration=4799921000,
            )
        return value

    if body.get("stream") is False:
        final = line("Hello there.", True)
        return _json(final)
    lines = [line("Hello", False), line(" there.", False), line("", True)]
    return Reply(
        content_type="application/x-ndjson",
        pieces=[_dumps(v) + b"\n" for v in lines],
        chunked=True,
    )


_OLLAMA_CHAT = Expect(
    response_model=OLLAMA_MODEL, finish_reasons=("stop",), input_tokens=26, output_tokens=298
)
OLLAMA = Wire(
    "ollama",
    _ollama_respond,
    {
        "chat": _OLLAMA_CHAT,
        "stream": _OLLAMA_CHAT,
        "embeddings": Expect(response_model=OLLAMA_MODEL, input_tokens=8),
        "error": Expect(error_type="503"),
    },
    error_status=503,
)


# Hugging Face: TGI chat (OpenAI shape) and TEI / HF Inference feature extraction ---------------

_HF_OPENAI = openai_wire(
    "huggingface",
    "meta-llama/Llama-3.1-8B-Instruct",
    {"error": "Model is overloaded", "error_type": "overloaded"},
    "overloaded",
    usage={"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
)


def _hf_respond(received: Received) -> Reply:
    path = received.path.split("?", 1)[0]
    if received.method == "GET" and path.startswith("/api/models/"):
        # The Hub's model info, asked by InferenceClient before an hf-inference call.
        model = path[len("/api/models/") :]
        if "bge" in model:
            tag, tags = "feature-extraction", ["sentence-transformers", "feature-extraction"]
        else:
            tag, tags = "text-generation", ["text-generation", "conversational"]
        return _json({"id": model, "modelId": model, "pipeline_tag": tag, "tags": tags})
    if path in ("", "/", "/embed") or path.endswith("/pipeline/feature-extraction"):
        if ERROR_MODEL.encode() in received.body:
            return _json({"error": "Model is overloaded", "error_type": "overloaded"}, 429)
        return _json([[0.25, -0.5, 0.125]])
    return _HF_OPENAI.respond(received)


HUGGINGFACE = Wire(
    "huggingface",
    _hf_respond,
    {**_HF_OPENAI.expect, "embeddings": Expect()},
)


# The OpenAI-compatible providers, each with its own models and its real 429 body ---------------

_PLAIN_USAGE = {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}

OPENAI = openai_wire(
    "openai",
    "gpt-4o-mini-2024-07-18",
    {
        "error": {
            "message": "Rate limit reached for gpt-4o-mini in organization org-sdkmatrix on "
            "requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    },
    "rate_limit_exceeded",
)
MISTRAL = openai_wire(
    "mistral",
    "mistral-small-latest",
    {
        "object": "error",
        "message": "Requests rate limit exceeded",
        "type": "rate_limited",
        "param": None,
        "code": "1300",
    },
    "rate_limited",
    usage=_PLAIN_USAGE,
    embedding_model="mistral-embed",
    embedding_id="embd-aad6fc62b17349b192ef09225058bc45",
)
GROQ = openai_wire(
    "groq",
    "llama-3.1-8b-instant",
    {
        "error": {
            "message": "Rate limit reached for model `llama-3.1-8b-instant` in organization "
            "`org_sdkmatrix` service tier `on_demand` on tokens per minute (TPM): Limit 6000, "
            "Used 5800, Requested 400. Please try again in 2s.",
            "type": "tokens",
            "code": "rate_limit_exceeded",
        }
    },
    "rate_limit_exceeded",
    usage={
        **_PLAIN_USAGE,
        "queue_time": 0.02,
        "prompt_time": 0.001,
        "completion_time": 0.01,
        "total_time": 0.011,
    },
    embedding_model="nomic-embed-text-v1_5",
    x_groq=True,
)
TOGETHER = openai_wire(
    "together",
    "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    {
        "error": {
            "message": "You have been rate limited. Your rate limit is 60 queries per minute.",
            "type": "credit_limit",
            "param": None,
            "code": None,
        }
    },
    "credit_limit",
    usage={**_PLAIN_USAGE, "cached_tokens": 0},
    embedding_model="BAAI/bge-base-en-v1.5",
)
FIREWORKS = openai_wire(
    "fireworks",
    "accounts/fireworks/models/llama-v3p1-8b-instruct",
    {"error": "Too Many Requests"},
    "429",
    usage=_PLAIN_USAGE,
    embedding_model="nomic-ai/nomic-embed-text-v1.5",
)


# Amazon Bedrock Runtime (boto3, aiobotocore) ----------------------------------------------------

BEDROCK_CLAUDE_MODEL = "claude-3-5-haiku-20241022"
BEDROCK_CLAUDE_ID = "msg_bdrk_01SdkMatrix0001"
STREAM_FAILS = "Fail mid-stream."
"""A ConverseStream request with this text is answered with an ``exception`` frame mid-stream."""
_EVENTSTREAM = "application/vnd.amazon.eventstream"


def _bedrock_stream(frames: list[bytes]) -> Reply:
    return Reply(content_type=_EVENTSTREAM, pieces=frames, chunked=True)


def _bedrock_respond(received: Received) -> Reply:
    """Bedrock's four operations by path (``/model/<id>/<action>``), the model id URL-encoded."""
    from urllib.parse import unquote

    from tests.support.aws_eventstream import chunk, event, exception

    _, _, model, action = received.path.split("?")[0].split("/", 3)
    if unquote(model) == ERROR_MODEL:
        return Reply(
            status=429,
            headers={"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/"},
            pieces=[_dumps({"message": "Too many requests, please wait before trying again."})],
        )
    if action == "converse":
        return _json(
            {
                "output": {"message": {"role": "assistant", "content": [{"text": "Hello!"}]}},
                "stopReason": "end_turn",
                "usage": {
                    "inputTokens": 10,
                    "outputTokens": 3,
                    "totalTokens": 25,
                    "cacheReadInputTokens": 8,
                    "cacheWriteInputTokens": 4,
                },
                "metrics": {"latencyMs": 120},
            }
        )
    if action == "converse-stream":
        frames = [
            event("messageStart", {"role": "assistant", "p": "abcd"}),
            event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hel"}}),
            event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "lo!"}}),
            event("contentBlockStop", {"contentBlockIndex": 0}),
            event("messageStop", {"stopReason": "max_tokens"}),
            event(
                "metadata",
                {
                    "usage": {"inputTokens": 7, "outputTokens": 2, "totalTokens": 9},
                    "metrics": {"latencyMs": 80},
                },
            ),
        ]
        if STREAM_FAILS.encode() in received.body:
            frames = [*frames[:2], exception("throttlingException", "Too many tokens, slow down.")]
        return _bedrock_stream(frames)
    message = {
        "id": BEDROCK_CLAUDE_ID,
        "type": "message",
        "role": "assistant",
        "model": BEDROCK_CLAUDE_MODEL,
        "content": [{"type": "text", "text": "Hello!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 5,
            "output_tokens": 3,
            "cache_read_input_tokens": 2,
            "cache_creation_input_tokens": 1,
        },
    }
    if action == "invoke":
        return _json(message)
    start = {**message, "content": [], "stop_reason": None, "usage": {"input_tokens": 11}}
    return _bedrock_stream(
        [
            chunk({"type": "message_start", "message": start}),
            chunk(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                }
            ),
            chunk(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": "Hello!"},
                }
            ),
            chunk({"type": "content_block_stop", "index": 0}),
            chunk(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn"},
                    "usage": {"output_tokens": 4},
                }
            ),
            chunk(
                {
                    "type": "message_stop",
                    "amazon-bedrock-invocationMetrics": {
                        "inputTokenCount": 11,
                        "outputTokenCount": 4,
                        "invocationLatency": 500,
                        "firstByteLatency": 200,
                    },
                }
            ),
        ]
    )


BEDROCK = Wire(
    "bedrock",
    _bedrock_respond,
    {
        "chat": Expect(
            finish_reasons=("end_turn",),
            input_tokens=22,  # 10 uncached + 8 read + 4 written
            output_tokens=3,
            cache_read=8,
            cache_creation=4,
        ),
        "stream": Expect(finish_reasons=("max_tokens",), input_tokens=7, output_tokens=2),
        "invoke": Expect(
            response_model=BEDROCK_CLAUDE_MODEL,
            response_id=BEDROCK_CLAUDE_ID,
            finish_reasons=("end_turn",),
            input_tokens=8,  # 5 uncached + 2 read + 1 written
            output_tokens=3,
            cache_read=2,
            cache_creation=1,
        ),
        "invoke_stream": Expect(
            response_model=BEDROCK_CLAUDE_MODEL,
            response_id=BEDROCK_CLAUDE_ID,
            finish_reasons=("end_turn",),
            input_tokens=11,
            output_tokens=4,
        ),
        "error": Expect(error_type="ThrottlingException"),  # x-amzn-ErrorType's
        "stream_error": Expect(error_type="throttlingException"),
    },
)
