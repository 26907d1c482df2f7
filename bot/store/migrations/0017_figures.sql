-- Figures (`/incident stats`, the weekly review, /metrics): each incident's key times kept on its
-- row as they happen, so a period's figures read one row per incident instead of its timeline.
-- The definitions are the post-mortem's (bot/domain/keytimes.py), written here once more in SQL:
--   first response: the first entry of a response kind stamped with a person;
--   mitigation: the first update moving to mitigating or monitoring, or the first executed
--   action (a dry run counts only in a drill).
-- tests/integration/figures/test_key_times.py holds both definitions to the same answers.
ALTER TABLE incidents ADD COLUMN first_response_at timestamptz;
ALTER TABLE incidents ADD COLUMN mitigated_at timestamptz;

CREATE FUNCTION incidents_keep_key_times() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.actor IS NOT NULL AND NEW.kind IN ('message', 'note', 'update', 'pinned',
            'severity_changed', 'role_assigned', 'action_requested') THEN
        UPDATE incidents SET first_response_at = NEW.at
         WHERE id = NEW.incident_id AND (first_response_at IS NULL OR first_response_at > NEW.at);
    END IF;
    IF (NEW.kind = 'update' AND NEW.data ->> 'status' IN ('mitigating', 'monitoring'))
       OR NEW.kind = 'action_executed' THEN
        UPDATE incidents SET mitigated_at = NEW.at
         WHERE id = NEW.incident_id AND (mitigated_at IS NULL OR mitigated_at > NEW.at)
           AND (NEW.kind = 'update' OR drill
                OR NOT coalesce((NEW.data ->> 'dry_run')::boolean, false));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER timeline_entries_key_times AFTER INSERT ON timeline_entries
    FOR EACH ROW EXECUTE FUNCTION incidents_keep_key_times();

-- The incidents declared before this migration: their key times from their timelines.
UPDATE incidents SET
    first_response_at = (
        SELECT min(at) FROM timeline_entries t
         WHERE t.incident_id = incidents.id AND t.actor IS NOT NULL
           AND t.kind IN ('message', 'note', 'update', 'pinned', 'severity_changed',
                          'role_assigned', 'action_requested')),
    mitigated_at = (
        SELECT min(at) FROM timeline_entries t
         WHERE t.incident_id = incidents.id
           AND ((t.kind = 'update' AND t.data ->> 'status' IN ('mitigating', 'monitoring'))
                OR (t.kind = 'action_executed'
                    AND (incidents.drill
                         OR NOT coalesce((t.data ->> 'dry_run')::boolean, false)))));

-- A period's incidents, by declaration; follow-ups closed in a period, and the overdue ones.
CREATE INDEX incidents_by_declaration ON incidents (declared_at);
CREATE INDEX followups_done_by_closing ON followups (closed_at) WHERE state = 'done';
CREATE INDEX followups_open_by_due ON followups (due_on) WHERE state = 'open';
