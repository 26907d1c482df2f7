from datetime import UTC, datetime, timedelta

import pytest

from bot.config import EscalationStep
from bot.domain.escalation import Firing, applies, deadline, escalation_plan, mention_of, mentions
from bot.domain.severity import default_severity_policy

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LEVELS = default_severity_policy()
STEPS = (
    EscalationStep.model_validate({"after": "30m", "notify": ["<!subteam^S0ENGMGRS>"]}),
    EscalationStep.model_validate({"after": "1h", "severities": ["sev1"], "notify": ["U0VPENG"]}),
)


def test_every_step_applies_to_sev1() -> None:
    assert escalation_plan(STEPS, LEVELS.get("sev1"), T0, T0) == [
        Firing(0, T0 + timedelta(minutes=30)),
        Firing(1, T0 + timedelta(hours=1)),
    ]


def test_a_step_limited_to_sev1_skips_sev2() -> None:
    assert escalation_plan(STEPS, LEVELS.get("sev2"), T0, T0) == [
        Firing(0, T0 + timedelta(minutes=30))
    ]


def test_a_step_whose_time_passed_before_a_regrade_is_due_at_once() -> None:
    later = T0 + timedelta(minutes=70)
    assert escalation_plan(STEPS, LEVELS.get("sev1"), T0, later)[1] == Firing(1, later)


def test_steps_may_name_severities_by_alias() -> None:
    assert applies(["P0"], LEVELS.get("sev1"))
    assert not applies(["critical"], LEVELS.get("sev2"))
    assert applies(None, LEVELS.get("sev4"))


def test_the_respond_within_deadline_counts_from_declaration() -> None:
    assert deadline(T0, timedelta(minutes=15), T0) == T0 + timedelta(minutes=15)
    assert deadline(T0, timedelta(minutes=15), T0 + timedelta(hours=1)) == T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    ("target", "written"),
    [
        ("<!subteam^S0ENGMGRS>", "<!subteam^S0ENGMGRS>"),
        ("<@U0VPENG>", "<@U0VPENG>"),
        ("U0VPENG", "<@U0VPENG>"),
        ("S0SRELEADS", "<!subteam^S0SRELEADS>"),
        ("@here", "<!here>"),
        ("<https://evil.example|on-call>", "&lt;https://evil.example|on-call&gt;"),
        ("the on-call manager", "the on-call manager"),
    ],
)
def test_notify_targets_become_mentions_and_anything_else_stays_text(
    target: str, written: str
) -> None:
    assert mention_of(target) == written


def test_mentions_are_joined_by_spaces() -> None:
    assert mentions(["U0A", "S0B", " "]) == "<@U0A> <!subteam^S0B>"
