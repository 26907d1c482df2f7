"""Reading the policy file with every problem found in one pass, never in rounds.

Each top-level section is validated on its own, so one bad section hides nothing in the others;
in `severities`, `databases`, `actions`, `checklists` and `targets` each broken entry is left
out and the sound ones are kept, so the rules across sections still run on them (`bot.policy.rules`).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.config import SECTION_BY_SECTION, Policy
from bot.errors import UsageError
from bot.policy.checklist_sources import read_sources, with_severity_keys
from bot.policy.document import Loc, Located, PolicyDocument, read_document
from bot.policy.merge import KEYED_SECTIONS, REPLACE, replace_problem, with_defaults
from bot.policy.rules import cross_section_problems


@dataclass(frozen=True)
class PolicyReading:
    """A policy file as read: the policy built from what is sound in it (defaults standing in
    for broken sections), and every problem found, each at its path."""

    document: PolicyDocument
    policy: Policy
    problems: tuple[Located, ...]
    broken: frozenset[str]
    """Sections the reader could not use at all: checks reading them would mislead."""
    unsound: Mapping[str, frozenset[str]]
    """Per keyed section, the names of entries left out for problems of their own."""

    def lines(self) -> list[str]:
        """One line per problem: `policy.yaml:12: severities.sev1.label: …`."""
        return [self.document.describe(problem) for problem in self.problems]


@dataclass(frozen=True)
class _Section:
    """One top-level section as read: its problems and what of it can be used."""

    problems: list[Located]
    usable: object = None
    unsound: frozenset[str] = frozenset()


def read_policy(path: Path | None) -> PolicyReading:
    """Read the policy file (the built-in defaults when there is none) and find every problem.

    Raises UsageError (file and line named) only when the file cannot be read or parsed.
    """
    document = read_document(path) if path is not None else PolicyDocument()
    data = {} if document.data is None else document.data
    if not isinstance(data, Mapping):
        problem = Located((), "a policy is a mapping of sections (timezone:, severities:, …)")
        return PolicyReading(document, Policy(), (problem,), frozenset(Policy.model_fields), {})
    sections = {str(key): _read_section(str(key), value) for key, value in data.items()}
    usable = {key: s.usable for key, s in sections.items() if s.usable is not None}
    unsound = {key: s.unsound for key, s in sections.items() if s.unsound}
    broken = frozenset(sections) - usable.keys()
    policy = Policy.model_validate(usable, context=SECTION_BY_SECTION)
    problems = [p for s in sections.values() for p in s.problems]
    problems.extend(cross_section_problems(policy, broken, unsound))
    if "checklists" in usable:
        base = document.path.parent if document.path is not None else Path()
        policy, unreadable = read_sources(with_severity_keys(policy), base)
        problems.extend(unreadable)
    problems.sort(key=lambda problem: document.line(problem.loc) or 0)
    return PolicyReading(document, policy, tuple(problems), broken, unsound)


def load_policy(path: Path | None) -> Policy:
    """The policy to run with; UsageError with one line per problem, each naming its path."""
    reading = read_policy(path)
    if reading.problems:
        raise UsageError("\n".join(reading.lines()))
    return reading.policy


def _read_section(section: str, value: object) -> _Section:
    if section not in Policy.model_fields:
        known = ", ".join(Policy.model_fields)
        return _Section([Located((section,), f"not a section of the policy (sections: {known})")])
    if problem := replace_problem(section, value):
        return _Section([Located((section, REPLACE), problem)])
    problems = _problems(section, value)
    if not problems:
        return _Section([], value)
    if section in KEYED_SECTIONS and isinstance(value, Mapping):
        return _sound_entries(section, value, problems)
    if section in NAMED_SECTIONS and isinstance(value, Mapping):
        return _sound_names(section, value, problems)
    return _Section(problems)


NAMED_SECTIONS = frozenset({"checklists", "targets"})
"""Sections of named entries with no defaults: a broken entry is left out, the others kept."""


def _sound_names(section: str, value: Mapping[str, Any], problems: list[Located]) -> _Section:
    if any(len(problem.loc) < 2 for problem in problems):
        return _Section(problems)
    bad = {str(problem.loc[1]) for problem in problems}
    sound = {k: v for k, v in value.items() if str(k) not in bad}
    if _problems(section, sound):
        return _Section(problems)
    return _Section(problems, sound, frozenset(bad))


def _sound_entries(section: str, value: Mapping[str, Any], problems: list[Located]) -> _Section:
    """A keyed section without its broken entries, if what is left is valid on its own."""
    if any(len(problem.loc) < 2 for problem in problems):
        return _Section(problems)
    merged = with_defaults({section: value})[section]
    bad = {str(problem.loc[1]) for problem in problems}
    sound = {REPLACE: True, **{k: v for k, v in merged.items() if k not in bad}}
    if _problems(section, sound):
        return _Section(problems)
    return _Section(problems, sound, frozenset(_names(section, bad, merged)))


def _names(section: str, keys: set[str], merged: Mapping[str, Any]) -> set[str]:
    """The names the broken entries go by: a severity by its key and aliases too."""
    if section != "severities":
        return keys
    aliases = (
        merged[key].get("aliases", ()) if isinstance(merged[key], Mapping) else () for key in keys
    )
    return {k.lower() for k in keys} | {
        a.lower()
        for group in aliases
        if isinstance(group, list)
        for a in group
        if isinstance(a, str)
    }


def _problems(section: str, value: object) -> list[Located]:
    try:
        Policy.model_validate({section: value}, context=SECTION_BY_SECTION)
    except ValidationError as error:
        merged = with_defaults({section: value})[section]
        keys = list(merged) if section == "severities" and isinstance(merged, Mapping) else []
        return [_located(problem, section, keys) for problem in error.errors()]
    return []


def _located(problem: ErrorDetails, section: str, severity_keys: list[str]) -> Located:
    """A pydantic problem at the path the file writes: `severities.sev1.label`, not
    `severities.levels.0.label`; a problem of the whole section at the section."""
    loc: Loc = tuple(problem["loc"]) or (section,)
    if loc[:2] == ("severities", "levels"):
        index = loc[2] if len(loc) > 2 else None
        key = (severity_keys[index],) if isinstance(index, int) else ()
        loc = ("severities", *key, *loc[3:])
    message = problem["msg"].removeprefix("Value error, ")
    if problem["type"] == "extra_forbidden":
        message = "not a known key here (a typo?)"
    elif problem["type"] == "missing":
        message = "is required"
    return Located(loc, message)
