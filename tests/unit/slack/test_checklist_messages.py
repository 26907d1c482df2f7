"""The checklist message: ten options to an element, Slack's text limits kept, ticks described."""

from datetime import UTC, datetime

from bot.config import Policy
from bot.domain.checklists import Checklist, Item
from bot.slack.checklist_messages import ChecklistMessages
from bot.slack.templates import Templates

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
MESSAGES = ChecklistMessages(Templates(Policy().tz))


def checklist(texts: list[str], ticked: frozenset[int] = frozenset()) -> Checklist:
    items = tuple(
        Item(n, text, "U1" if n in ticked else None, T0 if n in ticked else None)
        for n, text in enumerate(texts)
    )
    return Checklist(1, 1, "long", "Long list", "request", "C1", "1.0", False, 3, T0, items)


def test_sixty_items_go_ten_to_an_element_each_in_its_own_block() -> None:
    blocks = MESSAGES.message(
        checklist([f"Step {n}" for n in range(60)], frozenset({55}))
    ).block_dicts()
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(b["elements"][0]["options"]) for b in actions] == [10] * 6
    assert [b["block_id"] for b in actions][:2] == ["checklist:1:0:3", "checklist:1:1:3"]
    assert actions[5]["elements"][0]["initial_options"][0]["value"] == "55"
    assert blocks[0]["text"]["text"] == "Long list — 1/60"


def test_a_long_item_is_cut_to_slacks_75_characters_and_a_tick_says_who_and_when() -> None:
    blocks = MESSAGES.message(checklist(["x" * 500], frozenset({0}))).block_dicts()
    option = blocks[-1]["elements"][0]["options"][0]
    assert len(option["text"]["text"]) == 75
    assert option["description"]["text"] == "✓ <@U1> · 09:30 UTC"
