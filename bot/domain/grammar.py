"""The `/incident` grammar pieces: each subcommand's parser, text in and a typed command out.

Which word selects which parser, and the usage line a refusal shows, are the subcommand's
record in `bot.services.commands`: a parser here raises `UsageError` with the message only,
and the record adds its own usage line.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from bot.domain import followups
from bot.domain.commands import (
    TIMELINE_DEFAULT,
    TIMELINE_MAX,
    AddFollowup,
    AddNote,
    Assign,
    Declare,
    Help,
    ListFollowups,
    PageService,
    PeriodSpec,
    PostUpdate,
    Regrade,
    RequestAction,
    RequestStatement,
    Resolve,
    Role,
    ShowChecklists,
    ShowStats,
    ShowTimeline,
)
from bot.domain.paging import MAX_MESSAGE
from bot.domain.severity import SeverityPolicy
from bot.domain.statements import MAX_BODY, PublicStatus, Statement, read_change
from bot.domain.status import OPEN_STATUSES, Status
from bot.domain.text import check_plain, check_title, clean_text
from bot.domain.timeline import tag_note
from bot.errors import UsageError

MAX_TITLE = 150
"""A Slack header block holds 150 characters, and the title is the incident's header."""
MAX_TEXT = 2500
"""Room for user text inside one 3,000-character section, with the template around it."""


@dataclass(frozen=True)
class Typed:
    """What a person typed after `/incident`: the subcommand's word (lower case), the rest
    (stripped), and the severities the words are read against."""

    word: str
    rest: str
    severities: SeverityPolicy


def split(text: str, severities: SeverityPolicy) -> Typed:
    """`/incident` text split at its first word; empty text has the word `help`."""
    word, _, rest = text.strip().partition(" ")
    return Typed(word.lower() or "help", rest.strip(), severities)


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


def _require_text(rest: str, what: str, limit: int) -> str:
    """What a person wrote, without control characters (`bot.domain.text`), within `limit`."""
    rest = clean_text(rest).strip()
    if not rest:
        raise UsageError(f"Missing {what}.")
    if len(rest) > limit:
        raise UsageError(f"The {what} is {len(rest)} characters; the limit is {limit}.")
    return rest


def parse_declare(typed: Typed) -> Declare:
    word, _, title = typed.rest.partition(" ")
    if not word:
        raise UsageError("Missing severity and title.")
    severity = typed.severities.resolve(word)
    return Declare(severity, _require_text(check_title(title.strip()), "title", MAX_TITLE))


def parse_drill(typed: Typed) -> Declare:
    """`/incident drill <severity> <title…>`: a declaration that is a practice run."""
    return replace(parse_declare(typed), is_drill=True)


def parse_update(typed: Typed) -> PostUpdate:
    text = clean_text(typed.rest)
    head, colon, tail = text.partition(":")
    word = head.strip().lower()
    if colon and word == Status.RESOLVED:
        raise UsageError("To resolve the incident use `/incident resolve`.")
    if colon and word in OPEN_STATUSES:
        return PostUpdate(_require_text(tail.strip(), "update text", MAX_TEXT), Status(word))
    return PostUpdate(_require_text(text, "update text", MAX_TEXT), None)


def parse_regrade(typed: Typed) -> Regrade:
    if not typed.rest or " " in typed.rest:
        raise UsageError("Give exactly one severity.")
    return Regrade(typed.severities.resolve(typed.rest))


def parse_assign(typed: Typed) -> Assign:
    words = typed.rest.split()
    if len(words) != 2:
        raise UsageError("Name a role and one person.")
    role = _ROLE_ALIASES.get(words[0].lower())
    if role is None:
        raise UsageError(f"`{words[0]}` is not a role.")
    mention = _MENTION.match(words[1])
    if mention:
        return Assign(role, mention.group(1))
    if _USER_ID.match(words[1]):
        return Assign(role, words[1])
    raise UsageError(f"`{words[1]}` is not a person: @-mention them so Slack sends their id.")


def parse_resolve(typed: Typed) -> Resolve:
    return Resolve(_require_text(typed.rest, "resolution", MAX_TEXT))


def parse_timeline(typed: Typed) -> ShowTimeline:
    if not typed.rest:
        return ShowTimeline(TIMELINE_DEFAULT)
    if not typed.rest.isdigit() or not 1 <= int(typed.rest) <= TIMELINE_MAX:
        raise UsageError(f"`{typed.rest}` is not a number of entries from 1 to {TIMELINE_MAX}.")
    return ShowTimeline(int(typed.rest))


def parse_note(typed: Typed) -> AddNote:
    tag, text = tag_note(_require_text(typed.rest, "note", MAX_TEXT))
    return AddNote(_require_text(text, "note", MAX_TEXT), tag)


def parse_checklist(typed: Typed) -> ShowChecklists:
    """`checklist` alone lists them; `checklist <name>` posts one (names are one word)."""
    if not typed.rest:
        return ShowChecklists(None)
    if len(typed.rest.split()) > 1:
        raise UsageError(
            "Name one checklist: its name is one word, as `/incident checklist` lists."
        )
    return ShowChecklists(typed.rest)


def parse_page(typed: Typed) -> PageService:
    """`page <service> [message…]`: the service is one word, as the policy names it."""
    service, _, message = typed.rest.partition(" ")
    if not service:
        raise UsageError("Name the service to page, as `/incident actions` lists them.")
    text = clean_text(message).strip()
    if len(text) > MAX_MESSAGE:
        raise UsageError(f"The message is {len(text)} characters; the limit is {MAX_MESSAGE}.")
    return PageService(service.lower(), text or None)


