"""manifest.yml asks for exactly what the code uses: the scopes of the Web API methods the bot
calls (found in its source, so a new call without a table entry fails here) and the events it
handles."""

import ast
from pathlib import Path

import yaml
from slack_sdk.web.async_base_client import AsyncBaseClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.scopes import BOT_SCOPES, EVENT_SUBSCRIPTIONS, METHOD_SCOPES, api_methods, bot_events

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
SDK_METHODS = frozenset(n for n in dir(AsyncWebClient) if not n.startswith("_")) - frozenset(
    dir(AsyncBaseClient)
)


def _sources(*packages: str) -> dict[str, str]:
    """The bot's own code (the demo's stand-in plays Slack, it does not call it)."""
    return {
        str(path.relative_to(ROOT)): path.read_text()
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if not path.is_relative_to(ROOT / "bot" / "demo")
    }


def _calls(source: str) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]


def _literal(call: ast.Call) -> str | None:
    first = call.args[0] if call.args else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def called_methods(source: str) -> set[str]:
    """Web API methods a module calls: slack_sdk client methods and `api_call("…")`."""
    found: set[str] = set()
    for call in _calls(source):
        if not isinstance(call.func, ast.Attribute):
            continue
        if call.func.attr in SDK_METHODS:
            found.update(api_methods(call.func.attr))
        elif call.func.attr == "api_call" and (name := _literal(call)):
            found.add(name)
    return found


def handled_events(source: str) -> set[str]:
    """Event types given a listener by name: `app.event("pin_added")`."""
    return {
        name
        for call in _calls(source)
        if isinstance(call.func, ast.Attribute) and call.func.attr == "event"
        if (name := _literal(call))
    }


def test_every_web_api_method_the_bot_calls_is_in_the_table_and_nothing_else() -> None:
    called = set().union(*(called_methods(s) for s in _sources("bot", "handlers").values()))
    assert called - set(METHOD_SCOPES) == set(), "add these methods and their scopes to the table"
    assert set(METHOD_SCOPES) - called == set(), "nothing calls these any more"


def test_the_scan_sees_a_new_call() -> None:
    source = "async def react(c):\n    await c.reactions_add(channel='C1', name='eyes')\n"
    assert called_methods(source) == {"reactions.add"}
    assert called_methods("c.api_call('bookmarks.add')") == {"bookmarks.add"}
    assert called_methods("c.files_upload_v2(channel='C1')") == {
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    }


def test_the_manifest_asks_for_the_scopes_the_table_needs_and_no_more() -> None:
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)


def test_the_manifest_subscribes_to_the_events_the_bot_handles() -> None:
    handled = set().union(*(handled_events(s) for s in _sources("handlers").values()))
    assert handled == set(EVENT_SUBSCRIPTIONS)
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == set(bot_events())


def test_scopes_nothing_uses_are_gone() -> None:
    asked = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert {"bookmarks:write", "channels:join"} & asked == set()
    assert "member_joined_channel" not in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
