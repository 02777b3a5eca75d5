"""OpenAI Chat Completions <-> Anthropic Messages, the part of a router that lets one client API
reach several providers. Only text chat is translated; it is an example, not a gateway.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Optional

from opentelemetry.instrumentation.llm_router import InputTokens, LanguageModelUsage, OutputTokens

DEFAULT_MAX_TOKENS = 1024
_FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def chat_to_messages(body: Dict[str, Any], model: str) -> Dict[str, Any]:
    """An OpenAI chat request as an Anthropic Messages request for ``model``."""
    system = [
        _text(m.get("content")) for m in body.get("messages", []) if m.get("role") == "system"
    ]
    messages = [
        {"role": m.get("role"), "content": _text(m.get("content"))}
        for m in body.get("messages", [])
        if m.get("role") in ("user", "assistant")
    ]
    request: Dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": body.get("max_completion_tokens")
        or body.get("max_tokens")
        or DEFAULT_MAX_TOKENS,
    }
    if system:
        request["system"] = "\n".join(system)
    for name in ("temperature", "top_p", "stream"):
        if body.get(name) is not None:
            request[name] = body[name]
    stop = body.get("stop")
    if stop:
        request["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    return request


def anthropic_usage(usage: Dict[str, Any]) -> LanguageModelUsage:
    """Anthropic's usage: ``input_tokens`` there excludes cached tokens, so the total adds them."""
    no_cache = usage.get("input_tokens")
    cache_read = usage.get("cache_read_input_tokens")
    cache_write = usage.get("cache_creation_input_tokens")
    parts = [v for v in (no_cache, cache_read, cache_write) if isinstance(v, int)]
    return LanguageModelUsage(
        input_tokens=InputTokens(
            total=sum(parts) if parts else None,
            no_cache=no_cache,
            cache_read=cache_read,
            cache_write=cache_write,
        ),
        output_tokens=OutputTokens(total=usage.get("output_tokens")),
    )


def openai_usage(usage: Dict[str, Any]) -> LanguageModelUsage:
    details_in = usage.get("prompt_tokens_details") or {}
    details_out = usage.get("completion_tokens_details") or {}
    return LanguageModelUsage(
        input_tokens=InputTokens(
            total=usage.get("prompt_tokens"), cache_read=details_in.get("cached_tokens")
        ),
        output_tokens=OutputTokens(
            total=usage.get("completion_tokens"), reasoning=details_out.get("reasoning_tokens")
        ),
    )


def openai_usage_dict(usage: LanguageModelUsage) -> Dict[str, Any]:
    prompt = usage.input_tokens.total or 0
    completion = usage.output_tokens.total or 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": usage.input_tokens.cache_read or 0},
    }


def message_to_chat(message: Dict[str, Any]) -> Dict[str, Any]:
    """An Anthropic Messages response as an OpenAI chat completion."""
    text = "".join(
        block.get("text", "") for block in message.get("content", []) if block.get("type") == "text"
    )
    return {
        "id": message.get("id"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": message.get("model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": _FINISH_REASONS.get(message.get("stop_reason") or "", "stop"),
            }
        ],
        "usage": openai_usage_dict(anthropic_usage(message.get("usage") or {})),
    }


def anthropic_error_to_openai(status: int, body: Any) -> Dict[str, Any]:
    error = body.get("error", {}) if isinstance(body, dict) else {}
    return {
        "error": {
            "message": error.get("message") or f"upstream status {status}",
            "type": error.get("type") or "upstream_error",
            "param": None,
            "code": None,
        }
    }


class MessagesStreamToChat:
    """Turns Anthropic stream events into OpenAI ``chat.completion.chunk`` SSE lines, and keeps the
    usage, response model and finish reason for the router's own report."""

    def __init__(self, include_usage: bool) -> None:
        self.include_usage = include_usage
        self.id: Optional[str] = None
        self.model: Optional[str] = None
        self.finish_reason: Optional[str] = None
        self.finished = False
        self._usage: Dict[str, Any] = {}
        self._created = int(time.time())

    @property
    def usage(self) -> Optional[LanguageModelUsage]:
        return anthropic_usage(self._usage) if self._usage else None

    def _chunk(self, delta: Dict[str, Any], finish: Optional[str]) -> bytes:
        payload = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return b"data: " + json.dumps(payload).encode() + b"\n\n"

    def convert(self, event_type: Optional[str], data: str) -> List[bytes]:
        try:
            event = json.loads(data)
        except ValueError:
            return []
        kind = event.get("type", event_type)
        if kind == "message_start":
            message = event.get("message", {})
            self.id, self.model = message.get("id"), message.get("model")
            self._usage.update(message.get("usage") or {})
            return [self._chunk({"role": "assistant", "content": ""}, None)]
        if kind == "content_block_delta":
            delta = event.get("delta", {})
            if delta.get("type") == "text_delta":
                return [self._chunk({"content": delta.get("text", "")}, None)]
            return []
        if kind == "message_delta":
            self._usage.update(event.get("usage") or {})
            reason = (event.get("delta") or {}).get("stop_reason")
            self.finish_reason = _FINISH_REASONS.get(reason or "", "stop")
            return [self._chunk({}, self.finish_reason)]
        if kind == "message_stop":
            self.finished = True
            out: List[bytes] = []
            if self.include_usage and self.usage is not None:
                final = {
                    "id": self.id,
                    "object": "chat.completion.chunk",
                    "created": self._created,
                    "model": self.model,
                    "choices": [],
                    "usage": openai_usage_dict(self.usage),
                }
                out.append(b"data: " + json.dumps(final).encode() + b"\n\n")
            out.append(b"data: [DONE]\n\n")
            return out
        return []
