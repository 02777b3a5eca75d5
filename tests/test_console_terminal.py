"""The console view in front of a real terminal: hostile values, rich markup, pipes and liveness.

Every value the view prints comes from data someone else chose (a model name from a response, a
route and an account from the router's caller, a provider's error code, the service name): none
of it may reach the terminal as a control. Generated over every code point Python does not call
printable that a terminal could act on (C0 and C1 controls, DEL, every format character including
the bidi overrides and isolates, line and paragraph separators, surrogates) and every field the
view prints, with colours on (so our own SGR sequences are there too) and off. The service name
and every other value is text, never rich markup.

When the output is no terminal each call is exactly one line, whatever ``COLUMNS`` says; at a
terminal (a real pseudo-terminal) lines wrap at its width. Under a real ``opentelemetry-instrument``
with stdout a pipe, each call's line arrives as the call ends, not at the SDK's next batch.
"""

from __future__ import annotations

import io
import queue
import subprocess
import sys
import threading
import unicodedata
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from opentelemetry.instrumentation.llm_router import LLMRouterConsoleSpanExporter
from opentelemetry.instrumentation.llm_router._genai import _attributes as A
from tests.support.apps import clean_env, instrumented
from tests.support.openai_wire import chat_reply
from tests.support.scripted_server import ScriptedServer
from tests.support.terminal import SGR, run_on_a_terminal

BIDI_CONTROLS = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}


def _dangerous(code: int) -> bool:
    char = chr(code)
    return (
        unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")
        or unicodedata.bidirectional(char) in BIDI_CONTROLS
    )


DANGEROUS = [chr(code) for code in range(sys.maxunicode + 1) if _dangerous(code)]
ATTACKS = {
    "window title": "\x1b]0;pwned\x07",
    "clear screen": "\x1b[2J\x1b[H",
    "fake red ERROR": "\x1b[1;31mERROR\x1b[0m",
    "cursor up and erase": "\x1b[3A\x1b[2K",
    "C1 CSI": "\x9b2J",
    "right-to-left override": "\u202etxt.exe",
    "newline": "a\nfake line",
}
FIELDS = (
    "span name",
    "provider",
    "server address",
    "response model",
    "error type",
    "status description",
    "route",
    "account",
    "request id",
    "service name",
)


def _print_one(field: str, value: str, color: bool) -> str:
    """One GenAI span (and its service name) printed with ``value`` in ``field``."""
    out = io.StringIO()
    service = value if field == "service name" else "svc"
    provider = TracerProvider(resource=Resource({"service.name": service}))
    provider.add_span_processor(
        SimpleSpanProcessor(LLMRouterConsoleSpanExporter(out=out, color=color))
    )
    attributes: dict[str, Any] = {
        A.GEN_AI_OPERATION_NAME: "chat",
        A.GEN_AI_PROVIDER_NAME: value if field == "provider" else "openai",
        A.GEN_AI_REQUEST_MODEL: "gpt-4o",
        A.SERVER_ADDRESS: value if field == "server address" else "api.openai.com",
        A.SERVER_PORT: 443,
        A.GEN_AI_RESPONSE_MODEL: value if field == "response model" else "gpt-4o",
        A.LLM_ROUTER_ROUTE: value if field == "route" else "fast",
        A.LLM_ROUTER_ACCOUNT_ID: value if field == "account" else "acct-1",
        A.LLM_ROUTER_REQUEST_ID: value if field == "request id" else "req-1",
        A.HTTP_RESPONSE_STATUS_CODE: 400,
    }
    if field == "error type":
        attributes[A.ERROR_TYPE] = value
    name = f"chat {value}" if field == "span name" else "chat gpt-4o"
    span = provider.get_tracer("t").start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
    description = value if field == "status description" else "provider error"
    span.set_status(Status(StatusCode.ERROR, description))
    span.end()
    provider.shutdown()
    return out.getvalue()


def _escaped(char: str) -> str:
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def _assert_inert(text: str, color: bool) -> None:
    """Nothing a terminal would act on but our own colours and the line ends."""
    rest = SGR.sub("", text) if color else text
    assert "\x1b" not in rest
    body = rest.replace("\n", "")
    found = sorted({f"U+{ord(c):04X}" for c in body if _dangerous(ord(c))})
    assert not found, found


@pytest.mark.parametrize("color", [False, True], ids=["plain", "colour"])
@pytest.mark.parametrize("field", FIELDS)
def test_every_unprintable_code_point_in_every_field_is_shown_escaped(
    field: str, color: bool
) -> None:
    assert len(DANGEROUS) > 2000  # C0, C1, DEL, every Cf, Zl, Zp and the 2,048 surrogates
    value = "<" + "".join(DANGEROUS) + ">"
    text = _print_one(field, value, color)
    _assert_inert(text, color)
    plain = SGR.sub("", text)
    assert "<" + "".join(_escaped(c) for c in DANGEROUS) + ">" in plain
    assert len(plain.splitlines()) == 2  # the service line, the call


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_terminal_attacks_are_shown_not_performed(field: str, attack: str) -> None:
    text = _print_one(field, f"x{ATTACKS[attack]}y", color=True)
    _assert_inert(text, color=True)
    assert len(SGR.sub("", text).splitlines()) == 2


