"""Runbook checklists in the incident channel: posted, ticked, listed, and read by gates.

A checklist is posted once per incident (`ensure_posted`): on declare or resolve as the policy
says, on request (`/incident checklist <name>`), or with the approval card of an action that
requires it. Its items are snapshotted in PostgreSQL. A click is applied in one transaction
holding the checklist's row: each tick or untick is a conditional UPDATE, stamped in the
timeline, and the message is re-drawn from the rows, never from the click, as one edit in the
outbox that a later re-draw replaces while it waits (`outbox.record_edit`). So two people
ticking at once both count, and Slack ends showing the last state.
"""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

import structlog

from bot.config import Policy
from bot.domain.checklists import Checklist, Progress, posted_on, progress_of, toggles
from bot.domain.clock import Clock
from bot.domain.commands import ShowChecklists
from bot.domain.effects import DeliveryError, Effect, NewEffect
from bot.domain.incident import Incident
from bot.domain.slack_events import permalink
from bot.domain.timeline import Entry, Kind
from bot.errors import NotFound, UsageError
from bot.outbox import FollowUp
from bot.services.commands import usage
from bot.services.context import Invocation, Reply, claim_delivery, incident_of_channel
from bot.slack import effects
from bot.slack.checklist_messages import ChecklistMessages
from bot.slack.gateway import SlackGateway
from bot.slack.interactions import Tick
from bot.slack.messages import SlackMessage
from bot.store import checklists, incidents, outbox, timeline
from bot.store.db import Connection, Pool

log = structlog.get_logger(__name__)

POSTED = "checklists.posted"
CHECKLIST_ID = "checklist_id"
REVISION = "revision"
"""The post's extra arguments: which checklist the message is (its follow-up keeps the ts),
and the revision it shows."""

Changed = Callable[[Connection, Checklist], Awaitable[None]]
"""Told, in the transaction of a click, that a checklist's ticks changed (approval cards)."""


