"""`/incident stats`: a period's figures in the ack, the chart shared beside them, bad periods
refused with the usage line."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox
from bot.domain.commands import PeriodSpec, ShowStats
from bot.services.context import Invocation
from bot.slack.messages import SlackMessage
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.figures.seeding import seed_followup, seed_incident

POLICY = Policy.model_validate(
    {"targets": {"sev1": {"mitigate": "30m", "resolve": "2h"}, "sev2": {"resolve": "4h"}}}
)
M = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.fixture
async def bot(db: Pool, migrated: str, clock: FakeClock) -> AsyncIterator[Sandbox]:
    async with sandbox(database_url=migrated, clock=clock, policy=POLICY) as running:
        yield running


async def _seed_month(db: Pool) -> None:
    """Three SEV-1 and one SEV-2 in the last 30 days (to 2026-11-24 09:30), a drill, one SEV-1
    the month before; four follow-ups."""
    async with db.acquire() as conn:
        day = datetime(2026, 11, 10, 10, tzinfo=UTC)
        fast = await seed_incident(conn, "sev1", day, respond=5 * M, mitigate=20 * M, resolve=H)
        await seed_incident(
            conn, "sev1", day + timedelta(days=2), respond=20 * M, mitigate=40 * M, resolve=3 * H
        )
        await seed_incident(
            conn, "sev1", day + timedelta(days=4), respond=10 * M, mitigate=30 * M, resolve=2 * H
        )
        await seed_incident(conn, "sev2", day + timedelta(days=5), respond=30 * M, resolve=5 * H)
        await seed_incident(
            conn, "sev2", day + timedelta(days=6), respond=M, resolve=10 * M, drill=True
        )
        before = datetime(2026, 10, 1, 10, tzinfo=UTC)
        old = await seed_incident(conn, "sev1", before, respond=M, resolve=4 * H)
        await seed_followup(conn, fast, day, state="done", closed_at=day + timedelta(days=3))
        await seed_followup(conn, fast, day + timedelta(days=2), due_on=date(2026, 11, 20))
        await seed_followup(conn, fast, day + timedelta(days=10), due_on=date(2026, 12, 1))
        await seed_followup(conn, old, before, due_on=date(2026, 10, 15))


def _text(result: object) -> str:
    body = getattr(result, "json", None) or {}
    return "\n".join(str(block.get("text", {}).get("text", "")) for block in body.get("blocks", []))


async def test_stats_gives_the_period_figures_by_severity_in_the_ack(
    bot: Sandbox, db: Pool
) -> None:
    await _seed_month(db)
    answer = _text(await bot.command("stats 30d", user="carol"))
    assert "*4* incidents · 1 drill counted apart" in answer
    assert "1 in the 30 days before (+300%)" in answer
    sev1 = answer[answer.index("*SEV-1") :]
    assert "3 incidents" in sev1
    assert "First response median 10m · p90 18m" in sev1
    assert "mitigation median 30m · p90 38m" in sev1
    assert "resolution median 2h · p90 2h 48m" in sev1
    assert "response 2/3 (67%) · mitigation 2/3 (67%) · resolution 2/3 (67%)" in sev1
    sev2 = answer[answer.index("*SEV-2") :]
    assert "1 incident\n" in sev2
    assert "response 1/1 (100%) · resolution 0/1 (0%)" in sev2
    assert "*Follow-ups:* 3 opened · 1 done · 2 overdue now" in answer


async def test_the_chart_is_shared_as_a_png_where_stats_was_asked(bot: Sandbox, db: Pool) -> None:
    await _seed_month(db)
    await bot.command("stats 30d", user="carol", channel="incidents")
    await bot.settle()
    [chart] = bot.slack.files()
    assert chart.name == "incident-figures-30d.png"
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.channels == [bot.slack.channel("incidents").id]


async def test_a_stats_request_run_again_from_the_inbox_shares_its_chart_once(
    bot: Sandbox, db: Pool
) -> None:
    """An answer that missed the ack is run again from the inbox, after its chart was shared."""
    await _seed_month(db)
    carol = Invocation(bot.slack.resolve_user("carol"), bot.slack.channel("incidents").id, "k1")
    answers: list[SlackMessage] = []

    async def reply(message: SlackMessage) -> None:
        answers.append(message)

    command = ShowStats(PeriodSpec(days=30))
    await bot.services.figures.stats(command, carol, reply)
    await bot.settle()
    await bot.services.figures.stats(command, carol, reply)
    await bot.settle()
    assert len(answers) == 2  # she is answered each time
    assert [f.name for f in bot.slack.files()] == ["incident-figures-30d.png"]


async def test_a_month_counts_its_own_incidents(bot: Sandbox, db: Pool) -> None:
    await _seed_month(db)
    answer = _text(await bot.command("stats 2026-10"))
    assert "*1* incident\n" in answer
    assert "*SEV-1 Critical* — 1 incident" in answer
    assert "0 in the 31 days before" in answer


async def test_a_month_not_begun_has_nothing_yet(bot: Sandbox) -> None:
    answer = _text(await bot.command("stats 2027-01"))
    assert "Nothing yet for 2027-01" in answer
    await bot.settle()
    assert bot.slack.files() == []


@pytest.mark.parametrize("period", ["0d", "1000y", "2026-13", "garbage", "400d"])
async def test_periods_that_make_no_sense_are_refused_with_the_usage_line(
    bot: Sandbox, period: str
) -> None:
    result = await bot.command(f"stats {period}")
    text = (result.json or {}).get("text", "") + _text(result)
    assert "/incident stats [7d|30d|90d|YYYY-MM]" in text
    await bot.settle()
    assert bot.slack.files() == []
