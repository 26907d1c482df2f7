"""Prometheus metrics, in a registry per application so several apps can share a process."""

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "incident_bot_commands_total",
            "Slash commands handled, by subcommand and outcome "
            "(ok, usage_error, refused, slack_refused, error)",
            ["subcommand", "outcome"],
            registry=self.registry,
        )
        self.interactions = Counter(
            "incident_bot_interactions_total",
            "Button clicks and form submissions handled, by what was clicked and outcome "
            "(ok, refused, slack_refused, error, malformed)",
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

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
