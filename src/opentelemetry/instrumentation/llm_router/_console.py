"""A span exporter for reading LLM calls in a terminal: one line per call, each request a tree.

Why: the SDK's ``ConsoleSpanExporter`` prints every span as a JSON document (some 60 lines each),
which answers "what did this call cost, how many tokens, how long" only after scrolling. Debugging
locally, a person wants per call one line (operation and model, provider, tokens in/out with the
cached and reasoning parts, duration, time to first chunk, status, cost, budget use) and the
request as the tree it is (the router's span, the GenAI spans under it).

Select it like any exporter: ``OTEL_TRACES_EXPORTER=llm_router_console`` (entry point
``opentelemetry_traces_exporter``; the standard ``console`` stays available), or in code
``SimpleSpanProcessor(LLMRouterConsoleSpanExporter())``. It needs ``rich`` (the ``console`` extra).

A trace is printed when its local root span ends (children end first, so the tree is complete);
spans whose root has not ended are held, bounded in number and age, and printed as they are at
:meth:`force_flush` / :meth:`shutdown` or when a bound is reached.

Live under ``opentelemetry-instrument``: the SDK puts every exporter it is named to behind a
``BatchSpanProcessor`` that exports every 5 s, so a terminal view would show calls in bursts, or
only at exit. The entry point therefore names :class:`LiveConsoleSpanExporter`, which gives the SDK
an exporter that does nothing and adds to the tracer provider the SDK has just made a processor of
its own that prints each span as it ends, from a thread of its own (a slow terminal never holds up
a call).

Everything printed that comes from data (span names, models, providers, routes, accounts, ids,
error types and descriptions, the service name) is text, never rich markup, and every character
Python does not call printable (C0 and C1 controls, escape sequences, bidi overrides such as U+202E,
line separators, lone surrogates) is shown as its escape (``\x1b``, ``\u202e``): a model's or a
provider's answer cannot retitle the window, clear the screen, move the cursor, fake a colour or
reorder what the line says.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, TextIO

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode

from opentelemetry import trace
from opentelemetry.instrumentation.llm_router._genai import _attributes as A

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

_INSTALL_HINT = (
    "the llm_router_console exporter needs rich: "
    "python -m pip install rich (the package's console extra: '.[console]' from a clone)"
)

MAX_HELD_SPANS = 10_000
"""Most spans held while waiting for their trace's root to end; beyond it the oldest trace is
printed as far as it got (a root that never ends must not grow memory)."""
MAX_HOLD_S = 30.0
"""Seconds a trace may wait for its root; after that it is printed as far as it got."""
UNWRAPPED_WIDTH = 1_000_000
"""The width given to rich when the output is no terminal: one line per span, never wrapped."""
LIVE_QUEUE = 2048
"""Spans the live printer holds while the terminal is slower than the calls (then it drops)."""
LIVE_WAKE_MS = 200
"""The live printer's thread also wakes this often, so no span waits longer if a wake-up was
missed while it was printing."""


class LLMRouterConsoleSpanExporter(SpanExporter):
    """Prints finished traces as trees, GenAI spans as one summary line each.

    Args:
        out: where to print (``sys.stdout`` by default).
        width: columns to wrap at. By default a terminal's own width (a longer line wraps,
            indented under its place in the tree); output that is no terminal (a pipe, a file,
            a log collector) is never wrapped: one line per span, whatever ``COLUMNS`` says.
        color: force colours on or off (default: on for a terminal only).
    """

    def __init__(
        self,
        out: Optional[TextIO] = None,
        width: Optional[int] = None,
        color: Optional[bool] = None,
    ) -> None:
        try:
            from rich.console import Console
        except ImportError as error:  # the optional extra is missing: say which
            raise ImportError(_INSTALL_HINT) from error
        file = out if out is not None else sys.stdout
        if width is None and not _is_terminal(file):
            width = UNWRAPPED_WIDTH
        self._console: Console = Console(
            file=file,
            width=width,
            force_terminal=color,
            no_color=color is False,
            highlight=False,
            soft_wrap=False,
        )
        self._lock = threading.Lock()
        # trace id -> (monotonic time of its first held span, spans in end order)
        self._held: dict[int, tuple[float, list[ReadableSpan]]] = {}
        self._held_count = 0
        self._printed_service: Optional[str] = None

    # -- SpanExporter ------------------------------------------------------------------------

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            with self._lock:
                now = time.monotonic()
                ready: list[int] = []
                for span in spans:
                    context = span.context
                    if context is None:
                        continue
                    entry = self._held.setdefault(context.trace_id, (now, []))
                    entry[1].append(span)
                    self._held_count += 1
                    if _is_local_root(span):
                        ready.append(context.trace_id)
                for trace_id in dict.fromkeys(ready):
                    self._print_trace(trace_id)
                self._print_overdue(now)
        except Exception:  # a display problem must never fail the export pipeline
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        with self._lock:
            for trace_id in list(self._held):
                self._print_trace(trace_id)
        return True

    def shutdown(self) -> None:
        self.force_flush()

    # -- printing ----------------------------------------------------------------------------

    def _print_overdue(self, now: float) -> None:
        for trace_id, (first_seen, _) in list(self._held.items()):
            if now - first_seen > MAX_HOLD_S or self._held_count > MAX_HELD_SPANS:
                self._print_trace(trace_id)

    def _print_trace(self, trace_id: int) -> None:
        _, spans = self._held.pop(trace_id, (0.0, []))
        self._held_count -= len(spans)
        if not spans:
            return
        from rich.text import Text
        from rich.tree import Tree

        service = _service_name(spans[0])
        if service and service != self._printed_service and not service.startswith("unknown_"):
            self._printed_service = service
            self._console.print(Text(f"service {_safe(service)}", style="bold"))
        ids = {span.context.span_id for span in spans if span.context is not None}
        children: dict[int, list[ReadableSpan]] = {}
        roots: list[ReadableSpan] = []
        for span in spans:
            parent = span.parent
            if parent is not None and not parent.is_remote and parent.span_id in ids:
                children.setdefault(parent.span_id, []).append(span)
            else:
                roots.append(span)
        for root in sorted(roots, key=_order):
            # The trace id tells requests apart; a lone span needs none.
            shown_id = trace_id if root.context and root.context.span_id in children else None
            tree = Tree(span_line(root, trace_id=shown_id), guide_style="dim")
            _add_children(tree, root, children)
            self._console.print(tree)


class LiveConsoleSpanExporter(LLMRouterConsoleSpanExporter):
    """What ``OTEL_TRACES_EXPORTER=llm_router_console`` makes: the console view, printing each
    span as it ends rather than when the SDK's batch comes round.

    The SDK's configuration (``opentelemetry-instrument``) sets the tracer provider it has made
    as the global one and then builds each named exporter, to put it behind a
    ``BatchSpanProcessor`` (a batch every 5 s). Built there, this adds to that provider a
    processor of its own that hands each ended span at once to a printing thread (a slow terminal
    holds up no call; beyond :data:`LIVE_QUEUE` waiting spans it drops), and exports nothing
    itself. Where there is no SDK tracer provider yet (a program that makes its own, such as
    ``llm-router-otel ingest``), it is the plain exporter behind whatever processor it is given.
    """

    def __init__(
        self,
        out: Optional[TextIO] = None,
        width: Optional[int] = None,
        color: Optional[bool] = None,
    ) -> None:
        super().__init__(out, width, color)
        self._live = False
        add_span_processor = getattr(trace.get_tracer_provider(), "add_span_processor", None)
        if add_span_processor is None:
            return
        add_span_processor(
            BatchSpanProcessor(
                LLMRouterConsoleSpanExporter(out, width, color),
                max_queue_size=LIVE_QUEUE,
                max_export_batch_size=1,  # the printing thread wakes for every span that ends
                schedule_delay_millis=LIVE_WAKE_MS,
            )
        )
        self._live = True

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._live:  # printed already, by the processor added above
            return SpanExportResult.SUCCESS
        return super().export(spans)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True if self._live else super().force_flush(timeout_millis)


def _add_children(
    tree: Any, span: ReadableSpan, children: Mapping[int, list[ReadableSpan]]
) -> None:
    if span.context is None:
        return
    for child in sorted(children.get(span.context.span_id, ()), key=_order):
        _add_children(tree.add(span_line(child)), child, children)


def _order(span: ReadableSpan) -> tuple[int, int]:
    """Siblings in the order they finished: a router reports a request after its upstream call,
    with a start time computed back from its latency, so start order would be a coin toss."""
    return (span.end_time or 0, span.start_time or 0)


def _is_local_root(span: ReadableSpan) -> bool:
    """No parent in this process: the last span of its (local part of the) trace to end."""
    return span.parent is None or span.parent.is_remote


def _service_name(span: ReadableSpan) -> Optional[str]:
    resource = span.resource
    if resource is None:
        return None
    name = resource.attributes.get("service.name")
    return str(name) if name is not None else None


# -- one line per span -------------------------------------------------------------------------


def span_line(span: ReadableSpan, trace_id: Optional[int] = None) -> Text:
    """The one-line summary of ``span``: a GenAI call in full, any other span briefly."""
    from rich.text import Text

    attributes: Mapping[str, Any] = span.attributes or {}
    line = Text()
    line.append(_safe(span.name), style="bold")
    if A.GEN_AI_OPERATION_NAME in attributes:
        _genai_details(line, attributes)
    else:
        kind = span.kind.name.lower() if span.kind is not SpanKind.INTERNAL else None
        if kind:
            line.append(f"  {kind}", style="dim")
    duration = _duration(span)
    if duration:
        line.append(f"  {duration}")
    _status(line, span, attributes)
    if A.GEN_AI_OPERATION_NAME in attributes:
        _money(line, attributes)
        _router_details(line, attributes)
    if trace_id is not None:
        line.append(f"  trace {trace_id:032x}"[:16], style="dim")
    return line


def _genai_details(line: Text, attributes: Mapping[str, Any]) -> None:
    provider = attributes.get(A.GEN_AI_PROVIDER_NAME)
    if provider:
        line.append(f"  {_safe(provider)}", style="cyan")
    address = attributes.get(A.SERVER_ADDRESS)
    if address:
        port = attributes.get(A.SERVER_PORT)
        where = f"@{address}:{port}" if port else f"@{address}"
        line.append(_safe(where), style="dim cyan")
    response_model = attributes.get(A.GEN_AI_RESPONSE_MODEL)
    if response_model and response_model != attributes.get(A.GEN_AI_REQUEST_MODEL):
        line.append(f" → {_safe(response_model)}", style="dim")
    if attributes.get(A.GEN_AI_REQUEST_STREAM):
        line.append("  stream", style="magenta")
    tokens_in = attributes.get(A.GEN_AI_USAGE_INPUT_TOKENS)
    tokens_out = attributes.get(A.GEN_AI_USAGE_OUTPUT_TOKENS)
    if tokens_in is not None:
        line.append(f"  in {_count(tokens_in)}")
        parts = []
        cache_read = attributes.get(A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)
        if cache_read:
            parts.append(f"{_count(cache_read)} cached")
        cache_write = attributes.get(A.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)
        if cache_write:
            parts.append(f"{_count(cache_write)} cache write")
        if parts:
            line.append(f" ({', '.join(parts)})", style="dim")
    if tokens_out is not None:
        line.append(
            f" out {_count(tokens_out)}" if tokens_in is not None else f"  out {_count(tokens_out)}"
        )
        reasoning = attributes.get(A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS)
        if reasoning:
            line.append(f" ({_count(reasoning)} reasoning)", style="dim")


def _status(line: Text, span: ReadableSpan, attributes: Mapping[str, Any]) -> None:
    http_status = attributes.get(A.HTTP_RESPONSE_STATUS_CODE)
    ttfc = attributes.get(A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK)
    if isinstance(ttfc, (int, float)):
        line.append(f"  ttfc {_seconds(float(ttfc))}")
    if span.status.status_code is StatusCode.ERROR:
        what = attributes.get(A.ERROR_TYPE) or span.status.description or "error"
        if http_status and str(http_status) != str(what):
            what = f"{http_status} {what}"
        line.append(f"  ✗ {_safe(what)}", style="bold red")
    elif A.GEN_AI_OPERATION_NAME in attributes:
        line.append("  ok", style="green")


def _money(line: Text, attributes: Mapping[str, Any]) -> None:
    cost = attributes.get(A.LLM_ROUTER_COST_USD)
    if isinstance(cost, (int, float)):
        line.append(f"  {_usd(float(cost))}", style="yellow")
    spent = attributes.get(A.LLM_ROUTER_BUDGET_SPENT)
    budget = attributes.get(A.LLM_ROUTER_BUDGET)
    fraction = attributes.get(A.LLM_ROUTER_BUDGET_USED_FRACTION)
    if isinstance(fraction, (int, float)):
        text = f"  budget {fraction:.0%}" if fraction >= 0.1 else f"  budget {fraction:.1%}"
        if isinstance(budget, int):
            text += f" of {_usd(budget / 1e6)}"
        exceeded = attributes.get(A.LLM_ROUTER_BUDGET_EXCEEDED)
        line.append(text, style="bold red" if exceeded or fraction > 1 else "yellow")
    elif isinstance(spent, int):
        line.append(f"  spent {_usd(spent / 1e6)}", style="yellow")


def _router_details(line: Text, attributes: Mapping[str, Any]) -> None:
    details = []
    route = attributes.get(A.LLM_ROUTER_ROUTE)
    if route:
        details.append(f"route {_safe(route)}")
    account = attributes.get(A.LLM_ROUTER_ACCOUNT_ID)
    if account:
        details.append(_safe(account))
    request_id = attributes.get(A.LLM_ROUTER_REQUEST_ID)
    if request_id:
        details.append(f"upstream {_safe(request_id)}")
    if details:
        line.append("  " + " ".join(details), style="dim")


def _safe(value: Any) -> str:
    """``value`` as text a terminal shows as it is: every character Python does not call
    printable (controls, escape sequences, bidi and other format characters, line and paragraph
    separators, surrogates) as its backslash escape. Printable text is returned as it is."""
    text = value if type(value) is str else str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _is_terminal(file: Any) -> bool:
    try:
        return bool(file.isatty())
    except Exception:  # closed, or no isatty: not a terminal
        return False


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def _duration(span: ReadableSpan) -> Optional[str]:
    if span.start_time is None or span.end_time is None:
        return None
    return _seconds(max(span.end_time - span.start_time, 0) / 1e9)


def _seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def _usd(amount: float) -> str:
    """``$1.50``, ``$0.0475``, ``$0.000036``: cents for dollars, six decimals at most below."""
    if abs(amount) >= 1:
        return f"${amount:,.2f}"
    text = f"{amount:.6f}".rstrip("0")
    return f"${text}0" if text.endswith(".") else f"${text}"
