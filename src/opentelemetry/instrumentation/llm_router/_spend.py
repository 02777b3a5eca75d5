"""``SpendTracker``: each caller's spend in its budget window, and the requests that overran it.

A router gives each caller a budget (``CallerContext.budget``, micro-USD) over a window
(``budget_range``: the last N requests, or the last S seconds). The observer prices each request
(:mod:`._pricing`); this module adds the price to the caller's window and puts the spend so far and
the fraction of the budget used on the request's span, and counts the request whose spend took the
caller over the budget (``llm_router.budget.exceeded``).

Where the windows live is a store: this process's memory (:mod:`._spend_local`, the default) or
a Redis server shared by every replica of a fleet (:mod:`._spend_redis`). Each store keeps at
most 64 buckets per caller: a duration window of S seconds keeps an amount for between S - S/64
and S seconds; a rounds window of N requests is exact up to 64 requests and beyond that keeps an
amount for N - w to N + w requests (w = ceil(N/64), under 2% of N). Budgets are soft numbers to
watch, not invoices: 2% is the price of a fixed memory bound per caller.

A shared store that fails or is slow never fails nor holds up a request: the record goes to the
in-process store instead (the span says so), and the shared store is tried again a little later.
The tracker observes spend; it does not enforce budgets (the router does).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from typing import Callable, Hashable, Mapping, Optional, Protocol, Union

from opentelemetry.instrumentation.llm_router._genai import GenAICall
from opentelemetry.instrumentation.llm_router._observe import BudgetRange, CallerContext
from opentelemetry.instrumentation.llm_router._spend_local import (
    DEFAULT_MAX_ACCOUNTS,
    MAX_BUCKETS,
    InProcessSpendStore,
)

_logger = logging.getLogger(__name__)

TRACK_SPEND_ENV = "OTEL_PYTHON_LLM_ROUTER_TRACK_SPEND"
"""``true`` makes an ``OTelObserver`` built without a ``spend_tracker`` create one."""
TRACKED_ACCOUNTS_ENV = "OTEL_PYTHON_LLM_ROUTER_TRACKED_ACCOUNTS"
"""Most callers tracked at once by that tracker (default :data:`DEFAULT_MAX_ACCOUNTS`)."""
SPEND_STORE_ENV = "OTEL_PYTHON_LLM_ROUTER_SPEND_STORE"
"""Where windows live: unset (this process) or a ``redis://`` URL (shared by the fleet)."""

DEFAULT_RETRY_AFTER = 1.0
"""Seconds between attempts to reach a shared store that failed (one probe at a time)."""
_MICRO = 1_000_000

__all__ = [
    "DEFAULT_MAX_ACCOUNTS",
    "MAX_BUCKETS",
    "SPEND_STORE_ENV",
    "InProcessSpendStore",
    "SpendStore",
    "SpendTracker",
    "spend_tracker_from_env",
]

BudgetKey = Callable[[CallerContext], Optional[Hashable]]


class SpendStore(Protocol):
    """Where spend windows live. ``add`` is one atomic step; a shared store may raise."""

    kind: str
    """``process`` or ``redis``: put on spans as ``llm_router.budget.store``."""

    def add(
        self, key: Hashable, budget_range: Optional[BudgetRange], amount: float
    ) -> tuple[float, float]: ...

    def spent(self, key: Hashable) -> Optional[float]: ...


def default_budget_key(caller: CallerContext) -> Optional[Hashable]:
    """Whose spend a request adds to: ``(scope, account_id)``, or ``None`` (not tracked).

    ``budget_scope`` ``"account"`` (or none given) is the whole account. ``"session"`` means one
    session of the caller, but the router's events carry no session id: the router is expected to
    put the identity its session budget belongs to (for example the session token's id) in
    ``account_id``, and that is the key, kept apart from account-scoped spend of the same id.
    Pass another ``key`` to :class:`SpendTracker` to decide differently.
    """
    if caller.account_id is None:
        return None
    return (caller.budget_scope or "account", caller.account_id)


