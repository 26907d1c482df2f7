"""The demo's kill switch, played in this process against the test server."""

import logging

import pytest
import structlog

from bot.demo import run_demo


async def test_the_demo_kill_switch_waits_for_its_checklist_then_is_approved_and_run(
    migrated: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", migrated)
    handlers = list(logging.root.handlers)
    try:
        assert await run_demo() == 0
    finally:  # the demo configures logging for a terminal; later tests log elsewhere
        structlog.reset_defaults()
        logging.root.handlers = handlers
    out = capsys.readouterr().out
    assert "the row now: feature_name=hybrid_progressive_capture, rollout_percentage=25" in out
    assert "You asked for `kill`: someone else has to approve it." in out
    assert ":white_check_mark: *Succeeded* in " in out
    refused = (
        "`pre-rollback` Pre-Rollback Checklist — *2/4*: Impact assessed; Stakeholders notified"
    )
    assert refused in out  # alice's Approve, before the checklist was complete
    assert "[x] Stakeholders notified — ✓ @carol" in out
    assert "### Pre-Rollback Checklist — 4/4" in out.split("## Checklists")[1]
    assert "rollout_percentage=0, emergency_stop=true" in out.split("the row after:")[1]
