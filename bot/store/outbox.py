"""The `outbox` table: effects recorded with the state change that causes them, then delivered.

A lane is delivered in order: only its oldest waiting effect can be claimed, so a channel's
messages keep their order and an effect recorded after another in the same lane waits for it.
Claims take `FOR UPDATE SKIP LOCKED` under a lease; a replica that dies mid-delivery lets the
lease lapse and another takes the effect over, knowing its outcome is unknown (`attempts > 1`).
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bot.domain import drills
from bot.domain.effects import Effect, NewEffect, Waiting
from bot.store import incidents
from bot.store.db import ABANDONED, Connection

WAKE_CHANNEL = "incident_bot_outbox"
"""NOTIFY channel: recording an effect wakes every replica's dispatcher (on commit)."""

_COLUMNS = (
    "id, lane, incident_id, method, args, about, then_do, notify, attempts, maybe_done, created_at"
)


def _effect(row: asyncpg.Record) -> Effect:
    return Effect(**dict(row))


def _claimed(row: asyncpg.Record) -> Effect:
    """The effect in a row that carries other columns too."""
    return Effect(**{name: row[name] for name in _COLUMNS.split(", ")})


async def record(
    conn: Connection, effect: NewEffect, *, now: datetime, due_at: datetime | None = None
) -> int | None:
    """Record `effect`, due now (or at `due_at`: keeping a pace), and wake the dispatchers on
    commit; its id, or None if an effect with its coalesce key is already waiting."""
    (effect_id,) = await record_all(conn, [effect], now=now, due_at=due_at)
    return effect_id


async def record_all(
    conn: Connection,
    new: Sequence[NewEffect],
    *,
    now: datetime,
    due_at: datetime | None = None,
    drill: bool | None = None,
) -> list[int | None]:
    """Record effects in one statement, in this order (a lane delivers them in it); their ids,
    None for one whose coalesce key is already waiting.

    `drill` says whether their incident is a drill, when the caller knows it. Otherwise, in a
    transaction, the statement also says which of the rows it added are about a drill, and only
    those (drills are rare) are written again, marked, before the commit lets anyone deliver
    them; outside one they are looked up first (see `_drills_marked`)."""
    mark_after = drill is None and conn.is_in_transaction()
    if not mark_after:
        new = await _drills_marked(conn, new, drill)
    rows = await conn.fetch(
        """WITH added AS (
               INSERT INTO outbox (lane, incident_id, method, args, about, then_do, coalesce_key,
                                   notify, due_at, created_at)
               SELECT lane, incident_id, method, args, about, then_do, coalesce_key, notify,
                      $10, $9
               FROM unnest($1::text[], $2::bigint[], $3::text[], $4::jsonb[], $5::text[],
                           $6::text[], $7::text[], $8::jsonb[])
                    WITH ORDINALITY AS new (lane, incident_id, method, args, about, then_do,
                                            coalesce_key, notify, position)
               ORDER BY position
               ON CONFLICT (coalesce_key) WHERE state IN ('pending', 'running')
                   AND coalesce_key IS NOT NULL
               DO NOTHING RETURNING id, coalesce_key, incident_id)
           SELECT added.id, added.coalesce_key, coalesce(about.drill, false) AS drill
           FROM added LEFT JOIN incidents about ON about.id = added.incident_id
                CROSS JOIN pg_notify($11, '')""",
        [e.lane for e in new],
        [e.incident_id for e in new],
        [e.method for e in new],
        [e.args for e in new],
        [e.about for e in new],
        [e.then_do for e in new],
        [e.coalesce_key for e in new],
        [e.notify for e in new],
        now,
        due_at or now,
        WAKE_CHANNEL,
    )
    ids = _ids_in_order(new, sorted((row["id"], row["coalesce_key"]) for row in rows))
    if mark_after:
        about_drills = {row["id"] for row in rows if row["drill"]}
        await _mark_recorded(
            conn, [(i, e) for i, e in zip(ids, new, strict=True) if i in about_drills]
        )
    return ids


