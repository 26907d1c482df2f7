"""The `incident-bot` command: serve, demo, migrate, check-config, doctor, postmortem, runbook."""

import argparse
import asyncio
import csv
import errno
import json
import sys
from datetime import timedelta
from pathlib import Path

import structlog
import uvloop
from aiohttp import web

from bot.app import create_web_app
from bot.config import Policy, Settings, load_settings, process_environment
from bot.config_check import check_configuration
from bot.domain.clock import system_clock
from bot.domain.durations import parse_duration
from bot.domain.figures import Chart, Figures
from bot.errors import CannotStart, NotFound, UsageError
from bot.logging import configure
from bot.metrics import Metrics
from bot.policy.reading import load_policy
from bot.policy.view import effective_yaml, summary
from bot.services.container import open_pool, open_slack_session, slack_gateway
from bot.services.postmortems import PostmortemService
from bot.slack.composer import Composer
from bot.slack.templates import Templates
from bot.store.migrate import migrate

log = structlog.get_logger(__name__)


def _settings_and_policy(config: Path | None = None) -> tuple[Settings, Policy]:
    settings = load_settings()
    configure(settings.log_format, settings.log_level, colors=settings.wants_color)
    return settings, load_policy(config or settings.incident_bot_config)


def serve(args: argparse.Namespace) -> int:
    """Check the configuration first: with an error nothing starts (no PostgreSQL, no port)."""
    settings = load_settings()
    configure(settings.log_format, settings.log_level, colors=settings.wants_color)
    environ = process_environment()
    findings = check_configuration(settings, settings.incident_bot_config, environ)
    for problem in findings.problems:
        print(problem, file=sys.stderr)
    if findings.policy is None or findings.errors:
        return 2
    app = create_web_app(settings, findings.policy, environ=environ, wait_for_db=args.wait_for_db)
    uvloop.install()
    try:
        web.run_app(app, port=settings.port, print=None, access_log=None)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise CannotStart(
            f"PORT={settings.port} is in use by another process: stop it or choose another PORT"
        ) from None
    return 0


def run_migrations(args: argparse.Namespace) -> int:
    settings, _policy = _settings_and_policy()

    async def run() -> list[int]:
        async with (
            open_pool(settings, wait=args.wait_for_db, size=1) as pool,
            pool.acquire() as conn,
        ):
            return await migrate(conn)

    applied = asyncio.run(run())
    print(
        f"applied {len(applied)} migration(s)"
        + (f": {applied}" if applied else "; schema is current")
    )
    return 0


def check_config(args: argparse.Namespace) -> int:
    """Every problem at once; exit 0 when clean, 1 with warnings only, 2 with errors."""
    settings = load_settings()
    path = args.path or settings.incident_bot_config
    findings = check_configuration(settings, path, process_environment())
    if args.show:
        if findings.policy is not None:
            print(effective_yaml(findings.policy), end="")
        report = sys.stderr
    else:
        if findings.policy is not None:
            print("\n".join(summary(findings.policy, path)))
        report = sys.stdout
    for problem in findings.problems:
        print(problem, file=report)
    print(findings.count(), file=report)
    return findings.exit_code


def doctor(args: argparse.Namespace) -> int:
    """Check a live workspace and the systems around it: one ✓ or ✗ line each, 1 if any ✗."""
    from bot.doctor import diagnose, render

    settings = load_settings()
    configure(
        settings.log_format, "CRITICAL", colors=settings.wants_color
    )  # the report is the output; the checks log too
    policy = load_policy(args.path or settings.incident_bot_config)
    checks = asyncio.run(diagnose(settings, policy, process_environment()))
    print(render(checks))
    return 0 if all(check.ok for check in checks) else 1


def print_postmortem(args: argparse.Namespace) -> int:
    """Print an incident's newest stored post-mortem, or write one from its timeline now."""
    settings, policy = _settings_and_policy()

    async def run() -> str:
        async with (
            open_pool(settings, wait=args.wait_for_db, size=2) as pool,
            open_slack_session() as session,
        ):
            composer = Composer(Templates(policy.tz, settings.templates_dir), policy)
            postmortems = PostmortemService(
                pool, slack_gateway(settings, session), policy, composer, system_clock
            )
            return await postmortems.document(args.incident)

    try:
        print(asyncio.run(run()))
    except NotFound as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def import_runbooks(args: argparse.Namespace) -> int:
    """The fragment on stdout, what was left out on stderr: `> checklists.yaml` keeps only the
    fragment. Exit 0 every file gave checklists, 1 some did, 2 none did."""
    from bot.policy.runbook_import import import_runbooks as read_checklists

    found = read_checklists(args.files)
    print(found.fragment(), end="")
    for note in found.notes:
        print(note, file=sys.stderr)
    return found.exit_code


