"""The streams the delivery benchmark sends: every stream format we parse, in two JSON styles.

Each builder returns the stream as a list of SSE events (bytes, each with its blank line), shaped
like what the provider sends today (field sets as in recorded streams: OpenAI's ``usage: null``
and ``obfuscation`` on every chunk, Responses' bookkeeping events, Anthropic's ``ping``, Gemini's
``usageMetadata`` on every chunk and CRLF line ends). ``events`` is the number of events that carry
output (one token each); the rest (role-only first chunk, finish, usage, bookkeeping) come on top.

Styles: ``compact`` is ``json.dumps(separators=(",", ":"))`` (what OpenAI, Anthropic and Google
send); ``spaced`` is ``json.dumps`` with its defaults (``", "`` and ``": "``), which Python
gateways and proxies that re-serialise events send.
"""

from __future__ import annotations

import json
from typing import Any, Callable

FORMATS = ("chat", "responses", "anthropic", "gemini")
STYLES = ("compact", "spaced")
WIRE_FORMAT = {
    "chat": "openai",
    "responses": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
}
PATHS = {
    "chat": "/v1/chat/completions",
    "responses": "/v1/responses",
    "anthropic": "/v1/messages",
    "gemini": "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
}
MODEL = {
    "chat": "gpt-4o-mini",
    "responses": "gpt-4o-mini",
    "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-2.5-flash",
}
TOKEN = "tok "


def request_body(fmt: str) -> bytes:
    """What a client sends to ask for the stream (the raw-httpx2 rows send exactly this)."""
    model = MODEL[fmt]
    body: dict[str, Any]
    if fmt == "chat":
        body = {
            "model": model,
            "messages": [{"role": "user", "content": "Say hi"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    elif fmt == "responses":
        body = {"model": model, "input": "Say hi", "stream": True}
    elif fmt == "anthropic":
        body = {
            "model": model,
            "max_tokens": 1024,
            "messages": [{"role": "user", "content": "Say hi"}],
            "stream": True,
        }
    else:
        body = {"contents": [{"role": "user", "parts": [{"text": "Say hi"}]}]}
    return json.dumps(body).encode()


def _dumper(style: str) -> Callable[[Any], str]:
    if style == "compact":
        return lambda value: json.dumps(value, separators=(",", ":"))
    return json.dumps


def _chat(events: int, dump: Callable[[Any], str]) -> list[bytes]:
    def chunk(delta: dict[str, Any], finish: Any = None, usage: Any = None) -> bytes:
        value = {
            "id": "chatcmpl-bench0001",
            "object": "chat.completion.chunk",
            "created": 1763800000,
            "model": "gpt-4o-mini-2024-07-18",
            "service_tier": "default",
            "system_fingerprint": "fp_bench01",
            "choices": []
            if usage
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            "usage": usage,
            "obfuscation": "Xy1",
        }
        return f"data: {dump(value)}\n\n".encode()

    out = [chunk({"role": "assistant", "content": "", "refusal": None})]
    body = chunk({"content": TOKEN})
    out += [body] * events
    out.append(chunk({}, "stop"))
    usage = {"prompt_tokens": 12, "completion_tokens": events, "total_tokens": 12 + events}
    out.append(chunk({}, usage=usage))
    out.append(b"data: [DONE]\n\n")
    return out


def _responses(events: int, dump: Callable[[Any], str]) -> list[bytes]:
    number = [0]

    def event(kind: str, **fields: Any) -> bytes:
        value = {"type": kind, "sequence_number": number[0], **fields}
        number[0] += 1
        return f"event: {kind}\ndata: {dump(value)}\n\n".encode()

    def response(status: str, done: bool) -> dict[str, Any]:
        return {
            "id": "resp_bench0001",
            "object": "response",
            "created_at": 1763800000,
            "status": status,
            "model": "gpt-4o-mini-2024-07-18",
            "output": [
                {
                    "id": "msg_bench",
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": TOKEN * events, "annotations": []}],
                }
            ]
            if done
            else [],
            "usage": {
                "input_tokens": 12,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": events,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 12 + events,
            }
            if done
            else None,
        }

    item = {"id": "msg_bench", "type": "message", "status": "in_progress", "role": "assistant"}
    out = [
        event("response.created", response=response("in_progress", False)),
        event("response.in_progress", response=response("in_progress", False)),
        event("response.output_item.added", output_index=0, item={**item, "content": []}),
        event(
            "response.content_part.added",
            item_id="msg_bench",
            output_index=0,
            content_index=0,
            part={"type": "output_text", "text": "", "annotations": []},
        ),
    ]
    for _ in range(events):
        out.append(
            event(
                "response.output_text.delta",
                item_id="msg_bench",
                output_index=0,
                content_index=0,
                delta=TOKEN,
                logprobs=[],
                obfuscation="Xy1",
            )
        )
    out.append(
        event(
            "response.output_text.done",
            item_id="msg_bench",
            output_index=0,
            content_index=0,
            text=TOKEN * events,
            logprobs=[],
        )
    )
    out.append(event("response.completed", response=response("completed", True)))
    return out


def _anthropic(events: int, dump: Callable[[Any], str]) -> list[bytes]:
    def event(kind: str, value: dict[str, Any]) -> bytes:
        return f"event: {kind}\ndata: {dump({'type': kind, **value})}\n\n".encode()

    out = [
        event(
            "message_start",
            {
                "message": {
                    "id": "msg_bench0001",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-4-5-20250929",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {
                        "input_tokens": 12,
                        "cache_creation_input_tokens": 0,
                        "cache_read_input_tokens": 0,
                        "output_tokens": 1,
                    },
                }
            },
        ),
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        event("ping", {}),
    ]
    body = event(
        "content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": TOKEN}}
    )
    out += [body] * events
    out += [
        event("content_block_stop", {"index": 0}),
        event(
            "message_delta",
            {
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": events},
            },
        ),
        event("message_stop", {}),
    ]
    return out


def _gemini(events: int, dump: Callable[[Any], str]) -> list[bytes]:
    def chunk(index: int, last: bool) -> bytes:
        candidate: dict[str, Any] = {
            "content": {"parts": [{"text": TOKEN}], "role": "model"},
            "index": 0,
        }
        usage: dict[str, Any] = {
            "promptTokenCount": 12,
            "totalTokenCount": 12 + index,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12}],
        }
        if last:
            candidate["finishReason"] = "STOP"
            usage["candidatesTokenCount"] = events
            usage["totalTokenCount"] = 12 + events
        value = {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": "gemini-2.5-flash",
            "responseId": "bench0001",
        }
        return f"data: {dump(value)}\r\n\r\n".encode()

    return [chunk(i, i == events - 1) for i in range(events)]


_BUILDERS = {"chat": _chat, "responses": _responses, "anthropic": _anthropic, "gemini": _gemini}


def stream_events(fmt: str, style: str, events: int) -> list[bytes]:
    """The stream of ``fmt`` with ``events`` output events, JSON written in ``style``."""
    return _BUILDERS[fmt](events, _dumper(style))


def keepalive(fmt: str) -> bytes:
    """An SSE comment as gateways send while waiting (with the format's line ends)."""
    return b": keep-alive\r\n\r\n" if fmt == "gemini" else b": keep-alive\n\n"


def processing(fmt: str) -> bytes:
    """The comment OpenRouter sends first, before any event."""
    return b": OPENROUTER PROCESSING\r\n\r\n" if fmt == "gemini" else b": OPENROUTER PROCESSING\n\n"
