"""Amazon Bedrock Runtime (``bedrock-runtime.<region>.amazonaws.com``): Converse and InvokeModel.

| path | operation | kind |
| --- | --- | --- |
| ``/model/<id>/converse``, ``/model/<id>/converse-stream`` | ``chat`` | ``converse`` |
| ``/model/<id>/invoke``, ``/model/<id>/invoke-with-response-stream`` | by body: ``chat`` (``messages``), ``embeddings`` (an embedding model), else ``text_completion`` | ``invoke`` |

The model id is the path's, URL-decoded: a model id, an inference profile
(``us.anthropic.claude-...``) or an ARN, as sent. Converse bodies are Bedrock's own:
``inferenceConfig`` (``maxTokens``, ``temperature``, ``topP``, ``stopSequences``),
``guardrailConfig.guardrailIdentifier`` (``aws.bedrock.guardrail.id``); the response has
``stopReason`` and ``usage`` (``inputTokens`` counts only the uncached prompt, so the GenAI input
count adds ``cacheReadInputTokens`` and ``cacheWriteInputTokens``, which are also reported on
their own). InvokeModel bodies are the model family's: Anthropic Messages (read by the anthropic
format), OpenAI chat (gpt-oss), Amazon Nova (Converse-like), Titan (``inputTextTokenCount``,
``results[].completionReason``), Meta Llama (``prompt_token_count``, ``stop_reason``), Mistral
(``outputs[].stop_reason``), Cohere (``finish_reason``); where the body has no usage (Mistral,
Cohere), the ``X-Amzn-Bedrock-Input-Token-Count`` / ``-Output-Token-Count`` headers AWS adds to
every InvokeModel answer. Streams are the binary AWS event stream (:mod:`._eventstream`):
ConverseStream sends typed events (``contentBlockDelta`` carries the output, ``messageStop`` the
stop reason, ``metadata`` the usage); InvokeModelWithResponseStream sends ``chunk`` events whose
``bytes`` are the base64 of the family's own stream events, the last with
``amazon-bedrock-invocationMetrics`` (token counts). Stream timing counts output events (see
:class:`EventStream`); only frames that carry a finish reason, usage or an error are decoded.
Content capture: Converse blocks, and InvokeModel bodies by family. Errors are ``{"message":
"..."}`` with the type in the ``x-amzn-ErrorType`` header (``ThrottlingException:http://...``), or
``code`` / ``__type`` in the body: read as botocore reads a ``ClientError``'s code, else the HTTP
status; or an ``exception`` frame in a stream (``error.type`` is its ``:exception-type``).
Responses carry no id and (Converse) no model.
"""

from __future__ import annotations

from binascii import a2b_base64
from typing import Any, Callable, NamedTuple, Optional
from urllib.parse import unquote

from opentelemetry.instrumentation.llm_router._genai import RequestParameters, TokenCounts
from opentelemetry.instrumentation.llm_router._genai._error_type import provider_error_type
from opentelemetry.instrumentation.llm_router._wire import _content as C
from opentelemetry.instrumentation.llm_router._wire import anthropic as _anthropic
from opentelemetry.instrumentation.llm_router._wire import openai as _openai
from opentelemetry.instrumentation.llm_router._wire._base import (
    RequestInfo,
    ResponseSummary,
    StreamParser,
)
from opentelemetry.instrumentation.llm_router._wire._errors import aws_error_type
from opentelemetry.instrumentation.llm_router._wire._eventstream import FrameSplitter
from opentelemetry.instrumentation.llm_router._wire._format import (
    Endpoint,
    JsonFormat,
    ParameterNames,
    token_counts,
)
from opentelemetry.instrumentation.llm_router._wire._scan import has_live, has_text, text_at
from opentelemetry.instrumentation.llm_router._wire._values import (
    count,
    integer,
    loads,
    mapping,
    scrub,
    sequence,
    text,
)

