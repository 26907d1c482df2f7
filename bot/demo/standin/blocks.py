"""Block Kit checks Slack applies to message payloads, so limits bite in tests, not in prod.

Slack rejects a bad layout with ``invalid_blocks`` and a list of JSON-pointer messages; the
aggregate ``msg_blocks_too_long`` limit is undocumented (about 13,000 characters of block text
has been observed) and approximated here.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterator

from bot.demo.standin.params import ApiError
from bot.demo.standin.state import JSON

MAX_BLOCKS = 50
MAX_TEXT = 40_000
MAX_BLOCKS_TEXT = 13_000
MESSAGE_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ID = 255
BLOCK_ID = 255
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
MARKDOWN_TEXT = 12_000
CHECKBOX_OPTIONS = 10
OPTION_TEXT = 75
OPTION_VALUE = 150


def validate_message(text: str | None, blocks: list[JSON] | None) -> None:
    """Raise the ApiError Slack would give for this text/blocks pair, if any."""
    if not text and not blocks:
        raise ApiError("no_text")
    if text and len(text) > MAX_TEXT:
        raise ApiError("msg_too_long")
    if blocks is None:
        return
    errors = list(_block_errors(blocks))
    if errors:
        raise ApiError(
            "invalid_blocks",
            errors=errors,
            response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
        )
    if sum(len(t) for t in _texts(blocks)) > MAX_BLOCKS_TEXT:
        raise ApiError("msg_blocks_too_long")


def with_block_ids(blocks: list[JSON]) -> list[JSON]:
    """Copy blocks, giving each a random block_id like Slack does when the sender left none."""
    out = copy.deepcopy(blocks)
    taken = {b.get("block_id") for b in out}
    for block in out:
        while "block_id" not in block:
            candidate = secrets.token_urlsafe(3)
            if candidate not in taken:
                block["block_id"] = candidate
                taken.add(candidate)
    return out


def _too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _check_text(obj: object, limit: int, pointer: str, *, plain: bool = False) -> Iterator[str]:
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        yield f"must provide an object [json-pointer:{pointer}]"
        return
    if plain and obj.get("type") != "plain_text":
        yield f"must be plain_text [json-pointer:{pointer}/type]"
    if not obj["text"]:
        yield f"must be more than 0 characters [json-pointer:{pointer}/text]"
    elif len(obj["text"]) > limit:
        yield _too_long(limit, f"{pointer}/text")


def _block_errors(blocks: list[JSON]) -> Iterator[str]:
    if len(blocks) > MAX_BLOCKS:
        yield f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"/blocks/{i}"
        kind = block.get("type")
        if kind not in MESSAGE_BLOCK_TYPES:
            yield f"unsupported type: {kind} [json-pointer:{at}/type]"
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if len(block_id) > BLOCK_ID:
                yield _too_long(BLOCK_ID, f"{at}/block_id")
            if block_id in seen:
                yield f"duplicate block_id [json-pointer:{at}/block_id]"
            seen.add(block_id)
        yield from _errors_for(kind, block, at)


def _errors_for(kind: str, block: JSON, at: str) -> Iterator[str]:
    if kind == "header":
        yield from _check_text(block.get("text"), HEADER_TEXT, f"{at}/text", plain=True)
    elif kind == "section":
        fields = block.get("fields")
        if "text" not in block and not fields:
            yield f"must provide text or fields [json-pointer:{at}]"
        if "text" in block:
            yield from _check_text(block["text"], SECTION_TEXT, f"{at}/text")
        if isinstance(fields, list):
            if len(fields) > SECTION_FIELDS:
                yield f"no more than {SECTION_FIELDS} items allowed [json-pointer:{at}/fields]"
            for j, item in enumerate(fields):
                yield from _check_text(item, FIELD_TEXT, f"{at}/fields/{j}")
        if isinstance(block.get("accessory"), dict):
            yield from _element_errors(block["accessory"], f"{at}/accessory")
    elif kind == "markdown":
        if not isinstance(block.get("text"), str) or len(block["text"]) > MARKDOWN_TEXT:
            yield _too_long(MARKDOWN_TEXT, f"{at}/text")
    elif kind in {"actions", "context"}:
        elements = block.get("elements")
        limit = ACTIONS_ELEMENTS if kind == "actions" else CONTEXT_ELEMENTS
        if not isinstance(elements, list) or not elements:
            yield f"must provide elements [json-pointer:{at}/elements]"
            return
        if len(elements) > limit:
            yield f"no more than {limit} items allowed [json-pointer:{at}/elements]"
        action_ids: set[str] = set()
        for j, element in enumerate(elements):
            if kind == "actions" and isinstance(element, dict):
                action_id = element.get("action_id")
                if isinstance(action_id, str) and action_id in action_ids:
                    yield f"duplicate action_id [json-pointer:{at}/elements/{j}/action_id]"
                action_ids.add(str(action_id))
                yield from _element_errors(element, f"{at}/elements/{j}")


def _element_errors(element: JSON, at: str) -> Iterator[str]:
    action_id = element.get("action_id")
    if isinstance(action_id, str) and len(action_id) > ACTION_ID:
        yield _too_long(ACTION_ID, f"{at}/action_id")
    if element.get("type") == "button":
        yield from _check_text(element.get("text"), BUTTON_TEXT, f"{at}/text", plain=True)
        value = element.get("value")
        if isinstance(value, str) and len(value) > BUTTON_VALUE:
            yield _too_long(BUTTON_VALUE, f"{at}/value")
    if element.get("type") == "checkboxes":
        yield from _checkboxes_errors(element, at)
    confirm = element.get("confirm")
    if isinstance(confirm, dict):
        yield from _check_text(confirm.get("title"), CONFIRM_TITLE, f"{at}/confirm/title")
        yield from _check_text(confirm.get("text"), CONFIRM_TEXT, f"{at}/confirm/text")


def _checkboxes_errors(element: JSON, at: str) -> Iterator[str]:
    options = element.get("options")
    if not isinstance(options, list) or not options:
        yield f"must provide options [json-pointer:{at}/options]"
        return
    if len(options) > CHECKBOX_OPTIONS:
        yield f"no more than {CHECKBOX_OPTIONS} items allowed [json-pointer:{at}/options]"
    for j, option in enumerate(options):
        yield from _check_text(option.get("text"), OPTION_TEXT, f"{at}/options/{j}/text")
        if "description" in option:
            where = f"{at}/options/{j}/description"
            yield from _check_text(option["description"], OPTION_TEXT, where)
        if len(str(option.get("value", ""))) > OPTION_VALUE:
            yield _too_long(OPTION_VALUE, f"{at}/options/{j}/value")
    for j, chosen in enumerate(element.get("initial_options") or []):
        if chosen not in options:
            yield f"must match one of the options [json-pointer:{at}/initial_options/{j}]"


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _elements(blocks: list[JSON]) -> Iterator[tuple[str, JSON]]:
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        if isinstance(block.get("accessory"), dict):
            yield block_id, block["accessory"]
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if isinstance(element, dict):
                yield block_id, element


def find_element(blocks: list[JSON], action_id: str) -> tuple[str, JSON]:
    """The interactive element with ``action_id`` and its block_id, for simulating a click."""
    for block_id, element in _elements(blocks):
        if element.get("action_id") == action_id:
            return block_id, element
    known = sorted(str(e.get("action_id")) for _, e in _elements(blocks))
    raise ValueError(f"no element with action_id {action_id!r}; the message has {known}")


def find_option(blocks: list[JSON], text: str) -> tuple[str, JSON, JSON]:
    """The checkboxes option whose text starts with ``text``, with its element and block_id."""
    for block_id, element in _elements(blocks):
        for option in element.get("options") or [] if element.get("type") == "checkboxes" else []:
            if str(option.get("text", {}).get("text", "")).startswith(text):
                return block_id, element, option
    raise ValueError(f"no checkbox option {text!r} in the message")
