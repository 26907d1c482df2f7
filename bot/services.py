"""The process's long-lived parts, built once at start-up and handed to every handler."""

from dataclasses import dataclass

from bot.alerts import AlertService
from bot.approvals import ApprovalService
from bot.background import Background
from bot.config import Policy, Settings
from bot.domain.clock import Clock
from bot.incidents import IncidentService
from bot.metrics import Metrics
from bot.postmortem import PostmortemService
from bot.scheduler import Scheduler
from bot.slack.composer import Composer
from bot.slack.gateway import SlackGateway
from bot.store.db import Pool
from bot.timeline import TimelineService


@dataclass(frozen=True)
class Services:
    settings: Settings
    policy: Policy
    pool: Pool
    slack: SlackGateway
    compose: Composer
    incidents: IncidentService
    timeline: TimelineService
    postmortems: PostmortemService
    alerts: AlertService
    metrics: Metrics
    clock: Clock
    background: Background
    scheduler: Scheduler
    approvals: ApprovalService
