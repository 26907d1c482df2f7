-- Requests to run a catalog action, and the approvals given to them. The status moves by
-- conditional UPDATE (WHERE status = <from>), so of two racing moves exactly one wins.
CREATE TABLE approval_requests (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id        bigint NOT NULL REFERENCES incidents (id),
    channel_id         text NOT NULL,
    message_ts         text,
    action             text NOT NULL,
    params             jsonb NOT NULL,
    dry_run            boolean NOT NULL,
    preview            text NOT NULL,
    requested_by       text NOT NULL,
    requested_at       timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    approvers          text[] NOT NULL,
    approvals_required integer NOT NULL CHECK (approvals_required >= 1),
    self_approval      boolean NOT NULL,
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'approved', 'running', 'succeeded', 'failed',
                                         'unknown', 'denied', 'expired')),
    decided_by         text,
    decided_at         timestamptz,
    started_at         timestamptz,
    finished_at        timestamptz,
    outcome            jsonb
);

CREATE INDEX approval_requests_by_incident ON approval_requests (incident_id);
CREATE INDEX approval_requests_running ON approval_requests (id) WHERE status = 'running';

-- One row per person approving a request; the primary key makes a second click a no-op.
CREATE TABLE approval_votes (
    request_id bigint NOT NULL REFERENCES approval_requests (id),
    user_id    text NOT NULL,
    voted_at   timestamptz NOT NULL,
    PRIMARY KEY (request_id, user_id)
);