async def _mark_recorded(
    conn: Connection, recorded: Sequence[tuple[int | None, NewEffect]]
) -> None:
    """Write again, marked DRILL, effects just recorded unmarked (in the same transaction)."""
    if not recorded:
        return
    await conn.execute(
        """UPDATE outbox SET args = marked.args
           FROM unnest($1::bigint[], $2::jsonb[]) AS marked (id, args)
           WHERE outbox.id = marked.id""",
        [effect_id for effect_id, _ in recorded],
        [drills.marked(effect.method, effect.args) for _, effect in recorded],
    )


async def _drills_marked(
    conn: Connection, new: Sequence[NewEffect], drill: bool | None = None
) -> Sequence[NewEffect]:
    """The effects with the words of those about a drill marked DRILL: the one place every
    message passes through, whichever service composed it (see `bot.domain.drills`). `drill`
    says whether their incident is one, when the caller knows it (saving the look-up)."""
    about = {e.incident_id for e in new if e.incident_id is not None}
    if drill is not None:
        about_drills = about if drill else set()
    else:
        about_drills = await incidents.drills_among(conn, about) if about else set()
    if not about_drills:
        return new
    return [
        replace(e, args=drills.marked(e.method, e.args)) if e.incident_id in about_drills else e
        for e in new
    ]


def _ids_in_order(
    new: Sequence[NewEffect], added: list[tuple[int, str | None]]
) -> list[int | None]:
    """Match the rows added (ascending ids: insertion order) back to the effects given; an
    effect whose coalesce key was already waiting, or given twice, was not added."""
    ids = iter(added)
    following = next(ids, None)
    matched: list[int | None] = []
    for effect in new:
        if following is not None and following[1] == effect.coalesce_key:
            matched.append(following[0])
            following = next(ids, None)
        else:
            matched.append(None)
    return matched


async def record_edit(conn: Connection, edit: NewEffect, *, now: datetime) -> int:
    """Record a message's edit (`update`) so that Slack ends showing the latest one: an edit
    of the same message still pending takes this one's args instead (a burst of changes is one
    `chat.update`); one already being delivered is left to finish and this one follows it in the
    lane. A coalesce key would not do: it keeps the first waiting edit, with its stale render.
    Callers serialise the edits of one message (they hold the row the message shows)."""
    (edit,) = await _drills_marked(conn, [edit])  # a refreshed render keeps its DRILL mark too
    # The NOTIFY matters: a dispatcher whose claim skipped the row while this held it sleeps
    # until woken, and an UPDATE wakes nobody by itself.
    refreshed: int | None = await conn.fetchval(
        """WITH refreshed AS (
               UPDATE outbox SET args = $4
               WHERE id = (SELECT id FROM outbox
                           WHERE lane = $1 AND state = 'pending' AND method = 'update'
                             AND args->>'channel' = $2 AND args->>'ts' = $3
                           ORDER BY id DESC LIMIT 1)
                 AND state = 'pending'
               RETURNING id)
           SELECT id FROM refreshed, pg_notify($5, '')""",
        edit.lane,
        edit.args["channel"],
        edit.args["ts"],
        edit.args,
        WAKE_CHANNEL,
    )
    if refreshed is not None:
        return refreshed
    recorded = await record(conn, edit, now=now)
    assert recorded is not None  # noqa: S101 - recorded without a coalesce key: always added
    return recorded


