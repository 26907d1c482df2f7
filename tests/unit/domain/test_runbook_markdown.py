"""Reading a team's Markdown runbook for its checklists: headings, their own boxes, nothing else."""

from pathlib import Path

import pytest

from bot.domain.runbook_markdown import Runbook, heading_key, heading_title, parse_runbook, slug

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runbooks"
SHARED = Path("/work/shared/runbooks")


def _runbook(name: str) -> Runbook:
    return parse_runbook((FIXTURES / name).read_text(encoding="utf-8"))


def _texts(runbook: Runbook, heading: str) -> list[str]:
    (found,) = runbook.named(heading)
    return [item.text for item in found.items]


def test_a_heading_holds_its_own_boxes_in_every_list_style_cleaned() -> None:
    assert _texts(_runbook("rollback.md"), "Pre-Rollback Checklist") == [
        "Emergency backup created",
        "Rollback target identified",
        "Impact assessed",
        "Stakeholders notified",
        "Access credentials verified",
        "Rollback scripts tested and reviewed by a second engineer",
    ]


def test_ticked_boxes_are_marked_and_lines_are_the_files() -> None:
    (heading,) = _runbook("rollback.md").named("pre-rollback checklist")
    assert [(item.line, item.checked) for item in heading.items[:2]] == [(8, False), (9, True)]
    assert heading.items[5].checked


def test_boxes_in_code_blocks_and_comments_never_count_but_code_ones_are_noted() -> None:
    runbook = _runbook("rollback.md")
    everything = [item.text for heading in runbook.headings for item in heading.items]
    assert not [text for text in everything if "Hidden" in text or text.startswith("In ")]
    (checklist,) = runbook.named("Pre-Rollback Checklist")
    assert checklist.items_in_code == 3  # backtick fence, tilde fence, indented code
    (template,) = runbook.named("Template")
    assert (template.items, template.items_in_code) == ((), 1)


def test_a_heading_in_a_code_block_is_not_a_heading() -> None:
    titles = [heading.title for heading in _runbook("rollback.md").headings]
    assert "Action Items" not in titles
    assert "a heading-looking comment" not in titles


def test_nested_heading_items_are_its_own_and_nested_items_are_flattened_with_depth() -> None:
    (risk,) = _runbook("rollback.md").named("Risk Assessment")
    assert [(item.text, item.depth) for item in risk.items] == [
        ("Data loss risk evaluated", 0),
        ("Backups restorable", 1),
        ("Owner agrees", 1),
        ("Owner signed off", 2),
        ("Boxed under a plain bullet", 1),
    ]
    assert "Data loss risk evaluated" not in _texts(
        _runbook("rollback.md"), "Pre-Rollback Checklist"
    )


def test_code_spans_keep_their_underscores_and_closing_hashes_are_dropped() -> None:
    assert _texts(_runbook("rollback.md"), "Verification") == [
        "`__init__` imports cleanly",
        "Health check passes",
    ]


def test_an_unclosed_fence_runs_to_the_end_of_the_file() -> None:
    runbook = _runbook("unclosed.md")
    assert [heading.title for heading in runbook.headings] == ["Unclosed fence", "Before"]
    assert _texts(runbook, "Before") == ["Counted"]


def test_headings_are_kept_as_written_and_named_without_their_garbled_emoji() -> None:
    runbook = _runbook("rollback.md")
    (heading,) = runbook.named("#Pre-Rollback Checklist")
    assert heading.text == "âœ… Pre-Rollback Checklist"
    assert heading.title == "Pre-Rollback Checklist"
    assert runbook.named("## ✅ PRE-ROLLBACK checklist") == [heading]
    assert runbook.named("🚨 communication")[0].line == 41


@pytest.mark.parametrize(
    ("written", "title"),
    [
        ("üìã **Post-Incident** Procedures", "Post-Incident Procedures"),
        ("\uf8ffüìù Incident Documentation Template", "Incident Documentation Template"),
        (
            "Scout v5.2 - Production Rollback & Recovery Runbook üö®",
            "Scout v5.2 - Production Rollback & Recovery Runbook",
        ),
        ("Über die Lage", "Über die Lage"),
    ],
)
def test_a_title_drops_emoji_and_bold_markers_at_either_end(written: str, title: str) -> None:
    assert heading_title(written) == title
    assert heading_key(written) == title.casefold()


def test_a_slug_is_lowercase_words_joined_by_dashes() -> None:
    assert slug("Phase 1: Detection & Assessment (0-5 minutes)") == (
        "phase-1-detection-assessment-0-5-minutes"
    )
    assert slug("âœ… Pre-Rollback Checklist") == "pre-rollback-checklist"
    assert slug("🚨") == "checklist"


def test_a_duplicated_heading_is_found_twice_with_both_lines() -> None:
    assert [h.line for h in _runbook("duplicated.md").named("checks")] == [3, 11]


def test_closest_headings_answer_a_typo() -> None:
    closest = _runbook("rollback.md").closest("Pre-Rollbak Checklst")
    assert closest[0].title == "Pre-Rollback Checklist"


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared runbooks are not on this machine")
@pytest.mark.parametrize(
    ("name", "with_items"),
    [
        ("000_861132f92b04a4fd.txt", 3),
        ("001_4b526c0a739ea43a.txt", 7),
        ("002_9624156ae745e0e1.txt", 5),
        ("003_4d28a62c8336c92f.txt", 1),
        ("004_3cbdca95dc2bd8e4.txt", 3),
    ],
)
def test_the_five_runbooks_read_as_their_checklists(name: str, with_items: int) -> None:
    runbook = parse_runbook((SHARED / name).read_text(encoding="utf-8"))
    assert len([heading for heading in runbook.headings if heading.items]) == with_items
