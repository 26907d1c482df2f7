"""Readers and set-ups for reminder and escalation tests: what people see, which rows exist."""

from typing import Any

from bot.demo.sandbox import Sandbox
from bot.demo.standin import Message, SlackStandIn
from bot.domain.incident import Incident
from bot.services import reminders
from bot.store import incidents
from bot.store.db import Pool

REMINDER_MARK = ":alarm_clock:"
ESCALATION_MARK = ":rotating_light: *Escalation*"
NO_COMMANDER_MARK = ":warning: *No incident commander*"


def posted(slack: SlackStandIn, channel: str, mark: str) -> list[Message]:
    """The bot's messages in `channel` that start with `mark`, oldest first."""
    return [m for m in slack.messages(channel, include_system=False) if m.text.startswith(mark)]


def reminders_in(slack: SlackStandIn, channel: str) -> list[Message]:
    return posted(slack, channel, REMINDER_MARK)


def action_ids(message: Message) -> list[str]:
    return [
        str(element["action_id"])
        for block in message.blocks
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


async def run_due(bot: Sandbox) -> int:
    """Run what the scheduler has due now; its posts are made before this returns."""
    ran = await bot.services.scheduler.run_due()
    await bot.services.dispatcher.settle()
    return ran


async def rows(db: Pool, sql: str, *args: Any) -> list[dict[str, Any]]:
    async with db.acquire() as conn:
        return [dict(r) for r in await conn.fetch(sql, *args)]


async def declared_without_commander(bot: Sandbox, severity: str = "sev2") -> Incident:
    """An incident nobody commands yet, as an alert route declares it: channel, row, timers."""
    name = f"incident-20261124-{len(bot.slack.channels):03d}"
    channel = bot.slack.add_channel(name, members=["alice", "incident-bot"])
    services = bot.services
    now = services.clock()
    async with services.pool.acquire() as conn, conn.transaction():
        incident = await incidents.insert(
            conn,
            channel_id=channel.id,
            channel_name=name,
            title="Disk <full> on db-1",
            severity=severity,
            declared_by="U0ALERTS",
            declared_at=now,
            commander=None,
        )
        await reminders.arm(conn, incident, services.policy, now)
    return incident
