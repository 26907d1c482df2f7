"""What is wrong with the configuration: settings, policy file, templates and environment.

One pass finds everything, for `check-config` and for `serve` before it starts anything. An
error means the bot cannot run as configured; a warning is legal but surely not what was meant
(an escalation step for a severity the policy lacks never fires; a `notify` entry that is not a
Slack mention pings nobody; an action whose variables are unset cannot run).
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.actions import Catalog
from bot.config import Policy, Settings, resolve_environment
from bot.domain.escalation import pings
from bot.errors import UsageError
from bot.policy.document import Located
from bot.policy.reading import PolicyReading, read_policy
from bot.slack.templates import Templates


@dataclass(frozen=True)
class Problem:
    level: Literal["error", "warning"]
    text: str

    def __str__(self) -> str:
        return f"{self.level}: {self.text}"


@dataclass(frozen=True)
class Findings:
    policy: Policy | None
    """The policy to run with; None when the policy file has errors."""
    problems: tuple[Problem, ...]
    """Errors first, then warnings."""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def exit_code(self) -> int:
        """0 clean, 1 warnings only, 2 errors."""
        return 2 if self.errors else 1 if self.warnings else 0

    def count(self) -> str:
        """`ok`, or `2 errors, 1 warning`."""
        if not self.problems:
            return "ok"
        counts = ((len(self.errors), "error"), (len(self.warnings), "warning"))
        return ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts if n)


def check_configuration(
    settings: Settings, policy_path: Path | None, environ: Mapping[str, str]
) -> Findings:
    """Every problem with `settings`, the policy at `policy_path` (defaults when None), the
    templates and `environ` (what the policy's actions resolve their variables from)."""
    errors = settings_problems(settings)
    try:
        reading: PolicyReading | None = read_policy(policy_path)
    except UsageError as error:
        reading = None
        errors.append(error.message)
    warnings: list[str] = []
    if reading is not None:
        errors.extend(reading.lines())
        warnings.extend(reading.document.describe(w) for w in policy_warnings(reading, environ))
    policy = reading.policy if reading is not None and not reading.problems else None
    errors.extend(Templates((policy or Policy()).tz, settings.templates_dir).check())
    problems = [Problem("error", e) for e in errors] + [Problem("warning", w) for w in warnings]
    return Findings(policy, tuple(problems))


def settings_problems(settings: Settings) -> list[str]:
    """The settings Slack needs, each problem worded with where to find the right value."""
    problems = []
    bot_token = settings.slack_bot_token.get_secret_value()
    if not bot_token:
        problems.append(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions"
        )
    elif not bot_token.startswith("xoxb-"):
        problems.append(
            "SLACK_BOT_TOKEN does not start with xoxb-: it must be the Bot User OAuth Token from OAuth & Permissions"
        )
    if not settings.slack_signing_secret.get_secret_value():
        problems.append(
            "SLACK_SIGNING_SECRET is not set: copy it from your app's Basic Information page (App Credentials → Signing Secret)"
        )
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    if app_token and not app_token.startswith("xapp-"):
        problems.append(
            "SLACK_APP_TOKEN does not start with xapp-: create an app-level token with connections:write under Basic Information → App-Level Tokens, or leave it empty to serve over HTTP"
        )
    if settings.templates_dir is not None and not settings.templates_dir.is_dir():
        problems.append(f"TEMPLATES_DIR {settings.templates_dir} is not a folder")
    return problems


def policy_warnings(reading: PolicyReading, environ: Mapping[str, str]) -> list[Located]:
    """What the policy allows but surely does not mean, in the sections that could be read."""
    found: list[Located] = []
    if not reading.broken & {"escalation", "severities"}:
        found.extend(_steps_that_never_fire(reading))
    if "escalation" not in reading.broken:
        found.extend(_notify_that_pings_nobody(reading.policy))
    if not reading.broken & {"actions", "databases"}:
        found.extend(_actions_without_environment(reading.policy, environ))
    if "followups" not in reading.broken:
        found.extend(_exports_without_environment(reading.policy, environ))
    if "paging" not in reading.broken:
        found.extend(_pages_without_routing_key(reading.policy, environ))
    if "status_page" not in reading.broken:
        found.extend(_status_page_without_key(reading.policy, environ))
    return found


def _status_page_without_key(policy: Policy, environ: Mapping[str, str]) -> Iterator[Located]:
    """Statements would be approved and then refused at delivery: say so before."""
    page = policy.status_page
    if page is not None and not environ.get(page.api_key_env):
        yield Located(
            ("status_page", "api_key_env"),
            f"{page.api_key_env} is not set: approved statements cannot reach Statuspage",
        )


def _steps_that_never_fire(reading: PolicyReading) -> Iterator[Located]:
    policy, unsound = reading.policy, reading.unsound.get("severities", frozenset())
    for index, step in enumerate(policy.escalation):
        for word in step.severities or ():
            try:
                policy.severities.resolve(word)
            except UsageError:
                if word.lower() not in unsound:
                    yield Located(
                        ("escalation", index, "severities"),
                        f"{word!r} is not a severity of this policy, so this step never fires for it"
                        f" (severities: {policy.severities.usage})",
                    )


def _notify_that_pings_nobody(policy: Policy) -> Iterator[Located]:
    for index, step in enumerate(policy.escalation):
        for position, target in enumerate(step.notify):
            if not pings(target):
                yield Located(
                    ("escalation", index, "notify", position),
                    f"{target!r} pings nobody: write a user <@U…>, a user group <!subteam^S…>"
                    " (or the bare id U…/S…), or <!here>",
                )


def _pages_without_routing_key(policy: Policy, environ: Mapping[str, str]) -> Iterator[Located]:
    """A routing key that is unset pages nobody: on declare, or by `/incident page`."""
    if policy.paging is None:
        return
    if not environ.get(policy.paging.routing_key_env):
        yield Located(
            ("paging", "routing_key_env"),
            f"{policy.paging.routing_key_env} is not set: declaring a paging severity pages nobody",
        )
    for name, service in policy.paging.services.items():
        if not environ.get(service.routing_key_env):
            yield Located(
                ("paging", "services", name, "routing_key_env"),
                f"{service.routing_key_env} is not set: `/incident page {name}` is unavailable",
            )


def _actions_without_environment(policy: Policy, environ: Mapping[str, str]) -> Iterator[Located]:
    """Actions naming no database are reported as errors already; the others are looked up."""
    runnable = {
        name: action
        for name, action in policy.actions.items()
        if action.kind != "sql" or action.database in policy.databases
    }
    policy = policy.model_copy(update={"actions": runnable})
    catalog = Catalog(policy, resolve_environment(policy, environ))
    for entry in catalog.entries:
        if not entry.is_available:
            yield Located(
                ("actions", entry.name),
                f"{entry.reason}: the action is unavailable",
            )


_SYSTEMS = {"github": "GitHub", "jira": "Jira"}


def _exports_without_environment(policy: Policy, environ: Mapping[str, str]) -> Iterator[Located]:
    """An export whose token is unset opens no issue: each is reported where it is delivered."""
    export = policy.followups.export
    named = []
    if export.github:
        named.append(("github", "token_env", export.github.token_env))
    if export.jira:
        named += [
            ("jira", "user_env", export.jira.user_env),
            ("jira", "token_env", export.jira.token_env),
        ]
    for system, field, name in named:
        if not environ.get(name):
            yield Located(
                ("followups", "export", system, field),
                f"{name} is not set: no {_SYSTEMS[system]} issue can be opened for a follow-up",
            )
