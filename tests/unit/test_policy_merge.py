"""Overrides merge into the defaults; `replace: true` replaces; `--show` writes the result back."""

from datetime import timedelta
from pathlib import Path

from bot.config import Policy
from bot.policy.reading import load_policy, read_policy
from bot.policy.view import effective_yaml

SHIPPED_ACTIONS = [
    "kill",
    "partial-rollback",
    "resume",
    "pause-ingestion",
    "resume-ingestion",
    "rollback",
]


def _load(tmp_path: Path, text: str) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return load_policy(path)


def test_one_severity_changes_that_one_and_keeps_the_others(tmp_path: Path) -> None:
    policy = _load(tmp_path, "severities:\n  sev1: {update_every: 10m}\n")
    assert [level.key for level in policy.severities.levels] == ["sev1", "sev2", "sev3", "sev4"]
    sev1 = policy.severities.get("sev1")
    assert (sev1.update_every, sev1.respond_within, sev1.label) == (
        timedelta(minutes=10),
        timedelta(minutes=15),
        "SEV-1 Critical",
    )
    assert policy.severities.resolve("p0").key == "sev1"


def test_a_new_severity_goes_after_the_defaults(tmp_path: Path) -> None:
    policy = _load(
        tmp_path,
        "severities:\n  sev5: {label: SEV-5 Cosmetic, respond_within: 1d, update_every: 1d}\n",
    )
    assert policy.severities.usage == (
        "sev1/p0/critical | sev2/p1/high | sev3/p2/medium | sev4/p3/low | sev5"
    )


def test_replace_true_replaces_the_defaults_wholly(tmp_path: Path) -> None:
    policy = _load(
        tmp_path,
        "severities:\n  replace: true\n"
        "  major: {label: Major, respond_within: 30m, update_every: 30m}\n"
        "  minor: {label: Minor, respond_within: 1d, update_every: 1d}\n"
        "actions: {replace: true}\ndatabases: {replace: true}\n",
    )
    assert (policy.severities.usage, policy.actions, policy.databases) == ("major | minor", {}, {})


def test_an_actions_block_keeps_the_shipped_actions(tmp_path: Path) -> None:
    policy = _load(
        tmp_path,
        "actions:\n  purge-cache: {title: Purge the CDN cache, kind: http, url: 'https://cdn.example/purge'}\n",
    )
    assert list(policy.actions) == [*SHIPPED_ACTIONS, "purge-cache"]


def test_an_action_without_kind_changes_only_the_fields_it_names(tmp_path: Path) -> None:
    kill = _load(tmp_path, "actions:\n  kill: {approvals_required: 2}\n").actions["kill"]
    assert kill.approvals_required == 2
    assert kill.statement == Policy().actions["kill"].statement
    assert kill.verify == Policy().actions["kill"].verify


def test_an_action_with_kind_is_a_whole_new_definition(tmp_path: Path) -> None:
    kill = _load(
        tmp_path,
        "actions:\n  kill:\n    title: Stop\n    kind: sql\n    database: rollout\n"
        "    statement: UPDATE flags SET on = false\n",
    ).actions["kill"]
    assert (kill.statement, kill.verify, kill.params) == ("UPDATE flags SET on = false", None, ())


def test_a_database_is_merged_by_name(tmp_path: Path) -> None:
    policy = _load(
        tmp_path, "databases:\n  rollout: {dsn_env: FLAGS_DSN}\n  audit: {dsn_env: AUDIT_DSN}\n"
    )
    assert {name: db.dsn_env for name, db in policy.databases.items()} == {
        "rollout": "FLAGS_DSN",
        "scout": "SCOUT_DATABASE_URL",
        "audit": "AUDIT_DSN",
    }


def test_lists_replace_as_a_whole(tmp_path: Path) -> None:
    policy = _load(tmp_path, "escalation:\n  - {after: 2h, notify: [U0BOSS]}\n")
    assert [(step.after, step.notify) for step in policy.escalation] == [
        (timedelta(hours=2), ("U0BOSS",))
    ]


def test_the_shown_policy_reads_back_as_the_same_policy(tmp_path: Path) -> None:
    policy = _load(
        tmp_path,
        "timezone: Europe/Berlin\nseverities:\n  replace: true\n"
        "  sev1: {label: Only, aliases: [p0], respond_within: 90s, update_every: 1d}\n"
        "actions:\n  kill: {approvals_required: 2}\n"
        "alerts:\n  routes: [{match_re: {service: 'pay.*'}, declare: p0, suggest: [rollback]}]\n",
    )
    shown = effective_yaml(policy)
    assert "update_every: 1d" in shown
    assert "Bearer ${DEPLOY_API_TOKEN}" in shown
    path = tmp_path / "shown.yaml"
    path.write_text(shown)
    reading = read_policy(path)
    assert (reading.problems, reading.policy) == ((), policy)


def test_the_shown_defaults_read_back_as_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "shown.yaml"
    path.write_text(effective_yaml(Policy()))
    assert load_policy(path) == Policy()