CONVERSE = "converse"
INVOKE = "invoke"
_ACTIONS = {
    "converse": (CONVERSE, False),
    "converse-stream": (CONVERSE, True),
    "invoke": (INVOKE, False),
    "invoke-with-response-stream": (INVOKE, True),
}
_TOP = ParameterNames(  # InvokeModel bodies: Anthropic, Llama, Mistral, Cohere, gpt-oss
    max_tokens=("max_tokens", "max_gen_len", "max_completion_tokens"),
    temperature="temperature",
    top_p=("top_p", "p"),
    top_k=("top_k", "k"),
    stop_sequences=("stop_sequences", "stop"),
    seed="seed",
)
_NESTED = ParameterNames(  # Converse/Nova `inferenceConfig`, Titan `textGenerationConfig`
    max_tokens=("maxTokens", "max_new_tokens", "maxTokenCount"),
    temperature="temperature",
    top_p=("topP", "top_p"),
    top_k=("topK", "top_k"),
    stop_sequences=("stopSequences", "stop_sequences"),
)


def _endpoint(path: str) -> Optional[tuple[str, str, bool]]:
    """``(model id, kind, stream)`` of ``/model/<id>/<action>``."""
    if not path.startswith("/model/"):
        return None
    slash = path.rfind("/")
    action = _ACTIONS.get(path[slash + 1 :])
    if action is None or slash <= len("/model/"):
        return None
    return unquote(path[len("/model/") : slash]), action[0], action[1]


def _guardrail(body: dict[str, Any]) -> Optional[str]:
    config = mapping(body.get("guardrailConfig"))
    return text(config.get("guardrailIdentifier")) or text(body.get("guardrailIdentifier"))


def _parameters(fields: dict[str, Any]) -> Optional[RequestParameters]:
    nested = mapping(fields.get("inferenceConfig")) or mapping(fields.get("textGenerationConfig"))
    params = _NESTED.read(nested) if nested else _TOP.read(fields)
    guardrail = _guardrail(fields)
    if guardrail is not None:
        if params is None:
            params = RequestParameters()
        params.aws_bedrock_guardrail_id = guardrail
    return params


_CONVERSE_CACHE = ("cacheReadInputTokens", "cacheWriteInputTokens")
_NOVA_CACHE = ("cacheReadInputTokenCount", "cacheWriteInputTokenCount")


def _usage(usage: Any, cache_keys: tuple[str, str] = _CONVERSE_CACHE) -> Optional[TokenCounts]:
    """Converse ``usage`` or Nova's (its cache counts are named ``...TokenCount``): the GenAI
    input count is the uncached input plus the cache reads and writes."""
    usage = mapping(usage)
    uncached = count(usage.get("inputTokens"))
    read = count(usage.get(cache_keys[0]))
    write = count(usage.get(cache_keys[1]))
    total = None if uncached is None else uncached + (read or 0) + (write or 0)
    return token_counts(total, count(usage.get("outputTokens")), read, write)


def _metrics_usage(metrics: dict[str, Any]) -> Optional[TokenCounts]:
    """``amazon-bedrock-invocationMetrics`` of the last chunk of an InvokeModel stream."""
    uncached = count(metrics.get("inputTokenCount"))
    read = count(metrics.get("cacheReadInputTokenCount"))
    write = count(metrics.get("cacheWriteInputTokenCount"))
    total = None if uncached is None else uncached + (read or 0) + (write or 0)
    return token_counts(total, count(metrics.get("outputTokenCount")), read, write)


def _reason(summary: ResponseSummary, value: Any) -> None:
    reason = text(value)
    if reason:
        summary.finish_reasons = [reason]


# Content (only with capture) -----------------------------------------------------------------


def _block_part(block: dict[str, Any]) -> Optional[dict[str, Any]]:
    """One Converse / Nova content block in the GenAI schema (``None``: nothing to report, such
    as a ``cachePoint``). Media (``image``, ``document``, ``video``, ``audio``) keep their kind
    only: their bytes are never copied."""
    value = block.get("text")
    if isinstance(value, str):
        return C.text_part(value)
    tool = block.get("toolUse")
    if isinstance(tool, dict):
        return C.tool_call_part(
            text(tool.get("toolUseId")), text(tool.get("name")), tool.get("input")
        )
    result = block.get("toolResult")
    if isinstance(result, dict):
        content = [_result_value(mapping(b)) for b in sequence(result.get("content"))]
        return C.tool_response_part(text(result.get("toolUseId")), content)
    reasoning = block.get("reasoningContent")
    if isinstance(reasoning, dict):
        value = mapping(reasoning.get("reasoningText")).get("text")
        return C.reasoning_part(value) if isinstance(value, str) else None
    if "cachePoint" in block or not block:
        return None
    guard = block.get("guardContent")
    if isinstance(guard, dict):
        value = mapping(guard.get("text")).get("text")
        return C.text_part(value) if isinstance(value, str) else C.other_part("guardContent")
    return C.other_part(next(iter(block)))


