"""Public statements on the status page, each approved word for word by a second person.

`/incident statuspage` checks the statement against the policy's `status_page` (its
components, the default words) and asks for approval through the actions' machinery
(`ApprovalService.record_request`: who may approve, expiry, exactly once), as a `statuspage`
request whose card shows the exact public text. The click that approves it runs `approved`
in its own transaction: the statement's row, its timeline stamp and its Statuspage effect
(`bot.integrations.statuspage`: the incident's first statement creates the public incident,
later ones update it) commit together with the approval, or not at all. When Statuspage has
answered, `published` keeps the public incident's id and link and shows them in the channel; a
refusal is reported by the dispatcher with Statuspage's own words. A drill records no effect and
says in the channel what would have been published.
"""

from typing import Any

import structlog

from bot.config import Policy, StatusPage
from bot.domain.approval import ApprovalRequest, ApprovalStatus, Outcome, Rule
from bot.domain.commands import RequestStatement
from bot.domain.effects import DeliveryError, Effect, NewEffect
from bot.domain.incident import Incident
from bot.domain.mrkdwn import Mrkdwn
from bot.domain.statements import (
    MAX_NAME,
    PUBLICATION,
    PublicStatus,
    Statement,
    components_text,
    out_of_order,
    read_components_text,
)
from bot.domain.timeline import Entry, Kind
from bot.errors import NotAllowed, UsageError
from bot.integrations import statuspage
from bot.outbox import FollowUp
from bot.services.approvals import ApprovalService, Asked
from bot.services.commands import usage
from bot.services.context import Invocation, incident_of_channel
from bot.slack import effects
from bot.slack.approval_cards import Confirming
from bot.slack.messages import SlackMessage, build_message
from bot.slack.statement_messages import resolve_offer
from bot.slack.templates import Templates
from bot.store import incidents, outbox, statements, timeline
from bot.store.db import Connection, Pool
from bot.store.statements import StatementRow

log = structlog.get_logger(__name__)

ACTION = PUBLICATION
"""The approval requests' `action` for a statement (no catalog action may take the word)."""
PUBLISHED = "statements.published"


