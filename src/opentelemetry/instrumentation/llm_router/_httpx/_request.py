"""Reading (and, on explicit opt-in only, amending) the outgoing request body."""

from __future__ import annotations

import logging
from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._clients._credentials import (
    CREDENTIAL_HEADERS,
    CREDENTIAL_PARAMS,
    header_secrets,
    mask,
)
from opentelemetry.instrumentation.llm_router._wire._base import RequestInfo

_logger = logging.getLogger(__name__)

_INCLUDE_USAGE = b'"stream_options":{"include_usage":true}'


def request_body(request: Any) -> Optional[bytes]:
    """The request body if httpx holds it in memory; ``None`` for a streamed upload."""
    try:
        return request.content
    except Exception:  # RequestNotRead: a generator or file body we must not consume
        return None


def add_stream_include_usage(
    request: Any, info: RequestInfo, body: Optional[bytes], byte_stream: type
) -> None:
    """Ask an OpenAI-format chat stream to end with a usage chunk (``stream_options.include_usage``).

    Only with ``OTEL_PYTHON_LLM_ROUTER_STREAM_INCLUDE_USAGE=true``. The provider then sends one
    extra final chunk with empty ``choices`` and the usage. A request that already says anything
    about ``stream_options`` is left exactly as it is.
    """
    if info.kind != "chat_completions" or not body or b'"stream_options"' in body:
        return
    end = body.rstrip()
    if not end.endswith(b"}"):
        return
    head = end[:-1].rstrip()
    separator = b"" if head.endswith(b"{") else b","
    amended = head + separator + _INCLUDE_USAGE + b"}"
    request.stream = byte_stream(amended)
    request._content = amended
    request.headers["Content-Length"] = str(len(amended))


def redact_credentials(request: Any, *texts: str) -> list[str]:
    """``texts`` with the httpx request's own credentials masked (see ``_clients._credentials``).

    Only called for a failed response, so a successful call pays nothing. The credentials are the
    values of the usual auth headers and of ``key=``-style query parameters.
    """
    secrets: list[str] = []
    try:
        headers = request.headers
        for name in CREDENTIAL_HEADERS:
            secrets.extend(header_secrets(headers.get_list(name)))
        for name, value in request.url.params.multi_items():
            if name.lower() in CREDENTIAL_PARAMS:
                secrets.append(value)
    except Exception:
        _logger.debug("llm_router: could not read the request's credentials", exc_info=True)
    return mask(secrets, texts)
