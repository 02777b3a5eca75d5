"""Reading the top-level parameters of a JSON request body without paying for its prompt.

A chat request is a few small parameters (model, stream, temperature, ...) next to one huge value
(the conversation, a long system prompt, base64 images). Decoding all of it to learn the model
costs ~1.4 ms per MB on this machine, on the caller's request path. So:

- bodies up to :data:`SMALL_BODY` bytes are decoded normally (exact, and as cheap as anything);
- larger ones are read from their two ends: the run of scalar pairs at the head (the openai SDK
  writes ``model`` and ``stream`` first; others write ``max_tokens`` or ``model`` first) and the
  run of top-level pairs at the tail after the big value (the anthropic SDK writes ``model``,
  ``stream`` and the sampling parameters after ``messages``; the openai SDK its parameters).
  Both pieces are decoded by the json module itself, so a candidate that is not really at the top
  level fails to decode and is discarded rather than misread.

The caller falls back to a full decode when the large-body reading did not find what it needs
(typically the model). Parameters sitting in the middle of a large body, between two big values,
are not seen: an accepted trade for a bounded cost.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._wire._values import loads, loads_exact

SMALL_BODY = 16 * 1024
"""Bodies up to this size are fully decoded (~25 µs at the limit); larger ones are scanned."""

HEAD_WINDOW = 2048
TAIL_WINDOW = 8192

_TAIL_KEYS = (
    b"model|stream|max_tokens|max_completion_tokens|max_output_tokens|temperature|top_p|top_k"
    b"|frequency_penalty|presence_penalty|stop|stop_sequences|seed|n|encoding_format"
    b"|stream_options|generationConfig|generation_config"
    b"|response_format|service_tier|dimensions|conversation|modalities|output_format|output_config"
)
_TAIL = re.compile(rb'"(?:' + _TAIL_KEYS + rb')"\s*:')
_TAIL_TRIES = 6


def decode(body: Optional[bytes]) -> Any:
    """The decoded JSON body, or ``None`` when absent or malformed."""
    if not body:
        return None
    return loads(body)


def top_level(body: bytes) -> dict[str, Any]:
    """Top-level pairs found at the two ends of a large JSON object body (see module docs)."""
    found: dict[str, Any] = {}
    size = len(body)
    # The head: the scalar pairs before the first nested value, e.g. `{"model":"x","stream":true,`
    # then `"messages":[`. If a string among them holds a bracket or comma, the cut is wrong, the
    # decode fails, and the head simply contributes nothing.
    window = min(size, HEAD_WINDOW)
    first = body.find(b"[", 1, window)
    brace = body.find(b"{", 1, window)
    if brace >= 0 and (first < 0 or brace < first):
        first = brace
    if first > 0:
        comma = body.rfind(b",", 0, first)
        if comma > 0:
            value = loads_exact(body[:comma] + b"}")
            if isinstance(value, dict):
                found.update(value)
    # Skip quote-free text (prose at the end of the last message) at C speed first.
    pos = body.find(b'"', max(0, size - TAIL_WINDOW))
    for _ in range(_TAIL_TRIES if pos >= 0 else 0):
        match = _TAIL.search(body, pos)
        if match is None:
            break
        value = loads_exact(b"{" + body[match.start() :])
        if isinstance(value, dict):
            found.update(value)
            break
        pos = match.end()  # nested, or cut: try the next candidate
    return found


def nested_object(body: bytes, key: bytes) -> Optional[dict[str, Any]]:
    """The object value of ``"key"`` found in the head or tail window of a large body (used for
    Gemini's ``generationConfig``), decoded on its own; ``None`` if not there."""
    size = len(body)
    needle = b'"' + key + b'"'
    for start, end in ((0, min(size, HEAD_WINDOW)), (max(0, size - TAIL_WINDOW), size)):
        at = body.find(needle, start, end)
        if at < 0:
            continue
        brace = body.find(b"{", at + len(needle), at + len(needle) + 16)
        if brace < 0:
            continue
        value = loads(body[brace : brace + TAIL_WINDOW])
        if isinstance(value, dict):
            return value
    return None
