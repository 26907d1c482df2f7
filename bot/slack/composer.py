"""Every message the bot sends, composed from its template and built into Block Kit."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.config import Policy
from bot.domain.commands import HelpEntry, Role
from bot.domain.drills import ChecklistCompletion
from bot.domain.effects import Waiting
from bot.domain.incident import Incident, next_update_due
from bot.domain.mrkdwn import Mrkdwn, escape, mention, quote
from bot.domain.presentation import Shown, show
from bot.domain.severity import SeverityLevel
from bot.domain.slack_events import permalink
from bot.domain.status import Status
from bot.domain.targets import Measure
from bot.domain.timeline import ABOUT_A_MESSAGE, Entry, Kind, NoteTag, Section
from bot.errors import IncidentBotError, UsageError
from bot.slack.messages import SlackMessage, build_message, truncate
from bot.slack.templates import Templates


@dataclass(frozen=True)
class ListedIncident:
    incident: Incident
    severity: SeverityLevel
    age: object


@dataclass(frozen=True)
class TimelineLine:
    """One entry of `/incident timeline`: what it says (`text`), how people read it (`shown`)."""

    entry: Entry
    shown: Shown
    text: Mrkdwn
    """A person's words quoted back (mentions kept, cut to MAX_TIMELINE_TEXT), who got a role,
    a severity change, or what a public statement's step adds (its words, its link)."""
    link: str | None
    is_hidden: bool
    """The message was deleted: neither its words nor its edits' and pins' are shown."""


MAX_TIMELINE_TEXT = 200
"""Characters of one entry's text in `/incident timeline`; the permalink leads to the rest."""


