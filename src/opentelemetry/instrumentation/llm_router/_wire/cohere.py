"""Cohere's native API v2: ``/v2/chat`` (and its stream of typed events) and ``/v2/embed``.

| path | operation | kind |
| --- | --- | --- |
| ``/v2/chat`` | ``chat`` | ``chat`` |
| ``/v2/embed``, ``/v1/embed`` | ``embeddings`` | ``embed`` |

Chat response: ``id``, ``finish_reason`` (raw: ``COMPLETE``, ``MAX_TOKENS``, ``STOP_SEQUENCE``,
``TOOL_CALL``, ``ERROR``), ``message`` (content blocks ``text`` / ``thinking``, ``tool_calls``) and
``usage``: ``tokens`` (what the model processed, used for the counts; ``billed_units`` when
``tokens`` is missing) and ``cached_tokens``. The response names no model. A stream is SSE whose
events carry their ``type`` (``message-start`` with the id, ``content-delta``, ``tool-call-*``,
``message-end`` with the finish reason, usage and possibly an ``error``). Embed: usage is
``meta.billed_units.input_tokens``. Errors are ``{"message": "text"}`` (sometimes with an ``id``):
the text is the message and ``error.type`` falls back to the HTTP status. Cohere's
OpenAI-compatible API (``/compatibility/v1/...``) is the ``openai`` format.
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
from opentelemetry.instrumentation.llm_router._wire._errors import read_error
from opentelemetry.instrumentation.llm_router._wire._format import (
    Endpoint,
    JsonFormat,
    ParameterNames,
    token_counts,
)
from opentelemetry.instrumentation.llm_router._wire._scan import has_text
from opentelemetry.instrumentation.llm_router._wire._sse import event_data
from opentelemetry.instrumentation.llm_router._wire._stream import (
    EventStreamParser,
    FastPathStream,
)
from opentelemetry.instrumentation.llm_router._wire._values import (
    count,
    integer,
    loads,
    mapping,
    scrub,
    sequence,
    strings,
    text,
)

CHAT = "chat"
EMBED = "embed"
_ENDPOINTS = (
    ("/v2/chat", Endpoint("chat", CHAT)),
    ("/v2/embed", Endpoint("embeddings", EMBED, stream=False)),
    ("/v1/embed", Endpoint("embeddings", EMBED, stream=False)),
)
_PARAMETERS = ParameterNames(
    max_tokens="max_tokens",
    temperature="temperature",
    top_p="p",
    top_k="k",
    frequency_penalty="frequency_penalty",
    presence_penalty="presence_penalty",
    stop_sequences="stop_sequences",
    seed="seed",
)


def _usage(usage: Any) -> Optional[TokenCounts]:
    usage = mapping(usage)
    tokens = mapping(usage.get("tokens")) or mapping(usage.get("billed_units"))
    return token_counts(
        count(tokens.get("input_tokens")),
        count(tokens.get("output_tokens")),
        cache_read=count(usage.get("cached_tokens")),
    )


def _error(obj: dict[str, Any], summary: ResponseSummary) -> None:
    read_error(obj, summary)
    if summary.error_message is None and isinstance(obj.get("message"), str):
        summary.error_message = scrub(obj.get("message"))


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [C.text_part(content)] if content else []
    parts: list[dict[str, Any]] = []
    for block in map(mapping, sequence(content)):
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            parts.append(C.text_part(block["text"]))
        elif kind == "thinking" and isinstance(block.get("thinking"), str):
            parts.append(C.reasoning_part(block["thinking"]))
        elif block:
            parts.append(C.other_part(kind))
    return parts


def _tool_calls(calls: Any) -> list[dict[str, Any]]:
    parts = []
    for call in map(mapping, sequence(calls)):
        function = mapping(call.get("function"))
        parts.append(
            C.tool_call_part(
                text(call.get("id")), text(function.get("name")), function.get("arguments")
            )
        )
    return parts


def _summarise(kind: str, obj: dict[str, Any], capture: bool, summary: ResponseSummary) -> None:
    if "error" in obj or isinstance(obj.get("message"), str):
        _error(obj, summary)  # {"id": ..., "message": "text"}: the id names the failed request
        return
    summary.response_id = text(obj.get("id"))
    summary.response_model = text(obj.get("model"))
    if kind == EMBED:
        summary.usage = _usage(mapping(obj.get("meta")))
        return
    summary.usage = _usage(obj.get("usage"))
    reason = text(obj.get("finish_reason"))
    summary.finish_reasons = [reason] if reason else []
    if capture:
        message = mapping(obj.get("message"))
        parts = _content_parts(message.get("content")) + _tool_calls(message.get("tool_calls"))
        summary.output_messages = [C.output_message(parts, reason)] if parts else None


_TEXT = b'"text"'
_THINKING = b'"thinking"'
_TOOL_PLAN = b'"tool_plan"'
_ARGUMENTS = b'"arguments"'
_TYPE = b'"type"'
_SEP = b"\n\n"
_DELTA_STARTS = (
    b'event: content-delta\ndata: {"type":"content-delta"',
    b'event: content-delta\ndata: {"type": "content-delta"',
)
"""How a ``content-delta`` event starts, as Cohere writes it (compact, or re-serialised with
spaces): its ``event:`` line, then its data with ``type`` as the object's first key. With no
other ``"type"`` key after it (no later duplicate overrides it), the event's object is one read
only to capture content: without capture it is never decoded, whatever else it holds."""
_TYPE_FROM = len(b'event: content-delta\ndata: {"type"')
_DATA_FROM = len(b"event: content-delta\n")


class ChatStream(FastPathStream):
    """A ``/v2/chat`` stream. Without capture only ``message-start`` (id), ``message-end``
    (finish reason, usage, error) and error events are decoded.

    Output events: ``content-delta`` with non-empty ``text`` or ``thinking``,
    ``tool-plan-delta`` with a ``tool_plan``, ``tool-call-delta`` with ``arguments``."""

    counts_output_events = True  # the hook times these, not reads

    __slots__ = ("_capture", "_fast", "_reason", "_summary_obj", "_text", "_thinking", "_tools")

    def __init__(self, capture: bool) -> None:
        EventStreamParser.__init__(self)
        self._capture = capture
        self._reason: Optional[str] = None
        self._summary_obj = ResponseSummary()
        self._text = C.TextBuffer()
        self._thinking = C.TextBuffer()
        self._tools: dict[int, list[Any]] = {}
        self._fast = False  # the per-event fast path of :meth:`feed` is on

    def feed(self, chunk: bytes) -> None:
        """A read of the stream. Once output is no longer counted and content not captured, a
        ``content-delta`` (the bulk of a stream) is never decoded: a read that is exactly one
        such event (:data:`_DELTA_STARTS`; its ``event:`` line, one more line, a blank line, no
        ``\\r``) is answered here with a few byte tests, without splitting it or calling
        :meth:`_event`."""
        if (
            self._fast
            and chunk.startswith(_DELTA_STARTS)
            and chunk.find(10, _DATA_FROM) == len(chunk) - 2
            and chunk[-1] == 10  # the blank line (endswith: a method call)
            and 13 not in chunk
            and chunk.find(_TYPE, _TYPE_FROM) < 0
        ):
            return
        EventStreamParser.feed(self, chunk)
        self._fast = self._clean and not self.counting and not self._capture

    def _events(self, raw: bytes) -> None:
        """Several complete events in one read: once nothing is counted or captured (with
        :attr:`count_first`, from the first output event of the read on), the plain
        ``content-delta`` events among them are passed over here (the first test of
        :meth:`_event`, without a call per event)."""
        handle = self._event
        capture = self._capture
        for event in raw.split(_SEP):
            if event and (
                self.counting
                or capture
                or not event.startswith(_DELTA_STARTS)
                or event.find(_TYPE, _TYPE_FROM) >= 0
            ):
                handle(event)

    def _event(self, raw: bytes) -> None:
        if (
            not (self.counting or self._capture)
            and raw.startswith(_DELTA_STARTS)
            and raw.find(_TYPE, _TYPE_FROM) < 0
        ):
            return  # the bulk of a stream, once nothing is counted (see _DELTA_STARTS)
        if (
            self.counting
            and raw.find(b"-delta") >= 0
            and (
                (
                    raw.find(b"content-delta") >= 0
                    and (has_text(raw, _TEXT) or has_text(raw, _THINKING))
                )
                or (raw.find(b"tool-plan-delta") >= 0 and has_text(raw, _TOOL_PLAN))
                or (raw.find(b"tool-call-delta") >= 0 and has_text(raw, _ARGUMENTS))
            )
        ):
            self.output_events += 1
            if self.count_first:
                self.counting = False  # only the first output event was wanted
        if not self._capture and (
            (raw.startswith(_DELTA_STARTS) and raw.find(_TYPE, _TYPE_FROM) < 0)
            or (
                raw.find(b"message-") < 0
                and raw.find(b'"error"') < 0
                and raw.find(b'"message"') < 0
            )
        ):
            return  # content, tool and citation events: nothing we need
        self._take_data(event_data(raw))

    def _take(self, obj: dict[str, Any]) -> None:
        summary = self._summary_obj
        kind = obj.get("type")
        delta = mapping(obj.get("delta"))
        if kind == "message-start":
            summary.response_id = summary.response_id or text(obj.get("id"))
        elif kind == "message-end":
            self._reason = text(delta.get("finish_reason")) or self._reason
            usage = _usage(delta.get("usage"))
            if usage is not None:
                summary.usage = usage
            error = delta.get("error")
            if isinstance(error, str) and error:
                summary.error_message = scrub(error)
                summary.error_type = summary.error_type or self._reason or "error"
        elif kind is None:
            _error(obj, summary)  # an error object sent as an event
        elif self._capture:
            self._accumulate(kind, obj, mapping(delta.get("message")))

    def _accumulate(self, kind: str, obj: dict[str, Any], message: dict[str, Any]) -> None:
        if kind == "content-delta":
            content = mapping(message.get("content"))
            self._text.add(content.get("text"))
            self._thinking.add(content.get("thinking"))
        elif kind in ("tool-call-start", "tool-call-delta"):
            index = integer(obj.get("index")) or 0
            call = mapping(message.get("tool_calls"))
            function = mapping(call.get("function"))
            entry = self._tools.get(index)
            if entry is None:
                entry = self._tools[index] = [None, None, C.TextBuffer()]
            entry[0] = entry[0] or text(call.get("id"))
            entry[1] = entry[1] or text(function.get("name"))
            entry[2].add(function.get("arguments"))

    def _whole(self, body: bytes) -> None:
        obj = loads(body)
        if isinstance(obj, dict):
            _summarise(CHAT, obj, self._capture, self._summary_obj)

    def _summary(self) -> ResponseSummary:
        summary = self._summary_obj
        if self._reason:
            summary.finish_reasons = [self._reason]
        if self._capture:
            parts: list[dict[str, Any]] = []
            if self._thinking:
                parts.append(C.reasoning_part(self._thinking.value()))
            if self._text:
                parts.append(C.text_part(self._text.value()))
            for _, (call_id, name, arguments) in sorted(self._tools.items()):
                parts.append(C.tool_call_part(call_id, name, arguments.value()))
            if parts:
                summary.output_messages = [C.output_message(parts, self._reason)]
        return summary


def _chat_input(
    messages: Any,
) -> tuple[list[dict[str, Any]], Optional[list[dict[str, Any]]]]:
    out: list[dict[str, Any]] = []
    system: list[dict[str, Any]] = []
    for message in map(mapping, sequence(messages)):
        role = text(message.get("role")) or "user"
        content = message.get("content")
        if role == "system":
            system.extend(_content_parts(content))
            continue
        if role == "tool":
            parts = [C.tool_response_part(text(message.get("tool_call_id")), content)]
        else:
            parts = _content_parts(content) + _tool_calls(message.get("tool_calls"))
        out.append({"role": role, "parts": parts})
    return out, system or None


class CohereFormat(JsonFormat):
    """Cohere's native v2 API (its ``/compatibility/v1`` API is the ``openai`` format)."""

    name = "cohere"
    endpoints = _ENDPOINTS

    def parameters(
        self, kind: str, fields: dict[str, Any], large_body: Optional[bytes]
    ) -> Optional[RequestParameters]:
        if kind == EMBED:
            formats = strings(fields.get("embedding_types"))
            return RequestParameters(encoding_formats=formats) if formats else None
        return _PARAMETERS.read(fields)

    summarise = staticmethod(_summarise)

    def stream_parser(self, info: RequestInfo, capture_content: bool) -> StreamParser:
        return ChatStream(capture_content)

    def input_messages(
        self, info: RequestInfo
    ) -> tuple[Optional[list[dict[str, Any]]], Optional[list[dict[str, Any]]]]:
        body = info.body
        if not isinstance(body, dict) or info.kind != CHAT:
            return None, None
        messages, system = _chat_input(body.get("messages"))
        return messages or None, system


COHERE = CohereFormat()
