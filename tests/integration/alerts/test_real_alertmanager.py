"""The real Prometheus Alertmanager, on loopback, with a webhook receiver pointing at the bot."""

import asyncio
import json
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.demo.sandbox import Sandbox
from bot.store.db import Pool
from tests.integration.alerts.sending import TOKEN, incident_channel

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")

pytestmark = pytest.mark.skipif(
    BINARY is None,
    reason="prometheus-alertmanager is not installed (Debian package prometheus-alertmanager; "
    ".ci/run installs it)",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def config(bot_url: str) -> str:
    """Send every alert to the bot at once: no waiting to group, Bearer token as the bot wants."""
    return json.dumps(
        {
            "route": {
                "receiver": "incident-bot",
                "group_by": ["alertname"],
                "group_wait": "0s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {
                    "name": "incident-bot",
                    "webhook_configs": [
                        {
                            "url": f"{bot_url}/alerts/alertmanager",
                            "send_resolved": True,
                            "http_config": {
                                "authorization": {"type": "Bearer", "credentials": TOKEN}
                            },
                        }
                    ],
                }
            ],
        }
    )


@asynccontextmanager
async def alertmanager(bot_url: str, folder: Path) -> AsyncIterator[str]:
    """Run Alertmanager until it answers `/-/ready` (bounded); yield its base URL."""
    assert BINARY is not None
    (folder / "alertmanager.yml").write_text(config(bot_url))
    url = f"http://127.0.0.1:{free_port()}"
    process = await asyncio.create_subprocess_exec(
        BINARY,
        f"--config.file={folder / 'alertmanager.yml'}",
        f"--storage.path={folder / 'data'}",
        f"--web.listen-address={url.removeprefix('http://')}",
        "--cluster.listen-address=",
        "--log.level=warn",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await _until_ready(url, process)
        yield url
    finally:
        process.terminate()
        await process.wait()


async def _until_ready(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http, asyncio.timeout(15):
        while True:
            if process.returncode is not None:
                problem = await process.stderr.read() if process.stderr else b""
                raise RuntimeError(f"alertmanager exited: {problem.decode()[-500:]}")
            try:
                async with http.get(f"{url}/-/ready") as ready:
                    if ready.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)  # polling a process we started, bounded by the timeout


async def test_an_alert_posted_to_alertmanager_ends_as_an_incident(
    bot: Sandbox, db: Pool, tmp_path: Path
) -> None:
    async with alertmanager(bot.url, tmp_path) as am, aiohttp.ClientSession() as http:
        alert = {
            "labels": {"alertname": "HighErrorRate", "severity": "critical", "service": "api"},
            "annotations": {"summary": "Checkout 5xx above 10%", "description": "12% for 5m"},
            "generatorURL": "http://prometheus.example/graph",
        }
        async with http.post(f"{am}/api/v2/alerts", json=[alert]) as posted:
            assert posted.status == 200

        channel = await incident_channel(bot, timeout=30)

    pinned = next(m for m in bot.slack.messages(channel.id) if m.ts in channel.pins)
    assert "INCIDENT: [SEV-1 Critical]* Checkout 5xx above 10%" in pinned.text
    assert "*Alert from Alertmanager*" in pinned.text
    async with db.acquire() as conn:
        stored = await conn.fetchrow("SELECT source, group_key, labels FROM alerts")
    assert stored["source"] == "alertmanager"
    assert stored["group_key"] == '{}:{alertname="HighErrorRate"}'
    assert stored["labels"]["service"] == "api"
