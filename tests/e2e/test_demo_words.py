"""The demo's transcript read as a new user reads it: the words, not the mechanics."""

import logging
import re

import pytest
import structlog

from bot.demo import run_demo


async def transcript(
    migrated: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[str, str]:
    """Play the demo; return what the channels showed and the post-mortem it printed."""
    monkeypatch.setenv("DATABASE_URL", migrated)
    handlers = list(logging.root.handlers)
    try:
        assert await run_demo() == 0
    finally:  # the demo configures logging for a terminal; later tests log elsewhere
        structlog.reset_defaults()
        logging.root.handlers = handlers
    out = capsys.readouterr().out
    shared = out.index("┌─ postmortem-incident-")
    return out[:shared], out[shared:]


async def test_the_demos_messages_read_as_people_write(
    migrated: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    channels, _ = await transcript(migrated, monkeypatch, capsys)

    assert "*Current status:* Identified (was Investigating)" in channels
    assert "*Cause:* v2.3.1 broke payment token refresh" in channels
    assert "*Progress:* rolled back; error rate 0.4% and falling" in channels
    assert "*Actions taken:*" not in channels
    assert "(was investigating)" not in channels
    assert "*Updates:* every 10m — next due" in channels
    assert "[ Snooze 15m ]  [ Snooze 30m ]  [ Snooze 1h ]" in channels
    assert not re.search(r"\d+h 0\dm|\d+d \d+h|\d+ min\b", channels)


async def test_the_demos_approval_card_says_what_became_of_the_request(
    migrated: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    channels, _ = await transcript(migrated, monkeypatch, capsys)

    assert ":white_check_mark: *Succeeded:* `kill` — Emergency stop (kill switch)" in channels
    assert "Approval needed" not in channels  # the card was edited once the action ran
    assert "`kill` — Emergency stop (kill switch), requested by @bob:" in channels
    assert "(Emergency stop (kill switch))" not in channels


async def test_the_demos_postmortem_says_refusals_and_pins_in_words(
    migrated: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    channels, document = await transcript(migrated, monkeypatch, capsys)

    assert (
        "| refused | kill feature=hybrid_progressive_capture | bob "
        "| the requester may not approve their own request |"
    ) in document
    assert "| bob | self |" not in document
    assert "📌 incident-bot: == Checkout API" in channels  # the bot pinned its summary…
    assert (  # …and the post-mortem neither counts it nor claims nothing was pinned
        "_No one pinned a message (the bot's own pin of its incident summary is not counted)."
        in document
    )
    assert "Nothing was pinned" not in document
    assert "**Update #1** (Identified): v2.3.1 broke payment token refresh" in document
