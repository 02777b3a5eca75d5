"""The streams the delivery benchmark sends: every stream format we parse, in two JSON styles.

Each builder returns the stream as a list of events, each the bytes the provider writes at once:
an SSE event with its blank line, an NDJSON line (Ollama), an element of a JSON array with its
separator (Gemini without ``alt=sse``) or a binary AWS event-stream frame (Bedrock ConverseStream),
shaped like what the provider sends today (field sets as in recorded streams: OpenAI's ``usage: null``
and ``obfuscation`` on every chunk, Responses' bookkeeping events, Anthropic's ``ping``, Gemini's
``usageMetadata`` on every chunk and CRLF line ends). ``events`` is the number of events that carry
output (one token each); the rest (role-only first chunk, finish, usage, bookkeeping) come on top.

OpenAI's ``obfuscation`` (Chat Completions chunks, Responses ``output_text.delta`` events) is random
padding that hides each token's length: in recorded streams a delta's text and its padding add up to
16 characters (``"."`` gets 15, ``" civilizations"`` 2), and a chunk without text gets 1 to 15. So
the OpenAI bodies here carry varied tokens (:data:`OPENAI_TOKENS`) each padded that way, drawn from
a generator seeded per stream (:func:`openai_tokens`): every call of a length gets the same bytes,
and no two neighbouring events need be alike. A constant padding made every content event of a
stream byte-identical, which a fast path comparing an event with the last one it saw is flattered
by (and which no real stream does). The other formats keep one token, ``TOKEN``.

Styles: ``compact`` is ``json.dumps(separators=(",", ":"))`` (what OpenAI, Anthropic and Google
send); ``spaced`` is ``json.dumps`` with its defaults (``", "`` and ``": "``), which Python
gateways and proxies that re-serialise events send.
"""

from __future__ import annotations

import json
import random
import string
import struct
import zlib
from typing import Any, Callable

FORMATS = (
    "chat",
    "responses",
    "anthropic",
    "gemini",
    "gemini-array",
    "cohere",
    "ollama",
    "bedrock",
)
STYLES = ("compact", "spaced")
WIRE_FORMAT = {
    "chat": "openai",
    "responses": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "gemini-array": "gemini",
    "cohere": "cohere",
    "ollama": "ollama",
    "bedrock": "bedrock",
}
"""The wire format (the hook's parser) of each stream format; the delivery server listens on one
port per wire format, since the instrumentation maps host:port to a format."""
PROVIDER = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "gcp.gemini",
    "cohere": "cohere",
    "ollama": "ollama",
    "bedrock": "aws.bedrock",
}
"""The ``OTEL_PYTHON_LLM_ROUTER_PROVIDERS`` provider name of each wire format's port."""
BEDROCK_MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
PATHS = {
    "chat": "/v1/chat/completions",
    "responses": "/v1/responses",
    "anthropic": "/v1/messages",
    "gemini": "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    "gemini-array": "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
    "cohere": "/v2/chat",
    "ollama": "/api/chat",
    # botocore percent-encodes the model id's ':' in the path
    "bedrock": "/model/" + BEDROCK_MODEL.replace(":", "%3A") + "/converse-stream",
}
CONTENT_TYPE = {
    "gemini-array": "application/json; charset=UTF-8",
    "ollama": "application/x-ndjson",
    "bedrock": "application/vnd.amazon.eventstream",
}
"""The response's content type where it is not SSE (``text/event-stream``)."""
MODEL = {
    "chat": "gpt-4o-mini",
    "responses": "gpt-4o-mini",
    "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-2.5-flash",
    "gemini-array": "gemini-2.5-flash",
    "cohere": "command-a-03-2025",
    "ollama": "llama3.2",
    "bedrock": BEDROCK_MODEL,
}
TOKEN = "tok "
# fmt: off
OPENAI_TOKENS = (
    " the", " a", ",", ".", " of", " and", " to", " is", " in", " that", " it", " for", " you",
    " with", " as", " on", " can", " be", " this", " are", " or", " an", " not", " I", "ing",
    " model", " stream", " tokens", " example", " information", " response", " data", " API",
    " request", " which", " each", " time", " first", " more", "ed", " using", " value",
)
# fmt: on
"""English-like tokens of 1 to 12 characters (no character JSON would escape)."""
OBFUSCATION_PAD = 16
"""The length OpenAI pads a delta's text and its ``obfuscation`` to (recorded streams)."""
_PAD_ALPHABET = string.ascii_letters + string.digits


