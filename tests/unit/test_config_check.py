"""The one configuration check behind `check-config` and `serve`: errors, warnings, exit codes."""

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.config_check import check_configuration
from bot.domain.escalation import pings

ALL_TARGETS = {
    "ROLLOUT_DATABASE_URL": "postgresql://rollout",
    "SCOUT_DATABASE_URL": "postgresql://scout",
    "DEPLOY_API_URL": "https://deploy.example",
    "DEPLOY_API_TOKEN": "token",
}


def _settings(**values: Any) -> Settings:
    given: dict[str, Any] = {
        "slack_bot_token": "xoxb-1-2-abc",
        "slack_signing_secret": "0123abcd",
        "slack_app_token": None,
        "templates_dir": None,
        **values,
    }
    return Settings(_env_file=None, **given)  # type: ignore[call-arg]


def _check(
    tmp_path: Path,
    policy: str | None = None,
    environ: dict[str, str] | None = None,
    **settings: Any,
) -> list[str]:
    path = None
    if policy is not None:
        path = tmp_path / "policy.yaml"
        path.write_text(policy)
    findings = check_configuration(
        _settings(**settings), path, ALL_TARGETS if environ is None else environ
    )
    return [str(problem) for problem in findings.problems]


def test_a_clean_configuration_exits_0(tmp_path: Path) -> None:
    findings = check_configuration(_settings(), None, ALL_TARGETS)
    assert (findings.problems, findings.exit_code, findings.count()) == ((), 0, "ok")


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (
            {"slack_signing_secret": ""},
            "error: SLACK_SIGNING_SECRET is not set: copy it from your app's Basic Information page (App Credentials → Signing Secret)",
        ),
        (
            {"slack_bot_token": ""},
            "error: SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
        ),
        (
            {"slack_bot_token": "xoxp-user-token"},
            "error: SLACK_BOT_TOKEN does not start with xoxb-: it must be the Bot User OAuth Token from OAuth & Permissions",
        ),
        (
            {"slack_app_token": "xoxb-not-an-app-token"},
            "error: SLACK_APP_TOKEN does not start with xapp-: create an app-level token with connections:write under Basic Information → App-Level Tokens, or leave it empty to serve over HTTP",
        ),
    ],
)
def test_slack_settings_are_errors_that_say_where_to_find_the_value(
    tmp_path: Path, settings: dict[str, str], problem: str
) -> None:
    assert _check(tmp_path, **settings) == [problem]


def test_a_secret_never_shows_in_a_problem(tmp_path: Path) -> None:
    (problem,) = _check(tmp_path, slack_bot_token="xoxp-secret-value")
    assert "secret-value" not in problem


def test_warnings_only_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "escalation:\n"
        "  - {after: 30m, severities: [sev9, p1], notify: [oncall-team, U0ALICE, '<#C0OPS>']}\n"
    )
    findings = check_configuration(_settings(), path, {"SCOUT_DATABASE_URL": "postgresql://s"})
    # The shipped actions are not written in the file: no line of their own.
    assert [str(p).removeprefix(f"warning: {path}:") for p in findings.problems] == [
        "2: escalation.0.severities: 'sev9' is not a severity of this policy, so this step never fires for it"
        " (severities: sev1/p0/critical | sev2/p1/high | sev3/p2/medium | sev4/p3/low)",
        "2: escalation.0.notify.0: 'oncall-team' pings nobody: write a user <@U…>, a user group <!subteam^S…> (or the bare id U…/S…), or <!here>",
        "2: escalation.0.notify.2: '<#C0OPS>' pings nobody: write a user <@U…>, a user group <!subteam^S…> (or the bare id U…/S…), or <!here>",
        " actions.kill: ROLLOUT_DATABASE_URL is not set: the action is unavailable",
        " actions.partial-rollback: ROLLOUT_DATABASE_URL is not set: the action is unavailable",
        " actions.resume: ROLLOUT_DATABASE_URL is not set: the action is unavailable",
        " actions.rollback: DEPLOY_API_TOKEN, DEPLOY_API_URL are not set: the action is unavailable",
    ]
    assert (findings.exit_code, findings.count()) == (1, "7 warnings")


def test_errors_come_first_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("timezone: Nowhere\nescalation: [{after: 1h, notify: [ops]}]\n")
    findings = check_configuration(_settings(slack_signing_secret=""), path, ALL_TARGETS)
    assert [p.level for p in findings.problems] == ["error", "error", "warning"]
    assert (findings.policy, findings.exit_code, findings.count()) == (
        None,
        2,
        "2 errors, 1 warning",
    )


def test_an_unreadable_policy_is_one_error(tmp_path: Path) -> None:
    problems = _check(tmp_path, "severities: {sev1: [\n")
    assert len(problems) == 1
    assert problems[0].startswith(f"error: {tmp_path / 'policy.yaml'}:2:1: not valid YAML")


def test_a_missing_templates_dir_is_an_error(tmp_path: Path) -> None:
    assert _check(tmp_path, templates_dir=tmp_path / "nowhere") == [
        f"error: TEMPLATES_DIR {tmp_path / 'nowhere'} is not a folder"
    ]


def test_a_broken_template_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "declared.j2").write_text("{% if %}")
    (problem,) = _check(tmp_path, templates_dir=tmp_path)
    assert problem.startswith("error: declared.j2:1:")


@pytest.mark.parametrize(
    ("target", "is_ping"),
    [
        ("<@U0ALICE>", True),
        ("<@U0ALICE|alice>", True),
        ("U0ALICE", True),
        ("W0ENTERPRISE", True),
        ("<!subteam^S0SRE>", True),
        ("S0SRE", True),
        ("<!here>", True),
        ("@channel", True),
        ("oncall-team", False),
        ("@alice", False),
        ("<#C0OPS>", False),
        ("", False),
    ],
)
def test_a_notify_entry_pings_only_if_slack_would(target: str, is_ping: bool) -> None:
    assert pings(target) is is_ping
