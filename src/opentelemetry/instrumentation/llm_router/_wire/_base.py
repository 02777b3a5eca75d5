"""What every wire format answers: the questions the httpx hook asks about a request and response.

A wire format (OpenAI-style, Anthropic, Gemini, ...) is one module with one :class:`WireFormat`
object. Adding a provider that speaks an existing format is a row in the host table; adding a new
format is one module and one row in :mod:`._registry`. Formats know the provider's JSON, never the
OpenTelemetry attribute names: they fill plain :class:`RequestInfo` / :class:`ResponseSummary`
values that the GenAI mapping turns into telemetry.

Everything here runs on the caller's request path: parsers are tolerant (a malformed body gives an
empty summary, never an exception that matters: the hook catches anything anyway) and cheap
(stream parsers look at each event's bytes and decode JSON only for the events that carry what we
need).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Protocol

from opentelemetry.instrumentation.llm_router._genai import RequestParameters, TokenCounts


@dataclass
class RequestInfo:
    """What the request asks for, read from the method, path and JSON body."""

    operation: str
    """``gen_ai.operation.name``: chat, text_completion, embeddings, generate_content, ..."""
    request_model: Optional[str] = None
    stream: bool = False
    parameters: Optional[RequestParameters] = None
    kind: str = ""
    """Format-private tag for the endpoint (e.g. ``chat_completions``, ``responses``); the format's
    response and stream parsers use it to know what they are reading."""
    body: Optional[Any] = None
    """The decoded JSON request, kept only when content capture needs it."""
    provider: Optional[str] = None
    """``gen_ai.provider.name`` when the path, not the host, tells the provider (Azure's
    model-inference API beside Azure OpenAI on one host); ``None``: the host's."""
    wire_format: Optional[Any] = None
    """The format that read this request, when a host speaks several (set by
    :class:`~._chain.FormatChain`, which hands the response to that format)."""
    response_headers: Optional[dict[str, str]] = None
    """The values of the response headers the format names in its ``response_headers`` (by
    lower-case name; Bedrock's ``x-amzn-ErrorType`` and token-count headers), set by the hook
    when the answer arrives, for the format's reading of the body; ``None`` for other formats."""


@dataclass
class ResponseSummary:
    """What a response (whole body or the sum of a stream's events) says about the call."""

    response_model: Optional[str] = None
    response_id: Optional[str] = None
    finish_reasons: list[str] = field(default_factory=list)
    usage: Optional[TokenCounts] = None
    error_type: Optional[str] = None
    """The provider's error type or code, when the body is an error (or a stream sent one)."""
    error_message: Optional[str] = None
    service_tier: Optional[str] = None
    """OpenAI ``service_tier`` of the response (``openai.response.service_tier``)."""
    system_fingerprint: Optional[str] = None
    """OpenAI ``system_fingerprint`` (``openai.response.system_fingerprint``)."""
    conversation_id: Optional[str] = None
    """The conversation the response belongs to, where the API has one (``gen_ai.conversation.id``)."""
    output_messages: Optional[list[dict[str, Any]]] = None
    """Output messages in the GenAI content schema; only filled when content capture is on."""


class StreamParser(Protocol):
    """Reads one SSE stream incrementally. ``feed`` gets raw bytes exactly as the caller gets them."""

    def feed(self, chunk: bytes) -> None:
        """Bytes of the response body, in any pieces; never raises on malformed input."""
        ...

    def summary(self) -> ResponseSummary:
        """What the stream said so far (called once, when the stream ends, however it ends)."""
        ...

    def response_model(self) -> Optional[str]:
        """The response model once an event has named it, else ``None`` (cheap; asked while
        the stream runs, so per-chunk metric points can carry it)."""
        ...


class WireFormat(Protocol):
    """One wire format family (``openai``, ``anthropic``, ``gemini``)."""

    name: str

    def request_info(
        self, method: str, path: str, body: Optional[bytes], capture_content: bool = False
    ) -> Optional[RequestInfo]:
        """What the request asks for; ``None`` when it is no GenAI call we know (e.g. a GET of
        ``/v1/models``): the hook then lets it pass without a span. ``path`` should have no query
        (a query left on is ignored). With ``capture_content`` the decoded body is kept in
        :attr:`RequestInfo.body` for :meth:`input_messages`; without it nothing of the content
        is retained."""
        ...

    def input_messages(
        self, info: RequestInfo
    ) -> tuple[Optional[list[dict[str, Any]]], Optional[list[dict[str, Any]]]]:
        """``(input messages, system instructions)`` in the GenAI content schema, from the body
        kept by ``request_info(..., capture_content=True)``; ``(None, None)`` without it."""
        ...

    def parse_response(
        self, info: RequestInfo, body: bytes, capture_content: bool
    ) -> ResponseSummary:
        """Summarise a complete (non-streamed or error) response body."""
        ...

    def stream_parser(self, info: RequestInfo, capture_content: bool) -> StreamParser:
        """A parser for a streamed (SSE) response to this request."""
        ...
