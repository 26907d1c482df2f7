"""The demo ends by printing the post-mortem the bot wrote and shared."""

import pytest
import structlog

from bot.demo import run_demo
from bot.store.db import Pool


async def test_the_demo_prints_the_postmortem_it_produced(
    db: Pool, migrated: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", migrated)
    try:
        assert await run_demo() == 0
    finally:
        structlog.reset_defaults()
    out = capsys.readouterr().out
    shared = out.index("┌─ postmortem-incident-")
    document = out[shared:]
    assert "# Post-mortem: Checkout API returning 500s for 12% of requests" in document
    assert "📝 _root cause:_ v2.3.1 removed the retry around payment token refresh" in document
    assert "- [ ] canary checkout-api deploys on payment success rate" in document
    assert "| Time to mitigation | 11m |" in document
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT markdown FROM postmortems ORDER BY id LIMIT 1") in out
