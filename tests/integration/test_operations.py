"""What an operator runs and watches: health, readiness, metrics, the CLI, migrations, logs."""

import asyncio
import json
import subprocess
from pathlib import Path

import aiohttp
import asyncpg
import pytest
import structlog

from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox
from bot.store.db import Pool
from bot.store.migrate import Migration, migrate
from tests import cli
from tests.conftest import FakeClock
from tests.integration.helpers import message_in


async def test_health_readiness_and_metrics_answer(bot: Sandbox) -> None:
    await bot.command("help")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{bot.url}/healthz") as health:
            assert (health.status, await health.json()) == (200, {"ok": True})
        async with http.get(f"{bot.url}/readyz") as ready:
            assert (ready.status, await ready.json()) == (200, {"ok": True, "slack": "http"})
        async with http.get(f"{bot.url}/metrics") as metrics:
            body = await metrics.text()
    assert 'incident_bot_commands_total{outcome="ok",subcommand="help"} 1.0' in body


async def test_every_delivery_slack_makes_gets_a_2xx(bot: Sandbox) -> None:
    channel = await bot.declare("sev2 Search is slow")
    await bot.sender.join("bob", channel.id)
    await bot.sender.post_message("bob", channel.id, "looking at the shard map")
    await bot.command("resolve fixed", channel=channel.id)
    await message_in(bot, channel.id, "Incident resolved")
    await bot.slack.drain()
    statuses = {d.kind: d.status for d in bot.slack.deliveries}
    assert statuses
    assert all(status is not None and 200 <= status < 300 for status in statuses.values()), statuses


async def test_migrations_are_applied_once_even_by_replicas_starting_together(
    migrated: str,
) -> None:
    extra = [
        Migration(
            9001,
            "probe",
            "CREATE TABLE IF NOT EXISTS probe_9001 (n int); INSERT INTO probe_9001 VALUES (1);",
        )
    ]
    connections = [await asyncpg.connect(migrated) for _ in range(3)]
    try:
        applied = await asyncio.gather(*(migrate(conn, extra) for conn in connections))
        assert sorted(len(a) for a in applied) == [0, 0, 1]
        assert await connections[0].fetchval("SELECT count(*) FROM probe_9001") == 1
    finally:
        await connections[0].execute(
            "DROP TABLE probe_9001; DELETE FROM schema_migrations WHERE version = 9001"
        )
        for conn in connections:
            await conn.close()


async def test_a_migration_changed_after_it_ran_is_refused(migrated: str) -> None:
    conn = await asyncpg.connect(migrated)
    try:
        await migrate(conn, [Migration(9002, "probe", "SELECT 1")])
        with pytest.raises(Exception, match="changed after it was applied"):
            await migrate(conn, [Migration(9002, "probe", "SELECT 2")])
    finally:
        await conn.execute("DELETE FROM schema_migrations WHERE version = 9002")
        await conn.close()


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """This checkout's CLI: with `env` and only it, else with this process's environment."""
    return cli.run_cli(*args, cwd=cwd, env=env, inherit=env is None)


def test_migrate_command_reports_a_current_schema(migrated: str, tmp_path: Path) -> None:
    done = run_cli("migrate", env={"PATH": "/usr/bin", "DATABASE_URL": migrated}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "schema is current" in done.stdout


async def test_templates_dir_overrides_one_message(
    db: Pool, migrated: str, clock: FakeClock, tmp_path: Path
) -> None:
    (tmp_path / "announce_declared.mrkdwn.j2").write_text(
        "NEW INCIDENT {{ incident.title }} in {{ incident.channel_id | channel }}"
    )
    async with sandbox(database_url=migrated, clock=clock, templates_dir=tmp_path) as bot:
        channel = await bot.declare("sev2 <b>Search</b>")
        announced = await message_in(bot, "incidents", "NEW INCIDENT")
        assert announced == f"NEW INCIDENT &lt;b&gt;Search&lt;/b&gt; in <#{channel.id}>"
        pinned = next(m for m in bot.slack.messages(channel.id) if m.ts in channel.pins)
        assert "INCIDENT: [SEV-2 High]" in pinned.text


async def test_log_lines_carry_the_request_and_incident_ids(
    db: Pool, migrated: str, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.logging import configure

    configure("json", "INFO")
    try:
        async with sandbox(database_url=migrated, clock=clock, policy=Policy()) as bot:
            result = await bot.sender.slash(
                "declare sev2 Logged", user="alice", channel="incidents"
            )
            await bot.slack.wait_for(lambda s: bool(s.messages("incidents")))
            await bot.services.background.idle()
    finally:
        structlog.reset_defaults()
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    declared = next(line for line in lines if line["event"] == "incident_declared")
    assert declared["slack_request_id"] == result.trigger_id
    assert declared["incident_id"] == 1
    assert "xoxb" not in json.dumps(lines)
