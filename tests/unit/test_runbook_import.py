"""`incident-bot runbook import`: runbooks in, a pasteable `checklists:` fragment out, and on
stderr what was left out and why; run as an operator runs it."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.policy.reading import load_policy
from tests import cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "runbooks"
SHARED = Path("/work/shared/runbooks")


def run_import(*files: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return cli.run_cli("runbook", "import", *map(str, files), cwd=cwd, inherit=True)


def test_each_heading_with_items_becomes_a_checklist_named_by_its_slug(tmp_path: Path) -> None:
    done = run_import("tests/fixtures/runbooks/rollback.md")
    assert done.returncode == 0, done.stderr
    fragment = yaml.safe_load(done.stdout)["checklists"]
    assert list(fragment) == ["pre-rollback-checklist", "risk-assessment", "verification"]
    assert fragment["pre-rollback-checklist"]["title"] == "Pre-Rollback Checklist"
    assert fragment["pre-rollback-checklist"]["items"][-1] == (
        "Rollback scripts tested and reviewed by a second engineer"
    )
    assert fragment["verification"]["items"] == [
        "`__init__` imports cleanly",
        "Health check passes",
    ]
    assert (
        "  # from tests/fixtures/runbooks/rollback.md#Pre-Rollback Checklist (line 5)\n"
        "  pre-rollback-checklist:\n" in done.stdout
    )


def test_the_fragment_pasted_into_a_policy_passes_as_it_is(tmp_path: Path) -> None:
    done = run_import(FIXTURES / "rollback.md")
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(done.stdout)
    policy = load_policy(policy_file)
    assert policy.checklists["risk-assessment"].items[0] == "Data loss risk evaluated"


def test_skipped_headings_are_said_with_their_reason_on_stderr() -> None:
    done = run_import("tests/fixtures/runbooks/rollback.md")
    assert done.stderr.splitlines() == [
        "tests/fixtures/runbooks/rollback.md: 3 checklists",
        "  skipped line 1 'Rollback Runbook': no task items (its nested headings have them)",
        "  skipped line 41 'Communication': no task items",
        "  skipped line 45 'Template': only in a code block (1 box line(s), never counted)",
    ]


def test_a_duplicated_heading_gets_a_suffixed_name_and_a_warning() -> None:
    done = run_import("tests/fixtures/runbooks/duplicated.md")
    assert done.returncode == 0
    fragment = yaml.safe_load(done.stdout)["checklists"]
    assert list(fragment) == ["checks", "other", "checks-2"]
    assert fragment["checks-2"]["items"] == ["Second set item"]
    assert (
        "warning: tests/fixtures/runbooks/duplicated.md: 2 headings 'Checks' (lines 3 and 11)"
        in done.stderr
    )


def test_files_that_give_nothing_are_one_line_each_and_exit_2() -> None:
    done = run_import(
        "tests/fixtures/runbooks/latin1.txt", "nowhere.md", "tests/fixtures/runbooks/empty.md"
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: tests/fixtures/runbooks/latin1.txt: is not UTF-8 text (byte 0xe9 on line 3):"
        " save it as UTF-8",
        "error: nowhere.md: no such file",
        "error: tests/fixtures/runbooks/empty.md: no task items (`- [ ] …` lines) under any heading",
    ]


def test_some_files_working_prints_theirs_and_exits_1() -> None:
    done = run_import("nowhere.md", "tests/fixtures/runbooks/duplicated.md")
    assert done.returncode == 1
    assert list(yaml.safe_load(done.stdout)["checklists"]) == ["checks", "other", "checks-2"]
    assert "error: nowhere.md: no such file" in done.stderr


def test_items_past_slacks_limits_are_printed_and_warned_about(tmp_path: Path) -> None:
    runbook = tmp_path / "long.md"
    runbook.write_text("## Long\n- [ ] Short\n- [ ] " + "z" * 90 + ": " + "\n")
    done = run_import(runbook, cwd=tmp_path)
    assert yaml.safe_load(done.stdout)["checklists"]["long"]["items"][1] == "z" * 90 + ":"
    assert f"warning: {runbook}:3: item is 91 characters; a checklist item is at most 75" in (
        done.stderr
    )


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared runbooks are not on this machine")
def test_the_five_runbooks_give_every_checklist_they_hold(tmp_path: Path) -> None:
    copies = []
    for name in sorted(p.name for p in SHARED.glob("0*.txt")):
        shutil.copy(SHARED / name, tmp_path / name)
        copies.append(name)
    done = run_import(*copies, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    counts = [line for line in done.stderr.splitlines() if line.startswith("0")]
    assert [line.split(": ")[1] for line in counts] == [
        "3 checklists",
        "7 checklists",
        "5 checklists",
        "1 checklist",
        "3 checklists",
    ]
    fragment = yaml.safe_load(done.stdout)["checklists"]
    assert len(fragment) == 19
    assert fragment["sev-1-response-checklist"]["items"][0] == "Severity assessed and confirmed"
    assert "Decisions timestamped" in fragment["during-rollback-checklist"]["items"]
