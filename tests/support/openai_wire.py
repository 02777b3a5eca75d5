"""OpenAI chat completions wire data for the hook tests: a JSON answer and an SSE stream.

Shapes follow the recorded exchanges in the wire corpus (``chat.completion`` /
``chat.completion.chunk`` objects, a final usage chunk with empty ``choices``, ``data: [DONE]``).
"""

from __future__ import annotations

import json
from typing import Any

from tests.support.scripted_server import Reply, json_reply, sse_reply

MODEL = "gpt-4o-mini"
RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
RESPONSE_ID = "chatcmpl-AZ1qz7c3mF0"


def chat_request(stream: bool = False, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "messages": [{"role": "user", "content": "Say this is a test"}],
        "model": MODEL,
        "temperature": 0.2,
        "max_tokens": 50,
    }
    if stream:
        body["stream"] = True
    body.update(extra)
    return body


def chat_stream_body() -> bytes:
    """The bytes of a streamed chat request (:func:`chat_request` with ``stream``), as sent."""
    return json.dumps(chat_request(stream=True)).encode()


def only_span(span_exporter: Any) -> Any:
    """The one span a test's call exported (fails, naming them, if there are others)."""
    spans = span_exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def chat_completion(prompt_tokens: int = 12, completion_tokens: int = 5) -> dict[str, Any]:
    return {
        "id": RESPONSE_ID,
        "object": "chat.completion",
        "created": 1731456237,
        "model": RESPONSE_MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "This is a test.", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        },
        "system_fingerprint": "fp_0ba0d124f1",
    }


def chat_reply(**kwargs: Any) -> Reply:
    return json_reply(chat_completion(**kwargs))


def _chunk(
    delta: dict[str, Any], finish: Any = None, usage: Any = None, choices: bool = True
) -> str:
    chunk: dict[str, Any] = {
        "id": RESPONSE_ID,
        "object": "chat.completion.chunk",
        "created": 1731456237,
        "model": RESPONSE_MODEL,
        "system_fingerprint": "fp_0ba0d124f1",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        if choices
        else [],
        "usage": usage,
    }
    return f"data: {json.dumps(chunk, separators=(',', ':'))}\n\n"


def chat_stream_events(
    words: int = 5, prompt_tokens: int = 12, include_usage: bool = True
) -> list[str]:
    events = [_chunk({"role": "assistant", "content": ""})]
    events += [_chunk({"content": f"w{i} "}) for i in range(words)]
    events.append(_chunk({}, finish="stop"))
    if include_usage:
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": words,
            "total_tokens": prompt_tokens + words,
        }
        events.append(_chunk({}, usage=usage, choices=False))
    events.append("data: [DONE]\n\n")
    return events


def chat_stream_reply(words: int = 5, include_usage: bool = True, pause_s: float = 0.0) -> Reply:
    return sse_reply(chat_stream_events(words, include_usage=include_usage), pause_s=pause_s)
