"""What LiteLLM knows about a proxy request, read into our router events.

Everything here reads plain attributes and dict keys, so it needs no LiteLLM import and tolerates
the small differences between LiteLLM releases: a missing field is ``None``, never an error.

Secrets: LiteLLM's auth object carries the key only as its SHA-256 hash (``token`` / ``api_key``),
and the master key as the literal ``litellm_proxy_master_key``. We take a value as the key's id
only in one of those two shapes; anything else is hashed here before use, so a raw key that a
custom auth function left in place never reaches telemetry.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any, Mapping, Optional

from opentelemetry.instrumentation.llm_router._genai._error_type import (
    TRANSPORT,
    transport_error_type,
)
from opentelemetry.instrumentation.llm_router._litellm._errors import (
    no_answer,
    provider_answer,
    stream_exception_type,
    wire_answer,
)
from opentelemetry.instrumentation.llm_router._observe import (
    BudgetRange,
    CallerContext,
    InputTokens,
    LanguageModelUsage,
    OutputTokens,
)
from opentelemetry.instrumentation.llm_router._redact import DEFAULT as DEFAULT_REDACTOR
from opentelemetry.instrumentation.llm_router._redact import Redactor, named_credentials
from opentelemetry.instrumentation.llm_router._router_error import (
    AccessDenied,
    Cancelled,
    InvalidRequest,
    InvalidResponse,
    ProviderError,
    ProviderErrorContext,
    ResponseDecode,
    RouterError,
    Transport,
    UnsupportedFeature,
)

MASTER_KEY_ID = "litellm_proxy_master_key"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_DURATION = re.compile(r"\s*(\d+)\s*(mo|s|m|h|d|w)\s*", re.IGNORECASE)
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "mo": 2_592_000}

# LiteLLM call types -> gen_ai.operation.name; other call types (images, audio, files, MCP, ...)
# are not model calls we map, and get no router span.
OPERATIONS: dict[str, str] = {
    "completion": "chat",
    "acompletion": "chat",
    "text_completion": "text_completion",
    "atext_completion": "text_completion",
    "embedding": "embeddings",
    "aembedding": "embeddings",
    "responses": "chat",
    "aresponses": "chat",
    "anthropic_messages": "chat",
    "generate_content": "generate_content",
    "agenerate_content": "generate_content",
}


def key_id(value: Any) -> Optional[str]:
    """The id of the key LiteLLM authenticated: its SHA-256 hash, never the key itself."""
    if not isinstance(value, str) or not value:
        return None
    if value == MASTER_KEY_ID or _SHA256_HEX.fullmatch(value):
        return value
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def duration_seconds(value: Any) -> Optional[int]:
    """LiteLLM's ``budget_duration`` (``30s``, ``10m``, ``24h``, ``30d``, ``2w``, ``1mo``) in seconds.

    A month counts as 30 days (LiteLLM resets on the calendar date; the window is about that).
    """
    if not isinstance(value, str):
        return None
    match = _DURATION.fullmatch(value)
    if match is None:
        return None
    return int(match.group(1)) * _DURATION_SECONDS[match.group(2).lower()]


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> Optional[float]:
    """A finite number as a float; anything else (NaN, infinities, ints beyond a float) None."""
    return finite(value)


def finite(value: Any) -> Optional[float]:
    """``value`` as a finite float, or ``None``: LiteLLM's numbers (costs, budgets, spend) are
    loosely typed, and NaN or an infinity would break the arithmetic on them or be exported."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond a float
        return None
    return number if math.isfinite(number) else None


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one (LiteLLM's payload, its metadata)."""
    return value if isinstance(value, Mapping) else {}


class Budget:
    """One LiteLLM budget: whose it is, its limit and spend in USD, and its reset window."""

    __slots__ = ("duration_s", "max_usd", "owner", "spend_usd")

    def __init__(
        self, owner: str, max_usd: float, spend_usd: Optional[float], duration_s: Optional[int]
    ) -> None:
        self.owner = owner
        self.max_usd = max_usd
        self.spend_usd = spend_usd
        self.duration_s = duration_s

    def spent_micro_usd(self, extra_usd: float = 0.0) -> Optional[int]:
        if self.spend_usd is None:
            return None
        spent = finite((self.spend_usd + extra_usd) * 1_000_000)
        return None if spent is None else round(spent)

    def used_fraction(self, extra_usd: float = 0.0) -> Optional[float]:
        if self.spend_usd is None or self.max_usd <= 0:
            return None
        return finite((self.spend_usd + extra_usd) / self.max_usd)


def budget_of(auth: Any) -> Optional[Budget]:
    """The most specific budget LiteLLM enforces for this caller: key, then team, user, end user,
    organisation (LiteLLM checks all of them; the key's is the one a caller hits first)."""
    candidates = (
        ("key", "max_budget", "spend", "budget_duration"),
        ("team", "team_max_budget", "team_spend", None),
        ("user", "user_max_budget", "user_spend", None),
        ("end_user", "end_user_max_budget", None, None),
        ("org", "organization_max_budget", None, None),
    )
    for owner, max_field, spend_field, duration_field in candidates:
        limit = _number(getattr(auth, max_field, None))
        if limit is None:
            continue
        spend = _number(getattr(auth, spend_field, None)) if spend_field else None
        duration = duration_seconds(getattr(auth, duration_field, None)) if duration_field else None
        return Budget(owner, limit, spend, duration)
    return None


class Caller:
    """Who LiteLLM authenticated: the account (hashed key) and the identities around it."""

    __slots__ = ("budget", "context", "end_user_id", "name", "org_id", "team_id", "user_id")

    def __init__(self, auth: Any) -> None:
        self.budget = budget_of(auth)
        models = getattr(auth, "models", None)
        budget = self.budget
        self.context = CallerContext(
            account_id=key_id(getattr(auth, "token", None) or getattr(auth, "api_key", None)),
            models=tuple(str(m) for m in models)
            if isinstance(models, (list, tuple)) and models
            else None,
            budget=_micro_usd(budget.max_usd) if budget is not None else None,
            budget_scope="account" if budget is not None else None,
            budget_range=(
                BudgetRange.duration(budget.duration_s)
                if budget is not None and budget.duration_s is not None
                else None
            ),
        )
        self.name = _text(getattr(auth, "key_alias", None))
        self.team_id = _text(getattr(auth, "team_id", None))
        self.user_id = _text(getattr(auth, "user_id", None))
        self.org_id = _text(getattr(auth, "org_id", None))
        self.end_user_id = _text(getattr(auth, "end_user_id", None))


def _micro_usd(usd: float) -> Optional[int]:
    micro = finite(usd * 1_000_000)
    return None if micro is None else round(micro)


def caller_from_metadata(metadata: Mapping[str, Any]) -> Caller:
    """The caller as LiteLLM's logging payload states it (``user_api_key_*``), for requests whose
    auth object we did not see (LiteLLM used as a library, or a request begun before us)."""

    class _Auth:
        token = metadata.get("user_api_key_hash")
        key_alias = metadata.get("user_api_key_alias")
        team_id = metadata.get("user_api_key_team_id")
        user_id = metadata.get("user_api_key_user_id")
        org_id = metadata.get("user_api_key_org_id")
        end_user_id = metadata.get("user_api_key_end_user_id")
        max_budget = metadata.get("user_api_key_max_budget")
        spend = metadata.get("user_api_key_spend")
        team_max_budget = metadata.get("user_api_key_team_max_budget")
        team_spend = metadata.get("user_api_key_team_spend")
        user_max_budget = metadata.get("user_api_key_user_max_budget")
        user_spend = metadata.get("user_api_key_user_spend")

    return Caller(_Auth())


def _get(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def _count(value: Any) -> Optional[int]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def usage_of(usage: Any) -> LanguageModelUsage:
    """LiteLLM's OpenAI-shaped ``usage`` (object or dict) as our breakdown.

    ``prompt_tokens`` includes cached tokens (read: ``prompt_tokens_details.cached_tokens``,
    written: ``cache_creation_input_tokens``); ``completion_tokens`` includes reasoning tokens.
    """
    if usage is None:
        return LanguageModelUsage()
    prompt_details = _get(usage, "prompt_tokens_details")
    completion_details = _get(usage, "completion_tokens_details")
    cache_read = _count(_get(prompt_details, "cached_tokens")) if prompt_details else None
    if cache_read is None:
        cache_read = _count(_get(usage, "cache_read_input_tokens"))
    return LanguageModelUsage(
        InputTokens(
            total=_count(_get(usage, "prompt_tokens")),
            cache_read=cache_read,
            cache_write=_count(_get(usage, "cache_creation_input_tokens")),
        ),
        OutputTokens(
            total=_count(_get(usage, "completion_tokens")),
            reasoning=(
                _count(_get(completion_details, "reasoning_tokens")) if completion_details else None
            ),
        ),
    )


_BEDROCK_ROUTES = frozenset(
    (
        "converse",
        "converse_like",
        "invoke",
        "async_invoke",
        "chat_completions",
        "openai",
        "mantle",
        "claude_platform",
        "nova",
        "nova-2",
    )
)
"""LiteLLM's Bedrock route segments (``bedrock/converse/<id>``, ``bedrock/invoke/<id>``, ...):
they choose the API LiteLLM calls and are not part of the model id it sends."""


def split_model(model: Any, provider: Optional[str]) -> Optional[str]:
    """``openai/gpt-4o-mini`` -> ``gpt-4o-mini`` when the prefix is the provider; for Bedrock
    also LiteLLM's route segment (``converse/amazon.nova-lite-v1:0`` -> ``amazon.nova-lite-v1:0``),
    so the model is the one in the request's path."""
    if not isinstance(model, str) or not model:
        return None
    if provider and model.startswith(provider + "/"):
        model = model[len(provider) + 1 :]
    if provider == "bedrock":
        route, slash, rest = model.partition("/")
        if slash and rest and route in _BEDROCK_ROUTES:
            return rest
    return model


def deployment_of(metadata: Any) -> tuple[Optional[str], Optional[str]]:
    """Provider and model of the deployment LiteLLM's router picked (``metadata.deployment``,
    e.g. ``openai/gpt-4o-mini``), as far as the request's metadata says."""
    if not isinstance(metadata, Mapping):
        return None, None
    deployment = metadata.get("deployment")
    if not isinstance(deployment, str) or "/" not in deployment:
        return None, _text(deployment)
    provider, _, model = deployment.partition("/")
    return provider, model


def status_of(exc: BaseException) -> Optional[int]:
    """The HTTP status an exception stands for (LiteLLM's ``status_code``, the proxy's ``code``)."""
    for name in ("status_code", "code"):
        value = getattr(exc, name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


_TRANSPORT = {"Timeout", "APIConnectionError", "TimeoutError", "ConnectError", "ReadTimeout"}
_ACCESS = {"BudgetExceededError"}
# The proxy's own refusals (``ProxyException.type``, LiteLLM's ``ProxyErrorTypes``), whatever
# HTTP status LiteLLM gives them: a virtual key on a proxy without a database is answered
# ``400 "No connected db."``, a key missing from the database 401, a spent budget 400 or 429.
_REFUSALS = {
    "auth_error",
    "no_db_connection",
    "token_not_found_in_db",
    "expired_key",
    "budget_exceeded",
    "team_member_permission_error",
}


def is_refusal(exc: BaseException) -> bool:
    """Whether LiteLLM's proxy refused the caller itself (key, budget, model or tool access)."""
    if type(exc).__name__ != "ProxyException":
        return False
    kind = getattr(exc, "type", None)
    kind = getattr(kind, "value", kind)  # a ProxyErrorTypes member or its string
    return isinstance(kind, str) and (kind in _REFUSALS or kind.endswith("_access_denied"))


def request_redactor(
    data: Mapping[str, Any], capture_content: bool, *details: Mapping[str, Any]
) -> Redactor:
    """The redaction step for one request's error text, from all LiteLLM tells us of it: the
    credentials in the request (``data``: the proxy's request, or the library call's details) and
    in LiteLLM's details of each attempt (``details``: ``api_key``, ``litellm_params``, the
    headers sent), and with content capture off the request's own text (a provider's 401 may echo
    the upstream key, its 400 repeat the prompt). The knowledge-free rules apply always."""
    credentials: list[str] = []
    for mapping in (data, *details):
        if isinstance(mapping, Mapping):
            credentials.extend(named_credentials(mapping, _CREDENTIAL_CONTAINERS))
    request = None
    content = {k: data[k] for k in _CONTENT_FIELDS if k in data}
    if content and not capture_content:
        try:  # plain JSON values (LiteLLM may hand over message objects)
            request = json.loads(json.dumps(content, default=str))
        except (TypeError, ValueError, RecursionError):
            request = None
    if not credentials and request is None:
        return DEFAULT_REDACTOR
    return Redactor.for_request(credentials, request, capture_content)


_CREDENTIAL_CONTAINERS = (
    "litellm_params",
    "additional_args",
    "headers",
    "extra_headers",
    "optional_params",
    "proxy_server_request",
)
"""Where LiteLLM keeps credential-named values of a call (``litellm_params.api_key``,
``additional_args.headers.Authorization``, ``proxy_server_request.headers``)."""
_CONTENT_FIELDS = ("messages", "input", "prompt", "system", "instructions")


def router_error(
    exc: BaseException,
    provider: Optional[str],
    attempts: int,
    redactor: Redactor = DEFAULT_REDACTOR,
) -> RouterError:
    """LiteLLM's exception as one of our error kinds.

    The message goes through the same redaction step as every other error text (``redactor``);
    for access denials it is not used at all (LiteLLM's auth messages quote the refused key).
    """
    name = type(exc).__name__
    status = status_of(exc)
    if name == "CancelledError":
        return Cancelled(provider, "the request was cancelled")
    if name in _ACCESS or is_refusal(exc) or (status in (401, 403, 429) and attempts == 0):
        # Refused by the proxy itself: bad key, budget spent, the key's own rate limit; told by
        # what LiteLLM says it refused, not by the status code it chose.
        return AccessDenied(f"{name} ({status})" if status else name)
    raw = str(getattr(exc, "message", None) or exc)
    message = redactor(raw) or name
    gone = no_answer(exc) or (TRANSPORT if name in _TRANSPORT else None)
    if gone is not None:  # no answer, whatever class LiteLLM gave it (see _errors)
        same = transport_error_type(message) == gone
        return Transport(provider, message if same else f"{gone}: {message}")
    if name == "UnsupportedParamsError":
        return UnsupportedFeature(provider or "litellm", "a request parameter", message)
    if name == "APIResponseValidationError":
        return InvalidResponse(provider, message)
    if name == "JSONDecodeError":
        return ResponseDecode(provider, message)
    if attempts == 0 and (status is None or 400 <= status < 500):
        # Refused before any upstream call: unknown model group, malformed body.
        return InvalidRequest(provider, message)
    # What the provider said (its body, its real status), not LiteLLM's class or remapped status:
    # error.type follows the rule every source follows (_genai/_error_type).
    # The answer itself, read by the provider's wire format as the hook reads it, wins: the
    # adapter's error.type is the hook's for the same call (Bedrock's x-amzn-ErrorType included).
    wire_status, wire_type = wire_answer(exc, provider)
    if wire_type is None:
        wire_type = stream_exception_type(exc)
    if wire_type is not None:
        context = ProviderErrorContext(status_code=wire_status or status, error_type=wire_type)
        return ProviderError(provider, message, context)
    real_status, body = provider_answer(exc, raw)
    return ProviderError(
        provider, message, ProviderErrorContext(status_code=real_status or status, body=body)
    )
