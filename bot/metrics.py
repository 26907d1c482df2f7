"""Prometheus metrics, in a registry per application so several apps can share a process.

The incident figures (open incidents, follow-ups, the time to response, mitigation and
resolution) are read from the database, which every replica shares: each replica shows the same
values, refreshed by `refresh()` when /metrics is scraped, at most every few seconds
(`bot.services.figures`). Their histograms count every real incident since the first, as a
Prometheus histogram does; Grafana takes `max by (severity, le)` across replicas.
"""

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector


class DatabaseGauges(Protocol):
    """What the database says now (`bot.store.figures.Gauges`)."""

    @property
    def open_by_severity(self) -> dict[str, int]: ...
    @property
    def followups_open(self) -> int: ...
    @property
    def followups_overdue(self) -> int: ...


HistogramCounts = Mapping[str, tuple[list[int], int, float]]
"""Per severity: cumulative counts per bound, the count, the sum of seconds."""

KEY_TIME_HISTOGRAMS = {
    "response": "incident_bot_time_to_first_response_seconds",
    "mitigation": "incident_bot_time_to_mitigation_seconds",
    "resolution": "incident_bot_time_to_resolution_seconds",
}


class KeyTimes(Collector):
    """The key times' histograms, as last read from the database."""

    def __init__(self) -> None:
        self.bounds: Sequence[float] = ()
        self.counts: dict[str, HistogramCounts] = {}

    def collect(self) -> Iterator[HistogramMetricFamily]:
        for measure, name in KEY_TIME_HISTOGRAMS.items():
            family = HistogramMetricFamily(
                name,
                f"Time from declaration to {measure} of real incidents (drills left out), "
                "by severity, counted from the database",
                labels=["severity"],
            )
            for severity, (cumulative, count, total) in self.counts.get(measure, {}).items():
                buckets = [(str(b), float(n)) for b, n in zip(self.bounds, cumulative, strict=True)]
                family.add_metric([severity], [*buckets, ("+Inf", float(count))], total)
            yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "incident_bot_commands_total",
            "Slash commands handled, by subcommand and outcome "
            "(ok, usage_error, refused, duplicate, error)",
            ["subcommand", "outcome"],
            registry=self.registry,
        )
        self.interactions = Counter(
            "incident_bot_interactions_total",
            "Button clicks and form submissions handled, by what was clicked and outcome "
            "(ok, refused, duplicate, error, malformed)",
            ["interaction", "outcome"],
            registry=self.registry,
        )
        self.events = Counter(
            "incident_bot_events_total",
            "Slack events received, by type and outcome",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.work_seconds = Histogram(
            "incident_bot_command_work_seconds",
            "Time spent on a command's work after its ack",
            ["subcommand"],
            registry=self.registry,
        )

        self.deliveries = Counter(
            "incident_bot_deliveries_total",
            "Outbox deliveries, by method and outcome (delivered, retried, given_up)",
            ["method", "outcome"],
            registry=self.registry,
        )
        self.outbox_waiting = Gauge(
            "incident_bot_outbox_waiting",
            "Effects recorded and not yet delivered (all replicas)",
            registry=self.registry,
        )
        self.inbox_waiting = Gauge(
            "incident_bot_inbox_waiting",
            "Requests recorded and not yet run to the end (all replicas)",
            registry=self.registry,
        )
        self.outbox_oldest_seconds = Gauge(
            "incident_bot_outbox_oldest_waiting_seconds",
            "Age of the oldest effect not yet delivered",
            registry=self.registry,
        )

        self.incidents_open = Gauge(
            "incident_bot_incidents_open",
            "Real incidents not yet resolved, by severity (drills left out)",
            ["severity"],
            registry=self.registry,
        )
        self.followups_open = Gauge(
            "incident_bot_followups_open", "Follow-ups still open", registry=self.registry
        )
        self.followups_overdue = Gauge(
            "incident_bot_followups_overdue",
            "Follow-ups still open past their due date (policy time zone)",
            registry=self.registry,
        )
        self.key_times = KeyTimes()
        self.registry.register(self.key_times)
        self.refreshers: list[Callable[[], Awaitable[None]]] = []
        """Called before each exposition (the figures service registers its refresh)."""

    async def refresh(self) -> None:
        for refresher in self.refreshers:
            await refresher()

    def show_figures(
        self,
        severities: Sequence[str],
        gauges: DatabaseGauges,
        histograms: Mapping[str, HistogramCounts],
        bounds: Sequence[float],
    ) -> None:
        """Set the figures read from the database; a severity with none open shows 0."""
        for severity in {*severities, *gauges.open_by_severity}:
            self.incidents_open.labels(severity).set(gauges.open_by_severity.get(severity, 0))
        self.followups_open.set(gauges.followups_open)
        self.followups_overdue.set(gauges.followups_overdue)
        self.key_times.bounds = bounds
        self.key_times.counts = dict(histograms)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
