"""``error.type``: one rule for every source, so one failure reads the same wherever it is seen.

The httpx/aiohttp hook (which reads the provider's error body), ``OTelObserver`` (the router's
``RouterError``), ``ForwardEventRecorder`` (a status code and an error text) and the LiteLLM
adapter (LiteLLM's exception) each know a different part of a failure. Each hands what it knows
to the functions here; none decides the value itself. The precedence, most specific first:

1. the provider's own error **code**, a string (OpenAI ``rate_limit_exceeded``,
   ``context_length_exceeded``, ``invalid_api_key``);
2. else the provider's error **type** or status string (OpenAI ``type``, Anthropic
   ``error.type`` such as ``rate_limit_error`` / ``overloaded_error``, Gemini ``status`` such as
   ``RESOURCE_EXHAUSTED``);
3. else the **HTTP status** (``429``); a numeric ``code`` is an HTTP status (Gemini's ``code:
   429``, a router's ``"429"``) and ranks here, not at 1;
4. for a call that got no answer: ``timeout`` when the source knows the call timed out,
   ``transport`` for any other failure to connect or to receive the answer, ``cancelled``;
5. else the exception's class name, or the router's error kind (``invalid_request``, ...);
6. else ``_OTHER``.

So a source that knows less never invents more: forward events carry only a status code and an
error text, so they report ``429`` unless the text is (or quotes) the provider's JSON error body,
which is then read by the same rule.
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._bounds import text

TIMEOUT = "timeout"
"""The call timed out (connect, read, write, pool or overall deadline)."""
TRANSPORT = "transport"
"""The call failed without an answer: connection refused or reset, DNS, TLS, a broken stream."""
CANCELLED = "cancelled"
"""The caller cancelled the call."""
OTHER = "_OTHER"
"""Nothing better is known (the conventions' fallback value)."""

# Exception classes (anywhere in an exception's MRO) by name, so this module imports no client
# library: httpx/httpx2, aiohttp, the openai and anthropic SDKs, LiteLLM.
_TIMEOUT_CLASSES = frozenset(
    {
        "TimeoutError",  # builtins (asyncio's since 3.11), aiohttp's ServerTimeoutError base
        "TimeoutException",  # httpx / httpx2: ConnectTimeout, ReadTimeout, WriteTimeout, ...
        "APITimeoutError",  # openai, anthropic SDKs
        "Timeout",  # LiteLLM
        "ServerTimeoutError",  # aiohttp
    }
)
_TRANSPORT_CLASSES = frozenset(
    {
        "ConnectionError",  # builtins: refused, reset, aborted
        "NetworkError",  # httpx / httpx2: ConnectError, ReadError, WriteError, CloseError
        "RemoteProtocolError",  # httpx / httpx2: the server broke off mid-answer
        "ProxyError",  # httpx / httpx2
        "ClientConnectionError",  # aiohttp: ClientConnectorError, ServerDisconnectedError, ...
        "ClientPayloadError",  # aiohttp: the body broke off
        "APIConnectionError",  # openai, anthropic SDKs; LiteLLM
    }
)


def provider_error_type(
    code: Any = None, error_type: Any = None, status_code: Any = None
) -> Optional[str]:
    """``error.type`` of an error the provider answered with (rules 1-3), ``None`` if none.

    ``code``: the provider's error code (a string; a number, or a string of digits, counts as an
    HTTP status). ``error_type``: its error type or status string. ``status_code``: the HTTP
    status (used from 400 up).
    """
    numeric = None
    if type(code) is str and code:
        if not code.isdigit():
            return text(code)
        numeric = code
    elif type(code) is int:
        numeric = str(code)
    if type(error_type) is str and error_type:
        return text(error_type)
    if type(status_code) is int and status_code >= 400:
        return str(status_code)
    return numeric


def answered_error_type(body_type: Optional[str], status_code: int) -> str:
    """``error.type`` of a failed answer from what its body said (``body_type``, read by
    :func:`provider_error_type`) and its HTTP status: the body's code or type, else the status
    from 400 up, else a numeric code the body gave, else ``_OTHER``."""
    if body_type and not body_type.isdigit():
        return body_type
    if status_code >= 400:
        return str(status_code)
    return body_type or OTHER


def exception_error_type(exc: BaseException) -> str:
    """``error.type`` of an exception that ended a call (rules 4-5): ``timeout``, ``transport``,
    ``cancelled`` when its class says so, else its class name."""
    if isinstance(exc, asyncio.CancelledError):
        return CANCELLED
    names = {cls.__name__ for cls in type(exc).__mro__}
    if not names.isdisjoint(_TIMEOUT_CLASSES):
        return TIMEOUT
    if not names.isdisjoint(_TRANSPORT_CLASSES):
        return TRANSPORT
    return type(exc).__qualname__


def transport_error_type(message: Any) -> str:
    """``error.type`` of a failure known only as "no answer" plus a text (a router's
    ``Transport`` error, a forward event's status code 0): ``timeout`` when the text says the
    call timed out, else ``transport``."""
    if type(message) is str:
        lowered = message.lower()
        if "timed out" in lowered or "timeout" in lowered or "deadline exceeded" in lowered:
            return TIMEOUT
    return TRANSPORT
