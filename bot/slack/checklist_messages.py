"""A runbook checklist as one Slack message: Block Kit checkboxes, re-drawn from its rows.

The header carries the progress (`Pre-Rollback Checklist — 4/11`); each ticked item says who
ticked it and when in its option's description. Slack allows 10 options to a checkboxes
element, so the items go 10 to an actions block. A block's id names the checklist, the element
and the revision: each re-draw has new block ids, so Slack's clients draw the new ticks instead
of keeping the boxes as they were clicked.
"""

import re
from collections.abc import Sequence
from typing import Any

from bot.domain.checklists import Checklist, Item, Progress
from bot.slack.messages import MAX_FALLBACK_TEXT, MAX_HEADER, SlackMessage, build_message, truncate
from bot.slack.templates import Templates

TICK = "checklist.tick"
"""The action id of a checklist's checkboxes element is `checklist.tick.<element>`."""
TICK_ACTION = re.compile(rf"^{re.escape(TICK)}\.\d+$")
BLOCK_ID = re.compile(r"^checklist:(?P<checklist>\d+):(?P<element>\d+):\d+$")
"""`checklist:<id>:<element>:<revision>`."""
MAX_OPTION_TEXT = 75
"""Slack's limit on an option's text and on its description."""


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def block_id(checklist: Checklist, element: int) -> str:
    return f"checklist:{checklist.id}:{element}:{checklist.revision}"


class ChecklistMessages:
    def __init__(self, templates: Templates) -> None:
        self.templates = templates

    def message(self, checklist: Checklist, *, is_closed: bool = False) -> SlackMessage:
        """The checklist as it stands.

        Its blocks are written as dicts, not slack_sdk models: a re-draw per click, and the
        models' `to_dict()` validation took 11 ms for 50 items, more than the click's ack may
        take. The limits it would check are kept here: 10 options to an element, option texts
        and descriptions cut to 75 characters, the header to 150."""
        header = self.templates.render("checklist_header.txt.j2", checklist=checklist)
        context = build_message(
            self.templates.render("checklist.mrkdwn.j2", checklist=checklist, is_closed=is_closed)
        )
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": _plain(truncate(header, MAX_HEADER))},
            *context.block_dicts(),
            *(
                self._element(checklist, index, items)
                for index, items in enumerate(checklist.elements)
            ),
        ]
        lines = [f"{'☑' if i.is_checked else '☐'} {i.text}" for i in checklist.items]
        text = truncate("\n".join([header, *lines]), MAX_FALLBACK_TEXT)
        return SlackMessage(text=text, recorded_blocks=blocks)

    def _element(self, checklist: Checklist, index: int, items: Sequence[Item]) -> dict[str, Any]:
        ticked_by = iter(self._ticked_by([item for item in items if item.is_checked]))
        options = [
            self._option(item, next(ticked_by) if item.is_checked else None) for item in items
        ]
        element: dict[str, Any] = {
            "type": "checkboxes",
            "action_id": f"{TICK}.{index}",
            "options": options,
        }
        ticked = [option for option, item in zip(options, items, strict=True) if item.is_checked]
        if ticked:
            element["initial_options"] = ticked
        return {"type": "actions", "block_id": block_id(checklist, index), "elements": [element]}

    def _ticked_by(self, ticked: Sequence[Item]) -> list[str]:
        """Who ticked each item and when, one line per item, from one render for the element
        (a render per item was most of a re-draw's cost)."""
        if not ticked:
            return []
        said = self.templates.render("checklist_ticked.mrkdwn.j2", items=ticked)
        lines = [line.strip() for line in said.strip("\n").split("\n")]
        return lines + [""] * (len(ticked) - len(lines))

    def _option(self, item: Item, ticked_by: str | None) -> dict[str, Any]:
        option: dict[str, Any] = {
            "text": _plain(truncate(item.text, MAX_OPTION_TEXT)),
            "value": str(item.position),
        }
        if ticked_by is not None:
            option["description"] = {"type": "mrkdwn", "text": truncate(ticked_by, MAX_OPTION_TEXT)}
        return option

    def listing(self, lines: Sequence[Progress]) -> SlackMessage:
        """`/incident checklist`: each of the policy's checklists with its progress."""
        return build_message(self.templates.render("checklist_list.mrkdwn.j2", lines=lines))

    def already_posted(self, checklist: Checklist, link: str | None) -> SlackMessage:
        return build_message(
            self.templates.render(
                "checklist_already_posted.mrkdwn.j2", checklist=checklist, link=link
            )
        )

    def closed(self, checklist: Checklist) -> SlackMessage:
        return build_message(
            self.templates.render("checklist_closed.mrkdwn.j2", checklist=checklist)
        )
