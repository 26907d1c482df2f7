"""The post-mortem's Checklists section: each item ✓ or ✗, by whom, when."""

from bot.demo.sandbox import Sandbox
from tests.conftest import FakeClock
from tests.integration.checklists.helpers import posted, tick
from tests.integration.helpers import resolved_postmortem, section, table_rows


async def test_the_postmortem_shows_each_checklist_and_calls_out_what_was_left_open(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    message = await posted(bot, channel, "SEV-1 Response Checklist")
    clock.advance(minutes=3)
    await tick(bot, "bob", message, "Severity assessed and confirmed")
    await bot.command("checklist pre-rollback", channel=channel.id)
    await posted(bot, channel, "Pre-Rollback Checklist")

    document = await resolved_postmortem(bot, channel)
    checklists = section(document, "## Checklists")
    assert "### SEV-1 Response Checklist — 1/2" in checklists
    assert (
        "> **Left open:** posted on declare, and 1 of its items were never ticked: "
        "Incident commander assigned." in checklists
    )
    rows = table_rows(document, "### SEV-1 Response Checklist — 1/2")
    assert rows[:2] == [
        ["✓", "Severity assessed and confirmed", "bob", "2026-11-24 09:33 UTC"],
        ["✗", "Incident commander assigned", "", ""],
    ]
    assert "### Pre-Rollback Checklist — 0/12" in checklists
    assert "### post-recovery — 0/1" in checklists
    timeline = section(document, "## Timeline")
    assert "☑️ _checklist item checked:_ SEV-1 Response Checklist: Severity assessed" in timeline
