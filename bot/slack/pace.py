"""Keeping to Slack's pace for messages in one channel: about one a second, short bursts allowed.

chat.postMessage is limited per channel rather than by tier. Going faster only earns 429s and
Retry-After waits, and a channel filling faster than people read helps nobody; so a poster that
has more to say waits its turn here, and says it all in the next message.
"""

import asyncio
from collections.abc import Hashable


class ChannelPace:
    """A token bucket per channel (or anything else that posts into one): `burst` messages at
    once, then `rate` a second. In-process: with several replicas it paces each one's posts."""

    def __init__(self, rate: float = 1.0, burst: int = 3, *, max_tracked: int = 10_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_tracked = max_tracked
        self._buckets: dict[Hashable, tuple[float, float]] = {}

    async def wait(self, key: Hashable) -> None:
        """Return when `key` may post one more message (at once while it has tokens)."""
        loop = asyncio.get_running_loop()
        tokens = self._tokens(key, loop.time())
        if tokens < 1:
            await asyncio.sleep((1 - tokens) / self.rate)
            tokens = self._tokens(key, loop.time())
        self._buckets[key] = (tokens - 1, loop.time())
        if len(self._buckets) > self.max_tracked:
            self._forget_full(loop.time())

    def _tokens(self, key: Hashable, now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) * self.rate)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they behave exactly like untracked ones."""
        for key in [k for k in self._buckets if self._tokens(k, now) >= self.burst]:
            del self._buckets[key]
