"""`incident-bot doctor` against the Slack stand-in and a real PostgreSQL: each problem an
operator can have on the first day is one ✗ line naming it and its fix."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Policy
from bot.demo.sandbox import sandbox_settings
from bot.demo.standin import SlackStandIn
from bot.doctor import Check, diagnose, render
from bot.slack.scopes import BOT_SCOPES

ROOT = Path(__file__).resolve().parents[2]
GROUP = "S0APPROVERS"
DEPLOY_TOKEN = "deploy-t0ken-never-shown"
NOWHERE_DSN = "postgresql://bot:hunter2-never-shown@127.0.0.1:1/rollout"


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as standin:
        standin.add_user("alice")
        standin.add_usergroup(GROUP, ["alice"])
        standin.add_channel("incidents", members=["alice", "incident-bot"])
        yield standin


@pytest.fixture
def environ(slack: SlackStandIn, migrated: str) -> dict[str, str]:
    """Every action's variables set, each target answering: the runbook databases are the test
    database, the deploy API is the stand-in's host."""
    return {
        "ROLLOUT_DATABASE_URL": migrated,
        "SCOUT_DATABASE_URL": migrated,
        "DEPLOY_API_URL": slack.base_url,
        "DEPLOY_API_TOKEN": DEPLOY_TOKEN,
    }


def _policy(slack: SlackStandIn, **changes: object) -> Policy:
    alice = slack.resolve_user("alice")
    return Policy.model_validate({"approvals": {"approvers": [GROUP, alice]}, **changes})


async def _doctor(
    slack: SlackStandIn, migrated: str, environ: dict[str, str], **settings: object
) -> list[Check]:
    checks = await diagnose(
        sandbox_settings(slack, database_url=migrated, **settings), _policy(slack), environ
    )
    report = render(checks)
    assert DEPLOY_TOKEN not in report
    assert "hunter2" not in report
    return checks


def _failures(checks: list[Check]) -> list[str]:
    return [check.line() for check in checks if not check.ok]


async def test_a_healthy_workspace_passes_every_check(
    slack: SlackStandIn, migrated: str, environ: dict[str, str]
) -> None:
    checks = await _doctor(slack, migrated, environ)
    assert _failures(checks) == []
    lines = render(checks).splitlines()
    assert lines[0].startswith("✓ Slack: token valid for workspace Stand-in")
    assert "✓ announce channel #incidents exists and the bot is a member" in lines
    assert f"✓ approver group {GROUP} resolves to 1 member(s)" in lines
    assert any(line.startswith("✓ database rollout (actions kill,") for line in lines)
    assert any(line.startswith("✓ action rollback: 127.0.0.1:") for line in lines)
    assert lines[-1] == f"all {len(checks)} checks pass"


async def test_a_token_missing_a_scope_is_named_with_the_reinstall(
    slack: SlackStandIn, migrated: str, environ: dict[str, str]
) -> None:
    slack.add_token("xoxb-partial", BOT_SCOPES - {"usergroups:read"})
    checks = await _doctor(slack, migrated, environ, slack_bot_token="xoxb-partial")
    failures = _failures(checks)
    assert failures[0].startswith("✗ the token lacks scopes the manifest asks for: usergroups:read")
    assert "reinstall the app after adding them" in failures[0]
    assert failures[1] == (
        f"✗ approver {GROUP} does not resolve (missing_scope)"
        " — the token lacks a scope: see the scopes line above"
    )
    assert len(failures) == 2


async def test_a_missing_announce_channel_is_named_with_how_to_make_it(
    slack: SlackStandIn, migrated: str, environ: dict[str, str]
) -> None:
    incidents = slack.channel("incidents")
    assert incidents is not None
    incidents.name = "old-incidents"
    assert _failures(await _doctor(slack, migrated, environ)) == [
        "✗ announce channel #incidents does not exist (or is private without the bot)"
        " — create #incidents and type /invite @incident-bot in #incidents,"
        " or set announce_channel in the policy"
    ]


