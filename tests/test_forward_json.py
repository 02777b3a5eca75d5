"""ForwardEvent <-> serde JSON: byte-for-byte round trips and field-naming rejections."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentelemetry.instrumentation.llm_router import (
    EventMeta,
    ForwardEventError,
    RequestCompleted,
    RequestStarted,
    TokenUsage,
    format_forward_event,
    forward_event_from_value,
    parse_forward_event,
)

EVENT_ID = "6f1e8a52-3c4d-4e5f-9a0b-1c2d3e4f5a6b"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"

# The two lines of design.md, with the elided parts filled in.
DESIGN_STARTED = (
    '{"RequestStarted":{"meta":{"event_id":"' + EVENT_ID + '",'
    '"occurred_at":"2026-05-04T10:15:30.123456789Z","trace_id":null},'
    '"request_id":"req-456","endpoint":"openai.chat_completions","model":"gpt-5-mini",'
    '"is_stream":true}}'
)
DESIGN_COMPLETED = (
    '{"RequestCompleted":{"meta":{"event_id":"' + EVENT_ID + '",'
    '"occurred_at":"2026-05-04T10:15:30.623456789Z","trace_id":"' + TRACE_ID + '"},'
    '"request_id":"req-456","status_code":200,"status":"success",'
    '"usage":{"prompt_tokens":50,"completion_tokens":100,"total_tokens":150},'
    '"latency_ms":500,"error":null}}'
)
TRANSPORT_FAILURE = (
    '{"RequestCompleted":{"meta":{"event_id":"' + EVENT_ID + '",'
    '"occurred_at":"2026-05-04T10:15:31Z","trace_id":null},'
    '"request_id":"req-457","status_code":0,"status":"error","usage":null,'
    '"latency_ms":30000,"error":"connection reset by peer: \\"upstream\\"\\n\\u0001 ünïcode ✓"}}'
)
TIMEOUT = (
    '{"RequestCompleted":{"meta":{"event_id":"' + EVENT_ID + '",'
    '"occurred_at":"2026-05-04T10:15:31.500Z","trace_id":null},'
    '"request_id":"req-458","status_code":504,"status":"timeout","usage":null,'
    '"latency_ms":18446744073709551615,"error":"deadline exceeded"}}'
)
PENDING = (
    '{"RequestCompleted":{"meta":{"event_id":"' + EVENT_ID + '",'
    '"occurred_at":"2026-05-04T10:15:31.000001Z","trace_id":null},'
    '"request_id":"req-459","status_code":65535,"status":"pending",'
    '"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0},'
    '"latency_ms":0,"error":null}}'
)
NON_STREAM_STARTED = (
    '{"RequestStarted":{"meta":{"event_id":"' + EVENT_ID + '",'
    '"occurred_at":"1969-12-31T23:59:59.999Z","trace_id":"' + TRACE_ID + '"},'
    '"request_id":"","endpoint":"anthropic.messages","model":"claude-sonnet-4-5",'
    '"is_stream":false}}'
)
LINES = [DESIGN_STARTED, DESIGN_COMPLETED, TRANSPORT_FAILURE, PENDING, NON_STREAM_STARTED]


@pytest.mark.parametrize(
    ("stamp", "nanoseconds", "written"),
    [
        # A leap second (chrono writes it as :60) is the next second's start plus the fraction,
        # and is written back as it came, :60 and all.
        ("2016-12-31T23:59:60.5Z", 1_483_228_800_500_000_000, "2016-12-31T23:59:60.500Z"),
        # Years outside 0..9999: signed, as chrono writes them; before year 1 (1 BC is year 0).
        ("0001-01-01T00:00:00+01:00", -62_135_600_400 * 10**9, "0000-12-31T23:00:00Z"),
        ("-0001-12-31T23:59:59Z", -62_167_219_201 * 10**9, "-0001-12-31T23:59:59Z"),
        ("+10000-01-01T00:00:00Z", 253_402_300_800 * 10**9, "+10000-01-01T00:00:00Z"),
        ("+262143-12-31T23:59:59.999999999Z", 8_210_298_412_799_999_999_999, None),
        ("-262144-01-01T00:00:00Z", -8_334_632_851_200 * 10**9, None),
    ],
)
def test_everything_chrono_writes_is_read(stamp: str, nanoseconds: int, written: str) -> None:
    event = parse_forward_event(_started_at(stamp))
    assert event.meta.occurred_at_ns == nanoseconds
    assert format_forward_event(event) == _started_at(written or stamp)


def test_retired_timeout_status_is_read_but_never_written() -> None:
    """Earlier routers wrote ``"timeout"``; the real enum has no such variant, so serde would
    reject a line carrying it: it is read (leniently), never written."""
    event = parse_forward_event(TIMEOUT)
    assert event.status == "timeout"
    with pytest.raises(ForwardEventError, match="status"):
        format_forward_event(event)


@pytest.mark.parametrize("line", LINES)
def test_line_round_trips_byte_for_byte(line: str) -> None:
    event = parse_forward_event(line)
    assert format_forward_event(event) == line
    assert parse_forward_event(line.encode()) == event


@pytest.mark.parametrize("line", LINES)
def test_bus_wrapped_line_round_trips(line: str) -> None:
    wrapped = '{"Forward":' + line + "}"
    event = parse_forward_event(wrapped)
    assert event == parse_forward_event(line)
    assert format_forward_event(event, bus_wrapped=True) == wrapped
    assert format_forward_event(event) == line


def test_design_examples_parse_to_the_expected_values() -> None:
    started = parse_forward_event(DESIGN_STARTED)
    assert started == RequestStarted(
        meta=EventMeta(
            event_id=EVENT_ID,
            occurred_at=datetime(2026, 5, 4, 10, 15, 30, 123456, tzinfo=timezone.utc),
            trace_id=None,
            occurred_at_ns=1_777_889_730_123_456_789,
        ),
        request_id="req-456",
        endpoint="openai.chat_completions",
        model="gpt-5-mini",
        is_stream=True,
    )
    completed = parse_forward_event(DESIGN_COMPLETED)
    assert isinstance(completed, RequestCompleted)
    assert completed.usage == TokenUsage(50, 100, 150)
    assert (completed.status_code, completed.status, completed.latency_ms) == (200, "success", 500)
    assert completed.error is None
    assert completed.meta.trace_id == TRACE_ID
    # Nanoseconds survive exactly; the datetime holds what it can (microseconds).
    assert completed.meta.occurred_at_ns - started.meta.occurred_at_ns == 500_000_000


def _started_at(stamp: str) -> str:
    return (
        '{"RequestStarted":{"meta":{"event_id":"e","occurred_at":"' + stamp + '","trace_id":null},'
        '"request_id":"r","endpoint":"openai.chat_completions","model":"m","is_stream":false}}'
    )


@pytest.mark.parametrize(
    ("given_stamp", "written"),
    [
        # chrono's AutoSi: the fewest of 0/3/6/9 digits that is exact.
        ("2026-05-04T10:15:30Z", "2026-05-04T10:15:30Z"),
        ("2026-05-04T10:15:30.000Z", "2026-05-04T10:15:30Z"),
        ("2026-05-04T10:15:30.000000000Z", "2026-05-04T10:15:30Z"),
        ("2026-05-04T10:15:30.1Z", "2026-05-04T10:15:30.100Z"),
        ("2026-05-04T10:15:30.12Z", "2026-05-04T10:15:30.120Z"),
        ("2026-05-04T10:15:30.123Z", "2026-05-04T10:15:30.123Z"),
        ("2026-05-04T10:15:30.1234Z", "2026-05-04T10:15:30.123400Z"),
        ("2026-05-04T10:15:30.123000Z", "2026-05-04T10:15:30.123Z"),
        ("2026-05-04T10:15:30.123456Z", "2026-05-04T10:15:30.123456Z"),
        ("2026-05-04T10:15:30.000001Z", "2026-05-04T10:15:30.000001Z"),
        ("2026-05-04T10:15:30.1234567Z", "2026-05-04T10:15:30.123456700Z"),
        ("2026-05-04T10:15:30.123456000Z", "2026-05-04T10:15:30.123456Z"),
        ("2026-05-04T10:15:30.123456789Z", "2026-05-04T10:15:30.123456789Z"),
        ("2026-05-04T10:15:30.000000001Z", "2026-05-04T10:15:30.000000001Z"),
        # Offsets and lower-case separators on input; always UTC and "Z" on output.
        ("2026-05-04T12:15:30.5+02:00", "2026-05-04T10:15:30.500Z"),
        ("2026-05-04T04:45:30.000000007-05:30", "2026-05-04T10:15:30.000000007Z"),
        ("2026-01-01T01:00:00+02:00", "2025-12-31T23:00:00Z"),
        ("2026-05-04T10:15:30+00:00", "2026-05-04T10:15:30Z"),
        ("2026-05-04T10:15:30z", "2026-05-04T10:15:30Z"),
        # chrono's lenient forms (read as serde reads them; the writer is strict).
        ("2026-05-04 10:15:30Z", "2026-05-04T10:15:30Z"),
        (" 2026-5-4T1:2:3 +0530 ", "2026-05-03T19:32:03Z"),
        ("2026-05-04T10:15:30.1234567891Z", "2026-05-04T10:15:30.123456789Z"),
        ("2026-05-04T10:15:30UTC", "2026-05-04T10:15:30Z"),
        ("2026-05-04T05:29:60.5+05:30", "2026-05-03T23:59:60.500Z"),
        # Years below 1000 keep four digits (strftime would not); pre-epoch instants work.
        ("0005-03-01T00:00:00.25Z", "0005-03-01T00:00:00.250Z"),
        ("1969-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.999999999Z"),
        ("2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z"),
    ],
)
def test_timestamps_are_written_as_chrono_writes_them(given_stamp: str, written: str) -> None:
    event = parse_forward_event(_started_at(given_stamp))
    assert format_forward_event(event) == _started_at(written)
    # And what we write reads back to the same instant.
    assert parse_forward_event(_started_at(written)).meta.occurred_at_ns == (
        event.meta.occurred_at_ns
    )


def test_nanoseconds_are_exact_and_offsets_normalised() -> None:
    a = parse_forward_event(_started_at("2026-05-04T12:15:30.987654321+02:00")).meta
    b = parse_forward_event(_started_at("2026-05-04T10:15:30.987654321Z")).meta
    assert a.occurred_at_ns == b.occurred_at_ns
    assert a.occurred_at_ns % 1_000_000_000 == 987_654_321
    assert a.occurred_at == datetime(2026, 5, 4, 10, 15, 30, 987654, tzinfo=timezone.utc)
    assert a.occurred_at.utcoffset() == timedelta(0)


def test_absent_options_are_none_and_unknown_fields_ignored() -> None:
    """serde's defaults: a missing Option is None; an unknown field is skipped."""
    event = parse_forward_event(
        '{"RequestCompleted":{"meta":{"event_id":"e","occurred_at":"2026-05-04T10:15:30Z",'
        '"extra":1},"request_id":"r","status_code":200,"status":"success","latency_ms":5,'
        '"future_field":{"x":[1,2]}}}'
    )
    assert isinstance(event, RequestCompleted)
    assert (event.meta.trace_id, event.usage, event.error) == (None, None, None)


