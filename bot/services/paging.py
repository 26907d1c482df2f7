"""Paging the on-call through PagerDuty: on declare, on a re-grade, on request, resolved on resolve.

Each page is a `pagerduty.trigger` effect recorded in the transaction that causes it. The page
on declare is recorded in the declaration's own transaction (a `declarations.declared`
listener), on a lane of its own, and delivered at once: it does not wait for Slack to make the
channel, so a SEV-1 reaches the on-call while Slack is down. Its link to the channel is added
when it is sent, if Slack has made the channel by then. A re-grade's page and `/incident page`'s
are recorded by their commands. When PagerDuty has taken a page, its follow-up stamps `paged`
in the timeline and says so in the channel ("Paged *payments* via PagerDuty"); when PagerDuty
refuses it, the follow-up stamps `page_failed` and the outbox reports PagerDuty's words there.

A page on declare may be answered before the channel exists. Its follow-up and the channel's
set-up (a `declarations.set_up` listener) both lock the incident's row, so exactly one of them
shows it: the follow-up when the channel is there, else the set-up, from the stamp.

On resolve, every alert that was paged gets a `resolve` of the dedup key its trigger was sent
with (the channel may have been renamed since, when Slack said the name was taken). A trigger
still waiting for PagerDuty then is resolved by its own follow-up, which sees the incident
resolved: the incident's row is locked by both, so one of them sees the other's work.

A drill pages nobody: the channel is told what PagerDuty would have received.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import structlog

from bot.config import Paging, Policy
from bot.domain import paging as rules
from bot.domain.clock import Clock
from bot.domain.commands import PageService
from bot.domain.effects import DeliveryError, Effect, NewEffect
from bot.domain.incident import Incident
from bot.domain.timeline import Entry, Kind
from bot.errors import NotAllowed, UsageError
from bot.integrations import pagerduty
from bot.integrations.http_api import Secret
from bot.outbox import Dispatcher, FollowUp
from bot.services.commands import usage
from bot.services.context import Invocation, claim_delivery, incident_of_channel
from bot.slack import effects
from bot.slack.messages import SlackMessage
from bot.slack.paging_messages import ListedService, PagingMessages
from bot.store import display_names, incidents, outbox, timeline
from bot.store.db import Connection, Pool

log = structlog.get_logger(__name__)

PAGED = "paging.paged"
PAGE_RESOLVED = "paging.resolved"
LINK_GRACE = 2.0
"""Seconds a page on declare waits for Slack's first answer to the channel's creation, to carry
its link: Slack up answers well within it; Slack slow costs the page its link, not its time."""
LINK_POLL = 0.05
NOT_SET_UP = "Paging is not set up here: add a `paging` section to the policy file."


class PagingService:
    def __init__(
        self,
        pool: Pool,
        policy: Policy,
        messages: PagingMessages,
        clock: Clock,
        secret: Secret,
        dispatcher: Dispatcher,
    ) -> None:
        """`secret` looks up the routing keys by the names the policy gives (`Catalog.secret`);
        `dispatcher` delivers the page on declare as soon as the declaration commits."""
        self.pool = pool
        self.policy = policy
        self.messages = messages
        self.clock = clock
        self.secret = secret
        self.dispatcher = dispatcher

    def follow_ups(self) -> dict[str, FollowUp]:
        return {
            PAGED: FollowUp(self.paged, self.refused),
            PAGE_RESOLVED: FollowUp(self.page_resolved, self.refused),
        }

    def routing_keys(self, paging: Paging) -> dict[str, str]:
        """Every service that can be paged, by the name people type, with its key's variable."""
        named = {name: s.routing_key_env for name, s in paging.services.items()}
        return {rules.ON_CALL: paging.routing_key_env, **named}

    def _page_on(self, paging: Paging) -> frozenset[str]:
        """The keys of the severities that page on declare (the policy may write aliases)."""
        return frozenset(self.policy.severities.resolve(word).key for word in paging.page_on)

    def _pages_on_declare(self, incident: Incident) -> bool:
        paging = self.policy.paging
        return paging is not None and rules.pages_on(incident.severity, self._page_on(paging))

    async def page_on_declare(self, conn: Connection, incident: Incident) -> None:
        """Declared (in the declaration's transaction): page the on-call at once if its severity
        pages, whatever Slack does. A drill, or a routing key unset here, only speaks in the
        channel: that waits for its set-up (`show_page_on_declare`)."""
        if not self._pages_on_declare(incident) or incident.is_drill:
            return
        assert self.policy.paging is not None  # noqa: S101 - _pages_on_declare checked it
        if self.secret(self.policy.paging.routing_key_env) is None:
            return
        details = {"declared_by": await _declarer(conn, incident)}
        await self._page(conn, incident, rules.ON_CALL, details, at_once=True)

    async def show_page_on_declare(self, conn: Connection, incident_id: int) -> None:
        """The channel is made (its row locked by the set-up): say in it what the page on
        declare did before the channel existed, or why nobody was paged."""
        paging = self.policy.paging
        if paging is None:
            return
        incident = await incidents.by_id(conn, incident_id, for_update=True)
        if incident is None or not self._pages_on_declare(incident):
            return
        if incident.is_drill or self.secret(paging.routing_key_env) is None:
            details = {"declared_by": await _declarer(conn, incident)}
            await self._page(conn, incident, rules.ON_CALL, details)
            return
        for entry in await timeline.of_kinds(conn, incident.id, (Kind.PAGED, Kind.PAGE_FAILED)):
            if entry.kind is Kind.PAGED:
                await self._say_paged(conn, incident, entry.data, entry.actor)
            elif entry.data.get("deferred"):
                await self._post(
                    conn, incident, self._refusal(incident, entry), "report a refused page"
                )

    async def report_deferred(self, conn: Connection, incident_id: int) -> None:
        """The channel was given up: report in the announce channel the refusals kept for it."""
        incident = await incidents.by_id(conn, incident_id)
        if self.policy.paging is None or incident is None:
            return
        for entry in await timeline.of_kinds(conn, incident.id, (Kind.PAGE_FAILED,)):
            if entry.data.get("deferred"):
                post = effects.post(
                    self.policy.announce_channel,
                    self._refusal(incident, entry),
                    about="report a refused page",
                    incident_id=incident.id,
                )
                await outbox.record(conn, post, now=self.clock())

    def _refusal(self, incident: Incident, entry: Entry) -> SlackMessage:
        return self.messages.refused(
            about=str(entry.data["about"]),
            error=str(entry.data["error"]),
            detail=entry.data.get("detail"),
            incident=incident,
            since=datetime.fromisoformat(str(entry.data["since"])),
        )

    async def channel_of(self, incident_id: int) -> tuple[str, str] | None:
        """The incident's channel (id, name), for a page's link: waited for while Slack has not
        answered its creation yet, for at most LINK_GRACE; None once Slack failed to make it
        (down, slow or refusing: the page goes without its link, not later)."""
        try:
            async with asyncio.timeout(LINK_GRACE):
                while True:
                    async with self.pool.acquire() as conn:
                        incident = await incidents.by_id(conn, incident_id)
                        if incident is None:
                            return None
                        if incident.channel_id:
                            return incident.channel_id, incident.channel_name
                        if not await outbox.is_untried(conn, incident_id, effects.CREATE_CHANNEL):
                            return None
                    await asyncio.sleep(LINK_POLL)
        except TimeoutError:
            return None

    async def page_on_regrade(self, conn: Connection, incident: Incident, previous: str) -> None:
        """The incident became a paging severity: page the on-call, on the same alert."""
        paging = self.policy.paging
        if paging is None:
            return
        if not rules.becomes_paging(previous, incident.severity, self._page_on(paging)):
            return
        before = self.policy.severities.get(previous).label
        await self._page(conn, incident, rules.ON_CALL, {"previous_severity": before})

    async def page(self, command: PageService, who: Invocation) -> None:
        """`/incident page <service> [message]`: page one more service, refused in words when
        the service is unknown or its routing key is not set here."""
        paging = self.policy.paging
        if paging is None:
            raise UsageError(NOT_SET_UP)
        keys = self.routing_keys(paging)
        env = keys.get(command.service)
        if env is None:
            raise UsageError(
                f"There is no service `{command.service}` to page. Services: {', '.join(keys)}.",
                usage("page"),
            )
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            await claim_delivery(conn, who, now)
            incident = await incident_of_channel(
                conn, who.channel_id, "page", usage=usage("page"), open_only=True, lock=True
            )
            if not incident.is_drill and self.secret(env) is None:
                raise NotAllowed(
                    f"`/incident page {command.service}` is unavailable here: {env} is not set."
                )
            details: dict[str, Any] = {"paged_by": await _name(conn, who.user_id)}
            if command.message:
                details["message"] = command.message
            await self._page(conn, incident, command.service, details, command.message, who.user_id)

    async def _page(
        self,
        conn: Connection,
        incident: Incident,
        service: str,
        details: dict[str, Any],
        message: str | None = None,
        requester: str | None = None,
        *,
        at_once: bool = False,
    ) -> None:
        """Record the trigger for `service` (a drill's words instead, or why nobody was paged);
        `at_once`: delivered by this replica as soon as the transaction commits."""
        paging = self.policy.paging
        assert paging is not None  # noqa: S101 - callers page only with a paging section
        env = self.routing_keys(paging)[service]
        page = self._page_of(incident, service, env, details, message)
        now = self.clock()
        if incident.is_drill:
            await self._say_drill(conn, incident, page, now, requester)
            return
        if self.secret(env) is None:
            await self._say_not_set(conn, incident, service, env, now)
            return
        trigger = pagerduty.trigger(
            events_url=paging.events_url,
            routing_key_env=env,
            service=service,
            event=page.event(timestamp=now.isoformat()),
            incident_id=incident.id,
            then_do=PAGED,
        )
        trigger = replace(trigger, args={**trigger.args, "requester": requester})
        if at_once:
            await self.dispatcher.record_here(conn, trigger, now=now, drill=False)
        else:
            await outbox.record(conn, trigger, now=now)
        log.info("page_recorded", service=service)

    def _page_of(
        self,
        incident: Incident,
        service: str,
        env: str,
        details: Mapping[str, Any],
        message: str | None,
    ) -> rules.Page:
        level = self.policy.severities.get(incident.severity)
        return rules.Page(
            service=service,
            routing_key_env=env,
            dedup_key=incident.channel_name,
            summary=rules.summary(level.label, incident.title, message),
            severity=rules.pd_severity(level.rank),
            channel_id=incident.channel_id,
            channel_name=incident.channel_name,
            details={
                "incident": incident.channel_name,
                "title": incident.title,
                "severity": level.label,
                **details,
            },
        )

    async def _say_drill(
        self,
        conn: Connection,
        incident: Incident,
        page: rules.Page,
        now: datetime,
        requester: str | None,
    ) -> None:
        said = self.messages.drill(
            action="trigger",
            service=page.service,
            routing_key_env=page.routing_key_env,
            dedup_key=page.dedup_key,
            summary=page.summary,
            severity=page.severity,
        )
        await self._post(conn, incident, said, f"say whom the drill did not page ({page.service})")
        await timeline.append(
            conn,
            incident.id,
            Entry(
                now,
                Kind.PAGE_SKIPPED,
                requester,
                f"Drill: did not page {page.service} via PagerDuty ({page.summary})",
                data={
                    "service": page.service,
                    "routing_key_env": page.routing_key_env,
                    "dedup_key": page.dedup_key,
                },
            ),
        )

    async def _say_not_set(
        self, conn: Connection, incident: Incident, service: str, env: str, now: datetime
    ) -> None:
        said = self.messages.not_set(service=service, routing_key_env=env)
        await self._post(conn, incident, said, f"say {service} was not paged")
        await timeline.append(
            conn,
            incident.id,
            Entry(
                now,
                Kind.PAGE_FAILED,
                None,
                f"Could not page {service} via PagerDuty: {env} is not set",
                data={"service": service, "routing_key_env": env, "error": "not_configured"},
            ),
        )
        log.warning("page_not_configured", service=service, routing_key_env=env)

    async def _post(
        self, conn: Connection, incident: Incident, message: SlackMessage, about: str
    ) -> None:
        post = effects.post(incident.channel_id, message, about=about, incident_id=incident.id)
        await outbox.record(conn, post, now=self.clock())

    async def resolve_pages(self, conn: Connection, incident_id: int) -> None:
        """The incident is resolved (its row locked): resolve every alert its pages opened, by
        the dedup key each was triggered with."""
        paging = self.policy.paging
        incident = await incidents.by_id(conn, incident_id)
        if paging is None or incident is None:
            return
        sent = await timeline.of_kinds(conn, incident.id, (Kind.PAGED, Kind.PAGE_SKIPPED))
        alerts: dict[tuple[str, str], str] = {}
        for entry in sent:
            service, env = str(entry.data["service"]), str(entry.data["routing_key_env"])
            dedup_key = str(entry.data.get("dedup_key") or incident.channel_name)
            alerts.setdefault((service, dedup_key), env)
        for (service, dedup_key), env in alerts.items():
            if incident.is_drill:
                said = self.messages.drill(
                    action="resolve", service=service, routing_key_env=env, dedup_key=dedup_key
                )
                await self._post(
                    conn, incident, said, f"say the drill resolved no page ({service})"
                )
            else:
                resolve = self._resolve(paging, incident.id, service, env, dedup_key)
                await outbox.record(conn, resolve, now=self.clock())

    def _resolve(
        self, paging: Paging, incident_id: int, service: str, env: str, dedup_key: str
    ) -> NewEffect:
        return pagerduty.resolve(
            events_url=paging.events_url,
            routing_key_env=env,
            service=service,
            dedup_key=dedup_key,
            incident_id=incident_id,
            then_do=PAGE_RESOLVED,
        )

    async def paged(self, conn: Connection, effect: Effect, _result: effects.Result) -> None:
        """PagerDuty took a trigger: stamp it, and say so if the channel exists (else its
        set-up will); resolve it at once if the incident was resolved while it waited."""
        assert effect.incident_id is not None  # noqa: S101 - pages are recorded with one
        incident = await incidents.by_id(conn, effect.incident_id, for_update=True)
        assert incident is not None  # noqa: S101 - incidents are never deleted
        service, env = str(effect.args["service"]), str(effect.args["routing_key_env"])
        payload, dedup_key = effect.args["event"]["payload"], str(effect.args["event"]["dedup_key"])
        data = {
            "service": service,
            "routing_key_env": env,
            "dedup_key": dedup_key,
            "severity": payload["severity"],
            "summary": payload["summary"],
        }
        requester = effect.args.get("requester")
        body = f"Paged {service} via PagerDuty: {payload['summary']}"
        await timeline.append(
            conn, incident.id, Entry(self.clock(), Kind.PAGED, requester, body, data=data)
        )
        if not incident.channel_id:
            return  # the channel's set-up shows it; a channel given up leaves the page open
        await self._say_paged(conn, incident, data, requester)
        if not incident.is_open and self.policy.paging is not None:
            resolve = self._resolve(self.policy.paging, incident.id, service, env, dedup_key)
            await outbox.record(conn, resolve, now=self.clock())

    async def _say_paged(
        self, conn: Connection, incident: Incident, data: Mapping[str, Any], requester: str | None
    ) -> None:
        """`Paged *payments* via PagerDuty`, from a `paged` stamp's data."""
        service = str(data["service"])
        said = self.messages.paged(
            service=service,
            summary=str(data["summary"]),
            severity=str(data["severity"]),
            requester=requester,
        )
        await self._post(conn, incident, said, f"say {service} was paged")

    async def page_resolved(
        self, conn: Connection, effect: Effect, _result: effects.Result
    ) -> None:
        assert effect.incident_id is not None  # noqa: S101 - recorded with one
        incident = await incidents.by_id(conn, effect.incident_id)
        assert incident is not None  # noqa: S101 - incidents are never deleted
        service = str(effect.args["service"])
        await timeline.append(
            conn,
            incident.id,
            Entry(
                self.clock(),
                Kind.PAGE_RESOLVED,
                None,
                f"Resolved the page of {service} in PagerDuty",
                data={"service": service, "routing_key_env": effect.args["routing_key_env"]},
            ),
        )
        await self._post(
            conn, incident, self.messages.resolved(service), f"say {service}'s page is resolved"
        )

    async def refused(self, conn: Connection, effect: Effect, error: DeliveryError) -> bool:
        """PagerDuty refused an event for good: stamp it. The outbox reports PagerDuty's words
        in the channel (False: not handled here); a page refused before the channel exists is
        kept for its set-up to report (True), or the announce channel's if it is given up."""
        if effect.incident_id is None:
            return False
        incident = await incidents.by_id(conn, effect.incident_id, for_update=True)
        deferred = bool(incident and incident.is_open and not incident.channel_id)
        service = str(effect.args["service"])
        action = "page" if effect.method == pagerduty.TRIGGER else "resolve the page of"
        data: dict[str, Any] = {"service": service, "error": error.error, "detail": error.detail}
        if deferred:
            data |= {
                "deferred": True,
                "about": effect.about,
                "since": effect.created_at.isoformat(),
            }
        await timeline.append(
            conn,
            effect.incident_id,
            Entry(
                self.clock(),
                Kind.PAGE_FAILED,
                None,
                f"Could not {action} {service} via PagerDuty: {error.detail or error.error}",
                data=data,
            ),
        )
        return deferred

    def listed(self) -> SlackMessage | None:
        """The paging part of `/incident actions`: whom `/incident page` can page here, and why
        not when a routing key is unset; None without a paging section."""
        paging = self.policy.paging
        if paging is None:
            return None
        services = [
            ListedService(name, env, "" if self.secret(env) else f"{env} is not set")
            for name, env in self.routing_keys(paging).items()
        ]
        keys = self._page_on(paging)
        page_on = ", ".join(
            level.label for level in self.policy.severities.levels if level.key in keys
        )
        return self.messages.listed(services, page_on)


async def _declarer(conn: Connection, incident: Incident) -> str:
    return await _name(conn, incident.declared_by) if incident.declared_by else "an alert"


async def _name(conn: Connection, user_id: str | None) -> str:
    """How PagerDuty's responders read a Slack user: their cached display name with the id."""
    if user_id is None:
        return "incident-bot"
    known = await display_names.fresh(conn, [user_id], datetime.min.replace(tzinfo=UTC))
    return f"{known[user_id]} ({user_id})" if user_id in known else user_id
