"""Generated leak cases: a planted secret or prompt, and one way it comes back in error text.

A case is a planted value (a key in no recognised format: 40 hex characters, or base64 with
``/``, ``+`` and ``=``; or a prompt with non-ASCII letters that names the provider's error code)
carried bare, as a credential query parameter of a URL or as a URL's userinfo password, and
encoded as it can come back from a provider, a gateway or a Rust router: echoed, percent-encoded,
JSON-escaped with ``\\/``, every punctuation character as ``\\uXXXX``, hard-wrapped, truncated.

What must never be exported is every piece of the planted value (in each of those forms) that
the redaction step promises to find: 8 characters of a key (``MIN_SECRET``), 16 of a prompt
(``CONTENT_RUN``). Each case also carries a control word that must be exported: it proves the
case's error text reached telemetry (so finding nothing means something).

Sources that know the request (the client hooks, the LiteLLM adapter) get every case; sources
that know nothing of it (``OTelObserver``, ``ForwardEventRecorder``, the bridge) get the cases
the knowledge-free rules cover: a secret inside a URL, in every encoding but a hard wrap (a URL
broken inside its value cannot be told from prose without knowing the key).
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass
from typing import Callable, Iterable
from urllib.parse import quote

from opentelemetry.instrumentation.llm_router._redact import CONTENT_RUN, MIN_SECRET

QUERY_NAMES = (
    "key",
    "api_key",
    "apikey",
    "access_token",
    "token",
    "sig",
    "signature",
    "password",
    "secret",
    "client_secret",
    "x-goog-api-key",
)
ENCODINGS = ("echoed", "percent", "json-slash", "json-u", "wrapped", "truncated")
ERROR_CODE = "invalid_request_error"
"""The provider error type every case's reply carries (and every prompt contains)."""


_NAMED_CODE = (f" {ERROR_CODE} ", f"%20{ERROR_CODE}%20")
"""How a prompt names the error code (exported as ``error.type``, and printed beside a space)."""


def json_slash(text: str) -> str:
    """JSON-escaped as PHP and some gateways write it: ``/`` as ``\\/``, non-ASCII as ``\\u``."""
    return json.dumps(text)[1:-1].replace("/", "\\/")


def json_u(text: str) -> str:
    """Every character but ASCII letters and digits as ``\\uXXXX`` (.NET's encoder escapes
    ``+``, ``&``, quotes and all non-ASCII that way)."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\u{ord(c):04x}" for c in text)


def _forms(value: str) -> list[str]:
    """The forms whose pieces are searched for. Not :func:`json_u`'s: its pieces are mostly
    escape syntax any URL has (``\\u002f\\u``); the runs between its escapes are raw pieces."""
    return [value, quote(value, safe=""), json.dumps(value)[1:-1], json_slash(value)]


@dataclass(frozen=True)
class Case:
    number: int
    kind: str  # "hex40" | "base64" | "prompt"
    carrier: str  # "bare" | "query:<name>" | "userinfo"
    encoding: str
    value: str
    text: str  # how the value comes back, to put into an error message

    @property
    def path(self) -> str:
        return f"{self.kind}/{self.carrier}/{self.encoding}"

    @property
    def control(self) -> str:
        return f"ctl{self.number:04d}q"

    @property
    def is_prompt(self) -> bool:
        return self.kind == "prompt"

    def message(self) -> str:
        """The error text: the control word, then the value as it came back."""
        return f"{self.control}: upstream refused the request ({self.text}), try again"

    def pieces(self) -> set[str]:
        """Every piece of the planted value that must not be exported (but for pieces of the
        error code a prompt names: that code is exported as ``error.type``, rightly)."""
        size = CONTENT_RUN if self.is_prompt else MIN_SECRET
        return {
            form[at : at + size]
            for form in _forms(self.value)
            for at in range(len(form) - size + 1)
            if not any(form[at : at + size] in named for named in _NAMED_CODE)
        }

    def leaks(self, exported: str) -> list[str]:
        return sorted(piece for piece in self.pieces() if piece in exported)


def _secret(kind: str, rng: random.Random) -> str:
    if kind == "hex40":
        return "".join(rng.choice("0123456789abcdef") for _ in range(40))
    while True:  # base64 of 30 random bytes, with "/" and "+" in it, and "=" padding
        value = base64.b64encode(rng.randbytes(31)).decode()
        if "/" in value and "+" in value:
            return value


def _prompt(rng: random.Random) -> str:
    """Random words (non-ASCII letters among them, so JSON writes ``\\u`` escapes) around the
    provider's error code: every piece of it but the code is this case's own."""

    def word() -> str:
        return "".join(rng.choice("bcdfghjkmnpqrstvwxzüéø") for _ in range(rng.randint(4, 8)))

    words = [word() for _ in range(9)]
    return " ".join([*words[:4], "★", *words[4:6], ERROR_CODE, *words[6:]])


def _carry(carrier: str, value: str) -> tuple[str, str]:
    """The carried text and the value's form inside it."""
    if carrier == "bare":
        return value, value
    quoted = quote(value, safe="")
    if carrier == "userinfo":
        return f"https://router:{quoted}@gw.example.com/v1/chat/completions", quoted
    name = carrier.split(":", 1)[1]
    return f"https://gw.example.com/v1/chat/completions?model=m&{name}={quoted}&n=1", quoted


