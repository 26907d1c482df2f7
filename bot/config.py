"""Configuration: `Settings` from the environment and `.env`, and the policy file (YAML).

Secrets live only in `Settings` as `SecretStr`; the policy names environment variables, never
their values. Nothing else in the bot reads `os.environ`.
"""

import json
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain import checklist_items, placeholders
from bot.domain.alert_routes import AlertRoute
from bot.domain.durations import Duration
from bot.domain.params import ActionParam
from bot.domain.runbook_actions import DEFAULT_ACTIONS, DEFAULT_DATABASES
from bot.domain.severity import DEFAULT_SEVERITIES, SeverityPolicy
from bot.errors import UsageError
from bot.policy.document import dotted
from bot.policy.merge import with_defaults
from bot.policy.rules import cross_section_problems


class Settings(BaseSettings):
    """Process settings; see `.env.example` for each one's meaning."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True, extra="ignore"
    )

    slack_bot_token: SecretStr = SecretStr("")
    slack_signing_secret: SecretStr = SecretStr("")
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: SecretStr | None = None
    database_pool_size: int = Field(default=10, ge=2)
    data_dir: Path = Path(".incident-bot")
    incident_bot_config: Path | None = None
    alert_webhook_token: SecretStr | None = None
    templates_dir: Path | None = None
    log_format: Literal["json", "console"] = "console"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    no_color: str | None = None
    """Set to anything (https://no-color.org): console logs carry no ANSI colours."""
    port: int = Field(default=3000, ge=1, le=65535)
    slack_max_retries: int = Field(default=10, ge=0)

    @property
    def uses_socket_mode(self) -> bool:
        return bool(self.slack_app_token and self.slack_app_token.get_secret_value())

    @property
    def wants_color(self) -> bool:
        return not self.no_color

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value


_ACCEPTED = {
    "log_format": "is not accepted: use json or console",
    "log_level": "is not accepted: use DEBUG, INFO, WARNING, ERROR or CRITICAL",
    "port": "is not a port number (1–65535)",
    "database_pool_size": "is not accepted: a whole number, 2 or more",
    "slack_max_retries": "is not accepted: a whole number, 0 or more",
}
"""What each checked setting accepts, said the way an operator fixes it."""


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """The settings from the environment over `env_file`, as every command starts with them.

    Raises UsageError with one line per bad variable (`PORT='abc' is not a port number
    (1–65535)`): a typo in `.env` is the operator's to fix, not a traceback to read.
    """
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]  # pydantic-settings' own kwarg
    except ValidationError as error:
        raise UsageError("\n".join(settings_problems(error))) from None
    except UnicodeDecodeError:
        raise UsageError(f"{env_file} is not UTF-8 text: save it as UTF-8") from None
    except OSError as error:
        raise UsageError(f"cannot read {env_file}: {error.strerror}") from None


