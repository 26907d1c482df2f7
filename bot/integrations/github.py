"""GitHub: an issue opened for each new follow-up (`followups.export.github` in the policy).

`POST /repos/{owner}/{repo}/issues` with a Bearer token answers 201 with the issue's `html_url`
and `number`. The issue's body carries a marker naming the effect, so that after an attempt
whose answer was lost (`Effect.maybe_done`) the recent issues are looked through first, and the
issue is not opened twice.
"""

from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.config import GitHubExport
from bot.domain.effects import DeliveryError, Effect, NewEffect
from bot.integrations.http_api import Deliverers, HttpApi

SYSTEM = "GitHub"
OPEN_ISSUE = "github.open_issue"
RECENT = 30
"""How many of the newest issues are looked through for an earlier attempt's."""


def marker(effect_id: int) -> str:
    return f"<!-- incident-bot effect {effect_id} -->"


def open_issue(
    *, repo: str, title: str, body: str, followup_id: int, incident_id: int, then_do: str
) -> NewEffect:
    """Open an issue in `repo` for follow-up `followup_id`; its follow-up keeps the link."""
    return NewEffect(
        OPEN_ISSUE,
        {"repo": repo, "title": title, "body": body, "followup_id": followup_id},
        lane=f"github:{repo}",
        about=f"open a GitHub issue in {repo}",
        incident_id=incident_id,
        then_do=then_do,
    )


class GitHub:
    """Delivers GitHub effects with the token the policy names (`token_env`)."""

    def __init__(
        self, session: aiohttp.ClientSession, export: GitHubExport, token: SecretStr | None
    ) -> None:
        self.api = HttpApi(session, SYSTEM)
        self.export = export
        self._token = token

    def deliverers(self) -> Deliverers:
        return {OPEN_ISSUE: self.open_issue}

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            raise DeliveryError(
                OPEN_ISSUE,
                "no_token",
                detail=f"{self.export.token_env} is not set",
                system=SYSTEM,
            )
        return {
            "Authorization": f"Bearer {self._token.get_secret_value()}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    async def open_issue(self, effect: Effect) -> dict[str, Any]:
        """Open the issue (or find the one an earlier attempt opened); its link and number."""
        url = f"{self.export.api_url.rstrip('/')}/repos/{effect.args['repo']}/issues"
        headers = self._headers()
        if effect.maybe_done:
            found = await self._earlier(url, headers, effect.id)
            if found is not None:
                return found
        body = f"{effect.args['body']}\n\n{marker(effect.id)}"
        answer = await self.api.send(
            "POST",
            url,
            effect=OPEN_ISSUE,
            json={"title": effect.args["title"], "body": body},
            headers=headers,
        )
        return _issue(answer.body)

    async def _earlier(
        self, url: str, headers: dict[str, str], effect_id: int
    ) -> dict[str, Any] | None:
        answer = await self.api.send(
            "GET",
            f"{url}?state=all&sort=created&direction=desc&per_page={RECENT}",
            effect=OPEN_ISSUE,
            headers=headers,
        )
        issues = answer.body if isinstance(answer.body, list) else []
        return next(
            (
                {**_issue(issue), "found": True}
                for issue in issues
                if isinstance(issue, dict) and marker(effect_id) in str(issue.get("body") or "")
            ),
            None,
        )


def _issue(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("html_url"), str):
        raise DeliveryError(OPEN_ISSUE, "unexpected_answer", detail=str(body)[:200], system=SYSTEM)
    return {"url": body["html_url"], "number": body.get("number")}
