from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from bot.actions import Catalog, HttpPlan, SqlPlan
from bot.config import Policy, resolve_environment
from bot.domain.approval import Rule

ENV = {
    "ROLLOUT_DATABASE_URL": "postgresql://kill:pw@db/rollout",
    "DEPLOY_API_URL": "https://deploy.example",
    "DEPLOY_API_TOKEN": "tok-123",
    "UNRELATED": "not read",
}


def catalog(policy: Policy | None = None, env: dict[str, str] | None = None) -> Catalog:
    policy = policy or Policy()
    return Catalog(policy, resolve_environment(policy, ENV if env is None else env))


def test_the_shipped_policy_carries_the_runbooks_actions() -> None:
    assert sorted(Policy().actions) == [
        "kill",
        "partial-rollback",
        "pause-ingestion",
        "resume",
        "resume-ingestion",
        "rollback",
    ]
    assert Policy().approvals.approvers == ()


def test_only_the_variables_the_policy_names_are_resolved_and_kept_secret() -> None:
    resolved = resolve_environment(Policy(), ENV)
    assert sorted(resolved) == ["DEPLOY_API_TOKEN", "DEPLOY_API_URL", "ROLLOUT_DATABASE_URL"]
    assert all(isinstance(v, SecretStr) for v in resolved.values())
    assert "tok-123" not in repr(resolved)


def test_an_action_whose_variable_is_missing_is_unavailable_with_the_reason() -> None:
    found = catalog()
    assert found.get("kill").is_available
    assert not found.get("pause-ingestion").is_available
    assert found.get("pause-ingestion").reason == "SCOUT_DATABASE_URL is not set"
    assert catalog(env={}).get("rollback").reason == "DEPLOY_API_TOKEN, DEPLOY_API_URL are not set"


def test_a_sql_plan_binds_values_and_previews_them() -> None:
    entry = catalog().get("partial-rollback")
    plan = catalog().plan(entry, {"feature": "checkout", "percentage": "50"})
    assert isinstance(plan, SqlPlan)
    assert plan.args == ("checkout", "50")
    assert plan.preview.splitlines()[0] == "on database `rollout`:"
    assert plan.preview.splitlines()[-2:] == ["$1 = 'checkout'", "$2 = '50'"]
    assert "pw" not in plan.preview
    assert "pw" not in repr(plan)


def test_an_http_plan_shows_secrets_by_name_and_sends_their_values() -> None:
    entry = catalog().get("rollback")
    plan = catalog().plan(entry, {"service": "api", "version": None})
    assert isinstance(plan, HttpPlan)
    assert plan.preview == (
        "POST ${DEPLOY_API_URL}/services/api/rollback\n"
        "Authorization: Bearer ${DEPLOY_API_TOKEN}\n"
        '{"to_version": null}'
    )
    assert plan.url == "https://deploy.example/services/api/rollback"
    assert plan.headers == {"Authorization": "Bearer tok-123"}
    assert "tok-123" not in repr(plan)
    assert plan.masked("echo tok-123") == "echo ••••"


def test_per_action_approvals_override_the_policy() -> None:
    policy = Policy.model_validate(
        {
            "approvals": {"approvers": ["<!subteam^S0SRE>", "U0ALICE"], "expires_after": "5m"},
            "actions": {
                "kill": {
                    "title": "Kill",
                    "kind": "sql",
                    "database": "rollout",
                    "statement": "SELECT $1::text",
                    "params": [{"name": "feature"}],
                    "approvals_required": 2,
                }
            },
        }
    )
    entry = catalog(policy).get("kill")
    assert entry.rule == Rule(approvers=("S0SRE", "U0ALICE"), required=2, self_approval=False)
    assert entry.expires_after.total_seconds() == 300


@pytest.mark.parametrize(
    ("action", "problem"),
    [
        ({"kind": "sql", "database": "nope", "statement": "SELECT 1"}, "names no database"),
        ({"kind": "sql", "database": "rollout", "statement": "SELECT $2"}, "uses $2 but has 0"),
        ({"kind": "http", "url": "https://x/{service}"}, "placeholders name no param: service"),
        ({"kind": "http", "database": "rollout"}, "needs a url"),
        ({"kind": "sql", "database": "rollout"}, "needs a database and a statement"),
    ],
)
def test_a_broken_action_is_a_policy_error(action: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem.replace("$", r"\$")):
        Policy.model_validate({"actions": {"poke": {"title": "Poke", **action}}})


def test_an_action_cannot_take_a_built_in_subcommand_name() -> None:
    with pytest.raises(ValidationError, match="built-in /incident subcommand"):
        Policy.model_validate(
            {"actions": {"resolve": {"title": "x", "kind": "http", "url": "https://x"}}}
        )
