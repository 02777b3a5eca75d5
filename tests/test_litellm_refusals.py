"""A caller the LiteLLM proxy refuses is ``access_denied``, whatever status code LiteLLM chose.

LiteLLM answers its own refusals with many statuses: ``400 "No connected db."`` for a virtual key
on a proxy without a database, 401 for an unknown key, 400 or 429 for a spent budget, 403 for a
model the key may not use. Every kind of ``ProxyException`` LiteLLM has (its ``ProxyErrorTypes``,
read from the installed release) is tried with every status; each kind must be listed below as a
refusal or not, so a kind a new release adds fails here until someone decides.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
os.environ.setdefault("LITELLM_TELEMETRY", "False")

from litellm.proxy._types import ProxyErrorTypes, ProxyException

from opentelemetry.instrumentation.llm_router._litellm import _payload

REFUSALS = {
    "auth_error",
    "no_db_connection",  # a key that is not the master key, and no database to look it up in
    "token_not_found_in_db",
    "expired_key",
    "budget_exceeded",
    "team_member_permission_error",
    "key_model_access_denied",
    "team_model_access_denied",
    "user_model_access_denied",
    "customer_model_access_denied",
    "org_model_access_denied",
    "project_model_access_denied",
    "agent_model_access_denied",
    "key_vector_store_access_denied",
    "team_vector_store_access_denied",
    "org_vector_store_access_denied",
    "user_vector_store_access_denied",
    "key_search_tool_access_denied",
    "team_search_tool_access_denied",
    "user_search_tool_access_denied",
    "tool_access_denied",
}
NOT_REFUSALS = {
    "auth_provider_unavailable",  # the identity provider is down: not the caller's fault
    "model_cost_map_missing",
    "internal_server_error",
    "bad_request_error",
    "not_found_error",
    "validation_error",
    "cache_ping_error",
    "team_member_already_in_team",
}
KINDS = [member.value for member in ProxyErrorTypes]
STATUSES = [400, 401, 403, 404, 429, 500, 503]


def test_every_kind_litellm_has_is_decided() -> None:
    undecided = set(KINDS) - REFUSALS - NOT_REFUSALS
    assert not undecided, f"LiteLLM has new ProxyErrorTypes; decide: {sorted(undecided)}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("as_member", [True, False], ids=["enum", "string"])
def test_a_refusal_is_access_denied_whatever_its_status(
    kind: str, status: int, as_member: bool
) -> None:
    exc = ProxyException(
        message=f"refused ({kind}) sk-caller-key-0123456789",
        type=ProxyErrorTypes(kind) if as_member else kind,
        param=None,
        code=status,
    )
    error = _payload.router_error(exc, None, attempts=0)
    # a refusal, or any 401/403/429 before an upstream call (the key's own limits): refused
    if kind in REFUSALS or status in (401, 403, 429):
        assert error.error_type() == "access_denied"
    else:
        assert error.error_type() != "access_denied"
    assert "sk-caller-key" not in str(error)


def test_a_provider_error_that_calls_itself_auth_error_is_not_our_refusal() -> None:
    """Only LiteLLM's proxy refusals count: a provider's own error type of the same name, after
    an upstream call, stays the provider's error."""

    class APIError(Exception):
        type = "auth_error"
        status_code = 400

    error = _payload.router_error(APIError("upstream says no"), "openai", attempts=1)
    assert error.error_type() != "access_denied"