def _result_value(block: dict[str, Any]) -> Any:
    """One block of a ``toolResult``: its text or JSON value; media only by kind."""
    if "text" in block:
        return block.get("text")
    if "json" in block:
        return block.get("json")
    return C.other_part(next(iter(block), None))


def _blocks_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):  # not Converse's shape, but said plainly
        return [C.text_part(content)]
    parts = []
    for block in sequence(content):
        part = _block_part(mapping(block))
        if part is not None:
            parts.append(part)
    return parts


def _converse_messages(
    body: dict[str, Any],
) -> tuple[Optional[list[dict[str, Any]]], Optional[list[dict[str, Any]]]]:
    """Converse (and Nova InvokeModel) ``messages`` and ``system`` blocks."""
    messages = [
        {"role": text(m.get("role")) or "user", "parts": _blocks_parts(m.get("content"))}
        for m in map(mapping, sequence(body.get("messages")))
    ]
    system = _blocks_parts(body.get("system")) if body.get("system") is not None else None
    return messages or None, system or None


def _prompt_messages(prompt: Any) -> Optional[list[dict[str, Any]]]:
    """A family's prompt text (Llama, Mistral, Titan, Cohere) as one user message."""
    if isinstance(prompt, str):
        return [{"role": "user", "parts": [C.text_part(prompt)]}]
    return None


def _invoke_input(
    body: dict[str, Any],
) -> tuple[Optional[list[dict[str, Any]]], Optional[list[dict[str, Any]]]]:
    """Input messages of an InvokeModel body by family: Anthropic Messages
    (``anthropic_version``), Nova (Converse-shaped blocks), OpenAI chat (gpt-oss, Mistral's chat
    bodies), else the prompt text (Llama and Mistral ``prompt``, Titan ``inputText``, Cohere
    ``message`` / ``prompt``)."""
    messages = body.get("messages")
    if isinstance(messages, list):
        if "anthropic_version" in body:
            return _anthropic.ANTHROPIC.input_messages(RequestInfo("chat", body=body))
        if "schemaVersion" in body or "inferenceConfig" in body or _block_shaped(messages):
            return _converse_messages(body)
        return _openai._chat_input(messages) or None, None
    for key in ("prompt", "inputText", "message"):
        found = _prompt_messages(body.get(key))
        if found is not None:
            return found, None
    return None, None


def _block_shaped(messages: list[Any]) -> bool:
    """Whether chat messages hold Converse blocks (``[{"text": ...}]``, no ``type`` key)."""
    for message in messages:
        content = mapping(message).get("content")
        if isinstance(content, list) and content:
            first = mapping(content[0])
            return "type" not in first
    return False


