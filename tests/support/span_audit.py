"""Span bookkeeping and attribute type checks shared by the reliability tests.

:class:`CountingSpanProcessor` sees every span start and end in the SDK itself, so "the span ended
exactly once" and "no span is left open" are checked where they happen, not inferred from what an
exporter happened to receive. :func:`attribute_problems` states the type each GenAI attribute must
have; a malformed provider body must never smuggle a string into a token count or a number into a
response id.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Optional

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from opentelemetry.instrumentation.llm_router._genai import _attributes as A


class CountingSpanProcessor(SpanProcessor):
    """Counts ``on_start`` / ``on_end`` and remembers which spans are still open.

    ``double_ends`` counts ``on_end`` calls for a span that had already ended (the SDK guards
    against this itself, so the counter also proves the guard is what keeps us honest). Memory
    tests turn that tracking off: it keeps one id per ended span.
    """

    def __init__(self, track_double_ends: bool = True) -> None:
        self._track = track_double_ends
        self._lock = threading.Lock()
        self.started = 0
        self.ended = 0
        self.double_ends = 0
        self._open: dict[int, str] = {}
        self._ended_ids: set[int] = set()

    def on_start(self, span: Span, parent_context: Optional[Context] = None) -> None:
        with self._lock:
            self.started += 1
            self._open[span.context.span_id] = span.name

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            self.ended += 1
            span_id = span.context.span_id
            if self._open.pop(span_id, None) is None and span_id in self._ended_ids:
                self.double_ends += 1
            if self._track:
                self._ended_ids.add(span_id)

    @property
    def open_spans(self) -> list[str]:
        with self._lock:
            return sorted(self._open.values())

    def reset_ended_ids(self) -> None:
        """Forget ended ids (a long run would otherwise keep one int per span)."""
        with self._lock:
            self._ended_ids.clear()

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


_COUNTS = (
    A.GEN_AI_USAGE_INPUT_TOKENS,
    A.GEN_AI_USAGE_OUTPUT_TOKENS,
    A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    A.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
)
_STRINGS = (
    A.GEN_AI_OPERATION_NAME,
    A.GEN_AI_PROVIDER_NAME,
    A.GEN_AI_REQUEST_MODEL,
    A.GEN_AI_RESPONSE_MODEL,
    A.GEN_AI_RESPONSE_ID,
    A.SERVER_ADDRESS,
    A.ERROR_TYPE,
    A.GEN_AI_INPUT_MESSAGES,
    A.GEN_AI_OUTPUT_MESSAGES,
    A.GEN_AI_SYSTEM_INSTRUCTIONS,
    A.GEN_AI_OUTPUT_TYPE,
    A.GEN_AI_CONVERSATION_ID,
    A.OPENAI_API_TYPE,
    A.OPENAI_REQUEST_SERVICE_TIER,
    A.OPENAI_RESPONSE_SERVICE_TIER,
    A.OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
)
_INTS = (
    A.SERVER_PORT,
    A.HTTP_RESPONSE_STATUS_CODE,
    A.GEN_AI_REQUEST_MAX_TOKENS,
    A.GEN_AI_REQUEST_SEED,
    A.GEN_AI_REQUEST_CHOICE_COUNT,
    A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
)
_FLOATS = (
    A.GEN_AI_REQUEST_TEMPERATURE,
    A.GEN_AI_REQUEST_TOP_P,
    A.GEN_AI_REQUEST_TOP_K,
    A.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    A.GEN_AI_REQUEST_PRESENCE_PENALTY,
    A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
    A.LLM_ROUTER_COST_USD,
)
_STRING_LISTS = (
    A.GEN_AI_RESPONSE_FINISH_REASONS,
    A.GEN_AI_REQUEST_STOP_SEQUENCES,
    A.GEN_AI_REQUEST_ENCODING_FORMATS,
)
_PRIMITIVES = (str, bool, int, float)


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def attribute_problems(attributes: Any) -> list[str]:
    """Every attribute whose value has the wrong type (empty: all well typed)."""
    problems = []
    for key, value in dict(attributes or {}).items():
        if key in _COUNTS:
            if type(value) is not int or value < 0:
                problems.append(f"{key}={value!r}: want an int >= 0")
        elif key in _STRINGS:
            if type(value) is not str or not value:
                problems.append(f"{key}={value!r}: want a non-empty str")
            elif not _encodable(value):
                problems.append(f"{key}={value!r}: not encodable as UTF-8 (OTLP cannot send it)")
        elif key in _INTS:
            if type(value) is not int:
                problems.append(f"{key}={value!r}: want an int")
        elif key in _FLOATS:
            if type(value) is not float or value != value:
                problems.append(f"{key}={value!r}: want a float")
        elif key in _STRING_LISTS:
            if (
                isinstance(value, (str, bytes))
                or not isinstance(value, Sequence)
                or not all(type(item) is str for item in value)
            ):
                problems.append(f"{key}={value!r}: want a sequence of str")
            elif not all(_encodable(item) for item in value):
                problems.append(f"{key}={value!r}: not encodable as UTF-8 (OTLP cannot send it)")
        elif key == A.GEN_AI_REQUEST_STREAM:
            if value is not True:
                problems.append(f"{key}={value!r}: want True")
        elif not isinstance(value, _PRIMITIVES) and not (
            isinstance(value, Sequence) and all(isinstance(v, _PRIMITIVES) for v in value)
        ):
            problems.append(f"{key}={value!r}: not an OpenTelemetry attribute value")
        elif isinstance(value, str) and not _encodable(value):
            problems.append(f"{key}={value!r}: not encodable as UTF-8 (OTLP cannot send it)")
    return problems


def span_problems(span: ReadableSpan) -> list[str]:
    """Attribute type problems of a span, its events included."""
    problems = attribute_problems(span.attributes)
    if type(span.name) is not str or not span.name or not _encodable(span.name):
        problems.append(f"span name {span.name!r}")
    description = span.status.description
    if description is not None and not _encodable(description):
        problems.append(f"status description {description!r}: not encodable as UTF-8")
    for event in span.events:
        problems += [f"event {event.name}: {p}" for p in attribute_problems(event.attributes)]
    return problems
