"""Where a new follow-up is also opened as an issue: the deliverers of the systems the
policy's `followups.export` names, with the secrets it names."""

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.config import FollowupExport
from bot.domain.effects import Effect
from bot.integrations.github import GitHub
from bot.integrations.jira import Jira

Secret = Callable[[str], SecretStr | None]
"""The value of a variable the policy names (`Catalog.secret`)."""


def export_deliverers(
    session: aiohttp.ClientSession, export: FollowupExport, secret: Secret
) -> dict[str, Callable[[Effect], Awaitable[dict[str, Any]]]]:
    found: dict[str, Callable[[Effect], Awaitable[dict[str, Any]]]] = {}
    if export.github:
        found.update(GitHub(session, export.github, secret(export.github.token_env)).deliverers())
    if export.jira:
        jira = Jira(
            session, export.jira, secret(export.jira.user_env), secret(export.jira.token_env)
        )
        found.update(jira.deliverers())
    return found
