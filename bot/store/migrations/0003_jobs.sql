-- Durable timers: reminders, escalations, approval expiries. Each replica claims due rows
-- with FOR UPDATE SKIP LOCKED under a lease; a lapsed lease lets another replica take over.
CREATE TABLE jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key          text NOT NULL UNIQUE,
    kind         text NOT NULL,
    incident_id  bigint REFERENCES incidents (id),
    due_at       timestamptz NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    attempts     integer NOT NULL DEFAULT 0,
    leased_until timestamptz,
    finished_at  timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL
);

CREATE INDEX jobs_due ON jobs (due_at) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_by_incident ON jobs (incident_id, kind) WHERE state = 'pending';

-- The effects a job has had: a job run twice (its lease lapsed mid-run) acts at most once.
CREATE TABLE job_effects (
    key         text PRIMARY KEY,
    done_at     timestamptz NOT NULL
);
