"""The action catalog: the policy's actions, which of them can run here, and what each would do.

An action whose DSN or secret is missing from the environment stays in the catalog, marked
unavailable with the reason, so `/incident actions` can say why instead of the bot failing.
A `Plan` is one action with bound params: exactly what will be sent, plus a `preview` for the
card in which every secret appears by name (`${DEPLOY_API_TOKEN}`), never by value.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import SecretStr

from bot.config import Action, Policy
from bot.domain import placeholders
from bot.domain.approval import Rule
from bot.domain.params import Bound, usage
from bot.errors import NotFound


@dataclass(frozen=True)
class Entry:
    name: str
    action: Action
    rule: Rule
    expires_after: timedelta
    missing: tuple[str, ...]
    """Environment variables the action needs that are not set."""

    @property
    def is_available(self) -> bool:
        return not self.missing

    @property
    def reason(self) -> str:
        """Why the action cannot run here ('' when it can)."""
        return ", ".join(self.missing) + (
            " is not set" if len(self.missing) == 1 else " are not set"
        )

    @property
    def usage(self) -> str:
        return usage(self.name, self.action.params)

    @property
    def target(self) -> str:
        return f"database `{self.action.database}`" if self.action.kind == "sql" else "deploy API"


@dataclass(frozen=True)
class SqlPlan:
    database: str
    statement: str
    args: tuple[str | None, ...]
    verify: str | None
    verify_args: tuple[str | None, ...]
    timeout: timedelta
    preview: str


@dataclass(frozen=True)
class HttpPlan:
    method: str
    timeout: timedelta
    preview: str
    url: str = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    body: Any = field(repr=False)
    verify_url: str | None = field(repr=False)
    secrets: tuple[str, ...] = field(repr=False)

    def masked(self, text: str) -> str:
        """`text` with every secret value blanked: for error messages and echoed bodies."""
        for secret in self.secrets:
            text = text.replace(secret, "••••")
        return text


Plan = SqlPlan | HttpPlan


class Catalog:
    def __init__(self, policy: Policy, secrets: Mapping[str, SecretStr]) -> None:
        self._policy = policy
        self._secrets = dict(secrets)
        self._entries = {name: self._entry(name, a) for name, a in policy.actions.items()}

    def _entry(self, name: str, action: Action) -> Entry:
        defaults = self._policy.approvals
        needed = set(action.env_names())
        if action.kind == "sql" and action.database is not None:
            needed.add(self._policy.databases[action.database].dsn_env)
        return Entry(
            name=name,
            action=action,
            rule=Rule(
                approvers=defaults.approvers if action.approvers is None else action.approvers,
                required=action.approvals_required or defaults.required,
                self_approval=(
                    defaults.self_approval if action.self_approval is None else action.self_approval
                ),
            ),
            expires_after=defaults.expires_after,
            missing=tuple(sorted(needed - set(self._secrets))),
        )

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._entries)

    def secret(self, env_name: str) -> SecretStr | None:
        """The value of a variable the policy names (a routing key, an API token), if set."""
        return self._secrets.get(env_name)

    @property
    def entries(self) -> list[Entry]:
        return list(self._entries.values())

    def target_databases(self) -> dict[str, SecretStr]:
        """Each database the policy names whose DSN this replica has: where sql actions run."""
        return {
            name: self._secrets[database.dsn_env]
            for name, database in self._policy.databases.items()
            if database.dsn_env in self._secrets
        }

    def get(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise NotFound(f"There is no action `{name}` in the catalog.") from None

    def plan(self, entry: Entry, params: Bound) -> Plan:
        """What running `entry` with `params` sends, resolved with this replica's secrets."""
        action = entry.action
        if action.kind == "sql":
            return self._sql_plan(entry, params)
        secret = self._secret
        body = placeholders.fill_json(action.json_body, params, secret)
        shown_body = placeholders.fill_json(action.json_body, params, placeholders.shown_by_name)
        return HttpPlan(
            method=action.method,
            timeout=action.timeout,
            preview=_http_preview(action, params, shown_body),
            url=placeholders.fill(action.url or "", params, secret, for_url=True),
            headers={k: placeholders.fill(v, params, secret) for k, v in action.headers.items()},
            body=body,
            verify_url=(
                placeholders.fill(action.verify, params, secret, for_url=True)
                if action.verify
                else None
            ),
            secrets=tuple(s.get_secret_value() for s in self._secrets.values()),
        )

    def _sql_plan(self, entry: Entry, params: Bound) -> SqlPlan:
        action = entry.action
        statement = action.statement or ""
        values = tuple(params.get(p.name) for p in action.params)
        args = values[: placeholders.highest_bind(statement)]
        lines = [f"on database `{action.database}`:", statement]
        lines += [f"${n} = {_sql_literal(v)}" for n, v in enumerate(args, start=1)]
        return SqlPlan(
            database=action.database or "",
            statement=statement,
            args=args,
            verify=action.verify,
            verify_args=values[: placeholders.highest_bind(action.verify or "")],
            timeout=action.timeout,
            preview="\n".join(lines),
        )

    def _secret(self, name: str) -> str:
        return self._secrets[name].get_secret_value()


def _sql_literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _http_preview(action: Action, params: Bound, shown_body: Any) -> str:
    shown = placeholders.shown_by_name
    lines = [f"{action.method} {placeholders.fill(action.url or '', params, shown, for_url=True)}"]
    lines += [f"{k}: {placeholders.fill(v, params, shown)}" for k, v in action.headers.items()]
    if shown_body is not None:
        lines.append(json.dumps(shown_body, sort_keys=True))
    return "\n".join(lines)
