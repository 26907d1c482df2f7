"""What a click on a checklist's checkboxes changes, and which checklists a moment posts."""

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.checklists import Item, Toggle, posted_on, toggles

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def items(*ticked: int, count: int = 4) -> list[Item]:
    return [
        Item(n, f"Item {n}", "U1" if n in ticked else None, T0 if n in ticked else None)
        for n in range(count)
    ]


def test_a_click_ticks_the_box_the_clicker_changed() -> None:
    assert toggles(items(), selected={2}, seen=set()) == [Toggle(2, checked=True)]


def test_a_click_drawn_before_someone_elses_tick_does_not_undo_it() -> None:
    # Item 1 was ticked by someone else after the clicker's message was drawn.
    assert toggles(items(1), selected={2}, seen=set()) == [Toggle(2, checked=True)]


def test_an_untick_clears_only_the_box_unticked() -> None:
    assert toggles(items(0, 3), selected={3}, seen={0, 3}) == [Toggle(0, checked=False)]


def test_a_tick_someone_made_already_changes_nothing() -> None:
    assert toggles(items(2), selected={2}, seen=set()) == []


def test_without_the_message_the_selection_is_read_against_the_stored_ticks() -> None:
    assert toggles(items(0), selected={1}, seen=None) == [
        Toggle(0, checked=False),
        Toggle(1, checked=True),
    ]


@dataclass(frozen=True)
class Declared:
    post_on: str
    severities: tuple[str, ...] | None = None


def test_declare_posts_the_checklists_of_the_incidents_severity() -> None:
    declared = {
        "sev1-response": Declared("declare", ("sev1",)),
        "everyone": Declared("declare"),
        "post-recovery": Declared("resolve"),
        "pre-rollback": Declared("request"),
    }
    assert posted_on(declared, "declare", "sev1") == ["sev1-response", "everyone"]
    assert posted_on(declared, "declare", "sev3") == ["everyone"]
    assert posted_on(declared, "resolve", "sev3") == ["post-recovery"]
