"""What a page says: PagerDuty's severity by the policy's order, the summary, when to page."""

from dataclasses import replace

import pytest

from bot.domain.commands import PageService
from bot.domain.grammar import parse_page, split
from bot.domain.paging import Page, becomes_paging, linked, pd_severity, summary
from bot.domain.severity import default_severity_policy
from bot.errors import UsageError

SEVERITIES = default_severity_policy()


@pytest.mark.parametrize(
    ("rank", "severity"), [(0, "critical"), (1, "error"), (2, "warning"), (3, "info"), (7, "info")]
)
def test_pagerduty_severity_follows_the_policys_order(rank: int, severity: str) -> None:
    assert pd_severity(rank) == severity


def test_the_summary_is_tagged_with_the_severity_and_fits_pagerdutys_limit() -> None:
    assert summary("SEV-1 Critical", "Checkout errors") == "[SEV-1] Checkout errors"
    assert summary("SEV-2 High", "Search", "db is on fire") == "[SEV-2] Search: db is on fire"
    long = summary("SEV-1 Critical", "Checkout errors", "x" * 2000)
    assert len(long) == 1024
    assert long.endswith("…")


def test_a_regrade_pages_only_into_a_paging_severity() -> None:
    page_on = {"sev1", "sev2"}
    assert becomes_paging("sev3", "sev1", page_on)
    assert not becomes_paging("sev2", "sev1", page_on)
    assert not becomes_paging("sev1", "sev3", page_on)


def test_page_reads_a_service_and_an_optional_message() -> None:
    assert parse_page(split("page Payments db is on fire", SEVERITIES)) == PageService(
        "payments", "db is on fire"
    )
    assert parse_page(split("page payments", SEVERITIES)) == PageService("payments", None)
    with pytest.raises(UsageError, match="Name the service"):
        parse_page(split("page", SEVERITIES))
    with pytest.raises(UsageError, match="the limit is 1000"):
        parse_page(split("page payments " + "x" * 1001, SEVERITIES))


def test_a_page_before_the_channel_exists_has_no_link_until_one_is_added() -> None:
    page = Page(
        "on-call",
        "PD_KEY",
        "incident-20261124-001",
        "[SEV-1] x",
        "critical",
        "",
        "incident-20261124-001",
        {"incident": "incident-20261124-001"},
    )
    event = page.event(timestamp="2026-11-24T09:00:00+00:00")
    assert "links" not in event
    assert "client_url" not in event
    assert event["payload"]["custom_details"] == {"incident": "incident-20261124-001"}
    link = "https://slack.com/app_redirect?channel=C1"
    assert linked(event, "C1", "incident-20261124-002")["links"] == [
        {"href": link, "text": "Slack: #incident-20261124-002"}
    ]
    assert linked(event, "C1", "incident-20261124-002")["client_url"] == link
    with_channel = replace(page, channel_id="C1").event(timestamp="t")
    assert with_channel["client_url"] == link