class Padding:
    """Deterministic ``obfuscation`` values: alphanumeric, as OpenAI's are."""

    def __init__(self, seed: str) -> None:
        self._random = random.Random(seed)

    def token(self) -> str:
        return self._random.choice(OPENAI_TOKENS)

    def pad(self, text: str = "") -> str:
        """The padding of an event whose text is ``text`` (none: a chunk without text)."""
        size = OBFUSCATION_PAD - len(text) if text else self._random.randint(1, 15)
        return "".join(self._random.choices(_PAD_ALPHABET, k=max(size, 1)))


def openai_tokens(seed: str, events: int) -> list[tuple[str, str]]:
    """``events`` (token, obfuscation) pairs of one stream; the first ``n`` are the same for any
    length of at least ``n`` (a short and a long stream differ only by what the long one adds)."""
    padding = Padding(seed)
    out = []
    for _ in range(events):
        token = padding.token()
        out.append((token, padding.pad(token)))
    return out


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
    elif fmt in ("cohere", "ollama"):
        body = {"model": model, "messages": [{"role": "user", "content": "Say hi"}]}
        body["stream"] = True
    elif fmt == "bedrock":
        body = {
            "messages": [{"role": "user", "content": [{"text": "Say hi"}]}],
            "inferenceConfig": {"maxTokens": 1024},
        }
    else:
        body = {"contents": [{"role": "user", "parts": [{"text": "Say hi"}]}]}
    return json.dumps(body).encode()


def _dumper(style: str) -> Callable[[Any], str]:
    if style == "compact":
        return lambda value: json.dumps(value, separators=(",", ":"))
    return json.dumps


def _chat(events: int, dump: Callable[[Any], str]) -> list[bytes]:
    tokens = openai_tokens("chat", events)
    other = Padding("chat-other")  # the chunks without text: their own draws, same for any length

    def chunk(delta: dict[str, Any], finish: Any = None, usage: Any = None, pad: str = "") -> bytes:
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
            "obfuscation": pad or other.pad(),
        }
        return f"data: {dump(value)}\n\n".encode()

    out = [chunk({"role": "assistant", "content": "", "refusal": None})]
    out += [chunk({"content": token}, pad=pad) for token, pad in tokens]
    out.append(chunk({}, "stop"))
    usage = {"prompt_tokens": 12, "completion_tokens": events, "total_tokens": 12 + events}
    out.append(chunk({}, usage=usage))
    out.append(b"data: [DONE]\n\n")
    return out