class SpendTracker:
    """Spend per caller in its budget window, for ``OTelObserver(spend_tracker=...)``.

    For each priced request of a caller with an ``account_id``, :meth:`record` adds the price to
    the caller's window and sets on the span ``llm_router.budget.spent.micro_usd`` (spend in the
    window, this request included), ``llm_router.budget.store`` (where that figure comes from)
    and, when the caller has a budget above zero, ``llm_router.budget.used_fraction`` (spent /
    budget; above 1 when over budget).

    Windows (from the request's ``budget_range``):

    - ``rounds`` N: the last N requests of the caller, this one included (a sliding window;
      exact up to :data:`MAX_BUCKETS` requests, in buckets of ceil(N/64) requests beyond);
    - ``duration`` S: the last S seconds (sliding, in :data:`MAX_BUCKETS` buckets of S/64
      seconds: an amount leaves between S - S/64 and S seconds after it was spent);
    - none: everything since the caller was first (or last re-) tracked.

    If a caller's range changes, its window starts again empty. Unpriced requests (no price in the
    table) are not counted and get no budget attributes: nothing is guessed.

    Exceeding: spending exactly the budget is within it; the request that takes the window's
    spend from at most the budget to above it is counted once in ``llm_router.budget.exceeded``
    and its span gets ``llm_router.budget.exceeded=true``. "Before" is the window as it stood just
    before this request: the previous N requests for rounds, the last S seconds for duration. Later
    requests while still over are not counted again; when the window slides back under budget,
    the next crossing counts again. With a shared store this holds across the fleet: every
    record is one atomic step on the server, so exactly one replica sees each crossing.

    Args:
        max_accounts: most callers the in-process store keeps at once (the least recently seen
            is forgotten first); it is also the fallback of a shared store.
        clock: seconds, monotonic (``time.monotonic``), for the in-process store; tests pass
            their own. A Redis store uses the Redis server's clock.
        key: whose spend a request adds to (see :func:`default_budget_key`).
        store: a :class:`SpendStore` (for example ``RedisSpendStore``) or a ``redis://`` URL;
            ``None`` takes ``OTEL_PYTHON_LLM_ROUTER_SPEND_STORE``, and when that is unset too the
            windows live in this process.
        retry_after: seconds before a shared store that failed is tried again.

    Thread-safe; :meth:`record` never raises.
    """

    def __init__(
        self,
        max_accounts: int = DEFAULT_MAX_ACCOUNTS,
        clock: Callable[[], float] = time.monotonic,
        *,
        key: BudgetKey = default_budget_key,
        store: Union[SpendStore, str, None] = None,
        retry_after: float = DEFAULT_RETRY_AFTER,
    ) -> None:
        self._local = InProcessSpendStore(max_accounts, clock)
        self._key = key
        self._store: SpendStore = _store(store) or self._local
        self._retry_after = retry_after
        self._state = threading.Lock()
        self._probe = threading.Lock()
        self._down_at: Optional[float] = None
        self.fallbacks = 0
        """Records made in process because the shared store did not answer."""
        self.outages = 0
        """Times the shared store stopped answering (one WARNING each)."""

    @property
    def store(self) -> SpendStore:
        """Where the windows live (the in-process store unless a shared one was given)."""
        return self._store

    @property
    def max_accounts(self) -> int:
        return self._local.max_accounts

    @property
    def evicted(self) -> int:
        """Callers the in-process store forgot to keep within ``max_accounts``."""
        return self._local.evicted

    def __len__(self) -> int:
        return len(self._local)

    def record(
        self, call: GenAICall, caller: Optional[CallerContext], usd: Optional[float]
    ) -> None:
        """Add ``usd`` (the request's price) to the caller's window and annotate ``call``."""
        try:
            self._record(call, caller, usd)
        except Exception:
            _logger.debug("SpendTracker failed to record a request", exc_info=True)

    def spent_micro_usd(self, caller: CallerContext) -> Optional[float]:
        """The caller's spend in its window now, or ``None`` when it is not tracked."""
        key = self._key(caller)
        if key is None:
            return None
        store = self._store
        if store is not self._local and self._down_at is None:
            try:
                return store.spent(key)
            except Exception as exc:
                self._failed(exc, probing=False)
        return self._local.spent(key)

    # -----------------------------------------------------------------------------------------

    def _record(
        self, call: GenAICall, caller: Optional[CallerContext], usd: Optional[float]
    ) -> None:
        if caller is None or usd is None or not math.isfinite(usd) or usd < 0:
            return
        key = self._key(caller)
        if key is None:
            return
        budget_range = caller.budget_range
        (before, after), kind, fallback = self._add(key, budget_range, usd * _MICRO)
        budget = caller.budget
        fraction = after / budget if budget is not None and budget > 0 else None
        call.set_budget_use(round(after), fraction)
        call.set_budget_store(kind, fallback)
        if budget is not None and before <= budget < after:
            call.set_budget_exceeded(
                caller.budget_scope, budget_range.type if budget_range is not None else None
            )

    def _add(
        self, key: Hashable, budget_range: Optional[BudgetRange], amount: float
    ) -> tuple[tuple[float, float], str, bool]:
        """The window before and after, where it was kept, and whether that was the fallback."""
        store = self._store
        if store is self._local:
            return self._local.add(key, budget_range, amount), "process", False
        probing = False
        usable = self._down_at is None
        if not usable and time.monotonic() - self._down_at >= self._retry_after:  # type: ignore[operator]
            usable = probing = self._probe.acquire(blocking=False)
        if usable:
            try:
                result = store.add(key, budget_range, amount)
            except Exception as exc:
                self._failed(exc, probing)
            else:
                if probing or self._down_at is not None:
                    self._answered(probing)
                return result, store.kind, False
        with self._state:
            self.fallbacks += 1
        return self._local.add(key, budget_range, amount), "process", True

    def _failed(self, exc: BaseException, probing: bool) -> None:
        with self._state:
            first = self._down_at is None
            self._down_at = time.monotonic()
            if first:
                self.outages += 1
        if probing:
            self._probe.release()
        if first:
            _logger.warning(
                "the %s spend store did not answer (%s: %s); budgets are tracked in this "
                "process (spans: llm_router.budget.store=process, counter "
                "llm_router.budget.store.fallbacks) and the store is tried again every %g s",
                self._store.kind,
                type(exc).__name__,
                exc,
                self._retry_after,
            )

    def _answered(self, probing: bool) -> None:
        with self._state:
            was_down = self._down_at is not None
            self._down_at = None
        if probing:
            self._probe.release()
        if was_down:
            _logger.info("the %s spend store answers again; budgets are shared", self._store.kind)


