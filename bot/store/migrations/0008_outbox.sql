-- Effects to deliver — Slack calls and calls to other systems — written in the same transaction
-- as the state change that causes them, delivered by any replica in order per lane (a channel),
-- retried with backoff until done or given up. `then_do` names a follow-up that runs in the
-- transaction that marks the effect done (a created channel's first message, a post's pin).
CREATE TABLE outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lane         text NOT NULL,
    incident_id  bigint REFERENCES incidents (id),
    method       text NOT NULL,
    args         jsonb NOT NULL,
    about        text NOT NULL,
    then_do      text,
    coalesce_key text,
    notify       jsonb,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'done', 'failed', 'superseded')),
    attempts     integer NOT NULL DEFAULT 0,
    -- An earlier attempt may have reached the other side (a lease lapsed, a connection dropped
    -- after sending): look before doing it again.
    maybe_done   boolean NOT NULL DEFAULT false,
    due_at       timestamptz NOT NULL,
    leased_until timestamptz,
    claimed_by   integer,            -- the claiming replica's presence (a backend pid)
    created_at   timestamptz NOT NULL,
    done_at      timestamptz,
    result       jsonb,
    last_error   text
);

CREATE INDEX outbox_waiting ON outbox (lane, id) WHERE state IN ('pending', 'running');
-- Claims walk the waiting effects oldest first, never the delivered ones.
CREATE INDEX outbox_claimable ON outbox (id) WHERE state IN ('pending', 'running');
CREATE INDEX outbox_due ON outbox (due_at) WHERE state IN ('pending', 'running');
CREATE INDEX outbox_by_incident ON outbox (incident_id) WHERE state IN ('pending', 'running');
-- At most one waiting effect per coalesce key: an overdue reminder is posted once, not once per
-- cadence missed while Slack was away.
CREATE UNIQUE INDEX outbox_coalesced ON outbox (coalesce_key)
    WHERE state IN ('pending', 'running') AND coalesce_key IS NOT NULL;

-- A declaration reserves its incident and channel name before Slack creates the channel.
ALTER TABLE incidents ALTER COLUMN channel_id DROP NOT NULL;
