"""`incident-bot runbook import FILE.md…`: a team's runbooks as a `checklists:` policy fragment.

One checklist per heading that holds task items, named by the heading's slug (a second heading
of the same slug gets `-2`), titled by the heading's words, its items written out so the
fragment stands on its own once pasted (a `# from FILE#Heading (line N)` comment says where each
came from). What was left out is said beside it, on stderr: each heading skipped and why, each
file that gave nothing, each item past Slack's limits (the policy would refuse it).

Exit codes: 0 when every file gave checklists, 1 when some did and some did not (the fragment
holds those that did), 2 when none did.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.domain import checklist_items
from bot.domain.runbook_markdown import Heading, Runbook, slug
from bot.policy.runbook_files import RunbookUnreadable, read_runbook


@dataclass(frozen=True)
class ImportedChecklist:
    name: str
    file: str
    """The file as given on the command line."""
    heading: Heading

    @property
    def title(self) -> str:
        return self.heading.title or self.name


@dataclass(frozen=True)
class RunbookImport:
    """What the import found: the checklists, and one note per thing left out or doubtful."""

    checklists: tuple[ImportedChecklist, ...]
    notes: tuple[str, ...]
    files_given: int
    files_failed: int

    @property
    def exit_code(self) -> int:
        if not self.files_failed:
            return 0
        return 2 if self.files_failed == self.files_given else 1

    def fragment(self) -> str:
        """The `checklists:` section to paste into a policy (empty when there is none)."""
        if not self.checklists:
            return ""
        lines = ["checklists:"]
        for checklist in self.checklists:
            heading = checklist.heading
            lines.append(f"  # from {checklist.file}#{heading.title} (line {heading.line})")
            lines.append(f"  {_scalar(checklist.name)}:")
            lines.append(f"    title: {_scalar(checklist.title)}")
            lines.append("    items:")
            lines.extend(f"      - {_scalar(item.text)}" for item in heading.items)
        return "\n".join(lines) + "\n"


def import_runbooks(files: Sequence[str]) -> RunbookImport:
    """Read each of `files` (paths as given) for its checklists."""
    checklists: list[ImportedChecklist] = []
    notes: list[str] = []
    failed = 0
    taken: set[str] = set()
    for file in files:
        try:
            runbook = read_runbook(Path(file))
        except RunbookUnreadable as error:
            notes.append(f"error: {file}: {error.reason}")
            failed += 1
            continue
        found = [h for h in runbook.headings if h.items]
        if not found:
            notes.append(f"error: {file}: no task items (`- [ ] …` lines) under any heading")
            failed += 1
            continue
        notes.append(f"{file}: {len(found)} checklist{'s' if len(found) != 1 else ''}")
        for heading in found:
            checklists.append(ImportedChecklist(_unique(slug(heading.text), taken), file, heading))
            notes.extend(_limits(file, heading))
        notes.extend(_skipped(runbook))
        notes.extend(_duplicates(file, runbook))
    return RunbookImport(tuple(checklists), tuple(notes), len(files), failed)


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`… when another heading already took it."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}-{number}"
    taken.add(candidate)
    return candidate


def _skipped(runbook: Runbook) -> Iterator[str]:
    for heading in runbook.headings:
        if heading.items:
            continue
        if heading.items_in_code:
            reason = f"only in a code block ({heading.items_in_code} box line(s), never counted)"
        elif any(nested.items for nested in runbook.below(heading)):
            reason = "no task items (its nested headings have them)"
        else:
            reason = "no task items"
        yield f"  skipped line {heading.line} {(heading.title or heading.text)!r}: {reason}"


def _duplicates(file: str, runbook: Runbook) -> Iterator[str]:
    """Headings named alike: imported under suffixed names, but a `from:` cannot tell them apart."""
    seen: set[str] = set()
    for heading in runbook.headings:
        alike = runbook.named(heading.text)
        if len(alike) > 1 and heading.key not in seen and any(h.items for h in alike):
            seen.add(heading.key)
            lines = " and ".join(str(h.line) for h in alike)
            yield (
                f"warning: {file}: {len(alike)} headings {heading.title!r} (lines {lines}):"
                " imported under numbered names; rename them to name one with `from:`"
            )


def _limits(file: str, heading: Heading) -> Iterator[str]:
    """Items a policy would refuse: said now, so they are shortened before pasting."""
    if problem := checklist_items.count_problem(len(heading.items)):
        yield f"warning: {file}:{heading.line}: {heading.title!r} {problem}"
    for item in heading.items:
        if problem := checklist_items.item_problem(item.text):
            yield f"warning: {file}:{item.line}: item {problem}"


def _scalar(text: str) -> str:
    """`text` as a one-line YAML scalar: plain when YAML reads it back as the same string,
    quoted otherwise (`: `, a leading `*`, `yes`, `12`…)."""
    dumped = yaml.safe_dump(text, allow_unicode=True, width=1_000_000)
    return dumped.removesuffix("\n...\n").removesuffix("\n")
