"""Which source prices a call: the user's price file, then the price database, then nothing.

:class:`Pricing` is the ``CallPricer`` every source (httpx hook, ``OTelObserver``,
``ForwardEventRecorder``) uses when its settings come from the environment. Order for a call:

1. the user's price file (``OTEL_PYTHON_LLM_ROUTER_PRICING_FILE``), for the response model, then
   for the request model: the user's rates (negotiated prices, self-hosted models at 0, a
   gateway's own model names) win wherever the file has an entry;
2. the ``genai-prices`` database, for the response model, then the request model, at the service
   tier the response reports and the prices in force when the call started;
3. otherwise no cost: nothing is guessed, and the first such call of each (provider, model) is
   logged once (INFO), so a missing price can be seen instead of silently reading as free.

``OTEL_PYTHON_LLM_ROUTER_PRICING`` chooses the sources: ``auto`` (default: the file if one is set,
and the database when ``genai-prices`` is installed), ``file`` (only the file) or ``off``.
``OTEL_PYTHON_LLM_ROUTER_PRICES_UPDATE`` lets the database fetch newer prices over the network
(``true``: hourly, or a number of seconds; from ``OTEL_PYTHON_LLM_ROUTER_PRICES_URL`` if set); it is
off by default, since many routers run without internet egress and a price that changes under a
running process should be a decision.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from typing import Mapping, Optional

from opentelemetry.instrumentation.llm_router._genai import Priced, TokenCounts
from opentelemetry.instrumentation.llm_router._prices_db import PricesDatabase, database_available
from opentelemetry.instrumentation.llm_router._pricing import PricingTable, pricing_from_env

_logger = logging.getLogger(__name__)

PRICING_ENV = "OTEL_PYTHON_LLM_ROUTER_PRICING"
"""``auto`` (default), ``file`` or ``off``: which price sources are used."""
PRICES_UPDATE_ENV = "OTEL_PYTHON_LLM_ROUTER_PRICES_UPDATE"
"""``false`` (default), ``true`` (hourly) or seconds: whether the database fetches newer prices."""

PRICES_URL_ENV = "OTEL_PYTHON_LLM_ROUTER_PRICES_URL"
"""Where updates are fetched from (default: the library's, on GitHub), e.g. an internal mirror."""

PRICING_MODES = ("auto", "file", "off")
DEFAULT_UPDATE_SECONDS = 3600.0
MIN_UPDATE_SECONDS = 60.0
_MAX_REPORTED_MISSES = 1000  # distinct unpriced (provider, model) pairs logged, then one notice


class Pricing:
    """Prices a call from the user's table, then the price database; ``None`` when neither knows.

    Args:
        file: the user's prices (:func:`load_pricing`), or ``None``.
        database: a ``PricesDatabase`` (``genai-prices``), or ``None``.
        report_misses: log the first unpriced call of each (provider, model), once.
    """

    def __init__(
        self,
        file: Optional[PricingTable] = None,
        database: Optional[PricesDatabase] = None,
        *,
        report_misses: bool = True,
    ) -> None:
        self.file = file
        self.database = database
        self._file_label = file.prices_label if file is not None else None
        self._report_misses = report_misses
        self._reported: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        sources = []
        if self.file is not None:
            sources.append(f"file ({len(self.file)} prices)")
        if self.database is not None:
            sources.append(self.database.label)
        return f"Pricing({', then '.join(sources) or 'nothing'})"

    def price_call(
        self,
        provider: str,
        response_model: Optional[str],
        request_model: Optional[str],
        usage: TokenCounts,
        service_tier: Optional[str],
        time_ns: int,
    ) -> Optional[Priced]:
        """The call's price from the first source that knows its model (see the module doc)."""
        file = self.file
        if file is not None:
            for model in (response_model, request_model):
                if model:
                    price = file.price_of(provider, model)
                    if price is not None:
                        usd = price.cost(usage)
                        if not 0.0 <= usd < math.inf:  # counts beyond float range
                            return None
                        return Priced(usd, "file", self._file_label)
        database = self.database
        if database is not None:
            for model in (response_model, request_model):
                if model:
                    usd = database.usd(provider, model, usage, service_tier, time_ns)
                    if usd is not None:
                        # negative counts in a broken usage report; counts beyond float range
                        if not 0.0 <= usd < math.inf:
                            return None
                        return Priced(usd, database.cost_source, database.label)
        if self._report_misses:
            self._report_miss(provider, response_model or request_model)
        return None

    def _report_miss(self, provider: str, model: Optional[str]) -> None:
        key = (provider, model or "")
        if key in self._reported:
            return
        with self._lock:
            if key in self._reported or len(self._reported) > _MAX_REPORTED_MISSES:
                return
            self._reported.add(key)
            last = len(self._reported) > _MAX_REPORTED_MISSES
        sources = []
        if self.file is not None:
            sources.append("the price file")
        if self.database is not None:
            sources.append("genai-prices")
        # INFO, not WARNING: an unpriced model is a gap to fill, not a fault; and a router that
        # sees many (self-hosted, test) models must not fill its warnings with them.
        _logger.info(
            "no price for provider %r model %r in %s: its calls get no cost (add it to the "
            "price file named by OTEL_PYTHON_LLM_ROUTER_PRICING_FILE; 0 rates for a free one)%s",
            provider,
            model,
            " or ".join(sources),
            "; further unpriced models are not reported" if last else "",
        )


_shared_database: Optional[PricesDatabase] = None
_shared_lock = threading.Lock()


def shared_database() -> Optional[PricesDatabase]:
    """The process's ``PricesDatabase`` (one cache for every source), or ``None`` without
    ``genai-prices`` (not installed, or Python < 3.11)."""
    global _shared_database
    if _shared_database is None and database_available():
        with _shared_lock:
            if _shared_database is None:
                _shared_database = PricesDatabase()
    return _shared_database


def pricer_from_env(env: Optional[Mapping[str, str]] = None) -> Optional[Pricing]:
    """The :class:`Pricing` the environment asks for, or ``None`` when nothing prices calls.

    Never raises: a bad value is one warning naming the variable, and the default is used.
    """
    if env is None:  # not a default argument: help() would render the environment
        env = os.environ
    mode = _mode(env)
    if mode == "off":
        return None
    table = pricing_from_env(env)
    database = None
    if mode == "auto":
        try:
            database = shared_database()
        except Exception:  # a broken install must not stop start-up: the file still prices
            _logger.warning(
                "genai-prices could not be loaded; prices come from the file only", exc_info=True
            )
        if database is not None:
            _start_updates_from_env(env)
    if table is None and database is None:
        return None
    return Pricing(table, database)


def _mode(env: Mapping[str, str]) -> str:
    raw = env.get(PRICING_ENV, "").strip().lower()
    if not raw:
        return "auto"
    if raw in PRICING_MODES:
        return raw
    if raw in ("false", "0", "no", "none"):
        return "off"
    _logger.warning("%s=%r is not one of %s; using auto", PRICING_ENV, raw, "|".join(PRICING_MODES))
    return "auto"


def update_interval_from_env(env: Optional[Mapping[str, str]] = None) -> Optional[float]:
    """Seconds between fetches of newer prices, or ``None`` (the default: never fetch)."""
    if env is None:  # not a default argument: help() would render the environment
        env = os.environ
    raw = env.get(PRICES_UPDATE_ENV, "").strip().lower()
    if raw in ("", "false", "0", "no", "off"):
        return None
    if raw in ("true", "1", "yes", "on"):
        return DEFAULT_UPDATE_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds >= MIN_UPDATE_SECONDS or seconds == float("inf"):
        _logger.warning(
            "%s=%r is not true, false or a number of seconds >= %g; prices are not updated",
            PRICES_UPDATE_ENV,
            raw,
            MIN_UPDATE_SECONDS,
        )
        return None
    return seconds


def _start_updates_from_env(env: Mapping[str, str]) -> None:
    interval = update_interval_from_env(env)
    if interval is None:
        return
    from opentelemetry.instrumentation.llm_router._prices_db import start_updates

    url = env.get(PRICES_URL_ENV, "").strip() or None
    try:
        if start_updates(interval, url):
            _logger.info(
                "genai-prices: fetching newer prices every %.0f s from %s",
                interval,
                url or "the library's default URL",
            )
    except Exception:
        _logger.warning("genai-prices: could not start fetching newer prices", exc_info=True)
