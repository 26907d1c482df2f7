"""What each Slack channel event means for the timeline, and how notes are tagged."""

from datetime import UTC, datetime

import pytest

from bot.domain.slack_events import (
    ChannelEvent,
    Ignored,
    permalink,
    read_message,
    read_pin,
    slack_time,
)
from bot.domain.timeline import Kind, NoteTag, tag_note


def message(**fields: object) -> dict[str, object]:
    return {
        "type": "message",
        "channel": "C1",
        "user": "U1",
        "text": "hi",
        "ts": "1764000000.000100",
        **fields,
    }


def stamped(read: ChannelEvent | Ignored) -> tuple[str, str | None, str, str | None, dict]:
    assert isinstance(read, ChannelEvent), read
    entry = read.entry
    return entry.kind, entry.actor, entry.body, entry.slack_ts, entry.data


def test_a_slack_ts_becomes_an_exact_utc_time() -> None:
    assert slack_time("1764000000.000123") == datetime(2025, 11, 24, 16, 0, 0, 123, tzinfo=UTC)
    assert slack_time("1764000000") == datetime(2025, 11, 24, 16, 0, tzinfo=UTC)


def test_permalinks_are_derived_as_slack_writes_them() -> None:
    assert permalink("https://acme.slack.com/", "C1", "1764000000.000100") == (
        "https://acme.slack.com/archives/C1/p1764000000000100"
    )
    assert permalink("https://acme.slack.com/", "C1", "2.000002", "1.000001") == (
        "https://acme.slack.com/archives/C1/p2000002?thread_ts=1.000001&cid=C1"
    )


@pytest.mark.parametrize("subtype", [None, "thread_broadcast", "me_message"])
def test_what_people_say_is_a_message(subtype: str | None) -> None:
    read = read_message(message(subtype=subtype))
    assert stamped(read)[:4] == (Kind.MESSAGE, "U1", "hi", "1764000000.000100")


def test_a_thread_reply_keeps_its_thread_and_a_new_subtype_is_named() -> None:
    read = read_message(message(thread_ts="1763999999.000001", subtype="voice_clip"))
    assert stamped(read)[4] == {"thread_ts": "1763999999.000001", "subtype": "voice_clip"}


def test_a_shared_file_is_recorded_by_name_and_link() -> None:
    files = [{"id": "F1", "name": "graph.png", "permalink": "https://acme.slack.com/files/F1"}]
    read = read_message(message(subtype="file_share", files=files))
    assert stamped(read)[4] == {"files": [{"name": "graph.png", "link": files[0]["permalink"]}]}


@pytest.mark.parametrize(
    "fields",
    [
        {"subtype": "channel_join"},
        {"subtype": "channel_topic"},
        {"subtype": "pinned_item"},
        {"subtype": "bot_message", "bot_id": "B1"},
        {"bot_id": "B1"},
        {"subtype": "something_new", "user": None},
        {"ts": None},
    ],
)
def test_notices_other_apps_and_malformed_events_are_ignored(fields: dict) -> None:
    assert isinstance(read_message(message(**fields)), Ignored)


def test_an_edit_is_stamped_at_the_edit_against_the_original() -> None:
    edited = message(text="new", edited={"user": "U1", "ts": "1764000060.000000"})
    read = read_message(
        message(
            subtype="message_changed", ts="1764000061.0", message=edited, previous_message=message()
        )
    )
    assert stamped(read)[:4] == (Kind.MESSAGE_EDITED, "U1", "new", "1764000000.000100")
    assert read.entry.at == slack_time("1764000060.000000")  # type: ignore[union-attr]


def test_a_change_that_is_no_edit_is_ignored() -> None:
    unfurled = message(attachments=[{"title": "x"}])
    changed = message(subtype="message_changed", message=unfurled, previous_message=message())
    assert read_message(changed) == Ignored("change without an edit (unfurl, reply count)")


def test_a_deletion_keeps_the_deleted_text_and_author() -> None:
    gone = message(user="U2", text="oops", thread_ts="1.0")
    read = read_message(
        message(subtype="message_deleted", user=None, deleted_ts=gone["ts"], previous_message=gone)
    )
    assert stamped(read) == (Kind.MESSAGE_DELETED, "U2", "oops", gone["ts"], {"thread_ts": "1.0"})


def test_a_pin_is_a_key_event_about_the_pinned_message() -> None:
    pin = {
        "type": "pin_added",
        "channel_id": "C1",
        "user": "U3",
        "item": {"type": "message", "message": message(user="U2", text="cause found")},
        "event_ts": "1764000100.000000",
    }
    assert stamped(read_pin(pin)) == (
        Kind.PINNED,
        "U3",
        "cause found",
        "1764000000.000100",
        {"author": "U2"},
    )
    assert isinstance(read_pin({**pin, "item": {"type": "file"}}), Ignored)


@pytest.mark.parametrize(
    ("text", "tag", "rest"),
    [
        ("root cause: expired cert", NoteTag.ROOT_CAUSE, "expired cert"),
        ("Root  Cause:expired cert", NoteTag.ROOT_CAUSE, "expired cert"),
        ("action item: add a canary", NoteTag.ACTION_ITEM, "add a canary"),
        ("LESSON: page sooner", NoteTag.LESSON, "page sooner"),
        ("update: not a tag", None, "update: not a tag"),
        ("lesson:", None, "lesson:"),
        ("no colon here", None, "no colon here"),
    ],
)
def test_a_leading_tag_files_a_note(text: str, tag: NoteTag | None, rest: str) -> None:
    assert tag_note(text) == (tag, rest)
