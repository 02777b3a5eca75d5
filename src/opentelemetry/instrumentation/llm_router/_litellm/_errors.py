"""What a LiteLLM exception says about a failure, for the ``error.type`` rule every source follows.

LiteLLM re-raises what happened as its own exception classes, whose own fields are not the
provider's: ``code`` is the HTTP status as text, ``type`` LiteLLM's classification
(``throttling_error``), the status may be remapped (Anthropic's 529 ``overloaded_error`` becomes an
``InternalServerError`` 500) and a refused connection becomes an ``InternalServerError`` too
("Connection error."). What really happened survives in the exception's chain (``__cause__`` /
``__context__``: the SDK's exception, httpx's error and its response) and in the message, which
quotes the provider's body. So the adapter reads, in this order:

- the chain: a timeout or a connection failure anywhere in it -> ``timeout`` / ``transport``;
- the provider's answer itself (:func:`wire_answer`): the innermost response in the chain that
  answered a request the provider's wire format knows, read by that format exactly as the hook
  reads it (status, headers, body: Bedrock's ``x-amzn-ErrorType`` header too), so the adapter's
  ``error.type`` is the hook's for the same call;
- a Bedrock stream's exception frame, which LiteLLM keeps only as the text
  ``"<exception type> <payload>"`` of its ``BedrockError`` (:func:`stream_exception_type`);
- else the innermost response in the chain whose body is a provider error (its status too);
- an SDK exception's ``body`` (the provider's error object);
- a JSON error body quoted in the message.

Reads attributes only (no LiteLLM import); never raises.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._genai._error_type import (
    TIMEOUT,
    TRANSPORT,
    answered_error_type,
    exception_error_type,
    provider_error_type,
)
from opentelemetry.instrumentation.llm_router._wire._errors import (
    body_error_type,
    first_object,
    json_in,
)
from opentelemetry.instrumentation.llm_router._wire._hosts import provider_format

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


def wire_answer(exc: BaseException, provider: Optional[str]) -> tuple[Optional[int], Optional[str]]:
    """The HTTP status and ``error.type`` of the provider's answer behind ``exc``, read by the
    wire format of ``provider``'s API as the hook reads it; ``(None, None)`` when the chain holds
    no answer to a request that format knows (LiteLLM's stand-in responses, to
    ``https://docs.litellm.ai/docs``, are none)."""
    if not provider:
        return None, None
    wire_format = provider_format(provider)
    for link in reversed(_chain(exc)):  # the innermost first: the answer as it came
        found = _read_answer(getattr(link, "response", None), wire_format)
        if found is not None:
            return found
    return None, None


def _read_answer(response: Any, wire_format: Any) -> Optional[tuple[int, str]]:
    try:
        status = response.status_code
        request = response.request
        if type(status) is not int or status < 400:
            return None
        try:
            sent: Optional[bytes] = request.content
        except Exception:  # a streamed request body
            sent = None
        info = wire_format.request_info(request.method, request.url.path, sent)
        if info is None:
            return None
        names = getattr(info.wire_format or wire_format, "response_headers", ())
        headers = {name: response.headers.get(name) for name in names}
        info.response_headers = {k: v for k, v in headers.items() if isinstance(v, str) and v}
        body = response.content
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            parser = wire_format.stream_parser(info, False)
            parser.feed(body)
            summary = parser.summary()
        else:
            summary = wire_format.parse_response(info, body, False)
        return status, answered_error_type(summary.error_type, status)
    except Exception:  # no response, no request (RuntimeError), a body not read, ...
        return None


_STREAM_EXCEPTION = re.compile(r"([A-Za-z][A-Za-z0-9]*) (\{.*\})", re.DOTALL)


def stream_exception_type(exc: BaseException) -> Optional[str]:
    """The exception type of a Bedrock event stream's exception frame, from the text LiteLLM's
    ``BedrockError`` keeps of it (``throttlingException {"message": ...}``: the frame's
    ``:exception-type`` header, a space, its JSON payload), by the rule the hook's stream
    reader applies to the frame itself."""
    for link in _chain(exc):
        if type(link).__name__ != "BedrockError":
            continue
        message = getattr(link, "message", None)
        found = _STREAM_EXCEPTION.fullmatch(message) if isinstance(message, str) else None
        if found is not None and isinstance(json_in(found.group(2)), dict):
            return provider_error_type(None, found.group(1))
    return None
