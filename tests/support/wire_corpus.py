"""The recorded provider exchanges in ``tests/data/wire-corpus`` and what each one says.

:func:`expected` derives the values a correct parser must report from the recorded body with plain
``json`` and straightforward rules taken from the providers' documentation (the corpus README's
"What the acceptance check expects"), deliberately sharing no code with the parsers under test.
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

# The corpus ships with the repository (copied, with its provenance README, from the team's
# recorded set); LLM_ROUTER_WIRE_CORPUS points the tests at another copy.
CORPUS_DIR = Path(
    os.environ.get(
        "LLM_ROUTER_WIRE_CORPUS",
        Path(__file__).resolve().parents[1] / "data" / "wire-corpus",
    )
)

FORMAT_OF = {
    "openai_chat": "openai",
    "openai_completions": "openai",
    "openai_embeddings": "openai",
    "openai_responses": "openai",
    "anthropic_messages": "anthropic",
    "gemini_generate_content": "gemini",
}

OPERATION_OF = {
    "openai_chat": "chat",
    "openai_completions": "text_completion",
    "openai_embeddings": "embeddings",
    "openai_responses": "chat",
    "anthropic_messages": "chat",
    "gemini_generate_content": "generate_content",
}


@dataclass
class Entry:
    name: str
    data: dict[str, Any]

    @property
    def family(self) -> str:
        return self.data["format"]

    @property
    def wire_format(self) -> str:
        return FORMAT_OF[self.family]

    @property
    def path(self) -> str:
        return self.data["request"]["path"]

    @property
    def path_without_query(self) -> str:
        return self.path.split("?", 1)[0]

    @property
    def request_body(self) -> bytes:
        return json.dumps(self.data["request"]["body"]).encode()

    @property
    def response_body(self) -> bytes:
        return self.data["response"]["body"].encode()

    @property
    def status(self) -> int:
        return self.data["response"]["status"]

    @property
    def is_event_stream(self) -> bool:
        return self.data["response"]["content_type"].startswith("text/event-stream")


MIN_ENTRIES = 39
"""The corpus holds 39 exchanges; fewer means a broken copy, never a smaller test."""


def entry_paths() -> list[Path]:
    """Every corpus file; raises (at collection) when the corpus is missing or incomplete."""
    paths = sorted(CORPUS_DIR.glob("*.json"))
    if len(paths) < MIN_ENTRIES:
        raise FileNotFoundError(
            f"wire corpus at {CORPUS_DIR} has {len(paths)} entries, expected {MIN_ENTRIES}+"
        )
    return paths


def entries() -> list[Entry]:
    return [Entry(path.name, json.loads(path.read_text())) for path in entry_paths()]


# Splitting streams -----------------------------------------------------------------------

_BOUNDARY = re.compile(rb"(?<=\r\n\r\n)|(?<=\n\n)|(?<=\r\r)(?!\n)")


def at_event_boundaries(body: bytes) -> list[bytes]:
    return [piece for piece in _BOUNDARY.split(body) if piece]


def random_pieces(body: bytes, seed: int, largest: int = 17) -> list[bytes]:
    rng = random.Random(seed)
    pieces = []
    at = 0
    while at < len(body):
        size = rng.randint(1, largest)
        pieces.append(body[at : at + size])
        at += size
    return pieces


def sse_data(body: bytes) -> list[tuple[Optional[str], Any]]:
    """``(event name, decoded data)`` of each SSE event whose data is JSON."""
    text = body.decode().replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for block in text.split("\n\n"):
        name = None
        data_lines = []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data_lines.append(line[5:].lstrip(" "))
        data = "\n".join(data_lines)
        if data.strip().startswith("{"):
            out.append((name, json.loads(data)))
    return out


# Expectations ----------------------------------------------------------------------------


@dataclass
class Expected:
    response_id: Optional[str] = None
    response_model: Optional[str] = None
    finish_reasons: list[str] = field(default_factory=list)
    input_tokens: Optional[int] = None
    output_tokens: Optional[int] = None
    cache_read: Optional[int] = None
    cache_creation: Optional[int] = None
    reasoning: Optional[int] = None
    error_type: Optional[str] = None


def _openai_usage(exp: Expected, usage: Optional[dict[str, Any]]) -> None:
    if not usage:
        return
    exp.input_tokens = usage.get("prompt_tokens", usage.get("input_tokens"))
    exp.output_tokens = usage.get("completion_tokens", usage.get("output_tokens"))
    details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    exp.cache_read = details.get("cached_tokens")
    out_details = usage.get("completion_tokens_details") or usage.get("output_tokens_details") or {}
    exp.reasoning = out_details.get("reasoning_tokens")


def _anthropic_usage(exp: Expected, usage: dict[str, Any]) -> None:
    exp.input_tokens = (
        usage["input_tokens"]
        + usage.get("cache_read_input_tokens", 0)
        + usage.get("cache_creation_input_tokens", 0)
    )
    exp.output_tokens = usage.get("output_tokens")
    exp.cache_read = usage.get("cache_read_input_tokens")
    exp.cache_creation = usage.get("cache_creation_input_tokens")


def _gemini_usage(exp: Expected, usage: dict[str, Any]) -> None:
    if "promptTokenCount" in usage:
        exp.input_tokens = usage["promptTokenCount"] + usage.get("toolUsePromptTokenCount", 0)
    if "candidatesTokenCount" in usage or "thoughtsTokenCount" in usage:
        exp.output_tokens = usage.get("candidatesTokenCount", 0) + usage.get(
            "thoughtsTokenCount", 0
        )
    exp.cache_read = usage.get("cachedContentTokenCount")
    exp.reasoning = usage.get("thoughtsTokenCount")


def _responses_reason(response: dict[str, Any]) -> list[str]:
    status = response.get("status")
    if status == "completed":
        return ["stop"]
    if status == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        return ["length" if reason == "max_output_tokens" else reason]
    return [status] if status in ("failed", "cancelled") else []


def _error(exp: Expected, family: str, body: dict[str, Any]) -> None:
    error = body["error"]
    if family.startswith("openai"):
        exp.error_type = error.get("code") or error.get("type")
    elif family.startswith("anthropic"):
        exp.error_type = error["type"]
    else:
        exp.error_type = error.get("status") or str(error.get("code"))


def expected(entry: Entry) -> Expected:
    exp = Expected()
    family = entry.family
    if not entry.is_event_stream:
        body = json.loads(entry.response_body)
        if isinstance(body.get("error"), dict):
            _error(exp, family, body)
            return exp
        if family in ("openai_chat", "openai_completions", "openai_embeddings"):
            exp.response_id = body.get("id")
            exp.response_model = body.get("model")
            exp.finish_reasons = [
                c["finish_reason"] for c in body.get("choices", []) if c.get("finish_reason")
            ]
            _openai_usage(exp, body.get("usage"))
        elif family == "openai_responses":
            exp.response_id = body["id"]
            exp.response_model = body["model"]
            exp.finish_reasons = _responses_reason(body)
            _openai_usage(exp, body.get("usage"))
        elif family == "anthropic_messages":
            exp.response_id = body["id"]
            exp.response_model = body["model"]
            exp.finish_reasons = [body["stop_reason"]] if body.get("stop_reason") else []
            _anthropic_usage(exp, body["usage"])
        else:
            exp.response_id = body.get("responseId")
            exp.response_model = body.get("modelVersion")
            exp.finish_reasons = [
                c["finishReason"] for c in body.get("candidates", []) if c.get("finishReason")
            ]
            _gemini_usage(exp, body.get("usageMetadata") or {})
        return exp

    events = sse_data(entry.response_body)
    if family in ("openai_chat", "openai_completions"):
        exp.response_id = events[0][1]["id"]
        exp.response_model = events[0][1]["model"]
        reasons: dict[int, str] = {}
        for _, chunk in events:
            for choice in chunk.get("choices", []):
                if choice.get("finish_reason"):
                    reasons[choice["index"]] = choice["finish_reason"]
            if chunk.get("usage"):
                _openai_usage(exp, chunk["usage"])
        exp.finish_reasons = [reasons[i] for i in sorted(reasons)]
    elif family == "openai_responses":
        for name, event in events:
            if name in ("response.completed", "response.incomplete", "response.failed"):
                response = event["response"]
                exp.response_id = response["id"]
                exp.response_model = response["model"]
                exp.finish_reasons = _responses_reason(response)
                _openai_usage(exp, response.get("usage"))
    elif family == "anthropic_messages":
        usage: dict[str, Any] = {}
        for _, event in events:
            if event["type"] == "message_start":
                exp.response_id = event["message"]["id"]
                exp.response_model = event["message"]["model"]
                usage.update(event["message"]["usage"])
            elif event["type"] == "message_delta":
                usage.update({k: v for k, v in event["usage"].items() if isinstance(v, int)})
                exp.finish_reasons = [event["delta"]["stop_reason"]]
        _anthropic_usage(exp, usage)
    else:
        usage = {}
        reasons = {}
        for _, chunk in events:
            exp.response_id = exp.response_id or chunk.get("responseId")
            exp.response_model = exp.response_model or chunk.get("modelVersion")
            for position, candidate in enumerate(chunk.get("candidates", [])):
                if candidate.get("finishReason"):
                    reasons[candidate.get("index", position)] = candidate["finishReason"]
            usage.update(
                {k: v for k, v in (chunk.get("usageMetadata") or {}).items() if k.endswith("Count")}
            )
        exp.finish_reasons = [reasons[i] for i in sorted(reasons)]
        _gemini_usage(exp, usage)
    return exp
