"""The process's long-lived parts, built once at start-up and handed to every handler."""

from dataclasses import dataclass

from bot.config import Policy, Settings
from bot.domain.clock import Clock
from bot.metrics import Metrics
from bot.outbox import Dispatcher
from bot.scheduler import Scheduler
from bot.services.alerts import AlertService
from bot.services.approvals import ApprovalService
from bot.services.background import Background
from bot.services.incidents import IncidentService
from bot.services.postmortems import PostmortemService
from bot.services.timeline import TimelineService
from bot.slack.composer import Composer
from bot.slack.gateway import SlackGateway
from bot.store.db import Pool, is_reachable


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
    dispatcher: Dispatcher
    clock: Clock
    background: Background
    scheduler: Scheduler
    approvals: ApprovalService

    async def database_reachable(self) -> bool:
        """Whether this replica can reach PostgreSQL (`/readyz`)."""
        return await is_reachable(self.pool)
