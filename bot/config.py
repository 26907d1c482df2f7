"""Configuration: `Settings` from the environment and `.env`, and the policy file (YAML).

Secrets live only in `Settings` as `SecretStr`; the policy names environment variables, never
their values. Nothing else in the bot reads `os.environ`.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.alert_routes import AlertRoute
from bot.domain.durations import Duration
from bot.domain.severity import DEFAULT_SEVERITIES, SeverityPolicy
from bot.errors import UsageError


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
    data_dir: Path = Path(".incident-bot")
    incident_bot_config: Path | None = None
    alert_webhook_token: SecretStr | None = None
    templates_dir: Path | None = None
    log_format: Literal["json", "console"] = "console"
    log_level: str = "INFO"
    port: int = 3000
    slack_max_retries: int = Field(default=10, ge=0)

    @property
    def uses_socket_mode(self) -> bool:
        return bool(self.slack_app_token and self.slack_app_token.get_secret_value())


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EscalationStep(_Strict):
    after: Duration
    notify: tuple[str, ...] = ()
    severities: tuple[str, ...] | None = None


class Approvals(_Strict):
    approvers: tuple[str, ...] = ()
    self_approval: bool = False
    expires_after: Duration = timedelta(minutes=15)


class Database(_Strict):
    dsn_env: str


class ActionParam(_Strict):
    name: str
    pattern: str | None = None
    choices: tuple[str, ...] | None = None
    required: bool = True
    default: str | None = None


class Action(_Strict):
    title: str
    kind: Literal["sql", "http"]
    params: tuple[ActionParam, ...] = ()
    database: str | None = None
    statement: str | None = None
    verify: str | None = None
    method: str = "POST"
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: dict[str, Any] | None = Field(default=None, alias="json")
    approvers: tuple[str, ...] | None = None
    approvals_required: int = 1


class Alerts(_Strict):
    routes: tuple[AlertRoute, ...] = ()


class Policy(_Strict):
    """Everything a team tunes: severities, cadences, channels, escalation, approvals, actions."""

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
    databases: dict[str, Database] = Field(default_factory=dict)
    actions: dict[str, Action] = Field(default_factory=dict)
    alerts: Alerts = Alerts()

    @field_validator("severities", mode="before")
    @classmethod
    def _severities_from_mapping(cls, value: object) -> object:
        if isinstance(value, dict):
            return SeverityPolicy.from_mapping(value)
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

    @model_validator(mode="after")
    def _alert_routes_name_known_things(self) -> "Policy":
        """A route's `declare` must be a severity and its `suggest` actions of this policy."""
        for index, route in enumerate(self.alerts.routes):
            where = f"alerts.routes.{index}"
            if route.declare is not None:
                try:
                    self.severities.resolve(route.declare)
                except UsageError as error:
                    raise ValueError(f"{where}.declare: {error.message}") from None
            for action in route.suggest:
                if action not in self.actions:
                    raise ValueError(
                        f"{where}.suggest: {action!r} is not one of this policy's actions"
                        f" ({', '.join(self.actions) or 'none defined'})"
                    )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_policy(path: Path | None) -> Policy:
    """The policy from a YAML file, or the built-in defaults when no file is configured.

    Raises UsageError with one line per problem, each naming its path in the file.
    """
    if path is None:
        return Policy()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise UsageError(f"cannot read policy file {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise UsageError(f"{path} is not valid YAML: {error}") from None
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        raise UsageError(explain(path, error)) from None


def explain(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: {error.error_count()} problem(s)"]
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"  {where}: {problem['msg']}")
    return "\n".join(lines)
