-- The lanes being delivered: every other waiting effect of such a lane is behind the one being
-- delivered, so a claim passes over them with one hash look-up instead of a probe each. A lane
-- thousands deep (an announce channel during an escalation storm) no longer makes every claim
-- walk it.
CREATE INDEX outbox_running_lanes ON outbox (lane) WHERE state = 'running';
