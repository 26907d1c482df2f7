"""How `check-config` shows the effective policy: a short summary, or the whole of it as YAML.

The YAML (`check-config --show`) is what the bot runs with, defaults merged in, written as a
policy file: each keyed section says `replace: true`, so the output read back as a policy gives
the same policy. Secrets are never in a policy, only the names of their environment variables.
"""

import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.config import Policy
from bot.domain.durations import written_duration
from bot.policy.merge import KEYED_SECTIONS, REPLACE


def summary(policy: Policy, path: Path | None) -> list[str]:
    """A few lines saying what the policy amounts to."""
    source = f"{path}, merged into the built-in defaults" if path else "built-in defaults"
    steps = ", ".join(
        f"after {written_duration(step.after)}"
        + (f" ({'/'.join(step.severities)})" if step.severities is not None else "")
        for step in policy.escalation
    )
    approvers = ", ".join(policy.approvals.approvers) or "any member of the incident channel"
    return [
        f"policy: {source}",
        f"  severities: {policy.severities.usage}",
        f"  announce channel: #{policy.announce_channel}; channels: "
        f"{policy.channel_prefix}-YYYYMMDD-NNN ({policy.timezone})",
        f"  escalation: {steps or 'none'}",
        f"  approvals: {approvers}; {policy.approvals.required} needed",
        f"  actions: {', '.join(policy.actions) or 'none'}; alert routes: {len(policy.alerts.routes)}",
        *_checklists(policy),
    ]


def _checklists(policy: Policy) -> list[str]:
    """`  checklists: pre-rollback (12 items, from runbooks/rollback.md), …`, when there are any."""
    if not policy.checklists:
        return []
    described = (
        f"{name} ({len(c.items)} items"
        + (f", from {c.source.partition('#')[0].strip()}" if c.source else "")
        + ")"
        for name, c in policy.checklists.items()
    )
    return [f"  checklists: {', '.join(described)}"]


def effective_yaml(policy: Policy) -> str:
    """The whole policy as a policy file, defaults included."""
    data = _plain(policy.model_dump(by_alias=True, exclude_none=True))
    data["severities"] = {
        level.pop("key"): {k: v for k, v in level.items() if k != "rank"}
        for level in data["severities"]["levels"]
    }
    for section in KEYED_SECTIONS:
        data[section] = {REPLACE: True, **data[section]}
    for checklist in data["checklists"].values():
        if checklist.get("items"):
            checklist.pop("from", None)  # read already: the items stand on their own
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _plain(value: Any) -> Any:
    """A dump as YAML writes it and the policy reads it: `15m`, a regex's text, lists."""
    if isinstance(value, timedelta):
        return written_duration(value)
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
