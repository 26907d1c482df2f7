"""What the post-mortem says, worked out from the timeline (its words are in the template).

Pure and single-pass, so a 10,000-entry timeline is written well inside a second. A deleted
message stays in the timeline as a row, but its text — and its edits' and pins' text — is not
repeated in a document shared with the channel: people delete what they should not have posted.
"""

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from bot.domain.checklists import Checklist
from bot.domain.incident import Incident
from bot.domain.keytimes import KeyTime, key_times
from bot.domain.markdown import from_slack
from bot.domain.presentation import Shown, describe_refusal, show
from bot.domain.severity import SeverityPolicy
from bot.domain.slack_events import permalink, slack_time
from bot.domain.status import Status
from bot.domain.targets import Measure, TargetsRule, response_against_targets
from bot.domain.timeline import ABOUT_A_MESSAGE, Entry, Kind, NoteTag, Section, describe_result

BOT_NAME = "incident-bot"
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)")
_PEOPLE_FIELDS = ("user", "by", "author", "previous")
_STATUSES = frozenset(Status)


@dataclass(frozen=True)
class Row:
    """One timeline entry as the table shows it.

    `text` is plain (Slack markup decoded) and is what the entry says: a person's words, the
    name of whoever got a role, a severity change, the action an action step is about.
    """

    time: str
    who: str
    shown: Shown
    text: str
    about: str | None = None
    """The time of the message an edit, deletion or pin is about."""
    link: str | None = None
    is_hidden: bool = False
    """The message was deleted: its words (and its edits' and pins') are not shown."""
    is_key: bool = False
    """A message that someone pinned."""


@dataclass(frozen=True)
class ActionStep:
    """One step of a requested action, as the Actions table shows it."""

    time: str
    step: str
    action: str
    """The action and its parameters: `kill feature=checkout`."""
    by: str
    result: str
    """What came of it, or why it was refused, in words."""


@dataclass(frozen=True)
class Activity:
    """How much happened, counted from the timeline (updates are counted on the incident)."""

    messages: int
    notes: int
    reminders: int


@dataclass(frozen=True)
class Phase:
    status: Status
    start: datetime
    end: datetime

    @property
    def is_milestone(self) -> bool:
        """Resolution is a moment, drawn as a milestone, not a phase."""
        return self.status is Status.RESOLVED


@dataclass(frozen=True)
class SeverityChange:
    at: datetime
    before: str
    after: str


@dataclass(frozen=True)
class Noted:
    at: datetime
    who: str
    text: str


@dataclass(frozen=True)
class PublicStatement:
    """One statement on the status page, as the Communication section shows it."""

    time: str
    status: str
    words: str
    components: str
    """`checkout: Major outage`, or empty."""
    approvers: str
    link: str | None
    outcome: str
    """`published`, `not published: <the page's words>`, `drill: not published`, or `sent`."""


@dataclass(frozen=True)
class Facts:
    rows: list[Row]
    key_events: list[Row]
    phases: list[Phase]
    severity_changes: list[SeverityChange]
    key_times: list[KeyTime]
    actions: list[ActionStep]
    notes: dict[NoteTag, list[Noted]]
    activity: Activity
    impacts: list[Noted]
    """Impact as reported in updates (the update form asks for it), oldest first."""
    targets: list[Measure]
    """Response against the policy's targets (`bot.domain.targets`)."""
    communication: list[PublicStatement] = field(default_factory=list)
    """Every public statement approved, oldest first."""


@dataclass(frozen=True)
class CheckedItem:
    """One item of a checklist as the Checklists section shows it."""

    is_checked: bool
    text: str
    who: str
    at: datetime | None

    @property
    def mark(self) -> str:
        return "✓" if self.is_checked else "✗"


@dataclass(frozen=True)
class ChecklistReport:
    """A checklist posted in the incident, each item ✓ or ✗ with who ticked it and when."""

    name: str
    title: str
    progress: str
    items: list[CheckedItem]
    missing: list[str]
    is_called_out: bool
    """Posted on declare and left incomplete: the response skipped part of its runbook."""


