"""Jira: an issue opened for each new follow-up (`followups.export.jira` in the policy).

`POST /rest/api/3/issue` with `{"fields": {"project": {"key"}, "summary", "issuetype":
{"name"}, "description"}}` (the description in Atlassian Document Format), basic auth with the
user's e-mail and an API token, answers 201 `{"id", "key", "self"}`; people follow
`<site>/browse/<key>`. The issue carries a label naming the effect, so that after an attempt
whose answer was lost (`Effect.maybe_done`) a search finds it instead of opening another.
"""

import base64
from typing import Any
from urllib.parse import quote

import aiohttp
from pydantic import SecretStr

from bot.config import JiraExport
from bot.domain.effects import DeliveryError, Effect, NewEffect
from bot.integrations.http_api import Deliverers, HttpApi

SYSTEM = "Jira"
OPEN_ISSUE = "jira.open_issue"


def label(effect_id: int) -> str:
    return f"incident-bot-effect-{effect_id}"


def open_issue(
    *, project: str, summary: str, text: str, followup_id: int, incident_id: int, then_do: str
) -> NewEffect:
    """Open an issue in `project` for follow-up `followup_id`; its follow-up keeps the link."""
    return NewEffect(
        OPEN_ISSUE,
        {"project": project, "summary": summary, "text": text, "followup_id": followup_id},
        lane=f"jira:{project}",
        about=f"open a Jira issue in {project}",
        incident_id=incident_id,
        then_do=then_do,
    )


def document(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format description: a paragraph per line."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        for line in text.splitlines()
        if line.strip()
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


class Jira:
    """Delivers Jira effects with the user and token the policy names."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        export: JiraExport,
        user: SecretStr | None,
        token: SecretStr | None,
    ) -> None:
        self.api = HttpApi(session, SYSTEM)
        self.export = export
        self._user = user
        self._token = token

    def deliverers(self) -> Deliverers:
        return {OPEN_ISSUE: self.open_issue}

    def _headers(self) -> dict[str, str]:
        if self._user is None or self._token is None:
            unset = self.export.user_env if self._user is None else self.export.token_env
            raise DeliveryError(OPEN_ISSUE, "no_token", detail=f"{unset} is not set", system=SYSTEM)
        pair = f"{self._user.get_secret_value()}:{self._token.get_secret_value()}"
        return {
            "Authorization": f"Basic {base64.b64encode(pair.encode()).decode()}",
            "Accept": "application/json",
        }

    @property
    def _site(self) -> str:
        return self.export.url.rstrip("/")

    async def open_issue(self, effect: Effect) -> dict[str, Any]:
        """Open the issue (or find the one an earlier attempt opened); its browse link."""
        headers = self._headers()
        if effect.maybe_done:
            found = await self._earlier(headers, effect.id)
            if found is not None:
                return found
        fields = {
            "project": {"key": effect.args["project"]},
            "summary": effect.args["summary"],
            "issuetype": {"name": self.export.issue_type},
            "description": document(str(effect.args["text"])),
            "labels": [label(effect.id)],
        }
        answer = await self.api.send(
            "POST",
            f"{self._site}/rest/api/3/issue",
            effect=OPEN_ISSUE,
            json={"fields": fields},
            headers=headers,
        )
        return self._issue(answer.body)

    async def _earlier(self, headers: dict[str, str], effect_id: int) -> dict[str, Any] | None:
        jql = quote(f'labels = "{label(effect_id)}"')
        answer = await self.api.send(
            "GET",
            f"{self._site}/rest/api/3/search/jql?jql={jql}&fields=summary",
            effect=OPEN_ISSUE,
            headers=headers,
        )
        issues = answer.body.get("issues") if isinstance(answer.body, dict) else None
        if not issues:
            return None
        return {**self._issue(issues[0]), "found": True}

    def _issue(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("key"), str):
            raise DeliveryError(
                OPEN_ISSUE, "unexpected_answer", detail=str(body)[:200], system=SYSTEM
            )
        return {"url": f"{self._site}/browse/{body['key']}", "key": body["key"]}
