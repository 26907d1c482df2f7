"""The post-mortem's pure parts: Markdown safety, key times, status phases."""

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.incident import Incident
from bot.domain.keytimes import key_times
from bot.domain.markdown import from_slack, inline, link
from bot.domain.postmortem import facts, people_in, phases
from bot.domain.severity import default_severity_policy
from bot.domain.status import Status
from bot.domain.timeline import Entry, Kind

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def entry(minutes: int, kind: Kind, actor: str | None = "U1", **data: Any) -> Entry:
    return Entry(at(minutes), kind, actor, "", data=data)


def incident(**changes: Any) -> Incident:
    fields: dict[str, Any] = {
        "id": 1,
        "channel_id": "C1",
        "channel_name": "incident-20261124-001",
        "title": "Checkout errors",
        "severity": "sev1",
        "status": Status.INVESTIGATING,
        "declared_by": "U1",
        "declared_at": T0,
        "commander": "U1",
    }
    return Incident(**(fields | changes))


def test_inline_markdown_cannot_break_a_table_or_render_html() -> None:
    assert inline(" a | b \\| c\r\n# d <i>&amp; e & f ") == (
        "a \\| b \\\\\\| c<br># d &lt;i&gt;&amp;amp; e & f"
    )


def test_a_link_is_made_only_of_a_plain_web_address() -> None:
    assert link("graph [1]", "https://acme.slack.com/files/F1") == (
        "[graph \\[1\\]](https://acme.slack.com/files/F1)"
    )
    assert link("x", "javascript:alert(1)") == "x"
    assert link("x", None) == "x"


def test_slack_markup_reads_as_plain_text() -> None:
    text = "<@U1> and <@U9|old> see <#C2|ops>, <https://x.io|dash> &lt;3 <!here> <!subteam^S1|@sre>"
    assert from_slack(text, {"U1": "alice"}) == (
        "@alice and @old see #ops, dash (https://x.io) <3 @here @sre"
    )


def test_everyone_named_is_found_for_the_name_lookup() -> None:
    entries = [
        Entry(T0, Kind.MESSAGE, "U1", "ping <@U2> and <@U3|c>"),
        Entry(T0, Kind.ROLE_ASSIGNED, "U4", "", data={"user": "U5", "previous": None}),
        Entry(T0, Kind.REMINDER, None, "overdue"),
    ]
    assert people_in(entries) == {"U1", "U2", "U3", "U4", "U5"}


def test_key_times_are_counted_from_the_declaration() -> None:
    entries = [
        entry(0, Kind.DECLARED),
        entry(1, Kind.REMINDER, actor=None),
        entry(4, Kind.MESSAGE, actor="U2"),
        entry(9, Kind.UPDATE, status="identified"),
        entry(15, Kind.ACTION_EXECUTED, actor=None),
        entry(20, Kind.UPDATE, status="mitigating"),
    ]
    found = key_times(incident(resolved_at=at(45)), entries)
    assert [(k.name, k.after) for k in found] == [
        ("first response", timedelta(minutes=4)),
        ("commander assigned", timedelta(0)),
        ("mitigation", timedelta(minutes=15)),
        ("resolution", timedelta(minutes=45)),
    ]


def test_a_commander_assigned_later_is_timed_from_the_assignment() -> None:
    assignment = entry(7, Kind.ROLE_ASSIGNED, role="commander", user="U2", previous=None)
    found = key_times(incident(commander="U2"), [entry(0, Kind.DECLARED, actor=None), assignment])
    assert (found[1].after, found[0].after) == (timedelta(minutes=7), timedelta(minutes=7))


def test_what_has_not_happened_has_no_time() -> None:
    found = key_times(incident(commander=None), [entry(0, Kind.DECLARED)])
    assert [k.after for k in found] == [None, None, None, None]


def test_status_phases_follow_the_updates_that_moved_the_status() -> None:
    entries = [
        entry(0, Kind.DECLARED),
        entry(10, Kind.UPDATE, status="investigating"),
        entry(12, Kind.UPDATE, status="identified"),
        entry(20, Kind.UPDATE, status="investigating"),
        entry(30, Kind.UPDATE, status="mitigating"),
        entry(50, Kind.RESOLVED),
    ]
    assert [(p.status, p.start, p.end) for p in phases(incident(), entries, at(99))] == [
        (Status.INVESTIGATING, at(0), at(12)),
        (Status.IDENTIFIED, at(12), at(20)),
        (Status.INVESTIGATING, at(20), at(30)),
        (Status.MITIGATING, at(30), at(50)),
        (Status.RESOLVED, at(50), at(50)),
    ]


def test_an_open_incidents_last_phase_runs_until_now() -> None:
    entries = [entry(0, Kind.DECLARED), entry(5, Kind.UPDATE, status="monitoring")]
    last = phases(incident(), entries, at(60))[-1]
    assert (last.status, last.start, last.end) == (Status.MONITORING, at(5), at(60))


def test_going_straight_to_monitoring_counts_as_mitigated() -> None:
    entries = [entry(0, Kind.DECLARED), entry(6, Kind.UPDATE, status="monitoring")]
    assert key_times(incident(), entries)[2].after == timedelta(minutes=6)


def test_impact_reported_in_updates_fills_the_impact_section() -> None:
    entries = [
        entry(0, Kind.DECLARED),
        entry(5, Kind.UPDATE, "U2", status="identified", impact="12% of checkouts fail"),
        entry(9, Kind.UPDATE, "U2", status="mitigating"),
        entry(20, Kind.UPDATE, "U2", status="monitoring", impact="0.2%, at baseline"),
    ]
    found = facts(incident(), entries, {"U2": "bob"}, default_severity_policy(), UTC, at(30))
    assert [(n.at, n.who, n.text) for n in found.impacts] == [
        (at(5), "bob", "12% of checkouts fail"),
        (at(20), "bob", "0.2%, at baseline"),
    ]
