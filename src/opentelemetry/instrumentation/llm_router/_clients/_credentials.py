"""The caller's credentials, masked out of provider error text before it goes on a span.

Providers echo the key they were sent in their auth errors (OpenAI quotes part of it, some gateways
all of it), and the error message and code go on the span. Each client library hook collects the
credential values from its own request type; the masking rule is the same for all of them.
"""

from __future__ import annotations

from typing import Iterable

CREDENTIAL_HEADERS = (
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
)
"""Header names whose values are credentials (lower case)."""
CREDENTIAL_PARAMS = frozenset(("key", "api_key", "api-key", "apikey", "access_token"))
"""Query parameter names whose values are credentials (lower case)."""
_MIN_SECRET = 8
"""Shorter values are not redacted: they would also cut ordinary words out of a message."""
REDACTED = "[REDACTED]"


def header_secrets(values: Iterable[str]) -> list[str]:
    """The secrets in credential header values: each whole value and what follows ``Bearer``."""
    secrets = []
    for value in values:
        secrets.append(value.strip())
        secrets.append(value.partition(" ")[2].strip())
    return secrets


def mask(secrets: Iterable[str], texts: Iterable[str]) -> list[str]:
    """``texts`` with every secret (long enough to be one) replaced by :data:`REDACTED`."""
    ordered = sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True)
    out = []
    for text in texts:
        for secret in ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
        out.append(text)
    return out
