"""The Anthropic Messages wire format (``POST .../v1/messages``, operation ``chat``).

Also Claude on Vertex AI: ``.../publishers/anthropic/models/<model>:rawPredict`` and
``:streamRawPredict`` carry the same Messages bodies, with the model in the path.

Usage: Anthropic's ``input_tokens`` counts only the uncached part of the prompt, so the GenAI
input count is ``input_tokens + cache_read_input_tokens + cache_creation_input_tokens``; the cache
counts are also reported on their own. In a stream, ``message_start`` carries the first usage and
every ``message_delta`` carries *cumulative* counts (output always, input and cache counts on
newer API versions), so a count in the last ``message_delta`` overrides the one from
``message_start``. Finish reason: ``stop_reason``. Errors: ``{"type": "error", "error": {"type":
...}}`` as a body or as an ``event: error`` in a stream. ``ping`` events are skipped.
"""

from __future__ import annotations

from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._genai import RequestParameters, TokenCounts
from opentelemetry.instrumentation.llm_router._wire import _content as C
from opentelemetry.instrumentation.llm_router._wire._base import (
    RequestInfo,
    ResponseSummary,
    StreamParser,
)
from opentelemetry.instrumentation.llm_router._wire._errors import read_error_object
from opentelemetry.instrumentation.llm_router._wire._format import (
    Endpoint,
    JsonFormat,
    ParameterNames,
    merge_counts,
    token_counts,
)
from opentelemetry.instrumentation.llm_router._wire._scan import has_text, text_at
from opentelemetry.instrumentation.llm_router._wire._sse import event_data, event_name
from opentelemetry.instrumentation.llm_router._wire._stream import EventStreamParser, FastPathStream
from opentelemetry.instrumentation.llm_router._wire._values import (
    integer,
    loads,
    mapping,
    sequence,
    text,
)

MESSAGES = "messages"
_COUNT_KEYS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)


def _output_type(body: dict[str, Any]) -> Optional[str]:
    """Structured outputs: ``output_format`` (beta) or ``output_config.format`` of type
    ``json_schema`` ask for JSON; the Messages API has no other output format to ask for."""
    output_format = body.get("output_format")
    if output_format is None:
        output_format = mapping(body.get("output_config")).get("format")
    if mapping(output_format).get("type") == "json_schema":
        return "json"
    return None


_PARAMETERS = ParameterNames(
    max_tokens="max_tokens",
    temperature="temperature",
    top_p="top_p",
    top_k="top_k",
    stop_sequences="stop_sequences",
)


def _counts(usage: Any, into: dict[str, int]) -> None:
    merge_counts(usage, _COUNT_KEYS, into)


def _token_counts(counts: dict[str, int]) -> Optional[TokenCounts]:
    if not counts:
        return None
    uncached = counts.get("input_tokens")
    cache_read = counts.get("cache_read_input_tokens")
    cache_creation = counts.get("cache_creation_input_tokens")
    total_input = None
    if uncached is not None:
        total_input = uncached + (cache_read or 0) + (cache_creation or 0)
    return token_counts(
        total_input,
        counts.get("output_tokens"),
        cache_read=cache_read,
        cache_creation=cache_creation,
    )


def _error_of(obj: dict[str, Any], summary: ResponseSummary) -> None:
    read_error_object(obj.get("error"), summary)


def _block_part(block: dict[str, Any]) -> Optional[dict[str, Any]]:
    kind = block.get("type")
    if kind == "text":
        value = block.get("text")
        return C.text_part(value) if isinstance(value, str) else None
    if kind == "thinking":
        value = block.get("thinking")
        return C.reasoning_part(value) if isinstance(value, str) else None
    if kind in ("tool_use", "server_tool_use"):
        return C.tool_call_part(text(block.get("id")), text(block.get("name")), block.get("input"))
    if kind == "tool_result":
        return C.tool_response_part(text(block.get("tool_use_id")), block.get("content"))
    if kind == "redacted_thinking":
        return None
    return C.other_part(kind)


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [C.text_part(content)]
    parts = []
    for block in sequence(content):
        part = _block_part(mapping(block))
        if part is not None:
            parts.append(part)
    return parts


