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
(``outputs[].stop_reason``), Cohere (``finish_reason``). Streams are the binary AWS event stream
(:mod:`._eventstream`): ConverseStream sends typed events (``messageStop``, ``metadata``);
InvokeModelWithResponseStream sends ``chunk`` events whose ``bytes`` are the base64 of the family's
own stream events, the last with ``amazon-bedrock-invocationMetrics`` (token counts). Errors are
``{"message": "..."}`` (``error.type`` is the HTTP status), or an ``exception`` frame in a stream
(``error.type`` is its ``:exception-type``). Responses carry no id and (Converse) no model.
"""

from __future__ import annotations

import base64
from typing import Any, Optional
from urllib.parse import unquote

from opentelemetry.instrumentation.llm_router._genai import RequestParameters, TokenCounts
from opentelemetry.instrumentation.llm_router._wire import anthropic as _anthropic
from opentelemetry.instrumentation.llm_router._wire import openai as _openai
from opentelemetry.instrumentation.llm_router._wire._base import (
    RequestInfo,
    ResponseSummary,
    StreamParser,
)
from opentelemetry.instrumentation.llm_router._wire._eventstream import FrameSplitter
from opentelemetry.instrumentation.llm_router._wire._format import (
    Endpoint,
    JsonFormat,
    ParameterNames,
    token_counts,
)
from opentelemetry.instrumentation.llm_router._wire._values import (
    count,
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


def _invoke_object(obj: dict[str, Any], capture: bool, summary: ResponseSummary) -> None:
    """One InvokeModel response body (or a stream chunk's event) of any model family."""
    if obj.get("type") in ("message", "error") or ("stop_reason" in obj and "usage" in obj):
        _anthropic._summarise(_anthropic.MESSAGES, obj, capture, summary)  # Claude on Bedrock
    elif "choices" in obj:  # gpt-oss: OpenAI chat completions
        _openai._summarise_response(_openai.CHAT, obj, capture, summary)
    elif "output" in obj or "stopReason" in obj:  # Nova
        _reason(summary, obj.get("stopReason"))
        summary.usage = _usage(obj.get("usage"), _NOVA_CACHE) or summary.usage
    elif "results" in obj or "inputTextTokenCount" in obj:  # Titan text / embeddings
        results = sequence(obj.get("results"))
        out = sum(count(mapping(r).get("tokenCount")) or 0 for r in results) if results else None
        summary.usage = token_counts(count(obj.get("inputTextTokenCount")), out)
        if results:
            _reason(summary, mapping(results[0]).get("completionReason"))
    elif "generation" in obj or "prompt_token_count" in obj:  # Llama
        summary.usage = token_counts(
            count(obj.get("prompt_token_count")), count(obj.get("generation_token_count"))
        )
        _reason(summary, obj.get("stop_reason"))
    elif "outputs" in obj:  # Mistral
        reasons = [text(mapping(o).get("stop_reason")) for o in sequence(obj.get("outputs"))]
        summary.finish_reasons = [r for r in reasons if r]
    elif "finish_reason" in obj:  # Cohere
        _reason(summary, obj.get("finish_reason"))
    elif isinstance(obj.get("message"), str) or isinstance(obj.get("Message"), str):
        summary.error_message = scrub(obj.get("message") or obj.get("Message"))


def _converse_object(obj: dict[str, Any], summary: ResponseSummary) -> None:
    if isinstance(obj.get("message"), str) or isinstance(obj.get("Message"), str):
        summary.error_message = scrub(obj.get("message") or obj.get("Message"))
        return
    _reason(summary, obj.get("stopReason"))
    summary.usage = _usage(obj.get("usage"))


class EventStream:
    """A ConverseStream or InvokeModelWithResponseStream body, frame by frame."""

    counts_output_events = False  # timed per read

    __slots__ = (
        "_anthropic",
        "_capture",
        "_kind",
        "_splitter",
        "_summary",
        "counting",
        "output_events",
    )

    def __init__(self, kind: str, capture: bool) -> None:
        self._kind = kind
        self._capture = capture
        self._summary = ResponseSummary()
        self._anthropic: Optional[Any] = None
        self._splitter = FrameSplitter(self._frame)
        self.counting = True
        self.output_events = 0

    def feed(self, chunk: bytes) -> None:
        self._splitter.feed(chunk)

    def _frame(self, headers: dict[str, str], payload: bytes) -> None:
        summary = self._summary
        if headers.get(":message-type") == "exception":
            summary.error_type = text(headers.get(":exception-type")) or "exception"
            obj = loads(payload)
            summary.error_message = scrub(mapping(obj).get("message"))
            return
        event = headers.get(":event-type")
        if event == "chunk":
            data = mapping(loads(payload)).get("bytes")
            if type(data) is str:
                try:
                    inner = loads(base64.b64decode(data))
                except ValueError:
                    return
                if isinstance(inner, dict):
                    self._chunk(inner)
        elif event in ("messageStop", "metadata"):
            obj = mapping(loads(payload))
            if event == "messageStop":
                _reason(summary, obj.get("stopReason"))
            else:
                summary.usage = _usage(obj.get("usage")) or summary.usage

    def _chunk(self, inner: dict[str, Any]) -> None:
        summary = self._summary
        metrics = inner.get("amazon-bedrock-invocationMetrics")
        kind = inner.get("type")
        if kind in ("message_start", "message_delta"):  # Claude's own stream events
            if self._anthropic is None:
                self._anthropic = _anthropic.MessagesStream(self._capture)
            self._anthropic._take(inner)
        elif "messageStop" in inner:  # Nova
            _reason(summary, mapping(inner.get("messageStop")).get("stopReason"))
        elif "choices" in inner:  # gpt-oss
            for choice in sequence(inner.get("choices")):
                _reason(summary, mapping(choice).get("finish_reason"))
        elif "stop_reason" in inner:  # Llama
            _reason(summary, inner.get("stop_reason"))
        elif "completionReason" in inner:  # Titan
            _reason(summary, inner.get("completionReason"))
        elif "outputs" in inner:  # Mistral
            for output in sequence(inner.get("outputs")):
                _reason(summary, mapping(output).get("stop_reason"))
        elif "finish_reason" in inner:  # Cohere
            _reason(summary, inner.get("finish_reason"))
        if isinstance(metrics, dict):
            summary.usage = _metrics_usage(metrics) or summary.usage

    def response_model(self) -> Optional[str]:
        if self._anthropic is not None:
            return self._anthropic.response_model()
        return None

    def summary(self) -> ResponseSummary:
        summary = self._summary
        pending = self._splitter.pending
        if pending is not None and pending[:1] == b"{":  # a JSON error where a stream was asked
            obj = loads(pending)
            if isinstance(obj, dict):
                _converse_object(obj, summary)
        if self._anthropic is not None:
            claude = self._anthropic.summary()
            summary.response_id = claude.response_id
            summary.response_model = claude.response_model
            if claude.finish_reasons:
                summary.finish_reasons = claude.finish_reasons
            if summary.usage is None:
                summary.usage = claude.usage
        return summary


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

    def summarise(
        self, kind: str, obj: dict[str, Any], capture: bool, summary: ResponseSummary
    ) -> None:
        if kind == CONVERSE:
            _converse_object(obj, summary)
        else:
            _invoke_object(obj, capture, summary)

    def stream_parser(self, info: RequestInfo, capture_content: bool) -> StreamParser:
        return EventStream(info.kind, capture_content)  # type: ignore[return-value]


BEDROCK = BedrockFormat()
