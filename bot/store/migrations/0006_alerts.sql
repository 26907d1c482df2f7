-- An alert may declare an incident with nobody behind it: no declarer, no commander yet.
ALTER TABLE incidents ALTER COLUMN declared_by DROP NOT NULL;

-- Every alert received, stored before the webhook is answered. incident_id is set once the
-- alert belongs to an incident; posted_at once it has been shown there (first message or digest).
CREATE TABLE alerts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL,
    source      text NOT NULL,
    group_key   text NOT NULL,
    fingerprint text NOT NULL,
    status      text NOT NULL CHECK (status IN ('firing', 'resolved')),
    title       text NOT NULL,
    labels      jsonb NOT NULL DEFAULT '{}'::jsonb,
    annotations jsonb NOT NULL DEFAULT '{}'::jsonb,
    link        text,
    starts_at   timestamptz,
    incident_id bigint REFERENCES incidents (id),
    posted_at   timestamptz
);

CREATE INDEX alerts_unattached_by_group ON alerts (group_key, received_at) WHERE incident_id IS NULL;
CREATE INDEX alerts_by_fingerprint ON alerts (fingerprint, id) WHERE incident_id IS NOT NULL;
CREATE INDEX alerts_unposted ON alerts (incident_id, id) WHERE posted_at IS NULL;

-- One row per alert group (Alertmanager's groupKey, else the fingerprint), locked by the
-- transaction storing an alert: the row says whether the group's incident is open, being
-- declared (declaring_since, a lease), or was offered with a Declare button (offered_at).
-- Alerts of the group received since cycle_started_at belong to its current incident or offer.
CREATE TABLE alert_groups (
    group_key        text PRIMARY KEY,
    incident_id      bigint REFERENCES incidents (id),
    declaring_since  timestamptz,
    offered_at       timestamptz,
    cycle_started_at timestamptz NOT NULL
);

-- Who is posting an incident's alert digests: one poster per incident at a time, so a storm
-- becomes a few digests rather than one thread reply per alert. A lapsed lease is taken over.
CREATE TABLE alert_posting (
    incident_id  bigint PRIMARY KEY REFERENCES incidents (id),
    holder       text NOT NULL,
    leased_until timestamptz NOT NULL
);
