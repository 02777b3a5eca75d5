"""Pricing table: what an LLM call cost in USD, from a price file the user supplies.

Nothing here knows a price. Prices change every few months and differ by contract, so a built-in
table would be wrong sooner or later and wrong silently; instead the user points
``OTEL_PYTHON_LLM_ROUTER_PRICING_FILE`` at a JSON or YAML file (or builds a table in code), and a
call whose provider and model are not in it gets no cost at all rather than a guessed one.

A price file is read once, at start-up. A broken one must not stop the application or the rest of
the telemetry, so every problem in it is collected and reported in ONE ``logging.warning`` naming
the file, the entry and the problem; the good entries still load (``strict=True`` raises instead,
for code that prefers to fail fast).

File shape (rates are USD per million tokens; keys starting with ``_`` are metadata or comments)::

    {
      "_source": "https://openai.com/api/pricing/",
      "_date": "2026-11-23",
      "prices": {
        "openai": {
          "gpt-4o*": {"input": 2.5, "cache_read_input": 1.25, "output": 10.0}
        },
        "*": {"llama-3.1-8b*": {"input": 0.05, "output": 0.08}}
      }
    }
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Mapping, Optional, Union

from opentelemetry.instrumentation.llm_router._genai import TokenCounts
from opentelemetry.instrumentation.llm_router._provider_names import provider_name

_logger = logging.getLogger(__name__)

PRICING_FILE_ENV = "OTEL_PYTHON_LLM_ROUTER_PRICING_FILE"
"""Environment variable naming the price file (``.json``, ``.yaml`` or ``.yml``)."""

ANY_PROVIDER = "*"
_PRICES_KEY = "prices"
_TOKENS_PER_RATE = 1_000_000  # rates are USD per million tokens
_LOOKUP_CACHE_SIZE = 4096  # (provider, model) pairs remembered; a router sees few distinct ones

RATE_KEYS: tuple[str, ...] = (
    "input",
    "cache_read_input",
    "cache_write_input",
    "output",
    "reasoning_output",
)
_REQUIRED_RATES: tuple[str, ...] = ("input", "output")


MAX_RATE = 1_000_000.0
"""The highest rate a price file may give, in USD per million tokens (a dollar a token, over a
thousand times the dearest list price). With every rate at most this and token counts within
``u64``, no cost can overflow to infinity: 5 buckets x 2**64 tokens x 1 USD is about 9.2e19."""


class PricingError(ValueError):
    """A price file or mapping that cannot be used as given (raised only with ``strict=True``)."""


@dataclass(frozen=True)
class ModelPrice:
    """Rates of one model in USD per million tokens.

    ``input`` is the rate of uncached input tokens and ``output`` of text output tokens. The
    specific rates are optional: a missing one means those tokens are billed at the base rate
    (cache reads and writes at ``input``, reasoning at ``output``), which is how providers without
    a separate price bill them (OpenAI charges no cache-write premium; OpenAI and Gemini bill
    reasoning as output).
    """

    input: float
    output: float
    cache_read_input: Optional[float] = None
    cache_write_input: Optional[float] = None
    reasoning_output: Optional[float] = None

    def cost(self, usage: TokenCounts) -> float:
        """USD for ``usage``: each known token bucket times its own rate.

        Input tokens include cache reads and writes and output tokens include reasoning (the
        GenAI meanings), so the uncached and text parts are what remains after subtracting the
        known parts; only totals known means all input is uncached and all output is text. A part
        larger than its total (an inconsistent report) leaves the remainder at zero, never below.
        Counts too large to multiply as floats (beyond about 1e302) give ``math.inf``, which
        every caller that exports a cost refuses.
        """
        cache_read = usage.cache_read_input_tokens or 0
        cache_write = usage.cache_creation_input_tokens or 0
        reasoning = usage.reasoning_output_tokens or 0
        uncached = max((usage.input_tokens or 0) - cache_read - cache_write, 0)
        text = max((usage.output_tokens or 0) - reasoning, 0)
        read_rate = self.input if self.cache_read_input is None else self.cache_read_input
        write_rate = self.input if self.cache_write_input is None else self.cache_write_input
        reasoning_rate = self.output if self.reasoning_output is None else self.reasoning_output
        try:
            return (
                uncached * self.input
                + cache_read * read_rate
                + cache_write * write_rate
                + text * self.output
                + reasoning * reasoning_rate
            ) / _TOKENS_PER_RATE
        except OverflowError:  # an int beyond float range times a rate
            return math.inf


@dataclass(frozen=True)
class _Pattern:
    """A glob model pattern with the keys that order it against the others that match."""

    pattern: str
    price: ModelPrice
    literal_chars: int
    wildcards: int
    position: int

    @property
    def rank(self) -> tuple[int, int, int]:
        # More literal characters = more specific; then fewer wildcards; then first in the file.
        return (-self.literal_chars, self.wildcards, self.position)


class _ProviderPrices:
    """The models of one provider: exact names in a dict, glob patterns most specific first."""

    __slots__ = ("exact", "patterns")

    def __init__(self) -> None:
        self.exact: dict[str, ModelPrice] = {}
        self.patterns: list[_Pattern] = []

    def add(self, model: str, price: ModelPrice) -> None:
        if _is_glob(model):
            literal = sum(1 for ch in model if ch not in "*?[]")
            wildcards = sum(1 for ch in model if ch in "*?[")
            self.patterns.append(_Pattern(model, price, literal, wildcards, len(self.patterns)))
            self.patterns.sort(key=lambda p: p.rank)
        else:
            self.exact[model] = price

    def find(self, model: str) -> Optional[ModelPrice]:
        found = self.exact.get(model)
        if found is not None:
            return found
        for pattern in self.patterns:
            if fnmatchcase(model, pattern.pattern):
                return pattern.price
        return None


class PricingTable:
    """Model prices per provider; :meth:`cost` is a ``CostFunction`` for ``TelemetrySettings``.

    Lookup order for a call's ``(provider, model)``, all case-insensitive:

    1. the provider's entries, then the ``"*"`` (any provider) entries;
    2. within each, an exact model name first, then the glob patterns (``*``, ``?``, ``[...]``)
       that match, the most specific winning: the most literal (non-wildcard) characters, then the
       fewest wildcards, then the one written first.

    So ``openai: gpt-4o-mini*`` beats ``openai: gpt-4o*`` for ``gpt-4o-mini-2024-07-18``, and any
    ``openai`` entry beats a ``*`` entry.
    """

    cost_source = "file"
    """The value of ``llm_router.cost.source`` for calls this table prices."""

    def __init__(self, metadata: Optional[Mapping[str, Any]] = None) -> None:
        self._providers: dict[str, _ProviderPrices] = {}
        self._lookups: dict[tuple[str, str], Optional[ModelPrice]] = {}
        self.metadata: dict[str, Any] = dict(metadata or {})
        """The file's ``_``-prefixed keys (``_source``, ``_date``, ...), for display only."""

    @property
    def prices_label(self) -> Optional[str]:
        """The file's ``_date`` (``llm_router.cost.prices`` on the calls it prices), if it has one."""
        date = self.metadata.get("_date")
        return str(date) if isinstance(date, (str, int)) or hasattr(date, "isoformat") else None

    def __len__(self) -> int:
        return sum(len(p.exact) + len(p.patterns) for p in self._providers.values())

    def __repr__(self) -> str:
        return f"PricingTable({len(self)} prices, providers={sorted(self._providers)})"

    def add(
        self,
        provider: str,
        model: str,
        price: ModelPrice,
    ) -> None:
        """Add (or replace) the price of ``model`` (an exact name or a glob) at ``provider``."""
        key = _provider_key(provider)
        prices = self._providers.get(key)
        if prices is None:
            prices = self._providers[key] = _ProviderPrices()
        prices.add(model.strip().lower(), price)
        self._lookups.clear()

    def price_of(self, provider: str, model: Optional[str]) -> Optional[ModelPrice]:
        """The rates that apply to ``model`` at ``provider``, or ``None`` when none does."""
        if not model:
            return None
        key = (provider, model)
        try:
            return self._lookups[key]
        except KeyError:
            pass
        found = self._find(_provider_key(provider), model.strip().lower())
        if len(self._lookups) >= _LOOKUP_CACHE_SIZE:
            self._lookups.clear()
        self._lookups[key] = found
        return found

    def cost(self, provider: str, model: Optional[str], usage: TokenCounts) -> Optional[float]:
        """USD of one call, or ``None`` when the model has no price (nothing is guessed) or the
        cost is not a finite amount (counts beyond float range, rates given in code)."""
        price = self.price_of(provider, model)
        if price is None:
            return None
        usd = price.cost(usage)
        return usd if 0.0 <= usd < math.inf else None

    def _find(self, provider: str, model: str) -> Optional[ModelPrice]:
        for key in (provider, ANY_PROVIDER):
            prices = self._providers.get(key)
            if prices is not None:
                found = prices.find(model)
                if found is not None:
                    return found
        return None

    @classmethod
    def from_dict(
        cls,
        data: Any,
        *,
        source: str = "<pricing dict>",
        strict: bool = False,
    ) -> PricingTable:
        """A table from the parsed contents of a price file (see the module docstring).

        Problems (unknown keys, missing or negative rates, wrong types) are reported in one
        warning naming ``source``, each bad entry and its problem; the good entries are kept.
        With ``strict=True`` a :class:`PricingError` carrying the same text is raised instead.
        """
        problems: list[str] = []
        table = _parse(data, problems)
        if problems:
            _report(source, problems, strict)
        return table


