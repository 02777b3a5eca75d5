"""What the GenAI span of a recorded exchange must say, as span attributes.

The values come from :func:`tests.support.wire_corpus.expected`, which derives them from the
recorded body independently of the package's parsers; this module only restates them as the
attributes the acceptance check looks at, with its tolerances (a detail count of 0 may be left
out; finish reasons compare case-insensitively; Responses and Gemini may say ``chat`` or
``generate_content``).
"""

from __future__ import annotations

import re
from typing import Any

from tests.support.wire_corpus import FORMAT_OF, OPERATION_OF, Entry, expected

__all__ = ["FORMAT_OF", "check_span", "expected_span"]

_OPERATIONS = {
    **{family: (operation,) for family, operation in OPERATION_OF.items()},
    "openai_responses": ("chat", "generate_content"),
    "gemini_generate_content": ("generate_content", "chat"),
}
_DETAIL_COUNTS = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.reasoning.output_tokens",
)


def expected_span(entry: dict[str, Any]) -> dict[str, Any]:
    """Expected attribute values (``None``: must be absent) plus ``operation`` and ``error``."""
    exp = expected(Entry("", entry))
    request = entry["request"]
    if entry["format"] == "gemini_generate_content":
        model = re.search(r"/models/([^/:]+):", request["path"]).group(1)
    else:
        model = request["body"].get("model")
    return {
        "operation": _OPERATIONS[entry["format"]],
        "error": entry["response"]["status"] >= 400,
        "gen_ai.provider.name": entry["provider"],
        "gen_ai.request.model": model,
        "http.response.status_code": entry["response"]["status"],
        "gen_ai.response.id": exp.response_id,
        "gen_ai.response.model": exp.response_model,
        "gen_ai.response.finish_reasons": exp.finish_reasons or None,
        "gen_ai.usage.input_tokens": exp.input_tokens,
        "gen_ai.usage.output_tokens": exp.output_tokens,
        "gen_ai.usage.cache_read.input_tokens": exp.cache_read,
        "gen_ai.usage.cache_creation.input_tokens": exp.cache_creation,
        "gen_ai.usage.reasoning.output_tokens": exp.reasoning,
    }


def check_span(span: Any, exp: dict[str, Any]) -> list[str]:
    """Differences between a finished span and the expectation (empty: it matches)."""
    attrs = dict(span.attributes)
    problems = []
    operation = attrs.get("gen_ai.operation.name")
    if operation not in exp["operation"]:
        problems.append(f"operation {operation!r} not in {exp['operation']}")
    if span.name != f"{operation} {exp['gen_ai.request.model']}":
        problems.append(f"span name {span.name!r}")
    for key, want in exp.items():
        if key in ("operation", "error"):
            continue
        got = attrs.get(key)
        if key == "gen_ai.response.finish_reasons":
            got = [r.lower() for r in got] if got is not None else None
            want = [r.lower() for r in want] if want is not None else None
        if key in _DETAIL_COUNTS and not want:
            if got not in (None, 0):
                problems.append(f"{key}: {got!r}, want 0 or absent")
        elif got != want:
            problems.append(f"{key}: {got!r}, want {want!r}")
    is_error = span.status.status_code.name == "ERROR"
    if is_error != exp["error"]:
        problems.append(f"status {span.status.status_code.name}, error expected: {exp['error']}")
    if exp["error"] and not attrs.get("error.type"):
        problems.append("error.type missing")
    return problems
