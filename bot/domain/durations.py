"""Durations as people write them in the policy file (`30s`, `15m`, `4h`, `1d`, `1w`) and read them."""

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PATTERN = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(text: str) -> timedelta:
    """Parse `15m`-style text; raise ValueError naming the accepted forms otherwise."""
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a duration: write a number and a unit, e.g. 30s, 15m, 4h, 1d, 1w"
        )
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def format_duration(delta: timedelta) -> str:
    """A duration as people say it, leaving out what is zero: `40s`, `15m`, `1h`, `1h 5m`,
    `1 day`, `2 days 3h`. Below an hour seconds are dropped, from a day on minutes are.
    """
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return " ".join([f"{days} day{'s' if days > 1 else ''}", *([f"{hours}h"] if hours else [])])
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def written_duration(delta: timedelta) -> str:
    """A duration as the policy file writes it, in its largest whole unit: `90s`, `15m`, `1d`;
    `parse_duration` reads it back unchanged."""
    seconds = int(delta.total_seconds())
    unit = next(u for u, size in sorted(_UNITS.items(), key=lambda i: -i[1]) if seconds % size == 0)
    return f"{seconds // _UNITS[unit]}{unit}"


_ONE = {timedelta(days=1): "day", timedelta(hours=1): "hour", timedelta(minutes=1): "minute"}


def format_period(delta: timedelta) -> str:
    """How often something recurs: `every hour`, `every day`, `every 15m`, `every 4h`."""
    return f"every {_ONE.get(delta) or format_duration(delta)}"


def _coerce_duration(value: object) -> object:
    return parse_duration(value) if isinstance(value, str) else value


Duration = Annotated[timedelta, BeforeValidator(_coerce_duration)]
"""A timedelta field that also accepts the policy file's `15m` form."""
