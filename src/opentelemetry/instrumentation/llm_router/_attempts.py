"""Attempt numbers: which upstream call of one router request an httpx-hook span is.

A router that retries or falls back sends several upstream calls for one client request. The
router's adapter puts an :class:`AttemptCounter` into the OpenTelemetry context together with its
own span; every upstream call the hook traces inside that context takes the next number, so a
trace reads "request -> attempt 1, attempt 2, ..." instead of a row of unexplained siblings.
Counting in the hook (not in the router's retry loop) also numbers the SDK's own retries.
"""

from __future__ import annotations

from typing import Optional

from opentelemetry.context import Context

from opentelemetry import context

_COUNTER_KEY = context.create_key("llm_router.attempt_counter")
COUNTER_KEY = _COUNTER_KEY
"""The context key of the :class:`AttemptCounter` (a hook that holds the current context reads it
with ``current.get(COUNTER_KEY)``, as :func:`next_attempt` does)."""


class AttemptCounter:
    """Upstream calls made so far for one router request."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def next(self) -> int:
        self.count += 1
        return self.count


def with_attempt_counter(counter: AttemptCounter, parent: Optional[Context] = None) -> Context:
    """``parent`` (the current context if omitted) with ``counter`` in it."""
    return context.set_value(_COUNTER_KEY, counter, parent)


def next_attempt(current: Optional[Context] = None) -> Optional[int]:
    """The number of the upstream call starting now, or ``None`` outside any router request
    (``current``: the current context, when the caller holds it already)."""
    counter = context.get_value(_COUNTER_KEY, current)
    if counter is None:
        return None
    return counter.next()  # type: ignore[attr-defined, no-any-return]
