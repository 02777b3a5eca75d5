"""Which of a request's values are credentials: the part of redaction each client library shares.

Each client library hook reads its own request type (headers, query) and hands the name/value
pairs here; the rule for what counts as a credential is the same for all of them. The values then
go to the one redaction step (:class:`.._redact.Redactor`), which masks them (in every form and
prefix) out of the error text that reaches telemetry.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

CREDENTIAL_NAME = re.compile(r"auth|key|token|secret|cookie|passw|credential|signature", re.I)
"""A header or query parameter whose name matches holds a credential: ``Authorization``,
``Proxy-Authorization``, ``x-api-key``, ``api-key``, ``x-goog-api-key``, ``X-Custom-Token``,
``Cookie``, ``?key=``, ``?access_token=``, ``?sig=``..."""

CredentialReader = Callable[[Any], "list[str]"]
"""``credentials(request)``: the credential values a client library's request carries; called only
when the call failed (a successful call pays nothing)."""


def credential_values(
    headers: Iterable[tuple[str, str]], params: Iterable[tuple[str, str]]
) -> list[str]:
    """The values of credential headers (whole, and each word: the key after ``Bearer``) and of
    credential query parameters (give them both decoded and as sent)."""
    values: list[str] = []
    for name, value in headers:
        if CREDENTIAL_NAME.search(name):
            values.append(value)
            values.extend(value.split())
    for name, value in params:
        if CREDENTIAL_NAME.search(name):
            values.append(value)
    return values
