"""What the adapter makes current while LiteLLM serves a request, instead of its router span.

The upstream calls must be children of the router span, so the span current during the request
must carry the router span's context. But the current span is also where other code writes: a
callback that finds no request span of its own takes the current one and puts its attributes and
status on it. LiteLLM's own ``otel`` callback does exactly that (``_get_span_context``, "priority
3": ``trace.get_current_span()`` when the request carries no ``litellm_parent_otel_span`` and no
``traceparent``; its failure handler then sets ERROR, its exception and some 50 attributes, the
prompt among them, on that span; its success handler sets OK and the same attributes), in LiteLLM
1.106.12, 1.108.7 and 1.110.2 alike.

So the current span is a :class:`StandIn`: its context is the router span's (everything started
under it is the router span's child, sampled as it is), and everything written to it goes to the
span that was current before the router span began (the one those writers would have found
without the adapter), never to the router span. Only the adapter, holding the router span itself,
changes it. With no span before ours, writes go nowhere.
"""

from __future__ import annotations

from typing import Optional, Union

from opentelemetry.trace import Span, SpanContext, Status, StatusCode
from opentelemetry.util import types


class StandIn(Span):
    """The router span's context; every write goes to ``outer`` (see the module docstring)."""

    __slots__ = ("_context", "_outer")

    def __init__(self, context: SpanContext, outer: Span) -> None:
        self._context = context
        self._outer = outer

    def get_span_context(self) -> SpanContext:
        return self._context

    def is_recording(self) -> bool:
        return self._outer.is_recording()

    def set_attributes(self, attributes: dict[str, types.AttributeValue]) -> None:
        self._outer.set_attributes(attributes)

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        self._outer.set_attribute(key, value)

    def add_event(
        self, name: str, attributes: types.Attributes = None, timestamp: Optional[int] = None
    ) -> None:
        self._outer.add_event(name, attributes, timestamp)

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        self._outer.add_link(context, attributes)

    def update_name(self, name: str) -> None:
        self._outer.update_name(name)

    def set_status(
        self, status: Union[Status, StatusCode], description: Optional[str] = None
    ) -> None:
        self._outer.set_status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: Optional[int] = None,
        escaped: bool = False,
    ) -> None:
        self._outer.record_exception(exception, attributes, timestamp, escaped)

    def end(self, end_time: Optional[int] = None) -> None:
        self._outer.end(end_time)

    def __repr__(self) -> str:
        return f"StandIn({self._context!r}, writes to {self._outer!r})"
