-- Slack deliveries (event ids, trigger ids) and job effects (a reminder posted, an escalation
-- step) follow one rule — the first claim of a key wins, every later one changes nothing — so
-- they share one table.
ALTER TABLE slack_deliveries RENAME TO handled_keys;
ALTER TABLE handled_keys RENAME COLUMN received_at TO claimed_at;
INSERT INTO handled_keys (key, claimed_at) SELECT key, done_at FROM job_effects ON CONFLICT DO NOTHING;
DROP TABLE job_effects;
