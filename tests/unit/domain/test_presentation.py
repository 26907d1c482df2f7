"""Every timeline kind has a label and a section, and each entry is read out of its data once."""

from datetime import UTC, datetime
from typing import Any

from bot.domain.presentation import SharedFile, show
from bot.domain.severity import default_severity_policy
from bot.domain.timeline import Entry, Kind, NoteTag, Section

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SEVERITIES = default_severity_policy()


def shown_as(kind: Kind, body: str = "", **data: Any) -> Any:
    return show(Entry(T0, kind, "U1", body, data=data), SEVERITIES)


def test_the_kinds_are_exactly_those_written_with_their_stored_values() -> None:
    assert {kind.value for kind in Kind} == {
        "declared",
        "update",
        "severity_changed",
        "role_assigned",
        "resolved",
        "note",
        "message",
        "message_edited",
        "message_deleted",
        "pinned",
        "reminder",
        "reminder_snoozed",
        "escalation",
        "alert_attached",
        "action_requested",
        "action_approved",
        "action_denied",
        "action_refused",
        "action_executed",
        "action_failed",
        "action_expired",
        "action_unknown",
        "checklist_item_checked",
        "checklist_item_unchecked",
        "followup_recorded",
        "followup_done",
        "followup_dropped",
        "paged",
        "page_resolved",
        "page_failed",
        "page_skipped",
        "statement_requested",
        "statement_vote",
        "statement_approval_refused",
        "statement_approved",
        "statement_denied",
        "statement_expired",
        "statement_published",
        "statement_refused",
    }


def test_every_kind_has_a_label_and_a_section() -> None:
    for kind in Kind:
        assert kind.label[:1].isupper(), kind
        assert isinstance(kind.section, Section), kind
    assert Kind.ALERT_ATTACHED.label == "Alert attached"
    assert {k for k in Kind if k.section is Section.REMINDER} == {
        Kind.REMINDER,
        Kind.REMINDER_SNOOZED,
        Kind.ESCALATION,
    }
    assert Kind.ACTION_REFUSED.step == "refused"
    assert Kind.CHECKLIST_ITEM_CHECKED.label == "Checklist item checked"
    assert Kind.CHECKLIST_ITEM_UNCHECKED.section is Section.CHECKLIST
    assert Kind.NOTE.step == ""
    assert {k for k in Kind if k.section is Section.INTEGRATION} == {
        Kind.PAGED,
        Kind.PAGE_RESOLVED,
        Kind.PAGE_FAILED,
        Kind.PAGE_SKIPPED,
    }


def test_an_update_is_labelled_by_its_number_with_its_status_as_people_write_it() -> None:
    shown = shown_as(Kind.UPDATE, number=2, status="identified")
    assert (shown.section, shown.label, shown.status) == (Section.UPDATE, "Update #2", "Identified")


def test_a_tagged_note_carries_its_tag_and_an_untagged_one_is_a_note() -> None:
    tagged = shown_as(Kind.NOTE, tag="root_cause")
    assert (tagged.label, tagged.tag) == ("Root cause", NoteTag.ROOT_CAUSE)
    assert (shown_as(Kind.NOTE).label, shown_as(Kind.NOTE).tag) == ("Note", None)


def test_a_severity_change_names_its_levels_and_a_role_its_holder() -> None:
    regrade = shown_as(
        Kind.SEVERITY_CHANGED, "Severity sev2 → sev1", **{"from": "sev2", "to": "sev1"}
    )
    assert (regrade.label, regrade.subject) == ("Severity", "SEV-2 High → SEV-1 Critical")
    role = shown_as(Kind.ROLE_ASSIGNED, role="lead", user="U2")
    assert (role.section, role.label, role.person) == (Section.CHANGE, "Technical lead", "U2")


def test_an_action_step_is_about_its_action() -> None:
    step = shown_as(Kind.ACTION_APPROVED, "approved: kill", action="kill")
    assert (step.section, step.label, step.subject) == (Section.ACTION, "Action approved", "kill")


def test_a_statement_step_reads_as_a_statement_with_its_public_status() -> None:
    asked = show(
        Entry(
            T0,
            Kind.STATEMENT_REQUESTED,
            "U1",
            "We are investigating.",
            data={
                "action": "statuspage",
                "params": {"status": "investigating"},
                "status": "pending",
                "body": "We are investigating.",
            },
        ),
        SEVERITIES,
    )
    assert (asked.section, asked.label, asked.status, asked.subject) == (
        Section.COMMUNICATION,
        "Statement requested",
        "investigating",
        "We are investigating.",
    )
    approved = shown_as(Kind.STATEMENT_APPROVED, "monitoring — Fixed.", status="monitoring")
    assert (approved.label, approved.status, approved.subject) == (
        "Statement approved",
        "monitoring",
        "",
    )
    published = shown_as(Kind.STATEMENT_PUBLISHED, status="monitoring", shortlink="https://s/1")
    assert (published.label, published.subject) == ("Statement published", "https://s/1")
    refused = shown_as(
        Kind.STATEMENT_APPROVAL_REFUSED, params={"status": "identified"}, reason="self"
    )
    assert refused.subject == "the requester may not approve their own request"
    by_page = shown_as(Kind.STATEMENT_REFUSED, error="invalid", detail="Body is too long")
    assert (by_page.label, by_page.status, by_page.subject) == (
        "Statement not published",
        None,
        "Body is too long",
    )
    assert {k for k in Kind if k.section is Section.ACTION}.isdisjoint(
        k for k in Kind if k.value.startswith("statement_")
    )


def test_a_message_knows_its_thread_and_files() -> None:
    said = shown_as(
        Kind.MESSAGE, "graph", thread_ts="1.0", files=[{"name": "g.png", "link": "https://x"}, {}]
    )
    assert said.in_thread
    assert said.files == (SharedFile("g.png", "https://x"), SharedFile("file", None))