async def record_claimed(
    conn: Connection,
    effect: NewEffect,
    *,
    now: datetime,
    lease: timedelta,
    owner: int | None,
    drill: bool | None = None,
) -> Effect | None:
    """Record `effect` already claimed by `owner`, to be delivered by the recording replica as
    soon as the transaction commits: no NOTIFY, no claim. Only an effect that opens its lane can
    be: with another effect waiting in the lane it is recorded as `record` would, and None."""
    (effect,) = await _drills_marked(conn, [effect], drill)
    row = await conn.fetchrow(
        f"""WITH lane AS (
                SELECT EXISTS (SELECT 1 FROM outbox WHERE lane = $1
                               AND state IN ('pending', 'running')) AS busy),
            added AS (
               INSERT INTO outbox (lane, incident_id, method, args, about, then_do, notify,
                                   state, attempts, leased_until, claimed_by, due_at, created_at)
               SELECT $1, $2, $3, $4, $5, $6, $7,
                      CASE WHEN busy THEN 'pending' ELSE 'running' END,
                      CASE WHEN busy THEN 0 ELSE 1 END,
                      CASE WHEN busy THEN NULL ELSE $8::timestamptz + $9::interval END,
                      CASE WHEN busy THEN NULL ELSE $10::integer END, $8, $8
               FROM lane
               RETURNING {_COLUMNS}, state)
            SELECT added.*, (SELECT pg_notify($11, '') WHERE added.state = 'pending')
            FROM added""",
        effect.lane,
        effect.incident_id,
        effect.method,
        effect.args,
        effect.about,
        effect.then_do,
        effect.notify,
        now,
        lease,
        owner,
        WAKE_CHANNEL,
    )
    assert row is not None  # noqa: S101 - the INSERT … SELECT of one row always adds it
    if row["state"] != "running":
        return None
    return _claimed(row)


