"""A statement whose request reached Statuspage but whose answer was lost (the connection reset
after Statuspage acted) is looked for before it is sent again: a repeated PATCH would add a
second visible update to the public incident, a repeated POST a second public incident. And a
request that did not land is still made after the look."""

from bot.demo.apis.statuspage import PublicIncident
from bot.demo.sandbox import Sandbox
from bot.demo.standin import Channel
from tests.conftest import FakeClock
from tests.integration.approvals.helpers import click, incident_channel, request
from tests.integration.helpers import message_in, texts

OPENING = "Some card payments fail at checkout. We are investigating."
RESOLVED = "This incident has been resolved."


async def approved(bot: Sandbox, channel: Channel, statement: str) -> None:
    card = await request(bot, channel, f"statuspage {statement}")
    await click(bot, "bob", card)


async def published(bot: Sandbox) -> tuple[Channel, PublicIncident]:
    """An incident whose first statement is published: its channel and public incident."""
    channel = await incident_channel(bot, "bob")
    await approved(bot, channel, f"investigating checkout=major {OPENING}")
    await message_in(bot, channel.id, "Published on the status page")
    (public,) = bot.apis.statuspage.incidents.values()
    return channel, public


async def retried(bot: Sandbox, clock: FakeClock) -> None:
    """Past the outbox's backoffs (and any outage the test set, healed by the clock)."""
    for _ in range(4):
        clock.advance(seconds=60)
        await bot.settle()


def said(bot: Sandbox, channel: Channel, words: str) -> int:
    return sum(words in t for t in texts(bot.slack, channel.id))


def updates(public: PublicIncident) -> list[tuple[str, str]]:
    """The public incident's updates as the public reads them, newest first."""
    return [(u["status"], u["body"]) for u in public.updates]


async def test_an_update_whose_answer_was_lost_is_not_published_twice(
    bot: Sandbox, clock: FakeClock
) -> None:
    channel, public = await published(bot)
    bot.apis.statuspage.lose_answers = 1

    await approved(bot, channel, "identified A bad deploy; rolling back.")
    await retried(bot, clock)

    assert updates(public) == [
        ("identified", "A bad deploy; rolling back."),
        ("investigating", OPENING),
    ]
    assert [r.method for r in bot.apis.received][-2:] == ["PATCH", "GET"]
    assert said(bot, channel, "Updated on the status page") == 1


async def test_a_resolving_update_whose_answer_was_lost_is_not_published_twice(
    bot: Sandbox, clock: FakeClock
) -> None:
    """The PATCH that landed resolved the public incident: it is no longer among the open
    ones, and is still found."""
    channel, public = await published(bot)
    bot.apis.statuspage.lose_answers = 1

    await approved(bot, channel, f"resolved checkout=operational {RESOLVED}")
    await retried(bot, clock)

    assert updates(public) == [("resolved", RESOLVED), ("investigating", OPENING)]
    assert said(bot, channel, "Updated on the status page") == 1


async def test_an_update_that_never_landed_is_made_even_with_the_same_words(
    bot: Sandbox, clock: FakeClock
) -> None:
    """Only the status changes: the latest update's words alone do not prove it landed."""
    channel, public = await published(bot)
    bot.apis.drop("statuspage", seconds=30)

    await approved(bot, channel, f"monitoring {OPENING}")
    await retried(bot, clock)

    assert updates(public) == [("monitoring", OPENING), ("investigating", OPENING)]
    assert public.status == "monitoring"
    assert said(bot, channel, "Updated on the status page") == 1


async def test_a_create_whose_answer_was_lost_is_found_though_resolved_meanwhile(
    bot: Sandbox, clock: FakeClock
) -> None:
    """Someone resolved the public incident on Statuspage before the retry: it is no longer
    among the open ones, and is still the one the incident keeps."""
    channel = await incident_channel(bot, "bob")
    bot.apis.statuspage.lose_answers = 1

    await approved(bot, channel, f"investigating {OPENING}")
    await bot.settle()
    (public,) = bot.apis.statuspage.incidents.values()
    public.status = "resolved"
    await retried(bot, clock)

    assert list(bot.apis.statuspage.incidents) == [public.id]
    assert public.shortlink in await message_in(bot, channel.id, "Published on the status page")


async def test_a_create_that_never_landed_does_not_take_another_incident_s_public_one(
    bot: Sandbox, clock: FakeClock
) -> None:
    """Another incident with the same title has its public incident open: the lost create's
    look does not mistake it for its own, and opens the public incident after all."""
    _, other = await published(bot)
    channel = await incident_channel(bot, "bob")
    bot.apis.drop("statuspage", seconds=30)

    await approved(bot, channel, "investigating Card payments are slow.")
    await retried(bot, clock)

    (mine,) = [i for i in bot.apis.statuspage.incidents.values() if i.id != other.id]
    assert (mine.name, updates(mine)) == (
        other.name,
        [("investigating", "Card payments are slow.")],
    )
    assert updates(other) == [("investigating", OPENING)]
    assert mine.shortlink in await message_in(bot, channel.id, "Published on the status page")