# --------------------------------------------------------------------------------------------
# Rejections: every malformed input names its field.

_GOOD_STARTED: dict[str, Any] = json.loads(DESIGN_STARTED)
_GOOD_COMPLETED: dict[str, Any] = json.loads(DESIGN_COMPLETED)


def _edit(base: dict[str, Any], path: str, value: Any = ..., *, delete: bool = False) -> str:
    """``base`` with the dotted ``path`` set to ``value`` (or deleted), as a JSON line."""
    data = copy.deepcopy(base)
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    if delete:
        del node[last]
    else:
        node[last] = value
    return json.dumps(data)


def _s(path: str, value: Any = ..., **kw: Any) -> str:
    return _edit(_GOOD_STARTED, path, value, **kw)


def _c(path: str, value: Any = ..., **kw: Any) -> str:
    return _edit(_GOOD_COMPLETED, path, value, **kw)


RS = "RequestStarted"
RC = "RequestCompleted"
REJECTIONS: list[tuple[str, str, str]] = [
    # (line, field named by the error, words in the problem)
    # missing fields
    (_s(f"{RS}.meta", delete=True), f"{RS}.meta", "missing"),
    (_s(f"{RS}.request_id", delete=True), f"{RS}.request_id", "missing"),
    (_s(f"{RS}.endpoint", delete=True), f"{RS}.endpoint", "missing"),
    (_s(f"{RS}.model", delete=True), f"{RS}.model", "missing"),
    (_s(f"{RS}.is_stream", delete=True), f"{RS}.is_stream", "missing"),
    (_s(f"{RS}.meta.event_id", delete=True), f"{RS}.meta.event_id", "missing"),
    (_s(f"{RS}.meta.occurred_at", delete=True), f"{RS}.meta.occurred_at", "missing"),
    (_c(f"{RC}.status_code", delete=True), f"{RC}.status_code", "missing"),
    (_c(f"{RC}.status", delete=True), f"{RC}.status", "missing"),
    (_c(f"{RC}.latency_ms", delete=True), f"{RC}.latency_ms", "missing"),
    (_c(f"{RC}.request_id", delete=True), f"{RC}.request_id", "missing"),
    (_c(f"{RC}.usage.total_tokens", delete=True), f"{RC}.usage.total_tokens", "missing"),
    # wrong types
    (_s(f"{RS}.request_id", 456), f"{RS}.request_id", "expected a string"),
    (_s(f"{RS}.model", None), f"{RS}.model", "expected a string, got null"),
    (_s(f"{RS}.is_stream", "true"), f"{RS}.is_stream", "expected true or false"),
    (_s(f"{RS}.is_stream", 1), f"{RS}.is_stream", "expected true or false"),
    (_s(f"{RS}.meta", "m"), f"{RS}.meta", "expected an object"),
    (_s(f"{RS}.meta.trace_id", 7), f"{RS}.meta.trace_id", "string or null"),
    (_s(f"{RS}.meta.occurred_at", 1714817730), f"{RS}.meta.occurred_at", "expected a string"),
    (_c(f"{RC}.status_code", "200"), f"{RC}.status_code", "non-negative integer"),
    (_c(f"{RC}.latency_ms", 1.5), f"{RC}.latency_ms", "non-negative integer"),
    (_c(f"{RC}.latency_ms", 500.0), f"{RC}.latency_ms", "non-negative integer"),
    (_c(f"{RC}.usage", "none"), f"{RC}.usage", "expected an object"),
    (_c(f"{RC}.usage", [50, 100]), f"{RC}.usage", "expected the 3 fields"),
    (_c(f"{RC}.usage.prompt_tokens", "50"), f"{RC}.usage.prompt_tokens", "non-negative"),
    (_c(f"{RC}.error", 5), f"{RC}.error", "string or null"),
    (_c(f"{RC}.error", {"m": "x"}), f"{RC}.error", "string or null"),
    # bool is not an integer (Python says it is; serde does not)
    (_c(f"{RC}.status_code", True), f"{RC}.status_code", "boolean true"),
    (_c(f"{RC}.usage.completion_tokens", False), f"{RC}.usage.completion_tokens", "boolean"),
    # negative and overflowing integers (u16 status code, u64 counts)
    (_c(f"{RC}.status_code", -1), f"{RC}.status_code", "out of range"),
    (_c(f"{RC}.status_code", 65536), f"{RC}.status_code", "out of range 0..=65535"),
    (_c(f"{RC}.latency_ms", -5), f"{RC}.latency_ms", "out of range"),
    (_c(f"{RC}.latency_ms", 2**64), f"{RC}.latency_ms", "out of range"),
    (_c(f"{RC}.usage.total_tokens", -1), f"{RC}.usage.total_tokens", "out of range"),
    (_c(f"{RC}.usage.prompt_tokens", 2**70), f"{RC}.usage.prompt_tokens", "out of range"),
    # bad status
    (_c(f"{RC}.status", "done"), f"{RC}.status", "unknown status 'done'"),
    (_c(f"{RC}.status", "Success"), f"{RC}.status", "unknown status"),
    (_c(f"{RC}.status", 200), f"{RC}.status", "expected a string"),
    # bad timestamps
    (_s(f"{RS}.meta.occurred_at", "2026-05-04t10:15:30Z"), f"{RS}.meta.occurred_at", "RFC 3339"),
    (_s(f"{RS}.meta.occurred_at", "2026-05-04T10:15:30"), f"{RS}.meta.occurred_at", "RFC 3339"),
    (_s(f"{RS}.meta.occurred_at", "2026-05-04"), f"{RS}.meta.occurred_at", "RFC 3339"),
    (_s(f"{RS}.meta.occurred_at", ""), f"{RS}.meta.occurred_at", "RFC 3339"),
    (
        _s(f"{RS}.meta.occurred_at", "2026-05-04T10:15:30,5Z"),
        f"{RS}.meta.occurred_at",
        "RFC 3339",
    ),
    (_s(f"{RS}.meta.occurred_at", "2026-05-04T10:15:30.Z"), f"{RS}.meta.occurred_at", "RFC 3339"),
    (_s(f"{RS}.meta.occurred_at", "2026-05-04T10:15:30Z x"), f"{RS}.meta.occurred_at", "RFC 3339"),
    (
        _s(
            f"{RS}.meta.occurred_at", "\uff12\uff10\uff12\uff16-05-04T10:15:30Z"
        ),  # full-width digits
        f"{RS}.meta.occurred_at",
        "RFC 3339",
    ),
    (_s(f"{RS}.meta.occurred_at", "2026-13-04T10:15:30Z"), f"{RS}.meta.occurred_at", "valid date"),
    (_s(f"{RS}.meta.occurred_at", "2026-02-30T10:15:30Z"), f"{RS}.meta.occurred_at", "valid date"),
    (_s(f"{RS}.meta.occurred_at", "2026-05-04T24:00:00Z"), f"{RS}.meta.occurred_at", "valid date"),
    (
        _s(f"{RS}.meta.occurred_at", "2026-05-04T10:15:30+24:00"),
        f"{RS}.meta.occurred_at",
        "offset",
    ),
    (_s(f"{RS}.meta.occurred_at", "2026-05-04T10:15:61Z"), f"{RS}.meta.occurred_at", "valid date"),
    (_s(f"{RS}.meta.occurred_at", "2026-05-04T10:60:00Z"), f"{RS}.meta.occurred_at", "valid date"),
    # unknown variants
    ('{"RequestFailed":{}}', "<event>", "unknown variant 'RequestFailed'"),
    ('{"Forward":{"Started":{}}}', "Forward.<event>", "unknown variant 'Started'"),
    ('{"Metrics":' + DESIGN_STARTED + "}", "<event>", "unknown variant 'Metrics'"),
    # not exactly one variant key
    ('{"RequestStarted":{},"RequestCompleted":{}}', "<event>", "exactly one variant key, got 2"),
    ("{}", "<event>", "got 0 keys"),
    ('{"Forward":{}}', "Forward", "got 0 keys"),
    ('{"Forward":' + DESIGN_STARTED[:-1] + ',"x":1}}', "Forward", "got 2 keys"),
    # non-objects
    ("[]", "<event>", "expected an object, got an array"),
    ('"RequestStarted"', "<event>", "expected an object, got string"),
    ("42", "<event>", "expected an object, got number"),
    ("null", "<event>", "expected an object, got null"),
    ('{"RequestStarted":[1]}', RS, "expected the 5 fields"),
    ('{"Forward":"x"}', "Forward", "expected an object"),
    # not JSON at all
    ("", "<line>", "not valid JSON"),
    ('{"RequestStarted":', "<line>", "not valid JSON"),
    (b"\xff\xfe", "<line>", "not valid JSON"),
    # a key twice: json keeps the last, serde rejects it
    (
        DESIGN_STARTED.replace('"model":', '"request_id":"again","model":'),
        f"{RS}.request_id",
        "dup",
    ),
    (
        '{"RequestStarted":' + DESIGN_STARTED[18:-1] + ',"RequestStarted":{}}',
        "<event>",
        "exactly one variant key, got 2",
    ),
]


