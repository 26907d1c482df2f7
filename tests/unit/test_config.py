from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import UsageError
from bot.policy.reading import load_policy

DESIGN_EXAMPLE = """
timezone: Europe/Berlin
announce_channel: incidents
channel_prefix: incident
severities:
  sev1: {aliases: [p0, critical], label: "SEV-1 Critical", respond_within: 15m, update_every: 15m}
  sev2: {aliases: [p1, high],     label: "SEV-2 High",     respond_within: 1h,  update_every: 30m}
escalation:
  - {after: 30m, notify: ["<!subteam^S0ENGMGRS>"]}
  - {after: 1h, severities: [sev1], notify: ["<@U0VPENG>"]}
approvals:
  approvers: ["U0ALICE", "S0SRELEADS"]
  self_approval: false
  expires_after: 15m
databases:
  rollout: {dsn_env: ROLLOUT_DATABASE_URL}
actions:
  kill:
    title: Emergency stop (kill switch)
    kind: sql
    database: rollout
    statement: UPDATE rollout_configuration SET emergency_stop = true WHERE feature_name = $1
    params: [{name: feature, pattern: "^[a-z0-9_]+$", default: hybrid_progressive_capture}]
alerts:
  routes:
    - match: {severity: critical}
      declare: sev1
      suggest: [kill]
"""


def test_the_design_example_policy_loads(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(DESIGN_EXAMPLE)
    policy = load_policy(path)
    assert policy.timezone == "Europe/Berlin"
    assert policy.severities.resolve("high").key == "sev2"
    assert policy.approvals.expires_after == timedelta(minutes=15)
    assert policy.actions["kill"].params[0].default == "hybrid_progressive_capture"


def test_no_policy_file_gives_the_runbook_defaults() -> None:
    policy = load_policy(None)
    assert [level.key for level in policy.severities.levels] == ["sev1", "sev2", "sev3", "sev4"]
    assert policy.severities.get("sev4").update_every == timedelta(hours=4)


def test_policy_errors_name_their_path(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(
        "timezone: Mars/Olympus\nseverities:\n  sev1: {label: X, respond_within: soon, update_every: 15m}\n"
    )
    with pytest.raises(UsageError) as caught:
        load_policy(path)
    assert caught.value.message.splitlines() == [
        f"{path}:1: timezone: unknown time zone 'Mars/Olympus' (use an IANA name like Europe/Berlin)",
        f"{path}:3: severities.sev1.respond_within: 'soon' is not a duration: write a number and a unit, e.g. 30s, 15m, 4h, 1d, 1w",
    ]


def test_secrets_never_show_in_settings_repr() -> None:
    settings = Settings(_env_file=None, slack_bot_token="xoxb-secret", slack_signing_secret="shh")  # type: ignore[call-arg]
    assert "xoxb-secret" not in repr(settings)
    assert "shh" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("routes", "problem"),
    [
        ('[{match_re: {service: "(api"}}]', "alerts.routes.0.match_re.service"),
        ("[{match: {a: b}}, {declare: sev9}]", "alerts.routes.1.declare: `sev9` is not a severity"),
        (
            "[{declare: sev1, suggest: [reboot]}]",
            "alerts.routes.0.suggest: 'reboot' is not one",
        ),
    ],
)
def test_alert_route_errors_name_their_path(tmp_path: Path, routes: str, problem: str) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(f"alerts:\n  routes: {routes}\n")
    with pytest.raises(UsageError) as caught:
        load_policy(path)
    assert problem in caught.value.message


def test_alert_routes_load_with_exact_and_regex_matchers(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(
        "alerts:\n  routes:\n    - {match: {severity: warning}, match_re: {service: 'pay.*'}, declare: p1}\n"
    )
    (route,) = load_policy(path).alerts.routes
    assert route.matches({"severity": "warning", "service": "payments"})
    assert not route.matches({"severity": "warning", "service": "api"})