def _store(store: Union[SpendStore, str, None]) -> Optional[SpendStore]:
    """The shared store asked for (argument, else environment), or ``None`` for in-process."""
    if store is None:
        store = os.environ.get(SPEND_STORE_ENV, "").strip() or None
        if store is None:
            return None
    if not isinstance(store, str):
        return store
    return store_from_url(store)


def store_from_url(url: str) -> Optional[SpendStore]:
    """A store for ``url`` (``redis://``, ``rediss://``, ``unix://``); ``None`` with a warning
    when the URL or the ``redis`` extra is missing, so a bad setting never stops the router."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in ("redis", "rediss", "unix"):
        _logger.warning(
            "the spend store is not a redis://, rediss:// or unix:// URL (scheme %r); budgets "
            "are tracked in process",
            scheme,
        )
        return None
    try:
        from opentelemetry.instrumentation.llm_router._spend_redis import RedisSpendStore

        return RedisSpendStore(url)
    except ImportError:
        _logger.warning(
            "a Redis spend store needs the redis client: pip install "
            "'opentelemetry-instrumentation-llm-router[redis]'; budgets are tracked in process"
        )
    except Exception as exc:
        # Not the URL itself: it may carry a password.
        _logger.warning(
            "the %s spend store could not be set up (%s); budgets are tracked in process",
            scheme,
            type(exc).__name__,
        )
    return None


def spend_tracker_from_env(env: Optional[Mapping[str, str]] = None) -> Optional[SpendTracker]:
    """A tracker when ``OTEL_PYTHON_LLM_ROUTER_TRACK_SPEND`` is true (or unset while
    ``OTEL_PYTHON_LLM_ROUTER_SPEND_STORE`` names a store), else ``None``."""
    if env is None:  # not a default argument: help() would render the environment
        env = os.environ
    raw = env.get(TRACK_SPEND_ENV, "").strip().lower()
    store_url = env.get(SPEND_STORE_ENV, "").strip()
    if raw == "" and store_url:
        raw = "true"  # naming a shared store asks for tracking
    if raw in ("", "false", "0", "no", "off"):
        return None
    if raw not in ("true", "1", "yes", "on"):
        _logger.warning("%s=%r is not true or false; spend is not tracked", TRACK_SPEND_ENV, raw)
        return None
    max_accounts = DEFAULT_MAX_ACCOUNTS
    raw_max = env.get(TRACKED_ACCOUNTS_ENV, "").strip()
    if raw_max:
        try:
            max_accounts = int(raw_max)
        except ValueError:
            max_accounts = 0
        if max_accounts < 1:
            _logger.warning(
                "%s=%r is not a positive integer; using %d",
                TRACKED_ACCOUNTS_ENV,
                raw_max,
                DEFAULT_MAX_ACCOUNTS,
            )
            max_accounts = DEFAULT_MAX_ACCOUNTS
    return SpendTracker(max_accounts, store=store_url or None)
