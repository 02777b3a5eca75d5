"""The in-process spend store: each caller's budget window in the memory of this process.

This is :class:`~._spend.SpendTracker`'s default store and its fallback while a shared store
(:mod:`._spend_redis`) does not answer. Bounded on both axes: at most ``max_accounts`` callers,
the least recently seen forgotten first, and at most :data:`MAX_BUCKETS` buckets per caller.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from typing import Callable, Hashable, Optional

from opentelemetry.instrumentation.llm_router._observe import BudgetRange

DEFAULT_MAX_ACCOUNTS = 10_000
MAX_BUCKETS = 64
"""Most numbers kept per tracked caller: rounds windows up to this many requests are exact."""


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


def window_shape(budget_range: Optional[BudgetRange]) -> tuple[str, float, int]:
    """``(kind, bucket width, bucket count)`` of a budget range, shared by every store.

    Kinds: ``total`` (no range: everything while tracked), ``instant`` (a zero-second window
    holds only the request itself), ``rounds`` (position = the caller's request number),
    ``duration`` (position = the clock, seconds).
    """
    if budget_range is None:
        return "total", 0.0, 0
    if budget_range.type == "rounds":
        rounds = max(budget_range.count or 0, 1)  # 0 rounds: only the request itself
        width = math.ceil(rounds / MAX_BUCKETS)
        return "rounds", float(width), math.ceil(rounds / width)
    seconds = budget_range.seconds or 0
    if seconds <= 0:
        return "instant", 0.0, 0
    return "duration", seconds / MAX_BUCKETS, MAX_BUCKETS


class _Spend:
    """One tracked caller: its window (shaped by its budget range) and request count."""

    __slots__ = ("budget_range", "cumulative", "kind", "requests", "window")

    def __init__(self, budget_range: Optional[BudgetRange]) -> None:
        self.budget_range = budget_range
        self.requests = 0
        self.cumulative = 0.0  # spend with no range: everything while tracked
        self.kind, width, count = window_shape(budget_range)
        self.window: Optional[_Window] = (
            _Window(width, count) if self.kind in ("rounds", "duration") else None
        )


class InProcessSpendStore:
    """Spend windows in this process's memory (thread-safe, bounded, never slow).

    Args:
        max_accounts: most callers kept at once; the least recently seen is forgotten first.
        clock: seconds, monotonic (``time.monotonic``); tests pass their own.
    """

    kind = "process"

    def __init__(
        self, max_accounts: int = DEFAULT_MAX_ACCOUNTS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_accounts < 1:
            raise ValueError(f"max_accounts must be at least 1, got {max_accounts!r}")
        self.max_accounts = max_accounts
        self._clock = clock
        self._spends: OrderedDict[Hashable, _Spend] = OrderedDict()
        self._lock = threading.Lock()
        self.evicted = 0
        """Callers forgotten to keep within ``max_accounts`` (their window restarts if seen again)."""

    def __len__(self) -> int:
        return len(self._spends)

    def add(
        self, key: Hashable, budget_range: Optional[BudgetRange], amount: float
    ) -> tuple[float, float]:
        """Add ``amount`` (micro-USD) to the caller's window: its spend before and with it."""
        with self._lock:
            spend = self._spends.get(key)
            if spend is None or spend.budget_range != budget_range:
                spend = _Spend(budget_range)
                self._spends[key] = spend
                while len(self._spends) > self.max_accounts:
                    self._spends.popitem(last=False)
                    self.evicted += 1
            self._spends.move_to_end(key)
            return self._add(spend, amount)

    def spent(self, key: Hashable) -> Optional[float]:
        """The caller's spend in its window now, or ``None`` when it is not kept."""
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

    def _add(self, spend: _Spend, amount: float) -> tuple[float, float]:
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
