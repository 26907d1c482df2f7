"""The outbox table's own promises: order within a lane, coalescing, and effects claimed as
they are recorded (a new incident's channel is created by the replica that declared it)."""

from datetime import timedelta

from bot.domain.effects import NewEffect
from bot.store import outbox
from bot.store.db import Pool
from tests.conftest import FakeClock


def _post(lane: str, text: str) -> NewEffect:
    return NewEffect("post", {"channel": lane, "text": text}, lane=lane, about=text)


async def test_effects_recorded_together_keep_their_order_and_coalesce(
    db: Pool, clock: FakeClock
) -> None:
    async with db.acquire() as conn:
        ids = await outbox.record_all(
            conn,
            [
                _post("channel:CORDER", "first"),
                _post("channel:CORDER", "second").with_key("once"),
                _post("channel:CORDER", "third").with_key("once"),
                _post("channel:CORDER", "fourth"),
            ],
            now=clock(),
        )
        first, second, third, fourth = ids
        assert third is None  # the same coalesce key was already waiting
        assert first is not None
        assert second is not None
        assert fourth is not None
        assert first < second < fourth
        claimed = await outbox.claim(
            conn, now=clock(), lease=timedelta(minutes=1), limit=10, owner=None
        )
    assert [e.args["text"] for e in claimed if e.lane == "channel:CORDER"] == ["first"]


async def test_an_effect_opening_its_lane_is_recorded_claimed_by_its_replica(
    db: Pool, clock: FakeClock
) -> None:
    async with db.acquire() as conn:
        owner = conn.get_server_pid()
        mine = await outbox.record_claimed(
            conn,
            _post("channel:CNEW", "hello"),
            now=clock(),
            lease=timedelta(minutes=1),
            owner=owner,
        )
        assert mine is not None
        assert mine.attempts == 1
        assert not mine.maybe_done
        row = await conn.fetchrow("SELECT state, claimed_by FROM outbox WHERE id = $1", mine.id)
        assert (row["state"], row["claimed_by"]) == ("running", owner)
        # Nobody else can claim it while this replica is alive and its lease holds.
        others = await outbox.claim(
            conn, now=clock(), lease=timedelta(minutes=1), limit=10, owner=None
        )
        assert mine.id not in [e.id for e in others]


async def test_an_effect_behind_another_in_its_lane_is_not_claimed_at_once(
    db: Pool, clock: FakeClock
) -> None:
    async with db.acquire() as conn:
        await outbox.record(conn, _post("channel:CBUSY", "earlier"), now=clock())
        behind = await outbox.record_claimed(
            conn, _post("channel:CBUSY", "later"), now=clock(), lease=timedelta(minutes=1), owner=1
        )
        assert behind is None
        states = await conn.fetch(
            "SELECT args->>'text' AS text, state FROM outbox WHERE lane = 'channel:CBUSY' ORDER BY id"
        )
    assert [(r["text"], r["state"]) for r in states] == [
        ("earlier", "pending"),
        ("later", "pending"),
    ]


async def test_finishing_an_effect_takes_the_next_of_its_lane_and_only_that_one(
    db: Pool, clock: FakeClock
) -> None:
    lease = timedelta(minutes=1)
    async with db.acquire() as conn:
        owner = conn.get_server_pid()
        topic, invite, pin = await outbox.record_all(
            conn,
            [_post("channel:CSETUP", text) for text in ("topic", "invite", "pin")],
            now=clock(),
        )
        await outbox.record_all(conn, [_post("channel:COTHER", "elsewhere")], now=clock())
        (head,) = [
            e
            for e in await outbox.claim(conn, now=clock(), lease=lease, limit=10, owner=owner)
            if e.lane == "channel:CSETUP"
        ]
        assert head.id == topic

        finished, following = await outbox.finish_and_take_next(
            conn, topic, now=clock(), result={}, lease=lease, owner=owner
        )
        assert finished
        assert following is not None
        assert (following.id, following.attempts) == (invite, 1)
        # Taken: no other replica's claim gets it (the lane's other effects wait behind it).
        assert not [
            e
            for e in await outbox.claim(conn, now=clock(), lease=lease, limit=10, owner=None)
            if e.lane == "channel:CSETUP"
        ]

        # Finishing it again (a replica that lost it) takes nothing.
        assert await outbox.finish_and_take_next(
            conn, topic, now=clock(), result={}, lease=lease, owner=owner
        ) == (False, None)

        # The lane's next effect waits out a backoff: nothing behind it is taken past it.
        await conn.execute(
            "UPDATE outbox SET due_at = $2 WHERE id = $1", pin, clock() + timedelta(minutes=5)
        )
        later = await outbox.record(conn, _post("channel:CSETUP", "later"), now=clock())
        assert later is not None
        assert await outbox.finish_and_take_next(
            conn, invite, now=clock(), result={}, lease=lease, owner=owner
        ) == (True, None)


async def test_a_lane_being_delivered_keeps_its_waiting_effects_and_passes_to_other_lanes(
    db: Pool, clock: FakeClock
) -> None:
    lease = timedelta(minutes=1)
    async with db.acquire() as conn:
        owner = conn.get_server_pid()
        deep = await outbox.record_all(
            conn, [_post("channel:CDEEP", f"escalation {n}") for n in range(30)], now=clock()
        )
        (other,) = await outbox.record_all(conn, [_post("channel:CSHALLOW", "x")], now=clock())

        async def claim_one() -> list[int]:
            taken = await outbox.claim(conn, now=clock(), lease=lease, limit=1, owner=owner)
            return [e.id for e in taken if e.lane in ("channel:CDEEP", "channel:CSHALLOW")]

        assert await claim_one() == [deep[0]]
        # The oldest waiting effects are the deep lane's, behind the one being delivered.
        assert await claim_one() == [other]
        assert await claim_one() == []

        # The replica's leases lapse: its deliveries are taken over, and still only those.
        clock.advance(minutes=2)
        taken = await outbox.claim(conn, now=clock(), lease=lease, limit=10, owner=owner)
        assert [(e.id, e.attempts, e.maybe_done) for e in taken] == [
            (deep[0], 2, True),
            (other, 2, True),
        ]


async def test_an_effect_committed_after_a_later_one_of_its_lane_was_claimed_waits_for_it(
    db: Pool, clock: FakeClock
) -> None:
    """Ids come from a sequence, so a transaction can commit an older id after a newer one of
    the same lane was claimed. The older one waits for that delivery, then goes next."""
    lease = timedelta(minutes=1)
    async with db.acquire() as conn:
        owner = conn.get_server_pid()
        older, newer = await outbox.record_all(
            conn, [_post("channel:CLATE", "older"), _post("channel:CLATE", "newer")], now=clock()
        )
        assert older is not None
        assert newer is not None
        await conn.execute(  # as if `newer` had been claimed before `older` was committed
            "UPDATE outbox SET state = 'running', attempts = 1, leased_until = $2, claimed_by = $3"
            " WHERE id = $1",
            newer,
            clock() + lease,
            owner,
        )
        assert not await outbox.claim(conn, now=clock(), lease=lease, limit=10, owner=owner)

        finished, following = await outbox.finish_and_take_next(
            conn, newer, now=clock(), result={}, lease=lease, owner=owner
        )
        assert finished
        assert following is not None
        assert following.id == older
