"""The policy file as YAML: its data, and the line on which each key and list item starts.

pydantic names a problem by its path (`severities.sev1.label`); composing the document keeps
each node's start mark, so a problem can also point at its line: `policy.yaml:12:
severities.sev1.label: …`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.errors import UsageError

Loc = tuple[str | int, ...]
"""A path into the policy: `("severities", "sev1", "label")`, `("escalation", 0, "notify", 1)`."""


@dataclass(frozen=True)
class Located:
    """One problem found in the policy, at its path."""

    loc: Loc
    message: str


def dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


@dataclass(frozen=True)
class PolicyDocument:
    """The policy file's data, its name and the line of every path in it (none without a file)."""

    path: Path | None = None
    data: object = None
    lines: Mapping[Loc, int] = field(default_factory=dict)

    def line(self, loc: Loc) -> int | None:
        """The line of the deepest part of `loc` the file writes (a default merged in has none
        of its own), or None without a file."""
        prefixes = [loc[:n] for n in range(len(loc), 0, -1)] or [()]
        return next((self.lines[p] for p in prefixes if p in self.lines), None)

    def where(self, loc: Loc) -> str:
        """`policy.yaml:12: severities.sev1.label`: the file, the line and the full path."""
        line = self.line(loc)
        place = [str(self.path)] if self.path else []
        if place and line is not None:
            place[0] += f":{line}"
        return ": ".join([*place, *([dotted(loc)] if loc else [])])

    def describe(self, problem: Located) -> str:
        where = self.where(problem.loc)
        return f"{where}: {problem.message}" if where else problem.message


def read_document(path: Path) -> PolicyDocument:
    """Read and parse `path`; UsageError naming the file (and line) if it cannot be."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = (
            error.strerror
            if isinstance(error, OSError)
            else "it is not UTF-8 text: save it as UTF-8"
        )
        raise UsageError(f"{path}: cannot read the policy file: {reason}") from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        raise UsageError(_syntax_problem(path, error)) from None
    except yaml.YAMLError as error:
        raise UsageError(f"{path}: not valid YAML: {error}") from None
    lines: dict[Loc, int] = {}
    if node is not None:
        _record_lines(node, (), lines)
    return PolicyDocument(path, data, lines)


def _syntax_problem(path: Path, error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    context = error.context or ""
    if context and error.context_mark and error.context_mark is not mark:
        context += f" started on line {error.context_mark.line + 1}"
    what = ": ".join(part for part in (context, error.problem) if part)
    return f"{where}: not valid YAML: {what}"


def _record_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    """Map `loc` and every path below it to the 1-based line where it starts."""
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*loc, _key(key))
            lines[child] = key.start_mark.line + 1
            _record_lines(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*loc, index), lines)


def _key(node: yaml.Node) -> str:
    """A mapping key as pydantic's path names it (keys are strings in the policy)."""
    return str(node.value) if isinstance(node, yaml.ScalarNode) else "?"
