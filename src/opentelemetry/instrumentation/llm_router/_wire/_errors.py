"""Provider error bodies in the shapes they really come in, read into a summary.

OpenAI and most compatible servers send ``{"error": {"message", "type", "code"}}``; but behind the
same format there are also:

- a plain string: ``{"error": "Too Many Requests"}`` (Fireworks' 429, Ollama, many proxies). The
  string is a message, not a type: the type is left unset, so ``error.type`` falls back to the HTTP
  status as documented. Hugging Face's TGI/TEI add the type beside it:
  ``{"error": "Model is overloaded", "error_type": "overloaded"}``;
- Mistral's flat object: ``{"object": "error", "type": "rate_limited", "message": ..., "code": ...}``;
- Google's shape inside a JSON array (Gemini's OpenAI-compatible endpoint):
  ``[{"error": {"code": 429, "message": ..., "status": "RESOURCE_EXHAUSTED"}}]``;
- a Responses API stream ``error`` event, fields at the top level (``{"type": "error", "code"}``);
- the AWS JSON shape (Bedrock): ``{"__type": "com.amazon.coral.validate#ValidationException",
  "message": ...}``, the type read as botocore reads it (:func:`aws_error_type`). Bedrock usually
  names the type only in the ``x-amzn-ErrorType`` header, which the Bedrock format reads.

Which of the fields becomes ``error.type`` is decided by the one rule of
``_genai._error_type`` (code, then type or status string, then a numeric code), as for every
other source; this module only knows where each shape keeps them.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._genai._error_type import provider_error_type
from opentelemetry.instrumentation.llm_router._wire._base import ResponseSummary
from opentelemetry.instrumentation.llm_router._wire._values import scrub, text


def first_object(value: Any) -> Any:
    """``value``, or its first element when it is a JSON array (Google wraps errors in one)."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value


def read_error_object(error: Any, summary: ResponseSummary) -> None:
    """The value of an ``"error"`` key when it is an object (Anthropic, Google, OpenAI): fills
    ``error.type`` (:func:`nested_error_type`) and the message; a no-op for anything else."""
    if isinstance(error, dict):
        summary.error_type = nested_error_type(error)
        summary.error_message = scrub(error.get("message"))


def read_error(obj: dict[str, Any], summary: ResponseSummary) -> None:
    """Fill ``summary.error_type`` / ``error_message`` from any of the shapes above (no-op for a
    body that is no error)."""
    error = obj.get("error")
    if isinstance(error, dict):
        read_error_object(error, summary)
    elif obj.get("type") == "error":  # Responses stream `error` event: fields at top level
        summary.error_type = provider_error_type(obj.get("code"))
        summary.error_message = scrub(obj.get("message"))
    elif isinstance(error, str):
        summary.error_type = text(obj.get("error_type"))  # TGI/TEI; else the status is the type
        summary.error_message = scrub(error)
    elif obj.get("object") == "error":  # Mistral
        summary.error_type = provider_error_type(obj.get("code"), obj.get("type"))
        summary.error_message = scrub(obj.get("message"))
    elif "__type" in obj:  # AWS JSON (Bedrock)
        summary.error_type = provider_error_type(None, aws_error_type(obj.get("__type")))
        summary.error_message = scrub(obj.get("message") or obj.get("Message"))


def aws_error_type(value: Any) -> Optional[str]:
    """An AWS error type as botocore reads it: ``ThrottlingException`` of the
    ``x-amzn-ErrorType`` header value ``ThrottlingException:http://internal.amazon.com/coral/
    com.amazon.bedrock/``, or of a body's ``__type`` ``com.amazon.coral.validate#
    ValidationException``; ``None`` for anything but a non-empty string."""
    if type(value) is not str or not value:
        return None
    value = value.split(":", 1)[0]
    return value.rsplit("#", 1)[-1] or None


def nested_error_type(error: dict[str, Any]) -> Optional[str]:
    """``error.type`` of an ``{"error": {...}}`` object, whoever sends it: OpenAI (``code``,
    ``type``), Anthropic (``type``), Google (``status``, a numeric ``code``)."""
    kind = error.get("type")
    if not (type(kind) is str and kind):
        kind = error.get("status")
    return provider_error_type(error.get("code"), kind)


def body_error_type(value: Any) -> Optional[str]:
    """``error.type`` from a provider's error body as another source holds it: the parsed JSON
    (a router's ``ProviderErrorContext.body``), or a text that is or quotes it (a forward event's
    ``error``, an exception's message: ``"upstream returned 429: {...}"``). ``None`` when there
    is no error body in it."""
    if isinstance(value, str):
        value = json_in(value)
    value = first_object(value)
    if not isinstance(value, dict):
        return None
    summary = ResponseSummary()
    read_error(value, summary)
    return summary.error_type


_MAX_TEXT_BODY = 65_536
"""A longer text is not searched for a body (an error text is short; a prompt quoted back is not
worth parsing)."""


def json_in(value: str) -> Any:
    """The first JSON object (or array of objects) in ``value``, or ``None``."""
    if len(value) > _MAX_TEXT_BODY:
        return None
    decoder = json.JSONDecoder()
    start = 0
    for _ in range(8):  # a few tries: "[429] {...}" has a bracket before the body
        positions = [p for p in (value.find("{", start), value.find("[", start)) if p >= 0]
        if not positions:
            return None
        start = min(positions)
        try:
            return decoder.raw_decode(value, start)[0]
        except ValueError:
            start += 1
    return None