@pytest.mark.parametrize(("line", "field", "problem"), REJECTIONS)
def test_malformed_input_is_rejected_naming_the_field(
    line: str | bytes, field: str, problem: str
) -> None:
    with pytest.raises(ForwardEventError) as info:
        parse_forward_event(line)
    assert info.value.field == field
    assert problem in info.value.problem
    assert str(info.value).startswith(f"{field}: ")


def test_rejection_inside_the_bus_wrapper_names_the_full_path() -> None:
    line = '{"Forward":' + _c(f"{RC}.status", "done") + "}"
    with pytest.raises(ForwardEventError) as info:
        parse_forward_event(line)
    assert info.value.field == f"Forward.{RC}.status"


def test_forward_event_from_value_rejects_like_the_parser() -> None:
    with pytest.raises(ForwardEventError) as info:
        forward_event_from_value({RS: {**_GOOD_STARTED[RS], "is_stream": None}})
    assert info.value.field == f"{RS}.is_stream"


# --------------------------------------------------------------------------------------------
# Property: any event we can build survives format -> parse unchanged, and format is stable.

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MIN_NS = (datetime(1, 1, 2, tzinfo=timezone.utc) - _EPOCH) // timedelta(microseconds=1) * 1000
_MAX_NS = (datetime(9999, 12, 30, tzinfo=timezone.utc) - _EPOCH) // timedelta(microseconds=1) * 1000
_U64 = st.integers(min_value=0, max_value=2**64 - 1)