def checklist_reports(
    checklists: Sequence[Checklist], names: Mapping[str, str]
) -> list[ChecklistReport]:
    return [
        ChecklistReport(
            name=checklist.name,
            title=checklist.title,
            progress=checklist.progress,
            items=[
                CheckedItem(
                    item.is_checked,
                    item.text,
                    names.get(item.checked_by, item.checked_by) if item.checked_by else "",
                    item.checked_at,
                )
                for item in checklist.items
            ],
            missing=checklist.missing,
            is_called_out=checklist.post_on == "declare" and not checklist.is_complete,
        )
        for checklist in checklists
    ]


def people_in(entries: Sequence[Entry]) -> set[str]:
    """Everyone the document names: actors, people in entries' data, people @-mentioned."""
    found: set[str] = set()
    for entry in entries:
        if entry.actor:
            found.add(entry.actor)
        found.update(str(entry.data[k]) for k in _PEOPLE_FIELDS if entry.data.get(k))
        if "<@" in entry.body:
            found.update(_MENTION.findall(entry.body))
    return found


def facts(
    incident: Incident,
    entries: Sequence[Entry],
    names: Mapping[str, str],
    severities: SeverityPolicy,
    tz: tzinfo,
    now: datetime,
    workspace_url: str | None = None,
    targets: TargetsRule | None = None,
) -> Facts:
    """Everything the document shows; message links only when the workspace's URL is known;
    `targets` are the severity's targets of the policy (none: only `respond_within` is judged)."""
    respond_within = severities.get(incident.severity).respond_within
    reader = _Reader(names, severities, tz, _Links(workspace_url, incident.channel_id), entries)
    rows = _rows(entries, reader)
    notes: dict[NoteTag, list[Noted]] = {tag: [] for tag in NoteTag}
    for entry, row in zip(entries, rows, strict=True):
        if row.shown.tag is not None:
            notes[row.shown.tag].append(Noted(entry.at, row.who, row.text))
    kinds = Counter(entry.kind for entry in entries)
    return Facts(
        rows=rows,
        key_events=[r for r in rows if r.shown.section is Section.KEY_EVENT],
        phases=phases(incident, entries, now),
        severity_changes=_severity_changes(entries, severities),
        key_times=key_times(incident, entries, respond_within),
        actions=[
            _step(entry, row, names)
            for entry, row in zip(entries, rows, strict=True)
            if row.shown.section is Section.ACTION
        ],
        notes=notes,
        activity=Activity(kinds[Kind.MESSAGE], kinds[Kind.NOTE], kinds[Kind.REMINDER]),
        impacts=[
            Noted(entry.at, row.who, str(entry.data["impact"]))
            for entry, row in zip(entries, rows, strict=True)
            if entry.kind == Kind.UPDATE and entry.data.get("impact")
        ],
        targets=response_against_targets(incident, entries, respond_within, targets, now),
        communication=public_statements(entries, rows, names),
    )


def public_statements(
    entries: Sequence[Entry], rows: Sequence[Row], names: Mapping[str, str]
) -> list[PublicStatement]:
    """The statements approved, each with what the page did with it (a later entry about the
    same `statement_id`)."""
    later = {
        (entry.kind, entry.data.get("statement_id")): entry.data
        for entry in entries
        if entry.kind in (Kind.STATEMENT_PUBLISHED, Kind.STATEMENT_REFUSED)
    }
    found = []
    for entry, row in zip(entries, rows, strict=True):
        if entry.kind is not Kind.STATEMENT_APPROVED:
            continue
        data = entry.data
        key = data.get("statement_id")
        published = later.get((Kind.STATEMENT_PUBLISHED, key))
        refused = later.get((Kind.STATEMENT_REFUSED, key))
        outcome = "sent"
        if data.get("drill"):
            outcome = "drill: not published"
        elif published is not None:
            outcome = "published"
        elif refused is not None:
            outcome = f"not published: {refused.get('detail') or refused.get('error')}"
        components = data.get("components") or {}
        found.append(
            PublicStatement(
                time=row.time,
                status=str(data.get("status", "")).capitalize(),
                words=str(data.get("body", "")),
                components=", ".join(f"{k}: {v}" for k, v in components.items()),
                approvers=", ".join(names.get(a, a) for a in data.get("approvers") or ()),
                link=published.get("shortlink") if published else None,
                outcome=outcome,
            )
        )
    return found


