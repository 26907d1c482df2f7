"""Jira Cloud's REST API v3, the part follow-ups use: create an issue, search by JQL label.

`POST /rest/api/3/issue` with basic auth (e-mail and API token) and `{"fields": {"project":
{"key"}, "summary", "issuetype": {"name"}, "description"}}` answers 201 `{"id", "key",
"self"}`; no or wrong credentials 401, an unknown project or a missing summary 400 `{"errorMessages":
[], "errors": {field: words}}`. Faults (429 with Retry-After, 503) come from `OtherApis.fail`;
`lose_answers` creates the issue, then resets the connection (an answer lost after sending).
"""

from __future__ import annotations

import base64
import itertools
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.demo.standin.outage import drop_connection

if TYPE_CHECKING:
    from bot.demo.apis.server import OtherApis

SYSTEM = "jira"
USER = "incident-bot@example.com"
TOKEN = "ATATT3xStandin"  # noqa: S105 - the stand-in's own token
_LABEL = re.compile(r'^labels\s*=\s*"([^"]+)"$')


def _refusal(status: int, messages: list[str], errors: dict[str, str]) -> web.Response:
    return web.json_response({"errorMessages": messages, "errors": errors}, status=status)


class JiraStandIn:
    """Issues by key (`issues["OPS-1"]`: the fields as sent); `projects` are the known keys."""

    def __init__(
        self,
        apis: OtherApis,
        user: str = USER,
        token: str = TOKEN,
        projects: tuple[str, ...] = ("OPS",),
    ) -> None:
        self.user, self.token = user, token
        self.projects = set(projects)
        self.issues: dict[str, dict[str, Any]] = {}
        self.lose_answers = 0
        """How many of the next issues are created but their answer lost (the connection reset):
        how a test shows the bot finding an issue again instead of creating a second."""
        self._ids = itertools.count(10001)
        self._apis = apis
        apis.route(SYSTEM, "POST", "/rest/api/3/issue", self._create)
        apis.route(SYSTEM, "GET", "/rest/api/3/search/jql", self._search)

    def _authenticated(self, request: web.Request) -> bool:
        pair = base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {pair}"

    def _self(self, issue_id: str) -> str:
        return f"{self._apis.url(SYSTEM)}/rest/api/3/issue/{issue_id}"

    async def _create(self, request: web.Request) -> web.Response:
        if not self._authenticated(request):
            return _refusal(401, ["Client must be authenticated to access this resource."], {})
        try:
            sent = await request.json()
        except ValueError:
            return _refusal(400, ["Unexpected character in the request body."], {})
        fields = sent.get("fields") if isinstance(sent, dict) else None
        if not isinstance(fields, dict):
            return _refusal(400, ["The request body must have fields."], {})
        problems = _problems(fields, self.projects)
        if problems:
            return _refusal(400, [], problems)
        issue_id = str(next(self._ids))
        key = f"{fields['project']['key']}-{len(self.issues) + 1}"
        self.issues[key] = {"id": issue_id, "key": key, "fields": fields}
        if self.lose_answers > 0:
            self.lose_answers -= 1
            return drop_connection(request)
        return web.json_response(
            {"id": issue_id, "key": key, "self": self._self(issue_id)}, status=201
        )

    async def _search(self, request: web.Request) -> web.Response:
        if not self._authenticated(request):
            return _refusal(401, ["Client must be authenticated to access this resource."], {})
        label = _LABEL.match(request.query.get("jql", "").strip())
        found = [
            {
                "id": i["id"],
                "key": key,
                "self": self._self(i["id"]),
                "fields": {"summary": i["fields"]["summary"]},
            }
            for key, i in self.issues.items()
            if label and label[1] in (i["fields"].get("labels") or [])
        ]
        return web.json_response({"issues": found, "isLast": True})


def _problems(fields: dict[str, Any], projects: set[str]) -> dict[str, str]:
    problems = {}
    project = fields.get("project")
    if not isinstance(project, dict) or project.get("key") not in projects:
        problems["project"] = "valid project is required"
    if not str(fields.get("summary") or "").strip():
        problems["summary"] = "You must specify a summary of the issue."
    issue_type = fields.get("issuetype")
    if not isinstance(issue_type, dict) or not issue_type.get("name"):
        problems["issuetype"] = "Specify an issue type"
    description = fields.get("description")
    if description is not None and (
        not isinstance(description, dict) or description.get("type") != "doc"
    ):
        problems["description"] = (
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        )
    return problems
