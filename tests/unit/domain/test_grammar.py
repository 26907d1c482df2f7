import pytest

from bot.domain.commands import (
    AddNote,
    Assign,
    Declare,
    Help,
    ListActions,
    ListIncidents,
    PostUpdate,
    Regrade,
    RequestAction,
    Resolve,
    Role,
    ShowStatus,
    ShowTimeline,
    WritePostmortem,
)
from bot.domain.grammar import MAX_TITLE
from bot.domain.severity import default_severity_policy
from bot.domain.status import Status
from bot.domain.timeline import NoteTag
from bot.errors import UsageError
from bot.services.commands import parse_command

SEVERITIES = default_severity_policy()


def parse(text: str) -> object:
    return parse_command(text, SEVERITIES)


@pytest.mark.parametrize("word", ["sev1", "SEV1", "p0", "critical", "Critical"])
def test_declare_accepts_every_name_of_a_severity(word: str) -> None:
    command = parse(f"declare {word} Checkout errors above 10%")
    assert command == Declare(SEVERITIES.get("sev1"), "Checkout errors above 10%")


def test_declare_keeps_the_title_as_typed() -> None:
    command = parse("declare sev2   <!channel> & <@U123> <https://x|y>  ")
    assert isinstance(command, Declare)
    assert command.title == "<!channel> & <@U123> <https://x|y>"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("declare", "Missing severity and title"),
        ("declare sev1", "Missing title"),
        ("declare sev9 Checkout", "`sev9` is not a severity"),
        ("declare urgent Checkout", "sev1/p0/critical"),
        (f"declare sev1 {'x' * (MAX_TITLE + 1)}", "the limit is 150"),
    ],
)
def test_declare_refuses_bad_input_with_its_usage_line(text: str, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(text)
    assert problem in caught.value.message
    assert caught.value.usage == "/incident declare <severity> <title…>"


def test_a_title_of_exactly_150_characters_is_accepted() -> None:
    assert isinstance(parse(f"declare sev1 {'x' * MAX_TITLE}"), Declare)


def test_update_with_a_leading_status_moves_the_status() -> None:
    assert parse("update Mitigating: rolling back api") == PostUpdate(
        "rolling back api", Status.MITIGATING
    )


def test_update_without_a_status_keeps_it() -> None:
    assert parse("update note: the cache is cold") == PostUpdate("note: the cache is cold", None)


def test_update_cannot_resolve() -> None:
    with pytest.raises(UsageError, match="/incident resolve"):
        parse("update resolved: all good")


def test_update_needs_text() -> None:
    with pytest.raises(UsageError, match="Missing update text"):
        parse("update identified:")


def test_assign_takes_a_slack_mention() -> None:
    assert parse("assign lead <@U0ALICE|alice>") == Assign(Role.LEAD, "U0ALICE")
    assert parse("assign IC <@U0BOB>") == Assign(Role.COMMANDER, "U0BOB")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("assign lead", "Name a role and one person"),
        ("assign chef <@U1>", "`chef` is not a role"),
        ("assign lead @alice", "@-mention them"),
    ],
)
def test_assign_refuses_what_is_not_a_role_and_a_person(text: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        parse(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status", ShowStatus()),
        ("list", ListIncidents()),
        ("help", Help()),
        ("", Help()),
        ("severity p1", Regrade(SEVERITIES.get("sev2"))),
        ("resolve Rolled back to v2.3.0", Resolve("Rolled back to v2.3.0")),
    ],
)
def test_each_subcommand_parses(text: str, expected: object) -> None:
    assert parse(text) == expected


def test_an_unknown_subcommand_points_at_help() -> None:
    with pytest.raises(UsageError) as caught:
        parse("escalate now")
    assert caught.value.message == "`escalate` is not an /incident command."
    assert caught.value.usage == "/incident help"


def test_status_takes_no_arguments() -> None:
    with pytest.raises(UsageError, match="takes no arguments"):
        parse("status please")


def test_timeline_takes_an_optional_count() -> None:
    assert parse("timeline") == ShowTimeline(10)
    assert parse("timeline 50") == ShowTimeline(50)


@pytest.mark.parametrize("count", ["0", "51", "ten", "-1"])
def test_timeline_refuses_a_count_out_of_range(count: str) -> None:
    with pytest.raises(UsageError, match="from 1 to 50") as refused:
        parse(f"timeline {count}")
    assert refused.value.usage == "/incident timeline [n]"


def test_a_note_takes_its_tag_from_how_it_starts() -> None:
    assert parse("note Action item: add a canary") == AddNote("add a canary", NoteTag.ACTION_ITEM)
    assert parse("note paging payments") == AddNote("paging payments", None)


def test_a_note_needs_text() -> None:
    with pytest.raises(UsageError, match="Missing note"):
        parse("note")


def test_postmortem_takes_no_arguments() -> None:
    assert parse("postmortem") == WritePostmortem()
    with pytest.raises(UsageError, match="takes no arguments"):
        parse("postmortem now")


ACTIONS = frozenset({"kill", "rollback"})


def test_an_action_name_from_the_policy_requests_that_action() -> None:
    assert parse_command("kill checkout --dry-run", SEVERITIES, ACTIONS) == RequestAction(
        "kill", ("checkout",), True
    )
    assert parse_command("Rollback service=api v2.3.0", SEVERITIES, ACTIONS) == RequestAction(
        "rollback", ("service=api", "v2.3.0"), False
    )


def test_a_dash_that_slack_typed_for_two_hyphens_still_means_dry_run() -> None:
    command = parse_command("kill —dry-run", SEVERITIES, ACTIONS)
    assert command == RequestAction("kill", (), True)


def test_an_action_unknown_to_the_policy_is_not_a_command() -> None:
    with pytest.raises(UsageError, match="`kill` is not an /incident command"):
        parse_command("kill checkout", SEVERITIES)


def test_actions_lists_the_catalog() -> None:
    assert parse_command("actions", SEVERITIES, ACTIONS) == ListActions()
