"""`incident-bot doctor`: is this deployment ready for a real workspace?

Each check is one line, ✓ or ✗ with its fix: the Slack token and workspace, the token's scopes
against the manifest's (`bot.slack.scopes`, which a test keeps equal to `manifest.yml`), the
announce channel and the bot's membership, the approvers, the bot's PostgreSQL, and every
action's target. Nothing is changed anywhere, and no secret is printed.
"""

from collections.abc import Mapping

from bot.config import Policy, Settings, resolve_environment
from bot.doctor.checks import Check, failed, render
from bot.doctor.targets import check_bot_database, check_targets
from bot.doctor.workspace import COPY_FROM_OAUTH_PAGE, check_workspace
from bot.services.container import delivery_gateway, open_slack_session

__all__ = ["Check", "diagnose", "render"]


async def diagnose(settings: Settings, policy: Policy, environ: Mapping[str, str]) -> list[Check]:
    """Every check, in the order an operator fixes things: Slack, then the databases, then the
    actions' targets. `environ` holds the variables the policy's actions name."""
    async with open_slack_session() as session:
        if settings.slack_bot_token.get_secret_value():
            # The delivery gateway retries nothing: an unreachable Slack is one quick ✗.
            slack = delivery_gateway(settings, session)
            checks = await check_workspace(slack, policy, settings.slack_api_url)
        else:
            checks = [failed("SLACK_BOT_TOKEN is not set", COPY_FROM_OAUTH_PAGE)]
        checks.append(await check_bot_database(settings))
        checks.extend(await check_targets(policy, resolve_environment(policy, environ), session))
    return checks