def load_pricing(
    path: Union[str, os.PathLike[str]], *, strict: bool = False, source: Optional[str] = None
) -> PricingTable:
    """Read a price file (``.yaml``/``.yml`` as YAML, anything else as JSON).

    A file that cannot be read or parsed gives an empty table (which prices nothing) and one
    warning; ``strict=True`` raises :class:`PricingError` instead. ``source`` is how warnings
    name the file (default: its path), e.g. ``OTEL_PYTHON_LLM_ROUTER_PRICING_FILE=/etc/p.json``.
    """
    path = Path(path)
    label = source or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        _report(label, [f"cannot read the file: {error.strerror or error}"], strict)
        return PricingTable()
    try:
        data = _parse_text(text, path)
    except ImportError:
        _report(label, ["reading YAML needs PyYAML (pip install PyYAML)"], strict)
        return PricingTable()
    except Exception as error:  # each parser has its own error classes
        _report(label, [f"not valid {_format_name(path)}: {_one_line(error)}"], strict)
        return PricingTable()
    return PricingTable.from_dict(data, source=label, strict=strict)


def pricing_from_env(env: Optional[Mapping[str, str]] = None) -> Optional[PricingTable]:
    """The table named by ``OTEL_PYTHON_LLM_ROUTER_PRICING_FILE``, or ``None`` when it is unset.

    Never raises: a broken file is one warning, and whatever entries were good are used (``None``
    when none was).
    """
    if env is None:  # not a default argument: help() would render the environment
        env = os.environ
    path = env.get(PRICING_FILE_ENV, "").strip()
    if not path:
        return None
    try:
        table = load_pricing(path, source=f"{PRICING_FILE_ENV}={path}")
    except Exception:  # belt and braces: configuration must never break start-up
        _logger.warning("%s=%s: could not load the price file", PRICING_FILE_ENV, path)
        return None
    return table if len(table) else None


