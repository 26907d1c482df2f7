-- Alert digests are outbox effects now: one waits per incident at a time (its coalesce key),
-- and its follow-up records the next. The poster's lease is no longer needed.
DROP TABLE alert_posting;
