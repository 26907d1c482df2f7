"""What every benchmark needs: the bot as a process of its own, pointed at the Slack stand-in.

Benchmarks run `incident-bot serve` in a separate process, so the load generator and the
stand-in (in the benchmark's process) don't share the bot's event loop or its CPU time.

`BENCH_BOT_SOURCE=/path/to/checkout` runs the bot from another checkout (its working directory,
so `python -m bot.cli` imports that checkout's `bot`), while the benchmark itself and the
stand-in stay this checkout's: the way to measure before and after a change in one session.
"""

import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from bot.demo.standin import Channel, SlackSender, SlackStandIn


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def memory_mib(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process, in MiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    rss, peak = (int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))
    return rss, peak


def rss_mib(pid: int) -> float:
    return memory_mib(pid)[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def wait_ready(url: str, process: asyncio.subprocess.Process) -> None:
    """Poll `/readyz` until the bot answers 200 (at most 30 s), or fail if it exited."""
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if process.returncode is not None:
                raise SystemExit(f"the bot exited with {process.returncode}")
            try:
                async with http.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the bot did not become ready in 30 s")


async def serve_bot(
    slack: SlackStandIn,
    database_url: str,
    port: int,
    *python_options: str,
    env: Mapping[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """`incident-bot serve` as a process of its own, talking to `slack`; returned once ready.

    `env` adds settings (a policy file, action DSNs, the alert token); `python_options` go to
    the interpreter (e.g. `-m cProfile -o bot.prof`). The bot runs from `BENCH_BOT_SOURCE`
    when that is set (see the module docstring).
    """
    url = f"http://127.0.0.1:{port}"
    slack.events_url = f"{url}/slack/events"
    variables = {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "SLACK_APP_TOKEN": "",
        **(env or {}),
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        *python_options,
        "-m",
        "bot.cli",
        "serve",
        env=variables,
        cwd=os.environ.get("BENCH_BOT_SOURCE") or None,
    )
    try:
        await wait_ready(url, bot)
    except BaseException:
        if bot.returncode is None:
            bot.terminate()
        raise
    return bot


@asynccontextmanager
async def running_bot(
    slack: SlackStandIn, database_url: str, port: int, *, env: Mapping[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`serve_bot` for the length of a `with` block, stopped (SIGTERM) at its end."""
    bot = await serve_bot(slack, database_url, port, env=env)
    try:
        yield bot
    finally:
        if bot.returncode is None:
            bot.terminate()
        await bot.wait()


async def declare_one(slack: SlackStandIn, user: str) -> Channel:
    """Declare an incident from #incidents and return its channel once it is set up."""
    await SlackSender(slack).slash(
        "declare sev2 Benchmark incident", user=user, channel="incidents"
    )
    await slack.wait_for(
        lambda s: any(c.name.startswith("incident-") and c.pins for c in s.channels.values()),
        timeout=10,
    )
    return next(c for c in slack.channels.values() if c.name.startswith("incident-"))


class CallTimes:
    """The wall-clock moment the stand-in took each Web API call (`slack.calls`, same order).

    Stamped on the stand-in's change notification, in this process's event loop: within a
    loop turn of the call, which is what "arrived at Slack" can mean here.
    """

    def __init__(self, slack: SlackStandIn) -> None:
        self.slack = slack
        self.times: list[float] = []

    def stamp(self, slack: SlackStandIn) -> bool:
        now = time.time()
        self.times.extend(now for _ in slack.calls[len(self.times) :])
        return False

    async def run(self, seconds: float) -> None:
        try:
            await self.slack.wait_for(self.stamp, timeout=seconds)
        except TimeoutError:
            return

    def ok(self, method: str, **params: str) -> list[float]:
        """When calls of `method` with these parameters succeeded."""
        self.stamp(self.slack)
        return [
            at
            for call, at in zip(self.slack.calls, self.times, strict=False)
            if call.method == method
            and call.status == 200
            and call.error is None
            and all(call.params.get(k) == v for k, v in params.items())
        ]
