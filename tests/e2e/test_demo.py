"""The demo, run as a user runs it: `incident-bot demo`, in its own process."""

from pathlib import Path

from tests import cli


def test_the_demo_plays_a_sev1_and_exits_zero(migrated: str, tmp_path: Path) -> None:
    done = cli.run_cli(
        "demo", cwd=tmp_path, env={"DATABASE_URL": migrated}, inherit=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "┌─ #incident-" in out
    assert "📌 incident-bot: == Checkout API returning 500s for 12% of requests ==" in out
    for person in ("alice:", "bob:", "carol:"):
        assert person in out
    assert "Update #1" in out
    assert "Incident resolved" in out
    assert "┌─ #incidents" in out
    assert "Resolved: Checkout API returning 500s" in out
    assert "declared, 3 updates, resolved after" in out
    assert ":alarm_clock:" in out
    listed = out[out.index("┌─ only bob sees (ephemeral): /incident followups") :]
    assert "Your open follow-ups" in listed
    assert "Add a retry test for payment token refresh" in listed
    assert "Paged *on-call* via PagerDuty: [SEV-1] Checkout API returning 500s" in out
    assert "┌─ what PagerDuty received (Events API v2) ─" in out
    assert '"event_action": "resolve"' in out
    assert "Nobody was paged: this is a drill" in out
    assert "demo0routing0key0for0the0on0call" not in out + done.stderr
    assert "\033[" not in out + done.stderr  # piped, so plain: no ANSI escapes
