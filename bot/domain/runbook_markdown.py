"""A team's Markdown runbook read for its checklists: each heading and the task items it holds.

Runbooks are written by hand and copied between tools, so the reader is forgiving where a person
would be and strict where a checkbox could be invented:

- **Headings** are ATX headings (`## Pre-Rollback Checklist`, up to three spaces before the
  `#`s, a closing `###` dropped). Their text is kept as written, garbled emoji included
  (`üìà Success Metrics`); `heading_key` is how a heading is named from elsewhere.
- **Task items** are list items with a box: `- [ ]`, `- [x]`, `* [ ]`, `+ [ ]`, `1. [ ]`,
  `1) [x]`. An item belongs to the nearest heading above it; a nested heading's items are that
  heading's, not its parent's; items before the first heading belong to none and are not read.
  Setext headings (text underlined with `===`) are not read as headings. An indented line right under an item (no blank line between)
  continues its text.
- **Nested lists are flattened.** A list item nested under a task item, with or without a box,
  is a step of it and becomes an item of its own, in document order, with its `depth` (1 under
  a top-level item, 2 under that…) so a reader can indent it. A plain bullet that is not under a
  task item is prose, not a step; a boxed item under it is still an item.
- **Never counted:** anything in a fenced code block (```` ``` ```` or `~~~`, closed by the same
  fence at least as long, or by the end of the file), indented code (four spaces or a tab after
  a blank line, outside a list), and HTML comments (`<!-- … -->`, also across lines). Box-shaped
  lines inside code are counted in `Heading.items_in_code`, so a caller can say why a heading
  that seems to have items has none (a template's `- [ ] [action] - [owner]`).
- **Item text** is cleaned: whitespace trimmed and collapsed, Markdown bold/underline markers
  (`**`, `__`) dropped outside code spans, a trailing hard-break backslash dropped. Everything
  else (code spans, links) is kept as written.
"""

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_HEADING = re.compile(r"^(#{1,6})(?:[ \t]+(.*))?$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
_LIST_ITEM = re.compile(r"^([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
_BOX = re.compile(r"^\[([ xX])\](?:[ \t]+(.*))?$")
_THEMATIC_BREAK = re.compile(r"^(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_BOLD = re.compile(r"\*\*|__")
_WORD = re.compile(r"[A-Za-z0-9]")
_SLUG_RUN = re.compile(r"[^a-z0-9]+")
_TAB = 4


@dataclass(frozen=True)
class TaskItem:
    """One box to tick: its cleaned text, the line it starts on (1-based), whether the runbook
    writes it ticked (`[x]`), and how deep it is nested under another item (0: top level)."""

    text: str
    line: int
    checked: bool = False
    depth: int = 0


@dataclass(frozen=True)
class Heading:
    """A heading as written, its level (1 for `#`), its line, and its own task items."""

    text: str
    level: int
    line: int
    items: tuple[TaskItem, ...] = ()
    items_in_code: int = 0
    """Box-shaped lines under this heading that are inside code: shown, never counted."""

    @property
    def key(self) -> str:
        return heading_key(self.text)

    @property
    def title(self) -> str:
        return heading_title(self.text)


@dataclass(frozen=True)
class Runbook:
    headings: tuple[Heading, ...]

    def named(self, name: str) -> list[Heading]:
        """The headings `name` names (see `heading_key`): none, one, or several (ambiguous)."""
        key = heading_key(name)
        return [heading for heading in self.headings if heading.key == key]

    def below(self, heading: Heading) -> list[Heading]:
        """The headings nested under `heading`: after it, until one of its level or higher."""
        after = self.headings[self.headings.index(heading) + 1 :]
        nested = []
        for other in after:
            if other.level <= heading.level:
                break
            nested.append(other)
        return nested

    def closest(self, name: str, count: int = 3) -> list[Heading]:
        """The headings whose names are nearest to `name`, for a "did you mean" answer."""
        by_key = {heading.key: heading for heading in reversed(self.headings)}
        keys = difflib.get_close_matches(heading_key(name), list(by_key), n=count, cutoff=0.5)
        return [by_key[key] for key in keys]


def heading_title(text: str) -> str:
    """A heading's words, as a title: emoji (garbled or not) and punctuation-only words at either
    end dropped, bold markers and extra spaces removed. `## üìã **Post-Incident** Procedures`
    → `Post-Incident Procedures`."""
    words = clean_text(text).split()
    while words and not _WORD.search(words[0]):
        words.pop(0)
    while words and not _WORD.search(words[-1]):
        words.pop()
    return " ".join(words)


def heading_key(name: str) -> str:
    """How a heading is named from a policy's `from:` or a person: its title, case-insensitive,
    with any leading `#`s and emoji ignored, so `#pre-rollback checklist` names
    `### ✅ Pre-Rollback Checklist` and its garbled twin `### ‚úÖ Pre-Rollback Checklist`."""
    return heading_title(name.lstrip("#")).casefold()


def slug(text: str) -> str:
    """A checklist name from a heading: lowercase ASCII words joined by `-`
    (`Phase 1: Detection & Assessment` → `phase-1-detection-assessment`)."""
    return _SLUG_RUN.sub("-", heading_title(text).lower()).strip("-") or "checklist"


def clean_text(text: str) -> str:
    """One line of text as a checkbox shows it (see the module docstring)."""
    text = text.strip().removesuffix("\\").strip()
    parts, start = [], 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_BOLD.sub("", text[start : span.start()]))
        parts.append(span.group(0))
        start = span.end()
    parts.append(_BOLD.sub("", text[start:]))
    return " ".join("".join(parts).split())


def parse_runbook(text: str) -> Runbook:
    """Every heading of `text` with its own task items (see the module docstring)."""
    reader = _Reader()
    for number, line in enumerate(text.splitlines(), start=1):
        reader.read(number, line)
    return Runbook(tuple(reader.headings()))


@dataclass
class _OpenItem:
    """A list item whose nested lines may still follow: where its content starts, and whether it
    or an item it is nested in is a task (then items nested in it are steps too)."""

    content_column: int
    is_step: bool


@dataclass
class _Section:
    text: str
    level: int
    line: int
    items: list[TaskItem] = field(default_factory=list)
    items_in_code: int = 0


@dataclass
class _Reader:
    """The line-by-line state of `parse_runbook`."""

    sections: list[_Section] = field(default_factory=lambda: [_Section("", 0, 0)])
    fence: str | None = None
    in_comment: bool = False
    open_items: list[_OpenItem] = field(default_factory=list)
    after_blank: bool = True
    in_indented_code: bool = False
    continuable: bool = False

    def headings(self) -> Iterator[Heading]:
        for section in self.sections[1:]:
            yield Heading(
                section.text,
                section.level,
                section.line,
                tuple(section.items),
                section.items_in_code,
            )

    def read(self, number: int, raw: str) -> None:
        line = raw.expandtabs(_TAB)
        if self.fence is not None:
            self._read_code(self.fence, line)
            return
        line = self._without_comments(line)
        if not line.strip():
            self.after_blank, self.continuable = True, False
            return
        indent = len(line) - len(line.lstrip(" "))
        self._read_content(number, line.strip(), indent)
        self.after_blank = False

    def _read_content(self, number: int, content: str, indent: int) -> None:
        self.in_indented_code = self._is_indented_code(indent)
        if self.in_indented_code:
            self._count_code_box(content)
            return
        fence = _FENCE.match(content)
        if fence and ("`" not in fence.group(2) or fence.group(1)[0] == "~"):
            self._close_items_beyond(indent)
            self.fence, self.continuable = fence.group(1), False
            return
        heading = _HEADING.match(content) if indent <= 3 else None
        if heading:
            text = _CLOSING_HASHES.sub("", heading.group(2) or "")
            self.sections.append(_Section(text, len(heading.group(1)), number))
            self.open_items, self.continuable = [], False
            return
        item = _LIST_ITEM.match(content)
        if item and not _THEMATIC_BREAK.match(content):
            self._read_item(number, indent, content, item)
        elif self.continuable and indent > 0 and not self.after_blank:
            self._continue_item(content)
        else:
            self._close_items_beyond(indent)
            self.continuable = False

    def _close_items_beyond(self, indent: int) -> None:
        """A block starting left of an item's text is outside that item (and its list)."""
        while self.open_items and indent < self.open_items[-1].content_column:
            self.open_items.pop()

    def _read_item(self, number: int, indent: int, content: str, item: re.Match[str]) -> None:
        self._close_items_beyond(indent)
        depth = len(self.open_items)
        under_step = any(open_item.is_step for open_item in self.open_items)
        body = item.group(2) or ""
        box = _BOX.match(body)
        text = clean_text(box.group(2) or "") if box else clean_text(body)
        is_step = bool(box and text) or (under_step and bool(text))
        content_column = indent + (len(content) - len(body) if body else len(item.group(1)) + 1)
        self.open_items.append(_OpenItem(content_column, is_step))
        self.continuable = is_step
        if is_step:
            checked = bool(box and box.group(1) in "xX")
            self.sections[-1].items.append(TaskItem(text, number, checked, depth))

    def _continue_item(self, content: str) -> None:
        items = self.sections[-1].items
        last = items[-1]
        items[-1] = TaskItem(
            clean_text(f"{last.text} {content}"), last.line, last.checked, last.depth
        )

    def _is_indented_code(self, indent: int) -> bool:
        """Four columns past where the text would go, after a blank line or more code."""
        column = self.open_items[-1].content_column if self.open_items else 0
        return indent >= column + 4 and (self.after_blank or self.in_indented_code)

    def _read_code(self, fence: str, line: str) -> None:
        content = line.strip()
        if content.startswith(fence) and not content.strip(fence[0]):
            self.fence, self.after_blank = None, False
            return
        self._count_code_box(content)

    def _count_code_box(self, content: str) -> None:
        item = _LIST_ITEM.match(content)
        if item and _BOX.match(item.group(2) or ""):
            self.sections[-1].items_in_code += 1

    def _without_comments(self, line: str) -> str:
        """`line` with HTML comments removed, remembering one left open for the next lines."""
        kept: list[str] = []
        rest = line
        while rest:
            if self.in_comment:
                end = rest.find("-->")
                if end < 0:
                    return "".join(kept)
                rest, self.in_comment = rest[end + 3 :], False
            else:
                start = rest.find("<!--")
                if start < 0:
                    kept.append(rest)
                    break
                kept.append(rest[:start])
                rest, self.in_comment = rest[start + 4 :], True
        return "".join(kept)
