"""The figures as Slack messages: `/incident stats`, the weekly review, the chart's comment."""

from collections.abc import Sequence
from itertools import groupby

from bot.config import Policy
from bot.domain.figures import Figures, IncidentTimes, Period
from bot.slack.messages import SlackMessage, build_message
from bot.slack.templates import Templates
from bot.store.figures import Overdue

MAX_LISTED = 20
"""Incidents the review links by name; the rest are counted (a section holds 3,000 characters)."""


class FigureMessages:
    def __init__(self, templates: Templates, policy: Policy) -> None:
        self.templates = templates
        self.policy = policy

    def _labels(self) -> dict[str, str]:
        return {level.key: level.label for level in self.policy.severities.levels}

    def stats(self, figures: Figures) -> SlackMessage:
        text = self.templates.render("stats.mrkdwn.j2", f=figures, labels=self._labels())
        return build_message(text)

    def nothing_yet(self, period: Period) -> SlackMessage:
        return build_message(self.templates.render("stats_nothing_yet.mrkdwn.j2", period=period))

    def chart_comment(self, period: Period, asked_by: str | None = None) -> str:
        return self.templates.render(
            "stats_chart_comment.mrkdwn.j2", period=period, asked_by=asked_by
        )

    def review(
        self, figures: Figures, incidents: Sequence[IncidentTimes], overdue: Sequence[Overdue]
    ) -> SlackMessage:
        """The weekly digest: the figures, the period's incidents linked, overdue by owner."""
        by_owner = [(owner, list(items)) for owner, items in groupby(overdue, lambda o: o.owner_id)]
        text = self.templates.render(
            "review.mrkdwn.j2",
            f=figures,
            labels=self._labels(),
            incidents=incidents[:MAX_LISTED],
            more=max(len(incidents) - MAX_LISTED, 0),
            overdue=by_owner,
        )
        return build_message(text)