class _Blocks:
    """A streamed Converse / Nova message reassembled from its block events (capture only)."""

    __slots__ = ("_blocks",)

    def __init__(self) -> None:
        self._blocks: dict[int, list[Any]] = {}  # index -> [kind, id, name, TextBuffer]

    def _entry(self, index: int, kind: str) -> list[Any]:
        entry = self._blocks.get(index)
        if entry is None:
            entry = self._blocks[index] = [kind, None, None, C.TextBuffer()]
        return entry

    def start(self, obj: dict[str, Any]) -> None:
        tool = mapping(mapping(obj.get("start")).get("toolUse"))
        if tool:
            entry = self._entry(integer(obj.get("contentBlockIndex")) or 0, "tool")
            entry[0], entry[1], entry[2] = (
                "tool",
                text(tool.get("toolUseId")),
                text(tool.get("name")),
            )

    def delta(self, obj: dict[str, Any]) -> None:
        index = integer(obj.get("contentBlockIndex")) or 0
        delta = mapping(obj.get("delta"))
        if "text" in delta:
            self._entry(index, "text")[3].add(delta.get("text"))
        elif "toolUse" in delta:
            self._entry(index, "tool")[3].add(mapping(delta.get("toolUse")).get("input"))
        elif "reasoningContent" in delta:  # text; a signature or redacted bytes are no content
            value = mapping(delta.get("reasoningContent")).get("text")
            if isinstance(value, str):
                self._entry(index, "reasoning")[3].add(value)

    def __bool__(self) -> bool:
        return bool(self._blocks)

    def message(self, reason: Optional[str]) -> dict[str, Any]:
        parts = []
        for _, (kind, call_id, name, buffer) in sorted(self._blocks.items()):
            if kind == "text":
                parts.append(C.text_part(buffer.value()))
            elif kind == "reasoning":
                parts.append(C.reasoning_part(buffer.value()))
            else:
                parts.append(C.tool_call_part(call_id, name, buffer.value() or None))
        return C.output_message(parts, reason)


def _error_body(obj: dict[str, Any], summary: ResponseSummary, header_type: Any) -> bool:
    """An error answer: ``{"message": ...}`` (``Message`` from some services, ``__type`` beside
    it in the AWS JSON shape). Its type is read where botocore reads a ``ClientError``'s code:
    the ``x-amzn-ErrorType`` header, else the body's ``code``, else its ``__type``; through the
    one ``error.type`` rule (with none of them: the HTTP status). ``False``: no error body."""
    message = obj.get("message")
    if not isinstance(message, str):
        message = obj.get("Message")
    code = obj.get("code")
    if code is None:
        code = obj.get("Code")
    kind = aws_error_type(header_type) or aws_error_type(code) or aws_error_type(obj.get("__type"))
    if not isinstance(message, str) and kind is None:
        return False
    summary.error_type = provider_error_type(None, kind)
    summary.error_message = scrub(message)
    return True


def _invoke_object(
    obj: dict[str, Any], capture: bool, summary: ResponseSummary, header_type: Any = None
) -> None:
    """One InvokeModel response body of any model family."""
    if obj.get("type") in ("message", "error") or ("stop_reason" in obj and "usage" in obj):
        _anthropic._summarise(_anthropic.MESSAGES, obj, capture, summary)  # Claude on Bedrock
    elif "choices" in obj:  # gpt-oss: OpenAI chat completions
        _openai._summarise_response(_openai.CHAT, obj, capture, summary)
    elif "output" in obj or "stopReason" in obj:  # Nova
        reason = text(obj.get("stopReason"))
        _reason(summary, reason)
        summary.usage = _usage(obj.get("usage"), _NOVA_CACHE) or summary.usage
        if capture:
            content = mapping(mapping(obj.get("output")).get("message")).get("content")
            summary.output_messages = [C.output_message(_blocks_parts(content), reason)]
    elif "results" in obj or "inputTextTokenCount" in obj:  # Titan text / embeddings
        results = [mapping(r) for r in sequence(obj.get("results"))]
        out = sum(count(r.get("tokenCount")) or 0 for r in results) if results else None
        summary.usage = token_counts(count(obj.get("inputTextTokenCount")), out)
        if results:
            _reason(summary, results[0].get("completionReason"))
        if capture and results:
            summary.output_messages = _text_outputs(
                (r.get("outputText"), r.get("completionReason")) for r in results
            )
    elif "generation" in obj or "prompt_token_count" in obj:  # Llama
        summary.usage = token_counts(
            count(obj.get("prompt_token_count")), count(obj.get("generation_token_count"))
        )
        _reason(summary, obj.get("stop_reason"))
        if capture:
            summary.output_messages = _text_outputs(
                [(obj.get("generation"), obj.get("stop_reason"))]
            )
    elif "outputs" in obj:  # Mistral
        outputs = [mapping(o) for o in sequence(obj.get("outputs"))]
        reasons = [text(o.get("stop_reason")) for o in outputs]
        summary.finish_reasons = [r for r in reasons if r]
        if capture:
            summary.output_messages = _text_outputs(
                (o.get("text"), o.get("stop_reason")) for o in outputs
            )
    elif "finish_reason" in obj or "generations" in obj:  # Cohere
        generations = [mapping(g) for g in sequence(obj.get("generations"))]
        _reason(summary, obj.get("finish_reason"))
        if generations and not summary.finish_reasons:
            _reason(summary, generations[0].get("finish_reason"))
        if capture:
            pairs = [(g.get("text"), g.get("finish_reason")) for g in generations]
            summary.output_messages = _text_outputs(
                pairs or [(obj.get("text"), obj.get("finish_reason"))]
            )
    else:
        _error_body(obj, summary, header_type)