def _summarise(kind: str, obj: dict[str, Any], capture: bool, summary: ResponseSummary) -> None:
    summary.response_id = text(obj.get("id"))
    summary.response_model = text(obj.get("model"))
    reason = text(obj.get("stop_reason"))
    summary.finish_reasons = [reason] if reason else []
    counts: dict[str, int] = {}
    _counts(obj.get("usage"), counts)
    summary.usage = _token_counts(counts)
    if "error" in obj:
        _error_of(obj, summary)
    if capture and obj.get("type") == "message":
        summary.output_messages = [C.output_message(_parts(obj.get("content")), reason)]


_WANTED = frozenset((b"message_start", b"message_delta", b"error"))
_DELTA = b"content_block_delta"
_DELTA_LINE = b"event: " + _DELTA
_DELTA_EVENT = _DELTA_LINE + b"\n"
_DATA_FROM = len(_DELTA_EVENT)
_TEXT = b'"text"'
_THINKING = b'"thinking"'
_PARTIAL_JSON = b'"partial_json"'
_CONTENT_EVENTS = frozenset((b"content_block_start", b"content_block_delta"))


def _delta_output(raw: bytes) -> bool:
    """Whether a ``content_block_delta`` carries output: non-empty text, thinking or tool input."""
    return has_text(raw, _TEXT) or has_text(raw, _THINKING) or has_text(raw, _PARTIAL_JSON)


class MessagesStream(FastPathStream):
    """A Messages SSE stream. Without capture only ``message_start``, ``message_delta`` and
    ``error`` events are decoded; with capture the content block events too.

    Output events: ``content_block_delta`` events whose delta has non-empty ``text``,
    ``thinking`` or ``partial_json`` (a ``signature_delta`` is not output; nor are ``ping``,
    ``message_start``, ``content_block_start``/``stop`` or ``message_delta``)."""

    counts_output_events = True

    __slots__ = ("_blocks", "_capture", "_counts", "_fast", "_reason", "_summary_obj")

    def __init__(self, capture: bool) -> None:
        EventStreamParser.__init__(self)
        self._capture = capture
        self._counts: dict[str, int] = {}
        self._reason: Optional[str] = None
        self._blocks: dict[int, list[Any]] = {}  # index -> [type, id, name, TextBuffer]
        self._summary_obj = ResponseSummary()
        self._fast = False  # the per-event fast path of :meth:`feed` is on

    def feed(self, chunk: bytes) -> None:
        """A read of the stream. Once output is no longer counted and content not captured, a
        ``content_block_delta`` (the bulk of a stream) is never decoded: a read that is exactly
        one such event (its ``event:`` line, one more line, a blank line, no ``\\r``) is
        answered here with four byte tests, without splitting it or calling :meth:`_event`."""
        if (
            self._fast
            and chunk.startswith(_DELTA_EVENT)
            and chunk.find(10, _DATA_FROM) == len(chunk) - 2
            and chunk[-1] == 10  # the blank line (endswith: a method call)
            and 13 not in chunk
        ):
            return
        EventStreamParser.feed(self, chunk)
        self._fast = self._clean and not self.counting and not self._capture

    def _event(self, raw: bytes) -> None:
        if raw.startswith(_DELTA_LINE):  # the bulk of a stream: text, thinking and tool deltas
            if self.counting and (text_at(raw, raw.rfind(_TEXT), 6) or _delta_output(raw)):
                self.output_events += 1
            if not self._capture:
                return
            name: Optional[bytes] = _DELTA
        else:
            name = event_name(raw)
            delta = name == _DELTA if name is not None else raw.find(_DELTA) >= 0
            if delta and self.counting and _delta_output(raw):
                self.output_events += 1
        if name is not None:
            if name not in _WANTED and not (self._capture and name in _CONTENT_EVENTS):
                return
        elif (
            raw.find(b"message_start") < 0
            and raw.find(b"message_delta") < 0
            and raw.find(b"error") < 0
            and not self._capture
        ):
            return
        self._take_data(event_data(raw))

    def _take(self, obj: dict[str, Any]) -> None:
        kind = obj.get("type")
        summary = self._summary_obj
        if kind == "message_start":
            message = mapping(obj.get("message"))
            summary.response_id = text(message.get("id"))
            summary.response_model = text(message.get("model"))
            _counts(message.get("usage"), self._counts)
        elif kind == "message_delta":
            reason = text(mapping(obj.get("delta")).get("stop_reason"))
            if reason:
                self._reason = reason
            _counts(obj.get("usage"), self._counts)
        elif kind == "error" or "error" in obj:
            _error_of(obj, summary)
        elif self._capture and kind == "content_block_start":
            index = integer(obj.get("index")) or 0
            block = mapping(obj.get("content_block"))
            buffer = C.TextBuffer()
            buffer.add(block.get("text") or block.get("thinking"))
            self._blocks[index] = [
                block.get("type"),
                text(block.get("id")),
                text(block.get("name")),
                buffer,
            ]
        elif self._capture and kind == "content_block_delta":
            entry = self._blocks.get(integer(obj.get("index")) or 0)
            if entry is not None:
                delta = mapping(obj.get("delta"))
                entry[3].add(
                    delta.get("text") or delta.get("thinking") or delta.get("partial_json")
                )

    def _whole(self, body: bytes) -> None:
        obj = loads(body)
        if isinstance(obj, dict):
            _summarise(MESSAGES, obj, self._capture, self._summary_obj)

    def _summary(self) -> ResponseSummary:
        summary = self._summary_obj
        if self._reason:
            summary.finish_reasons = [self._reason]
        if self._counts:
            summary.usage = _token_counts(self._counts)
        if self._capture and self._blocks:
            parts = []
            for _, (kind, block_id, name, buffer) in sorted(self._blocks.items()):
                if kind == "text":
                    parts.append(C.text_part(buffer.value()))
                elif kind == "thinking":
                    parts.append(C.reasoning_part(buffer.value()))
                elif kind in ("tool_use", "server_tool_use"):
                    parts.append(C.tool_call_part(block_id, name, buffer.value() or None))
            summary.output_messages = [C.output_message(parts, self._reason)]
        return summary

    def response_model(self) -> Optional[str]:
        return self._summary_obj.response_model


