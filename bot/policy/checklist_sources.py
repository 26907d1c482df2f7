"""Checklists whose items come `from:` a Markdown runbook, read when the policy is read.

`from: runbooks/rollback.md#Pre-Rollback Checklist` is read relative to the policy file; the
heading is found as `bot.domain.runbook_markdown` names headings (case-insensitive, emoji and
leading `#` ignored). After reading, the checklist carries the heading's items and, unless the
policy gives a `title`, the heading's title: nothing after the reader opens a runbook, and a
runbook edited while the bot runs changes nothing until the policy is read again.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Checklist, Policy
from bot.domain import checklist_items
from bot.domain.runbook_markdown import Heading, Runbook
from bot.errors import UsageError
from bot.policy.document import Located
from bot.policy.runbook_files import RunbookUnreadable, read_runbook

_EXAMPLE = "runbooks/rollback.md#Pre-Rollback Checklist"


class _SourceProblem(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Runbooks:
    """The runbooks of one policy reading, each file read once however many checklists use it."""

    base: Path
    read: dict[Path, Runbook | RunbookUnreadable] = field(default_factory=dict)

    def heading(self, source: str) -> tuple[Runbook, Heading]:
        written, _, name = source.partition("#")
        if not written.strip() or not name.strip():
            raise _SourceProblem(f"{source!r}: write the file and its heading, e.g. `{_EXAMPLE}`")
        path = self.base / written.strip()
        runbook = self._runbook(path)
        if isinstance(runbook, RunbookUnreadable):
            where = f" (looked for {path.resolve()})" if runbook.reason == "no such file" else ""
            raise _SourceProblem(f"{written.strip()}: {runbook.reason}{where}")
        return runbook, _named(runbook, name.strip(), written.strip())

    def _runbook(self, path: Path) -> Runbook | RunbookUnreadable:
        key = path.resolve()
        if key not in self.read:
            try:
                self.read[key] = read_runbook(path)
            except RunbookUnreadable as error:
                self.read[key] = error
        return self.read[key]


def _named(runbook: Runbook, name: str, file: str) -> Heading:
    found = runbook.named(name)
    if len(found) > 1:
        lines = " and ".join(str(heading.line) for heading in found)
        raise _SourceProblem(
            f"{file} has {len(found)} headings {name!r} (lines {lines}): rename one of them"
        )
    if not found:
        closest = runbook.closest(name)
        hint = (
            "; closest: " + ", ".join(f"{h.title!r} (line {h.line})" for h in closest)
            if closest
            else f"; it has {len(runbook.headings)} headings, none like it"
        )
        raise _SourceProblem(f"{file} has no heading {name!r}{hint}")
    return found[0]


def _items(runbook: Runbook, heading: Heading, file: str) -> Iterator[str]:
    """The heading's items, or every reason they cannot make a checklist."""
    where = f"{file}:{heading.line}: {heading.title!r}"
    if not heading.items:
        raise _SourceProblem(
            f"{where} holds no task items (`- [ ] …` lines){_why(runbook, heading)}"
        )
    problems = [f"{where} {p}"] if (p := checklist_items.count_problem(len(heading.items))) else []
    problems.extend(
        f"{file}:{item.line}: item {problem}"
        for item in heading.items
        if (problem := checklist_items.item_problem(item.text))
    )
    if problems:
        raise _SourceProblem("\n".join(problems))
    yield from (item.text for item in heading.items)


def _why(runbook: Runbook, heading: Heading) -> str:
    """Where the items a person sees under a heading really are."""
    if heading.items_in_code:
        return f"; its {heading.items_in_code} box line(s) are in a code block, which never counts"
    nested = [h for h in runbook.below(heading) if h.items]
    if nested:
        names = ", ".join(f"{h.title!r} (line {h.line})" for h in nested[:3])
        return f"; the items are under the headings nested in it, each its own checklist: {names}"
    return ""


def read_sources(policy: Policy, base: Path) -> tuple[Policy, list[Located]]:
    """`policy` with every `from:` checklist's items and title read from its runbook (paths
    relative to `base`, the policy file's folder), and each problem at `checklists.<name>.from`.
    A checklist whose runbook has a problem is left without items."""
    runbooks = _Runbooks(base)
    checklists: dict[str, Checklist] = {}
    problems: list[Located] = []
    for name, checklist in policy.checklists.items():
        checklists[name] = checklist
        if checklist.source is None:
            continue
        file = checklist.source.partition("#")[0].strip()
        try:
            runbook, heading = runbooks.heading(checklist.source)
            items = tuple(_items(runbook, heading, file))
        except _SourceProblem as problem:
            at = ("checklists", name, "from")
            problems.extend(Located(at, line) for line in problem.message.splitlines())
            continue
        title = checklist.title or heading.title or name
        checklists[name] = checklist.model_copy(update={"items": items, "title": title})
    return policy.model_copy(update={"checklists": checklists}), problems


def with_severity_keys(policy: Policy) -> Policy:
    """Checklists' `severities` as severity keys (`p0` → `sev1`), so that whoever posts them
    compares keys; a word that is no severity is kept for the rules to report."""
    checklists = {name: _keyed(c, policy) for name, c in policy.checklists.items()}
    return policy.model_copy(update={"checklists": checklists})


def _keyed(checklist: Checklist, policy: Policy) -> Checklist:
    if checklist.severities is None:
        return checklist
    keys = tuple(dict.fromkeys(_key(word, policy) for word in checklist.severities))
    return checklist.model_copy(update={"severities": keys})


def _key(word: str, policy: Policy) -> str:
    try:
        return policy.severities.resolve(word).key
    except UsageError:
        return word