def _text_outputs(pairs: Any) -> Optional[list[dict[str, Any]]]:
    """Output messages of ``(text, finish reason)`` pairs (families that answer with text)."""
    out = [
        C.output_message([C.text_part(value)], text(reason))
        for value, reason in pairs
        if isinstance(value, str)
    ]
    return out or None


def _converse_object(
    obj: dict[str, Any], capture: bool, summary: ResponseSummary, header_type: Any = None
) -> None:
    if _error_body(obj, summary, header_type):
        return
    reason = text(obj.get("stopReason"))
    _reason(summary, reason)
    summary.usage = _usage(obj.get("usage"))
    if capture:
        message = mapping(mapping(obj.get("output")).get("message"))
        if message:
            summary.output_messages = [
                C.output_message(_blocks_parts(message.get("content")), reason)
            ]


# Streams -------------------------------------------------------------------------------------

_TEXT = b'"text"'
_INPUT = b'"input"'
_METRICS = b'invocationMetrics"'


def _converse_output(payload: bytes) -> bool:
    """Whether a ConverseStream ``contentBlockDelta`` (or a Nova chunk) carries output: a delta
    with non-empty ``text`` (reasoning text included) or tool ``input``; a reasoning
    ``signature`` or an empty delta is not output."""
    return (
        text_at(payload, payload.find(_TEXT), 6)
        or has_text(payload, _TEXT)
        or has_text(payload, _INPUT)
    )


def _keys_output(keys: tuple[bytes, ...]) -> Callable[[bytes], bool]:
    def output(raw: bytes) -> bool:
        for key in keys:
            at = raw.find(key)
            if at >= 0 and (text_at(raw, at, len(key)) or has_text(raw, key)):
                return True
        return False

    return output


class _Family(NamedTuple):
    """How one model family's InvokeModel stream chunks are read without decoding them all.

    ``output``: whether a chunk carries output. ``wanted``: markers of a chunk worth decoding
    (``None``: decode every chunk); ``live``: keys whose non-null value makes a chunk worth
    decoding (a finish reason)."""

    name: str
    output: Callable[[bytes], bool]
    wanted: Optional[tuple[bytes, ...]]
    live: tuple[bytes, ...] = ()


_FAMILIES = (  # (marker of the first chunk, family), tried in order
    (
        b'"message_start"',
        _Family(
            "anthropic",
            _anthropic._delta_output,
            (b'"message_start"', b'"message_delta"', b'"error"', _METRICS),
        ),
    ),
    (
        b'"choices"',
        _Family(
            "openai", _openai._chat_output, (_METRICS, b'"error"'), (b'"finish_reason"', b'"usage"')
        ),
    ),
    (
        b'"messageStart"',
        _Family("nova", _converse_output, (b'"messageStop"', b'"metadata"', _METRICS)),
    ),
    (
        b'"contentBlockDelta"',
        _Family("nova", _converse_output, (b'"messageStop"', b'"metadata"', _METRICS)),
    ),
    (
        b'"generation"',
        _Family("llama", _keys_output((b'"generation"',)), (_METRICS,), (b'"stop_reason"',)),
    ),
    (b'"outputs"', _Family("mistral", _keys_output((_TEXT,)), (_METRICS,), (b'"stop_reason"',))),
    (
        b'"outputText"',
        _Family("titan", _keys_output((b'"outputText"',)), (_METRICS,), (b'"completionReason"',)),
    ),
)
_ANY = _Family("other", _keys_output((_TEXT, b'"generation"', b'"outputText"')), None)