_VERTEX_PUBLISHER = "/publishers/anthropic/models/"
_VERTEX_METHODS = (":rawPredict", ":streamRawPredict")


def _vertex_model(path: str) -> Optional[str]:
    """The model of a Vertex AI Anthropic call, ``.../publishers/anthropic/models/<model>:
    rawPredict`` or ``:streamRawPredict`` (the body has no ``model`` there); else ``None``. The
    token counter (``.../models/count-tokens:rawPredict``) is no generation call."""
    if not path.endswith(_VERTEX_METHODS):
        return None
    at = path.find(_VERTEX_PUBLISHER)
    if at < 0:
        return None
    model = path[at + len(_VERTEX_PUBLISHER) : path.rfind(":")]
    if not model or "/" in model or model == "count-tokens":
        return None
    return model


_MESSAGES = Endpoint("chat", MESSAGES)


class AnthropicFormat(JsonFormat):
    """Anthropic Messages API."""

    name = "anthropic"

    def endpoint(self, path: str) -> Optional[Endpoint]:
        if path.endswith("/messages"):
            return _MESSAGES
        model = _vertex_model(path)
        if model is None:
            return None
        stream = True if path.endswith(":streamRawPredict") else None  # else the body says
        return Endpoint("chat", MESSAGES, model, stream)

    def parameters(
        self, kind: str, fields: dict[str, Any], large_body: Optional[bytes]
    ) -> Optional[RequestParameters]:
        return _PARAMETERS.read(fields, _output_type(fields))

    summarise = staticmethod(_summarise)

    def stream_parser(self, info: RequestInfo, capture_content: bool) -> StreamParser:
        return MessagesStream(capture_content)

    def input_messages(
        self, info: RequestInfo
    ) -> tuple[Optional[list[dict[str, Any]]], Optional[list[dict[str, Any]]]]:
        body = info.body
        if not isinstance(body, dict):
            return None, None
        messages = [
            {"role": text(m.get("role")) or "user", "parts": _parts(m.get("content"))}
            for m in map(mapping, sequence(body.get("messages")))
        ]
        system = body.get("system")
        instructions = _parts(system) if system is not None else None
        return messages or None, instructions or None


ANTHROPIC = AnthropicFormat()
