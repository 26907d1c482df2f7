"""Reading `component=state` words, and telling a status out of order."""

import pytest

from bot.domain.statements import (
    ComponentChange,
    ComponentState,
    PublicStatus,
    components_text,
    out_of_order,
    read_change,
    read_components_text,
)
from bot.errors import UsageError

S = PublicStatus


def test_a_short_state_reads_as_statuspage_s_word() -> None:
    assert read_change("Checkout=major") == ComponentChange("checkout", ComponentState.MAJOR_OUTAGE)
    assert read_change("api=degraded_performance") == ComponentChange(
        "api", ComponentState.DEGRADED_PERFORMANCE
    )


@pytest.mark.parametrize("word", ["Payments", "=major", "fail", ""])
def test_a_word_that_is_not_name_equals_state_is_not_a_change(word: str) -> None:
    assert read_change(word) is None


def test_an_unknown_state_is_refused_with_statuspage_s_words() -> None:
    with pytest.raises(UsageError, match="under_maintenance"):
        read_change("checkout=broken")


def test_changes_survive_the_trip_through_an_approval_parameter() -> None:
    changes = (
        ComponentChange("checkout", ComponentState.MAJOR_OUTAGE),
        ComponentChange("api", ComponentState.OPERATIONAL),
    )
    assert read_components_text(components_text(changes)) == changes
    assert read_components_text(None) == ()


@pytest.mark.parametrize(
    ("previous", "new"),
    [
        (None, S.INVESTIGATING),
        (S.INVESTIGATING, S.INVESTIGATING),
        (S.INVESTIGATING, S.MONITORING),
        (S.MONITORING, S.RESOLVED),
    ],
)
def test_in_order_says_nothing(previous: PublicStatus | None, new: PublicStatus) -> None:
    assert out_of_order(previous, new) is None


@pytest.mark.parametrize(
    ("previous", "new", "why"),
    [
        (None, S.MONITORING, "the page has shown nothing yet"),
        (S.MONITORING, S.INVESTIGATING, "goes back to `investigating`"),
        (S.RESOLVED, S.IDENTIFIED, "reopens the public incident"),
    ],
)
def test_out_of_order_says_why(previous: PublicStatus | None, new: PublicStatus, why: str) -> None:
    assert why in (out_of_order(previous, new) or "")
