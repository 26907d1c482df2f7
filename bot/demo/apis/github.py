"""GitHub's REST API, the part follow-ups use: open an issue, list a repository's issues.

`POST /repos/{owner}/{repo}/issues` with `Authorization: Bearer <token>` answers 201 with the
issue (`html_url`, `number`, …); a wrong token 401 `{"message": "Bad credentials"}`, an unknown
repository 404 `{"message": "Not Found"}`, a missing title 422 `{"message": "Validation
Failed", "errors": [...]}`. Faults (429 with Retry-After, 503) come from `OtherApis.fail`;
`lose_answers` opens the issue, then resets the connection (an answer lost after sending).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.demo.standin.outage import drop_connection

if TYPE_CHECKING:
    from bot.demo.apis.server import OtherApis

SYSTEM = "github"
TOKEN = "ghp_standin000000000000000000000000000000"  # noqa: S105 - the stand-in's own token
DOCS = "https://docs.github.com/rest/issues/issues#create-an-issue"


def _refusal(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response(
        {"message": message, "documentation_url": DOCS, "status": str(status), **extra},
        status=status,
    )


class GitHubStandIn:
    """Issues by repository (`issues["acme/incidents"]`); `missing` repositories answer 404."""

    def __init__(self, apis: OtherApis, token: str = TOKEN) -> None:
        self.token = token
        self.issues: dict[str, list[dict[str, Any]]] = {}
        self.missing: set[str] = set()
        self.lose_answers = 0
        """How many of the next issues are opened but their answer lost (the connection reset):
        how a test shows the bot finding an issue again instead of opening a second."""
        self._ids = itertools.count(1_000_001)
        apis.route(SYSTEM, "POST", "/repos/{owner}/{repo}/issues", self._create)
        apis.route(SYSTEM, "GET", "/repos/{owner}/{repo}/issues", self._list)

    def _refused(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") not in (
            f"Bearer {self.token}",
            f"token {self.token}",
        ):
            return _refusal(401, "Bad credentials")
        if _repo(request) in self.missing:
            return _refusal(404, "Not Found")
        return None

    async def _create(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        try:
            sent = await request.json()
        except ValueError:
            return _refusal(400, "Problems parsing JSON")
        title = sent.get("title") if isinstance(sent, dict) else None
        if not isinstance(title, str) or not title.strip():
            errors = [{"resource": "Issue", "code": "missing_field", "field": "title"}]
            return _refusal(422, "Validation Failed", errors=errors)
        repo = _repo(request)
        issues = self.issues.setdefault(repo, [])
        number = len(issues) + 1
        issue = {
            "id": next(self._ids),
            "node_id": f"I_kwDOstandin{number}",
            "url": f"https://api.github.com/repos/{repo}/issues/{number}",
            "repository_url": f"https://api.github.com/repos/{repo}",
            "html_url": f"https://github.com/{repo}/issues/{number}",
            "number": number,
            "state": "open",
            "title": title,
            "body": sent.get("body"),
            "user": {"login": "incident-bot[bot]", "type": "Bot"},
            "labels": [],
            "comments": 0,
        }
        issues.append(issue)
        if self.lose_answers > 0:
            self.lose_answers -= 1
            return drop_connection(request)
        return web.json_response(issue, status=201)

    async def _list(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        per_page = min(int(request.query.get("per_page", "30")), 100)
        newest = list(reversed(self.issues.get(_repo(request), [])))
        return web.json_response(newest[:per_page])


def _repo(request: web.Request) -> str:
    return f"{request.match_info['owner']}/{request.match_info['repo']}"
