"""One host, several wire formats: the first format that recognises the request's path reads it.

Providers serve more than one API from one host: Gemini's host answers its native
``:generateContent`` and an OpenAI-compatible ``/v1beta/openai/chat/completions``; Vertex AI adds
Anthropic's ``:rawPredict`` and ``/endpoints/openapi/chat/completions``; Anthropic, Cohere, Ollama
and Hugging Face each also speak the OpenAI format on some paths. A :class:`FormatChain` is a
:class:`~._base.WireFormat` that asks its formats in order (native first) and remembers, in
:attr:`RequestInfo.wire_format`, which one answered, so the response goes to the same format.

Only requests to known hosts get here (the host lookup has already filtered the rest), and every
format rejects a foreign path by its method and path before it looks at the body, so the chain
costs a few string tests per provider request and nothing for other traffic.
"""

from __future__ import annotations

from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._wire._base import (
    RequestInfo,
    ResponseSummary,
    StreamParser,
    WireFormat,
)


class FormatChain:
    """Formats tried in order; ``name`` is the first one's (the host's native format)."""

    __slots__ = ("formats", "name")

    def __init__(self, *formats: WireFormat) -> None:
        self.formats = formats
        self.name = formats[0].name

    def request_info(
        self, method: str, path: str, body: Optional[bytes], capture_content: bool = False
    ) -> Optional[RequestInfo]:
        for wire_format in self.formats:
            info = wire_format.request_info(method, path, body, capture_content)
            if info is not None:
                if info.wire_format is None:
                    info.wire_format = wire_format
                return info
        return None

    def _format(self, info: RequestInfo) -> WireFormat:
        return info.wire_format if info.wire_format is not None else self.formats[0]

    def input_messages(
        self, info: RequestInfo
    ) -> tuple[Optional[list[dict[str, Any]]], Optional[list[dict[str, Any]]]]:
        return self._format(info).input_messages(info)

    def parse_response(
        self, info: RequestInfo, body: bytes, capture_content: bool
    ) -> ResponseSummary:
        return self._format(info).parse_response(info, body, capture_content)

    def stream_parser(self, info: RequestInfo, capture_content: bool) -> StreamParser:
        return self._format(info).stream_parser(info, capture_content)

    def __repr__(self) -> str:
        return "FormatChain(" + ", ".join(f.name for f in self.formats) + ")"
