"""The common body of every format's stream parser: what kind of stream is this, and dispatch.

A response the hook treats as a stream is not always SSE: a request that asked for a stream may be
answered with a plain JSON error (Anthropic does this for a 404), and Gemini's
``:streamGenerateContent`` without ``alt=sse`` streams one JSON array. The first non-blank byte
decides: ``{`` -> a whole JSON body (kept, bounded, and summarised at the end), ``[`` -> a JSON
array whose elements are handed over one by one as they complete, anything else -> SSE.

Every parser also counts its *output events* (:attr:`EventStreamParser.output_events`): the events
that carry generated output, which is what stream timing is measured on (time to first chunk at
the first of them, one ``time_per_output_chunk`` interval per further one). Each format says which
of its events those are (see ``docs/benchmarks.md`` and the format modules); comments, keep-alives,
role-only or empty deltas, usage-only and bookkeeping events are not output. The count depends on
the events alone, never on how the bytes were split into reads.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from opentelemetry.instrumentation.llm_router._wire._base import ResponseSummary
from opentelemetry.instrumentation.llm_router._wire._jsonarray import JSONArraySplitter
from opentelemetry.instrumentation.llm_router._wire._sse import MAX_EVENT_BYTES, SSESplitter
from opentelemetry.instrumentation.llm_router._wire._values import loads

_DETECT = 1
_SSE = 0
_JSON = 2
_ARRAY = 3
_BLANK = b" \t\r\n\xef\xbb\xbf"  # whitespace and a UTF-8 byte order mark


class EventStreamParser(SSESplitter):
    """Base of the format stream parsers (implements the ``StreamParser`` protocol).

    Subclasses implement :meth:`_event` (one raw SSE event), :meth:`_summary`, and, where their
    format has them, :meth:`_element` (one JSON-array element) and :meth:`_whole` (a complete
    JSON body).
    """

    __slots__ = ("_array", "_body", "_body_size", "count_first", "counting", "output_events")

    counts_output_events = False
    """A format's parser sets this when it counts :attr:`output_events`; without it the hook
    times the stream per read (the behaviour before output events existed)."""

    def __init__(self) -> None:
        SSESplitter.__init__(self)
        self.output_events = 0
        """How many events that carry output have been seen so far."""
        self.counting = True
        """Whether :attr:`output_events` is still wanted. The hook turns it off once nothing is
        left to time (time to first chunk known, no per-chunk metric, or an error response), and
        the parsers then skip the output test, the larger part of their per-event work."""
        self.count_first = False
        """Set by the hook when only the first output event is timed (no per-chunk metric): a
        parser that reads several events at once may then stop counting by itself at the first
        one, and take its shorter path for the rest of the read."""
        self._mode = _DETECT
        self._clean = False
        self._body: Optional[list[bytes]] = None
        self._body_size = 0
        self._array: Optional[JSONArraySplitter] = None

    def summary(self) -> ResponseSummary:
        mode = self._mode
        if mode == _SSE:
            self.flush_sse()
        elif mode == _JSON and self._body is not None:
            body = b"".join(self._body)
            self._body = None
            self._whole(body)
        return self._summary()

    def _feed_other(self, chunk: bytes) -> None:
        mode = self._mode
        if mode == _DETECT:
            stripped = chunk.lstrip(_BLANK)
            if not stripped:
                return
            first = stripped[:1]
            if first == b"{":
                self._mode = _JSON
                self._body = []
                chunk = stripped
            elif first == b"[":
                self._mode = _ARRAY
                self._array = JSONArraySplitter(self._element)
                chunk = stripped
            else:
                self._mode = _SSE
                self.feed(chunk)
                return
            mode = self._mode
        if mode == _JSON:
            body = self._body
            if body is not None:
                self._body_size += len(chunk)
                if self._body_size > MAX_EVENT_BYTES:
                    self._body = None  # too big to summarise: give up on it, stay bounded
                else:
                    body.append(chunk)
        elif mode == _ARRAY and self._array is not None:
            self._array.feed(chunk)

    # Hooks -------------------------------------------------------------------------------

    def _element(self, raw: bytes) -> None:
        """One complete element of a streamed JSON array (Gemini without ``alt=sse``)."""

    def _whole(self, body: bytes) -> None:
        """A complete JSON body sent where a stream was expected (e.g. an error)."""

    def _summary(self) -> ResponseSummary:
        raise NotImplementedError

    def _take_data(self, data: Optional[bytes]) -> None:
        """Decode an event's data and hand it to :meth:`_take` if it is a JSON object (nothing
        for no data, ``[DONE]``, or anything malformed or not an object)."""
        if not data or data == b"[DONE]":
            return
        obj = loads(data)
        if isinstance(obj, dict):
            self._take(obj)

    def _take(self, obj: dict[str, Any]) -> None:
        """One decoded event object (formats that decode events through :meth:`_take_data`)."""

    def response_model(self) -> Optional[str]:
        """The response model as soon as an event named it (per-chunk metric points carry it)."""
        return None


class FastPathStream(EventStreamParser):
    """Base of a parser whose :meth:`feed` has a per-event fast path for the steady part of a
    stream (OpenAI chat and Responses, Anthropic Messages).

    The fast path's test cannot pass while output events are still counted, so the hook calls
    :attr:`counting_feed` (the general path, without that test and its extra call) until then,
    and :attr:`steady_feed` afterwards. One definition here rather than one per format.
    """

    __slots__ = ()

    counting_feed = EventStreamParser.feed
    """What the hook calls while output is counted: the general path."""

    @property
    def steady_feed(self) -> Callable[[bytes], None]:
        """What the hook calls once nothing is counted: :meth:`feed`, or the general path where
        the fast path never applies (content captured, several choices)."""
        if getattr(self, "_capture", False) or getattr(self, "_multi", False):
            return self.counting_feed
        return self.feed
