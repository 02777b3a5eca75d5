"""What a GenAI span must say about a recorded exchange, computed straight from the recording.

These are the rules of the wire corpus README ("What the acceptance check expects"), written out
independently of the package's parsers so that the end-to-end tests check the parsers rather than
repeat them.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

OPERATIONS = {
    "openai_chat": "chat",
    "openai_completions": "text_completion",
    "openai_embeddings": "embeddings",
    "openai_responses": ("chat", "generate_content"),
    "anthropic_messages": "chat",
    "gemini_generate_content": ("generate_content", "chat"),
}

FORMAT_OF = {
    "openai_chat": "openai",
    "openai_completions": "openai",
    "openai_embeddings": "openai",
    "openai_responses": "openai",
    "anthropic_messages": "anthropic",
    "gemini_generate_content": "gemini",
}


def _events(body: str) -> list[tuple[Optional[str], Any]]:
    """(event name, decoded data) of each SSE event that has JSON data."""
    out = []
    for block in re.split(r"\r?\n\r?\n", body):
        name, data = None, []
        for line in re.split(r"\r?\n", block):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
        text = "\n".join(data).strip()
        if not text or text == "[DONE]":
            continue
        try:
            out.append((name, json.loads(text)))
        except ValueError:
            continue
    return out


def expected_span(entry: dict[str, Any]) -> dict[str, Any]:
    """Expected attribute values (``None``: must be absent) plus ``error`` and ``operation``."""
    fmt = entry["format"]
    request = entry["request"]
    response = entry["response"]
    status = response["status"]
    body = response["body"]
    is_sse = response["content_type"].startswith("text/event-stream")
    exp: dict[str, Any] = {
        "operation": OPERATIONS[fmt],
        "gen_ai.provider.name": entry["provider"],
        "error": status >= 400,
        "http.response.status_code": status,
    }
    if fmt == "gemini_generate_content":
        exp["gen_ai.request.model"] = re.search(r"/models/([^/:]+):", request["path"]).group(1)
    else:
        exp["gen_ai.request.model"] = request["body"].get("model")
    usage_keys = (
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.reasoning.output_tokens",
    )
    for key in (*usage_keys, "gen_ai.response.id", "gen_ai.response.model"):
        exp[key] = None
    exp["gen_ai.response.finish_reasons"] = None
    if status >= 400:
        return exp
    if fmt.startswith("openai") and fmt != "openai_responses":
        chunks = [d for _, d in _events(body)] if is_sse else [json.loads(body)]
        _openai(exp, chunks)
    elif fmt == "openai_responses":
        if is_sse:
            done = [
                d["response"] for n, d in _events(body) if d.get("type") == "response.completed"
            ]
            final = done[-1] if done else {}
        else:
            final = json.loads(body)
        _responses(exp, final)
    elif fmt == "anthropic_messages":
        _anthropic(exp, [d for _, d in _events(body)] if is_sse else None, body)
    else:
        chunks = [d for _, d in _events(body)] if is_sse else [json.loads(body)]
        _gemini(exp, chunks)
    return exp


def _openai(exp: dict[str, Any], chunks: list[dict[str, Any]]) -> None:
    reasons: dict[int, str] = {}
    for chunk in chunks:
        exp["gen_ai.response.id"] = exp["gen_ai.response.id"] or chunk.get("id")
        exp["gen_ai.response.model"] = exp["gen_ai.response.model"] or chunk.get("model")
        for choice in chunk.get("choices") or []:
            if choice.get("finish_reason"):
                reasons[choice.get("index", 0)] = choice["finish_reason"]
        usage = chunk.get("usage")
        if usage:
            exp["gen_ai.usage.input_tokens"] = usage.get("prompt_tokens")
            if "completion_tokens" in usage:
                exp["gen_ai.usage.output_tokens"] = usage["completion_tokens"]
            details = usage.get("prompt_tokens_details") or {}
            exp["gen_ai.usage.cache_read.input_tokens"] = details.get("cached_tokens", 0) or 0
            out_details = usage.get("completion_tokens_details") or {}
            exp["gen_ai.usage.reasoning.output_tokens"] = (
                out_details.get("reasoning_tokens", 0) or 0
            )
    if reasons:
        exp["gen_ai.response.finish_reasons"] = [reasons[i] for i in sorted(reasons)]


def _responses(exp: dict[str, Any], final: dict[str, Any]) -> None:
    exp["gen_ai.response.id"] = final.get("id")
    exp["gen_ai.response.model"] = final.get("model")
    usage = final.get("usage") or {}
    if usage:
        exp["gen_ai.usage.input_tokens"] = usage.get("input_tokens")
        exp["gen_ai.usage.output_tokens"] = usage.get("output_tokens")
        cached = (usage.get("input_tokens_details") or {}).get("cached_tokens", 0)
        exp["gen_ai.usage.cache_read.input_tokens"] = cached or 0
        reasoning = (usage.get("output_tokens_details") or {}).get("reasoning_tokens", 0)
        exp["gen_ai.usage.reasoning.output_tokens"] = reasoning or 0
    exp["gen_ai.response.finish_reasons"] = "any"


def _anthropic(exp: dict[str, Any], events: Optional[list[dict[str, Any]]], body: str) -> None:
    usage: dict[str, Any] = {}
    if events is None:
        message = json.loads(body)
        usage = message.get("usage") or {}
        stop = message.get("stop_reason")
    else:
        message, stop = {}, None
        for event in events:
            if event.get("type") == "message_start":
                message = event["message"]
                usage.update(
                    {k: v for k, v in (message.get("usage") or {}).items() if v is not None}
                )
            elif event.get("type") == "message_delta":
                usage.update({k: v for k, v in (event.get("usage") or {}).items() if v is not None})
                stop = (event.get("delta") or {}).get("stop_reason") or stop
    exp["gen_ai.response.id"] = message.get("id")
    exp["gen_ai.response.model"] = message.get("model")
    read = usage.get("cache_read_input_tokens") or 0
    write = usage.get("cache_creation_input_tokens") or 0
    if "input_tokens" in usage:
        exp["gen_ai.usage.input_tokens"] = usage["input_tokens"] + read + write
    exp["gen_ai.usage.output_tokens"] = usage.get("output_tokens")
    exp["gen_ai.usage.cache_read.input_tokens"] = read
    exp["gen_ai.usage.cache_creation.input_tokens"] = write
    exp["gen_ai.usage.reasoning.output_tokens"] = "any"
    if stop:
        exp["gen_ai.response.finish_reasons"] = [stop]


def _gemini(exp: dict[str, Any], chunks: list[dict[str, Any]]) -> None:
    usage: dict[str, Any] = {}
    reasons: dict[int, str] = {}
    for chunk in chunks:
        exp["gen_ai.response.id"] = chunk.get("responseId") or exp["gen_ai.response.id"]
        exp["gen_ai.response.model"] = chunk.get("modelVersion") or exp["gen_ai.response.model"]
        for i, candidate in enumerate(chunk.get("candidates") or []):
            if candidate.get("finishReason"):
                reasons[candidate.get("index", i)] = candidate["finishReason"]
        meta = chunk.get("usageMetadata") or {}
        if "promptTokenCount" in meta or "candidatesTokenCount" in meta:
            usage = meta
    if usage:
        prompt = usage.get("promptTokenCount")
        exp["gen_ai.usage.input_tokens"] = (
            (prompt, prompt + usage["toolUsePromptTokenCount"])
            if prompt is not None and "toolUsePromptTokenCount" in usage
            else prompt
        )
        thoughts = usage.get("thoughtsTokenCount") or 0
        if "candidatesTokenCount" in usage:
            exp["gen_ai.usage.output_tokens"] = usage["candidatesTokenCount"] + thoughts
        exp["gen_ai.usage.cache_read.input_tokens"] = usage.get("cachedContentTokenCount", 0)
        exp["gen_ai.usage.reasoning.output_tokens"] = thoughts
    if reasons:
        exp["gen_ai.response.finish_reasons"] = [reasons[i] for i in sorted(reasons)]


def check_span(span: Any, exp: dict[str, Any]) -> list[str]:
    """Differences between a finished span and the expectation (empty: it matches)."""
    attrs = dict(span.attributes)
    problems = []
    operation = attrs.get("gen_ai.operation.name")
    allowed = exp["operation"] if isinstance(exp["operation"], tuple) else (exp["operation"],)
    if operation not in allowed:
        problems.append(f"operation {operation!r} not in {allowed}")
    if span.name != f"{operation} {exp['gen_ai.request.model']}":
        problems.append(f"span name {span.name!r}")
    zero_ok = {
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.reasoning.output_tokens",
    }
    for key, want in exp.items():
        if key in ("operation", "error"):
            continue
        got = attrs.get(key)
        if key == "gen_ai.response.finish_reasons" and got is not None:
            got = [r.lower() for r in got]
            want = [r.lower() for r in want] if isinstance(want, list) else want
        if want == "any":
            continue
        if isinstance(want, tuple):
            if got not in want:
                problems.append(f"{key}: {got!r} not in {want!r}")
        elif key in zero_ok and want == 0:
            if got not in (None, 0):
                problems.append(f"{key}: {got!r}, want 0 or absent")
        elif got != want:
            problems.append(f"{key}: {got!r}, want {want!r}")
    is_error = span.status.status_code.name == "ERROR"
    if is_error != exp["error"]:
        problems.append(f"status {span.status.status_code.name}, error expected: {exp['error']}")
    if exp["error"] and not attrs.get("error.type"):
        problems.append("error.type missing")
    return problems
