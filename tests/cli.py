"""This checkout's `incident-bot`, run as an operator runs it: a process of its own.

`PYTHONPATH` names this checkout, so the code under test is what runs, not whichever copy the
virtual environment has installed. The process gets only `PATH` and the variables given (no
`.env` is read unless `cwd` holds one), or the whole environment with `inherit`.
"""

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COMMAND = (sys.executable, "-m", "bot.cli")


def environment(env: Mapping[str, str] | None = None, *, inherit: bool = False) -> dict[str, str]:
    base = dict(os.environ) if inherit else {"PATH": os.environ.get("PATH", "/usr/bin")}
    return {**base, **(env or {}), "PYTHONPATH": str(ROOT)}


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    inherit: bool = False,
    **options: Any,
) -> subprocess.CompletedProcess[str]:
    """`incident-bot <args>`, its output captured as text; `options` go to `subprocess.run`."""
    return subprocess.run(  # noqa: S603 - our own CLI
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=options.pop("timeout", 60),
        check=False,
        cwd=cwd,
        env=environment(env, inherit=inherit),
        **options,
    )