def parse_help(_: Typed) -> Help:
    """`help` ignores what follows it: whoever asks for help gets it."""
    return Help()


C = TypeVar("C")


def no_arguments(command: C) -> Callable[[Typed], C]:
    """The parser of a subcommand that is its word alone (`status`, `list`…)."""

    def parse(typed: Typed) -> C:
        if typed.rest:
            raise UsageError(f"`{typed.word}` takes no arguments.")
        return command

    return parse


DRY_RUN_FLAGS = frozenset({"--dry-run", "—dry-run", "–dry-run"})
"""Slack's clients may turn `--` into a dash as people type, so the dashes count too."""


def parse_request_action(typed: Typed) -> RequestAction:
    """`/incident <action> <args…> [--dry-run]`: the word names the action, bound to its params later."""
    words = check_plain(typed.rest, "action's arguments").split()
    flags = [w for w in words if w.lower() in DRY_RUN_FLAGS]
    return RequestAction(typed.word, tuple(w for w in words if w not in flags), bool(flags))


MAX_STATS_DAYS = 366
"""The longest period `/incident stats` reads: a year, with its leap day."""
_STATS_DAYS = re.compile(r"^(\d{1,6})([dw])$")
_STATS_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_stats(typed: Typed) -> ShowStats:
    """`7d`, `30d` (the default), `2w`, `90d` — 1 day to a year — or a month `YYYY-MM`."""
    text = typed.rest.lower()
    if not text:
        return ShowStats(PeriodSpec(days=30))
    if found := _STATS_DAYS.match(text):
        days = int(found[1]) * (7 if found[2] == "w" else 1)
        if not 1 <= days <= MAX_STATS_DAYS:
            raise UsageError(f"A period is 1 to {MAX_STATS_DAYS} days long, not `{text}`.")
        return ShowStats(PeriodSpec(days=days))
    found = _STATS_MONTH.match(text)
    if found and 1 <= int(found[2]) <= 12 and int(found[1]) >= 1970:
        return ShowStats(PeriodSpec(month=(int(found[1]), int(found[2]))))
    raise UsageError(f"`{text}` is not a period: give `7d`, `30d`, `90d` or a month `YYYY-MM`.")


_DUE_WITHIN = re.compile(r"\s+due\s+in\s+(\S+)$", re.IGNORECASE)
_DUE_ON = re.compile(r"\s+due\s+(\d\S*)$", re.IGNORECASE)
_TRAILING_WORD = re.compile(r"\s+(\S+)$")


def _not_a_person(word: str) -> UsageError:
    """`@someone-who-left`: Slack sends an id for a person it knows, the bare text otherwise."""
    return UsageError(
        f"`{word}` is not a person in this workspace: @-mention someone Slack offers, "
        "so it sends their id."
    )


def _owner_of(word: str) -> str | None:
    """The user id a trailing word names, None if it names nobody (it is text)."""
    mention = _MENTION.match(word)
    if mention:
        return mention.group(1)
    if word.startswith("@") and len(word) > 1:
        raise _not_a_person(word)
    return None


def parse_followup(typed: Typed) -> AddFollowup:
    """`<text…> [@owner] [due YYYY-MM-DD | due in 2w]`, the owner and due date read off the end
    in either order."""
    text = " " + clean_text(typed.rest).strip()
    owner, on, within = None, None, None
    for _ in range(2):
        if within is None and on is None and (found := _DUE_WITHIN.search(text)):
            within, text = followups.parse_within(found[1]), text[: found.start()]
        elif within is None and on is None and (found := _DUE_ON.search(text)):
            on, text = followups.parse_date(found[1]), text[: found.start()]
        elif owner is None and (found := _TRAILING_WORD.search(text)):
            owner = _owner_of(found[1])
            if owner is not None:
                text = text[: found.start()]
    return AddFollowup(_require_text(text, "follow-up text", followups.MAX_TEXT), owner, on, within)


def parse_followups(typed: Typed) -> ListFollowups:
    """`followups` alone lists yours; `mine`, `all`, `overdue` or an @-mentioned person."""
    word = typed.rest
    if not word:
        return ListFollowups(followups.Scope.MINE)
    if " " in word:
        raise UsageError("Give one of `mine`, `all`, `overdue` or one @person.")
    if word.lower() in ("mine", "all", "overdue"):
        return ListFollowups(followups.Scope(word.lower()))
    person = _owner_of(word)
    if person is None:
        raise UsageError(f"`{word}` is not `mine`, `all`, `overdue` or an @person.")
    return ListFollowups(followups.Scope.PERSON, person)


def parse_statuspage(typed: Typed) -> RequestStatement:
    """`statuspage <status> [component=state…] [words…]`: the components come first, the rest
    is the public text, kept as typed (without control characters). No words at all is left to
    the service (the policy's wording may stand in); words that clean to nothing are refused."""
    status_word, _, rest = typed.rest.partition(" ")
    try:
        status = PublicStatus(status_word.lower())
    except ValueError:
        statuses = "|".join(s.value for s in PublicStatus)
        raise UsageError(f"Start with the public status: {statuses}.") from None
    changes = []
    text = rest.strip()
    while (change := read_change(text.partition(" ")[0])) is not None:
        changes.append(change)
        text = text.partition(" ")[2].lstrip()
    body = _require_text(text, "public message", MAX_BODY) if text.strip() else None
    named = [c.name for c in changes]
    if len(set(named)) != len(named):
        raise UsageError("Name each component once.")
    return RequestStatement(Statement(status, tuple(changes), body))
