"""Token scopes, as Slack checks them: a method called without the scope it needs is answered
``{"ok": false, "error": "missing_scope", "needed": "…", "provided": "…"}`` (both
comma-separated), and every authenticated answer carries the token's scopes in ``x-oauth-scopes``.

What each method needs comes from the bot's own table (``bot.slack.scopes``); a conversation
method needs the scope of the kind of channel it acts on (``channels:*`` public,
``groups:*`` private). Methods the table does not name are not checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.demo.standin.params import ApiError, Params
from bot.slack.scopes import METHOD_SCOPES

if TYPE_CHECKING:
    from bot.demo.standin.state import Workspace

SCOPES_HEADER = "x-oauth-scopes"


def scopes_header(granted: frozenset[str]) -> dict[str, str]:
    return {SCOPES_HEADER: ",".join(sorted(granted))}


def _kinds(slack: Workspace, method: str, p: Params) -> tuple[bool, bool]:
    """Whether the call touches (public, private) channels."""
    if method == "conversations.create":
        private = p.flag("is_private")
        return not private, private
    if method == "conversations.list":
        types = (p.opt("types") or "public_channel").split(",")
        return "public_channel" in types, "private_channel" in types
    ref = p.opt("channel") or p.opt("channel_id")
    channel = slack.channel(ref) if ref else None
    if channel is None:
        return False, False
    return not channel.is_private, channel.is_private


def check_scopes(slack: Workspace, method: str, p: Params, granted: frozenset[str]) -> None:
    """Raise Slack's `missing_scope` when `granted` lacks what `method` needs for this call."""
    needs = METHOD_SCOPES.get(method)
    if needs is None:
        return
    public, private = _kinds(slack, method, p)
    missing = needs.on(public=public, private=private) - granted
    if missing:
        raise ApiError(
            "missing_scope", needed=",".join(sorted(missing)), provided=",".join(sorted(granted))
        )
