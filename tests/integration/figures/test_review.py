"""The weekly review: a digest of the week's figures in the announce channel, with the week's
incidents linked, overdue follow-ups by owner and the chart; once per week across replicas."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.config import Policy
from bot.demo.sandbox import Sandbox, sandbox
from bot.demo.standin import Message
from bot.services.container import Services, open_services
from bot.store.db import Pool
from tests.conftest import FakeClock
from tests.integration.figures.seeding import seed_followup, seed_incident
from tests.integration.timers import rows

POLICY = Policy.model_validate(
    {"review": {"every": "1w", "at": "Mon 09:00"}, "targets": {"sev1": {"resolve": "2h"}}}
)


@pytest.fixture
async def replicas(
    db: Pool, migrated: str, clock: FakeClock
) -> AsyncIterator[tuple[Sandbox, Services]]:
    """Two replicas of the bot on one database and one workspace, each armed at start-up."""
    async with sandbox(database_url=migrated, clock=clock, policy=POLICY) as first:
        settings = first.services.settings
        async with open_services(settings, POLICY, clock, {}) as second:
            await second.figures.arm_review()
            yield first, second


def reviews(bot: Sandbox) -> list[Message]:
    return [m for m in bot.slack.messages("incidents") if "Weekly incident review" in m.text]


async def _run_both(first: Sandbox, second: Services) -> None:
    """Both replicas' schedulers at once, then every effect delivered."""
    await asyncio.gather(first.services.scheduler.run_due(), second.scheduler.run_due())
    await asyncio.gather(first.settle(), second.dispatcher.settle())


async def test_the_review_is_posted_once_a_week_across_replicas(
    replicas: tuple[Sandbox, Services], db: Pool, clock: FakeClock
) -> None:
    first, second = replicas
    async with db.acquire() as conn:
        day = datetime(2026, 11, 25, 14, tzinfo=UTC)
        incident = await seed_incident(
            conn,
            "sev1",
            day,
            respond=timedelta(minutes=4),
            resolve=timedelta(hours=1),
            title="Checkout errors",
        )
        await seed_incident(conn, "sev2", day + timedelta(days=1), title="Search is slow")
        await seed_followup(conn, incident, day, owner="U0BOB", due_on=date(2026, 11, 27))
    assert await rows(db, "SELECT key FROM jobs WHERE kind = 'review'") == [
        {"key": "review:2026-11-30T09:00:00+00:00"}
    ]

    clock.now = datetime(2026, 11, 30, 8, 59, tzinfo=UTC)
    await _run_both(first, second)
    assert reviews(first) == []

    clock.now = datetime(2026, 11, 30, 9, 1, tzinfo=UTC)
    await _run_both(first, second)
    [digest] = reviews(first)
    assert "*2* incidents" in digest.text
    assert "Checkout errors · resolved in 1h" in digest.text
    assert "Search is slow · still open" in digest.text
    assert "<@U0BOB>" in digest.text
    assert "Add a canary for the token refresh — due 2026-11-27" in digest.text
    [chart] = first.slack.files()
    assert chart.name == "incident-review-2026-11-30.png"
    assert chart.content.startswith(b"\x89PNG")

    clock.now = datetime(2026, 12, 7, 9, 1, tzinfo=UTC)
    await _run_both(first, second)
    assert len(reviews(first)) == 2
    assert "No incidents this period." in reviews(first)[-1].text