def _responses(events: int, dump: Callable[[Any], str]) -> list[bytes]:
    tokens = openai_tokens("responses", events)
    text = "".join(token for token, _ in tokens)
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
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
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
    for token, pad in tokens:
        out.append(
            event(
                "response.output_text.delta",
                item_id="msg_bench",
                output_index=0,
                content_index=0,
                delta=token,
                logprobs=[],
                obfuscation=pad,
            )
        )
    out.append(
        event(
            "response.output_text.done",
            item_id="msg_bench",
            output_index=0,
            content_index=0,
            text=text,
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


def _gemini_objects(events: int) -> list[dict[str, Any]]:
    def chunk(index: int, last: bool) -> dict[str, Any]:
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
        return {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": "gemini-2.5-flash",
            "responseId": "bench0001",
        }

    return [chunk(i, i == events - 1) for i in range(events)]


def _gemini(events: int, dump: Callable[[Any], str]) -> list[bytes]:
    return [f"data: {dump(value)}\r\n\r\n".encode() for value in _gemini_objects(events)]


def _gemini_array(events: int, dump: Callable[[Any], str]) -> list[bytes]:
    """``streamGenerateContent`` without ``alt=sse``: one JSON array, written an element at a time
    (``[`` before the first, ``,`` and a CRLF between, ``]`` after the last, as Google does)."""
    values = [dump(value) for value in _gemini_objects(events)]
    out = [f"[{values[0]}".encode()]
    out += [f",\r\n{value}".encode() for value in values[1:]]
    out[-1] += b"]"
    return out


def _cohere(events: int, dump: Callable[[Any], str]) -> list[bytes]:
    """Cohere's v2 chat stream: SSE events named by their ``type``, the same in the data."""

    def event(value: dict[str, Any]) -> bytes:
        return f"event: {value['type']}\ndata: {dump(value)}\n\n".encode()

    start = {
        "id": "c0ffee00-bench-0001",
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
    }
    content = {"message": {"content": {"type": "text", "text": ""}}}
    out = [event(start), event({"type": "content-start", "index": 0, "delta": content})]
    delta = {
        "type": "content-delta",
        "index": 0,
        "delta": {"message": {"content": {"text": TOKEN}}},
    }
    out += [event(delta)] * events
    usage = {
        "billed_units": {"input_tokens": 12, "output_tokens": events},
        "tokens": {"input_tokens": 12, "output_tokens": events},
        "cached_tokens": 0,
    }
    out.append(event({"type": "content-end", "index": 0}))
    out.append(
        event({"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage}})
    )
    return out


def _ollama(events: int, dump: Callable[[Any], str]) -> list[bytes]:
    """Ollama's ``/api/chat`` stream: newline-delimited JSON, the last line with the counts."""

    def line(content: str, done: bool) -> bytes:
        value: dict[str, Any] = {
            "model": "llama3.2",
            "created_at": "2026-01-01T00:00:00.000000Z",
            "message": {"role": "assistant", "content": content},
            "done": done,
        }
        if done:
            value.update(
                done_reason="stop",
                total_duration=5191566416,
                load_duration=2154458,
                prompt_eval_count=12,
                prompt_eval_duration=383809000,
                eval_count=events,
                eval_duration=4799921000,
            )
        return f"{dump(value)}\n".encode()

    body = line(TOKEN, False)
    return [body] * events + [line("", True)]


def _bedrock(events: int, dump: Callable[[Any], str]) -> list[bytes]:
    """Bedrock's ConverseStream: binary AWS event-stream frames (:func:`eventstream_frame`), one
    typed event each; ``p`` pads the payload as Bedrock does."""

    def event(kind: str, body: dict[str, Any]) -> bytes:
        headers = {
            ":event-type": kind,
            ":content-type": "application/json",
            ":message-type": "event",
        }
        return eventstream_frame(headers, dump(body).encode())

    delta = event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": TOKEN}, "p": "a"})
    usage = {"inputTokens": 12, "outputTokens": events, "totalTokens": 12 + events}
    return [
        event("messageStart", {"role": "assistant", "p": "abcd"}),
        *[delta] * events,
        event("contentBlockStop", {"contentBlockIndex": 0, "p": "abc"}),
        event("messageStop", {"stopReason": "end_turn", "p": "ab"}),
        event("metadata", {"usage": usage, "metrics": {"latencyMs": 120}, "p": "a"}),
    ]


def eventstream_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One frame of the binary AWS event stream: total and header lengths, the prelude's CRC32,
    string-typed headers (type 7), the payload, the whole message's CRC32 (all big-endian)."""
    block = b""
    for name, value in headers.items():
        raw = value.encode()
        block += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(raw)) + raw
    prelude = struct.pack(">II", 12 + len(block) + len(payload) + 4, len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + block + payload
    return message + struct.pack(">I", zlib.crc32(message))


_BUILDERS = {
    "chat": _chat,
    "responses": _responses,
    "anthropic": _anthropic,
    "gemini": _gemini,
    "gemini-array": _gemini_array,
    "cohere": _cohere,
    "ollama": _ollama,
    "bedrock": _bedrock,
}


def stream_events(fmt: str, style: str, events: int) -> list[bytes]:
    """The stream of ``fmt`` with ``events`` output events, JSON written in ``style``."""
    return _BUILDERS[fmt](events, _dumper(style))


def is_sse(fmt: str) -> bool:
    return fmt not in CONTENT_TYPE


def keepalive(fmt: str) -> bytes:
    """An SSE comment as gateways send while waiting (with the format's line ends); nothing for a
    format that is not SSE (it has no comments)."""
    if not is_sse(fmt):
        return b""
    return b": keep-alive\r\n\r\n" if fmt == "gemini" else b": keep-alive\n\n"


def processing(fmt: str) -> bytes:
    """The comment OpenRouter sends first, before any event (nothing where not SSE)."""
    if not is_sse(fmt):
        return b""
    return b": OPENROUTER PROCESSING\r\n\r\n" if fmt == "gemini" else b": OPENROUTER PROCESSING\n\n"
