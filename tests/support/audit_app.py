"""Requests from every source, for the audit-record test: ``python tests/support/audit_app.py``
under ``opentelemetry-instrument`` (the global providers, the hook and the LiteLLM adapter come
from the environment). Prints a JSON summary of what it sent.

Environment: ``FAKE_OPENAI_BASE`` (the fake provider's OpenAI base URL), ``AUDIT_SECRET`` (an API
key that must never reach telemetry), ``AUDIT_PROMPT`` (message text that must not either).
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime, timezone
from typing import Any

import httpx

from opentelemetry.instrumentation.llm_router import (
    CallerContext,
    EventMeta,
    ForwardEventRecorder,
    InputTokens,
    LanguageModelUsage,
    OTelObserver,
    OutputTokens,
    ProviderError,
    ProviderErrorContext,
    RequestCompleted,
    RequestContext,
    RequestFailureEvent,
    RequestStarted,
    RequestSuccessEvent,
    TokenUsage,
)

BASE = os.environ["FAKE_OPENAI_BASE"]
SECRET = os.environ["AUDIT_SECRET"]
PROMPT = os.environ["AUDIT_PROMPT"]


def hook(n: int) -> list[str]:
    """Plain httpx calls to the provider: the hook's source. One in four fails (429)."""
    models = []
    with httpx.Client(timeout=30) as client:
        for i in range(n):
            model = "error-429" if i % 4 == 3 else "gpt-4o-mini"
            client.post(
                f"{BASE}/chat/completions",
                headers={"Authorization": f"Bearer {SECRET}"},
                json={"model": model, "messages": [{"role": "user", "content": PROMPT}]},
            )
            models.append(model)
    return models


def observer(n: int) -> list[str]:
    observer = OTelObserver()
    accounts = []
    for i in range(n):
        caller = CallerContext(f"acct-{i % 3}", budget=1_000_000)
        ctx = RequestContext("fast", "openai", "gpt-4o-mini", caller, latency_ms=12)
        if i % 5 == 4:
            error = ProviderError(
                "openai", f"quota {SECRET}", ProviderErrorContext(429, "rate_limit_exceeded")
            )
            observer.record_failure(RequestFailureEvent(ctx, error))
        else:
            usage = LanguageModelUsage(InputTokens(total=100 + i), OutputTokens(total=20))
            observer.record_success(RequestSuccessEvent(ctx, usage))
        accounts.append(caller.account_id or "")
    return accounts


def forward(n: int) -> list[str]:
    recorder = ForwardEventRecorder()
    ids = []
    for i in range(n):
        request_id = f"req-{i}"
        now = datetime.now(timezone.utc)
        started = RequestStarted(
            EventMeta(f"s{i}", now), request_id, "openai.chat_completions", "gpt-4o-mini", False
        )
        usage = TokenUsage(10, 5, 15)
        completed = RequestCompleted(
            EventMeta(f"c{i}", now), request_id, 200, "success", usage, 30, None
        )
        recorder.record(started)
        recorder.record(completed)
        ids.append(request_id)
    recorder.close()
    return ids


async def litellm_proxy(n: int) -> list[str]:
    """Requests as LiteLLM's proxy makes them (its hooks around a ``litellm.Router`` call), with
    the adapter that OTEL_PYTHON_LLM_ROUTER_LITELLM=true registered; the last one is retried
    three times and fails, so upstream attempts outnumber requests."""
    import litellm
    from litellm.proxy._types import UserAPIKeyAuth

    from opentelemetry.instrumentation.llm_router.litellm import callback

    def deployment(group: str, model: str) -> dict[str, Any]:
        params = {"model": f"openai/{model}", "api_base": BASE, "api_key": SECRET}
        return {"model_name": group, "litellm_params": params}

    router = litellm.Router(
        model_list=[deployment("gpt-fake", "gpt-4o-mini"), deployment("always-429", "error-429")],
        num_retries=2,
        retry_after=0,
    )
    ids = []
    for i in range(n):
        caller = UserAPIKeyAuth(api_key=SECRET, key_alias="team-a-key", team_id="team-a")
        model = "always-429" if i == n - 1 else "gpt-fake"
        data = {
            "model": model,
            "messages": [{"role": "user", "content": PROMPT}],
            "litellm_call_id": f"call-{i}",
        }
        await callback.async_pre_call_hook(caller, None, data, "acompletion")
        try:
            response = await router.acompletion(**data)
            await callback.async_post_call_success_hook(data, caller, response)
        except Exception as exc:
            await callback.async_post_call_failure_hook(data, exc, caller)
        ids.append(data["litellm_call_id"])
    await asyncio.sleep(1.0)  # LiteLLM reports successes from background tasks
    return ids


if __name__ == "__main__":
    counts = {"hook": 8, "observer": 10, "forward": 6, "litellm": 3}
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    summary = {
        "hook": hook(counts["hook"]),
        "observer": observer(counts["observer"]),
        "forward": forward(counts["forward"]),
        "litellm": asyncio.run(litellm_proxy(counts["litellm"])),
    }
    print(json.dumps(summary))