class Composer:
    def __init__(self, templates: Templates, policy: Policy) -> None:
        self.templates = templates
        self.policy = policy

    def _severity(self, incident: Incident) -> SeverityLevel:
        return self.policy.severities.get(incident.severity)

    def _compose(
        self, template: str, *, header: str | None = None, **context: object
    ) -> SlackMessage:
        return build_message(self.templates.render(template, **context), header=header)

    def initial(self, incident: Incident) -> SlackMessage:
        return self._compose(
            "initial.mrkdwn.j2",
            header=incident.title,
            incident=incident,
            severity=self._severity(incident),
            impact="being assessed — describe it in the first `/incident update`",
            next_update=next_update_due(incident, self.policy.severities),
        )

    def announce_declared(self, incident: Incident) -> SlackMessage:
        return self._compose(
            "announce_declared.mrkdwn.j2", incident=incident, severity=self._severity(incident)
        )

    def declared_reply(self, incident: Incident) -> SlackMessage:
        return self._compose(
            "declared_reply.mrkdwn.j2", incident=incident, severity=self._severity(incident)
        )

    def topic(self, incident: Incident) -> str:
        return self.templates.render(
            "topic.txt.j2", incident=incident, severity=self._severity(incident)
        )

    def update(
        self,
        incident: Incident,
        *,
        text: str,
        author: str,
        previous_status: Status,
        posted_at: datetime,
        impact: str | None = None,
        next_steps: str | None = None,
    ) -> SlackMessage:
        return self._compose(
            "update.mrkdwn.j2",
            incident=incident,
            severity=self._severity(incident),
            text=text,
            impact=impact,
            next_steps=next_steps,
            author=author,
            previous_status=previous_status,
            status_changed=previous_status is not incident.status,
            posted_at=posted_at,
            next_update=next_update_due(incident, self.policy.severities),
        )

    def severity_changed(self, incident: Incident, *, previous: str, author: str) -> SlackMessage:
        return self._compose(
            "severity_changed.mrkdwn.j2",
            severity=self._severity(incident),
            previous=self.policy.severities.get(previous),
            author=author,
        )

    def role_assigned(
        self, *, role: Role, user: str, previous: str | None, author: str
    ) -> SlackMessage:
        return self._compose(
            "role_assigned.mrkdwn.j2", role=role, user=user, previous=previous, author=author
        )

    def resolution(self, incident: Incident, *, author: str) -> SlackMessage:
        return self._compose(
            "resolution.mrkdwn.j2",
            header=incident.title,
            incident=incident,
            severity=self._severity(incident),
            duration=incident.age(incident.resolved_at or incident.declared_at),
            author=author,
        )

    def drill_report(
        self,
        incident: Incident,
        measures: Sequence[Measure],
        checklists: Sequence[ChecklistCompletion] = (),
    ) -> SlackMessage:
        """A resolved drill's report: each target against what was achieved, and how far each
        checklist got (nothing about checklists when there are none)."""
        return self._compose(
            "drill_report.mrkdwn.j2",
            header=f"Drill report: {incident.title}",
            incident=incident,
            severity=self._severity(incident),
            measures=measures,
            checklists=checklists,
        )

    def announce_resolved(self, incident: Incident) -> SlackMessage:
        return self._compose(
            "announce_resolved.mrkdwn.j2",
            incident=incident,
            severity=self._severity(incident),
            duration=incident.age(incident.resolved_at or incident.declared_at),
        )

    def status_card(
        self, incident: Incident, now: datetime, waiting: Waiting, extra: Sequence[Mrkdwn] = ()
    ) -> SlackMessage:
        """The incident's card; `waiting` says what is recorded and not yet in Slack, `extra`
        are lines other features add (already rendered from their templates)."""
        due = next_update_due(incident, self.policy.severities)
        return self._compose(
            "status_card.mrkdwn.j2",
            incident=incident,
            waiting=waiting,
            severity=self._severity(incident),
            age=incident.age(now),
            next_update=due,
            overdue=due is not None and due < now,
            extra=extra,
        )

    def incident_list(self, incidents: Sequence[Incident], now: datetime) -> SlackMessage:
        listed = [ListedIncident(i, self._severity(i), i.age(now)) for i in incidents]
        return self._compose("incident_list.mrkdwn.j2", incidents=listed)

    def help(self, subcommands: Sequence[HelpEntry]) -> SlackMessage:
        """`/incident help`: every subcommand given, in order, with its usage line and example."""
        return self._compose(
            "help.mrkdwn.j2",
            subcommands=subcommands,
            severities=self.policy.severities.usage,
        )

    def problem(self, error: IncidentBotError) -> SlackMessage:
        """The ephemeral answer to a refused command or click, with its usage line if it has one."""
        if isinstance(error, UsageError):
            return self.usage_error(error.message, error.usage)
        return self.usage_error(str(error))

    def apology(self, error_id: str) -> SlackMessage:
        """The answer to work that failed in a way nobody foresaw; `error_id` is in the log line."""
        return self._compose("apology.mrkdwn.j2", error_id=error_id)

    def unreadable(self) -> SlackMessage:
        """The answer to a click or form whose payload the bot cannot read."""
        return self._compose("interaction_malformed.mrkdwn.j2")

    def usage_error(self, message: str, usage: str = "") -> SlackMessage:
        return self._compose("usage_error.mrkdwn.j2", message=message, usage=usage)

    def note(self, *, text: str, tag: NoteTag | None, author: str) -> SlackMessage:
        return self._compose("note.mrkdwn.j2", text=text, tag=tag, author=author)

    def timeline(
        self, incident: Incident, entries: Sequence[Entry], total: int, workspace_url: str | None
    ) -> SlackMessage:
        """The last entries, people's words quoted back with their mentions; deleted ones hidden."""
        deleted = {e.slack_ts for e in entries if e.kind == Kind.MESSAGE_DELETED}
        lines = [self._line(e, e.slack_ts in deleted, incident, workspace_url) for e in entries]
        return self._compose(
            "timeline.mrkdwn.j2", lines=lines, total=total, zone=self.policy.timezone
        )

    def _line(
        self, entry: Entry, is_gone: bool, incident: Incident, workspace_url: str | None
    ) -> TimelineLine:
        shown = show(entry, self.policy.severities)
        if shown.person is not None:
            text = mention(shown.person)
        elif shown.section is Section.CHANGE and shown.subject is not None:
            text = Mrkdwn(escape(shown.subject))
        elif shown.section is Section.COMMUNICATION:
            text = quote(truncate(shown.subject or "", MAX_TIMELINE_TEXT))
        else:
            text = quote(truncate(entry.body, MAX_TIMELINE_TEXT))
        return TimelineLine(
            entry,
            shown,
            text,
            None if is_gone else _link(workspace_url, incident.channel_id, entry),
            is_gone and entry.kind != Kind.MESSAGE_DELETED,
        )

    def postmortem_shared(self, incident: Incident, entries: int) -> str:
        """The comment the post-mortem file is shared with."""
        return self.templates.render(
            "postmortem_shared.mrkdwn.j2",
            incident=incident,
            entries=entries,
            is_draft=incident.is_open,
        )

    def delivery_slow(self, what: str) -> SlackMessage:
        """To the person whose request waits for Slack: it is saved, not lost."""
        return self._compose("delivery_slow.mrkdwn.j2", what=what)

    def delivery_failed(
        self,
        *,
        about: str,
        error: str,
        incident: Incident | None,
        since: datetime,
        system: str = "Slack",
        detail: str | None = None,
    ) -> SlackMessage:
        """An effect given up (refused for good, or older than `give_up_after`); `system` is
        who refused it, `detail` their own words."""
        return self._compose(
            "delivery_failed.mrkdwn.j2",
            about=about,
            error=error,
            incident=incident,
            since=since,
            system=system,
            detail=detail,
        )


def _link(workspace_url: str | None, channel_id: str, entry: Entry) -> str | None:
    if workspace_url is None or entry.kind not in ABOUT_A_MESSAGE or entry.slack_ts is None:
        return None
    return permalink(workspace_url, channel_id, entry.slack_ts, entry.data.get("thread_ts"))
