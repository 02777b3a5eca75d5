"""The one redaction step for text that reaches telemetry from an exception or a provider body.

Error text is the one place where data the user never meant to export gets into spans: an
httpx/h11 exception quotes the header value it refused (``Illegal header value b'Bearer sk-…\\n'``
for a key with a trailing newline), a provider's 401 echoes the key it was sent, a provider's 400
repeats the prompt it could not accept. Every such text (status description, ``error.type``,
``exception.message``, ``exception.stacktrace``, log records built from them) goes through a
:class:`Redactor` before it is put on a span, and only then is it cut to its length bound: a key
cut by a length limit is still a key.

A :class:`Redactor` knows

- the request's credentials (which values are credentials is ``_clients._credentials``'s rule:
  every header or query parameter whose name says ``auth``, ``key``, ``token``, ``secret``, ...,
  and each word of a header value: the key after ``Bearer``). Each is searched as sent, stripped of surrounding whitespace, percent-encoded, JSON- and
  repr-escaped, and any run of text that equals a prefix of 8 characters or more of one of these
  forms becomes ``[REDACTED]``;
- with content capture off, the request's message text: any run of :data:`CONTENT_RUN`
  characters or more that also occurs in a string of the request body (other than the model
  name and the structural ``role`` / ``type`` fields) becomes ``[content]``;
- key-shaped tokens whatever their origin (``sk-…``, ``AIza…``, ``gsk_…``, ``xai-…``,
  ``Bearer …``), which become ``[REDACTED]`` even when the request is unknown (router events).

Shorter credentials (under 8 characters) are not searched: they would cut ordinary words out of a
message. Redaction runs only on the error path, so a successful call pays nothing for it.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from typing import Any, Iterable, Optional
from urllib.parse import quote, quote_plus

from opentelemetry.instrumentation.llm_router._bounds import MAX_MESSAGE, MAX_TEXT, exportable

_logger = logging.getLogger(__name__)

REDACTED = "[REDACTED]"
CONTENT = "[content]"

MIN_SECRET = 8
"""Shortest credential prefix that is searched for (and shortest credential at all)."""
CONTENT_RUN = 16
"""Runs of request text this long or longer are always replaced by ``[content]`` (capture off).

