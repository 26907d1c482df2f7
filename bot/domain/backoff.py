"""How long to wait before trying a connection again: doubling from 1 s to a minute, jittered.

Pure arithmetic, no I/O: the Socket Mode link (`bot/slack/socket_mode.py`) draws the random
part and does the waiting.
"""

FIRST_DELAY = 1.0
"""Seconds before the second attempt."""
MAX_DELAY = 60.0
"""No wait is longer than this, however long Slack stays away."""
JITTER = 0.2
"""Up to this fraction of each wait is taken off at random."""

_MAX_DOUBLINGS = 16
"""Past the cap, more doublings change nothing (and 2.0 ** 1100 would overflow a float)."""


def retry_delay(failures: int, draw: float) -> float:
    """Seconds to wait after `failures` failed attempts in a row (1 → 1 s, 2 → 2 s, 3 → 4 s …,
    at most 60 s), less up to a fifth of it for `draw` in [0, 1): replicas that lost Slack at
    the same moment do not all knock again at the same second.
    """
    step = min(FIRST_DELAY * 2.0 ** min(max(failures - 1, 0), _MAX_DOUBLINGS), MAX_DELAY)
    return step * (1.0 - JITTER * draw)
