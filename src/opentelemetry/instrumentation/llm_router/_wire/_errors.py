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
- a Responses API stream ``error`` event, fields at the top level (``{"type": "error", "code"}``).

A numeric code (an HTTP status) is used only when no string type is there.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.instrumentation.llm_router._wire._base import ResponseSummary
from opentelemetry.instrumentation.llm_router._wire._values import error_code, scrub, text


def first_object(value: Any) -> Any:
    """``value``, or its first element when it is a JSON array (Google wraps errors in one)."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value


def read_error_object(error: Any, summary: ResponseSummary, *preferred: str) -> None:
    """An ``{"error": {...}}`` object in a format's own order of type fields (Anthropic: ``type``
    first; Google: ``status``): fills ``error.type`` and the message; a no-op for no object."""
    if isinstance(error, dict):
        summary.error_type = error_code(error, *preferred)
        summary.error_message = scrub(error.get("message"))


def read_error(obj: dict[str, Any], summary: ResponseSummary) -> None:
    """Fill ``summary.error_type`` / ``error_message`` from any of the shapes above (no-op for a
    body that is no error)."""
    error = obj.get("error")
    if isinstance(error, dict):
        summary.error_type = error_code(error, "code", "type", "status")
        summary.error_message = scrub(error.get("message"))
    elif obj.get("type") == "error":  # Responses stream `error` event: fields at top level
        summary.error_type = error_code(obj, "code")
        summary.error_message = scrub(obj.get("message"))
    elif isinstance(error, str):
        summary.error_type = text(obj.get("error_type"))  # TGI/TEI; else the status is the type
        summary.error_message = scrub(error)
    elif obj.get("object") == "error":  # Mistral
        summary.error_type = error_code(obj, "type", "code")
        summary.error_message = scrub(obj.get("message"))