def _instant() -> st.SearchStrategy[int]:
    """Nanoseconds since the epoch, biased towards round values so every digit count shows up."""
    any_ns = st.integers(min_value=_MIN_NS, max_value=_MAX_NS)
    scaled: Callable[[int], st.SearchStrategy[int]] = lambda unit: st.integers(  # noqa: E731
        min_value=_MIN_NS // unit, max_value=_MAX_NS // unit
    ).map(lambda n: n * unit)
    return st.one_of(any_ns, scaled(1000), scaled(1_000_000), scaled(1_000_000_000))


@st.composite
def _meta(draw: st.DrawFn) -> EventMeta:
    ns = draw(_instant())
    trace = draw(st.one_of(st.none(), st.text(max_size=40)))
    return EventMeta(
        event_id=draw(st.text(max_size=40)),
        occurred_at=_EPOCH + timedelta(microseconds=ns // 1000),
        trace_id=trace,
        occurred_at_ns=ns,
    )


_started = st.builds(
    RequestStarted,
    meta=_meta(),
    request_id=st.text(max_size=40),
    endpoint=st.text(max_size=40),
    model=st.text(max_size=40),
    is_stream=st.booleans(),
)
_completed = st.builds(
    RequestCompleted,
    meta=_meta(),
    request_id=st.text(max_size=40),
    status_code=st.integers(min_value=0, max_value=65535),
    status=st.sampled_from(["pending", "success", "error"]),
    usage=st.one_of(st.none(), st.builds(TokenUsage, _U64, _U64, _U64)),
    latency_ms=_U64,
    error=st.one_of(st.none(), st.text(max_size=80)),
)


@settings(max_examples=300, deadline=None)
@given(event=st.one_of(_started, _completed), wrapped=st.booleans())
def test_any_event_round_trips(event: RequestStarted | RequestCompleted, wrapped: bool) -> None:
    line = format_forward_event(event, bus_wrapped=wrapped)
    assert "\n" not in line
    parsed = parse_forward_event(line)
    assert parsed == event
    assert format_forward_event(parsed, bus_wrapped=wrapped) == line
