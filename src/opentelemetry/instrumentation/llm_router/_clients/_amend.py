"""The one change the hook may make to a request, on explicit opt-in only: asking for stream usage."""

from __future__ import annotations

from typing import Optional

from opentelemetry.instrumentation.llm_router._wire._base import RequestInfo

_INCLUDE_USAGE = b'"stream_options":{"include_usage":true}'


def include_usage_body(info: RequestInfo, body: Optional[bytes]) -> Optional[bytes]:
    """The body of an OpenAI-format chat stream request amended to ask for a final usage chunk
    (``stream_options.include_usage``), or ``None`` to leave the request exactly as it is.

    Only with ``OTEL_PYTHON_LLM_ROUTER_STREAM_INCLUDE_USAGE=true``. The provider then sends one
    extra final chunk with empty ``choices`` and the usage. A request that already says anything
    about ``stream_options`` is left alone.
    """
    if info.kind != "chat_completions" or not body or b'"stream_options"' in body:
        return None
    end = body.rstrip()
    if not end.endswith(b"}"):
        return None
    head = end[:-1].rstrip()
    separator = b"" if head.endswith(b"{") else b","
    return head + separator + _INCLUDE_USAGE + b"}"
