"""One JSON request to another system's API (PagerDuty, Statuspage, GitHub, Jira), its answer
sorted the way the outbox retries: a 2xx is the answer's JSON; a 429 or a 5xx, a refused
connection or no answer is transient (`DeliveryError.is_transient`: retried with backoff and
`Retry-After`); any other 4xx is a refusal for good, carrying the system's own words.

Every integration goes out on one session of its own (not Slack's): a slow status page must
not hold up Slack's connections. Secrets travel only in `headers`, never in an error or a log.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from pydantic import SecretStr

from bot.domain.effects import DeliveryError, Effect

log = structlog.get_logger(__name__)

Secret = Callable[[str], SecretStr | None]
"""The value of a variable the policy names (`Catalog.secret`): keys and tokens are looked up
when an effect is delivered, never stored in its row."""
Deliverers = dict[str, Callable[[Effect], Awaitable[dict[str, Any]]]]
"""A system's deliverers by effect method, for `Dispatcher.register_deliverers`."""

TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)
MAX_DETAIL = 300
"""How much of a refusal's words people are shown."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    """The answer's JSON, or its text when it is not JSON."""


def open_session() -> aiohttp.ClientSession:
    """The session every call to another system goes out on."""
    return aiohttp.ClientSession(timeout=TIMEOUT)


class HttpApi:
    """Sends JSON to one system (`system` names it in errors people read)."""

    def __init__(self, session: aiohttp.ClientSession, system: str) -> None:
        self._session = session
        self.system = system

    async def send(
        self,
        method: str,
        url: str,
        *,
        effect: str,
        json: object | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """Send one request for the effect method `effect`; its 2xx answer, or DeliveryError."""
        try:
            async with self._session.request(
                method, url, json=json, headers=dict(headers or {}), allow_redirects=False
            ) as response:
                body = await _body(response)
                status, retry_after = response.status, response.headers.get("Retry-After")
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
            log.warning("integration_unreachable", system=self.system, error=type(error).__name__)
            raise self._error(effect, "not_connected", transient=True) from None
        except (TimeoutError, aiohttp.ClientError) as error:
            log.warning("integration_unanswered", system=self.system, error=type(error).__name__)
            # Sent, perhaps acted on: the outbox looks before repeating (`maybe_done`).
            raise self._error(effect, "unreachable", transient=True) from None
        if 200 <= status < 300:
            return Answer(status, body)
        if status == 429:
            raise self._error(
                effect, "ratelimited", transient=True, retry_after=_seconds(retry_after)
            )
        if status >= 500:
            raise self._error(effect, f"http_{status}", transient=True, detail=_words(body))
        raise self._error(effect, f"http_{status}", detail=_words(body))

    def _error(
        self,
        effect: str,
        error: str,
        *,
        transient: bool = False,
        retry_after: float | None = None,
        detail: str | None = None,
    ) -> DeliveryError:
        return DeliveryError(
            effect,
            error,
            transient=transient,
            retry_after=retry_after,
            detail=detail,
            system=self.system,
        )


async def _body(response: aiohttp.ClientResponse) -> Any:
    text = await response.text(errors="replace")
    if not text:
        return None
    try:
        return await response.json(content_type=None)
    except ValueError:
        return text


def _seconds(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None


def _words(body: Any) -> str | None:
    """A refusal's own words, from the shapes these APIs answer with: PagerDuty's
    `{"message", "errors": [...]}`, Statuspage's `{"error": ...}`, GitHub's `{"message"}`,
    Jira's `{"errorMessages": [...], "errors": {...}}`; else the text."""
    if isinstance(body, dict):
        parts: list[str] = []
        for key in ("message", "error"):
            if isinstance(body.get(key), str):
                parts.append(body[key])
        for key in ("errors", "errorMessages"):
            value = body.get(key)
            if isinstance(value, list):
                parts.extend(str(v) for v in value)
            elif isinstance(value, dict):
                parts.extend(f"{k}: {v}" for k, v in value.items())
        text = "; ".join(parts)
    else:
        text = str(body or "")
    text = " ".join(text.split())
    return (text[:MAX_DETAIL] + "…" if len(text) > MAX_DETAIL else text) or None
