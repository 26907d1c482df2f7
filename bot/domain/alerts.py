"""Alerts from the monitoring stack, normalised from the three webhook shapes the bot accepts.

Alertmanager (webhook version 4), Grafana alerting (the same shape plus a few fields) and our
own small generic shape all become one `Alert`. Parsing happens here, at the edge, so the rest
of the bot never sees a raw payload; a payload that does not fit raises `InvalidAlert` naming
the field (`alerts.0.labels`), which the route turns into a 400. Every string of the payload has
its control characters removed first (`bot.domain.text`: PostgreSQL cannot store a NUL), and a
payload nested deeper than any sender's is refused before it is read.
"""

import hashlib
import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from bot.domain.grammar import MAX_TITLE
from bot.domain.text import TooDeep, clean_json

Source = Literal["alertmanager", "grafana", "generic"]
SOURCES: tuple[Source, ...] = ("alertmanager", "grafana", "generic")
SOURCE_NAMES: dict[Source, str] = {
    "alertmanager": "Alertmanager",
    "grafana": "Grafana",
    "generic": "webhook",
}
AlertStatus = Literal["firing", "resolved"]


class InvalidAlert(ValueError):
    """The body is not JSON or not the expected shape; `field` says where (`alerts.0.status`)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


class Alert(BaseModel):
    """One alert, whatever sent it. Labels and annotations are untrusted text."""

    model_config = ConfigDict(frozen=True)

    source: Source
    title: str
    status: AlertStatus
    fingerprint: str
    group_key: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    link: str | None = None
    starts_at: datetime | None = None

    @property
    def is_firing(self) -> bool:
        return self.status == "firing"

    @property
    def summary(self) -> str | None:
        return self.annotations.get("summary") or None

    @property
    def description(self) -> str | None:
        return self.annotations.get("description") or self.annotations.get("message") or None

    @property
    def runbook(self) -> str | None:
        """The runbook link (`runbook_url` is Prometheus's convention), if it is a web address."""
        return web_link(self.annotations.get("runbook_url") or self.annotations.get("runbook"))

    @property
    def source_name(self) -> str:
        return SOURCE_NAMES[self.source]


def web_link(value: str | None) -> str | None:
    """`value` if it is an http(s) address without spaces; anything else is not shown as a link."""
    if value and re.match(r"^https?://[^\s]+$", value):
        return value
    return None


def clean_title(text: str, fallback: str) -> str:
    """One line, at most a header's 150 characters, never empty."""
    title = " ".join(text.split()) or fallback
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def derived_fingerprint(title: str, labels: dict[str, str]) -> str:
    """A stable fingerprint for a sender that gives none: the same title and labels, same alert."""
    canonical = json.dumps({"title": title, "labels": labels}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _no_zero_time(value: object) -> object:
    """Go's zero time (`0001-01-01T00:00:00Z`) means "not set" in Alertmanager's payloads."""
    return None if isinstance(value, str) and value.startswith("0001-01-01") else value


OptionalTime = Annotated[datetime | None, BeforeValidator(_no_zero_time)]


class _Lenient(BaseModel):
    """Senders add fields over time; we read the ones we know and ignore the rest."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _WebhookAlert(_Lenient):
    status: AlertStatus
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: OptionalTime = Field(default=None, alias="startsAt")
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str = ""
    panel_url: str = Field(default="", alias="panelURL")
    dashboard_url: str = Field(default="", alias="dashboardURL")


class AlertmanagerPayload(_Lenient):
    """Alertmanager's webhook body, version 4 (also what Grafana's webhook contact point sends)."""

    version: str = "4"
    group_key: str = Field(default="", alias="groupKey")
    alerts: list[_WebhookAlert]


class _AlertmanagerV4(AlertmanagerPayload):
    version: Literal["4"]
    group_key: str = Field(alias="groupKey", min_length=1)


class GenericPayload(BaseModel):
    """Our own shape, for scripts and tools without an Alertmanager-style webhook (see README)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    severity: str | None = None
    status: AlertStatus = "firing"
    fingerprint: str | None = Field(default=None, min_length=1)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    link: str | None = None


def _from_webhook(source: Source, payload: AlertmanagerPayload) -> list[Alert]:
    alerts = []
    for item in payload.alerts:
        title = clean_title(
            item.annotations.get("summary") or item.labels.get("alertname", ""),
            f"Alert from {SOURCE_NAMES[source]}",
        )
        fingerprint = item.fingerprint or derived_fingerprint(title, item.labels)
        link = web_link(item.generator_url) or web_link(item.panel_url)
        alerts.append(
            Alert(
                source=source,
                title=title,
                status=item.status,
                fingerprint=fingerprint,
                group_key=payload.group_key or fingerprint,
                labels=item.labels,
                annotations=item.annotations,
                link=link or web_link(item.dashboard_url),
                starts_at=item.starts_at,
            )
        )
    return alerts


def _from_generic(payload: GenericPayload) -> list[Alert]:
    labels = dict(payload.labels)
    if payload.severity and "severity" not in labels:
        labels["severity"] = payload.severity
    title = clean_title(payload.title, "Alert from webhook")
    fingerprint = payload.fingerprint or derived_fingerprint(title, labels)
    return [
        Alert(
            source="generic",
            title=title,
            status=payload.status,
            fingerprint=fingerprint,
            group_key=fingerprint,
            labels=labels,
            annotations=payload.annotations,
            link=web_link(payload.link),
        )
    ]


def parse_alerts(source: Source, body: bytes) -> list[Alert]:
    """The alerts in a webhook body from `source`; InvalidAlert naming the field otherwise."""
    try:
        data: Any = clean_json(json.loads(body))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidAlert("", f"the body is not valid JSON ({error})") from None
    except (RecursionError, TooDeep):
        raise InvalidAlert("", "the body nests deeper than any alert payload does") from None
    try:
        if source == "generic":
            return _from_generic(GenericPayload.model_validate(data))
        model = _AlertmanagerV4 if source == "alertmanager" else AlertmanagerPayload
        return _from_webhook(source, model.model_validate(data))
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(body)"
        raise InvalidAlert(field, first["msg"]) from None
