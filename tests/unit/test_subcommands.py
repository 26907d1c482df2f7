"""The one table of `/incident` subcommands: each has its help, usage line and route, and help,
parsing and refusals are all read from it."""

import re

import pytest
from pydantic import ValidationError

from bot.config import Policy
from bot.domain.commands import RequestAction
from bot.domain.mrkdwn import escape
from bot.errors import UsageError
from bot.services.commands import BUILT_IN_WORDS, SUBCOMMANDS, Route, parse
from bot.slack.composer import Composer
from bot.slack.templates import Templates

POLICY = Policy()
ACTIONS = frozenset(POLICY.actions)


def _named(route: Route) -> str:
    return route.name


def _as_slack_sends(example: str) -> str:
    """The text after `/incident` as Slack delivers it: the manifest's `should_escape` turns
    `@alice` into `<@U…|alice>`."""
    text = example.removeprefix("/incident ")
    return re.sub(r"@(\w+)", lambda m: f"<@U0{m.group(1).upper()}|{m.group(1)}>", text)


@pytest.mark.parametrize("route", SUBCOMMANDS, ids=_named)
def test_every_subcommand_has_a_usage_line_an_example_and_a_summary(route: Route) -> None:
    assert route.usage.startswith("/incident ")
    assert route.example.startswith("/incident ")
    assert route.summary


@pytest.mark.parametrize("route", SUBCOMMANDS, ids=_named)
def test_every_example_is_routed_to_its_own_subcommand(route: Route) -> None:
    parsed = parse(_as_slack_sends(route.example), POLICY.severities, ACTIONS)
    assert parsed.route is route


def test_no_two_subcommands_share_a_name() -> None:
    names = [route.name for route in SUBCOMMANDS]
    assert len(names) == len(set(names))


def test_help_lists_every_subcommand_with_its_usage_line_and_example() -> None:
    compose = Composer(Templates(POLICY.tz), POLICY)
    text = compose.help(SUBCOMMANDS).text
    for route in SUBCOMMANDS:
        assert f"*{route.name}* — " in text
        assert f"`{escape(route.usage)}`" in text
        assert f"e.g. `{escape(route.example)}`" in text


def test_help_is_the_answer_of_the_help_subcommand_and_of_empty_text() -> None:
    assert parse("help", POLICY.severities).route.in_ack
    assert parse("", POLICY.severities).route.name == "help"


@pytest.mark.parametrize(
    ("text", "name"),
    [("timeline ten", "timeline"), ("declare sev9 x", "declare"), ("status now", "status")],
)
def test_a_refusal_shows_the_usage_line_of_its_subcommand(text: str, name: str) -> None:
    route = next(r for r in SUBCOMMANDS if r.name == name)
    with pytest.raises(UsageError) as refused:
        parse(text, POLICY.severities)
    assert refused.value.usage == route.usage


def test_a_policy_action_is_read_as_a_request_but_cannot_take_a_subcommand_word() -> None:
    parsed = parse("kill --dry-run", POLICY.severities, ACTIONS)
    assert parsed.command == RequestAction("kill", (), True)
    assert "action" not in BUILT_IN_WORDS
    for word in BUILT_IN_WORDS:
        with pytest.raises(ValidationError, match="built-in /incident subcommand"):
            Policy.model_validate(
                {"actions": {word: {"title": "x", "kind": "http", "url": "https://x"}}}
            )
