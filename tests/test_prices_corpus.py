"""Every call of the recorded wire corpus, priced through the real hook from genai-prices.

The instrumentor is configured only from the environment (no price file: pricing is on by default
with the ``prices`` extra installed); each recorded exchange is served by a loopback server and sent
with a plain httpx2 client. The cost on the span must be ``genai_prices.calc_price``'s own result
for the usage the recording implies (derived from the body by ``tests.support.wire_corpus``, not by
our parsers), the model it names (response model, else request model), the provider's database id
and the time the call started. A call whose model the database does not know must have no cost.
The coverage (which of the corpus's models got a price) is checked against the list below.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timezone
from typing import Any, Optional

import httpx2
import pytest

from tests.support.corpus_expectations import FORMAT_OF
from tests.support.scripted_server import CORPUS, ScriptedServer, corpus_reply
from tests.support.wire_corpus import Entry, entry_paths, expected

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="genai-prices (the 'prices' extra) needs Python >= 3.11"
)

ENTRIES = [p.name for p in entry_paths()]


def _request_model(entry: dict[str, Any]) -> Optional[str]:
    if entry["format"] == "gemini_generate_content":
        found = re.search(r"/models/([^/:]+):", entry["request"]["path"])
        return found.group(1) if found else None
    return entry["request"]["body"].get("model")


def _usage_of(entry: dict[str, Any]) -> Any:
    exp = expected(Entry("", entry))
    if entry["response"]["status"] >= 400 or (
        exp.input_tokens is None and exp.output_tokens is None
    ):
        return exp, None
    from opentelemetry.instrumentation.llm_router._genai import TokenCounts

    return exp, TokenCounts(
        exp.input_tokens, exp.output_tokens, exp.cache_read, exp.cache_creation, exp.reasoning
    )


def library_price(
    provider: str, models: list[Optional[str]], usage: Any, when: datetime, tier: Optional[str]
) -> Optional[float]:
    """``calc_price`` for the first of ``models`` the database knows; ``None`` if it knows none."""
    from genai_prices import calc_price

    from opentelemetry.instrumentation.llm_router._prices_db import (
        database_provider_id,
        genai_usage,
    )

    provider_id = database_provider_id(provider)
    if provider_id is None:
        return None
    for model in models:
        if not model:
            continue
        try:
            return float(
                calc_price(
                    genai_usage(usage),
                    model,
                    provider_id=provider_id,
                    genai_request_timestamp=when,
                    price_context={"service_tier": tier} if tier else None,
                ).total_price
            )
        except LookupError:
            continue
    return None


def _send(entry: dict[str, Any], url: str) -> None:
    request = entry["request"]
    body = json.dumps(request["body"]).encode()
    with httpx2.Client() as client:
        if entry["stream"]:
            with client.stream("POST", url + request["path"], content=body) as response:
                for _ in response.iter_bytes():
                    pass
        else:
            client.post(url + request["path"], content=body)


@pytest.mark.parametrize("name", ENTRIES)
def test_corpus_call_is_priced_as_genai_prices_prices_it(
    name: str, instrument: Any, span_exporter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_PYTHON_LLM_ROUTER_PRICING_FILE", raising=False)
    monkeypatch.delenv("OTEL_PYTHON_LLM_ROUTER_PRICING", raising=False)
    entry = json.loads((CORPUS / name).read_text())
    exp, usage = _usage_of(entry)
    with ScriptedServer(corpus_reply(entry)) as server:
        instrument(f"{server.host_port}={entry['provider']}/{FORMAT_OF[entry['format']]}")
        _send(entry, server.url)
    (span,) = span_exporter.get_finished_spans()
    attributes = dict(span.attributes)
    if usage is None:
        assert "llm_router.cost.usd" not in attributes
        return
    when = datetime.fromtimestamp(span.start_time / 1e9, timezone.utc)
    tier = attributes.get("openai.response.service_tier")
    want = library_price(
        entry["provider"], [exp.response_model, _request_model(entry)], usage, when, tier
    )
    got = attributes.get("llm_router.cost.usd")
    if want is None:
        assert got is None
        return
    assert got == pytest.approx(want, rel=1e-9, abs=1e-15)
    assert attributes["llm_router.cost.source"] == "genai-prices"
    assert attributes["llm_router.cost.prices"].startswith("genai-prices ")


def _coverage() -> tuple[dict[str, bool], int, int]:
    """(model -> priced?) over the corpus's calls with usage, and (priced calls, calls)."""
    models: dict[str, bool] = {}
    calls = priced = 0
    when = datetime(2026, 11, 29, tzinfo=timezone.utc)
    for path in entry_paths():
        entry = json.loads(path.read_text())
        exp, usage = _usage_of(entry)
        if usage is None:
            continue
        calls += 1
        found = library_price(
            entry["provider"], [exp.response_model, _request_model(entry)], usage, when, None
        )
        model = exp.response_model or _request_model(entry) or "?"
        models[model] = found is not None
        priced += found is not None
    return models, priced, calls


def test_corpus_coverage() -> None:
    """How many of the corpus's models (and calls) genai-prices prices: every one, today."""
    models, priced, calls = _coverage()
    unpriced = sorted(model for model, known in models.items() if not known)
    print(
        f"\ncorpus coverage: {sum(models.values())} of {len(models)} models, "
        f"{priced} of {calls} calls with usage priced; unpriced: {unpriced or 'none'}"
    )
    assert calls >= 25
    assert unpriced == []
