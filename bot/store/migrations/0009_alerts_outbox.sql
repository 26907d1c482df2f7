-- Alert digests are outbox effects now: one waits per incident at a time (its coalesce key),
-- and its follow-up records the next. The poster's lease is no longer needed; what is kept is
-- when the incident's last digest was due, so the next keeps a pace, and a row to lock while
-- deciding it.
DROP TABLE alert_posting;

CREATE TABLE alert_digests (
    incident_id bigint PRIMARY KEY REFERENCES incidents (id),
    last_due_at timestamptz
);
