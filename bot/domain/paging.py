"""Paging through PagerDuty's Events API v2: what a page says, decided without I/O.

A page's dedup key is the incident's channel name, so every trigger of one incident (on
declare, on a re-grade, `/incident page`) lands on the same alert of each PagerDuty service.
The resolve uses the key its trigger was sent with: the page on declare is sent with the name
reserved then, which changes if Slack says the name was taken. PagerDuty's four severities
follow the policy's order: its most severe level is `critical`, the next `error`, then
`warning`, and every level below is `info`.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

ON_CALL = "on-call"
"""How people read the page of `paging.routing_key_env`, the one sent on declare."""
PD_SEVERITIES = ("critical", "error", "warning", "info")
MAX_SUMMARY = 1024
"""PagerDuty's limit on `payload.summary`."""
MAX_MESSAGE = 1000
"""The longest `/incident page` message: it joins the summary, within PagerDuty's 1024."""
SOURCE = "incident-bot"
"""`payload.source` and `client`: the system that raised the page."""


def pd_severity(rank: int) -> str:
    """PagerDuty's severity for the policy's level of rank `rank` (0 is the most severe)."""
    return PD_SEVERITIES[min(max(rank, 0), len(PD_SEVERITIES) - 1)]


def pages_on(severity: str, page_on: Collection[str]) -> bool:
    """Whether declaring (or re-grading to) `severity`, a severity's key, pages the on-call."""
    return severity in page_on


def becomes_paging(previous: str, severity: str, page_on: Collection[str]) -> bool:
    """A re-grade pages when it moves the incident into a paging severity from one that is not:
    from one paging severity to another, the alert is already open."""
    return pages_on(severity, page_on) and not pages_on(previous, page_on)


def summary(label: str, title: str, message: str | None = None) -> str:
    """`[SEV-1] Checkout errors`, the label's first word as the tag, with a `/incident page`
    message after a colon; cut to PagerDuty's 1024 characters."""
    tag = (label.split() or [label])[0]
    text = f"[{tag}] {title}" + (f": {message}" if message else "")
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"


def channel_link(channel_id: str) -> str:
    """A link that opens the incident channel in Slack, whatever the workspace's address."""
    return f"https://slack.com/app_redirect?channel={channel_id}"


def linked(event: dict[str, Any], channel_id: str, channel_name: str) -> dict[str, Any]:
    """`event` with the link to the incident channel (`links`, `client_url`): added when it is
    sent, because the page on declare is recorded before Slack has made the channel."""
    link = channel_link(channel_id)
    return {
        **event,
        "links": [{"href": link, "text": f"Slack: #{channel_name}"}],
        "client_url": link,
    }


@dataclass(frozen=True)
class Page:
    """One trigger: whom (`service`, paged through the key in `routing_key_env`), and what."""

    service: str
    routing_key_env: str
    dedup_key: str
    summary: str
    severity: str
    channel_id: str
    """Empty on declare: Slack has not made the channel yet (its link is added when sent)."""
    channel_name: str
    details: dict[str, Any]
    """`payload.custom_details`: the channel, who declared or asked, the severity, the message."""

    def event(self, *, timestamp: str) -> dict[str, Any]:
        """The event's fields other than `routing_key` and `event_action` (added at delivery),
        with the channel's link when the channel exists."""
        event = {
            "dedup_key": self.dedup_key,
            "payload": {
                "summary": self.summary,
                "source": SOURCE,
                "severity": self.severity,
                "timestamp": timestamp,
                "custom_details": self.details,
            },
            "client": SOURCE,
        }
        return linked(event, self.channel_id, self.channel_name) if self.channel_id else event
