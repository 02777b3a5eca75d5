"""Small, valid exchanges of every wire format, built from parameters.

The reliability tests need exchanges they can *vary*: unique usage per request (so cross-talk
between concurrent calls shows), distinctive prompt and completion text (so leaked content can be
searched for), and well-formed starting points for mutation. The recorded corpus cannot give any
of that, so these are written from the shapes the corpus shows (one module per format would be
overkill for test data: each builder is a few lines).

An :class:`Exchange` is what a client sends (path, JSON body) and what the fake provider answers
(status, content type, body pieces cut at event boundaries), plus the values a correct parser
reports for it (:attr:`Exchange.expect`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from tests.support.scripted_server import Reply

FAMILIES = (
    "openai_chat",
    "openai_completions",
    "openai_embeddings",
    "openai_responses",
    "anthropic_messages",
    "gemini_generate_content",
)
STREAMING_FAMILIES = tuple(f for f in FAMILIES if f != "openai_embeddings")
FORMAT_OF_FAMILY = {
    "openai_chat": "openai",
    "openai_completions": "openai",
    "openai_embeddings": "openai",
    "openai_responses": "openai",
    "anthropic_messages": "anthropic",
    "gemini_generate_content": "gemini",
}
PROVIDER_OF = {
    "openai_chat": "openai",
    "openai_completions": "openai",
    "openai_embeddings": "openai",
    "openai_responses": "openai",
    "anthropic_messages": "anthropic",
    "gemini_generate_content": "gcp.gemini",
}


@dataclass
class Exchange:
    family: str
    stream: bool
    path: str
    request: dict[str, Any]
    status: int
    content_type: str
    pieces: list[bytes]
    expect: dict[str, Any] = field(default_factory=dict)
    """``input_tokens``, ``output_tokens``, ``response_id``, ``response_model``, ``finish``."""

    @property
    def provider(self) -> str:
        return PROVIDER_OF[self.family]

    @property
    def body(self) -> bytes:
        return b"".join(self.pieces)

    @property
    def request_body(self) -> bytes:
        return json.dumps(self.request).encode()

    def reply(self, pieces: Optional[list[bytes]] = None, status: Optional[int] = None) -> Reply:
        pieces = self.pieces if pieces is None else pieces
        return Reply(
            status=self.status if status is None else status,
            content_type=self.content_type,
            pieces=pieces,
            chunked=self.stream,
        )


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _data(value: Any) -> bytes:
    return f"data: {_compact(value)}\n\n".encode()


def _event(name: str, value: Any) -> bytes:
    return f"event: {name}\ndata: {_compact(value)}\n\n".encode()


def _words(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


def exchange(
    family: str,
    stream: bool,
    *,
    model: str = "test-model",
    prompt: str = "Say this is a test",
    completion: str = "This is a test.",
    input_tokens: int = 12,
    output_tokens: int = 5,
    tag: str = "0",
) -> Exchange:
    """A valid exchange of ``family``; ``tag`` makes the response id unique."""
    build: Callable[..., Exchange] = _BUILDERS[family]
    return build(stream, model, prompt, completion, input_tokens, output_tokens, tag)


def _openai_chat(
    stream: bool, model: str, prompt: str, completion: str, n_in: int, n_out: int, tag: str
) -> Exchange:
    rid = f"chatcmpl-{tag}"
    request: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 64,
        "temperature": 0.5,
    }
    usage = {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}
    expect = {
        "input_tokens": n_in,
        "output_tokens": n_out,
        "response_id": rid,
        "response_model": model,
        "finish": ["stop"],
    }
    if not stream:
        body = {
            "id": rid,
            "object": "chat.completion",
            "created": 1731456237,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": completion},
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
        }
        return Exchange(
            family="openai_chat",
            stream=False,
            path="/v1/chat/completions",
            request=request,
            status=200,
            content_type="application/json",
            pieces=[_compact(body).encode()],
            expect=expect,
        )
    request["stream"] = True
    request["stream_options"] = {"include_usage": True}

    def chunk(delta: dict[str, Any], finish: Any = None, with_usage: bool = False) -> bytes:
        return _data(
            {
                "id": rid,
                "object": "chat.completion.chunk",
                "created": 1731456237,
                "model": model,
                "choices": []
                if with_usage
                else [{"index": 0, "delta": delta, "finish_reason": finish}],
                "usage": usage if with_usage else None,
            }
        )

    pieces = [chunk({"role": "assistant", "content": ""})]
    pieces += [chunk({"content": word}) for word in _words(completion)]
    pieces += [chunk({}, "stop"), chunk({}, with_usage=True), b"data: [DONE]\n\n"]
    return Exchange(
        "openai_chat",
        True,
        "/v1/chat/completions",
        request,
        200,
        "text/event-stream; charset=utf-8",
        pieces,
        expect,
    )


def _openai_completions(
    stream: bool, model: str, prompt: str, completion: str, n_in: int, n_out: int, tag: str
) -> Exchange:
    rid = f"cmpl-{tag}"
    request: dict[str, Any] = {"model": model, "prompt": prompt, "max_tokens": 16}
    usage = {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}
    expect = {
        "input_tokens": n_in,
        "output_tokens": n_out,
        "response_id": rid,
        "response_model": model,
        "finish": ["length"],
    }

    def obj(text: str, finish: Any, with_usage: bool) -> dict[str, Any]:
        value: dict[str, Any] = {
            "id": rid,
            "object": "text_completion",
            "created": 1731456237,
            "model": model,
            "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish}],
        }
        if with_usage:
            value["usage"] = usage
        return value

    if not stream:
        return Exchange(
            "openai_completions",
            False,
            "/v1/completions",
            request,
            200,
            "application/json",
            [_compact(obj(completion, "length", True)).encode()],
            expect,
        )
    request["stream"] = True
    request["stream_options"] = {"include_usage": True}
    pieces = [_data(obj(word, None, False)) for word in _words(completion)]
    pieces.append(_data(obj("", "length", False)))
    final = obj("", None, True)
    final["choices"] = []
    pieces += [_data(final), b"data: [DONE]\n\n"]
    return Exchange(
        "openai_completions",
        True,
        "/v1/completions",
        request,
        200,
        "text/event-stream",
        pieces,
        expect,
    )


def _openai_embeddings(
    stream: bool, model: str, prompt: str, completion: str, n_in: int, n_out: int, tag: str
) -> Exchange:
    request = {"model": model, "input": prompt, "encoding_format": "float"}
    body = {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.0023, -0.0094, 0.0157]}],
        "model": model,
        "usage": {"prompt_tokens": n_in, "total_tokens": n_in},
    }
    expect = {
        "input_tokens": n_in,
        "output_tokens": None,
        "response_id": None,
        "response_model": model,
        "finish": None,
    }
    return Exchange(
        "openai_embeddings",
        False,
        "/v1/embeddings",
        request,
        200,
        "application/json",
        [_compact(body).encode()],
        expect,
    )


def _openai_responses(
    stream: bool, model: str, prompt: str, completion: str, n_in: int, n_out: int, tag: str
) -> Exchange:
    rid = f"resp_{tag}"
    request: dict[str, Any] = {"model": model, "input": prompt, "max_output_tokens": 64}
    usage = {
        "input_tokens": n_in,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": n_out,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": n_in + n_out,
    }
    message = {
        "type": "message",
        "id": f"msg_{tag}",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": completion, "annotations": []}],
    }

    def response(status: str, done: bool) -> dict[str, Any]:
        return {
            "id": rid,
            "object": "response",
            "created_at": 1741476542,
            "status": status,
            "model": model,
            "output": [message] if done else [],
            "usage": usage if done else None,
        }

    expect = {
        "input_tokens": n_in,
        "output_tokens": n_out,
        "response_id": rid,
        "response_model": model,
        "finish": ["stop"],
    }
    if not stream:
        return Exchange(
            "openai_responses",
            False,
            "/v1/responses",
            request,
            200,
            "application/json",
            [_compact(response("completed", True)).encode()],
            expect,
        )
    request["stream"] = True
    pieces = [
        _event(
            "response.created",
            {
                "type": "response.created",
                "sequence_number": 0,
                "response": response("in_progress", False),
            },
        )
    ]
    for number, word in enumerate(_words(completion), 1):
        pieces.append(
            _event(
                "response.output_text.delta",
                {
                    "type": "response.output_text.delta",
                    "sequence_number": number,
                    "item_id": f"msg_{tag}",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": word,
                },
            )
        )
    pieces.append(
        _event(
            "response.completed",
            {
                "type": "response.completed",
                "sequence_number": 99,
                "response": response("completed", True),
            },
        )
    )
    return Exchange(
        "openai_responses", True, "/v1/responses", request, 200, "text/event-stream", pieces, expect
    )


def _anthropic(
    stream: bool, model: str, prompt: str, completion: str, n_in: int, n_out: int, tag: str
) -> Exchange:
    rid = f"msg_{tag}"
    request: dict[str, Any] = {
        "model": model,
        "max_tokens": 64,
        "messages": [{"role": "user", "content": prompt}],
    }
    expect = {
        "input_tokens": n_in,
        "output_tokens": n_out,
        "response_id": rid,
        "response_model": model,
        "finish": ["end_turn"],
    }
    if not stream:
        body = {
            "id": rid,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": completion}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": n_in, "output_tokens": n_out},
        }
        return Exchange(
            "anthropic_messages",
            False,
            "/v1/messages",
            request,
            200,
            "application/json",
            [_compact(body).encode()],
            expect,
        )
    request["stream"] = True
    pieces = [
        _event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": rid,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "usage": {"input_tokens": n_in, "output_tokens": 1},
                },
            },
        ),
        _event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        _event("ping", {"type": "ping"}),
    ]
    for word in _words(completion):
        pieces.append(
            _event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": word},
                },
            )
        )
    pieces += [
        _event("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": n_out},
            },
        ),
        _event("message_stop", {"type": "message_stop"}),
    ]
    return Exchange(
        "anthropic_messages",
        True,
        "/v1/messages",
        request,
        200,
        "text/event-stream",
        pieces,
        expect,
    )


def _gemini(
    stream: bool, model: str, prompt: str, completion: str, n_in: int, n_out: int, tag: str
) -> Exchange:
    rid = f"gem-{tag}"
    request = {
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": {"maxOutputTokens": 64, "temperature": 0.5},
    }
    expect = {
        "input_tokens": n_in,
        "output_tokens": n_out,
        "response_id": rid,
        "response_model": model,
        "finish": ["STOP"],
    }

    def obj(text: str, finish: Optional[str], with_usage: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}}
        if finish:
            candidate["finishReason"] = finish
        value: dict[str, Any] = {
            "candidates": [candidate],
            "modelVersion": model,
            "responseId": rid,
        }
        if with_usage:
            value["usageMetadata"] = {
                "promptTokenCount": n_in,
                "candidatesTokenCount": n_out,
                "totalTokenCount": n_in + n_out,
            }
        return value

    if not stream:
        return Exchange(
            "gemini_generate_content",
            False,
            f"/v1beta/models/{model}:generateContent",
            request,
            200,
            "application/json",
            [_compact(obj(completion, "STOP", True)).encode()],
            expect,
        )
    words = _words(completion)
    pieces = [f"data: {_compact(obj(w, None, False))}\r\n\r\n".encode() for w in words[:-1]]
    pieces.append(f"data: {_compact(obj(words[-1], 'STOP', True))}\r\n\r\n".encode())
    return Exchange(
        "gemini_generate_content",
        True,
        f"/v1beta/models/{model}:streamGenerateContent?alt=sse",
        request,
        200,
        "text/event-stream",
        pieces,
        expect,
    )


_BUILDERS: dict[str, Callable[..., Exchange]] = {
    "openai_chat": _openai_chat,
    "openai_completions": _openai_completions,
    "openai_embeddings": _openai_embeddings,
    "openai_responses": _openai_responses,
    "anthropic_messages": _anthropic,
    "gemini_generate_content": _gemini,
}


def all_exchanges(**kwargs: Any) -> list[Exchange]:
    """One exchange per (family, streamed or not) that the format has."""
    out = []
    for family in FAMILIES:
        out.append(exchange(family, False, **kwargs))
        if family in STREAMING_FAMILIES:
            out.append(exchange(family, True, **kwargs))
    return out
