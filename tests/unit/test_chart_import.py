"""matplotlib is loaded only when a chart is drawn: a replica that never draws stays small."""

import subprocess
import sys

from tests.cli import environment

PROBE = "import sys, bot.app, bot.cli, bot.slack.effects; print('matplotlib' in sys.modules)"


def test_the_bot_starts_without_importing_matplotlib() -> None:
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        env=environment(),
    )
    assert done.stdout.strip() == "False"
