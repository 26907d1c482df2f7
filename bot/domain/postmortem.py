"""What the post-mortem says, worked out from the timeline (its words are in the template).

Pure and single-pass, so a 10,000-entry timeline is written well inside a second. A deleted
message stays in the timeline as a row, but its text — and its edits' and pins' text — is not
repeated in a document shared with the channel: people delete what they should not have posted.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from bot.domain.incident import Incident
from bot.domain.keytimes import KeyTime, key_times
from bot.domain.markdown import from_slack
from bot.domain.severity import SeverityPolicy
from bot.domain.slack_events import permalink, slack_time
from bot.domain.status import Status
from bot.domain.timeline import ABOUT_A_MESSAGE, ACTION_KINDS, Entry, Kind, NoteTag

BOT_NAME = "incident-bot"
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)")
_PEOPLE_FIELDS = ("user", "by", "author", "previous")
_STATUSES = frozenset(Status)


@dataclass(frozen=True)
class Row:
    """One timeline entry as the table shows it; `text` is plain (Slack markup decoded)."""

    time: str
    who: str
    kind: str
    text: str
    data: Mapping[str, Any]
    about: str | None = None
    link: str | None = None
    is_hidden: bool = False
    is_key: bool = False


@dataclass(frozen=True)
class Phase:
    status: Status
    start: datetime
    end: datetime


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
class Facts:
    rows: list[Row]
    key_events: list[Row]
    phases: list[Phase]
    severity_changes: list[SeverityChange]
    key_times: list[KeyTime]
    actions: list[Row]
    notes: dict[NoteTag, list[Noted]]
    counts: dict[str, int]
    impacts: list[Noted]
    """Impact as reported in updates (the update form asks for it), oldest first."""


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
) -> Facts:
    """Everything the document shows; message links only when the workspace's URL is known."""
    links = _Links(workspace_url, incident.channel_id)
    rows = _rows(entries, names, tz, links)
    notes: dict[NoteTag, list[Noted]] = {tag: [] for tag in NoteTag}
    counts: dict[str, int] = {}
    for entry, row in zip(entries, rows, strict=True):
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
        tag = entry.data.get("tag") if entry.kind == Kind.NOTE else None
        if tag in notes:
            notes[NoteTag(tag)].append(Noted(entry.at, row.who, row.text))
    return Facts(
        rows=rows,
        key_events=[r for r in rows if r.kind == Kind.PINNED],
        phases=phases(incident, entries, now),
        severity_changes=[
            SeverityChange(
                e.at,
                severities.get(str(e.data.get("from"))).label,
                severities.get(str(e.data.get("to"))).label,
            )
            for e in entries
            if e.kind == Kind.SEVERITY_CHANGED
        ],
        key_times=key_times(incident, entries),
        actions=[r for r in rows if r.kind in ACTION_KINDS],
        notes=notes,
        counts=counts,
        impacts=[
            Noted(entry.at, row.who, str(entry.data["impact"]))
            for entry, row in zip(entries, rows, strict=True)
            if entry.kind == Kind.UPDATE and entry.data.get("impact")
        ],
    )


@dataclass(frozen=True)
class _Links:
    workspace_url: str | None
    channel_id: str

    def to(self, entry: Entry) -> str | None:
        if not self.workspace_url or not entry.slack_ts:
            return None
        thread = entry.data.get("thread_ts")
        return permalink(self.workspace_url, self.channel_id, entry.slack_ts, thread)


def _rows(
    entries: Sequence[Entry], names: Mapping[str, str], tz: tzinfo, links: _Links
) -> list[Row]:
    deleted = {e.slack_ts for e in entries if e.kind == Kind.MESSAGE_DELETED}
    pinned = {e.slack_ts for e in entries if e.kind == Kind.PINNED}
    rows: list[Row] = []
    day: date | None = None
    for entry in entries:
        local = entry.at.astimezone(tz)
        time = local.strftime("%H:%M:%S" if local.date() == day else "%Y-%m-%d %H:%M:%S")
        day = local.date()
        is_about = entry.kind in ABOUT_A_MESSAGE and entry.slack_ts is not None
        is_hidden = is_about and entry.slack_ts in deleted
        rows.append(
            Row(
                time=time,
                who=names.get(entry.actor, entry.actor) if entry.actor else BOT_NAME,
                kind=entry.kind,
                text="" if is_hidden else from_slack(entry.body, names),
                data=entry.data,
                about=_about(entry, tz) if is_about and entry.kind != Kind.MESSAGE else None,
                link=links.to(entry) if is_about and not is_hidden else None,
                is_hidden=is_hidden,
                is_key=entry.kind == Kind.MESSAGE and entry.slack_ts in pinned,
            )
        )
    return rows


def _about(entry: Entry, tz: tzinfo) -> str:
    return slack_time(entry.slack_ts or "0").astimezone(tz).strftime("%H:%M:%S")


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
