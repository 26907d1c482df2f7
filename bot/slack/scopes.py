"""What the bot asks of Slack: each Web API method it calls and each event it handles, with the
bot scopes they need.

`manifest.yml` is kept equal to this table by a test (`tests/unit/slack/test_scopes.py`), which
also fails when code under `bot/` or `handlers/` calls a slack_sdk method the table lacks, or
handles an event it lacks. The Slack stand-in answers `missing_scope` from it, and
`incident-bot doctor` compares a live token's scopes with `BOT_SCOPES`.

Conversation methods need the scope of the kind of channel they act on (`channels:*` for a
public one, `groups:*` for a private one); the bot is asked for both, since incident and
announce channels may be either.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Needs:
    """The bot scopes of one method or event: `always`, plus `public` or `private` by the kind
    of channel it acts on."""

    always: frozenset[str] = frozenset()
    public: frozenset[str] = frozenset()
    private: frozenset[str] = frozenset()

    @property
    def every(self) -> frozenset[str]:
        return self.always | self.public | self.private

    def on(self, *, public: bool, private: bool) -> frozenset[str]:
        """The scopes needed when the call touches public and/or private channels."""
        return (
            self.always
            | (self.public if public else frozenset())
            | (self.private if private else frozenset())
        )


def _always(*scopes: str) -> Needs:
    return Needs(always=frozenset(scopes))


def _by_kind(public: str, private: str) -> Needs:
    return Needs(public=frozenset({public}), private=frozenset({private}))


NO_SCOPE = Needs()

METHOD_SCOPES: dict[str, Needs] = {
    "auth.test": NO_SCOPE,
    "chat.getPermalink": NO_SCOPE,
    "chat.postEphemeral": _always("chat:write"),
    "chat.postMessage": _always("chat:write"),
    "chat.update": _always("chat:write"),
    "conversations.create": _by_kind("channels:manage", "groups:write"),
    "conversations.history": _by_kind("channels:history", "groups:history"),
    "conversations.invite": _by_kind("channels:manage", "groups:write"),
    "conversations.list": _by_kind("channels:read", "groups:read"),
    "conversations.members": _by_kind("channels:read", "groups:read"),
    "conversations.replies": _by_kind("channels:history", "groups:history"),
    "conversations.setTopic": _by_kind("channels:manage", "groups:write"),
    "files.completeUploadExternal": _always("files:write"),
    "files.getUploadURLExternal": _always("files:write"),
    "pins.add": _always("pins:write"),
    "usergroups.users.list": _always("usergroups:read"),
    "users.info": _always("users:read"),
    "views.open": NO_SCOPE,
}
"""Every Web API method the bot calls → the bot scopes it needs (Slack's method reference)."""

SDK_CALLS: dict[str, tuple[str, ...]] = {
    "files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal"),
}
"""slack_sdk client methods that are not one Web API method of the same name."""

EVENT_SUBSCRIPTIONS: dict[str, dict[str, Needs]] = {
    "message": {
        "message.channels": _always("channels:history"),
        "message.groups": _always("groups:history"),
    },
    "pin_added": {"pin_added": _always("pins:read")},
}
"""Each event type a listener in `handlers/` handles → the manifest's `bot_events` that deliver
it, each with the scope Slack needs for the subscription."""

COMMANDS_SCOPE = "commands"
"""The slash command's scope: no Web API method needs it, the `/incident` command does."""


def api_methods(sdk_name: str) -> tuple[str, ...]:
    """The Web API methods a slack_sdk client method calls (`chat_postMessage` → chat.postMessage)."""
    return SDK_CALLS.get(sdk_name, (sdk_name.replace("_", "."),))


def bot_events() -> frozenset[str]:
    return frozenset(name for events in EVENT_SUBSCRIPTIONS.values() for name in events)


def bot_scopes() -> frozenset[str]:
    """Every bot scope the app needs: the manifest's `oauth_config.scopes.bot`."""
    methods = (needs.every for needs in METHOD_SCOPES.values())
    events = (needs.every for by in EVENT_SUBSCRIPTIONS.values() for needs in by.values())
    return frozenset({COMMANDS_SCOPE}).union(*methods, *events)


BOT_SCOPES = bot_scopes()