async def is_waiting(conn: Connection, coalesce_key: str) -> bool:
    """Whether an effect recorded with `coalesce_key` is still to be delivered."""
    found: bool = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM outbox WHERE coalesce_key = $1
                          AND state IN ('pending', 'running'))""",
        coalesce_key,
    )
    return found


async def is_untried(conn: Connection, incident_id: int, method: str) -> bool:
    """Whether an effect of `method` about the incident waits for its first answer (none of
    its attempts has failed yet): a channel's creation while Slack is up and answering."""
    found: bool = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM outbox WHERE incident_id = $1 AND method = $2
                          AND state IN ('pending', 'running') AND last_error IS NULL)""",
        incident_id,
        method,
    )
    return found


async def claim(
    conn: Connection, *, now: datetime, lease: timedelta, limit: int, owner: int | None
) -> list[Effect]:
    """Take up to `limit` due effects, each the oldest waiting one of its lane, for `owner`
    (a replica's presence pid); an effect whose claimer is gone is taken over (`ABANDONED`).

    Effects are looked at oldest first. A waiting one in a lane that a live replica is
    delivering is behind that delivery: it is passed over by a hash look-up of those few lanes,
    not by the probe that finds its elders (a lane thousands deep would cost thousands)."""
    rows = await conn.fetch(
        f"""UPDATE outbox SET state = 'running', attempts = attempts + 1,
                              maybe_done = maybe_done OR state = 'running',
                              leased_until = $1::timestamptz + $2::interval, claimed_by = $4
            WHERE id IN (
                SELECT o.id FROM outbox o
                WHERE o.due_at <= $1
                  AND (o.state = 'pending' OR (o.state = 'running' AND {ABANDONED}))
                  AND NOT (o.state = 'pending' AND o.lane IN (
                      SELECT lane FROM outbox WHERE state = 'running' AND NOT {ABANDONED}))
                  AND NOT EXISTS (
                      SELECT 1 FROM outbox earlier
                      WHERE earlier.lane = o.lane AND earlier.id < o.id
                        AND earlier.state IN ('pending', 'running'))
                ORDER BY o.id
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}""",
        now,
        lease,
        limit,
        owner,
    )
    return sorted((_effect(r) for r in rows), key=lambda effect: effect.id)


async def finish(
    conn: Connection, effect_id: int, *, now: datetime, result: dict[str, Any]
) -> bool:
    """Mark a delivered effect done; False if this replica no longer held it."""
    status: str = await conn.execute(
        """UPDATE outbox SET state = 'done', done_at = $2, result = $3, leased_until = NULL,
                             last_error = NULL
           WHERE id = $1 AND state = 'running'""",
        effect_id,
        now,
        result,
    )
    return status.endswith(" 1")


async def finish_and_take_next(
    conn: Connection,
    effect_id: int,
    *,
    now: datetime,
    result: dict[str, Any],
    lease: timedelta,
    owner: int | None,
) -> tuple[bool, Effect | None]:
    """`finish`, and in the same statement claim the next effect of its lane for `owner` when
    that one is due: the replica that held the lane delivers on down it, with no wake-up or
    claim between (a new channel's topic, invitation and pin). The next is the lane's oldest
    waiting effect, or nothing — never a later one past it. Whether this replica still held the
    finished effect, and the next one it took."""
    row = await conn.fetchrow(
        f"""WITH done AS (
                UPDATE outbox SET state = 'done', done_at = $2, result = $3,
                                  leased_until = NULL, last_error = NULL
                WHERE id = $1 AND state = 'running'
                RETURNING lane),
            next AS (
                UPDATE outbox SET state = 'running', attempts = attempts + 1,
                                  leased_until = $2::timestamptz + $4::interval, claimed_by = $5
                WHERE id = (SELECT waiting.id FROM outbox waiting JOIN done USING (lane)
                            WHERE waiting.state = 'pending'
                            ORDER BY waiting.id LIMIT 1)
                  AND state = 'pending' AND due_at <= $2
                RETURNING {_COLUMNS})
            SELECT EXISTS (SELECT 1 FROM done) AS finished, next.*
            FROM (SELECT 1) AS one LEFT JOIN next ON true""",
        effect_id,
        now,
        result,
        lease,
        owner,
    )
    assert row is not None  # noqa: S101 - the outer SELECT always has its one row
    taken = _claimed(row) if row["id"] is not None else None
    return bool(row["finished"]), taken


async def retry(
    conn: Connection, effect_id: int, *, due_at: datetime, error: str, maybe_done: bool
) -> None:
    """Try again at `due_at`; `maybe_done` when the failed attempt may still have taken effect."""
    await conn.execute(
        """UPDATE outbox SET state = 'pending', due_at = $2, last_error = $3, leased_until = NULL,
                             maybe_done = maybe_done OR $4
           WHERE id = $1 AND state = 'running'""",
        effect_id,
        due_at,
        error,
        maybe_done,
    )


async def give_up(conn: Connection, effect_id: int, *, now: datetime, error: str) -> bool:
    status: str = await conn.execute(
        """UPDATE outbox SET state = 'failed', done_at = $2, last_error = $3, leased_until = NULL
           WHERE id = $1 AND state = 'running'""",
        effect_id,
        now,
        error,
    )
    return status.endswith(" 1")


async def bring_forward(conn: Connection, *, now: datetime) -> int:
    """Make every effect waiting out a backoff due now (the other side answers again)."""
    status: str = await conn.execute(
        "UPDATE outbox SET due_at = $1 WHERE state = 'pending' AND attempts > 0 AND due_at > $1",
        now,
    )
    return int(status.split()[-1])


_HEADS = """SELECT DISTINCT ON (lane) state, due_at, leased_until FROM outbox
              WHERE state IN ('pending', 'running') ORDER BY lane, id"""
"""The oldest waiting effect of each lane: only these can be claimed."""


async def next_due(conn: Connection, *, now: datetime) -> datetime | None:
    """When to look again: the next effect due later (a retry) or lease to lapse.

    Effects due now but waiting behind their lane's head need no wake-up: whoever delivers the
    head claims the next one in the same run. Both minimums come from indexes."""
    due: datetime | None = await conn.fetchval(
        """SELECT least((SELECT min(due_at) FROM outbox WHERE state = 'pending' AND due_at > $1),
                        (SELECT min(leased_until) FROM outbox WHERE state = 'running'))""",
        now,
    )
    return due


async def unsettled(conn: Connection, *, now: datetime) -> int:
    """Effects due now or being delivered: what a caller waiting for quiet still waits for."""
    count: int = await conn.fetchval(
        f"""SELECT count(*) FROM ({_HEADS}) AS heads
            WHERE state = 'running' OR due_at <= $1""",
        now,
    )
    return count


async def waiting(conn: Connection, *, incident_id: int | None = None) -> Waiting:
    """Effects not yet delivered: all of them, or one incident's."""
    row = await conn.fetchrow(
        """SELECT count(*) AS count, min(created_at) AS oldest FROM outbox
           WHERE state IN ('pending', 'running') AND ($1::bigint IS NULL OR incident_id = $1)""",
        incident_id,
    )
    return Waiting(count=int(row["count"]) if row else 0, oldest=row["oldest"] if row else None)
