"""Escalation: which steps of the policy apply to an incident, when they fire, whom they ping.

Pure rules, no I/O. A step applies to the severities it lists (by key or alias; all when it
lists none) and fires once, `after` its time since declaration, while the incident is open.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.mrkdwn import Mrkdwn, escape
from bot.domain.severity import SeverityLevel


class StepRule(Protocol):
    """An escalation step as the policy file writes it (`bot.config.EscalationStep`)."""

    @property
    def after(self) -> timedelta: ...

    @property
    def severities(self) -> tuple[str, ...] | None: ...


@dataclass(frozen=True)
class Firing:
    """Step number `index` of the policy, due at `due_at`."""

    index: int
    due_at: datetime


def applies(severities: Iterable[str] | None, level: SeverityLevel) -> bool:
    """Whether a step listing `severities` covers `level` (None covers every level)."""
    if severities is None:
        return True
    names = {level.key.lower(), *(alias.lower() for alias in level.aliases)}
    return any(word.lower() in names for word in severities)


def escalation_plan(
    steps: Sequence[StepRule], level: SeverityLevel, declared_at: datetime, now: datetime
) -> list[Firing]:
    """The steps that apply at `level`, each due `after` its time since declaration.

    A step whose time has passed (the incident was just re-graded into its scope) is due now.
    """
    return [
        Firing(index, max(declared_at + step.after, now))
        for index, step in enumerate(steps)
        if applies(step.severities, level)
    ]


def deadline(declared_at: datetime, within: timedelta, now: datetime) -> datetime:
    """When `within` since declaration runs out, or now if it already has."""
    return max(declared_at + within, now)


_ENTITY = re.compile(
    r"^<(@[UW][A-Z0-9]+|!subteam\^S[A-Z0-9]+|!here|!channel|!everyone)(\|[^<>]*)?>$"
)
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP = re.compile(r"^S[A-Z0-9]{2,}$")
_BROADCASTS = {"@here": "<!here>", "@channel": "<!channel>", "here": "<!here>"}


def mention_of(target: str) -> str:
    """How a `notify` target of the policy is written in Slack.

    Mentions already in Slack's form (`<@U…>`, `<!subteam^S…>`, `<!here>`) are kept; bare user
    and user-group ids become mentions; anything else is shown escaped, as plain text, so a
    typo in the policy cannot turn into a link or a broadcast.
    """
    word = target.strip()
    if _ENTITY.match(word):
        return Mrkdwn(word)
    if _USER.match(word):
        return Mrkdwn(f"<@{word}>")
    if _GROUP.match(word):
        return Mrkdwn(f"<!subteam^{word}>")
    if word.lower() in _BROADCASTS:
        return Mrkdwn(_BROADCASTS[word.lower()])
    return escape(word)


def pings(target: str) -> bool:
    """Whether `mention_of(target)` notifies someone: a user, a user group or a broadcast.

    Anything else (`oncall-team`, `#ops`, a channel link `<#C…>`) is shown as plain text and
    pings nobody; `check-config` warns about it.
    """
    word = target.strip()
    return bool(_ENTITY.match(word) or _USER.match(word) or _GROUP.match(word)) or (
        word.lower() in _BROADCASTS
    )


def mentions(targets: Iterable[str]) -> Mrkdwn:
    """Every target's mention, space-separated, as mrkdwn ready to print."""
    return Mrkdwn(" ".join(mention_of(t) for t in targets if t.strip()))


_LABELLED = re.compile(r"^<(@|!subteam\^)?([A-Za-z0-9^!]+)(\|([^<>]*))?>$")


def name_of(target: str) -> Mrkdwn:
    """A `notify` target named without notifying anyone (in a drill nobody is woken).

    `<@U0ALICE|alice>` → `alice`, `<@U0ALICE>` and `U0ALICE` → `U0ALICE` in code format,
    `<!subteam^S0ENG|eng-managers>` → `eng-managers`, `<!here>` → `here`; anything else escaped.
    """
    word = target.strip()
    found = _LABELLED.match(word)
    if found:
        word = found.group(4) or found.group(2).removeprefix("!")
    word = word.removeprefix("@")
    shown = escape(word.replace("`", "'"))
    return Mrkdwn(f"`{shown}`") if shown else Mrkdwn("")


def names(targets: Iterable[str]) -> Mrkdwn:
    """Every target's `name_of`, space-separated: who would be pinged, pinging nobody."""
    return Mrkdwn(" ".join(name_of(t) for t in targets if t.strip()))
