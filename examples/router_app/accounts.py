"""Who is calling and what they may spend: the caller context the router hands to the observer.

A real router reads this from its accounts database; the example reads the account id from the
``x-account-id`` header and budgets from ``ROUTER_BUDGETS``, a comma-separated list of
``account=micro_usd[/window]`` where the window is ``<N>r`` (the last N requests) or ``<S>s`` (the
last S seconds; default ``3600s``), e.g. ``acct-1=20/3600s,acct-2=5000000/100r``. With
``OTEL_PYTHON_LLM_ROUTER_TRACK_SPEND=true`` (and a pricing file) the observer tracks each account's
spend against its budget and counts the requests that crossed it.
"""

from __future__ import annotations

import os
from typing import Dict, Mapping, Optional

from opentelemetry.instrumentation.llm_router import BudgetRange, CallerContext

ACCOUNT_HEADER = "x-account-id"
DEFAULT_WINDOW = BudgetRange(type="duration", seconds=3600)


def _window(raw: str) -> Optional[BudgetRange]:
    raw = raw.strip().lower()
    if not raw:
        return DEFAULT_WINDOW
    number, unit = raw[:-1], raw[-1:]
    if not number.isdigit() or int(number) <= 0:
        return None
    if unit == "r":
        return BudgetRange(type="rounds", count=int(number))
    if unit == "s":
        return BudgetRange(type="duration", seconds=int(number))
    return None


def budgets_from_env(env: Mapping[str, str] = os.environ) -> Dict[str, CallerContext]:
    """Account id -> caller context with its budget; malformed entries are skipped."""
    callers: Dict[str, CallerContext] = {}
    for item in env.get("ROUTER_BUDGETS", "").split(","):
        account, _, spec = item.strip().partition("=")
        amount, _, window_spec = spec.partition("/")
        window = _window(window_spec)
        if account and amount.strip().isdigit() and window is not None:
            callers[account] = CallerContext(
                account_id=account,
                budget=int(amount),
                budget_scope="account",
                budget_range=window,
            )
    return callers


class Accounts:
    def __init__(self, budgets: Optional[Mapping[str, CallerContext]] = None) -> None:
        self._budgets = dict(budgets_from_env() if budgets is None else budgets)

    def caller(self, account_id: Optional[str]) -> CallerContext:
        if not account_id:
            return CallerContext()
        return self._budgets.get(account_id) or CallerContext(account_id=account_id)
