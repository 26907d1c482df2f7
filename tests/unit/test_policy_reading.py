"""Reading a policy file: every problem in one run, each at its file, line and full path."""

from pathlib import Path

import pytest

from bot.config import Policy
from bot.errors import UsageError
from bot.policy.reading import read_policy

EVERYTHING_WRONG = """\
timezone: Mars/Olympus
severities:
  sev1: {label: 3, respond_within: soon}
  sev2: {update_every: 10m}
alerts:
  routes:
    - {match: {severity: critical}, declare: sev0, suggest: [reboot]}
    - {declare: p0, suggest: [poke]}
actions:
  resolve: {title: Resolve it, kind: http, url: "https://deploy.example/resolve"}
  poke: {title: Poke, kind: sql, database: nowhere, statement: SELECT 1}
  kill: {approvals_required: 0}
"""


def _policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def test_field_and_cross_section_problems_are_reported_together(tmp_path: Path) -> None:
    path = _policy_file(tmp_path, EVERYTHING_WRONG)
    lines = [line.removeprefix(f"{path}:") for line in read_policy(path).lines()]
    assert lines == [
        "1: timezone: unknown time zone 'Mars/Olympus' (use an IANA name like Europe/Berlin)",
        "3: severities.sev1.label: Input should be a valid string",
        "3: severities.sev1.respond_within: 'soon' is not a duration: write a number and a unit, e.g. 30s, 15m, 4h, 1d, 1w",
        "7: alerts.routes.0.declare: `sev0` is not a severity. Use one of: sev2/p1/high | sev3/p2/medium | sev4/p3/low.",
        "7: alerts.routes.0.suggest: 'reboot' is not one of this policy's actions"
        " (partial-rollback, resume, pause-ingestion, resume-ingestion, rollback, resolve, poke)",
        "10: actions.resolve: 'resolve' is a built-in /incident subcommand: give the action another name",
        "11: actions.poke.database: 'nowhere' names no database of `databases` (rollout, scout)",
        "12: actions.kill.approvals_required: Input should be greater than or equal to 1",
    ]


def test_a_name_whose_entry_is_broken_is_not_reported_again_as_unknown(tmp_path: Path) -> None:
    """`p0` (sev1's alias) and `kill` exist; their entries' own problems are the whole story."""
    path = _policy_file(
        tmp_path,
        "severities:\n  sev1: {label: [x]}\nactions:\n  kill: {timeout: often}\n"
        "alerts:\n  routes: [{declare: p0, suggest: [kill]}]\n",
    )
    assert [line.split(": ")[1] for line in read_policy(path).lines()] == [
        "severities.sev1.label",
        "actions.kill.timeout",
    ]


def test_a_section_broken_as_a_whole_skips_only_the_rules_that_read_it(tmp_path: Path) -> None:
    path = _policy_file(
        tmp_path,
        "severities: [sev1]\nalerts:\n  routes: [{declare: sev9, suggest: [reboot]}]\n",
    )
    lines = read_policy(path).lines()
    assert [line.split(": ")[1] for line in lines] == ["severities", "alerts.routes.0.suggest"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("sevrities: {}\n", "1: sevrities: not a section of the policy (sections: timezone,"),
        ("approvals:\n  approver: [U0ALICE]\n", "2: approvals.approver: not a known key here"),
        ("severities:\n  replace: yes please\n", "2: severities.replace: must be true or false"),
        ("- timezone: UTC\n", "1: a policy is a mapping of sections"),
        (
            "escalation:\n  - {notify: [U0BOB]}\n",
            "2: escalation.0.after: is required",
        ),
    ],
)
def test_each_problem_names_its_line_and_path(tmp_path: Path, text: str, problem: str) -> None:
    path = _policy_file(tmp_path, text)
    (line,) = read_policy(path).lines()
    assert line.startswith(f"{path}:{problem}")


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = _policy_file(tmp_path, "timezone: UTC\nseverities:\n  sev1: {label: [unclosed\n")
    with pytest.raises(UsageError) as caught:
        read_policy(path)
    assert caught.value.message == (
        f"{path}:4:1: not valid YAML: while parsing a flow sequence started on line 3:"
        " expected ',' or ']', but got '<stream end>'"
    )
    assert "<unicode string>" not in caught.value.message


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"missing\.yaml: cannot read the policy file"):
        read_policy(tmp_path / "missing.yaml")


def test_an_empty_file_is_the_defaults(tmp_path: Path) -> None:
    reading = read_policy(_policy_file(tmp_path, "# nothing yet\n"))
    assert (reading.problems, reading.policy) == ((), Policy())
