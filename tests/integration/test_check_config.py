"""`check-config` and `serve` as an operator runs them: what is printed, and the exit code."""

import subprocess
from pathlib import Path

from tests import cli

SLACK = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "0123abcd"}
TARGETS = {
    "ROLLOUT_DATABASE_URL": "postgresql://rollout",
    "SCOUT_DATABASE_URL": "postgresql://scout",
    "DEPLOY_API_URL": "https://deploy.example",
    "DEPLOY_API_TOKEN": "token",
}


def run_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """This checkout's CLI in a bare environment (no `.env` in `cwd`, only the variables given)."""
    return cli.run_cli(*args, cwd=cwd, env=env)


def test_a_clean_configuration_prints_the_policy_and_exits_0(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("timezone: Europe/Berlin\nannounce_channel: war-room\n")
    done = run_cli(tmp_path, "check-config", str(policy), **SLACK, **TARGETS)
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines() == [
        f"policy: {policy}, merged into the built-in defaults",
        "  severities: sev1/p0/critical | sev2/p1/high | sev3/p2/medium | sev4/p3/low",
        "  announce channel: #war-room; channels: incident-YYYYMMDD-NNN (Europe/Berlin)",
        "  escalation: after 30m, after 1h (sev1)",
        "  approvals: any member of the incident channel; 1 needed",
        "  actions: kill, partial-rollback, resume, pause-ingestion, resume-ingestion, rollback;"
        " alert routes: 0",
        "ok",
    ]


def test_warnings_only_exit_1(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("escalation:\n  - {after: 30m, notify: [oncall-team]}\n")
    done = run_cli(tmp_path, "check-config", str(policy), **SLACK, **TARGETS)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-2:] == [
        f"warning: {policy}:2: escalation.0.notify.0: 'oncall-team' pings nobody: write a user"
        " <@U…>, a user group <!subteam^S…> (or the bare id U…/S…), or <!here>",
        "1 warning",
    ]


def test_every_problem_is_told_at_once_and_exits_2(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "timezone: Nowhere/Land\n"
        "severities:\n  sev1: {label: X, update_every: often}\n"
        "alerts:\n  routes: [{declare: sev0, suggest: [reboot]}]\n"
    )
    done = run_cli(tmp_path, "check-config", str(policy), **TARGETS)
    assert done.returncode == 2
    problems = [line.split(": ")[:3] for line in done.stdout.splitlines()[:-1]]
    assert problems == [
        [
            "error",
            "SLACK_BOT_TOKEN is not set",
            "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
        ],
        [
            "error",
            "SLACK_SIGNING_SECRET is not set",
            "copy it from your app's Basic Information page (App Credentials → Signing Secret)",
        ],
        ["error", f"{policy}:1", "timezone"],
        ["error", f"{policy}:3", "severities.sev1.update_every"],
        ["error", f"{policy}:5", "alerts.routes.0.declare"],
        ["error", f"{policy}:5", "alerts.routes.0.suggest"],
    ]
    assert done.stdout.splitlines()[-1] == "6 errors"
    assert "Traceback" not in done.stderr


def test_show_prints_the_effective_policy_as_yaml(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("severities:\n  sev1: {update_every: 10m}\n")
    done = run_cli(tmp_path, "check-config", "--show", str(policy), **SLACK)
    assert done.returncode == 1  # the shipped actions' targets are unset: warnings
    assert "  sev1:\n    label: SEV-1 Critical\n" in done.stdout
    assert "    update_every: 10m\n  sev2:\n" in done.stdout
    assert "postgresql://" not in done.stdout
    assert done.stderr.splitlines()[-1] == "6 warnings"
    shown = tmp_path / "shown.yaml"
    shown.write_text(done.stdout)
    again = run_cli(tmp_path, "check-config", "--show", str(shown), **SLACK)
    assert again.stdout == done.stdout


def test_serve_with_an_empty_signing_secret_starts_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    done = run_cli(
        tmp_path,
        "serve",
        SLACK_BOT_TOKEN="xoxb-1-2-abc",
        DATA_DIR=str(data_dir),
        PORT="39999",  # never bound: the check comes first
        **TARGETS,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: SLACK_SIGNING_SECRET is not set: copy it from your app's Basic Information page"
        " (App Credentials → Signing Secret)"
    ]
    assert not data_dir.exists()  # no embedded PostgreSQL was started
    assert "bot_ready" not in done.stdout


def test_paging_names_known_severities_and_warns_of_unset_routing_keys(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "paging:\n"
        "  page_on: [sev1, sev0]\n"
        "  services:\n"
        "    payments: {routing_key_env: PAGERDUTY_PAYMENTS_KEY}\n"
    )
    done = run_cli(tmp_path, "check-config", str(policy), **SLACK, **TARGETS)
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"error: {policy}:2: paging.page_on: `sev0` is not a severity")
    assert (
        f"warning: {policy}:1: paging.routing_key_env: PAGERDUTY_ROUTING_KEY is not set:"
        " declaring a paging severity pages nobody"
    ) in lines
    assert (
        f"warning: {policy}:4: paging.services.payments.routing_key_env: PAGERDUTY_PAYMENTS_KEY"
        " is not set: `/incident page payments` is unavailable"
    ) in lines

    policy.write_text("paging:\n  page_on: [p0, high]\n")
    keyed = run_cli(
        tmp_path, "check-config", str(policy), PAGERDUTY_ROUTING_KEY="k", **SLACK, **TARGETS
    )
    assert keyed.returncode == 0, keyed.stdout


def test_an_export_whose_token_is_unset_is_a_warning(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "followups:\n"
        "  export:\n"
        "    github: {repo: acme/incidents}\n"
        "    jira: {url: 'https://acme.atlassian.net', project: OPS}\n"
    )
    done = run_cli(
        tmp_path, "check-config", str(policy), JIRA_USER="ops@acme.test", **SLACK, **TARGETS
    )
    assert done.returncode == 1, done.stdout
    lines = done.stdout.splitlines()
    assert any(
        "followups.export.github.token_env: GITHUB_TOKEN is not set: no GitHub issue" in line
        for line in lines
    ), lines
    assert any(
        "followups.export.jira.token_env: JIRA_API_TOKEN is not set" in line for line in lines
    )
    assert not any("JIRA_USER is not set" in line for line in lines)

    set_up = run_cli(
        tmp_path,
        "check-config",
        str(policy),
        GITHUB_TOKEN="ghp-x",
        JIRA_USER="ops@acme.test",
        JIRA_API_TOKEN="t",
        **SLACK,
        **TARGETS,
    )
    assert set_up.returncode == 0, set_up.stdout
