"""The `/incident` command grammar: text in, a typed command out, or a UsageError with its usage line."""

import re
from collections.abc import Callable, Collection

from bot.domain.commands import (
    TIMELINE_DEFAULT,
    TIMELINE_MAX,
    AddNote,
    Assign,
    Command,
    Declare,
    Help,
    ListActions,
    ListIncidents,
    PostUpdate,
    Regrade,
    RequestAction,
    Resolve,
    Role,
    ShowStatus,
    ShowTimeline,
    WritePostmortem,
    usage,
)
from bot.domain.severity import SeverityPolicy
from bot.domain.status import OPEN_STATUSES, Status
from bot.domain.timeline import tag_note
from bot.errors import UsageError

MAX_TITLE = 150
"""A Slack header block holds 150 characters, and the title is the incident's header."""
MAX_TEXT = 2500
"""Room for user text inside one 3,000-character section, with the template around it."""


_ROLE_ALIASES = {
    "commander": Role.COMMANDER,
    "ic": Role.COMMANDER,
    "incident-commander": Role.COMMANDER,
    "lead": Role.LEAD,
    "tech-lead": Role.LEAD,
    "tl": Role.LEAD,
    "comms": Role.COMMS,
    "communications": Role.COMMS,
    "cl": Role.COMMS,
}


_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def _require_text(rest: str, name: str, what: str, limit: int) -> str:
    if not rest:
        raise UsageError(f"Missing {what}.", usage(name))
    if len(rest) > limit:
        raise UsageError(
            f"The {what} is {len(rest)} characters; the limit is {limit}.", usage(name)
        )
    return rest


def _declare(rest: str, severities: SeverityPolicy) -> Declare:
    word, _, title = rest.partition(" ")
    if not word:
        raise UsageError("Missing severity and title.", usage("declare"))
    try:
        severity = severities.resolve(word)
    except UsageError as error:
        raise UsageError(error.message, usage("declare")) from None
    return Declare(severity, _require_text(title.strip(), "declare", "title", MAX_TITLE))


def _update(rest: str, _: SeverityPolicy) -> PostUpdate:
    head, colon, tail = rest.partition(":")
    word = head.strip().lower()
    if colon and word == Status.RESOLVED:
        raise UsageError("To resolve the incident use `/incident resolve`.", usage("resolve"))
    if colon and word in OPEN_STATUSES:
        return PostUpdate(
            _require_text(tail.strip(), "update", "update text", MAX_TEXT), Status(word)
        )
    return PostUpdate(_require_text(rest, "update", "update text", MAX_TEXT), None)


def _regrade(rest: str, severities: SeverityPolicy) -> Regrade:
    if not rest or " " in rest:
        raise UsageError("Give exactly one severity.", usage("severity"))
    try:
        return Regrade(severities.resolve(rest))
    except UsageError as error:
        raise UsageError(error.message, usage("severity")) from None


def _assign(rest: str, _: SeverityPolicy) -> Assign:
    words = rest.split()
    if len(words) != 2:
        raise UsageError("Name a role and one person.", usage("assign"))
    role = _ROLE_ALIASES.get(words[0].lower())
    if role is None:
        raise UsageError(f"`{words[0]}` is not a role.", usage("assign"))
    mention = _MENTION.match(words[1])
    if mention:
        return Assign(role, mention.group(1))
    if _USER_ID.match(words[1]):
        return Assign(role, words[1])
    raise UsageError(
        f"`{words[1]}` is not a person: @-mention them so Slack sends their id.", usage("assign")
    )


def _resolve(rest: str, _: SeverityPolicy) -> Resolve:
    return Resolve(_require_text(rest, "resolve", "resolution", MAX_TEXT))


def _timeline(rest: str, _: SeverityPolicy) -> ShowTimeline:
    if not rest:
        return ShowTimeline(TIMELINE_DEFAULT)
    if not rest.isdigit() or not 1 <= int(rest) <= TIMELINE_MAX:
        raise UsageError(
            f"`{rest}` is not a number of entries from 1 to {TIMELINE_MAX}.", usage("timeline")
        )
    return ShowTimeline(int(rest))


def _note(rest: str, _: SeverityPolicy) -> AddNote:
    tag, text = tag_note(_require_text(rest, "note", "note", MAX_TEXT))
    return AddNote(_require_text(text, "note", "note", MAX_TEXT), tag)


def _no_arguments(command: Command, name: str) -> Callable[[str, SeverityPolicy], Command]:
    def parse(rest: str, _: SeverityPolicy) -> Command:
        if rest:
            raise UsageError(f"`{name}` takes no arguments.", usage(name))
        return command

    return parse


_PARSERS: dict[str, Callable[[str, SeverityPolicy], Command]] = {
    "declare": _declare,
    "update": _update,
    "status": _no_arguments(ShowStatus(), "status"),
    "severity": _regrade,
    "assign": _assign,
    "resolve": _resolve,
    "list": _no_arguments(ListIncidents(), "list"),
    "help": lambda _rest, _policy: Help(),
    "timeline": _timeline,
    "note": _note,
    "postmortem": _no_arguments(WritePostmortem(), "postmortem"),
    "actions": _no_arguments(ListActions(), "actions"),
}

DRY_RUN_FLAGS = frozenset({"--dry-run", "—dry-run", "–dry-run"})
"""Slack's clients may turn `--` into a dash as people type, so the dashes count too."""


def _request_action(name: str, rest: str) -> RequestAction:
    words = rest.split()
    flags = [w for w in words if w.lower() in DRY_RUN_FLAGS]
    return RequestAction(name, tuple(w for w in words if w not in flags), bool(flags))


def parse_command(text: str, severities: SeverityPolicy, actions: Collection[str] = ()) -> Command:
    """Parse the text after `/incident`; empty text asks for help.

    `actions` are the names of the policy's actions: a word that is not a built-in subcommand
    but names one of them requests that action.
    """
    name, _, rest = text.strip().partition(" ")
    if not name:
        return Help()
    parser = _PARSERS.get(name.lower())
    if parser is not None:
        return parser(rest.strip(), severities)
    if name.lower() in actions:
        return _request_action(name.lower(), rest)
    raise UsageError(f"`{name}` is not an /incident command.", "/incident help")
