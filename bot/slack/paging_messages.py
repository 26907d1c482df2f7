"""What the channel and `/incident actions` say about pages: sent, resolved, skipped, refused,
listed."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.incident import Incident
from bot.slack.messages import SlackMessage, build_message
from bot.slack.templates import Templates


@dataclass(frozen=True)
class ListedService:
    """One line of the paging part of `/incident actions`."""

    name: str
    routing_key_env: str
    unavailable: str
    """Why it cannot be paged here (`PAGERDUTY_PAYMENTS_KEY is not set`), or ''."""


class PagingMessages:
    def __init__(self, templates: Templates) -> None:
        self.templates = templates

    def _compose(self, template: str, **context: object) -> SlackMessage:
        return build_message(self.templates.render(template, **context))

    def paged(
        self, *, service: str, summary: str, severity: str, requester: str | None
    ) -> SlackMessage:
        """PagerDuty took the trigger: `Paged *payments* via PagerDuty`."""
        return self._compose(
            "paging_paged.mrkdwn.j2",
            service=service,
            summary=summary,
            severity=severity,
            requester=requester,
        )

    def resolved(self, service: str) -> SlackMessage:
        return self._compose("paging_resolved.mrkdwn.j2", service=service)

    def drill(
        self,
        *,
        action: str,
        service: str,
        routing_key_env: str,
        dedup_key: str,
        summary: str = "",
        severity: str = "",
    ) -> SlackMessage:
        """What a drill would have sent PagerDuty (a `trigger` or a `resolve`), instead of it."""
        return self._compose(
            "paging_drill.mrkdwn.j2",
            action=action,
            service=service,
            routing_key_env=routing_key_env,
            summary=summary,
            severity=severity,
            dedup_key=dedup_key,
        )

    def not_set(self, *, service: str, routing_key_env: str) -> SlackMessage:
        """A paging severity was declared, but this replica has no routing key to page with."""
        return self._compose(
            "paging_not_set.mrkdwn.j2", service=service, routing_key_env=routing_key_env
        )

    def refused(
        self,
        *,
        about: str,
        error: str,
        detail: str | None,
        incident: Incident,
        since: datetime,
    ) -> SlackMessage:
        """A page PagerDuty refused before the channel existed, reported as the outbox reports
        any refused effect (the same words)."""
        return self._compose(
            "delivery_failed.mrkdwn.j2",
            about=about,
            error=error,
            incident=incident,
            since=since,
            system="PagerDuty",
            detail=detail,
        )

    def listed(self, services: Sequence[ListedService], page_on: str) -> SlackMessage:
        return self._compose("paging_list.mrkdwn.j2", services=services, page_on=page_on)