@pytest.mark.parametrize(
    "service", ["router[eu-1]", "api[/]", "[bold red]ERROR[/]", "a[link=https://x]b[/link]"]
)
def test_the_service_name_is_text_not_markup(service: str) -> None:
    text = _print_one("route", "fast", color=False)
    assert text  # the control: printing works
    text = _print_one("service name", service, color=False)
    assert text.splitlines()[0] == f"service {service}"
    assert len(text.splitlines()) == 2  # and the call is printed (the export did not fail)


LONG_LINE_CODE = """
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind

from opentelemetry.instrumentation.llm_router import LLMRouterConsoleSpanExporter


def long_call_line(out):
    provider = TracerProvider(resource=Resource({"service.name": "unknown_service"}))
    provider.add_span_processor(
        SimpleSpanProcessor(LLMRouterConsoleSpanExporter(out=out, color=False))
    )
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("POST /v1/chat/completions", kind=SpanKind.SERVER):
        tracer.start_span(
            "chat gpt-4o",
            kind=SpanKind.CLIENT,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o",
                "llm_router.route": "a-route-with-a-name-long-enough-to-pass-eighty-columns-" * 2,
                "llm_router.account.id": "acct-0123456789",
            },
        ).end()
    provider.shutdown()
"""
LONG_LINE_TO_STDOUT = LONG_LINE_CODE + "\nimport sys\nlong_call_line(sys.stdout)\n"


def _long_call_line(out: Any) -> None:
    """The same trace here: a server span and a call whose line is 150 columns."""
    namespace: dict[str, Any] = {}
    exec(LONG_LINE_CODE, namespace)
    namespace["long_call_line"](out)


def test_not_a_terminal_one_line_per_span_whatever_columns_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = io.StringIO()
    _long_call_line(out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert len(lines[1]) > 120 and lines[1].endswith("acct-0123456789")


def test_at_a_terminal_long_lines_wrap_at_its_width() -> None:
    text = run_on_a_terminal(["-c", LONG_LINE_TO_STDOUT], columns=60)
    lines = text.splitlines()
    assert len(lines) > 2 and all(len(line) <= 60 for line in lines), lines
    assert "acct-0123456789" in text


# -- live under opentelemetry-instrument --------------------------------------------------------

APP = """
import sys, httpx
print("ready", flush=True)
for line in sys.stdin:  # one call per line the test sends; the line says which model
    httpx.post(sys.argv[1], json={"model": line.strip(), "messages": []}).read()
"""


LIVE_BOUND_S = 30.0
"""How long a call's line may take: far below the 120 s the SDK's batch is set to wait, and far
above a loaded machine's call (2.5 s was missed with load 15 on two cores)."""


def test_each_call_prints_as_it_ends_under_opentelemetry_instrument(tmp_path: Any) -> None:
    """stdout a pipe, the app still running: a call's line arrives right after the call, not
    at the SDK's next batch (5 s) or at exit; and it is one line, however long."""
    script = tmp_path / "app.py"
    script.write_text(APP)
    long_model = "gpt-4o-" + "x" * 150
    with ScriptedServer(chat_reply()) as server:
        env = clean_env(
            {
                "OTEL_PYTHON_LLM_ROUTER_PROVIDERS": f"{server.host_port}=openai",
                "OTEL_SERVICE_NAME": "live-app",
                "OTEL_TRACES_EXPORTER": "llm_router_console",
                "OTEL_METRICS_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "none",
                "OTEL_PYTHON_LLM_ROUTER_PRICING": "off",
                "COLUMNS": "80",
                "PYTHONUNBUFFERED": "1",
                # The SDK's own batch waits 120 s here, so a line within the bound below can only
                # come from the live path, however loaded the machine is.
                "OTEL_BSP_SCHEDULE_DELAY": "120000",
            }
        )
        proc = subprocess.Popen(
            instrumented([str(script), f"{server.url}/v1/chat/completions"]),
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True)
        reader.start()
        try:
            assert proc.stdin is not None
            assert _next_line(lines, 30) == "ready"
            seen = []
            for model in ("gpt-4o-mini", long_model):
                proc.stdin.write(model + "\n")
                proc.stdin.flush()
                line = _next_line(lines, LIVE_BOUND_S)
                while not line.startswith("chat "):  # the service line, an HTTP child span
                    line = _next_line(lines, LIVE_BOUND_S)
                seen.append(line)
            proc.stdin.close()
            assert proc.wait(timeout=30) == 0, proc.stderr.read()  # type: ignore[union-attr]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        reader.join(5)
    first, second = seen
    assert first.startswith("chat gpt-4o-mini  openai@127.0.0.1")
    assert second.startswith(f"chat {long_model}  openai@127.0.0.1") and "  ok" in second
    # nothing more at exit but the calls' HTTP child spans: no line printed twice
    assert all(line.startswith("└── POST") for line in lines.queue), list(lines.queue)


def _read_lines(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))


def _next_line(lines: queue.Queue[str], timeout: float) -> str:
    """The next stdout line within ``timeout`` seconds (the test fails otherwise)."""
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(
            f"no line within {timeout} s (held for the SDK's next batch?)"
        ) from None