def _severity_changes(entries: Sequence[Entry], severities: SeverityPolicy) -> list[SeverityChange]:
    return [
        SeverityChange(
            e.at,
            severities.get(str(e.data.get("from"))).label,
            severities.get(str(e.data.get("to"))).label,
        )
        for e in entries
        if e.kind == Kind.SEVERITY_CHANGED
    ]


@dataclass(frozen=True)
class _Links:
    workspace_url: str | None
    channel_id: str

    def to(self, entry: Entry) -> str | None:
        if not self.workspace_url or not entry.slack_ts:
            return None
        thread = entry.data.get("thread_ts")
        return permalink(self.workspace_url, self.channel_id, entry.slack_ts, thread)


class _Reader:
    """Turns entries into rows, knowing the names, the severities and which messages are gone."""

    def __init__(
        self,
        names: Mapping[str, str],
        severities: SeverityPolicy,
        tz: tzinfo,
        links: _Links,
        entries: Sequence[Entry],
    ) -> None:
        self.names, self.severities, self.tz, self.links = names, severities, tz, links
        self.deleted = {e.slack_ts for e in entries if e.kind == Kind.MESSAGE_DELETED}
        self.pinned = {e.slack_ts for e in entries if e.kind == Kind.PINNED}

    def row(self, entry: Entry, time: str) -> Row:
        shown = show(entry, self.severities)
        is_about = entry.kind in ABOUT_A_MESSAGE and entry.slack_ts is not None
        is_gone = is_about and entry.slack_ts in self.deleted
        return Row(
            time=time,
            who=self.names.get(entry.actor, entry.actor) if entry.actor else BOT_NAME,
            shown=shown,
            text="" if is_gone else self._text(entry, shown),
            about=_about(entry, self.tz) if is_about and entry.kind != Kind.MESSAGE else None,
            link=self.links.to(entry) if is_about and not is_gone else None,
            is_hidden=is_gone and entry.kind != Kind.MESSAGE_DELETED,
            is_key=entry.kind == Kind.MESSAGE and entry.slack_ts in self.pinned,
        )

    def _text(self, entry: Entry, shown: Shown) -> str:
        if shown.person is not None:
            return self.names.get(shown.person, shown.person)
        if shown.subject is not None:
            return shown.subject
        return from_slack(entry.body, self.names)


def _rows(entries: Sequence[Entry], reader: _Reader) -> list[Row]:
    """Each entry's row; a time carries its date only when the day changes."""
    rows: list[Row] = []
    day: date | None = None
    for entry in entries:
        local = entry.at.astimezone(reader.tz)
        rows.append(
            reader.row(
                entry, local.strftime("%H:%M:%S" if local.date() == day else "%Y-%m-%d %H:%M:%S")
            )
        )
        day = local.date()
    return rows


def _about(entry: Entry, tz: tzinfo) -> str:
    return slack_time(entry.slack_ts or "0").astimezone(tz).strftime("%H:%M:%S")


def _step(entry: Entry, row: Row, names: Mapping[str, str]) -> ActionStep:
    data = entry.data
    params = data.get("params")
    if isinstance(params, Mapping):
        with_params = "".join(f" {key}={value}" for key, value in params.items())
    else:
        with_params = f" {params}" if params else ""
    by = data.get("by")
    return ActionStep(
        time=row.time,
        step=entry.kind.step,
        action=f"{data.get('action', '')}{with_params}".strip(),
        by=names.get(by, by) if by else row.who,
        result=describe_result(data.get("result")) or describe_refusal(data.get("reason")),
    )


def phases(incident: Incident, entries: Sequence[Entry], now: datetime) -> list[Phase]:
    """The status phases from declaration on: each update that moved the status starts one.

    Resolution ends the last phase and is itself a zero-length phase (a milestone); an open
    incident's current phase runs until `now`.
    """
    found: list[Phase] = []
    status, since = Status.INVESTIGATING, incident.declared_at
    for entry in entries:
        moved_to = entry.data.get("status") if entry.kind == Kind.UPDATE else None
        if entry.kind == Kind.RESOLVED:
            moved_to = Status.RESOLVED
        if moved_to not in _STATUSES or moved_to == status:
            continue
        if entry.at > since:
            found.append(Phase(status, since, entry.at))
        status, since = Status(moved_to), entry.at
    found.append(Phase(status, since, since if status is Status.RESOLVED else max(now, since)))
    return found
