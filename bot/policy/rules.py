"""Rules across the policy's sections: what one section names must exist in another.

Each rule says which sections it reads, so that when one section is broken the rules that do
not read it still run, and a name whose entry is broken (`sev1` with a bad label) is not reported
a second time as unknown: `check-config` reports a route's unknown severity in the same run as a
typo in `severities`, never in rounds. `Policy` applies every rule when it is built; the policy
file reader applies those whose sections it could read.
"""

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import UsageError
from bot.policy.document import Located
from bot.services.commands import BUILT_IN_WORDS

if TYPE_CHECKING:
    from bot.config import Policy

_ACTION_NAME = re.compile(r"[a-z][a-z0-9_-]{0,40}")

Unsound = Mapping[str, Collection[str]]
"""Per section of named entries (`severities`, `databases`, `actions`, `checklists`,
`targets`), the names of entries left out of the
policy for problems of their own (severities with their aliases, lowercased): they exist."""


@dataclass(frozen=True)
class Rule:
    reads: frozenset[str]
    """The sections the rule looks at."""
    check: Callable[["Policy", Unsound], Iterator[Located]]


def _action_names(policy: "Policy", unsound: Unsound) -> Iterator[Located]:
    """An action is typed as `/incident <name>`: a plain word, and not one the bot already has."""
    for name in [*policy.actions, *unsound.get("actions", ())]:
        if not _ACTION_NAME.fullmatch(name):
            yield Located(("actions", name), "an action name is lowercase letters, digits, - and _")
        elif name in BUILT_IN_WORDS:
            yield Located(
                ("actions", name),
                f"{name!r} is a built-in /incident subcommand: give the action another name",
            )


def _action_databases(policy: "Policy", unsound: Unsound) -> Iterator[Located]:
    for name, action in policy.actions.items():
        database = action.database or ""
        if action.kind != "sql" or database in unsound.get("databases", ()):
            continue
        if database not in policy.databases:
            known = ", ".join(policy.databases) or "none defined"
            yield Located(
                ("actions", name, "database"),
                f"{action.database!r} names no database of `databases` ({known})",
            )


def _route_severities(policy: "Policy", unsound: Unsound) -> Iterator[Located]:
    for index, route in enumerate(policy.alerts.routes):
        if route.declare is not None and route.declare.lower() not in unsound.get("severities", ()):
            try:
                policy.severities.resolve(route.declare)
            except UsageError as error:
                yield Located(("alerts", "routes", index, "declare"), error.message)


def _route_actions(policy: "Policy", unsound: Unsound) -> Iterator[Located]:
    for index, route in enumerate(policy.alerts.routes):
        for action in route.suggest:
            if action not in policy.actions and action not in unsound.get("actions", ()):
                known = ", ".join(policy.actions) or "none defined"
                yield Located(
                    ("alerts", "routes", index, "suggest"),
                    f"{action!r} is not one of this policy's actions ({known})",
                )


def _checklist_severities(policy: "Policy", unsound: Unsound) -> Iterator[Located]:
    for name, checklist in policy.checklists.items():
        for word in checklist.severities or ():
            if word.lower() in unsound.get("severities", ()):
                continue
            try:
                policy.severities.resolve(word)
            except UsageError as error:
                yield Located(("checklists", name, "severities"), error.message)


def _action_requires(policy: "Policy", unsound: Unsound) -> Iterator[Located]:
    known = [*policy.checklists, *unsound.get("checklists", ())]
    for name, action in policy.actions.items():
        for checklist in action.requires:
            if checklist not in known:
                yield Located(
                    ("actions", name, "requires"),
                    f"{checklist!r} is not one of this policy's checklists"
                    f" ({', '.join(policy.checklists) or 'none defined'})",
                )


def _target_severities(policy: "Policy", unsound: Unsound) -> Iterator[Located]:
    """Targets are keyed by a severity's key, the one incidents carry, not by an alias."""
    keys = [level.key for level in policy.severities.levels]
    for word in policy.targets:
        if word in keys or word.lower() in unsound.get("severities", ()):
            continue
        try:
            key = policy.severities.resolve(word).key
        except UsageError:
            yield Located(
                ("targets", word), f"{word!r} is not a severity of this policy ({', '.join(keys)})"
            )
        else:
            yield Located(("targets", word), f"{word!r} is an alias: write the severity, {key!r}")


def _paging_severities(policy: "Policy", unsound: Unsound) -> Iterator[Located]:
    """`paging.page_on` names the severities whose declaration pages the on-call."""
    if policy.paging is None:
        return
    for word in policy.paging.page_on:
        if word.lower() in unsound.get("severities", ()):
            continue
        try:
            policy.severities.resolve(word)
        except UsageError as error:
            yield Located(("paging", "page_on"), error.message)


RULES = (
    Rule(frozenset({"actions"}), _action_names),
    Rule(frozenset({"actions", "databases"}), _action_databases),
    Rule(frozenset({"alerts", "severities"}), _route_severities),
    Rule(frozenset({"alerts", "actions"}), _route_actions),
    Rule(frozenset({"checklists", "severities"}), _checklist_severities),
    Rule(frozenset({"actions", "checklists"}), _action_requires),
    Rule(frozenset({"targets", "severities"}), _target_severities),
    Rule(frozenset({"paging", "severities"}), _paging_severities),
)


def cross_section_problems(
    policy: "Policy", broken: Collection[str] = (), unsound: Unsound | None = None
) -> list[Located]:
    """Every problem between sections, skipping rules that read a `broken` section (one the
    reader could not use at all: the defaults standing in for it would mislead)."""
    return [
        problem
        for rule in RULES
        if not rule.reads.intersection(broken)
        for problem in rule.check(policy, unsound or {})
    ]
