"""The Slack half of `incident-bot doctor`: the token, its scopes, the announce channel, the
approvers. Every call goes through the bot's own gateway, so the doctor sees what the bot sees.
"""

from typing import Any

from bot.config import Policy
from bot.doctor.checks import Check, failed, passed
from bot.slack.gateway import SlackError, SlackGateway
from bot.slack.scopes import BOT_SCOPES

COPY_FROM_OAUTH_PAGE = (
    "copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page "
    "into SLACK_BOT_TOKEN"
)
REFUSED_TOKEN = frozenset(
    {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired"}
)


async def check_workspace(slack: SlackGateway, policy: Policy, api_url: str) -> list[Check]:
    """The Slack checks in order; when auth.test fails, that one line and nothing more."""
    try:
        granted = await slack.granted_scopes()
    except SlackError as error:
        return [_auth_failed(error, api_url)]
    me = slack.known_identity or {}
    return [
        passed(
            f"Slack: token valid for workspace {me.get('team')} ({me.get('team_id')}),"
            f" bot user @{me.get('user')} ({me.get('user_id')})"
        ),
        _scopes(granted),
        await _announce_channel(slack, policy.announce_channel, str(me.get("user") or "")),
        *[await _approver(slack, approver) for approver in approvers(policy)],
    ]


def _auth_failed(error: SlackError, api_url: str) -> Check:
    if error.error == "unreachable" or error.is_transient:
        return failed(
            f"Slack is unreachable at {api_url} ({error.error})",
            "check the network or proxy from here to Slack, and SLACK_API_URL",
        )
    if error.error in REFUSED_TOKEN:
        return failed(f"Slack refused the bot token ({error.error})", COPY_FROM_OAUTH_PAGE)
    return failed(f"Slack's auth.test failed ({error.error})", f"check SLACK_API_URL ({api_url})")


def _scopes(granted: frozenset[str] | None) -> Check:
    if granted is None:
        return failed(
            "Slack did not say which scopes the token has (no x-oauth-scopes header)",
            "check that SLACK_API_URL is Slack's Web API",
        )
    missing = BOT_SCOPES - granted
    if missing:
        return failed(
            f"the token lacks scopes the manifest asks for: {', '.join(sorted(missing))}",
            "add them under OAuth & Permissions → Bot Token Scopes (manifest.yml lists them),"
            " then reinstall the app after adding them",
        )
    return passed(f"the token has all {len(BOT_SCOPES)} scopes the manifest asks for")


async def _announce_channel(slack: SlackGateway, configured: str, bot: str) -> Check:
    name = configured.removeprefix("#")
    invite = f"type /invite @{bot or 'incident-bot'} in #{name}"
    try:
        found: dict[str, Any] | None = await slack.find_channel(name)
    except SlackError as error:
        return failed(
            f"announce channel #{name}: Slack refused to list channels ({error.error})",
            _refusal(error, otherwise=f"check announce_channel ({configured!r}) in the policy"),
        )
    if found is None:
        return failed(
            f"announce channel #{name} does not exist (or is private without the bot)",
            f"create #{name} and {invite}, or set announce_channel in the policy",
        )
    if found.get("is_archived"):
        return failed(
            f"announce channel #{name} is archived",
            "unarchive it, or set announce_channel in the policy",
        )
    if not found.get("is_member"):
        return failed(f"the bot is not a member of the announce channel #{name}", invite)
    return passed(f"announce channel #{name} exists and the bot is a member")


def approvers(policy: Policy) -> list[str]:
    """Every approver id the policy names (its `approvals` and each action's), once each."""
    named = [*policy.approvals.approvers]
    for action in policy.actions.values():
        named.extend(action.approvers or ())
    return list(dict.fromkeys(named))


async def _approver(slack: SlackGateway, approver: str) -> Check:
    try:
        if approver.startswith("S"):
            members = await slack.usergroup_members(approver)
        else:
            name = await slack.display_name(approver)
    except SlackError as error:
        return failed(
            f"approver {approver} does not resolve ({error.error})",
            _refusal(
                error,
                otherwise="check the id in the policy (users start with U or W, groups with S)",
            ),
        )
    if not approver.startswith("S"):
        return passed(f"approver {approver} is @{name}")
    if not members:
        return failed(
            f"approver group {approver} has no members: nobody in it can approve",
            "add people to the user group in Slack, or change approvers in the policy",
        )
    return passed(f"approver group {approver} resolves to {len(members)} member(s)")


def _refusal(error: SlackError, *, otherwise: str) -> str:
    """The fix for a refused call: a scope, Slack's state, or else `otherwise`."""
    if error.error == "missing_scope":
        return "the token lacks a scope: see the scopes line above"
    if error.is_transient:
        return "Slack did not answer; run doctor again"
    return otherwise
