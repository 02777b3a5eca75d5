"""``CompositeObserver``: one router event fanned out to many observers.

Observers run concurrently, each in its own task, so a slow one does not delay the others; the
composite waits at most ``timeout`` seconds, then cancels what is still running. An observer that
raises (or is cancelled) is logged and forgotten. Nothing propagates to the router.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Awaitable, Callable, Iterable, Optional

from opentelemetry.instrumentation.llm_router._observe import (
    ObserveCallback,
    RequestFailureEvent,
    RequestSuccessEvent,
)

_logger = logging.getLogger(__name__)


class CompositeObserver:
    """Forwards each event to every observer in ``observers``.

    Args:
        observers: any objects with the ``ObserveCallback`` methods (ours or the user's).
        timeout: seconds the composite waits for the slowest observer before cancelling it.
            ``None`` waits for all of them.
    """

    def __init__(
        self, observers: Iterable[ObserveCallback], *, timeout: Optional[float] = 5.0
    ) -> None:
        if timeout is not None and timeout <= 0:
            raise ValueError(f"CompositeObserver timeout must be positive, got {timeout!r}")
        self.observers: tuple[ObserveCallback, ...] = tuple(observers)
        self.timeout = timeout

    async def on_request_success(self, event: RequestSuccessEvent) -> None:
        await self._fan_out("on_request_success", event)

    async def on_request_failure(self, event: RequestFailureEvent) -> None:
        await self._fan_out("on_request_failure", event)

    async def _fan_out(self, method: str, event: Any) -> None:
        tasks: dict[asyncio.Future[Any], ObserveCallback] = {}
        for observer in self.observers:
            awaitable = _call(observer, method, event)
            if awaitable is not None:
                tasks[asyncio.ensure_future(awaitable)] = observer
        if not tasks:
            return
        try:
            done, pending = await asyncio.wait(tasks, timeout=self.timeout)
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            raise
        for task in pending:
            task.cancel()
            # An observer may swallow the cancellation and fail later: retrieve that failure,
            # or asyncio reports "Task exception was never retrieved" as an error.
            task.add_done_callback(_late_outcome(tasks[task], method))
            _logger.warning(
                "observer %r did not finish %s within %ss; cancelled",
                tasks[task],
                method,
                self.timeout,
            )
        for task in done:
            if task.cancelled():
                _logger.warning("observer %r was cancelled during %s", tasks[task], method)
            elif task.exception() is not None:
                _report_failure(tasks[task], method, task.exception())


def _report_failure(
    observer: ObserveCallback, method: str, error: Optional[BaseException], when: str = ""
) -> None:
    """One WARNING line naming the observer and its error; the traceback only at DEBUG, so a
    failing observer (which the router can do nothing about) does not flood its log."""
    _logger.warning(
        "observer %r failed in %s%s: %s: %s", observer, method, when, type(error).__name__, error
    )
    _logger.debug("observer %r failed in %s%s", observer, method, when, exc_info=error)


def _late_outcome(observer: ObserveCallback, method: str) -> Callable[[asyncio.Future[Any]], None]:
    def retrieve(task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            _report_failure(observer, method, task.exception(), " after its timeout")

    return retrieve


def _call(observer: ObserveCallback, method: str, event: Any) -> Optional[Awaitable[Any]]:
    """Start one observer's method; a synchronous failure is logged here."""
    try:
        result = getattr(observer, method)(event)
    except Exception as error:
        _report_failure(observer, method, error)
        return None
    return result if inspect.isawaitable(result) else None
