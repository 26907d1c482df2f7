"""A drill pages nobody: the channel says what PagerDuty would have received."""

from bot.demo.apis import OtherApis
from bot.demo.sandbox import Sandbox
from bot.store.db import Pool
from tests.integration.helpers import message_in, stamped


async def test_a_drill_pages_nobody_and_says_what_it_would_have_sent(
    bot: Sandbox, apis: OtherApis, db: Pool
) -> None:
    channel = await bot.drill("sev1 Checkout practice")
    said = await message_in(bot, channel.id, "Nobody was paged: this is a drill")
    assert "a `trigger` for *on-call* through `PAGERDUTY_ROUTING_KEY`" in said
    assert "[SEV-1] Checkout practice (severity _critical_)" in said
    assert f"dedup key `{channel.name}`" in said

    await bot.command("page payments practising the escalation", channel=channel.id)
    await message_in(bot, channel.id, "a `trigger` for *payments*")
    await bot.command("resolve Practice over", channel=channel.id)
    resolved = await message_in(bot, channel.id, "a `resolve` for *payments*")
    assert f"dedup key `{channel.name}`" in resolved
    await message_in(bot, channel.id, "a `resolve` for *on-call*")
    await bot.settle()

    assert apis.received == []
    assert len(await stamped(db, "page_skipped")) == 2
    assert await stamped(db, "paged", "page_resolved") == []
