"""/metrics shows the incident figures from the database, and the Grafana dashboard charts only
series the bot exports."""

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.demo.sandbox import Sandbox
from bot.metrics import Metrics
from bot.store.db import Pool
from tests.integration.figures.seeding import seed_followup, seed_incident

DASHBOARD = Path(__file__).resolve().parents[3] / "docs" / "grafana-dashboard.json"


@pytest.fixture
async def scraped(bot: Sandbox, db: Pool) -> dict[str, float]:
    """Two open SEV-1 (one of them a drill), one resolved SEV-2 in 90 minutes, two follow-ups
    open of which one is overdue; then one scrape, as {sample with labels: value}."""
    day = datetime(2026, 11, 20, 10, tzinfo=UTC)
    async with db.acquire() as conn:
        first = await seed_incident(conn, "sev1", day, respond=timedelta(minutes=2))
        await seed_incident(conn, "sev1", day, drill=True)
        await seed_incident(conn, "sev2", day, resolve=timedelta(minutes=90))
        await seed_followup(conn, first, day, due_on=date(2026, 11, 21))
        await seed_followup(conn, first, day, due_on=date(2026, 12, 21))
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/metrics") as response:
        text = await response.text()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            samples[f"{s.name}{{{labels}}}"] = s.value
    return samples


async def test_metrics_show_open_incidents_and_follow_ups(scraped: dict[str, float]) -> None:
    assert scraped["incident_bot_incidents_open{severity=sev1}"] == 1
    assert scraped["incident_bot_incidents_open{severity=sev2}"] == 0
    assert scraped["incident_bot_followups_open{}"] == 2
    assert scraped["incident_bot_followups_overdue{}"] == 1


async def test_metrics_histograms_count_key_times_by_severity(scraped: dict[str, float]) -> None:
    resolution = "incident_bot_time_to_resolution_seconds"
    assert scraped[f"{resolution}_bucket{{le=3600.0,severity=sev2}}"] == 0
    assert scraped[f"{resolution}_bucket{{le=7200.0,severity=sev2}}"] == 1
    assert scraped[f"{resolution}_sum{{severity=sev2}}"] == 5400
    response = "incident_bot_time_to_first_response_seconds"
    assert scraped[f"{response}_bucket{{le=300.0,severity=sev1}}"] == 1
    assert scraped[f"{response}_count{{severity=sev1}}"] == 1  # the drill is left out


def test_the_dashboard_is_grafana_json_naming_only_exported_series() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["panels"]
    exported = {m.name for m in Metrics().registry.collect()} | {
        m.name for m in Metrics().key_times.collect()
    }
    named = set()
    for panel in dashboard["panels"]:
        assert {"id", "type", "title", "gridPos", "targets"} <= panel.keys()
        for target in panel["targets"]:
            named |= set(re.findall(r"\bincident_bot_[a-z_]+", target["expr"]))
    bases = {re.sub(r"_(bucket|count|sum)$", "", n) for n in named}
    assert bases <= exported, bases - exported
    assert {
        "incident_bot_incidents_open",
        "incident_bot_followups_open",
        "incident_bot_followups_overdue",
        "incident_bot_time_to_first_response_seconds",
        "incident_bot_time_to_mitigation_seconds",
        "incident_bot_time_to_resolution_seconds",
    } <= bases
