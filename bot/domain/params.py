"""An action's parameters: how they are declared in the policy and how typed words bind to them.

`/incident kill hybrid_progressive_capture` and `/incident kill feature=hybrid_progressive_capture`
bind the same value. Every value is checked against its declaration before anything is posted,
and stays a plain string: executors pass it as a bind parameter or percent-encode it, never
splice it.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Self

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from bot.errors import UsageError

MAX_VALUE = 200
"""Long enough for any id, version or name; short enough to show whole on the card."""

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_KEYWORD = re.compile(r"^([a-z_][a-z0-9_]*)=(.*)$", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DOT_SEGMENTS = frozenset({".", ".."})

Bound = Mapping[str, str | None]
"""Parameter name → validated value (None for an optional parameter left out)."""


class ActionParam(BaseModel):
    """One parameter of an action: a name, and either a pattern or a list of choices."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    pattern: str | None = None
    choices: tuple[str, ...] | None = None
    required: bool = True
    default: str | None = None

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not a parameter name (lowercase letters, digits, _)")
        return value

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(
                    f"pattern {value!r} is not a regular expression: {error}"
                ) from None
        return value

    @model_validator(mode="after")
    def _default_is_valid(self) -> Self:
        if self.pattern is not None and self.choices is not None:
            raise ValueError("give a pattern or choices, not both")
        if self.default is not None and (problem := self.problem_with(self.default)):
            raise ValueError(f"default {self.default!r}: {problem}")
        return self

    @property
    def is_optional(self) -> bool:
        return not self.required or self.default is not None

    def describe(self) -> str:
        """One line for `/incident actions`: `feature: matching ^[a-z0-9_]+$, default x`."""
        if self.choices:
            accepted = "one of " + ", ".join(self.choices)
        else:
            accepted = f"matching {self.pattern}" if self.pattern else "any word"
        default = f", default {self.default}" if self.default is not None else ""
        optional = " (optional)" if not self.required and self.default is None else ""
        return f"{self.name}: {accepted}{default}{optional}"

    def problem_with(self, value: str) -> str | None:
        """Why `value` is not acceptable for this parameter, or None if it is."""
        if not value:
            return "is empty"
        if len(value) > MAX_VALUE:
            return f"is {len(value)} characters; the limit is {MAX_VALUE}"
        if _CONTROL.search(value):
            return "contains control characters"
        if value in _DOT_SEGMENTS:
            return "is a path segment, not a value"
        if self.choices is not None and value not in self.choices:
            return "must be one of " + ", ".join(self.choices)
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return f"must match {self.pattern}"
        return None


def usage(action: str, params: Sequence[ActionParam]) -> str:
    """The usage line of an action: `/incident kill [feature] [--dry-run]`."""
    words = [f"[{p.name}]" if p.is_optional else f"<{p.name}>" for p in params]
    return " ".join(["/incident", action, *words, "[--dry-run]"])


def bind(action: str, params: Sequence[ActionParam], args: Sequence[str]) -> dict[str, str | None]:
    """Map typed words onto `params`: positional words in order, `name=value` by name.

    Raises UsageError (with the action's usage line) naming the first problem found.
    """
    line = usage(action, params)
    by_name = {p.name: p for p in params}
    given: dict[str, str] = {}
    positional: list[str] = []
    for word in args:
        keyword = _KEYWORD.match(word)
        if keyword is None:
            positional.append(word)
            continue
        name, value = keyword.groups()
        if name not in by_name:
            raise UsageError(f"`{name}` is not a parameter of `{action}`.", line)
        if name in given:
            raise UsageError(f"`{name}` is given twice.", line)
        given[name] = value
    free = [p for p in params if p.name not in given]
    if len(positional) > len(free):
        raise UsageError(f"`{action}` takes at most {len(params)} parameter(s).", line)
    given.update({p.name: word for p, word in zip(free, positional, strict=False)})
    return {p.name: _value(action, p, given.get(p.name), line) for p in params}


def _value(action: str, param: ActionParam, value: str | None, line: str) -> str | None:
    if value is None:
        if param.default is not None:
            return param.default
        if param.required:
            raise UsageError(f"`{action}` needs `{param.name}`.", line)
        return None
    problem = param.problem_with(value)
    if problem:
        raise UsageError(f"`{param.name}` {problem}.", line)
    return value
