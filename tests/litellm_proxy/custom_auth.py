"""Virtual keys for the test proxy, without a database: LiteLLM's documented ``custom_auth`` hook.

A real deployment keeps keys, teams and budgets in LiteLLM's database; the test proxy runs with
none, so this function answers as the database would for two keys. LiteLLM hashes the key it is
given here (``UserAPIKeyAuth`` keeps only the SHA-256); the adapter must export nothing else.

Every other ``sk-`` key except the refused one goes on to LiteLLM's own key checks (a custom auth
function that returns a string hands that key to them; LiteLLM's enterprise package, part of the
``proxy`` extra, makes this so): the master key is LiteLLM's master-key path, and any other key is
a virtual key, which a proxy without a database refuses with ``400 "No connected db."``. So one
proxy serves both key mechanisms: custom auth, and LiteLLM's own.
"""

from typing import Union

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


REFUSED_PREFIX = "sk-refused-"


async def user_api_key_auth(request: Request, api_key: str) -> Union[UserAPIKeyAuth, str]:
    fields = KEYS.get(api_key)
    if fields is not None:
        return UserAPIKeyAuth(api_key=api_key, **fields)
    if api_key.startswith(REFUSED_PREFIX) or not api_key.startswith("sk-"):
        raise ProxyException(
            message="unknown key", type=ProxyErrorTypes.auth_error, param="api_key", code=401
        )
    return api_key  # LiteLLM's own checks: the master key, else a virtual key (needs a database)
