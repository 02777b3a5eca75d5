"""Wire formats of LLM provider APIs: one module per format, one registry of them, one host table.

What the httpx hook calls:

- :func:`lookup` / :class:`HostTable` (``HostTable(overrides).lookup(host, port)``) ->
  :class:`ProviderRoute` (``provider``, ``format``) or ``None``;
  :func:`parse_providers` for ``OTEL_PYTHON_LLM_ROUTER_PROVIDERS``;
- ``route.format.request_info(method, path, body, capture_content)`` -> :class:`RequestInfo`;
- ``format.parse_response(info, body, capture_content)`` -> :class:`ResponseSummary`;
- ``format.stream_parser(info, capture_content)`` -> :class:`StreamParser` (``feed``/``summary``);
- ``format.input_messages(info)`` -> ``(messages, system_instructions)`` when capturing content.
"""

from opentelemetry.instrumentation.llm_router._wire._base import (
    RequestInfo,
    ResponseSummary,
    StreamParser,
    WireFormat,
)
from opentelemetry.instrumentation.llm_router._wire._hosts import (
    DEFAULT_TABLE,
    HostTable,
    ProviderRoute,
    lookup,
    parse_providers,
)
from opentelemetry.instrumentation.llm_router._wire._registry import FORMATS, get_format

__all__ = [
    "DEFAULT_TABLE",
    "FORMATS",
    "HostTable",
    "ProviderRoute",
    "RequestInfo",
    "ResponseSummary",
    "StreamParser",
    "WireFormat",
    "get_format",
    "lookup",
    "parse_providers",
]
