"""Prometheus metrics, in a registry per application so several apps can share a process."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


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

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