class StatementService:
    def __init__(
        self, pool: Pool, policy: Policy, templates: Templates, approvals: ApprovalService
    ) -> None:
        self.pool = pool
        self.policy = policy
        self.templates = templates
        self.approvals = approvals
        self.clock = approvals.clock
        approvals.publishers[ACTION] = self

    title = "Public statement on the status page"
    card_template = "statement_card.mrkdwn.j2"
    outcome_template = "statement_outcome.mrkdwn.j2"
    confirming = Confirming(
        "Publish on the status page?", "statement_confirm.mrkdwn.j2", "Approve and publish"
    )

    def follow_ups(self) -> dict[str, FollowUp]:
        """Registered with the dispatcher: what Statuspage's answer leaves behind."""
        return {PUBLISHED: FollowUp(self.published, self.refused)}

    async def request(self, command: RequestStatement, who: Invocation) -> ApprovalRequest:
        """Check the statement and post its approval card; nothing is published yet."""
        page = self._page()
        statement = command.statement
        self._check_components(page, statement)
        async with self.pool.acquire() as conn:
            incident = await incident_of_channel(conn, who.channel_id, ACTION, usage=usage(ACTION))
            earlier = await statements.of_incident(conn, incident.id)
        body = statement.body or self._default_words(page, statement.status)
        previous = earlier[-1].status if earlier else None
        params: dict[str, str | None] = {
            "status": statement.status.value,
            "components": components_text(statement.components),
            "name": incident.title[:MAX_NAME],
        }
        warning = out_of_order(previous, statement.status)
        if warning is not None:
            params["warning"] = warning
        defaults = self.policy.approvals
        asked = Asked(
            ACTION,
            usage(ACTION),
            params,
            body,
            Rule(defaults.approvers, defaults.required, self_approval=False),
            defaults.expires_after,
        )
        request = await self.approvals.record_request(asked, False, who, open_only=False)
        log.info("statement_requested", request_id=request.id, status=statement.status.value)
        return request

    def _page(self) -> StatusPage:
        if self.policy.status_page is None:
            raise NotAllowed(
                "Status page statements are unavailable: the policy has no `status_page` section."
            )
        return self.policy.status_page

    def _check_components(self, page: StatusPage, statement: Statement) -> None:
        unknown = [c.name for c in statement.components if c.name not in page.components]
        if unknown:
            known = ", ".join(f"`{name}`" for name in sorted(page.components)) or "none"
            raise UsageError(
                f"No component `{unknown[0]}` on the status page. Components: {known}.",
                usage(ACTION),
            )

    def _default_words(self, page: StatusPage, status: PublicStatus) -> str:
        """The words a statement without any: the policy's to open, a template's to close;
        in between, what changed is for a person to say."""
        if status is PublicStatus.INVESTIGATING:
            return page.wording
        if status is PublicStatus.RESOLVED:
            return self.templates.render("statement_resolved_words.txt.j2")
        raise UsageError(f"Write the public message: `{status.value}` has no default words.")

    async def approved(self, conn: Connection, request: ApprovalRequest) -> Outcome:
        """The approving transaction: the statement's row and stamp, and what goes out."""
        now = self.clock()
        page = self._page()
        incident = await incidents.by_id(conn, request.incident_id)
        assert incident is not None  # noqa: S101 - the request's incident exists (foreign key)
        earlier = await statements.of_incident(conn, incident.id)
        is_new = all(s.is_drill for s in earlier)
        changes = read_components_text(request.params.get("components"))
        row = await statements.insert(
            conn,
            incident_id=incident.id,
            request_id=request.id,
            status=PublicStatus(str(request.params["status"])),
            name=str(request.params["name"]),
            body=request.preview,
            components={c.name: c.state for c in changes},
            requested_by=request.requested_by,
            approved_by=request.votes,
            approved_at=now,
            is_drill=request.dry_run,
        )
        await self._stamp_approved(conn, row, request.decided_by)
        if row.is_drill:
            await self._say_drill(conn, incident, row, page, is_new=is_new)
            return Outcome(ApprovalStatus.SUCCEEDED, "drill: nothing was published", 0.0, True)
        await outbox.record_all(
            conn, [self._effect(page, row, is_new=is_new)], now=now, drill=False
        )
        return Outcome(
            ApprovalStatus.SUCCEEDED,
            "sent to the status page; its link follows when Statuspage answers",
            0.0,
        )

    def _effect(self, page: StatusPage, row: StatementRow, *, is_new: bool) -> NewEffect:
        fields = statuspage.incident_fields(
            name=row.name,
            status=row.status.value,
            body=row.body,
            components={page.components[n]: s.value for n, s in row.components.items()},
        )
        return statuspage.statement(
            opens=is_new,
            incident_id=row.incident_id,
            statement_id=row.id,
            api_url=page.api_url,
            page_id=page.page_id,
            api_key_env=page.api_key_env,
            fields=fields,
            then_do=PUBLISHED,
        )

    async def _stamp_approved(self, conn: Connection, row: StatementRow, by: str | None) -> None:
        """The statement's approval, by whoever gave the approval that completed it: the one
        stamp of its approval (the ledger leaves this step to the publisher)."""
        data = {
            "statement_id": row.id,
            "status": row.status.value,
            "name": row.name,
            "body": row.body,
            "components": {n: s.value for n, s in row.components.items()},
            "approvers": list(row.approved_by),
            "requested_by": row.requested_by,
            "drill": row.is_drill,
        }
        body = f"{row.status.value} — {row.body}"
        entry = Entry(row.approved_at, Kind.STATEMENT_APPROVED, by, body, data=data)
        await timeline.append(conn, row.incident_id, entry)

    async def _say_drill(
        self,
        conn: Connection,
        incident: Incident,
        row: StatementRow,
        page: StatusPage,
        *,
        is_new: bool,
    ) -> None:
        components = {page.components[n]: s.value for n, s in row.components.items()}
        text = self.templates.render(
            "statement_drill.mrkdwn.j2", statement=row, components=components, is_new=is_new
        )
        post = effects.post(
            incident.channel_id,
            build_message(text),
            about="say what the drill would have published",
            incident_id=incident.id,
        )
        await outbox.record(conn, post, now=self.clock())

    async def published(self, conn: Connection, effect: Effect, result: dict[str, Any]) -> None:
        """Statuspage answered: keep the public incident's id and link, stamp it, show it."""
        now = self.clock()
        row = await statements.published(
            conn,
            int(effect.args[statuspage.STATEMENT_ID]),
            public_id=str(result.get("id") or ""),
            shortlink=result.get("shortlink"),
            at=now,
        )
        incident = await incidents.by_id(conn, effect.incident_id or 0)
        if row is None or incident is None:
            return
        link = row.shortlink
        data = {"statement_id": row.id, "status": row.status.value, "shortlink": link}
        said = f"{row.status.value} — {link or row.public_id}"
        await timeline.append(
            conn, incident.id, Entry(now, Kind.STATEMENT_PUBLISHED, None, said, data=data)
        )
        text = self.templates.render(
            "statement_published.mrkdwn.j2",
            statement=row,
            link=link,
            system=statuspage.SYSTEM,
            is_new=effect.method == statuspage.CREATE,
        )
        post = effects.post(
            incident.channel_id,
            build_message(text),
            about="show the status page's answer",
            incident_id=incident.id,
        )
        await outbox.record(conn, post, now=now)

    async def refused(self, conn: Connection, effect: Effect, error: DeliveryError) -> bool:
        """Statuspage refused for good: keep why and stamp it; the dispatcher reports it in
        the channel with Statuspage's words (False: not handled here)."""
        statement_id = int(effect.args[statuspage.STATEMENT_ID])
        reason = error.detail or error.error
        await statements.refused(conn, statement_id, reason)
        if effect.incident_id is not None:
            data = {"statement_id": statement_id, "error": error.error, "detail": error.detail}
            said = f"{statuspage.SYSTEM} answered: {reason}"
            entry = Entry(self.clock(), Kind.STATEMENT_REFUSED, None, said, data=data)
            await timeline.append(conn, effect.incident_id, entry)
        return False

    async def public_id(self, incident_id: int) -> str | None:
        """The public incident the incident's first statement created (for its updates)."""
        async with self.pool.acquire() as conn:
            found = await statements.public_incident(conn, incident_id)
        return found[0] if found else None

    async def status_line(self, conn: Connection, incident: Incident) -> Mrkdwn | None:
        """The status card's line about the public status page, when the policy has one."""
        if self.policy.status_page is None:
            return None
        found = await statements.of_incident(conn, incident.id)
        latest = found[-1] if found else None
        public = await statements.public_incident(conn, incident.id)
        text = self.templates.render(
            "statement_status.mrkdwn.j2",
            latest=latest,
            count=len(found),
            link=public[1] if public else None,
        )
        return Mrkdwn(text)

    async def offer_resolution(self, conn: Connection, incident: Incident) -> SlackMessage | None:
        """Under the resolution notice: while the page still shows the incident open, a button
        that asks for the `resolved` statement (the same approval, its words pre-filled)."""
        found = await statements.of_incident(conn, incident.id)
        if not found or found[-1].status is PublicStatus.RESOLVED:
            return None
        public = await statements.public_incident(conn, incident.id)
        text = self.templates.render(
            "statement_resolve_offer.mrkdwn.j2",
            latest=found[-1],
            link=public[1] if public else None,
        )
        return resolve_offer(text)
