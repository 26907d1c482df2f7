"""Incident channel names: `incident-YYYYMMDD-NNN`, NNN the day's sequence from 001."""

import re
from datetime import date

MAX_CHANNEL_NAME = 80


def channel_name(prefix: str, day: date, seq: int) -> str:
    """The channel name for the `seq`-th incident of `day` (seq from 1; 1000 and up widen)."""
    if seq < 1:
        raise ValueError("sequence numbers start at 1")
    return f"{prefix}-{day:%Y%m%d}-{seq:03d}"


def is_incident_channel(prefix: str, name: str) -> bool:
    """Whether a channel name follows the incident pattern (an optional `-slug` may follow)."""
    pattern = rf"^{re.escape(prefix)}-\d{{8}}-\d{{3,}}(-[a-z0-9_-]+)?$"
    return re.match(pattern, name) is not None