Request strings are indexed by :data:`_GRAM`-character pieces every :data:`_STRIDE` characters
(memory a quarter of the text's, whatever its size), so a shared run of ``_GRAM + _STRIDE - 1``
characters always contains an indexed piece; found pieces are extended to the whole shared run.
Shorter shared runs, down to ``_GRAM`` characters, are replaced when they line up."""
_GRAM = 12
_STRIDE = 4
MAX_STACKTRACE = 8192
"""Longest ``exception.stacktrace`` kept (its end: the frames nearest the error)."""

_NOT_CONTENT_KEYS = frozenset(("model", "role", "type"))
_KEY_SHAPED = re.compile(
    r"(?:sk-[A-Za-z0-9_*-]{6,}|AIza[0-9A-Za-z_-]{10,}|gsk_[A-Za-z0-9*]{6,}|xai-[A-Za-z0-9*]{6,}"
    r"|Bearer\s+\S+)"
)
_MAX_CONTENT_SCAN = 1 << 20
"""Request text beyond this many characters (per string) is not indexed: bounded work."""


def _variants(secret: str) -> set[str]:
    """The forms a credential takes in error text: as sent, stripped, encoded, escaped."""
    forms = {secret, secret.strip()}
    for form in list(forms):
        forms.add(quote(form, safe=""))
        forms.add(quote_plus(form, safe=""))
        forms.add(json.dumps(form)[1:-1])
        forms.add(repr(form)[1:-1])
        forms.add(repr(form.encode("utf-8", "surrogatepass"))[2:-1])
    return {f for f in forms if len(f) >= MIN_SECRET}


def _content_strings(body: Any) -> list[str]:
    """Every string of a decoded JSON request that is (or may quote) the user's content."""
    found: list[str] = []
    stack = [body]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if len(value) >= _GRAM:
                found.append(value[:_MAX_CONTENT_SCAN])
        elif isinstance(value, dict):
            stack.extend(v for k, v in value.items() if k not in _NOT_CONTENT_KEYS)
        elif isinstance(value, list):
            stack.extend(value)
    return found


class Redactor:
    """Masks the credentials and (optionally) the content of one request in error text.

    Args:
        secrets: credential values the request carried (any form; variants are derived here).
        contents: request strings whose runs must not reach telemetry (capture off); empty when
            content capture is on.
    """

    __slots__ = ("_contents", "_index", "_secrets")

    def __init__(self, secrets: Iterable[str] = (), contents: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret and len(secret.strip()) >= MIN_SECRET:
                forms |= _variants(secret)
        self._secrets = sorted(forms, key=len, reverse=True)
        forms_of_content: set[str] = set()
        for text in contents:
            forms_of_content.update(
                (text, json.dumps(text, ensure_ascii=False)[1:-1], json.dumps(text)[1:-1])
            )
        self._contents = [form for form in forms_of_content if len(form) >= _GRAM]
        index: dict[str, tuple[int, int]] = {}
        for number, form in enumerate(self._contents):
            for at in range(0, len(form) - _GRAM + 1, _STRIDE):
                index.setdefault(form[at : at + _GRAM], (number, at))
        self._index = index

    @classmethod
    def for_call(
        cls, credentials: Iterable[str], body: Optional[bytes], capture_content: bool
    ) -> Redactor:
        """The redactor of one request: its credential values, and its body's text unless
        content is captured (then the text is exported anyway, by the user's choice)."""
        contents: list[str] = []
        if body and not capture_content:
            try:
                contents = _content_strings(json.loads(body))
            except (ValueError, RecursionError):  # not JSON: no content to search for
                contents = []
        return cls(credentials, contents)

    def __call__(self, text: Optional[str], limit: int = MAX_MESSAGE) -> Optional[str]:
        """``text`` redacted, made UTF-8 clean, then cut to ``limit`` characters."""
        if text is None:
            return None
        if type(text) is not str:
            text = str(text)
        text = self.redact(text)
        if len(text) > limit:
            text = text[:limit]
        return exportable(text)

    def redact(self, text: str) -> str:
        """``text`` with credentials and request content replaced (no length bound)."""
        marks: list[tuple[int, int, bool]] = []  # (start, end, is_secret)
        for form in self._secrets:
            head = form[:MIN_SECRET]
            start = text.find(head)
            while start != -1:
                end = start + MIN_SECRET
                limit = min(len(form), len(text) - start)
                while end - start < limit and text[end] == form[end - start]:
                    end += 1
                marks.append((start, end, True))
                start = text.find(head, start + 1)
        if self._index:
            self._mark_content(text, marks)
        if marks:
            text = _replace(text, marks)
        return _KEY_SHAPED.sub(REDACTED, text)

    def _mark_content(self, text: str, marks: list[tuple[int, int, bool]]) -> None:
        """Mark each run of ``text`` that also occurs in a request string (see CONTENT_RUN)."""
        index, contents = self._index, self._contents
        covered = 0
        for start in range(len(text) - _GRAM + 1):
            hit = index.get(text[start : start + _GRAM])
            if hit is None or start + _GRAM <= covered:
                continue
            form = contents[hit[0]]
            left, right = start, start + _GRAM
            at_left, at_right = hit[1], hit[1] + _GRAM
            while left > 0 and at_left > 0 and text[left - 1] == form[at_left - 1]:
                left -= 1
                at_left -= 1
            while right < len(text) and at_right < len(form) and text[right] == form[at_right]:
                right += 1
                at_right += 1
            marks.append((left, right, False))
            covered = max(covered, right)

    def exception_attributes(self, exception: BaseException) -> dict[str, str]:
        """The ``exception`` event attributes (as the SDK's ``record_exception`` writes them),
        with message and stack trace redacted and bounded."""
        kind = type(exception)
        module = kind.__module__
        name = (
            f"{module}.{kind.__qualname__}"
            if module and module != "builtins"
            else kind.__qualname__
        )
        try:
            stacktrace = "".join(
                traceback.format_exception(type(exception), exception, exception.__traceback__)
            )
        except Exception:  # a broken __str__ on the exception or one it chains
            stacktrace = name
        try:
            message = str(exception)
        except Exception:
            message = name
        stacktrace = self.redact(stacktrace)
        if len(stacktrace) > MAX_STACKTRACE:
            stacktrace = stacktrace[-MAX_STACKTRACE:]
        return {
            "exception.type": exportable(name[:MAX_TEXT]),
            "exception.message": self(message) or "",
            "exception.stacktrace": exportable(stacktrace),
            "exception.escaped": "False",
        }


def _replace(text: str, marks: list[tuple[int, int, bool]]) -> str:
    """Replace each maximal run of marked characters with one placeholder."""
    marks.sort()
    out: list[str] = []
    position = 0
    run_start, run_end, secret = marks[0]
    for start, end, is_secret in marks[1:]:
        if start <= run_end:
            run_end = max(run_end, end)
            secret = secret or is_secret
            continue
        out.append(text[position:run_start])
        out.append(REDACTED if secret else CONTENT)
        position = run_end
        run_start, run_end, secret = start, end, is_secret
    out.append(text[position:run_start])
    out.append(REDACTED if secret else CONTENT)
    out.append(text[run_end:])
    return "".join(out)


DEFAULT = Redactor()
"""Key-shaped tokens only: for text whose request is unknown (router events, forward events)."""
