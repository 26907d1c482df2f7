import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.alert_routes import (
    DECLARING_LEASE,
    OFFER_AGAIN_AFTER,
    AlertRoute,
    Disposition,
    GroupState,
    action_args,
    dispose,
    offered_severity,
    route_for,
)
from bot.domain.alerts import Alert, InvalidAlert, derived_fingerprint, parse_alerts
from bot.domain.severity import default_severity_policy

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def body(data: object) -> bytes:
    return json.dumps(data).encode()


def webhook_alert(**overrides: Any) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": "HighErrorRate", "severity": "critical", "service": "api"},
        "annotations": {"summary": "Error rate 12%", "runbook_url": "https://runbooks.example/1"},
        "startsAt": "2026-11-24T09:28:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "https://prometheus.example/graph",
        "fingerprint": "abc123",
        **overrides,
    }


def alert(status: str = "firing", **labels: str) -> Alert:
    return Alert(
        source="generic",
        title="t",
        status=status,  # type: ignore[arg-type]
        fingerprint="fp",
        group_key="fp",
        labels=labels,
    )


def test_an_alertmanager_payload_becomes_alerts_keyed_by_its_group() -> None:
    payload = {"version": "4", "groupKey": '{}:{alertname="X"}', "alerts": [webhook_alert()]}
    (parsed,) = parse_alerts("alertmanager", body(payload))
    assert (parsed.title, parsed.status, parsed.fingerprint) == (
        "Error rate 12%",
        "firing",
        "abc123",
    )
    assert parsed.group_key == '{}:{alertname="X"}'
    assert parsed.runbook == "https://runbooks.example/1"
    assert parsed.link == "https://prometheus.example/graph"
    assert parsed.starts_at == datetime(2026, 11, 24, 9, 28, tzinfo=UTC)


def test_a_grafana_payload_is_read_like_alertmanagers() -> None:
    payload = {
        "receiver": "bot",
        "status": "firing",
        "orgId": 1,
        "groupKey": "{}/{}:{}",
        "title": "[FIRING:1]",
        "alerts": [
            webhook_alert(
                generatorURL="",
                panelURL="https://grafana.example/d/1?viewPanel=2",
                values={"B": 44.2},
            )
        ],
    }
    (parsed,) = parse_alerts("grafana", body(payload))
    assert (parsed.source, parsed.source_name, parsed.group_key) == (
        "grafana",
        "Grafana",
        "{}/{}:{}",
    )
    assert parsed.link == "https://grafana.example/d/1?viewPanel=2"


def test_an_alert_without_summary_is_titled_by_its_alertname() -> None:
    payload = {"version": "4", "groupKey": "g", "alerts": [webhook_alert(annotations={})]}
    assert parse_alerts("alertmanager", body(payload))[0].title == "HighErrorRate"


def test_a_generic_alert_keys_on_its_fingerprint_and_labels_its_severity() -> None:
    (parsed,) = parse_alerts(
        "generic", body({"title": "Disk full", "severity": "high", "fingerprint": "disk-1"})
    )
    assert (parsed.group_key, parsed.labels, parsed.status) == (
        "disk-1",
        {"severity": "high"},
        "firing",
    )


def test_a_generic_alert_without_fingerprint_gets_a_stable_one() -> None:
    first = parse_alerts("generic", body({"title": "Disk full", "labels": {"host": "db1"}}))[0]
    again = parse_alerts("generic", body({"labels": {"host": "db1"}, "title": "Disk  full"}))[0]
    other = parse_alerts("generic", body({"title": "Disk full", "labels": {"host": "db2"}}))[0]
    assert (
        first.fingerprint == again.fingerprint == derived_fingerprint("Disk full", {"host": "db1"})
    )
    assert first.fingerprint != other.fingerprint


def test_titles_are_one_line_and_fit_a_header() -> None:
    (parsed,) = parse_alerts("generic", body({"title": "a\nb " + "x" * 300}))
    assert parsed.title.startswith("a b x")
    assert len(parsed.title) == 150


def test_only_web_addresses_become_links() -> None:
    (parsed,) = parse_alerts(
        "generic",
        body(
            {"title": "t", "link": "javascript:alert(1)", "annotations": {"runbook_url": "ftp://x"}}
        ),
    )
    assert (parsed.link, parsed.runbook) == (None, None)


@pytest.mark.parametrize(
    ("source", "data", "field"),
    [
        (
            "alertmanager",
            {"version": "4", "groupKey": "g", "alerts": [webhook_alert(labels=[])]},
            "alerts.0.labels",
        ),
        (
            "alertmanager",
            {"version": "4", "groupKey": "g", "alerts": [webhook_alert(status="odd")]},
            "alerts.0.status",
        ),
        ("alertmanager", {"version": "3", "groupKey": "g", "alerts": []}, "version"),
        ("alertmanager", {"version": "4", "alerts": []}, "groupKey"),
        ("grafana", {"alerts": "none"}, "alerts"),
        ("generic", {"severity": "high"}, "title"),
        ("generic", {"title": "t", "colour": "red"}, "colour"),
        ("generic", [1, 2], "(body)"),
    ],
)
def test_a_payload_of_the_wrong_shape_names_the_field(
    source: Any, data: object, field: str
) -> None:
    with pytest.raises(InvalidAlert) as caught:
        parse_alerts(source, body(data))
    assert caught.value.field == field


