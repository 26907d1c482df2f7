"""What people do with actions: request one, approve or deny it, and what the bot does after.

A request records the card's post and nothing runs. Each click is judged (by
`bot.domain.approval`) inside a transaction holding the request's row, and applied as a
conditional status move; the click whose move reaches `approved` goes on to run the action,
checking once more just before it starts. What people see is recorded in the transaction of
the step that causes it and delivered by the outbox, whatever Slack's state: the card's edit
and the outcome in its thread (once the card's ts is known: until then `card_posted` catches
up when the card lands), refusals only to the person who clicked.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

import structlog

from bot.actions import Catalog, Executors, ledger
from bot.actions.ledger import RESULT_STAMPS
from bot.actions.runner import Runner
from bot.domain import drills
from bot.domain.approval import (
    ApprovalEvent,
    ApprovalRequest,
    ApprovalStatus,
    Outcome,
    Refusal,
    Rule,
    Verdict,
    apply,
    judge_approval,
    judge_denial,
)
from bot.domain.checklists import Checklist, Progress
from bot.domain.clock import Clock
from bot.domain.commands import RequestAction
from bot.domain.effects import Effect, NewEffect
from bot.domain.incident import Incident
from bot.domain.params import bind
from bot.domain.timeline import Kind
from bot.errors import NotAllowed, NotFound
from bot.outbox import FollowUp
from bot.scheduler import Run
from bot.services.checklists import ChecklistService
from bot.services.context import Invocation, claim_delivery, incident_of_channel
from bot.slack import effects
from bot.slack.approval_cards import ApprovalCards, Confirming, ListedAction, approvers_of
from bot.slack.gateway import SlackError, SlackGateway
from bot.slack.messages import SlackMessage
from bot.slack.templates import Templates
from bot.store import approvals, jobs, outbox
from bot.store.db import Connection, Pool

log = structlog.get_logger(__name__)

EXPIRY_JOB = "approval_expiry"
CARD_POSTED = "approvals.card_posted"
REQUEST_ID = "request_id"
"""The card post's extra argument: which request the card is for (its follow-up keeps the ts)."""
Judge = Callable[[ApprovalRequest, str, frozenset[str], datetime], Verdict]
Notify = dict[str, Any] | None

LOST = Outcome(ApprovalStatus.UNKNOWN, "the bot stopped while it was running", 0.0)
"""What start-up records for a request whose replica died while running it."""


class Publisher(Protocol):
    """A request that publishes approved words instead of running an action (a status page
    statement): the approval that reaches `approved` records what to send, in its own
    transaction, and the request ends there (`approved`'s outcome), exactly once."""

    @property
    def title(self) -> str: ...
    @property
    def card_template(self) -> str: ...
    @property
    def confirming(self) -> Confirming: ...
    @property
    def outcome_template(self) -> str: ...
    async def approved(self, conn: Connection, request: ApprovalRequest) -> Outcome: ...


@dataclass(frozen=True)
class Click:
    """An Approve or Deny click, parsed from Slack's block_actions payload."""

    user_id: str
    channel_id: str
    message_ts: str
    request_id: int
    response_url: str


@dataclass(frozen=True)
class Asked:
    """What a request asks approval for: the catalog's action, or a publisher's words."""

    name: str
    usage: str
    params: dict[str, str | None]
    preview: str
    rule: Rule
    expires_after: timedelta


