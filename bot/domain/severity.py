"""Severity levels and the words people use for them (SEV-1, P0, critical all mean the same)."""

from collections.abc import Mapping
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.domain.durations import Duration
from bot.errors import UsageError


class SeverityLevel(BaseModel):
    """One level of the policy: how fast to respond and how often to post updates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = ""
    label: str
    aliases: tuple[str, ...] = ()
    respond_within: Duration
    update_every: Duration
    rank: int = 0


DEFAULT_SEVERITIES: dict[str, dict[str, object]] = {
    "sev1": {
        "aliases": ["p0", "critical"],
        "label": "SEV-1 Critical",
        "respond_within": "15m",
        "update_every": "15m",
    },
    "sev2": {
        "aliases": ["p1", "high"],
        "label": "SEV-2 High",
        "respond_within": "1h",
        "update_every": "30m",
    },
    "sev3": {
        "aliases": ["p2", "medium"],
        "label": "SEV-3 Medium",
        "respond_within": "4h",
        "update_every": "1h",
    },
    "sev4": {
        "aliases": ["p3", "low"],
        "label": "SEV-4 Low",
        "respond_within": "24h",
        "update_every": "4h",
    },
}


class SeverityPolicy(BaseModel):
    """The ordered levels, most severe first, and the lookup from any alias to its level."""

    model_config = ConfigDict(frozen=True)

    levels: tuple[SeverityLevel, ...] = Field(min_length=1)

    @classmethod
    def from_mapping(cls, levels: Mapping[str, Mapping[str, object]]) -> "SeverityPolicy":
        return cls(
            levels=tuple(
                SeverityLevel.model_validate({**spec, "key": key, "rank": rank})
                for rank, (key, spec) in enumerate(levels.items())
            )
        )

    @model_validator(mode="after")
    def _names_are_unique(self) -> "SeverityPolicy":
        seen: dict[str, str] = {}
        for level in self.levels:
            for name in (level.key, *level.aliases):
                word = name.lower()
                if word in seen:
                    raise ValueError(f"{name!r} names both {seen[word]} and {level.key}")
                seen[word] = level.key
        return self

    @property
    def usage(self) -> str:
        return " | ".join("/".join((level.key, *level.aliases)) for level in self.levels)

    def resolve(self, word: str) -> SeverityLevel:
        """The level a word names, case-insensitively; UsageError listing the choices otherwise."""
        wanted = word.strip().lower()
        for level in self.levels:
            if wanted == level.key or wanted in (a.lower() for a in level.aliases):
                return level
        raise UsageError(f"`{word}` is not a severity. Use one of: {self.usage}.")

    def get(self, key: str) -> SeverityLevel:
        """The level stored under `key`; falls back to the least severe if the policy changed."""
        for level in self.levels:
            if level.key == key:
                return level
        return self.levels[-1]

    def update_every(self, key: str) -> timedelta:
        return self.get(key).update_every


def default_severity_policy() -> SeverityPolicy:
    return SeverityPolicy.from_mapping(DEFAULT_SEVERITIES)
