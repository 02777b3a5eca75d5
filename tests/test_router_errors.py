"""The nine router error kinds: messages, kinds, ``error.type``, immutability, equality."""

from __future__ import annotations

import copy
import pickle

import pytest

from opentelemetry.instrumentation.llm_router import (
    AccessDenied,
    Cancelled,
    InvalidRequest,
    InvalidResponse,
    ProviderError,
    ProviderErrorContext,
    ResponseDecode,
    RouterError,
    StreamProtocol,
    Transport,
    UnsupportedFeature,
)
from opentelemetry.instrumentation.llm_router._router_error import ERROR_KINDS

# (error, message as design.md shows it, kind, provider)
ERRORS: list[tuple[RouterError, str, str, str | None]] = [
    (
        UnsupportedFeature("openai", "tool_choice", details="only 'auto'"),
        "openai does not support tool_choice",
        "unsupported_feature",
        "openai",
    ),
    (
        Cancelled("anthropic", "client went away"),
        "request cancelled: client went away",
        "cancelled",
        "anthropic",
    ),
    (
        InvalidRequest("openai", "messages must not be empty", body={"messages": []}),
        "invalid request: messages must not be empty",
        "invalid_request",
        "openai",
    ),
    (
        Transport("groq", "connection reset"),
        "transport failure: connection reset",
        "transport",
        "groq",
    ),
    (
        ResponseDecode("gemini", "expected value at line 1", body="<html>"),
        "response decode failure: expected value at line 1",
        "response_decode",
        "gemini",
    ),
    (
        InvalidResponse("mistral", "no choices", body={"choices": []}),
        "invalid response: no choices",
        "invalid_response",
        "mistral",
    ),
    (
        ProviderError("openai", "rate limited", ProviderErrorContext(status_code=429)),
        "provider error: rate limited",
        "provider",
        "openai",
    ),
    (
        StreamProtocol("anthropic", "event before message_start", chunk="data: {}"),
        "stream protocol failure: event before message_start",
        "stream_protocol",
        "anthropic",
    ),
    (AccessDenied("budget exhausted"), "access denied: budget exhausted", "access_denied", None),
]


def test_the_table_covers_all_nine_kinds() -> None:
    assert len(ERROR_KINDS) == 9
    assert {type(e) for e, *_ in ERRORS} == set(ERROR_KINDS)
    assert len({kind for _, _, kind, _ in ERRORS}) == 9


@pytest.mark.parametrize(("error", "message", "kind", "provider"), ERRORS)
def test_message_kind_and_provider(
    error: RouterError, message: str, kind: str, provider: str | None
) -> None:
    assert str(error) == message
    assert error.args == (message,)
    assert error.kind == kind
    assert error.provider_name == provider
    if not isinstance(error, ProviderError):
        assert error.error_type() == kind


@pytest.mark.parametrize(("error", "message", "kind", "provider"), ERRORS)
def test_errors_can_be_raised_and_caught_as_router_errors(
    error: RouterError, message: str, kind: str, provider: str | None
) -> None:
    with pytest.raises(RouterError, match=message):
        raise error


@pytest.mark.parametrize(("error", "message", "kind", "provider"), ERRORS)
def test_errors_are_immutable_values(
    error: RouterError, message: str, kind: str, provider: str | None
) -> None:
    with pytest.raises(AttributeError):
        error.message = "changed"  # type: ignore[misc]
    # Values that cross process boundaries (multiprocessing, QueueHandler) and copy.
    rebuilt = pickle.loads(pickle.dumps(error))
    assert rebuilt == error
    assert str(rebuilt) == message
    assert copy.deepcopy(error) == error
    assert hash(type(error)(**_fields(error))) == hash(error)
    assert type(error)(**_fields(error)) == error


def _fields(error: RouterError) -> dict[str, object]:
    from dataclasses import fields

    return {f.name: getattr(error, f.name) for f in fields(error)}  # type: ignore[arg-type]


def test_errors_of_different_kinds_or_values_differ() -> None:
    assert Transport("openai", "x") != Cancelled("openai", "x")
    assert Transport("openai", "x") != Transport("openai", "y")
    assert Transport("openai", "x") != "transport failure: x"


@pytest.mark.parametrize(
    ("context", "error_type"),
    [
        (ProviderErrorContext(), "provider"),
        (ProviderErrorContext(status_code=503), "503"),
        (ProviderErrorContext(status_code=429, code="rate_limit_exceeded"), "rate_limit_exceeded"),
        (
            ProviderErrorContext(status_code=400, error_type="invalid_request_error", code="bad"),
            "bad",  # the code is more precise than the type (docs/semconv.md, error.type)
        ),
        (
            ProviderErrorContext(
                status_code=429, error_type="requests", code="rate_limit_exceeded"
            ),
            "rate_limit_exceeded",
        ),
        (
            ProviderErrorContext(status_code=429, error_type="RESOURCE_EXHAUSTED", code="429"),
            "RESOURCE_EXHAUSTED",
        ),
        (ProviderErrorContext(status_code=503, code="503"), "503"),
        (
            ProviderErrorContext(
                status_code=429, body={"error": {"code": "rate_limit_exceeded", "type": "requests"}}
            ),
            "rate_limit_exceeded",
        ),
        (ProviderErrorContext(error_type="overloaded_error"), "overloaded_error"),
        (ProviderErrorContext(error_type="", code="", status_code=500), "500"),
    ],
)
def test_provider_error_type_prefers_what_the_provider_said(
    context: ProviderErrorContext, error_type: str
) -> None:
    assert ProviderError("openai", "boom", context).error_type() == error_type


def test_python_may_still_attach_traceback_and_context() -> None:
    try:
        try:
            raise ValueError("inner")
        except ValueError:
            raise Transport("openai", "outer") from None
    except Transport as caught:
        assert caught.__traceback__ is not None
        assert caught.__suppress_context__ is True
