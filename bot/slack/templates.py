"""The words people read, rendered from Jinja2 files in `templates/`.

Every value printed by a template is mrkdwn-escaped unless it is `Mrkdwn` we built ourselves
(a mention, a channel link): user text can never ping `<!channel>` or become a link.
Markdown templates (`*.md.j2`, the post-mortem) escape every value as one line of inline
Markdown instead, unless it is `Markdown` we built. An operator's `TEMPLATES_DIR` is searched
first, so any single file can be overridden.
"""

from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import jinja2

from bot.domain.durations import format_duration, format_period
from bot.domain.followups import issue_label
from bot.domain.markdown import inline, link
from bot.domain.mrkdwn import Mrkdwn, channel_link, escape, mention, slack_link

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def default_templates_dir() -> Path:
    """The bundled templates: `bot/_templates` in a wheel, the repository's `templates/` otherwise."""
    for candidate in (_PACKAGE_DIR / "_templates", _PACKAGE_DIR.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("bundled templates are missing from this installation")


def _finalize(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Mrkdwn):
        return value
    return escape(str(value))


def _finalize_markdown(value: object) -> str:
    if value is None:
        return ""
    return inline(value if isinstance(value, str) else str(value))


class Templates:
    """Renders a named template with the bot's filters and the policy time zone."""

    def __init__(self, tz: tzinfo, override_dir: Path | None = None) -> None:
        folders = [str(p) for p in (override_dir, default_templates_dir()) if p is not None]
        loader = jinja2.FileSystemLoader(folders)
        self._env = jinja2.Environment(
            loader=loader,
            autoescape=False,  # noqa: S701 - the output is Slack mrkdwn, escaped by _finalize
            finalize=_finalize,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            trim_blocks=False,
        )
        self._markdown = jinja2.Environment(
            loader=loader,
            autoescape=False,  # noqa: S701 - the output is Markdown, escaped by _finalize_markdown
            finalize=_finalize_markdown,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._tz = tz
        common = {
            "duration": lambda delta: (
                format_duration(delta) if isinstance(delta, timedelta) else "—"
            ),
            "every": format_period,
            "when": self.when,
            "clock": self.clock,
            "local": self.local,
            "issue": issue_label,
        }
        self._env.filters.update(
            common,
            person=lambda user: mention(user) if user else Mrkdwn("_unassigned_"),
            unpinged=lambda user: Mrkdwn(f"`{escape(user)}`") if user else Mrkdwn("_unassigned_"),
            declarer=lambda user: mention(user) if user else Mrkdwn("an alert"),
            channel=channel_link,
            link=slack_link,
        )
        self._markdown.filters.update(common, link=lambda url, label: link(label, url))

    def when(self, moment: datetime | None) -> str:
        """A timestamp in the policy time zone, with the zone named: `2026-11-24 14:05 UTC`."""
        return moment.astimezone(self._tz).strftime("%Y-%m-%d %H:%M %Z") if moment else "—"

    def clock(self, moment: datetime | None) -> str:
        return moment.astimezone(self._tz).strftime("%H:%M %Z") if moment else "—"

    def local(self, moment: datetime, pattern: str) -> str:
        """`moment` in the policy time zone, formatted with strftime's `pattern`."""
        return moment.astimezone(self._tz).strftime(pattern)

    def render(self, name: str, **context: object) -> str:
        env = self._markdown if name.endswith(".md.j2") else self._env
        return env.get_template(name).render(**context).strip()

    def check(self) -> list[str]:
        """Load every template, returning the problems found (for `check-config`)."""
        problems = []
        for name in self._env.list_templates(extensions=["j2"]):
            try:
                self._env.get_template(name)
            except jinja2.TemplateSyntaxError as error:
                problems.append(f"{name}:{error.lineno}: {error.message}")
        return problems
