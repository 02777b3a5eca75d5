"""The user's own hooks (``request_hook`` / ``response_hook`` and their async twins).

A router operator enriches our spans the way every OpenTelemetry HTTP instrumentation lets them
(a tenant id from a request header, a customer tier, ...). The hooks run after our attributes are
set and before the span ends, get the client library's own request and response objects, and the
response hook also gets the parsed :class:`ResponseSummary` (never the body: a stream's body has
gone to the caller). A hook that raises is logged and the call goes on: it never reaches the caller.
"""

from __future__ import annotations

import inspect
import logging
import traceback
import weakref
from typing import Any, Awaitable, Callable, Optional

from opentelemetry.trace import Span

from opentelemetry.instrumentation.llm_router._redact import DEFAULT as DEFAULT_REDACTOR
from opentelemetry.instrumentation.llm_router._wire._base import ResponseSummary

_logger = logging.getLogger(__name__)

RequestHook = Callable[[Span, Any], None]
"""``request_hook(span, request)``: ``request`` is the library's request (``httpx.Request``,
``httpx2.Request`` or ``aiohttp.ClientRequest``)."""
ResponseHook = Callable[[Span, Any, Any, ResponseSummary], None]
"""``response_hook(span, request, response, summary)``."""
AsyncRequestHook = Callable[[Span, Any], Awaitable[None]]
AsyncResponseHook = Callable[[Span, Any, Any, ResponseSummary], Awaitable[None]]

HOOK_NAMES = ("request_hook", "response_hook", "async_request_hook", "async_response_hook")


class UserHooks:
    """The hooks given to ``instrument()``; ``None`` when there are none (the common case).

    Async clients (httpx ``AsyncClient``, aiohttp) await the async twin when one is given and call
    the plain hook otherwise, so one plain hook covers every client.
    """

    __slots__ = ("_failed", "async_request", "async_response", "request", "response")

    def __init__(
        self,
        request: Optional[RequestHook],
        response: Optional[ResponseHook],
        async_request: Optional[AsyncRequestHook],
        async_response: Optional[AsyncResponseHook],
    ) -> None:
        self.request = request
        self.response = response
        self.async_request = async_request
        self.async_response = async_response
        self._failed: set[str] = set()

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> Optional[UserHooks]:
        """The hooks among ``instrument()``'s keyword arguments; a non-callable one is ignored
        with a warning (and an async twin that is no coroutine function likewise)."""
        found: dict[str, Any] = {}
        for name in HOOK_NAMES:
            hook = kwargs.get(name)
            if hook is None:
                continue
            if not callable(hook):
                _logger.warning("llm_router: %s=%r is not callable; ignored", name, hook)
                continue
            if name.startswith("async_") and not inspect.iscoroutinefunction(hook):
                _logger.warning("llm_router: %s=%r is no coroutine function; ignored", name, hook)
                continue
            found[name] = hook
        if not found:
            return None
        return cls(
            found.get("request_hook"),
            found.get("response_hook"),
            found.get("async_request_hook"),
            found.get("async_response_hook"),
        )

    @property
    def has_response_hook(self) -> bool:
        return self.response is not None or self.async_response is not None

    def call_request(self, span: Span, request: Any) -> None:
        if self.request is not None:
            try:
                self.request(span, request)
            except Exception:
                self._log("request_hook")

    async def acall_request(self, span: Span, request: Any) -> None:
        if self.async_request is None:
            self.call_request(span, request)
            return
        try:
            await self.async_request(span, request)
        except Exception:
            self._log("async_request_hook")

    def call_response(self, span: Span, request: Any, response: Any, summary: Any) -> None:
        if self.response is not None:
            try:
                self.response(span, request, response, summary)
            except Exception:
                self._log("response_hook")

    async def acall_response(self, span: Span, request: Any, response: Any, summary: Any) -> None:
        if self.async_response is None:
            self.call_response(span, request, response, summary)
            return
        try:
            await self.async_response(span, request, response, summary)
        except Exception:
            self._log("async_response_hook")

    def _log(self, name: str) -> None:
        """The first failure of each hook is a warning (it is the user's bug), later ones debug.

        The traceback is logged as text through the redaction step's knowledge-free rules: it may
        quote what the hook saw (an ``HTTPStatusError`` quotes the URL, ``?key=`` and all), and a
        logging bridge exports log records."""
        trace = DEFAULT_REDACTOR.redact(traceback.format_exc())
        if name in self._failed:
            _logger.debug("llm_router: %s raised; the call goes on\n%s", name, trace)
            return
        self._failed.add(name)
        _logger.warning(
            "llm_router: %s raised; the call goes on (later failures are logged at debug level)"
            "\n%s",
            name,
            trace,
        )


class ResponseHookCall:
    """The response hook bound to one call: the observation calls it with the summary at the end.

    A sync end (``close()``, garbage collection, a sync client) calls the plain hook only; an async
    end (an async client's body read to its end or ``aclose()``) awaits the async twin. The hook
    gets ``response=None`` when the response was garbage-collected before its body ended.
    """

    __slots__ = ("_response", "hooks", "request", "span")

    def __init__(self, hooks: UserHooks, span: Span, request: Any, response: Any) -> None:
        self.hooks = hooks
        self.span = span
        self.request = request
        # The response holds the body reader that holds the observation that holds this: a weak
        # reference keeps that from being a cycle, so an abandoned response is freed (and its
        # call ended) at once rather than at the next cyclic collection.
        try:
            self._response: Callable[[], Any] = weakref.ref(response)
        except TypeError:
            self._response = lambda: response

    def __call__(self, summary: ResponseSummary) -> None:
        self.hooks.call_response(self.span, self.request, self._response(), summary)

    async def acall(self, summary: ResponseSummary) -> None:
        await self.hooks.acall_response(self.span, self.request, self._response(), summary)
