"""Free text at the edge: control characters removed from what people said, refused in names."""

import json

import pytest

from bot.domain.alerts import InvalidAlert, parse_alerts
from bot.domain.commands import AddNote, Declare, PostUpdate, RequestAction, Resolve
from bot.domain.severity import default_severity_policy
from bot.domain.slack_events import ChannelEvent, Ignored, read_message, read_pin
from bot.domain.status import Status
from bot.domain.text import MAX_DEPTH, TooDeep, check_title, clean_json, clean_text
from bot.domain.timeline import NoteTag
from bot.errors import UsageError
from bot.services.commands import parse, parse_command

SEVERITIES = default_severity_policy()


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("a\x00b", "ab"),
        ("bell\x07 escape\x1b[31m del\x7f c1\x85\x9f", "bell escape[31m del c1"),
        ("line one\nline two\tcolumn", "line one\nline two\tcolumn"),
        ("windows\r\nline", "windows\nline"),
        ("lone \ud800surrogate", "lone surrogate"),
        ("🔥 déjà vu — 火事 \u200d", "🔥 déjà vu — 火事 \u200d"),
    ],
    ids=["nul", "c0-del-c1", "newline-tab", "carriage-return", "surrogate", "unicode"],
)
def test_clean_text_removes_control_characters_and_keeps_the_rest(given: str, kept: str) -> None:
    assert clean_text(given) == kept


def test_a_title_with_a_control_character_is_refused_naming_it() -> None:
    with pytest.raises(UsageError, match=r"The title contains .* control character \(U\+0000\)"):
        check_title("Checkout\x00 down")
    assert check_title("Checkout 🔥 down") == "Checkout 🔥 down"


def test_clean_json_cleans_every_string_keys_included() -> None:
    dirty = {"a\x00": ["x\x00y", 1, None, {"k": "v\x1b"}], "n": 2.5, "t": True}
    assert clean_json(dirty) == {"a": ["xy", 1, None, {"k": "v"}], "n": 2.5, "t": True}


def test_clean_json_refuses_nesting_deeper_than_the_limit() -> None:
    fits: object = "leaf"
    for _ in range(MAX_DEPTH):
        fits = [fits]
    assert clean_json(fits) == fits
    with pytest.raises(TooDeep):
        clean_json([fits])


def test_a_declare_with_nul_in_its_title_is_refused_with_the_usage_line() -> None:
    with pytest.raises(UsageError) as refused:
        parse("declare sev1 Check\x00out errors", SEVERITIES)
    assert "U+0000" in refused.value.message
    assert refused.value.usage == "/incident declare <severity> <title…>"


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("update roll\x00ing back", PostUpdate("rolling back", None)),
        ("update identified\x00: bad\x07 deploy", PostUpdate("bad deploy", Status.IDENTIFIED)),
        ("note root cause: token\x00 refresh", AddNote("token refresh", NoteTag.ROOT_CAUSE)),
        ("resolve rolled\x1b back", Resolve("rolled back")),
        ("declare sev1 Checkout\terrors", Declare(SEVERITIES.get("sev1"), "Checkout\terrors")),
    ],
    ids=["update", "update-status", "note", "resolve", "title-tab"],
)
def test_what_people_write_keeps_everything_but_control_characters(
    text: str, command: object
) -> None:
    assert parse_command(text, SEVERITIES) == command


def test_text_that_is_only_control_characters_is_missing() -> None:
    with pytest.raises(UsageError, match="Missing note"):
        parse_command("note \x00\x01", SEVERITIES)


def test_an_actions_arguments_with_a_control_character_are_refused() -> None:
    with pytest.raises(UsageError, match="arguments contain"):
        parse_command("kill job\x00one", SEVERITIES, actions=("kill",))
    assert parse_command("kill job-one", SEVERITIES, actions=("kill",)) == RequestAction(
        "kill", ("job-one",), False
    )


def message_event(**fields: object) -> dict[str, object]:
    return {"type": "message", "channel": "C1", "user": "U1", "ts": "1764063000.000100", **fields}


def test_a_channel_message_with_nul_is_read_without_it() -> None:
    read = read_message(
        message_event(text="db\x00 is down 🔥", files=[{"name": "log\x00.txt", "permalink": "p"}])
    )
    assert isinstance(read, ChannelEvent)
    assert read.entry.body == "db is down 🔥"
    assert read.entry.data == {"files": [{"name": "log.txt", "link": "p"}]}


def test_an_edit_with_nul_is_read_without_it() -> None:
    edited = {"user": "U1", "ts": "1764063000.000100", "text": "new\x00 text"}
    read = read_message(
        message_event(
            subtype="message_changed",
            ts="1764063060.000100",
            message=edited,
            previous_message={**edited, "text": "old"},
        )
    )
    assert isinstance(read, ChannelEvent)
    assert read.entry.body == "new text"


@pytest.mark.parametrize(
    "event",
    [
        message_event(ts="not-a-ts", text="hi"),
        message_event(ts="99999999999999.1", text="hi"),
        message_event(text=["not", "text"]),
        message_event(text="hi", blocks=json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)),
    ],
    ids=["ts-not-a-number", "ts-past-datetime", "text-not-text", "too-deep"],
)
def test_a_message_event_that_cannot_be_read_is_ignored(event: dict[str, object]) -> None:
    assert isinstance(read_message(event), Ignored)


def test_a_pin_with_a_malformed_time_is_ignored() -> None:
    pin = {"channel_id": "C1", "user": "U1", "item": {"type": "file"}, "event_ts": "1.2.3"}
    assert isinstance(read_pin(pin), Ignored)


def test_alert_fields_lose_their_control_characters() -> None:
    body = {
        "title": "Disk\x00 full",
        "fingerprint": "f\x00p",
        "labels": {"service\x00": "api\x07"},
        "annotations": {"description": "line\r\nnext\x00"},
    }
    (alert,) = parse_alerts("generic", json.dumps(body).encode())
    assert (alert.title, alert.fingerprint) == ("Disk full", "fp")
    assert alert.labels == {"service": "api"}
    assert alert.description == "line\nnext"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 100_000])
def test_an_alert_nested_deeper_than_any_sender_is_invalid(depth: int) -> None:
    body = b'{"title": "x", "labels": ' + b"[" * depth + b"]" * depth + b"}"
    with pytest.raises(InvalidAlert, match="nests deeper"):
        parse_alerts("generic", body)
