"""Every recorded exchange of the wire corpus through its wire format, fed every way a stream can
arrive; expectations come from the recorded bodies (tests/support/wire_corpus.py), not the parser."""

from __future__ import annotations

import pytest

from opentelemetry.instrumentation.llm_router._wire import ResponseSummary, get_format
from tests.support.wire_corpus import (
    OPERATION_OF,
    Entry,
    at_event_boundaries,
    entries,
    expected,
    random_pieces,
)

ENTRIES = entries()
STREAMS = [entry for entry in ENTRIES if entry.is_event_stream]
WHOLE = [entry for entry in ENTRIES if not entry.is_event_stream]


def _ids(items: list[Entry]) -> list[str]:
    return [entry.name.removesuffix(".json") for entry in items]


def _check(summary: ResponseSummary, entry: Entry) -> None:
    exp = expected(entry)
    assert summary.response_id == exp.response_id
    assert summary.response_model == exp.response_model
    assert summary.finish_reasons == exp.finish_reasons
    assert summary.error_type == exp.error_type
    usage = summary.usage
    got = (
        (None, None, None, None, None)
        if usage is None
        else (
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_read_input_tokens,
            usage.cache_creation_input_tokens,
            usage.reasoning_output_tokens,
        )
    )
    want = (exp.input_tokens, exp.output_tokens, exp.cache_read, exp.cache_creation, exp.reasoning)
    assert got == want
    for value in got:
        assert value is None or (type(value) is int and value >= 0)
    if entry.status >= 400:
        assert usage is None, "an error response carries no token counts"
        assert summary.error_type


def test_corpus_is_there() -> None:
    assert len(ENTRIES) >= 39
    assert STREAMS and WHOLE


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_request_info(entry: Entry) -> None:
    fmt = get_format(entry.wire_format)
    info = fmt.request_info("POST", entry.path_without_query, entry.request_body)
    assert info is not None
    assert info.operation == OPERATION_OF[entry.family]
    body = entry.data["request"]["body"]
    if entry.wire_format == "gemini":
        model = entry.path_without_query.rsplit("/models/", 1)[1].split(":", 1)[0]
        assert info.request_model == model
        assert info.stream == (":streamGenerateContent" in entry.path)
    else:
        assert info.request_model == body["model"]
        assert info.stream == (body.get("stream") is True) == entry.data["stream"]
    assert info.body is None, "nothing of the request is kept without content capture"
    # The query string (alt=sse, api-version) must not get in the way either.
    again = fmt.request_info("POST", entry.path, entry.request_body)
    assert (again.operation, again.request_model, again.stream) == (
        info.operation,
        info.request_model,
        info.stream,
    )


@pytest.mark.parametrize("entry", WHOLE, ids=_ids(WHOLE))
def test_whole_response(entry: Entry) -> None:
    fmt = get_format(entry.wire_format)
    info = fmt.request_info("POST", entry.path_without_query, entry.request_body)
    summary = fmt.parse_response(info, entry.response_body, False)
    _check(summary, entry)
    assert summary.output_messages is None


@pytest.mark.parametrize("entry", WHOLE, ids=_ids(WHOLE))
def test_whole_response_through_stream_parser(entry: Entry) -> None:
    """A JSON body where a stream was expected (e.g. an error answer to a stream request)."""
    fmt = get_format(entry.wire_format)
    info = fmt.request_info("POST", entry.path_without_query, entry.request_body)
    parser = fmt.stream_parser(info, False)
    for piece in random_pieces(entry.response_body, seed=7, largest=300):
        parser.feed(piece)
    _check(parser.summary(), entry)


def _stream(entry: Entry, pieces: list[bytes], capture: bool = False) -> ResponseSummary:
    fmt = get_format(entry.wire_format)
    info = fmt.request_info("POST", entry.path_without_query, entry.request_body)
    parser = fmt.stream_parser(info, capture)
    for piece in pieces:
        parser.feed(piece)
    return parser.summary()


@pytest.mark.parametrize("entry", STREAMS, ids=_ids(STREAMS))
def test_stream_in_one_piece(entry: Entry) -> None:
    _check(_stream(entry, [entry.response_body]), entry)


@pytest.mark.parametrize("entry", STREAMS, ids=_ids(STREAMS))
def test_stream_at_event_boundaries(entry: Entry) -> None:
    pieces = at_event_boundaries(entry.response_body)
    assert len(pieces) > 3
    _check(_stream(entry, pieces), entry)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("entry", STREAMS, ids=_ids(STREAMS))
def test_stream_in_random_pieces(entry: Entry, seed: int) -> None:
    largest = (1, 7, 40, 300, 2000, 5)[seed]
    _check(_stream(entry, random_pieces(entry.response_body, seed, largest)), entry)


@pytest.mark.parametrize("entry", STREAMS, ids=_ids(STREAMS))
def test_stream_with_other_line_endings(entry: Entry) -> None:
    body = entry.response_body.replace(b"\r\n", b"\n")
    for ending in (b"\n", b"\r\n", b"\r"):
        changed = body.replace(b"\n", ending)
        _check(_stream(entry, random_pieces(changed, 3, 11)), entry)
        _check(_stream(entry, [changed]), entry)


@pytest.mark.parametrize("entry", STREAMS, ids=_ids(STREAMS))
def test_stream_without_final_blank_line(entry: Entry) -> None:
    body = entry.response_body.rstrip(b"\r\n")
    _check(_stream(entry, at_event_boundaries(body)), entry)


@pytest.mark.parametrize("entry", STREAMS, ids=_ids(STREAMS))
def test_stream_with_capture_reports_the_same(entry: Entry) -> None:
    summary = _stream(entry, random_pieces(entry.response_body, 5, 50), capture=True)
    _check(summary, entry)
    assert summary.output_messages, "content capture yields the output message"
    for message in summary.output_messages:
        assert message["role"] == "assistant"
        assert isinstance(message["parts"], list) and message["parts"]
