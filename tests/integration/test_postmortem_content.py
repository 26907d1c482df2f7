"""What the post-mortem says: its sections, the timeline table, key times, phases, notes."""

from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox
from bot.demo.standin import ops
from bot.domain.timeline import Entry, Kind
from bot.store import timeline
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.helpers import (
    as_slack_does,
    resolved_postmortem,
    run_in,
    section,
    table_rows,
)

SECTIONS = [
    "## Summary",
    "## Impact",
    "## Resolution",
    "## Key times",
    "## Response against targets",
    "## Status phases",
    "## Timeline",
    "### Key events",
    "## Actions taken",
    "## Communication",
    "## Checklists",
    "## Root cause",
    "## What went well",
    "## What could be better",
    "## Lessons learned",
    "## Action items",
]


async def test_the_postmortem_has_every_section_of_the_runbooks_in_order(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 Search is slow")
    document = await resolved_postmortem(bot, channel)
    found = [line for line in document.splitlines() if line.startswith("##")]
    assert found == SECTIONS


async def test_every_stamped_message_appears_in_the_timeline_in_order(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    for person in ("bob", "carol"):
        await bot.sender.join(person, channel.id)
    said = []
    for person, text in (
        ("alice", "Error rate jumped after the deploy"),
        ("bob", "NPEs in PaymentController"),
        ("carol", "40 tickets about failed payments"),
        ("bob", "Rolling back to v2.3.0"),
    ):
        clock.advance(minutes=1)
        said.append(await bot.sender.post_message(person, channel.id, text))
    clock.advance(minutes=1)
    await bot.sender.post_message("alice", channel.id, "thanks", thread_ts=said[1].ts)
    document = await resolved_postmortem(bot, channel)

    rows = [(who, what) for _, who, what in table_rows(document, "## Timeline")]
    messages = [(who, what.split(" [↗]")[0]) for who, what in rows[1:-1]]
    assert messages == [
        ("alice", "Error rate jumped after the deploy"),
        ("bob", "NPEs in PaymentController"),
        ("carol", "40 tickets about failed payments"),
        ("bob", "Rolling back to v2.3.0"),
        ("alice", "↳ thanks"),
    ]
    link = f"https://standin.slack.com/archives/{channel.id}/p{said[0].ts.replace('.', '')}"
    assert f"[↗]({link})" in rows[1][1]
    assert rows[0][1] == "**Declared SEV-1 Critical: Checkout errors**"
    assert rows[-1][1] == "**Resolved:** Rolled back"


async def test_a_deleted_message_is_shown_as_deleted_without_its_text(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.sender.join("bob", channel.id)
    oops = await bot.sender.post_message("bob", channel.id, "db password is hunter2")
    await bot.sender.edit_message("bob", channel.id, oops.ts, "db password is hunter3")
    await bot.sender.delete_message("bob", channel.id, oops.ts)
    clock.advance(minutes=1)
    document = await resolved_postmortem(bot, channel)

    assert "hunter" not in document
    whats = [what for _, who, what in table_rows(document, "## Timeline") if who == "bob"]
    assert whats[0] == whats[1] == "_(deleted)_"
    assert whats[2].startswith("_deleted the message of 09:30:00_")


async def test_edits_and_pins_are_rows_of_their_own(bot: Sandbox, clock: FakeClock) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.sender.join("bob", channel.id)
    said = await bot.sender.post_message("bob", channel.id, "cause: hot shard")
    await bot.sender.edit_message("bob", channel.id, said.ts, "cause: hot shard 7")
    alice = bot.slack.resolve_user("alice")
    where = bot.slack.channels[channel.id]
    await as_slack_does(bot, lambda: ops.pin(bot.slack, where, said, by=alice))
    clock.advance(minutes=1)
    document = await resolved_postmortem(bot, channel)

    whats = [what.split(" [↗]")[0] for _, _, what in table_rows(document, "## Timeline")]
    assert whats[1:4] == [
        "📌 **cause: hot shard**",
        "_edited the message of 09:30:00:_ cause: hot shard 7",
        "📌 _pinned the message of 09:30:00 as a key event:_ cause: hot shard 7",
    ]
    assert "- 09:30:00 — alice pinned: cause: hot shard 7" in section(document, "## Timeline")
    assert (
        "_Messages people pinned: 1 (the bot's own pin of its incident summary is not counted)._"
        in section(document, "## Timeline")
    )


async def test_key_times_count_from_the_declaration(bot: Sandbox, clock: FakeClock) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    await bot.sender.join("bob", channel.id)
    clock.advance(minutes=3)
    await bot.sender.post_message("bob", channel.id, "looking")
    clock.advance(minutes=9)
    await run_in(bot, channel, "update mitigating: rolling back", "Update #1", user="bob")
    clock.advance(minutes=18)
    document = await resolved_postmortem(bot, channel)

    assert table_rows(document, "## Key times") == [
        ["Time to first response", "3m (target 15m)", "2026-11-24 09:33 UTC"],
        ["Time to commander assigned", "0s", "2026-11-24 09:30 UTC"],
        ["Time to mitigation", "12m", "2026-11-24 09:42 UTC"],
        ["Time to resolution", "30m", "2026-11-24 10:00 UTC"],
    ]


async def test_the_status_phases_are_drawn_as_a_mermaid_gantt(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    clock.advance(minutes=10)
    await run_in(bot, channel, "update identified: hot shard", "Update #1")
    clock.advance(minutes=5)
    await run_in(bot, channel, "update mitigating: moving shard 7", "Update #2")
    clock.advance(minutes=15)
    document = await resolved_postmortem(bot, channel)

    gantt = section(document, "## Status phases").splitlines()
    assert gantt[gantt.index("    section Status") + 1 :] == [
        "    Investigating :2026-11-24 09:30:00, 2026-11-24 09:40:00",
        "    Identified :2026-11-24 09:40:00, 2026-11-24 09:45:00",
        "    Mitigating :2026-11-24 09:45:00, 2026-11-24 10:00:00",
        "    Resolved :milestone, 2026-11-24 10:00:00, 0d",
        "```",
    ]


async def test_the_summary_names_roles_and_severity_changes(bot: Sandbox, clock: FakeClock) -> None:
    bot.slack.add_user("erin.s", display_name="Erin S")
    channel = await bot.declare("sev2 Checkout errors")
    clock.advance(minutes=10)
    await run_in(bot, channel, "severity sev1", "Severity changed")
    erin = bot.slack.resolve_user("erin.s")
    await run_in(bot, channel, f"assign comms <@{erin}|erin.s>", "is now")
    clock.advance(minutes=50)
    summary = section(await resolved_postmortem(bot, channel), "## Summary")

    for line in (
        "- **Severity:** SEV-1 Critical",
        "  - 2026-11-24 09:40 UTC: SEV-2 High → SEV-1 Critical",
        "- **Started:** 2026-11-24 09:30 UTC",
        "- **Ended:** 2026-11-24 10:30 UTC",
        "- **Duration:** 1h",
        "- **Incident commander:** alice",
        "- **Technical lead:** unassigned",
        "- **Communications:** Erin S",
    ):
        assert line in summary.splitlines()


async def test_times_are_shown_in_the_policy_time_zone_with_the_zone_named(
    db: Pool, migrated: str, clock: FakeClock
) -> None:
    async with sandbox(
        database_url=migrated, clock=clock, policy=Policy(timezone="Europe/Berlin")
    ) as bot:
        channel = await bot.declare("sev2 Search is slow")
        clock.advance(minutes=5)
        document = await resolved_postmortem(bot, channel)
    assert "All times are Europe/Berlin." in document
    assert "- **Started:** 2026-11-24 10:30 CET" in document
    assert table_rows(document, "## Timeline")[0][0] == "2026-11-24 10:30:00"
    assert "title Status phases (Europe/Berlin)" in document


async def test_tagged_notes_fill_their_sections_and_the_rest_stay_prompts(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 Search is slow")
    for note in (
        "root cause: shard 7 ran out of disk",
        "Action item: alert on shard disk at 80%",
        "lesson: the runbook lacked the shard map",
        "just a note",
    ):
        await run_in(bot, channel, f"note {note}", note.partition(":")[2].strip() or note)
    document = await resolved_postmortem(bot, channel)

    assert (
        section(document, "## Root cause")
        == "- shard 7 ran out of disk _(alice, 2026-11-24 09:30 UTC)_"
    )
    assert section(document, "## Action items") == (
        "- [ ] alert on shard disk at 80% — _owner?_ — _due?_ _(noted by alice)_"
    )
    assert section(document, "## Lessons learned").startswith("- the runbook lacked the shard map")
    assert section(document, "## What went well") == "_What worked as planned? What helped?_"
    assert section(document, "## Impact").count("_") >= 8


async def test_empty_sections_are_left_as_prompts(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 Search is slow")
    document = await resolved_postmortem(bot, channel)
    assert section(document, "## Root cause").startswith("_What caused the incident")
    assert section(document, "## Action items").startswith("- [ ] _Action — owner — due date")
    assert section(document, "## Actions taken") == "_No actions were requested through the bot._"


async def test_a_pipe_or_line_break_in_a_message_cannot_break_the_document(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel = await bot.declare("sev2 Search | slow")
    await bot.sender.join("bob", channel.id)
    typed = "a | b \\| c\n## Injected\n&lt;b&gt;bold&lt;/b&gt;"  # Slack escapes < and >
    await bot.sender.post_message("bob", channel.id, typed)
    clock.advance(minutes=1)
    document = await resolved_postmortem(bot, channel)

    assert [line for line in document.splitlines() if line.startswith("## Injected")] == []
    row = table_rows(document, "## Timeline")[1]
    assert len(row) == 3
    assert row[2].startswith("a \\| b \\\\\\| c<br>## Injected<br>&lt;b&gt;bold&lt;/b&gt;")
    assert document.startswith("# Post-mortem: Search \\| slow\n")


async def test_actions_and_reminders_in_the_timeline_are_reported(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    bob = bot.slack.resolve_user("bob")
    steps = [
        (Kind.REMINDER, None, "Update #1 is overdue", {}),
        (Kind.ACTION_REQUESTED, bob, "kill", {"action": "kill", "params": {"feature": "capture"}}),
        (Kind.ACTION_APPROVED, None, "kill", {"action": "kill", "by": "U0CAROL"}),
        (Kind.ACTION_EXECUTED, None, "kill", {"action": "kill", "result": "rollout at 0%"}),
    ]
    async with db.acquire() as conn:
        incident_id = await conn.fetchval("SELECT id FROM incidents")
        for kind, actor, body, data in steps:
            clock.advance(minutes=2)
            await timeline.append(conn, incident_id, Entry(clock.now, kind, actor, body, data=data))
    clock.advance(minutes=10)
    document = await resolved_postmortem(bot, channel)

    assert table_rows(document, "## Actions taken") == [
        ["09:34:00", "requested", "kill feature=capture", "bob", ""],
        ["09:36:00", "approved", "kill", "U0CAROL", ""],
        ["09:38:00", "executed", "kill", "incident-bot", "rollout at 0%"],
    ]
    assert ["Time to mitigation", "8m", "2026-11-24 09:38 UTC"] in table_rows(
        document, "## Key times"
    )
    assert "reminders 1" in section(document, "## Summary")


async def test_a_refused_approval_reads_in_words_in_the_actions_table(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    channel = await bot.declare("sev1 Checkout errors")
    bob = bot.slack.resolve_user("bob")
    refusals = [("self", "the requester may not approve their own request")]
    refusals += [("not_approver", "not one of the approvers")]
    async with db.acquire() as conn:
        incident_id = await conn.fetchval("SELECT id FROM incidents")
        for reason, _ in refusals:
            clock.advance(minutes=1)
            data = {"action": "kill", "by": bob, "reason": reason}
            refused = Entry(clock.now, Kind.ACTION_REFUSED, bob, "refused: kill", data=data)
            await timeline.append(conn, incident_id, refused)
    document = await resolved_postmortem(bot, channel)

    results = [row[4] for row in table_rows(document, "## Actions taken")]
    assert results == [words for _, words in refusals]
