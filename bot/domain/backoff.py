"""How long to wait before trying again: doubling, capped, jittered.

Pure arithmetic, no I/O: the Socket Mode link (`bot/slack/socket_mode.py`: 1 s doubling to a
minute) and the outbox's dispatcher (`bot/outbox.py`: 0.5 s doubling to 10 s) draw the random
part and do the waiting.
"""

FIRST_DELAY = 1.0
"""Seconds before the second attempt."""
MAX_DELAY = 60.0
"""No wait is longer than this, however long Slack stays away."""
JITTER = 0.2
"""Up to this fraction of each wait is taken off at random."""

_MAX_DOUBLINGS = 16
"""Past the cap, more doublings change nothing (and 2.0 ** 1100 would overflow a float)."""


def retry_delay(
    failures: int, draw: float, *, first: float = FIRST_DELAY, cap: float = MAX_DELAY
) -> float:
    """Seconds to wait after `failures` failed attempts in a row (1 → `first`, 2 → twice that,
    3 → four times …, at most `cap`), less up to a fifth of it for `draw` in [0, 1): replicas
    that lost Slack at the same moment do not all knock again at the same second.
    """
    step = min(first * 2.0 ** min(max(failures - 1, 0), _MAX_DOUBLINGS), cap)
    return step * (1.0 - JITTER * draw)