def _encode(encoding: str, text: str, inner: str, width: int) -> str:
    if encoding == "echoed":
        return text
    if encoding == "percent":
        return quote(text, safe="")
    if encoding == "json-slash":
        return json_slash(text)
    if encoding == "json-u":
        return json_u(text)
    if encoding == "wrapped":
        return "\n".join(text[at : at + width] for at in range(0, len(text), width))
    if encoding == "truncated":  # cut two thirds into the value, as a length limit does
        at = text.index(inner) + 2 * len(inner) // 3
        return text[:at] + "…"
    raise ValueError(encoding)


def generate(knowing: bool, seed: int) -> list[Case]:
    """The cases for a source that knows the request (``knowing``) or knows nothing of it."""
    rng = random.Random(seed)
    cases: list[Case] = []

    def add(kind: str, value: str, carrier: str, encoding: str, width: int) -> None:
        text, inner = _carry(carrier, value)
        cases.append(
            Case(len(cases), kind, carrier, encoding, value, _encode(encoding, text, inner, width))
        )

    names = iter(QUERY_NAMES * 4)
    if knowing:
        for kind in ("hex40", "base64"):
            for carrier in ("bare", "query", "userinfo"):
                for encoding in ENCODINGS:
                    chosen = f"query:{next(names)}" if carrier == "query" else carrier
                    add(kind, _secret(kind, rng), chosen, encoding, 16)
        for carrier in ("bare", "query:q"):
            for encoding in ENCODINGS:
                add("prompt", _prompt(rng), carrier, encoding, 32)
    else:
        for carrier in [*(f"query:{name}" for name in QUERY_NAMES), "userinfo"]:
            for number, encoding in enumerate(e for e in ENCODINGS if e != "wrapped"):
                kind = ("hex40", "base64")[number % 2]
                add(kind, _secret(kind, rng), carrier, encoding, 16)
    return cases


def find_leaks(cases: Iterable[Case], exported: str) -> list[str]:
    """One line per case that leaked: its path and the pieces found."""
    found = []
    for case in cases:
        pieces = case.leaks(exported)
        if pieces:
            found.append(f"case {case.number} {case.path}: {pieces[:3]}")
    return found


def missing_controls(cases: Iterable[Case], exported: str) -> list[str]:
    return [case.path for case in cases if case.control not in exported]


Source = Callable[[list[Case]], str]
"""Runs every case through one source; returns everything it exported, as text."""
