"""What people do with actions: request one, approve or deny it, and what the bot does after.

A request posts a card and nothing runs. Each click is judged (by `bot.domain.approval`) inside
a transaction holding the request's row, and applied as a conditional status move; the click
whose move reaches `approved` goes on to run the action, checking once more just before it
starts. Slack is told after the database: the card is updated in place, the outcome is posted
in its thread, refusals are answered only to the person who clicked.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from bot.actions import Catalog, Entry, Executors, ledger
from bot.actions.runner import Runner
from bot.domain.approval import (
    ApprovalEvent,
    ApprovalRequest,
    ApprovalStatus,
    Outcome,
    Refusal,
    Verdict,
    apply,
    judge_approval,
    judge_denial,
)
from bot.domain.clock import Clock
from bot.domain.commands import RequestAction
from bot.domain.params import bind
from bot.domain.timeline import Kind
from bot.errors import NotAllowed, NotFound, SlackRefused
from bot.scheduler import Run
from bot.services.background import Background
from bot.services.context import Invocation, incident_of_channel
from bot.slack.approval_cards import ApprovalCards, ListedAction, approvers_of
from bot.slack.gateway import SlackError, SlackGateway
from bot.slack.messages import SlackMessage
from bot.slack.templates import Templates
from bot.store import approvals, jobs
from bot.store.db import Pool

log = structlog.get_logger(__name__)

EXPIRY_JOB = "approval_expiry"
Judge = Callable[[ApprovalRequest, str, frozenset[str], datetime], Verdict]

LOST = Outcome(ApprovalStatus.UNKNOWN, "the bot stopped while it was running", 0.0)
"""What start-up records for a request whose replica died while running it."""


@dataclass(frozen=True)
class Click:
    """An Approve or Deny click, parsed from Slack's block_actions payload."""

    user_id: str
    channel_id: str
    message_ts: str
    request_id: int
    response_url: str


class ApprovalService:
    def __init__(
        self,
        pool: Pool,
        gateway: SlackGateway,
        templates: Templates,
        clock: Clock,
        catalog: Catalog,
        executors: Executors,
        background: Background,
    ) -> None:
        """`executors` are opened and closed by whoever owns the process's resources (the app)."""
        self.pool = pool
        self.slack = gateway
        self.cards = ApprovalCards(templates)
        self.clock = clock
        self.catalog = catalog
        self.runner = Runner(catalog, executors, clock)
        self.background = background

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
        """Validate, record and post the card; nothing runs until someone approves."""
        entry = self.catalog.get(command.name)
        if not entry.is_available:
            raise NotAllowed(f"`{entry.name}` is unavailable here: {entry.reason}.")
        params = bind(entry.name, entry.action.params, command.args)
        preview = self.catalog.plan(entry, params).preview
        request = await self._record_request(entry, dict(params), preview, command.dry_run, who)
        log.info("action_requested", action=entry.name, request_id=request.id)
        try:
            card = self.cards.card(request, entry.action.title)
            ts = await self.slack.post(request.channel_id, card)
        except SlackError as error:
            raise SlackRefused("Recorded", [f"post the card ({error.error})"]) from None
        async with self.pool.acquire() as conn:
            await approvals.set_message_ts(conn, request.id, ts)
        return request

    async def _record_request(
        self,
        entry: Entry,
        params: dict[str, str | None],
        preview: str,
        dry_run: bool,
        who: Invocation,
    ) -> ApprovalRequest:
        """The request, its `action_requested` stamp and its expiry job, in one transaction."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            incident = await incident_of_channel(
                conn, who.channel_id, entry.name, usage=entry.usage, open_only=True
            )
            request = await approvals.insert(
                conn,
                incident_id=incident.id,
                channel_id=who.channel_id,
                action=entry.name,
                params=params,
                dry_run=dry_run,
                preview=preview,
                requested_by=who.user_id,
                requested_at=now,
                expires_at=now + entry.expires_after,
                rule=entry.rule,
            )
            await ledger.stamp(conn, request, Kind.ACTION_REQUESTED, who.user_id, now)
            await jobs.schedule(
                conn,
                key=f"{EXPIRY_JOB}:{request.id}",
                kind=EXPIRY_JOB,
                due_at=request.expires_at,
                now=now,
                incident_id=incident.id,
                payload={"request_id": request.id},
            )
        return request

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
            await self._refuse(click, Refusal.CLOSED, request)
            return
        allowed = await self._allowed(request)
        now = self.clock()
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                current = await approvals.get(conn, request.id, for_update=True)
                if current is None:
                    raise NotFound("The request vanished.")
                verdict = judge(current, click.user_id, allowed, now)
                changed = await ledger.record(conn, current, verdict, click.user_id, now)
            if changed is not None and changed.status is ApprovalStatus.APPROVED:
                changed = await self.runner.run(conn, changed, allowed, self._show)
        if changed is not None and changed.started_at is not None:
            await self._announce(changed)
            return
        if verdict.refusal is not None:
            await self._refuse(click, verdict.refusal, changed or current)
        if changed is not None:
            await self._show(changed)

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
        if moved is not None:
            await self._show(moved)

    async def recover(self) -> list[ApprovalRequest]:
        """At start-up: requests left running by a dead replica become `unknown`, reported, never re-run."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            orphans = await approvals.abandon_orphans(conn, LOST, at=now)
            for orphan in orphans:
                await ledger.stamp(
                    conn, orphan, Kind.ACTION_UNKNOWN, None, now, result=LOST.as_json()
                )
        for orphan in orphans:
            log.warning("action_outcome_unknown", request_id=orphan.id, action=orphan.action)
            self.background.start(
                self._report_unknown(orphan), name=f"approval:unknown:{orphan.id}"
            )
        return orphans

    async def _report_unknown(self, request: ApprovalRequest) -> None:
        await self._show(request)
        await self.slack.post(request.channel_id, self.cards.unknown(request, self._title(request)))

    async def _clicked(self, click: Click) -> ApprovalRequest | None:
        """The request a click is about, if the click really came from its card."""
        async with self.pool.acquire() as conn:
            request = await approvals.get(conn, click.request_id)
        if (
            request is None
            or request.channel_id != click.channel_id
            or request.message_ts not in (None, click.message_ts)
        ):
            await self._refuse(click, Refusal.WRONG_CARD, None)
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

    async def _refuse(
        self, click: Click, refusal: Refusal, request: ApprovalRequest | None
    ) -> None:
        title = self._title(request) if request else ""
        await self.slack.respond_privately(
            click.response_url, self.cards.refusal(refusal, request, title)
        )

    async def _show(self, request: ApprovalRequest) -> None:
        """Bring the card up to date; the database already holds the truth if Slack refuses."""
        if request.message_ts is None:
            return
        try:
            await self.slack.update(
                request.channel_id,
                request.message_ts,
                self.cards.card(request, self._title(request)),
            )
        except SlackError as error:
            log.warning("approval_card_not_updated", error=error.error)

    async def _announce(self, request: ApprovalRequest) -> None:
        """The outcome: on the card, and as a reply in its thread (both at once)."""
        reply = self.slack.post(
            request.channel_id,
            self.cards.outcome(request, self._title(request)),
            thread_ts=request.message_ts,
        )
        await asyncio.gather(self._show(request), reply)

    def _title(self, request: ApprovalRequest) -> str:
        try:
            return self.catalog.get(request.action).action.title
        except NotFound:
            return request.action
