"""Attempt numbers: which upstream call of one router request an httpx-hook span is.

A router that retries or falls back sends several upstream calls for one client request. It puts
an :class:`AttemptCounter` into the OpenTelemetry context for the request (:func:`count_attempts`,
or :meth:`AttemptCounter.context` where a ``with`` block does not fit, as in the LiteLLM adapter);
every upstream call the hook traces inside that context takes the next number as
``llm_router.attempt``, so a trace reads "request -> attempt 1, attempt 2, ..." instead of a row of
unexplained siblings. Counting in the hook (not in the router's retry loop) also numbers the SDK's
own retries, which the router never sees.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional, Union

from opentelemetry.context import Context
from opentelemetry.trace import Span

from opentelemetry import context, trace
from opentelemetry.instrumentation.llm_router._genai import GenAICall

_COUNTER_KEY = context.create_key("llm_router.attempt_counter")
COUNTER_KEY = _COUNTER_KEY
"""The context key of the :class:`AttemptCounter` (a hook that holds the current context reads it
with ``current.get(COUNTER_KEY)``, as :func:`next_attempt` does)."""


class AttemptCounter:
    """The upstream calls made so far for one router request.

    ``count`` is how many have started; after the request it is the value for
    ``llm_router.attempts`` on the request's span (:func:`count_attempts` sets it itself).
    """

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def next(self) -> int:
        """Number the upstream call starting now (1, 2, ...)."""
        self.count += 1
        return self.count

    def context(self, parent: Optional[Context] = None) -> Context:
        """``parent`` (the current context if omitted) with this counter in it: attach it for the
        time of the request when a ``with`` block does not fit (callbacks that begin and end a
        request in different functions)."""
        return context.set_value(_COUNTER_KEY, self, parent)


@contextmanager
def count_attempts(
    request: Union[GenAICall, Span, None] = None,
) -> Iterator[AttemptCounter]:
    """Number the upstream calls made inside the block as attempts of one router request.

    ``request``: the request's span (or the call :meth:`OTelObserver.begin_request` returned),
    made current in the block so the upstream spans are its children; on leaving, a call gets
    ``llm_router.attempts`` = the number of upstream calls made. Without it, the block numbers the
    calls under whatever span is current. Yields the :class:`AttemptCounter`; never raises on its
    own account, and the block's exceptions pass through unchanged.
    """
    counter = AttemptCounter()
    parent: Optional[Context] = None
    span = request.span if isinstance(request, GenAICall) else request
    if span is not None:
        parent = trace.set_span_in_context(span)
    token = context.attach(counter.context(parent))
    try:
        yield counter
    finally:
        context.detach(token)
        if isinstance(request, GenAICall):
            request.set_attempts(counter.count)


def with_attempt_counter(counter: AttemptCounter, parent: Optional[Context] = None) -> Context:
    """``parent`` (the current context if omitted) with ``counter`` in it."""
    return counter.context(parent)


def next_attempt(current: Optional[Context] = None) -> Optional[int]:
    """The number of the upstream call starting now, or ``None`` outside any router request
    (``current``: the current context, when the caller holds it already)."""
    counter = context.get_value(_COUNTER_KEY, current)
    if counter is None:
        return None
    return counter.next()  # type: ignore[attr-defined, no-any-return]
