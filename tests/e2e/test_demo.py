"""The demo, run as a user runs it: `incident-bot demo`, in its own process."""

import os
import subprocess
import sys
from pathlib import Path


def test_the_demo_plays_a_sev1_and_exits_zero(migrated: str, tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[2])  # this checkout, not an installed copy
    env = {**os.environ, "DATABASE_URL": migrated, "PYTHONPATH": root}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
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
    assert "\033[" not in out + done.stderr  # piped, so plain: no ANSI escapes
