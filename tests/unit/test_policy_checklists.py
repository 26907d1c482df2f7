"""A policy's checklists: items written out or read `from:` a runbook when the policy is read,
Slack's limits, and what they name elsewhere in the policy, each problem at its file:line."""

import shutil
from pathlib import Path

import pytest

from bot.domain.checklist_items import MAX_ITEM_LENGTH, MAX_ITEMS
from bot.policy.reading import load_policy, read_policy
from bot.policy.view import effective_yaml
from tests import cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "runbooks"


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """A policy's folder with the fixture runbooks under `runbooks/`."""
    shutil.copytree(FIXTURES, tmp_path / "runbooks")
    return tmp_path


def _write(folder: Path, text: str) -> Path:
    path = folder / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    """Each problem without the file name: `3: checklists.x.from: …`."""
    return [line.removeprefix(f"{path}:") for line in read_policy(path).lines()]


def test_from_reads_the_headings_items_and_title_relative_to_the_policy_file(
    policy_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(
        policy_dir,
        "checklists:\n  pre-rollback: {from: runbooks/rollback.md#Pre-Rollback Checklist}\n",
    )
    monkeypatch.chdir(tmp_path.parent)
    checklist = load_policy(path).checklists["pre-rollback"]
    assert checklist.title == "Pre-Rollback Checklist"
    assert checklist.items[0] == "Emergency backup created"
    assert len(checklist.items) == 6


def test_a_given_title_wins_over_the_heading_and_a_written_one_defaults_to_its_name(
    policy_dir: Path,
) -> None:
    path = _write(
        policy_dir,
        "checklists:\n"
        "  risk: {title: Risks first, from: 'runbooks/rollback.md#risk assessment'}\n"
        "  quick: {items: [Look around]}\n",
    )
    policy = load_policy(path)
    assert policy.checklists["risk"].title == "Risks first"
    assert policy.checklists["risk"].items[-1] == "Boxed under a plain bullet"
    assert (policy.checklists["quick"].title, policy.checklists["quick"].items) == (
        "quick",
        ("Look around",),
    )


def test_every_unusable_from_is_an_error_at_its_line(policy_dir: Path) -> None:
    path = _write(
        policy_dir,
        "checklists:\n"
        "  gone: {from: runbooks/missing.md#Checks}\n"
        "  latin: {from: 'runbooks/latin1.txt#Café checks'}\n"
        "  typo: {from: runbooks/rollback.md#Pre-Rollbak Checklst}\n"
        "  twice: {from: runbooks/duplicated.md#Checks}\n"
        "  code: {from: runbooks/rollback.md#Template}\n"
        "  nothing: {from: runbooks/empty.md#Nothing to tick}\n"
        "  no-heading: {from: runbooks/rollback.md}\n",
    )
    problems = _problems(path)
    assert problems[0].startswith("2: checklists.gone.from: runbooks/missing.md: no such file")
    assert problems[1] == (
        "3: checklists.latin.from: runbooks/latin1.txt: is not UTF-8 text (byte 0xe9 on line 3):"
        " save it as UTF-8"
    )
    assert problems[2].startswith(
        "4: checklists.typo.from: runbooks/rollback.md has no heading 'Pre-Rollbak Checklst';"
        " closest: 'Pre-Rollback Checklist' (line 5)"
    )
    assert problems[3] == (
        "5: checklists.twice.from: runbooks/duplicated.md has 2 headings 'Checks' (lines 3 and 11):"
        " rename one of them"
    )
    assert problems[4] == (
        "6: checklists.code.from: runbooks/rollback.md:45: 'Template' holds no task items"
        " (`- [ ] …` lines); its 1 box line(s) are in a code block, which never counts"
    )
    assert problems[5].startswith(
        "7: checklists.nothing.from: runbooks/empty.md:1: 'Nothing to tick' holds no task items"
    )
    assert problems[6].startswith("8: checklists.no-heading.from: 'runbooks/rollback.md': write")
    assert len(problems) == 7


def test_a_heading_whose_items_are_under_nested_headings_says_where_they_are(
    policy_dir: Path,
) -> None:
    (policy_dir / "runbooks" / "phases.md").write_text(
        "## Response\n\n### Phase 1\n- [ ] Detect\n\n### Phase 2\n- [ ] Contain\n"
    )
    path = _write(policy_dir, "checklists:\n  response: {from: runbooks/phases.md#Response}\n")
    (problem,) = _problems(path)
    assert problem.endswith(
        "nested in it, each its own checklist: 'Phase 1' (line 3), 'Phase 2' (line 6)"
    )


def test_items_and_from_together_or_neither_is_an_error(policy_dir: Path) -> None:
    path = _write(
        policy_dir,
        "checklists:\n"
        "  both: {items: [One], from: runbooks/rollback.md#Verification}\n"
        "  neither: {title: Nothing to do}\n",
    )
    assert _problems(path) == [
        "2: checklists.both: give `items` or `from`, not both",
        "3: checklists.neither: give its `items`, or `from: runbook.md#Heading` to read them",
    ]


def test_written_items_past_slacks_limits_are_refused_saying_the_limit(policy_dir: Path) -> None:
    too_many = "".join(f"\n      - Step {n}" for n in range(MAX_ITEMS + 1))
    long_item = "x" * (MAX_ITEM_LENGTH + 1)
    path = _write(
        policy_dir,
        f"checklists:\n  long:\n    items: [Fine, '{long_item}', '  ']\n  many:\n    items:{too_many}\n",
    )
    assert _problems(path) == [
        "3: checklists.long.items.1: is 76 characters; a checklist item is at most 75"
        " (Slack's limit for a checkbox): shorten it",
        "3: checklists.long.items.2: is empty",
        "5: checklists.many.items: holds 61 items; a checklist holds at most 60: split it",
    ]


def test_runbook_items_past_slacks_limits_are_refused_at_their_runbook_line(
    policy_dir: Path,
) -> None:
    lines = [f"- [ ] Step {n}" for n in range(MAX_ITEMS + 1)]
    lines[3] = "- [ ] " + "y" * 80
    (policy_dir / "runbooks" / "big.md").write_text("## Big\n" + "\n".join(lines) + "\n")
    path = _write(policy_dir, "checklists:\n  big: {from: runbooks/big.md#Big}\n")
    assert _problems(path) == [
        "2: checklists.big.from: runbooks/big.md:1: 'Big' holds 61 items; a checklist holds at"
        " most 60: split it",
        "2: checklists.big.from: runbooks/big.md:5: item is 80 characters; a checklist item is at"
        " most 75 (Slack's limit for a checkbox): shorten it",
    ]


def test_names_across_sections_must_exist(policy_dir: Path) -> None:
    path = _write(
        policy_dir,
        "checklists:\n"
        "  sev1-response: {items: [Commander assigned], post_on: declare, severities: [p0, sev9]}\n"
        "actions:\n"
        "  rollback: {requires: [sev1-response, pre-rollback]}\n"
        "targets:\n"
        "  sev1: {resolve: 4h}\n"
        "  p1: {resolve: 8h}\n"
        "  sev7: {resolve: 1d}\n",
    )
    assert _problems(path) == [
        "2: checklists.sev1-response.severities: `sev9` is not a severity."
        " Use one of: sev1/p0/critical | sev2/p1/high | sev3/p2/medium | sev4/p3/low.",
        "4: actions.rollback.requires: 'pre-rollback' is not one of this policy's checklists"
        " (sev1-response)",
        "7: targets.p1: 'p1' is an alias: write the severity, 'sev2'",
        "8: targets.sev7: 'sev7' is not a severity of this policy (sev1, sev2, sev3, sev4)",
    ]


def test_a_broken_checklist_still_exists_for_requires_and_hides_no_other(policy_dir: Path) -> None:
    path = _write(
        policy_dir,
        "checklists:\n"
        "  pre-rollback: {post_on: sometimes, items: [Backup made]}\n"
        "  other: {from: runbooks/missing.md#X}\n"
        "actions:\n"
        "  rollback: {requires: [pre-rollback, other]}\n",
    )
    problems = _problems(path)
    assert [problem.split(": ")[1] for problem in problems] == [
        "checklists.pre-rollback.post_on",
        "checklists.other.from",
    ]


def test_checklist_severities_are_loaded_as_severity_keys(policy_dir: Path) -> None:
    path = _write(
        policy_dir,
        "checklists:\n  sev1: {items: [Go], post_on: declare, severities: [p0, critical, sev2]}\n",
    )
    assert load_policy(path).checklists["sev1"].severities == ("sev1", "sev2")


def test_check_config_fails_on_a_missing_heading_naming_file_line_and_path(
    policy_dir: Path,
) -> None:
    path = _write(
        policy_dir,
        "checklists:\n"
        "  pre-rollback: {from: runbooks/rollback.md#Pre-Rollback Checklist}\n"
        "  during: {from: runbooks/rollback.md#During Rollback}\n",
    )
    done = cli.run_cli(
        "check-config",
        str(path),
        env={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "test-secret"},
        cwd=policy_dir,
    )
    assert done.returncode == 2
    assert (
        f"error: {path}:3: checklists.during.from: runbooks/rollback.md has no heading"
        " 'During Rollback'; closest:" in done.stdout
    )
    assert "pre-rollback" not in done.stdout.split("error:", 1)[1]


def test_the_shown_policy_writes_runbook_items_out_and_reads_back_alike(policy_dir: Path) -> None:
    path = _write(policy_dir, "checklists:\n  verify: {from: runbooks/rollback.md#Verification}\n")
    shown = policy_dir / "elsewhere" / "shown.yaml"
    shown.parent.mkdir()
    shown.write_text(effective_yaml(load_policy(path)))
    again = load_policy(shown).checklists["verify"]
    assert (again.title, again.items, again.source) == (
        "Verification",
        ("`__init__` imports cleanly", "Health check passes"),
        None,
    )