class ChecklistService:
    def __init__(
        self,
        pool: Pool,
        gateway: SlackGateway,
        policy: Policy,
        messages: ChecklistMessages,
        clock: Clock,
    ) -> None:
        """`gateway` only reads the workspace's address (a link to a posted checklist)."""
        self.pool = pool
        self.slack = gateway
        self.policy = policy
        self.messages = messages
        self.clock = clock
        self.changed: list[Changed] = []

    def follow_ups(self) -> dict[str, FollowUp]:
        return {POSTED: FollowUp(self.posted, self.refused)}

    def _declared(self, name: str) -> tuple[str, tuple[str, ...]]:
        """The title (the name when the policy gives none) and items the policy gives `name`."""
        declared = self.policy.checklists[name]
        return declared.title or name, declared.items

    async def post_on_declare(self, conn: Connection, incident_id: int) -> None:
        """A declaration's channel is set up: post the checklists of its severity."""
        await self._post_due(conn, incident_id, "declare")

    async def post_on_resolve(self, conn: Connection, incident_id: int) -> None:
        await self._post_due(conn, incident_id, "resolve")

    async def _post_due(self, conn: Connection, incident_id: int, moment: str) -> None:
        if not any(checklist.post_on == moment for checklist in self.policy.checklists.values()):
            return  # nothing to post at this moment: no look at the incident on the way
        incident = await incidents.by_id(conn, incident_id)
        if incident is None or not incident.channel_id:
            return
        for name in posted_on(self.policy.checklists, moment, incident.severity):
            await self.ensure_posted(conn, incident, name)

    async def ensure_posted(
        self,
        conn: Connection,
        incident: Incident,
        name: str,
        *,
        notify: dict[str, str] | None = None,
    ) -> tuple[Checklist, bool]:
        """The incident's checklist `name`, posted now if it never was or its post was lost;
        whether it was posted now."""
        now = self.clock()
        found = await checklists.by_name(conn, incident.id, name, for_update=True)
        if found is not None and not found.is_lost:
            return found, False
        if found is None:
            title, items = self._declared(name)
            found = await checklists.insert(
                conn,
                incident_id=incident.id,
                name=name,
                title=title,
                post_on=self.policy.checklists[name].post_on,
                channel_id=incident.channel_id,
                items=items,
                now=now,
            )
            if found is None:  # posted meanwhile by another transaction: it is on its way
                posted = await checklists.by_name(conn, incident.id, name)
                assert posted is not None  # noqa: S101 - checklists are never deleted
                return posted, False
        else:
            await checklists.repost(conn, found.id, now)
        await outbox.record(conn, self._post(found, notify), now=now)
        log.info("checklist_posted", checklist=name, items=len(found.items))
        return found, True

    def _post(self, checklist: Checklist, notify: dict[str, str] | None) -> NewEffect:
        post = effects.post(
            checklist.channel_id,
            self.messages.message(checklist),
            about=f"post the checklist `{checklist.name}`",
            incident_id=checklist.incident_id,
            then_do=POSTED,
            notify={**notify, "what": f"checklist `{checklist.name}`"} if notify else None,
        )
        extra = {CHECKLIST_ID: checklist.id, REVISION: checklist.revision}
        return replace(post, args={**post.args, **extra})

    async def posted(self, conn: Connection, effect: Effect, result: effects.Result) -> None:
        """The message is in the channel: keep its ts, and re-draw it if ticks came meanwhile."""
        checklist = await checklists.set_message(
            conn, int(effect.args[CHECKLIST_ID]), str(result["ts"])
        )
        if checklist is not None and checklist.revision != effect.args.get(REVISION):
            await self._redraw(conn, checklist, is_closed=False)

    async def refused(self, conn: Connection, effect: Effect, error: DeliveryError) -> bool:
        """Slack refused the post for good: the checklist may be asked for again (the outbox
        reports the failure)."""
        await checklists.lose(conn, int(effect.args[CHECKLIST_ID]))
        return False

    async def show(self, command: ShowChecklists, who: Invocation, reply: Reply) -> None:
        """`/incident checklist [name]`: list them with their progress, or post one."""
        if command.name is None:
            await reply(await self.listing(who))
            return
        if command.name not in self.policy.checklists:
            raise UsageError(self._unknown(command.name), usage("checklist"))
        await self._request(command.name, who, reply)

    def _unknown(self, name: str) -> str:
        names = ", ".join(f"`{known}`" for known in self.policy.checklists)
        if not names:
            return f"`{name}` is not a checklist: the policy names none (`checklists:`)."
        return f"`{name}` is not a checklist of this policy. Its checklists: {names}."

    async def listing(self, who: Invocation) -> SlackMessage:
        async with self.pool.acquire() as conn:
            incident = await incident_of_channel(
                conn, who.channel_id, "checklist", usage=usage("checklist")
            )
            lines = await self.progress(conn, incident.id, list(self.policy.checklists))
        return self.messages.listing(lines)

    async def progress(
        self, conn: Connection, incident_id: int, names: list[str]
    ) -> list[Progress]:
        """The progress of each named checklist of an incident, posted or not; a name the
        policy no longer has counts with what was posted of it (or no items)."""
        posted = {c.name: c for c in await checklists.of_incident(conn, incident_id)}
        found = []
        for name in names:
            declared = self.policy.checklists.get(name)
            title, items = self._declared(name) if declared else (name, ())
            found.append(progress_of(name, title, items, posted.get(name)))
        return found

    async def _request(self, name: str, who: Invocation, reply: Reply) -> None:
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            await claim_delivery(conn, who, now)
            incident = await incident_of_channel(
                conn, who.channel_id, "checklist", usage=usage("checklist"), open_only=True
            )
            checklist, is_new = await self.ensure_posted(conn, incident, name, notify=who.notify)
        if not is_new:
            await reply(self.messages.already_posted(checklist, await self._link(checklist)))

    async def _link(self, checklist: Checklist) -> str | None:
        workspace = await self.slack.workspace_url() if checklist.message_ts else None
        if workspace is None or checklist.message_ts is None:
            return None
        return permalink(workspace, checklist.channel_id, checklist.message_ts)

    async def tick(self, tick: Tick, reply: Reply) -> None:
        """A click on a checklist's checkboxes, applied against the rows and re-drawn; on a
        resolved incident's checklist nothing changes, and the message is re-drawn so that the
        clicked box shows its state again."""
        click, now = tick.click, self.clock()
        who = Invocation(click.user_id, click.channel_id, f"click:{click.trigger_id}")
        async with self.pool.acquire() as conn, conn.transaction():
            await claim_delivery(conn, who, now)
            checklist = await checklists.get(conn, tick.checklist_id, for_update=True)
            if checklist is None or checklist.channel_id != click.channel_id:
                raise NotFound("This checklist is not one the bot knows.")
            if checklist.message_ts is None:  # clicked before its post's outcome was kept
                checklist = await checklists.set_message(conn, checklist.id, click.message_ts)
                assert checklist is not None  # noqa: S101 - locked above
            incident = await incidents.by_id(conn, checklist.incident_id)
            is_closed = incident is None or not incident.is_open
            if not is_closed:
                await self._apply(conn, checklist, tick, now)
            await self._redraw(conn, checklist, is_closed=is_closed)
        if is_closed:
            await reply(self.messages.closed(checklist))

    async def _apply(
        self, conn: Connection, checklist: Checklist, tick: Tick, now: datetime
    ) -> None:
        user = tick.click.user_id
        for toggle in toggles(checklist.element(tick.element), tick.selected, tick.seen):
            if toggle.checked:
                text = await checklists.check(conn, checklist.id, toggle.position, user, now)
            else:
                text = await checklists.uncheck(conn, checklist.id, toggle.position)
            if text is None:
                continue
            kind = Kind.CHECKLIST_ITEM_CHECKED if toggle.checked else Kind.CHECKLIST_ITEM_UNCHECKED
            data = {"checklist": checklist.name, "position": toggle.position, "item": text}
            entry = Entry(now, kind, user, f"{checklist.title}: {text}", data=data)
            await timeline.append(conn, checklist.incident_id, entry)

    async def _redraw(self, conn: Connection, checklist: Checklist, *, is_closed: bool) -> None:
        """Record the message as the rows now say (a new revision), and tell `changed`."""
        await checklists.changed(conn, checklist.id)
        current = await checklists.get(conn, checklist.id)
        assert current is not None  # noqa: S101 - locked by the caller
        if current.message_ts is not None:
            edit = effects.update(
                current.channel_id,
                current.message_ts,
                self.messages.message(current, is_closed=is_closed),
                about=f"show the checklist `{current.name}` as ticked",
                incident_id=current.incident_id,
            )
            await outbox.record_edit(conn, edit, now=self.clock())
        for listener in self.changed:
            await listener(conn, current)

    async def gates(self, conn: Connection, incident_id: int, names: list[str]) -> list[Progress]:
        """The progress of the checklists an action requires, for its card and its Approve."""
        return await self.progress(conn, incident_id, names)

    async def document(self, conn: Connection, incident_id: int) -> list[Checklist]:
        """An incident's posted checklists, as the post-mortem shows them."""
        return await checklists.of_incident(conn, incident_id)
