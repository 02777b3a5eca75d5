"""What a LiteLLM exception says about a failure, for the ``error.type`` rule every source follows.

LiteLLM re-raises what happened as its own exception classes, whose own fields are not the
provider's: ``code`` is the HTTP status as text, ``type`` LiteLLM's classification
(``throttling_error``), the status may be remapped (Anthropic's 529 ``overloaded_error`` becomes an
``InternalServerError`` 500) and a refused connection becomes an ``InternalServerError`` too
("Connection error."). What really happened survives in the exception's chain (``__cause__`` /
``__context__``: the SDK's exception, httpx's error and its response) and in the message, which
quotes the provider's body. So the adapter reads, in this order:

- the chain: a timeout or a connection failure anywhere in it -> ``timeout`` / ``transport``;
- the innermost response in the chain whose body is a provider error (its status too);
- an SDK exception's ``body`` (the provider's error object);
- a JSON error body quoted in the message.

Reads attributes only (no LiteLLM import); never raises.
"""

from __future__ import annotations

from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._genai._error_type import (
    TIMEOUT,
    TRANSPORT,
    exception_error_type,
)
from opentelemetry.instrumentation.llm_router._wire._errors import (
    body_error_type,
    first_object,
    json_in,
)

_MAX_CHAIN = 12
"""Links of an exception chain looked at (LiteLLM's are 4-6 deep)."""


def _chain(exc: BaseException) -> list[BaseException]:
    links: list[BaseException] = []
    link: Optional[BaseException] = exc
    while link is not None and len(links) < _MAX_CHAIN and link not in links:
        links.append(link)
        link = link.__cause__ or link.__context__
    return links


def no_answer(exc: BaseException) -> Optional[str]:
    """``timeout`` or ``transport`` when the call got no answer, whatever LiteLLM made of it."""
    for link in _chain(exc):
        kind = exception_error_type(link)
        if kind in (TIMEOUT, TRANSPORT):
            return kind
    return None


def provider_answer(exc: BaseException, message: str) -> tuple[Optional[int], Optional[dict]]:
    """The provider's HTTP status and error body (parsed JSON) behind ``exc``, where found."""
    status: Optional[int] = None
    body: Optional[dict] = None
    for link in _chain(exc):
        response = getattr(link, "response", None)
        if response is None:
            continue
        try:
            found = _json_body(response.text)
        except Exception:  # a streamed response not read, a closed one
            continue
        if found is not None:
            body = found
            code = getattr(response, "status_code", None)
            status = code if type(code) is int else status
    if body is None:
        for link in _chain(exc):
            sdk_body = getattr(link, "body", None)
            if isinstance(sdk_body, dict):
                body = sdk_body if "error" in sdk_body else {"error": sdk_body}
                break
    if body is None:
        body = _json_body(message)
    return status, body


def _json_body(value: Any) -> Optional[dict]:
    """``value`` as a provider error body when it is (or quotes) one."""
    if not isinstance(value, str) or not value:
        return None
    found = first_object(json_in(value))
    if isinstance(found, dict) and body_error_type(found) is not None:
        return found
    return None
