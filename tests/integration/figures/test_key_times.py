"""The key times kept on the incident row (migration 0017) are the post-mortem's: an incident
run through the real path has the same first response and mitigation both ways."""

from datetime import timedelta

from bot.demo.sandbox import Sandbox
from bot.domain.keytimes import key_times
from bot.domain.timeline import Entry, Kind
from bot.store import incidents, timeline
from bot.store.db import Pool
from tests.conftest import FakeClock


async def test_stored_key_times_are_the_post_mortems(
    bot: Sandbox, db: Pool, clock: FakeClock
) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.sender.join("bob", channel.id)
    clock.advance(minutes=3)
    await bot.sender.post_message("bob", channel.id, "Looking at the search cluster")
    clock.advance(minutes=10)
    await bot.command("update mitigating: traffic moved to the standby", channel=channel.id)
    await bot.settle()
    clock.advance(minutes=20)
    await bot.command("resolve Standby promoted", channel=channel.id)
    await bot.settle()

    async with db.acquire() as conn:
        incident = await incidents.by_channel(conn, channel.id)
        assert incident is not None
        row = await conn.fetchrow(
            "SELECT first_response_at, mitigated_at FROM incidents WHERE id = $1", incident.id
        )
        moments = {
            k.name: k.at for k in key_times(incident, await timeline.entries(conn, incident.id))
        }
    assert row is not None
    assert row["first_response_at"] == moments["first response"]
    assert row["mitigated_at"] == moments["mitigation"]
    assert row["mitigated_at"] - incident.declared_at == timedelta(minutes=13)


async def test_a_dry_run_is_no_mitigation_outside_a_drill(bot: Sandbox, db: Pool) -> None:
    channel = await bot.declare("sev2 Search is slow")
    async with db.acquire() as conn:
        incident = await incidents.by_channel(conn, channel.id)
        assert incident is not None
        await timeline.append(
            conn,
            incident.id,
            Entry(
                bot.services.clock(),
                Kind.ACTION_EXECUTED,
                "U0BOB",
                "kill",
                data={"action": "kill", "dry_run": True},
            ),
        )
        mitigated = await conn.fetchval(
            "SELECT mitigated_at FROM incidents WHERE id = $1", incident.id
        )
    assert mitigated is None
