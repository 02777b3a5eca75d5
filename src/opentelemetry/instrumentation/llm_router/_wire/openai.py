"""The OpenAI wire format, spoken by OpenAI and by most other providers ("OpenAI-compatible").

Endpoints are recognised by path suffix, so every mount point works: ``/v1/chat/completions``
(OpenAI, Mistral, DeepSeek, xAI, Together, Fireworks, Ollama), ``/openai/v1/...`` (Groq),
``/api/v1/...`` (OpenRouter), ``/compatibility/v1/...`` (Cohere), and Azure's
``/openai/deployments/<deployment>/chat/completions`` (the model is the body's ``model``, else the
deployment name).

| suffix | operation | kind |
| --- | --- | --- |
| ``/chat/completions`` | ``chat`` | ``chat_completions`` |
| ``/completions`` | ``text_completion`` | ``completions`` |
| ``/embeddings`` | ``embeddings`` | ``embeddings`` |
| ``/responses`` | ``chat`` | ``responses`` |

Responses API finish reasons: the API has none, only a response ``status``. We report
``completed`` as ``stop``; ``incomplete`` as ``length`` when the reason is ``max_output_tokens``,
else as the ``incomplete_details.reason`` (e.g. ``content_filter``); ``failed`` and ``cancelled``
as themselves; nothing for a response still in progress.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._genai import RequestParameters, TokenCounts
from opentelemetry.instrumentation.llm_router._wire import _content as C
from opentelemetry.instrumentation.llm_router._wire._base import (
    RequestInfo,
    ResponseSummary,
    StreamParser,
)
from opentelemetry.instrumentation.llm_router._wire._body import SMALL_BODY
from opentelemetry.instrumentation.llm_router._wire._errors import first_object, read_error
from opentelemetry.instrumentation.llm_router._wire._format import (
    PATH_CACHE_SIZE,
    Endpoint,
    JsonFormat,
    suffix_endpoint,
)
from opentelemetry.instrumentation.llm_router._wire._request import read_body, strip_query
from opentelemetry.instrumentation.llm_router._wire._scan import (
    event_start,
    first_live,
    first_of,
    has_live,
    has_text,
    has_value,
    text_at,
)
from opentelemetry.instrumentation.llm_router._wire._sse import event_data, event_name
from opentelemetry.instrumentation.llm_router._wire._stream import EventStreamParser, FastPathStream
from opentelemetry.instrumentation.llm_router._wire._values import (
    MAX_TEXT,
    MAX_TOKEN_COUNT,
    count,
    integer,
    loads,
    mapping,
    number,
    sequence,
    strings,
    text,
)

CHAT = "chat_completions"
COMPLETIONS = "completions"
EMBEDDINGS = "embeddings"
RESPONSES = "responses"

_API_TYPES = {CHAT: "chat_completions", RESPONSES: "responses"}
"""``openai.api.type``: the conventions name these two APIs (legacy completions and embeddings
have no value of their own, so the attribute is left out for them)."""

_ENDPOINTS = (
    ("/chat/completions", Endpoint("chat", CHAT)),
    ("/completions", Endpoint("text_completion", COMPLETIONS)),
    ("/embeddings", Endpoint("embeddings", EMBEDDINGS)),
    ("/responses", Endpoint("chat", RESPONSES)),
)


# Request side ------------------------------------------------------------------------------


def _azure_deployment(path: str) -> Optional[str]:
    marker = "/deployments/"
    at = path.find(marker)
    if at < 0:
        return None
    name = path[at + len(marker) :].split("/", 1)[0]
    return name or None


_OUTPUT_TYPES = {"text": "text", "json_object": "json", "json_schema": "json"}
"""``response_format.type`` (Chat) / ``text.format.type`` (Responses) -> ``gen_ai.output.type``."""


def _output_type(kind: str, body: dict[str, Any]) -> Optional[str]:
    """The output type the request asks for: a response format, or audio output (``speech``)."""
    if kind == RESPONSES:
        format_type = mapping(mapping(body.get("text")).get("format")).get("type")
    else:
        format_type = mapping(body.get("response_format")).get("type")
        if "audio" in sequence(body.get("modalities")):
            return "speech"
    if type(format_type) is str:
        return _OUTPUT_TYPES.get(format_type)
    return None


def _conversation_id(body: dict[str, Any]) -> Optional[str]:
    """Responses API ``conversation``: an id, or an object with one."""
    conversation = body.get("conversation")
    if isinstance(conversation, dict):
        conversation = conversation.get("id")
    return text(conversation)


def _service_tier(body: dict[str, Any]) -> Optional[str]:
    """The requested tier; ``auto`` (the API's default) is left out, as the conventions ask."""
    tier = text(body.get("service_tier"))
    return tier if tier != "auto" else None


_PARAMETER_KEYS = frozenset(
    (
        "max_output_tokens",
        "max_completion_tokens",
        "max_tokens",
        "temperature",
        "top_p",
        "top_k",
        "frequency_penalty",
        "presence_penalty",
        "stop",
        "seed",
        "n",
        "response_format",
        "modalities",
        "text",
        "conversation",
        "service_tier",
        "encoding_format",
        "dimensions",
    )
)
"""Every top-level key :func:`_parameters` reads: a body with none of them (most requests say only
``model`` and ``messages``) gets the endpoint's shared parameters without a lookup per parameter."""

_BARE_PARAMETERS = {
    CHAT: RequestParameters(openai_api_type=_API_TYPES[CHAT]),
    RESPONSES: RequestParameters(openai_api_type=_API_TYPES[RESPONSES]),
}
"""What a request of each endpoint that sets no parameter says (nothing for completions and
embeddings). Shared by every such request: parameters are never changed once read."""


def _parameters(kind: str, body: dict[str, Any]) -> Optional[RequestParameters]:
    if not body:
        return None
    if _PARAMETER_KEYS.isdisjoint(body):
        return _BARE_PARAMETERS.get(kind)
    if kind == EMBEDDINGS:
        formats = strings(body.get("encoding_format"))
        dimensions = count(body.get("dimensions"))
        if formats or dimensions is not None:
            return RequestParameters(
                encoding_formats=formats, embeddings_dimension_count=dimensions
            )
        return None
    if kind == RESPONSES:
        max_tokens = integer(body.get("max_output_tokens"))
    else:
        max_tokens = integer(body.get("max_completion_tokens"))
        if max_tokens is None:
            max_tokens = integer(body.get("max_tokens"))
    choices = integer(body.get("n"))
    params = RequestParameters(
        max_tokens=max_tokens,
        temperature=number(body.get("temperature")),
        top_p=number(body.get("top_p")),
        top_k=number(body.get("top_k")),
        frequency_penalty=number(body.get("frequency_penalty")),
        presence_penalty=number(body.get("presence_penalty")),
        stop_sequences=strings(body.get("stop")),
        seed=integer(body.get("seed")),
        choice_count=choices if choices is not None and choices != 1 else None,
        output_type=_output_type(kind, body),
        conversation_id=_conversation_id(body) if kind == RESPONSES else None,
        openai_api_type=_API_TYPES.get(kind),
        openai_service_tier=_service_tier(body),
    )
    return params if params.openai_api_type or params.attributes() else None


# Response side -----------------------------------------------------------------------------


def usage_of(usage: Any) -> Optional[TokenCounts]:
    """Token counts of an OpenAI-style ``usage`` object (Chat/Completions/Embeddings names, or
    the Responses API names); ``None`` when it holds no count at all."""
    if not isinstance(usage, dict):
        return None
    get = usage.get  # absent fields (most of them, on most providers) cost a get, no call
    value = get("prompt_tokens")  # ``count`` inlined for a plain int, the usual case
    input_tokens = value if type(value) is int and 0 <= value < MAX_TOKEN_COUNT else count(value)
    if input_tokens is None:
        input_tokens = count(get("input_tokens"))
    value = get("completion_tokens")
    output_tokens = value if type(value) is int and 0 <= value < MAX_TOKEN_COUNT else count(value)
    if output_tokens is None:
        output_tokens = count(get("output_tokens"))
    cache_read = reasoning = None
    details = get("prompt_tokens_details") or get("input_tokens_details")
    if isinstance(details, dict):
        cache_read = count(details.get("cached_tokens"))
    if cache_read is None:
        hit = get("prompt_cache_hit_tokens")  # DeepSeek
        if hit is not None:
            cache_read = count(hit)
    out_details = get("completion_tokens_details") or get("output_tokens_details")
    if isinstance(out_details, dict):
        reasoning = count(out_details.get("reasoning_tokens"))
    if input_tokens is None and output_tokens is None and cache_read is None and reasoning is None:
        return None
    return TokenCounts(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_input_tokens=cache_read,
        reasoning_output_tokens=reasoning,
    )


def _chunk_usage(obj: dict[str, Any]) -> Any:
    usage = obj.get("usage")
    if usage is None:
        usage = mapping(obj.get("x_groq")).get("usage")  # Groq puts stream usage here
    return usage


def _error_of(obj: dict[str, Any], summary: ResponseSummary) -> None:
    """An error body or error event into the summary (every shape: see :mod:`._errors`)."""
    read_error(obj, summary)


def responses_finish_reason(response: dict[str, Any]) -> Optional[str]:
    status = response.get("status")
    if status == "completed":
        return "stop"
    if status == "incomplete":
        reason = mapping(response.get("incomplete_details")).get("reason")
        if reason == "max_output_tokens":
            return "length"
        return text(reason) or "incomplete"
    if status in ("failed", "cancelled"):
        return status
    return None


def _message_parts(message: dict[str, Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        parts.append(C.reasoning_part(reasoning))
    content = message.get("content")
    if isinstance(content, str):
        if content:
            parts.append(C.text_part(content))
    else:
        for block in sequence(content):
            block = mapping(block)
            if isinstance(block.get("text"), str):
                parts.append(C.text_part(block["text"]))
            elif block:
                parts.append(C.other_part(block.get("type")))
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        parts.append(C.text_part(refusal))
    for call in sequence(message.get("tool_calls")):
        call = mapping(call)
        function = mapping(call.get("function"))
        parts.append(
            C.tool_call_part(
                text(call.get("id")), text(function.get("name")), function.get("arguments")
            )
        )
    function_call = message.get("function_call")
    if isinstance(function_call, dict):
        parts.append(
            C.tool_call_part(None, text(function_call.get("name")), function_call.get("arguments"))
        )
    return parts


def _responses_output(output: Any, finish_reason: Optional[str]) -> list[dict[str, Any]]:
    """Output items of a Responses API response, as one assistant message."""
    parts: list[dict[str, Any]] = []
    for item in sequence(output):
        item = mapping(item)
        kind = item.get("type")
        if kind == "message":
            for block in sequence(item.get("content")):
                block = mapping(block)
                value = block.get("text") if "text" in block else block.get("refusal")
                if isinstance(value, str):
                    parts.append(C.text_part(value))
        elif kind == "function_call":
            parts.append(
                C.tool_call_part(
                    text(item.get("call_id")), text(item.get("name")), item.get("arguments")
                )
            )
        elif kind == "reasoning":
            for block in sequence(item.get("summary")) + sequence(item.get("content")):
                value = mapping(block).get("text")
                if isinstance(value, str) and value:
                    parts.append(C.reasoning_part(value))
        elif kind:
            parts.append(C.other_part(kind))
    return [C.output_message(parts, finish_reason)] if parts else []


def _summarise_response(
    kind: str, obj: dict[str, Any], capture: bool, summary: ResponseSummary
) -> None:
    """Fill ``summary`` from one complete response object of endpoint ``kind``.

    Runs once per non-streamed call on the caller's path, so absent fields cost a ``get`` and
    nothing more (``summary`` starts empty)."""
    get = obj.get
    # ``text`` inlined for its common case (short ASCII), here on every non-streamed call.
    value = get("id")
    if type(value) is str and 0 < len(value) <= MAX_TEXT and value.isascii():
        summary.response_id = value
    else:
        summary.response_id = text(value)
    value = get("model")
    if type(value) is str and 0 < len(value) <= MAX_TEXT and value.isascii():
        summary.response_model = value
    else:
        summary.response_model = text(value)
    usage = get("usage")
    if usage is not None:
        summary.usage = usage_of(usage)
    tier = get("service_tier")
    if tier is not None:
        summary.service_tier = text(tier)
    fingerprint = get("system_fingerprint")
    if fingerprint is not None:
        summary.system_fingerprint = text(fingerprint)
    if kind == RESPONSES:
        summary.conversation_id = _conversation_id(obj)
    if "error" in obj or get("type") == "error" or get("object") == "error":
        _error_of(obj, summary)  # every error shape has one of these three
    if kind == RESPONSES:
        reason = responses_finish_reason(obj)
        summary.finish_reasons = [reason] if reason else []
        if capture:
            summary.output_messages = _responses_output(obj.get("output"), reason)
        return
    reasons: list[str] = []
    messages: list[dict[str, Any]] = []
    choices = get("choices")
    for choice in choices if isinstance(choices, list) else ():
        if not isinstance(choice, dict):
            choice = {}
        reason = text(choice.get("finish_reason"))
        if reason:
            reasons.append(reason)
        if capture:
            if kind == COMPLETIONS:
                value = choice.get("text")
                parts = [C.text_part(value)] if isinstance(value, str) else []
            else:
                parts = _message_parts(mapping(choice.get("message")))
            messages.append(C.output_message(parts, reason))
    summary.finish_reasons = reasons
    if capture and messages:
        summary.output_messages = messages


# Streams -----------------------------------------------------------------------------------


class _Choice:
    """What a capturing stream parser accumulates for one choice."""

    __slots__ = ("reasoning", "text", "tools")

    def __init__(self) -> None:
        self.text = C.TextBuffer()
        self.reasoning = C.TextBuffer()
        self.tools: dict[int, list[Any]] = {}  # index -> [id, name, TextBuffer(arguments)]

    def parts(self) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        if self.reasoning:
            parts.append(C.reasoning_part(self.reasoning.value()))
        if self.text:
            parts.append(C.text_part(self.text.value()))
        for _, (call_id, name, arguments) in sorted(self.tools.items()):
            parts.append(C.tool_call_part(call_id, name, arguments.value()))
        return parts


_FINISH = b'"finish_reason"'
_USAGE = b'"usage"'
_ERROR = b'"error"'
_CONTENT = b'"content"'
_TEXT = b'"text"'
_OTHER_OUTPUT_TEXT = (b'"reasoning_content"', b'"reasoning"', b'"refusal"')
_OTHER_OUTPUT_VALUE = (b'"tool_calls"', b'"function_call"')
_NULLS = (b":null", b": null")
_DULL_TAILS = (b':null}],"usage":null', b': null}], "usage": null')
"""A null finish reason followed by the chunk's null usage, as OpenAI and ``json.dumps`` write
them: the common chunk's two keys settled by one look."""
_CHOICES = b'"choices"'
_SEP = b"\n\n"
_DULL_ENDS = (
    (b'"finish_reason":null}],"usage":null', True),
    (b'"finish_reason": null}], "usage": null', True),
    (b'"finish_reason":null}]}', True),
    (b'"finish_reason": null}]}', True),
    (b'"finish_reason":null}],"obfuscation":', False),
    (b'"finish_reason": null}], "obfuscation": ', False),
)
"""How a chunk's single choice ends when it has no finish reason, as OpenAI and ``json.dumps``
write it, followed by a null usage, the end of the chunk, or OpenAI's ``obfuscation`` padding
(the per-event fast path's *tail*), and whether that settles the usage (after ``obfuscation``
a usage may still come)."""
_MISSES = 64
"""How many reads that look like a dull event may miss the fast path (or teach it again) before
a stream stops trying it: a server whose chunks differ before ``"choices"``, or that writes two
events per read, would otherwise pay for the attempt on every read. (Reads that do not look like
one, such as keep-alive comments and the final events, do not count.)"""


def _odd_from_end(raw: bytes, key: bytes, start: int, odd: int, tail: bytes, offset: int) -> int:
    """Where the first of the last ``odd`` occurrences of ``key`` (in ``raw`` from ``start``)
    that are not inside ``tail`` (``key`` found ``offset`` bytes into it; ``-1``: never) is,
    looking from the end; ``start`` if fewer are found."""
    at = len(raw)
    first = start
    while odd > 0:
        at = raw.rfind(key, start, at)
        if at < 0:
            return start
        if offset < 0 or at < offset or not raw.startswith(tail, at - offset):
            first = at
            odd -= 1
    return first


def _chat_output(data: bytes) -> bool:
    """Whether a Chat Completions chunk carries output: a choice delta with non-empty
    ``content``, ``reasoning_content``/``reasoning`` or ``refusal`` text, or ``tool_calls`` /
    ``function_call``. A role-only first chunk (``"content":""``), a finish-only chunk
    (``"delta":{}``) and the usage chunk (``"choices":[]``) are not output."""
    if has_text(data, _CONTENT):
        return True
    for key in _OTHER_OUTPUT_TEXT:
        if data.find(key) >= 0 and has_text(data, key):
            return True
    return any(data.find(key) >= 0 and has_value(data, key) for key in _OTHER_OUTPUT_VALUE)


class ChoicesStream(FastPathStream):
    """Chat Completions and legacy Completions streams: ``data: {chunk}`` ... ``data: [DONE]``.

    Without capture, a chunk is decoded only when it is the first with id and model, or its bytes
    show a finish reason or an error that is not ``null`` (whatever the JSON spacing; see
    :mod:`._scan`). A chunk whose usage is not ``null`` is kept as bytes and decoded when the next
    chunk is decoded or the stream ends (servers that repeat cumulative usage on every chunk cost
    one decode, not one per chunk). One choice per chunk is assumed unless the request asked for
    more (``n``): then every ``finish_reason`` in a chunk is looked at, not only the last.

    Output events: see :func:`_chat_output`; for legacy Completions, a choice with non-empty
    ``text``. The common case (a compact or single-spaced non-empty ``content`` string) is
    decided inline; anything else goes through the general scan.
    """

    counts_output_events = True
    _one_line_events = True

    __slots__ = (
        "_capture",
        "_choices",
        "_end",
        "_fast",
        "_head",
        "_kind",
        "_misses",
        "_multi",
        "_output_key",
        "_pending",
        "_ready",
        "_reasons",
        "_settled",
        "_summary_obj",
        "_tail",
        "_usages",
        "_varies",
    )

    def __init__(self, kind: str, capture: bool, choices: int = 1) -> None:
        EventStreamParser.__init__(self)
        self._kind = kind
        self._output_key = _TEXT if kind == COMPLETIONS else _CONTENT
        self._multi = choices != 1
        self._capture = capture
        # Decode every chunk until id and model are known (always, with capture); then skip
        # the chunks that carry nothing.
        self._ready = False
        self._pending: Optional[bytes] = None  # the latest undecoded chunk with usage
        self._reasons: dict[int, str] = {}
        self._choices: dict[int, _Choice] = {}
        self._summary_obj = ResponseSummary()
        # The per-event fast path (see :meth:`feed`): on while ``_head`` and ``_tail`` are known
        # and nothing else is wanted per event.
        self._fast = False
        self._head = b""
        self._tail = b""
        self._end = b""
        self._varies = False
        self._settled = True
        self._usages = False
        self._misses = 0

    def feed(self, chunk: bytes) -> None:
        """A read of the stream.

        The common read once id and model are known and output is no longer counted (per-chunk
        metric off) is one event that carries nothing we need. It is answered here with a few
        byte comparisons against a dull event seen before (:meth:`_learn`), with no splitting
        and no further call: the read starts with that event's bytes up to ``"choices"`` (no
        other top-level key, so no error, comes before the choices) and is one line ended by a
        blank line, without a ``\\r``; and either it ends with the very bytes that event had from
        its finish reason on (not tried where that event ended with padding that changes on
        every chunk, OpenAI's ``obfuscation``), or its choice ends with a null finish reason
        (:data:`_DULL_ENDS`, found from the end) and nothing after that says ``"error"`` (or
        ``"usage"``, unless the tail settled it). A choice's own inside is not looked at: a single choice (``n`` unset)
        with a null finish reason carries nothing we decode. Anything else, and every read
        while output is counted, goes the general way (:class:`SSESplitter`)."""
        if self._fast:
            if not self._varies and chunk.endswith(self._end):
                if chunk.startswith(self._head) and chunk.find(10, 0, -2) < 0 and 13 not in chunk:
                    return
                self._misses += 1
            else:
                tail = chunk.rfind(self._tail)
                if tail > 0:
                    if (
                        chunk.startswith(self._head)
                        and chunk.find(10) == len(chunk) - 2  # one line, then the blank line
                        and chunk[-1] == 10
                        and 13 not in chunk
                        and chunk.find(_ERROR, tail) < 0
                        and (self._settled or chunk.find(_USAGE, tail) < 0)
                    ):
                        return
                    self._misses += 1
        EventStreamParser.feed(self, chunk)
        self._fast = (
            self._misses < _MISSES and bool(self._head) and self._clean and not self.counting
        )

    def _learn(self, raw: bytes, finish: int) -> None:
        """``raw``, one dull event of one line (``data:`` ... with a null finish reason at
        ``finish`` and no error), gives the fast path its head and tail."""
        self._misses += 1
        if self._multi or self._capture:
            self._misses = _MISSES
            return
        choices = raw.find(_CHOICES)
        tail = next((t for t in _DULL_ENDS if raw.startswith(t[0], finish)), None)
        if 0 < choices < finish and tail is not None and raw.find(10) in (-1, len(raw) - 2):
            self._head = raw[: choices + len(_CHOICES)]
            self._tail, self._settled = tail
            self._usages = _USAGE in self._tail
            self._end = raw[finish:] if raw.endswith(_SEP) else raw[finish:] + _SEP
            # A chunk that ends with a string of its own (OpenAI's ``obfuscation`` padding,
            # new on every chunk) never ends with the very bytes of another: the comparison
            # with ``_end`` would miss on every read, so it is not tried.
            self._varies = self._end.endswith(b'"}\n\n')
        else:
            self._head = b""

    def _event(self, raw: bytes) -> None:
        if not raw.startswith(b"data:"):  # comments, keep-alives, `event:`/`id:` lines: the data
            data = event_data(raw)
            if not data:
                return
            raw = data
        if not self._ready:
            self._decode(raw)
            if self._is_output(raw):
                self.output_events += 1
            return
        # Keys are looked for from the end: finish reason and usage come last in every chunk
        # OpenAI-compatible servers send, and the content string just before the finish reason.
        finish = raw.rfind(_FINISH)
        if finish < 0 or self._multi or not raw.startswith(_DULL_TAILS, finish + 15):
            # Anything but OpenAI's own `"finish_reason":null}],"usage":null` (either spacing),
            # which settles both keys with one look.
            if finish >= 0:
                if (self._multi or not raw.startswith(_NULLS, finish + 15)) and has_live(
                    raw, _FINISH
                ):
                    self._decode(raw)
                    if self._is_output(raw):
                        self.output_events += 1
                    return
            else:
                finish = len(raw)
            at = raw.rfind(_USAGE, finish)
            if at < 0:
                at = raw.rfind(_USAGE, 0, finish)
            if at >= 0 and not raw.startswith(_NULLS, at + 7) and has_live(raw, _USAGE):
                self._pending = raw
        if not self.counting:
            if raw.rfind(_ERROR) >= 0:
                self._decode(raw)
            elif (
                self._misses < _MISSES
                and finish < len(raw)
                and raw.startswith(_NULLS, finish + 15)
                and raw.startswith(b"data:")
                and self._pending is not raw
            ):
                self._learn(raw, finish)
            return
        # Output: the content string nearest before the finish reason, non-empty, written
        # compact or with one space; anything else goes through the general scan.
        key = self._output_key
        if text_at(raw, raw.rfind(key, 0, finish), len(key)) or self._is_output(raw):
            self.output_events += 1
        elif raw.find(_ERROR) >= 0:
            self._decode(raw)

    def _events(self, raw: bytes) -> None:
        """Several complete events (a read that held more than one).

        Event by event while output is counted or id and model are unknown (with
        :attr:`count_first`, counting stops at the first output event, in the middle of the
        read), and a few more until a dull event taught the fast path's tail; the rest of the
        read is skimmed (:meth:`_skim`)."""
        if self._multi or (self.counting and not self.count_first):
            EventStreamParser._events(self, raw)
            return
        start = 0
        if self.counting or not self._ready or not self._tail:
            start = self._walk(raw)
            if start >= len(raw):
                return
        self._skim(raw, start)

    def _walk(self, raw: bytes) -> int:
        """Hand over the events of ``raw`` one by one until output is no longer counted, id and
        model are known and a tail is learnt (or four more events did not teach one); where
        the rest starts."""
        find = raw.find
        end = len(raw)
        start = 0
        spare = 4
        while start < end:
            if not self.counting and self._ready:
                if self._tail or spare == 0 or self._misses >= _MISSES:
                    break
                spare -= 1
            at = find(_SEP, start)
            if at < 0:
                at = end
            if at > start:
                self._event(raw[start:at])
            start = at + 2
            if self.counting and self.output_events and self.count_first:
                self.counting = False
        return start

    def _skim(self, raw: bytes, start: int) -> None:
        """Events from ``start`` on, output no longer counted: most reads hold nothing to decode.

        With a tail learnt, four scans in C over the whole read settle that: every finish
        reason and every usage is the one of a dull tail, and no ``"error"``. Otherwise the
        events before the first live finish reason, live usage or error are skipped with a
        scan per key, without splitting them, and only the rest is looked at event by event."""
        tail = self._tail
        if tail:
            dull = raw.count(tail, start)
            odd_finish = raw.count(_FINISH, start) - dull
            odd_usage = raw.count(_USAGE, start) - (dull if self._usages else 0)
            error = raw.find(_ERROR, start)
            if not odd_finish and not odd_usage and error < 0:
                return
            # The odd ones are found from the end (where the finish and usage events are):
            # the events from the first of them on are looked at one by one.
            first = len(raw)
            if error >= 0:
                first = error
            if odd_finish:
                first = min(first, _odd_from_end(raw, _FINISH, start, odd_finish, tail, 0))
            if odd_usage:
                offset = tail.find(_USAGE) if self._usages else -1
                first = min(first, _odd_from_end(raw, _USAGE, start, odd_usage, tail, offset))
            first = event_start(raw, max(first, start))
            EventStreamParser._events(self, raw[first:])
            return
        if start:
            raw = raw[start:]
        found = [
            at
            for at in (first_live(raw, _FINISH), first_live(raw, _USAGE), first_of(raw, _ERROR))
            if at >= 0
        ]
        if found:
            start = event_start(raw, min(found))
            EventStreamParser._events(self, raw[start:] if start else raw)

    def _is_output(self, raw: bytes) -> bool:
        if self._output_key is _TEXT:
            return has_text(raw, _TEXT)
        return _chat_output(raw)

    def _decode(self, raw: bytes) -> None:
        pending = self._pending
        if pending is not None:  # older than this chunk: its usage first
            self._pending = None
            self._decode_one(pending)
        self._decode_one(raw)

    def _decode_one(self, raw: bytes) -> None:
        self._take_data(event_data(raw) if raw.startswith(b"data:") else raw)

    def _take(self, obj: dict[str, Any]) -> None:
        summary = self._summary_obj
        if summary.response_id is None:
            summary.response_id = text(obj.get("id"))
        if summary.response_model is None:
            summary.response_model = text(obj.get("model"))
        if summary.service_tier is None:  # every chunk repeats these two; the first decoded wins
            summary.service_tier = text(obj.get("service_tier"))
        if summary.system_fingerprint is None:
            summary.system_fingerprint = text(obj.get("system_fingerprint"))
        if not self._ready and not self._capture:
            self._ready = summary.response_id is not None and summary.response_model is not None
        usage = usage_of(_chunk_usage(obj))
        if usage is not None:
            summary.usage = usage
        if "error" in obj or obj.get("type") == "error":
            _error_of(obj, summary)
        for position, choice in enumerate(sequence(obj.get("choices"))):
            choice = mapping(choice)
            index = integer(choice.get("index"))
            if index is None:
                index = position
            reason = text(choice.get("finish_reason"))
            if reason:
                self._reasons[index] = reason
            if self._capture:
                self._accumulate(index, choice)

    def _accumulate(self, index: int, choice: dict[str, Any]) -> None:
        state = self._choices.get(index)
        if state is None:
            state = self._choices[index] = _Choice()
        if self._kind == COMPLETIONS:
            state.text.add(choice.get("text"))
            return
        delta = mapping(choice.get("delta"))
        state.text.add(delta.get("content"))
        state.reasoning.add(delta.get("reasoning_content") or delta.get("reasoning"))
        for position, call in enumerate(sequence(delta.get("tool_calls"))):
            call = mapping(call)
            tool_index = integer(call.get("index"))
            if tool_index is None:
                tool_index = position
            function = mapping(call.get("function"))
            entry = state.tools.get(tool_index)
            if entry is None:
                entry = state.tools[tool_index] = [None, None, C.TextBuffer()]
            entry[0] = entry[0] or text(call.get("id"))
            entry[1] = entry[1] or text(function.get("name"))
            entry[2].add(function.get("arguments"))

    def _whole(self, body: bytes) -> None:
        obj = first_object(loads(body))
        if isinstance(obj, dict):
            _summarise_response(self._kind, obj, self._capture, self._summary_obj)

    def _summary(self) -> ResponseSummary:
        if self._pending is not None:
            pending = self._pending
            self._pending = None
            self._decode_one(pending)
        summary = self._summary_obj
        if self._reasons:
            summary.finish_reasons = [self._reasons[i] for i in sorted(self._reasons)]
        if self._capture and self._choices:
            summary.output_messages = [
                C.output_message(self._choices[i].parts(), self._reasons.get(i))
                for i in sorted(self._choices)
            ]
        return summary

    def response_model(self) -> Optional[str]:
        return self._summary_obj.response_model


_RESPONSES_EVENTS = frozenset(
    (
        b"response.created",
        b"response.in_progress",
        b"response.completed",
        b"response.incomplete",
        b"response.failed",
        b"response.cancelled",
        b"error",
    )
)
_RESPONSES_FINAL = ("response.completed", "response.incomplete", "response.failed")


_TEXT_DELTA = b"event: response.output_text.delta"
_TEXT_DELTA_EVENT = _TEXT_DELTA + b"\n"
_TEXT_DATA_FROM = len(_TEXT_DELTA_EVENT)
_DELTA = b'"delta"'
_TYPE = re.compile(rb'"type"[ \t\r\n]*:[ \t\r\n]*"([^"\\]*)"')


class ResponsesStream(FastPathStream):
    """Responses API streams: typed events; id and model from ``response.created``, everything
    else from the final ``response.completed`` / ``incomplete`` / ``failed`` event.

    Output events: every ``*.delta`` event (output text, refusal, reasoning text and summaries,
    function-call arguments, audio, ...) whose ``delta`` is a non-empty string."""

    counts_output_events = True

    __slots__ = ("_capture", "_fast", "_summary_obj")

    def __init__(self, capture: bool) -> None:
        EventStreamParser.__init__(self)
        self._capture = capture
        self._summary_obj = ResponseSummary()
        self._fast = False  # the per-event fast path of :meth:`feed` is on

    def feed(self, chunk: bytes) -> None:
        """A read of the stream. Once output is no longer counted, a
        ``response.output_text.delta`` (the bulk of a stream) is never decoded (the final
        ``response.completed`` has the whole output): a read that is exactly one such event (its
        ``event:`` line, one more line, a blank line, no ``\\r``) is answered here with four byte
        tests, without splitting it or calling :meth:`_event`."""
        if (
            self._fast
            and chunk.startswith(_TEXT_DELTA_EVENT)
            and chunk.find(10, _TEXT_DATA_FROM) == len(chunk) - 2
            and chunk[-1] == 10  # the blank line (endswith: a method call)
            and 13 not in chunk
        ):
            return
        EventStreamParser.feed(self, chunk)
        self._fast = self._clean and not self.counting

    def _event(self, raw: bytes) -> None:
        if raw.startswith(_TEXT_DELTA):  # by far the most frequent event, one we never decode
            if self.counting and (text_at(raw, raw.find(_DELTA, 33), 7) or has_text(raw, _DELTA)):
                self.output_events += 1
            return
        name = event_name(raw)
        if name is not None:
            wanted = name in _RESPONSES_EVENTS
            output = name[-6:] == b".delta"
        else:  # a stream sent without `event:` lines: the `type` values tell
            types = _TYPE.findall(raw)
            wanted = not _RESPONSES_EVENTS.isdisjoint(types)
            output = any(kind[-6:] == b".delta" for kind in types)
        if output and self.counting and has_text(raw, _DELTA):
            self.output_events += 1
        if not wanted:
            return
        self._take_data(event_data(raw))

    def _take(self, obj: dict[str, Any]) -> None:
        summary = self._summary_obj
        kind = obj.get("type")
        if kind == "error" or (kind is None and "error" in obj):
            _error_of(obj, summary)
            return
        response = obj.get("response")
        if not isinstance(response, dict):
            return
        if kind in _RESPONSES_FINAL:
            _summarise_response(RESPONSES, response, self._capture, summary)
            return
        summary.response_id = summary.response_id or text(response.get("id"))
        summary.response_model = summary.response_model or text(response.get("model"))

    def _whole(self, body: bytes) -> None:
        obj = loads(body)
        if isinstance(obj, dict):
            _summarise_response(RESPONSES, obj, self._capture, self._summary_obj)

    def _summary(self) -> ResponseSummary:
        return self._summary_obj

    def response_model(self) -> Optional[str]:
        return self._summary_obj.response_model


# Input messages ----------------------------------------------------------------------------


def _chat_input(messages: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in sequence(messages):
        message = mapping(message)
        role = text(message.get("role")) or "user"
        if role == "tool":
            parts = [
                C.tool_response_part(text(message.get("tool_call_id")), message.get("content"))
            ]
        else:
            parts = _message_parts(message)
        out.append({"role": role, "parts": parts})
    return out


def _responses_input(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("input")
    if isinstance(items, str):
        return [{"role": "user", "parts": [C.text_part(items)]}]
    out: list[dict[str, Any]] = []
    for item in sequence(items):
        item = mapping(item)
        kind = item.get("type")
        if kind == "function_call_output":
            part = C.tool_response_part(text(item.get("call_id")), item.get("output"))
            out.append({"role": "tool", "parts": [part]})
        elif kind == "function_call":
            part = C.tool_call_part(
                text(item.get("call_id")), text(item.get("name")), item.get("arguments")
            )
            out.append({"role": "assistant", "parts": [part]})
        elif "role" in item:
            content = item.get("content")
            if isinstance(content, str):
                parts = [C.text_part(content)]
            else:
                parts = []
                for block in sequence(content):
                    block = mapping(block)
                    value = block.get("text")
                    parts.append(
                        C.text_part(value)
                        if isinstance(value, str)
                        else C.other_part(block.get("type"))
                    )
            out.append({"role": text(item.get("role")) or "user", "parts": parts})
    return out


# The format --------------------------------------------------------------------------------


_Endpoint = Optional[tuple[str, str, Optional[str]]]
_UNSEEN: Any = object()


def _path_endpoint(path: str) -> _Endpoint:
    """``(operation, kind, Azure deployment or None)`` for a request path, ``None`` for a path
    that is no endpoint we know."""
    path = strip_query(path)
    endpoint = suffix_endpoint(path, _ENDPOINTS)
    if endpoint is None:
        return None
    return endpoint.operation, endpoint.kind, _azure_deployment(path)


class OpenAIFormat(JsonFormat):
    """OpenAI and OpenAI-compatible APIs (see the module docs for endpoints).

    The hot path of most traffic: :meth:`request_info` keeps what each path means (a client
    sends to a handful) and reads a small body with one decode, and :meth:`parse_response`
    also reads a Google-style error array (Gemini's OpenAI-compatible endpoint)."""

    name = "openai"
    endpoints = _ENDPOINTS

    def __init__(self) -> None:
        JsonFormat.__init__(self)
        self._paths: dict[str, _Endpoint] = {}  # type: ignore[assignment]  # + the deployment

    def request_info(
        self, method: str, path: str, body: Optional[bytes], capture_content: bool = False
    ) -> Optional[RequestInfo]:
        if method != "POST":
            return None
        endpoint = self._paths.get(path, _UNSEEN)
        if endpoint is _UNSEEN:
            endpoint = _path_endpoint(path)
            if len(self._paths) >= PATH_CACHE_SIZE:
                self._paths.clear()
            self._paths[path] = endpoint
        if endpoint is None:
            return None
        operation, kind, deployment = endpoint
        if body and not capture_content and len(body) <= SMALL_BODY:  # read_body's usual case
            fields = loads(body)
            if not isinstance(fields, dict):
                fields = {}
            full = None
        else:
            fields, full = read_body(body, capture_content, need_model=deployment is None)
        model = text(fields.get("model")) or deployment
        return RequestInfo(
            operation=operation,
            request_model=model,
            stream=fields.get("stream") is True,
            parameters=_parameters(kind, fields),
            kind=kind,
            body=full if capture_content else None,
        )

    def parse_response(
        self, info: RequestInfo, body: bytes, capture_content: bool
    ) -> ResponseSummary:
        summary = ResponseSummary()
        obj = first_object(loads(body))
        if isinstance(obj, dict):
            _summarise_response(info.kind, obj, capture_content, summary)
        return summary

    summarise = staticmethod(_summarise_response)

    def stream_parser(self, info: RequestInfo, capture_content: bool) -> StreamParser:
        if info.kind == RESPONSES:
            return ResponsesStream(capture_content)
        choices = info.parameters.choice_count if info.parameters is not None else None
        return ChoicesStream(info.kind, capture_content, choices or 1)

    def input_messages(
        self, info: RequestInfo
    ) -> tuple[Optional[list[dict[str, Any]]], Optional[list[dict[str, Any]]]]:
        body = info.body
        if not isinstance(body, dict):
            return None, None
        if info.kind == CHAT:
            return _chat_input(body.get("messages")) or None, None
        if info.kind == COMPLETIONS:
            prompt = body.get("prompt")
            prompts = [prompt] if isinstance(prompt, str) else sequence(prompt)
            messages = [
                {"role": "user", "parts": [C.text_part(p)]} for p in prompts if isinstance(p, str)
            ]
            return messages or None, None
        if info.kind == RESPONSES:
            instructions = body.get("instructions")
            system = [C.text_part(instructions)] if isinstance(instructions, str) else None
            return _responses_input(body) or None, system
        return None, None


OPENAI = OpenAIFormat()
