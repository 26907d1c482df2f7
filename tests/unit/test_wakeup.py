"""A loop waiting for its wake-up stops when cancelled, also when the wake-up comes with it.

With `asyncio.wait_for` (Python 3.11) a cancel that arrives up to two turns after the wake-up
is lost: the loop runs on and shutdown never ends. These cases are that race, made exact.
"""

import asyncio

import pytest

from bot.wakeup import woken


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_a_cancel_right_after_a_wake_up_stops_the_loop(turns: int) -> None:
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    rounds = 0

    async def waiting_loop() -> None:
        nonlocal rounds
        while True:
            wake.clear()
            await woken(wake, 60)
            rounds += 1

    task = asyncio.create_task(waiting_loop())
    for _ in range(3):  # the loop starts and waits for its wake-up
        await asyncio.sleep(0)

    def cancel_in(turns_left: int) -> None:
        if turns_left:
            loop.call_soon(cancel_in, turns_left - 1)
        else:
            task.cancel()

    wake.set()
    cancel_in(turns)
    await asyncio.wait({task}, timeout=5)  # a lost cancel leaves it waiting out its 60 s
    stopped = task.cancelled()
    task.cancel()
    assert stopped
    assert rounds <= 1


async def test_the_wait_ends_at_its_time_without_a_wake_up() -> None:
    assert await woken(asyncio.Event(), 0) is False
