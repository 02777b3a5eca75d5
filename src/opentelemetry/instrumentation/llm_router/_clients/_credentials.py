"""Which of a request's values are credentials: the part of redaction each client library shares.

Each client library hook reads its own request type (headers, query) and hands the name/value
pairs here; the rule for what counts as a credential is the same for all of them (and for every
other source): :data:`.._redact.CREDENTIAL_NAME`. The values then
go to the one redaction step (:class:`.._redact.Redactor`), which masks them (in every form and
piece) out of the error text that reaches telemetry.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from opentelemetry.instrumentation.llm_router._redact import CREDENTIAL_NAME

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
