import asyncio

from bot.slack.pace import ChannelPace


async def test_a_burst_goes_out_at_once() -> None:
    pace = ChannelPace(rate=1.0, burst=3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(3):
        await pace.wait("C1")
    assert loop.time() - started < 0.5


async def test_past_the_burst_a_channel_waits_its_turn_and_others_do_not() -> None:
    pace = ChannelPace(rate=20.0, burst=1)
    loop = asyncio.get_running_loop()
    await pace.wait("C1")
    started = loop.time()
    await pace.wait("C2")
    assert loop.time() - started < 0.04
    await pace.wait("C1")
    assert loop.time() - started >= 0.04
