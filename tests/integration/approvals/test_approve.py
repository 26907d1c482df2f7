from bot.demo.sandbox import Sandbox
from bot.domain.approval import ApprovalStatus
from tests.conftest import FakeClock
from tests.integration.approvals.conftest import Target
from tests.integration.approvals.helpers import (
    buttons,
    click,
    incident_channel,
    request,
    stamps,
    status_of,
    thread,
)
from tests.integration.helpers import reply_to

KILL = "UPDATE rollout_configuration SET emergency_stop = true, rollout_percentage = 0"


async def test_a_request_posts_a_card_and_runs_nothing(bot: Sandbox, target: Target) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "kill hybrid_progressive_capture")

    assert card.text.startswith(
        ":rotating_light: *Approval needed:* `kill` — Emergency stop (kill switch)"
    )
    assert "*Will run*:" in card.text
    assert "*Params:* feature=`hybrid_progressive_capture`" in card.text
    assert "on database `rollout`:" in card.text
    assert KILL in card.text
    assert "$1 = 'hybrid_progressive_capture'" in card.text
    assert f"Requested by <@{bot.slack.resolve_user('alice')}> at 09:30 UTC" in card.text
    assert "expires 09:45 UTC" in card.text
    assert "*Waiting for approval* (0 of 1)" in card.text
    approve, deny = buttons(card)
    assert (approve["text"]["text"], approve["style"]) == ("Approve", "danger")
    assert approve["confirm"]["title"]["text"] == "Run kill?"
    assert deny["text"]["text"] == "Deny"
    assert await target.rollout() == {
        "feature_name": "hybrid_progressive_capture",
        "rollout_percentage": 25,
        "emergency_stop": False,
    }
    assert await status_of(bot) is ApprovalStatus.PENDING
    assert [kind for kind, _, _ in await stamps(bot)] == ["action_requested"]


async def test_an_approval_by_someone_else_runs_the_kill_switch(
    bot: Sandbox, target: Target
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "kill")
    await click(bot, "bob", card)

    assert await target.rollout() == {
        "feature_name": "hybrid_progressive_capture",
        "rollout_percentage": 0,
        "emergency_stop": True,
    }
    bob = bot.slack.resolve_user("bob")
    assert card.text.startswith(":white_check_mark: *Succeeded:* `kill` — Emergency stop")
    assert "Approval needed" not in card.text
    assert "*Ran*:" in card.text
    assert "*Succeeded* in " in card.text
    assert " ms — UPDATE 1 · approved by " in card.text
    assert f"<@{bob}>" in card.text
    assert (
        "feature_name=hybrid_progressive_capture, rollout_percentage=0, emergency_stop=true"
        in card.text
    )
    assert buttons(card) == []
    assert any(
        edit.text.startswith(":gear: *Approved, running:* `kill`") for edit in card.edited_history
    )
    (reply,) = thread(bot.slack, card)
    alice = bot.slack.resolve_user("alice")
    assert reply.startswith(f"`kill` — Emergency stop (kill switch), requested by <@{alice}>:")
    assert "*Verify*:" in reply
    assert await status_of(bot) is ApprovalStatus.SUCCEEDED


async def test_every_step_is_stamped_with_who_and_what(bot: Sandbox, target: Target) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "kill")
    await click(bot, "bob", card)

    alice, bob = bot.slack.resolve_user("alice"), bot.slack.resolve_user("bob")
    entries = await stamps(bot)
    assert [(kind, actor) for kind, actor, _ in entries] == [
        ("action_requested", alice),
        ("action_approved", bob),
        ("action_executed", None),
    ]
    for _, _, data in entries:
        assert data["action"] == "kill"
        assert data["params"] == {"feature": "hybrid_progressive_capture"}
        assert data["dry_run"] is False
    result = entries[-1][2]["result"]
    assert isinstance(result, dict)
    assert (result["status"], result["summary"]) == ("succeeded", "UPDATE 1")


