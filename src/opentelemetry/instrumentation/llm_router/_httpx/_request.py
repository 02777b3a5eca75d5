"""Reading (and, on explicit opt-in only, amending) the outgoing request body."""

from __future__ import annotations

import logging
from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._clients._amend import include_usage_body
from opentelemetry.instrumentation.llm_router._clients._credentials import credential_values
from opentelemetry.instrumentation.llm_router._wire._base import RequestInfo

_logger = logging.getLogger(__name__)


def add_stream_include_usage(
    request: Any, info: RequestInfo, body: Optional[bytes], byte_stream: type
) -> None:
    """Ask an OpenAI-format chat stream to end with a usage chunk (see ``_clients._amend``)."""
    amended = include_usage_body(info, body)
    if amended is None:
        return
    request.stream = byte_stream(amended)
    request._content = amended
    request.headers["Content-Length"] = str(len(amended))


def request_credentials(request: Any) -> list[str]:
    """The credential values an httpx request carries (see ``_clients._credentials``): its
    credential headers and query parameters, the latter decoded and as sent."""
    try:
        url = request.url
        query = url.query
        if isinstance(query, bytes):
            query = query.decode("ascii", "replace")
        raw = [pair.partition("=")[::2] for pair in query.split("&")]
        return credential_values(request.headers.multi_items(), [*url.params.multi_items(), *raw])
    except Exception:
        _logger.debug("llm_router: could not read the request's credentials", exc_info=True)
        return []