def _family_of(raw: bytes) -> _Family:
    for marker, family in _FAMILIES:
        if raw.find(marker) >= 0:
            return family
    return _ANY


def _chunk_bytes(payload: bytes) -> Optional[bytes]:
    """The decoded ``bytes`` of a ``chunk`` event's payload ``{"bytes":"<base64>"}``. Decoding
    the small payload with the json module measured cheaper than finding the value in its bytes
    (callgrind: ~10 k against ~12 k instructions a chunk), and binascii's decoder is called
    directly (``base64.b64decode`` adds a Python-level layer)."""
    obj = loads(payload)
    data = obj.get("bytes") if type(obj) is dict else None
    if type(data) is not str:
        return None
    try:
        return a2b_base64(data)
    except ValueError:  # binascii.Error
        return None


class EventStream:
    """A ConverseStream or InvokeModelWithResponseStream body, frame by frame.

    Output events (stream timing): a ConverseStream ``contentBlockDelta`` with text, reasoning
    text or tool input; an InvokeModel ``chunk`` whose family event carries output (Claude's
    ``content_block_delta``, Nova's ``contentBlockDelta``, a gpt-oss choice delta, Llama's
    ``generation``, Mistral's ``outputs[].text``, Titan's ``outputText``). ``messageStart``,
    block starts and stops, ``messageStop``, ``metadata``, Claude's ``message_start`` and the
    closing metrics chunk are not output. Without capture only the frames that carry a finish
    reason, usage or an error are JSON-decoded; and once output is no longer counted, a
    ConverseStream text delta (the bulk of a stream, then of no use) is passed over by the
    splitter on its header bytes (:meth:`_frame` says so), measured at ~3.7 k instructions a
    frame through the hook against ~37 k before (benchmarks/instructions.py, 3.13)."""

    counts_output_events = True

    __slots__ = (
        "_anthropic",
        "_blocks",
        "_capture",
        "_family",
        "_kind",
        "_openai",
        "_reason",
        "_splitter",
        "_summary",
        "_text",
        "count_first",
        "counting",
        "output_events",
    )

    def __init__(self, kind: str, capture: bool) -> None:
        self._kind = kind
        self._capture = capture
        self._summary = ResponseSummary()
        self._anthropic: Optional[Any] = None
        self._openai: Optional[Any] = None
        self._family: Optional[_Family] = None
        self._blocks: Optional[_Blocks] = _Blocks() if capture else None
        self._text: Optional[C.TextBuffer] = C.TextBuffer() if capture else None
        self._reason: Optional[str] = None
        self._splitter = FrameSplitter(self._frame)
        self.counting = True
        self.count_first = False  # the hook sets it when only the first output event is timed
        self.output_events = 0

    def feed(self, chunk: bytes) -> None:
        self._splitter.feed(chunk)

    @property
    def counting_feed(self) -> Callable[[bytes], None]:
        """What the hook calls for each read: the splitter's own ``feed`` (one call a read, not
        two); once output is no longer counted, it passes text deltas over by their header
        bytes (see :meth:`_frame`)."""
        return self._splitter.feed

    steady_feed = counting_feed

    def _frame(self, headers: dict[str, str], payload: bytes) -> Optional[bool]:
        """One frame. ``True``: every later frame with these very headers needs nothing (a
        ``contentBlockDelta`` once output is no longer counted and content not captured), so
        the splitter skips them on their header bytes, without this call."""
        event = headers.get(":event-type")
        if event == "contentBlockDelta":  # the bulk of a ConverseStream
            if self.counting:
                if _converse_output(payload):
                    self.output_events += 1
                    self.counting = not self.count_first
            elif self._blocks is None:
                return True
            if self._blocks is not None:
                self._blocks.delta(mapping(loads(payload)))
        elif event == "chunk":
            inner = _chunk_bytes(payload)
            if inner:
                self._inner(inner)
        elif event == "messageStop":
            self._stop(mapping(loads(payload)).get("stopReason"))
        elif event == "metadata":
            summary = self._summary
            summary.usage = _usage(mapping(loads(payload)).get("usage")) or summary.usage
        elif event == "contentBlockStart":
            if self._blocks is not None:
                self._blocks.start(mapping(loads(payload)))
        else:
            message_type = headers.get(":message-type")
            if message_type == "exception":  # a modelled error: its type, a JSON message
                summary = self._summary
                summary.error_type = provider_error_type(
                    None, text(headers.get(":exception-type")) or "exception"
                )
                summary.error_message = scrub(mapping(loads(payload)).get("message"))
            elif message_type == "error":  # the event stream's own error: all in headers
                summary = self._summary
                summary.error_type = provider_error_type(
                    None, text(headers.get(":error-code")) or "error"
                )
                summary.error_message = scrub(headers.get(":error-message"))

    def _stop(self, reason: Any) -> None:
        reason = text(reason)
        if reason:
            self._reason = reason
            self._summary.finish_reasons = [reason]

    def _inner(self, raw: bytes) -> None:
        """One family event of an InvokeModel stream (the decoded ``bytes`` of a chunk)."""
        family = self._family
        if family is None:
            family = self._family = _family_of(raw)
            decode = True
        else:
            wanted = family.wanted
            decode = self._capture or wanted is None
            if not decode:
                for marker in wanted:  # type: ignore[union-attr]
                    if raw.find(marker) >= 0:
                        decode = True
                        break
                else:
                    for key in family.live:
                        if raw.find(key) >= 0 and has_live(raw, key):
                            decode = True
                            break
        if self.counting and family.output(raw):
            self.output_events += 1
            self.counting = not self.count_first
        if decode:
            inner = loads(raw)
            if isinstance(inner, dict):
                self._chunk(inner)

    def _chunk(self, inner: dict[str, Any]) -> None:
        summary = self._summary
        metrics = inner.get("amazon-bedrock-invocationMetrics")
        kind = inner.get("type")
        if type(kind) is str:  # Claude's own stream events
            if self._anthropic is None:
                self._anthropic = _anthropic.MessagesStream(self._capture)
            self._anthropic._take(inner)
        elif "choices" in inner:  # gpt-oss
            if self._openai is None:
                self._openai = _openai.ChoicesStream(_openai.CHAT, self._capture)
            self._openai._take(inner)
        elif "contentBlockDelta" in inner:  # Nova
            if self._blocks is not None:
                self._blocks.delta(mapping(inner.get("contentBlockDelta")))
        elif "contentBlockStart" in inner:
            if self._blocks is not None:
                self._blocks.start(mapping(inner.get("contentBlockStart")))
        elif "messageStop" in inner:
            self._stop(mapping(inner.get("messageStop")).get("stopReason"))
        elif "metadata" in inner:
            usage = mapping(inner.get("metadata")).get("usage")
            summary.usage = _usage(usage, _NOVA_CACHE) or _usage(usage) or summary.usage
        elif "generation" in inner or "stop_reason" in inner:  # Llama
            self._add_text(inner.get("generation"), inner.get("stop_reason"))
        elif "outputText" in inner or "completionReason" in inner:  # Titan
            self._add_text(inner.get("outputText"), inner.get("completionReason"))
        elif "outputs" in inner:  # Mistral
            for output in map(mapping, sequence(inner.get("outputs"))):
                self._add_text(output.get("text"), output.get("stop_reason"))
        elif "text" in inner or "finish_reason" in inner:  # Cohere
            self._add_text(inner.get("text"), inner.get("finish_reason"))
        if isinstance(metrics, dict):
            summary.usage = _metrics_usage(metrics) or summary.usage

    def _add_text(self, piece: Any, reason: Any) -> None:
        if self._text is not None:
            self._text.add(piece)
        self._stop(reason)

    def response_model(self) -> Optional[str]:
        if self._anthropic is not None:
            return self._anthropic.response_model()
        if self._openai is not None:
            return self._openai.response_model()
        return None

    def summary(self) -> ResponseSummary:
        summary = self._summary
        pending = self._splitter.pending
        if pending is not None and pending[:1] == b"{":  # a JSON error where a stream was asked
            obj = loads(pending)
            if isinstance(obj, dict):
                _converse_object(obj, self._capture, summary)
        inner = self._anthropic or self._openai
        if inner is not None:
            own = inner._summary()
            summary.response_id = own.response_id
            summary.response_model = own.response_model
            if own.finish_reasons:
                summary.finish_reasons = own.finish_reasons
            if summary.usage is None:
                summary.usage = own.usage
            if own.error_type is not None and summary.error_type is None:
                summary.error_type, summary.error_message = own.error_type, own.error_message
            if self._capture:
                summary.output_messages = own.output_messages
        elif self._capture:
            if self._blocks:
                summary.output_messages = [self._blocks.message(self._reason)]
            elif self._text:
                summary.output_messages = [
                    C.output_message([C.text_part(self._text.value())], self._reason)
                ]
        return summary


