"""Atlassian Statuspage API v1: a public statement as an outbox effect, and its delivery.

An incident's statements go out in one lane (`statuspage:<incident id>`), so its first
statement's create is answered before any update of it is tried. An update is recorded before
that answer may exist (two statements approved a minute apart while Statuspage is down), so it
names no public incident: its deliverer asks `PublicIds` for the one the create's answer left
(kept by the service's follow-up, in the transaction that marked the create done), and creates
it instead when there is none (the create was refused for good).

A request whose answer was lost may have landed (`Effect.maybe_done`), and repeating it would
show the public a second incident or a second update: the retry looks first. A create looks
among the page's incidents with its name, resolved ones too, for one whose first update says
what it says; an update reads its public incident and is not repeated when the latest update
already carries its status and words.

The API key travels only in the request's header: an effect's args name its variable
(`api_key_env`) and the deliverer looks it up (`Secret`) when it sends.
"""

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from bot.domain.effects import DeliveryError, Effect, NewEffect
from bot.integrations.http_api import Deliverers, HttpApi, Secret

SYSTEM = "Statuspage"
CREATE = "statuspage.create"
UPDATE = "statuspage.update"
STATEMENT_ID = "statement_id"
RECENT = 100
"""How many public incidents with the statement's name are looked through (Statuspage's most)."""

PublicIds = Callable[[int], Awaitable[str | None]]
"""The public incident an incident's earlier statement created, if Statuspage answered it."""


def lane(incident_id: int) -> str:
    return f"statuspage:{incident_id}"


def incident_fields(
    *, name: str | None, status: str, body: str, components: dict[str, str]
) -> dict[str, Any]:
    """Statuspage's `incident` object: `components` is component id → its new status."""
    fields: dict[str, Any] = {
        "status": status,
        "body": body,
        "components": components,
        "component_ids": sorted(components),
    }
    return {"name": name, **fields} if name is not None else fields


def statement(
    *,
    opens: bool,
    incident_id: int,
    statement_id: int,
    api_url: str,
    page_id: str,
    api_key_env: str,
    fields: dict[str, Any],
    then_do: str,
) -> NewEffect:
    """A statement to send: it `opens` the public incident (the incident's first statement), or
    adds to it (`fields` keep the name, in case the public incident must be created after all)."""
    method = CREATE if opens else UPDATE
    return NewEffect(
        method,
        {
            STATEMENT_ID: statement_id,
            "api_url": api_url.rstrip("/"),
            "page_id": page_id,
            "api_key_env": api_key_env,
            "incident": fields,
        },
        lane=lane(incident_id),
        about=f"{'open' if opens else 'update'} the public incident on the status page"
        f" (`{fields['status']}`)",
        incident_id=incident_id,
        then_do=then_do,
    )


class StatuspageDeliverers:
    """Sends the statements: `deliverers()` is registered with the dispatcher."""

    def __init__(self, api: HttpApi, secret: Secret, public_ids: PublicIds) -> None:
        self.api = api
        self.secret = secret
        self.public_ids = public_ids

    def deliverers(self) -> Deliverers:
        return {CREATE: self.create, UPDATE: self.update}

    async def create(self, effect: Effect) -> dict[str, Any]:
        """POST the incident; after an attempt that may have landed, look for it first."""
        args = effect.args
        if effect.maybe_done:
            found = await self._created(effect)
            if found is not None:
                return found
        answer = await self.api.send(
            "POST",
            self._incidents(effect),
            effect=effect.method,
            json={"incident": args["incident"]},
            headers=self._headers(effect),
        )
        return _kept(answer.body)

    async def update(self, effect: Effect) -> dict[str, Any]:
        """PATCH the public incident the create left; create it when there is none."""
        public_id = await self.public_ids(effect.incident_id or 0)
        if public_id is None:
            return await self.create(effect)
        fields = {k: v for k, v in effect.args["incident"].items() if k != "name"}
        if effect.maybe_done:
            found = await self._updated(effect, public_id)
            if found is not None:
                return found
        answer = await self.api.send(
            "PATCH",
            f"{self._incidents(effect)}/{public_id}",
            effect=effect.method,
            json={"incident": fields},
            headers=self._headers(effect),
        )
        return _kept(answer.body)

    async def _created(self, effect: Effect) -> dict[str, Any] | None:
        """The public incident an earlier attempt of this create opened: the newest with its
        name whose first update says what this one says. Resolved ones count too (the first
        statement may say `resolved`, or someone resolved it on Statuspage meanwhile)."""
        sent = effect.args["incident"]
        answer = await self.api.send(
            "GET",
            f"{self._incidents(effect)}?q={quote(str(sent.get('name') or ''))}&limit={RECENT}",
            effect=effect.method,
            headers=self._headers(effect),
        )
        for incident in answer.body if isinstance(answer.body, list) else []:
            if not isinstance(incident, dict) or incident.get("name") != sent.get("name"):
                continue
            updates = incident.get("incident_updates") or [{}]
            if _says(updates[-1], sent):
                return {**_kept(incident), "found": True}
        return None

    async def _updated(self, effect: Effect, public_id: str) -> dict[str, Any] | None:
        """The public incident, when its latest update already says what this one says (an
        earlier attempt landed); None when the PATCH is still to be made."""
        answer = await self.api.send(
            "GET",
            f"{self._incidents(effect)}/{public_id}",
            effect=effect.method,
            headers=self._headers(effect),
        )
        incident = answer.body if isinstance(answer.body, dict) else {}
        updates = incident.get("incident_updates") or [{}]
        if _says(updates[0], effect.args["incident"]):
            return {**_kept(incident), "found": True}
        return None

    def _incidents(self, effect: Effect) -> str:
        return f"{effect.args['api_url']}/pages/{effect.args['page_id']}/incidents"

    def _headers(self, effect: Effect) -> dict[str, str]:
        env_name = str(effect.args["api_key_env"])
        key = self.secret(env_name)
        if key is None:
            raise DeliveryError(
                effect.method,
                "api_key_missing",
                detail=f"{env_name} is not set on this replica",
                system=SYSTEM,
            )
        return {"Authorization": f"OAuth {key.get_secret_value()}"}


def _says(update: Any, sent: dict[str, Any]) -> bool:
    """Whether a public incident's update carries the status and words `sent`."""
    if not isinstance(update, dict):
        return False
    words = str(update.get("body") or "").strip()
    return update.get("status") == sent.get("status") and words == str(sent["body"]).strip()


def _kept(body: Any) -> dict[str, Any]:
    """What the outbox keeps of Statuspage's answer: the public incident's id, link, status
    and latest words (never the whole answer)."""
    incident = body if isinstance(body, dict) else {}
    updates = incident.get("incident_updates") or [{}]
    latest = updates[0] if isinstance(updates[0], dict) else {}
    return {
        "id": str(incident.get("id") or ""),
        "shortlink": incident.get("shortlink"),
        "status": incident.get("status"),
        "body": latest.get("body"),
    }
