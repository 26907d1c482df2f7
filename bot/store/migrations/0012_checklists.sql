-- Runbook checklists posted in an incident channel: one row per (incident, name), its items
-- snapshotted when it was first posted, so a policy edited later changes no running incident.
CREATE TABLE checklists (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incidents (id),
    name        text NOT NULL,
    title       text NOT NULL,
    post_on     text NOT NULL CHECK (post_on IN ('declare', 'resolve', 'request')),
    channel_id  text NOT NULL,
    message_ts  text,            -- known once the post is delivered
    is_lost     boolean NOT NULL DEFAULT false,  -- Slack refused the post for good
    revision    integer NOT NULL DEFAULT 0,      -- one more per change of its items
    posted_at   timestamptz NOT NULL,
    UNIQUE (incident_id, name)
);

-- Each item's tick: who ticked it and when (NULL while unticked). A tick or untick is a
-- conditional UPDATE (`WHERE checked_by IS NULL` / `IS NOT NULL`), so two clicks never both win.
CREATE TABLE checklist_items (
    checklist_id bigint NOT NULL REFERENCES checklists (id),
    position     integer NOT NULL,
    text         text NOT NULL,
    checked_by   text,
    checked_at   timestamptz,
    PRIMARY KEY (checklist_id, position)
);