def test_a_body_that_is_not_json_says_so() -> None:
    with pytest.raises(InvalidAlert, match="not valid JSON"):
        parse_alerts("generic", b"{title:")


ROUTES = (
    AlertRoute.model_validate({"match": {"severity": "critical"}, "declare": "sev1"}),
    AlertRoute.model_validate({"match_re": {"service": "pay.*|checkout"}, "declare": "sev2"}),
    AlertRoute.model_validate({"match": {"severity": "warning"}, "match_re": {"team": "sre"}}),
)


@pytest.mark.parametrize(
    ("labels", "route"),
    [
        ({"severity": "critical", "service": "payments"}, 0),
        ({"severity": "warning", "service": "payments"}, 1),
        ({"service": "checkout"}, 1),
        ({"service": "checkout-v2"}, None),
        ({"service": "webpay"}, None),
        ({"severity": "warning", "team": "sre"}, 2),
        ({"severity": "warning", "team": "sre-eu"}, None),
        ({"severity": "warning"}, None),
    ],
)
def test_the_first_matching_route_wins_and_regexes_match_whole_values(
    labels: dict[str, str], route: int | None
) -> None:
    expected = ROUTES[route] if route is not None else None
    assert route_for(alert(**labels), ROUTES) is expected


def test_a_missing_label_matches_as_empty_like_in_alertmanager() -> None:
    route = AlertRoute.model_validate({"match_re": {"team": "|sre"}})
    assert route.matches({})
    assert not AlertRoute.model_validate({"match": {"team": "sre"}}).matches({})


def test_a_bad_regex_is_refused_when_the_route_loads() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        AlertRoute.model_validate({"match_re": {"service": "(api"}})


OPEN = GroupState(incident_id=7, incident_open=True)
RESOLVED = GroupState(incident_id=7, incident_open=False)
DECLARING = GroupState(declaring_since=NOW - timedelta(seconds=5))
STALE = GroupState(declaring_since=NOW - DECLARING_LEASE)
OFFERED = GroupState(offered_at=NOW - timedelta(minutes=10))
DECLARES = ROUTES[0]
OFFERS = ROUTES[2]


@pytest.mark.parametrize(
    ("status", "route", "group", "fingerprint", "expected"),
    [
        ("firing", DECLARES, GroupState(), None, (Disposition.DECLARE, None)),
        ("firing", DECLARES, OPEN, None, (Disposition.ATTACH, 7)),
        ("resolved", DECLARES, OPEN, None, (Disposition.ATTACH, 7)),
        ("firing", DECLARES, GroupState(), 9, (Disposition.ATTACH, 9)),
        ("firing", DECLARES, DECLARING, None, (Disposition.WAIT, None)),
        ("resolved", DECLARES, DECLARING, None, (Disposition.WAIT, None)),
        ("firing", DECLARES, STALE, None, (Disposition.DECLARE, None)),
        ("firing", DECLARES, RESOLVED, None, (Disposition.DECLARE, None)),
        ("resolved", DECLARES, RESOLVED, None, (Disposition.KEEP, None)),
        ("firing", OFFERS, GroupState(), None, (Disposition.OFFER, None)),
        ("firing", None, GroupState(), None, (Disposition.OFFER, None)),
        ("firing", OFFERS, OFFERED, None, (Disposition.KEEP, None)),
        ("firing", DECLARES, OFFERED, None, (Disposition.DECLARE, None)),
    ],
)
def test_dispositions(
    status: Any,
    route: AlertRoute | None,
    group: GroupState,
    fingerprint: int | None,
    expected: tuple[Disposition, int | None],
) -> None:
    assert dispose(status, route, group, fingerprint_incident=fingerprint, now=NOW) == expected


def test_an_offer_is_made_again_after_a_quiet_while() -> None:
    old = GroupState(offered_at=NOW - OFFER_AGAIN_AFTER)
    assert (
        dispose("firing", OFFERS, old, fingerprint_incident=None, now=NOW)[0] is Disposition.OFFER
    )


@pytest.mark.parametrize(
    ("label", "key"), [("critical", "sev1"), ("P2", "sev3"), ("warning", "sev4"), ("", "sev4")]
)
def test_an_offered_alert_declares_at_its_severity_label_else_the_least(
    label: str, key: str
) -> None:
    assert offered_severity(alert(severity=label), default_severity_policy()).key == key


def test_action_parameters_are_filled_from_labels_of_the_same_name() -> None:
    labels = {"service": "api", "version": "v2.3.0", "feature": "two words", "team": "sre"}
    assert action_args(["service", "version", "feature", "region"], labels) == {
        "service": "api",
        "version": "v2.3.0",
    }
