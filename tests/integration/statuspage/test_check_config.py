"""`check-config` on a `status_page` section, as an operator runs it."""

from pathlib import Path

from tests.integration.test_check_config import SLACK, TARGETS, run_cli

SECTION = "status_page:\n  page_id: kctbh9vrtdwd\n  components: {checkout: 8kbf7d35c070}\n"


def test_an_unset_api_key_is_a_warning_at_its_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(SECTION)
    done = run_cli(tmp_path, "check-config", str(policy), **SLACK, **TARGETS)
    assert done.returncode == 1, done.stdout
    assert (
        f"warning: {policy}:1: status_page.api_key_env: STATUSPAGE_API_KEY is not set:"
        " approved statements cannot reach Statuspage"
    ) in done.stdout


def test_with_the_key_set_the_section_is_clean_and_the_key_is_not_printed(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(SECTION)
    done = run_cli(
        tmp_path, "check-config", str(policy), STATUSPAGE_API_KEY="sp-key-0451", **SLACK, **TARGETS
    )
    assert done.returncode == 0, done.stdout
    assert "sp-key-0451" not in done.stdout + done.stderr


def test_an_empty_component_id_is_an_error_at_its_path(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text('status_page:\n  page_id: kctbh9vrtdwd\n  components: {checkout: ""}\n')
    done = run_cli(
        tmp_path, "check-config", str(policy), STATUSPAGE_API_KEY="k", **SLACK, **TARGETS
    )
    assert done.returncode == 2, done.stdout
    assert "status_page.components" in done.stdout
    assert "give the component's Statuspage id" in done.stdout
