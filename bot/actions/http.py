"""The http executor: one request to a deploy API; success is a 2xx answer.

The URL is sent exactly as built (values percent-encoded, nothing re-normalised), redirects are
not followed; connecting may take up to 10 s, and the answer must then come within the action's
timeout. A request that never connected
failed; one that was sent but got no answer (timeout, dropped connection) may have been acted
on, so its outcome is `unknown`. A dry run sends nothing and shows the request instead.
"""

import time
from http import HTTPStatus

import aiohttp
import structlog
from yarl import URL

from bot.actions.catalog import HttpPlan
from bot.domain.approval import ApprovalStatus, Outcome

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT = 10.0
"""Seconds to connect to the deploy API, on top of the action's timeout for its answer."""
MAX_BODY = 500
"""How much of an answer's body the card shows."""


class HttpTarget:
    """The deploy APIs' side: every http action goes out on one session, owned by the caller.

    Its own session, not the Slack gateway's: an action's timeouts are the action's, and a slow
    deploy API must not queue behind (or hold up) Slack's connections.
    """

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    @property
    def closed(self) -> bool:
        return self._session.closed

    async def run(self, plan: HttpPlan, *, dry_run: bool) -> Outcome:
        """Send `plan` once (or not at all, for a dry run); failures become an Outcome."""
        started = time.perf_counter()
        if dry_run:
            summary = "not sent; this is the request it would send"
            return Outcome(ApprovalStatus.SUCCEEDED, summary, 0.0, True, (plan.preview,))
        try:
            status, body = await self._send(plan, plan.method, plan.url, plan.body)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
            summary = f"never connected: {error or type(error).__name__}"
            return self._outcome(plan, started, ApprovalStatus.FAILED, summary)
        except aiohttp.InvalidURL as error:
            return self._outcome(plan, started, ApprovalStatus.FAILED, f"invalid URL: {error}")
        except (TimeoutError, aiohttp.ClientError) as error:
            log.warning("http_action_unanswered", error=type(error).__name__)
            summary = f"sent, but no answer ({type(error).__name__}): it may have been applied"
            return self._outcome(plan, started, ApprovalStatus.UNKNOWN, summary)
        result = ApprovalStatus.SUCCEEDED if 200 <= status < 300 else ApprovalStatus.FAILED
        details = (body,) if body else ()
        verify = await self._verify(plan) if result is ApprovalStatus.SUCCEEDED else None
        return self._outcome(plan, started, result, _status_line(status), details, verify)

    async def _send(self, plan: HttpPlan, method: str, url: str, body: object) -> tuple[int, str]:
        async with self._session.request(
            method,
            URL(url, encoded=True),
            headers=plan.headers,
            json=body,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(
                total=CONNECT_TIMEOUT + plan.timeout.total_seconds(),
                connect=CONNECT_TIMEOUT,
                sock_read=plan.timeout.total_seconds(),
            ),
        ) as response:
            text = (await response.content.read(MAX_BODY + 1)).decode("utf-8", "replace")
        cut = text if len(text) <= MAX_BODY else text[:MAX_BODY] + "…"
        return response.status, plan.masked(cut.strip())

    async def _verify(self, plan: HttpPlan) -> tuple[str, ...] | None:
        """GET the verify URL; its answer is reported, and never changes the outcome."""
        if plan.verify_url is None:
            return None
        try:
            status, body = await self._send(plan, "GET", plan.verify_url, None)
        except (TimeoutError, aiohttp.ClientError) as error:
            return (plan.masked(f"verify failed: {type(error).__name__}: {error}"),)
        return (_status_line(status), *((body,) if body else ()))

    def _outcome(
        self,
        plan: HttpPlan,
        started: float,
        status: ApprovalStatus,
        summary: str,
        details: tuple[str, ...] = (),
        verify: tuple[str, ...] | None = None,
    ) -> Outcome:
        elapsed = (time.perf_counter() - started) * 1000
        return Outcome(status, plan.masked(summary), elapsed, False, details, verify)


def _status_line(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"
