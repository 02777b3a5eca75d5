r"""The one redaction step for text that reaches telemetry from an exception or a provider body.

Error text is the one place where data the user never meant to export gets into spans: an
httpx/h11 exception quotes the header value it refused (``Illegal header value b'Bearer sk-…\n'``
for a key with a trailing newline), a provider's 401 echoes the key it was sent, a provider's 400
repeats the prompt it could not accept, Rust's reqwest and httpx print the URL they failed on
(``?key=…`` included). Every source (the client hooks, ``OTelObserver``, ``ForwardEventRecorder``
and so the bridge, the LiteLLM adapter) hands such text to a :class:`Redactor` built from
whatever it knows of the request, and only then is the text cut to its length bound: a key cut by
a length limit is still a key.

What a :class:`Redactor` masks:

- the request's credentials, when the source knows them (which values are credentials is
  :data:`CREDENTIAL_NAME`: every header, query parameter or setting whose name says ``auth``,
  ``key``, ``token``, ``secret``, ``sig``, ...; and each word of a header value: the key after
  ``Bearer``). Each is taken as sent, stripped, percent-encoded, JSON-escaped (also with ``\/``)
  and repr-escaped, and **every piece** of :data:`MIN_SECRET` characters of any of these forms is
  searched for, so a key echoed cut, or across a hard-wrapped line, loses every piece that is long
  enough to be recognised;
- with content capture off, the request's message text: any run of :data:`CONTENT_RUN`
  characters or more that also occurs in a string of the request (other than the model name and
  the structural ``role`` / ``type`` fields) becomes ``[content]``;
- without any knowledge of the request: the value of every credential-named query parameter of a
  URL (``?key=``, ``&api_key=``, ``?access_token=``, ``?sig=``, ``&client_secret=``,
  ``?x-goog-api-key=``, ...), the password of a URL's userinfo (``https://user:pw@host``), and
  key-shaped tokens (``sk-…``, ``AIza…``, ``gsk_…``, ``xai-…``, ``Bearer …``).

Each search runs on the text as given and on the text with its escapes undone once or twice
(JSON's ``\uXXXX``, ``\/``, ``\"``; percent-encoding), the matches mapped back onto the text as
given: a key or a prompt quoted in an escaped form, or a URL percent-encoded inside another one,
is found without listing every combination of encodings.

Identifiers (``error.type``, provider error codes) go through :meth:`Redactor.identifier`:
credentials are masked there too (a provider may put the key into its error code), request
content is not: an error code that also occurs in the prompt is still that code.

Shorter credentials (under 8 characters) are not searched: they would cut ordinary words out of a
message. Redaction runs only on the error path, so a successful call pays nothing for it.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from typing import Any, Iterable, Iterator, Mapping, Optional
from urllib.parse import quote, quote_plus

from opentelemetry.instrumentation.llm_router._bounds import MAX_MESSAGE, MAX_TEXT, exportable

_logger = logging.getLogger(__name__)

REDACTED = "[REDACTED]"
CONTENT = "[content]"

MIN_SECRET = 8
"""Shortest credential piece that is searched for (and shortest credential at all)."""
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

CREDENTIAL_NAME = re.compile(
    r"auth|key|token|secret|cookie|passw|pwd|credential|signature|(?:^|[-_.])sig(?:$|[-_.])",
    re.I,
)
"""A header, query parameter or setting whose name matches holds a credential:
``Authorization``, ``Proxy-Authorization``, ``x-api-key``, ``api-key``, ``x-goog-api-key``,
``X-Custom-Token``, ``Cookie``, ``?key=``, ``?access_token=``, ``?sig=``, ``?password=``,
``client_secret``, ``api_key``... The one rule for every source and for URLs in any text."""

_NOT_CONTENT_KEYS = frozenset(("model", "role", "type"))
_KEY_SHAPED = re.compile(
    r"(?:sk-[A-Za-z0-9_*-]{6,}|AIza[0-9A-Za-z_-]{10,}|gsk_[A-Za-z0-9*]{6,}|xai-[A-Za-z0-9*]{6,}"
    r"|Bearer\s+\S+)"
)
_QUERY_VALUE = re.compile(r"[?&;]([\w.\[\]-]{1,64})=([^\s&#\"'<>\\(){}\[\],;|`]+)")
"""A URL query parameter in any text: its name, its value up to what ends a value in prose."""
_USERINFO_PASSWORD = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s/?#@:\"'<>…]*:([^\s/?#@\"'<>…]+)(?:@|(?=…|\.\.\.|$))"
)
"""The password of a URL's userinfo (``scheme://user:password@host``), also when the text was
cut before the ``@`` (``https://user:passw…``; but an all-digit value there is a port)."""
_NON_BLANK_RUN = re.compile(r"\S{" + str(MIN_SECRET) + ",}")
"""Where a credential piece can be: runs of non-blank characters long enough to hold one."""
_MAX_CONTENT_SCAN = 1 << 20
"""Request text beyond this many characters (per string) is not indexed: bounded work."""
_DECODE_DEPTH = 2
"""How many layers of escaping are undone (a percent-encoded URL in JSON text is two)."""

Marks = list[tuple[int, int, bool]]  # (start, end, is_secret)


def _variants(secret: str) -> set[str]:
    """The forms a credential takes in error text: as sent, stripped, encoded, escaped."""
    forms = {secret, secret.strip()}
    for form in list(forms):
        forms.add(quote(form, safe=""))
        forms.add(quote_plus(form, safe=""))
        escaped = json.dumps(form)[1:-1]
        forms.add(escaped)
        forms.add(escaped.replace("/", "\\/"))
        forms.add(repr(form)[1:-1])
        forms.add(repr(form.encode("utf-8", "surrogatepass"))[2:-1])
    return {f for f in forms if len(f) >= MIN_SECRET}


def _pieces(forms: set[str]) -> frozenset[str]:
    """Every piece of :data:`MIN_SECRET` characters of every form: a key cut anywhere, or broken
    across lines, keeps no piece long enough to be recognised. A form that contains a shorter
    one (``Bearer sk-…`` contains ``sk-…``) adds only the pieces that reach outside it."""
    pieces: set[str] = set()
    done: list[str] = []
    for form in sorted(forms, key=len):
        inner = next((known for known in done if known in form), None)
        if inner is None:
            pieces.update(form[at : at + MIN_SECRET] for at in range(len(form) - MIN_SECRET + 1))
        else:
            start = form.index(inner)
            end = start + len(inner)
            pieces.update(
                form[at : at + MIN_SECRET]
                for at in range(len(form) - MIN_SECRET + 1)
                if at < start or at + MIN_SECRET > end
            )
        done.append(form)
    return frozenset(pieces)


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
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return found


def named_credentials(
    values: Mapping[str, Any], containers: Iterable[str] = (), depth: int = 3
) -> list[str]:
    """The credential values of a mapping of named settings or headers (LiteLLM's call details,
    a proxy request): every string whose name matches :data:`CREDENTIAL_NAME` (whole, and each
    word: the key after ``Bearer``), also inside the nested mappings named in ``containers``."""
    found: list[str] = []
    nested = frozenset(containers)
    stack: list[tuple[Mapping[str, Any], int]] = [(values, depth)]
    while stack:
        mapping, left = stack.pop()
        for name, value in mapping.items():
            if not isinstance(name, str):
                continue
            if isinstance(value, str):
                if CREDENTIAL_NAME.search(name):
                    found.append(value)
                    found.extend(value.split())
            elif isinstance(value, Mapping) and left > 1 and name in nested:
                stack.append((value, left - 1))
    return found


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\([\"\\/bfnrt'])|(?:%[0-9a-fA-F]{2})+")
_SIMPLE_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "'": "'",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


def _percent_decoded(run: str, base: int, out: list[str], starts: list[int]) -> None:
    """A run of ``%XX`` escapes as characters (UTF-8 where the bytes are, else one per byte)."""
    raw = bytes.fromhex(run.replace("%", ""))
    at = 0
    while at < len(raw):
        lead = raw[at]
        size = 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        char = chr(lead)
        if size > 1:
            try:
                char = raw[at : at + size].decode("utf-8")
            except UnicodeDecodeError:
                size = 1
        out.append(char)
        starts.append(base + 3 * at)
        at += size


def _decoded(text: str) -> Optional[tuple[str, list[int]]]:
    """``text`` with one layer of JSON and percent escapes undone, and where each character of
    the result starts in ``text`` (one more entry: ``len(text)``); ``None`` if nothing to undo."""
    if "\\" not in text and "%" not in text:
        return None
    out: list[str] = []
    starts: list[int] = []
    position = 0
    for match in _ESCAPE.finditer(text):
        start = match.start()
        if start > position:
            out.append(text[position:start])
            starts.extend(range(position, start))
        unicode, simple = match.group(1), match.group(2)
        if unicode is not None:
            out.append(chr(int(unicode, 16)))
            starts.append(start)
        elif simple is not None:
            out.append(_SIMPLE_ESCAPES[simple])
            starts.append(start)
        else:
            _percent_decoded(match.group(0), start, out, starts)
        position = match.end()
    if not starts:
        return None
    out.append(text[position:])
    starts.extend(range(position, len(text)))
    starts.append(len(text))
    decoded = "".join(out)
    # A JSON surrogate pair (two \\uXXXX escapes) is one character: join it.
    if any("\ud800" <= c <= "\udbff" for c in decoded):
        decoded, starts = _join_surrogates(decoded, starts)
    return decoded, starts


def _join_surrogates(text: str, starts: list[int]) -> tuple[str, list[int]]:
    out: list[str] = []
    kept: list[int] = []
    at = 0
    while at < len(text):
        char = text[at]
        if (
            "\ud800" <= char <= "\udbff"
            and at + 1 < len(text)
            and "\udc00" <= text[at + 1] <= "\udfff"
        ):
            out.append(chr(0x10000 + ((ord(char) - 0xD800) << 10) + ord(text[at + 1]) - 0xDC00))
            kept.append(starts[at])
            at += 2
            continue
        out.append(char)
        kept.append(starts[at])
        at += 1
    kept.append(starts[-1])
    return "".join(out), kept


def _views(text: str) -> Iterator[tuple[str, Optional[list[int]]]]:
    """``text`` as given, then with one and two layers of escapes undone (with the map back)."""
    yield text, None
    view, mapping = text, None
    for _ in range(_DECODE_DEPTH):
        decoded = _decoded(view)
        if decoded is None:
            return
        view, starts = decoded
        mapping = starts if mapping is None else [mapping[at] for at in starts]
        yield view, mapping


def _rule_marks(text: str, marks: Marks) -> None:
    """What needs no knowledge of the request: credential query values, URL passwords, keys."""
    if "=" in text:
        for match in _QUERY_VALUE.finditer(text):
            if CREDENTIAL_NAME.search(match.group(1)):
                marks.append((match.start(2), match.end(2), True))
    if "://" in text:
        for match in _USERINFO_PASSWORD.finditer(text):
            if match.group(0)[-1] == "@" or not match.group(1).isdigit():
                marks.append((match.start(1), match.end(1), True))
    for match in _KEY_SHAPED.finditer(text):
        marks.append((match.start(), match.end(), True))


class Redactor:
    """Masks the credentials and (optionally) the content of one request in error text.

    Args:
        secrets: credential values the request carried (any form; variants are derived here).
        contents: request strings whose runs must not reach telemetry (capture off); empty when
            content capture is on.
    """

    __slots__ = ("_contents", "_index", "_percent", "_pieces")

    def __init__(self, secrets: Iterable[str] = (), contents: Iterable[str] = ()) -> None:
        values: set[str] = set()
        for secret in secrets:
            if isinstance(secret, str) and len(secret.strip()) >= MIN_SECRET:
                values.add(secret)
                # Each word alone too (see _mark_secrets): the key after "Bearer".
                values.update(word for word in secret.split() if len(word) >= MIN_SECRET)
        forms: set[str] = set()
        for value in values:
            forms |= _variants(value)
        self._pieces = _pieces(forms)
        forms_of_content: set[str] = set()
        for text in contents:
            forms_of_content.update(
                (text, json.dumps(text, ensure_ascii=False)[1:-1], json.dumps(text)[1:-1])
            )
        self._contents: list[str] = []
        self._index: dict[str, tuple[int, int]] = {}
        self._add_content(forms_of_content)
        # Percent-encoded forms too (a URL quoting the text may be cut into pieces, by a hard
        # wrap, that the decoded view no longer reads as runs of the text); indexed only once a
        # text with a "%" in it is redacted: most error texts have none.
        self._percent: Optional[list[str]] = [text for text in contents if len(text) >= _GRAM]

    def _add_content(self, forms: Iterable[str]) -> None:
        """Index request strings by their :data:`_GRAM`-pieces every :data:`_STRIDE` characters."""
        index = self._index
        for form in forms:
            if len(form) < _GRAM:
                continue
            number = len(self._contents)
            self._contents.append(form)
            for at in range(0, len(form) - _GRAM + 1, _STRIDE):
                index.setdefault(form[at : at + _GRAM], (number, at))

    @classmethod
    def for_request(
        cls, credentials: Iterable[str] = (), request: Any = None, capture_content: bool = False
    ) -> Redactor:
        """The redactor of one request, from whatever the source knows of it: its credential
        values, and its decoded body (or just its messages) unless content is captured (then the
        text is exported anyway, by the user's choice)."""
        contents: list[str] = []
        if request is not None and not capture_content:
            contents = _content_strings(request)
        return cls(credentials, contents)

    @classmethod
    def for_call(
        cls, credentials: Iterable[str], body: Optional[bytes], capture_content: bool
    ) -> Redactor:
        """:meth:`for_request` for a client hook: the request's body as sent."""
        request = None
        if body and not capture_content:
            try:
                request = json.loads(body)
            except (ValueError, RecursionError):  # not JSON: no content to search for
                request = None
        return cls.for_request(credentials, request, capture_content)

    def __call__(self, text: Optional[str], limit: int = MAX_MESSAGE) -> Optional[str]:
        """Free ``text`` redacted, made UTF-8 clean, then cut to ``limit`` characters."""
        if text is None:
            return None
        if type(text) is not str:
            text = str(text)
        text = self.redact(text)
        if len(text) > limit:
            text = text[:limit]
        return exportable(text)

    def identifier(self, text: Optional[str], limit: int = MAX_TEXT) -> Optional[str]:
        """An identifier (``error.type``, an error code): credentials masked, content kept."""
        if text is None:
            return None
        if type(text) is not str:
            text = str(text)
        text = self.redact(text, content=False)
        if len(text) > limit:
            text = text[:limit]
        return exportable(text)

    def redact(self, text: str, content: bool = True) -> str:
        """``text`` with credentials and (``content``) request content replaced; no bound."""
        marks: Marks = []
        if content and self._percent and "%" in text:
            self._add_content(quote(form, safe="") for form in self._percent)
            self._percent = None
        for view, mapping in _views(text):
            found: Marks = []
            if self._pieces:
                self._mark_secrets(view, found)
            if content and self._index:
                self._mark_content(view, found)
            _rule_marks(view, found)
            if mapping is None:
                marks.extend(found)
            else:
                marks.extend((mapping[start], mapping[end], kind) for start, end, kind in found)
        return _replace(text, marks) if marks else text

    def _mark_secrets(self, text: str, marks: Marks) -> None:
        """Mark every piece of ``text`` that is a piece of a form of a credential.

        Only runs of :data:`MIN_SECRET` or more non-blank characters can hold a piece (the forms
        searched for include each whitespace-free word of a credential), so the per-position
        look-up runs only inside those: a stack trace is mostly shorter words."""
        pieces = self._pieces
        for run in _NON_BLANK_RUN.finditer(text):
            run_start = run_end = -1
            for start in range(run.start(), run.end() - MIN_SECRET + 1):
                if text[start : start + MIN_SECRET] in pieces:
                    if start > run_end:
                        if run_end >= 0:
                            marks.append((run_start, run_end, True))
                        run_start = start
                    run_end = start + MIN_SECRET
            if run_end >= 0:
                marks.append((run_start, run_end, True))

    def _mark_content(self, text: str, marks: Marks) -> None:
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


def _replace(text: str, marks: Marks) -> str:
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
"""The knowledge-free rules only: for text whose request is unknown (router events, forward
events and the bridge)."""
