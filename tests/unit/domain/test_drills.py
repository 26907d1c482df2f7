"""The DRILL mark on a drill's messages, and where a drill is announced."""

from typing import Any

from bot.domain.drills import DRILL_BANNER, announce_channel, marked
from bot.domain.escalation import name_of, names

MESSAGE: dict[str, Any] = {
    "channel": "C1",
    "text": "Update #1",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Update #1"}}],
}


def test_a_post_gets_the_banner_on_top_and_the_prefix_in_its_text() -> None:
    post = marked("post", MESSAGE)
    assert post["text"] == "[DRILL] Update #1"
    assert DRILL_BANNER in str(post["blocks"][0])
    assert post["blocks"][1:] == MESSAGE["blocks"]
    assert post["channel"] == "C1"


def test_marking_twice_marks_once() -> None:
    assert marked("post", marked("post", MESSAGE)) == marked("post", MESSAGE)


def test_a_channels_first_message_topic_and_shared_file_are_marked() -> None:
    created = marked("create_channel", {"name": "drill-20261124-001", "first": MESSAGE})
    assert created["first"] == marked("post", MESSAGE)
    assert marked("set_topic", {"topic": "x" * 250})["topic"].startswith("[DRILL] x")
    assert len(marked("set_topic", {"topic": "x" * 250})["topic"]) == 250
    shared = marked("share_file", {"initial_comment": "Post-mortem", "content": "# Doc"})
    assert shared == {"initial_comment": "[DRILL] Post-mortem", "content": "# Doc"}


def test_a_full_message_stays_within_fifty_blocks() -> None:
    full = {"text": "t", "blocks": [{"type": "divider"}] * 50}
    assert len(marked("update", full)["blocks"]) == 50


def test_effects_without_words_are_left_alone() -> None:
    invite = {"channel": "C1", "users": ["U1"]}
    assert marked("invite", invite) is invite


def test_a_drill_is_announced_in_the_drill_channel_when_there_is_one() -> None:
    assert announce_channel(True, "incidents", "drills") == "drills"
    assert announce_channel(True, "incidents", None) == "incidents"
    assert announce_channel(False, "incidents", "drills") == "incidents"


def test_targets_are_named_without_mentioning_them() -> None:
    assert name_of("<@U0ALICE|alice>") == "`alice`"
    assert name_of("<@U0ALICE>") == "`U0ALICE`"
    assert name_of("U0VPENG") == "`U0VPENG`"
    assert name_of("<!subteam^S0ENG|eng-managers>") == "`eng-managers`"
    assert name_of("<!subteam^S0ENG>") == "`S0ENG`"
    assert name_of("<!here>") == "`here`"
    assert name_of("@channel") == "`channel`"
    assert name_of("<#C123|ops>") == "`&lt;#C123|ops&gt;`"
    assert names(["U1AA", " ", "<@U2BB>"]) == "`U1AA` `U2BB`"
