"""Request-side plumbing shared by the formats: the body read strategy and path helpers."""

from __future__ import annotations

from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._wire._body import SMALL_BODY, decode, top_level
from opentelemetry.instrumentation.llm_router._wire._values import text


def read_body(
    body: Optional[bytes], capture_content: bool, need_model: bool
) -> tuple[dict[str, Any], Optional[Any]]:
    """``(top-level pairs, full decoded body or None)`` for a request body.

    Small bodies, and any body when content is captured, are decoded in full. Large ones are read
    from their two ends (:func:`._body.top_level`); when that does not find the model and the
    format ``need_model`` (it cannot get it from the path), the body is decoded in full after all.
    """
    if not body:
        return {}, None
    if capture_content or len(body) <= SMALL_BODY:
        full = decode(body)
        return (full if isinstance(full, dict) else {}), full
    found = top_level(body)
    if need_model and text(found.get("model")) is None:
        full = decode(body)
        if isinstance(full, dict):
            return full, None
    return found, None


def strip_query(path: str) -> str:
    """``path`` without a query string or trailing slash (the hook should pass none, but a
    ``?api-version=...`` left on must not break suffix matching)."""
    if "?" in path:
        path = path.split("?", 1)[0]
    if path.endswith("/") and len(path) > 1:
        path = path.rstrip("/")
    return path
