"""Virtual keys for the test proxy, without a database: LiteLLM's documented ``custom_auth`` hook.

A real deployment keeps keys, teams and budgets in LiteLLM's database; the test proxy runs with
none, so this function answers as the database would for two keys. LiteLLM hashes the key it is
given here (``UserAPIKeyAuth`` keeps only the SHA-256); the adapter must export nothing else.
"""

from fastapi import Request
from litellm.proxy._types import ProxyErrorTypes, ProxyException, UserAPIKeyAuth

KEYS = {
    # a team member's key with its own budget: 50 USD per 30 days, 12.5 spent
    "sk-team-a-0f1e2d3c4b5a69788796": dict(
        key_alias="team-a-app",
        team_id="team-a",
        user_id="alice",
        org_id="org-1",
        max_budget=50.0,
        spend=12.5,
        budget_duration="30d",
    ),
    # a key without a budget of its own, in a team that has one
    "sk-team-b-99aa88bb77cc66dd55ee": dict(
        team_id="team-b",
        user_id="bob",
        team_max_budget=100.0,
        team_spend=40.0,
    ),
}


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    fields = KEYS.get(api_key)
    if fields is None:
        raise ProxyException(
            message="unknown key", type=ProxyErrorTypes.auth_error, param="api_key", code=401
        )
    return UserAPIKeyAuth(api_key=api_key, **fields)