async def test_an_actions_steps_still_read_as_an_actions_in_the_timeline(
    bot: Sandbox, target: Target
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "kill")
    await click(bot, "bob", card)
    await bot.command("timeline", user="bob", channel=channel.id)

    shown = await reply_to(bot, "bob", "*Timeline*")
    alice, bob = bot.slack.resolve_user("alice"), bot.slack.resolve_user("bob")
    assert shown.splitlines()[1:] == [
        f"`09:30:00` <@{alice}> requested: kill",
        f"`09:30:00` <@{bob}> approved: kill",
        "`09:30:00` incident-bot executed: kill",
    ]
    assert "statement" not in shown


async def test_the_requester_cannot_approve_their_own_request(bot: Sandbox, target: Target) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "kill")
    await click(bot, "alice", card)

    assert "someone else has to approve it" in await reply_to(bot, "alice", "kill")
    assert (await target.rollout())["emergency_stop"] is False
    assert await status_of(bot) is ApprovalStatus.PENDING
    kind, actor, data = (await stamps(bot))[-1]
    assert (kind, actor, data["reason"]) == (
        "action_refused",
        bot.slack.resolve_user("alice"),
        "self",
    )


async def test_someone_outside_the_channel_may_not_approve(bot: Sandbox, target: Target) -> None:
    channel = await incident_channel(bot)
    card = await request(bot, channel, "kill")
    await click(bot, "dave", card)

    refusal = await reply_to(bot, "dave", "kill")
    assert "only members of this channel may" in refusal
    assert (await target.rollout())["emergency_stop"] is False
    assert (await stamps(bot))[-1][2]["reason"] == "not_approver"


async def test_a_denied_request_never_runs(bot: Sandbox, target: Target) -> None:
    channel = await incident_channel(bot, "bob", "carol")
    card = await request(bot, channel, "kill")
    await click(bot, "bob", card, "deny")

    assert card.text.startswith(":no_entry: *Denied:* `kill` — Emergency stop")
    assert "*Would have run*:" in card.text
    assert f"*Denied* by <@{bot.slack.resolve_user('bob')}> at 09:30 UTC" in card.text
    assert buttons(card) == []
    assert await status_of(bot) is ApprovalStatus.DENIED
    assert (await target.rollout())["emergency_stop"] is False
    assert [kind for kind, _, _ in await stamps(bot)][-1] == "action_denied"


async def test_the_requester_may_withdraw_their_request(bot: Sandbox, target: Target) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "kill")
    await click(bot, "alice", card, "deny")
    assert await status_of(bot) is ApprovalStatus.DENIED


async def test_an_expired_request_says_so_and_cannot_run(
    bot: Sandbox, target: Target, clock: FakeClock
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "kill")
    clock.advance(minutes=15)
    await bot.services.scheduler.run_due()
    await bot.settle()  # the card's edit is an effect: delivered by the outbox

    assert card.text.startswith(":hourglass: *Expired:* `kill` — Emergency stop")
    assert "*Expired* at 09:45 UTC without approval — nothing ran." in card.text
    assert buttons(card) == []
    assert await status_of(bot) is ApprovalStatus.EXPIRED
    assert [kind for kind, _, _ in await stamps(bot)][-1] == "action_expired"


async def test_a_click_after_expiry_fails_closed_before_the_job_has_run(
    bot: Sandbox, target: Target, clock: FakeClock
) -> None:
    channel = await incident_channel(bot, "bob")
    card = await request(bot, channel, "kill")
    clock.advance(minutes=16)
    await click(bot, "bob", card)

    assert "expired at 09:45 UTC; nothing ran" in await reply_to(bot, "bob", "expired")
    assert (await target.rollout())["emergency_stop"] is False
    assert await status_of(bot) is ApprovalStatus.EXPIRED
    assert "*Expired*" in card.text
