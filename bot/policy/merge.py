"""Overrides merge: a policy names what it changes, and the shipped defaults fill in the rest.

`severities`, `databases` and `actions` are keyed sections. An entry the file names changes that
entry and keeps the others; `replace: true` in the section drops the defaults instead:

    severities: {sev1: {update_every: 10m}}      # sev1 updates every 10m; sev2..sev4 unchanged
    severities: {replace: true, sev1: {...}}     # sev1 is the only severity

A named severity or database takes the default's fields and changes those it gives; it keeps its
place in the default order, and a new one goes after the defaults (least severe). An action that
gives `kind` is a whole definition and replaces the shipped one; without `kind` it changes only
the fields it gives (`actions: {kill: {approvals_required: 2}}`), since a shipped action's
statement, verify or headers silently kept under a new definition would run what nobody wrote.
Every other section, and every list (`escalation`, `alerts.routes`), replaces the default whole.
"""

from collections.abc import Mapping
from typing import Any

from bot.domain.runbook_actions import DEFAULT_ACTIONS, DEFAULT_DATABASES
from bot.domain.severity import DEFAULT_SEVERITIES

KEYED_SECTIONS: Mapping[str, Mapping[str, Mapping[str, Any]]] = {
    "severities": DEFAULT_SEVERITIES,
    "databases": DEFAULT_DATABASES,
    "actions": DEFAULT_ACTIONS,
}
REPLACE = "replace"
"""The key that makes a keyed section replace its defaults instead of merging into them."""


def replace_problem(section: str, value: object) -> str | None:
    """Why the section's `replace` value is unusable (it must be a boolean), or None."""
    if not isinstance(value, Mapping) or section not in KEYED_SECTIONS:
        return None
    flag = value.get(REPLACE, False)
    return None if isinstance(flag, bool) else f"must be true or false, not {flag!r}"


def with_defaults(data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with each keyed section merged into its defaults (see the module's docstring).

    Raises ValueError for a `replace` that is not a boolean; anything else that is wrong is
    left for validation to report at its path.
    """
    merged = dict(data)
    for section, defaults in KEYED_SECTIONS.items():
        given = data.get(section)
        if not isinstance(given, Mapping):
            continue
        if problem := replace_problem(section, given):
            raise ValueError(f"{section}.{REPLACE}: {problem}")
        merged[section] = merged_section(section, defaults, given)
    return merged


def merged_section(
    section: str, defaults: Mapping[str, Mapping[str, Any]], given: Mapping[str, Any]
) -> dict[str, Any]:
    """One keyed section as the bot runs it: the defaults in their order, then new entries."""
    entries = {name: spec for name, spec in given.items() if name != REPLACE}
    if given.get(REPLACE, False):
        return entries
    result: dict[str, Any] = {name: dict(spec) for name, spec in defaults.items()}
    for name, spec in entries.items():
        default = result.get(name)
        is_whole = not isinstance(spec, Mapping) or (section == "actions" and "kind" in spec)
        result[name] = spec if default is None or is_whole else {**default, **spec}
    return result
