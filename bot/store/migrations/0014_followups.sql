-- Follow-ups: an incident's action items, tracked to done (`/incident followup`, the
-- post-mortem's "action item:" notes). One row each; its state moves open → done | dropped by
-- conditional updates, so two clicks at once flip it once.
CREATE TABLE followups (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id   bigint NOT NULL REFERENCES incidents (id),
    text          text NOT NULL,
    owner_id      text,                 -- a Slack user id; NULL: nobody yet
    due_on        date,                 -- in the policy's time zone
    state         text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'dropped')),
    drop_reason   text,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL,
    closed_by     text,
    closed_at     timestamptz,
    message_ts    text,                 -- its message with Done and Drop…, once posted
    message_channel text,
    export_url    text,                 -- the GitHub or Jira issue opened for it
    source_entry  bigint REFERENCES timeline_entries (id),  -- the note it was read from
    UNIQUE (source_entry)
);

CREATE INDEX followups_open_by_owner ON followups (owner_id, due_on) WHERE state = 'open';
CREATE INDEX followups_by_incident ON followups (incident_id);
CREATE INDEX followups_by_creation ON followups (created_at);
