CREATE TABLE incidents (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id     text NOT NULL UNIQUE,
    channel_name   text NOT NULL UNIQUE,
    title          text NOT NULL,
    severity       text NOT NULL,
    status         text NOT NULL,
    declared_by    text NOT NULL,
    declared_at    timestamptz NOT NULL,
    commander      text,
    lead           text,
    comms          text,
    update_count   integer NOT NULL DEFAULT 0,
    last_update_at timestamptz,
    resolved_at    timestamptz,
    resolution     text,
    pinned_ts      text
);

CREATE INDEX incidents_open_newest_first ON incidents (declared_at DESC) WHERE status <> 'resolved';

-- The day's last channel number, handed out atomically across replicas.
CREATE TABLE channel_sequences (
    day      date PRIMARY KEY,
    last_seq integer NOT NULL
);

-- Append-only: edits and deletions are new entries that point at the original.
CREATE TABLE timeline_entries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incidents (id),
    at          timestamptz NOT NULL,
    kind        text NOT NULL,
    actor       text,
    body        text NOT NULL DEFAULT '',
    slack_ts    text,
    data        jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX timeline_entries_by_incident ON timeline_entries (incident_id, at, id);

-- Slack deliveries already handled (event_id, slash-command trigger_id): retries change nothing.
CREATE TABLE slack_deliveries (
    key         text PRIMARY KEY,
    received_at timestamptz NOT NULL
);