def settings_problems(error: ValidationError) -> list[str]:
    """One line per problem, naming the variable, the value given (never a secret's) and
    what is accepted."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        name = field.upper() or "(settings)"
        annotation = (
            Settings.model_fields[field].annotation if field in Settings.model_fields else None
        )
        if "SecretStr" in repr(annotation):
            lines.append(f"{name} is not accepted: {problem['msg']}")
            continue
        accepted = _ACCEPTED.get(field, f"is not accepted: {problem['msg']}")
        lines.append(f"{name}={problem['input']!r} {accepted}")
    return lines


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EscalationStep(_Strict):
    after: Duration
    notify: tuple[str, ...] = ()
    severities: tuple[str, ...] | None = None


_APPROVER = re.compile(r"^(?:<@|<!subteam\^)?([UWS][A-Z0-9]{2,})(?:\|[^>]*)?>?$")


def _approver_ids(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """User and user-group ids, also accepted as `<@U…>` and `<!subteam^S…>` as Slack writes them."""
    if values is None:
        return None
    ids = []
    for value in values:
        match = _APPROVER.match(value.strip())
        if match is None:
            raise ValueError(f"{value!r} is not a Slack user id (U…) or user-group id (S…)")
        ids.append(match.group(1))
    return tuple(ids)


class Approvals(_Strict):
    """Who approves actions: users and user groups; empty means any member of the incident channel."""

    approvers: tuple[str, ...] = ()
    required: int = Field(default=1, ge=1)
    self_approval: bool = False
    expires_after: Duration = timedelta(minutes=15)

    _ids = field_validator("approvers")(_approver_ids)


class Database(_Strict):
    dsn_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class Action(_Strict):
    """One entry of the catalog: a SQL statement on a named database, or a deploy API request.

    `approvers`, `approvals_required` and `self_approval` override the policy's `approvals`
    for this action (say two approvals for `kill`).
    """

    title: str
    kind: Literal["sql", "http"]
    params: tuple[ActionParam, ...] = ()
    database: str | None = None
    statement: str | None = None
    verify: str | None = None
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: dict[str, Any] | None = Field(default=None, alias="json")
    timeout: Duration = timedelta(seconds=10)
    approvers: tuple[str, ...] | None = None
    approvals_required: int | None = Field(default=None, ge=1)
    self_approval: bool | None = None
    requires: tuple[str, ...] = ()
    """Checklists every item of which must be ticked before an approval counts."""

    _ids = field_validator("approvers")(_approver_ids)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError("two params have the same name")
        if self.kind == "sql":
            if not self.database or not self.statement:
                raise ValueError("a sql action needs a database and a statement")
            for sql in (self.statement, self.verify or ""):
                if placeholders.highest_bind(sql) > len(names):
                    raise ValueError(
                        f"uses ${placeholders.highest_bind(sql)} but has {len(names)} params"
                    )
        else:
            if not self.url or self.database or self.statement:
                raise ValueError("an http action needs a url, and no database or statement")
            unknown = set().union(*(placeholders.param_names(t) for t in self.templates())) - set(
                names
            )
            if unknown:
                raise ValueError(f"placeholders name no param: {', '.join(sorted(unknown))}")
        return self

    def templates(self) -> list[str]:
        """Every string that may hold `${ENV}` or `{param}` placeholders (http actions)."""
        if self.kind == "sql":
            return []
        body = json.dumps(self.json_body) if self.json_body is not None else ""
        return [self.url or "", self.verify or "", body, *self.headers.values()]

    def env_names(self) -> set[str]:
        return set().union(*(placeholders.env_names(t) for t in self.templates()))


def _fits_a_checkbox(item: str) -> str:
    if problem := checklist_items.item_problem(item):
        raise ValueError(problem)
    return item


ChecklistItem = Annotated[str, AfterValidator(_fits_a_checkbox)]


class Checklist(_Strict):
    """A runbook checklist posted in the incident channel as Block Kit checkboxes.

    Its items are written out (`items`) or read from a Markdown runbook (`from:
    runbooks/rollback.md#Pre-Rollback Checklist`, relative to the policy file: the heading's
    `- [ ]` items; its title is the heading's unless `title` says otherwise). `post_on` says when
    it is posted: on declare (for `severities`, all when unset), on resolve, or only on request
    (`/incident checklist <name>`, and with the approval card of an action that `requires` it).
    """

    title: str | None = None
    items: tuple[ChecklistItem, ...] = ()
    source: str | None = Field(default=None, alias="from")
    post_on: Literal["declare", "resolve", "request"] = "request"
    severities: tuple[str, ...] | None = None

    @field_validator("items", mode="before")
    @classmethod
    def _items_trimmed(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(item.strip() if isinstance(item, str) else item for item in value)
        return value

    @field_validator("items")
    @classmethod
    def _not_too_many(cls, items: tuple[str, ...]) -> tuple[str, ...]:
        if len(items) > checklist_items.MAX_ITEMS:
            raise ValueError(checklist_items.count_problem(len(items)))
        return items

    @model_validator(mode="after")
    def _items_or_from(self) -> Self:
        if self.items and self.source:
            raise ValueError("give `items` or `from`, not both")
        if not self.items and not self.source:
            raise ValueError("give its `items`, or `from: runbook.md#Heading` to read them")
        return self


class Targets(_Strict):
    """How fast a severity should be handled, from runbook 000's success metrics: measured in
    drill reports and post-mortems (time to first response is the severity's `respond_within`)."""

    first_action: Duration | None = None
    mitigate: Duration | None = None
    resolve: Duration | None = None


class Alerts(_Strict):
    routes: tuple[AlertRoute, ...] = ()


EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
"""The name of an environment variable that holds a secret: the policy never holds the value."""


class PagedService(_Strict):
    """A service `/incident page <name>` pages: its own PagerDuty integration."""

    routing_key_env: EnvName


class Paging(_Strict):
    """PagerDuty Events API v2 (runbooks 003, 004): page the on-call when a paging severity is
    declared (or re-graded to one), resolve the page on resolve, page more services on request."""

    events_url: str = Field(
        default="https://events.pagerduty.com/v2/enqueue", pattern=r"^https?://"
    )
    routing_key_env: EnvName = "PAGERDUTY_ROUTING_KEY"
    page_on: tuple[str, ...] = ("sev1", "sev2")
    services: dict[str, PagedService] = Field(default_factory=dict)


CUSTOMER_WORDING = (
    "We're investigating reports of degraded service. We've implemented protective measures "
    "and are investigating the root cause. We'll provide updates as we learn more."
)
"""Runbook 000's customer communication template, as a public statement's starting words."""


class StatusPage(_Strict):
    """Atlassian Statuspage API v1 (runbooks 000, 001, 004): public statements, each approved in
    Slack by a second person before it is published."""

    api_url: str = Field(default="https://api.statuspage.io/v1", pattern=r"^https?://")
    page_id: str = Field(pattern=r"^[A-Za-z0-9]+$")
    api_key_env: EnvName = "STATUSPAGE_API_KEY"
    components: dict[str, str] = Field(default_factory=dict)
    """Names people type (`checkout`) → Statuspage component ids."""
    wording: str = CUSTOMER_WORDING
    """The public message a statement starts from when the command gives none."""

    @field_validator("components")
    @classmethod
    def _components(cls, components: dict[str, str]) -> dict[str, str]:
        """Names are typed as `name=state` (read in lower case); ids are Statuspage's."""
        for name, component_id in components.items():
            if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
                raise ValueError(
                    f"{name!r}: a component's name is lowercase letters, digits, - and _"
                )
            if not re.fullmatch(r"[A-Za-z0-9]+", component_id.strip()):
                raise ValueError(
                    f"{name!r}: give the component's Statuspage id (letters and digits)"
                )
        return components


class GitHubExport(_Strict):
    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    token_env: EnvName = "GITHUB_TOKEN"  # noqa: S105 - a variable's name, not its value
    api_url: str = Field(default="https://api.github.com", pattern=r"^https?://")


class JiraExport(_Strict):
    url: str = Field(pattern=r"^https?://")
    """The site, e.g. `https://acme.atlassian.net`."""
    project: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    issue_type: str = "Task"
    user_env: EnvName = "JIRA_USER"
    token_env: EnvName = "JIRA_API_TOKEN"  # noqa: S105 - a variable's name


class FollowupExport(_Strict):
    """Where each new follow-up is also opened as an issue; closing is still done in Slack."""

    github: GitHubExport | None = None
    jira: JiraExport | None = None


class Followups(_Strict):
    """Post-mortem action items tracked to done: one DM to the owner when due, then a nudge
    every `remind_every` while overdue."""

    remind_every: Duration = timedelta(weeks=1)
    export: FollowupExport = FollowupExport()


class Review(_Strict):
    """The weekly review (runbook 000): a digest of the period's figures to the announce
    channel, `every` period, `at` a weekday and time in the policy's time zone."""

    every: Duration = timedelta(weeks=1)
    at: str = Field(
        default="Mon 09:00",
        pattern=r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([01][0-9]|2[0-3]):[0-5][0-9]$",
    )


SECTION_BY_SECTION = "section by section"
"""Validation context of the file reader (`bot.policy.reading`): it applies the cross-section
rules itself, each problem at its own path."""


class Policy(_Strict):
    """Everything a team tunes: severities, cadences, channels, escalation, approvals, actions.

    Built from a mapping, the keyed sections merge into the defaults (`bot.policy.merge`:
    `severities: {sev1: {update_every: 10m}}` keeps sev2..sev4; `replace: true` replaces);
    lists such as `escalation` and `alerts.routes` replace the default as a whole.
    """

    timezone: str = "UTC"
    announce_channel: str = "incidents"
    channel_prefix: str = Field(default="incident", pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    severities: SeverityPolicy = Field(
        default_factory=lambda: SeverityPolicy.from_mapping(DEFAULT_SEVERITIES)
    )
    escalation: tuple[EscalationStep, ...] = (
        EscalationStep.model_validate({"after": "30m"}),
        EscalationStep.model_validate({"after": "1h", "severities": ["sev1"]}),
    )
    approvals: Approvals = Approvals()
    databases: dict[str, Database] = Field(
        default_factory=lambda: {
            k: Database.model_validate(v) for k, v in DEFAULT_DATABASES.items()
        }
    )
    actions: dict[str, Action] = Field(
        default_factory=lambda: {k: Action.model_validate(v) for k, v in DEFAULT_ACTIONS.items()}
    )
    alerts: Alerts = Alerts()
    checklists: dict[str, Checklist] = Field(default_factory=dict)
    drill_prefix: str = Field(default="drill", pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    drill_channel: str | None = None
    """Where drills are announced; the announce channel when unset."""
    targets: dict[str, Targets] = Field(default_factory=dict)
    """Per severity key (`sev1`): first action, mitigation and resolution targets."""
    give_up_after: Duration = timedelta(hours=24)
    """How long an effect (a post, a channel, a call to another system) is retried through an
    outage before it is given up and reported."""
    paging: Paging | None = None
    """No paging without the section."""
    status_page: StatusPage | None = None
    """No public statements without the section."""
    followups: Followups = Followups()
    review: Review | None = None
    """No weekly digest without the section."""

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, data: object) -> object:
        return with_defaults(data) if isinstance(data, Mapping) else data

    @model_validator(mode="after")
    def _sections_agree(self, info: ValidationInfo) -> Self:
        """What one section names exists in another (`bot.policy_rules`); the file reader
        skips this to apply the rules itself, each problem at its own path."""
        if info.context == SECTION_BY_SECTION:
            return self
        problems = cross_section_problems(self)
        if problems:
            raise ValueError("; ".join(f"{dotted(p.loc)}: {p.message}" for p in problems))
        return self

    def environment_names(self) -> set[str]:
        """The environment variables the policy names: the actions' DSNs and `${ENV}` secrets,
        and the other systems' keys and tokens."""
        names = {d.dsn_env for d in self.databases.values()}
        return names.union(*(a.env_names() for a in self.actions.values()), self._integration_env())

    def _integration_env(self) -> set[str]:
        names: set[str] = set()
        if self.paging:
            names.add(self.paging.routing_key_env)
            names.update(s.routing_key_env for s in self.paging.services.values())
        if self.status_page:
            names.add(self.status_page.api_key_env)
        export = self.followups.export
        if export.github:
            names.add(export.github.token_env)
        if export.jira:
            names.update((export.jira.user_env, export.jira.token_env))
        return names

    @field_validator("checklists")
    @classmethod
    def _titled(cls, checklists: dict[str, Checklist]) -> dict[str, Checklist]:
        """A checklist written out without a title goes by its name; one read `from` a runbook
        takes its heading's when the file is read (`bot.policy.checklist_sources`)."""
        return {
            name: checklist.model_copy(update={"title": name})
            if checklist.title is None and checklist.source is None
            else checklist
            for name, checklist in checklists.items()
        }

    @field_validator("severities", mode="before")
    @classmethod
    def _severities_from_mapping(cls, value: object) -> object:
        """`{sev1: {...}, sev2: {...}}` in the file; its order is the severity order."""
        if isinstance(value, Mapping):
            return {
                "levels": [
                    {**spec, "key": key, "rank": rank} if isinstance(spec, Mapping) else spec
                    for rank, (key, spec) in enumerate(value.items())
                ]
            }
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)"
            ) from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def resolve_environment(policy: Policy, environ: Mapping[str, str]) -> dict[str, SecretStr]:
    """The values of the variables the policy names, taken from `environ`, kept secret.

    The one place a DSN or token is looked up; tests pass a mapping of their own. A variable
    that is unset or empty is left out, and the actions needing it are listed as unavailable.
    """
    return {
        name: SecretStr(environ[name])
        for name in sorted(policy.environment_names())
        if environ.get(name)
    }


def process_environment(env_file: Path | None = Path(".env")) -> dict[str, str]:
    """The process environment over `.env`, as `Settings` reads them: what `serve` resolves from."""
    from_file = dotenv_values(env_file) if env_file is not None and env_file.is_file() else {}
    values = {k: v for k, v in from_file.items() if v is not None}
    return {**values, **os.environ}
