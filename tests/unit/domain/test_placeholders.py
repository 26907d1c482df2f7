from bot.domain.placeholders import fill, fill_json, highest_bind, shown_by_name

ENV = {"DEPLOY_API_URL": "http://deploy.local", "TOKEN": "t0k{service}"}


def secret(name: str) -> str:
    return ENV[name]


def test_url_values_are_percent_encoded_whole() -> None:
    url = fill(
        "${DEPLOY_API_URL}/services/{service}/rollback",
        {"service": "../a b?x=1"},
        secret,
        for_url=True,
    )
    assert url == "http://deploy.local/services/..%2Fa%20b%3Fx%3D1/rollback"


def test_a_secret_containing_braces_is_not_expanded_again() -> None:
    assert fill("Bearer ${TOKEN}", {"service": "api"}, secret) == "Bearer t0k{service}"


def test_secrets_are_shown_by_name() -> None:
    assert fill("Bearer ${TOKEN}", {}, shown_by_name) == "Bearer ${TOKEN}"


def test_a_whole_string_param_in_json_keeps_null_for_an_optional_param() -> None:
    body = {"to_version": "{version}", "note": "from {service}", "n": 3}
    assert fill_json(body, {"version": None, "service": "api"}, secret) == {
        "to_version": None,
        "note": "from api",
        "n": 3,
    }


def test_highest_bind_counts_the_values_a_statement_takes() -> None:
    assert highest_bind("UPDATE t SET a = $2 WHERE b = $1") == 2
    assert highest_bind("SELECT scout.control_ingestion('pause')") == 0