# ---------------------------------------------------------------------------------------------


def _parse(data: Any, problems: list[str]) -> PricingTable:
    if not isinstance(data, Mapping):
        problems.append(f"the top level must be a mapping, got {_type_name(data)}")
        return PricingTable()
    metadata = {k: v for k, v in data.items() if isinstance(k, str) and k.startswith("_")}
    table = PricingTable(metadata)
    for key in data:
        if not (isinstance(key, str) and (key.startswith("_") or key == _PRICES_KEY)):
            problems.append(f"unknown top-level key {key!r} (expected {_PRICES_KEY!r})")
    providers = data.get(_PRICES_KEY)
    if providers is None:
        problems.append(f"no {_PRICES_KEY!r} mapping of provider -> model -> rates")
        return table
    if not isinstance(providers, Mapping):
        problems.append(f"{_PRICES_KEY!r} must be a mapping, got {_type_name(providers)}")
        return table
    for provider, models in providers.items():
        if isinstance(provider, str) and provider.startswith("_"):
            continue
        if not isinstance(provider, str) or not provider.strip():
            problems.append(f"provider {provider!r}: the name must be a non-empty string")
            continue
        if not isinstance(models, Mapping):
            problems.append(
                f"provider {provider!r}: must map model names to rates, got {_type_name(models)}"
            )
            continue
        for model, rates in models.items():
            if isinstance(model, str) and model.startswith("_"):
                continue
            entry = f"{provider}/{model}"
            if not isinstance(model, str) or not model.strip():
                problems.append(f"entry {entry!r}: the model name must be a non-empty string")
                continue
            price = _parse_rates(rates, entry, problems)
            if price is not None:
                table.add(provider, model, price)
    return table


def _parse_rates(rates: Any, entry: str, problems: list[str]) -> Optional[ModelPrice]:
    if not isinstance(rates, Mapping):
        problems.append(f"entry {entry!r}: must be a mapping of rates, got {_type_name(rates)}")
        return None
    values: dict[str, float] = {}
    bad: list[str] = []
    for key, value in rates.items():
        if isinstance(key, str) and key.startswith("_"):
            continue
        if key not in RATE_KEYS:
            bad.append(f"unknown key {key!r} (known: {', '.join(RATE_KEYS)})")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            bad.append(f"{key} must be a number (USD per million tokens), got {value!r}")
        elif not value <= MAX_RATE or value < 0:  # NaN fails the first; no float() of 10**400
            bad.append(f"{key} must be a number from 0 to {MAX_RATE:.0f}, got {value!r}")
        else:
            values[key] = float(value) + 0.0  # -0.0 is 0.0
    missing = [key for key in _REQUIRED_RATES if key not in rates]
    if missing:
        bad.append(f"missing {' and '.join(missing)} (required; use 0 for a free bucket)")
    if bad:
        problems.append(f"entry {entry!r}: {'; '.join(bad)}")
        return None
    return ModelPrice(**values)


def _report(source: str, problems: list[str], strict: bool) -> None:
    message = f"price file {source}: " + (
        problems[0] if len(problems) == 1 else f"{len(problems)} problems: " + " | ".join(problems)
    )
    if strict:
        raise PricingError(message)
    _logger.warning("%s; entries with problems are skipped, no cost is computed for them", message)


def _parse_text(text: str, path: Path) -> Any:
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml  # optional: only needed for YAML price files

        return yaml.safe_load(text)
    return json.loads(text)


def _format_name(path: Path) -> str:
    return "YAML" if path.suffix.lower() in (".yaml", ".yml") else "JSON"


def _provider_key(provider: str) -> str:
    stripped = provider.strip()
    return ANY_PROVIDER if stripped == ANY_PROVIDER else provider_name(stripped)


def _is_glob(model: str) -> bool:
    return any(ch in model for ch in "*?[")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())
