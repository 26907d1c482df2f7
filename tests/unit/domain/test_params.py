import pytest

from bot.domain.params import ActionParam, bind, usage
from bot.errors import UsageError

FEATURE = ActionParam(name="feature", pattern="^[a-z0-9_]+$", default="hybrid")
PERCENT = ActionParam(name="percentage", pattern="^(100|[1-9]?[0-9])$", default="10")
SERVICE = ActionParam(name="service", choices=("api", "web", "worker"))
VERSION = ActionParam(name="version", pattern="^v?[0-9][0-9.]*$", required=False)


def test_positional_words_fill_params_in_order() -> None:
    assert bind("resume", [FEATURE, PERCENT], ["checkout", "25"]) == {
        "feature": "checkout",
        "percentage": "25",
    }


def test_key_value_binds_by_name_and_positionals_fill_the_rest() -> None:
    assert bind("resume", [FEATURE, PERCENT], ["percentage=50", "checkout"]) == {
        "feature": "checkout",
        "percentage": "50",
    }


def test_defaults_fill_what_is_left_out_and_optional_params_stay_empty() -> None:
    assert bind("resume", [FEATURE, PERCENT], []) == {"feature": "hybrid", "percentage": "10"}
    assert bind("rollback", [SERVICE, VERSION], ["api"]) == {"service": "api", "version": None}


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["api;", "drop", "table", "x"], "takes at most 2 parameter(s)"),
        (["api;"], "must be one of api, web, worker"),
        (["../admin"], "must be one of api, web, worker"),
        (["api", "'1'"], "must match"),
        (["api", "v1;"], "must match"),
        (["colour=red"], "`colour` is not a parameter of `rollback`"),
        (["service=api", "service=web"], "`service` is given twice"),
        ([], "`rollback` needs `service`"),
        (["service="], "is empty"),
    ],
)
def test_bad_values_are_refused_with_the_usage_line(args: list[str], problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        bind("rollback", [SERVICE, VERSION], args)
    assert problem in caught.value.message
    assert caught.value.usage == "/incident rollback <service> [version] [--dry-run]"


@pytest.mark.parametrize("value", ["..", ".", "a\x00b", "x" * 201])
def test_dot_segments_control_characters_and_long_values_are_refused(value: str) -> None:
    loose = ActionParam(name="target")
    with pytest.raises(UsageError):
        bind("poke", [loose], [f"target={value}"])


def test_a_pattern_must_match_the_whole_value() -> None:
    with pytest.raises(UsageError, match="must match"):
        bind("kill", [FEATURE], ["ok_feature' OR '1'='1"])


def test_a_default_that_breaks_its_own_pattern_is_a_policy_error() -> None:
    with pytest.raises(ValueError, match="default 'Bad!'"):
        ActionParam(name="feature", pattern="^[a-z]+$", default="Bad!")


def test_usage_marks_optional_params() -> None:
    assert (
        usage("resume", [FEATURE, PERCENT]) == "/incident resume [feature] [percentage] [--dry-run]"
    )


def test_describe_says_what_a_param_accepts() -> None:
    assert FEATURE.describe() == "feature: matching ^[a-z0-9_]+$, default hybrid"
    assert SERVICE.describe() == "service: one of api, web, worker"
    assert VERSION.describe() == "version: matching ^v?[0-9][0-9.]*$ (optional)"