def print_stats(args: argparse.Namespace) -> int:
    """The figures `/incident stats` shows, for scripts: JSON or CSV on stdout; `--chart PATH`
    writes the chart's PNG there too. A period that makes no sense exits 2 (UsageError)."""
    from bot.charts import render_png
    from bot.domain.figures import CSV_COLUMNS, as_document, as_rows, period_of
    from bot.domain.grammar import Typed, parse_stats
    from bot.services.figures import FiguresService
    from bot.slack.figure_messages import FigureMessages

    settings, policy = _settings_and_policy()
    spec = parse_stats(Typed("stats", args.since.strip(), policy.severities)).period

    async def run() -> tuple[Figures, Chart]:
        async with open_pool(settings, wait=args.wait_for_db, size=2) as pool:
            messages = FigureMessages(Templates(policy.tz, settings.templates_dir), policy)
            service = FiguresService(pool, policy, messages, system_clock, Metrics())
            return await service.chart_of(period_of(spec, system_clock(), policy.tz))

    found, chart = asyncio.run(run())
    if args.format == "json":
        print(json.dumps(as_document(found), indent=2))
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(as_rows(found))
    if args.chart:
        args.chart.write_bytes(render_png(chart))
        print(f"chart: {args.chart}", file=sys.stderr)
    return 0


def demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return asyncio.run(run_demo(quiet_logs=not args.verbose))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="incident-bot", description="Slack chatops for incident response."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser(
        "serve",
        help="serve Slack's requests (HTTP on $PORT; Socket Mode when SLACK_APP_TOKEN is set)",
    )
    serving.set_defaults(run=serve)
    demo_parser = commands.add_parser(
        "demo", help="run a scripted SEV-1 against a local Slack stand-in"
    )
    demo_parser.add_argument("--verbose", action="store_true", help="show the bot's logs too")
    demo_parser.set_defaults(run=demo)
    migrating = commands.add_parser("migrate", help="apply database migrations and exit")
    migrating.set_defaults(run=run_migrations)
    check = commands.add_parser(
        "check-config",
        help="check the settings, policy file and templates: every problem at once; "
        "exit 0 clean, 1 warnings only, 2 errors",
    )
    check.add_argument(
        "path", nargs="?", type=Path, help="policy YAML (default: $INCIDENT_BOT_CONFIG)"
    )
    check.add_argument(
        "--show",
        action="store_true",
        help="print the effective policy as YAML (defaults merged in; problems go to stderr)",
    )
    check.set_defaults(run=check_config)
    doctor_parser = commands.add_parser(
        "doctor", help="check the live workspace, its scopes and channel, the databases, targets"
    )
    doctor_parser.add_argument(
        "path", nargs="?", type=Path, help="policy YAML (default: $INCIDENT_BOT_CONFIG)"
    )
    doctor_parser.set_defaults(run=doctor)
    postmortem = commands.add_parser(
        "postmortem", help="print an incident's post-mortem (the stored one, else a fresh one)"
    )
    postmortem.add_argument(
        "incident",
        help="the incident: its channel (#incident-20261124-001), the channel's id, or its number",
    )
    postmortem.set_defaults(run=print_postmortem)
    stats = commands.add_parser("stats", help="incident figures of a period, for scripts")
    stats.add_argument("--since", default="30d", help="7d, 30d, 90d (up to 366d) or YYYY-MM")
    stats.add_argument("--format", choices=("json", "csv"), default="json")
    stats.add_argument("--chart", type=Path, help="also write the chart (PNG) to this file")
    stats.set_defaults(run=print_stats)
    runbook = commands.add_parser("runbook", help="read a team's Markdown runbooks")
    runbook_commands = runbook.add_subparsers(dest="runbook_command", required=True)
    importing = runbook_commands.add_parser(
        "import",
        help="print a `checklists:` policy fragment, one checklist per heading with task items; "
        "exit 0 every file gave some, 1 some did, 2 none did",
    )
    importing.add_argument("files", nargs="+", metavar="FILE.md", help="Markdown runbooks")
    importing.set_defaults(run=import_runbooks)
    for waiting in (serving, migrating, postmortem, stats):
        waiting.add_argument(
            "--wait-for-db",
            type=_duration,
            default=timedelta(seconds=30),
            metavar="DURATION",
            help="how long to wait for DATABASE_URL to answer before giving up (default 30s)",
        )
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as error:
        _say(error.message)
        return 2
    except CannotStart as error:
        _say(str(error))
        return 1


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _say(message: str) -> None:
    """A configuration mistake on stderr: `error: ` before each problem, continuations as they are."""
    for line in message.splitlines():
        print(line if line[:1].isspace() else f"error: {line}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
