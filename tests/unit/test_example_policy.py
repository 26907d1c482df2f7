"""`examples/policy.yaml` passes `check-config` and says what `docs/policy.md` says it does, and
the doc names every key the policy accepts, so neither can silently fall behind the code."""

import re
import shutil
import subprocess
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from bot.config import (
    Action,
    Alerts,
    Approvals,
    Checklist,
    Database,
    EscalationStep,
    FollowupExport,
    Followups,
    GitHubExport,
    JiraExport,
    PagedService,
    Paging,
    Policy,
    Review,
    StatusPage,
    Targets,
)
from bot.domain.alert_routes import AlertRoute
from bot.domain.params import ActionParam
from bot.domain.severity import SeverityLevel
from bot.policy.reading import load_policy, read_policy
from tests import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "policy.yaml"
DOC = ROOT / "docs" / "policy.md"

SET_BY_THE_BOT = {SeverityLevel: {"key", "rank"}}
"""Fields a file does not write: a level's key is its name in the mapping, its rank its place."""


def check_config(path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`incident-bot check-config` as an operator runs it, with Slack's secrets and every
    variable the file names set (its actions' targets, routing keys, tokens), so only the file
    can complain."""
    names = Policy().environment_names() | read_policy(path).policy.environment_names()
    environment = {
        "SLACK_BOT_TOKEN": "xoxb-example",
        "SLACK_SIGNING_SECRET": "example-signing-secret",
        **{name: f"https://example.invalid/{name}" for name in names},
    }
    return cli.run_cli("check-config", str(path), cwd=cwd, env=environment)


def test_the_example_policy_passes_check_config_without_a_problem(tmp_path: Path) -> None:
    done = check_config(EXAMPLE, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "unavailable" not in done.stdout, done.stdout


def test_the_commented_out_github_export_passes_check_config_once_uncommented(
    tmp_path: Path,
) -> None:
    """An operator who uncomments `followups.export.github` gets a policy that works as is."""
    text, uncommented = EXAMPLE.read_text(), 0
    lines = []
    for line in text.splitlines():
        found = re.fullmatch(r"(\s*)# (export:|  github: .*)", line)
        lines.append(f"{found[1]}{found[2]}" if found else line)
        uncommented += found is not None
    assert uncommented == 2, "the example shows `export:` and its `github:` commented out"
    shutil.copytree(EXAMPLE.parent / "runbooks", tmp_path / "runbooks")
    edited = tmp_path / "policy.yaml"
    edited.write_text("\n".join(lines) + "\n")

    github = load_policy(edited).followups.export.github
    assert github is not None
    assert (github.repo, github.token_env) == ("acme/incidents", "GITHUB_TOKEN")
    done = check_config(edited, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in done.stdout.lower(), done.stdout


def test_the_example_carries_what_the_doc_says() -> None:
    policy = load_policy(EXAMPLE)
    assert [level.key for level in policy.severities.levels] == ["sev1", "sev2", "sev3", "sev4"]
    assert policy.severities.resolve("P0").update_every == timedelta(minutes=15)
    assert policy.severities.resolve("critical").respond_within == timedelta(minutes=15)
    assert policy.severities.resolve("low").update_every == timedelta(hours=4)
    assert policy.actions["kill"].approvals_required == 2
    assert policy.approvals.required == 1
    assert not policy.approvals.self_approval
    assert set(policy.actions) == set(Policy().actions), "every shipped action is written out"
    assert policy.actions["rollback"].kind == "http"
    assert {d.dsn_env for d in policy.databases.values()} == {
        "ROLLOUT_DATABASE_URL",
        "SCOUT_DATABASE_URL",
    }
    sev1_route = policy.alerts.routes[0]
    assert (sev1_route.declare, sev1_route.suggest) == ("sev1", ("kill",))
    pre_rollback = policy.checklists["pre-rollback"]
    assert pre_rollback.title == "Pre-Rollback Checklist"
    assert pre_rollback.items[:2] == ("Emergency backup created", "Rollback target identified")
    assert len(pre_rollback.items) == 12
    assert policy.actions["rollback"].requires == ("pre-rollback",)


def test_the_example_pings_people_as_slack_writes_them() -> None:
    policy = load_policy(EXAMPLE)
    targets = [target for step in policy.escalation for target in step.notify]
    assert targets
    for target in targets:
        assert re.fullmatch(r"<@U[A-Z0-9]+>|<!subteam\^S[A-Z0-9]+>", target), target


def test_the_example_writes_every_top_level_key_out() -> None:
    written = yaml.safe_load(EXAMPLE.read_text())
    assert set(written) == set(Policy.model_fields)


def _documented_names(markdown: str) -> set[str]:
    """Names in backticks that head a section (`## \\`key\\``) or open a table row (`| \\`key\\` |`)."""
    found = (re.match(r"^(?:#+|\|) `([a-z_]+)`(?: \||$)", line) for line in markdown.splitlines())
    return {match.group(1) for match in found if match}


def test_the_doc_names_every_top_level_key_of_the_policy() -> None:
    documented = _documented_names(DOC.read_text())
    assert set(Policy.model_fields) - documented == set()


@pytest.mark.parametrize(
    "model",
    [
        SeverityLevel,
        EscalationStep,
        Approvals,
        Database,
        Action,
        ActionParam,
        Alerts,
        AlertRoute,
        Checklist,
        Targets,
        Paging,
        PagedService,
        StatusPage,
        Followups,
        FollowupExport,
        GitHubExport,
        JiraExport,
        Review,
    ],
)
def test_the_doc_names_every_field_of_each_section(model: type[BaseModel]) -> None:
    documented = _documented_names(DOC.read_text())
    fields = {field.alias or name for name, field in model.model_fields.items()}
    assert fields - SET_BY_THE_BOT.get(model, set()) - documented == set()


def _yaml_blocks(markdown: str) -> list[str]:
    return [textwrap.dedent(block) for block in re.findall(r"```yaml\n(.*?)```", markdown, re.S)]


@pytest.mark.parametrize("number", range(len(_yaml_blocks(DOC.read_text()))))
def test_every_yaml_example_in_the_doc_is_a_policy_without_a_problem(
    number: int, tmp_path: Path
) -> None:
    """A reader copies the doc's examples: each must load, as written, with nothing to fix."""
    shutil.copytree(EXAMPLE.parent / "runbooks", tmp_path / "runbooks")
    policy = tmp_path / "policy.yaml"
    policy.write_text(_yaml_blocks(DOC.read_text())[number])
    assert read_policy(policy).lines() == []