_ERROR_TYPE = "x-amzn-errortype"
_INPUT_COUNT = "x-amzn-bedrock-input-token-count"
_OUTPUT_COUNT = "x-amzn-bedrock-output-token-count"


def _header_count(value: Optional[str]) -> Optional[int]:
    """A token count sent as a header value (digits only), else ``None``."""
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > 12:
        return None
    return count(int(value))


class BedrockFormat(JsonFormat):
    """Amazon Bedrock Runtime: Converse and InvokeModel, whole and streamed."""

    name = "bedrock"

    def endpoint(self, path: str) -> Optional[Endpoint]:
        found = _endpoint(path)
        if found is None:
            return None
        model, kind, stream = found
        return Endpoint("chat" if kind == CONVERSE else "", kind, model, stream)

    def request_info(
        self, method: str, path: str, body: Optional[bytes], capture_content: bool = False
    ) -> Optional[RequestInfo]:
        info = JsonFormat.request_info(self, method, path, body, capture_content)
        if info is not None and not info.operation:  # InvokeModel: the body tells
            model = (info.request_model or "").lower()
            fields = loads(body) if body else None
            if "embed" in model:
                info.operation = "embeddings"
            elif isinstance(fields, dict) and "messages" in fields:
                info.operation = "chat"
            else:
                info.operation = "text_completion"
        return info

    def parameters(
        self, kind: str, fields: dict[str, Any], large_body: Optional[bytes]
    ) -> Optional[RequestParameters]:
        return _parameters(fields)

    response_headers = (_ERROR_TYPE, _INPUT_COUNT, _OUTPUT_COUNT)
    """Read beside the body: the error type (``ThrottlingException:http://...``) and, on an
    InvokeModel answer, AWS's own token counts."""

    def summarise(
        self, kind: str, obj: dict[str, Any], capture: bool, summary: ResponseSummary
    ) -> None:
        if kind == CONVERSE:
            _converse_object(obj, capture, summary)
        else:
            _invoke_object(obj, capture, summary)

    def parse_response(
        self, info: RequestInfo, body: bytes, capture_content: bool
    ) -> ResponseSummary:
        summary = ResponseSummary()
        headers = info.response_headers or {}
        error_header = headers.get(_ERROR_TYPE)
        obj = loads(body) if body else None
        if isinstance(obj, dict):
            if info.kind == CONVERSE:
                _converse_object(obj, capture_content, summary, error_header)
            else:
                _invoke_object(obj, capture_content, summary, error_header)
        if error_header and summary.error_type is None:  # an error body that is no JSON, or none
            summary.error_type = provider_error_type(None, aws_error_type(error_header))
        if summary.usage is None and summary.error_type is None and _INPUT_COUNT in headers:
            # A family whose body has no usage (Mistral, Cohere): the counts AWS bills by.
            summary.usage = token_counts(
                _header_count(headers.get(_INPUT_COUNT)), _header_count(headers.get(_OUTPUT_COUNT))
            )
        return summary

    def stream_parser(self, info: RequestInfo, capture_content: bool) -> StreamParser:
        return EventStream(info.kind, capture_content)  # type: ignore[return-value]

    def input_messages(
        self, info: RequestInfo
    ) -> tuple[Optional[list[dict[str, Any]]], Optional[list[dict[str, Any]]]]:
        body = info.body
        if not isinstance(body, dict):
            return None, None
        if info.kind == CONVERSE:
            return _converse_messages(body)
        return _invoke_input(body)


BEDROCK = BedrockFormat()
