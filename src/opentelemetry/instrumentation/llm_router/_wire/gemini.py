"""The Gemini wire format: the Gemini API (``generativelanguage.googleapis.com``) and Vertex AI.

Paths end in ``/models/<model>:<method>`` (Gemini API ``/v1beta/models/...``; Vertex
``/v1/projects/<p>/locations/<l>/publishers/google/models/...``): the model comes from the path.
``:generateContent`` and ``:streamGenerateContent`` are operation ``generate_content``;
``:embedContent`` / ``:batchEmbedContents`` are ``embeddings`` (their responses carry no usage).

Response: ``responseId``, ``modelVersion``, one raw ``finishReason`` per candidate (``STOP``,
``MAX_TOKENS``, ...; Vertex AI's integer encoding, ``1``, ``2``, ..., read by the proto's
numbering), and ``usageMetadata``: input = ``promptTokenCount`` (+
``toolUsePromptTokenCount``), output = ``candidatesTokenCount + thoughtsTokenCount`` (thinking is
generated output), cache read = ``cachedContentTokenCount``, reasoning = ``thoughtsTokenCount``.
Streams repeat ``usageMetadata`` in many chunks, often empty (``{}``) or with only
``trafficType``; each count present overrides the earlier one (they are cumulative), absent ones
never zero anything. Streams come as SSE (``?alt=sse``, CRLF-separated) or, without ``alt=sse``,
as one JSON array streamed element by element; both are read incrementally.
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
from opentelemetry.instrumentation.llm_router._wire._body import SMALL_BODY, nested_object
from opentelemetry.instrumentation.llm_router._wire._errors import read_error_object
from opentelemetry.instrumentation.llm_router._wire._format import (
    Endpoint,
    JsonFormat,
    ParameterNames,
    indexed_reasons,
    merge_counts,
    token_counts,
)
from opentelemetry.instrumentation.llm_router._wire._scan import (
    event_start,
    first_of,
    has_live,
    has_text,
    text_at,
)
from opentelemetry.instrumentation.llm_router._wire._sse import event_data
from opentelemetry.instrumentation.llm_router._wire._stream import EventStreamParser, FastPathStream
from opentelemetry.instrumentation.llm_router._wire._values import (
    integer,
    loads,
    mapping,
    sequence,
    text,
)

GENERATE = "generate_content"
EMBED = "embed"
_METHODS = {
    "generateContent": ("generate_content", GENERATE, False),
    "streamGenerateContent": ("generate_content", GENERATE, True),
    "embedContent": ("embeddings", EMBED, False),
    "batchEmbedContents": ("embeddings", EMBED, False),
}
_PARAMETERS = ParameterNames(  # keys of `generationConfig`, camelCase or snake_case
    max_tokens=("maxOutputTokens", "max_output_tokens"),
    temperature="temperature",
    top_p=("topP", "top_p"),
    top_k=("topK", "top_k"),
    frequency_penalty=("frequencyPenalty", "frequency_penalty"),
    presence_penalty=("presencePenalty", "presence_penalty"),
    stop_sequences=("stopSequences", "stop_sequences"),
    seed="seed",
    choice_count=("candidateCount", "candidate_count"),
)
_COUNT_KEYS = (
    "promptTokenCount",
    "toolUsePromptTokenCount",
    "candidatesTokenCount",
    "thoughtsTokenCount",
    "cachedContentTokenCount",
)


_FINISH_REASONS = (
    "FINISH_REASON_UNSPECIFIED",
    "STOP",
    "MAX_TOKENS",
    "SAFETY",
    "RECITATION",
    "OTHER",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "MALFORMED_FUNCTION_CALL",
    "MODEL_ARMOR",
)
"""Vertex AI's ``Candidate.FinishReason`` by number (``google.cloud.aiplatform.v1``). The
google-cloud-aiplatform REST transport asks for ``$alt=json;enum-encoding=int``: enums then come
as their numbers (``"finishReason": 1``), and requests carry them so too."""

_OUTPUT_MODALITIES = {2: "image", 3: "speech"}
"""Vertex AI ``GenerationConfig.Modality`` numbers that ask for other output than text (1)."""


def _finish_reason(value: Any) -> Optional[str]:
    """A finish reason as the name the proto gives it, whether sent as a name or a number (a
    number past the table, from a newer API, is reported as the number)."""
    if type(value) is int:
        if 0 <= value < len(_FINISH_REASONS):
            return _FINISH_REASONS[value]
        return str(value)
    return text(value)


def _split_path(path: str) -> Optional[tuple[str, str]]:
    """``(model, method)`` of ``.../models/<model>:<method>``."""
    colon = path.rfind(":")
    if colon < 0:
        return None
    slash = path.rfind("/", 0, colon)
    return path[slash + 1 : colon], path[colon + 1 :]


def _get(obj: dict[str, Any], camel: str, snake: str) -> Any:
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


def _output_type(config: dict[str, Any]) -> Optional[str]:
    """``responseModalities`` asking for an image or audio, else a JSON ``responseMimeType`` or a
    response schema (``json``), else a ``text/*`` MIME type (``text``)."""
    for modality in sequence(_get(config, "responseModalities", "response_modalities")):
        if type(modality) is int and modality in _OUTPUT_MODALITIES:
            return _OUTPUT_MODALITIES[modality]
        if type(modality) is str:
            kind = modality.upper()
            if kind == "IMAGE":
                return "image"
            if kind == "AUDIO":
                return "speech"
    if (
        _get(config, "responseSchema", "response_schema") is not None
        or _get(config, "responseJsonSchema", "response_json_schema") is not None
    ):
        return "json"
    mime = _get(config, "responseMimeType", "response_mime_type")
    if type(mime) is str:
        if mime == "application/json":
            return "json"
        if mime.startswith("text/"):
            return "text"
    return None


def _embed_parameters(fields: dict[str, Any]) -> Optional[RequestParameters]:
    """``outputDimensionality`` of ``:embedContent`` (top level) or of the first request of
    ``:batchEmbedContents``."""
    dimensions = _get(fields, "outputDimensionality", "output_dimensionality")
    if dimensions is None:
        first = mapping(next(iter(sequence(fields.get("requests"))), None))
        dimensions = _get(first, "outputDimensionality", "output_dimensionality")
    count_ = integer(dimensions)
    if count_ is None or count_ <= 0:
        return None
    return RequestParameters(embeddings_dimension_count=count_)


def _counts(usage: Any, into: dict[str, int]) -> None:
    merge_counts(usage, _COUNT_KEYS, into)


def _token_counts(counts: dict[str, int]) -> Optional[TokenCounts]:
    if not counts:
        return None
    prompt = counts.get("promptTokenCount")
    tool_prompt = counts.get("toolUsePromptTokenCount")
    candidates = counts.get("candidatesTokenCount")
    thoughts = counts.get("thoughtsTokenCount")
    input_tokens = None
    if prompt is not None or tool_prompt is not None:
        input_tokens = (prompt or 0) + (tool_prompt or 0)
    output_tokens = None
    if candidates is not None or thoughts is not None:
        output_tokens = (candidates or 0) + (thoughts or 0)
    return token_counts(
        input_tokens,
        output_tokens,
        cache_read=counts.get("cachedContentTokenCount"),
        reasoning=thoughts,
    )


def _parts(content: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in sequence(mapping(content).get("parts")):
        part = mapping(part)
        if isinstance(part.get("text"), str):
            value = part["text"]
            parts.append(C.reasoning_part(value) if part.get("thought") else C.text_part(value))
        elif isinstance(part.get("functionCall"), dict):
            call = part["functionCall"]
            parts.append(
                C.tool_call_part(text(call.get("id")), text(call.get("name")), call.get("args"))
            )
        elif isinstance(part.get("functionResponse"), dict):
            response = part["functionResponse"]
            parts.append(
                C.tool_response_part(
                    text(response.get("id")) or text(response.get("name")), response.get("response")
                )
            )
        elif part:
            parts.append(C.other_part(next(iter(part))))
    return parts


class _Accumulator:
    """The state of one Gemini response built from one or many response objects (chunks)."""

    __slots__ = ("capture", "counts", "reasons", "summary", "texts")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.summary = ResponseSummary()
        self.counts: dict[str, int] = {}
        self.reasons: dict[int, str] = {}
        self.texts: dict[int, list[dict[str, Any]]] = {}

    def take(self, obj: dict[str, Any]) -> None:
        summary = self.summary
        if summary.response_id is None:
            summary.response_id = text(obj.get("responseId"))
        if summary.response_model is None:
            summary.response_model = text(obj.get("modelVersion"))
        _counts(obj.get("usageMetadata"), self.counts)
        read_error_object(obj.get("error"), summary)
        for position, candidate in enumerate(sequence(obj.get("candidates"))):
            candidate = mapping(candidate)
            index = integer(candidate.get("index"))
            if index is None:
                index = position
            reason = _finish_reason(candidate.get("finishReason"))
            if reason:
                self.reasons[index] = reason
            if self.capture:
                self._merge(self.texts.setdefault(index, []), _parts(candidate.get("content")))

    @staticmethod
    def _merge(into: list[dict[str, Any]], parts: list[dict[str, Any]]) -> None:
        """Append streamed parts, joining consecutive text (or reasoning) pieces into one part."""
        for part in parts:
            last = into[-1] if into else None
            if (
                last is not None
                and part["type"] in ("text", "reasoning")
                and last["type"] == part["type"]
                and "content" in part  # {"text": -1} is an "other" part named text: no content
                and "content" in last
                and len(last["content"]) < C.MAX_PART_CHARS
            ):
                last["content"] += part["content"]
            else:
                into.append(part)

    def result(self) -> ResponseSummary:
        summary = self.summary
        if self.reasons:
            summary.finish_reasons = indexed_reasons(self.reasons)
        summary.usage = _token_counts(self.counts)
        if self.capture and self.texts:
            summary.output_messages = [
                C.output_message(self.texts[i], self.reasons.get(i)) for i in sorted(self.texts)
            ]
        return summary


_FINISH = b'"finishReason"'
_ERROR = b'"error"'
_COUNT = b'TokenCount"'
_TEXT = b'"text"'
_OTHER_PARTS = (
    b'"functionCall"',
    b'"inlineData"',
    b'"fileData"',
    b'"executableCode"',
    b'"codeExecutionResult"',
)


_CRLF2 = b"\r\n\r\n"
_TEXT_VALUES = (b'"text":"', b'"text": "')
_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_ERROR_TEXT = b"error"
_MISSES = 16


class GenerateContentStream(FastPathStream):
    """``:streamGenerateContent`` as SSE or as a streamed JSON array.

    Without capture, a chunk is decoded when it is the first (id, model), or its bytes show a
    finish reason or an error. Gemini repeats ``usageMetadata`` in every chunk (cumulative
    counts): of the chunks that carry only token counts, the latest is kept as bytes and decoded
    when the next decoded chunk comes or the stream ends, so a stream costs a handful of decodes.

    Output events: a chunk with a part of non-empty ``text`` (thoughts included), or a
    ``functionCall``, ``inlineData``, ``fileData``, ``executableCode`` or ``codeExecutionResult``
    part.
    """

    counts_output_events = True
    _one_line_events = True

    __slots__ = (
        "_acc",
        "_capture",
        "_fast",
        "_head",
        "_misses",
        "_pending",
        "_ready",
        "_tail",
        "_tail_size",
        "_text_at",
    )

    def __init__(self, capture: bool) -> None:
        EventStreamParser.__init__(self)
        self._acc = _Accumulator(capture)
        self._capture = capture
        # Decode every chunk until id and model are known (always, with capture); then skim.
        self._ready = False
        self._pending: Optional[bytes] = None  # the latest undecoded chunk with token counts
        # The per-event fast path of :meth:`feed`: a dull SSE event learnt (:meth:`_learn`).
        self._fast = False
        self._head = b""  # its bytes up to the opening quote of its text
        self._text_at = 0
        self._tail = b""  # its bytes from the closing quote of its text on, digits as 0
        self._tail_size = 0
        self._misses = 0

    def feed(self, chunk: bytes) -> None:
        """A read of the stream.

        The common read once id and model are known, output is no longer counted and content
        not captured, is one SSE event with a text part that carries nothing we decode. It is
        answered with a few byte tests against a dull event seen before (:meth:`_learn`),
        without splitting it or calling :meth:`_event`: the read starts with that event's bytes
        up to the opening quote of its text; the text has no quote, line end or ``\\r``; and
        from the text's closing quote on the read is that event's bytes but for its digits
        (Gemini's cumulative token counts change from chunk to chunk). So no finish reason and
        no error is in it (a key needs unescaped quotes; a text that is exactly the key's name
        would make one with the quotes around it, and takes the general path), and the chunk is
        kept as the pending one with token counts, as :meth:`_event` would keep it. (A text
        that is exactly ``finishReason`` makes that key, but not one with a value, which is
        what :meth:`_event` looks for.)"""
        if self._fast and chunk.startswith(self._head):
            end = len(chunk) - self._tail_size
            text = chunk[self._text_at : end]
            if (
                34 not in text
                and 10 not in text
                and 13 not in text
                and chunk[end:].translate(_DIGITS) == self._tail
                and text != _ERROR_TEXT
            ):
                self._pending = chunk  # as :meth:`_event` keeps it (the tail has token counts)
                return
        EventStreamParser.feed(self, chunk)
        if self._clean and not self.counting and self._ready and self._misses < _MISSES:
            self._learn(chunk)
        else:
            self._fast = False

    def _learn(self, chunk: bytes) -> None:
        """Take a read that is one dull SSE event (one ``data:`` line ended by CRLF CRLF, a
        text part, token counts after it, no finish reason, no error) as the model for the
        fast path."""
        body = chunk[:-4]
        at = -1
        if (
            chunk.endswith(_CRLF2)
            and chunk.startswith(b"data:")
            and 13 not in body
            and 10 not in body
            and chunk.find(_FINISH) < 0
            and chunk.find(_ERROR) < 0
        ):
            at = first_of(chunk, _TEXT_VALUES[0])
            size = 8
            if at < 0:
                at = first_of(chunk, _TEXT_VALUES[1])
                size = 9
        if at < 0:
            self._misses += 1
            self._fast = False
            return
        start = at + size
        close = chunk.find(b'"', start)
        if close < 0 or chunk.find(_COUNT, close) < 0:  # a model only with token counts
            self._misses += 1
            self._fast = False
            return
        self._head = chunk[:start]
        self._text_at = start
        self._tail = chunk[close:].translate(_DIGITS)
        self._tail_size = len(chunk) - close
        self._fast = True

    def _events(self, raw: bytes) -> None:
        """Several complete events. Once output is no longer counted, the events before the
        first finish reason or error need only the last of them with token counts (kept for
        later, as :meth:`_event` would), found from the end without splitting them; the rest of
        the batch is looked at event by event."""
        if self.counting or not self._ready:
            EventStreamParser._events(self, raw)
            return
        found = [at for at in (first_of(raw, _FINISH), first_of(raw, _ERROR)) if at >= 0]
        end = event_start(raw, min(found)) if found else len(raw)
        at = raw.rfind(_COUNT, 0, end)
        if at >= 0:
            begin = event_start(raw, at)
            if raw.startswith(b"data:", begin):
                self._event(raw[begin : raw.find(b"\n\n", at)])
            else:  # not a plain data line (a comment, a broken event): event by event
                EventStreamParser._events(self, raw[:end])
        if found:
            EventStreamParser._events(self, raw[end:] if end else raw)

    def _event(self, data: bytes) -> None:
        """One SSE event, or (as :meth:`_element`) one element of a streamed JSON array."""
        if self._mode == 0 and not data.startswith(b"data:"):
            # An SSE event without a leading data line (comments, keep-alives, other fields):
            # the data alone.
            data = event_data(data)  # type: ignore[assignment]
            if not data:
                return
        # Keys are looked for from the end, where Gemini puts the finish reason and the counts.
        if not self._ready or (data.rfind(_FINISH) >= 0 and has_live(data, _FINISH)):
            self._decode_now(data)
            decoded = True
        else:
            decoded = False
            if data.rfind(_COUNT) >= 0:
                self._pending = data
        if self.counting and (
            text_at(data, data.find(_TEXT), 6)  # the common case: a text part
            or has_text(data, _TEXT)
            or any(data.find(key) >= 0 for key in _OTHER_PARTS)
        ):
            self.output_events += 1
        # An error key, in a chunk with output or not (decoded once).
        if not decoded and data.rfind(_ERROR) >= 0:
            self._decode_now(data)

    _element = _event

    def _decode_now(self, data: bytes) -> None:
        pending = self._pending
        if pending is not None:  # older than this chunk: its counts first
            self._pending = None
            self._decode(pending)
        self._decode(data)

    def _decode(self, data: bytes) -> None:
        if data[:5] == b"data:":
            data = event_data(data) or b""
        obj = loads(data)
        if isinstance(obj, dict):
            self._acc.take(obj)
            summary = self._acc.summary
            self._ready = (
                not self._acc.capture
                and summary.response_id is not None
                and summary.response_model is not None
            )

    def _whole(self, body: bytes) -> None:
        obj = loads(body)
        if isinstance(obj, dict):
            self._acc.take(obj)

    def _summary(self) -> ResponseSummary:
        if self._pending is not None:
            pending = self._pending
            self._pending = None
            self._decode(pending)
        return self._acc.result()

    def response_model(self) -> Optional[str]:
        return self._acc.summary.response_model


class GeminiFormat(JsonFormat):
    """Gemini API and Vertex AI ``generateContent`` / ``streamGenerateContent``."""

    name = "gemini"
    path_names_model = True

    def endpoint(self, path: str) -> Optional[Endpoint]:
        parts = _split_path(path)
        if parts is None:
            return None
        model, rpc = parts
        endpoint = _METHODS.get(rpc)
        if endpoint is None:
            return None
        operation, kind, stream = endpoint
        return Endpoint(operation, kind, model, stream)

    def parameters(
        self, kind: str, fields: dict[str, Any], large_body: Optional[bytes]
    ) -> Optional[RequestParameters]:
        if kind != GENERATE:
            return _embed_parameters(fields)
        config = mapping(_get(fields, "generationConfig", "generation_config"))
        if not config and large_body and len(large_body) > SMALL_BODY:
            config = mapping(nested_object(large_body, b"generationConfig"))
        if not config:
            return None
        return _PARAMETERS.read(config, _output_type(config))

    def parse_response(
        self, info: RequestInfo, body: bytes, capture_content: bool
    ) -> ResponseSummary:
        acc = _Accumulator(capture_content)
        obj = loads(body)
        if isinstance(obj, list):  # a streamed array read as one body
            for item in obj:
                if isinstance(item, dict):
                    acc.take(item)
        elif isinstance(obj, dict):
            acc.take(obj)
        return acc.result()

    def stream_parser(self, info: RequestInfo, capture_content: bool) -> StreamParser:
        return GenerateContentStream(capture_content)

    def input_messages(
        self, info: RequestInfo
    ) -> tuple[Optional[list[dict[str, Any]]], Optional[list[dict[str, Any]]]]:
        body = info.body
        if not isinstance(body, dict):
            return None, None
        messages = []
        for content in sequence(body.get("contents")):
            content = mapping(content)
            role = text(content.get("role")) or "user"
            messages.append(
                {"role": "assistant" if role == "model" else role, "parts": _parts(content)}
            )
        system = _get(body, "systemInstruction", "system_instruction")
        instructions = _parts(system) if isinstance(system, dict) else None
        return messages or None, instructions or None


GEMINI = GeminiFormat()
