import pytest

from bot.domain.backoff import retry_delay


def test_waits_double_from_one_second_up_to_a_minute() -> None:
    waits = [retry_delay(failures, draw=0.0) for failures in range(1, 10)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]


def test_a_day_of_failures_still_waits_a_minute() -> None:
    assert retry_delay(5000, draw=0.0) == 60.0


@pytest.mark.parametrize(
    ("failures", "draw", "wait"), [(1, 0.5, 0.9), (3, 0.999, 3.2), (9, 0.5, 54.0)]
)
def test_jitter_takes_off_at_most_a_fifth(failures: int, draw: float, wait: float) -> None:
    assert retry_delay(failures, draw) == pytest.approx(wait, abs=0.01)
