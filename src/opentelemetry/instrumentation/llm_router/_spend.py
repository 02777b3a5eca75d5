"""``SpendTracker``: each caller's spend in its budget window, and the requests that overran it.

A router gives each caller a budget (``CallerContext.budget``, micro-USD) over a window
(``budget_range``: the last N requests, or the last S seconds). The observer prices each request
(:mod:`._pricing`); this module adds the price to the caller's window and puts the spend so far and
the fraction of the budget used on the request's span, and counts the request whose spend took the
caller over the budget (``llm_router.budget.exceeded``).

It is opt-in (a router's accounts are unbounded, and memory here is per account) and bounded on
both axes: at most ``max_accounts`` callers are tracked, the least recently seen evicted first, and
each caller's window is at most :data:`MAX_BUCKETS` buckets, whatever its length. A duration
window of S seconds keeps an amount for between S - S/64 and S seconds; a rounds window of N
requests is exact up to 64 requests and beyond that keeps an amount for N - w to N + w requests
(w = ceil(N/64), under 2% of N). Budgets are soft numbers to watch, not invoices: 2% is the price
of a fixed memory bound per caller.

Everything the tracker knows is in memory of this process: it observes spend, it does not enforce
budgets (the router does), and it starts from zero on restart.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import OrderedDict, deque
from typing import Callable, Hashable, Mapping, Optional

from opentelemetry.instrumentation.llm_router._genai import GenAICall
from opentelemetry.instrumentation.llm_router._observe import BudgetRange, CallerContext

_logger = logging.getLogger(__name__)

TRACK_SPEND_ENV = "OTEL_PYTHON_LLM_ROUTER_TRACK_SPEND"
"""``true`` makes an ``OTelObserver`` built without a ``spend_tracker`` create one."""
TRACKED_ACCOUNTS_ENV = "OTEL_PYTHON_LLM_ROUTER_TRACKED_ACCOUNTS"
"""Most callers tracked at once by that tracker (default :data:`DEFAULT_MAX_ACCOUNTS`)."""

DEFAULT_MAX_ACCOUNTS = 10_000
MAX_BUCKETS = 64
"""Most numbers kept per tracked caller: rounds windows up to this many requests are exact."""
_MICRO = 1_000_000

BudgetKey = Callable[[CallerContext], Optional[Hashable]]


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


class _Window:
    """Amounts in a sliding window over a position (request number or clock), in buckets.

    ``width`` units of position share one bucket; a bucket stays while it is among the last
    ``count`` buckets, so an amount counts for ``(count - 1) * width`` to ``count * width`` units.
    """

    __slots__ = ("_amounts", "_count", "_indexes", "_width", "total")

    def __init__(self, width: float, count: int) -> None:
        self._width = width
        self._count = count
        self._indexes: deque[int] = deque()
        self._amounts: deque[float] = deque()
        self.total = 0.0

    def advance(self, position: float) -> float:
        """Drop what fell out of the window at ``position``; the spend still in it."""
        current = int(position // self._width)
        indexes, amounts = self._indexes, self._amounts
        while indexes and indexes[0] <= current - self._count:
            indexes.popleft()
            self.total -= amounts.popleft()
        if not indexes:
            self.total = 0.0  # no float residue from the subtractions
        return self.total

    def add(self, position: float, amount: float) -> None:
        index = int(position // self._width)
        if self._indexes and self._indexes[-1] == index:
            self._amounts[-1] += amount
        else:
            self._indexes.append(index)
            self._amounts.append(amount)
        self.total += amount


class _Spend:
    """One tracked caller: its window (shaped by its budget range) and request count."""

    __slots__ = ("budget_range", "cumulative", "kind", "requests", "window")

    def __init__(self, budget_range: Optional[BudgetRange]) -> None:
        self.budget_range = budget_range
        self.requests = 0
        self.cumulative = 0.0  # spend with no range: everything while tracked
        self.window: Optional[_Window] = _window_for(budget_range)
        if budget_range is None:
            self.kind = "total"
        elif budget_range.type == "rounds":
            self.kind = "rounds"
        elif budget_range.seconds:
            self.kind = "duration"
        else:
            self.kind = "instant"  # a zero-second window holds only the request itself


def _window_for(budget_range: Optional[BudgetRange]) -> Optional[_Window]:
    """``None`` for no range (spend accumulates while the caller stays tracked)."""
    if budget_range is None:
        return None
    if budget_range.type == "rounds":
        rounds = max(budget_range.count or 0, 1)  # 0 rounds: only the request itself
        width = math.ceil(rounds / MAX_BUCKETS)
        return _Window(width, math.ceil(rounds / width))
    seconds = budget_range.seconds or 0
    if seconds <= 0:
        return None
    return _Window(seconds / MAX_BUCKETS, MAX_BUCKETS)


class SpendTracker:
    """Spend per caller in its budget window, for ``OTelObserver(spend_tracker=...)``.

    For each priced request of a caller with an ``account_id``, :meth:`record` adds the price to
    the caller's window and sets on the span ``llm_router.budget.spent.micro_usd`` (spend in the
    window, this request included) and, when the caller has a budget above zero,
    ``llm_router.budget.used_fraction`` (spent / budget; above 1 when over budget).

    Windows (from the request's ``budget_range``):

    - ``rounds`` N: the last N requests of the caller, this one included (a sliding window;
      exact up to :data:`MAX_BUCKETS` requests, in buckets of ceil(N/64) requests beyond);
    - ``duration`` S: the last S seconds by ``clock`` (sliding, in :data:`MAX_BUCKETS` buckets of
      S/64 seconds: an amount leaves between S - S/64 and S seconds after it was spent);
    - none: everything since the caller was first (or last re-) tracked.

    If a caller's range changes, its window starts again empty. Unpriced requests (no price in the
    table) are not counted and get no budget attributes: nothing is guessed.

    Exceeding: spending exactly the budget is within it; the request that takes the window's
    spend from at most the budget to above it is counted once in ``llm_router.budget.exceeded``
    and its span gets ``llm_router.budget.exceeded=true``. "Before" is the window as it stood just
    before this request: the previous N requests for rounds, the last S seconds for duration. Later
    requests while still over are not counted again; when the window slides back under budget,
    the next crossing counts again.

    Args:
        max_accounts: most callers tracked at once; the least recently seen is forgotten first.
        clock: seconds, monotonic (``time.monotonic``); tests pass their own.
        key: whose spend a request adds to (see :func:`default_budget_key`).

    Thread-safe; :meth:`record` never raises.
    """

    def __init__(
        self,
        max_accounts: int = DEFAULT_MAX_ACCOUNTS,
        clock: Callable[[], float] = time.monotonic,
        *,
        key: BudgetKey = default_budget_key,
    ) -> None:
        if max_accounts < 1:
            raise ValueError(f"max_accounts must be at least 1, got {max_accounts!r}")
        self._max_accounts = max_accounts
        self._clock = clock
        self._key = key
        self._spends: OrderedDict[Hashable, _Spend] = OrderedDict()
        self._lock = threading.Lock()
        self.evicted = 0
        """Callers forgotten to keep within ``max_accounts`` (their window restarts if seen again)."""

    @property
    def max_accounts(self) -> int:
        return self._max_accounts

    def __len__(self) -> int:
        return len(self._spends)

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
        with self._lock:
            spend = self._spends.get(key)
            if spend is None:
                return None
            if spend.kind == "total":
                return spend.cumulative
            if spend.window is None:
                return 0.0
            if spend.kind == "rounds":
                return spend.window.advance(spend.requests - 1)
            return spend.window.advance(self._clock())

    # -----------------------------------------------------------------------------------------

    def _record(
        self, call: GenAICall, caller: Optional[CallerContext], usd: Optional[float]
    ) -> None:
        if caller is None or usd is None or not math.isfinite(usd) or usd < 0:
            return
        key = self._key(caller)
        if key is None:
            return
        amount = usd * _MICRO
        budget_range = caller.budget_range
        with self._lock:
            spend = self._spends.get(key)
            if spend is None or spend.budget_range != budget_range:
                spend = _Spend(budget_range)
                self._spends[key] = spend
                while len(self._spends) > self._max_accounts:
                    self._spends.popitem(last=False)
                    self.evicted += 1
            self._spends.move_to_end(key)
            before, after = self._add(spend, amount)
        budget = caller.budget
        fraction = after / budget if budget is not None and budget > 0 else None
        call.set_budget_use(round(after), fraction)
        if budget is not None and before <= budget < after:
            call.set_budget_exceeded(
                caller.budget_scope, budget_range.type if budget_range is not None else None
            )

    def _add(self, spend: _Spend, amount: float) -> tuple[float, float]:
        """Add ``amount``; the window's spend just before this request and with it (micro-USD)."""
        number = spend.requests
        spend.requests += 1
        if spend.kind == "total":
            before = spend.cumulative
            spend.cumulative = before + amount
            return before, spend.cumulative
        window = spend.window
        if window is None:  # "instant"
            return 0.0, amount
        if spend.kind == "rounds":
            # Before: the previous N requests (a caller already over stays over, not re-crossing).
            before = window.advance(number - 1) if number else 0.0
            position = float(number)
            window.advance(position)
        else:
            # Before: the window as it stands now, without this request.
            position = self._clock()
            before = window.advance(position)
        window.add(position, amount)
        return before, window.total


def spend_tracker_from_env(env: Optional[Mapping[str, str]] = None) -> Optional[SpendTracker]:
    """A tracker when ``OTEL_PYTHON_LLM_ROUTER_TRACK_SPEND`` is true, else ``None``."""
    if env is None:  # not a default argument: help() would render the environment
        env = os.environ
    raw = env.get(TRACK_SPEND_ENV, "").strip().lower()
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
    return SpendTracker(max_accounts)
