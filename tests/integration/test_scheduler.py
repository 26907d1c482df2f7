import asyncio
from collections import Counter
from datetime import timedelta

from bot.scheduler import Run, Scheduler
from bot.store import handled, jobs
from bot.store.db import Pool, create_pool
from tests.conftest import FakeClock


class Recorder:
    """A job handler that records each run and, like a real handler, acts at most once."""

    def __init__(self, pool: Pool, clock: FakeClock) -> None:
        self.pool, self.clock = pool, clock
        self.runs: list[Run] = []
        self.effects: Counter[str] = Counter()

    async def __call__(self, run: Run) -> None:
        self.runs.append(run)
        async with self.pool.acquire() as conn:
            if await handled.claim(conn, run.job.key, self.clock()):
                self.effects[run.job.key] += 1


async def add(pool: Pool, clock: FakeClock, key: str, *, in_minutes: float = 0) -> None:
    async with pool.acquire() as conn:
        await jobs.schedule(
            conn, jobs.NewJob(key, "test", clock() + timedelta(minutes=in_minutes)), now=clock()
        )


async def state_of(pool: Pool, key: str) -> str:
    async with pool.acquire() as conn:
        return str(await conn.fetchval("SELECT state FROM jobs WHERE key = $1", key))


async def test_a_job_runs_once_when_due_and_not_before(db: Pool, clock: FakeClock) -> None:
    recorder = Recorder(db, clock)
    scheduler = Scheduler(db, clock, {"test": recorder})
    await add(db, clock, "reminder:1", in_minutes=15)

    assert await scheduler.run_due() == 0
    clock.advance(minutes=15)
    assert await scheduler.run_due() == 1
    assert await scheduler.run_due() == 0
    assert [r.job.key for r in recorder.runs] == ["reminder:1"]
    assert not recorder.runs[0].is_late
    assert await state_of(db, "reminder:1") == "done"


async def test_scheduling_the_same_key_twice_keeps_one_job(db: Pool, clock: FakeClock) -> None:
    await add(db, clock, "escalation:1:0")
    await add(db, clock, "escalation:1:0", in_minutes=5)
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM jobs") == 1


async def test_a_job_due_while_every_replica_was_down_runs_once_marked_late(
    db: Pool, clock: FakeClock
) -> None:
    recorder = Recorder(db, clock)
    await add(db, clock, "reminder:2", in_minutes=15)
    clock.advance(hours=2)
    await Scheduler(db, clock, {"test": recorder}).run_due()
    assert len(recorder.runs) == 1
    assert recorder.runs[0].late_by == timedelta(minutes=105)


async def test_two_replicas_run_each_job_once(db: Pool, migrated: str, clock: FakeClock) -> None:
    other_pool = await create_pool(migrated, min_size=1, max_size=4)
    try:
        first, second = Recorder(db, clock), Recorder(other_pool, clock)
        replicas = [
            Scheduler(db, clock, {"test": first}, batch=7),
            Scheduler(other_pool, clock, {"test": second}, batch=7),
        ]
        for n in range(60):
            await add(db, clock, f"reminder:{n}")
        await asyncio.gather(*(replica.run_due() for replica in replicas))
        runs = Counter(r.job.key for r in first.runs + second.runs)
        assert len(runs) == 60
        assert set(runs.values()) == {1}
        assert first.runs, "both replicas took a share"
        assert second.runs, "both replicas took a share"
    finally:
        await other_pool.close()


async def test_a_lapsed_lease_is_taken_over_and_the_effect_still_happens_once(
    db: Pool, clock: FakeClock
) -> None:
    recorder = Recorder(db, clock)
    await add(db, clock, "reminder:9")
    async with db.acquire() as conn:
        crashed = await jobs.claim_due(conn, now=clock(), lease=timedelta(minutes=2), limit=10)
        await handled.claim(conn, crashed[0].key, clock())  # it posted, then its replica died
    scheduler = Scheduler(db, clock, {"test": recorder})
    assert await scheduler.run_due() == 0
    clock.advance(minutes=3)
    assert await scheduler.run_due() == 1
    assert recorder.runs[0].job.attempts == 2
    assert recorder.effects["reminder:9"] == 0
    assert await state_of(db, "reminder:9") == "done"


async def test_a_failing_job_is_retried_then_marked_failed(db: Pool, clock: FakeClock) -> None:
    attempts: list[int] = []

    async def broken(run: Run) -> None:
        attempts.append(run.job.attempts)
        raise RuntimeError("slack is down")

    scheduler = Scheduler(db, clock, {"test": broken}, max_attempts=2)
    await add(db, clock, "reminder:3")
    await scheduler.run_due()
    assert await state_of(db, "reminder:3") == "pending"
    clock.advance(seconds=30)
    await scheduler.run_due()
    assert attempts == [1, 2]
    async with db.acquire() as conn:
        row = await conn.fetchrow("SELECT state, last_error FROM jobs WHERE key = 'reminder:3'")
    assert (row["state"], row["last_error"]) == ("failed", "RuntimeError: slack is down")


async def test_cancelled_jobs_never_run(db: Pool, clock: FakeClock) -> None:
    recorder = Recorder(db, clock)
    async with db.acquire() as conn:
        incident_id = await conn.fetchval(
            """INSERT INTO incidents (channel_id, channel_name, title, severity, status, declared_by, declared_at)
               VALUES ('C1', 'incident-20261124-001', 't', 'sev1', 'investigating', 'U1', $1) RETURNING id""",
            clock(),
        )
        await jobs.schedule(
            conn, jobs.NewJob("reminder:x", "test", clock(), incident_id), now=clock()
        )
        assert await jobs.cancel(conn, incident_id=incident_id, kinds=("test",)) == 1
    assert await Scheduler(db, clock, {"test": recorder}).run_due() == 0


async def test_a_new_job_wakes_a_sleeping_scheduler_without_polling(
    db: Pool, clock: FakeClock
) -> None:
    ran = asyncio.Event()

    async def handler(_: Run) -> None:
        ran.set()

    scheduler = Scheduler(db, clock, {"test": handler}, max_sleep=300)
    loop = asyncio.create_task(scheduler.run_forever())
    try:
        await asyncio.wait_for(scheduler.sleeping.wait(), timeout=5)  # asleep for up to 300 s
        await add(db, clock, "reminder:woken")
        await asyncio.wait_for(ran.wait(), timeout=5)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
