"""Where a new follow-up is also opened as an issue: the deliverers of the systems the
policy's `followups.export` names, with the secrets it names."""

import aiohttp

from bot.config import FollowupExport
from bot.integrations.github import GitHub
from bot.integrations.http_api import Deliverers, Secret
from bot.integrations.jira import Jira


def export_deliverers(
    session: aiohttp.ClientSession, export: FollowupExport, secret: Secret
) -> Deliverers:
    found: Deliverers = {}
    if export.github:
        found.update(GitHub(session, export.github, secret(export.github.token_env)).deliverers())
    if export.jira:
        jira = Jira(
            session, export.jira, secret(export.jira.user_env), secret(export.jira.token_env)
        )
        found.update(jira.deliverers())
    return found
