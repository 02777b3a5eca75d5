"""Ollama's native API: ``/api/chat``, ``/api/generate``, ``/api/embed`` (and the older
``/api/embeddings``).

| path | operation | kind |
| --- | --- | --- |
| ``/api/chat`` | ``chat`` | ``chat`` |
| ``/api/generate`` | ``text_completion`` | ``generate`` |
| ``/api/embed``, ``/api/embeddings`` | ``embeddings`` | ``embed`` |

Chat and generate **stream by default**: a request without ``"stream": false`` is answered with
newline-delimited JSON (``application/x-ndjson``), one object per line, the last one with
``"done": true``. Usage is on that last object (or the whole body): ``prompt_eval_count`` (input)
and ``eval_count`` (output); the finish reason is ``done_reason`` (``stop``, ``length``, ...). The
``*_duration`` fields are nanoseconds of server time; they are not reported (the span times the
call itself). There is no response id. Request parameters live in ``options`` (``num_predict`` is
the max tokens). Errors are ``{"error": "text"}``, as a body or as a line of a stream: the text is
the message and ``error.type`` falls back to the HTTP status.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Optional

from opentelemetry.instrumentation.llm_router._genai import RequestParameters, TokenCounts
from opentelemetry.instrumentation.llm_router._wire import _content as C
from opentelemetry.instrumentation.llm_router._wire._base import (
    RequestInfo,
    ResponseSummary,
    StreamParser,
)
from opentelemetry.instrumentation.llm_router._wire._errors import read_error
from opentelemetry.instrumentation.llm_router._wire._format import (
    UNLESS_FALSE,
    Endpoint,
    JsonFormat,
    ParameterNames,
    token_counts,
)
from opentelemetry.instrumentation.llm_router._wire._ndjson import LineSplitter
from opentelemetry.instrumentation.llm_router._wire._scan import has_text, has_value
from opentelemetry.instrumentation.llm_router._wire._values import (
    count,
    loads,
    mapping,
    sequence,
    text,
)

CHAT = "chat"
GENERATE = "generate"
EMBED = "embed"
_ENDPOINTS = {
    "/api/chat": Endpoint("chat", CHAT, stream=UNLESS_FALSE),
    "/api/generate": Endpoint("text_completion", GENERATE, stream=UNLESS_FALSE),
    "/api/embed": Endpoint("embeddings", EMBED, stream=False),
    "/api/embeddings": Endpoint("embeddings", EMBED, stream=False),
}
_PARAMETERS = ParameterNames(  # keys of the request's `options`
    max_tokens="num_predict",
    temperature="temperature",
    top_p="top_p",
    top_k="top_k",
    frequency_penalty="frequency_penalty",
    presence_penalty="presence_penalty",
    stop_sequences="stop",
    seed="seed",
)


def _usage(obj: dict[str, Any]) -> Optional[TokenCounts]:
    return token_counts(count(obj.get("prompt_eval_count")), count(obj.get("eval_count")))


class _Output:
    """What a capturing reader accumulates: text, thinking and tool calls of one answer."""

    __slots__ = ("text", "thinking", "tools")

    def __init__(self) -> None:
        self.text = C.TextBuffer()
        self.thinking = C.TextBuffer()
        self.tools: list[dict[str, Any]] = []

    def add(self, kind: str, obj: dict[str, Any]) -> None:
        if kind == GENERATE:
            self.text.add(obj.get("response"))
            self.thinking.add(obj.get("thinking"))
            return
        message = mapping(obj.get("message"))
        self.text.add(message.get("content"))
        self.thinking.add(message.get("thinking"))
        for call in sequence(message.get("tool_calls")):
            call = mapping(call)
            function = mapping(call.get("function"))
            self.tools.append(
                C.tool_call_part(
                    text(call.get("id")), text(function.get("name")), function.get("arguments")
                )
            )

    def messages(self, reason: Optional[str]) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        if self.thinking:
            parts.append(C.reasoning_part(self.thinking.value()))
        if self.text:
            parts.append(C.text_part(self.text.value()))
        parts.extend(self.tools)
        return [C.output_message(parts, reason)] if parts else []


class _Reader:
    """Reads response objects (one whole body, or the lines of a stream) into a summary."""

    __slots__ = ("_kind", "_output", "reason", "summary")

    def __init__(self, kind: str, capture: bool) -> None:
        self._kind = kind
        self._output = _Output() if capture and kind != EMBED else None
        self.reason: Optional[str] = None
        self.summary = ResponseSummary()

    def take(self, obj: dict[str, Any]) -> None:
        summary = self.summary
        if summary.response_model is None:
            summary.response_model = text(obj.get("model"))
        if "error" in obj:
            read_error(obj, summary)
        if self._output is not None:
            self._output.add(self._kind, obj)
        if obj.get("done") is True or self._kind == EMBED:
            usage = _usage(obj)
            if usage is not None:
                summary.usage = usage
            reason = text(obj.get("done_reason"))
            if reason:
                self.reason = reason

    def result(self) -> ResponseSummary:
        summary = self.summary
        if self.reason:
            summary.finish_reasons = [self.reason]
        if self._output is not None:
            messages = self._output.messages(self.reason)
            if messages:
                summary.output_messages = messages
        return summary


_CONTENT = b'"content"'
_RESPONSE = b'"response"'
_THINKING = b'"thinking"'
_TOOL_CALLS = b'"tool_calls"'
_DONE = b'"done":true'
_DONE_SPACED = b'"done": true'
_DONE_KEY = b'"done"'
_DONE_PLAIN = (b'"done":f', b'"done":t', b'"done": f', b'"done": t')
"""A ``done`` key spelled as Ollama (compact) or ``json.dumps`` (one space) write it. A proxy that
re-serialises the stream may use other whitespace, which :data:`_MARKS` do not find: the line that
names the model tells which spelling the stream uses (:attr:`NDJSONStream._odd`)."""
_DONE_VALUE = re.compile(rb"[ \t\r\n]*:[ \t\r\n]*t")
_FALSE_PLAIN = (b":f", b": f")
_TRUE_PLAIN = (b":t", b": t")
_ERROR = b'"error"'
_MARKS = (_DONE, _DONE_SPACED, _ERROR)
"""What makes a line worth decoding once the model is known (without capture)."""
_DULL_ENDS = (b'"done":false}\n', b'"done": false}\n')
"""How a line that is not the last one ends: its top-level ``done`` (the last key, as Ollama
writes it) is ``false``, compact or with one space."""


def _done_true(line: bytes) -> bool:
    """Whether some ``done`` key of ``line`` has the value ``true``, in any JSON spacing."""
    at = line.find(_DONE_KEY)
    while at >= 0:
        end = at + 6
        if not line.startswith(_FALSE_PLAIN, end) and (
            line.startswith(_TRUE_PLAIN, end) or _DONE_VALUE.match(line, end) is not None
        ):
            return True
        at = line.find(_DONE_KEY, end)
    return False


class NDJSONStream(LineSplitter):
    """An Ollama stream. Without capture a line is decoded only when it is the first (the model),
    the last (``"done": true``: usage, reason) or an error.

    Output events: lines with non-empty ``content`` / ``thinking`` (generate: ``response`` /
    ``thinking``) or ``tool_calls``; the final ``done`` line with empty content is not output."""

    counts_output_events = True  # the hook times these, not reads

    __slots__ = (
        "_capture",
        "_fast",
        "_odd",
        "_reader",
        "_text_key",
        "count_first",
        "counting",
        "output_events",
    )

    def __init__(self, kind: str, capture: bool) -> None:
        LineSplitter.__init__(self)
        self._capture = capture
        self._reader = _Reader(kind, capture)
        self._text_key = _RESPONSE if kind == GENERATE else _CONTENT
        self.output_events = 0
        self.counting = True
        """Whether :attr:`output_events` is still wanted (the hook turns it off once nothing is
        left to time; see :class:`~._stream.EventStreamParser`)."""
        self.count_first = False
        """Set by the hook when only the first output event is timed: a read of several lines
        stops counting at the first output line."""
        self._fast = False  # the per-line fast path of :meth:`feed` is on
        self._odd = False  # `done` is spelled otherwise than compact or with one space

    counting_feed = LineSplitter.feed
    """What the hook calls while output is counted: the general path."""

    @property
    def steady_feed(self) -> Callable[[bytes], None]:
        """What the hook calls once nothing is counted: :meth:`feed` (its fast path), or the
        general path when content is captured (every line is decoded then)."""
        return self.counting_feed if self._capture else self.feed

    def feed(self, chunk: bytes) -> None:
        """A read of the stream. Once the model is known, output no longer counted and content
        not captured, only the last line and error lines are decoded: a read that is exactly one
        line (one line end, at its end) whose top-level ``done`` is its last key and ``false``
        (:data:`_DULL_ENDS`: the closing brace after it closes the object, and the last of
        duplicate keys is the one a decoder keeps) and that has no ``"error"`` key is answered
        here with three byte tests, without splitting it or calling :meth:`_lines`."""
        if (
            self._fast
            and chunk.endswith(_DULL_ENDS)
            and chunk.find(10) == len(chunk) - 1
            and chunk.find(_ERROR) < 0
        ):
            return
        LineSplitter.feed(self, chunk)
        self._fast = (
            not (self.counting or self._capture or self._held or self._skip)
            and self._reader.summary.response_model is not None
        )

    def _lines(self, data: bytes) -> None:
        reader = self._reader
        if not (self.counting or self._capture) and reader.summary.response_model is not None:
            self._skim(data)
            return
        start = 0
        while True:
            end = data.find(10, start)
            line = data[start:end] if end >= 0 else data[start:]
            counted = self.counting and (
                has_text(line, self._text_key)
                or has_text(line, _THINKING)
                or has_value(line, _TOOL_CALLS)
            )
            if counted:
                self.output_events += 1
            self._take_line(line)
            if end < 0:
                return
            start = end + 1
            if counted and self.count_first:
                self.counting = False  # only the first output line was wanted
                self._lines(data[start:])  # the rest: one look, as above
                return

    def _skim(self, data: bytes) -> None:
        """Lines once nothing is counted or captured and the model is known: only those with a
        ``"done": true`` or an ``"error"`` are decoded, found with a few searches of the whole
        read (usually none: no line of it is even split out)."""
        if self._odd:  # `done` spelled otherwise: line by line, each `done` read in any spacing
            for line in data.split(b"\n"):
                self._take_line(line)
            return
        start = 0
        while True:
            at = -1
            for mark in _MARKS:
                found = data.find(mark, start)
                if found >= 0 and (at < 0 or found < at):
                    at = found
            if at < 0:
                return
            end = data.find(10, at)
            self._take_line(
                data[max(start, data.rfind(10, start, at) + 1) : end if end >= 0 else None]
            )
            if end < 0:
                return
            start = end + 1

    def _take_line(self, line: bytes) -> None:
        """Decode ``line`` when it may say something: the model is not known yet, content is
        captured, or it is the last line or an error."""
        reader = self._reader
        if (
            not self._capture
            and reader.summary.response_model is not None
            and not _done_true(line)
            and line.find(_ERROR) < 0
        ):
            return
        obj = loads(line) if line.strip() else None
        if isinstance(obj, dict):
            if reader.summary.response_model is None:
                at = line.rfind(_DONE_KEY)
                self._odd = at >= 0 and not line.startswith(_DONE_PLAIN, at)
            reader.take(obj)

    def response_model(self) -> Optional[str]:
        """The model as soon as a line named it (per-chunk metric points carry it)."""
        return self._reader.summary.response_model

    def summary(self) -> ResponseSummary:
        self.flush_lines()
        return self._reader.result()


def _chat_input(messages: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in map(mapping, sequence(messages)):
        role = text(message.get("role")) or "user"
        content = message.get("content")
        if role == "tool":
            parts = [C.tool_response_part(text(message.get("tool_call_id")), content)]
        else:
            parts = [C.text_part(content)] if isinstance(content, str) and content else []
            parts.extend(C.other_part("image") for _ in sequence(message.get("images")))
            for call in map(mapping, sequence(message.get("tool_calls"))):
                function = mapping(call.get("function"))
                parts.append(
                    C.tool_call_part(
                        text(call.get("id")), text(function.get("name")), function.get("arguments")
                    )
                )
        out.append({"role": role, "parts": parts})
    return out


class OllamaFormat(JsonFormat):
    """Ollama's native API (its OpenAI-compatible ``/v1/...`` is the ``openai`` format)."""

    name = "ollama"

    def endpoint(self, path: str) -> Optional[Endpoint]:
        return _ENDPOINTS.get(path)  # whole paths: Ollama has no mount point

    def parameters(
        self, kind: str, fields: dict[str, Any], large_body: Optional[bytes]
    ) -> Optional[RequestParameters]:
        if kind == EMBED:
            return None
        return _PARAMETERS.read(mapping(fields.get("options")))

    def parse_response(
        self, info: RequestInfo, body: bytes, capture_content: bool
    ) -> ResponseSummary:
        # A stream read as one body is several lines: each is an object of its own.
        reader = _Reader(info.kind, capture_content)
        for line in body.split(b"\n"):
            obj = loads(line) if line.strip() else None
            if isinstance(obj, dict):
                reader.take(obj)
        return reader.result()

    def stream_parser(self, info: RequestInfo, capture_content: bool) -> StreamParser:
        return NDJSONStream(info.kind, capture_content)

    def input_messages(
        self, info: RequestInfo
    ) -> tuple[Optional[list[dict[str, Any]]], Optional[list[dict[str, Any]]]]:
        body = info.body
        if not isinstance(body, dict):
            return None, None
        if info.kind == CHAT:
            return _chat_input(body.get("messages")) or None, None
        if info.kind == GENERATE:
            prompt = body.get("prompt")
            system = body.get("system")
            messages = (
                [{"role": "user", "parts": [C.text_part(prompt)]}]
                if isinstance(prompt, str)
                else None
            )
            instructions = [C.text_part(system)] if isinstance(system, str) and system else None
            return messages, instructions
        return None, None


OLLAMA = OllamaFormat()