class ApprovalService:
    def __init__(
        self,
        pool: Pool,
        gateway: SlackGateway,
        templates: Templates,
        clock: Clock,
        catalog: Catalog,
        executors: Executors,
        checklists: ChecklistService | None = None,
    ) -> None:
        """`executors` are opened and closed by whoever owns the process's resources (the app);
        `gateway` only looks up who may approve (a read: it never changes Slack); `checklists`
        are the gates of the actions that `requires` them."""
        self.pool = pool
        self.slack = gateway
        self.cards = ApprovalCards(templates)
        self.clock = clock
        self.catalog = catalog
        self.runner = Runner(catalog, executors, clock)
        self.checklists = checklists
        self.publishers: dict[str, Publisher] = {}
        """Requests that are not catalog actions, by their `action` name (`statuspage`)."""

    def follow_ups(self) -> dict[str, FollowUp]:
        """Registered with the dispatcher: what runs when a card has been posted."""
        return {CARD_POSTED: FollowUp(self.card_posted)}

    def list_actions(self) -> SlackMessage:
        return self.cards.catalog(
            [
                ListedAction(
                    name=e.name,
                    title=e.action.title,
                    usage=e.usage,
                    target=e.target,
                    params=[p.describe() for p in e.action.params],
                    approvers=approvers_of(e.rule),
                    rule=e.rule,
                    unavailable="" if e.is_available else e.reason,
                )
                for e in self.catalog.entries
            ]
        )

    async def request(self, command: RequestAction, who: Invocation) -> ApprovalRequest:
        """Validate and record the request with its card's post; nothing runs until someone
        approves."""
        entry = self.catalog.get(command.name)
        if not entry.is_available:
            raise NotAllowed(f"`{entry.name}` is unavailable here: {entry.reason}.")
        params = bind(entry.name, entry.action.params, command.args)
        preview = self.catalog.plan(entry, params).preview
        request = await self.record_request(
            Asked(entry.name, entry.usage, dict(params), preview, entry.rule, entry.expires_after),
            command.dry_run,
            who,
        )
        log.info("action_requested", action=entry.name, request_id=request.id)
        return request

    async def record_request(
        self, asked: Asked, dry_run: bool, who: Invocation, *, open_only: bool = True
    ) -> ApprovalRequest:
        """The request, its `action_requested` stamp, its expiry job and its card's post, in
        one transaction. In a drill every action is a dry run, whatever the flag said.
        `open_only=False` lets a resolved incident's channel ask too (its public statement)."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            await claim_delivery(conn, who, now)
            incident = await incident_of_channel(
                conn, who.channel_id, asked.name, usage=asked.usage, open_only=open_only
            )
            request = await approvals.insert(
                conn,
                incident_id=incident.id,
                channel_id=who.channel_id,
                action=asked.name,
                params=asked.params,
                dry_run=dry_run or incident.is_drill,
                preview=asked.preview,
                requested_by=who.user_id,
                requested_at=now,
                expires_at=now + asked.expires_after,
                rule=asked.rule,
            )
            await ledger.stamp(conn, request, Kind.ACTION_REQUESTED, who.user_id, now)
            await self._post_gates(conn, incident, asked.name)
            await jobs.schedule(
                conn,
                jobs.NewJob(
                    f"{EXPIRY_JOB}:{request.id}",
                    EXPIRY_JOB,
                    request.expires_at,
                    incident.id,
                    {"request_id": request.id},
                ),
                now=now,
            )
            card = await self._card(conn, request)
            await outbox.record(
                conn, self._card_post(request, card, _notify(who.notify, request)), now=now
            )
        return request

    async def _post_gates(self, conn: Connection, incident: Incident, action: str) -> None:
        """The checklists the action requires are posted with its card, if they are not yet."""
        if self.checklists is None:
            return
        for name in self._requires(action):
            await self.checklists.ensure_posted(conn, incident, name)

    def _requires(self, action: str) -> tuple[str, ...]:
        """The checklists that must be complete before Approve counts for `action`."""
        try:
            return self.catalog.get(action).action.requires
        except NotFound:
            return ()

    async def _gates(self, conn: Connection, request: ApprovalRequest) -> list[Progress]:
        names = list(self._requires(request.action))
        if not names or self.checklists is None:
            return []
        return await self.checklists.gates(conn, request.incident_id, names)

    async def _card(self, conn: Connection, request: ApprovalRequest) -> SlackMessage:
        """The card as it stands, with the progress of the checklists its action requires."""
        publisher = self.publishers.get(request.action)
        gates = await self._gates(conn, request)
        if publisher is not None:
            return self.cards.card(
                request, publisher.title, gates, publisher.card_template, publisher.confirming
            )
        return self.cards.card(request, self._title(request), gates)

    async def checklist_changed(self, conn: Connection, checklist: Checklist) -> None:
        """A checklist's ticks changed: the pending cards that require it show its progress.
        Each request's row is held while its card is drawn, so a decision taken meanwhile is
        drawn after this, never under it."""
        for pending in await approvals.pending_of_incident(conn, checklist.incident_id):
            if checklist.name not in self._requires(pending.action):
                continue
            request = await approvals.get(conn, pending.id, for_update=True)
            if request is None or request.status is not ApprovalStatus.PENDING:
                continue
            if request.message_ts is not None:
                card = await self._card(conn, request)
                edit = self._edit(request, request.message_ts, card, None)
                await outbox.record_edit(conn, edit, now=self.clock())

    def _card_post(self, request: ApprovalRequest, card: SlackMessage, notify: Notify) -> NewEffect:
        post = effects.post(
            request.channel_id,
            card,
            about=f"post the approval card for `{request.action}`",
            incident_id=request.incident_id,
            then_do=CARD_POSTED,
            notify=notify,
        )
        return replace(post, args={**post.args, REQUEST_ID: request.id})

    async def card_posted(self, conn: Connection, effect: Effect, result: effects.Result) -> None:
        """The card is in the channel: keep its ts, and show what happened while it was on its
        way (steps taken before the ts was known recorded no edit and no thread reply)."""
        ts = str(result["ts"])
        request = await approvals.set_message_ts(conn, int(effect.args[REQUEST_ID]), ts)
        if request is None:
            return
        card = await self._card(conn, request)
        if not _shows(effect.args, card):
            await outbox.record(conn, self._edit(request, ts, card, None), now=self.clock())
        if _ran(request):
            await outbox.record(conn, self._reply(request, None), now=self.clock())

    async def approve(self, click: Click) -> None:
        await self._click(click, judge_approval)

    async def deny(self, click: Click) -> None:
        await self._click(click, judge_denial)

    async def _click(self, click: Click, judge: Judge) -> None:
        """Judge one click with the row locked; the click that approves goes on to run it."""
        request = await self._clicked(click)
        if request is None:
            return
        structlog.contextvars.bind_contextvars(
            request_id=request.id, incident_id=request.incident_id
        )
        if request.status is not ApprovalStatus.PENDING:
            await self._refuse_alone(click, Refusal.CLOSED, request)
            return
        allowed = await self._allowed(request)
        async with self.pool.acquire() as conn:
            changed = await self._decide(conn, click, judge, allowed)
            if changed is not None and changed.status is ApprovalStatus.APPROVED:
                notify = {
                    "response_url": click.response_url,
                    "what": f"approval of `{changed.action}`",
                }
                await self.runner.run(conn, changed, allowed, partial(self._tell, notify=notify))

    async def _decide(
        self, conn: Connection, click: Click, judge: Judge, allowed: frozenset[str]
    ) -> ApprovalRequest | None:
        """Apply the click's verdict, stamp it, and record what the clicker and the channel see.

        An approved request is shown by its start, which follows at once on this connection.
        """
        now = self.clock()
        async with conn.transaction():
            current = await approvals.get(conn, click.request_id, for_update=True)
            if current is None:
                raise NotFound("The request vanished.")
            verdict = judge(current, click.user_id, allowed, now)
            counts = verdict.event in (ApprovalEvent.VOTE, ApprovalEvent.APPROVE)
            if counts and await self._gate_closed(conn, click, current, now):
                return None
            changed = await ledger.record(conn, current, verdict, click.user_id, now)
            if changed is not None and changed.status is ApprovalStatus.APPROVED:
                changed = await self._publish(conn, changed, now)
            if verdict.refusal is not None:
                await self._refuse(conn, click, verdict.refusal, changed or current)
            if changed is not None and changed.status is not ApprovalStatus.APPROVED:
                await self._tell(conn, changed)
        return changed

    async def _publish(
        self, conn: Connection, request: ApprovalRequest, now: datetime
    ) -> ApprovalRequest:
        """An approved publication ends in the approving transaction (its row is held): it
        records what to send, and nothing is left for a runner. An action is returned as it is."""
        publisher = self.publishers.get(request.action)
        if publisher is None:
            return request
        started = apply(request.status, ApprovalEvent.START)
        running = await approvals.move(conn, request.id, request.status, started, at=now)
        if running is None:
            return request
        outcome = await publisher.approved(conn, running)
        finished = await approvals.finish(conn, running.id, outcome, at=now)
        if finished is None:
            return running
        result = outcome.as_json()
        await ledger.stamp(conn, finished, RESULT_STAMPS[outcome.status], None, now, result=result)
        return finished

    async def _gate_closed(
        self, conn: Connection, click: Click, request: ApprovalRequest, now: datetime
    ) -> bool:
        """Whether an Approve must wait for required checklists: then it is refused to the
        clicker with what is missing, and stamped `action_refused`; nothing else changes."""
        open_gates = [gate for gate in await self._gates(conn, request) if not gate.is_complete]
        if not open_gates:
            return False
        missing = {gate.name: list(gate.missing) for gate in open_gates}
        refusal = Refusal.INCOMPLETE
        await ledger.stamp(
            conn, request, Kind.ACTION_REFUSED, click.user_id, now, reason=refusal, missing=missing
        )
        await self._refuse(conn, click, refusal, request, open_gates)
        log.info("approval_waits_for_checklists", missing=sorted(missing))
        return True

    async def expire(self, run: Run) -> None:
        """The `approval_expiry` job: a request nobody approved in time can never run."""
        request_id = int(run.job.payload["request_id"])
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            current = await approvals.get(conn, request_id, for_update=True)
            if current is None or current.status not in (
                ApprovalStatus.PENDING,
                ApprovalStatus.APPROVED,
            ):
                return
            target = apply(current.status, ApprovalEvent.EXPIRE)
            moved = await approvals.move(conn, request_id, current.status, target, at=now)
            if moved is not None:
                await ledger.stamp(conn, moved, Kind.ACTION_EXPIRED, None, now)
                await self._tell(conn, moved)

    async def recover(self) -> list[ApprovalRequest]:
        """At start-up: requests left running by a dead replica become `unknown`, reported,
        never re-run."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            orphans = await approvals.abandon_orphans(conn, LOST, at=now)
            for orphan in orphans:
                await ledger.stamp(
                    conn, orphan, Kind.ACTION_UNKNOWN, None, now, result=LOST.as_json()
                )
                await self._tell(conn, orphan)
                report = effects.post(
                    orphan.channel_id,
                    self.cards.unknown(orphan, self._title(orphan)),
                    about=f"report that `{orphan.action}` may or may not have run",
                    incident_id=orphan.incident_id,
                )
                await outbox.record(conn, report, now=now)
        for orphan in orphans:
            log.warning("action_outcome_unknown", request_id=orphan.id, action=orphan.action)
        return orphans

    async def _clicked(self, click: Click) -> ApprovalRequest | None:
        """The request a click is about, if the click really came from its card."""
        async with self.pool.acquire() as conn:
            request = await approvals.get(conn, click.request_id)
        if (
            request is None
            or request.channel_id != click.channel_id
            or request.message_ts not in (None, click.message_ts)
        ):
            await self._refuse_alone(click, Refusal.WRONG_CARD, None)
            return None
        return request

    async def _allowed(self, request: ApprovalRequest) -> frozenset[str]:
        """Who may approve right now: the channel's members, or the listed users and groups' members.

        A lookup Slack refuses counts as nobody (fail closed).
        """
        rule = request.rule
        if rule.is_any_member:
            return frozenset(await self._members(self.slack.channel_members, request.channel_id))
        groups = [a for a in rule.approvers if a.startswith("S")]
        found = await asyncio.gather(
            *(self._members(self.slack.usergroup_members, g) for g in groups)
        )
        users = {a for a in rule.approvers if not a.startswith("S")}
        return frozenset(users.union(*found))

    async def _members(self, lookup: Callable[[str], Awaitable[list[str]]], key: str) -> list[str]:
        try:
            return await lookup(key)
        except SlackError as error:
            log.warning("approver_lookup_failed", key=key, error=error.error)
            return []

    async def _refuse_alone(
        self, click: Click, refusal: Refusal, request: ApprovalRequest | None
    ) -> None:
        """A refusal that changes nothing else, recorded in a transaction of its own."""
        async with self.pool.acquire() as conn:
            await self._refuse(conn, click, refusal, request)

    async def _refuse(
        self,
        conn: Connection,
        click: Click,
        refusal: Refusal,
        request: ApprovalRequest | None,
        gates: list[Progress] | None = None,
    ) -> None:
        """Why the click did nothing, to the clicker only: the card stays as it is."""
        title = self._title(request) if request else ""
        answer = effects.respond(
            click.response_url,
            self.cards.refusal(refusal, request, title, gates or []),
            about="tell you why your click did nothing",
            private=True,
            incident_id=request.incident_id if request else None,
        )
        await outbox.record(conn, answer, now=self.clock())

    async def _tell(
        self, conn: Connection, request: ApprovalRequest, *, notify: Notify = None
    ) -> None:
        """Record what people see of the request's new state: the card as it now stands and,
        once the action has run, the outcome in the card's thread. Both need the card's ts: a
        step taken before it is known is shown by `card_posted` instead."""
        ts = request.message_ts
        if ts is None:
            return
        card = await self._card(conn, request)
        await outbox.record(conn, self._edit(request, ts, card, notify), now=self.clock())
        if _ran(request):
            await outbox.record(conn, self._reply(request, notify), now=self.clock())

    def _edit(
        self, request: ApprovalRequest, ts: str, card: SlackMessage, notify: Notify
    ) -> NewEffect:
        edit = effects.update(
            request.channel_id,
            ts,
            card,
            about=f"show `{request.action}` as {request.status.value} on its card",
            incident_id=request.incident_id,
        )
        return replace(edit, notify=notify)

    def _reply(self, request: ApprovalRequest, notify: Notify) -> NewEffect:
        """The outcome in the card's thread (a publisher's in its own words: what was approved
        for publication, not how long it took to run). It depends on the card only, which is
        posted (its ts is known), not on the card's edits: a lane of its own lets it go beside
        them."""
        publisher = self.publishers.get(request.action)
        template = publisher.outcome_template if publisher else None
        reply = effects.post(
            request.channel_id,
            self.cards.outcome(request, self._title(request), template),
            about=f"post the outcome of `{request.action}`",
            incident_id=request.incident_id,
            thread_ts=request.message_ts,
            notify=notify,
        )
        return replace(reply, lane=f"{reply.lane}:thread:{request.message_ts}")

    def _title(self, request: ApprovalRequest) -> str:
        publisher = self.publishers.get(request.action)
        if publisher is not None:
            return publisher.title
        try:
            return self.catalog.get(request.action).action.title
        except NotFound:
            return request.action


def _notify(notify: dict[str, str] | None, request: ApprovalRequest) -> Notify:
    """Tell the requester if their card waits for Slack, or is refused."""
    return {**notify, "what": f"request for `{request.action}`"} if notify else None


def _ran(request: ApprovalRequest) -> bool:
    """Whether the action ran to an outcome of its own (not one start-up gave it)."""
    return request.outcome is not None and request.outcome != LOST


def _shows(args: dict[str, Any], card: SlackMessage) -> bool:
    """Whether a recorded message (an effect's args) is this card, word for word (with the
    DRILL mark it was recorded with, in a drill)."""
    shown: dict[str, Any] = {"text": card.text, "blocks": card.block_dicts()}
    if str(args.get("text", "")).startswith(drills.DRILL_TEXT):
        shown = drills.marked("post", shown)
    return bool(args.get("text") == shown["text"] and (args.get("blocks") or []) == shown["blocks"])
