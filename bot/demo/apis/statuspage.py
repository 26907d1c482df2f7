"""Atlassian Statuspage API v1, the subset the bot uses, on `OtherApis` under `/statuspage`.

`POST /pages/{page_id}/incidents` opens a public incident, `PATCH …/incidents/{id}` adds an
update (and moves its status and components), `GET …/incidents/{id}` shows one with its updates
(how an update whose answer was lost is found to have landed), `GET …/incidents?q=` lists the
page's incidents, resolved ones too, whose name contains `q`, newest first (how a lost create is
found again by its name), `GET …/incidents/unresolved` the open ones. Requests carry
`Authorization: OAuth <key>` and `{"incident": {"name", "status", "body", "components": {id:
status}, "component_ids": [...]}}`; answers are Statuspage's: 201/200 with the incident, 401
`{"error": "Could not authenticate"}`, 404 `{"error": "Not found"}`, 422 `{"error": …}` naming
the field. Tests read `incidents` (by id) and `components` (the page's component statuses).
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.demo.standin.outage import drop_connection

if TYPE_CHECKING:
    from bot.demo.apis.server import OtherApis

SYSTEM = "statuspage"
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved")
COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
MAX_NAME = 255
MAX_BODY = 25_000
"""Statuspage stores the name as a 255-character string; the stand-in also caps a body."""
DEMO_PAGE = "kctbh9vrtdwd"
DEMO_KEY = "demo-statuspage-key"


@dataclass
class PublicIncident:
    id: str
    name: str
    status: str
    shortlink: str
    created_at: str
    component_ids: list[str]
    updates: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "shortlink": self.shortlink,
            "created_at": self.created_at,
            "resolved_at": self.updates[0]["created_at"] if self.status == "resolved" else None,
            "components": [{"id": c} for c in self.component_ids],
            "incident_updates": self.updates,
        }


class StatuspageStandIn:
    """One page (`page_id`) with its components, reached with `api_key`."""

    def __init__(
        self,
        apis: OtherApis,
        *,
        page_id: str = DEMO_PAGE,
        api_key: str = DEMO_KEY,
        components: dict[str, str] | None = None,
    ) -> None:
        self.page_id = page_id
        self.api_key = api_key
        self.components: dict[str, str] = dict(
            components or {"8kbf7d35c070": "operational", "0bvq9kq0l4jm": "operational"}
        )
        self.incidents: dict[str, PublicIncident] = {}
        self.lose_answers = 0
        """How many of the next creates or updates are made but their answer lost (the
        connection reset): how a test shows the bot finding one again instead of repeating it."""
        self._ids = itertools.count(1)
        base = "/pages/{page_id}/incidents"
        apis.route(SYSTEM, "POST", base, self._create)
        apis.route(SYSTEM, "GET", base, self._list)
        apis.route(SYSTEM, "GET", base + "/unresolved", self._unresolved)
        apis.route(SYSTEM, "GET", base + "/{incident_id}", self._show)
        apis.route(SYSTEM, "PATCH", base + "/{incident_id}", self._update)

    async def _create(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        fields, problem = await _fields(request, creating=True)
        problem = problem or self._component_problem(fields)
        if problem:
            return _error(422, problem)
        number = next(self._ids)
        incident = PublicIncident(
            id=f"p{number:011d}",
            name=str(fields["name"]),
            status=str(fields.get("status") or "investigating"),
            shortlink=f"https://stspg.io/{secrets.token_hex(3)}",
            created_at=_now(),
            component_ids=list(fields.get("component_ids") or fields.get("components") or []),
        )
        self.incidents[incident.id] = incident
        self._apply(incident, fields)
        return self._answer(request, incident, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        incident = self.incidents.get(request.match_info["incident_id"])
        if incident is None:
            return _error(404, "Not found")
        fields, problem = await _fields(request, creating=False)
        problem = problem or self._component_problem(fields)
        if problem:
            return _error(422, problem)
        incident.status = str(fields.get("status") or incident.status)
        for component in fields.get("component_ids") or fields.get("components") or []:
            if component not in incident.component_ids:
                incident.component_ids.append(component)
        self._apply(incident, fields)
        return self._answer(request, incident, status=200)

    def _answer(
        self, request: web.Request, incident: PublicIncident, *, status: int
    ) -> web.Response:
        if self.lose_answers > 0:
            self.lose_answers -= 1
            return drop_connection(request)
        return web.json_response(incident.as_json(), status=status)

    async def _show(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        incident = self.incidents.get(request.match_info["incident_id"])
        if incident is None:
            return _error(404, "Not found")
        return web.json_response(incident.as_json())

    async def _list(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        query = request.query.get("q", "").lower()
        limit = min(int(request.query.get("limit", "100")), 100)
        named = [i.as_json() for i in self.incidents.values() if query in i.name.lower()]
        newest = sorted(named, key=lambda i: (i["created_at"], i["id"]), reverse=True)
        return web.json_response(newest[:limit])

    async def _unresolved(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        open_ones = [i.as_json() for i in self.incidents.values() if i.status != "resolved"]
        return web.json_response(sorted(open_ones, key=lambda i: i["created_at"], reverse=True))

    def _refused(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"OAuth {self.api_key}":
            return _error(401, "Could not authenticate")
        if request.match_info["page_id"] != self.page_id:
            return _error(404, "Not found")
        return None

    def _component_problem(self, fields: dict[str, Any]) -> str | None:
        named = dict.fromkeys(
            [*(fields.get("components") or {}), *(fields.get("component_ids") or [])]
        )
        unknown = [c for c in named if c not in self.components]
        return f"Components {', '.join(unknown)} not found on this page" if unknown else None

    def _apply(self, incident: PublicIncident, fields: dict[str, Any]) -> None:
        """The update the request adds, newest first as Statuspage lists them; a resolved
        incident puts its components back to operational."""
        changed = dict(fields.get("components") or {})
        if incident.status == "resolved":
            changed = {c: "operational" for c in incident.component_ids}
        self.components.update(changed)
        update = {
            "id": f"u{len(incident.updates) + 1:011d}",
            "incident_id": incident.id,
            "status": incident.status,
            "body": fields.get("body") or "",
            "created_at": _now(),
            "affected_components": [
                {"code": c, "new_status": s} for c, s in sorted(changed.items())
            ],
        }
        incident.updates.insert(0, update)


async def _fields(request: web.Request, *, creating: bool) -> tuple[dict[str, Any], str | None]:
    """The request's `incident` object and what Statuspage would refuse in it."""
    try:
        payload = await request.json()
    except ValueError:
        return {}, "Request body is not valid JSON"
    fields = payload.get("incident") if isinstance(payload, dict) else None
    if not isinstance(fields, dict):
        return {}, "incident is missing"
    return fields, _problem(fields, creating=creating)


def _problem(fields: dict[str, Any], *, creating: bool) -> str | None:
    name, body, status = fields.get("name"), fields.get("body"), fields.get("status")
    if creating and not (isinstance(name, str) and name.strip()):
        return "Name can't be blank"
    if isinstance(name, str) and len(name) > MAX_NAME:
        return f"Name is too long (maximum is {MAX_NAME} characters)"
    if isinstance(body, str) and len(body) > MAX_BODY:
        return f"Body is too long (maximum is {MAX_BODY} characters)"
    if status is not None and status not in INCIDENT_STATUSES:
        return f"Status is not included in the list ({status})"
    components = fields.get("components") or {}
    if not isinstance(components, dict):
        return "Components must be an object of component id to status"
    wrong = [s for s in components.values() if s not in COMPONENT_STATUSES]
    return f"Component status is not included in the list ({wrong[0]})" if wrong else None


def _error(status: int, words: str) -> web.Response:
    return web.json_response({"error": words}, status=status)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