async def test_an_announce_channel_without_the_bot_says_invite_it(
    slack: SlackStandIn, migrated: str, environ: dict[str, str]
) -> None:
    incidents = slack.channel("incidents")
    assert incidents is not None
    incidents.members.discard(slack.bot_user_id)
    assert _failures(await _doctor(slack, migrated, environ)) == [
        "✗ the bot is not a member of the announce channel #incidents"
        " — type /invite @incident-bot in #incidents"
    ]


async def test_unknown_approvers_are_named(
    slack: SlackStandIn, migrated: str, environ: dict[str, str]
) -> None:
    slack.usergroups.pop(GROUP)
    failures = _failures(await _doctor(slack, migrated, environ))
    assert failures == [
        f"✗ approver {GROUP} does not resolve (no_such_subteam) — check the id in the policy"
        " (users start with U or W, groups with S)"
    ]


async def test_unreachable_and_unconfigured_action_targets_are_named(
    slack: SlackStandIn, migrated: str, environ: dict[str, str]
) -> None:
    environ |= {"ROLLOUT_DATABASE_URL": NOWHERE_DSN, "DEPLOY_API_URL": "http://127.0.0.1:1/v1"}
    del environ["SCOUT_DATABASE_URL"]
    failures = _failures(await _doctor(slack, migrated, environ))
    assert len(failures) == 3
    assert failures[0].startswith(
        "✗ database rollout (actions kill, partial-rollback, resume) at 127.0.0.1:1 does not answer"
    )
    assert failures[0].endswith(
        "— check ROLLOUT_DATABASE_URL and that the database accepts connections from here"
    )
    assert failures[1] == (
        "✗ database scout (actions pause-ingestion, resume-ingestion): SCOUT_DATABASE_URL is not"
        " set — set SCOUT_DATABASE_URL to the database's DSN"
    )
    assert failures[2] == (
        "✗ action rollback: 127.0.0.1:1 does not answer (ClientConnectorError)"
        " — check DEPLOY_API_URL and that 127.0.0.1:1 is reachable from here"
    )


async def test_an_unreachable_bot_database_is_named_by_host(
    slack: SlackStandIn, environ: dict[str, str]
) -> None:
    failures = _failures(await _doctor(slack, NOWHERE_DSN, environ))
    assert len(failures) == 1
    assert failures[0].startswith("✗ PostgreSQL (DATABASE_URL, 127.0.0.1:1) does not answer")


async def _run_cli(tmp_path: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """`incident-bot doctor` in a process of its own, in a folder without a `.env`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "doctor",
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return int(process.returncode or 0), out.decode(), err.decode()


async def test_the_command_exits_0_when_all_is_well(
    slack: SlackStandIn, migrated: str, environ: dict[str, str], tmp_path: Path
) -> None:
    settings = {"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_API_URL": slack.api_url}
    code, out, err = await _run_cli(tmp_path, {**environ, **settings, "DATABASE_URL": migrated})
    assert (code, err) == (0, "")
    assert "✗" not in out
    assert out.splitlines()[-1].startswith("all ")
    assert DEPLOY_TOKEN not in out


async def test_the_command_says_in_one_line_that_slack_is_unreachable(
    migrated: str, environ: dict[str, str], tmp_path: Path
) -> None:
    nowhere = "http://127.0.0.1:1/api/"
    settings = {"SLACK_BOT_TOKEN": "xoxb-anything", "SLACK_API_URL": nowhere}
    code, out, err = await _run_cli(tmp_path, {**environ, **settings, "DATABASE_URL": migrated})
    assert code == 1
    assert out.splitlines()[0] == (
        f"✗ Slack is unreachable at {nowhere} (unreachable)"
        " — check the network or proxy from here to Slack, and SLACK_API_URL"
    )
    assert sum(line.startswith("✗") for line in out.splitlines()) == 1
    assert "Traceback" not in out + err


async def test_an_unset_bot_token_is_one_line_saying_where_to_find_it(
    slack: SlackStandIn, migrated: str, environ: dict[str, str]
) -> None:
    failures = _failures(await _doctor(slack, migrated, environ, slack_bot_token=""))
    assert failures == [
        "✗ SLACK_BOT_TOKEN is not set — copy the Bot User OAuth Token (xoxb-…) from your app's"
        " OAuth & Permissions page into SLACK_BOT_TOKEN"
    ]
    assert slack.calls == []
