-- Public statements on the status page (Statuspage), one row per approved statement: what was
-- approved word for word, by whom, and what Statuspage made of it. The row is written in the
-- transaction that approves it (its approval request is UNIQUE: approved once, recorded once);
-- `public_id` and `shortlink` are kept when Statuspage answers, and a later statement of the
-- same incident updates the public incident the first one created.
CREATE TABLE status_statements (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id  bigint NOT NULL REFERENCES incidents (id),
    request_id   bigint NOT NULL UNIQUE REFERENCES approval_requests (id),
    status       text NOT NULL
                 CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    name         text NOT NULL,
    body         text NOT NULL,
    components   jsonb NOT NULL,
    requested_by text NOT NULL,
    approved_by  text[] NOT NULL,
    approved_at  timestamptz NOT NULL,
    is_drill     boolean NOT NULL,
    public_id    text,
    shortlink    text,
    published_at timestamptz,
    refused      text
);

CREATE INDEX status_statements_by_incident ON status_statements (incident_id, id);
