"""`OtherApis`: one local HTTP server for every other system's stand-in, with what it received
and the faults a test asks for.

Each system's stand-in (`bot/demo/apis/<system>.py`) registers its routes under its prefix
(`/pagerduty`, `/statuspage`, …) and answers with the system's real request and response
shapes. The server keeps every request it received (`received`, the demo's transcript prints
them) and can fail a system on request: `fail(system, status, seconds=…)` answers every request
to it with `status` (a 429 carries `Retry-After`) until the scripted clock passes; `drop(system)`
resets connections without an answer. Tests read the stand-ins' state and wait on it with
`wait_for`, never sleeping.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from bot.demo.apis.github import GitHubStandIn
from bot.demo.apis.jira import JiraStandIn
from bot.demo.apis.pagerduty import PagerDutyStandIn
from bot.demo.apis.statuspage import StatuspageStandIn
from bot.demo.standin.outage import drop_connection

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
WAIT_LIMIT = 10.0


@dataclass(frozen=True)
class Received:
    """One request as it arrived: which system, method, path, JSON body (secrets are headers,
    and headers are kept apart in `headers`, for tests that check authentication)."""

    system: str
    method: str
    path: str
    body: Any
    headers: dict[str, str] = field(repr=False)
    status: int


@dataclass
class ApiFault:
    status: int
    until: float
    """Monotonic seconds (the server's clock) after which the system answers again."""
    body: Any = None
    retry_after: float | None = None
    drop: bool = False


class OtherApis:
    """The stand-ins' server; `url(system)` is a system's base URL on it."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.received: list[Received] = []
        self.faults: dict[str, ApiFault] = {}
        self._routes: list[tuple[str, str, str, Handler]] = []
        self._runner: web.AppRunner | None = None
        self._base = ""
        self._changed = asyncio.Event()
        # Each system's stand-in is made here, as an attribute that tests read
        # (`apis.pagerduty.incidents`), and registers its routes with `route`.
        self.github = GitHubStandIn(self)
        self.jira = JiraStandIn(self)
        self.pagerduty = PagerDutyStandIn(self)
        self.statuspage = StatuspageStandIn(self)

    def route(self, system: str, method: str, path: str, handler: Handler) -> None:
        """Serve `method path` (an aiohttp route under `/<system>`) with `handler`."""
        self._routes.append((system, method, f"/{system}{path}", handler))

    def url(self, system: str) -> str:
        return f"{self._base}/{system}"

    def fail(
        self,
        system: str,
        status: int,
        *,
        seconds: float,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer every request to `system` with `status` for `seconds` of the server's clock."""
        self.faults[system] = ApiFault(status, self.monotonic() + seconds, body, retry_after)

    def drop(self, system: str, *, seconds: float) -> None:
        """Reset every connection to `system`, unanswered, for `seconds`."""
        self.faults[system] = ApiFault(0, self.monotonic() + seconds, drop=True)

    def heal(self, system: str | None = None) -> None:
        if system is None:
            self.faults.clear()
        else:
            self.faults.pop(system, None)

    def requests(self, system: str) -> list[Received]:
        """What `system` received and answered with 2xx, in order."""
        return [r for r in self.received if r.system == system and 200 <= r.status < 300]

    async def wait_for(self, ready: Callable[[OtherApis], bool]) -> None:
        """Until `ready(self)` holds after a request (at most 10 s): the bot calls out after it
        acks."""
        async with asyncio.timeout(WAIT_LIMIT):
            while not ready(self):
                self._changed.clear()
                await self._changed.wait()

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        for _system, method, path, handler in self._routes:
            app.router.add_route(method, path, handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._base = f"http://127.0.0.1:{int(self._runner.addresses[0][1])}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        system = request.path.split("/")[1]
        body = await _json(request)
        fault = self.faults.get(system)
        if fault is not None and self.monotonic() < fault.until:
            response = _faulted(request, fault)
        else:
            response = await handler(request)
        self.received.append(
            Received(
                system, request.method, request.path, body, dict(request.headers), response.status
            )
        )
        self._changed.set()
        return response


def _faulted(request: web.Request, fault: ApiFault) -> web.StreamResponse:
    if fault.drop:
        return drop_connection(request)
    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
    body = fault.body if fault.body is not None else {"error": "unavailable"}
    return web.json_response(body, status=fault.status, headers=headers)


async def _json(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    text = await request.text()
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text
