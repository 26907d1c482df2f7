"""What a reader is shown of one timeline entry, read out of its kind and its `data` once.

Both documents that list entries — `/incident timeline` in Slack and the post-mortem — take
these fields instead of branching on kinds and digging in `data`: a template picks a look by
`section` and prints `label` and the fields below, so an operator's override only chooses words
and layout. A new kind gets its label and section in `bot/domain/timeline.py`, and a reader here
if its `data` holds something to show.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.domain.approval import Refusal
from bot.domain.commands import Role
from bot.domain.severity import SeverityPolicy
from bot.domain.status import Status
from bot.domain.timeline import Entry, Kind, NoteTag, Section


@dataclass(frozen=True)
class SharedFile:
    """A file shared with a message: its name and its Slack link (None if Slack gave none)."""

    name: str
    link: str | None


@dataclass(frozen=True)
class Shown:
    """One entry as people read it, whatever the document."""

    kind: Kind
    section: Section
    label: str
    """The entry's lead-in: `Update #2`, `Root cause`, `Technical lead`, `Action approved`…"""
    status: str | None = None
    """An update's status as people read it: `Identified`; a public statement's as the status
    page has it: `investigating`."""
    tag: NoteTag | None = None
    """A note's post-mortem tag; its label is `label`."""
    person: str | None = None
    """The user id a role was given to."""
    subject: str | None = None
    """What the entry is about when its body does not say it plainly: a severity change as
    `SEV-2 High → SEV-1 Critical`, the action an action step is about, a public statement's
    words, its link or why it was refused (empty: the step says nothing more than its label)."""
    in_thread: bool = False
    files: tuple[SharedFile, ...] = ()


def show(entry: Entry, severities: SeverityPolicy) -> Shown:
    """The entry as people read it; severities name the levels of a severity change."""
    shown = Shown(
        entry.kind,
        entry.kind.section,
        entry.kind.label,
        in_thread=bool(entry.data.get("thread_ts")),
        files=_files(entry.data),
    )
    read = _READERS.get(entry.kind.section)
    return read(shown, entry, severities) if read else shown


def _files(data: Mapping[str, Any]) -> tuple[SharedFile, ...]:
    files = data.get("files")
    if not isinstance(files, list):
        return ()
    return tuple(
        SharedFile(str(f.get("name") or "file"), f.get("link"))
        for f in files
        if isinstance(f, dict)
    )


def _update(shown: Shown, entry: Entry, _: SeverityPolicy) -> Shown:
    status = entry.data.get("status")
    said = Status(status).label if status in _STATUSES else str(status or "")
    return replace(shown, label=f"Update #{entry.data.get('number', '?')}", status=said)


def _note(shown: Shown, entry: Entry, _: SeverityPolicy) -> Shown:
    tag = entry.data.get("tag")
    if tag not in _TAGS:
        return replace(shown, label="Note")
    return replace(shown, label=NoteTag(tag).label, tag=NoteTag(tag))


def _change(shown: Shown, entry: Entry, severities: SeverityPolicy) -> Shown:
    data = entry.data
    if entry.kind is Kind.SEVERITY_CHANGED:
        before, after = (severities.get(str(data.get(k))).label for k in ("from", "to"))
        return replace(shown, label="Severity", subject=f"{before} → {after}")
    role = data.get("role")
    label = Role(role).label if role in _ROLES else str(role)
    return replace(shown, label=label, person=data.get("user"))


def _action(shown: Shown, entry: Entry, _: SeverityPolicy) -> Shown:
    return replace(shown, subject=str(entry.data.get("action") or entry.body))


def _statement(shown: Shown, entry: Entry, _: SeverityPolicy) -> Shown:
    """A statement's step: its public status (the ledger's stamps keep it in `params`, the
    publisher's in `status`) and what the step adds to its label: the words when asked for,
    the public link when published, why a click or the page refused. Approved, denied and
    expired add nothing: the words are those asked for."""
    data = entry.data
    params = data.get("params")
    status = params.get("status") if isinstance(params, Mapping) else data.get("status")
    said = {
        Kind.STATEMENT_REQUESTED: data.get("body"),
        Kind.STATEMENT_PUBLISHED: data.get("shortlink"),
        Kind.STATEMENT_APPROVAL_REFUSED: describe_refusal(data.get("reason")),
        Kind.STATEMENT_REFUSED: data.get("detail") or data.get("error"),
    }.get(entry.kind)
    return replace(shown, status=str(status) if status else None, subject=str(said or ""))


_REFUSALS: dict[str, str] = {
    Refusal.SELF: "the requester may not approve their own request",
    Refusal.NOT_APPROVER: "not one of the approvers",
    Refusal.INCOMPLETE: "a required checklist was not complete",
}


def describe_refusal(reason: object) -> str:
    """Why a step was refused or stopped, in words: the ledger stores a refusal's code
    (`self`) or a phrase (`checked before running`)."""
    if reason is None:
        return ""
    return _REFUSALS.get(str(reason)) or str(reason).replace("_", " ")


_STATUSES = frozenset(Status)
_TAGS = frozenset(NoteTag)
_ROLES = frozenset(Role)
_READERS: dict[Section, Callable[[Shown, Entry, SeverityPolicy], Shown]] = {
    Section.UPDATE: _update,
    Section.NOTE: _note,
    Section.CHANGE: _change,
    Section.ACTION: _action,
    Section.COMMUNICATION: _statement,
}
